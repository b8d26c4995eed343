/* cost.c -- per-operation roofline and linear energy (see cost.h). */
#include "cost.h"

static double max2(double a, double b)
{
    return a > b ? a : b;
}

static double efficiency(const sim_efficiency *e, sim_op_kind kind, arch_dtype wtype)
{
    return kind == SIM_OP_MATVEC || kind == SIM_OP_MATMUL ? e->matvec[wtype]
         : kind == SIM_OP_ATTENTION ? e->attention : 1;
}

double sim_cost_seconds(const sim_profile *p, const sim_traffic *op, sim_op_kind kind,
                        arch_dtype wtype, bool peak)
{
    double compute = 0, memory = 0;
    const double *gops = kind == SIM_OP_MATMUL ? p->matmul_gops : p->peak_gops;
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        if (op->macs[d])
            compute += 2.0 * (double)op->macs[d] / (gops[d] * 1e9);
    for (int l = 0; l < p->nlevels; l++) {
        const sim_profile_level *L = &p->level[l];
        double bytes = (double)op->served[l];
        memory = peak ? max2(memory, bytes / (L->bandwidth_gbs * 1e9))
                      : memory + bytes / (L->sustained_gbs * efficiency(&L->eff, kind, wtype) * 1e9);
    }
    double dram = (double)op->dram_bytes;
    memory = peak ? max2(memory, dram / (p->dram_bandwidth_gbs * 1e9))
                  : memory + dram / (p->dram_sustained_gbs *
                                     efficiency(&p->dram_eff, kind, wtype) * 1e9);
    return max2(compute, memory);
}

double sim_cost_fixed_seconds(const sim_profile *p, int64_t layers)
{
    return p->layer_fixed_us * 1e-6 * (double)layers;
}

double sim_cost_op_fixed_seconds(const sim_profile *p, const sim_op *op)
{
    if (op->kind == SIM_OP_MATVEC && op->pass_start)
        return p->matvec_fixed_us * 1e-6;
    if (op->kind == SIM_OP_ATTENTION)
        return p->attention_head_us * 1e-6 * (double)op->kv_heads;
    return 0;
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
