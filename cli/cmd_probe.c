/* cmd_probe.c -- `lanky probe`: measure this machine and write its
 * hardware profile (host/probe.h), then print what was measured. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../host/probe.h"
#include "../sim/sim.h"
#include "cli.h"

static void progress(const char *what)
{
    fprintf(stderr, "probe: %s ...\n", what);
}

/* Fail before seconds of measuring when the result cannot be written. */
static int check_folder(const char *out, lk_err *e)
{
    char dir[4096];
    const char *slash = strrchr(out, '/');
    int len = slash ? (int)(slash - out) : 1;
    snprintf(dir, sizeof dir, "%.*s", len ? len : 1, slash ? out : ".");
    if (access(dir, W_OK) != 0)
        return lk_fail(e, LK_EINPUT, "--out: %s: cannot write in folder %s: %s", out,
                       dir, strerror(errno));
    return LK_OK;
}

static int run(const cli_args *a, lk_err *e)
{
    int64_t threads;
    if (cli_threads(a, &threads, e) != LK_OK || cli_cores(a, e) != LK_OK)
        return e->code;
    char home[4096];
    const char *out = cli_value(a, "out");
    if (!out) {
        sim_profile_home(home, sizeof home, "host");
        out = home;
    }
    if (check_folder(out, e) != LK_OK)
        return e->code;
    probe_host h;
    int rc = probe_measure(&h, (int)threads, isatty(2) ? progress : NULL, e);
    if (rc != LK_OK)
        return rc;
    if ((rc = probe_write_host_ini(&h, out, e)) != LK_OK)
        return rc;
    lk_table *t = probe_table(&h);
    if (!t)
        return lk_fail(e, LK_ERUN, "probe: out of memory");
    rc = cli_print(a, t, e);
    lk_table_free(t);
    if (rc == LK_OK && isatty(2))
        fprintf(stderr, "probe: wrote %s\n", out);
    /* the register-only compute peaks (probe_peak_gflops): a summary, not
     * a profile key (sim/ does not use them) */
    for (int d = ARCH_F32; rc == LK_OK && d < ARCH_DTYPE_COUNT; d++)
        fprintf(stderr, "probe: %s compute peak %.1f G%s/s (%d threads)\n", arch_dtype_name(d),
                h.peak_gflops[d], d == ARCH_INT8 || d == ARCH_INT4 ? "OP" : "FLOP", h.threads);
    return rc;
}

static const cli_opt opts[] = {
    {"out", true, "FILE  where to write it (default: hw-profiles/host.ini of the project)"},
    {"threads", true, "N     threads to measure with (default: physical cores)"},
    {"cores", true, "LIST  pin thread i to the i-th CPU of LIST, e.g. 4-7 or 0,2,4 (default: the "
                    "fastest cluster of a big.LITTLE aarch64 CPU, else every core)"},
    {NULL, false, NULL},
};

const cli_command cmd_probe = {
    .name = "probe",
    .summary = "measure this machine and write hw-profiles/host.ini",
    .usage = "lanky probe [--out FILE] [--threads N] [--cores LIST]",
    .takes_spec = false,
    .opts = opts,
    .run = run,
};
