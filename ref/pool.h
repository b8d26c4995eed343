/* pool.h -- worker threads kept alive across tokens.
 *
 * Decode splits every mat-vec into row ranges, one per thread, hundreds
 * of times per token; starting threads each time would cost more than the
 * work. A pool starts its threads once, pins each to its own core with
 * hwloc, and runs a job on all of them (the caller's thread is worker 0).
 */
#ifndef REF_POOL_H
#define REF_POOL_H

#include "../common/err.h"

typedef struct pool pool;

/* fn(arg, i, n) runs on worker i of n. */
typedef void (*pool_fn)(void *arg, int i, int n);

/* n threads (the caller counts as one); n <= 0 means one per physical
 * core, as hwloc counts them. */
int pool_create(pool **p, int n, lk_err *e);
void pool_free(pool *p);
int pool_threads(const pool *p);

/* Run fn on every worker and return when all have finished. */
void pool_run(pool *p, pool_fn fn, void *arg);

/* Physical cores of this machine (hwloc), at least 1. */
int pool_physical_cores(void);

#endif
