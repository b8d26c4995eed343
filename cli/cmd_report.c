/* cmd_report.c -- `lanky report DIR`: turn the sweep results in DIR into
 * the paper-style tables, figure data and index.md (reports/report.h). */
#include <sys/stat.h>

#include "../common/project.h"
#include "../reports/report.h"
#include "cli.h"

static const cli_opt opts[] = {
    {"paper-data", true, "DIR   the paper's tables (default: the project's reports/paper-data)"},
    {NULL, false, NULL},
};

static int run(const cli_args *a, lk_err *e)
{
    if (a->npos != 1)
        return lk_fail(e, LK_EINPUT, "give one folder of sweep results (see lanky report --help)");
    struct stat st;
    if (stat(a->pos[0], &st) != 0 || !S_ISDIR(st.st_mode))
        return lk_fail(e, LK_EINPUT, "%s: not a folder of sweep results", a->pos[0]);
    char found[4096];
    const char *paper = cli_value(a, "paper-data");
    if (!paper)
        paper = lk_project_path(found, sizeof found, "reports/paper-data")
                    ? found : "reports/paper-data";
    return report_write(a->pos[0], paper, e);
}

const cli_command cmd_report = {
    .name = "report",
    .summary = "paper-style tables, figure data and index.md from sweep results",
    .usage = "lanky report DIR [--paper-data DIR]",
    .takes_spec = false,
    .opts = opts,
    .takes_args = true,
    .run = run,
};
