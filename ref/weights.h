/* weights.h -- the weights of a reference model, seeded or from a file.
 *
 * A model's tensors live in one blob laid out exactly as
 * arch_layout_build() says (same order, offsets, ARCH_ALIGN padding, int8
 * scales after their data), so the simulator's addresses are the
 * reference's. Each distinct block is stored once; layer sharing only changes which block
 * an executed layer reads (see model.h).
 *
 * The seeded generator is the source of truth for a seeded model: every
 * value is a function of (seed, tensor, block, row, column) alone, made
 * with splitmix64 and exact float arithmetic, so the same seed gives the
 * same f32 "master" weights on every machine, whatever the thread count.
 * A f16/bf16/int8 model stores its master weights converted to its dtype.
 *
 * Scale (keeps activations finite over hundreds of executed layers):
 * matrices are uniform with variance 1/fan_in (std 1/sqrt(cols)), as in
 * LeCun / LLaMA initialisation, and the two matrices that write into the
 * residual stream (wo, w2) are further scaled by 1/sqrt(2 * executed
 * layers), GPT-2's rule, so the residual grows by O(1) over the whole
 * depth. Norm weights are 1 +- 0.1 (not exactly 1, so a test notices a
 * norm applied with the wrong weights); attention biases 0 +- 0.1, the
 * size of a query or key element (variance 1 before RoPE) a tenth of it.
 */
#ifndef REF_WEIGHTS_H
#define REF_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "../arch/layout.h"
#include "../arch/spec.h"
#include "../common/err.h"
#include "kern.h"
#include "pool.h"

typedef struct {
    const float *rms_att; /* (dim) */
    kern_mat wq;          /* (H*hd, dim) */
    kern_mat wk;          /* (K*hd, dim) */
    kern_mat wv;          /* (K*hd, dim) */
    const float *bq;      /* (H*hd) attention biases, f32; NULL without */
    const float *bk;      /* (K*hd) */
    const float *bv;      /* (K*hd) */
    kern_mat wo;          /* (dim, H*hd) */
    const float *rms_ffn; /* (dim) */
    kern_mat w1;          /* (ffn, dim) */
    kern_mat w2;          /* (dim, ffn) */
    kern_mat w3;          /* (ffn, dim), SwiGLU only: data NULL for ReLU */
} ref_block;

typedef struct {
    arch_spec spec;         /* the finished spec the weights belong to */
    kern_mat embed;         /* (vocab, dim) */
    ref_block *blocks;      /* spec.layers distinct blocks */
    const float *rms_final; /* (dim) */
    kern_mat cls;           /* (vocab, dim); the embedding when tied */
    unsigned char *blob;    /* the arch_layout blob (owned), or NULL */
    uint64_t blob_bytes;
    void *map;              /* a mapped checkpoint (owned), or NULL */
    size_t map_bytes;
} ref_weights;

/* The weights of a finished spec from its seed, generated row by row on
 * the pool's threads. */
int ref_weights_seeded(ref_weights *w, const arch_spec *s, uint64_t seed,
                       pool *p, lk_err *e);

/* The weights of a finished spec from f32 tensors src[i], one per tensor
 * of arch_layout_build(s) in layout order. A f32 model points at src
 * directly (nothing is copied: src must outlive w); other dtypes are
 * converted into a blob, and a NaN or infinity in src is refused
 * (LK_EINPUT, naming the tensor). */
int ref_weights_from_f32(ref_weights *w, const arch_spec *s,
                         const float *const *src, pool *p, lk_err *e);

/* How a checkpoint reader (ref/hf.c, ref/gguf.c) gives layout tensor t
 * (rows x cols) as f32: written into dst (its place in a blob laid out
 * for f32), or *src pointed at f32 values of the reader's own that
 * outlive the weights (a mapped file; *src is dst on entry). Errors name
 * the file and the tensor. */
typedef int (*ref_tensor_reader)(void *ctx, const arch_tensor *t, float *dst,
                                 const float **src, lk_err *e);

/* The weights of a finished spec from a checkpoint reader: every tensor
 * of arch_layout_build(s) read as f32, then ref_weights_from_f32. A f32
 * model keeps the f32 blob (w owns it); other dtypes convert it and free
 * it. `what` (the checkpoint's path) prefixes conversion errors. */
int ref_weights_read(ref_weights *w, const arch_spec *s, ref_tensor_reader read,
                     void *ctx, const char *what, pool *p, lk_err *e);

/* Seeded weights when checkpoint is NULL, else the checkpoint's (s is
 * in-out as for ckpt_load). */
int ref_weights_load(ref_weights *w, arch_spec *s, uint64_t seed,
                     const char *checkpoint, pool *p, lk_err *e);

/* Free what w owns (blob, mapping) and zero it. */
void ref_weights_free(ref_weights *w);

/* Row r (of `cols` values) of tensor id of distinct block `block` (-1 for
 * global tensors) as the seeded generator makes it, in f32. Used by the
 * exporter to write the master weights without building a model. */
void ref_weights_seed_row(const arch_spec *s, uint64_t seed, arch_weight id,
                          int64_t block, int64_t r, int64_t cols, float *dst);

#endif
