/* spec.c -- building and validating a model description (see spec.h). */
#include "spec.h"

#ifndef LK_NO_CJSON
#include <cjson/cJSON.h>
#endif
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/infile.h"
#include "layout.h"

/* ---- presets ------------------------------------------------------- */

/* Defaults, from paper-notes.md: the vocabulary of every MobileLLM model
 * (the LLaMA-2 SentencePiece tokenizer) and the context of the public
 * configs (max_position_embeddings). */
#define DEFAULT_VOCAB 32000
#define DEFAULT_SEQ_LEN 2048

/* Public configs, from paper-notes.md (MobileLLM model cards on Hugging
 * Face; SmolLM shares the 125M/350M shapes with vocab 49152), and the
 * models phones ship, each from its config.json (cited at its row).
 * Every preset is tied with head_dim 64; seq_len is the config's
 * max_position_embeddings (the final R1 models' 32k of their card). */
typedef struct {
    const char *name;
    int64_t layers, dim, heads, kv_heads, ffn_dim, vocab;
    arch_share share;
    int64_t seq_len, window, global_every, global_first_last;
    bool attn_bias;
} preset;

static const preset presets[] = {
    {"mobilellm-125m", 30, 576, 9, 3, 1536, DEFAULT_VOCAB, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-350m", 32, 960, 15, 5, 2560, DEFAULT_VOCAB, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-600m", 40, 1152, 18, 6, 3072, DEFAULT_VOCAB, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-1b", 54, 1280, 20, 5, 3584, DEFAULT_VOCAB, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-1.5b", 54, 1600, 25, 5, 4352, DEFAULT_VOCAB, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-ls-125m", 30, 576, 9, 3, 1536, DEFAULT_VOCAB, ARCH_SHARE_IMMEDIATE, .seq_len = DEFAULT_SEQ_LEN},
    {"mobilellm-ls-350m", 32, 960, 15, 5, 2560, DEFAULT_VOCAB, ARCH_SHARE_IMMEDIATE, .seq_len = DEFAULT_SEQ_LEN},
    {"smollm-135m", 30, 576, 9, 3, 1536, 49152, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    {"smollm-360m", 32, 960, 15, 5, 2560, 49152, ARCH_SHARE_NONE, .seq_len = DEFAULT_SEQ_LEN},
    /* MobileLLM-R1 (Hugging Face type llama4_text, the dense FFN width in
     * intermediate_size_mlp; vocabulary 128,256; shared embeddings; 32k
     * context): the architecture table of the card,
     * https://huggingface.co/facebook/MobileLLM-R1-140M (and -360M,
     * -950M; also github.com/facebookresearch/MobileLLM-R1, README), config
     * https://huggingface.co/facebook/MobileLLM-R1-140M/blob/main/config.json.
     * Llama 4's QK-norm has no weights, so it adds no parameters. */
    {"mobilellm-r1-140m", 15, 576, 9, 3, 2048, 128256, ARCH_SHARE_NONE, .seq_len = 32768},
    {"mobilellm-r1-360m", 15, 1024, 16, 4, 4096, 128256, ARCH_SHARE_NONE, .seq_len = 32768},
    {"mobilellm-r1-950m", 22, 1536, 24, 6, 6144, 128256, ARCH_SHARE_NONE, .seq_len = 32768},
    /* MobileLLM-Pro: https://huggingface.co/facebook/MobileLLM-Pro/blob/main/config.json
     * (hidden_size 1280, head_dim 64, intermediate_size_mlp 6144,
     * sliding_window 512, max_position_embeddings 131072, layer_types:
     * full_attention at 0, 4, ..., 28 and 29, so window 512, global_every
     * 4, global_first_last); 20 heads, 4 KV heads, vocabulary 202,048
     * and the "about 1.08B" of its card, which only a tied classifier
     * gives (untied: 1.34B). */
    {"mobilellm-pro", 30, 1280, 20, 4, 6144, 202048, ARCH_SHARE_NONE, .seq_len = 131072,
     .window = 512, .global_every = 4, .global_first_last = 1},
    /* SmolLM2: https://huggingface.co/HuggingFaceTB/SmolLM2-135M/blob/main/config.json
     * and .../SmolLM2-360M/blob/main/config.json (max_position_embeddings 8192). */
    {"smollm2-135m", 30, 576, 9, 3, 1536, 49152, ARCH_SHARE_NONE, .seq_len = 8192},
    {"smollm2-360m", 32, 960, 15, 5, 2560, 49152, ARCH_SHARE_NONE, .seq_len = 8192},
    /* Qwen2.5-0.5B: https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json
     * (model_type qwen2, whose attention always has q/k/v biases). */
    {"qwen2.5-0.5b", 24, 896, 14, 2, 4864, 151936, ARCH_SHARE_NONE, .seq_len = 32768,
     .attn_bias = true},
    /* Llama-3.2-1B: https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/config.json */
    {"llama3.2-1b", 16, 2048, 32, 8, 8192, 128256, ARCH_SHARE_NONE, .seq_len = 131072},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

const char *const *arch_spec_preset_names(void)
{
    static const char *names[NPRESETS + 1];
    for (size_t i = 0; i < NPRESETS; i++)
        names[i] = presets[i].name;
    return names;
}

void arch_spec_init(arch_spec *s)
{
    *s = (arch_spec){
        .name = "custom",
        .layers = ARCH_UNSET, .dim = ARCH_UNSET, .heads = ARCH_UNSET,
        .kv_heads = ARCH_UNSET, .head_dim = ARCH_UNSET, .ffn = ARCH_FFN_SWIGLU,
        .ffn_dim = ARCH_UNSET, .vocab = ARCH_UNSET, .tied = 0,
        .share = ARCH_SHARE_NONE, .repeat = ARCH_UNSET, .dtype = ARCH_F16,
        .group = ARCH_UNSET,
        .seq_len = ARCH_UNSET, .ctx = ARCH_UNSET,
        .window = ARCH_UNSET, .global_every = ARCH_UNSET, .kv_dtype = ARCH_KV_FOLLOWS,
        .embed_dtype = ARCH_EMBED_FOLLOWS,
        .attn_bias = false, .global_first_last = ARCH_UNSET, .rope_theta = ARCH_UNSET,
    };
}

int arch_spec_preset(arch_spec *s, const char *name, lk_err *e)
{
    for (size_t i = 0; i < NPRESETS; i++) {
        const preset *p = &presets[i];
        if (strcmp(p->name, name) != 0)
            continue;
        arch_spec_init(s);
        snprintf(s->name, sizeof s->name, "%s", p->name);
        s->layers = p->layers;
        s->dim = p->dim;
        s->heads = p->heads;
        s->kv_heads = p->kv_heads;
        s->head_dim = 64;
        s->ffn_dim = p->ffn_dim;
        s->vocab = p->vocab;
        s->tied = 1;
        s->share = p->share;
        s->seq_len = p->seq_len;
        if (p->window) {
            s->window = p->window;
            s->global_every = p->global_every;
            s->global_first_last = p->global_first_last;
        }
        s->attn_bias = p->attn_bias;
        return LK_OK;
    }
    return lk_fail(e, LK_EINPUT, "preset: unknown model '%s' (see --help)", name);
}

/* ---- names ---------------------------------------------------------- */

static const char *const ffn_names[] = {"swiglu", "relu"};
static const char *const share_names[] = {"none", "immediate",
                                          "repeat-all-over", "reverse"};
static const char *const dtype_names[] = {"f32", "f16", "bf16", "int8", "int4"};
/* the KV cache types --kv-dtype offers, as arch_dtype values */
static const char *const kv_dtype_names[] = {"f32", "f16", "int8"};
static const arch_dtype kv_dtypes[] = {ARCH_F32, ARCH_F16, ARCH_INT8};

const char *arch_ffn_name(arch_ffn f) { return ffn_names[f]; }
const char *arch_share_name(arch_share s) { return share_names[s]; }
const char *arch_dtype_name(arch_dtype d) { return dtype_names[d]; }

int arch_dtype_size(arch_dtype d)
{
    static const int size[] = {4, 2, 2, 1, 0};
    return size[d];
}

int64_t arch_swiglu_hidden(int64_t dim)
{
    int64_t h = 8 * dim / 3;
    return 256 * ((h + 255) / 256);
}

static int parse_enum(const char *field, const char *v,
                      const char *const *names, int n, int *out, lk_err *e)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return LK_OK;
        }
    char all[128] = "";
    for (int i = 0; i < n; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s",
                 i ? "|" : "", names[i]);
    return lk_fail(e, LK_EINPUT, "%s: '%s' is not one of %s", field, v, all);
}

/* Sizes are parsed as 64-bit integers; range problems (zero, negative,
 * overflowing byte counts) are left to arch_spec_finish(). */
static int parse_int(const char *field, const char *v, int64_t *out, lk_err *e)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    /* strtoll skips leading spaces and a '+'; refuse them as the trailing
     * space is refused, so a value is digits with an optional '-' */
    if (end == v || *end || errno == ERANGE || !(isdigit((unsigned char)*v) || *v == '-'))
        return lk_fail(e, LK_EINPUT, "%s: '%s' is not an integer", field, v);
    *out = x;
    return LK_OK;
}

