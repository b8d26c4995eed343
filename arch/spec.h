/* spec.h -- the model description every part of lanky shares.
 *
 * An arch_spec says what a model is (shape, FFN type, embedding and layer
 * sharing, weight type) and where a per-token figure is taken (context
 * position). It is built in three steps:
 *
 *   arch_spec s;
 *   arch_spec_init(&s);                          all fields unset
 *   arch_spec_preset(&s, "mobilellm-125m", &e);  optional: a preset ...
 *   arch_spec_load_config(&s, "config.json", &e);   ... or a config.json
 *   arch_spec_set(&s, "layers", "24", &e);       any number of options
 *   arch_spec_finish(&s, &e);                    defaults + validation
 *
 * After arch_spec_finish() succeeds every field is set (kv_dtype may stay
 * ARCH_KV_FOLLOWS, resolved by arch_spec_kv_type) and every size is
 * positive, consistent, within the ARCH_MAX_ bounds below and small
 * enough that all byte counts of the model (weights in any dtype, KV
 * cache at seq_len) fit in 64 bits.
 */
#ifndef ARCH_SPEC_H
#define ARCH_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

typedef enum { ARCH_FFN_SWIGLU, ARCH_FFN_RELU } arch_ffn;

typedef enum {
    ARCH_SHARE_NONE,
    ARCH_SHARE_IMMEDIATE,       /* 0,0,1,1,2,2 */
    ARCH_SHARE_REPEAT_ALL_OVER, /* 0,1,2,0,1,2 */
    ARCH_SHARE_REVERSE,         /* 0,1,2,2,1,0 */
} arch_share;

/* int4 (W4A8): 4-bit weights in groups of `group` along a matrix's input
 * dimension, one f16 scale per group, activations int8 as for int8. */
typedef enum { ARCH_F32, ARCH_F16, ARCH_BF16, ARCH_INT8, ARCH_INT4 } arch_dtype;
#define ARCH_DTYPE_COUNT 5 /* the arch_dtype values; arrays per dtype have this many */

#define ARCH_UNSET (-1)

/* Upper bounds arch_spec_finish() enforces. Real models have at most a
 * few hundred layers, and layer sharing repeats them a few times; the
 * bounds leave a wide margin above that while keeping every command's
 * per-layer work small: the analytic simulator keeps some KB of state per
 * executed layer even for the tiniest model, so 2^16 executed layers take
 * it about two seconds (2^20 took a minute and 4.5 GB). */
#define ARCH_MAX_LAYERS 16384    /* distinct blocks (L) */
#define ARCH_MAX_EXECUTED 65536  /* executed layers (L*R) */
/* Elements of one matrix: 16 times a 256k-vocab x 16k-dim embedding, the
 * largest real one. With the bounds above it keeps every weight count and
 * byte count below 2^62, even the bytes a token streams through all its
 * executed layers, so the sums of a few of them fit in 64 bits too. */
#define ARCH_MAX_MATRIX (INT64_C(1) << 36)
/* The largest int4 group: a group's integer dot product, at most 255 x 8
 * per column (ref/kern.c), stays below 2^31 (2040 x 2^20 < 2^31). */
#define ARCH_MAX_GROUP (INT64_C(1) << 20)

typedef struct {
    char name[64];     /* preset name, config file base name, or "custom" */
    char config[256];  /* path of the config.json it came from, "" if none;
                          for messages (which truncate a longer path) */
    int64_t layers;    /* distinct transformer blocks (L) */
    int64_t dim;       /* model width */
    int64_t heads;     /* query heads (H) */
    int64_t kv_heads;  /* key/value heads (K), H % K == 0 */
    int64_t head_dim;  /* default dim / heads */
    arch_ffn ffn;
    int64_t ffn_dim;   /* default: LLaMA rule for SwiGLU, 4*dim for ReLU */
    int64_t vocab;     /* default 32000 */
    int tied;          /* classifier reuses the embedding; default 0 */
    arch_share share;
    int64_t repeat;    /* R: default 2 when sharing, 1 otherwise */
    arch_dtype dtype;  /* default f16 */
    int64_t group;     /* int4: weights per scale along the input dimension;
                          default 32, a multiple of 4 dividing dim, heads x
                          head_dim and ffn_dim (checked for int4 only) */
    int64_t seq_len;   /* context length the KV cache is sized for; 2048 */
    int64_t ctx;       /* context position of a per-token figure; 512 */
    /* Attention layout and KV cache type (arch/layout.h: the KV cache).
     * window: 0 = full attention, else every local layer attends over the
     * last `window` positions (its own included) and keeps a ring of that
     * many. global_every: 0 = none, else executed layer l is global (full
     * attention, the whole cache) when l % global_every == global_every - 1:
     * the last layer of every group of global_every, as Hugging Face's
     * Gemma 3 picks its global layers (sliding_window_pattern 6: 5 local
     * then 1 global). kv_dtype: f32, f16 or int8;
     * ARCH_KV_FOLLOWS (the default) keeps the cache in arch_kv_type(dtype),
     * what lanky did before there was a choice. */
    int64_t window;       /* default 0 */
    int64_t global_every; /* default 0; needs a window */
    arch_dtype kv_dtype;  /* default ARCH_KV_FOLLOWS */
    /* The type of the embedding table and the classifier (tied or not);
     * ARCH_EMBED_FOLLOWS (the default) stores them in dtype like every
     * matrix. Phone engines keep them wider than the layers' int4: the
     * Llama 3.2 quantized models' card has "8-bit per-channel" for both
     * (--dtype int4 --embed-dtype int8, hw-profiles/SOURCES.md). */
    arch_dtype embed_dtype; /* default ARCH_EMBED_FOLLOWS */
    /* attn_bias: q, k and v have bias vectors (Qwen2's attention_bias;
     * arch/layout.h). global_first_last: 1 makes the global layers those
     * with l % global_every == 0 and the last executed layer, so the
     * first and the last layer are global: MobileLLM-Pro's layer_types
     * (its config.json: full_attention at 0, 4, ..., 28 and 29 of 30,
     * sliding_attention elsewhere); 0 (the default) is the rule above.
     * It needs global_every. arch_layer_is_global() (layout.h) applies
     * both. */
    bool attn_bias;             /* default false */
    int64_t global_first_last;  /* 0 or 1; default 0 */
    /* The RoPE base: pair i of a head turns by pos * rope_theta^(-2i/hd)
     * (ref/model.c). Default 10000, llama2.c's and the MobileLLM
     * configs'; config.json's rope_theta. It changes no size or byte
     * count, only the reference's logits. */
    double rope_theta;
    /* Llama 3's RoPE frequency rule (Llama 3.1/3.2's config.json
     * rope_scaling, rope_type llama3; ref/model.c applies it), from
     * config.json only: rope_factor 0 (the default) is none. */
    double rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int64_t rope_original_max; /* original_max_position_embeddings */
} arch_spec;

