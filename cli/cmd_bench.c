/* cmd_bench.c -- `lanky bench` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "bench: not built yet");
}

const cli_command cmd_bench = {
    .name = "bench",
    .summary = "(not built yet)",
    .usage = "lanky bench",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