static int parse_bool(const char *field, const char *v, int *out, lk_err *e)
{
    static const char *const yes[] = {"1", "yes", "true"}, *const no[] = {"0", "no", "false"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, LK_OK;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, LK_OK;
    }
    return lk_fail(e, LK_EINPUT, "%s: '%s' is not yes or no", field, v);
}

/* ---- options -------------------------------------------------------- */

/* The largest RoPE base taken: far above any published one (Qwen2.5's
 * 1e6, Llama 3's 5e5), and a float (the reference's tables are). */
#define ROPE_THETA_MAX 1e30

typedef enum {
    K_INT, K_FFN, K_SHARE, K_DTYPE, K_KV_DTYPE, K_EMBED_DTYPE, K_TIED, K_UNTIED, K_PRESET, K_CONFIG,
    K_ATTN_BIAS, K_GLOBAL_FIRST_LAST, K_ROPE_THETA
} kind;

typedef struct {
    const char *key;
    kind kind;
    size_t offset; /* of the int64_t field, for K_INT */
} option;

#define INT_OPT(k, f) {k, K_INT, offsetof(arch_spec, f)}
static const option options[] = {
    INT_OPT("layers", layers),     INT_OPT("dim", dim),
    INT_OPT("heads", heads),       INT_OPT("kv_heads", kv_heads),
    INT_OPT("head_dim", head_dim), INT_OPT("ffn_dim", ffn_dim),
    INT_OPT("vocab", vocab),       INT_OPT("repeat", repeat),
    INT_OPT("seq_len", seq_len),   INT_OPT("ctx", ctx),
    INT_OPT("window", window),     INT_OPT("global_every", global_every),
    {"kv_dtype", K_KV_DTYPE, 0},   {"embed_dtype", K_EMBED_DTYPE, 0},
    INT_OPT("group", group),
    {"ffn", K_FFN, 0},             {"share", K_SHARE, 0},
    {"dtype", K_DTYPE, 0},         {"tied", K_TIED, 0},
    {"untied", K_UNTIED, 0},       {"preset", K_PRESET, 0},
    {"config", K_CONFIG, 0},
    {"attn_bias", K_ATTN_BIAS, 0}, {"global_first_last", K_GLOBAL_FIRST_LAST, 0},
    {"rope_theta", K_ROPE_THETA, 0},
};
#define NOPTIONS (sizeof options / sizeof options[0])

