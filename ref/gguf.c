/* gguf.c -- GGUF files: the header, metadata and tensor infos parsed
 * from the mapping with every length checked against the file, then the
 * llama tensors converted to f32 (see gguf.h). */
#include "gguf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../common/infile.h"
#include "kern.h"

#define DEFAULT_ALIGNMENT 32 /* GGUF_DEFAULT_ALIGNMENT: general.alignment absent */
#define MAX_DIMS 4           /* GGML_MAX_DIMS */
#define NAME_MAX_BYTES 63    /* GGML_MAX_NAME 64, with its NUL */
#define KEY_MAX_BYTES 65535  /* the spec's limit on a metadata key */
#define QBLOCK 32            /* QK8_0 = QK4_0: values per q8_0 or q4_0 block */
#define Q8_BLOCK_BYTES 34    /* block_q8_0: its f16 scale d and 32 int8 */
#define Q4_BLOCK_BYTES 18    /* block_q4_0: its f16 scale d and 16 bytes of nibbles */

/* ggml_type values read (ggml/include/ggml.h). */
enum { GT_F32 = 0, GT_F16 = 1, GT_Q4_0 = 2, GT_Q8_0 = 8, GT_BF16 = 30 };

/* gguf_metadata_value_type values. */
enum { VT_U8, VT_I8, VT_U16, VT_I16, VT_U32, VT_I32, VT_F32, VT_BOOL, VT_STRING,
       VT_ARRAY, VT_U64, VT_I64, VT_F64, VT_COUNT };

/* Bytes of a scalar value type (0: string and array). */
static const uint8_t value_bytes[VT_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* The metadata keys read, and what kind of value each must be. */
enum { K_ARCH, K_ALIGN, K_LAYERS, K_DIM, K_FFN, K_HEADS, K_KV_HEADS, K_KEY_LEN,
       K_VALUE_LEN, K_CTX, K_VOCAB, K_TOKENS, K_EPS, K_THETA, K_ROPE_DIM, K_SCALING,
       K_EXPERTS, K_COUNT };
enum { KIND_INT, KIND_FLOAT, KIND_STRING, KIND_ARRAY };
static const struct {
    const char *name;
    int kind;
} keys[K_COUNT] = {
    [K_ARCH] = {"general.architecture", KIND_STRING},
    [K_ALIGN] = {"general.alignment", KIND_INT},
    [K_LAYERS] = {"llama.block_count", KIND_INT},
    [K_DIM] = {"llama.embedding_length", KIND_INT},
    [K_FFN] = {"llama.feed_forward_length", KIND_INT},
    [K_HEADS] = {"llama.attention.head_count", KIND_INT},
    [K_KV_HEADS] = {"llama.attention.head_count_kv", KIND_INT},
    [K_KEY_LEN] = {"llama.attention.key_length", KIND_INT},
    [K_VALUE_LEN] = {"llama.attention.value_length", KIND_INT},
    [K_CTX] = {"llama.context_length", KIND_INT},
    [K_VOCAB] = {"llama.vocab_size", KIND_INT},
    [K_TOKENS] = {"tokenizer.ggml.tokens", KIND_ARRAY},
    [K_EPS] = {"llama.attention.layer_norm_rms_epsilon", KIND_FLOAT},
    [K_THETA] = {"llama.rope.freq_base", KIND_FLOAT},
    [K_ROPE_DIM] = {"llama.rope.dimension_count", KIND_INT},
    [K_SCALING] = {"llama.rope.scaling.type", KIND_STRING},
    [K_EXPERTS] = {"llama.expert_count", KIND_INT},
};

/* One metadata value as far as it is read: an integer (clamped to
 * INT64_MAX), a float, a string, or an array's element count. */
typedef struct {
    bool set;
    int64_t i;
    double f;
    const char *s; /* in the mapping, not NUL-terminated */
    uint64_t len;  /* string bytes, or array elements */
} value;

typedef struct {
    const char *name; /* in the mapping, name_len bytes */
    uint32_t name_len;
    uint32_t type;
    int64_t ne[MAX_DIMS]; /* 1 past n_dims */
    uint64_t offset;      /* from the start of the data */
} tensor_info;

typedef struct {
    const char *path;
    const unsigned char *map; /* the whole file */
    uint64_t bytes;
    uint64_t at;              /* the parse cursor */
    value kv[K_COUNT];
    tensor_info *t;
    uint64_t n_tensors;
    uint64_t data;            /* where the tensor data starts */
    bool in_place;            /* f32 tensors read from the mapping (a f32 model) */
} gguf_file;

bool ref_gguf_claims(const char *path)
{
    size_t n = strlen(path);
    if (n >= 5 && !strcmp(path + n - 5, ".gguf"))
        return true;
    struct stat st;
    char magic[4];
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return false;
    int fd = open(path, O_RDONLY);
    bool yes = fd >= 0 && pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "GGUF", 4);
    if (fd >= 0)
        close(fd);
    return yes;
}

