/* sweep.c -- run a sweep file through the simulator and the reference
 * transformer (see sweep.h). */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/infile.h"
#include "../common/outfile.h"
#include "../common/stats.h"
#include "rows.h"
#include "csvin.h"

/* Columns of a parameter-only sweep; the simulator's (rep_sim_columns, less
 * the ones already here) and the measured columns follow when asked for. */
static const char spec_columns[] =
    "name,group," REP_SPEC_COLUMNS ",params_total,params_paper,weight_bytes,"
    "kv_cache_bytes,dtype,seq_len,ctx," REP_ATTENTION_COLUMNS;
static const char measured_columns[] =
    "measured_threads,measured_load_ms,measured_init_ms,measured_execute_ms,"
    "measured_tokens_per_s,repeats,execute_ms_mean,execute_ms_std,execute_ms_median,"
    "paired_dram_gbs,latency_ms_paired,paired_gflops";
/* with a prompt (a `prompt` column or sweep_opts.sim.prompt): after the
 * simulator's and the measured columns (sweep.h) */
static const char measured_prefill_columns[] = "measured_prefill_ms,ttft_ms_paired";

#define LABEL 64 /* bytes of a row's name and group */

typedef struct {
    long line;
    long index;         /* data record of the file, 0-based, bad ones counted */
    char name[LABEL], group[LABEL];
    arch_spec spec;
    int64_t prompt;     /* its `prompt` cell; 0: sweep_opts.sim.prompt */
} sweep_row;

typedef struct {
    const char *path;
    const sweep_opts *o;
    int ncols;          /* 0 until the header is read */
    char **cols;        /* header, '-' turned into '_' */
    sweep_row *rows;
    int nrows, cap;
    long records;       /* data records read so far, this shard's or not */
    int status;         /* worst code of a bad row */
    bool prompts;       /* the header has a `prompt` column */
} sweep;

/* Report one bad row through the caller's callback; the sweep goes on. */
static void bad(sweep *w, long line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad(sweep *w, long line, int code, const char *fmt, ...)
{
    char why[512], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%ld: %s", w->path, line, why);
    if (w->o->bad_row)
        w->o->bad_row(w->o->ctx, code, msg);
    if (w->status != LK_EINPUT)
        w->status = code;
}

static bool is_label(const char *col)
{
    return !strcmp(col, "name") || !strcmp(col, "group");
}

static int read_header(sweep *w, long line, int n, char **f, lk_err *e)
{
    if (!(w->cols = calloc(n, sizeof *w->cols)))
        return lk_fail(e, LK_ERUN, "out of memory");
    w->ncols = n;
    for (int i = 0; i < n; i++) {
        for (char *p = f[i]; *p; p++)
            *p = *p == '-' ? '_' : *p;
        w->prompts |= !strcmp(f[i], "prompt");
        if (!is_label(f[i]) && !arch_spec_is_option(f[i]) && strcmp(f[i], "prompt"))
            return lk_fail(e, LK_EINPUT,
                           "%s:%ld: column '%s' is not a model option, name, group or "
                           "prompt", w->path, line, f[i]);
        for (int j = 0; j < i; j++)
            if (!strcmp(w->cols[j], f[i]))
                return lk_fail(e, LK_EINPUT, "%s:%ld: column '%s' appears twice",
                               w->path, line, f[i]);
        if (!(w->cols[i] = strdup(f[i])))
            return lk_fail(e, LK_ERUN, "out of memory");
    }
    return LK_OK;
}

/* A relative config path is relative to the sweep file's folder. */
static int set_config(sweep *w, arch_spec *s, const char *v, lk_err *e)
{
    char *copy = strdup(w->path), *path = NULL;
    if (!copy)
        return lk_fail(e, LK_ERUN, "out of memory");
    int rc;
    if (v[0] == '/' || asprintf(&path, "%s/%s", dirname(copy), v) < 0)
        rc = arch_spec_set(s, "config", v, e);
    else
        rc = arch_spec_set(s, "config", path, e);
    free(path);
    free(copy);
    return rc;
}

static bool is_base(const char *col)
{
    return !strcmp(col, "preset") || !strcmp(col, "config");
}

/* Fill r from the fields: preset/config first, then the rest in order. */
static int build_row(sweep *w, sweep_row *r, int n, char **f, lk_err *e)
{
    arch_spec_init(&r->spec);
    int bases = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const char *col = w->cols[i];
            int rc = LK_OK;
            if (!f[i][0] || is_base(col) != (pass == 0))
                continue;
            if (pass == 0 && bases++) /* as on the command line */
                return lk_fail(e, LK_EINPUT, "preset, config: give one of them");
            if (!strcmp(col, "name") || !strcmp(col, "group")) {
                /* a longer one cut short could merge two models' rows */
                char *dst = col[0] == 'n' ? r->name : r->group;
                if (strlen(f[i]) >= LABEL)
                    return lk_fail(e, LK_EINPUT, "%s: longer than %d characters", col,
                                   LABEL - 1);
                strcpy(dst, f[i]);
            }
            else if (!strcmp(col, "prompt")) {
                char *end;
                errno = 0;
                long long v = strtoll(f[i], &end, 10);
                if (*end || errno || v < 1 || v > INT32_MAX)
                    return lk_fail(e, LK_EINPUT, "prompt: '%s' is not a whole number "
                                   "from 1 to %d", f[i], INT32_MAX);
                r->prompt = v;
            }
            else if (!strcmp(col, "config"))
                rc = set_config(w, &r->spec, f[i], e);
            else
                rc = arch_spec_set(&r->spec, col, f[i], e);
            if (rc)
                return rc;
        }
    int rc = rep_finish_row(&r->spec, e);
    if (!rc && !r->name[0])
        snprintf(r->name, sizeof r->name, "%s", r->spec.name);
    return rc;
}

