/* test_pool.c -- the worker pool: every worker runs every job exactly
 * once, with the right index, and what workers wrote is visible to the
 * caller when pool_run() returns. */
#include <stdlib.h>
#include <time.h>

#include "../ref/pool.h"
#include "testutil.h"

#define JOBS 5000
#define MAXW 8

typedef struct {
    int job;                 /* set by the caller before each run */
    int n;                   /* the n every worker saw */
    int last[MAXW];          /* last job each worker ran */
    long count[MAXW];        /* jobs each worker ran */
    long data[MAXW * 1024];  /* plain (non-atomic) writes, 1024 per worker */
} state;

static void job(void *arg, int i, int n)
{
    state *s = arg;
    ck_assert(i >= 0 && i < n && n <= MAXW);
    s->n = n;
    s->last[i] = s->job;
    s->count[i]++;
    for (int k = 0; k < 1024; k++)
        s->data[i * 1024 + k] = (long)s->job * 1024 + k;
}

static void run_jobs(int threads, int jobs)
{
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, threads, &e) == LK_OK, "%s", e.msg);
    int n = pool_threads(p);
    ck_assert_int_eq(n, threads > 0 ? threads : pool_physical_cores());
    state *s = calloc(1, sizeof *s);
    for (int j = 1; j <= jobs; j++) {
        s->job = j;
        pool_run(p, job, s);
        ck_assert_int_eq(s->n, n);
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(s->last[i], j);
            ck_assert_int_eq(s->count[i], j);
            ck_assert_int_eq(s->data[i * 1024 + 1023], (long)j * 1024 + 1023);
        }
    }
    pool_free(p);
    free(s);
}

START_TEST(one_thread) { run_jobs(1, JOBS); }
END_TEST

START_TEST(two_threads) { run_jobs(2, JOBS); }
END_TEST

/* More threads than cores: workers share cores and must still sleep and
 * wake correctly (few jobs: spinning threads slow each other down). */
START_TEST(oversubscribed) { run_jobs(5, 300); }
END_TEST

START_TEST(default_is_physical_cores)
{
    ck_assert_int_ge(pool_physical_cores(), 1);
    run_jobs(0, JOBS);
}
END_TEST

/* Workers that went to sleep (long pause between jobs) are woken. */
static void slow_job(void *arg, int i, int n)
{
    (void)n;
    ((long *)arg)[i]++;
}

START_TEST(wakes_sleepers)
{
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, 3, &e) == LK_OK, "%s", e.msg);
    long c[3] = {0};
    for (int j = 1; j <= 5; j++) {
        struct timespec ts = {0, 20 * 1000 * 1000}; /* 20 ms: past the spin */
        nanosleep(&ts, NULL);
        pool_run(p, slow_job, c);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(c[i], j);
    }
    pool_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pool");
    TCase *t = tcase_create("pool");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, one_thread);
    tcase_add_test(t, two_threads);
    tcase_add_test(t, oversubscribed);
    tcase_add_test(t, default_is_physical_cores);
    tcase_add_test(t, wakes_sleepers);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
