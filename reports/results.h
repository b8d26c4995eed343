/* results.h -- sweep results and the paper's tables, read back for the
 * report.
 *
 * A sweep result (dir/NAME.csv, as `lanky sweep --out dir` writes it) or
 * a paper table (reports/paper-data/NAME.csv) becomes a table of text
 * cells (common/table.h); the report's modules read cells by column name:
 *
 *   table *sw;
 *   rep_load("reports/out", "table9", &sw, &e);  sw NULL: no such file
 *   double ms = rep_num(sw, r, "latency_ms_per_token");   NAN when empty
 *   table_free(sw);
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
int rep_load(const char *dir, const char *name, table **t, lk_err *e);
/* The paper's table `name`: unlike a sweep's results, it must be there. */
int rep_load_paper(const char *paper_dir, const char *name, table **t, lk_err *e);

/* A cell as text ("" when the table, row or column is missing). */
const char *rep_get(const table *t, int r, const char *col);
/* A cell as a number, NAN when it is empty or not a number. */
double rep_num(const table *t, int r, const char *col);
/* "col=value" matches row r of t (NULL always matches). */
bool rep_where(const table *t, int r, const char *where);

#endif
