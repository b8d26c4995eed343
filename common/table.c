/* table.c -- rows of named columns and their printed forms. */
#include "table.h"

#ifndef LK_NO_CJSON
#include <cjson/cJSON.h>
#endif
#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include <unistd.h>

#include "outfile.h"

typedef struct {
    char *text;   /* NULL when never set */
    bool numeric;
    bool list;    /* numbers joined by ';' (lk_table_put_list): a JSON array */
} cell;

struct lk_table {
    int ncols;
    char **cols;
    int nrows, cap;
    cell *cells; /* nrows * ncols, row-major */
};

lk_table *lk_table_new(const char *columns)
{
    lk_table *t = calloc(1, sizeof *t);
    char *copy = strdup(columns);
    if (!t || !copy)
        goto fail;
    for (const char *p = columns; *p; p++)
        t->ncols += *p == ',';
    t->ncols++;
    t->cols = calloc(t->ncols, sizeof *t->cols);
    if (!t->cols)
        goto fail;
    int i = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
        if (!(t->cols[i++] = strdup(tok)))
            goto fail;
    t->ncols = i;
    free(copy);
    return t;
fail:
    free(copy);
    lk_table_free(t);
    return NULL;
}

void lk_table_free(lk_table *t)
{
    if (!t)
        return;
    for (int i = 0; t->cols && i < t->ncols; i++)
        free(t->cols[i]);
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].text);
    free(t->cols);
    free(t->cells);
    free(t);
}

int lk_table_row(lk_table *t)
{
    if (t->nrows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        cell *c = realloc(t->cells, (size_t)cap * t->ncols * sizeof *c);
        if (!c)
            return LK_ERUN;
        t->cells = c;
        t->cap = cap;
    }
    memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(cell));
    t->nrows++;
    return LK_OK;
}

static int col_index(const lk_table *t, const char *col)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i], col) == 0)
            return i;
    return -1;
}

static void put(lk_table *t, const char *col, bool numeric, const char *fmt,
                va_list ap)
{
    int i = col_index(t, col);
    if (i < 0 || t->nrows == 0) {
        fprintf(stderr, "lanky: internal error: no column '%s'\n", col);
        abort();
    }
    cell *c = &t->cells[(t->nrows - 1) * t->ncols + i];
    free(c->text);
    if (vasprintf(&c->text, fmt, ap) < 0)
        c->text = NULL;
    c->numeric = numeric;
    c->list = false;
}

void lk_table_put(lk_table *t, const char *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(t, col, false, fmt, ap);
    va_end(ap);
}

static void put_num(lk_table *t, const char *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(t, col, true, fmt, ap);
    va_end(ap);
}

void lk_table_puti(lk_table *t, const char *col, int64_t v)
{
    put_num(t, col, "%" PRId64, v);
}

void lk_table_putu(lk_table *t, const char *col, uint64_t v)
{
    put_num(t, col, "%" PRIu64, v);
}

/* A real number with printf conversion fmt ("%.*f" or "%.*g"): numeric
 * when finite; JSON has no NaN or infinity, so those stay text. */
static void put_real(lk_table *t, const char *col, const char *fmt, int prec, double v)
{
    if (isfinite(v))
        put_num(t, col, fmt, prec, v);
    else
        lk_table_put(t, col, "%g", v);
}

void lk_table_putf(lk_table *t, const char *col, double v, int decimals)
{
    put_real(t, col, "%.*f", decimals, v);
}

void lk_table_putg(lk_table *t, const char *col, double v, int digits)
{
    put_real(t, col, "%.*g", digits, v);
}

void lk_table_put_list(lk_table *t, const char *col, const double *v, int n, int digits)
{
    bool finite = true;
    size_t size = 0;
    char *text = NULL;
    FILE *f = open_memstream(&text, &size);
    for (int i = 0; f && i < n; i++) {
        fprintf(f, "%s%.*g", i ? ";" : "", digits, v[i]);
        finite = finite && isfinite(v[i]);
    }
    if (!f || fclose(f)) {
        free(text);
        text = NULL;
    }
    lk_table_put(t, col, "%s", text ? text : "");
    t->cells[(t->nrows - 1) * t->ncols + col_index(t, col)].list = finite && text;
    free(text);
}

int lk_table_rows(const lk_table *t) { return t->nrows; }
int lk_table_cols(const lk_table *t) { return t->ncols; }
const char *lk_table_colname(const lk_table *t, int col) { return t->cols[col]; }

const char *lk_table_get(const lk_table *t, int row, const char *col)
{
    int i = col_index(t, col);
    if (i < 0 || row < 0 || row >= t->nrows)
        return NULL;
    const char *s = t->cells[row * t->ncols + i].text;
    return s ? s : "";
}

static const char *text_of(const lk_table *t, int row, int col)
{
    const char *s = t->cells[row * t->ncols + col].text;
    return s ? s : "";
}

int lk_table_parse_format(const char *s, lk_table_format *f, lk_err *e)
{
    if (strcmp(s, "table") == 0)
        *f = LK_TABLE_TEXT;
    else if (strcmp(s, "csv") == 0)
        *f = LK_TABLE_CSV;
    else if (strcmp(s, "json") == 0)
        *f = LK_TABLE_JSON;
    else if (strcmp(s, "jsonl") == 0)
        *f = LK_TABLE_JSONL;
    else if (strcmp(s, "md") == 0)
        *f = LK_TABLE_MD;
    else
        return lk_fail(e, LK_EINPUT,
                       "--format: '%s' is not table, csv, json, jsonl or md", s);
    return LK_OK;
}

/* Plain text when the field needs no quoting; libcsv quotes the rest. */
static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(out, s, strlen(s));
    else
        fputs(s, out);
}