/* ---------------------------------------------------------------------- */
/* reading the mapping */

/* The next k bytes, or a failure naming what they were to hold. */
static int take(gguf_file *f, uint64_t k, const unsigned char **out, const char *what,
                lk_err *e)
{
    if (k > f->bytes - f->at)
        return lk_fail(e, LK_EINPUT, "%s: truncated: %s needs %llu bytes at offset %llu, "
                       "the file has %llu", f->path, what, (unsigned long long)k,
                       (unsigned long long)f->at, (unsigned long long)f->bytes);
    *out = f->map + f->at;
    f->at += k;
    return LK_OK;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int get_u32(gguf_file *f, uint32_t *v, const char *what, lk_err *e)
{
    const unsigned char *p = NULL;
    int rc = take(f, 4, &p, what, e);
    if (!rc)
        *v = (uint32_t)le(p, 4);
    return rc;
}

static int get_u64(gguf_file *f, uint64_t *v, const char *what, lk_err *e)
{
    const unsigned char *p = NULL;
    int rc = take(f, 8, &p, what, e);
    if (!rc)
        *v = le(p, 8);
    return rc;
}

/* A string of at most max bytes. */
static int get_string(gguf_file *f, const char **s, uint64_t *len, uint64_t max,
                      const char *what, lk_err *e)
{
    const unsigned char *p = NULL;
    int rc = get_u64(f, len, what, e);
    if (!rc && *len > max)
        return lk_fail(e, LK_EINPUT, "%s: %s: a string of %llu bytes (at most %llu)",
                       f->path, what, (unsigned long long)*len, (unsigned long long)max);
    if (!rc && !(rc = take(f, *len, &p, what, e)))
        *s = (const char *)p;
    return rc;
}

/* A scalar of type t into v (integers, floats, booleans). */
static int get_scalar(gguf_file *f, uint32_t t, value *v, const char *what, lk_err *e)
{
    const unsigned char *p = NULL;
    int rc = take(f, value_bytes[t], &p, what, e);
    if (rc)
        return rc;
    uint64_t u = le(p, value_bytes[t]);
    int bits = 8 * value_bytes[t];
    bool is_signed = t == VT_I8 || t == VT_I16 || t == VT_I32 || t == VT_I64;
    if (t == VT_F32) {
        float x;
        uint32_t u32 = (uint32_t)u;
        memcpy(&x, &u32, 4);
        v->f = x;
    } else if (t == VT_F64) {
        memcpy(&v->f, &u, 8);
    } else if (t == VT_BOOL && u > 1) {
        return lk_fail(e, LK_EINPUT, "%s: %s: boolean %llu is neither 0 nor 1", f->path,
                       what, (unsigned long long)u);
    } else if (is_signed && bits < 64 && u >> (bits - 1)) {
        v->i = (int64_t)u - (int64_t)(UINT64_C(1) << bits); /* sign-extend */
    } else {
        v->i = u > INT64_MAX && !is_signed ? INT64_MAX : (int64_t)u;
    }
    return LK_OK;
}

/* A value of type t: read into v, or walked over for an array's elements. */
static int get_value(gguf_file *f, uint32_t t, value *v, const char *what, lk_err *e)
{
    if (t >= VT_COUNT)
        return lk_fail(e, LK_EINPUT, "%s: %s: value type %u is not a GGUF type (0..%d)",
                       f->path, what, t, VT_COUNT - 1);
    if (t == VT_STRING)
        return get_string(f, &v->s, &v->len, UINT64_MAX, what, e);
    if (t != VT_ARRAY)
        return get_scalar(f, t, v, what, e);
    uint32_t et;
    int rc = get_u32(f, &et, what, e);
    if (!rc)
        rc = get_u64(f, &v->len, what, e);
    if (rc)
        return rc;
    if (et == VT_ARRAY || et >= VT_COUNT)
        return lk_fail(e, LK_EINPUT, "%s: %s: array element type %u is not a GGUF scalar "
                       "or string type", f->path, what, et);
    if (et != VT_STRING) {
        const unsigned char *p = NULL;
        if (v->len > (f->bytes - f->at) / value_bytes[et])
            return lk_fail(e, LK_EINPUT, "%s: truncated: %s: %llu array elements run past "
                           "the file's %llu bytes", f->path, what,
                           (unsigned long long)v->len, (unsigned long long)f->bytes);
        return take(f, v->len * value_bytes[et], &p, what, e);
    }
    for (uint64_t i = 0; i < v->len && !rc; i++) {
        value s;
        rc = get_string(f, &s.s, &s.len, UINT64_MAX, what, e);
    }
    return rc;
}

/* Whether value type t is what key kind `kind` needs. */
static bool kind_fits(int kind, uint32_t t)
{
    switch (kind) {
    case KIND_INT: return t <= VT_I32 || t == VT_U64 || t == VT_I64;
    case KIND_FLOAT: return t == VT_F32 || t == VT_F64;
    case KIND_STRING: return t == VT_STRING;
    default: return t == VT_ARRAY;
    }
}

static int parse_metadata(gguf_file *f, uint64_t n, lk_err *e)
{
    for (uint64_t i = 0; i < n; i++) {
        char what[160];
        snprintf(what, sizeof what, "metadata key %llu", (unsigned long long)i);
        const char *key;
        uint64_t len;
        uint32_t t;
        int rc = get_string(f, &key, &len, KEY_MAX_BYTES, what, e);
        if (rc)
            return rc;
        snprintf(what, sizeof what, "metadata %.*s", (int)(len > 100 ? 100 : len), key);
        if ((rc = get_u32(f, &t, what, e)))
            return rc;
        int k = 0;
        while (k < K_COUNT && (strlen(keys[k].name) != len || memcmp(keys[k].name, key, len)))
            k++;
        value scratch = {0}, *v = k < K_COUNT ? &f->kv[k] : &scratch;
        if (k < K_COUNT && v->set)
            return lk_fail(e, LK_EINPUT, "%s: %s: given twice", f->path, what);
        if (k < K_COUNT && !kind_fits(keys[k].kind, t))
            return lk_fail(e, LK_EINPUT, "%s: %s: value type %u is not %s", f->path, what, t,
                           (const char *[]){"an integer", "a float", "a string",
                                            "an array"}[keys[k].kind]);
        if ((rc = get_value(f, t, v, what, e)))
            return rc;
        v->set = true;
    }
    return LK_OK;
}

/* Smallest bytes of one tensor info: name length, one dimension, type,
 * offset. */
#define TENSOR_INFO_MIN (8 + 4 + 8 + 4 + 8)

static int parse_tensor_infos(gguf_file *f, lk_err *e)
{
    if (f->n_tensors > (f->bytes - f->at) / TENSOR_INFO_MIN)
        return lk_fail(e, LK_EINPUT, "%s: truncated: header tensor_count %llu needs more "
                       "than the file's %llu bytes", f->path,
                       (unsigned long long)f->n_tensors, (unsigned long long)f->bytes);
    if (!(f->t = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *f->t)))
        return lk_fail(e, LK_ERUN, "%s: out of memory", f->path);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        tensor_info *t = &f->t[i];
        char what[160];
        snprintf(what, sizeof what, "tensor info %llu", (unsigned long long)i);
        uint64_t len;
        uint32_t nd;
        int rc = get_string(f, &t->name, &len, NAME_MAX_BYTES, what, e);
        if (rc)
            return rc;
        t->name_len = (uint32_t)len;
        snprintf(what, sizeof what, "tensor %.*s", (int)len, t->name);
        if ((rc = get_u32(f, &nd, what, e)))
            return rc;
        if (nd < 1 || nd > MAX_DIMS)
            return lk_fail(e, LK_EINPUT, "%s: %s: n_dims %u is not 1..%d", f->path, what, nd,
                           MAX_DIMS);
        for (int d = 0; d < MAX_DIMS; d++) {
            uint64_t ne = 1;
            if (d < (int)nd && (rc = get_u64(f, &ne, what, e)))
                return rc;
            if (ne > INT64_MAX)
                return lk_fail(e, LK_EINPUT, "%s: %s: dimension %d is %llu", f->path, what,
                               d, (unsigned long long)ne);
            t->ne[d] = (int64_t)ne;
        }
        if ((rc = get_u32(f, &t->type, what, e)) || (rc = get_u64(f, &t->offset, what, e)))
            return rc;
    }
    return LK_OK;
}

