/* layout.c -- tensor shapes, parameter counts, bytes and blob layout.
 *
 * One walk over the tensors of a model (walk_tensors) feeds both the
 * parameter count and the layout, so the two cannot disagree. */
#include "layout.h"

#include <stdlib.h>

#include "schedule.h"

static const char *const weight_names[] = {
    "embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn",
    "w1", "w2", "w3", "rms_final", "classifier", "bq", "bk", "bv",
};
static const char *const class_names[] = {
    "embedding", "classifier", "attention", "ffn", "norm",
};

const char *arch_weight_name(arch_weight w) { return weight_names[w]; }
const char *arch_class_name(arch_class c) { return class_names[c]; }

arch_dtype arch_kv_type(arch_dtype d)
{
    return d == ARCH_INT8 || d == ARCH_INT4 ? ARCH_F16 : d; /* see layout.h */
}

int arch_kv_size(arch_dtype d)
{
    return arch_dtype_size(arch_kv_type(d));
}

arch_dtype arch_spec_kv_type(const arch_spec *s)
{
    return s->kv_dtype == ARCH_KV_FOLLOWS ? arch_kv_type(s->dtype) : s->kv_dtype;
}

uint64_t arch_kv_row_bytes(const arch_spec *s)
{
    arch_dtype t = arch_spec_kv_type(s);
    return (uint64_t)s->head_dim * (uint64_t)arch_dtype_size(t) + (t == ARCH_INT8 ? 4 : 0);
}

bool arch_layer_is_global(const arch_spec *s, int64_t layer)
{
    if (!s->window)
        return true;
    if (!s->global_every)
        return false;
    if (s->global_first_last) /* MobileLLM-Pro's layer_types (spec.h) */
        return layer % s->global_every == 0 || layer == arch_executed_layers(s) - 1;
    return layer % s->global_every == s->global_every - 1;
}

int64_t arch_kv_positions(const arch_spec *s, int64_t layer)
{
    return arch_layer_is_global(s, layer) || s->window > s->seq_len ? s->seq_len : s->window;
}

bool arch_weight_is_norm(arch_weight id)
{
    return id == ARCH_W_RMS_ATT || id == ARCH_W_RMS_FFN || id == ARCH_W_RMS_FINAL;
}

bool arch_weight_is_vector(arch_weight id)
{
    return arch_weight_is_norm(id) || id == ARCH_W_BQ || id == ARCH_W_BK || id == ARCH_W_BV;
}

arch_dtype arch_tensor_type(const arch_spec *s, arch_weight id)
{
    if (arch_weight_is_vector(id))
        return ARCH_F32;
    if ((id == ARCH_W_EMBED || id == ARCH_W_CLS) && s->embed_dtype != ARCH_EMBED_FOLLOWS)
        return s->embed_dtype;
    return s->dtype;
}

bool arch_stored_f32(const arch_spec *s)
{
    return s->dtype == ARCH_F32 && arch_tensor_type(s, ARCH_W_EMBED) == ARCH_F32;
}

uint64_t arch_tensor_bytes(arch_dtype d, int64_t group, arch_weight id, int64_t rows,
                           int64_t cols)
{
    uint64_t n = (uint64_t)rows * (uint64_t)cols;
    if (arch_weight_is_vector(id))
        return 4 * n; /* norms and biases stay f32 */
    /* int8: one f32 scale per row (per output channel) */
    if (d == ARCH_INT8)
        return arch_int8_scales_offset(rows, cols) + 4 * (uint64_t)rows;
    /* int4: one f16 scale per group of a row */
    if (d == ARCH_INT4)
        return arch_int4_scales_offset(rows, cols) + 2 * (n / (uint64_t)group);
    return arch_data_bytes(d, (int64_t)n);
}

uint64_t arch_int8_scales_offset(int64_t rows, int64_t cols)
{
    return ((uint64_t)rows * (uint64_t)cols + 3) / 4 * 4;
}

uint64_t arch_int4_scales_offset(int64_t rows, int64_t cols)
{
    return arch_data_bytes(ARCH_INT4, rows * cols);
}

uint64_t arch_data_bytes(arch_dtype d, int64_t n)
{
    return d == ARCH_INT4 ? (uint64_t)n / 2 : (uint64_t)n * (uint64_t)arch_dtype_size(d);
}

typedef int (*visit_fn)(void *ctx, const arch_tensor *t);

