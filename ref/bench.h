/* bench.h -- real measurement of the reference transformer on this
 * machine, in the three phases of the paper's Table 7.
 *
 *   load     open and map (checkpoint) or generate (seeded) the weights
 *   init     allocate state and KV caches, first touch, warm-up token
 *   execute  median wall time of one decode token at position spec->ctx
 *
 * in `repeat` rounds of `tokens` timed tokens each, with this machine's
 * DRAM read bandwidth (ref/stream.h, on a REF_STREAM_DRAM_BYTES buffer)
 * measured right before and right after every round, and with them the
 * mat-vec rate of the weight type in cache (ref_compute), so that a
 * prediction can use the bandwidth and the compute the machine had while
 * it was timed (both change 2x within minutes on a shared VM);
 *
 * and, when asked (prompt > 0), the time to first token: a prefill of
 * `prompt` tokens (ref_prefill), median of max(3, repeat) runs.
 *
 * Every run is kept, as llama-bench keeps its repetitions: round_ms (a
 * round's tokens, the whole of one "tg" test) and prefill_run_ms (one
 * "pp" test each); lanky bench prints their llama-bench statistics.
 */
#ifndef REF_BENCH_H
#define REF_BENCH_H

#include <stdint.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "pool.h"

/* The most rounds the command line takes: repeat x tokens timings are
 * kept (1e6 tokens x 100 doubles: 800 MB). */
#define REF_BENCH_MAX_REPEAT 100

typedef struct {
    int threads;            /* <= 0: physical cores */
    int tokens;             /* decode tokens timed per round */
    uint64_t seed;          /* seeded weights when checkpoint is NULL */
    const char *checkpoint; /* llama2.c version-0 file, or NULL */
    int64_t prompt;         /* prefill tokens timed; 0: no prefill */
    int64_t batch;          /* prompt tokens per pass, 1..REF_BATCH
                               (other values: REF_BATCH) */
    /* When not NULL, told as each step starts: phase "load", "init",
     * "decode" or "prefill", step done (0-based) of total in it. */
    void (*progress)(const char *phase, int done, int total);
    int repeat;             /* rounds of `tokens` timed tokens; <= 0: 1 */
} ref_bench_opts;

typedef struct {
    int threads;
    char cores[POOL_CORES_TEXT]; /* the CPUs they ran on (pool_cores_text) */
    int64_t executed_layers;
    double load_ms, init_ms, execute_ms, tokens_per_s;
    int64_t ctx;                     /* the position timed */
    uint64_t weight_bytes_per_token; /* weight bytes one token reads */
    uint64_t kv_bytes_per_token;     /* KV bytes it reads: ctx+1 cached
                                        positions of every executed layer */
    double matvec_ms, attention_ms, other_ms; /* mean per timed token of
                                                 each part (REF_TIME_*) */
    double prefill_ms;               /* prompt > 0: the whole prefill */
    /* execute_ms is the median over all repeats x tokens timed tokens;
     * these are over the repeats rounds, each round's figure being the
     * median of its tokens (lk_stats_*: std is the sample standard
     * deviation, 0 for one round). */
    int repeats;
    double execute_ms_mean, execute_ms_std, execute_ms_median;
    double paired_dram_gbs; /* median of the 2 x repeats DRAM readings */
    double paired_gflops;   /* median of as many in-cache mat-vec readings of
                               the weight type (ref_compute, ref/stream.h) */
    double round_ms[REF_BENCH_MAX_REPEAT]; /* [repeats]: the sum of each
                                              round's token times */
    int prefills;                          /* prompt > 0: max(3, repeats) */
    double prefill_run_ms[REF_BENCH_MAX_REPEAT]; /* [prefills], in order */
    arch_spec spec; /* the spec measured, finished (a checkpoint's shape) */
} ref_bench_result;

/* Measure s as o asks, with a pool of o->threads. Errors: those of
 * ref_weights_load (a bad checkpoint), LK_EINPUT when o cannot run on s
 * (a prompt longer than seq_len), LK_ERUN when memory runs out. */
int ref_bench(const arch_spec *s, const ref_bench_opts *o,
              ref_bench_result *r, lk_err *e);

#endif
