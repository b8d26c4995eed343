/* bench_ref.c -- `make bench`: the reference transformer against this
 * machine's memory bandwidth, and the paper's Table 7 on this machine.
 *
 * 1. Decode roofline. For MobileLLM-125M and -350M in f32, f16 and int8 at
 *    1 and 2 threads: tokens/s (median of --tokens decode steps at
 *    position ctx = 512), bytes one token reads (weights of every executed
 *    layer + classifier + one embedding row, plus the KV cache up to ctx),
 *    achieved GB/s = bytes / execute time, and the ratio to the roofline
 *    bandwidth / bytes, with the streaming-read bandwidth measured in this
 *    run by probe_read_gbs() on a 512 MB buffer (far beyond the 32 MB L3)
 *    with the same number of threads. Target: >= 0.80 at 2 threads.
 *
 * 2. Table 7 analogue (f16 as the paper's ExecuTorch runs, 2 threads):
 *    MobileLLM-125M (30 layers), MobileLLM-LS-125M (2 x 30, immediate),
 *    the same with repeat-all-over and reverse, and 60 distinct layers;
 *    load / init / execute and each ratio to the 30-layer model. Targets:
 *    immediate execute <= 1.25x, 60 distinct and repeat-all-over >= 1.6x.
 *
 * Other programs may share this machine (the team runs builds and
 * benchmarks side by side), and contention only ever makes a run slower.
 * So every configuration is measured in ROUNDS interleaved rounds (all
 * configurations once per round) and keeps its fastest round; bandwidth
 * keeps its best probe too.
 *
 * Verdicts are printed (PASS / MISSED); the exit status is 0 unless
 * something fails to run, so the other benchmarks still run.
 */
#include <stdio.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../ref/bench.h"
#include "../ref/kern.h"
#include "../ref/probe.h"
#include "testutil.h"

#define TOKENS 15
#define ROUNDS 3
#define PROBE_BYTES ((size_t)512 << 20)

static int spec_of(arch_spec *s, const char *preset, const char *dtype,
                   const char *share, const char *layers)
{
    lk_err e = {0};
    arch_spec_init(s);
    if (arch_spec_preset(s, preset, &e) || arch_spec_set(s, "dtype", dtype, &e) ||
        (share && arch_spec_set(s, "share", share, &e)) ||
        (layers && arch_spec_set(s, "layers", layers, &e)) || arch_spec_finish(s, &e)) {
        fprintf(stderr, "bench_ref: %s: %s\n", preset, e.msg);
        return 1;
    }
    return 0;
}

static double bandwidth(int threads)
{
    lk_err e = {0};
    pool *p;
    if (pool_create(&p, threads, &e))
        return 0;
    double gbs = probe_read_gbs(p, PROBE_BYTES);
    pool_free(p);
    return gbs;
}

/* Measure once more; r keeps the fastest of each phase over the rounds
 * (round 0 starts it). */
static int run(const arch_spec *s, int threads, int round, ref_bench_result *r)
{
    lk_err e = {0};
    ref_bench_opts o = {threads, TOKENS, 1, NULL};
    ref_bench_result x;
    if (ref_bench(s, &o, &x, &e)) {
        fprintf(stderr, "bench_ref: %s\n", e.msg);
        return 1;
    }
    if (round == 0) {
        *r = x;
        return 0;
    }
    r->load_ms = x.load_ms < r->load_ms ? x.load_ms : r->load_ms;
    r->init_ms = x.init_ms < r->init_ms ? x.init_ms : r->init_ms;
    if (x.execute_ms < r->execute_ms) {
        r->execute_ms = x.execute_ms;
        r->tokens_per_s = x.tokens_per_s;
    }
    return 0;
}

/* Bytes one decode token at position ctx reads (see the top comment). */
static double bytes_per_token(const arch_spec *s, const ref_bench_result *r)
{
    arch_params p;
    arch_params_count(s, &p, NULL);
    return (double)r->weight_bytes_per_token +
           (double)p.kv_bytes_per_layer_token * (double)(s->ctx + 1) *
               (double)r->executed_layers;
}