static int visit(const arch_spec *s, visit_fn fn, void *ctx, arch_weight id,
                 arch_class cls, int64_t block, int64_t rows, int64_t cols)
{
    arch_tensor t = {.id = id, .cls = cls, .block = block, .rows = rows, .cols = cols,
                     .dtype = arch_tensor_type(s, id)};
    return fn(ctx, &t);
}

/* Call fn for every tensor of the model in blob order. */
static int walk_tensors(const arch_spec *s, visit_fn fn, void *ctx)
{
    int64_t d = s->dim, q = s->heads * s->head_dim, kv = s->kv_heads * s->head_dim;
    int64_t f = s->ffn_dim;
    int rc;
    if ((rc = visit(s, fn, ctx, ARCH_W_EMBED, ARCH_C_EMBED, -1, s->vocab, d)))
        return rc;
    for (int64_t b = 0; b < s->layers; b++) {
        if ((rc = visit(s, fn, ctx, ARCH_W_RMS_ATT, ARCH_C_NORM, b, 1, d)) ||
            (rc = visit(s, fn, ctx, ARCH_W_Q, ARCH_C_ATTN, b, q, d)) ||
            (rc = visit(s, fn, ctx, ARCH_W_K, ARCH_C_ATTN, b, kv, d)) ||
            (rc = visit(s, fn, ctx, ARCH_W_V, ARCH_C_ATTN, b, kv, d)))
            return rc;
        if (s->attn_bias &&
            ((rc = visit(s, fn, ctx, ARCH_W_BQ, ARCH_C_ATTN, b, 1, q)) ||
             (rc = visit(s, fn, ctx, ARCH_W_BK, ARCH_C_ATTN, b, 1, kv)) ||
             (rc = visit(s, fn, ctx, ARCH_W_BV, ARCH_C_ATTN, b, 1, kv))))
            return rc;
        if ((rc = visit(s, fn, ctx, ARCH_W_O, ARCH_C_ATTN, b, d, q)) ||
            (rc = visit(s, fn, ctx, ARCH_W_RMS_FFN, ARCH_C_NORM, b, 1, d)) ||
            (rc = visit(s, fn, ctx, ARCH_W_1, ARCH_C_FFN, b, f, d)) ||
            (rc = visit(s, fn, ctx, ARCH_W_2, ARCH_C_FFN, b, d, f)))
            return rc;
        if (s->ffn == ARCH_FFN_SWIGLU &&
            (rc = visit(s, fn, ctx, ARCH_W_3, ARCH_C_FFN, b, f, d)))
            return rc;
    }
    if ((rc = visit(s, fn, ctx, ARCH_W_RMS_FINAL, ARCH_C_NORM, -1, 1, d)))
        return rc;
    if (!s->tied)
        rc = visit(s, fn, ctx, ARCH_W_CLS, ARCH_C_CLASSIFIER, -1, s->vocab, d);
    return rc;
}

/* ---- parameter counts ------------------------------------------------ */

typedef struct {
    const arch_spec *s;
    arch_params *p;
} count_ctx;

/* No overflow checks: arch_spec_finish() bounds the rows, the matrices and
 * the layers so that every count stays below 2^62 (spec.h). */
static int count_one(void *ctx, const arch_tensor *t)
{
    count_ctx *c = ctx;
    arch_params *p = c->p;
    int64_t n = t->rows * t->cols;
    uint64_t bytes = arch_tensor_bytes(t->dtype, c->s->group, t->id, t->rows, t->cols);
    p->by_class[t->cls] += n;
    p->total += n;
    if (!arch_weight_is_vector(t->id))
        p->paper += n;
    p->weight_bytes += bytes;
    if (t->block == 0)
        p->block_bytes += bytes;
    return LK_OK;
}

/* p->weight_read_bytes and p->kv_read_bytes (see layout.h); within 64
 * bits, as ctx < seq_len and the bounds of arch_spec_finish() keep the
 * bytes of all executed layers' weights below 2^62 (and the KV bytes read are at most
 * kv_bytes, checked by the caller). */
