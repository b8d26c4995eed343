/* csvin.c -- CSV records with line numbers, through libcsv (see csvin.h). */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/infile.h"

typedef struct {
    const char *path;
    csvin_row_fn row;
    void *ctx;
    lk_err *e;
    int rc;            /* first failure; later records are ignored */
    long line;         /* line being fed to the parser */
    long start;        /* line the current record started on */
    bool at_boundary;  /* the parser has just finished a record */
    int cr_lines;      /* lines end in a lone CR: 1, in LF or CRLF: 0, unknown: -1 */
    int n, cap;
    char **fields;
} reader;

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->rc)
        return;
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        char **f = realloc(r->fields, cap * sizeof *f);
        if (!f) {
            r->rc = lk_fail(r->e, LK_ERUN, "out of memory");
            return;
        }
        r->fields = f;
        r->cap = cap;
    }
    char *copy = strndup(s ? s : "", s ? len : 0);
    if (!copy) {
        r->rc = lk_fail(r->e, LK_ERUN, "out of memory");
        return;
    }
    r->fields[r->n++] = copy;
}

static void clear_fields(reader *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->fields[i]);
    r->n = 0;
}

static void on_record(int c, void *data)
{
    reader *r = data;
    (void)c;
    if (!r->rc)
        r->rc = r->row(r->ctx, r->start, r->n, r->fields, r->e);
    clear_fields(r);
    r->at_boundary = true;
}

/* Whether a file whose first getline() gave s (n bytes) ends its lines
 * in a lone CR (old Mac line ends, which some spreadsheets still write):
 * its first line end is a CR not followed by LF. Decided once, so that a
 * CR inside a quoted field of an LF or CRLF file is not a line end. */
static int lone_cr(const char *s, size_t n)
{
    size_t i = strcspn(s, "\r\n");
    return i + 1 < n && s[i] == '\r' && s[i + 1] != '\n';
}

/* Bytes of the first line of s (n bytes, from getline()): up to and
 * including its first CR in a CR-lines file, else all of s. */
static size_t line_length(const reader *r, const char *s, size_t n)
{
    const char *cr = r->cr_lines ? memchr(s, '\r', n) : NULL;
    return cr ? (size_t)(cr - s) + 1 : n;
}

/* One line (len bytes) to the parser. */
static void feed_line(struct csv_parser *p, reader *r, const char *s, size_t len)
{
    r->line++;
    if (r->at_boundary) {
        if (strspn(s, " \t\r\n") >= len)
            return;
        r->start = r->line;
        r->at_boundary = false;
    }
    /* a UTF-8 byte order mark (spreadsheets write one) is not data */
    size_t skip = r->line == 1 && len >= 3 && !strncmp(s, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (csv_parse(p, s + skip, len - skip, on_field, on_record, r) != len - skip && !r->rc)
        r->rc = lk_fail(r->e, LK_EINPUT, "%s:%ld: %s", r->path, r->line,
                        csv_error(p) == CSV_EPARSE
                            ? "misplaced quote (quote the whole field and double "
                              "the quotes inside it)"
                            : csv_strerror(csv_error(p)));
}

/* Feed the parser one line at a time so each record knows its line. */
static int feed(FILE *f, struct csv_parser *p, reader *r)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t total = 0; /* against LK_INFILE_MAX_BYTES, for a file growing while read */
    while (!r->rc && (got = getline(&buf, &cap, f)) > 0) {
        if ((total += (size_t)got) > LK_INFILE_MAX_BYTES) {
            r->rc = lk_fail(r->e, LK_EINPUT, "%s:%ld: larger than the %u MB limit for a "
                            "text input", r->path, r->line + 1, LK_INFILE_MAX_BYTES >> 20);
            break;
        }
        if (memchr(buf, 0, (size_t)got)) { /* a cell would end at it */
            r->rc = lk_fail(r->e, LK_EINPUT, "%s:%ld: a NUL byte in the line", r->path,
                            r->line + 1);
            break;
        }
        if (r->cr_lines < 0)
            r->cr_lines = lone_cr(buf, (size_t)got);
        for (size_t at = 0, len; !r->rc && at < (size_t)got; at += len) {
            len = line_length(r, buf + at, (size_t)got - at);
            feed_line(p, r, buf + at, len);
        }
    }
    free(buf);
    if (!r->rc && ferror(f))
        r->rc = lk_fail(r->e, LK_ERUN, "%s: %s", r->path, strerror(errno));
    if (!r->rc && csv_fini(p, on_field, on_record, r) != 0 && !r->rc)
        r->rc = lk_fail(r->e, LK_EINPUT, "%s:%ld: unterminated quoted field",
                        r->path, r->start);
    return r->rc;
}

int csvin_read(const char *path, csvin_row_fn row, void *ctx, lk_err *e)
{
    FILE *f = lk_infile_open(path, e); /* a file the user named: bad input */
    if (!f)
        return LK_EINPUT;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        return lk_fail(e, LK_ERUN, "%s: out of memory", path);
    }
    reader r = {.path = path, .row = row, .ctx = ctx, .e = e, .at_boundary = true,
                .cr_lines = -1};
    int rc = feed(f, &p, &r);
    clear_fields(&r);
    free(r.fields);
    csv_free(&p);
    fclose(f);
    return rc;
}
