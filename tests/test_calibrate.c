/* test_calibrate.c -- `lanky calibrate`: the fit recovers a bandwidth
 * and a per-layer cost from times made by the closed form
 * t = D / B + L * f (exactly, and within a bound derived from the noise
 * added), refuses fits that have no unique answer, and the command reads
 * lanky bench's and llama-bench's CSV and writes a profile that records
 * the fit, which lanky sim then predicts from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/calibrate.h"
#include "../sim/sim.h"
#include "testutil.h"

/* t in ms for D bytes at B GB/s and L layers at f us each. */
static double closed_form(double d, double l, double gbs, double us)
{
    return d / (gbs * 1e9) * 1e3 + l * us / 1e3;
}

/* Four shapes of different bytes per layer (a fit needs that). */
static const double D[] = {120e6, 260e6, 310e6, 700e6}, L[] = {30, 12, 24, 18};

START_TEST(recovers_exactly)
{
    rep_calib_point p[4];
    for (int i = 0; i < 4; i++)
        p[i] = (rep_calib_point){D[i], L[i], closed_form(D[i], L[i], 42.5, 31)};
    rep_calib_fit fit;
    lk_err e = {0};
    ck_assert_int_eq(rep_calib_solve(p, 4, &fit, &e), LK_OK);
    ck_assert_double_eq_tol(fit.gbs, 42.5, 1e-9);
    ck_assert_double_eq_tol(fit.layer_us, 31, 1e-9);
    ck_assert(!fit.fixed_zero);
    ck_assert_double_eq_tol(fit.rms_pct, 0, 1e-9);
}
END_TEST

/* Times off by +-1% (alternating): the fit is the least-squares one if
 * its residuals (in ms) are orthogonal to both columns, sum D r = 0 and
 * sum L r = 0 -- the optimality condition, checked independently of how
 * the solver gets there; and no residual exceeds the noise by much. */
START_TEST(recovers_with_noise)
{
    rep_calib_point p[4];
    for (int i = 0; i < 4; i++)
        p[i] = (rep_calib_point){D[i], L[i],
                                 closed_form(D[i], L[i], 42.5, 31) * (i % 2 ? 1.01 : 0.99)};
    rep_calib_fit fit;
    lk_err e = {0};
    ck_assert_int_eq(rep_calib_solve(p, 4, &fit, &e), LK_OK);
    double dr = 0, lr = 0, dt = 0, lt = 0;
    for (int i = 0; i < 4; i++) {
        double r = rep_calib_residual_pct(&p[i], &fit) / 100 * p[i].ms;
        dr += D[i] * r, lr += L[i] * r;
        dt += D[i] * p[i].ms, lt += L[i] * p[i].ms;
        ck_assert_msg(fabs(rep_calib_residual_pct(&p[i], &fit)) < 2, "row %d", i);
    }
    ck_assert_msg(fabs(dr) < 1e-9 * dt && fabs(lr) < 1e-9 * lt, "%g %g", dr, lr);
    ck_assert(fit.rms_pct > 0 && fit.rms_pct < 1.0);
    ck_assert_msg(fabs(fit.gbs / 42.5 - 1) < 0.1, "%g GB/s", fit.gbs);
}
END_TEST

START_TEST(refusals)
{
    rep_calib_point p[3];
    rep_calib_fit fit;
    lk_err e = {0};
    p[0] = (rep_calib_point){D[0], L[0], 5};
    ck_assert_int_eq(rep_calib_solve(p, 1, &fit, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "at least 2"), "%s", e.msg);
    /* the same bytes per layer: bytes and layers proportional */
    for (int i = 0; i < 3; i++)
        p[i] = (rep_calib_point){10e6 * (i + 1), 4.0 * (i + 1), 2.0 * (i + 1)};
    ck_assert_int_eq(rep_calib_solve(p, 3, &fit, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "cannot be told apart"), "%s", e.msg);
    /* times falling as bytes grow: no positive bandwidth */
    p[0] = (rep_calib_point){100e6, 10, 9};
    p[1] = (rep_calib_point){300e6, 10, 3};
    p[2] = (rep_calib_point){500e6, 12, 1};
    ck_assert_int_eq(rep_calib_solve(p, 3, &fit, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "non-positive bandwidth"), "%s", e.msg);
}
END_TEST