static void read_bytes(const arch_spec *s, arch_params *p)
{
    uint64_t executed = (uint64_t)arch_executed_layers(s);
    arch_dtype et = arch_tensor_type(s, ARCH_W_EMBED);
    uint64_t cls = arch_tensor_bytes(et, s->group, s->tied ? ARCH_W_EMBED : ARCH_W_CLS,
                                     s->vocab, s->dim);
    uint64_t embed_row = arch_tensor_bytes(et, s->group, ARCH_W_EMBED, 1, s->dim);
    uint64_t final_norm = arch_tensor_bytes(ARCH_F32, s->group, ARCH_W_RMS_FINAL, 1, s->dim);
    p->weight_read_bytes = p->block_bytes * executed + final_norm + cls + embed_row;
    uint64_t pos = (uint64_t)s->ctx + 1, n = 0; /* ctx < seq_len */
    for (uint64_t l = 0; l < executed; l++) {
        uint64_t kept = (uint64_t)arch_kv_positions(s, (int64_t)l);
        n += kept < pos ? kept : pos;
    }
    p->kv_read_bytes = p->kv_bytes_per_layer_token * n;
}

int arch_params_count(const arch_spec *s, arch_params *p, lk_err *e)
{
    *p = (arch_params){0};
    count_ctx c = {s, p};
    walk_tensors(s, count_one, &c);
    /* kv_heads x head_dim <= INT_MAX: the bytes of one layer and token fit;
     * times the positions of all executed layers (up to 2^16 x INT_MAX)
     * they may not */
    uint64_t kv = 2 * (uint64_t)s->kv_heads * arch_kv_row_bytes(s);
    p->kv_bytes_per_layer_token = kv;
    /* positions kept: seq_len in each global layer, the window in each
     * local one (arch_kv_positions); at most 2^16 x INT_MAX in all */
    uint64_t n = 0;
    for (int64_t l = 0; l < arch_executed_layers(s); l++)
        n += (uint64_t)arch_kv_positions(s, l);
    if (__builtin_mul_overflow(kv, n, &p->kv_bytes))
        return lk_fail(e, LK_EINPUT, "seq_len: the KV cache of this model overflows 64-bit byte counts");
    read_bytes(s, p);
    return LK_OK;
}

/* ---- layout ---------------------------------------------------------- */

typedef struct {
    const arch_spec *s;
    arch_layout *l;
    int64_t cap;
} layout_ctx;

static int place_one(void *ctx, const arch_tensor *t)
{
    layout_ctx *c = ctx;
    arch_layout *l = c->l;
    if (l->n == c->cap) {
        int64_t cap = c->cap ? 2 * c->cap : 64;
        arch_tensor *nt = realloc(l->t, cap * sizeof *nt);
        if (!nt)
            return LK_ERUN;
        l->t = nt;
        c->cap = cap;
    }
    arch_tensor *x = &l->t[l->n++];
    *x = *t;
    x->bytes = arch_tensor_bytes(t->dtype, c->s->group, t->id, t->rows, t->cols);
    x->offset = (l->blob_bytes + ARCH_ALIGN - 1) / ARCH_ALIGN * ARCH_ALIGN;
    l->blob_bytes = x->offset + x->bytes;
    return LK_OK;
}

int arch_layout_build(arch_layout *l, const arch_spec *s, lk_err *e)
{
    *l = (arch_layout){0};
    l->per_block = (s->ffn == ARCH_FFN_SWIGLU ? 9 : 8) + (s->attn_bias ? 3 : 0);
    layout_ctx c = {s, l, 0};
    if (walk_tensors(s, place_one, &c)) {
        arch_layout_free(l);
        return lk_fail(e, LK_ERUN, "layout: out of memory");
    }
    return LK_OK;
}

void arch_layout_free(arch_layout *l)
{
    free(l->t);
    *l = (arch_layout){0};
}

const arch_tensor *arch_layout_find(const arch_layout *l, arch_weight id,
                                    int64_t block)
{
    /* blob order: embedding, per_block tensors per block, final norm,
     * classifier; w3 (ReLU) and the biases may be absent from a block,
     * so its tensors are searched (a dozen at most) */
    if (id == ARCH_W_EMBED)
        return &l->t[0];
    if (id == ARCH_W_RMS_FINAL || id == ARCH_W_CLS) {
        int64_t i = l->n - (l->t[l->n - 1].id == ARCH_W_CLS ? 2 : 1) + (id == ARCH_W_CLS);
        return i < l->n && l->t[i].id == id ? &l->t[i] : NULL;
    }
    for (int64_t i = 1 + block * l->per_block; block >= 0 && i < l->n &&
                                               i < 1 + (block + 1) * l->per_block; i++)
        if (l->t[i].id == id && l->t[i].block == block)
            return &l->t[i];
    return NULL;
}
