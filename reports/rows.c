/* rows.c -- the shared cells of a model row (see rows.h). */
#include "rows.h"

#include "../arch/layout.h"
#include "../arch/schedule.h"

void rep_put_spec(lk_table *t, const arch_spec *s)
{
    lk_table_puti(t, "layers", s->layers);
    lk_table_puti(t, "dim", s->dim);
    lk_table_puti(t, "heads", s->heads);
    lk_table_puti(t, "kv_heads", s->kv_heads);
    lk_table_puti(t, "head_dim", s->head_dim);
    lk_table_put(t, "ffn", "%s", arch_ffn_name(s->ffn));
    lk_table_puti(t, "ffn_dim", s->ffn_dim);
    lk_table_puti(t, "vocab", s->vocab);
    lk_table_puti(t, "tied", s->tied);
    lk_table_put(t, "share", "%s", arch_share_name(s->share));
    lk_table_puti(t, "repeat", s->repeat);
    lk_table_puti(t, "executed_layers", arch_executed_layers(s));
}

int rep_finish_row(arch_spec *s, lk_err *e)
{
    int rc = arch_spec_finish(s, e);
    if (rc && e && e->field) {
        lk_suffix(e, " (fill a %s column)", e->field);
        e->field = NULL;
    }
    return rc;
}

void rep_put_attention(lk_table *t, const arch_spec *s)
{
    lk_table_put(t, "kv_dtype", "%s", arch_dtype_name(arch_spec_kv_type(s)));
    lk_table_puti(t, "window", s->window);
    lk_table_puti(t, "global_every", s->global_every);
    lk_table_put(t, "embed_dtype", "%s", arch_dtype_name(arch_tensor_type(s, ARCH_W_EMBED)));
}

const char rep_sim_columns[] =
    "profile,share,repeat,dtype,ctx,executed_layers,weight_bytes,"
    "dram_read_bytes,dram_write_bytes,dram_weight_read_bytes,"
    "dram_kv_read_bytes,slc_hit_rate,energy_mj_per_token,latency_ms_per_token,"
    "mode,policy,dram_act_read_bytes,llc_accesses,llc_misses,macs,"
    "energy_dram_mj,energy_cache_mj,energy_mac_mj,energy_static_mj,"
    "latency_floor_ms,energy_dynamic_mj,energy_active_mj";

const char rep_late_columns[] = "embed_dtype";

const char rep_prefill_columns[] = "prompt,ttft_ms,prefill_dram_bytes,prefill_energy_mj";

void rep_put_sim(lk_table *t, const sim_profile *p, const arch_spec *s,
                 const sim_opts *o, const sim_result *r)
{
    lk_table_put(t, "profile", "%s", sim_profile_name(p));
    lk_table_put(t, "share", "%s", arch_share_name(s->share));
    lk_table_puti(t, "repeat", s->repeat);
    lk_table_put(t, "dtype", "%s", arch_dtype_name(s->dtype));
    lk_table_puti(t, "ctx", s->ctx);
    lk_table_puti(t, "executed_layers", r->executed_layers);
    lk_table_putu(t, "weight_bytes", r->weight_bytes);
    lk_table_putu(t, "dram_read_bytes", r->dram_read_bytes);
    lk_table_putu(t, "dram_write_bytes", r->dram_write_bytes);
    lk_table_putu(t, "dram_weight_read_bytes", r->dram_weight_read_bytes);
    lk_table_putu(t, "dram_kv_read_bytes", r->dram_kv_read_bytes);
    lk_table_putf(t, "slc_hit_rate", r->slc_hit_rate, 6);
    lk_table_putf(t, "energy_mj_per_token", r->energy_mj_per_token, 6);
    lk_table_putf(t, "latency_ms_per_token", r->latency_ms_per_token, 6);
    lk_table_put(t, "mode", "%s", o->mode == SIM_ANALYTIC ? "analytic" : "exact");
    lk_table_put(t, "policy", "%s", o->policy ? o->policy : "profile");
    lk_table_putu(t, "dram_act_read_bytes", r->dram_act_read_bytes);
    lk_table_putu(t, "llc_accesses", r->llc_accesses);
    lk_table_putu(t, "llc_misses", r->llc_misses);
    lk_table_putu(t, "macs", r->macs);
    lk_table_putf(t, "energy_dram_mj", r->energy_dram_mj, 6);
    lk_table_putf(t, "energy_cache_mj", r->energy_cache_mj, 6);
    lk_table_putf(t, "energy_mac_mj", r->energy_mac_mj, 6);
    lk_table_putf(t, "energy_static_mj", r->energy_static_mj, 6);
    lk_table_putf(t, "latency_floor_ms", r->latency_floor_ms, 6);
    lk_table_putf(t, "energy_dynamic_mj", r->energy_dynamic_mj, 6);
    lk_table_putf(t, "energy_active_mj", r->energy_active_mj, 6);
    if (r->prompt > 0) { /* rep_prefill_columns */
        lk_table_puti(t, "prompt", r->prompt);
        lk_table_putf(t, "ttft_ms", r->ttft_ms, 6);
        lk_table_putu(t, "prefill_dram_bytes", r->prefill_dram_bytes);
        lk_table_putf(t, "prefill_energy_mj", r->prefill_energy_mj, 6);
    }
    lk_table_put(t, "embed_dtype", "%s", arch_dtype_name(arch_tensor_type(s, ARCH_W_EMBED)));
}
