/* infile.h -- opening a file the user named for reading. */
#ifndef LK_INFILE_H
#define LK_INFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* The largest text input lanky reads (config.json, profiles, sweep CSVs):
 * the shipped ones are a few KB, so a file this large is a mistake (a
 * log, a device, a runaway script), and stopping here keeps memory
 * bounded. */
#define LK_INFILE_MAX_BYTES (64u << 20)

/* fopen(path, "r") for a regular file of at most LK_INFILE_MAX_BYTES.
 * A folder, FIFO, socket or device is refused without blocking (a FIFO
 * would wait forever for a writer; /dev/zero never ends). NULL with
 * LK_EINPUT and "path: why" in e. Readers still stop at the limit, for
 * a file that grows while it is read. */
FILE *lk_infile_open(const char *path, lk_err *e);

/* Map a binary input (a checkpoint) read-only, whole: a regular file of
 * at least min_bytes (else "path: truncated: N bytes, <what> alone needs
 * min_bytes"), refused without blocking as above. Unmap with
 * munmap(*map, *bytes). LK_EINPUT for the file, LK_ERUN if mmap fails. */
int lk_infile_map(const char *path, uint64_t min_bytes, const char *what,
                  const unsigned char **map, uint64_t *bytes, lk_err *e);

/* The name an input file gives what it holds: path without its folder and
 * without ext when it ends so ("hw-profiles/a15.ini", ".ini" -> "a15"),
 * truncated to size - 1 bytes. */
void lk_infile_base(char *dst, size_t size, const char *path, const char *ext);

#endif