/* Deeper models measured faster than bytes explain: the unconstrained
 * per-layer cost is negative, so it is fixed at 0 and B fitted alone:
 * B = sum(D^2) / sum(D t) in GB/s (closed form of the one-variable fit). */
START_TEST(negative_fixed_cost_clamped)
{
    rep_calib_point p[2] = {{100e6, 40, 2.0}, {400e6, 10, 10.0}};
    rep_calib_fit fit;
    lk_err e = {0};
    ck_assert_int_eq(rep_calib_solve(p, 2, &fit, &e), LK_OK);
    ck_assert(fit.fixed_zero);
    ck_assert_double_eq(fit.layer_us, 0);
    double dd = 1e16 + 16e16, dt = 100e6 * 2.0 + 400e6 * 10.0;
    ck_assert_double_eq_tol(fit.gbs, dd / dt / 1e6, 1e-9);
}
END_TEST

/* One token's DRAM bytes and executed layers for spec opts on a15. */
static void traffic(const char *opts, double *d, double *l)
{
    arch_spec s = tu_spec(opts);
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, tu_path("hw-profiles/a15.ini"), &e) == LK_OK,
                  "%s", e.msg);
    sim_opts o = {.mode = SIM_ANALYTIC};
    sim_result r;
    ck_assert_msg(sim_token(&s, p, &o, &r, &e) == LK_OK, "%s", e.msg);
    *d = (double)(r.dram_read_bytes + r.dram_write_bytes);
    *l = (double)r.executed_layers;
    sim_profile_free(p);
}

/* The command on a llama-bench CSV (tokens/s; its prompt rows skipped)
 * and on lanky bench's columns: the written profile has the known figures
 * in [dram] and [compute] and says what it was fitted to, and lanky sim
 * loads it. */
