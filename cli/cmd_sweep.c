/* cmd_sweep.c -- `lanky sweep` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "sweep: not built yet");
}

const cli_command cmd_sweep = {
    .name = "sweep",
    .summary = "(not built yet)",
    .usage = "lanky sweep",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
