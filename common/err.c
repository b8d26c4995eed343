/* err.c -- failure messages for library code (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lk_fail(lk_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    e->field = NULL;
    return code;
}

int lk_ask(lk_err *e, const char *field)
{
    if (!e)
        return LK_EINPUT;
    e->field = field;
    return e->code;
}

int lk_suffix(lk_err *e, const char *fmt, ...)
{
    if (!e)
        return LK_ERUN;
    size_t n = strlen(e->msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
    va_end(ap);
    return e->code;
}

int lk_prefix(lk_err *e, const char *fmt, ...)
{
    if (!e)
        return LK_ERUN;
    char head[256], old[sizeof e->msg], both[sizeof head + sizeof old + 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(both, sizeof both, "%s: %s", head, old);
    both[sizeof e->msg - 1] = 0; /* truncate to fit */
    memcpy(e->msg, both, sizeof e->msg);
    return e->code;
}
