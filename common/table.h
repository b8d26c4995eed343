/* table.h -- rows of named columns, printed as an aligned table, CSV
 * (through libcsv) or JSON (through cJSON).
 *
 * Every command and report builds its output as a table (printed aligned,
 * or as CSV, JSON, JSON lines or Markdown):
 *
 *   lk_table *t = lk_table_new("profile,share,dram_read_bytes");
 *   lk_table_row(t);
 *   lk_table_put(t, "profile", "%s", "a16");
 *   lk_table_putu(t, "dram_read_bytes", 123456);
 *   lk_table_write(t, LK_TABLE_CSV, stdout, &e);      or lk_table_save(..., path)
 *   lk_table_free(t);
 *
 * Cells are kept as text; cells set with lk_table_puti/putu/putf/putg are
 * also marked numeric (when finite), so JSON prints them as numbers. A cell never set is
 * empty. Columns are fixed at lk_table_new(), in that order.
 */
#ifndef COMMON_TABLE_H
#define COMMON_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* md: a GitHub Markdown table (md.h); jsonl: one JSON object per row and
 * line, as llama-bench writes them. */
typedef enum { LK_TABLE_TEXT, LK_TABLE_CSV, LK_TABLE_JSON, LK_TABLE_JSONL, LK_TABLE_MD } lk_table_format;

typedef struct lk_table lk_table;

/* Columns as one comma-separated list. Returns NULL when out of memory. */
lk_table *lk_table_new(const char *columns);
void lk_table_free(lk_table *t);

/* Start a new, empty row; the put functions fill the newest row. */
int lk_table_row(lk_table *t);

/* Set a cell of the newest row; an unknown column is a programming error
 * and aborts with a message (it cannot come from user input). */
void lk_table_put(lk_table *t, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lk_table_puti(lk_table *t, const char *col, int64_t v);
void lk_table_putu(lk_table *t, const char *col, uint64_t v);
void lk_table_putf(lk_table *t, const char *col, double v, int decimals);
/* v with `digits` significant digits (%.*g): 9 give a float back exactly. */
void lk_table_putg(lk_table *t, const char *col, double v, int digits);

/* n numbers with `digits` significant digits, joined by ';' in text and
 * CSV ("1.5;2;2.25"), a JSON array in json and jsonl (llama-bench's
 * samples_ts); a list with NaN or infinity is text in JSON too. */
void lk_table_put_list(lk_table *t, const char *col, const double *v, int n, int digits);

/* Read back, for reports and tests: number of rows/columns, a cell. */
int lk_table_rows(const lk_table *t);
int lk_table_cols(const lk_table *t);
const char *lk_table_colname(const lk_table *t, int col);
const char *lk_table_get(const lk_table *t, int row, const char *col);
/* Whether every non-empty cell of column col parses whole as a number
 * (writers right-align such columns). */
bool lk_table_col_numeric(const lk_table *t, int col);

/* "table", "csv", "json", "jsonl" or "md". */
int lk_table_parse_format(const char *s, lk_table_format *f, lk_err *e);

int lk_table_write(const lk_table *t, lk_table_format f, FILE *out, lk_err *e);

/* Write to path whole or not at all: a temporary file in the same folder,
 * renamed over path only when complete. */
int lk_table_save(const lk_table *t, lk_table_format f, const char *path, lk_err *e);

#endif
