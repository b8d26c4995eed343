/* test_pool.c -- the worker pool: every worker runs every job exactly
 * once, with the right index, and what workers wrote is visible to the
 * caller when pool_run() returns; pool_run_rows() runs every row once, in
 * aligned calls, and a worker that is done takes a slow worker's rows;
 * on a big.LITTLE topology the workers take the fastest cores first;
 * --cores lists parse as written by hand below, workers take the listed
 * CPUs in order, and fake sysfs trees (tests/data/sysfs-*) group into
 * the clusters their hand-written capacities and frequencies make. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../host/probe.h"
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

/* ---- pool_run_rows ---- */

#define MAX_ROWS 5000
#define MAX_CALLS 8192

typedef struct {
    int64_t n, align;
    atomic_int runs[MAX_ROWS];    /* times each row was run */
    atomic_int misaligned;        /* calls not starting on a multiple of align,
                                     or not a multiple long (but the last) */
    atomic_int calls;
    int64_t call[MAX_CALLS][2];   /* [r0, r1) of each call */
    pthread_t caller;
    atomic_int caller_rows, slept;
} rows_state;

static void count_rows(void *arg, int64_t r0, int64_t r1)
{
    rows_state *s = arg;
    if (r0 % s->align || (r1 != s->n && (r1 - r0) % s->align) || r0 >= r1 || r0 < 0 ||
        r1 > s->n)
        atomic_fetch_add(&s->misaligned, 1);
    int c = atomic_fetch_add(&s->calls, 1);
    if (c < MAX_CALLS)
        s->call[c][0] = r0, s->call[c][1] = r1;
    if (s->n <= MAX_ROWS)
        for (int64_t r = r0; r < r1; r++)
            atomic_fetch_add(&s->runs[r], 1);
}

static void assert_each_once(rows_state *s, int threads)
{
    ck_assert_int_eq(atomic_load(&s->misaligned), 0);
    for (int64_t r = 0; r < s->n; r++) {
        int runs = atomic_load(&s->runs[r]);
        ck_assert_msg(runs == 1, "%d threads, %lld rows, align %lld: row %lld ran %d times",
                      threads, (long long)s->n, (long long)s->align, (long long)r, runs);
    }
}

START_TEST(rows_each_once)
{
    const int threads[] = {1, 2, 3, 5};
    const int64_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 4099};
    const int64_t aligns[] = {1, 7, 16};
    rows_state *s = malloc(sizeof *s);
    for (int t = 0; t < 4; t++) {
        lk_err e = {0};
        pool *p;
        ck_assert_msg(pool_create(&p, threads[t], &e) == LK_OK, "%s", e.msg);
        for (int i = 0; i < 8; i++)
            for (int a = 0; a < 3; a++) {
                memset(s, 0, sizeof *s);
                s->n = sizes[i], s->align = aligns[a];
                pool_run_rows(p, s->n, s->align, count_rows, s);
                assert_each_once(s, threads[t]);
            }
        pool_free(p);
    }
    free(s);
}
END_TEST

static int by_start(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
    return (x > y) - (x < y);
}

/* More rows than 32 bits hold (the pool runs them in pieces): the calls
 * still tile [0, n) exactly. */
START_TEST(rows_beyond_32_bits)
{
    rows_state *s = calloc(1, sizeof *s);
    s->n = 3 * ((int64_t)1 << 31) + 12345, s->align = (int64_t)1 << 20;
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, 2, &e) == LK_OK, "%s", e.msg);
    pool_run_rows(p, s->n, s->align, count_rows, s);
    pool_free(p);
    int calls = atomic_load(&s->calls);
    ck_assert_int_le(calls, MAX_CALLS);
    ck_assert_int_eq(atomic_load(&s->misaligned), 0);
    qsort(s->call, (size_t)calls, sizeof s->call[0], by_start);
    int64_t end = 0;
    for (int c = 0; c < calls; c++) {
        ck_assert_int_eq(s->call[c][0], end);
        end = s->call[c][1];
    }
    ck_assert_int_eq(end, s->n);
    free(s);
}
END_TEST

