/* cmd_bench.c -- `lanky bench`: real load / init / execute on this machine
 * (ref_bench, see ref/bench.h), printed as llama-bench's records too.
 *
 * llama-bench (llama.cpp tools/llama-bench) prints one record per test:
 * pp<N>, a prompt of N tokens, and tg<N>, N generated tokens, each
 * repeated -r times; a test's samples_ns are the wall times of its whole
 * runs, samples_ts = (n_prompt + n_gen) * 1e9 / samples_ns, and avg/stddev
 * the mean and sample standard deviation of each (0 for one run). lanky's
 * runs: a tg test is one round of --tokens decode tokens (the sum of their
 * times, ref_bench_result.round_ms), a pp test one prefill
 * (prefill_run_ms). Both records carry every lanky column as well, so a
 * row of either is the same as lanky's one row was. README: the mapping.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../common/stats.h"
#include "../ref/bench.h"
#include "../ref/model.h"
#include "cli.h"

static const char columns[] =
    "dtype,threads,ctx,executed_layers,load_ms,init_ms,execute_ms,tokens_per_s,"
    "weight_read_bytes_per_token,kv_read_bytes_per_token,gb_per_s,matvec_ms,attention_ms,other_ms";
/* appended with --prompt N: the time to first token of an N-token prompt */
static const char prefill_columns[] = ",prompt_tokens,prefill_ms,prefill_tokens_per_s";
/* last, so that the columns before keep their places: the rounds of
 * --repeats (ref_bench_result) */
static const char repeat_columns[] =
    ",repeats,execute_ms_mean,execute_ms_std,execute_ms_median,paired_dram_gbs";
/* after them, llama-bench's fields of the record's test (see the top) */
static const char llama_columns[] =
    ",test,n_prompt,n_gen,n_depth,avg_ns,stddev_ns,avg_ts,stddev_ts,samples_ts,samples_ns";
/* then the CPUs the workers ran on, as a --cores LIST ("0-1"), and the
 * compute reading paired with the rounds (ref_bench_result) */
static const char tail_columns[] = ",cores,paired_gflops";
/* --format md: llama-bench's own Markdown table (its md printer) */
static const char md_columns[] = "model,size,params,backend,threads,test,t/s";

/* llama-bench's -p, -n, -r and -d where they mean the same in lanky: -d,
 * the tokens in the KV cache before a generated token, is lanky's --ctx,
 * the position a timed token decodes at (ref/bench.h). */
static const cli_alias aliases[] = {
    {'p', "prompt"}, {'n', "tokens"}, {'r', "repeats"}, {'d', "ctx"}, {0, NULL},
};

static const cli_opt opts[] = {
    {"threads", true, "N     worker threads (default: physical cores)"},
    {"cores", true, "LIST  pin worker i to the i-th CPU of LIST, e.g. 4-7 or 0,2,4 (default: "
                    "the fastest cluster of a big.LITTLE aarch64 CPU, else every core)"},
    {"tokens", true, "N     decode tokens timed per round, median taken (default 16)"},
    {"repeats", true, "N     rounds of timed tokens, DRAM bandwidth read around each (default 1)"},
    {"seed", true, "S     seed of the generated weights (default 1)"},
    {"checkpoint", true, "FILE|DIR  a llama2.c version-0 checkpoint, a Hugging Face folder (config.json + safetensors) or a GGUF file, instead of seeded weights"},
    {"prompt", true, "N     also time a prefill of an N-token prompt (median of max(3, repeats) runs)"},
    {"batch", true, "N     prompt tokens per pass over the weights, 1 to 32 (default)"},
    {NULL, false, NULL},
};

/* One line on stderr, rewritten in place, when it is a terminal. */
static void progress(const char *phase, int done, int total)
{
    fprintf(stderr, "\r\033[Kbench: %s %d/%d", phase, done + 1, total);
}

/* One llama-bench test: its label and the figures of its runs. */
typedef struct {
    int64_t n_prompt, n_gen, n_depth;
    const double *run_ms;
    int runs;
    char label[64];
    double avg_ts, stddev_ts;
    double ns[REF_BENCH_MAX_REPEAT], ts[REF_BENCH_MAX_REPEAT];
} llama_test;

/* Fill the label as llama-bench prints it ("pp512", "tg128",
 * "tg128 @ d512") and the statistics of x->runs runs, from whole
 * nanoseconds as llama-bench's clock gives them. */
