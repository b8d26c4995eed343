/* model.c -- the reference transformer's decode step (see model.h). */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/schedule.h"

/* Cache positions converted to f32 at a time by one attention worker:
 * 64 rows of K*hd values stay in L1/L2. */
#define KV_CHUNK 64

/* ---------------------------------------------------------------------- */
/* small vector helpers */

/* The attention loops run over whole chunks of cache rows, compiled
 * twice and chosen at run time (GCC target_clones: AVX-512 where the CPU
 * has it, baseline x86-64 otherwise). Sixteen independent sums per row,
 * so no float reduction needs reassociating. */
typedef float v16 __attribute__((vector_size(64)));
#define CLONES __attribute__((target_clones("avx512f", "default")))

/* The sum of the 16 lanes as a tree of 4 shuffles and adds: a chain of
 * 15 scalar adds per score would cost more than the score's 4 FMAs. */
typedef int32_t v16i __attribute__((vector_size(64)));
static inline __attribute__((always_inline)) float hsum(v16 a)
{
    a += __builtin_shuffle(a, (v16i){8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
    a += __builtin_shuffle(a, (v16i){4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3});
    a += __builtin_shuffle(a, (v16i){2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
    a += __builtin_shuffle(a, (v16i){1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0});
    return a[0];
}

/* att[t] = q . k_t / denom for nt rows k_t = k + t*stride of hd values */
CLONES static void scores(float *att, const float *q, const float *k, int64_t nt,
                          int64_t stride, int64_t hd, float denom)
{
    for (int64_t t = 0; t < nt; t++) {
        const float *kt = k + t * stride;
        v16 acc = {0};
        int64_t i = 0;
        for (; i + 16 <= hd; i += 16) {
            v16 a, b;
            memcpy(&a, q + i, sizeof a);
            memcpy(&b, kt + i, sizeof b);
            acc += a * b;
        }
        float sum = hsum(acc);
        for (; i < hd; i++)
            sum += q[i] * kt[i];
        att[t] = sum / denom;
    }
}

/* out += sum_t att[t] * v_t for nt rows v_t = v + t*stride of hd values */
CLONES static void mix_values(float *out, const float *att, const float *v,
                              int64_t nt, int64_t stride, int64_t hd)
{
    int64_t i = 0;
    for (; i + 16 <= hd; i += 16) {
        v16 acc, vt;
        memcpy(&acc, out + i, sizeof acc);
        for (int64_t t = 0; t < nt; t++) {
            memcpy(&vt, v + t * stride + i, sizeof vt);
            acc += att[t] * vt;
        }
        memcpy(out + i, &acc, sizeof acc);
    }
    for (; i < hd; i++)
        for (int64_t t = 0; t < nt; t++)
            out[i] += att[t] * v[t * stride + i];
}

static void add(float *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += x[i];
}

/* llama2.c's rmsnorm: o = weight * x / sqrt(mean(x^2) + 1e-5) */
static void rmsnorm(float *o, const float *x, const float *weight, int64_t n)
{
    float ss = 0.0f;
    for (int64_t j = 0; j < n; j++)
        ss += x[j] * x[j];
    ss /= (float)n;
    ss += 1e-5f;
    ss = 1.0f / sqrtf(ss);
    for (int64_t j = 0; j < n; j++)
        o[j] = weight[j] * (ss * x[j]);
}

static void softmax(float *x, int64_t n)
{
    float max = x[0], sum = 0.0f;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int64_t i = 0; i < n; i++)
        x[i] /= sum;
}

/* cos and sin of pos * 10000^(-i/hd) for even i, as llama2.c computes them */
static void rope_table(float *rope, int64_t hd, int64_t pos)
{
    for (int64_t i = 0; i < hd; i += 2) {
        float freq = 1.0f / powf(10000.0f, (float)i / (float)hd);
        float val = (float)pos * freq;
        rope[i] = cosf(val);
        rope[i + 1] = sinf(val);
    }
}

/* rotate the adjacent pairs (i, i+1) of every head in v (n values) */
static void rope_apply(float *v, int64_t n, int64_t hd, const float *rope)
{
    for (int64_t i = 0; i < n; i += 2) {
        float c = rope[i % hd], s = rope[i % hd + 1], v0 = v[i], v1 = v[i + 1];
        v[i] = v0 * c - v1 * s;
        v[i + 1] = v0 * s + v1 * c;
    }
}

/* ---------------------------------------------------------------------- */
/* parallel mat-vec: up to three matrices with the same input, their rows
 * concatenated and split into one contiguous range per thread */

typedef struct {
    int n;
    const kern_mat *w[3];
    float *out[3];
    kern_act act;
} matvec_job;

static void matvec_rows(void *arg, int i, int n)
{
    const matvec_job *j = arg;
    int64_t total = 0, base = 0;
    for (int m = 0; m < j->n; m++)
        total += j->w[m]->rows;
    /* ranges start on multiples of 16 rows: whole cache lines of output */
    int64_t r0 = (total * i / n) & ~(int64_t)15;
    int64_t r1 = i + 1 == n ? total : (total * (i + 1) / n) & ~(int64_t)15;
    for (int m = 0; m < j->n; base += j->w[m]->rows, m++) {
        int64_t lo = r0 - base, hi = r1 - base, rows = j->w[m]->rows;
        lo = lo < 0 ? 0 : lo;
        hi = hi > rows ? rows : hi;
        if (lo < hi)
            kern_matvec(j->out[m] + lo, j->w[m], &j->act, lo, hi);
    }
}

static void matvec(ref_state *s, const float *x, int64_t xn, int n,
                   const kern_mat *const *w, float *const *out)
{
    matvec_job j = {.n = n};
    for (int m = 0; m < n; m++) {
        j.w[m] = w[m];
        j.out[m] = out[m];
    }
    kern_act_prepare(&j.act, w[0]->type, x, xn, s->xq);
    pool_run(s->pool, matvec_rows, &j);
}

#define MATS(...) (const kern_mat *const[]){__VA_ARGS__}
#define OUTS(...) (float *const[]){__VA_ARGS__}

/* ---------------------------------------------------------------------- */
/* attention, heads split across threads */

/* The key (which 0) or value (which 1) cache of executed layer l. */
static unsigned char *cache(const ref_state *s, int64_t l, int which)
{
    uint64_t rows = (uint64_t)s->w->spec.seq_len * (uint64_t)(2 * l + which);
    return s->kv + rows * (uint64_t)s->kv_dim * (uint64_t)arch_dtype_size(s->kv_type);
}

/* Cache rows [t0, t0+n) as f32: the cache itself when it is f32, else
 * converted into buf. */
static const float *cache_rows(const ref_state *s, const unsigned char *c,
                               int64_t t0, int64_t n, float *buf)
{
    const unsigned char *src = c + t0 * s->kv_dim * arch_dtype_size(s->kv_type);
    if (s->kv_type == ARCH_F32)
        return (const float *)src;
    kern_to_f32(s->kv_type, buf, src, n * s->kv_dim);
    return buf;
}

typedef struct {
    ref_state *s;
    int64_t layer, pos;
} attn_job;

static void attention(void *arg, int i, int n)
{
    const attn_job *j = arg;
    ref_state *s = j->s;
    const arch_spec *p = &s->w->spec;
    int64_t H = p->heads, hd = p->head_dim, group = H / p->kv_heads;
    int64_t T = j->pos + 1, h0 = H * i / n, h1 = H * (i + 1) / n;
    const unsigned char *keys = cache(s, j->layer, 0), *vals = cache(s, j->layer, 1);
    float *buf = s->kvbuf + (int64_t)i * KV_CHUNK * s->kv_dim;
    float denom = sqrtf((float)hd);

    for (int64_t t0 = 0; t0 < T && h0 < h1; t0 += KV_CHUNK) {
        int64_t nt = T - t0 < KV_CHUNK ? T - t0 : KV_CHUNK;
        const float *k = cache_rows(s, keys, t0, nt, buf);
        for (int64_t h = h0; h < h1; h++)
            scores(s->att + h * p->seq_len + t0, s->q + h * hd, k + (h / group) * hd,
                   nt, s->kv_dim, hd, denom);
    }
    for (int64_t h = h0; h < h1; h++) {
        softmax(s->att + h * p->seq_len, T);
        memset(s->xb + h * hd, 0, (size_t)hd * sizeof(float));
    }
    for (int64_t t0 = 0; t0 < T && h0 < h1; t0 += KV_CHUNK) {
        int64_t nt = T - t0 < KV_CHUNK ? T - t0 : KV_CHUNK;
        const float *v = cache_rows(s, vals, t0, nt, buf);
        for (int64_t h = h0; h < h1; h++)
            mix_values(s->xb + h * hd, s->att + h * p->seq_len + t0,
                       v + (h / group) * hd, nt, s->kv_dim, hd);
    }
}

/* ---------------------------------------------------------------------- */
/* the forward pass */

const float *ref_forward(ref_state *s, int64_t token, int64_t pos)
{
    const ref_weights *w = s->w;
    const arch_spec *p = &w->spec;
    int64_t dim = p->dim, hd = p->head_dim, qdim = p->heads * hd, kvd = s->kv_dim;
    size_t kv_row = (size_t)kvd * (size_t)arch_dtype_size(s->kv_type);

    kern_row_f32(&w->embed, token, s->x);
    rope_table(s->rope, hd, pos);
    for (int64_t l = 0; l < s->n_exec; l++) {
        const ref_block *b = &w->blocks[s->sched[l]];

        /* attention: x += wo(attn(rope(wq xb), rope(wk xb), wv xb)) */
        rmsnorm(s->xb, s->x, b->rms_att, dim);
        matvec(s, s->xb, dim, 3, MATS(&b->wq, &b->wk, &b->wv), OUTS(s->q, s->k, s->v));
        rope_apply(s->q, qdim, hd, s->rope);
        rope_apply(s->k, kvd, hd, s->rope);
        kern_from_f32(s->kv_type, cache(s, l, 0) + (size_t)pos * kv_row, s->k, kvd);
        kern_from_f32(s->kv_type, cache(s, l, 1) + (size_t)pos * kv_row, s->v, kvd);
        pool_run(s->pool, attention, &(attn_job){s, l, pos});
        matvec(s, s->xb, qdim, 1, MATS(&b->wo), OUTS(s->xb2));
        add(s->x, s->xb2, dim);

        /* feed-forward: x += w2(silu(w1 xb) * w3 xb)  or  w2(relu(w1 xb)) */
        rmsnorm(s->xb, s->x, b->rms_ffn, dim);
        if (p->ffn == ARCH_FFN_SWIGLU) {
            matvec(s, s->xb, dim, 2, MATS(&b->w1, &b->w3), OUTS(s->hb, s->hb2));
            for (int64_t i = 0; i < p->ffn_dim; i++)
                s->hb[i] = s->hb[i] / (1.0f + expf(-s->hb[i])) * s->hb2[i];
        } else {
            matvec(s, s->xb, dim, 1, MATS(&b->w1), OUTS(s->hb));
            for (int64_t i = 0; i < p->ffn_dim; i++)
                s->hb[i] = s->hb[i] > 0.0f ? s->hb[i] : 0.0f;
        }
        matvec(s, s->hb, p->ffn_dim, 1, MATS(&b->w2), OUTS(s->xb2));
        add(s->x, s->xb2, dim);
    }
    rmsnorm(s->x, s->x, w->rms_final, dim);
    matvec(s, s->x, dim, 1, MATS(&w->cls), OUTS(s->logits));
    return s->logits;
}

const float *ref_prefill(ref_state *s, const int64_t *tokens, int64_t n)
{
    const float *logits = NULL;
    for (int64_t i = 0; i < n; i++)
        logits = ref_forward(s, tokens[i], i);
    return logits;
}

/* ---------------------------------------------------------------------- */
/* state */

arch_dtype ref_kv_type(arch_dtype t)
{
    return t == ARCH_INT8 ? ARCH_F16 : t;
}

static float *floats(int64_t n)
{
    return calloc((size_t)n, sizeof(float));
}

int ref_state_build(ref_state *s, const ref_weights *w, pool *p, lk_err *e)
{
    const arch_spec *sp = &w->spec;
    int64_t dim = sp->dim, qdim = sp->heads * sp->head_dim, ffn = sp->ffn_dim;
    int64_t big = dim > qdim ? dim : qdim;
    int64_t qn = big > ffn ? big : ffn;
    memset(s, 0, sizeof *s);
    s->w = w;
    s->pool = p;
    s->n_exec = arch_executed_layers(sp);
    s->kv_type = ref_kv_type(sp->dtype);
    s->kv_dim = sp->kv_heads * sp->head_dim;
    s->kv_bytes = (uint64_t)s->n_exec * 2 * (uint64_t)sp->seq_len *
                  (uint64_t)s->kv_dim * (uint64_t)arch_dtype_size(s->kv_type);
    void *kv = NULL;
    if (posix_memalign(&kv, ARCH_ALIGN, s->kv_bytes ? s->kv_bytes : ARCH_ALIGN))
        kv = NULL;
    s->kv = kv;
    s->sched = malloc((size_t)s->n_exec * sizeof *s->sched);
    s->x = floats(dim);
    s->xb = floats(big);
    s->xb2 = floats(dim);
    s->q = floats(qdim);
    s->k = floats(s->kv_dim);
    s->v = floats(s->kv_dim);
    s->hb = floats(ffn);
    s->hb2 = floats(ffn);
    s->att = floats(sp->heads * sp->seq_len);
    s->kvbuf = floats((int64_t)pool_threads(p) * KV_CHUNK * s->kv_dim);
    s->rope = floats(sp->head_dim + 1);
    s->logits = floats(sp->vocab);
    s->xq = calloc((size_t)((qn + 63) / 64 * 64), 1);
    if (!s->kv || !s->sched || !s->x || !s->xb || !s->xb2 || !s->q || !s->k ||
        !s->v || !s->hb || !s->hb2 || !s->att || !s->kvbuf || !s->rope ||
        !s->logits || !s->xq) {
        ref_state_free(s);
        return lk_fail(e, LK_ERUN, "model state: out of memory (KV cache %llu bytes)",
                       (unsigned long long)s->kv_bytes);
    }
    memset(s->kv, 0, s->kv_bytes); /* first touch */
    arch_schedule(sp, s->sched);
    return LK_OK;
}

void ref_state_free(ref_state *s)
{
    free(s->kv);
    free(s->sched);
    free(s->x);
    free(s->xb);
    free(s->xb2);
    free(s->q);
    free(s->k);
    free(s->v);
    free(s->hb);
    free(s->hb2);
    free(s->att);
    free(s->kvbuf);
    free(s->rope);
    free(s->logits);
    free(s->xq);
    memset(s, 0, sizeof *s);
}

void ref_state_fill_kv(ref_state *s, int64_t n)
{
    float *row = s->kvbuf; /* kv_dim floats of scratch */
    size_t kv_row = (size_t)s->kv_dim * (size_t)arch_dtype_size(s->kv_type);
    for (int64_t l = 0; l < s->n_exec; l++)
        for (int which = 0; which < 2; which++)
            for (int64_t t = 0; t < n; t++) {
                for (int64_t c = 0; c < s->kv_dim; c++)
                    row[c] = sinf((float)(t * 7 + c * 3 + l + which));
                kern_from_f32(s->kv_type, cache(s, l, which) + (size_t)t * kv_row,
                              row, s->kv_dim);
            }
}
