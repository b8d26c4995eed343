/* accuracy.h -- how far lanky's predicted latencies are from measured
 * ones: the report's "How accurate is lanky" section.
 *
 * Two comparisons, both from files already in the results folder:
 *
 *   host    every row of the measured sweeps (rep_acc_sweeps) on the
 *           host profile that has a measured decode time: the prediction
 *           (latency_ms_paired when the sweep paired a bandwidth
 *           measurement with the row, else latency_ms_per_token) against
 *           the measurement (execute_ms_median when the row was repeated,
 *           else measured_execute_ms). Written to accuracy_host.csv; the
 *           section gives mean, median and worst absolute error and
 *           Spearman's rank correlation within each size class (group)
 *           of Table 9, whose ranking is what a designer acts on.
 *   ttft    the same sweeps' host rows with a simulated time to first
 *           token (ttft_ms, the sweep's prompt) and a measured prefill of
 *           that prompt (measured_prefill_ms): written to
 *           accuracy_ttft.csv (the columns of accuracy_host.csv, no
 *           measured_std_ms); mean, median and worst absolute error.
 *   phones  accuracy_phone.csv (one published measurement per row,
 *           columns profile,model,dtype,measured_ms,predicted_ms,
 *           floor_ms,error_pct,calibrated,source; written by
 *           reports/make-report.sh from hw-profiles/measurements.csv):
 *           the rows a profile was calibrated on (its residuals) apart
 *           from the held-out rows, which alone say how well it predicts.
 *
 *   rep_acc_write(dir, index_md, &e);   writes dir/accuracy_host.csv,
 *                                       dir/accuracy_ttft.csv and the
 *                                       section into index_md
 */
#ifndef REPORTS_ACCURACY_H
#define REPORTS_ACCURACY_H

#include <stdbool.h>
#include <stdio.h>

#include "../common/err.h"
#include "../common/table.h"

/* The sweeps make-report.sh measures on this machine (NULL-ended); the
 * report's predicted-vs-measured figure reads the same list. */
extern const char *const rep_acc_sweeps[];

typedef struct {
    double predicted_ms, measured_ms;
    double measured_std_ms; /* NAN unless the row was repeated */
} rep_acc_pair;

/* Row r of a sweep result as a prediction and a measurement; false when
 * it is not a host row with a measured time and a prediction. */
bool rep_acc_pair_of(const lk_table *sw, int r, rep_acc_pair *p);

/* The same for the time to first token: ttft_ms against
 * measured_prefill_ms (measured_std_ms NAN). */
bool rep_acc_ttft_pair_of(const lk_table *sw, int r, rep_acc_pair *p);

/* Spearman's rank correlation of x and y (n values each; ties take the
 * mean of their ranks); NAN for fewer than 3 values or a constant one.
 * Exported for its test. */
double rep_acc_spearman(const double *x, const double *y, int n);

int rep_acc_write(const char *dir, FILE *index_md, lk_err *e);

#endif
