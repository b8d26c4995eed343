/* cmd_export.c -- `lanky export` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "export: not built yet");
}

const cli_command cmd_export = {
    .name = "export",
    .summary = "(not built yet)",
    .usage = "lanky export",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
