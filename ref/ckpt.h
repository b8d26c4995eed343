/* ckpt.h -- llama2.c legacy version-0 checkpoints.
 *
 * The format (llama2.c's run.c and export.py, "legacy" version 0): seven
 * int32 header fields
 *
 *   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
 *
 * (vocab_size negative when the classifier is NOT shared with the
 * embedding), then little-endian f32 tensors grouped by type across
 * layers, each matrix rows = output features:
 *
 *   token_embedding (vocab, dim)     rms_att (L, dim)
 *   wq (L, dim, dim)  wk (L, kv_dim, dim)  wv (L, kv_dim, dim)
 *   wo (L, dim, dim)  rms_ffn (L, dim)
 *   w1 (L, hidden, dim)  w2 (L, dim, hidden)  w3 (L, hidden, dim)
 *   rms_final (dim)   freq_cis_real, freq_cis_imag (seq_len, head/2 each;
 *   obsolete RoPE tables, skipped on reading)   wcls (vocab, dim) if not
 *   shared
 *
 * with head size dim / n_heads, kv_dim = head size * n_kv_heads and a
 * SwiGLU FFN: the format cannot say otherwise.
 *
 * What export writes: the seeded model's f32 master weights (the values
 * the generator makes before any conversion), whatever the spec's dtype.
 * Loading such a file with the same dtype converts them exactly as the
 * seeded path does, so it reproduces the seeded model bit for bit.
 */
#ifndef REF_CKPT_H
#define REF_CKPT_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "pool.h"
#include "weights.h"

/* Map path and build its weights. The header is checked against the file
 * length (and every field for sign, divisibility and overflow) before any
 * weight is touched; errors name the file and the field (LK_EINPUT).
 * s is in-out: on input its dtype, group and ctx are used (ctx must be below
 * the file's seq_len); on output it is the finished spec the file
 * describes. A f32 model uses the mapped tensors directly; other dtypes
 * convert them and refuse a NaN or infinite weight, naming the file and
 * the tensor (LK_EINPUT). A directory is a Hugging Face folder, read by
 * ref_hf_load (hf.h); a file starting with "GGUF" (or named *.gguf) a
 * GGUF file, read by ref_gguf_load (gguf.h). */
int ckpt_load(ref_weights *w, const char *path, arch_spec *s, pool *p,
              lk_err *e);

/* Write the seeded model of a finished spec to path, whole or not at all.
 * A shared model needs unroll, which writes each executed layer as its own
 * layer (the file is then an ordinary arch_executed_layers(s)-layer
 * model with the same logits). */
int ckpt_export(const arch_spec *s, uint64_t seed, bool unroll,
                const char *path, lk_err *e);

/* The same for loaded weights (a checkpoint read by ckpt_load): each row
 * as f32 (dequantized for int8), so a f32 model's values are written
 * exactly and the file gives the same logits. */
int ckpt_export_weights(const ref_weights *w, bool unroll, const char *path,
                        lk_err *e);

#endif
