/* pool.h -- worker threads kept alive across tokens.
 *
 * Decode splits every mat-vec into row ranges, one per thread, hundreds
 * of times per token; starting threads each time would cost more than the
 * work. A pool starts its threads once, pins each to its own core with
 * hwloc, and runs a job on all of them (the caller's thread is worker 0).
 * On a CPU with cores of several kinds (big.LITTLE), the workers take the
 * most performant cores first, so decode runs on the fastest cluster.
 */
#ifndef REF_POOL_H
#define REF_POOL_H

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

#endif
