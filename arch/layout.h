/* layout.h -- the tensors of a model: shapes, parameter counts, bytes and
 * the address layout that the reference transformer and the simulator
 * share.
 *
 * The weights of a model live in one blob, in this order:
 *
 *   embedding                       V x dim
 *   for each distinct block b = 0 .. L-1:
 *     rms_att  dim          (norm)
 *     wq       H*hd x dim   wk, wv  K*hd x dim
 *     bq  H*hd  bk, bv  K*hd   (attention biases, attn_bias only)
 *     wo       dim x H*hd
 *     rms_ffn  dim          (norm)
 *     w1       ffn x dim    w2  dim x ffn    w3  ffn x dim (SwiGLU only)
 *   rms_final  dim          (norm)
 *   classifier V x dim      (only when not tied)
 *
 * A matrix is rows x cols, row-major, rows = output features, so a
 * mat-vec reads it row by row: out[r] = sum_c W[r][c] * x[c] (llama2.c's
 * convention). Matrices are stored in the spec's dtype, the embedding
 * and the classifier in its embed_dtype (dtype unless given);
 * an int8 matrix also carries one f32 scale per row (per output channel,
 * symmetric min-max as in the paper's W8A8, section 3.4), stored after
 * its int8 data at the next multiple of 4 bytes (aligned floats). An
 * int4 matrix (W4A8) stores two weights a byte, rows*cols/2 bytes, and
 * then one f16 scale per group of `group` columns of a row, rows*cols/group
 * of them, row after row (arch_int4_scales_offset; the group divides
 * cols and is a multiple of 4, so the data is a whole even number of
 * bytes). Norm
 * vectors are always f32 (a modelling choice, as llama2.c's checkpoint
 * keeps them: a few KB per layer, not worth the precision), and so are
 * the attention biases (vectors too, stored as 1 x n tensors; Qwen2's
 * q/k/v biases: its config.json says attention_bias). Each tensor
 * starts at a multiple of ARCH_ALIGN bytes; the padding is not counted
 * in weight_bytes but is part of blob_bytes.
 *
 * The KV cache holds, for every executed layer, keys [K][n][hd] and
 * then values [K][n][hd] (head-major: each kv head's keys are one
 * stream for attention to read), n = arch_kv_positions() of the layer:
 * seq_len for a global layer (arch_layer_is_global), min(window,
 * seq_len) for a local one,
 * whose cache is a ring (position p in slot p % n). By default its
 * element type follows the weights (f32, f16, bf16), except that int8
 * and int4 models keep an f16 KV cache: the paper's W8A8 (appendix E, Table 13)
 * quantizes weights and activations of the linear layers and says
 * nothing of the cache, so lanky keeps the attention operands K and V in
 * f16 (a modelling choice). --kv-dtype chooses f32, f16 or int8; an int8
 * position of one head is its hd values quantized symmetrically
 * (absmax / 127, as int8 weights are) followed by its f32 scale, so one
 * row is hd + 4 bytes and attention reads values and scale in one
 * stream (the scale is not 4-byte aligned when hd % 4 != 0: read it
 * with memcpy).
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#include <stdint.h>

#include "spec.h"

#define ARCH_ALIGN 64

typedef enum {
    ARCH_W_EMBED, ARCH_W_RMS_ATT, ARCH_W_Q, ARCH_W_K, ARCH_W_V, ARCH_W_O,
    ARCH_W_RMS_FFN, ARCH_W_1, ARCH_W_2, ARCH_W_3, ARCH_W_RMS_FINAL,
    ARCH_W_CLS,
    ARCH_W_BQ, ARCH_W_BK, ARCH_W_BV, /* attention biases (blob order: after wv) */
    ARCH_W_COUNT
} arch_weight;

/* Tensor classes of the parameter breakdown. */
typedef enum {
    ARCH_C_EMBED, ARCH_C_CLASSIFIER, ARCH_C_ATTN, ARCH_C_FFN, ARCH_C_NORM,
    ARCH_C_COUNT
} arch_class;

typedef struct {
    arch_weight id;
    arch_class cls;
    int64_t block;    /* distinct block index, -1 for global tensors */
    int64_t rows, cols;
    arch_dtype dtype; /* its stored type: arch_tensor_type() */
    uint64_t offset;  /* byte offset in the blob (ARCH_ALIGN aligned) */
    uint64_t bytes;   /* data bytes, plus int8 or int4 scales */
} arch_tensor;