static int roofline(void)
{
    static const char *const models[] = {"mobilellm-125m", "mobilellm-350m"};
    static const char *const types[] = {"f32", "f16", "int8"};
    ref_bench_result r[2][2][3];
    double bw[2] = {0, 0};
    int missed = 0;
    for (int round = 0; round < ROUNDS - 1; round++)
        for (int t = 0; t < 2; t++) {
            double b = bandwidth(t + 1);
            bw[t] = b > bw[t] ? b : bw[t];
            for (int m = 0; m < 2; m++)
                for (int d = 0; d < 3; d++) {
                    arch_spec s;
                    if (spec_of(&s, models[m], types[d], NULL, NULL) ||
                        run(&s, t + 1, round, &r[t][m][d]))
                        return -1;
                }
        }
    printf("decode at ctx 512 vs the measured memory-bandwidth roofline (kernels: %s)\n",
           kern_name());
    printf("%-15s %-5s %3s %9s %13s %9s %9s %9s %7s\n", "model", "dtype", "thr",
           "tok/s", "bytes/token", "GB/s", "bw GB/s", "roof t/s", "ratio");
    for (int t = 0; t < 2; t++)
        for (int m = 0; m < 2; m++)
            for (int d = 0; d < 3; d++) {
                arch_spec s;
                spec_of(&s, models[m], types[d], NULL, NULL);
                const ref_bench_result *x = &r[t][m][d];
                double bytes = bytes_per_token(&s, x);
                double roof = bw[t] * 1e9 / bytes, ratio = x->tokens_per_s / roof;
                printf("%-15s %-5s %3d %9.2f %13.0f %9.2f %9.2f %9.2f %7.2f%s\n",
                       models[m], types[d], x->threads, x->tokens_per_s, bytes,
                       bytes * x->tokens_per_s / 1e9, bw[t], roof, ratio,
                       t == 1 ? ratio >= 0.8 ? "  PASS (>= 0.80)" : "  MISSED (>= 0.80)" : "");
                missed += t == 1 && ratio < 0.8;
            }
    return missed;
}

static int table7(void)
{
    static const struct {
        const char *name, *preset, *share, *layers;
    } rows[] = {
        {"MobileLLM-125M (30)", "mobilellm-125m", NULL, NULL},
        {"LS-125M immediate", "mobilellm-ls-125m", "immediate", NULL},
        {"LS-125M repeat-all-over", "mobilellm-ls-125m", "repeat-all-over", NULL},
        {"LS-125M reverse", "mobilellm-ls-125m", "reverse", NULL},
        {"60 distinct layers", "mobilellm-125m", NULL, "60"},
    };
    ref_bench_result r[5];
    int missed = 0;
    printf("\nTable 7 on this machine (f16, 2 threads, ctx 512; paper: iPhone 13)\n");
    printf("%-24s %5s %9s %9s %10s %7s %7s %7s\n", "model", "exec", "load ms", "init ms",
           "execute ms", "load x", "init x", "exec x");
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < 5; i++) {
            arch_spec s;
            if (spec_of(&s, rows[i].preset, "f16", rows[i].share, rows[i].layers) ||
                run(&s, 2, round, &r[i]))
                return -1;
        }
    for (int i = 0; i < 5; i++) {
        double x = r[i].execute_ms / r[0].execute_ms;
        const char *verdict = "";
        if (i == 1)
            verdict = x <= 1.25 ? "  PASS (<= 1.25)" : "  MISSED (<= 1.25)";
        if (i == 2 || i == 4)
            verdict = x >= 1.6 ? "  PASS (>= 1.6)" : "  MISSED (>= 1.6)";
        missed += (i == 1 && x > 1.25) || ((i == 2 || i == 4) && x < 1.6);
        printf("%-24s %5lld %9.1f %9.1f %10.2f %7.2f %7.2f %7.2f%s\n", rows[i].name,
               (long long)r[i].executed_layers, r[i].load_ms, r[i].init_ms,
               r[i].execute_ms, r[i].load_ms / r[0].load_ms, r[i].init_ms / r[0].init_ms,
               x, verdict);
    }
    return missed;
}

int main(void)
{
    printf("== bench_ref: reference transformer (%d physical cores)\n",
           pool_physical_cores());
    int a = roofline(), b = a < 0 ? -1 : table7();
    if (a < 0 || b < 0)
        return 1;
    printf("\nbench_ref: %d target(s) missed\n", a + b);
    return 0;
}