/* The caller (worker 0) stalls 100 ms in its first call: the other
 * worker does its own half, then takes the rest of the caller's. */
static void stall_caller(void *arg, int64_t r0, int64_t r1)
{
    rows_state *s = arg;
    if (pthread_equal(pthread_self(), s->caller)) {
        if (!atomic_exchange(&s->slept, 1)) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        atomic_fetch_add(&s->caller_rows, (int)(r1 - r0));
    }
    count_rows(arg, r0, r1);
}

START_TEST(rows_taken_from_slow_worker)
{
    rows_state *s = calloc(1, sizeof *s);
    s->n = 4000, s->align = 1, s->caller = pthread_self();
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, 2, &e) == LK_OK, "%s", e.msg);
    pool_run_rows(p, s->n, s->align, stall_caller, s);
    pool_free(p);
    assert_each_once(s, 2);
    ck_assert_msg(atomic_load(&s->caller_rows) < s->n / 4,
                  "the stalled caller ran %d of its %lld rows itself",
                  atomic_load(&s->caller_rows), (long long)(s->n / 2));
    free(s);
}
END_TEST

/* A pool has 64-byte aligned members (one cache line per hot atomic), so
 * the pool itself must be 64-byte aligned: a malloc'd one is only 16-byte
 * aligned, which UBSan reports on every member access. Several pools at
 * once, since malloc may hand out a 64-byte aligned block by chance. */
START_TEST(pool_aligned)
{
    pool *p[8];
    lk_err e = {0};
    for (int i = 0; i < 8; i++) {
        ck_assert_msg(pool_create(&p[i], 1, &e) == LK_OK, "%s", e.msg);
        ck_assert_msg((uintptr_t)p[i] % 64 == 0, "pool %d at %p", i, (void *)p[i]);
    }
    for (int i = 0; i < 8; i++)
        pool_free(p[i]);
}
END_TEST

/* A phone-like SoC described to hwloc (tests/data/biglittle.xml, made
 * with lstopo's synthetic "package:1 core:8 pu:1" plus three cpukinds):
 * CPUs 0-3 Cortex-A55 (efficiency rank 0), 4-5 Cortex-A76 (1), 6-7
 * Cortex-X1 (2, the most performant). The workers must take the X1
 * cores, then the A76, then the A55, each kind in hwloc's order. */
