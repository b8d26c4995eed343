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
 * Every access carries a tensor class so that the counters can say where
 * traffic comes from (weights, KV cache, activations).
 */
#ifndef SIM_CACHE_H
#define SIM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

typedef enum { SIM_LRU, SIM_RANDOM, SIM_SRRIP, SIM_POLICY_COUNT } sim_policy;

typedef enum { SIM_WEIGHTS, SIM_KV, SIM_ACT, SIM_CLASS_COUNT } sim_class;

typedef struct {
    uint64_t size_bytes;
    uint32_t line_bytes; /* power of two */
    uint32_t assoc;      /* ways; 0 = fully associative */
    sim_policy policy;
} sim_level_cfg;

typedef struct {
    uint64_t accesses[SIM_CLASS_COUNT]; /* line accesses reaching this level */
    uint64_t misses[SIM_CLASS_COUNT];
    uint64_t writebacks[SIM_CLASS_COUNT]; /* dirty lines sent outward */
} sim_level_stats;

typedef struct {
    uint64_t read_bytes[SIM_CLASS_COUNT];  /* line fills from DRAM */
    uint64_t write_bytes[SIM_CLASS_COUNT]; /* write-backs to DRAM */
} sim_dram_stats;

typedef struct sim_cache sim_cache;

#define SIM_MAX_LEVELS 4

/* seed makes the random policy repeatable. */
int sim_cache_new(sim_cache **c, const sim_level_cfg *levels, int nlevels,
                  uint64_t seed, lk_err *e);
void sim_cache_free(sim_cache *c);

/* Touch every line of [addr, addr + bytes). */
void sim_cache_access(sim_cache *c, uint64_t addr, uint64_t bytes,
                      bool write, sim_class cls);

/* Zero the counters, keep the contents (for steady-state measurement). */
void sim_cache_reset_stats(sim_cache *c);

const sim_level_stats *sim_cache_level_stats(const sim_cache *c, int level);
const sim_dram_stats *sim_cache_dram_stats(const sim_cache *c);

const char *sim_policy_name(sim_policy p);
int sim_policy_parse(const char *s, sim_policy *p, lk_err *e);

#endif