/* The alignment of the data (general.alignment or the default). */
static int alignment(const gguf_file *f, uint64_t *a, lk_err *e)
{
    const value *v = &f->kv[K_ALIGN];
    *a = v->set ? (uint64_t)v->i : DEFAULT_ALIGNMENT;
    if (v->set && (v->i < 8 || v->i > 1 << 30 || (v->i & (v->i - 1))))
        return lk_fail(e, LK_EINPUT, "%s: metadata general.alignment: %lld is not a power "
                       "of two from 8 to 2^30", f->path, (long long)v->i);
    return LK_OK;
}

static void file_close(gguf_file *f)
{
    free(f->t);
    if (f->map)
        munmap((void *)f->map, f->bytes);
    f->map = NULL;
    f->t = NULL;
}

/* Map path and parse everything before the data. */
static int file_open(gguf_file *f, const char *path, lk_err *e)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    int rc = lk_infile_map(path, 4, "the magic", &f->map, &f->bytes, e);
    if (rc)
        return rc;
    const unsigned char *magic = NULL;
    uint32_t version;
    uint64_t n_kv, align;
    take(f, 4, &magic, "magic", e);
    if (memcmp(magic, "GGUF", 4))
        return lk_fail(e, LK_EINPUT, "%s: magic: bytes %02x %02x %02x %02x are not \"GGUF\"",
                       path, magic[0], magic[1], magic[2], magic[3]);
    if ((rc = get_u32(f, &version, "header version", e)))
        return rc;
    if (version != 2 && version != 3)
        return lk_fail(e, LK_EINPUT, "%s: header version: %u is not 2 or 3%s", path, version,
                       version == 1 ? " (version 1's 32-bit counts are not read)"
                       : version > 0xffff ? " (a big-endian file? lanky reads little-endian)"
                                          : "");
    if ((rc = get_u64(f, &f->n_tensors, "header tensor_count", e)) ||
        (rc = get_u64(f, &n_kv, "header metadata_kv_count", e)) ||
        (rc = parse_metadata(f, n_kv, e)) || (rc = parse_tensor_infos(f, e)) ||
        (rc = alignment(f, &align, e)))
        return rc;
    f->data = (f->at + align - 1) / align * align;
    if (f->data > f->bytes && f->n_tensors)
        return lk_fail(e, LK_EINPUT, "%s: truncated: the tensor data would start at byte "
                       "%llu, the file has %llu", path, (unsigned long long)f->data,
                       (unsigned long long)f->bytes);
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (f->t[i].offset % align)
            return lk_fail(e, LK_EINPUT, "%s: tensor %.*s: offset %llu is not a multiple of "
                           "the alignment %llu", path, (int)f->t[i].name_len, f->t[i].name,
                           (unsigned long long)f->t[i].offset, (unsigned long long)align);
    return LK_OK;
}

