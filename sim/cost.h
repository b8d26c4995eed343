/* cost.h -- energy and latency of a token from its traffic, with every
 * constant taken from the SoC profile.
 *
 * Latency is a roofline per operation (each mat-vec, the attention of a
 * layer, a norm, the classifier):
 *
 *   op time = max( 2 * MACs / peak FLOP/s of the MAC type (a prefill
 *                  chunk's products: the profile's matmul rate),
 *                  sum over levels i of bytes served by i / (bw_i * eff_i)
 *                  + DRAM bytes read + written / (DRAM bw * eff_DRAM) )
 *
 * Bytes served by different levels add up: they reach the core one after
 * the other through the same loads (a mat-vec whose matrix is half in
 * the last-level cache and half in DRAM takes the time of both halves,
 * not of the slower). eff is the share of a level's bandwidth that the
 * operation's kind reaches from it (mat-vec per weight type, attention;
 * sim_efficiency in profile.h; 1 for other operations).
 *
 * and a token takes the sum of its operations' times plus fixed times:
 * per executed layer (thread hand-offs, small operations; the profile's
 * layer_fixed_us), per pass of mat-vecs over the thread pool (the start
 * of each matrix stream and the wait for the slower thread;
 * matvec_fixed_us) and per key/value head an attention walks (its short
 * streams; attention_head_us). The bandwidths are the sustained ones (what a decode
 * engine reaches, hw-profiles/SOURCES.md; default the peak); the same
 * sum with the interface peaks and no fixed time is the token's floor
 * (sim column latency_floor_ms), so floor <= latency. Energy is linear
 * in the traffic and the time:
 *
 *   energy = DRAM bytes * 8 * pJ/bit                          \
 *          + sum over levels (bytes served by the level * its pJ/byte)
 *          + sum over types (MACs * pJ/MAC)                  / dynamic
 *          + active power of the CPU cluster * latency       (active)
 *          + static power * latency
 *
 * "Bytes served by a level" are its hits times its line size: the data
 * that level delivered instead of passing the request outward.
 */
#ifndef SIM_COST_H
#define SIM_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"
#include "trace.h"

typedef struct {
    uint64_t macs[ARCH_DTYPE_COUNT];                  /* per arch_dtype */
    uint64_t served[SIM_MAX_LEVELS];   /* bytes served by each level */
    uint64_t dram_bytes;               /* read + written */
} sim_traffic;

typedef struct {
    double dram_mj, cache_mj, mac_mj, static_mj;
    double dynamic_mj;  /* dram + cache + mac */
    double active_mj;   /* active_mw x latency */
    double total_mj;    /* dynamic + active + static */
} sim_energy;

/* Time of one operation of kind `kind` whose MACs run in `wtype` (a
 * mat-vec's weight type), in
 * seconds: with the sustained bandwidths and efficiencies, or, when
 * `peak`, the floor: the slowest of the compute and the levels at their
 * interface peaks (no efficiency, nothing added up), which no real run
 * can beat. */
double sim_cost_seconds(const sim_profile *p, const sim_traffic *op, sim_op_kind kind,
                        arch_dtype wtype, bool peak);

/* The fixed time of a token that executes `layers` layers, in seconds. */
double sim_cost_fixed_seconds(const sim_profile *p, int64_t layers);

/* The fixed time of one operation (a pass of mat-vecs, an attention's
 * heads), in seconds; 0 for the others. */
double sim_cost_op_fixed_seconds(const sim_profile *p, const sim_op *op);

/* Energy of a token's total traffic that took `seconds`. */
sim_energy sim_cost_energy(const sim_profile *p, const sim_traffic *token,
                           double seconds);

/* a += b */
void sim_traffic_add(sim_traffic *a, const sim_traffic *b);

#endif
