/* cmd_params.c -- `lanky params`: parameter breakdown and weight bytes. */
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../reports/rows.h"
#include "cli.h"

static const char columns[] =
    REP_SPEC_COLUMNS ",params_total,params_paper,weight_bytes,"
    "name,dtype,params_paper_m,params_embedding,params_classifier,"
    "params_attention,params_ffn,params_norm,"
    "weight_bytes_f32,weight_bytes_f16,weight_bytes_bf16,weight_bytes_int8,"
    "block_bytes,kv_bytes_per_token," REP_ATTENTION_COLUMNS ",kv_cache_bytes,"
    "weight_bytes_int4,group,embed_dtype";

static int run(const cli_args *a, lk_err *e)
{
    const arch_spec *s = &a->spec;
    arch_params p;
    int rc = arch_params_count(s, &p, e);
    if (rc)
        return rc;
    lk_table *t = lk_table_new(columns);
    if (!t || lk_table_row(t))
        return lk_table_free(t), lk_fail(e, LK_ERUN, "out of memory");
    rep_put_spec(t, s);
    lk_table_puti(t, "params_total", p.total);
    lk_table_puti(t, "params_paper", p.paper);
    lk_table_putu(t, "weight_bytes", p.weight_bytes);
    lk_table_put(t, "name", "%s", s->name);
    lk_table_put(t, "dtype", "%s", arch_dtype_name(s->dtype));
    lk_table_putf(t, "params_paper_m", p.paper / 1e6, 1);
    for (int c = 0; c < ARCH_C_COUNT; c++) {
        char col[64] = "params_";
        strcat(col, arch_class_name(c));
        lk_table_puti(t, col, p.by_class[c]);
    }
    for (int d = ARCH_F32; d <= ARCH_INT4; d++) {
        arch_spec sd = *s;
        arch_params pd;
        sd.dtype = d;
        if (d == ARCH_INT4 && arch_spec_finish(&sd, NULL))
            continue; /* the group does not fit this shape: no int4 figure */
        if ((rc = arch_params_count(&sd, &pd, e)))
            return lk_table_free(t), rc;
        char col[64] = "weight_bytes_";
        strcat(col, arch_dtype_name(d));
        lk_table_putu(t, col, pd.weight_bytes);
    }
    lk_table_puti(t, "group", s->group);
    lk_table_putu(t, "block_bytes", p.block_bytes);
    lk_table_putu(t, "kv_bytes_per_token", p.kv_bytes_per_layer_token * arch_executed_layers(s));
    rep_put_attention(t, s);
    /* the KV cache a token at position ctx attends over, as sweeps print it */
    lk_table_putu(t, "kv_cache_bytes", p.kv_read_bytes);
    rc = cli_print(a, t, e);
    lk_table_free(t);
    return rc;
}

const cli_command cmd_params = {
    .name = "params",
    .summary = "parameter counts per tensor class and weight bytes per dtype",
    .usage = "lanky params SPEC [--format table|csv|json]",
    .takes_spec = true,
    .opts = NULL,
    .run = run,
};