START_TEST(command_writes_profile)
{
    static const char *const shapes[] = {
        "layers=30 dim=512 heads=8 vocab=32000",
        "layers=8 dim=1024 heads=16 vocab=32000",
        "layers=16 dim=768 heads=12 kv_heads=4 vocab=32000",
    };
    static const char *const cols[] = {"layers=30,dim=512,heads=8,kv_heads=8",
                                       "layers=8,dim=1024,heads=16,kv_heads=16",
                                       "layers=16,dim=768,heads=12,kv_heads=4"};
    char csv[4096] = "name,layers,dim,heads,kv_heads,vocab,n_prompt,n_gen,avg_ts\n";
    char bench[4096] = "name,layers,dim,heads,kv_heads,vocab,execute_ms_median\n";
    for (int i = 0; i < 3; i++) {
        double d, l;
        traffic(shapes[i], &d, &l);
        double ms = closed_form(d, l, 20.0, 50.0);
        int lay, dim, h, kv;
        sscanf(cols[i], "layers=%d,dim=%d,heads=%d,kv_heads=%d", &lay, &dim, &h, &kv);
        char line[256];
        snprintf(line, sizeof line, "m%d,%d,%d,%d,%d,32000,512,0,%.9g\n"
                 "m%d,%d,%d,%d,%d,32000,0,128,%.9g\n", i, lay, dim, h, kv, 777.0, i,
                 lay, dim, h, kv, 1e3 / ms);
        strcat(csv, line);
        snprintf(line, sizeof line, "m%d,%d,%d,%d,%d,32000,%.9g\n", i, lay, dim, h, kv, ms);
        strcat(bench, line);
    }
    for (int k = 0; k < 2; k++) {
        char in[512], out[512], args[2048], *err, *text;
        snprintf(in, sizeof in, "%s/measured%d.csv", tu_tmpdir(), k);
        snprintf(out, sizeof out, "%s/fitted%d.ini", tu_tmpdir(), k);
        tu_write(in, k ? bench : csv);
        snprintf(args, sizeof args, "calibrate --profile a15 %s --out %s", in, out);
        ck_assert_msg(tu_run(args, NULL, &err) == 0, "%s", err);
        free(err);
        snprintf(args, sizeof args, "cat %s", out);
        tu_sh(args, &text, NULL);
        ck_assert_msg(strstr(text, "[dram]\nsustained_gbs = 20.00\n"), "%s", text);
        ck_assert_msg(strstr(text, "[compute]\nlayer_fixed_us = 50.00\n"), "%s", text);
        ck_assert_msg(strstr(text, "[calibration]\nfitted_to = ") &&
                      strstr(text, "(3 rows)") && strstr(text, "residual_pct.3.m2 = "),
                      "%s", text);
        free(text);
        /* lanky sim on the fitted profile predicts what the fit says:
         * these models are DRAM-bound, so its per-operation roofline sum
         * is the fit's D / B + L f (the times here were made by it) */
        double d, l;
        traffic(shapes[1], &d, &l);
        snprintf(args, sizeof args, "sim --layers 8 --dim 1024 --heads 16 --vocab 32000 "
                 "--profile %s --mode analytic --format json", out);
        ck_assert_int_eq(tu_run(args, &text, NULL), 0);
        const char *at = strstr(text, "\"latency_ms_per_token\":");
        ck_assert_msg(at, "%s", text);
        double ms = strtod(at + strlen("\"latency_ms_per_token\":"), NULL);
        ck_assert_msg(fabs(ms / closed_form(d, l, 20.0, 50.0) - 1) < 0.005, "%g ms", ms);
        free(text);
        /* fitting the fitted profile again replaces the keys, not adds */
        snprintf(args, sizeof args, "calibrate --profile %s %s --out %s.2", out, in, out);
        ck_assert_msg(tu_run(args, NULL, &err) == 0, "%s", err);
        free(err);
        snprintf(args, sizeof args, "grep -c '^sustained_gbs =\\|^layer_fixed_us =\\|"
                 "^\\[calibration\\]' %s.2", out);
        tu_sh(args, &text, NULL);
        ck_assert_str_eq(text, "3\n");
        free(text);
        /* a profile with DRAM efficiencies (lanky probe's host.ini): the
         * fitted bandwidth already includes them, so they are dropped and
         * lanky sim still predicts the fit */
        snprintf(args, sizeof args, "sed 's/^\\[dram\\]$/[dram]\\nmatvec_efficiency_f16 = 0.5"
                 "\\nmatvec_efficiency_f16.source = t/' %s > %s.eff", out, out);
        ck_assert_int_eq(tu_sh(args, NULL, NULL), 0);
        snprintf(args, sizeof args, "calibrate --profile %s.eff %s --out %s.3", out, in, out);
        ck_assert_msg(tu_run(args, NULL, &err) == 0, "%s", err);
        free(err);
        snprintf(args, sizeof args, "grep -c 'efficiency' %s.eff %s.3", out, out);
        tu_sh(args, &text, NULL);
        ck_assert_msg(strstr(text, ".eff:2\n") && strstr(text, ".3:0\n"), "%s", text);
        free(text);
        snprintf(args, sizeof args, "sim --layers 8 --dim 1024 --heads 16 --vocab 32000 "
                 "--profile %s.3 --mode analytic --format json", out);
        ck_assert_int_eq(tu_run(args, &text, NULL), 0);
        at = strstr(text, "\"latency_ms_per_token\":");
        ck_assert_msg(at, "%s", text);
        ms = strtod(at + strlen("\"latency_ms_per_token\":"), NULL);
        ck_assert_msg(fabs(ms / closed_form(d, l, 20.0, 50.0) - 1) < 0.005, "%g ms", ms);
        free(text);
    }
    char args[1024], *err;
    snprintf(args, sizeof args, "calibrate --profile a15 %s --out %s/x.ini",
             tu_path("sweeps/table7.csv"), tu_tmpdir());
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "table7.csv:1: no measured time column"), "%s", err);
    free(err);
}
END_TEST

/* A sweep's measured output labels its rows with a "group" column (the
 * size class, text): calibrate reads it as the label it is, not as
 * int4's --group option. */
START_TEST(group_column_is_a_label)
{
    char in[512], args[1200], *err;
    snprintf(in, sizeof in, "%s/labelled.csv", tu_tmpdir());
    tu_write(in, "name,group,layers,dim,heads,vocab,execute_ms_median\n"
                 "a,125M,30,512,8,32000,5\nb,125M,8,1024,16,32000,4\n"
                 "c,350M,16,768,12,32000,4.5\n");
    snprintf(args, sizeof args, "calibrate --profile a15 %s --out %s/labelled.ini", in,
             tu_tmpdir());
    ck_assert_msg(tu_run(args, NULL, &err) == 0, "%s", err);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("calibrate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, recovers_exactly);
    tcase_add_test(tc, recovers_with_noise);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, negative_fixed_cost_clamped);
    tcase_add_test(tc, command_writes_profile);
    tcase_add_test(tc, group_column_is_a_label);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
