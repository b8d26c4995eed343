/* cost.c -- per-operation roofline and linear energy (see cost.h). */
#include "cost.h"

static double max2(double a, double b)
{
    return a > b ? a : b;
}

double sim_cost_seconds(const sim_profile *p, const sim_traffic *op, bool peak)
{
    double t = 0;
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        if (op->macs[d])
            t += 2.0 * (double)op->macs[d] / (p->peak_gops[d] * 1e9);
    for (int l = 0; l < p->nlevels; l++)
        t = max2(t, (double)op->served[l] /
                        ((peak ? p->level[l].bandwidth_gbs : p->level[l].sustained_gbs) * 1e9));
    return max2(t, (double)op->dram_bytes /
                       ((peak ? p->dram_bandwidth_gbs : p->dram_sustained_gbs) * 1e9));
}

double sim_cost_fixed_seconds(const sim_profile *p, int64_t layers)
{
    return p->layer_fixed_us * 1e-6 * (double)layers;
}

/* pJ -> mJ */
#define MJ 1e-9

sim_energy sim_cost_energy(const sim_profile *p, const sim_traffic *tok,
                           double seconds)
{
    sim_energy en = {0};
    en.dram_mj = (double)tok->dram_bytes * 8 * p->dram_pj_per_bit * MJ;
    for (int l = 0; l < p->nlevels; l++)
        en.cache_mj += (double)tok->served[l] * p->level[l].energy_pj_per_byte * MJ;
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        en.mac_mj += (double)tok->macs[d] * p->mac_pj[d] * MJ;
    en.dynamic_mj = en.dram_mj + en.cache_mj + en.mac_mj;
    en.active_mj = p->active_mw * seconds; /* mW * s = mJ */
    en.static_mj = p->static_mw * seconds;
    en.total_mj = en.dynamic_mj + en.active_mj + en.static_mj;
    return en;
}

void sim_traffic_add(sim_traffic *a, const sim_traffic *b)
{
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        a->macs[d] += b->macs[d];
    for (int l = 0; l < SIM_MAX_LEVELS; l++)
        a->served[l] += b->served[l];
    a->dram_bytes += b->dram_bytes;
}
