/* accuracy.c -- predicted against measured latency, host and phones
 * (see accuracy.h).
 *
 * The error of a prediction is (predicted - measured) / measured: the
 * convention GenZ, LLMCompass and Vidur publish theirs in, so the figures
 * compare.
 */
#include "accuracy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/plan.h"
#include "../common/md.h"
#include "../common/stats.h"
#include "results.h"

/* Table 9 first: its groups are the size classes ranked within. */
const char *const rep_acc_sweeps[] = {"table9", "table7", "table2", "table12",
                                      "presets", NULL};
#define SIZE_CLASSES "table9"

bool rep_acc_pair_of(const lk_table *sw, int r, rep_acc_pair *p)
{
    if (strcmp(rep_get(sw, r, "profile"), "host"))
        return false;
    p->predicted_ms = rep_num(sw, r, "latency_ms_paired");
    if (isnan(p->predicted_ms))
        p->predicted_ms = rep_num(sw, r, "latency_ms_per_token");
    p->measured_ms = rep_num(sw, r, "execute_ms_median");
    if (isnan(p->measured_ms))
        p->measured_ms = rep_num(sw, r, "measured_execute_ms");
    p->measured_std_ms = rep_num(sw, r, "execute_ms_std");
    return !isnan(p->predicted_ms) && p->measured_ms > 0;
}

bool rep_acc_ttft_pair_of(const lk_table *sw, int r, rep_acc_pair *p)
{
    if (strcmp(rep_get(sw, r, "profile"), "host"))
        return false;
    p->predicted_ms = rep_num(sw, r, "ttft_ms_paired");
    if (isnan(p->predicted_ms))
        p->predicted_ms = rep_num(sw, r, "ttft_ms");
    p->measured_ms = rep_num(sw, r, "measured_prefill_ms");
    p->measured_std_ms = NAN;
    return !isnan(p->predicted_ms) && p->measured_ms > 0;
}

/* ---- statistics ---------------------------------------------------- */

/* rank[i]: the 1-based rank of v[i], ties given the mean of theirs. */
static void ranks(const double *v, int n, double *rank)
{
    for (int i = 0; i < n; i++) {
        int below = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            below += v[j] < v[i];
            equal += v[j] == v[i];
        }
        rank[i] = below + (equal + 1) / 2.0;
    }
}

double rep_acc_spearman(const double *x, const double *y, int n)
{
    if (n < 3)
        return NAN;
    double *rx = malloc(2 * (size_t)n * sizeof *rx), *ry = rx + n;
    if (!rx)
        return NAN;
    ranks(x, n, rx);
    ranks(y, n, ry);
    double mean = (n + 1) / 2.0, sxy = 0, sxx = 0, syy = 0; /* mean of 1..n */
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mean) * (ry[i] - mean);
        sxx += (rx[i] - mean) * (rx[i] - mean);
        syy += (ry[i] - mean) * (ry[i] - mean);
    }
    free(rx);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* ---- host ---------------------------------------------------------- */

typedef struct {
    lk_table *rows; /* accuracy_host.csv */
    double *err; /* |error| in percent, per row of `rows` */
    int n, cap;
} host_acc;

static const char host_columns[] =
    "sweep,group,name,predicted_ms,measured_ms,measured_std_ms,error_pct";

static int host_add(host_acc *h, const char *sweep, const lk_table *sw, int r,
                    const rep_acc_pair *p, lk_err *e)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 64;
        double *err = realloc(h->err, (size_t)cap * sizeof *err);
        if (!err)
            return lk_fail(e, LK_ERUN, "out of memory");
        h->err = err;
        h->cap = cap;
    }
    if (lk_table_row(h->rows))
        return lk_fail(e, LK_ERUN, "out of memory");
    double err = 100 * (p->predicted_ms - p->measured_ms) / p->measured_ms;
    lk_table_put(h->rows, "sweep", "%s", sweep);
    lk_table_put(h->rows, "group", "%s", rep_get(sw, r, "group"));
    lk_table_put(h->rows, "name", "%s", rep_get(sw, r, "name"));
    lk_table_putf(h->rows, "predicted_ms", p->predicted_ms, 4);
    lk_table_putf(h->rows, "measured_ms", p->measured_ms, 4);
    if (!isnan(p->measured_std_ms))
        lk_table_putf(h->rows, "measured_std_ms", p->measured_std_ms, 4);
    lk_table_putf(h->rows, "error_pct", err, 2);
    h->err[h->n++] = fabs(err);
    return LK_OK;
}

