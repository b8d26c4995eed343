/* infile.h -- opening a file the user named for reading. */
#ifndef LK_INFILE_H
#define LK_INFILE_H

#include <stdio.h>

#include "err.h"

/* fopen(path, "r"), refusing a folder (which fopen opens, only for every
 * read to fail later). NULL with LK_EINPUT and "path: why" in e. */
FILE *lk_infile_open(const char *path, lk_err *e);

#endif
