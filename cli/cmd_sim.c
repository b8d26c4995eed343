/* cmd_sim.c -- `lanky sim` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "sim: not built yet");
}

const cli_command cmd_sim = {
    .name = "sim",
    .summary = "(not built yet)",
    .usage = "lanky sim",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