static int read_row(void *ctx, long line, int n, char **f, lk_err *e)
{
    sweep *w = ctx;
    if (!w->ncols)
        return read_header(w, line, n, f, e);
    long index = w->records++;
    if (w->o->shards && index % w->o->shards != w->o->shard - 1)
        return LK_OK; /* another shard's row: its bad values are that shard's to report */
    if (n != w->ncols) { /* an empty cell is written as an empty field */
        bad(w, line, LK_EINPUT, "%d fields but the header has %d columns", n,
            w->ncols);
        return LK_OK;
    }
    if (w->nrows == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        sweep_row *rows = realloc(w->rows, cap * sizeof *rows);
        if (!rows)
            return lk_fail(e, LK_ERUN, "out of memory");
        w->rows = rows;
        w->cap = cap;
    }
    sweep_row *r = &w->rows[w->nrows];
    memset(r, 0, sizeof *r);
    r->line = line;
    r->index = index;
    lk_err re = {0};
    if (build_row(w, r, n, f, &re))
        bad(w, line, re.code, "%s", re.msg);
    else
        w->nrows++;
    return LK_OK;
}

static void put_row_spec(lk_table *t, const sweep_row *r, int shards)
{
    const arch_spec *s = &r->spec;
    arch_params p;
    arch_params_count(s, &p, NULL); /* cannot fail: arch_spec_finish ran it */
    if (shards)
        lk_table_puti(t, SWEEP_ROW_COLUMN, r->index);
    lk_table_put(t, "name", "%s", r->name);
    lk_table_put(t, "group", "%s", r->group);
    rep_put_spec(t, s);
    lk_table_puti(t, "params_total", p.total);
    lk_table_puti(t, "params_paper", p.paper);
    lk_table_putu(t, "weight_bytes", p.weight_bytes);
    /* the KV cache a token at position ctx attends over (arch/layout.h) */
    lk_table_putu(t, "kv_cache_bytes", p.kv_read_bytes);
    lk_table_put(t, "dtype", "%s", arch_dtype_name(s->dtype));
    lk_table_puti(t, "seq_len", s->seq_len);
    lk_table_puti(t, "ctx", s->ctx);
    rep_put_attention(t, s);
}

