/* rows.c -- the shared cells of a model row (see rows.h). */
#include "rows.h"

#include "../arch/schedule.h"

void rep_put_spec(table *t, const arch_spec *s)
{
    table_puti(t, "layers", s->layers);
    table_puti(t, "dim", s->dim);
    table_puti(t, "heads", s->heads);
    table_puti(t, "kv_heads", s->kv_heads);
    table_puti(t, "head_dim", s->head_dim);
    table_put(t, "ffn", "%s", arch_ffn_name(s->ffn));
    table_puti(t, "ffn_dim", s->ffn_dim);
    table_puti(t, "vocab", s->vocab);
    table_puti(t, "tied", s->tied);
    table_put(t, "share", "%s", arch_share_name(s->share));
    table_puti(t, "repeat", s->repeat);
    table_puti(t, "executed_layers", arch_executed_layers(s));
}
