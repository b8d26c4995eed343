/* test_profile.c -- the SoC profile reader: the shipped profiles and the
 * fixture load; every kind of malformed profile is rejected with its file
 * and line, in the library and through `lanky sim` (exit 2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../sim/profile.h"
#include "testutil.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}

/* The shipped profiles against the facts in ../shared/paper-notes.md
 * (typed here by hand): last-level cache (the paper's Table/SoC list;
 * Snapdragon 8's profile follows the other sources, L3 12 MB + SLC 6 MB,
 * so its last level is not the paper's 10 MB), peak DRAM bandwidth
 * (JEDEC data rate x 64-bit bus) and line size (Apple 128 B, Arm 64 B);
 * every level's energy per byte is rule R-SRAM at its size, rounded to
 * the two decimals the files carry, and the MAC energies are SOURCES.md's. */
START_TEST(shipped_profiles_load)
{
    static const struct {
        const char *name;
        double llc_mb, dram_gbs; /* llc_mb 0: not checked */
        unsigned line;
    } soc[] = {
        {"a15", 32, 34.1, 128},  /* LPDDR4X-4266 */
        {"a16", 24, 51.2, 128},  /* LPDDR5-6400 */
        {"pixel8", 8, 68.3, 64}, /* LPDDR5X-8533 */
        {"snapdragon8", 0, 76.8, 64}, /* LPDDR5X-9600 */
    };
    for (size_t i = 0; i < sizeof soc / sizeof soc[0]; i++) {
        sim_profile *p;
        lk_err e = {0};
        ck_assert_msg(sim_profile_load(&p, soc[i].name, &e) == LK_OK, "%s", e.msg);
        ck_assert_str_eq(sim_profile_name(p), soc[i].name);
        ck_assert_int_ge(p->nlevels, 2);
        const sim_profile_level *llc = &p->level[p->nlevels - 1];
        ck_assert_msg(!soc[i].llc_mb || llc->cfg.size_bytes == soc[i].llc_mb * 1048576,
                      "%s: last level %llu bytes", soc[i].name,
                      (unsigned long long)llc->cfg.size_bytes);
        ck_assert_msg(fabs(p->dram_bandwidth_gbs - soc[i].dram_gbs) < 0.05, "%s: %.2f GB/s",
                      soc[i].name, p->dram_bandwidth_gbs);
        ck_assert(p->dram_app_budget == 0.10 && SIM_APP_BUDGET == 0.10); /* paper, section 1 */
        for (int l = 0; l < p->nlevels; l++) {
            const sim_profile_level *v = &p->level[l];
            double rule = sim_profile_sram_pj_per_byte(v->cfg.size_bytes);
            ck_assert_uint_eq(v->cfg.line_bytes, soc[i].line);
            ck_assert_msg(fabs(v->energy_pj_per_byte - round(rule * 100) / 100) < 1e-9,
                          "%s level %d: %.2f pJ/B, R-SRAM gives %.4f", soc[i].name, l + 1,
                          v->energy_pj_per_byte, rule);
        }
        for (int d = ARCH_F32; d <= ARCH_INT8; d++) {
            const char *src;
            ck_assert_msg(p->mac_pj[d] == sim_profile_mac_pj(d, &src), "%s: mac_pj_%s %g",
                          soc[i].name, arch_dtype_name(d), p->mac_pj[d]);
        }
        sim_profile_free(p);
    }
}
END_TEST

/* The MAC energies against Horowitz's table (ISSCC 2014, 45 nm: FP32
 * multiply 3.7 + add 0.9, FP16 1.1 + 0.4, 8-bit multiply 0.2 + 32-bit
 * add 0.1 pJ; bf16 takes FP16's). */
START_TEST(mac_energy)
{
    const double want[] = {3.7 + 0.9, 1.1 + 0.4, 1.1 + 0.4, 0.2 + 0.1};
    for (int d = ARCH_F32; d <= ARCH_INT8; d++) {
        const char *src;
        ck_assert(fabs(sim_profile_mac_pj(d, &src) - want[d]) < 1e-12);
        ck_assert(strstr(src, d == ARCH_BF16 ? "assumption" : "Horowitz"));
    }
}
END_TEST

/* Rule R-SRAM at Horowitz's own points and at the sizes SOURCES.md
 * works out by hand (64 KB 3.45, 128 KB 4.76, 512 KB 9.06 pJ/B). */
