/* plan.h -- the work of one decode step, once: its operations in order,
 * each naming its weights, KV cache rows and activation buffers by their
 * place in one address layout. The reference transformer (ref/model.c)
 * executes these operations with its kernels; the simulator (sim/trace.c)
 * turns their operands into memory accesses. Neither restates the
 * forward pass or an address rule; a new operation is added here once.
 *
 * A decode step at position pos = spec->ctx:
 *
 *   stage        op          operands (R read, W write)
 *   embedding    EMBED       R the embedding row of token 0 (int8: and its
 *                            scale); W x
 *   for each executed layer l (physical block b = arch_schedule()[l]):
 *     rms_att    NORM        R x, rms_att[b]; W xb
 *     wq wk wv   MATMUL      R the matrix, xb; W q, k, v
 *     bias       BIAS        R bq, q; W q   (q += bq; then k, v: attn_bias only)
 *     attention  ROPE        R q, W q, R k, W k (in place)
 *                KV_STORE    R v; W keys and values of position pos of
 *                            layer l (k was just written by ROPE)
 *                ATTEND      R q; keys of the n = min(pos + 1, kv_len[l])
 *                            positions attended, less the token's own,
 *                            of each kv head (once for all query heads
 *                            of its group); W then R the scores of each
 *                            query head over n positions; R values of
 *                            the same positions; W xb (H*hd values)
 *     wo         MATMUL      R wo, xb; W xb2
 *                RESIDUAL    R xb2, x; W x            (x += xb2)
 *     rms_ffn    NORM        R x, rms_ffn[b]; W xb
 *     w1 (w3)    MATMUL      R the matrix, xb; W hb (hb2)
 *     w2         GATE        R hb (hb2); W hb  (silu(hb) * hb2, or relu(hb))
 *                MATMUL      R w2, hb; W xb2
 *                RESIDUAL    R xb2, x; W x
 *   rms_final    NORM        R x, rms_final; W x
 *   classifier   MATMUL      R the classifier (the embedding when tied), x;
 *                            W logits
 *
 * A stage is what the simulator reports as one operation (its MACs and
 * the type they run in); the ops are what the reference executes. The
 * token's own key and value are used from the k and v buffers, so the
 * KV cache is read at exactly n - 1 rows per layer and written at one:
 * KV bytes read = sum over layers of 2 * (min(pos + 1, kv_len[l]) - 1) *
 * K * kv_head_row, a closed form. (The reference reads its own row back
 * from the cache; it was just written.)
 *
 * Attention layouts (spec window, global_every): a local layer keeps
 * kv_len = min(window, seq_len) positions as a ring, position p in slot
 * p % kv_len, and attends over the last kv_len positions, its own
 * included; a global layer keeps seq_len (every layer without a window).
 * Once the ring is full every slot holds a position of the window, so
 * attention reads slots 0 .. n-1 in slot order (a softmax does not
 * depend on the order of its positions; keys carry their RoPE rotation
 * from when they were stored); the trace reads them less the token's own
 * slot, as one or two ranges per head.
 *
 * A prefill chunk of nt tokens at positions pos .. pos+nt-1 runs the same
 * ops, each over nt tokens (ref_prefill); the operands listed are those
 * of the decode step (nt = 1), the only step the simulator traces. A
 * chunk must not wrap a ring: its keys would overwrite those its earlier
 * tokens still attend over (ref_prefill runs past the window token by
 * token).
 *
 * Address layout (one flat space, starting at 0):
 *   weights      the blob of arch_layout_build(), byte for byte
 *   KV cache     at kv_base (aligned to ARCH_PLAN_ALIGN); per executed
 *                layer l, at kv_base + kv_off[l], keys [K][kv_len[l]] then
 *                values [K][kv_len[l]], rows of kv_head_row bytes in the
 *                KV type (arch_spec_kv_type), head-major: each kv head's
 *                keys are one stream for attention to read. An int8 row
 *                is hd int8 values then their f32 scale (one scale per
 *                head and position, arch/layout.h), so the scales are
 *                read in the same stream as the values they scale
 *   activations  the f32 buffers below, one token's each, each aligned to
 *                ARCH_PLAN_ALIGN; the scores are (H, seq_len)
 *
 * An activation operand is a whole buffer (except the scores of each
 * head and attention's H*hd outputs): when H*hd != dim, xb is wider than
 * what a norm writes (dim) or wo reads (H*hd), and the operand still
 * names all of it -- a few hundred bytes of a buffer that stays in L1,
 * kept so that the simulator's figures do not move.
 */
#ifndef ARCH_PLAN_H
#define ARCH_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"
#include "layout.h"
#include "spec.h"

#define ARCH_PLAN_ALIGN 4096

/* Tokens a prefill chunk runs through each weight row at a time: the
 * reference's REF_BATCH (ref/model.h, which says why 32) and the
 * simulator's chunk (sim_token's time to first token, sim/sim.h) are
 * this one number. Both cut an n-token prompt the same way: chunks of
 * ARCH_PLAN_CHUNK from position 0, the last one shorter, and, once a
 * chunk would wrap the shortest ring (a local layer's window, see the
 * prefill paragraph above), up to the ring's end then token by token
 * (ref_prefill in ref/model.c; prefill_seconds in sim/sim.c). */
#define ARCH_PLAN_CHUNK 32