/* Every row of the measured sweeps that pair_of takes, into h. */
static int host_load(host_acc *h, const char *dir,
                     bool (*pair_of)(const lk_table *, int, rep_acc_pair *), lk_err *e)
{
    int rc = LK_OK;
    for (int i = 0; !rc && rep_acc_sweeps[i]; i++) {
        lk_table *sw;
        if ((rc = rep_load(dir, rep_acc_sweeps[i], &sw, e)) || !sw)
            continue;
        rep_acc_pair p;
        for (int r = 0; !rc && r < lk_table_rows(sw); r++)
            if (pair_of(sw, r, &p))
                rc = host_add(h, rep_acc_sweeps[i], sw, r, &p, e);
        lk_table_free(sw);
    }
    return rc;
}

/* Spearman within each group of the size-class sweep's rows, as
 * "125M 0.98 (9 models), 350M ...". */
static void host_ranks(FILE *f, const host_acc *h)
{
    int n = lk_table_rows(h->rows), groups = 0;
    double *x = malloc(2 * (size_t)(n + 1) * sizeof *x), *y = x + n + 1;
    for (int r = 0; x && r < n; r++) {
        const char *g = rep_get(h->rows, r, "group");
        bool first = !strcmp(rep_get(h->rows, r, "sweep"), SIZE_CLASSES);
        for (int k = 0; k < r && first; k++) /* the group's first row */
            first = strcmp(rep_get(h->rows, k, "sweep"), SIZE_CLASSES) ||
                    strcmp(rep_get(h->rows, k, "group"), g);
        if (!first)
            continue;
        int m = 0;
        for (int k = r; k < n; k++)
            if (!strcmp(rep_get(h->rows, k, "sweep"), SIZE_CLASSES) &&
                !strcmp(rep_get(h->rows, k, "group"), g)) {
                x[m] = rep_num(h->rows, k, "predicted_ms");
                y[m++] = rep_num(h->rows, k, "measured_ms");
            }
        fprintf(f, "%s%s %.2f (%d models)", groups++ ? ", " : "", g,
                rep_acc_spearman(x, y, m), m);
    }
    if (!groups)
        fprintf(f, "no Table 9 rows measured");
    free(x);
}

/* "Absolute error: mean M%, median D%, worst W% (NAME, sweep S)" of
 * h's rows, or false (nothing printed) when h has none, after naming the
 * sweeps that would have them. */
static bool host_errors(FILE *f, const host_acc *h)
{
    if (!h->n) {
        fprintf(f, "No measured rows in this run (make-report.sh measures the "
                   "sweeps %s", rep_acc_sweeps[0]);
        for (int i = 1; rep_acc_sweeps[i]; i++)
            fprintf(f, ", %s", rep_acc_sweeps[i]);
        fprintf(f, ").\n\n");
        return false;
    }
    double sum = 0, worst = 0;
    int at = 0;
    for (int i = 0; i < h->n; i++) {
        sum += h->err[i];
        if (h->err[i] > worst)
            worst = h->err[i], at = i;
    }
    double *sorted = malloc((size_t)h->n * sizeof *sorted);
    double med = NAN;
    if (sorted) {
        memcpy(sorted, h->err, (size_t)h->n * sizeof *sorted);
        med = lk_stats_median(sorted, h->n);
        free(sorted);
    }
    fprintf(f, "Absolute error: mean %.1f%%, median %.1f%%, worst %.1f%% (%s, sweep %s)",
            sum / h->n, med, worst, rep_get(h->rows, at, "name"),
            rep_get(h->rows, at, "sweep"));
    return true;
}

static void host_section(FILE *f, host_acc *h)
{
    fprintf(f, "### This machine\n\n");
    if (h->n)
        fprintf(f, "%d measured models: the host profile's predicted decode latency "
                   "against the reference transformer's measured one, in the same run "
                   "(accuracy_host.csv; figure \"Simulated vs measured latency\"). ",
                h->n);
    if (!host_errors(f, h))
        return;
    fprintf(f, ". Spearman rank correlation within each size class of Table 9: ");
    host_ranks(f, h);
    fprintf(f, ".\n\n");
}

static void ttft_section(FILE *f, const host_acc *h)
{
    fprintf(f, "### Time to first token, this machine\n\n");
    if (h->n)
        fprintf(f, "%d measured models: the host profile's predicted time to first "
                   "token (sim ttft_ms: the prompt in chunks of %d tokens, each a "
                   "compute-bound pass over the weights at the matmul rate lanky probe "
                   "measured, scaled by the row's paired compute reading: ttft_ms_paired, "
                   "sim/sim.h) against the "
                   "reference's measured prefill of the same prompt (measured_prefill_ms, "
                   "the median of 3), in the same run (accuracy_ttft.csv). ",
                h->n, ARCH_PLAN_CHUNK);
    if (host_errors(f, h))
        fprintf(f, ".\n\n");
}

