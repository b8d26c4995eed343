/* trace.h -- the memory accesses of one decode token, in order.
 *
 * sim_trace_token() walks one decode step at context position t =
 * spec->ctx the way the reference transformer (ref/model.h) computes it
 * and hands every operation and every byte range it touches to a sink:
 *
 *   embed        read the embedding row of token 0, write x
 *   for each executed layer l (physical block b = arch_schedule()[l]):
 *     rms_att    read x, rms_att[b]; write xb
 *     wq wk wv   read the matrix, xb; write q, k, v
 *     attention  rope (q, k); write K and V of position t of layer l;
 *                read q; for each kv head, K of positions 0..t-1 (once
 *                for all query heads of its group); write and read the
 *                scores; V of positions 0..t-1; write xb
 *     wo         read wo, xb; write xb2; x += xb2
 *     rms_ffn    read x, rms_ffn[b]; write xb
 *     w1 (w3)    read the matrix, xb; write hb (hb2)
 *     w2         silu(hb) * hb2 (or relu(hb)); read w2, hb; write xb2;
 *                x += xb2
 *   rms_final    read x, rms_final; write x
 *   classifier   read the classifier (the embedding when tied), x;
 *                write logits
 *
 * The token's own key and value are used from the k and v buffers, so
 * the KV cache is read at exactly t rows per layer and written at one.
 * The reference reads its own row back from the cache; that row was just
 * written, so it is a cache hit there and only this definition makes
 * "KV bytes read = 2 * layers * t * K * hd * size" a closed form.
 *
 * Address space (one flat space, starting at 0):
 *   weights      the blob of arch_layout_build(), byte for byte
 *   KV cache     aligned to SIM_TRACE_ALIGN; per executed layer keys
 *                [K][seq_len][hd] then values [K][seq_len][hd] in the KV
 *                type (arch_kv_type: f32 for f32, f16 for f16 and int8,
 *                bf16 for bf16), head-major as in ref/model.h
 *   activations  the f32 buffers of ref_state, each aligned to
 *                SIM_TRACE_ALIGN; the scores are (H, seq_len)
 *
 * Sinks get ranges, never lines, so the trace of a whole token costs a
 * few thousand calls and no memory.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/layout.h"
#include "../arch/spec.h"
#include "../common/err.h"
#include "cache.h"

#define SIM_TRACE_ALIGN 4096

/* The most per-head ranges one token's trace may have: executed layers
 * x (4 kv heads + 2 query heads), as attention() in trace.c emits them.
 * The simulators keep state per range and per access, so a token costs
 * time and memory in proportion to its ranges, not its bytes: 400k tiny
 * heads took 38 s, 10M ran out of memory. 2^20 is 180 times a 30-layer
 * model with 32 heads and 32 kv heads (the largest published models have
 * 128 heads); at the limit
 * a token took 2 s and 0.3 GB on the 2-core Xeon VM (docs/hardening.md,
 * "sim cost bound"). sim_trace_build() refuses more. */
#define SIM_TRACE_MAX_HEAD_RANGES (UINT64_C(1) << 20)

typedef struct {
    const char *name;   /* "wq", "attention", "rms_att", ... */
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

typedef enum {
    SIM_A_X, SIM_A_XB, SIM_A_XB2, SIM_A_Q, SIM_A_K, SIM_A_V, SIM_A_ATT,
    SIM_A_HB, SIM_A_HB2, SIM_A_LOGITS, SIM_A_COUNT
} sim_act;

typedef struct {
    arch_spec spec;
    arch_layout layout;
    arch_params params;
    int64_t n_exec;          /* executed layers */
    int64_t *sched;          /* physical block of each executed layer */
    arch_dtype kv_type;
    uint64_t kv_row;         /* bytes of one position's K (or V): K*hd*size */
    uint64_t kv_head_row;    /* the part of one kv head: hd*size */
    uint64_t kv_base;        /* keys of executed layer l: kv_base + l*kv_layer */
    uint64_t kv_layer;       /* 2 * seq_len * kv_row */
    uint64_t act[SIM_A_COUNT], act_bytes[SIM_A_COUNT];
    uint64_t end;            /* first address past everything */
} sim_trace;

int sim_trace_build(sim_trace *t, const arch_spec *s, lk_err *e);
void sim_trace_free(sim_trace *t);

/* Emit one decode token; any sink callback may be NULL. */
void sim_trace_token(const sim_trace *t, const sim_sink *k);

#endif