static const option *find_option(const char *key)
{
    char k[32];
    size_t n = strlen(key);
    if (n >= sizeof k)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        k[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].key, k) == 0)
            return &options[i];
    return NULL;
}

bool arch_spec_is_option(const char *key) { return find_option(key) != NULL; }

int arch_spec_set(arch_spec *s, const char *key, const char *v, lk_err *e)
{
    const option *o = find_option(key);
    if (!o)
        return lk_fail(e, LK_EINPUT, "%s: not a model option", key);
    int x = 0, rc = LK_OK;
    switch (o->kind) {
    case K_INT: {
        int64_t n = 0;
        if ((rc = parse_int(o->key, v, &n, e)))
            return rc;
        if (n < 0) /* checked here: negative values mean "unset" inside */
            return lk_fail(e, LK_EINPUT, "%s: must be %s, not %lld", o->key,
                           o->offset == offsetof(arch_spec, ctx) ||
                                   o->offset == offsetof(arch_spec, window) ||
                                   o->offset == offsetof(arch_spec, global_every)
                               ? "0 or more"
                               : "positive",
                           (long long)n);
        *(int64_t *)((char *)s + o->offset) = n;
        return LK_OK;
    }
    case K_FFN:
        if (!(rc = parse_enum("ffn", v, ffn_names, 2, &x, e)))
            s->ffn = (arch_ffn)x;
        return rc;
    case K_SHARE:
        if (!(rc = parse_enum("share", v, share_names, 4, &x, e)))
            s->share = (arch_share)x;
        return rc;
    case K_DTYPE:
        if (!(rc = parse_enum("dtype", v, dtype_names, ARCH_DTYPE_COUNT, &x, e)))
            s->dtype = (arch_dtype)x;
        return rc;
    case K_EMBED_DTYPE:
        if (!(rc = parse_enum("embed_dtype", v, dtype_names, ARCH_DTYPE_COUNT, &x, e)))
            s->embed_dtype = (arch_dtype)x;
        return rc;
    case K_KV_DTYPE:
        if (!(rc = parse_enum("kv_dtype", v, kv_dtype_names, 3, &x, e)))
            s->kv_dtype = kv_dtypes[x];
        return rc;
    case K_TIED:
    case K_UNTIED:
        if (!(rc = parse_bool(o->key, v, &x, e)))
            s->tied = o->kind == K_TIED ? x : !x;
        return rc;
    case K_ATTN_BIAS:
        if (!(rc = parse_bool(o->key, v, &x, e)))
            s->attn_bias = x;
        return rc;
    case K_GLOBAL_FIRST_LAST:
        if (!(rc = parse_bool(o->key, v, &x, e)))
            s->global_first_last = x;
        return rc;
    case K_ROPE_THETA: {
        char *end;
        errno = 0;
        double t = strtod(v, &end);
        if (end == v || *end || errno || !(t > 0 && t <= ROPE_THETA_MAX))
            return lk_fail(e, LK_EINPUT, "rope_theta: '%s' is not a number in (0, %g]", v,
                           ROPE_THETA_MAX);
        s->rope_theta = t;
        return LK_OK;
    }
    case K_PRESET:
        return arch_spec_preset(s, v, e);
    case K_CONFIG:
        return arch_spec_load_config(s, v, e);
    }
    return rc;
}

