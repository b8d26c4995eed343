/* trace.h -- the memory accesses of one decode token, in order.
 *
 * sim_trace_token() walks the plan of one decode step at context
 * position spec->ctx (arch/plan.h: its stages, ops and operands, in the
 * plan's one address layout of weights, KV cache and activations) and
 * hands every stage and every byte range its ops touch to a sink. The
 * reference transformer (ref/model.c) executes the same plan, so the
 * simulated token does the work of the measured one over the same
 * addresses.
 *
 * Sinks get ranges, never lines, so the trace of a whole token costs a
 * few thousand calls and no memory.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/plan.h"
#include "../arch/spec.h"
#include "../common/err.h"
#include "cache.h"

/* What kind of work a stage is, for the efficiency the cost model gives
 * its traffic (sim_efficiency in profile.h) and the compute rate of its
 * MACs. The trace emits the first three; SIM_OP_MATMUL is a mat-vec
 * stage run for several tokens at once, a prefill chunk's product, which
 * sim.c's time to first token charges. */
typedef enum { SIM_OP_MATVEC, SIM_OP_ATTENTION, SIM_OP_OTHER, SIM_OP_MATMUL } sim_op_kind;

typedef struct {
    const char *name;   /* the plan stage's: "wq", "attention", "rms_att", ... */
    sim_op_kind kind;   /* a stage with a MATMUL op is a mat-vec, one with
                           ATTEND attention, the rest (norms, embedding) other */
    bool pass_start;    /* a mat-vec that starts a pass over the reference's
                           thread pool (arch_op.pass), not one that joins
                           the previous stage's */
    int64_t kv_heads;   /* attention: the key/value heads it walks */
    int64_t layer;      /* executed layer, -1 outside the blocks */
    uint64_t macs;      /* multiply-accumulates (mat-vecs and attention) */
    arch_dtype dtype;   /* the type the MACs run in */
} sim_op;

typedef struct {
    void *u;
    void (*op_begin)(void *u, const sim_op *op);
    void (*access)(void *u, uint64_t addr, uint64_t bytes, bool write,
                   sim_class cls);
    void (*op_end)(void *u, const sim_op *op);
} sim_sink;

typedef struct {
    arch_plan plan;
    int64_t n_exec;          /* plan.n_exec and plan.params, for the */
    arch_params params;      /* simulator's results */
} sim_trace;

int sim_trace_build(sim_trace *t, const arch_spec *s, lk_err *e);
void sim_trace_free(sim_trace *t);

/* Emit one decode token; any sink callback may be NULL. */
void sim_trace_token(const sim_trace *t, const sim_sink *k);

#endif
