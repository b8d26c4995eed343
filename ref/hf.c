/* hf.c -- Hugging Face folders: config.json, safetensors shards, the
 * llama tensor names and the q/k un-permutation (see hf.h). */
#include "hf.h"

#ifndef LK_NO_CJSON
#include <cjson/cJSON.h>
#endif
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../common/infile.h"

/* safetensors' own reference implementation refuses headers above
 * 100 MB; so does this reader, before allocating one. */
#define HEADER_MAX (100u << 20)

#ifndef LK_NO_CJSON
typedef struct {
    char path[PATH_MAX];
    cJSON *header;               /* name -> {dtype, shape, data_offsets} */
    unsigned char *map;          /* the whole file */
    size_t bytes;
    const unsigned char *data;   /* the byte after the header */
    uint64_t data_bytes;
} shard;

typedef struct {
    const char *dir;
    char index[PATH_MAX];        /* the index file, "" when unsharded */
    cJSON *weight_map;           /* owned by index_root */
    cJSON *index_root;
    shard *sh;
    int n;
} folder;
#endif

bool ref_hf_is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

#ifndef LK_NO_CJSON
/* The whole text of a small file (config.json, the index), or NULL. */
static char *read_text(const char *path, lk_err *e)
{
    FILE *f = lk_infile_open(path, e);
    if (!f)
        return NULL;
    char *buf = malloc(LK_INFILE_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        lk_fail(e, LK_ERUN, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, LK_INFILE_MAX_BYTES, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        lk_fail(e, LK_EINPUT, "%s: cannot read", path);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static cJSON *read_json(const char *path, lk_err *e)
{
    char *text = read_text(path, e);
    if (!text)
        return NULL;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        lk_fail(e, LK_EINPUT, "%s: not a JSON object", path);
        return NULL;
    }
    return root;
}

/* Map one safetensors file and parse its header. */
static int shard_open(shard *s, const char *path, lk_err *e)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    const unsigned char *map;
    uint64_t bytes, n = 0;
    int rc = lk_infile_map(path, 8, "the header length", &map, &bytes, e);
    if (rc)
        return rc;
    s->map = (unsigned char *)map;
    s->bytes = (size_t)bytes;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | map[i];
    if (n < 2 || n > HEADER_MAX || n > bytes - 8)
        return lk_fail(e, LK_EINPUT, "%s: bad header length %llu (the file has %llu "
                       "bytes; at most %u)", path, (unsigned long long)n,
                       (unsigned long long)bytes, HEADER_MAX);
    s->data = s->map + 8 + n;
    s->data_bytes = s->bytes - 8 - n;
    s->header = cJSON_ParseWithLength((const char *)s->map + 8, (size_t)n);
    if (!cJSON_IsObject(s->header))
        return lk_fail(e, LK_EINPUT, "%s: the header is not a JSON object", path);
    return LK_OK;
}

static void shard_close(shard *s)
{
    cJSON_Delete(s->header);
    if (s->map)
        munmap(s->map, s->bytes);
    memset(s, 0, sizeof *s);
}

static void folder_close(folder *f)
{
    for (int i = 0; i < f->n; i++)
        shard_close(&f->sh[i]);
    free(f->sh);
    cJSON_Delete(f->index_root);
}

/* Open model.safetensors, or every shard the index names. */
static int folder_open(folder *f, const char *dir, lk_err *e)
{
    memset(f, 0, sizeof *f);
    f->dir = dir;
    char path[PATH_MAX];
    snprintf(f->index, sizeof f->index, "%s/model.safetensors.index.json", dir);
    if (access(f->index, F_OK)) {
        f->index[0] = 0;
        if (!(f->sh = calloc(1, sizeof *f->sh)))
            return lk_fail(e, LK_ERUN, "%s: out of memory", dir);
        f->n = 1;
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        return shard_open(&f->sh[0], path, e);
    }
    if (!(f->index_root = read_json(f->index, e)))
        return e->code;
    f->weight_map = cJSON_GetObjectItemCaseSensitive(f->index_root, "weight_map");
    if (!cJSON_IsObject(f->weight_map))
        return lk_fail(e, LK_EINPUT, "%s: weight_map: missing or not an object", f->index);
    if (!(f->sh = calloc(REF_HF_MAX_SHARDS, sizeof *f->sh)))
        return lk_fail(e, LK_ERUN, "%s: out of memory", dir);
    for (const cJSON *it = f->weight_map->child; it; it = it->next) {
        const char *name = cJSON_GetStringValue(it);
        if (!name || !*name || strchr(name, '/'))
            return lk_fail(e, LK_EINPUT, "%s: weight_map: tensor %s: not a file name in "
                           "the folder", f->index, it->string);
        int k = 0;
        for (snprintf(path, sizeof path, "%s/%s", dir, name); k < f->n; k++)
            if (!strcmp(f->sh[k].path, path))
                break;
        if (k < f->n)
            continue;
        if (f->n == REF_HF_MAX_SHARDS)
            return lk_fail(e, LK_EINPUT, "%s: more than %d shards", f->index,
                           REF_HF_MAX_SHARDS);
        int rc = shard_open(&f->sh[f->n++], path, e);
        if (rc)
            return rc;
    }
    return LK_OK;
}

/* The shard holding tensor name and its header entry, or NULL when no
 * shard has it. */
static const cJSON *find(const folder *f, const char *name, const shard **where)
{
    int k = 0;
    if (f->weight_map) {
        const char *file = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(f->weight_map, name));
        if (!file)
            return NULL;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", f->dir, file);
        while (k < f->n && strcmp(f->sh[k].path, path))
            k++;
        if (k == f->n)
            return NULL;
    }
    *where = &f->sh[k];
    return cJSON_GetObjectItemCaseSensitive(f->sh[k].header, name);
}