static void llama_stats(llama_test *x)
{
    int n = snprintf(x->label, sizeof x->label, x->n_gen ? "tg%lld" : "pp%lld",
                     (long long)(x->n_gen ? x->n_gen : x->n_prompt));
    if (x->n_depth > 0)
        snprintf(x->label + n, sizeof x->label - n, " @ d%lld", (long long)x->n_depth);
    for (int i = 0; i < x->runs; i++) {
        x->ns[i] = round(x->run_ms[i] * 1e6);
        x->ts[i] = (double)(x->n_prompt + x->n_gen) * 1e9 / x->ns[i];
    }
    x->avg_ts = lk_stats_mean(x->ts, x->runs);
    x->stddev_ts = lk_stats_std(x->ts, x->runs);
}

static void put_llama(lk_table *t, const llama_test *x)
{
    lk_table_put(t, "test", "%s", x->label);
    lk_table_puti(t, "n_prompt", x->n_prompt);
    lk_table_puti(t, "n_gen", x->n_gen);
    lk_table_puti(t, "n_depth", x->n_depth);
    lk_table_putf(t, "avg_ns", lk_stats_mean(x->ns, x->runs), 0);
    lk_table_putf(t, "stddev_ns", lk_stats_std(x->ns, x->runs), 0);
    lk_table_putf(t, "avg_ts", x->avg_ts, 6);
    lk_table_putf(t, "stddev_ts", x->stddev_ts, 6);
    lk_table_put_list(t, "samples_ts", x->ts, x->runs, 9);
    lk_table_put_list(t, "samples_ns", x->ns, x->runs, 17);
}

/* lanky's own columns, the same on every record. */
static void put_lanky(lk_table *t, const cli_args *a, const ref_bench_result *r,
                      int64_t prompt)
{
    lk_table_put(t, "dtype", "%s", arch_dtype_name(a->spec.dtype));
    lk_table_puti(t, "threads", r->threads);
    lk_table_puti(t, "ctx", r->ctx); /* a checkpoint's spec is finished by ref_bench */
    lk_table_puti(t, "executed_layers", r->executed_layers);
    lk_table_putf(t, "load_ms", r->load_ms, 3);
    lk_table_putf(t, "init_ms", r->init_ms, 3);
    lk_table_putf(t, "execute_ms", r->execute_ms, 3);
    lk_table_putf(t, "tokens_per_s", r->tokens_per_s, 2);
    lk_table_putu(t, "weight_read_bytes_per_token", r->weight_bytes_per_token);
    lk_table_putu(t, "kv_read_bytes_per_token", r->kv_bytes_per_token);
    lk_table_putf(t, "gb_per_s",
               (double)(r->weight_bytes_per_token + r->kv_bytes_per_token) / r->execute_ms / 1e6, 2);
    lk_table_putf(t, "matvec_ms", r->matvec_ms, 3);
    lk_table_putf(t, "attention_ms", r->attention_ms, 3);
    lk_table_putf(t, "other_ms", r->other_ms, 3);
    if (prompt) {
        lk_table_puti(t, "prompt_tokens", prompt);
        lk_table_putf(t, "prefill_ms", r->prefill_ms, 3);
        lk_table_putf(t, "prefill_tokens_per_s", (double)prompt * 1e3 / r->prefill_ms, 1);
    }
    lk_table_puti(t, "repeats", r->repeats);
    lk_table_putf(t, "execute_ms_mean", r->execute_ms_mean, 3);
    lk_table_putf(t, "execute_ms_std", r->execute_ms_std, 3);
    lk_table_putf(t, "execute_ms_median", r->execute_ms_median, 3);
    lk_table_putf(t, "paired_dram_gbs", r->paired_dram_gbs, 2);
    lk_table_putf(t, "paired_gflops", r->paired_gflops, 1); /* a column of its own, last */
}

/* A row of llama-bench's Markdown table, with its units: size in MiB
 * (GiB from 1 GiB), params in M (B from 1e9), "mean ± std" t/s. */
