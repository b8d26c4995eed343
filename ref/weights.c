/* weights.c -- seeded weights and the arch_layout blob (see weights.h). */
#include "weights.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/rand.h"
#include "ckpt.h"
#include "mem.h"

static uint64_t mix(uint64_t state, uint64_t v)
{
    state ^= v * 0xD6E8FEB86659FD93ull;
    return lk_splitmix64(&state);
}

void ref_weights_seed_row(const arch_spec *s, uint64_t seed, arch_weight id,
                          int64_t block, int64_t r, int64_t cols, float *dst)
{
    uint64_t state = mix(mix(mix(seed, (uint64_t)id + 1), (uint64_t)(block + 2)),
                         (uint64_t)r);
    /* uniform on [-a, a] has variance a^2/3: a = sqrt(3/fan_in) gives
     * variance 1/fan_in; residual writers get GPT-2's 1/sqrt(2 n_layers). */
    double a = sqrt(3.0 / (double)cols);
    if (id == ARCH_W_O || id == ARCH_W_2)
        a /= sqrt(2.0 * (double)arch_executed_layers(s));
    float fa = arch_weight_is_vector(id) ? 0.1f : (float)a,
          base = arch_weight_is_norm(id) ? 1.0f : 0.0f;
    for (int64_t c = 0; c < cols; c++) {
        /* 24 random bits are exact in a float: u in [0, 1), 2u-1 exact */
        float u = (float)(lk_splitmix64(&state) >> 40) * 0x1p-24f;
        dst[c] = base + (2.0f * u - 1.0f) * fa;
    }
}

/* Point the tensors of w at ptr[i], one per layout tensor. */
static void bind(ref_weights *w, const arch_layout *l, const void *const *ptr)
{
    for (int64_t i = 0; i < l->n; i++) {
        const arch_tensor *t = &l->t[i];
        arch_dtype mat_type = t->dtype;
        kern_mat m = {.type = mat_type, .rows = t->rows, .cols = t->cols, .data = ptr[i]};
        if (mat_type == ARCH_INT8)
            m.scales = (const float *)((const unsigned char *)ptr[i] +
                                       arch_int8_scales_offset(t->rows, t->cols));
        if (mat_type == ARCH_INT4) {
            m.scales_f16 = (const uint16_t *)((const unsigned char *)ptr[i] +
                                              arch_int4_scales_offset(t->rows, t->cols));
            m.group = w->spec.group;
        }
        ref_block *b = t->block >= 0 ? &w->blocks[t->block] : NULL;
        switch (t->id) {
        case ARCH_W_EMBED: w->embed = m; break;
        case ARCH_W_RMS_ATT: b->rms_att = ptr[i]; break;
        case ARCH_W_Q: b->wq = m; break;
        case ARCH_W_K: b->wk = m; break;
        case ARCH_W_V: b->wv = m; break;
        case ARCH_W_BQ: b->bq = ptr[i]; break;
        case ARCH_W_BK: b->bk = ptr[i]; break;
        case ARCH_W_BV: b->bv = ptr[i]; break;
        case ARCH_W_O: b->wo = m; break;
        case ARCH_W_RMS_FFN: b->rms_ffn = ptr[i]; break;
        case ARCH_W_1: b->w1 = m; break;
        case ARCH_W_2: b->w2 = m; break;
        case ARCH_W_3: b->w3 = m; break;
        case ARCH_W_RMS_FINAL: w->rms_final = ptr[i]; break;
        case ARCH_W_CLS: w->cls = m; break;
        case ARCH_W_COUNT: break;
        }
    }
    if (w->spec.tied)
        w->cls = w->embed;
}

/* One tensor filled row by row on every worker. */
typedef struct {
    const arch_spec *s;
    const arch_tensor *t;
    unsigned char *dst;
    const float *src;  /* f32 source tensor, or NULL: seeded */
    uint64_t seed;
    float *scratch;    /* per worker: max cols floats */
    int64_t max_cols;
    atomic_bool unfit; /* src holds a value the type cannot hold */
} fill_job;