/* Where a missing tensor should have been: the index or the one file. */
static const char *expected_in(const folder *f)
{
    return f->index[0] ? f->index : f->sh[0].path;
}

/* A non-negative integer JSON number below 2^53 (exact in a double). */
static bool get_u64(const cJSON *v, uint64_t *out)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(d >= 0 && d < 0x1p53) || d != floor(d))
        return false;
    *out = (uint64_t)d;
    return true;
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, ex = h >> 10 & 31, man = h & 1023;
    float v;
    if (ex == 0)
        v = ldexpf((float)man, -24); /* zero and subnormals */
    else if (ex == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 1024), (int)ex - 25);
    return sign ? -v : v;
}

/* The file's element types; element bytes are 4 for F32, else 2. */
enum { DT_NONE, DT_F32, DT_F16, DT_BF16 };

static float element(const unsigned char *p, int dt)
{
    float v;
    if (dt == DT_F32) {
        memcpy(&v, p, 4); /* offsets need not be 4-byte aligned */
        return v;
    }
    uint16_t h = (uint16_t)(p[0] | p[1] << 8);
    if (dt == DT_F16)
        return f16_to_f32(h);
    uint32_t u = (uint32_t)h << 16; /* bf16: the top half of a f32 */
    memcpy(&v, &u, 4);
    return v;
}

/* Tensor name as (rows, cols) f32 into dst (rows 1: a vector, shape
 * [cols]); rows un-permuted from rotate-half into adjacent pairs when hd
 * is non-zero (q and k; the elements of a vector: their biases, which
 * add to those rows). */
