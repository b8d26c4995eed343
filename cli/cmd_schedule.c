/* cmd_schedule.c -- `lanky schedule`: the block each executed layer runs. */
#include <stdio.h>
#include <stdlib.h>

#include "../arch/schedule.h"
#include "cli.h"

/* Default form: the block indices on one line, separated by spaces. CSV
 * and JSON give one row per executed layer. */
static int run(const cli_args *a, lk_err *e)
{
    int64_t n = arch_executed_layers(&a->spec);
    int64_t *blocks = malloc(n * sizeof *blocks);
    if (!blocks)
        return lk_fail(e, LK_ERUN, "schedule: out of memory");
    arch_schedule(&a->spec, blocks);
    int rc = LK_OK;
    if (a->format == LK_TABLE_TEXT) {
        for (int64_t i = 0; i < n; i++)
            printf("%lld%c", (long long)blocks[i], i + 1 < n ? ' ' : '\n');
    } else {
        lk_table *t = lk_table_new("layer,block");
        for (int64_t i = 0; t && i < n; i++) {
            if (lk_table_row(t))
                break;
            lk_table_puti(t, "layer", i);
            lk_table_puti(t, "block", blocks[i]);
        }
        rc = t && lk_table_rows(t) == n ? cli_print(a, t, e)
                                     : lk_fail(e, LK_ERUN, "schedule: out of memory");
        lk_table_free(t);
    }
    free(blocks);
    return rc;
}

const cli_command cmd_schedule = {
    .name = "schedule",
    .summary = "the physical block of every executed layer, in order",
    .usage = "lanky schedule SPEC [--format table|csv|json]",
    .takes_spec = true,
    .opts = NULL,
    .run = run,
};
