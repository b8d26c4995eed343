/* project.h -- finding the project folder's data (hw-profiles, the
 * paper's tables) from wherever lanky runs. */
#ifndef LK_PROJECT_H
#define LK_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

/* dst = the project's folder `sub` ("hw-profiles", "reports/paper-data"):
 * sub in the nearest folder above the running binary that has one
 * (build/lanky, build-x/asan/lanky, build/tests/test_sim), or in that
 * folder's share/lanky (an installed PREFIX/bin/lanky finds
 * PREFIX/share/lanky/sub; the Makefile's install rule lays it out so).
 * false if none has. */
bool lk_project_path(char *dst, size_t n, const char *sub);

#endif