START_TEST(sram_rule)
{
    static const double kb[] = {4, 8, 32, 64, 128, 512, 1024, 32768};
    static const double want[] = {1.25, 1.25, 2.5, 3.45, 4.76, 9.06, 12.5, 12.5};
    for (int i = 0; i < 8; i++) {
        double got = sim_profile_sram_pj_per_byte((uint64_t)(kb[i] * 1024));
        ck_assert_msg(fabs(got - want[i]) < 0.005, "%.0f KB: %.4f pJ/B, want %.2f", kb[i],
                      got, want[i]);
    }
}
END_TEST

START_TEST(fixture_values)
{
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, tu_path("tests/data/sim-two-level.ini"), &e) == LK_OK,
                  "%s", e.msg);
    ck_assert_str_eq(p->name, "sim-two-level");
    ck_assert_int_eq(p->nlevels, 2);
    ck_assert_str_eq(p->level[1].name, "SLC");
    ck_assert_uint_eq(p->level[0].cfg.size_bytes, 64 * 1024);
    ck_assert_uint_eq(p->level[1].cfg.size_bytes, 1024 * 1024);
    ck_assert_uint_eq(p->level[1].cfg.assoc, 16);
    ck_assert_int_eq(p->level[1].cfg.policy, SIM_SRRIP);
    ck_assert(p->level[1].shared && !p->level[0].shared);
    ck_assert(p->dram_bandwidth_gbs == 51.2 && p->dram_pj_per_bit == 4);
    ck_assert(p->peak_gops[ARCH_INT8] == 800 && p->mac_pj[ARCH_F32] == 4.6);
    /* the optional keys are absent: sustained = peak, no fixed or active cost */
    ck_assert(p->dram_sustained_gbs == 51.2 && p->level[1].sustained_gbs == 100);
    ck_assert(p->layer_fixed_us == 0 && p->active_mw == 0);
    /* and every operation reaches the sustained rate of every level */
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        ck_assert(p->dram_eff.matvec[d] == 1 && p->level[0].eff.matvec[d] == 1 &&
                  p->level[1].eff.matvec[d] == 1);
    ck_assert(p->dram_eff.attention == 1 && p->level[1].eff.attention == 1);
    /* no int4 figures: int8's (0.23 pJ in the fixture) */
    ck_assert(p->peak_gops[ARCH_INT4] == 800 && p->mac_pj[ARCH_INT4] == 0.23);
    sim_profile_free(p);
}
END_TEST

/* The fixture with `add` inserted right after the line `after`. */
static char *insert_after(char *text, const char *after, const char *add)
{
    char *at = strstr(text, after);
    ck_assert(at != NULL);
    at += strlen(after);
    char *out = malloc(strlen(text) + strlen(add) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - text), text, add, at);
    free(text);
    return out;
}

/* The optional keys of issue 14 are read where given, and a
 * [calibration] section of free-text keys is accepted and ignored. */
