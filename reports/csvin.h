/* csvin.h -- read a CSV file with libcsv, one record at a time.
 *
 * csvin_read() calls row() once per record, the header included, with the
 * record's fields as NUL-terminated strings and the line the record starts
 * on (1-based), so callers can report "FILE:LINE: message". Lines end in
 * LF, CRLF or, when the first line ends so, a lone CR. Empty lines are
 * skipped. Quoting follows RFC 4180; a malformed quote is an error.
 *
 *   static int row(void *ctx, long line, int n, char **fields, lk_err *e)
 *   { ... return LK_OK; }           any other code stops the read
 *   csvin_read("sweeps/table9.csv", row, &ctx, &e);
 */
#ifndef REPORTS_CSVIN_H
#define REPORTS_CSVIN_H

#include "../common/err.h"

typedef int (*csvin_row_fn)(void *ctx, long line, int nfields, char **fields,
                            lk_err *e);

/* LK_OK, the code row() returned, LK_EINPUT for a malformed file (the
 * message names file and line) or LK_ERUN when the file cannot be read. */
int csvin_read(const char *path, csvin_row_fn row, void *ctx, lk_err *e);

#endif