static int read_tensor(const folder *f, const char *name, int64_t rows, int64_t cols,
                       int64_t hd, float *dst, lk_err *e)
{
    const shard *s = NULL;
    const cJSON *t = find(f, name, &s);
    if (!t)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: missing", expected_in(f), name);
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "dtype"));
    int dt = DT_NONE;
    if (dtype && !strcmp(dtype, "F32"))
        dt = DT_F32;
    else if (dtype && !strcmp(dtype, "F16"))
        dt = DT_F16;
    else if (dtype && !strcmp(dtype, "BF16"))
        dt = DT_BF16;
    if (dt == DT_NONE)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: dtype %s is not F32, F16 or BF16",
                       s->path, name, dtype ? dtype : "(missing)");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
    int want_dims = rows == 1 ? 1 : 2;
    uint64_t d0 = 0, d1 = 0;
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != want_dims ||
        !get_u64(cJSON_GetArrayItem(shape, 0), &d0) ||
        (want_dims == 2 && !get_u64(cJSON_GetArrayItem(shape, 1), &d1)) ||
        (want_dims == 1 ? d0 != (uint64_t)cols : d0 != (uint64_t)rows || d1 != (uint64_t)cols)) {
        char *got = shape ? cJSON_PrintUnformatted(shape) : NULL;
        int rc = want_dims == 1
                     ? lk_fail(e, LK_EINPUT, "%s: tensor %s: shape %s, config.json says [%lld]",
                               s->path, name, got ? got : "(missing)", (long long)cols)
                     : lk_fail(e, LK_EINPUT, "%s: tensor %s: shape %s, config.json says "
                               "[%lld, %lld]", s->path, name, got ? got : "(missing)",
                               (long long)rows, (long long)cols);
        free(got);
        return rc;
    }
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    uint64_t b = 0, end = 0, elem = dt == DT_F32 ? 4 : 2;
    uint64_t need = (uint64_t)rows * (uint64_t)cols * elem; /* sizes are bounded by the spec */
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 ||
        !get_u64(cJSON_GetArrayItem(off, 0), &b) || !get_u64(cJSON_GetArrayItem(off, 1), &end) ||
        b > end || end > s->data_bytes || end - b != need)
        return lk_fail(e, LK_EINPUT, "%s: tensor %s: data_offsets not [begin, begin + %llu] "
                       "within the %llu data bytes", s->path, name,
                       (unsigned long long)need, (unsigned long long)s->data_bytes);
    const unsigned char *src = s->data + b;
    if (rows == 1 && hd) /* a bias: one value per row of q or k */
        rows = cols, cols = 1;
    for (int64_t r = 0; r < rows; r++) {
        int64_t from = r;
        if (hd) { /* lanky row h*hd + 2i + j <- HF row h*hd + j*hd/2 + i */
            int64_t h = r / hd, i = r % hd / 2, j = r % 2;
            from = h * hd + j * (hd / 2) + i;
        }
        const unsigned char *row = src + (uint64_t)from * (uint64_t)cols * elem;
        for (int64_t c = 0; c < cols; c++)
            dst[r * cols + c] = element(row + c * elem, dt);
    }
    return LK_OK;
}

/* Hugging Face's name of layout tensor t; hd set for q and k. */
static void tensor_name(const arch_tensor *t, const arch_spec *s, char *buf, size_t size,
                        int64_t *hd)
{
    static const char *const names[ARCH_W_COUNT] = {
        [ARCH_W_EMBED] = "model.embed_tokens.weight",
        [ARCH_W_RMS_ATT] = "input_layernorm.weight",
        [ARCH_W_Q] = "self_attn.q_proj.weight", [ARCH_W_K] = "self_attn.k_proj.weight",
        [ARCH_W_V] = "self_attn.v_proj.weight", [ARCH_W_O] = "self_attn.o_proj.weight",
        [ARCH_W_RMS_FFN] = "post_attention_layernorm.weight",
        [ARCH_W_1] = "mlp.gate_proj.weight", [ARCH_W_2] = "mlp.down_proj.weight",
        [ARCH_W_3] = "mlp.up_proj.weight", [ARCH_W_RMS_FINAL] = "model.norm.weight",
        [ARCH_W_CLS] = "lm_head.weight", [ARCH_W_BQ] = "self_attn.q_proj.bias",
        [ARCH_W_BK] = "self_attn.k_proj.bias", [ARCH_W_BV] = "self_attn.v_proj.bias",
    };
    if (t->block >= 0)
        snprintf(buf, size, "model.layers.%lld.%s", (long long)t->block, names[t->id]);
    else
        snprintf(buf, size, "%s", names[t->id]);
    bool qk = t->id == ARCH_W_Q || t->id == ARCH_W_K || t->id == ARCH_W_BQ || t->id == ARCH_W_BK;
    *hd = qk ? s->head_dim : 0;
}

