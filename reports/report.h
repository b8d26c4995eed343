/* report.h -- the paper-style report from sweep results.
 *
 * report_write() reads the sweep results in dir (the CSV files `lanky
 * sweep --out dir` wrote for the files in sweeps/) and the paper's tables
 * in paper_dir, and writes into dir:
 *
 *   tab_*.md, tab_*.tex, tab_*.csv   each table as Markdown, LaTeX
 *                                    (booktabs) and CSV
 *   fig_*.csv                        the data each gnuplot script plots
 *   index.md                         every table and figure in order, one
 *                                    sentence on what each shows
 *
 * Each table's caption (in its Markdown, LaTeX and index.md) says how
 * its rows were made -- the simulation mode of the sweep rows (exact or
 * analytic), or parameters only -- and the units of its numbers, with
 * the context positions and dtypes of its rows. index.md also quotes
 * the first line of dir/effort.txt when there is one: how much the run
 * measured (reports/make-report.sh writes it: quick or full).
 *
 * The figures themselves are drawn by the gnuplot scripts reports/fig_*.gp
 * (reports/make-report.sh runs them). A missing sweep result or profile
 * leaves its cells empty rather than failing, so a parameter-only run
 * still gives every table. Every file is written whole or not at all.
 */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include "../common/err.h"

int report_write(const char *dir, const char *paper_dir, lk_err *e);

#endif
