/* infile.c -- opening a file the user named for reading (see infile.h). */
#include "infile.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

FILE *lk_infile_open(const char *path, lk_err *e)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f)
        lk_fail(e, LK_EINPUT, "%s: %s", path, strerror(errno));
    else if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        f = NULL;
        lk_fail(e, LK_EINPUT, "%s: a folder, not a file", path);
    }
    return f;
}