/* ---------------------------------------------------------------------- */
/* the spec */

/* The tensor called name, NULL when absent (rc LK_OK) or named twice. */
static const tensor_info *find(const gguf_file *f, const char *name, lk_err *e, int *rc)
{
    const tensor_info *hit = NULL;
    size_t n = strlen(name);
    *rc = LK_OK;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const tensor_info *t = &f->t[i];
        if (t->name_len != n || memcmp(t->name, name, n))
            continue;
        if (hit) {
            *rc = lk_fail(e, LK_EINPUT, "%s: tensor %s: given twice", f->path, name);
            return NULL;
        }
        hit = t;
    }
    return hit;
}

/* Integer key k within 1..INT32_MAX into *out, or fallback when absent
 * (ARCH_UNSET: required). */
static int get_size(const gguf_file *f, int k, int64_t fallback, int64_t *out, lk_err *e)
{
    const value *v = &f->kv[k];
    if (!v->set && fallback == ARCH_UNSET)
        return lk_fail(e, LK_EINPUT, "%s: metadata %s: missing", f->path, keys[k].name);
    *out = v->set ? v->i : fallback;
    if (*out < 1 || *out > INT32_MAX)
        return lk_fail(e, LK_EINPUT, "%s: metadata %s: %lld is not in 1..%d", f->path,
                       keys[k].name, (long long)*out, INT32_MAX);
    return LK_OK;
}

