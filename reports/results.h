/* results.h -- sweep results and the paper's tables, read back for the
 * report.
 *
 * A sweep result (dir/NAME.csv, as `lanky sweep --out dir` writes it) or
 * a paper table (reports/paper-data/NAME.csv) becomes a table of text
 * cells (common/table.h); the report's modules read cells by column name:
 *
 *   lk_table *sw;
 *   rep_load("reports/out", "table9", &sw, &e);  sw NULL: no such file
 *   double ms = rep_num(sw, r, "latency_ms_per_token");   NAN when empty
 *   lk_table_free(sw);
 *
 * Headers must name each column once; a `profile` cell must be a profile
 * file's base name (report column headers are built from it).
 */
#ifndef REPORTS_RESULTS_H
#define REPORTS_RESULTS_H

#include <stdbool.h>

#include "../common/err.h"
#include "../common/table.h"

/* dir/name.csv as a table; *t stays NULL when the file does not exist. */
int rep_load(const char *dir, const char *name, lk_table **t, lk_err *e);
/* The paper's table `name`: unlike a sweep's results, it must be there. */
int rep_load_paper(const char *paper_dir, const char *name, lk_table **t, lk_err *e);

/* A cell as text ("" when the table, row or column is missing). */
const char *rep_get(const lk_table *t, int r, const char *col);
/* A cell as a number, NAN when it is empty or not a number. */
double rep_num(const lk_table *t, int r, const char *col);
/* "col=value" matches row r of t (NULL always matches). */
bool rep_where(const lk_table *t, int r, const char *where);

/* ---- cells the report writes (tables.c, figures.c) ----------------- */

/* How a number is shown; rep_put() is the only place numbers are
 * formatted. */
typedef enum {
    REP_TEXT,    /* copied as it is */
    REP_INT,     /* an integer */
    REP_MILLION, /* millions: parameters (M) and bytes (MB = 1e6 bytes) */
    REP_ONE,     /* one decimal: accuracy %, the paper's figures */
    REP_MS,      /* milliseconds */
    REP_MJ,      /* millijoules */
    REP_PCT,     /* a fraction shown in percent */
    REP_REL,     /* change against the table's first row, in percent */
} rep_fmt;

/* Put v into the newest row of t in format f; NAN leaves the cell empty. */
void rep_put(lk_table *t, const char *col, double v, rep_fmt f);

/* The simulated SoCs in t, in order: every profile but the host, at
 * most REP_MAX_SOCS of them into out. */
#define REP_MAX_SOCS 16
int rep_socs(const lk_table *t, const char **out);

/* The row of paper that row r of sw joins: every {paper column, sweep
 * column} pair of pairs (at most REP_MAX_JOIN, ended early by a NULL
 * paper column) equal ignoring case, and paper_where true; or -1. */
#define REP_MAX_JOIN 5
int rep_join(const char *const pairs[][2], const char *paper_where,
             const lk_table *paper, const lk_table *sw, int r);

#endif