/* ---- phones -------------------------------------------------------- */

/* The rows of ph that were (or were not) calibrated on, as a table. */
static void phone_rows(FILE *f, const lk_table *ph, bool calibrated)
{
    lk_table *t = lk_table_new("SoC,model,dtype,measured ms,predicted ms,floor ms,error %,source");
    for (int r = 0; t && r < lk_table_rows(ph); r++) {
        if (!strcmp(rep_get(ph, r, "calibrated"), "yes") != calibrated)
            continue;
        if (lk_table_row(t))
            break;
        lk_table_put(t, "SoC", "%s", rep_get(ph, r, "profile"));
        lk_table_put(t, "model", "%s", rep_get(ph, r, "model"));
        lk_table_put(t, "dtype", "%s", rep_get(ph, r, "dtype"));
        lk_table_put(t, "measured ms", "%s", rep_get(ph, r, "measured_ms"));
        lk_table_put(t, "predicted ms", "%s", rep_get(ph, r, "predicted_ms"));
        lk_table_put(t, "floor ms", "%s", rep_get(ph, r, "floor_ms"));
        lk_table_put(t, "error %", "%+.1f", rep_num(ph, r, "error_pct"));
        lk_table_put(t, "source", "%s", rep_get(ph, r, "source"));
    }
    if (t)
        lk_md_table(f, t);
    else
        fprintf(f, "(out of memory)\n");
    lk_table_free(t);
    fprintf(f, "\n");
}

static void phone_section(FILE *f, const lk_table *ph)
{
    fprintf(f, "### Phones\n\n");
    if (!ph || !lk_table_rows(ph)) {
        fprintf(f, "No published phone measurements in this run "
                   "(accuracy_phone.csv is written from hw-profiles/measurements.csv)."
                   "\n\n");
        return;
    }
    int held = 0, fit = 0;
    double worst = 0;
    for (int r = 0; r < lk_table_rows(ph); r++) {
        bool c = !strcmp(rep_get(ph, r, "calibrated"), "yes");
        fit += c;
        held += !c;
        if (!c && fabs(rep_num(ph, r, "error_pct")) > worst)
            worst = fabs(rep_num(ph, r, "error_pct"));
    }
    fprintf(f, "Each SoC profile's predicted decode latency next to the published "
               "measurements cited in hw-profiles/SOURCES.md (accuracy_phone.csv). "
               "A profile's sustained bandwidths were derived from the rows marked "
               "as calibrated; only the %d held-out rows test it (worst absolute "
               "error %.1f%%). \"floor ms\" is the interface-peak roofline, the "
               "lower bound lanky printed before sustained figures.\n\n"
               "Held out (predictions):\n\n", held, worst);
    phone_rows(f, ph, false);
    fprintf(f, "Calibrated on (%d rows; the error is the fit's residual, not a "
               "validation):\n\n", fit);
    phone_rows(f, ph, true);
}

int rep_acc_write(const char *dir, FILE *index_md, lk_err *e)
{
    char path[4096];
    host_acc h = {lk_table_new(host_columns), NULL, 0, 0};
    host_acc tt = {lk_table_new(host_columns), NULL, 0, 0};
    lk_table *ph = NULL;
    int rc = h.rows && tt.rows ? host_load(&h, dir, rep_acc_pair_of, e)
                               : lk_fail(e, LK_ERUN, "out of memory");
    if (!rc)
        rc = host_load(&tt, dir, rep_acc_ttft_pair_of, e);
    if (!rc)
        rc = rep_load(dir, "accuracy_phone", &ph, e);
    snprintf(path, sizeof path, "%s/accuracy_host.csv", dir);
    if (!rc)
        rc = lk_table_save(h.rows, LK_TABLE_CSV, path, e);
    snprintf(path, sizeof path, "%s/accuracy_ttft.csv", dir);
    if (!rc)
        rc = lk_table_save(tt.rows, LK_TABLE_CSV, path, e);
    if (!rc) {
        fprintf(index_md, "## How accurate is lanky\n\n");
        host_section(index_md, &h);
        ttft_section(index_md, &tt);
        phone_section(index_md, ph);
    }
    lk_table_free(ph);
    lk_table_free(h.rows);
    lk_table_free(tt.rows);
    free(h.err);
    free(tt.err);
    return rc;
}
