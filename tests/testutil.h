/* testutil.h -- helpers shared by the Check suites.
 *
 * The Makefile runs every test program with LANKY_BIN (the lanky binary
 * of the build under test) and LANKY_ROOT (the project folder) set. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>

#include "../arch/spec.h"

/* Run "$LANKY_BIN args" through sh; returns its exit status and, when
 * out/err are not NULL, what it printed (malloc'd, NUL-terminated). */
int tu_run(const char *args, char **out, char **err);

/* The same for any shell command line ("cd / && $LANKY_BIN ..."). */
int tu_sh(const char *cmdline, char **out, char **err);

/* A finished spec from "key=value key=value ..." (arch_spec_set keys);
 * fails the test when a key, a value or the spec is rejected. */
arch_spec tu_spec(const char *opts);

/* LANKY_ROOT/rel in a static buffer. */
const char *tu_path(const char *rel);

/* The suite's temporary folder (made and removed by tu_main). */
const char *tu_tmpdir(void);

/* Write text to path; abort the test on failure. */
void tu_write(const char *path, const char *text);

/* Checkpoint suites (test_hf, test_gguf): `lanky logits --checkpoint
 * path opts --tokens tokens`, its n logits into got (the test fails
 * unless it exits 0 and prints n numbers). */
void tu_logits(const char *path, const char *opts, const char *tokens, int n,
               double *got);

/* n numbers from text (a script's reference logits) into out; returns
 * the rest of text. */
char *tu_numbers(char *text, int n, double *out);

/* The largest |got - want| as a fraction of the largest |want| (per-logit
 * relative error is meaningless for logits near zero); fails the test
 * when every |want| is below 0.1 (degenerate logits). */
double tu_rel_error(const double *got, const double *want, int n);

/* tu_rel_error(got, want, n) <= tol, else the test fails naming what. */
void tu_assert_close(const double *got, const double *want, int n, double tol,
                     const char *what);

/* `lanky args` must exit 2 with one line containing a and b (the file
 * and what is wrong with it). */
void tu_refused(const char *args, const char *a, const char *b);

/* Run one suite, print Check's summary, return the exit status. */
int tu_main(Suite *s);

#endif
