/* bench_sim.c -- speed of the simulator layer (issue 4 targets).
 *
 *   analytic sweep  the 19 specs of sweeps/table9.csv (the paper's Table 9
 *                   depth/width models) x the four phone profiles in
 *                   analytic mode, through sweep_run() as `lanky sweep`
 *                   runs it: target under 1 second in all.
 *   exact mode      one sim_token() of MobileLLM-LS-125M (f16, ctx 512)
 *                   on each phone profile: cache-line accesses per second
 *                   at the innermost level (two tokens: warm + measured),
 *                   reported against the analytic mode's time for the
 *                   same token in the same run.
 *
 * Exits 1 if the sweep misses its target.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/clock.h"
#include "../reports/sweep.h"
#include "../sim/profile.h"
#include "../sim/trace.h"
#include "testutil.h"

static const char *const profiles[] = {"a15", "a16", "pixel8", "snapdragon8"};

static void die(const lk_err *e)
{
    fprintf(stderr, "bench_sim: %s\n", e->msg);
    exit(1);
}

static void count_lines(void *u, uint64_t addr, uint64_t bytes, bool write,
                        sim_class cls)
{
    (void)write;
    (void)cls;
    uint64_t *c = u; /* c[0]: log2 line, c[1]: lines */
    c[1] += ((addr + bytes - 1) >> c[0]) - (addr >> c[0]) + 1;
}

static double analytic_sweep(void)
{
    sweep_opts o = {.profiles = profiles, .nprofiles = 4,
                    .sim = {.mode = SIM_ANALYTIC}};
    lk_table *t;
    int status;
    lk_err e = {0};
    double t0 = lk_clock_ms();
    if (sweep_run(tu_path("sweeps/table9.csv"), &o, &t, &status, &e))
        die(&e);
    double s = (lk_clock_ms() - t0) / 1e3;
    printf("analytic sweep: %d rows (table9.csv x 4 profiles) in %.3f s "
           "(target < 1 s)\n", lk_table_rows(t), s);
    lk_table_free(t);
    return s;
}

static void exact_speed(void)
{
    arch_spec s;
    lk_err e = {0};
    arch_spec_init(&s);
    if (arch_spec_preset(&s, "mobilellm-ls-125m", &e) || arch_spec_finish(&s, &e))
        die(&e);
    sim_trace tr;
    if (sim_trace_build(&tr, &s, &e))
        die(&e);
    for (int i = 0; i < 4; i++) {
        sim_profile *p;
        if (sim_profile_load(&p, profiles[i], &e))
            die(&e);
        uint64_t c[2] = {__builtin_ctz(p->level[0].cfg.line_bytes), 0};
        sim_sink k = {.u = c, .access = count_lines};
        sim_trace_token(&tr, &k);
        sim_result r;
        double t0 = lk_clock_ms();
        if (sim_token(&s, p, &(sim_opts){.mode = SIM_EXACT}, &r, &e))
            die(&e);
        double tx = (lk_clock_ms() - t0) / 1e3;
        t0 = lk_clock_ms();
        if (sim_token(&s, p, &(sim_opts){.mode = SIM_ANALYTIC}, &r, &e))
            die(&e);
        double ta = (lk_clock_ms() - t0) / 1e3;
        printf("exact %-12s %llu line accesses in %.3f s: %.0f M lines/s; "
               "analytic %.4f s (%.0fx faster)\n",
               profiles[i], (unsigned long long)(2 * c[1]), tx, 2 * c[1] / tx / 1e6,
               ta, tx / ta);
        sim_profile_free(p);
    }
    sim_trace_free(&tr);
}

int main(void)
{
    printf("bench_sim: MobileLLM-LS-125M exact vs analytic, then a Table 9 sweep\n");
    exact_speed();
    return analytic_sweep() < 1.0 ? 0 : 1;
}
