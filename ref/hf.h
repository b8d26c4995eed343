/* hf.h -- Hugging Face checkpoints: a folder of config.json and
 * safetensors weights, for llama-family models (LlamaForCausalLM).
 *
 * The folder holds config.json (read by arch_spec_load_config: sizes,
 * tie_word_embeddings, hidden_act) and either model.safetensors or shards
 * named by model.safetensors.index.json's weight_map (tensor name ->
 * file in the folder). A safetensors file is an 8-byte little-endian
 * header length N, N bytes of JSON mapping each tensor name to
 * {dtype: F32|F16|BF16, shape, data_offsets [begin, end)} relative to the
 * byte after the header, then the data, row-major little-endian. Every
 * file is memory-mapped. The tensors read, for layer L (shapes as rows,
 * cols; hd = head_dim, H/K query/key-value heads):
 *
 *   model.embed_tokens.weight              (vocab, dim)
 *   model.layers.L.input_layernorm.weight  (dim)
 *   model.layers.L.self_attn.q_proj.weight (H*hd, dim)   -> wq
 *   model.layers.L.self_attn.k_proj.weight (K*hd, dim)   -> wk
 *   model.layers.L.self_attn.v_proj.weight (K*hd, dim)   -> wv
 *   model.layers.L.self_attn.{q,k,v}_proj.bias (H*hd; K*hd) -> bq, bk, bv
 *                                          (attn_bias only: Qwen2)
 *   model.layers.L.self_attn.o_proj.weight (dim, H*hd)   -> wo
 *   model.layers.L.post_attention_layernorm.weight (dim)
 *   model.layers.L.mlp.gate_proj.weight    (ffn, dim)    -> w1 (silu)
 *   model.layers.L.mlp.up_proj.weight      (ffn, dim)    -> w3
 *   model.layers.L.mlp.down_proj.weight    (dim, ffn)    -> w2
 *   model.norm.weight                      (dim)
 *   lm_head.weight                         (vocab, dim), absent when tied
 *
 * Tied: config.json's tie_word_embeddings when given, else whether
 * lm_head.weight is absent.
 *
 * RoPE: Hugging Face's llama rotates each head's halves ("rotate_half":
 * element i with element i + hd/2), lanky adjacent pairs (2i, 2i+1) as
 * llama2.c and Meta's weights do, with the same frequency for pair i.
 * The loader un-permutes the rows of q_proj and k_proj into lanky's
 * layout, the inverse of the permutation Hugging Face's conversion
 * script applied to Meta's weights (llama.cpp's convert script undoes it
 * the same way: w.reshape(n_head, 2, hd/2, dim).swapaxes(1, 2)): lanky
 * row h*hd + 2i + j is Hugging Face row h*hd + j*hd/2 + i (j = 0, 1).
 * Attention scores are unchanged, since q and k are permuted alike.
 *
 * What lanky's reference cannot run is refused, naming config.json and
 * the key: hidden_act other than silu, rms_norm_eps other than 1e-5, a
 * rope_scaling other than rope_type llama3 (ref/model.h fixes these);
 * rope_theta and a llama3 rope_scaling are the spec's.
 */
#ifndef REF_HF_H
#define REF_HF_H

#include <stdbool.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "pool.h"
#include "weights.h"

/* At most this many safetensors shards in one folder. */
#define REF_HF_MAX_SHARDS 256

/* True when path is a directory (a Hugging Face folder, not a file). */
bool ref_hf_is_folder(const char *path);

/* Build the weights of the folder dir. s is in-out as for ckpt_load: its
 * dtype, group and ctx are used, and on output it is the spec config.json
 * describes. Tensors are converted to f32 (q and k un-permuted) into a
 * blob laid out as arch_layout_build says, then to the spec's dtype as
 * the llama2.c path does; the files are unmapped before returning.
 * Errors name the file and the tensor or key (LK_EINPUT). */
int ref_hf_load(ref_weights *w, const char *dir, arch_spec *s, pool *p,
                lk_err *e);

#endif
