/* test_outfile.c -- output files are written whole or not at all: the
 * target gets all of the data or keeps its old contents, no temporary
 * file is left behind (also when the command is interrupted), and what
 * a rename must not replace (a device, a folder) is refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/outfile.h"
#include "testutil.h"

static const char *path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tu_tmpdir(), name);
    return buf[k];
}

/* The contents of a file, "" if it does not exist (static buffer). */
static const char *contents(const char *p)
{
    static char buf[256];
    buf[0] = 0;
    FILE *f = fopen(p, "r");
    if (f) {
        buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
        fclose(f);
    }
    return buf;
}

/* Files in the temporary folder whose name contains ".tmp". */
static int temporaries(void)
{
    DIR *d = opendir(tu_tmpdir());
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *x; (x = readdir(d));)
        n += strstr(x->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

static int save(const char *p, const char *text, lk_err *e)
{
    lk_outfile o;
    int rc = lk_outfile_open(&o, p, e);
    if (rc)
        return rc;
    fputs(text, o.f);
    return lk_outfile_commit(&o, e);
}

START_TEST(commit_and_abort)
{
    lk_err e = {0};
    ck_assert_int_eq(save(path("a.txt"), "first", &e), LK_OK);
    ck_assert_str_eq(contents(path("a.txt")), "first");
    lk_outfile o;
    ck_assert_int_eq(lk_outfile_open(&o, path("a.txt"), &e), LK_OK);
    fputs("second", o.f);
    ck_assert_int_eq(temporaries(), 1);
    ck_assert_str_eq(contents(path("a.txt")), "first"); /* not yet */
    lk_outfile_abort(&o);
    ck_assert_str_eq(contents(path("a.txt")), "first");
    ck_assert_int_eq(temporaries(), 0);
}
END_TEST

START_TEST(refused_targets)
{
    static const char *const bad[] = {"/dev/null", "/nonexistent-folder/x", NULL};
    for (int i = 0; i < 3; i++) {
        lk_err e = {0};
        const char *p = bad[i] ? bad[i] : tu_tmpdir();
        ck_assert_int_eq(save(p, "x", &e), LK_EINPUT);
        ck_assert_msg(strncmp(e.msg, p, strlen(p)) == 0, "%s", e.msg);
    }
    struct stat st;
    ck_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}
END_TEST

/* A link is written through (relative to its own folder) and stays a
 * link; a dangling link into a missing folder is refused. */
START_TEST(links_written_through)
{
    lk_err e = {0};
    mkdir(path("sub"), 0755);
    ck_assert_int_eq(symlink("target.txt", path("sub/link")), 0);
    ck_assert_int_eq(save(path("sub/link"), "via link", &e), LK_OK);
    ck_assert_str_eq(contents(path("sub/target.txt")), "via link");
    struct stat st;
    ck_assert(lstat(path("sub/link"), &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert_int_eq(symlink("/nonexistent-folder/x", path("dangling")), 0);
    ck_assert_int_eq(save(path("dangling"), "x", &e), LK_EINPUT);
}
END_TEST

START_TEST(pending_removed)
{
    lk_err e = {0};
    lk_outfile o;
    ck_assert_int_eq(lk_outfile_open(&o, path("b.txt"), &e), LK_OK);
    ck_assert_int_eq(temporaries(), 1);
    lk_outfile_remove_pending(); /* what the CLI's signal handler does */
    ck_assert_int_eq(temporaries(), 0);
    lk_outfile_abort(&o);
    ck_assert_str_eq(contents(path("b.txt")), "");
}
END_TEST

/* The CLI interrupted while writing a checkpoint (about 3.8 GB in f32, many
 * seconds): no temporary file stays, no checkpoint appears. */
START_TEST(interrupted_export)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "timeout -s %s 0.5 $LANKY_BIN export --layers 16 --dim 2048 --heads 16 --out %s",
             _i ? "TERM" : "INT", path("big.bin"));
    ck_assert_int_eq(tu_sh(cmd, NULL, NULL), 124); /* timeout: it was interrupted */
    ck_assert_int_eq(temporaries(), 0);
    ck_assert_int_ne(access(path("big.bin"), F_OK), 0);
}
END_TEST

/* A checkpoint larger than any disk is refused before a byte is written
 * (the timeout only bounds the damage if that check broke): 16384 layers
 * of dim 4096 in f32 are 16384 x (4 x 4096^2 + 3 x 4096 x 11008 + 2 x
 * 4096) x 4 bytes = 13263396 MB; with the 32000 x 4096 embedding and
 * classifier (untied, the default), the final norm and the RoPE tables
 * 13264445.5 MB. */
START_TEST(export_needs_room)
{
    char cmd[1024], *err;
    snprintf(cmd, sizeof cmd,
             "timeout 10 $LANKY_BIN export --layers 16384 --dim 4096 --heads 32 --out %s",
             path("huge.bin"));
    ck_assert_int_eq(tu_sh(cmd, NULL, &err), 1);
    ck_assert_msg(strstr(err, "huge.bin: needs 13264") && strstr(err, "MB free"), "%s", err);
    free(err);
    ck_assert_int_eq(temporaries(), 0);
    ck_assert_int_ne(access(path("huge.bin"), F_OK), 0);
}
END_TEST

/* A full disk behind standard output (/dev/full) is an error naming it,
 * not a silent success. */
START_TEST(stdout_full)
{
    char *err;
    ck_assert_int_eq(tu_sh("$LANKY_BIN params --preset mobilellm-125m > /dev/full", NULL, &err),
                     1);
    ck_assert_msg(!strcmp(err, "lanky: standard output: No space left on device\n"), "%s", err);
    free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outfile");
    TCase *tc = tcase_create("outfile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, commit_and_abort);
    tcase_add_test(tc, refused_targets);
    tcase_add_test(tc, links_written_through);
    tcase_add_test(tc, pending_removed);
    tcase_add_loop_test(tc, interrupted_export, 0, 2);
    tcase_add_test(tc, export_needs_room);
    tcase_add_test(tc, stdout_full);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