/* coupled to arch_spec_take_choices() */
static const char *const choice_names[] = {"dtype",        "group",        "embed_dtype",
                                           "ctx",          "window",       "global_every",
                                           "global_first_last", "kv_dtype", NULL};

const char *const *arch_spec_choice_names(void) { return choice_names; }

void arch_spec_take_choices(arch_spec *s, const arch_spec *from)
{
    s->dtype = from->dtype; /* always set: arch_spec_init gives the default */
    const size_t ints[] = {offsetof(arch_spec, group), offsetof(arch_spec, ctx),
                           offsetof(arch_spec, window), offsetof(arch_spec, global_every),
                           offsetof(arch_spec, global_first_last)};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t v = *(const int64_t *)((const char *)from + ints[i]);
        if (v != ARCH_UNSET)
            *(int64_t *)((char *)s + ints[i]) = v;
    }
    if (from->embed_dtype != ARCH_EMBED_FOLLOWS)
        s->embed_dtype = from->embed_dtype;
    if (from->kv_dtype != ARCH_KV_FOLLOWS)
        s->kv_dtype = from->kv_dtype;
}

#ifndef LK_NO_CJSON
/* ---- config.json ---------------------------------------------------- */

typedef struct {
    const char *json;
    size_t offset;
} json_int;

static const json_int json_ints[] = {
    {"hidden_size", offsetof(arch_spec, dim)},
    {"intermediate_size", offsetof(arch_spec, ffn_dim)},
    {"num_hidden_layers", offsetof(arch_spec, layers)},
    {"num_attention_heads", offsetof(arch_spec, heads)},
    {"num_key_value_heads", offsetof(arch_spec, kv_heads)},
    {"head_dim", offsetof(arch_spec, head_dim)},
    {"vocab_size", offsetof(arch_spec, vocab)},
    {"max_position_embeddings", offsetof(arch_spec, seq_len)},
};

/* A size, 1..INT_MAX like every size (zero or a negative number is no
 * size, and -1 would read as "unset"), range-checked before the double
 * is converted: converting one out of range is undefined. */
static int config_int(const cJSON *item, int64_t *out, lk_err *e)
{
    double d = item->valuedouble;
    if (!cJSON_IsNumber(item) || !(d >= 1 && d <= INT_MAX) || d != (int64_t)d)
        return lk_fail(e, LK_EINPUT, "%s: expected an integer from 1 to %d", item->string,
                       INT_MAX);
    *out = (int64_t)d;
    return LK_OK;
}

static int config_bool(const cJSON *item, int *out, lk_err *e)
{
    if (!cJSON_IsBool(item))
        return lk_fail(e, LK_EINPUT, "%s: expected true or false", item->string);
    *out = cJSON_IsTrue(item);
    return LK_OK;
}

/* The member key of root, NULL when absent. A key given twice is refused:
 * JSON leaves its meaning open, and cJSON would quietly take the first. */
static int config_get(const cJSON *root, const char *key, const cJSON **out, lk_err *e)
{
    *out = NULL;
    for (const cJSON *it = root->child; it; it = it->next)
        if (!strcmp(it->string, key)) {
            if (*out)
                return lk_fail(e, LK_EINPUT, "%s: given twice", key);
            *out = it;
        }
    return LK_OK;
}

/* layer_types (Gemma 3, MobileLLM-Pro): full_attention or
 * sliding_attention per layer, the latter over sliding_window positions.
 * The list must be one of the patterns arch_layer_is_global() knows:
 * every K-th layer global (the last of each group of K, or with
 * global_first_last the first and the last layer), or none. */