static void put_measured(lk_table *t, const ref_bench_result *m)
{
    lk_table_puti(t, "measured_threads", m->threads);
    lk_table_putf(t, "measured_load_ms", m->load_ms, 3);
    lk_table_putf(t, "measured_init_ms", m->init_ms, 3);
    lk_table_putf(t, "measured_execute_ms", m->execute_ms, 4);
    lk_table_putf(t, "measured_tokens_per_s", m->tokens_per_s, 2);
    lk_table_puti(t, "repeats", m->repeats);
    lk_table_putf(t, "execute_ms_mean", m->execute_ms_mean, 4);
    lk_table_putf(t, "execute_ms_std", m->execute_ms_std, 4);
    lk_table_putf(t, "execute_ms_median", m->execute_ms_median, 4);
    lk_table_putf(t, "paired_dram_gbs", m->paired_dram_gbs, 2);
    lk_table_putf(t, "paired_gflops", m->paired_gflops, 1);
    if (m->prefill_ms > 0)
        lk_table_putf(t, "measured_prefill_ms", m->prefill_ms, 4);
}

/* The prompt of row r: its own, else the sweep's (0: none). */
static int64_t prompt_of(const sweep *w, const sweep_row *r)
{
    return r->prompt ? r->prompt : w->o->sim.prompt;
}

static void progress(const sweep *w, int done, int total, const sweep_row *r,
                     const char *profile)
{
    char what[160];
    if (!w->o->progress)
        return;
    snprintf(what, sizeof what, "%s %s", r->name, profile);
    w->o->progress(w->o->ctx, done, total, what);
}

/* Measure every row, o->bench.repeat rounds of one ref_bench round each,
 * round-robin: round k of every row before round k + 1 of any, so that a
 * change of the machine's state (its DRAM bandwidth moves 2x within
 * minutes here) hits all rows alike instead of the ones measured last.
 * A row's figures: load and init of its first round (the coldest, as a
 * user's first run is); repeats, execute_ms_mean/std/median over its
 * rounds; execute_ms the median of the rounds' medians (in a sweep, the
 * token timings of the rounds are not kept); paired_dram_gbs and
 * paired_gflops the means of the rounds'. ok[i] is false for a row whose measurement failed. */
static void measure_all(sweep *w, ref_bench_result *m, bool *ok, double *round_ms,
                        int *done, int total)
{
    const sweep_opts *o = w->o;
    int rounds = o->bench.repeat > 0 ? o->bench.repeat : 1;
    ref_bench_opts one = o->bench;
    one.repeat = 1;
    for (int i = 0; i < w->nrows; i++)
        ok[i] = true;
    for (int k = 0; k < rounds; k++)
        for (int i = 0; i < w->nrows; i++) {
            const sweep_row *r = &w->rows[i];
            ref_bench_result x;
            lk_err me = {0};
            progress(w, (*done)++, total, r, "measure");
            if (!ok[i])
                continue;
            /* the prompt's prefill in the first round only (ref_bench
             * times max(3, rounds) of them: 3 here) */
            one.prompt = k == 0 ? prompt_of(w, r) : 0;
            if (ref_bench(&r->spec, &one, &x, &me)) {
                bad(w, r->line, me.code, "measure: %s", me.msg);
                ok[i] = false;
                continue;
            }
            if (k == 0) {
                m[i] = x;
            } else {
                m[i].paired_dram_gbs += x.paired_dram_gbs;
                m[i].paired_gflops += x.paired_gflops;
            }
            round_ms[(size_t)i * rounds + k] = x.execute_ms;
        }
    for (int i = 0; i < w->nrows; i++) {
        double *v = round_ms + (size_t)i * rounds;
        if (!ok[i])
            continue;
        m[i].repeats = rounds;
        m[i].paired_dram_gbs /= rounds;
        m[i].paired_gflops /= rounds;
        m[i].execute_ms_mean = lk_stats_mean(v, rounds);
        m[i].execute_ms_std = lk_stats_std(v, rounds);
        m[i].execute_ms = m[i].execute_ms_median = lk_stats_median(v, rounds);
        m[i].tokens_per_s = 1e3 / m[i].execute_ms;
    }
}

/* One spec: one output row per profile (or a single parameter-only row),
 * with its measurement m when not NULL. */
