/* report.c -- lanky report: the tables (tables.h), the figure data
 * (figures.h) and index.md / index.html that present them in order,
 * after checking every input (see report.h).
 */
#include "report.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/md.h"
#include "../common/outfile.h"
#include "accuracy.h"
#include "figures.h"
#include "html.h"
#include "tables.h"

/* The first line of dir/effort.txt (reports/make-report.sh says there
 * how much it measured, quick or full), or "" without one. */
static void read_effort(const char *dir, char *buf, int size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/effort.txt", dir);
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f && fgets(buf, size, f))
        buf[strcspn(buf, "\r\n")] = 0;
    if (f)
        fclose(f);
}

static void index_head(FILE *f, const char *dir, const rep_values *modes)
{
    char effort[512], m[160] = "";
    read_effort(dir, effort, sizeof effort);
    rep_values_say(modes, m, sizeof m);
    fprintf(f,
        "# lanky report\n\n"
        "Written by `make report` (reports/make-report.sh). Every model was "
        "run through lanky's simulator on each SoC profile in hw-profiles/ "
        "and, where a table says so, measured on this machine with the "
        "reference transformer.");
    if (*effort)
        fprintf(f, " This report: %s.", effort);
    fprintf(f, " Simulation modes in it: %s. Exact mode simulates every cache "
        "line, as `lanky sim` does by default; analytic mode (`lanky sweep`'s "
        "default) uses reuse distances and can differ from exact where a "
        "shared block nearly fills a cache (README, `lanky sim`). Each "
        "table's caption says which mode its rows used and the units of its "
        "numbers. A phone's predicted latency uses its profile's sustained DRAM "
        "bandwidth where the profile has one (derived from a published decode "
        "measurement, hw-profiles/SOURCES.md) and its interface peak otherwise, "
        "where it is a roofline lower bound (latency_floor_ms is always that "
        "bound); \"How accurate is lanky\" gives the error of each against "
        "measurement. This machine's profile holds measured bandwidths. "
        "Accuracy columns are the paper's published averages (Liu et "
        "al., MobileLLM, ICML 2024; reports/paper-data/), not lanky's. Each "
        "table is also in LaTeX (booktabs) and CSV; the full sweep results "
        "are the other CSV files in this folder.\n\n", *m ? m : "none (parameters only)");
}

static int write_index(const char *dir, const lk_table *const *tabs,
                       const char caps[][REP_CAPTION], const rep_values *modes, lk_err *e)
{
    char *buf, path[4096];
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return lk_fail(e, LK_ERUN, "out of memory");
    index_head(f, dir, modes);
    int rc = rep_acc_write(dir, f, e);
    if (rc) {
        fclose(f);
        free(buf);
        return rc;
    }
    fprintf(f, "## Tables\n\n");
    for (int i = 0; i < rep_tab_count(); i++) {
        rep_tab_about d = rep_tab_info(i);
        fprintf(f, "### %s\n\n%s ([Markdown](tab_%s.md), [LaTeX](tab_%s.tex), "
                   "[CSV](tab_%s.csv); sweep `sweeps/%s.csv`)\n\n%s\n\n",
                d.title, d.says, d.file, d.file, d.file, d.sweep, caps[i]);
        lk_md_table(f, tabs[i]);
        fprintf(f, "\n");
    }
    fprintf(f, "## Figures\n\n");
    for (int i = 0; i < rep_fig_count(); i++) {
        rep_fig_about g = rep_fig_info(i);
        fprintf(f, "### %s\n\n![%s](fig_%s.png)\n\n%s ([SVG](fig_%s.svg), "
                   "[gnuplot](fig_%s.gp), [data](fig_%s.csv))\n\n",
                g.title, g.title, g.file, g.says, g.file, g.file, g.file);
    }
    snprintf(path, sizeof path, "%s/index.md", dir);
    rc = fclose(f) == 0 ? lk_outfile_write(path, buf, len, e)
                        : lk_fail(e, LK_ERUN, "%s: out of memory", path);
    if (!rc)
        rc = rep_html_write(dir, buf, len, e);
    free(buf);
    return rc;
}

/* Whether dir holds any sweep's results: a report of none is a mistake
 * (the wrong folder), not an empty report. */
static bool any_sweep(const char *dir)
{
    char path[4096];
    for (int i = 0; i < rep_tab_count(); i++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, rep_tab_info(i).sweep);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

int report_write(const char *dir, const char *paper_dir, lk_err *e)
{
    int n = rep_tab_count();
    lk_table **tabs = calloc((size_t)n, sizeof *tabs);
    char (*caps)[REP_CAPTION] = calloc((size_t)n, sizeof *caps);
    rep_values modes = {0};
    int rc = tabs && caps ? LK_OK : lk_fail(e, LK_ERUN, "out of memory");
    if (!rc && !any_sweep(dir))
        rc = lk_fail(e, LK_EINPUT, "%s: no sweep results in it (lanky sweep FILE.csv "
                     "--out %s writes them)", dir, dir);
    /* every input read and checked before anything is written, so that a
     * bad one leaves the folder as it was (the writing pass reads them
     * again: a few small files) */
    for (int i = 0; !rc && i < n; i++)
        rc = rep_tab_check(i, dir, paper_dir, e);
    for (int i = 0; !rc && i < rep_fig_count(); i++)
        rc = rep_fig_check(i, dir, paper_dir, e);
    for (int i = 0; !rc && i < n; i++)
        rc = rep_tab_write(i, dir, paper_dir, &tabs[i], caps[i], &modes, e);
    for (int i = 0; !rc && i < rep_fig_count(); i++)
        rc = rep_fig_write(i, dir, paper_dir, e);
    if (!rc)
        rc = write_index(dir, (const lk_table *const *)tabs, caps, &modes, e);
    for (int i = 0; tabs && i < n; i++)
        lk_table_free(tabs[i]);
    free(tabs);
    free(caps);
    return rc;
}
