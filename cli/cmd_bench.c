/* cmd_bench.c -- `lanky bench`: real load / init / execute on this machine
 * (ref_bench, see ref/bench.h). */
#include <unistd.h>

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

static const cli_opt opts[] = {
    {"threads", true, "N     worker threads (default: physical cores)"},
    {"tokens", true, "N     decode tokens timed per round, median taken (default 16)"},
    {"repeats", true, "N     rounds of timed tokens, DRAM bandwidth read around each (default 1)"},
    {"seed", true, "S     seed of the generated weights (default 1)"},
    {"checkpoint", true, "FILE|DIR  a llama2.c version-0 checkpoint, a Hugging Face folder (config.json + safetensors) or a GGUF file, instead of seeded weights"},
    {"prompt", true, "N     also time a prefill of an N-token prompt (median of 3)"},
    {"batch", true, "N     prompt tokens per pass over the weights, 1 to 32 (default)"},
    {NULL, false, NULL},
};

/* One line on stderr, rewritten in place, when it is a terminal. */
static void progress(const char *phase, int done, int total)
{
    fprintf(stderr, "\r\033[Kbench: %s %d/%d", phase, done + 1, total);
}

static int run(const cli_args *a, lk_err *e)
{
    /* --repeats, not --repeat: that is the spec's executions of a block */
    int64_t threads, tokens, repeat, seed, prompt, batch;
    int rc;
    if ((rc = cli_threads(a, &threads, e)) ||
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
    ref_bench_result r;
    rc = ref_bench(&a->spec, &o, &r, e);
    if (o.progress)
        fputs("\r\033[K", stderr);
    if (rc)
        return rc;
    char cols[sizeof columns + sizeof prefill_columns + sizeof repeat_columns];
    snprintf(cols, sizeof cols, "%s%s%s", columns, prompt ? prefill_columns : "",
             repeat_columns);
    table *t = table_new(cols);
    if (!t || table_row(t))
        return table_free(t), lk_fail(e, LK_ERUN, "out of memory");
    table_put(t, "dtype", "%s", arch_dtype_name(a->spec.dtype));
    table_puti(t, "threads", r.threads);
    table_puti(t, "ctx", r.ctx); /* a checkpoint's spec is finished by ref_bench */
    table_puti(t, "executed_layers", r.executed_layers);
    table_putf(t, "load_ms", r.load_ms, 3);
    table_putf(t, "init_ms", r.init_ms, 3);
    table_putf(t, "execute_ms", r.execute_ms, 3);
    table_putf(t, "tokens_per_s", r.tokens_per_s, 2);
    table_putu(t, "weight_read_bytes_per_token", r.weight_bytes_per_token);
    table_putu(t, "kv_read_bytes_per_token", r.kv_bytes_per_token);
    table_putf(t, "gb_per_s",
               (double)(r.weight_bytes_per_token + r.kv_bytes_per_token) / r.execute_ms / 1e6, 2);
    table_putf(t, "matvec_ms", r.matvec_ms, 3);
    table_putf(t, "attention_ms", r.attention_ms, 3);
    table_putf(t, "other_ms", r.other_ms, 3);
    if (prompt) {
        table_puti(t, "prompt_tokens", prompt);
        table_putf(t, "prefill_ms", r.prefill_ms, 3);
        table_putf(t, "prefill_tokens_per_s", (double)prompt * 1e3 / r.prefill_ms, 1);
    }
    table_puti(t, "repeats", r.repeats);
    table_putf(t, "execute_ms_mean", r.execute_ms_mean, 3);
    table_putf(t, "execute_ms_std", r.execute_ms_std, 3);
    table_putf(t, "execute_ms_median", r.execute_ms_median, 3);
    table_putf(t, "paired_dram_gbs", r.paired_dram_gbs, 2);
    rc = cli_print(a, t, e);
    table_free(t);
    return rc;
}

const cli_command cmd_bench = {
    .name = "bench",
    .summary = "measure load, init and per-token decode time on this machine",
    .usage = "lanky bench SPEC|--checkpoint FILE [--threads N] [--tokens N] [--repeats N] [--seed S] [--prompt N [--batch N]]",
    .takes_spec = true,
    .spec_from = "checkpoint",
    .opts = opts,
    .run = run,
};