typedef struct {
    arch_tensor *t;       /* all tensors in blob order */
    int64_t n;
    int64_t per_block;    /* tensors in one block (9 SwiGLU, 8 ReLU; 3
                             more with attention biases) */
    uint64_t blob_bytes;  /* size of the blob, padding included */
} arch_layout;

/* Parameter counts and bytes of a finished spec. */
typedef struct {
    int64_t by_class[ARCH_C_COUNT]; /* parameters per tensor class */
    int64_t total;        /* everything, norms included */
    int64_t paper;        /* matrices and embeddings only (paper tables) */
    uint64_t weight_bytes;  /* in the spec's dtype, int8/int4 scales included */
    uint64_t block_bytes;   /* bytes of one distinct block */
    uint64_t kv_bytes_per_layer_token; /* 2 * K * arch_kv_row_bytes() */
    uint64_t kv_bytes;      /* the whole cache: every executed layer's
                               arch_kv_positions() positions */
    /* What one decode token at position ctx reads, the roofline's bytes
     * (lanky bench, sweep, sim): every executed layer's block, the final
     * norm, the classifier and one embedding row; and the keys and values
     * of min(ctx + 1, arch_kv_positions()) positions (its own included)
     * in every executed layer. */
    uint64_t weight_read_bytes;
    uint64_t kv_read_bytes;
} arch_params;

/* Count parameters and bytes. Fails (naming the field) only if the KV
 * cache's bytes overflow 64 bits, so arch_spec_finish() uses it for
 * validation; the weights' counts are bounded by arch_spec_finish(). */
int arch_params_count(const arch_spec *s, arch_params *p, lk_err *e);

/* The KV cache's element type for weights of type d (see above), and
 * the bytes of one element. */
arch_dtype arch_kv_type(arch_dtype d);
int arch_kv_size(arch_dtype d);

/* The KV cache of a finished spec: its element type (kv_dtype, or
 * arch_kv_type(dtype) when it follows the weights), the bytes of one
 * position of one kv head (hd elements; int8: and a 4-byte scale), and
 * the positions executed layer `layer` keeps (see above). */
arch_dtype arch_spec_kv_type(const arch_spec *s);
uint64_t arch_kv_row_bytes(const arch_spec *s);
int64_t arch_kv_positions(const arch_spec *s, int64_t layer);

/* Whether executed layer `layer` attends over the whole cache: every
 * layer without a window; with one, l % global_every == global_every - 1
 * (spec.h), or with global_first_last l % global_every == 0 and the
 * last executed layer. The one place of the rule. */
bool arch_layer_is_global(const arch_spec *s, int64_t layer);

/* Where an int8 matrix's scales start, from the start of its data. */
uint64_t arch_int8_scales_offset(int64_t rows, int64_t cols);

/* Where an int4 matrix's f16 scales start: right after its rows*cols/2
 * bytes of packed weights. */
uint64_t arch_int4_scales_offset(int64_t rows, int64_t cols);

/* The bytes of n stored elements of a matrix of type d, scales not
 * included (int4: n/2, n even). */
uint64_t arch_data_bytes(arch_dtype d, int64_t n);

/* The type tensor id is stored in: f32 for the norms, the embed_dtype for
 * the embedding and the classifier, dtype for the rest. */
arch_dtype arch_tensor_type(const arch_spec *s, arch_weight id);

/* Every tensor of s stored in f32 (dtype and embed_dtype): the weights
 * are a checkpoint's f32 values as they are, used in place. */
bool arch_stored_f32(const arch_spec *s);

/* The RMSNorm weights (att, ffn, final): f32 in every dtype. */
bool arch_weight_is_norm(arch_weight id);

/* The vectors, f32 in every dtype: the norms and the attention biases. */
bool arch_weight_is_vector(arch_weight id);

/* The bytes one tensor of rows x cols occupies in dtype d (int4: with
 * `group` weights per scale). */
uint64_t arch_tensor_bytes(arch_dtype d, int64_t group, arch_weight id, int64_t rows,
                           int64_t cols);

/* Build and free the tensor list of a finished spec. */
int arch_layout_build(arch_layout *l, const arch_spec *s, lk_err *e);
void arch_layout_free(arch_layout *l);

/* The tensor `id` of distinct block `block` (-1 for global ones), or NULL
 * when the model has no such tensor (w3 of a ReLU FFN, a tied classifier). */
const arch_tensor *arch_layout_find(const arch_layout *l, arch_weight id,
                                    int64_t block);

const char *arch_weight_name(arch_weight w);
const char *arch_class_name(arch_class c);

#endif