/* The most per-head operands one token's plan may have: executed layers
 * x (4 per kv head, 6 with a window + 2 per query head), as attention()
 * in plan.c lays them out. The plan and the simulators keep state per operand, so a
 * token costs time and memory in proportion to its operands, not its
 * bytes: 400k tiny heads took 38 s, 10M ran out of memory. 2^20 is 180
 * times a 30-layer model with 32 heads and 32 kv heads (the largest
 * published models have 128 heads); at the limit a token took 2 s and
 * 0.3 GB on the 2-core Xeon VM (docs/hardening.md, "sim cost bound").
 * arch_plan_build() refuses more. */
#define ARCH_PLAN_MAX_HEAD_RANGES (UINT64_C(1) << 20)

/* The activation buffers of one token (f32), in address order. */
typedef enum {
    ARCH_A_NONE = -1,
    ARCH_A_X,       /* dim: the residual stream */
    ARCH_A_XB,      /* max(dim, H*hd): normed input, attention output */
    ARCH_A_XB2,     /* dim: output of wo or w2 */
    ARCH_A_Q,       /* H*hd */
    ARCH_A_K,       /* K*hd */
    ARCH_A_V,       /* K*hd */
    ARCH_A_ATT,     /* H*seq_len: attention scores */
    ARCH_A_HB,      /* ffn */
    ARCH_A_HB2,     /* ffn */
    ARCH_A_LOGITS,  /* vocab */
    ARCH_A_COUNT
} arch_act;

/* Which part of the address layout an operand lies in. */
typedef enum { ARCH_R_WEIGHTS, ARCH_R_KV, ARCH_R_ACT, ARCH_R_COUNT } arch_region;

typedef enum {
    ARCH_OP_EMBED, ARCH_OP_NORM, ARCH_OP_MATMUL, ARCH_OP_ROPE, ARCH_OP_KV_STORE,
    ARCH_OP_ATTEND, ARCH_OP_GATE, ARCH_OP_RESIDUAL, ARCH_OP_BIAS
} arch_op_kind;

/* One byte range an op reads or writes (never empty). */
typedef struct {
    uint64_t addr, bytes;
    bool write;
    arch_region region;
} arch_operand;

/* A run of MATMUL ops on one input (wq wk wv; w1 w3) is one pass over
 * the reference's thread pool (ref/model.c), which the simulator charges
 * one fixed cost (sim/cost.h): at most this many ops a pass. */
#define ARCH_PLAN_PASS_MAX 3

typedef struct {
    arch_op_kind kind;
    int pass;             /* MATMUL: the ops of the pass this op starts
                             (1..ARCH_PLAN_PASS_MAX: it and the MATMUL ops
                             right after it on the same input), 0 when an
                             earlier op's pass includes it; other ops 1 */
    const arch_tensor *w; /* embedding, norm or bias vector or matrix; NULL if none */
    arch_act in, out;     /* its input and output buffers (ARCH_A_NONE: ROPE
                             rotates q and k in place, KV_STORE stores k and v) */
    int64_t layer;        /* executed layer, -1 outside the blocks */
    int64_t first, n;     /* its operands: operand[first .. first+n) */
} arch_op;

typedef struct {
    const char *name;     /* "wq", "attention", "rms_att", ... */
    int64_t layer;        /* executed layer, -1 outside the blocks */
    uint64_t macs;        /* multiply-accumulates (mat-vecs and attention) */
    arch_dtype dtype;     /* the type the MACs run in */
    int64_t first, n;     /* its ops: op[first .. first+n) */
} arch_stage;

typedef struct {
    arch_spec spec;
    arch_layout layout;
    arch_params params;
    int64_t n_exec;          /* executed layers */
    int64_t *sched;          /* (n_exec) physical block of each executed layer */
    arch_dtype kv_type;
    uint64_t kv_head_row;    /* bytes of one position of one kv head:
                                arch_kv_row_bytes() */
    uint64_t kv_base;        /* keys of executed layer l: kv_base + kv_off[l] */
    uint64_t kv_layer;       /* 2 * K * seq_len * kv_head_row: a global
                                layer's cache, the most any layer has */
    int64_t *kv_len;         /* (n_exec) positions layer l keeps
                                (arch_kv_positions) */
    uint64_t *kv_off;        /* (n_exec) its keys' offset from kv_base */
    uint64_t kv_bytes;       /* the whole KV region (params.kv_bytes) */
    uint64_t act[ARCH_A_COUNT];       /* address of each buffer */
    uint64_t act_elems[ARCH_A_COUNT]; /* its f32 values for one token */
    uint64_t end;            /* first address past everything */

    arch_stage *stage;       /* the step, in order */
    int64_t n_stages;
    arch_op *op;             /* ops of all stages, in order */
    int64_t n_ops;
    int64_t head_op;         /* op[head_op ..] are rms_final and the classifier,
                                which a prefill runs for its last token only */
    arch_operand *operand;
    int64_t n_operands;
} arch_plan;

/* Lay out a finished spec and list its decode step at position
 * spec->ctx. */
int arch_plan_build(arch_plan *p, const arch_spec *s, lk_err *e);
void arch_plan_free(arch_plan *p);

/* The address of the keys (which = 0) or values (1) of kv head h of
 * executed layer `layer` at position pos, in slot pos % kv_len[layer];
 * slots of one head follow each other, kv_head_row bytes apart. */
uint64_t arch_plan_kv(const arch_plan *p, int64_t layer, int which, int64_t h,
                      int64_t pos);

#endif