static int run_row(sweep *w, const sweep_row *r, const ref_bench_result *m,
                   sim_profile **prof, lk_table *t, int *done, int total)
{
    const sweep_opts *o = w->o;
    for (int i = 0; i < (o->nprofiles ? o->nprofiles : 1); i++) {
        sim_result x;
        /* a measured row on this machine's profile: also the prediction
         * for the machine as it was while the row was measured */
        bool paired = m && o->nprofiles && !strcmp(sim_profile_name(prof[i]), "host");
        if (o->nprofiles) {
            lk_err se = {0};
            sim_opts so = o->sim;
            so.paired_dram_gbs = paired ? m->paired_dram_gbs : 0;
            so.paired_gflops = paired ? m->paired_gflops : 0;
            so.prompt = prompt_of(w, r);
            progress(w, (*done)++, total, r, sim_profile_name(prof[i]));
            if (sim_token(&r->spec, prof[i], &so, &x, &se)) {
                bad(w, r->line, se.code, "%s: %s", sim_profile_name(prof[i]),
                    se.msg);
                continue;
            }
        }
        if (lk_table_row(t))
            return LK_ERUN;
        put_row_spec(t, r, o->shards);
        if (o->nprofiles)
            rep_put_sim(t, prof[i], &r->spec, &o->sim, &x);
        if (m)
            put_measured(t, m);
        if (paired)
            lk_table_putf(t, "latency_ms_paired", x.latency_paired_ms, 6);
        if (paired && x.prompt > 0)
            lk_table_putf(t, "ttft_ms_paired", x.ttft_paired_ms, 6);
    }
    return LK_OK;
}