static int config_layer_types(arch_spec *s, const cJSON *root, lk_err *e)
{
    const cJSON *types, *it;
    int rc;
    if ((rc = config_get(root, "layer_types", &types, e)) || !types)
        return rc;
    int n = cJSON_GetArraySize(types);
    if (!cJSON_IsArray(types) || n < 1 || n > ARCH_MAX_LAYERS ||
        (s->layers != ARCH_UNSET && n != s->layers))
        return lk_fail(e, LK_EINPUT, "layer_types: expected a list of num_hidden_layers strings");
    bool global[ARCH_MAX_LAYERS], any_local = false;
    for (int l = 0; l < n; l++) {
        const char *t = cJSON_GetStringValue(cJSON_GetArrayItem(types, l));
        if (!t || (strcmp(t, "full_attention") && strcmp(t, "sliding_attention")))
            return lk_fail(e, LK_EINPUT, "layer_types: entry %d is not full_attention or "
                           "sliding_attention", l);
        global[l] = !strcmp(t, "full_attention");
        any_local |= !global[l];
    }
    if (!any_local)
        return LK_OK;
    if ((rc = config_get(root, "sliding_window", &it, e)))
        return rc;
    if (!it)
        return lk_fail(e, LK_EINPUT, "layer_types: sliding_attention needs a sliding_window");
    if ((rc = config_int(it, &s->window, e)))
        return rc;
    if (s->share != ARCH_SHARE_NONE)
        return lk_fail(e, LK_EINPUT, "layer_types: lanky applies them to executed layers, "
                       "not to shared ones (layer_sharing)");
    arch_spec t = *s; /* the rule over these n layers, executed once each */
    t.layers = n;
    t.repeat = 1;
    for (t.global_every = 0; t.global_every <= n; t.global_every++)
        for (t.global_first_last = 0; t.global_first_last < 2; t.global_first_last++) {
            bool same = true;
            for (int l = 0; l < n && same; l++)
                same = arch_layer_is_global(&t, l) == global[l];
            if (same && (t.global_every || !t.global_first_last)) {
                s->global_every = t.global_every;
                s->global_first_last = t.global_first_last;
                return LK_OK;
            }
        }
    return lk_fail(e, LK_EINPUT, "layer_types: not a pattern lanky has (every K-th layer "
                   "global, the last of each K or the first and the last layer)");
}

/* rope_scaling of rope_type (or, in older configs, type) llama3: its
 * four numbers, each required (factor, low_freq_factor < high_freq_factor,
 * original_max_position_embeddings). Another type is not read. */
static int config_rope_scaling(arch_spec *s, const cJSON *root, lk_err *e)
{
    const cJSON *r, *t;
    int rc;
    if ((rc = config_get(root, "rope_scaling", &r, e)) || !cJSON_IsObject(r))
        return rc;
    if (!(t = cJSON_GetObjectItemCaseSensitive(r, "rope_type")))
        t = cJSON_GetObjectItemCaseSensitive(r, "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, "llama3"))
        return LK_OK;
    static const char *const keys[] = {"factor", "low_freq_factor", "high_freq_factor"};
    double *to[] = {&s->rope_factor, &s->rope_low_freq_factor, &s->rope_high_freq_factor};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[i]);
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= ROPE_THETA_MAX))
            return lk_fail(e, LK_EINPUT, "rope_scaling: %s: expected a positive number",
                           keys[i]);
        *to[i] = v->valuedouble;
    }
    if (!(s->rope_low_freq_factor < s->rope_high_freq_factor))
        return lk_fail(e, LK_EINPUT, "rope_scaling: low_freq_factor must be below "
                       "high_freq_factor");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "original_max_position_embeddings");
    if (!n)
        return lk_fail(e, LK_EINPUT, "rope_scaling: original_max_position_embeddings: "
                       "missing");
    return config_int(n, &s->rope_original_max, e);
}

