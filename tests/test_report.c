/* test_report.c -- `lanky report`: the tables agree with the paper
 * (read independently, by python3's csv module), the paper's Table 7
 * ratios come out as the paper states them, and index.md points at every
 * table and figure data file written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/accuracy.h"
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

/* Every report table with paper columns, against the paper's CSV joined
 * here on all of that paper table's keys (python3's csv module, not
 * results.c's rep_join): each paper-derived cell is the paper's value of the
 * one paper row whose keys all equal the spec's, every paper row is used
 * (Table 3 has other models too: 4 of its rows), and Table 7's change
 * column is the paper's execute time over its first row's. */
START_TEST(paper_cells_join_on_every_key)
{
    char dir[512], sweeps[4096] = "";
    static const char *const names[] = {"table9", "table2", "table7", "table11",
                                        "table8", "table12", "presets"};
    snprintf(dir, sizeof dir, "%s/join", tu_tmpdir());
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char f[64];
        snprintf(f, sizeof f, "sweeps/%s.csv", names[i]);
        strcat(strcat(sweeps, " "), tu_path(f));
    }
    report(dir, sweeps, NULL);
    python("import csv, os, sys\n"
           "d, paper = sys.argv[1], sys.argv[2]\n"
           "rows = lambda p: list(csv.DictReader(open(p, newline='')))\n"
           "header = lambda p: next(csv.reader(open(p, newline='')))\n"
           "# report table: paper table, {paper key: sweep column}, paper rows\n"
           "# kept, {report column: paper column}\n"
           "joins = {\n"
           "  'table9': ('table9_depth_width', {'size_class': 'group', 'layers': 'layers',\n"
           "             'heads': 'heads', 'dim': 'dim'}, {},\n"
           "             {'Paper params M': 'params_m', 'Avg acc %': 'avg'}),\n"
           "  'table2': ('table2_sharing', {'size_class': 'group', 'sharing': 'share'}, {},\n"
           "             {'Avg acc %': 'avg'}),\n"
           "  'table7': ('table7_iphone13_latency', {'model': 'name'}, {},\n"
           "             {'iPhone 13 load ms': 'load_ms', 'iPhone 13 init ms': 'init_ms',\n"
           "              'iPhone 13 execute ms': 'execute_ms'}),\n"
           "  'table11': ('table11_heads_kv', {'size_class': 'group', 'layers': 'layers',\n"
           "              'dim': 'dim', 'heads': 'heads', 'kv_heads': 'kv_heads'}, {},\n"
           "              {'Avg acc %': 'avg'}),\n"
           "  'table8': ('table8_roadmap', {'size_class': 'group', 'step': 'name'},\n"
           "             {'train_tokens': '0.25T'}, {'Avg acc %': 'avg'}),\n"
           "  'table12': ('table12_repeat', {'size_class': 'group', 'base_layers': 'layers',\n"
           "              'dim': 'dim', 'repeat': 'repeat'}, {}, {'Avg acc %': 'avg'}),\n"
           "  'presets': ('table3_zero_shot', {'model': 'name'}, {}, {'Avg acc %': 'avg'}),\n"
           "}\n"
           "change = 'iPhone 13 execute change %'\n"
           "paper_cols = {c for j in joins.values() for c in j[3]} | {change}\n"
           "tabs = [f for f in os.listdir(d) if f.startswith('tab_') and f.endswith('.csv')]\n"
           "with_paper = {f[4:-4] for f in tabs if paper_cols & set(header(d + '/' + f))}\n"
           "assert with_paper == set(joins), with_paper\n"
           "bad = []\n"
           "for t, (ptab, keys, keep, cols) in joins.items():\n"
           "    theirs = [p for p in rows(paper + '/' + ptab + '.csv')\n"
           "              if all(p[k] == v for k, v in keep.items())]\n"
           "    specs = {}\n"
           "    for s in rows(d + '/' + t + '.csv'):\n"
           "        specs.setdefault((s['group'], s['name']), s)\n"
           "    ours = rows(d + '/tab_' + t + '.csv')\n"
           "    assert len(ours) == len(specs), (t, len(ours), len(specs))\n"
           "    used = []\n"
           "    for r, s in zip(ours, specs.values()):\n"
           "        hit = [p for p in theirs\n"
           "               if all(p[k].lower() == s[c].lower() for k, c in keys.items())]\n"
           "        assert len(hit) <= 1, (t, s['name'], hit)\n"
           "        p = hit[0] if hit else None\n"
           "        used += hit\n"
           "        for c, pc in cols.items():\n"
           "            want = float(p[pc]) if p else None\n"
           "            got = float(r[c]) if r[c] else None\n"
           "            if got != want:\n"
           "                bad.append((t, s['group'], s['name'], c, r[c], want))\n"
           "        if t == 'table7':\n"
           "            first = float(used[0]['execute_ms'])\n"
           "            want = '%+.1f' % ((float(p['execute_ms']) / first - 1) * 100)\n"
           "            if r[change] != want:\n"
           "                bad.append((t, s['name'], change, r[change], want))\n"
           "    assert len(used) == (4 if t == 'presets' else len(theirs)), (t, len(used))\n"
           "assert not bad, ('wrong in', sorted({b[0] for b in bad}), bad[:5])\n",
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
           "md = [l for l in open(d + '/tab_table7.md') if l.startswith('|')]\n"
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

/* The captions say how the rows were made: a results folder of one
 * model simulated in analytic, then in exact mode (the mode given to
 * lanky sweep here) has that mode, and not the other, in the caption of
 * tab_table7.md, tab_table7.tex and index.md's Table 7 section, with the
 * context position and dtype the sweep file gives (100, int8); index.md
 * quotes effort.txt, where make-report.sh says whether it was quick. */
static const char *const modes[] = {"analytic", "exact"};

START_TEST(captions_state_mode_and_units)
{
    char dir[512], src[600], args[2048], *err, prog[2048];
    snprintf(dir, sizeof dir, "%s/mode-%s", tu_tmpdir(), modes[_i]);
    snprintf(src, sizeof src, "%s/table7.csv", tu_tmpdir());
    tu_write(src, "name,layers,dim,heads,dtype,ctx\nm,2,64,4,int8,100\n");
    snprintf(args, sizeof args, "sweep %s --profiles a15 --mode %s --out %s", src,
             modes[_i], dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 0);
    free(err);
    if (_i == 0) {
        snprintf(src, sizeof src, "%s/effort.txt", dir);
        tu_write(src, "quick (a test)\n");
    }
    snprintf(args, sizeof args, "report %s --paper-data %s", dir,
             tu_path("reports/paper-data"));
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(prog, sizeof prog,
             "import sys\n"
             "d, mode, other, quick = sys.argv[1], '%s', '%s', %d\n"
             "md = open(d + '/tab_table7.md').read().split('\\n\\n')[0]\n"
             "tex = [l for l in open(d + '/tab_table7.tex') if l.startswith('\\\\caption')][0]\n"
             "index = open(d + '/index.md').read()\n"
             "sec = index[index.index('### Table 7'):]\n"
             "sec = sec[:sec.index('\\n### ')]\n"
             "units = ('position 100, load and init ms once per model unless a column says '\n"
             "         'otherwise; weights in int8.')\n"
             "for where, text in (('md', md), ('tex', tex), ('index', sec)):\n"
             "    assert 'Simulated in ' + mode + ' mode' in text, (where, text)\n"
             "    assert 'Simulated in ' + other not in text, (where, text)\n"
             "    assert units in text and 'MB = 10' in text, (where, text)\n"
             "assert ('Simulation modes in it: ' + mode + '.') in index, index[:900]\n"
             "assert ('This report: quick (a test).' in index) == quick, index[:900]\n",
             modes[_i], modes[!_i], _i == 0);
    python(prog, dir);
}
END_TEST

/* Spearman's rho against its closed form without ties,
 * 1 - 6 sum d^2 / (n (n^2 - 1)), and a tie worked by hand: y = 1 1 2 3
 * ranks 1.5 1.5 3 4, so rho = 4.5 / sqrt(5 * 4.5) = 0.948683. */
START_TEST(spearman_closed_form)
{
    double x[] = {1, 2, 3, 4, 5}, y[] = {10, 30, 20, 50, 40};
    /* rank differences 0 -1 1 -1 1: sum d^2 = 4 */
    ck_assert_double_eq_tol(rep_acc_spearman(x, y, 5), 1 - 6.0 * 4 / (5 * 24), 1e-12);
    double down[] = {5, 4, 3, 2, 1};
    ck_assert_double_eq_tol(rep_acc_spearman(x, down, 5), -1, 1e-12);
    double t[] = {1, 1, 2, 3};
    ck_assert_double_eq_tol(rep_acc_spearman(x, t, 4), 4.5 / sqrt(22.5), 1e-12);
    ck_assert(isnan(rep_acc_spearman(x, y, 2)));
    double flat[] = {7, 7, 7};
    ck_assert(isnan(rep_acc_spearman(x, flat, 3)));
}
END_TEST

/* The accuracy section against a second implementation: Table 9's a15
 * rows copied as host rows with made-up predictions and measurements
 * (half of them repeated, with a paired prediction that must win over
 * latency_ms_per_token), a phone file with one calibrated and two
 * held-out rows; python recomputes mean, median and worst absolute
 * error, each size class's Spearman and the held-out worst from the
 * same numbers and finds them in index.md; a third of the host rows
 * carry a predicted and a measured time to first token, whose errors
 * the TTFT paragraph states and no other row enters. */
START_TEST(accuracy_section_recomputed)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/acc", tu_tmpdir());
    report(dir, tu_path("sweeps/table9.csv"), "a15");
    python("import csv, sys\n"
           "d = sys.argv[1]\n"
           "rows = list(csv.DictReader(open(d + '/table9.csv')))\n"
           "cols = list(rows[0]) + ['execute_ms_median', 'execute_ms_std', "
           "'latency_ms_paired', 'measured_execute_ms', 'ttft_ms', 'measured_prefill_ms']\n"
           "out = []\n"
           "for i, r in enumerate(rows):\n"
           "    h = dict(r, profile='host')\n"
           "    h['latency_ms_per_token'] = str(10 + i)\n"
           "    h['measured_execute_ms'] = str(10 + i + (i * 7) % 5 - 2)\n"
           "    if i % 2:\n"
           "        h['latency_ms_paired'] = str(12 + i * 1.5)\n"
           "        h['execute_ms_median'] = str(11 + i * 1.25)\n"
           "        h['execute_ms_std'] = '0.5'\n"
           "    if i % 3 == 0:\n"
           "        h['ttft_ms'] = str(100 + 3 * i)\n"
           "        h['measured_prefill_ms'] = str(90 + 4 * i + i % 7)\n"
           "    out += [r, h]\n"
           "w = csv.DictWriter(open(d + '/table9.csv', 'w', newline=''), cols, restval='')\n"
           "w.writeheader(); w.writerows(out)\n"
           "ph = open(d + '/accuracy_phone.csv', 'w')\n"
           "ph.write('profile,model,dtype,measured_ms,predicted_ms,floor_ms,error_pct,"
           "calibrated,source\\n'\n"
           "         'a15,m1,f16,15.6,15.0,7.7,-3.8,yes,[PAPER]\\n'\n"
           "         'a15,m2,f16,20.0,23.0,10.0,15.0,no,[X]\\n'\n"
           "         'a16,m3,f16,30.0,27.0,14.0,-10.0,no,[Y]\\n')\n",
           dir);
    char args[1024], *err;
    snprintf(args, sizeof args, "report %s --paper-data %s", dir,
             tu_path("reports/paper-data"));
    ck_assert_msg(tu_run(args, NULL, &err) == 0, "report failed: %s", err);
    free(err);
    python("import csv, statistics, sys\n"
           "d = sys.argv[1]\n"
           "pairs = {}\n"
           "for r in csv.DictReader(open(d + '/table9.csv')):\n"
           "    if r['profile'] != 'host': continue\n"
           "    p = float(r['latency_ms_paired'] or r['latency_ms_per_token'])\n"
           "    m = float(r['execute_ms_median'] or r['measured_execute_ms'])\n"
           "    pairs.setdefault(r['group'], []).append((p, m))\n"
           "err = [abs(p - m) / m * 100 for g in pairs.values() for p, m in g]\n"
           "text = open(d + '/index.md').read()\n"
           "sec = text[text.index('## How accurate is lanky'):text.index('## Tables')]\n"
           "want = 'Absolute error: mean %.1f%%, median %.1f%%, worst %.1f%%' % (\n"
           "    statistics.mean(err), statistics.median(err), max(err))\n"
           "assert want in sec, (want, sec)\n"
           "def ranks(v):\n"
           "    return [sum(x < a for x in v) + (sum(x == a for x in v) + 1) / 2 for a in v]\n"
           "def rho(ps):\n"
           "    a, b = ranks([p for p, m in ps]), ranks([m for p, m in ps])\n"
           "    n = len(a); return 1 - 6 * sum((x - y) ** 2 for x, y in zip(a, b)) / (n * (n * n - 1))\n"
           "for g, ps in pairs.items():\n"
           "    want = '%s %.2f (%d models)' % (g, rho(ps), len(ps))\n"
           "    assert want in sec, (want, sec)\n"
           "assert 'held-out rows test it (worst absolute error 15.0%)' in sec.replace('2 held-out', 'held-out'), sec\n"
           "held = sec[sec.index('Held out'):sec.index('Calibrated on')]\n"
           "assert '| a15 | m2 |' in held and '| a16 | m3 |' in held and 'm1' not in held, held\n"
           "tt = [abs(float(r['ttft_ms']) - float(r['measured_prefill_ms'])) /\n"
           "      float(r['measured_prefill_ms']) * 100\n"
           "      for r in csv.DictReader(open(d + '/table9.csv'))\n"
           "      if r['profile'] == 'host' and r['ttft_ms']]\n"
           "ts = sec[sec.index('### Time to first token'):sec.index('### Phones')]\n"
           "want = '%d measured models' % len(tt)\n"
           "assert len(tt) == 7 and want in ts, (want, ts)\n"
           "want = 'Absolute error: mean %.1f%%, median %.1f%%, worst %.1f%%' % (\n"
           "    statistics.mean(tt), statistics.median(tt), max(tt))\n"
           "assert want in ts, (want, ts)\n"
           "assert len(list(csv.DictReader(open(d + '/accuracy_ttft.csv')))) == len(tt)\n"
           "fig = list(csv.DictReader(open(d + '/fig_sim_measured.csv')))\n"
           "assert len(fig) == len(err) and sum(r['measured_std_ms'] == '0.50' for r in fig) == len(err) // 2, fig\n",
           dir);
}
END_TEST