/* The largest magnitude each type holds: f16's largest finite value (a
 * larger one would become an infinity, and NaN logits); int4 7 times it
 * (its f16 scale is max|w| / 7); bf16 and int8 (scaled per row) take any
 * finite f32. */
static float type_max(arch_dtype type)
{
    return type == ARCH_F16 ? 65504.0f : type == ARCH_INT4 ? 7 * 65504.0f : FLT_MAX;
}

/* Every value finite and within max (false for NaN too). */
static bool all_within(const float *v, int64_t n, float max)
{
    bool ok = true;
    for (int64_t i = 0; i < n; i++)
        ok &= fabsf(v[i]) <= max;
    return ok;
}

static void fill_rows(void *arg, int i, int n)
{
    fill_job *j = arg;
    const arch_tensor *t = j->t;
    arch_dtype type = t->dtype;
    int64_t r0 = t->rows * i / n, r1 = t->rows * (i + 1) / n;
    float *row = j->scratch + (int64_t)i * j->max_cols;
    for (int64_t r = r0; r < r1; r++) {
        const float *v = row;
        if (j->src) {
            v = j->src + r * t->cols;
            /* refused by fill_blob; converting NaN to int8 would be undefined */
            if (!all_within(v, t->cols, type_max(type))) {
                atomic_store(&j->unfit, true);
                continue;
            }
        } else
            ref_weights_seed_row(j->s, j->seed, t->id, t->block, r, t->cols, row);
        if (type == ARCH_INT8)
            kern_quantize_rows((int8_t *)j->dst + r * t->cols,
                               (float *)(j->dst + arch_int8_scales_offset(t->rows, t->cols)) + r,
                               v, 1, t->cols);
        else if (type == ARCH_INT4)
            kern_quantize_int4(j->dst + r * (t->cols / 2),
                               (uint16_t *)(j->dst + arch_int4_scales_offset(t->rows, t->cols)) +
                                   r * (t->cols / j->s->group),
                               v, t->cols, j->s->group);
        else
            kern_from_f32(type, j->dst + r * t->cols * arch_dtype_size(type), v,
                          t->cols);
    }
}

static int64_t max_cols(const arch_layout *l)
{
    int64_t m = 0;
    for (int64_t i = 0; i < l->n; i++)
        if (l->t[i].cols > m)
            m = l->t[i].cols;
    return m;
}

static int start(ref_weights *w, arch_layout *l, const arch_spec *s, lk_err *e)
{
    memset(w, 0, sizeof *w);
    w->spec = *s;
    int rc = arch_layout_build(l, s, e);
    if (rc)
        return rc;
    w->blocks = calloc((size_t)s->layers, sizeof *w->blocks);
    if (!w->blocks) {
        arch_layout_free(l);
        return lk_fail(e, LK_ERUN, "weights: out of memory");
    }
    return LK_OK;
}

/* Build the blob of layout l from src (NULL: seeded) and bind w to it. */
static int fill_blob(ref_weights *w, const arch_layout *l, const float *const *src,
                     uint64_t seed, pool *p, lk_err *e)
{
    uint64_t bytes = l->blob_bytes, have = mem_physical();
    if (bytes > have)
        return lk_fail(e, LK_ERUN, "weights: need %.1f GB, this machine has %.1f GB",
                       (double)bytes / 1e9, (double)have / 1e9);
    void *blob = mem_huge_alloc(bytes); /* zeroed; page-aligned, so ARCH_ALIGN too */
    if (!blob)
        return lk_fail(e, LK_ERUN, "weights: cannot allocate %llu bytes",
                       (unsigned long long)bytes);
    w->blob = blob;
    w->blob_bytes = bytes;
    void **ptr = malloc((size_t)l->n * sizeof *ptr);
    fill_job j = {.s = &w->spec, .seed = seed, .max_cols = max_cols(l)};
    j.scratch = malloc((size_t)(pool_threads(p) * j.max_cols) * sizeof(float));
    if (!ptr || !j.scratch) {
        free(ptr);
        free(j.scratch);
        return lk_fail(e, LK_ERUN, "weights: out of memory");
    }
    int rc = LK_OK;
    for (int64_t i = 0; i < l->n && !rc; i++) {
        const arch_tensor *t = j.t = &l->t[i];
        j.dst = w->blob + t->offset;
        j.src = src ? src[i] : NULL;
        ptr[i] = j.dst;
        pool_run(p, fill_rows, &j); /* padding stays zero: blobs compare */
        if (atomic_load(&j.unfit)) {
            char at[32] = ""; /* global tensors have no block */
            if (t->block >= 0)
                snprintf(at, sizeof at, " of block %lld", (long long)t->block);
            rc = lk_fail(e, LK_EINPUT, "%s%s: a weight is NaN, infinite or beyond %s's range",
                         arch_weight_name(t->id), at,
                         arch_dtype_name(t->dtype));
        }
    }
    if (!rc)
        bind(w, l, (const void *const *)ptr);
    free(ptr);
    free(j.scratch);
    return rc;
}