START_TEST(optional_keys)
{
    char *text = slurp(tu_path("tests/data/sim-two-level.ini"));
    text = insert_after(text, "[dram]\n", "sustained_gbs = 30.5\nsustained_gbs.source = t\n");
    text = insert_after(text, "[cache2]\n", "sustained_gbs = 80\nsustained_gbs.source = t\n");
    text = insert_after(text, "[compute]\n", "layer_fixed_us = 25\nlayer_fixed_us.source = t\n");
    text = insert_after(text, "[energy]\n", "active_mw = 1500\nactive_mw.source = t\n");
    text = insert_after(text, "[dram]\n", "matvec_efficiency_f16 = 0.74\n"
                        "matvec_efficiency_f16.source = t\nattention_efficiency = 0.5\n"
                        "attention_efficiency.source = t\n");
    text = insert_after(text, "[cache2]\n", "matvec_efficiency_int8 = 0.9\n"
                        "matvec_efficiency_int8.source = t\n");
    text = insert_after(text, "[compute]\n", "gops_int4 = 650\ngops_int4.source = t\n");
    text = insert_after(text, "[compute]\n", "matmul_gflops_f16 = 300\n"
                        "matmul_gflops_f16.source = t\n");
    text = insert_after(text, "[energy]\n", "mac_pj_int4 = 0.2\nmac_pj_int4.source = t\n");
    char *out = malloc(strlen(text) + 200);
    sprintf(out, "%s\n[calibration]\nfitted_to = two rows\nresiduals_pct = -1.5, 2\n"
                 "anything.else = free text\n", text);
    char path[600];
    snprintf(path, sizeof path, "%s/optional.ini", tu_tmpdir());
    tu_write(path, out);
    free(text);
    free(out);
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, path, &e) == LK_OK, "%s", e.msg);
    ck_assert(p->dram_sustained_gbs == 30.5 && p->dram_bandwidth_gbs == 51.2);
    ck_assert(p->level[1].sustained_gbs == 80 && p->level[1].bandwidth_gbs == 100);
    ck_assert(p->level[0].sustained_gbs == 200);
    ck_assert(p->layer_fixed_us == 25 && p->active_mw == 1500);
    ck_assert(p->dram_eff.matvec[ARCH_F16] == 0.74 && p->dram_eff.attention == 0.5);
    ck_assert(p->dram_eff.matvec[ARCH_F32] == 1 && p->dram_eff.matvec[ARCH_INT8] == 1);
    ck_assert(p->level[1].eff.matvec[ARCH_INT8] == 0.9 && p->level[1].eff.matvec[ARCH_F16] == 1);
    ck_assert(p->level[1].eff.attention == 1 && p->level[0].eff.matvec[ARCH_INT8] == 1);
    ck_assert(p->peak_gops[ARCH_INT4] == 650 && p->mac_pj[ARCH_INT4] == 0.2);
    /* a prefill's products: their own rate where given, else the peak */
    ck_assert(p->matmul_gops[ARCH_F16] == 300 && p->matmul_gops[ARCH_INT4] == 650);
    ck_assert(p->matmul_gops[ARCH_F32] == p->peak_gops[ARCH_F32]);
    sim_profile_free(p);
}
END_TEST

/* A name is looked up in $LANKY_PROFILES first. */
START_TEST(lookup_env)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/env", tu_tmpdir());
    snprintf(path, sizeof path, "%s/mine.ini", dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char *text = slurp(tu_path("tests/data/sim-two-level.ini"));
    tu_write(path, text);
    free(text);
    setenv("LANKY_PROFILES", dir, 1);
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, "mine", &e) == LK_OK, "%s", e.msg);
    ck_assert_str_eq(p->path, path);
    sim_profile_free(p);
    ck_assert_int_eq(sim_profile_load(&p, "no-such-soc", &e), LK_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "no-such-soc"));
    unsetenv("LANKY_PROFILES");
}
END_TEST

/* inih reads at most 199 characters a line: longer lines still work,
 * values, ';' comments after them and whole '#' comment lines. */
START_TEST(long_lines)
{
    char *text = slurp(tu_path("tests/data/sim-two-level.ini"));
    char longsrc[700], *out = malloc(strlen(text) + 4000);
    memset(longsrc, 0, sizeof longsrc);
    for (int i = 0; i < 60; i++)
        strcat(longsrc, "word word ");
    const char *at = strstr(text, "size_kb.source = test fixture");
    /* the '#' line right after a number, which a continuation would join */
    sprintf(out, "%.*ssize_kb.source = %s\nsize_kb.why = %s ; %s\nline_bytes = 64\n# %s\n%s",
            (int)(at - text), text, longsrc, longsrc, longsrc, longsrc,
            strstr(at, "line_bytes = 64\n") + strlen("line_bytes = 64\n"));
    char path[600];
    snprintf(path, sizeof path, "%s/long.ini", tu_tmpdir());
    tu_write(path, out);
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, path, &e) == LK_OK, "%s", e.msg);
    sim_profile_free(p);
    free(text);
    free(out);
}
END_TEST

/* One malformed variant of the fixture: in `section`, the first line
 * starting with `old` becomes `new_text` ("" deletes it). The error must
 * name the line of the result that holds `err_at` (NULL: no line) and
 * say `what`. */
typedef struct {
    const char *section, *old, *new_text, *err_at, *what;
} bad_case;

