/* model.h -- the reference transformer: decode with a KV cache.
 *
 * A LLaMA-style decoder in the manner of llama2.c's run.c, executing the
 * plan of arch/plan.h (its ops in order, with ref's kernels): token
 * embedding; per executed layer x += Attn(RMSNorm(x)), x += FFN(RMSNorm(x));
 * final RMSNorm; classifier. RMSNorm eps 1e-5; RoPE of base spec
 * rope_theta (10000 unless given; with Llama 3's frequency bands when
 * the spec has them) rotating adjacent pairs (i, i+1) of
 * every head as llama2.c does, so a llama2.c
 * checkpoint gives llama2.c's logits; grouped-query attention (query head h
 * reads key/value head h / (H/K)); SwiGLU w2(silu(w1 x) * w3 x) or
 * w2(relu(w1 x)).
 *
 * Layer sharing: executed layer l runs the weights of physical block
 * arch_schedule()[l] (stored once in ref_weights) and has its own KV cache.
 *
 * The KV cache is one page-aligned allocation (on transparent huge pages
 * where the kernel allows), laid out as the plan's KV region
 * (arch_plan_kv: per executed layer keys then values, head-major, in the
 * KV type; a local layer's a ring of its window). Head-major, so that attention reads each head's keys and
 * values as one sequential stream (position-major rows of K*hd values
 * made it read 128 of every 384 bytes per head for MobileLLM-125M, a
 * pattern the hardware prefetchers follow badly).
 *
 * Every mat-vec is split into row ranges across the pool's threads; the
 * attention into (key/value head, position range) units, each running
 * all query heads of its GQA group over its range (kern_attend), merged
 * afterwards.
 *
 *   ref_state st;
 *   ref_state_build(&st, &weights, pool, &e);
 *   const float *logits = ref_prefill(&st, tokens, n, REF_BATCH);  positions 0..n-1
 *   logits = ref_forward(&st, next, n);                  one decode step
 *   ref_state_free(&st);
 */
#ifndef REF_MODEL_H
#define REF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/plan.h"
#include "../common/err.h"
#include "pool.h"
#include "weights.h"

/* Tokens a prefill runs through each weight row at a time: enough that
 * the weights stop being the bottleneck (32 tokens make a prefill
 * compute-bound on every machine whose flops per byte of DRAM
 * bandwidth are below ~32), small enough that a batch's activations
 * (32 x 2560 floats for MobileLLM-350M's FFN) stay in L2.
 * The number is arch/plan.h's ARCH_PLAN_CHUNK, which the simulator's
 * prefill (sim/sim.h) cuts a prompt into as well. */
#define REF_BATCH ARCH_PLAN_CHUNK

/* The parts of a forward pass whose time ref_state.time_ms adds up:
 * the mat-vecs (weights streamed), attention over the KV cache (with the
 * merge of its partial results), and everything else (embedding,
 * RMSNorm, RoPE, cache stores, residual adds, SwiGLU) -- which runs on
 * the calling thread while the others wait. */
enum { REF_TIME_MATVEC, REF_TIME_ATTENTION, REF_TIME_OTHER, REF_TIME_PARTS };

typedef struct {
    const ref_weights *w;
    pool *pool;
    arch_plan plan;      /* the ops this state executes, the KV address rule
                            and the activation buffers' shapes */
    arch_dtype kv_type;
    unsigned char *kv;   /* per executed layer l (2, K, plan.kv_len[l]) rows
                            of plan.kv_head_row bytes in kv_type, laid out
                            as plan.kv_base onwards (arch_plan_kv) */
    uint64_t kv_bytes;
    /* act[a]: (REF_BATCH, plan.act_elems[a]) f32, one row per token of a
     * batch (one for a decode step): x, xb, xb2, q, k, v, hb, hb2 as
     * arch/plan.h names them; act[ARCH_A_LOGITS] is (vocab), of the last
     * token; act[ARCH_A_ATT] is NULL: the scores live in att */
    float *act[ARCH_A_COUNT];
    float *rope;         /* (REF_BATCH, hd/2, 2) cos and sin at each position */
    int8_t *xq;          /* (REF_BATCH, xq_stride) int8 activations, for
                            int8 weights */
    float *part_o;       /* (REF_BATCH, part_n = H * threads, hd) partial
                            attention outputs: (K, ranges, H/K, hd) */
    float *part_ml;      /* (REF_BATCH, part_n, 2) their score max and sum */
    int64_t xq_stride, part_n;
    float *att;          /* (threads, KERN_ATT_SCRATCH(H/K, seq_len)) scores */
    double time_ms[REF_TIME_PARTS]; /* time in each part of the forward
                                       passes since the caller zeroed it */
    double time_mark;    /* when the part being timed began, ms */
    /* Test hook, NULL in use: every range of weights, KV cache and
     * activations the plan walk hands to a kernel, with the index of the
     * plan op it runs (tests check these are the plan's operands). */
    void (*probe)(void *u, int64_t op, const void *p, uint64_t bytes, bool write);
    void *probe_u;
    int64_t probe_op;    /* the plan op being run, for the probe */
} ref_state;

int ref_state_build(ref_state *s, const ref_weights *w, pool *p, lk_err *e);
void ref_state_free(ref_state *s);

/* One decode step: token at position pos (0 <= pos < seq_len, every
 * earlier position already in the cache). Returns the logits (vocab). */
const float *ref_forward(ref_state *s, int64_t token, int64_t pos);

/* A prompt of n tokens at positions 0..n-1 (1 <= n <= seq_len); the
 * logits after the last. The prompt runs `batch` tokens (1..REF_BATCH)
 * at a time through each layer, so each weight is read once per batch
 * rather than once per token: the same logits as n decode steps (up to
 * the order of float additions), at compute speed instead of memory
 * speed. batch = 1 is decoding the prompt token by token; a batch
 * outside 1..REF_BATCH means REF_BATCH. With a window, positions past the
 * shortest ring run token by token (a chunk must not wrap it). */
const float *ref_prefill(ref_state *s, const int64_t *tokens, int64_t n, int64_t batch);

/* Fill cache positions [0, n) of every layer with deterministic values
 * (a bounded, seed-independent pattern), so a decode step at position n
 * costs what it would after n real tokens without running them. */
void ref_state_fill_kv(ref_state *s, int64_t n);

#endif
