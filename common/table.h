/* table.h -- rows of named columns, printed as an aligned table, CSV
 * (through libcsv) or JSON (through cJSON).
 *
 * Every command and report builds its output as a table (printed aligned,
 * or as CSV, JSON, JSON lines or Markdown):
 *
 *   table *t = table_new("profile,share,dram_read_bytes");
 *   table_row(t);
 *   table_put(t, "profile", "%s", "a16");
 *   table_putu(t, "dram_read_bytes", 123456);
 *   table_write(t, TABLE_CSV, stdout, &e);      or table_save(..., path)
 *   table_free(t);
 *
 * Cells are kept as text; cells set with table_puti/putu/putf/putg are
 * also marked numeric (when finite), so JSON prints them as numbers. A cell never set is
 * empty. Columns are fixed at table_new(), in that order.
 */
#ifndef COMMON_TABLE_H
#define COMMON_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* md: a GitHub Markdown table (md.h); jsonl: one JSON object per row and
 * line, as llama-bench writes them. */
typedef enum { TABLE_TEXT, TABLE_CSV, TABLE_JSON, TABLE_JSONL, TABLE_MD } table_format;

typedef struct table table;

/* Columns as one comma-separated list. Returns NULL when out of memory. */
table *table_new(const char *columns);
void table_free(table *t);

/* Start a new, empty row; the put functions fill the newest row. */
int table_row(table *t);

/* Set a cell of the newest row; an unknown column is a programming error
 * and aborts with a message (it cannot come from user input). */
void table_put(table *t, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void table_puti(table *t, const char *col, int64_t v);
void table_putu(table *t, const char *col, uint64_t v);
void table_putf(table *t, const char *col, double v, int decimals);
/* v with `digits` significant digits (%.*g): 9 give a float back exactly. */
void table_putg(table *t, const char *col, double v, int digits);

/* n numbers with `digits` significant digits, joined by ';' in text and
 * CSV ("1.5;2;2.25"), a JSON array in json and jsonl (llama-bench's
 * samples_ts); a list with NaN or infinity is text in JSON too. */
void table_put_list(table *t, const char *col, const double *v, int n, int digits);

/* Read back, for reports and tests: number of rows/columns, a cell. */
int table_rows(const table *t);
int table_cols(const table *t);
const char *table_colname(const table *t, int col);
const char *table_get(const table *t, int row, const char *col);
/* Whether every non-empty cell of column col parses whole as a number
 * (writers right-align such columns). */
bool table_col_numeric(const table *t, int col);

/* "table", "csv", "json", "jsonl" or "md". */
int table_parse_format(const char *s, table_format *f, lk_err *e);

int table_write(const table *t, table_format f, FILE *out, lk_err *e);

/* Write to path whole or not at all: a temporary file in the same folder,
 * renamed over path only when complete. */
int table_save(const table *t, table_format f, const char *path, lk_err *e);

#endif