/* Refuse what ref/model.h does not compute (its eps, theta and RoPE are
 * fixed; it is dense). */
static int check_fixed(const gguf_file *f, int64_t hd, lk_err *e)
{
    const value *kv = f->kv;
    const char *bad = NULL, *why = NULL;
    if (!kv[K_ARCH].set)
        bad = keys[K_ARCH].name, why = "missing";
    else if (kv[K_ARCH].len != 5 || memcmp(kv[K_ARCH].s, "llama", 5))
        return lk_fail(e, LK_EINPUT, "%s: metadata general.architecture: '%.*s', lanky reads "
                       "llama only", f->path, (int)(kv[K_ARCH].len > 64 ? 64 : kv[K_ARCH].len),
                       kv[K_ARCH].s);
    else if (!kv[K_EPS].set)
        bad = keys[K_EPS].name, why = "missing";
    else if ((float)kv[K_EPS].f != 1e-5f)
        bad = keys[K_EPS].name, why = "lanky's reference runs 1e-5 only";
    else if (kv[K_THETA].set && kv[K_THETA].f != 10000.0)
        bad = keys[K_THETA].name, why = "lanky's reference runs 10000 only";
    else if (kv[K_ROPE_DIM].set && kv[K_ROPE_DIM].i != hd)
        bad = keys[K_ROPE_DIM].name, why = "not the head size: lanky rotates whole heads";
    else if (kv[K_SCALING].set && (kv[K_SCALING].len != 4 || memcmp(kv[K_SCALING].s, "none", 4)))
        bad = keys[K_SCALING].name, why = "lanky's reference has no RoPE scaling";
    else if (kv[K_EXPERTS].set && kv[K_EXPERTS].i > 0)
        bad = keys[K_EXPERTS].name, why = "a mixture of experts; lanky's reference is dense";
    else if (kv[K_VALUE_LEN].set && kv[K_VALUE_LEN].i != hd)
        bad = keys[K_VALUE_LEN].name, why = "not the key length";
    return bad ? lk_fail(e, LK_EINPUT, "%s: metadata %s: %s", f->path, bad, why) : LK_OK;
}

/* The spec the metadata describes, with the caller's choices
 * (arch_spec_take_choices). */
