/* rows.h -- the cells every command's model row shares.
 *
 * `lanky params` and every sweep row print a model's spec the same way,
 * so the columns are written in one place, above the modules that
 * describe (arch/), run (ref/) and simulate (sim/) the model:
 *
 *   rep_put_spec(t, &spec);   layers, dim, heads, kv_heads, head_dim, ffn,
 *                             ffn_dim, vocab, tied, share, repeat,
 *                             executed_layers into t's newest row
 *   lk_table_new(rep_sim_columns + "," + rep_late_columns);  a simulated row:
 *   rep_put_sim(t, prof, &spec, &o, &r);   the contract's columns, then
 *                                          the extras
 */
#ifndef REPORTS_ROWS_H
#define REPORTS_ROWS_H

#include "../arch/spec.h"
#include "../common/table.h"
#include "../sim/sim.h"

void rep_put_spec(lk_table *t, const arch_spec *s);
/* The columns rep_put_spec() fills, in their order, for column lists. */
#define REP_SPEC_COLUMNS \
    "layers,dim,heads,kv_heads,head_dim,ffn,ffn_dim,vocab,tied,share,repeat,executed_layers"

/* arch_spec_finish() for a model given as a CSV row: a field that would
 * fix the row is asked for as a column ("dim: missing (fill a dim
 * column)"). */
int rep_finish_row(arch_spec *s, lk_err *e);

/* The attention layout and the types beside dtype: kv_dtype (the type in
 * use, also when it follows the weights), window, global_every, and
 * embed_dtype (the embedding's and classifier's type in use); appended
 * after the older columns of `lanky params` and sweeps. */
void rep_put_attention(lk_table *t, const arch_spec *s);
/* The columns rep_put_attention() fills before the late ones. */
#define REP_ATTENTION_COLUMNS "kv_dtype,window,global_every"


/* The columns of one simulated row (the contract's, then the extras), for
 * lk_table_new(), and a row's cells, so `lanky sim` and sweeps print the
 * same thing. */
extern const char rep_sim_columns[];
/* The columns of a simulated prefill (sim_opts.prompt > 0: prompt,
 * ttft_ms, prefill_dram_bytes, prefill_energy_mj), appended after
 * rep_sim_columns only where a prompt is simulated, so that rows without
 * one print what they printed before; rep_put_sim() fills them when the
 * result has a prompt. */
extern const char rep_prefill_columns[];

/* The columns added to model rows after their lists were fixed: a table
 * puts them after all of its other columns (sweeps after the measured
 * ones too), so no older column moves (DESIGN.md: add, never rename).
 * rep_put_attention and rep_put_sim fill them. */
extern const char rep_late_columns[];
void rep_put_sim(lk_table *t, const sim_profile *p, const arch_spec *s, const sim_opts *o,
                 const sim_result *r);

#endif
