/* cmd_export.c -- `lanky export`: the seeded model as a llama2.c
 * version-0 checkpoint (ref/ckpt.h says what is written). */
#include "../ref/ckpt.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"seed", true, "S     seed of the generated weights (default 1)"},
    {"out", true, "FILE  checkpoint to write (whole or not at all)"},
    {"unroll", false, "      write every executed layer as its own (required for a shared model: "
               "llama2.c files cannot share)"},
    {NULL, false, NULL},
};

static int run(const cli_args *a, lk_err *e)
{
    int64_t seed;
    int rc = cli_int(a, "seed", 1, 0, INT64_MAX, &seed, e);
    if (rc)
        return rc;
    const char *out = cli_value(a, "out");
    if (!out)
        return lk_fail(e, LK_EINPUT, "--out: give the checkpoint file to write");
    return ckpt_export(&a->spec, (uint64_t)seed, cli_value(a, "unroll") != NULL, out, e);
}

const cli_command cmd_export = {
    .name = "export",
    .summary = "write the seeded model as a llama2.c version-0 checkpoint (f32)",
    .usage = "lanky export SPEC --seed S --out FILE [--unroll]",
    .takes_spec = true,
    .opts = opts,
    .run = run,
};
