/* cmd_export.c -- `lanky export`: the seeded model, or a checkpoint's
 * weights (llama2.c file, Hugging Face folder, GGUF file), as a llama2.c
 * version-0 checkpoint (ref/ckpt.h says what is written). */
#include "../ref/ckpt.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"seed", true, "S     seed of the generated weights (default 1)"},
    {"checkpoint", true, "FILE|DIR  export this checkpoint's weights (llama2.c file, Hugging Face folder or GGUF file; read as f32) instead of seeded ones"},
    {"out", true, "FILE  checkpoint to write (whole or not at all)"},
    {"unroll", false, "      write every executed layer as its own (required for a shared model: "
               "llama2.c files cannot share)"},
    {NULL, false, NULL},
};

/* The weights of checkpoint `from` read as f32 (f16, bf16 and q8_0
 * values convert to f32 exactly), written to out. */
static int export_checkpoint(const cli_args *a, const char *from, const char *out,
                             lk_err *e)
{
    arch_spec s = a->spec;
    s.dtype = ARCH_F32;
    s.ctx = 0; /* no per-token figure: any seq_len will do */
    pool *p;
    ref_weights w;
    int rc = pool_create(&p, 0, e);
    if (rc)
        return rc;
    if (!(rc = ckpt_load(&w, from, &s, p, e))) {
        rc = ckpt_export_weights(&w, cli_value(a, "unroll") != NULL, out, e);
        ref_weights_free(&w);
    }
    pool_free(p);
    return rc;
}

static int run(const cli_args *a, lk_err *e)
{
    int64_t seed;
    int rc = cli_int(a, "seed", 1, 0, INT64_MAX, &seed, e);
    if (rc)
        return rc;
    const char *out = cli_value(a, "out"), *from = cli_value(a, "checkpoint");
    if (!out)
        return lk_fail(e, LK_EINPUT, "--out: give the checkpoint file to write");
    if (from)
        return export_checkpoint(a, from, out, e);
    return ckpt_export(&a->spec, (uint64_t)seed, cli_value(a, "unroll") != NULL, out, e);
}

const cli_command cmd_export = {
    .name = "export",
    .summary = "write the seeded model, or a checkpoint's weights, as a llama2.c "
               "version-0 checkpoint (f32)",
    .usage = "lanky export SPEC|--checkpoint FILE|DIR --out FILE [--seed S] [--unroll]",
    .takes_spec = true,
    .spec_from = "checkpoint",
    .opts = opts,
    .run = run,
};