START_TEST(fastest_cluster_first)
{
    setenv("HWLOC_XMLFILE", tu_path("tests/data/biglittle.xml"), 1);
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, 8, &e) == LK_OK, "%s", e.msg);
    static const int want[8] = {6, 7, 4, 5, 0, 1, 2, 3};
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pool_cpu(p, i), want[i]);
    pool_free(p);
    ck_assert_msg(pool_create(&p, 3, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(pool_cpu(p, 2), 4);
    pool_free(p);
    unsetenv("HWLOC_XMLFILE");
}
END_TEST

/* ---- --cores and clusters ---- */

/* list parses, on a machine of ncpu CPUs, to exactly want[0..n). */
static void assert_parses(const char *list, int ncpu, const int *want, int n)
{
    pool_cores c;
    lk_err e = {0};
    ck_assert_msg(pool_parse_cores(list, ncpu, &c, &e) == LK_OK, "'%s': %s", list, e.msg);
    ck_assert_msg(c.n == n, "'%s': %d CPUs, want %d", list, c.n, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(c.cpu[i] == want[i], "'%s': CPU %d is %d, want %d", list, i,
                      c.cpu[i], want[i]);
}

START_TEST(cores_parse)
{
    assert_parses("4-7", 8, (const int[]){4, 5, 6, 7}, 4);
    assert_parses("0,2,4", 8, (const int[]){0, 2, 4}, 3);
    assert_parses("0,4-7", 8, (const int[]){0, 4, 5, 6, 7}, 5);
    assert_parses("6,4,1-2", 8, (const int[]){6, 4, 1, 2}, 4); /* order kept */
    assert_parses("7", 8, (const int[]){7}, 1);
    assert_parses("3-3", 4, (const int[]){3}, 1);
    assert_parses("0-7", 8, (const int[]){0, 1, 2, 3, 4, 5, 6, 7}, 8);
}
END_TEST

START_TEST(cores_refused)
{
    static const char *const bad[] = {
        "",      /* empty */
        "8",     /* out of range on 8 CPUs */
        "0-8",   /* more than the machine has */
        "99999999999999999999", /* beyond any int */
        "1,1",   /* duplicates */
        "0-2,2",
        "3-1",   /* backwards */
        "a", "1,", ",1", "1,,2", "1-", "-1", " 1", "1 ", "1-2-3", "+1", "0x1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pool_cores c;
        lk_err e = {0};
        ck_assert_msg(pool_parse_cores(bad[i], 8, &c, &e) == LK_EINPUT, "'%s' accepted",
                      bad[i]);
        ck_assert_msg(strncmp(e.msg, "--cores: ", 9) == 0 && !strchr(e.msg, '\n'),
                      "'%s': %s", bad[i], e.msg);
    }
}
END_TEST

/* With a list in force, worker i is pinned to the i-th CPU of it (modulo
 * its length), n <= 0 starts one per listed CPU, and the text lists the
 * CPUs ascending with runs as ranges. */
START_TEST(cores_pin_in_order)
{
    pool_cores c = {.n = 5, .cpu = {7, 0, 3, 2, 4}};
    pool_use_cores(&c);
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, 0, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(pool_threads(p), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pool_cpu(p, i), c.cpu[i]);
    char text[POOL_CORES_TEXT];
    pool_cores_text(p, text, sizeof text);
    ck_assert_str_eq(text, "0,2-4,7");
    pool_free(p);
    c = (pool_cores){.n = 1, .cpu = {0}};
    pool_use_cores(&c);
    ck_assert_msg(pool_create(&p, 3, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(pool_cpu(p, 2), 0);
    pool_cores_text(p, text, sizeof text);
    ck_assert_str_eq(text, "0");
    pool_free(p);
    pool_use_cores(NULL);
    ck_assert_msg(pool_create(&p, 0, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(pool_threads(p), pool_physical_cores());
    pool_free(p);
}
END_TEST

static void assert_cluster(const pool_cluster_set *cs, int k, long speed, const int *cpu,
                           int n)
{
    ck_assert_int_eq(cs->c[k].speed, speed);
    ck_assert_int_eq(cs->c[k].cores.n, n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(cs->c[k].cores.cpu[i], cpu[i]);
}

/* tests/data/sysfs-biglittle: a phone's 4 + 3 + 1 CPUs, capacities 261,
 * 871 and 1024 (and max frequencies, which capacity takes precedence
 * over); sysfs-freq: no cpu_capacity, 2.4 GHz CPUs 0-1 and 1.8 GHz 2-5;
 * sysfs-uniform: two CPUs of capacity 1024 (this VM); sysfs-partial:
 * CPU 1 has no speed; no tree at all. */
START_TEST(clusters_from_sysfs)
{
    pool_cluster_set cs;
    pool_clusters(tu_path("tests/data/sysfs-biglittle"), &cs);
    ck_assert_int_eq(cs.n, 3);
    ck_assert_str_eq(cs.source, "cpu_capacity");
    assert_cluster(&cs, 0, 1024, (const int[]){7}, 1);
    assert_cluster(&cs, 1, 871, (const int[]){4, 5, 6}, 3);
    assert_cluster(&cs, 2, 261, (const int[]){0, 1, 2, 3}, 4);
    pool_clusters(tu_path("tests/data/sysfs-freq"), &cs);
    ck_assert_int_eq(cs.n, 2);
    ck_assert_str_eq(cs.source, "cpuinfo_max_freq");
    assert_cluster(&cs, 0, 2400000, (const int[]){0, 1}, 2);
    assert_cluster(&cs, 1, 1800000, (const int[]){2, 3, 4, 5}, 4);
    pool_clusters(tu_path("tests/data/sysfs-uniform"), &cs);
    ck_assert_int_eq(cs.n, 1);
    assert_cluster(&cs, 0, 1024, (const int[]){0, 1}, 2);
    pool_clusters(tu_path("tests/data/sysfs-partial"), &cs);
    ck_assert_int_eq(cs.n, 0);
    pool_clusters(tu_path("tests/data/no-such-sysfs"), &cs);
    ck_assert_int_eq(cs.n, 0);
}
END_TEST

/* The commands: bench's CSV column cores (the last but one, before
 * paired_gflops) names the CPUs asked for, and bad lists are refused by
 * bench, probe and logits alike. */
START_TEST(cores_on_the_command_line)
{
    char *out = NULL;
    ck_assert_int_eq(tu_run("bench --layers 1 --dim 8 --heads 2 --vocab 5 --seq-len 4 "
                            "--tokens 1 --cores 0 --format csv", &out, NULL), 0);
    char *nl = strchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    ck_assert_ptr_nonnull(strstr(out, "samples_ns,cores"));
    ck_assert_str_eq(out + strlen(out) - 20, ",cores,paired_gflops");
    char *row = nl + 1, *end = strchr(row, '\n');
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    *strrchr(row, ',') = '\0'; /* paired_gflops */
    ck_assert_str_eq(strrchr(row, ',') + 1, "0");
    ck_assert_int_eq(atoi(strchr(row, ',') + 1), 1); /* threads: one per listed CPU */
    free(out);
    tu_refused("bench --layers 1 --dim 8 --heads 2 --vocab 5 --cores 0,0", "--cores",
               "twice");
    tu_refused("probe --out /dev/null --cores 99999", "--cores", "past");
    tu_refused("logits --layers 1 --dim 8 --heads 2 --vocab 5 --tokens 1 --cores 1-0",
               "--cores", "backwards");
}
END_TEST

/* probe's report of how it measured: a row per cluster of the fake
 * phone, fastest first, and the CPUs; host.ini carries them as comment
 * lines only, in a [host] block the profile reader never sees. */
START_TEST(probe_reports_clusters)
{
    static probe_host h; /* the rest zero: only the host rows are read */
    snprintf(h.cpus, sizeof h.cpus, "7");
    pool_clusters(tu_path("tests/data/sysfs-biglittle"), &h.clusters);
    lk_table *t = probe_table(&h);
    ck_assert_ptr_nonnull(t);
    static const char *const want[][2] = {{"cpus", "7"},
                                          {"cluster1", "CPUs 7, cpu_capacity 1024"},
                                          {"cluster2", "CPUs 4-6, cpu_capacity 871"},
                                          {"cluster3", "CPUs 0-3, cpu_capacity 261"}};
    int k = 0;
    for (int r = 0; r < lk_table_rows(t); r++) {
        if (strcmp(lk_table_get(t, r, "section"), "host"))
            continue;
        ck_assert_int_lt(k, 4);
        ck_assert_str_eq(lk_table_get(t, r, "key"), want[k][0]);
        ck_assert_str_eq(lk_table_get(t, r, "value"), want[k][1]);
        k++;
    }
    ck_assert_int_eq(k, 4);
    lk_table_free(t);
    char path[4096], *text = NULL;
    snprintf(path, sizeof path, "%s/host.ini", tu_tmpdir());
    lk_err e = {0};
    ck_assert_msg(probe_write_host_ini(&h, path, &e) == LK_OK, "%s", e.msg);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "grep -A1 -x '; \\[host\\]' %s && ! grep -q '^\\[host' %s",
             path, path);
    ck_assert_int_eq(tu_sh(cmd, &text, NULL), 0);
    ck_assert_str_eq(text, "; [host]\n; cpus = 7\n");
    free(text);
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
    tcase_add_test(t, rows_each_once);
    tcase_add_test(t, rows_beyond_32_bits);
    tcase_add_test(t, rows_taken_from_slow_worker);
    tcase_add_test(t, pool_aligned);
    tcase_add_test(t, fastest_cluster_first);
    tcase_add_test(t, cores_parse);
    tcase_add_test(t, cores_refused);
    tcase_add_test(t, cores_pin_in_order);
    tcase_add_test(t, clusters_from_sysfs);
    tcase_add_test(t, cores_on_the_command_line);
    tcase_add_test(t, probe_reports_clusters);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
