/* cmd_logits.c -- `lanky logits` (placeholder until its issue lands). */
#include "cli.h"

static int run(const cli_args *a, lk_err *e)
{
    (void)a;
    return lk_fail(e, LK_ERUN, "logits: not built yet");
}

const cli_command cmd_logits = {
    .name = "logits",
    .summary = "(not built yet)",
    .usage = "lanky logits",
    .takes_spec = false,
    .opts = NULL,
    .run = run,
};
