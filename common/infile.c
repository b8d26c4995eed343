/* infile.c -- opening a file the user named for reading (see infile.h). */
#include "infile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *lk_infile_open(const char *path, lk_err *e)
{
    /* O_NONBLOCK: opening a FIFO with no writer would otherwise block
     * before fstat could refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    FILE *f = NULL;
    if (fd < 0)
        lk_fail(e, LK_EINPUT, "%s: %s", path, strerror(errno));
    else if (fstat(fd, &st) != 0)
        lk_fail(e, LK_EINPUT, "%s: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        lk_fail(e, LK_EINPUT, "%s: a folder, not a file", path);
    else if (!S_ISREG(st.st_mode))
        lk_fail(e, LK_EINPUT, "%s: not a regular file (a FIFO, socket or device)", path);
    else if ((unsigned long long)st.st_size > LK_INFILE_MAX_BYTES)
        lk_fail(e, LK_EINPUT, "%s: %lld bytes, larger than the %u MB limit for a text "
                "input", path, (long long)st.st_size, LK_INFILE_MAX_BYTES >> 20);
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
             !(f = fdopen(fd, "r")))
        lk_fail(e, LK_ERUN, "%s: %s", path, strerror(errno));
    if (!f && fd >= 0)
        close(fd);
    return f;
}

int lk_infile_map(const char *path, uint64_t min_bytes, const char *what,
                  const unsigned char **map, uint64_t *bytes, lk_err *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* as lk_infile_open */
    if (fd < 0)
        return lk_fail(e, LK_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    void *m = MAP_FAILED;
    int rc = LK_OK;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        rc = lk_fail(e, LK_EINPUT, "%s: not a regular file", path);
    else if ((uint64_t)st.st_size < min_bytes || st.st_size == 0)
        rc = lk_fail(e, LK_EINPUT, "%s: truncated: %lld bytes, %s alone needs %llu", path,
                     (long long)st.st_size, what, (unsigned long long)min_bytes);
    else if ((m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        rc = lk_fail(e, LK_ERUN, "%s: cannot map: %s", path, strerror(errno));
    close(fd);
    if (!rc) {
        *map = m;
        *bytes = (uint64_t)st.st_size;
    }
    return rc;
}

void lk_infile_base(char *dst, size_t size, const char *path, const char *ext)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b), n = strlen(ext);
    if (len > n && !strcmp(b + len - n, ext))
        len -= n;
    snprintf(dst, size, "%.*s", (int)len, b);
}
