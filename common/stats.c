/* stats.c -- mean, sample standard deviation and median (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

double lk_stats_mean(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}

/* Two passes (mean first), not the one-pass sum of squares, which loses
 * the digits of a small spread around a large mean. */
double lk_stats_std(const double *v, int n)
{
    if (n < 2)
        return 0;
    double m = lk_stats_mean(v, n), s = 0;
    for (int i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double lk_stats_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
