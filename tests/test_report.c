/* test_report.c -- `lanky report`: the tables agree with the paper
 * (read independently, by python3's csv module), the paper's Table 7
 * ratios come out as the paper states them, and index.md points at every
 * table and figure data file written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Run sweeps (params-only unless profiles given) and the report in dir. */
static void report(const char *dir, const char *sweeps, const char *profiles)
{
    char args[2048], *err;
    snprintf(args, sizeof args, "sweep %s %s %s --out %s", sweeps,
             profiles ? "--profiles" : "", profiles ? profiles : "", dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 0);
    free(err);
    snprintf(args, sizeof args, "report %s --paper-data %s", dir,
             tu_path("reports/paper-data"));
    ck_assert_msg(tu_run(args, NULL, &err) == 0, "report failed: %s", err);
    free(err);
}

/* Run a python3 program with argv[1] = dir; it exits 0 when all is well
 * and prints what is wrong otherwise. */
static void python(const char *prog, const char *dir)
{
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/check.py", dir);
    tu_write(path, prog);
    snprintf(cmd, sizeof cmd, "python3 %s %s %s", path, dir, tu_path("reports/paper-data"));
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* Table 9's "Params M" against the paper's params_m, joined by shape. */
START_TEST(table9_params_match_paper)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/t9", tu_tmpdir());
    char sweep[512];
    snprintf(sweep, sizeof sweep, "%s", tu_path("sweeps/table9.csv"));
    report(dir, sweep, NULL);
    python("import csv, sys\n"
           "d, paper = sys.argv[1], sys.argv[2]\n"
           "ours = list(csv.DictReader(open(d + '/tab_table9.csv')))\n"
           "theirs = list(csv.DictReader(open(paper + '/table9_depth_width.csv')))\n"
           "assert len(ours) == len(theirs) == 19, (len(ours), len(theirs))\n"
           "key = lambda r, L, H, D: (r[L], r[H], r[D])\n"
           "want = {key(r, 'layers', 'heads', 'dim'): r['params_m'] for r in theirs}\n"
           "for r in ours:\n"
           "    k = key(r, 'Layers', 'Heads', 'Dim')\n"
           "    assert float(r['Params M']) == float(want[k]), (k, r['Params M'], want[k])\n",
           dir);
}
END_TEST

/* The paper's own Table 7 ratios: LS +2.6 %, 60 layers +86 % (text:
 * "a mere 2.6% overhead"); and the A15 column is filled. */
START_TEST(table7_ratios_as_paper_states)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/t7", tu_tmpdir());
    report(dir, tu_path("sweeps/table7.csv"), "a15");
    python("import csv, sys\n"
           "rows = list(csv.DictReader(open(sys.argv[1] + '/tab_table7.csv')))\n"
           "ch = [r['iPhone 13 execute change %'] for r in rows]\n"
           "assert ch == ['+0.0', '+2.6', '+85.9'], ch\n"
           "assert all(float(r['a15 predicted ms']) > 0 for r in rows)\n",
           dir);
}
END_TEST

/* index.md names every table and every figure data file it has. */
START_TEST(index_lists_every_file)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ix", tu_tmpdir());
    report(dir, tu_path("sweeps/table7.csv"), NULL);
    python("import os, sys\n"
           "d = sys.argv[1]\n"
           "index = open(d + '/index.md').read()\n"
           "made = [f for f in os.listdir(d) if f.startswith(('tab_', 'fig_'))]\n"
           "assert len(made) > 20, made\n"
           "missing = [f for f in made if '(' + f + ')' not in index]\n"
           "assert not missing, missing\n"
           "assert not [f for f in os.listdir(d) if '.tmp.' in f]\n",
           dir);
}
END_TEST

/* A model name is the user's text: in the Markdown and LaTeX tables it
 * comes out escaped, the Markdown row keeps the header's cell count and
 * the LaTeX has each special character in its escaped form. */
START_TEST(names_escaped)
{
    char dir[512], src[600];
    snprintf(dir, sizeof dir, "%s/esc", tu_tmpdir());
    snprintf(src, sizeof src, "%s/table7.csv", tu_tmpdir());
    tu_write(src, "name,layers,dim,heads\n\"a\\b^2~|c_%&$#{}\",2,64,4\n");
    report(dir, src, NULL);
    python("import sys\n"
           "d = sys.argv[1]\n"
           "md = open(d + '/tab_table7.md').read().splitlines()\n"
           "cells = lambda l: len(l.replace('\\\\|', '').split('|'))\n"
           "row = [l for l in md if 'b^2' in l][0]\n"
           "assert cells(row) == cells(md[0]), (row, md[0])\n"
           "assert 'a\\\\\\\\b^2~\\\\|c_%&$#{}' in row, row\n"
           "tex = open(d + '/tab_table7.tex').read()\n"
           "want = r'a\\textbackslash{}b\\textasciicircum{}2\\textasciitilde{}|c\\_\\%\\&\\$\\#\\{\\}'\n"
           "assert want in tex, tex\n",
           dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, table9_params_match_paper);
    tcase_add_test(tc, table7_ratios_as_paper_states);
    tcase_add_test(tc, index_lists_every_file);
    tcase_add_test(tc, names_escaped);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
