/* gguf.h -- GGUF checkpoints (llama.cpp's format, versions 2 and 3) of
 * the `llama` architecture: header, metadata, tensor infos, aligned data,
 * memory-mapped.
 *
 * The file, all little-endian (the format's spec: ggml's docs/gguf.md):
 *
 *   "GGUF"  u32 version  u64 tensor_count  u64 metadata_kv_count
 *   metadata_kv_count x { string key, u32 value_type, value }
 *   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type,
 *                    u64 offset }
 *   padding to general.alignment (default 32), then the tensor data; each
 *   tensor starts at data + offset, a multiple of the alignment.
 *
 * A string is u64 length + bytes; an array is u32 element type, u64
 * count, the elements (arrays of arrays are refused, as ggml does).
 * Version 1 (32-bit counts) and big-endian files are refused.
 *
 * Metadata read (others are skipped): general.architecture (must be
 * llama), general.alignment (a power of two, at least 8: the spec asks
 * a multiple of 8), llama.block_count, .embedding_length,
 * .feed_forward_length, .attention.head_count, .attention.head_count_kv
 * (default head_count), .attention.key_length / .value_length (head_dim,
 * default embedding_length / head_count), .context_length (seq_len, when
 * given), llama.vocab_size or else the length of tokenizer.ggml.tokens.
 * What lanky's reference cannot run is refused naming the key:
 * .attention.layer_norm_rms_epsilon other than 1e-5 (required, as
 * llama.cpp requires it), .rope.freq_base other than 10000,
 * .rope.dimension_count other than head_dim (partial RoPE), a
 * .rope.scaling.type other than none, .expert_count above 0 (MoE).
 *
 * Tensors, for layer L; ggml lists dimensions innermost first, so a
 * matrix of rows x cols (lanky's order) has ne = [cols, rows]:
 *
 *   token_embd.weight          [dim, vocab]
 *   blk.L.attn_norm.weight     [dim]
 *   blk.L.attn_q.weight        [dim, H*hd]   -> wq
 *   blk.L.attn_k.weight        [dim, K*hd]   -> wk
 *   blk.L.attn_v.weight        [dim, K*hd]   -> wv
 *   blk.L.attn_output.weight   [H*hd, dim]   -> wo
 *   blk.L.ffn_norm.weight      [dim]
 *   blk.L.ffn_gate.weight      [dim, ffn]    -> w1 (silu)
 *   blk.L.ffn_up.weight        [dim, ffn]    -> w3
 *   blk.L.ffn_down.weight      [ffn, dim]    -> w2
 *   output_norm.weight         [dim]
 *   output.weight              [dim, vocab], absent when tied
 *
 * Types: f32 (0), f16 (1), q4_0 (2), q8_0 (8) and bf16 (30). A q8_0 row
 * is blocks of 32 values, each a f16 scale d and 32 int8 q (34 bytes):
 * value = d*q. A q4_0 block is a f16 scale d and 16 bytes (18 bytes):
 * byte k holds value k in its low nibble and value k + 16 in its high
 * one, each stored as q + 8 for q in -8..7: value = d*q. Every tensor is
 * converted to f32 at load (dequantized exactly: d*q fits a float), then
 * to the model's dtype as the llama2.c path does. An int8 or int4 model
 * therefore re-quantizes the weights: lanky's int8 has one scale per
 * output row (arch/layout.h), q8_0 one per 32 values; lanky's int4 is
 * symmetric over -7..7 with s = max|w| / 7 (ref/kern.h), q4_0 uses -8..7
 * with d = -max / 8 for the value of largest magnitude, so neither
 * file's values can be kept as they are (--dtype int4 --group 32 comes
 * closest to q4_0). A f32 model reads f32 tensors in place from the
 * mapping.
 *
 * RoPE: no permutation at load. llama.cpp's convert_hf_to_gguf.py
 * (LlamaModel, undo_permute) reorders Hugging Face's q_proj/k_proj rows
 * back into Meta's layout, w.reshape(n_head, 2, hd/2, dim).swapaxes(1, 2):
 * GGUF row h*hd + 2i + j is Hugging Face row h*hd + j*hd/2 + i, and
 * llama.cpp runs LLM_ARCH_LLAMA with LLAMA_ROPE_TYPE_NORM, which rotates
 * adjacent pairs (2i, 2i+1) with frequency theta^(-2i/hd). That is
 * lanky's RoPE and layout (the layout ref/hf.c un-permutes into), so the
 * GGUF rows are used as stored.
 */
#ifndef REF_GGUF_H
#define REF_GGUF_H

#include <stdbool.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "pool.h"
#include "weights.h"

/* True when path is a regular file starting with "GGUF", or named
 * *.gguf (so that a damaged GGUF file is refused for its magic, not read
 * as a llama2.c header). */
bool ref_gguf_claims(const char *path);

/* Build the weights of GGUF file path. s is in-out as for ckpt_load: its
 * dtype and ctx are used, and on output it is the spec the metadata
 * describes. Errors name the file and the field, key or tensor
 * (LK_EINPUT). */
int ref_gguf_load(ref_weights *w, const char *path, arch_spec *s, pool *p,
                  lk_err *e);

#endif