/* True when the comma-separated list cols has column c. */
static bool has_column(const char *cols, const char *c)
{
    size_t n = strlen(c);
    for (const char *p = cols; (p = strstr(p, c)); p += n)
        if ((p == cols || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return true;
    return false;
}

/* Append to cols the columns of list that cols does not have yet. */
static void add_columns(char *cols, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    for (char *c = copy ? strtok_r(copy, ",", &save) : NULL; c;
         c = strtok_r(NULL, ",", &save))
        if (!has_column(cols, c))
            strcat(strcat(cols, ","), c);
    free(copy);
}

static int run_all(sweep *w, sim_profile **prof, lk_table **out, lk_err *e)
{
    const sweep_opts *o = w->o;
    char cols[sizeof spec_columns + 2048] = "";
    if (o->shards)
        strcpy(cols, SWEEP_ROW_COLUMN ",");
    strcat(cols, spec_columns);
    if (o->nprofiles)
        add_columns(cols, rep_sim_columns);
    if (o->measure)
        add_columns(cols, measured_columns);
    bool prompts = w->prompts || o->sim.prompt > 0;
    if (prompts && o->nprofiles)
        add_columns(cols, rep_prefill_columns);
    if (prompts && o->measure)
        add_columns(cols, measured_prefill_columns);
    add_columns(cols, rep_late_columns);
    lk_table *t = lk_table_new(cols);
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    int rounds = o->bench.repeat > 0 ? o->bench.repeat : 1;
    int done = 0, total = w->nrows * (o->nprofiles + (o->measure ? rounds : 0));
    ref_bench_result *m = NULL;
    bool *ok = NULL;
    double *round_ms = NULL;
    int rc = LK_OK;
    if (o->measure && w->nrows) {
        m = calloc((size_t)w->nrows, sizeof *m);
        ok = calloc((size_t)w->nrows, sizeof *ok);
        round_ms = calloc((size_t)w->nrows * rounds, sizeof *round_ms);
        if (!m || !ok || !round_ms)
            rc = LK_ERUN;
        else
            measure_all(w, m, ok, round_ms, &done, total);
    }
    for (int i = 0; !rc && i < w->nrows; i++)
        rc = run_row(w, &w->rows[i], m && ok[i] ? &m[i] : NULL, prof, t, &done, total);
    free(m);
    free(ok);
    free(round_ms);
    if (rc) {
        lk_table_free(t);
        return lk_fail(e, LK_ERUN, "out of memory");
    }
    *out = t;
    return LK_OK;
}

int sweep_run(const char *path, const sweep_opts *o, lk_table **out,
              int *row_status, lk_err *e)
{
    sweep w = {.path = path, .o = o};
    sim_profile **prof = calloc(o->nprofiles + 1, sizeof *prof);
    *out = NULL;
    int rc = prof ? LK_OK : lk_fail(e, LK_ERUN, "out of memory");
    for (int i = 0; !rc && i < o->nprofiles; i++)
        rc = sim_profile_load(&prof[i], o->profiles[i], e);
    if (!rc)
        rc = csvin_read(path, read_row, &w, e);
    if (!rc && !w.ncols)
        rc = lk_fail(e, LK_EINPUT, "%s: empty file (no header row)", path);
    if (!rc)
        rc = run_all(&w, prof, out, e);
    *row_status = w.status;
    for (int i = 0; prof && i < o->nprofiles; i++)
        if (prof[i])
            sim_profile_free(prof[i]);
    free(prof);
    for (int i = 0; i < w.ncols; i++)
        free(w.cols[i]);
    free(w.cols);
    free(w.rows);
    return rc;
}

void sweep_name(const char *path, char *buf, int size)
{
    lk_infile_base(buf, (size_t)size, path, ".csv");
}

void sweep_part_name(const char *name, int k, int n, char *buf, int size)
{
    snprintf(buf, size, "%s.shard-%d-of-%d.csv", name, k, n);
}

/* ---- joining the parts of sharded runs (sweep_merge) ------------------ */

typedef struct {
    char name[256];    /* the sweep's */
    int k, n;
    int seq;           /* order found, for a duplicate's message */
    char *path;
} part;

typedef struct {
    long index;        /* its sweep_row */
    int seq;           /* order read, to keep a spec's profile rows in order */
    char **f;          /* the fields after sweep_row */
} part_row;

typedef struct {
    const part *p;
    int ncols;         /* header fields, sweep_row included */
    char **head;       /* the group's header (its first part's) */
    bool first;        /* reading the group's first part */
    long last;         /* sweep_row of the part's previous row; -1 none
                          yet, -2 before the header */
    part_row *rows;
    int nrows, cap;
} merge;

/* Whether file is NAME.shard-K-of-N.csv, exactly as sweep_part_name
 * writes it (no "01", no "+1"); fills p. */
static bool parse_part(const char *file, part *p)
{
    const char *s = NULL;
    for (const char *q = file; (q = strstr(q, ".shard-")); q++)
        s = q;
    if (!s || s == file || s - file >= (long)sizeof p->name ||
        sscanf(s, ".shard-%d-of-%d", &p->k, &p->n) != 2 || p->n < 1 ||
        p->n > SWEEP_MAX_SHARDS || p->k < 1 || p->k > p->n)
        return false;
    snprintf(p->name, sizeof p->name, "%.*s", (int)(s - file), file);
    char again[512];
    sweep_part_name(p->name, p->k, p->n, again, sizeof again);
    return !strcmp(again, file);
}

/* Every part file in dirs, into *out (unsorted). */
static int find_parts(const char *const *dirs, int ndirs, part **out, int *n, lk_err *e)
{
    int cap = 0, rc = LK_OK;
    *out = NULL;
    *n = 0;
    for (int d = 0; !rc && d < ndirs; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir)
            return lk_fail(e, LK_EINPUT, "%s: %s", dirs[d], strerror(errno));
        for (struct dirent *de; !rc && (de = readdir(dir));) {
            part p = {.seq = *n};
            if (!parse_part(de->d_name, &p))
                continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                part *more = realloc(*out, cap * sizeof *more);
                if (!more) {
                    rc = lk_fail(e, LK_ERUN, "out of memory");
                    break;
                }
                *out = more;
            }
            if (asprintf(&p.path, "%s/%s", dirs[d], de->d_name) < 0)
                rc = lk_fail(e, LK_ERUN, "out of memory");
            else
                (*out)[(*n)++] = p;
        }
        closedir(dir);
    }
    return rc;
}

static int part_order(const void *a, const void *b)
{
    const part *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->k != y->k ? x->k - y->k : x->seq - y->seq;
}

static int row_order(const void *a, const void *b)
{
    const part_row *x = a, *y = b;
    return x->index != y->index ? (x->index > y->index) - (x->index < y->index)
                                : x->seq - y->seq;
}