static int config_apply(arch_spec *s, const cJSON *root, lk_err *e)
{
    const cJSON *it;
    int rc, b = 0;
    for (size_t i = 0; i < sizeof json_ints / sizeof json_ints[0]; i++)
        if ((rc = config_get(root, json_ints[i].json, &it, e)) ||
            (it && (rc = config_int(it, (int64_t *)((char *)s + json_ints[i].offset), e))))
            return rc;
    /* Llama 4 (llama4_text: MobileLLM-R1, MobileLLM-Pro): intermediate_size
     * is a mixture-of-experts layer's expert width, intermediate_size_mlp
     * the dense FFN's, the only kind these models have */
    if ((rc = config_get(root, "intermediate_size_mlp", &it, e)) ||
        (it && (rc = config_int(it, &s->ffn_dim, e))))
        return rc;
    /* Qwen2's attention has q/k/v biases whatever attention_bias says
     * (Hugging Face's Qwen2Attention); other models say it there */
    if ((rc = config_get(root, "model_type", &it, e)))
        return rc;
    if (it && cJSON_IsString(it) && !strcmp(it->valuestring, "qwen2"))
        s->attn_bias = true;
    else if ((rc = config_get(root, "attention_bias", &it, e)) ||
             (it && (rc = config_bool(it, &b, e))))
        return rc;
    else if (it)
        s->attn_bias = b;
    if ((rc = config_get(root, "rope_theta", &it, e)))
        return rc;
    if (it) {
        if (!cJSON_IsNumber(it) || !(it->valuedouble > 0 && it->valuedouble <= ROPE_THETA_MAX))
            return lk_fail(e, LK_EINPUT, "rope_theta: expected a number in (0, %g]",
                           ROPE_THETA_MAX);
        s->rope_theta = it->valuedouble;
    }
    if ((rc = config_get(root, "tie_word_embeddings", &it, e)) ||
        (it && (rc = config_bool(it, &s->tied, e))))
        return rc;
    /* MobileLLM's configs say tie_word_embeddings: false but
     * share_embedding: true; the latter is what the model does. */
    if ((rc = config_get(root, "share_embedding", &it, e)) ||
        (it && (rc = config_bool(it, &s->tied, e))))
        return rc;
    if ((rc = config_get(root, "layer_sharing", &it, e)))
        return rc;
    if (it) {
        if ((rc = config_bool(it, &b, e)))
            return rc;
        s->share = b ? ARCH_SHARE_IMMEDIATE : ARCH_SHARE_NONE;
    }
    if ((rc = config_get(root, "hidden_act", &it, e)))
        return rc;
    if (it) {
        if (!cJSON_IsString(it))
            return lk_fail(e, LK_EINPUT, "hidden_act: expected a string");
        if (!strcmp(it->valuestring, "silu") || !strcmp(it->valuestring, "swiglu"))
            s->ffn = ARCH_FFN_SWIGLU;
        else if (!strcmp(it->valuestring, "relu"))
            s->ffn = ARCH_FFN_RELU;
        else
            return lk_fail(e, LK_EINPUT, "hidden_act: '%s' is not silu or relu",
                           it->valuestring);
    }
    if ((rc = config_rope_scaling(s, root, e)))
        return rc;
    return config_layer_types(s, root, e);
}

static char *read_file(const char *path, size_t *size, lk_err *e)
{
    FILE *f = lk_infile_open(path, e);
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len + 4096 + 1 > cap) {
            cap = 2 * cap + 4096 + 1;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                lk_fail(e, LK_ERUN, "%s: out of memory", path);
                return NULL;
            }
            buf = b;
        }
        n = fread(buf + len, 1, 4096, f);
        len += n;
    } while (n > 0 && len <= LK_INFILE_MAX_BYTES);
    int bad = ferror(f) || len > LK_INFILE_MAX_BYTES;
    fclose(f);
    if (bad) {
        free(buf);
        lk_fail(e, LK_EINPUT, "%s: unreadable or larger than %u MB", path,
                LK_INFILE_MAX_BYTES >> 20);
        return NULL;
    }
    buf[len] = 0;
    *size = len;
    return buf;
}

int arch_spec_load_config(arch_spec *s, const char *path, lk_err *e)
{
    size_t size;
    char *text = read_file(path, &size, e);
    if (!text)
        return e ? e->code : LK_EINPUT;
    /* the object must be all the file holds: nothing after it, and no NUL
     * byte that would end the text early for the parser */
    const char *stop = text + strlen(text);
    cJSON *root = stop == text + size ? cJSON_ParseWithOpts(text, &stop, true) : NULL;
    if (!cJSON_IsObject(root)) {
        int line = 1, col = 1; /* where the parser gave up, for the user's editor */
        for (const char *c = text; c < stop; c++, col++)
            if (*c == '\n')
                line++, col = 0;
        free(text);
        cJSON_Delete(root);
        return lk_fail(e, LK_EINPUT, "%s:%d:%d: not a JSON object (%s)", path, line, col,
                       root ? "a JSON value, but not an object" : "not valid JSON from here");
    }
    free(text);
    arch_spec_init(s);
    const char *base = strrchr(path, '/');
    snprintf(s->name, sizeof s->name, "%s", base ? base + 1 : path);
    snprintf(s->config, sizeof s->config, "%s", path);
    int rc = config_apply(s, root, e);
    cJSON_Delete(root);
    return rc ? lk_prefix(e, "%s", path) : LK_OK;
}
#else
/* A static build has no JSON reader (Debian 12 ships no static libcjson; Makefile, STATIC=1). */
int arch_spec_load_config(arch_spec *s, const char *path, lk_err *e)
{
    (void)s;
    return lk_fail(e, LK_EINPUT, "%s: this static build reads no config.json (no cJSON); "
                   "give the shape as options, or use the dynamic build", path);
}
#endif

