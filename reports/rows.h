/* rows.h -- the cells every command's model row shares.
 *
 * `lanky params` and every sweep row print a model's spec the same way,
 * so the columns are written in one place, above the modules that
 * describe (arch/), run (ref/) and simulate (sim/) the model:
 *
 *   rep_put_spec(t, &spec);   layers, dim, heads, kv_heads, head_dim, ffn,
 *                             ffn_dim, vocab, tied, share, repeat,
 *                             executed_layers into t's newest row
 */
#ifndef REPORTS_ROWS_H
#define REPORTS_ROWS_H

#include "../arch/spec.h"
#include "../common/table.h"

void rep_put_spec(table *t, const arch_spec *s);

#endif
