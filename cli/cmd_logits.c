/* cmd_logits.c -- `lanky logits`: run a prompt through the reference
 * transformer and print the logits after its last token. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ref/model.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"tokens", true, "a,b,c token ids of the prompt"},
    {"seed", true, "S     seed of the generated weights (default 1)"},
    {"checkpoint", true, "FILE|DIR  a llama2.c version-0 checkpoint, a Hugging Face folder (config.json + safetensors) or a GGUF file, instead of seeded weights"},
    {"threads", true, "N     worker threads (default: physical cores)"},
    {"cores", true, "LIST  pin worker i to the i-th CPU of LIST, e.g. 4-7 or 0,2,4"},
    {"batch", true, "N     prompt tokens per pass over the weights, 1 (token by token) to 32 (default)"},
    {NULL, false, NULL},
};

/* Parse "a,b,c" into ids in 0..vocab-1; at most max ids. */
static int parse_tokens(const char *list, int64_t vocab, int64_t max,
                        int64_t **out, int64_t *n, lk_err *e)
{
    int64_t *t = malloc((size_t)max * sizeof *t);
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    const char *p = list;
    *n = 0;
    for (;;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || (*end && *end != ',') || v < 0 || v >= vocab) {
            free(t);
            return lk_fail(e, LK_EINPUT, "--tokens: '%.*s' is not a token id in 0..%lld",
                           (int)strcspn(p, ","), p, (long long)vocab - 1);
        }
        if (*n == max) {
            free(t);
            return lk_fail(e, LK_EINPUT, "--tokens: more than seq_len (%lld) tokens",
                           (long long)max);
        }
        t[(*n)++] = v;
        if (!*end)
            break;
        p = end + 1;
    }
    *out = t;
    return LK_OK;
}

static int print_logits(const cli_args *a, const float *logits, int64_t n,
                        lk_err *e)
{
    if (a->format == LK_TABLE_TEXT) {
        for (int64_t i = 0; i < n; i++)
            printf("%.9g\n", logits[i]);
        return LK_OK;
    }
    lk_table *t = lk_table_new("logit");
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        if (lk_table_row(t))
            return lk_table_free(t), lk_fail(e, LK_ERUN, "out of memory");
        lk_table_putg(t, "logit", logits[i], 9);
    }
    int rc = cli_print(a, t, e);
    lk_table_free(t);
    return rc;
}

static int run(const cli_args *a, lk_err *e)
{
    int64_t seed, threads, batch;
    int rc;
    const char *list = cli_value(a, "tokens");
    if (!list)
        return lk_fail(e, LK_EINPUT, "--tokens: give the prompt as token ids a,b,c");
    if ((rc = cli_int(a, "seed", 1, 0, INT64_MAX, &seed, e)) ||
        (rc = cli_threads(a, &threads, e)) || (rc = cli_cores(a, e)) ||
        (rc = cli_int(a, "batch", REF_BATCH, 1, REF_BATCH, &batch, e)))
        return rc;
    arch_spec s = a->spec;
    s.ctx = 0; /* no per-token figure here: any checkpoint seq_len will do */
    pool *p;
    if ((rc = pool_create(&p, (int)threads, e)))
        return rc;
    ref_weights w;
    ref_state st;
    int64_t *tokens = NULL, n = 0;
    if (!(rc = ref_weights_load(&w, &s, (uint64_t)seed, cli_value(a, "checkpoint"), p, e))) {
        if (!(rc = parse_tokens(list, s.vocab, s.seq_len, &tokens, &n, e)) &&
            !(rc = ref_state_build(&st, &w, p, e))) {
            rc = print_logits(a, ref_prefill(&st, tokens, n, batch), s.vocab, e);
            ref_state_free(&st);
        }
        free(tokens);
        ref_weights_free(&w);
    }
    pool_free(p);
    return rc;
}

const cli_command cmd_logits = {
    .name = "logits",
    .summary = "the reference transformer's logits after a prompt, one per line",
    .usage = "lanky logits SPEC|--checkpoint FILE [--seed S] [--batch N] [--threads N] "
             "[--cores LIST] --tokens a,b,c",
    .takes_spec = true,
    .spec_from = "checkpoint",
    .opts = opts,
    .run = run,
};