/* ---- defaults and validation ---------------------------------------- */

/* The sizes with no default, with their config.json keys: the first one
 * missing is the field to give (lk_ask). */
static int need_given(const arch_spec *s, lk_err *e)
{
    static const struct {
        const char *field, *json_key;
        size_t offset;
    } required[] = {
        {"layers", "num_hidden_layers", offsetof(arch_spec, layers)},
        {"dim", "hidden_size", offsetof(arch_spec, dim)},
        {"heads", "num_attention_heads", offsetof(arch_spec, heads)},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *field = required[i].field;
        if (*(const int64_t *)((const char *)s + required[i].offset) != ARCH_UNSET)
            continue;
        if (s->config[0])
            lk_fail(e, LK_EINPUT, "%s: %s: missing", s->config, required[i].json_key);
        else
            lk_fail(e, LK_EINPUT, "%s: missing", field);
        return lk_ask(e, field);
    }
    return LK_OK;
}

/* A size in 1..max; sizes are at most INT_MAX because every size becomes
 * an int in loops of the reference and simulator. */
static int need_positive(const char *field, int64_t v, int64_t max, lk_err *e)
{
    if (v <= 0)
        return lk_fail(e, LK_EINPUT, "%s: must be positive, not %lld", field, (long long)v);
    if (v > max)
        return lk_fail(e, LK_EINPUT, "%s: %lld is too large (at most %lld)", field,
                       (long long)v, (long long)max);
    return LK_OK;
}

/* a x b within max, where a and b are sizes (<= INT_MAX, so the product
 * fits): the rows or the elements of a matrix. */
static int need_product(const char *a_name, int64_t a, const char *b_name, int64_t b,
                        int64_t max, lk_err *e)
{
    if (a * b > max)
        return lk_fail(e, LK_EINPUT, "%s x %s: %lld x %lld is too large (at most %lld)",
                       a_name, b_name, (long long)a, (long long)b, (long long)max);
    return LK_OK;
}

static void fill_defaults(arch_spec *s)
{
    if (s->kv_heads == ARCH_UNSET)
        s->kv_heads = s->heads;
    if (s->vocab == ARCH_UNSET)
        s->vocab = DEFAULT_VOCAB;
    if (s->ffn_dim == ARCH_UNSET && s->dim > 0)
        s->ffn_dim = s->ffn == ARCH_FFN_SWIGLU ? arch_swiglu_hidden(s->dim) : 4 * s->dim;
    if (s->repeat == ARCH_UNSET)
        s->repeat = s->share == ARCH_SHARE_NONE ? 1 : 2;
    if (s->seq_len == ARCH_UNSET)
        s->seq_len = DEFAULT_SEQ_LEN;
    if (s->ctx == ARCH_UNSET)
        s->ctx = s->seq_len > 512 ? 512 : s->seq_len - 1;
    if (s->window == ARCH_UNSET)
        s->window = 0;
    if (s->global_every == ARCH_UNSET)
        s->global_every = 0;
    if (s->global_first_last == ARCH_UNSET)
        s->global_first_last = 0;
    if (s->rope_theta == ARCH_UNSET)
        s->rope_theta = 10000.0; /* llama2.c's RoPE base (spec.h) */
    if (s->group == ARCH_UNSET)
        s->group = 32; /* MobileLLM-Pro's CPU int4 weights (its model card) */
}

/* int4 groups: whole groups in every row (the input dimensions are dim,
 * heads x head_dim and ffn_dim), 4-column steps that never straddle two
 * groups (ref/kern.c), whole bytes and aligned f16 scales (layout.h). */
static int need_group(const arch_spec *s, lk_err *e)
{
    if (s->group % 4 || s->group > ARCH_MAX_GROUP) {
        lk_fail(e, LK_EINPUT, "group: %lld is not a multiple of 4 up to %lld",
                (long long)s->group, (long long)ARCH_MAX_GROUP);
        return lk_ask(e, "group");
    }
    const struct {
        const char *name;
        int64_t n;
    } in[] = {{"dim", s->dim}, {"heads x head_dim", s->heads * s->head_dim},
              {"ffn_dim", s->ffn_dim}};
    for (int i = 0; i < 3; i++)
        if (in[i].n % s->group) {
            lk_fail(e, LK_EINPUT, "group: %lld does not divide %s %lld",
                    (long long)s->group, in[i].name, (long long)in[i].n);
            return lk_ask(e, "group");
        }
    return LK_OK;
}

