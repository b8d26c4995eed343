/* model.h -- the reference transformer: decode with a KV cache.
 *
 * A LLaMA-style decoder in the manner of llama2.c's run.c: token
 * embedding; per executed layer x += Attn(RMSNorm(x)), x += FFN(RMSNorm(x));
 * final RMSNorm; classifier. RMSNorm eps 1e-5; RoPE theta 10000 rotating
 * adjacent pairs (i, i+1) of every head as llama2.c does, so a llama2.c
 * checkpoint gives llama2.c's logits; grouped-query attention (query head h
 * reads key/value head h / (H/K)); SwiGLU w2(silu(w1 x) * w3 x) or
 * w2(relu(w1 x)).
 *
 * Layer sharing: executed layer l runs the weights of physical block
 * arch_schedule()[l] (stored once in ref_weights) and has its own KV cache.
 *
 * The KV cache is one page-aligned allocation (on transparent huge pages
 * where the kernel allows): for each executed layer, keys [K][seq_len][hd]
 * then values [K][seq_len][hd], in the KV type arch_kv_type() gives (f32
 * for f32 models, f16 for f16 and int8, bf16 for bf16). Head-major, so
 * that attention reads each head's keys and values as one sequential
 * stream (position-major rows of K*hd values made it read 128 of every
 * 384 bytes per head for MobileLLM-125M, a pattern the hardware
 * prefetchers follow badly).
 *
 * Every mat-vec is split into row ranges across the pool's threads; the
 * attention into (key/value head, position range) units, each running
 * all query heads of its GQA group over its range (kern_attend), merged
 * afterwards.
 *
 *   ref_state st;
 *   ref_state_build(&st, &weights, pool, &e);
 *   const float *logits = ref_prefill(&st, tokens, n);   positions 0..n-1
 *   logits = ref_forward(&st, next, n);                  one decode step
 *   ref_state_free(&st);
 */
#ifndef REF_MODEL_H
#define REF_MODEL_H

#include <stdint.h>

#include "../common/err.h"
#include "pool.h"
#include "weights.h"

typedef struct {
    const ref_weights *w;
    pool *pool;
    int64_t n_exec;      /* executed layers */
    int64_t *sched;      /* (n_exec) physical block of each executed layer */
    arch_dtype kv_type;
    int64_t kv_dim;      /* K*hd */
    unsigned char *kv;   /* (n_exec, 2, K, seq_len, hd) in kv_type */
    uint64_t kv_bytes;
    float *x;            /* (dim) residual stream */
    float *xb;           /* (max(dim, H*hd)) normed input, attention output */
    float *xb2;          /* (dim) output of wo or w2 */
    float *q;            /* (H*hd) */
    float *k, *v;        /* (kv_dim) this position's key and value */
    float *hb, *hb2;     /* (ffn) */
    float *att;          /* (threads, KERN_ATT_SCRATCH(H/K, seq_len)) scores */
    float *part_o;       /* (K, ranges <= threads, H/K, hd) partial outputs */
    float *part_ml;      /* (K, ranges, H/K, 2) their score max and sum */
    float *rope;         /* (hd/2, 2) cos and sin at the current position */
    float *logits;       /* (vocab) */
    int8_t *xq;          /* int8 activations, for int8 weights */
} ref_state;

int ref_state_build(ref_state *s, const ref_weights *w, pool *p, lk_err *e);
void ref_state_free(ref_state *s);

/* One decode step: token at position pos (0 <= pos < seq_len, every
 * earlier position already in the cache). Returns the logits (vocab). */
const float *ref_forward(ref_state *s, int64_t token, int64_t pos);

/* A prompt of n tokens at positions 0..n-1 (n <= seq_len); the logits
 * after the last. */
const float *ref_prefill(ref_state *s, const int64_t *tokens, int64_t n);

/* Fill cache positions [0, n) of every layer with deterministic values
 * (a bounded, seed-independent pattern), so a decode step at position n
 * costs what it would after n real tokens without running them. */
void ref_state_fill_kv(ref_state *s, int64_t n);

#endif