static void put_md(lk_table *t, const ref_bench_result *r, const llama_test *x)
{
    arch_params p;
    arch_params_count(&r->spec, &p, NULL); /* cannot fail: the spec is finished */
    char type[16];
    snprintf(type, sizeof type, "%s", arch_dtype_name(r->spec.dtype));
    for (char *c = type; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    lk_table_put(t, "model", "%s %s", r->spec.name, type);
    double mib = (double)p.weight_bytes / (1 << 20);
    lk_table_put(t, "size", mib < 1024 ? "%.2f MiB" : "%.2f GiB", mib < 1024 ? mib : mib / 1024);
    lk_table_put(t, "params", p.total < 1000000000 ? "%.2f M" : "%.2f B",
              (double)p.total / (p.total < 1000000000 ? 1e6 : 1e9));
    lk_table_put(t, "backend", "CPU");
    lk_table_puti(t, "threads", r->threads);
    lk_table_put(t, "test", "%s", x->label);
    lk_table_put(t, "t/s", "%.2f ± %.2f", x->avg_ts, x->stddev_ts);
}

static int run(const cli_args *a, lk_err *e)
{
    /* --repeats, not --repeat: that is the spec's executions of a block */
    int64_t threads, tokens, repeat, seed, prompt, batch;
    int rc;
    if ((rc = cli_threads(a, &threads, e)) || (rc = cli_cores(a, e)) ||
        (rc = cli_int(a, "tokens", 16, 1, 1000000, &tokens, e)) ||
        (rc = cli_int(a, "repeats", 1, 1, REF_BENCH_MAX_REPEAT, &repeat, e)) ||
        (rc = cli_int(a, "seed", 1, 0, INT64_MAX, &seed, e)) ||
        (rc = cli_int(a, "prompt", 0, 1, INT32_MAX, &prompt, e)) ||
        (rc = cli_int(a, "batch", REF_BATCH, 1, REF_BATCH, &batch, e)))
        return rc;
    if (cli_value(a, "batch") && !prompt)
        return lk_fail(e, LK_EINPUT, "--batch: applies to a prompt; give --prompt N too");
    ref_bench_opts o = {(int)threads, (int)tokens, (uint64_t)seed,
                        cli_value(a, "checkpoint"), prompt, batch,
                        isatty(STDERR_FILENO) ? progress : NULL, (int)repeat};
    ref_bench_result *r = calloc(1, sizeof *r);
    if (!r)
        return lk_fail(e, LK_ERUN, "out of memory");
    rc = ref_bench(&a->spec, &o, r, e);
    if (o.progress)
        fputs("\r\033[K", stderr);
    /* llama-bench's order: the prompt test, then the generation test;
     * lanky's prefill starts at position 0, its tokens decode at ctx */
    llama_test x[2] = {
        {.n_prompt = prompt, .run_ms = r->prefill_run_ms, .runs = r->prefills},
        {.n_gen = tokens, .n_depth = r->ctx, .run_ms = r->round_ms, .runs = r->repeats},
    };
    char cols[sizeof columns + sizeof prefill_columns + sizeof repeat_columns +
              sizeof llama_columns + sizeof tail_columns];
    snprintf(cols, sizeof cols, "%s%s%s%s%s", columns, prompt ? prefill_columns : "",
             repeat_columns, llama_columns, tail_columns);
    bool md = a->format == LK_TABLE_MD;
    lk_table *t = rc ? NULL : lk_table_new(md ? md_columns : cols);
    if (!rc && !t)
        rc = lk_fail(e, LK_ERUN, "out of memory");
    for (int i = prompt ? 0 : 1; !rc && i < 2; i++) {
        llama_stats(&x[i]);
        if (lk_table_row(t)) {
            rc = lk_fail(e, LK_ERUN, "out of memory");
        } else if (md) {
            put_md(t, r, &x[i]);
        } else {
            put_lanky(t, a, r, prompt);
            put_llama(t, &x[i]);
            lk_table_put(t, "cores", "%s", r->cores);
        }
    }
    if (!rc)
        rc = cli_print(a, t, e);
    lk_table_free(t);
    free(r);
    return rc;
}

const cli_command cmd_bench = {
    .name = "bench",
    .summary = "measure load, init and per-token decode time on this machine",
    .usage = "lanky bench SPEC|--checkpoint FILE [--threads N] [--cores LIST] [--tokens|-n N] [--repeats|-r N] "
             "[--seed S] [--prompt|-p N [--batch N]] [-d CTX]",
    .takes_spec = true,
    .spec_from = "checkpoint",
    .opts = opts,
    .aliases = aliases,
    .run = run,
};