/* kv_dtype when none is given: the KV type follows the weights'. */
#define ARCH_KV_FOLLOWS ((arch_dtype)ARCH_UNSET)
/* embed_dtype when none is given: the embedding follows dtype. */
#define ARCH_EMBED_FOLLOWS ((arch_dtype)ARCH_UNSET)

/* Every field ARCH_UNSET (enums at their defaults, name "custom"). */
void arch_spec_init(arch_spec *s);

/* Overwrite s with a named preset (see arch_spec_preset_names). */
int arch_spec_preset(arch_spec *s, const char *name, lk_err *e);

/* NULL-terminated list of preset names, for help texts and tests. */
const char *const *arch_spec_preset_names(void);

/* Overwrite s with the fields of a Hugging Face style config.json:
 * hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
 * num_key_value_heads, head_dim, vocab_size, tie_word_embeddings,
 * max_position_embeddings, hidden_act, and MobileLLM's share_embedding
 * (wins over tie_word_embeddings) and layer_sharing (immediate, R=2);
 * Llama 4's intermediate_size_mlp (wins over intermediate_size, there a
 * mixture-of-experts width); attention_bias, always true for model_type
 * qwen2; layer_types with sliding_window (window, global_every,
 * global_first_last; a list no pattern of theirs gives is an error);
 * rope_theta; rope_scaling of rope_type llama3 (other types are left
 * to the checkpoint reader to refuse).
 * Unknown keys are ignored; a known key with the wrong type is an error. */
int arch_spec_load_config(arch_spec *s, const char *path, lk_err *e);

/* The fields a checkpoint does not describe, which its user chooses: dtype,
 * group, embed_dtype, ctx, window, global_every, global_first_last and
 * kv_dtype, copied from
 * `from` (the caller's spec, not yet finished) into s (a spec a
 * checkpoint's header or config.json gave); the unset ones of `from`
 * leave s's. ref/ckpt.c, ref/hf.c and ref/gguf.c call it. */
void arch_spec_take_choices(arch_spec *s, const arch_spec *from);

/* NULL-terminated names of those fields, as options ("dtype", ...). */
const char *const *arch_spec_choice_names(void);

/* Set one option by name, as a command-line flag or a sweep CSV column
 * would: layers, dim, heads, kv_heads, head_dim, ffn, ffn_dim, vocab,
 * tied, share, repeat, dtype, group, seq_len, ctx, window, global_every,
 * kv_dtype, embed_dtype, attn_bias, global_first_last, rope_theta (a
 * positive number; '-' and '_' are the same;
 * tied, attn_bias and global_first_last take 1/0/yes/no/true/false;
 * "untied" is tied=0). Also "preset"
 * and "config", which overwrite the whole spec. */
int arch_spec_set(arch_spec *s, const char *key, const char *value,
                  lk_err *e);

/* True when key names an option arch_spec_set() understands. */
bool arch_spec_is_option(const char *key);

/* Fill defaults and validate; the message names the offending field, and
 * when a size the user can give would fix it (a missing one, a head_dim
 * for heads that do not divide dim, a group) e->field names it for the
 * caller to ask for (common/err.h). */
int arch_spec_finish(arch_spec *s, lk_err *e);

/* Names used on the command line and in CSV output. */
const char *arch_ffn_name(arch_ffn f);
const char *arch_share_name(arch_share s);
const char *arch_dtype_name(arch_dtype d);

/* Bytes of one stored matrix element (int8: 1; its scales are separate;
 * int4: 0, as an element is half a byte: use arch_data_bytes, layout.h). */
int arch_dtype_size(arch_dtype d);

/* The LLaMA SwiGLU hidden size: 256 * ceil(floor(8*dim/3) / 256). */
int64_t arch_swiglu_hidden(int64_t dim);

#endif