int arch_spec_finish(arch_spec *s, lk_err *e)
{
    int rc;
    if ((rc = need_given(s, e)) ||
        (rc = need_positive("layers", s->layers, ARCH_MAX_LAYERS, e)) ||
        (rc = need_positive("dim", s->dim, INT_MAX, e)) ||
        (rc = need_positive("heads", s->heads, INT_MAX, e)))
        return rc;
    if (s->head_dim == ARCH_UNSET) {
        if (s->dim % s->heads) {
            lk_fail(e, LK_EINPUT, "heads: %lld does not divide dim %lld",
                    (long long)s->heads, (long long)s->dim);
            return lk_ask(e, "head_dim");
        }
        s->head_dim = s->dim / s->heads;
    }
    /* a derived ffn_dim is too large because of dim: say so */
    const char *ffn = s->ffn_dim == ARCH_UNSET ? "ffn_dim (derived from dim)" : "ffn_dim";
    fill_defaults(s);
    if ((rc = need_positive("kv_heads", s->kv_heads, INT_MAX, e)) ||
        (rc = need_positive("head_dim", s->head_dim, INT_MAX, e)) ||
        (rc = need_positive(ffn, s->ffn_dim, INT_MAX, e)) ||
        (rc = need_positive("vocab", s->vocab, INT_MAX, e)) ||
        (rc = need_positive("repeat", s->repeat, INT_MAX, e)) ||
        (rc = need_positive("seq_len", s->seq_len, INT_MAX, e)) ||
        (rc = need_positive("group", s->group, INT_MAX, e)))
        return rc;
    if (s->heads % s->kv_heads)
        return lk_fail(e, LK_EINPUT, "kv_heads: %lld does not divide heads %lld",
                       (long long)s->kv_heads, (long long)s->heads);
    /* wq's rows (wk and wv have fewer: kv_heads divides heads) and the
     * matrices' elements; arch_params_count() relies on these bounds */
    int64_t q = s->heads * s->head_dim;
    if ((rc = need_product("heads", s->heads, "head_dim", s->head_dim, INT_MAX, e)) ||
        (rc = need_product("heads x head_dim", q, "dim", s->dim, ARCH_MAX_MATRIX, e)) ||
        (rc = need_product(ffn, s->ffn_dim, "dim", s->dim, ARCH_MAX_MATRIX, e)) ||
        (rc = need_product("vocab", s->vocab, "dim", s->dim, ARCH_MAX_MATRIX, e)))
        return rc;
    if (s->head_dim % 2)
        return lk_fail(e, LK_EINPUT, "head_dim: %lld is odd (RoPE rotates pairs)",
                       (long long)s->head_dim);
    if (s->share == ARCH_SHARE_NONE && s->repeat != 1)
        return lk_fail(e, LK_EINPUT, "repeat: %lld needs a sharing strategy (share none "
                       "runs each block once)", (long long)s->repeat);
    if (s->layers * s->repeat > ARCH_MAX_EXECUTED) /* <= 2^14 * 2^31: no overflow */
        return lk_fail(e, LK_EINPUT, "repeat: %lld x %lld layers is more than %d executed layers",
                       (long long)s->repeat, (long long)s->layers, ARCH_MAX_EXECUTED);
    if (s->ctx < 0 || s->ctx >= s->seq_len)
        return lk_fail(e, LK_EINPUT, "ctx: %lld is outside 0..seq_len-1 (%lld)",
                       (long long)s->ctx, (long long)s->seq_len - 1);
    if (s->window > INT_MAX || s->global_every > INT_MAX)
        return lk_fail(e, LK_EINPUT, "%s: %lld is too large (at most %d)",
                       s->window > INT_MAX ? "window" : "global_every",
                       (long long)(s->window > INT_MAX ? s->window : s->global_every), INT_MAX);
    if (s->global_every && !s->window)
        return lk_fail(e, LK_EINPUT, "global_every: %lld needs a window (without one every "
                       "layer attends over the whole cache)", (long long)s->global_every);
    if (s->global_first_last && !s->global_every)
        return lk_fail(e, LK_EINPUT, "global_first_last: needs global_every (which layers "
                       "of each group are global)");
    if ((s->dtype == ARCH_INT4 || s->embed_dtype == ARCH_INT4) && (rc = need_group(s, e)))
        return rc;
    arch_params p;
    return arch_params_count(s, &p, e);
}


