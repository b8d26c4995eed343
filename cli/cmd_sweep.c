/* cmd_sweep.c -- `lanky sweep`: run sweep files (reports/sweep.h) over
 * profiles and write one CSV per file, or one shard's part of each
 * (--shard K/N), or join the parts of all shards (--merge). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/outfile.h"
#include "../reports/sweep.h"
#include "cli.h"

#define MAX_PROFILES 16

static const cli_opt opts[] = {
    {"profiles", true, "A,B   profiles to simulate (names or .ini paths; none: spec columns only)"},
    {"mode", true, "analytic|exact  simulator mode (default analytic)"},
    {"policy", true, "P     replacement policy of every cache level"},
    {"measure", false, "      also measure each spec on this machine"},
    {"tokens", true, "N     decode tokens timed per measurement round (default 8)"},
    {"repeats", true, "N     measurement rounds, DRAM bandwidth read around each (default 1)"},
    {"threads", true, "N     measurement threads (default: physical cores)"},
    {"prompt", true, "N     also the time to first token of an N-token prompt (simulated; measured with --measure) for rows without a prompt column"},
    {"out", true, "DIR   write DIR/<sweep>.csv (default: print one sweep)"},
    {"shard", true, "K/N   run only rows i with i % N == K-1, into DIR/<sweep>.shard-K-of-N.csv"},
    {"merge", false, "      DIR... are shards' --out folders: join their parts into --out DIR"},
    {NULL, false, NULL},
};

/* Split "a,b,c" in place into names. */
static int parse_opts(const cli_args *a, sweep_opts *o, char *list,
                      const char **names, lk_err *e)
{
    int64_t n;
    int rc;
    memset(o, 0, sizeof *o);
    if ((rc = sim_opts_parse(&o->sim, cli_value(a, "mode"), SIM_ANALYTIC,
                             cli_value(a, "policy"), e)))
        return rc;
    if (cli_value(a, "profiles")) {
        if ((rc = cli_list(list, "profiles", names, MAX_PROFILES, &o->nprofiles, e)))
            return rc;
        o->profiles = names;
    }
    o->measure = cli_value(a, "measure") != NULL;
    if ((rc = cli_int(a, "tokens", 8, 1, 100000, &n, e)))
        return rc;
    o->bench.tokens = (int)n;
    if ((rc = cli_int(a, "repeats", 1, 1, REF_BENCH_MAX_REPEAT, &n, e)))
        return rc;
    o->bench.repeat = (int)n;
    if ((rc = cli_threads(a, &n, e)))
        return rc;
    o->bench.threads = (int)n;
    o->bench.seed = 1;
    if ((rc = cli_int(a, "prompt", 0, 1, INT32_MAX, &o->sim.prompt, e)))
        return rc;
    const char *shard = cli_value(a, "shard");
    int used = 0;
    if (shard && (sscanf(shard, "%d/%d%n", &o->shard, &o->shards, &used) != 2 ||
                  shard[used] || o->shards < 1 || o->shards > SWEEP_MAX_SHARDS ||
                  o->shard < 1 || o->shard > o->shards))
        return lk_fail(e, LK_EINPUT, "--shard: '%s' is not K/N with 1 <= K <= N <= %d",
                       shard, SWEEP_MAX_SHARDS);
    if (shard && !cli_value(a, "out"))
        return lk_fail(e, LK_EINPUT, "--shard: needs --out DIR (its part files go there)");
    return LK_OK;
}

static void on_bad_row(void *ctx, int code, const char *msg)
{
    (void)ctx;
    (void)code;
    fprintf(stderr, "%slanky: %s\n", isatty(2) ? "\r\033[K" : "", msg);
}

static void on_progress(void *ctx, int done, int total, const char *what)
{
    fprintf(stderr, "\r\033[K%s: %d/%d %s", (const char *)ctx, done + 1, total,
            what);
}