static void write_csv(const lk_table *t, FILE *out)
{
    for (int c = 0; c < t->ncols; c++) {
        csv_field(out, t->cols[c]);
        fputc(c + 1 < t->ncols ? ',' : '\n', out);
    }
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            csv_field(out, text_of(t, r, c));
            fputc(c + 1 < t->ncols ? ',' : '\n', out);
        }
}

/* One wide row reads better as "column  value" lines. */
static void write_vertical(const lk_table *t, FILE *out)
{
    int w = 0;
    for (int c = 0; c < t->ncols; c++)
        w = (int)strlen(t->cols[c]) > w ? (int)strlen(t->cols[c]) : w;
    for (int c = 0; c < t->ncols; c++)
        fprintf(out, "%-*s  %s\n", w, t->cols[c], text_of(t, 0, c));
}

static void write_text(const lk_table *t, FILE *out)
{
    if (t->nrows == 1 && t->ncols > 8) {
        write_vertical(t, out);
        return;
    }
    int *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = (int)strlen(t->cols[c]);
        for (int r = 0; r < t->nrows; r++) {
            int n = (int)strlen(text_of(t, r, c));
            w[c] = n > w[c] ? n : w[c];
        }
    }
    for (int c = 0; c < t->ncols; c++)
        fprintf(out, "%-*s%s", w[c], t->cols[c], c + 1 < t->ncols ? "  " : "\n");
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            const char *s = text_of(t, r, c);
            /* numbers right-aligned, text left-aligned */
            int right = t->cells[r * t->ncols + c].numeric;
            fprintf(out, right ? "%*s%s" : "%-*s%s", w[c], s,
                    c + 1 < t->ncols ? "  " : "\n");
        }
    free(w);
}

#ifndef LK_NO_CJSON
/* Row r as a JSON object (NULL when out of memory). */
static cJSON *json_row(const lk_table *t, int r)
{
    cJSON *obj = cJSON_CreateObject();
    for (int c = 0; obj && c < t->ncols; c++) {
        const cell *x = &t->cells[r * t->ncols + c];
        char *array = NULL;
        if (!x->text)
            cJSON_AddNullToObject(obj, t->cols[c]);
        else if (x->list && asprintf(&array, "[%s]", x->text) > 0) {
            for (char *p = array; (p = strchr(p, ';'));)
                *p = ',';
            cJSON_AddItemToObject(obj, t->cols[c], cJSON_CreateRaw(array));
            free(array);
        } else if (x->numeric)
            cJSON_AddItemToObject(obj, t->cols[c], cJSON_CreateRaw(x->text));
        else
            cJSON_AddStringToObject(obj, t->cols[c], x->text);
    }
    return obj;
}

/* One array of all rows, or (lines) one compact object per line, as
 * llama-bench's jsonl. */
static int write_json(const lk_table *t, FILE *out, bool lines, lk_err *e)
{
    cJSON *arr = lines ? NULL : cJSON_CreateArray();
    for (int r = 0; r < t->nrows; r++) {
        cJSON *obj = json_row(t, r);
        if (!obj) {
            cJSON_Delete(arr);
            return lk_fail(e, LK_ERUN, "json: out of memory");
        }
        if (arr) {
            cJSON_AddItemToArray(arr, obj);
            continue;
        }
        char *s = cJSON_PrintUnformatted(obj);
        cJSON_Delete(obj);
        if (!s)
            return lk_fail(e, LK_ERUN, "json: out of memory");
        fprintf(out, "%s\n", s);
        cJSON_free(s);
    }
    if (lines)
        return LK_OK;
    char *s = arr ? cJSON_Print(arr) : NULL;
    cJSON_Delete(arr);
    if (!s)
        return lk_fail(e, LK_ERUN, "json: out of memory");
    fprintf(out, "%s\n", s);
    cJSON_free(s);
    return LK_OK;
}
#else
/* A static build has no JSON writer (Debian 12 ships no static libcjson; Makefile, STATIC=1). */
static int write_json(const lk_table *t, FILE *out, bool lines, lk_err *e)
{
    (void)t, (void)out, (void)lines;
    return lk_fail(e, LK_EINPUT, "--format json: this static build writes no JSON (no "
                   "cJSON); use csv, or the dynamic build");
}
#endif

int lk_table_write(const lk_table *t, lk_table_format f, FILE *out, lk_err *e)
{
    int rc = LK_OK;
    if (f == LK_TABLE_CSV)
        write_csv(t, out);
    else if (f == LK_TABLE_JSON || f == LK_TABLE_JSONL)
        rc = write_json(t, out, f == LK_TABLE_JSONL, e);
    else if (f == LK_TABLE_MD)
        lk_md_table(out, t);
    else
        write_text(t, out);
    if (rc == LK_OK && (fflush(out) != 0 || ferror(out)))
        rc = lk_fail(e, LK_ERUN, "%s: %s", out == stdout ? "standard output" : "write",
                     strerror(errno));
    return rc;
}

int lk_table_save(const lk_table *t, lk_table_format f, const char *path, lk_err *e)
{
    lk_outfile o;
    int rc = lk_outfile_open(&o, path, e);
    if (rc)
        return rc;
    if ((rc = lk_table_write(t, f, o.f, e))) { /* e.g. a full disk: name the file */
        lk_prefix(e, "%s", path);
        lk_outfile_abort(&o);
        return rc;
    }
    return lk_outfile_commit(&o, e);
}

bool lk_table_col_numeric(const lk_table *t, int col)
{
    const char *name = lk_table_colname(t, col);
    for (int r = 0; r < lk_table_rows(t); r++) {
        const char *v = lk_table_get(t, r, name);
        char *end;
        if (v && *v && (strtod(v, &end), *end))
            return false;
    }
    return true;
}