static int file_spec(const gguf_file *f, arch_spec *s, lk_err *e)
{
    arch_spec user = *s;
    arch_spec_init(s);
    snprintf(s->name, sizeof s->name, "checkpoint");
    int64_t vocab_fallback = f->kv[K_TOKENS].set ? (int64_t)f->kv[K_TOKENS].len : ARCH_UNSET;
    int rc;
    if ((rc = get_size(f, K_LAYERS, ARCH_UNSET, &s->layers, e)) ||
        (rc = get_size(f, K_DIM, ARCH_UNSET, &s->dim, e)) ||
        (rc = get_size(f, K_FFN, ARCH_UNSET, &s->ffn_dim, e)) ||
        (rc = get_size(f, K_HEADS, ARCH_UNSET, &s->heads, e)) ||
        (rc = get_size(f, K_KV_HEADS, s->heads, &s->kv_heads, e)) ||
        (rc = get_size(f, K_KEY_LEN, s->dim % s->heads ? ARCH_UNSET : s->dim / s->heads,
                       &s->head_dim, e)) ||
        (rc = get_size(f, K_VOCAB, vocab_fallback, &s->vocab, e)) ||
        (f->kv[K_CTX].set && (rc = get_size(f, K_CTX, ARCH_UNSET, &s->seq_len, e))) ||
        (rc = check_fixed(f, s->head_dim, e)))
        return rc;
    if (s->head_dim % 2)
        return lk_fail(e, LK_EINPUT, "%s: metadata %s: head size %lld is odd (RoPE rotates "
                       "pairs)", f->path, keys[f->kv[K_KEY_LEN].set ? K_KEY_LEN : K_HEADS].name,
                       (long long)s->head_dim);
    const tensor_info *out = find(f, "output.weight", e, &rc);
    if (rc)
        return rc;
    s->ffn = ARCH_FFN_SWIGLU;
    s->tied = out == NULL;
    s->share = ARCH_SHARE_NONE;
    s->repeat = 1;
    arch_spec_take_choices(s, &user);
    rc = arch_spec_finish(s, e);
    return rc ? lk_prefix(e, "%s", f->path) : LK_OK;
}

/* ---------------------------------------------------------------------- */
/* the tensors */

/* GGUF's name of layout tensor t. */
static void tensor_name(const arch_tensor *t, char *buf, size_t size)
{
    static const char *const names[ARCH_W_COUNT] = {
        [ARCH_W_EMBED] = "token_embd", [ARCH_W_RMS_ATT] = "attn_norm",
        [ARCH_W_Q] = "attn_q", [ARCH_W_K] = "attn_k", [ARCH_W_V] = "attn_v",
        [ARCH_W_O] = "attn_output", [ARCH_W_RMS_FFN] = "ffn_norm",
        [ARCH_W_1] = "ffn_gate", [ARCH_W_2] = "ffn_down", [ARCH_W_3] = "ffn_up",
        [ARCH_W_RMS_FINAL] = "output_norm", [ARCH_W_CLS] = "output",
    };
    if (t->block >= 0)
        snprintf(buf, size, "blk.%lld.%s.weight", (long long)t->block, names[t->id]);
    else
        snprintf(buf, size, "%s.weight", names[t->id]);
}

/* nblocks blocks of ggml type q8_0 or q4_0 at p as f32 values, as ggml's
 * dequantize_row_q8_0 and dequantize_row_q4_0 compute them (ggml-quants.c):
 * q8_0 value k = d * qs[k]; q4_0 value k < 16 = d * ((qs[k] & 15) - 8) and
 * value k + 16 = d * ((qs[k] >> 4) - 8). Blocks are 34 or 18 bytes, so p
 * stays even for the f16 scale. */
static void dequantize(unsigned type, float *dst, const unsigned char *p, uint64_t nblocks)
{
    for (uint64_t b = 0; b < nblocks; b++, dst += QBLOCK) {
        float d;
        kern_to_f32(ARCH_F16, &d, p, 1);
        const unsigned char *qs = p + 2;
        if (type == GT_Q8_0) {
            for (int k = 0; k < QBLOCK; k++)
                dst[k] = d * (float)(int8_t)qs[k];
            p += Q8_BLOCK_BYTES;
        } else {
            for (int k = 0; k < QBLOCK / 2; k++) {
                dst[k] = d * (float)((qs[k] & 15) - 8);
                dst[k + QBLOCK / 2] = d * (float)((qs[k] >> 4) - 8);
            }
            p += Q4_BLOCK_BYTES;
        }
    }
}

