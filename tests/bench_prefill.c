/* bench_prefill.c -- `make bench`: how close a prefill comes to this
 * machine's compute peak (issue 18).
 *
 * For MobileLLM-125M and -350M in f32, f16, bf16 and int8, 2 threads: a
 * prefill of PROMPT tokens (ref_prefill through ref_bench: REF_BATCH
 * tokens a pass over the weights, the median of 3 runs) and, right before
 * and right after it with the same 2 threads, the compute peak of the
 * instruction that type's products use (probe_peak_gflops: a register-only
 * loop; vdpbf16ps for bf16 where the CPU has it, vpdpbusd for int8): other
 * programs share this machine, so only a peak taken beside the prefill is
 * a fair ratio, and the two peaks are averaged.
 *
 * GFLOP/s counts 2 per multiply-add of the matrix products, taken from the
 * plan's stages (arch/plan.h: every stage's MACs but attention's, for
 * each prompt token, and the classifier's once, as a prefill runs it for
 * the last token only). Attention and the other work of a prefill take
 * time but are not counted, so the fraction understates the kernels'.
 *
 * Targets: f32 and f16 >= 0.60 of their peak, bf16 and int8 >= 0.50
 * (a PASS or MISSED line each); the exit status is 1 when one is missed.
 */
#include <hwloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../arch/plan.h"
#include "../ref/bench.h"
#include "../ref/kern.h"
#include "../ref/model.h"
#include "../ref/pool.h"
#include "../host/probe.h"

#define PROMPT 512
#define THREADS 2

/* The matrix-product MACs of a PROMPT-token prefill of s (see the top). */
static int prefill_macs(const arch_spec *s, double *macs)
{
    arch_plan p;
    lk_err e = {0};
    if (arch_plan_build(&p, s, &e)) {
        fprintf(stderr, "bench_prefill: %s\n", e.msg);
        return 1;
    }
    *macs = 0;
    for (int64_t i = 0; i < p.n_stages; i++) {
        const arch_stage *st = &p.stage[i];
        if (strcmp(st->name, "attention") != 0)
            *macs += (double)st->macs * (st->first >= p.head_op ? 1 : PROMPT);
    }
    arch_plan_free(&p);
    return 0;
}

/* "L1d 48 KiB, L2 2048 KiB, L3 ..." as hwloc reports them (per core
 * unless shared). */
static void caches(char *out, size_t n)
{
    hwloc_topology_t t;
    out[0] = 0;
    if (hwloc_topology_init(&t) < 0 || hwloc_topology_load(t) < 0)
        return;
    static const hwloc_obj_type_t types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
                                             HWLOC_OBJ_L3CACHE};
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(t, types[i], 0);
        if (o && o->attr && len < n)
            len += (size_t)snprintf(out + len, n - len, "%sL%d%s %llu KiB", len ? ", " : "",
                                    i + 1, i ? "" : "d",
                                    (unsigned long long)(o->attr->cache.size >> 10));
    }
    hwloc_topology_destroy(t);
}

int main(void)
{
    static const char *const models[] = {"mobilellm-125m", "mobilellm-350m"};
    static const char *const types[] = {"f32", "f16", "bf16", "int8"};
    static const double target[] = {0.60, 0.60, 0.50, 0.50}; /* issue 18 */
    char cpu[128], cache[160];
    probe_cpu_name(cpu, sizeof cpu);
    caches(cache, sizeof cache);
    printf("== bench_prefill: prefill of %d tokens at %d threads against the compute peak\n"
           "   on %s (%s), kernels %s; load average shared with other programs\n\n",
           PROMPT, THREADS, cpu, cache, kern_name());
    printf("%-15s %-5s %9s %10s %10s %10s %10s %7s %6s\n", "model", "dtype", "MMAC/tok",
           "tokens/s", "GFLOP/s", "peak", "peak", "frac", "target");
    printf("%-15s %-5s %9s %10s %10s %10s %10s\n", "", "", "", "", "", "before", "after");
    pool *p;
    lk_err e = {0};
    if (pool_create(&p, THREADS, &e)) {
        fprintf(stderr, "bench_prefill: %s\n", e.msg);
        return 1;
    }
    int missed = 0, failed = 0;
    for (int m = 0; m < 2; m++)
        for (int d = 0; d < 4; d++) {
            arch_spec s;
            arch_spec_init(&s);
            double macs;
            ref_bench_result r;
            ref_bench_opts o = {.threads = THREADS, .tokens = 1, .seed = 1, .prompt = PROMPT,
                                .batch = REF_BATCH};
            if (arch_spec_preset(&s, models[m], &e) || arch_spec_set(&s, "dtype", types[d], &e) ||
                arch_spec_finish(&s, &e) || prefill_macs(&s, &macs)) {
                fprintf(stderr, "bench_prefill: %s %s: %s\n", models[m], types[d], e.msg);
                failed = 1;
                continue;
            }
            arch_dtype t = s.dtype;
            double before = probe_peak_gflops(p, t);
            if (ref_bench(&s, &o, &r, &e)) {
                fprintf(stderr, "bench_prefill: %s %s: %s\n", models[m], types[d], e.msg);
                failed = 1;
                continue;
            }
            double after = probe_peak_gflops(p, t);
            double gflops = 2 * macs / r.prefill_ms / 1e6, frac = gflops / ((before + after) / 2);
            bool pass = frac >= target[d];
            missed += !pass;
            printf("%-15s %-5s %9.1f %10.1f %10.1f %10.1f %10.1f %7.2f %6.2f %s\n", models[m],
                   types[d], macs / PROMPT / 1e6, PROMPT * 1e3 / r.prefill_ms, gflops, before,
                   after, frac,
                   target[d], pass ? "PASS" : "MISSED");
            fflush(stdout);
        }
    pool_free(p);
    printf("\nbench_prefill: %d target(s) missed\n", missed);
    return missed || failed ? 1 : 0;
}
