/* cmd_probe.c -- `lanky probe` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "probe: not built yet");
}

const cli_command cmd_probe = {
    .name = "probe",
    .summary = "(not built yet)",
    .usage = "lanky probe",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