/* The parts p[0..n-1] of one sweep: all of one N, K = 1..N once each. */
static int check_group(const part *p, int n, const char *const *dirs, int ndirs, lk_err *e)
{
    int want = 1;
    for (int j = 0; j < n; j++) {
        if (p[j].n != p[0].n)
            return lk_fail(e, LK_EINPUT, "%s: a part of %d shards, but %s is of %d",
                           p[j].path, p[j].n, p[0].path, p[0].n);
        if (p[j].k < want)
            return lk_fail(e, LK_EINPUT, "%s: shard %d/%d of %s is also %s", p[j].path,
                           p[j].k, p[j].n, p[j].name, p[j - 1].path);
        if (p[j].k > want)
            break;
        want++;
    }
    if (want <= p[0].n) {
        char file[512];
        sweep_part_name(p[0].name, want, p[0].n, file, sizeof file);
        return lk_fail(e, LK_EINPUT, "%s: shard %d/%d missing (no %s in %s%s)", p[0].name,
                       want, p[0].n, file, dirs[0], ndirs > 1 ? " or the other folders" : "");
    }
    return LK_OK;
}

/* A header the table can hold: sweep_row first, then names that need no
 * quoting, each once. */
static int check_head(const merge *m, int n, char **f, long line, lk_err *e)
{
    if (n < 2 || strcmp(f[0], SWEEP_ROW_COLUMN))
        return lk_fail(e, LK_EINPUT, "%s:%ld: not a shard's part (its first column is not "
                       SWEEP_ROW_COLUMN ")", m->p->path, line);
    for (int i = 0; i < n; i++) {
        if (!f[i][0] || strpbrk(f[i], ",\"\r\n"))
            return lk_fail(e, LK_EINPUT, "%s:%ld: column %d: not a sweep column name",
                           m->p->path, line, i + 1);
        for (int j = 0; j < i; j++)
            if (!strcmp(f[i], f[j]))
                return lk_fail(e, LK_EINPUT, "%s:%ld: column '%s' appears twice",
                               m->p->path, line, f[i]);
    }
    return LK_OK;
}

/* The header: the group's first part's, which every other part repeats. */
static int merge_head(merge *m, long line, int n, char **f, lk_err *e)
{
    m->last = -1;
    if (!m->first) {
        bool same = n == m->ncols;
        for (int i = 0; same && i < n; i++)
            same = !strcmp(f[i], m->head[i]);
        return same ? LK_OK : lk_fail(e, LK_EINPUT, "%s:%ld: header differs from %s's",
                                      m->p->path, line, m->p[-1].path);
    }
    int rc = check_head(m, n, f, line, e);
    if (rc)
        return rc;
    if (!(m->head = calloc(n, sizeof *m->head)))
        return lk_fail(e, LK_ERUN, "out of memory");
    m->ncols = n;
    for (int i = 0; i < n; i++)
        if (!(m->head[i] = strdup(f[i])))
            return lk_fail(e, LK_ERUN, "out of memory");
    return LK_OK;
}

static int merge_row(void *ctx, long line, int n, char **f, lk_err *e)
{
    merge *m = ctx;
    const part *p = m->p;
    if (m->last == -2)
        return merge_head(m, line, n, f, e);
    if (n != m->ncols)
        return lk_fail(e, LK_EINPUT, "%s:%ld: %d fields but the header has %d columns",
                       p->path, line, n, m->ncols);
    char *end;
    errno = 0;
    long index = strtol(f[0], &end, 10);
    if (errno || end == f[0] || *end || index < 0 || index % p->n != p->k - 1 ||
        index < m->last)
        return lk_fail(e, LK_EINPUT, "%s:%ld: " SWEEP_ROW_COLUMN " '%s' is not a row of "
                       "shard %d/%d, or goes back", p->path, line, f[0], p->k, p->n);
    m->last = index;
    if (m->nrows == m->cap) {
        int cap = m->cap ? 2 * m->cap : 256;
        part_row *more = realloc(m->rows, cap * sizeof *more);
        if (!more)
            return lk_fail(e, LK_ERUN, "out of memory");
        m->rows = more;
        m->cap = cap;
    }
    part_row *r = &m->rows[m->nrows];
    *r = (part_row){.index = index, .seq = m->nrows, .f = calloc(n - 1, sizeof *r->f)};
    if (!r->f)
        return lk_fail(e, LK_ERUN, "out of memory");
    m->nrows++; /* freed from here on, whatever fails */
    for (int i = 1; i < n; i++)
        if (!(r->f[i - 1] = strdup(f[i])))
            return lk_fail(e, LK_ERUN, "out of memory");
    return LK_OK;
}