/* Refuse what ref/model.h does not compute: its eps, RoPE frequencies
 * (rope_scaling) and FFN are fixed. */
static int check_config(const cJSON *root, const char *path, const arch_spec *s,
                        lk_err *e)
{
    static const struct {
        const char *key;
        double value;
    } fixed[] = {{"rms_norm_eps", 1e-5}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, fixed[i].key);
        if (v && (!cJSON_IsNumber(v) || v->valuedouble != fixed[i].value))
            return lk_fail(e, LK_EINPUT, "%s: %s: lanky's reference runs %g only",
                           path, fixed[i].key, fixed[i].value);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    if (v && !cJSON_IsNull(v) && !s->rope_factor)
        return lk_fail(e, LK_EINPUT, "%s: rope_scaling: lanky's reference runs none but "
                       "rope_type llama3", path);
    if (s->ffn != ARCH_FFN_SWIGLU)
        return lk_fail(e, LK_EINPUT, "%s: hidden_act: llama checkpoints are silu", path);
    return LK_OK;
}

/* The spec config.json describes, with the caller's choices
 * (arch_spec_take_choices). */
static int folder_spec(const folder *f, arch_spec *s, lk_err *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", f->dir);
    arch_spec user = *s;
    int rc = arch_spec_load_config(s, path, e);
    if (rc)
        return rc;
    cJSON *root = read_json(path, e);
    if (!root)
        return e->code;
    if (!(rc = check_config(root, path, s, e)) &&
        !cJSON_GetObjectItemCaseSensitive(root, "tie_word_embeddings") &&
        !cJSON_GetObjectItemCaseSensitive(root, "share_embedding")) {
        const shard *sh;
        s->tied = find(f, "lm_head.weight", &sh) == NULL;
    }
    cJSON_Delete(root);
    if (rc)
        return rc;
    arch_spec_take_choices(s, &user);
    return arch_spec_finish(s, e);
}

/* ref_tensor_reader of a folder: tensor t by its Hugging Face name. */
typedef struct {
    const folder *f;
    const arch_spec *s;
} reader;

static int read_one(void *ctx, const arch_tensor *t, float *dst, const float **src,
                    lk_err *e)
{
    const reader *r = ctx;
    char name[128];
    int64_t hd;
    (void)src; /* always converted: q and k are re-ordered */
    tensor_name(t, r->s, name, sizeof name, &hd);
    return read_tensor(r->f, name, t->rows, t->cols, hd, dst, e);
}

int ref_hf_load(ref_weights *w, const char *dir, arch_spec *s, pool *p, lk_err *e)
{
    folder f;
    int rc = folder_open(&f, dir, e);
    if (!rc)
        rc = folder_spec(&f, s, e);
    if (!rc)
        rc = ref_weights_read(w, s, read_one, &(reader){&f, s}, dir, p, e);
    folder_close(&f);
    return rc;
}
#else
/* A static build reads no Hugging Face folder (Debian 12 ships no static libcjson; Makefile, STATIC=1). */
int ref_hf_load(ref_weights *w, const char *dir, arch_spec *s, pool *p, lk_err *e)
{
    (void)w, (void)s, (void)p;
    return lk_fail(e, LK_EINPUT, "%s: this static build reads no Hugging Face folder (no "
                   "cJSON); export a llama2.c checkpoint or use GGUF, or the dynamic build", dir);
}
#endif
