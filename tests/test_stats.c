/* test_stats.c -- lk_stats_* against samples worked out by hand. */
#include "../common/stats.h"
#include "testutil.h"

/* 2 4 4 4 5 5 7 9: sum 40, mean 5; squared deviations 9+1+1+1+0+0+4+16
 * = 32, sample variance 32/7, std sqrt(32/7) = 2.13809...; sorted, the
 * middle two are 4 and 5: median 4.5. Given out of order, so the median
 * must sort. */
START_TEST(hand_sample)
{
    double v[] = {9, 4, 2, 5, 4, 7, 5, 4};
    ck_assert_double_eq_tol(lk_stats_mean(v, 8), 5.0, 1e-12);
    ck_assert_double_eq_tol(lk_stats_std(v, 8), 2.1380899352993950, 1e-12);
    ck_assert_double_eq_tol(lk_stats_median(v, 8), 4.5, 1e-12);
}
END_TEST

/* Odd n: 3 1 2 -> median 2, mean 2, std sqrt((1+1+0)/2) = 1. */
START_TEST(odd_sample)
{
    double v[] = {3, 1, 2};
    ck_assert_double_eq_tol(lk_stats_mean(v, 3), 2.0, 1e-12);
    ck_assert_double_eq_tol(lk_stats_std(v, 3), 1.0, 1e-12);
    ck_assert_double_eq_tol(lk_stats_median(v, 3), 2.0, 1e-12);
}
END_TEST

/* One reading: itself for mean and median, no spread. A small spread on
 * a large mean (1e9 + 1, 1e9 + 2, 1e9 + 3: std exactly 1) keeps its digits. */
START_TEST(edge_samples)
{
    double one[] = {7.25};
    ck_assert_double_eq(lk_stats_mean(one, 1), 7.25);
    ck_assert_double_eq(lk_stats_std(one, 1), 0.0);
    ck_assert_double_eq(lk_stats_median(one, 1), 7.25);
    double big[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    ck_assert_double_eq_tol(lk_stats_std(big, 3), 1.0, 1e-6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *c = tcase_create("stats");
    tcase_add_test(c, hand_sample);
    tcase_add_test(c, odd_sample);
    tcase_add_test(c, edge_samples);
    suite_add_tcase(s, c);
    return tu_main(s);
}
