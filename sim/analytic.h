/* analytic.h -- the fast mode: reuse distances over whole ranges instead
 * of a line-by-line cache.
 *
 * The trace touches a few thousand ranges per token (a tensor, a layer's
 * KV rows, an activation buffer). For each access of a range r the model
 * takes D, the lines of other ranges touched since r's previous access
 * (a Fenwick tree over access times, Mattson's stack distance at range
 * granularity). In a fully associative LRU cache of C lines, every line
 * of an n-line range scanned in order has stack distance n + D, so the
 * whole access hits when n + D <= C and misses otherwise: exact for
 * fully associative LRU when ranges do not share lines, an approximation
 * for set-associative caches and other policies. Each level is judged
 * with its own line size and capacity.
 *
 * Dirty data: a write makes the range dirty in the innermost level; when
 * a later access finds it evicted from a level, it was written back to
 * the next level (past the last: DRAM) at some point in between, and the
 * counters say so at that access.
 *
 * The counters have cache.h's meaning, so the same code reads both modes,
 * with one difference: a write-back is not counted as an access of the
 * next level (the exact mode counts it), so a level's hit rate in this
 * mode covers the trace's own accesses only.
 */
#ifndef SIM_ANALYTIC_H
#define SIM_ANALYTIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"
#include "cache.h"

typedef struct sim_analytic sim_analytic;

/* LK_EINPUT if a level's policy is not LRU: the model has no other. */
int sim_analytic_new(sim_analytic **a, const sim_level_cfg *levels,
                     int nlevels, lk_err *e);
void sim_analytic_free(sim_analytic *a);

/* One access of the range [addr, addr + bytes): ranges are told apart by
 * (addr, bytes), so a range must be touched whole each time. */
void sim_analytic_access(sim_analytic *a, uint64_t addr, uint64_t bytes,
                         bool write, sim_class cls);

/* LK_ERUN if memory ran out during an access (the counters are then
 * meaningless), else LK_OK. */
int sim_analytic_check(const sim_analytic *a, lk_err *e);

void sim_analytic_reset_stats(sim_analytic *a);
const sim_level_stats *sim_analytic_level_stats(const sim_analytic *a,
                                                int level);
const sim_dram_stats *sim_analytic_dram_stats(const sim_analytic *a);

#endif
