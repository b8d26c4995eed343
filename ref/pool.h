/* pool.h -- worker threads kept alive across tokens.
 *
 * Decode splits every mat-vec into row ranges, one per thread, hundreds
 * of times per token; starting threads each time would cost more than the
 * work. A pool starts its threads once, pins each to its own core with
 * hwloc, and runs a job on all of them (the caller's thread is worker 0).
 * On a CPU with cores of several kinds (big.LITTLE), the workers take the
 * most performant cores first, so decode runs on the fastest cluster.
 *
 * Which cores: `--cores LIST` (pool_parse_cores, then pool_use_cores)
 * pins worker i to the i-th listed CPU in every pool the process makes
 * afterwards (probe makes several); without it, an aarch64 build takes
 * the fastest cluster sysfs shows (pool_clusters) and elsewhere hwloc's
 * cores, the most performant kind first.
 */
#ifndef REF_POOL_H
#define REF_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

typedef struct pool pool;

/* fn(arg, i, n) runs on worker i of n. */
typedef void (*pool_fn)(void *arg, int i, int n);

/* n threads (the caller counts as one); n <= 0 means one per physical
 * core, as hwloc counts them. */
int pool_create(pool **p, int n, lk_err *e);
void pool_free(pool *p);
int pool_threads(const pool *p);
/* The operating system's number of the CPU (hwloc PU) worker i is pinned
 * to, -1 if hwloc sees no cores. */
int pool_cpu(const pool *p, int i);

/* Run fn on every worker and return when all have finished. */
void pool_run(pool *p, pool_fn fn, void *arg);

/* fn(arg, r0, r1) does rows [r0, r1) of a job over rows. */
typedef void (*pool_rows_fn)(void *arg, int64_t r0, int64_t r1);

/* Run fn over rows [0, n) and return when all are done: each row once,
 * in calls of whole multiples of `align` rows (but the last). Every
 * worker gets one contiguous range, which it does front to back; a
 * worker done with its own range takes what is left of the others' from
 * their back ends, so that no worker idles while another has rows left. */
void pool_run_rows(pool *p, int64_t n, int64_t align, pool_rows_fn fn, void *arg);

/* Physical cores of this machine (hwloc), at least 1. */
int pool_physical_cores(void);

/* ---- which cores (--cores, clusters) ---- */

#define POOL_MAX_CPUS 1024 /* CPU numbers a list or a sysfs tree may hold */

/* CPUs by the operating system's numbers, in the order workers take them. */
typedef struct {
    int n;
    int cpu[POOL_MAX_CPUS];
} pool_cores;

/* Parse a --cores LIST: numbers and ranges joined by commas ("4-7",
 * "0,2,4", "0,4-7"), each CPU in 0..ncpu-1 and listed once (so never
 * more than the machine has). Bad lists: LK_EINPUT, one line naming
 * --cores. */
int pool_parse_cores(const char *list, int ncpu, pool_cores *c, lk_err *e);

/* CPUs the kernel configured (sysconf), what a --cores LIST may name. */
int pool_machine_cpus(void);

/* Every pool created after this call pins worker i to c->cpu[i % c->n]
 * and, when asked for n <= 0 threads, starts c->n (NULL: the default
 * again). The process's one piece of pool state, set by the CLI from
 * --cores before any pool exists; c is copied. */
void pool_use_cores(const pool_cores *c);

/* "0-1", "0,2,4-7": the CPUs of c, ascending, once each, runs as
 * ranges: a LIST that --cores reads back (negative numbers left out). */
#define POOL_CORES_TEXT (6 * POOL_MAX_CPUS) /* "1023," per CPU at most */
void pool_cores_format(const pool_cores *c, char *out, size_t n);

/* The same of the CPUs p's workers run on; "" when hwloc sees no cores
 * to pin to. */
void pool_cores_text(const pool *p, char *out, size_t n);

/* One cluster: CPUs of equal capacity. speed is cpu_capacity (the
 * scheduler's relative performance, 1024 = the fastest core) where
 * every CPU has it, else cpufreq's cpuinfo_max_freq in kHz; `source`
 * says which. */
#define POOL_MAX_CLUSTERS 8
typedef struct {
    pool_cores cores;
    long speed;
} pool_cluster;

typedef struct {
    int n;                                /* 0: sysfs tells no speeds */
    const char *source;                   /* "cpu_capacity", "cpuinfo_max_freq" */
    pool_cluster c[POOL_MAX_CLUSTERS];    /* fastest first */
} pool_cluster_set;

/* The clusters of the CPUs under sysfs root `root` ("" for the real one;
 * a test points it at a fake tree): cpuN for N = 0, 1, ... while
 * root/sys/devices/system/cpu/cpuN exists, grouped by equal speed. One
 * cluster means one kind of core (today's default); more than
 * POOL_MAX_CLUSTERS speeds, or a CPU without the speed the others have,
 * count as unknown (n = 0). */
void pool_clusters(const char *root, pool_cluster_set *out);

#endif
