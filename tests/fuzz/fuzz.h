/* fuzz.h -- what the libFuzzer harnesses share (tests/fuzz/README.md).
 *
 * lanky's parsers read files the user names, so each harness hands its
 * input to the parser as a file: fz_path() writes the bytes to one
 * memory file per process and returns a path to it. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The input as a readable regular file; the path stays valid until the
 * next call. Aborts when the memory file cannot be made (not an input
 * bug, so not something to fuzz past). */
const char *fz_path(const uint8_t *data, size_t size);

#endif