/* make report is whole or nothing (reports/make-report.sh): in a copy of
 * the project's layout, with a stand-in lanky that writes one file per
 * step, SIGINT during the second sweep and during a figure leave the
 * previous report exactly as it was and no reports/out.tmp; a complete
 * run replaces the old report as a whole (its stale file is gone). */
START_TEST(report_whole_or_nothing)
{
    char d[600], cmd[4096], *out;
    snprintf(d, sizeof d, "%s/rep", tu_tmpdir());
    snprintf(cmd, sizeof cmd,
             "set -e; mkdir -p %s/sweeps %s/reports/out %s/hw-profiles; cd %s; "
             "cp '%s/reports/make-report.sh' '%s/reports/phone-accuracy.sh' reports/; "
             "touch hw-profiles/host.ini; "
             "echo a > sweeps/a.csv; echo b > sweeps/b.csv; echo old > reports/out/stale.md",
             d, d, d, d, getenv("LANKY_ROOT"), getenv("LANKY_ROOT"));
    ck_assert_int_eq(tu_sh(cmd, NULL, NULL), 0);
    /* the stand-in: sweep writes DIR/NAME.csv, report writes index.md;
     * $STOP names the step at which it interrupts the script */
    snprintf(cmd, sizeof cmd, "%s/fake-lanky", d);
    tu_write(cmd, "#!/bin/sh\n"
                  "echo $PPID > \"$(dirname \"$0\")/script.pid\"\n"
                  "case $1 in\n"
                  "sweep) for o; do [ \"$prev\" = --out ] && dir=$o; prev=$o; done\n"
                  "  echo new > \"$dir/$(basename \"$2\")\"\n"
                  "  [ \"$STOP\" = \"$(basename \"$2\")\" ] && kill -INT $PPID; sleep 0.2 ;;\n"
                  "report) echo new > \"$2/index.md\" ;;\n"
                  "esac\n"
                  "exit 0\n");
    snprintf(cmd, sizeof cmd, "%s/reports/style.gp", d);
    tu_write(cmd, "\n");
    snprintf(cmd, sizeof cmd, "%s/reports/fig_x.gp", d);
    tu_write(cmd, "set terminal svg\nset output 'fig_x.svg'\n"
                  "if (system('echo $STOP') eq 'fig') "
                  "system('kill -INT `cat ../../script.pid`; sleep 1')\n"
                  "plot x\n");
    const char *stop[] = {"b.csv", "fig", "none"};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "cd %s && chmod +x fake-lanky && "
                 "STOP=%s sh reports/make-report.sh ./fake-lanky quick 2>/dev/null; "
                 "ls reports reports/out", d, stop[i]);
        tu_sh(cmd, &out, NULL);
        ck_assert_str_eq(out, i < 2 ? "reports:\nfig_x.gp\nmake-report.sh\nout\nphone-accuracy.sh\nstyle.gp\n\nreports/out:\nstale.md\n"
                                    : "reports:\nfig_x.gp\nmake-report.sh\nout\nphone-accuracy.sh\nstyle.gp\n\nreports/out:\na.csv\n"
                                      "b.csv\neffort.txt\nfig_x.gp\nfig_x.svg\nindex.md\n"
                                      "style.gp\n");
        free(out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, table9_params_match_paper);
    tcase_add_test(tc, table7_ratios_as_paper_states);
    tcase_add_test(tc, paper_cells_join_on_every_key);
    tcase_add_test(tc, index_lists_every_file);
    tcase_add_test(tc, names_escaped);
    tcase_add_loop_test(tc, captions_state_mode_and_units, 0, 2);
    tcase_add_test(tc, spearman_closed_form);
    tcase_add_test(tc, accuracy_section_recomputed);
    tcase_add_test(tc, report_whole_or_nothing);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