/* mkdir -p */
static int make_dir(const char *dir, lk_err *e)
{
    char *p = strdup(dir);
    if (!p)
        return lk_fail(e, LK_ERUN, "out of memory");
    int rc = LK_OK;
    for (char *s = p + 1; rc == LK_OK; s++) {
        bool end = *s == 0;
        if (*s != '/' && !end)
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = lk_fail(e, LK_EINPUT, "--out %s: %s", p, strerror(errno));
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return rc;
}

/* Output path of one sweep (of its shard o->shard when o->shards);
 * refuses to overwrite the sweep file itself. */
static int out_path(const char *in, const char *dir, const sweep_opts *o, char *buf,
                    size_t size, lk_err *e)
{
    char name[256], file[512];
    sweep_name(in, name, sizeof name);
    if (o->shards)
        sweep_part_name(name, o->shard, o->shards, file, sizeof file);
    else
        snprintf(file, sizeof file, "%s.csv", name);
    snprintf(buf, size, "%s/%s", dir, file);
    struct stat a, b;
    if (stat(in, &a) == 0 && stat(buf, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return lk_fail(e, LK_EINPUT, "%s: --out would overwrite the sweep file", in);
    return LK_OK;
}

/* Run one sweep file into *t; returns a fatal code, *status the rows'
 * worst, adds the rows to *rows. */
static int run_one(const char *in, sweep_opts *o, lk_table **t, int *status, int *rows,
                   lk_err *e)
{
    char name[256];
    sweep_name(in, name, sizeof name);
    o->progress = isatty(2) ? on_progress : NULL;
    o->bad_row = on_bad_row;
    o->ctx = name;
    int rc = sweep_run(in, o, t, status, e);
    if (o->progress)
        fprintf(stderr, "\r\033[K");
    if (!rc)
        *rows += lk_table_rows(*t);
    return rc;
}

/* Write every table to DIR/<sweep>.csv, whole or not at all: all are
 * written and flushed to temporary files (a full disk shows here, with
 * the file's name) before the first replaces its old output. */
static int save_all(const cli_args *a, const char *dir, const sweep_opts *so, lk_table **t,
                    lk_err *e)
{
    lk_outfile *o = calloc((size_t)a->npos, sizeof *o);
    if (!o)
        return lk_fail(e, LK_ERUN, "out of memory");
    char path[4096];
    int rc = LK_OK, n = 0;
    for (; !rc && n < a->npos; n++)
        if (!(rc = out_path(a->pos[n], dir, so, path, sizeof path, e)) &&
            !(rc = lk_outfile_open(&o[n], path, e)) &&
            (rc = lk_table_write(t[n], LK_TABLE_CSV, o[n].f, e)))
            lk_prefix(e, "%s", path);
    for (int i = 0; i < n; i++)
        if (rc)
            lk_outfile_abort(&o[i]);
        else
            rc = lk_outfile_commit(&o[i], e);
    free(o);
    return rc;
}

/* Two sweep files of one name would write one DIR/NAME.csv: refuse
 * before writing either. */
static int same_names(const cli_args *a, lk_err *e)
{
    for (int i = 0; i < a->npos; i++)
        for (int j = 0; j < i; j++) {
            char x[256], y[256];
            sweep_name(a->pos[i], x, sizeof x);
            sweep_name(a->pos[j], y, sizeof y);
            if (!strcmp(x, y))
                return lk_fail(e, LK_EINPUT, "%s: --out would get %s.csv from %s too",
                               a->pos[i], x, a->pos[j]);
        }
    return LK_OK;
}

/* --merge DIR... --out DIR: the shards' parts joined (sweep_merge). */
static int merge(const cli_args *a, lk_err *e)
{
    static const char *const alone[] = {"profiles", "mode", "policy", "measure", "tokens",
                                        "repeats", "threads", "shard", "prompt"};
    for (size_t i = 0; i < sizeof alone / sizeof *alone; i++)
        if (cli_value(a, alone[i]))
            return lk_fail(e, LK_EINPUT, "--%s: --merge takes only folders and --out DIR",
                           alone[i]);
    const char *out = cli_value(a, "out");
    if (!out)
        return lk_fail(e, LK_EINPUT, "--merge: needs --out DIR");
    if (a->npos == 0)
        return lk_fail(e, LK_EINPUT, "--merge: no folder of parts given");
    int rc = make_dir(out, e);
    return rc ? rc : sweep_merge(a->pos, a->npos, out, e);
}

static int run(const cli_args *a, lk_err *e)
{
    if (cli_value(a, "merge"))
        return merge(a, e);
    if (a->npos == 0)
        return lk_fail(e, LK_EINPUT, "no sweep file given (see lanky sweep --help)");
    const char *dir = cli_value(a, "out");
    if (!dir && a->npos > 1)
        return lk_fail(e, LK_EINPUT, "several sweep files need --out DIR");
    int rc = same_names(a, e);
    if (rc)
        return rc;
    char list[1024];
    const char *names[MAX_PROFILES];
    snprintf(list, sizeof list, "%s", cli_value(a, "profiles") ? cli_value(a, "profiles") : "");
    sweep_opts o;
    rc = parse_opts(a, &o, list, names, e);
    if (!rc && dir)
        rc = make_dir(dir, e);
    char path[4096];
    for (int i = 0; !rc && dir && i < a->npos; i++) /* refused before any sweep runs */
        rc = out_path(a->pos[i], dir, &o, path, sizeof path, e);
    int worst = LK_OK, rows = 0;
    lk_table **t = calloc((size_t)a->npos, sizeof *t);
    if (!rc && !t)
        rc = lk_fail(e, LK_ERUN, "out of memory");
    for (int i = 0; !rc && i < a->npos; i++) {
        int status = LK_OK;
        rc = run_one(a->pos[i], &o, &t[i], &status, &rows, e);
        if (status == LK_EINPUT || !worst)
            worst = status;
    }
    if (!rc)
        rc = dir ? save_all(a, dir, &o, t, e) : cli_print(a, t[0], e);
    for (int i = 0; t && i < a->npos; i++)
        lk_table_free(t[i]);
    free(t);
    if (!rc && worst)
        rc = lk_fail(e, worst, rows ? "sweep: some rows were bad (see above); the others "
                                      "were written"
                                    : "sweep: every row was bad (see above)");
    return rc;
}

const cli_command cmd_sweep = {
    .name = "sweep",
    .summary = "run sweep files (one model per CSV row) over profiles",
    .usage = "lanky sweep FILE.csv... [--profiles A,B] [--mode analytic|exact] [--policy P] "
             "[--measure [--tokens N] [--repeats N] [--threads N]] [--prompt N] "
             "[--out DIR [--shard K/N]]\n"
             "       lanky sweep --merge DIR... --out DIR",
    .takes_spec = false,
    .opts = opts,
    .takes_args = true,
    .run = run,
};
