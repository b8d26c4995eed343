/* err.h -- how lanky's library code reports failure.
 *
 * Library functions never print or exit. They return one of the codes
 * below and, on failure, leave a one-line message in an lk_err. Only the
 * command-line front end decides to print "lanky: <msg>" and exit with
 * the code (2 for bad input, 1 for a failure while running).
 */
#ifndef LK_ERR_H
#define LK_ERR_H

enum {
    LK_OK = 0,
    LK_ERUN = 1,   /* something failed while running (I/O, memory, ...) */
    LK_EINPUT = 2, /* the user's input is wrong: spec, file, option */
};

typedef struct {
    int code;       /* LK_OK until lk_fail() is called */
    char msg[512];  /* "<what>: <why>", no trailing newline */
    const char *field; /* the model field whose value would fix it ("dim"),
                          or NULL; the caller words the request as its
                          user gives fields: the CLI "(give --dim N)", a
                          sweep "(fill a dim column)" (lk_suffix) */
} lk_err;

/* Record a failure in e (which may be NULL) and return code, so callers
 * can write `return lk_fail(e, LK_EINPUT, "dim: must be positive");`. */
int lk_fail(lk_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Name the field whose value would fix e's failure (lk_err.field); returns
 * e's code. lk_fail() clears it. */
int lk_ask(lk_err *e, const char *field);

/* Append to an existing message. */
int lk_suffix(lk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix an existing message, e.g. with a file name and line number. */
int lk_prefix(lk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