int ref_weights_seeded(ref_weights *w, const arch_spec *s, uint64_t seed,
                       pool *p, lk_err *e)
{
    arch_layout l;
    int rc = start(w, &l, s, e);
    if (rc)
        return rc;
    rc = fill_blob(w, &l, NULL, seed, p, e);
    arch_layout_free(&l);
    if (rc)
        ref_weights_free(w);
    return rc;
}

int ref_weights_from_f32(ref_weights *w, const arch_spec *s,
                         const float *const *src, pool *p, lk_err *e)
{
    arch_layout l;
    int rc = start(w, &l, s, e);
    if (rc)
        return rc;
    /* f32 is used in place, unchecked for NaN and infinities: a check
     * would read the whole (mapped) file at load instead of as the model
     * runs, and f32 arithmetic, unlike the int8 conversion, is defined
     * for them (the logits come out NaN, which the user sees) */
    if (arch_stored_f32(s))
        bind(w, &l, (const void *const *)src);
    else
        rc = fill_blob(w, &l, src, 0, p, e);
    arch_layout_free(&l);
    if (rc)
        ref_weights_free(w);
    return rc;
}

int ref_weights_read(ref_weights *w, const arch_spec *s, ref_tensor_reader read,
                     void *ctx, const char *what, pool *p, lk_err *e)
{
    arch_spec s32 = *s;
    s32.dtype = ARCH_F32;
    s32.embed_dtype = ARCH_EMBED_FOLLOWS;
    arch_layout l;
    int rc = arch_layout_build(&l, &s32, e);
    if (rc)
        return rc;
    uint64_t bytes = l.blob_bytes;
    unsigned char *blob = bytes <= mem_physical() ? mem_huge_alloc(bytes) : NULL;
    const float **src = malloc((size_t)l.n * sizeof *src);
    if (!blob || !src)
        rc = lk_fail(e, LK_ERUN, "%s: cannot allocate %.1f MB for the f32 weights", what,
                     (double)bytes / 1e6);
    for (int64_t i = 0; i < l.n && !rc; i++) {
        float *dst = (float *)(blob + l.t[i].offset);
        src[i] = dst;
        rc = read(ctx, &l.t[i], dst, &src[i], e);
    }
    arch_layout_free(&l);
    if (!rc && (rc = ref_weights_from_f32(w, s, src, p, e)))
        lk_prefix(e, "%s", what);
    free(src);
    if (!rc && arch_stored_f32(s)) { /* w points into the f32 blob: w owns it */
        w->blob = blob;
        w->blob_bytes = bytes;
        return LK_OK;
    }
    mem_huge_free(blob, bytes);
    return rc;
}

int ref_weights_load(ref_weights *w, arch_spec *s, uint64_t seed,
                     const char *checkpoint, pool *p, lk_err *e)
{
    if (checkpoint)
        return ckpt_load(w, checkpoint, s, p, e);
    return ref_weights_seeded(w, s, seed, p, e);
}

void ref_weights_free(ref_weights *w)
{
    mem_huge_free(w->blob, w->blob_bytes);
    free(w->blocks);
    if (w->map)
        munmap(w->map, w->map_bytes);
    memset(w, 0, sizeof *w);
}
