/* cmd_calibrate.c -- `lanky calibrate`: a profile fitted to decode times
 * measured on the user's phone (reports/calibrate.h). */
#include "../reports/calibrate.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"profile", true, "NAME|FILE  the profile to fit (a15, ..., or a path)"},
    {"out", true, "FILE.ini    where the fitted profile is written"},
    {NULL, false, NULL},
};

static int run(const cli_args *a, lk_err *e)
{
    const char *profile = cli_value(a, "profile"), *out = cli_value(a, "out");
    if (a->npos != 1)
        return lk_fail(e, LK_EINPUT, "give one CSV file of measured decode times "
                       "(see lanky calibrate --help)");
    if (!profile || !out)
        return lk_fail(e, LK_EINPUT, "give --%s (see lanky calibrate --help)",
                       profile ? "out FILE.ini" : "profile NAME|FILE");
    return rep_calibrate(profile, a->pos[0], out, e);
}

const cli_command cmd_calibrate = {
    .name = "calibrate",
    .summary = "fit a profile's sustained DRAM bandwidth and per-layer cost to measured decode times",
    .usage = "lanky calibrate --profile NAME|FILE MEASURED.csv --out FILE.ini",
    .takes_spec = false,
    .opts = opts,
    .takes_args = true,
    .run = run,
};
