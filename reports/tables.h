/* tables.h -- the report's paper-style tables (part of lanky report,
 * reports/report.h).
 *
 * Each table is a definition in tables.c: the sweep result it reads, the
 * paper table it joins and how, and its columns (a value from the spec's
 * sweep rows on any profile, one profile or each SoC, or from the joined
 * paper row, in one of results.h's formats). For table i:
 *
 *   rep_tab_about a = rep_tab_info(i);         its file, title, sweep
 *   rep_tab_check(i, dir, paper_dir, &e);      its inputs have what it reads
 *   rep_tab_write(i, dir, paper_dir, &t, cap, &modes, &e);
 *       writes tab_<file>.md/.tex/.csv, returns the table and its caption
 *       (how its rows were made, the units of its numbers) and adds the
 *       simulation modes of its rows to modes (index.md names them)
 */
#ifndef REPORTS_TABLES_H
#define REPORTS_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "../common/table.h"

#define REP_CAPTION 1024 /* bytes of a caption */

/* The distinct non-empty values of a column, in order of first sight. */
#define REP_MAX_VALUES 4
typedef struct {
    int n;
    bool more; /* more than REP_MAX_VALUES of them */
    char v[REP_MAX_VALUES][32];
} rep_values;

void rep_values_add(rep_values *v, const char *s);
/* Append v to the text in buf: "a", "a and b", "a, b and c", "a, b, c, d
 * and others". */
void rep_values_say(const rep_values *v, char *buf, size_t size);

typedef struct {
    const char *file;  /* tab_<file>.md/.tex/.csv */
    const char *title;
    const char *says;  /* one sentence for index.md */
    const char *sweep; /* the sweep result it reads (dir/<sweep>.csv) */
} rep_tab_about;

int rep_tab_count(void);
rep_tab_about rep_tab_info(int i);

/* Table i's sweep result in dir (when there) and paper table: the
 * columns it reads are there and its numbers are numbers. */
int rep_tab_check(int i, const char *dir, const char *paper_dir, lk_err *e);

/* Build table i, write its files into dir, and return it in *t (the
 * caller frees it) and its caption in cap (REP_CAPTION bytes). */
int rep_tab_write(int i, const char *dir, const char *paper_dir, lk_table **t, char *cap,
                  rep_values *modes, lk_err *e);

#endif
