/* sweep.c -- run a sweep file through the simulator and the reference
 * transformer (see sweep.h). */
#include "sweep.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/stats.h"
#include "rows.h"
#include "csvin.h"

/* Columns of a parameter-only sweep; the simulator's (rep_sim_columns, less
 * the ones already here) and the measured columns follow when asked for. */
static const char spec_columns[] =
    "name,group,layers,dim,heads,kv_heads,head_dim,ffn,ffn_dim,vocab,tied,"
    "share,repeat,executed_layers,params_total,params_paper,weight_bytes,"
    "kv_cache_bytes,dtype,seq_len,ctx,kv_dtype,window,global_every";
static const char measured_columns[] =
    "measured_threads,measured_load_ms,measured_init_ms,measured_execute_ms,"
    "measured_tokens_per_s,repeats,execute_ms_mean,execute_ms_std,execute_ms_median,"
    "paired_dram_gbs,latency_ms_paired";

#define LABEL 64 /* bytes of a row's name and group */

typedef struct {
    long line;
    char name[LABEL], group[LABEL];
    arch_spec spec;
} sweep_row;

typedef struct {
    const char *path;
    const sweep_opts *o;
    int ncols;          /* 0 until the header is read */
    char **cols;        /* header, '-' turned into '_' */
    sweep_row *rows;
    int nrows, cap;
    int status;         /* worst code of a bad row */
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
        if (!is_label(f[i]) && !arch_spec_is_option(f[i]))
            return lk_fail(e, LK_EINPUT,
                           "%s:%ld: column '%s' is not a model option, name or group",
                           w->path, line, f[i]);
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
            else if (!strcmp(col, "config"))
                rc = set_config(w, &r->spec, f[i], e);
            else
                rc = arch_spec_set(&r->spec, col, f[i], e);
            if (rc)
                return rc;
        }
    int rc = arch_spec_finish_row(&r->spec, e);
    if (!rc && !r->name[0])
        snprintf(r->name, sizeof r->name, "%s", r->spec.name);
    return rc;
}

static int read_row(void *ctx, long line, int n, char **f, lk_err *e)
{
    sweep *w = ctx;
    if (!w->ncols)
        return read_header(w, line, n, f, e);
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
    lk_err re = {0};
    if (build_row(w, r, n, f, &re))
        bad(w, line, re.code, "%s", re.msg);
    else
        w->nrows++;
    return LK_OK;
}

static void put_row_spec(table *t, const sweep_row *r)
{
    const arch_spec *s = &r->spec;
    arch_params p;
    arch_params_count(s, &p, NULL); /* cannot fail: arch_spec_finish ran it */
    table_put(t, "name", "%s", r->name);
    table_put(t, "group", "%s", r->group);
    rep_put_spec(t, s);
    table_puti(t, "params_total", p.total);
    table_puti(t, "params_paper", p.paper);
    table_putu(t, "weight_bytes", p.weight_bytes);
    /* the KV cache a token at position ctx attends over (arch/layout.h) */
    table_putu(t, "kv_cache_bytes", p.kv_read_bytes);
    table_put(t, "dtype", "%s", arch_dtype_name(s->dtype));
    table_puti(t, "seq_len", s->seq_len);
    table_puti(t, "ctx", s->ctx);
    rep_put_attention(t, s);
}

static void put_measured(table *t, const ref_bench_result *m)
{
    table_puti(t, "measured_threads", m->threads);
    table_putf(t, "measured_load_ms", m->load_ms, 3);
    table_putf(t, "measured_init_ms", m->init_ms, 3);
    table_putf(t, "measured_execute_ms", m->execute_ms, 4);
    table_putf(t, "measured_tokens_per_s", m->tokens_per_s, 2);
    table_puti(t, "repeats", m->repeats);
    table_putf(t, "execute_ms_mean", m->execute_ms_mean, 4);
    table_putf(t, "execute_ms_std", m->execute_ms_std, 4);
    table_putf(t, "execute_ms_median", m->execute_ms_median, 4);
    table_putf(t, "paired_dram_gbs", m->paired_dram_gbs, 2);
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
 * token timings of the rounds are not kept); paired_dram_gbs the mean of
 * the rounds'. ok[i] is false for a row whose measurement failed. */
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
            if (ref_bench(&r->spec, &one, &x, &me)) {
                bad(w, r->line, me.code, "measure: %s", me.msg);
                ok[i] = false;
                continue;
            }
            if (k == 0)
                m[i] = x;
            else
                m[i].paired_dram_gbs += x.paired_dram_gbs;
            round_ms[(size_t)i * rounds + k] = x.execute_ms;
        }
    for (int i = 0; i < w->nrows; i++) {
        double *v = round_ms + (size_t)i * rounds;
        if (!ok[i])
            continue;
        m[i].repeats = rounds;
        m[i].paired_dram_gbs /= rounds;
        m[i].execute_ms_mean = lk_stats_mean(v, rounds);
        m[i].execute_ms_std = lk_stats_std(v, rounds);
        m[i].execute_ms = m[i].execute_ms_median = lk_stats_median(v, rounds);
        m[i].tokens_per_s = 1e3 / m[i].execute_ms;
    }
}

/* One spec: one output row per profile (or a single parameter-only row),
 * with its measurement m when not NULL. */
static int run_row(sweep *w, const sweep_row *r, const ref_bench_result *m,
                   sim_profile **prof, table *t, int *done, int total)
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
            progress(w, (*done)++, total, r, sim_profile_name(prof[i]));
            if (sim_token(&r->spec, prof[i], &so, &x, &se)) {
                bad(w, r->line, se.code, "%s: %s", sim_profile_name(prof[i]),
                    se.msg);
                continue;
            }
        }
        if (table_row(t))
            return LK_ERUN;
        put_row_spec(t, r);
        if (o->nprofiles)
            rep_put_sim(t, prof[i], &r->spec, &o->sim, &x);
        if (m)
            put_measured(t, m);
        if (paired)
            table_putf(t, "latency_ms_paired", x.latency_paired_ms, 6);
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

static int run_all(sweep *w, sim_profile **prof, table **out, lk_err *e)
{
    const sweep_opts *o = w->o;
    char cols[sizeof spec_columns + 2048] = "";
    strcpy(cols, spec_columns);
    if (o->nprofiles)
        add_columns(cols, rep_sim_columns);
    if (o->measure)
        add_columns(cols, measured_columns);
    table *t = table_new(cols);
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
        table_free(t);
        return lk_fail(e, LK_ERUN, "out of memory");
    }
    *out = t;
    return LK_OK;
}

int sweep_run(const char *path, const sweep_opts *o, table **out,
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
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int n = (int)strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".csv"))
        n -= 4;
    snprintf(buf, size, "%.*s", n, base);
}