/* Tensor name as rows x cols f32: *src points at it in the mapping (a
 * f32 tensor when in_place) or at dst, where it was converted. */
static int read_tensor(const gguf_file *f, const char *name, int64_t rows, int64_t cols,
                       bool in_place, float *dst, const float **src, lk_err *e)
{
    int rc;
    const tensor_info *t = find(f, name, e, &rc);
    if (rc)
        return rc;
    if (!t)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: missing", f->path, name);
    if (t->ne[0] != cols || t->ne[1] != rows || t->ne[2] != 1 || t->ne[3] != 1)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: ne [%lld, %lld, %lld, %lld], the "
                       "metadata says [%lld, %lld] (columns first)", f->path, name,
                       (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                       (long long)t->ne[3], (long long)cols, (long long)rows);
    uint64_t n = (uint64_t)rows * (uint64_t)cols, bytes; /* bounded by the spec */
    switch (t->type) {
    case GT_F32: bytes = 4 * n; break;
    case GT_F16: case GT_BF16: bytes = 2 * n; break;
    case GT_Q8_0:
    case GT_Q4_0:
        if (cols % QBLOCK)
            return lk_fail(e, LK_EINPUT, "%s: tensor %s: %s rows of %lld values are not "
                           "whole blocks of %d", f->path, name,
                           t->type == GT_Q8_0 ? "q8_0" : "q4_0", (long long)cols, QBLOCK);
        bytes = n / QBLOCK * (t->type == GT_Q8_0 ? Q8_BLOCK_BYTES : Q4_BLOCK_BYTES);
        break;
    default:
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: ggml type %u is not f32 (0), f16 (1), "
                       "q4_0 (2), q8_0 (8) or bf16 (30)", f->path, name, t->type);
    }
    uint64_t room = f->bytes - f->data;
    if (t->offset > room || bytes > room - t->offset)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: data [%llu, +%llu) runs past the %llu "
                       "data bytes", f->path, name, (unsigned long long)t->offset,
                       (unsigned long long)bytes, (unsigned long long)room);
    const unsigned char *p = f->map + f->data + t->offset; /* aligned to 8 (alignment) */
    *src = dst;
    if (t->type == GT_F32 && in_place)
        *src = (const float *)p;
    else if (t->type == GT_F32)
        memcpy(dst, p, bytes);
    else if (t->type == GT_F16 || t->type == GT_BF16)
        kern_to_f32(t->type == GT_F16 ? ARCH_F16 : ARCH_BF16, dst, p, (int64_t)n);
    else
        dequantize(t->type, dst, p, n / QBLOCK);
    return LK_OK;
}

/* ref_tensor_reader of a file: tensor t by its GGUF name. */
static int read_one(void *ctx, const arch_tensor *t, float *dst, const float **src,
                    lk_err *e)
{
    const gguf_file *f = ctx;
    char name[64];
    tensor_name(t, name, sizeof name);
    return read_tensor(f, name, t->rows, t->cols, f->in_place, dst, src, e);
}

int ref_gguf_load(ref_weights *w, const char *path, arch_spec *s, pool *p, lk_err *e)
{
    gguf_file f;
    int rc = file_open(&f, path, e);
    if (!rc)
        rc = file_spec(&f, s, e);
    f.in_place = arch_stored_f32(s);
    if (!rc)
        rc = ref_weights_read(w, s, read_one, &f, path, p, e);
    if (!rc && f.in_place) { /* w points into the mapping too: w owns it */
        w->map = (void *)f.map;
        w->map_bytes = f.bytes;
        f.map = NULL;
    }
    file_close(&f);
    return rc;
}
