/* cost.h -- energy and latency of a token from its traffic, with every
 * constant taken from the SoC profile.
 *
 * Latency is a roofline per operation (each mat-vec, the attention of a
 * layer, a norm, the classifier):
 *
 *   op time = max( 2 * MACs / peak FLOP/s of the MAC type,
 *                  bytes served by level i / bandwidth of level i  (each i),
 *                  DRAM bytes read + written / DRAM bandwidth )
 *
 * and a token takes the sum of its operations' times. Energy is linear
 * in the traffic:
 *
 *   energy = DRAM bytes * 8 * pJ/bit
 *          + sum over levels (bytes served by the level * its pJ/byte)
 *          + sum over types (MACs * pJ/MAC)
 *          + static power * latency
 *
 * "Bytes served by a level" are its hits times its line size: the data
 * that level delivered instead of passing the request outward.
 */
#ifndef SIM_COST_H
#define SIM_COST_H

#include <stdint.h>

#include "profile.h"

typedef struct {
    uint64_t macs[4];                  /* per arch_dtype */
    uint64_t served[SIM_MAX_LEVELS];   /* bytes served by each level */
    uint64_t dram_bytes;               /* read + written */
} sim_traffic;

typedef struct {
    double dram_mj, cache_mj, mac_mj, static_mj;
    double total_mj;
} sim_energy;

/* Roofline time of one operation, in seconds. */
double sim_cost_seconds(const sim_profile *p, const sim_traffic *op);

/* Energy of a token's total traffic that took `seconds`. */
sim_energy sim_cost_energy(const sim_profile *p, const sim_traffic *token,
                           double seconds);

/* a += b */
void sim_traffic_add(sim_traffic *a, const sim_traffic *b);

#endif
