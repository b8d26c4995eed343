/* cmd_sim.c -- `lanky sim`: DRAM traffic, energy and latency of one
 * steady-state decode token on one or more SoC profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sim/sim.h"
#include "../reports/rows.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"profile", true, "NAME|FILE  SoC profile; repeat or comma-separate for several"},
    {"policy", true, "lru|random|srrip  replacement policy of every level"},
    {"mode", true, "exact|analytic  line-by-line caches (default) or reuse distances"},
    {"prompt", true, "N  also the time to first token of an N-token prompt (ttft_ms)"},
    {NULL, false, NULL},
};

static int parse_opts(const cli_args *a, sim_opts *o, lk_err *e)
{
    int rc = sim_opts_parse(o, cli_value(a, "mode"), SIM_EXACT, cli_value(a, "policy"), e);
    if (rc || (rc = cli_int(a, "prompt", 0, 1, INT32_MAX, &o->prompt, e)))
        return rc;
    if (!cli_value(a, "profile"))
        return lk_fail(e, LK_EINPUT, "--profile: give a SoC profile (a15, a16, "
                                     "pixel8, snapdragon8, host or a file)");
    return LK_OK;
}

/* One row for profile `name`. */
static int sim_one(const cli_args *a, const sim_opts *o, const char *name,
                   lk_table *t, lk_err *e)
{
    if (isatty(STDERR_FILENO)) /* exact mode takes seconds on big models */
        fprintf(stderr, "\rlanky sim: %-20s", name);
    sim_profile *p;
    int rc = sim_profile_load(&p, name, e);
    if (rc)
        return rc;
    sim_result r;
    rc = sim_token(&a->spec, p, o, &r, e);
    if (!rc && !(rc = lk_table_row(t) ? lk_fail(e, LK_ERUN, "out of memory") : LK_OK))
        rep_put_sim(t, p, &a->spec, o, &r);
    sim_profile_free(p);
    return rc;
}

static int run(const cli_args *a, lk_err *e)
{
    sim_opts o;
    int rc = parse_opts(a, &o, e);
    if (rc)
        return rc;
    char *cols = NULL;
    lk_table *t = asprintf(&cols, "%s%s%s,%s", rep_sim_columns, o.prompt ? "," : "",
                        o.prompt ? rep_prefill_columns : "", rep_late_columns) < 0
                   ? NULL : lk_table_new(cols);
    free(cols);
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    for (int i = 0; i < a->nvals && !rc; i++) {
        if (strcmp(a->val_name[i], "profile"))
            continue;
        char *list = strdup(a->val[i]);
        const char *names[64];
        int n = 0;
        rc = list ? cli_list(list, "profile", names, 64, &n, e)
                  : lk_fail(e, LK_ERUN, "out of memory");
        for (int k = 0; k < n && !rc; k++)
            rc = sim_one(a, &o, names[k], t, e);
        free(list);
    }
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%40s\r", "");
    if (!rc)
        rc = cli_print(a, t, e);
    lk_table_free(t);
    return rc;
}

const cli_command cmd_sim = {
    .name = "sim",
    .summary = "DRAM traffic, energy and latency per decode token on SoC profiles",
    .usage = "lanky sim SPEC --profile NAME|FILE[,...] [--policy lru|random|srrip] "
             "[--mode exact|analytic] [--prompt N]",
    .takes_spec = true,
    .opts = opts,
    .run = run,
};
