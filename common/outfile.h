/* outfile.h -- output files written whole or not at all.
 *
 * Everything lanky writes to a named file (tables, reports, host.ini,
 * checkpoints) goes through here:
 *
 *   lk_outfile o;
 *   if (lk_outfile_open(&o, path, &e)) return e.code;
 *   fprintf(o.f, ...);
 *   return lk_outfile_commit(&o, &e);    (or lk_outfile_abort(&o))
 *
 * The data goes to a temporary file beside the target, renamed over it
 * only when complete, so readers never see half a file and a failure
 * leaves the old one. The target must be a regular file or not exist: a
 * device, a folder or a read-only file is refused before anything is
 * written (a rename would replace /dev/null itself). A symbolic link is
 * written through: its target is replaced, the link stays.
 */
#ifndef LK_OUTFILE_H
#define LK_OUTFILE_H

#include <stdio.h>

#include "err.h"

typedef struct {
    FILE *f;       /* write here */
    char *target;  /* the file the data ends up in */
    char *tmp;     /* the temporary file being written */
} lk_outfile;

/* Create the temporary file for path. LK_EINPUT when path cannot be
 * written (no such folder, not a regular file, no permission), LK_ERUN
 * when memory runs out. */
int lk_outfile_open(lk_outfile *o, const char *path, lk_err *e);

/* Flush, close and rename over the target; on any failure remove the
 * temporary file and return LK_ERUN (disk full, I/O error). */
int lk_outfile_commit(lk_outfile *o, lk_err *e);

/* Close and remove the temporary file; the target is untouched. */
void lk_outfile_abort(lk_outfile *o);

/* The len bytes of text as the file path, whole or not at all (open,
 * write, commit). */
int lk_outfile_write(const char *path, const char *text, size_t len, lk_err *e);

/* Remove every temporary file still open. Async-signal-safe: for the
 * CLI's SIGINT/SIGTERM handler, so that an interrupted command leaves
 * nothing behind. */
void lk_outfile_remove_pending(void);

#endif