static void merge_free(merge *m)
{
    for (int i = 0; i < m->nrows; i++) {
        for (int c = 0; c + 1 < m->ncols; c++)
            free(m->rows[i].f[c]);
        free(m->rows[i].f);
    }
    for (int i = 0; m->head && i < m->ncols; i++)
        free(m->head[i]);
    free(m->head);
    free(m->rows);
}

/* Read the parts p[0..n-1] of one sweep into the lk_table *t, rows in the
 * sweep file's order. */
static int merge_group(const part *p, int n, lk_table **t, lk_err *e)
{
    merge m = {.first = true};
    int rc = LK_OK;
    for (int j = 0; !rc && j < n; j++) {
        m.p = &p[j];
        m.last = -2; /* the next record is a header */
        rc = csvin_read(p[j].path, merge_row, &m, e);
        if (!rc && m.last == -2)
            rc = lk_fail(e, LK_EINPUT, "%s: empty file (no header row)", p[j].path);
        m.first = false;
    }
    char *cols = NULL;
    size_t size = 0;
    FILE *f = rc ? NULL : open_memstream(&cols, &size);
    for (int c = 1; f && c < m.ncols; c++)
        fprintf(f, "%s%s", c > 1 ? "," : "", m.head[c]);
    if (!rc && (!f || fclose(f) || !(*t = lk_table_new(cols))))
        rc = lk_fail(e, LK_ERUN, "out of memory");
    free(cols);
    if (!rc)
        qsort(m.rows, m.nrows, sizeof *m.rows, row_order);
    for (int i = 0; !rc && i < m.nrows; i++) {
        if (lk_table_row(*t)) {
            rc = lk_fail(e, LK_ERUN, "out of memory");
            break;
        }
        for (int c = 1; c < m.ncols; c++)
            lk_table_put(*t, m.head[c], "%s", m.rows[i].f[c - 1]);
    }
    merge_free(&m);
    return rc;
}

/* The end of the group of parts of one sweep that starts at p[a]. */
static int group_end(const part *p, int n, int a)
{
    int b = a + 1;
    while (b < n && !strcmp(p[b].name, p[a].name))
        b++;
    return b;
}

int sweep_merge(const char *const *dirs, int ndirs, const char *out, lk_err *e)
{
    part *p;
    int n, rc = find_parts(dirs, ndirs, &p, &n, e);
    if (!rc && n == 0)
        rc = lk_fail(e, LK_EINPUT, "%s%s: no shard's part (NAME.shard-K-of-N.csv)", dirs[0],
                     ndirs > 1 ? " and the other folders" : "");
    if (!rc)
        qsort(p, n, sizeof *p, part_order);
    /* every sweep's parts checked before any is read */
    int groups = 0;
    for (int a = 0; !rc && a < n; a = group_end(p, n, a), groups++)
        rc = check_group(p + a, group_end(p, n, a) - a, dirs, ndirs, e);
    lk_outfile *of = rc ? NULL : calloc(groups, sizeof *of);
    if (!rc && !of)
        rc = lk_fail(e, LK_ERUN, "out of memory");
    int opened = 0;
    for (int a = 0; !rc && a < n; a = group_end(p, n, a)) {
        lk_table *t = NULL;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.csv", out, p[a].name);
        if (!(rc = merge_group(p + a, group_end(p, n, a) - a, &t, e)) &&
            !(rc = lk_outfile_open(&of[opened], path, e)) &&
            (rc = lk_table_write(t, LK_TABLE_CSV, of[opened++].f, e)))
            lk_prefix(e, "%s", path);
        lk_table_free(t);
    }
    for (int i = 0; i < opened; i++)
        if (rc)
            lk_outfile_abort(&of[i]);
        else
            rc = lk_outfile_commit(&of[i], e);
    free(of);
    for (int i = 0; i < n; i++)
        free(p[i].path);
    free(p);
    return rc;
}
