/* cache.h -- a multi-level, set-associative cache hierarchy, simulated
 * line by line.
 *
 * Levels are listed innermost first (L1 or L2 of one core, then the
 * shared last level). Every level is write-back and write-allocate and
 * has its own line size, associativity and replacement policy. A miss at
 * level i goes to level i+1; a miss at the last level goes to DRAM.
 * Dirty lines evicted from a level are written to the next (from the
 * last level: to DRAM). Levels are not inclusive or exclusive by force:
 * each keeps what it was given (non-inclusive, like most phone SoCs).
 *
 * Precisely: a core write that misses fetches the line first (write-
 * allocate), then marks it dirty. A write-back that misses in the next
 * level is allocated there without a fetch when it covers that level's
 * whole line, and fetched first when that line is larger. A miss sends
 * its fill request outward before the write-back of its dirty victim.
 * Dirty data counts for the class that wrote it last.
 *
 * Every access carries a tensor class so that the counters can say where
 * traffic comes from (weights, KV cache, activations).
 *
 * Replacement: LRU; random (one seeded xorshift generator for the whole
 * hierarchy, so runs repeat); SRRIP (Jaleel et al., ISCA 2010: 2-bit
 * RRPV, insert at 2, hit -> 0, evict the first way at 3 after ageing).
 * Empty ways are always filled before anything is evicted.
 *
 * Limits: line_bytes a power of two from 16 to 65536; size_bytes a
 * multiple of line_bytes * assoc; at most 255 ways (so a fully
 * associative level holds at most 255 lines); set counts need not be
 * powers of two (a 24 MB, 16-way cache of 128 B lines has 12288 sets).
 */
#ifndef SIM_CACHE_H
#define SIM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

#define SIM_MAX_WAYS 255 /* LRU ages are bytes */

typedef enum { SIM_LRU, SIM_RANDOM, SIM_SRRIP, SIM_POLICY_COUNT } sim_policy;

typedef enum { SIM_WEIGHTS, SIM_KV, SIM_ACT, SIM_CLASS_COUNT } sim_class;

typedef struct {
    uint64_t size_bytes;
    uint32_t line_bytes; /* power of two */
    uint32_t assoc;      /* ways; 0 = fully associative */
    sim_policy policy;
} sim_level_cfg;

typedef struct {
    uint64_t accesses[SIM_CLASS_COUNT]; /* line accesses reaching this level,
                                           write-backs from inside included */
    uint64_t misses[SIM_CLASS_COUNT];
    uint64_t writebacks[SIM_CLASS_COUNT]; /* dirty lines sent outward */
} sim_level_stats;

typedef struct {
    uint64_t read_bytes[SIM_CLASS_COUNT];  /* line fills from DRAM */
    uint64_t write_bytes[SIM_CLASS_COUNT]; /* write-backs to DRAM */
} sim_dram_stats;

typedef struct sim_cache sim_cache;

#define SIM_MAX_LEVELS 4

/* seed makes the random policy repeatable. A bad level is LK_EINPUT
 * with "cache level N: <field> ..." in e. */
int sim_cache_new(sim_cache **c, const sim_level_cfg *levels, int nlevels,
                  uint64_t seed, lk_err *e);
void sim_cache_free(sim_cache *c);

/* Touch every line of [addr, addr + bytes). */
void sim_cache_access(sim_cache *c, uint64_t addr, uint64_t bytes,
                      bool write, sim_class cls);

/* Zero the counters, keep the contents (for steady-state measurement). */
void sim_cache_reset_stats(sim_cache *c);

/* level counts from 0 (innermost); NULL past the last level. Counters
 * are complete after every sim_cache_access(). */
const sim_level_stats *sim_cache_level_stats(const sim_cache *c, int level);
const sim_dram_stats *sim_cache_dram_stats(const sim_cache *c);

/* The compiled code that later sim_cache_new() calls give their caches:
 * "auto" (the default: the best this CPU runs), "avx512" or "portable"
 * (plain C; the tests check both against a reference). The counts never
 * depend on it. LK_EINPUT for an unknown name or one this CPU cannot
 * run. Not thread-safe: choose before creating caches in threads. */
int sim_cache_select(const char *name, lk_err *e);
/* The code c runs: "avx512" or "portable". */
const char *sim_cache_impl(const sim_cache *c);

const char *sim_policy_name(sim_policy p);
int sim_policy_parse(const char *s, sim_policy *p, lk_err *e);

#endif