static const bad_case cases[] = {
    {"[dram]", "type =", "[gpu]\nfoo = 1", "foo = 1", "unknown section [gpu]"},
    {"[dram]", "type =", "speed = 3", "speed = 3", "unknown key 'speed'"},
    {"[dram]", "type =", "type.note = 3", "type.note", "unknown key 'type.note'"},
    {"[dram]", "bandwidth_gbs = ", "", NULL, "missing [dram] bandwidth_gbs"},
    {"[compute]", "gops_int8 = ", "", NULL, "missing [compute] gops_int8"},
    {"[dram]", "bandwidth_gbs.source", "", "bandwidth_gbs = 51.2",
     "has no bandwidth_gbs.source"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = fast", "= fast", "not a decimal number"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = 51.2 GB/s", "GB/s", "not a decimal number"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = 0x10", "= 0x10", "not a decimal number"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = inf", "= inf", "not a decimal number"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = 1e-320", "= 1e-320", "out of range"},
    {"[energy]", "static_mw = ", "static_mw = -1", "= -1", "negative"},
    {"[dram]", "bandwidth_gbs = ", "bandwidth_gbs = 0", "bandwidth_gbs = 0",
     "must be positive"},
    {"[cache1]", "line_bytes = ", "line_bytes = 96", "= 96", "not a power of two"},
    {"[cache1]", "size_kb = ", "size_kb = 64.25", "= 64.25", "not a positive multiple"},
    {"[cache2]", "assoc = ", "assoc = 3", "size_kb = 1024", "not a positive multiple"},
    {"[cache1]", "policy = ", "policy = fifo", "= fifo", "not lru, random or srrip"},
    {"[cache1]", "shared = ", "shared = maybe", "= maybe", "not yes or no"},
    {"[cache1]", "assoc = ", "assoc = 8\nassoc = 4", "assoc = 4", "given twice"},
    {"[dram]", "type =", "this is not ini", "this is", "not a [section] or key = value"},
    {"[cache1]", "[cache1]", "[cache3]", "name = SLC", "follows a missing [cache1]"},
    {"[dram]", "[dram]", "[soc]\nname = again\n[dram]", "name = again",
     "section [soc] appears twice"},
    {"[cache1]", "size_kb = ", "size_kb = 8388608", "= 8388608", "over 4 GiB"},
    {"[energy]", "static_mw = ", "static_mw = 1e308", "= 1e308", "out of range (at most 1e15)"},
    {"[cache1]", "assoc = ", "assoc = 0", "assoc = 0", "1024 ways (fully associative)"},
    {"[cache2]", "assoc = ", "assoc = 512", "assoc = 512", "512 ways"},
    {"[dram]", "app_budget = ", "app_budget = 2", "app_budget = 2",
     "not a fraction in (0, 1]"},
    {"[cache1]", "size_kb = ", "size_kb = +64", "= +64", "not a decimal number"},
    {"[cache2]", "size_kb = ", "size_kb = 32", "size_kb = 32",
     "[cache2] size_kb: 32 KiB is smaller than [cache1]'s 64 KiB"},
    {"[dram]", "type =", "sustained_gbs = 20", "sustained_gbs = 20",
     "has no sustained_gbs.source"},
    {"[dram]", "type =", "sustained_gbs = 0\nsustained_gbs.source = t", "sustained_gbs = 0",
     "[dram] sustained_gbs must be positive"},
    {"[cache1]", "name =", "sustained_gbs = 0\nsustained_gbs.source = t", "sustained_gbs = 0",
     "[cache1] sustained_gbs must be positive"},
    {"[energy]", "static_mw = ", "static_mw = 0\nactive_mw = -5", "= -5", "negative"},
    {"[compute]", "gops_int8 = ", "gops_int8 = 800\nlayer_fixed_us = 3", "layer_fixed_us = 3",
     "has no layer_fixed_us.source"},
    {"[energy]", "static_mw = ", "static_mw = 0\n[calib]\nx = 1", "x = 1",
     "unknown section [calib]"},
    {"[dram]", "type =", "matvec_efficiency_f16 = 74\nmatvec_efficiency_f16.source = t",
     "matvec_efficiency_f16 = 74", "[dram] matvec_efficiency_f16: 74 is not in (0, 2]"},
    {"[cache2]", "name =", "attention_efficiency = 0\nattention_efficiency.source = t",
     "attention_efficiency = 0", "[cache2] attention_efficiency: 0 is not in (0, 2]"},
    {"[dram]", "type =", "matvec_efficiency_int8 = 0.8", "matvec_efficiency_int8 = 0.8",
     "has no matvec_efficiency_int8.source"},
};

/* Files that are not text: a NUL byte inside a value (strlen would read
 * "6<NUL>4" as 6), a FIFO (a reader would block forever) and a device
 * that never ends. One line naming the file, exit 2, within the test's
 * timeout. */
START_TEST(not_text)
{
    char nul[600], fifo[600], args[800], *out, *err;
    snprintf(nul, sizeof nul, "%s/nul.ini", tu_tmpdir());
    char *text = slurp(tu_path("tests/data/sim-two-level.ini"));
    char *at = strstr(text, "size_kb = 64");
    FILE *f = fopen(nul, "w");
    ck_assert(f && at);
    fwrite(text, 1, (size_t)(at - text) + 11, f);
    fwrite("\0", 1, 1, f);
    fputs(at + 11, f);
    fclose(f);
    free(text);
    snprintf(fifo, sizeof fifo, "%s/fifo.ini", tu_tmpdir());
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {nul, fifo, "/dev/zero"};
    const char *what[] = {":11: a NUL byte", ": not a regular file", ": not a regular file"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "sim --layers 2 --dim 64 --heads 2 --profile %s",
                 paths[i]);
        ck_assert_int_eq(tu_run(args, &out, &err), 2);
        ck_assert_msg(strstr(err, paths[i]) && strstr(err, what[i]) &&
                      strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
        free(out);
        free(err);
    }
}
END_TEST

/* The fixture with case c applied; *line is the line the error names. */
static char *apply(const bad_case *c, int *line)
{
    char *text = slurp(tu_path("tests/data/sim-two-level.ini"));
    char *sec = strstr(text, c->section);
    ck_assert(sec != NULL);
    char *at = strstr(sec, c->old);
    ck_assert(at != NULL);
    char *eol = strchr(at, '\n');
    char *out = malloc(strlen(text) + strlen(c->new_text) + 2);
    sprintf(out, "%.*s%s%s%s", (int)(at - text), text, c->new_text,
            *c->new_text ? "\n" : "", eol + 1);
    free(text);
    *line = 0;
    if (c->err_at) {
        char *mark = strstr(out, c->err_at);
        ck_assert(mark != NULL);
        *line = 1;
        for (char *s = out; s < mark; s++)
            *line += *s == '\n';
    }
    return out;
}

START_TEST(malformed)
{
    const bad_case *c = &cases[_i];
    int line;
    char *text = apply(c, &line);
    char path[600], want[700];
    snprintf(path, sizeof path, "%s/bad%d.ini", tu_tmpdir(), _i);
    tu_write(path, text);
    free(text);
    if (line)
        snprintf(want, sizeof want, "%s:%d: ", path, line);
    else
        snprintf(want, sizeof want, "%s: ", path);

    sim_profile *p = (sim_profile *)1;
    lk_err e = {0};
    ck_assert_int_eq(sim_profile_load(&p, path, &e), LK_EINPUT);
    ck_assert_ptr_null(p);
    ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0 && strstr(e.msg, c->what),
                  "case %d: got '%s', want '%s...%s'", _i, e.msg, want, c->what);

    char args[800], *out, *err;
    snprintf(args, sizeof args,
             "sim --layers 2 --dim 64 --heads 2 --vocab 64 --profile %s", path);
    ck_assert_int_eq(tu_run(args, &out, &err), 2);
    ck_assert_msg(strstr(err, want) && strstr(err, c->what), "CLI said: %s", err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(cli_errors)
{
    char *out, *err;
    ck_assert_int_eq(tu_run("sim --layers 2 --dim 64 --heads 2 --profile nowhere", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "lanky: profile 'nowhere'"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run("sim --layers 2 --dim 64 --heads 2", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--profile"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run("sim --layers 2 --dim 64 --heads 2 --profile a16 --mode fast",
                            &out, &err), 2);
    ck_assert_msg(strstr(err, "--mode: 'fast'"), "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run("sim --layers 2 --dim 64 --heads 2 --profile a16 --policy fifo",
                            &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "fifo"));
    free(out);
    free(err);
}
END_TEST

/* The value of column `name` in the first data row of a CSV. */
static double csv_col(const char *csv, const char *name)
{
    const char *row = strchr(csv, '\n');
    ck_assert(row != NULL);
    row++;
    int col = 0;
    for (const char *h = csv; h < row - 1; col++) {
        size_t n = strcspn(h, ",\n");
        if (n == strlen(name) && !strncmp(h, name, n)) {
            const char *v = row;
            for (int i = 0; i < col; i++)
                v = strchr(v, ',') + 1;
            return strtod(v, NULL);
        }
        h += n + 1;
    }
    ck_abort_msg("no column %s in: %s", name, csv);
    return 0;
}

/* The shipped phone profiles' CPU cluster power (issue 14, item 5): each
 * has active_mw > 0 whose .source names a tag of hw-profiles/SOURCES.md's
 * table (read here from the files, not through the loader), and
 * `lanky sim` splits energy as sim/cost.h's closed form says:
 *   energy_mj_per_token = dynamic + active + static,
 *   dynamic = DRAM + cache + MAC, active = active_mw x latency (mW x s = mJ),
 * to the 6 decimals the CSV prints. */
START_TEST(phone_active_power)
{
    static const char *const soc[] = {"a15", "a16", "pixel8", "snapdragon8"};
    char *sources = slurp(tu_path("hw-profiles/SOURCES.md"));
    for (size_t i = 0; i < sizeof soc / sizeof soc[0]; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "hw-profiles/%s.ini", soc[i]);
        char *ini = slurp(tu_path(rel));
        const char *src = strstr(ini, "\nactive_mw.source = ");
        ck_assert_msg(src != NULL, "%s: no active_mw.source", soc[i]);
        src += strlen("\nactive_mw.source = ");
        size_t len = strcspn(src, "\n");
        int tags = 0;
        for (const char *b = src; (b = memchr(b, '[', len - (size_t)(b - src))); b++) {
            const char *end = memchr(b, ']', len - (size_t)(b - src));
            ck_assert(end != NULL);
            char row[80];
            snprintf(row, sizeof row, "\n| %.*s |", (int)(end - b - 1), b + 1);
            ck_assert_msg(strstr(sources, row), "%s: tag %s not in SOURCES.md", soc[i], row + 1);
            tags++;
        }
        ck_assert_msg(tags > 0, "%s: active_mw.source cites no tag", soc[i]);
        free(ini);

        sim_profile *p;
        lk_err e = {0};
        ck_assert_msg(sim_profile_load(&p, soc[i], &e) == LK_OK, "%s", e.msg);
        ck_assert_msg(p->active_mw > 0, "%s: active_mw %g", soc[i], p->active_mw);
        char args[160], *out, *err;
        snprintf(args, sizeof args, "sim --preset mobilellm-125m --profile %s --format csv", soc[i]);
        ck_assert_int_eq(tu_run(args, &out, &err), 0);
        double total = csv_col(out, "energy_mj_per_token");
        double dynamic = csv_col(out, "energy_dynamic_mj");
        double active = csv_col(out, "energy_active_mj");
        double ms = csv_col(out, "latency_ms_per_token");
        ck_assert_msg(fabs(dynamic - (csv_col(out, "energy_dram_mj") + csv_col(out, "energy_cache_mj") +
                                      csv_col(out, "energy_mac_mj"))) < 2e-6,
                      "%s: dynamic %.6f", soc[i], dynamic);
        ck_assert_msg(fabs(active - p->active_mw * ms * 1e-3) < 1e-5 * active,
                      "%s: active %.6f mJ, %g mW x %.6f ms", soc[i], active, p->active_mw, ms);
        ck_assert_msg(fabs(total - (dynamic + active + csv_col(out, "energy_static_mj"))) < 2e-6,
                      "%s: total %.6f", soc[i], total);
        free(out);
        free(err);
        sim_profile_free(p);
    }
    free(sources);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("profile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shipped_profiles_load);
    tcase_add_test(tc, phone_active_power);
    tcase_add_test(tc, sram_rule);
    tcase_add_test(tc, mac_energy);
    tcase_add_test(tc, fixture_values);
    tcase_add_test(tc, optional_keys);
    tcase_add_test(tc, lookup_env);
    tcase_add_test(tc, long_lines);
    tcase_add_loop_test(tc, malformed, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, cli_errors);
    tcase_add_test(tc, not_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
