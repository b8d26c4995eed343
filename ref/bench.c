/* bench.c -- load / init / execute of the reference transformer on this
 * machine, as the paper's Table 7 splits them (see bench.h).
 *
 * execute is measured at context position ctx without running ctx real
 * tokens first: the KV cache positions 0..ctx-1 are filled with a
 * deterministic pattern (ref_state_fill_kv), which costs a decode step
 * exactly what real keys and values would (attention reads the same
 * number of bytes and does the same arithmetic). Every timed token runs
 * at position ctx, overwriting the same cache slot.
 *
 * The DRAM readings around each round use the decode's own pool, so they
 * see the same threads and the same neighbours on the machine.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/clock.h"
#include "../common/stats.h"
#include "model.h"
#include "stream.h"
#include "weights.h"

static void step(const ref_bench_opts *o, const char *phase, int done, int total)
{
    if (o->progress)
        o->progress(phase, done, total);
}

/* The median of r->prefills prefills of o->prompt tokens (positions 0..,
 * over the cache the decode timing used), each kept in r->prefill_run_ms;
 * tok: o->prompt slots. */
static double time_prefill(ref_state *st, int64_t *tok, const ref_bench_opts *o,
                           int64_t vocab, ref_bench_result *r)
{
    double ms[REF_BENCH_MAX_REPEAT];
    int n = r->prefills;
    for (int k = 0; k < n; k++) {
        step(o, "prefill", k, n);
        for (int64_t i = 0; i < o->prompt; i++)
            tok[i] = (i * 7 + k + 1) % vocab;
        double t0 = lk_clock_ms();
        ref_prefill(st, tok, o->prompt, o->batch);
        ms[k] = r->prefill_run_ms[k] = lk_clock_ms() - t0;
    }
    return lk_stats_median(ms, n);
}

static int measure(const arch_spec *s, const ref_bench_opts *o, pool *p,
                   ref_bench_result *r, lk_err *e)
{
    arch_spec spec = *s;
    ref_weights w;
    ref_state st;
    step(o, "load", 0, 1);
    double t0 = lk_clock_ms();
    int rc = ref_weights_load(&w, &spec, o->seed, o->checkpoint, p, e);
    if (rc)
        return rc;
    if (o->prompt > spec.seq_len) { /* spec is final only now (checkpoint) */
        ref_weights_free(&w);
        return lk_fail(e, LK_EINPUT, "prompt: %lld tokens do not fit seq_len %lld",
                       (long long)o->prompt, (long long)spec.seq_len);
    }
    r->load_ms = lk_clock_ms() - t0;

    step(o, "init", 0, 1);
    t0 = lk_clock_ms();
    if ((rc = ref_state_build(&st, &w, p, e))) {
        ref_weights_free(&w);
        return rc;
    }
    ref_forward(&st, 0, 0); /* warm-up: first touch of every weight page */
    r->init_ms = lk_clock_ms() - t0;

    int n = o->tokens > 0 ? o->tokens : 1, rounds = o->repeat > 0 ? o->repeat : 1;
    double *ms = malloc((size_t)n * rounds * sizeof *ms);
    double *round_ms = malloc((size_t)rounds * sizeof *round_ms);
    double *gbs = malloc((size_t)(2 * rounds) * sizeof *gbs); /* DRAM readings */
    double *gflops = malloc((size_t)(2 * rounds) * sizeof *gflops); /* compute readings */
    int64_t *tok = malloc((size_t)(o->prompt + 1) * sizeof *tok);
    ref_stream dram = {0};
    ref_compute cpu = {0};
    if (!ms || !round_ms || !gbs || !gflops || !tok)
        rc = lk_fail(e, LK_ERUN, "bench: out of memory");
    else if (!(rc = ref_stream_build(&dram, p, REF_STREAM_DRAM_BYTES, e)))
        rc = ref_compute_build(&cpu, p, spec.dtype, REF_COMPUTE_BYTES, e);
    if (!rc) {
        ref_state_fill_kv(&st, spec.ctx);
        memset(st.time_ms, 0, sizeof st.time_ms);
        for (int k = 0; k < rounds; k++) {
            gbs[2 * k] = ref_stream_gbs(&dram, p);
            gflops[2 * k] = ref_compute_gflops(&cpu, p);
            double *round = ms + (size_t)k * n;
            for (int i = 0; i < n; i++) {
                step(o, "decode", k * n + i, n * rounds);
                t0 = lk_clock_ms();
                ref_forward(&st, (i + 1) % spec.vocab, spec.ctx);
                round[i] = lk_clock_ms() - t0;
            }
            gflops[2 * k + 1] = ref_compute_gflops(&cpu, p);
            gbs[2 * k + 1] = ref_stream_gbs(&dram, p);
            for (int i = 0; i < n; i++)
                r->round_ms[k] += round[i];
            round_ms[k] = lk_stats_median(round, n);
        }
        r->repeats = rounds;
        /* the median: one reading disturbed by another VM (a 12% dip in
         * one row of a report) would move a mean, and the prediction
         * with it */
        r->paired_dram_gbs = lk_stats_median(gbs, 2 * rounds);
        r->paired_gflops = lk_stats_median(gflops, 2 * rounds);
        r->execute_ms_mean = lk_stats_mean(round_ms, rounds);
        r->execute_ms_std = lk_stats_std(round_ms, rounds);
        r->execute_ms_median = lk_stats_median(round_ms, rounds);
        r->execute_ms = lk_stats_median(ms, n * rounds);
        n *= rounds; /* the parts below are per timed token */
        r->matvec_ms = st.time_ms[REF_TIME_MATVEC] / n;
        r->attention_ms = st.time_ms[REF_TIME_ATTENTION] / n;
        r->other_ms = st.time_ms[REF_TIME_OTHER] / n;
        r->tokens_per_s = 1e3 / r->execute_ms;
        if (o->prompt > 0) {
            r->prefills = rounds > 3 ? rounds : 3;
            r->prefill_ms = time_prefill(&st, tok, o, spec.vocab, r);
        }
        r->executed_layers = arch_executed_layers(&spec);
        r->ctx = spec.ctx;
        r->spec = spec;
        arch_params ap;
        arch_params_count(&spec, &ap, NULL); /* cannot fail: spec is finished */
        r->weight_bytes_per_token = ap.weight_read_bytes;
        r->kv_bytes_per_token = ap.kv_read_bytes;
    }
    ref_stream_free(&dram);
    ref_compute_free(&cpu);
    free(ms);
    free(round_ms);
    free(gbs);
    free(gflops);
    free(tok);
    ref_state_free(&st);
    ref_weights_free(&w);
    return rc;
}

int ref_bench(const arch_spec *s, const ref_bench_opts *o,
              ref_bench_result *r, lk_err *e)
{
    pool *p;
    int rc = pool_create(&p, o->threads, e);
    if (rc)
        return rc;
    *r = (ref_bench_result){.threads = pool_threads(p)};
    pool_cores_text(p, r->cores, sizeof r->cores);
    rc = measure(s, o, p, r, e);
    pool_free(p);
    return rc;
}
