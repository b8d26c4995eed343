/* stats.h -- summary statistics of a sample of n doubles, the one place
 * lanky's repeated measurements are reduced (bench rounds, sweeps).
 *
 *   mean     sum / n
 *   std      sample standard deviation, sqrt(sum (x - mean)^2 / (n - 1));
 *            0 when n < 2 (one reading has no spread to estimate)
 *   median   middle value of the sorted sample, the mean of the two
 *            middle ones when n is even
 *
 * n must be >= 1. lk_stats_median sorts v in place.
 */
#ifndef LK_STATS_H
#define LK_STATS_H

double lk_stats_mean(const double *v, int n);
double lk_stats_std(const double *v, int n);
double lk_stats_median(double *v, int n);

#endif
