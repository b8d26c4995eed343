/* testutil.c -- helpers shared by the Check suites (see testutil.h). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc(n + 1);
    ck_assert(s != NULL);
    ck_assert_int_eq(fread(s, 1, n, f), n);
    s[n] = 0;
    fclose(f);
    return s;
}

int tu_sh(const char *cmdline, char **out, char **err)
{
    char o[] = "/tmp/lanky-out-XXXXXX", e[] = "/tmp/lanky-err-XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    ck_assert(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    char *cmd;
    ck_assert(asprintf(&cmd, "(%s) >%s 2>%s </dev/null", cmdline, o, e) > 0);
    int st = system(cmd);
    free(cmd);
    if (out)
        *out = slurp(o);
    if (err)
        *err = slurp(e);
    unlink(o);
    unlink(e);
    ck_assert_msg(WIFEXITED(st), "%s did not exit normally", cmdline);
    return WEXITSTATUS(st);
}

int tu_run(const char *args, char **out, char **err)
{
    const char *bin = getenv("LANKY_BIN");
    ck_assert_msg(bin != NULL, "LANKY_BIN is not set (run through make check)");
    char *cmd;
    ck_assert(asprintf(&cmd, "%s %s", bin, args) > 0);
    int st = tu_sh(cmd, out, err);
    free(cmd);
    return st;
}

arch_spec tu_spec(const char *opts)
{
    arch_spec s;
    lk_err e = {0};
    arch_spec_init(&s);
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof buf, "%s", opts);
    for (char *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        ck_assert_msg(eq != NULL, "tu_spec: '%s' is not key=value", kv);
        *eq = 0;
        ck_assert_msg(arch_spec_set(&s, kv, eq + 1, &e) == LK_OK, "%s", e.msg);
    }
    ck_assert_msg(arch_spec_finish(&s, &e) == LK_OK, "%s: %s", opts, e.msg);
    return s;
}

const char *tu_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("LANKY_ROOT");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

/* Made by tu_main() before any test forks, removed after the suite, so
 * every test process of a suite shares one folder. */
static char tmpdir[64];

const char *tu_tmpdir(void)
{
    ck_assert_msg(tmpdir[0] != 0, "tu_tmpdir: call tests through tu_main()");
    return tmpdir;
}

void tu_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

int tu_main(Suite *s)
{
    strcpy(tmpdir, "/tmp/lanky-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void tu_logits(const char *path, const char *opts, const char *tokens, int n,
               double *got)
{
    char *cmd, *out = NULL, *err = NULL;
    ck_assert(asprintf(&cmd, "logits --checkpoint %s %s --tokens %s", path, opts,
                       tokens) > 0);
    int rc = tu_run(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err);
    char *p = out, *end;
    for (int i = 0; i < n; i++, p = end) {
        got[i] = strtod(p, &end);
        ck_assert_msg(end != p, "%s: logit %d missing", cmd, i);
    }
    free(cmd);
    free(out);
    free(err);
}

char *tu_numbers(char *text, int n, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = strtod(text, &text);
    return text;
}

double tu_rel_error(const double *got, const double *want, int n)
{
    double top = 0, worst = 0;
    for (int i = 0; i < n; i++)
        top = fmax(top, fabs(want[i]));
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i]));
    ck_assert_msg(top > 0.1, "degenerate logits");
    return worst / top;
}

void tu_assert_close(const double *got, const double *want, int n, double tol,
                     const char *what)
{
    double err = tu_rel_error(got, want, n);
    ck_assert_msg(err <= tol, "%s: off by %g of the largest logit", what, err);
}

void tu_refused(const char *args, const char *a, const char *b)
{
    char *err = NULL;
    int rc = tu_run(args, NULL, &err);
    ck_assert_msg(rc == 2, "%s: exit %d, not 2 (%s)", args, rc, err);
    ck_assert_msg(strstr(err, a) && strstr(err, b), "%s: '%s' names not %s and %s", args,
                  err, a, b);
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl && !nl[1], "%s: not one line: '%s'", args, err);
    free(err);
}
