/* project.c -- finding the project folder's data (see project.h). */
#include "project.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool lk_project_path(char *dst, size_t n, const char *sub)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return false;
    exe[len] = 0;
    for (char *slash; (slash = strrchr(exe, '/')) != NULL;) {
        *slash = 0;
        if ((size_t)snprintf(dst, n, "%s/%s", exe, sub) < n && access(dst, X_OK) == 0)
            return true;
        if ((size_t)snprintf(dst, n, "%s/share/lanky/%s", exe, sub) < n &&
            access(dst, X_OK) == 0)
            return true;
    }
    return false;
}
