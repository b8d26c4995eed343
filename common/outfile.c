/* outfile.c -- output files written whole or not at all (see outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files open now, for lk_outfile_remove_pending(). A command
 * writes one file at a time; the slots only bound how many a signal can
 * clean up. */
#define PENDING 16
static char *volatile pending[PENDING];

static void track(char *tmp)
{
    for (int i = 0; i < PENDING; i++)
        if (!pending[i]) {
            pending[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < PENDING; i++)
        if (pending[i] == tmp)
            pending[i] = NULL;
}

void lk_outfile_remove_pending(void)
{
    for (int i = 0; i < PENDING; i++)
        if (pending[i])
            unlink(pending[i]);
}

/* The file the data should replace: path, or what its link points to
 * (a relative link is relative to the link's folder). */
static int resolve(const char *path, char **target, lk_err *e)
{
    struct stat st;
    char link[PATH_MAX];
    ssize_t n = 0;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if ((n = readlink(path, link, sizeof link - 1)) < 0)
            return lk_fail(e, LK_EINPUT, "%s: cannot read the link: %s", path,
                           strerror(errno));
        link[n] = 0;
    }
    const char *slash = strrchr(path, '/');
    int dir = n > 0 && link[0] != '/' && slash ? (int)(slash - path + 1) : 0;
    if (asprintf(target, "%.*s%s", dir, path, n > 0 ? link : path) < 0) {
        *target = NULL;
        return lk_fail(e, LK_ERUN, "%s: out of memory", path);
    }
    return LK_OK;
}

/* Refuse what a rename must not replace; *mode gets the new file's mode
 * (the old file's, else the default the umask allows). */
static int check_target(const char *path, const char *target, mode_t *mode, lk_err *e)
{
    struct stat st;
    if (stat(target, &st) != 0) {
        if (errno != ENOENT)
            return lk_fail(e, LK_EINPUT, "%s: cannot write: %s", path, strerror(errno));
        mode_t mask = umask(0);
        umask(mask);
        *mode = 0666 & ~mask;
        return LK_OK;
    }
    if (!S_ISREG(st.st_mode))
        return lk_fail(e, LK_EINPUT, "%s: not a regular file; give a file name to write",
                       path);
    if (access(target, W_OK) != 0)
        return lk_fail(e, LK_EINPUT, "%s: cannot write: %s", path, strerror(errno));
    *mode = st.st_mode & 07777;
    return LK_OK;
}

int lk_outfile_open(lk_outfile *o, const char *path, lk_err *e)
{
    *o = (lk_outfile){0};
    mode_t mode = 0644;
    int rc = resolve(path, &o->target, e);
    if (!rc)
        rc = check_target(path, o->target, &mode, e);
    if (!rc && asprintf(&o->tmp, "%s.tmpXXXXXX", o->target) < 0) {
        o->tmp = NULL;
        rc = lk_fail(e, LK_ERUN, "%s: out of memory", path);
    }
    if (rc) {
        free(o->target);
        return rc;
    }
    int fd = mkstemp(o->tmp);
    if (fd >= 0) {
        track(o->tmp);
        if (fchmod(fd, mode) == 0 && (o->f = fdopen(fd, "w")))
            return LK_OK;
        rc = errno;
        close(fd);
        lk_outfile_abort(o);
        return lk_fail(e, LK_ERUN, "%s: cannot write: %s", path, strerror(rc));
    }
    rc = lk_fail(e, LK_EINPUT, "%s: cannot write: %s", path, strerror(errno));
    free(o->tmp);
    free(o->target);
    return rc;
}

int lk_outfile_commit(lk_outfile *o, lk_err *e)
{
    errno = 0;
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    ok = fclose(o->f) == 0 && ok;
    o->f = NULL;
    if (ok && rename(o->tmp, o->target) == 0) {
        untrack(o->tmp);
        free(o->tmp);
        free(o->target);
        *o = (lk_outfile){0};
        return LK_OK;
    }
    int rc = lk_fail(e, LK_ERUN, "%s: cannot write: %s", o->target,
                     strerror(errno ? errno : EIO));
    lk_outfile_abort(o);
    return rc;
}

void lk_outfile_abort(lk_outfile *o)
{
    if (o->f)
        fclose(o->f);
    untrack(o->tmp);
    unlink(o->tmp);
    free(o->tmp);
    free(o->target);
    *o = (lk_outfile){0};
}

int lk_outfile_write(const char *path, const char *text, size_t len, lk_err *e)
{
    lk_outfile o;
    int rc = lk_outfile_open(&o, path, e);
    if (rc)
        return rc;
    fwrite(text, 1, len, o.f);
    return lk_outfile_commit(&o, e);
}
