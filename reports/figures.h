/* figures.h -- the data of the report's figures (part of lanky report,
 * reports/report.h): fig_<file>.csv, which reports/fig_<file>.gp plots.
 * For figure i:
 *
 *   rep_fig_about a = rep_fig_info(i);       its file, title, sentence
 *   rep_fig_check(i, dir, paper_dir, &e);    its inputs can be read
 *   rep_fig_write(i, dir, paper_dir, &e);    writes dir/fig_<file>.csv
 */
#ifndef REPORTS_FIGURES_H
#define REPORTS_FIGURES_H

#include "../common/err.h"

typedef struct {
    const char *file;  /* fig_<file>.csv here, fig_<file>.gp in reports/ */
    const char *title;
    const char *says;  /* one sentence for index.md */
} rep_fig_about;

int rep_fig_count(void);
rep_fig_about rep_fig_info(int i);
int rep_fig_check(int i, const char *dir, const char *paper_dir, lk_err *e);
int rep_fig_write(int i, const char *dir, const char *paper_dir, lk_err *e);

#endif
