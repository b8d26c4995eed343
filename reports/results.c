/* results.c -- sweep results and paper tables read back (see results.h). */
#include "results.h"

#include <math.h>
#include <stdbool.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"

typedef struct {
    lk_table *t;
    const char *path;
} loading;

/* The header: names that lk_table_new() can hold, each once. */
static int load_header(loading *l, long line, int n, char **f, lk_err *e)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        if (!*f[i] || strchr(f[i], ','))
            return lk_fail(e, LK_EINPUT, "%s:%ld: column %d: '%s' is not a column name",
                           l->path, line, i + 1, f[i]);
        for (int j = 0; j < i; j++)
            if (!strcmp(f[i], f[j]))
                return lk_fail(e, LK_EINPUT, "%s:%ld: column '%s' twice", l->path, line,
                               f[i]);
        len += strlen(f[i]) + 1;
    }
    char *cols = calloc(len, 1);
    for (int i = 0; cols && i < n; i++)
        strcat(strcat(cols, i ? "," : ""), f[i]);
    l->t = cols ? lk_table_new(cols) : NULL;
    free(cols);
    return l->t ? LK_OK : lk_fail(e, LK_ERUN, "out of memory");
}

/* A profile becomes part of column headers ("a15 ms"): it must be a
 * profile's file base name, as lanky sweep writes it. */
static bool profile_name(const char *p)
{
    size_t n = strlen(p);
    return n < 32 && strspn(p, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int load_row(void *ctx, long line, int n, char **f, lk_err *e)
{
    loading *l = ctx;
    if (!l->t)
        return load_header(l, line, n, f, e);
    if (n != lk_table_cols(l->t))
        return lk_fail(e, LK_EINPUT, "%s:%ld: %d fields but the header has %d columns",
                       l->path, line, n, lk_table_cols(l->t));
    if (lk_table_row(l->t))
        return lk_fail(e, LK_ERUN, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *col = lk_table_colname(l->t, i);
        if (!strcmp(col, "profile") && *f[i] && !profile_name(f[i]))
            return lk_fail(e, LK_EINPUT, "%s:%ld: profile '%s' is not a profile name",
                           l->path, line, f[i]);
        lk_table_put(l->t, col, "%s", f[i]);
    }
    return LK_OK;
}

int rep_load(const char *dir, const char *name, lk_table **t, lk_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    *t = NULL;
    if (access(path, F_OK) != 0)
        return LK_OK;
    loading l = {NULL, path};
    int rc = csvin_read(path, load_row, &l, e);
    if (rc)
        lk_table_free(l.t);
    else
        *t = l.t;
    return rc;
}

int rep_load_paper(const char *paper_dir, const char *name, lk_table **t, lk_err *e)
{
    int rc = rep_load(paper_dir, name, t, e);
    if (!rc && !*t)
        rc = lk_fail(e, LK_EINPUT, "%s/%s.csv: missing or empty (--paper-data names "
                     "the folder of the paper's tables)", paper_dir, name);
    return rc;
}

const char *rep_get(const lk_table *t, int r, const char *col)
{
    const char *s = t && r >= 0 ? lk_table_get(t, r, col) : NULL;
    return s ? s : "";
}

double rep_num(const lk_table *t, int r, const char *col)
{
    const char *s = rep_get(t, r, col);
    char *end;
    double v = strtod(s, &end);
    return *s && !*end ? v : NAN;
}

bool rep_where(const lk_table *t, int r, const char *where)
{
    if (!where)
        return true;
    const char *eq = strchr(where, '=');
    char col[64];
    snprintf(col, sizeof col, "%.*s", (int)(eq - where), where);
    return !strcmp(rep_get(t, r, col), eq + 1);
}

/* ---- cells the report writes ---------------------------------------- */

static const struct {
    double scale;
    int decimals;
} formats[] = {
    [REP_TEXT] = {1, 0},   [REP_INT] = {1, 0}, [REP_MILLION] = {1e-6, 1},
    [REP_ONE] = {1, 1},    [REP_MS] = {1, 2},  [REP_MJ] = {1, 3},
    [REP_PCT] = {100, 1},  [REP_REL] = {100, 1},
};

void rep_put(lk_table *t, const char *col, double v, rep_fmt f)
{
    if (isnan(v))
        return;
    if (f == REP_REL)
        lk_table_put(t, col, "%+.*f", formats[f].decimals, v * formats[f].scale);
    else
        lk_table_putf(t, col, v * formats[f].scale, formats[f].decimals);
}

int rep_socs(const lk_table *t, const char **out)
{
    int n = 0;
    for (int r = 0; t && r < lk_table_rows(t); r++) {
        const char *p = rep_get(t, r, "profile");
        bool seen = !*p || !strcmp(p, "host");
        for (int i = 0; i < n && !seen; i++)
            seen = !strcmp(out[i], p);
        if (!seen && n < REP_MAX_SOCS)
            out[n++] = p;
    }
    return n;
}

int rep_join(const char *const pairs[][2], const char *paper_where,
             const lk_table *paper, const lk_table *sw, int r)
{
    for (int p = 0; paper && p < lk_table_rows(paper); p++) {
        bool ok = rep_where(paper, p, paper_where);
        for (int j = 0; ok && j < REP_MAX_JOIN && pairs[j][0]; j++)
            ok = !strcasecmp(rep_get(paper, p, pairs[j][0]), rep_get(sw, r, pairs[j][1]));
        if (ok)
            return p;
    }
    return -1;
}
