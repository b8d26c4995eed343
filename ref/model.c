/* model.c -- the reference transformer's decode step (see model.h). */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/clock.h"
#include "mem.h"

/* ---------------------------------------------------------------------- */
/* small vector helpers */

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

/* Charge the time since the last mark to part k of s->time_ms. Two
 * clock reads per mat-vec or attention (tens of nanoseconds, against the
 * microseconds each takes). */
static void mark(ref_state *s, int k)
{
    double now = lk_clock_ms();
    s->time_ms[k] += now - s->time_mark;
    s->time_mark = now;
}

/* ---------------------------------------------------------------------- */
/* parallel mat-vec: up to three matrices with the same input, their rows
 * concatenated and split between the threads by pool_run_rows() (one
 * contiguous range each, so that each thread's reads are one stream; see
 * pool.c); each thread runs all nt tokens of the batch through its rows.
 * Giving a call's first range to the thread whose last range ended where
 * this matrix starts (so that its stream continues) changed nothing
 * beyond noise (MobileLLM-125M, 2 threads, either DRAM state). */

typedef struct {
    int n;
    const kern_mat *w[3];
    float *out[3];         /* (nt, w[m]->rows) */
    int64_t nt;
    kern_act act[REF_BATCH];
} matvec_job;

/* Rows [r0, r1) of the concatenated matrices. */
static void matvec_rows(void *arg, int64_t r0, int64_t r1)
{
    const matvec_job *j = arg;
    int64_t base = 0;
    for (int m = 0; m < j->n; base += j->w[m]->rows, m++) {
        int64_t lo = r0 - base, hi = r1 - base, rows = j->w[m]->rows;
        lo = lo < 0 ? 0 : lo;
        hi = hi > rows ? rows : hi;
        if (lo < hi)
            kern_matmul(j->out[m] + lo, rows, j->w[m], j->act, j->nt, lo, hi);
    }
}

/* out[m] (nt, rows of w[m]) = w[m] times each of the nt inputs x (xn
 * values, rows xstride apart). */
static void matvec(ref_state *s, const float *x, int64_t xstride, int64_t xn,
                   int64_t nt, int n, const kern_mat *const *w, float *const *out)
{
    matvec_job j = {.n = n, .nt = nt};
    int64_t rows = 0;
    for (int m = 0; m < n; m++) {
        j.w[m] = w[m];
        j.out[m] = out[m];
        rows += w[m]->rows;
    }
    mark(s, REF_TIME_OTHER);
    for (int64_t t = 0; t < nt; t++)
        kern_act_prepare(&j.act[t], w[0]->type, x + t * xstride, xn,
                         s->xq + t * s->xq_stride);
    /* calls of whole multiples of 16 rows: whole cache lines of output */
    pool_run_rows(s->pool, rows, 16, matvec_rows, &j);
    mark(s, REF_TIME_MATVEC);
}

#define MATS(...) (const kern_mat *const[]){__VA_ARGS__}
#define OUTS(...) (float *const[]){__VA_ARGS__}

/* ---------------------------------------------------------------------- */
/* attention: position ranges split across threads, then merged */

/* The keys (which 0) or values (which 1) of key/value head h in executed
 * layer l, seq_len rows of head_dim values (see model.h). */
static unsigned char *cache(const ref_state *s, int64_t l, int which, int64_t h)
{
    const arch_spec *p = &s->w->spec;
    uint64_t rows = (uint64_t)p->seq_len * (uint64_t)((2 * l + which) * p->kv_heads + h);
    return s->kv + rows * (uint64_t)p->head_dim * (uint64_t)arch_dtype_size(s->kv_type);
}

/* Store this position's key or value (kv_dim values) in the cache. */
static void cache_store(ref_state *s, int64_t l, int which, int64_t pos, const float *x)
{
    int64_t hd = s->w->spec.head_dim, row = hd * arch_dtype_size(s->kv_type);
    for (int64_t h = 0; h < s->w->spec.kv_heads; h++)
        kern_from_f32(s->kv_type, cache(s, l, which, h) + pos * row, x + h * hd, hd);
}

typedef struct {
    ref_state *s;
    int64_t layer, pos, nt; /* tokens at positions pos .. pos+nt-1 */
    int64_t ranges;         /* position ranges per token */
} attn_job;

/* Worker i runs the i-th of `ranges` position ranges (one per worker,
 * fewer when there are fewer positions) of every token of the batch: for
 * each key/value head in turn, the GQA group of query heads of that head
 * over the range (kern_attend), a partial result in part_o / part_ml that
 * merge() combines. Splitting positions rather than heads
 * balances any head count (MobileLLM-125M has 3 key/value heads for 2
 * cores), and each (head, range) is one contiguous run of the head-major
 * cache. Token t sees positions 0 .. pos+t (causal). Splitting the
 * (head, position) pairs into one flat range per worker instead (fewer,
 * longer runs per worker) measured within noise (MobileLLM-125M/350M,
 * ctx 512, 2 threads, 10 alternating runs: attention -1% to -9%, the
 * whole token +0.3% to +1.5%). Attention is compute-bound here: a
 * 3-head group over hot f16 keys and values takes 12.9 ns a position
 * (Zen 4, one thread), about the 24 FMAs and 8 widenings it needs, and
 * 0.37 ms of MobileLLM-125M's token at ctx 512 when the cache is hot
 * against 0.56 cold. Prefetching the first 64 rows of each worker's runs
 * in a job before the q/k/v mat-vec won that back in attention (-20%)
 * and lost it in the job (the token within noise, 6 alternating rounds,
 * 2026-11-25). */
static void attention(void *arg, int i, int n)
{
    const attn_job *j = arg;
    ref_state *s = j->s;
    const arch_spec *p = &s->w->spec;
    int64_t hd = p->head_dim, group = p->heads / p->kv_heads;
    float *att = s->att + (int64_t)i * KERN_ATT_SCRATCH(group, p->seq_len);
    (void)n; /* ranges <= n */
    if (i >= j->ranges)
        return;
    for (int64_t t = 0; t < j->nt; t++) {
        int64_t T = j->pos + t + 1;
        float *o = s->part_o + t * s->part_n * hd, *ml = s->part_ml + t * s->part_n * 2;
        for (int64_t h = 0; h < p->kv_heads; h++) {
            int64_t u = h * j->ranges + i;
            kern_kv kv = {s->kv_type, cache(s, j->layer, 0, h), cache(s, j->layer, 1, h),
                          hd, hd};
            kern_attend(o + u * group * hd, ml + u * group * 2,
                        s->q + t * p->heads * hd + h * group * hd, group, &kv,
                        T * i / j->ranges, T * (i + 1) / j->ranges, 1 / sqrtf((float)hd), att);
        }
    }
}

/* xb (nt, xb_stride) = the attention output of every query head of
 * every token, from its partials. */
static void merge(ref_state *s, int64_t nt, int64_t ranges)
{
    const arch_spec *p = &s->w->spec;
    int64_t hd = p->head_dim, group = p->heads / p->kv_heads;
    for (int64_t t = 0; t < nt; t++) {
        const float *o = s->part_o + t * s->part_n * hd, *ml = s->part_ml + t * s->part_n * 2;
        for (int64_t h = 0; h < p->heads; h++) {
            int64_t u = h / group * ranges, g = h % group;
            kern_attend_merge(s->xb + t * s->xb_stride + h * hd, hd, ranges,
                              o + (u * group + g) * hd, group * hd,
                              ml + (u * group + g) * 2, group * 2);
        }
    }
}

/* xb = attention of tokens pos .. pos+nt-1 over executed layer l's
 * cache (their own keys and values already stored). */
static void attend(ref_state *s, int64_t l, int64_t pos, int64_t nt)
{
    int64_t threads = pool_threads(s->pool), ranges = threads < pos + 1 ? threads : pos + 1;
    mark(s, REF_TIME_OTHER);
    pool_run(s->pool, attention, &(attn_job){s, l, pos, nt, ranges});
    merge(s, nt, ranges);
    mark(s, REF_TIME_ATTENTION);
}

/* ---------------------------------------------------------------------- */
/* the forward pass */

/* Tokens tokens[0..nt) at positions pos .. pos+nt-1 (nt <= REF_BATCH)
 * through every executed layer, their keys and values into the cache;
 * leaves each token's residual stream in x (nt, dim). One decode step is
 * nt = 1; a prefill runs REF_BATCH tokens through each weight row at a
 * time. */
static void forward(ref_state *s, const int64_t *tokens, int64_t nt, int64_t pos)
{
    const ref_weights *w = s->w;
    const arch_spec *p = &w->spec;
    int64_t dim = p->dim, hd = p->head_dim, qdim = p->heads * hd, kvd = s->kv_dim;
    int64_t ffn = p->ffn_dim, xbs = s->xb_stride;

    s->time_mark = lk_clock_ms();
    for (int64_t t = 0; t < nt; t++) {
        kern_row_f32(&w->embed, tokens[t], s->x + t * dim);
        rope_table(s->rope + t * hd, hd, pos + t);
    }
    for (int64_t l = 0; l < s->n_exec; l++) {
        const ref_block *b = &w->blocks[s->sched[l]];

        /* attention: x += wo(attn(rope(wq xb), rope(wk xb), wv xb)) */
        for (int64_t t = 0; t < nt; t++)
            rmsnorm(s->xb + t * xbs, s->x + t * dim, b->rms_att, dim);
        matvec(s, s->xb, xbs, dim, nt, 3, MATS(&b->wq, &b->wk, &b->wv), OUTS(s->q, s->k, s->v));
        for (int64_t t = 0; t < nt; t++) {
            rope_apply(s->q + t * qdim, qdim, hd, s->rope + t * hd);
            rope_apply(s->k + t * kvd, kvd, hd, s->rope + t * hd);
            cache_store(s, l, 0, pos + t, s->k + t * kvd);
            cache_store(s, l, 1, pos + t, s->v + t * kvd);
        }
        attend(s, l, pos, nt);
        matvec(s, s->xb, xbs, qdim, nt, 1, MATS(&b->wo), OUTS(s->xb2));
        add(s->x, s->xb2, nt * dim);

        /* feed-forward: x += w2(silu(w1 xb) * w3 xb)  or  w2(relu(w1 xb)) */
        for (int64_t t = 0; t < nt; t++)
            rmsnorm(s->xb + t * xbs, s->x + t * dim, b->rms_ffn, dim);
        if (p->ffn == ARCH_FFN_SWIGLU) {
            matvec(s, s->xb, xbs, dim, nt, 2, MATS(&b->w1, &b->w3), OUTS(s->hb, s->hb2));
            kern_swiglu(s->hb, s->hb2, nt * ffn);
        } else {
            matvec(s, s->xb, xbs, dim, nt, 1, MATS(&b->w1), OUTS(s->hb));
            for (int64_t i = 0; i < nt * ffn; i++)
                s->hb[i] = s->hb[i] > 0.0f ? s->hb[i] : 0.0f;
        }
        matvec(s, s->hb, ffn, ffn, nt, 1, MATS(&b->w2), OUTS(s->xb2));
        add(s->x, s->xb2, nt * dim);
    }
}

/* The logits of the token whose residual stream is row t of x. */
static const float *classify(ref_state *s, int64_t t)
{
    const ref_weights *w = s->w;
    float *x = s->x + t * w->spec.dim;
    rmsnorm(x, x, w->rms_final, w->spec.dim);
    matvec(s, x, 0, w->spec.dim, 1, 1, MATS(&w->cls), OUTS(s->logits));
    return s->logits;
}

const float *ref_forward(ref_state *s, int64_t token, int64_t pos)
{
    forward(s, &token, 1, pos);
    return classify(s, 0);
}

const float *ref_prefill(ref_state *s, const int64_t *tokens, int64_t n, int64_t batch)
{
    int64_t nt = 0;
    batch = batch < 1 || batch > REF_BATCH ? REF_BATCH : batch;
    for (int64_t pos = 0; pos < n; pos += nt) {
        nt = n - pos < batch ? n - pos : batch;
        forward(s, tokens + pos, nt, pos);
    }
    return n > 0 ? classify(s, nt - 1) : NULL;
}

/* ---------------------------------------------------------------------- */
/* state */

/* a * b and a + b, or UINT64_MAX when they overflow: a size too large to
 * count is refused as too large for the machine. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

int ref_state_build(ref_state *s, const ref_weights *w, pool *p, lk_err *e)
{
    const arch_spec *sp = &w->spec;
    int64_t dim = sp->dim, qdim = sp->heads * sp->head_dim, ffn = sp->ffn_dim;
    int64_t big = dim > qdim ? dim : qdim, B = REF_BATCH;
    int64_t qn = big > ffn ? big : ffn;
    arch_params params;
    arch_params_count(sp, &params, NULL); /* cannot fail for a finished spec */
    memset(s, 0, sizeof *s);
    s->w = w;
    s->pool = p;
    s->n_exec = arch_executed_layers(sp);
    s->kv_type = arch_kv_type(sp->dtype);
    s->kv_dim = sp->kv_heads * sp->head_dim;
    s->kv_bytes = params.kv_bytes;
    s->xb_stride = big;
    s->xq_stride = (qn + 63) / 64 * 64;
    int64_t threads = pool_threads(p), group = sp->heads / sp->kv_heads;
    s->part_n = sp->heads * threads;
    /* every buffer's size before any allocation, so that a state the
     * machine cannot hold is refused up front (the attention scratch
     * grows with seq_len as the KV cache does) */
    struct { float **p; uint64_t n; } buf[] = {
        {&s->x, mul_sat(B, dim)},
        {&s->xb, mul_sat(B, big)},
        {&s->xb2, mul_sat(B, dim)},
        {&s->q, mul_sat(B, qdim)},
        {&s->k, mul_sat(B, s->kv_dim)},
        {&s->v, mul_sat(B, s->kv_dim)},
        {&s->hb, mul_sat(B, ffn)},
        {&s->hb2, mul_sat(B, ffn)},
        {&s->att, mul_sat(threads, KERN_ATT_SCRATCH(group, sp->seq_len))},
        {&s->part_o, mul_sat(mul_sat(B, s->part_n), sp->head_dim)},
        {&s->part_ml, mul_sat(mul_sat(B, s->part_n), 2)},
        {&s->rope, mul_sat(B, sp->head_dim + 1)},
        {&s->logits, sp->vocab},
    };
    uint64_t xq = mul_sat(B, s->xq_stride), need = add_sat(s->kv_bytes, xq);
    for (size_t i = 0; i < sizeof buf / sizeof *buf; i++)
        need = add_sat(need, mul_sat(buf[i].n, sizeof(float)));
    uint64_t have = mem_physical();
    if (need > have)
        return lk_fail(e, LK_ERUN,
                       "model state: needs %.1f GB (KV cache %.1f GB at seq_len %lld), "
                       "this machine has %.1f GB",
                       (double)need / 1e9, (double)s->kv_bytes / 1e9,
                       (long long)sp->seq_len, (double)have / 1e9);

    s->kv = mem_huge_alloc(s->kv_bytes); /* streamed every token */
    s->sched = malloc((size_t)s->n_exec * sizeof *s->sched);
    s->xq = calloc((size_t)xq, 1);
    bool ok = s->kv && s->sched && s->xq;
    for (size_t i = 0; i < sizeof buf / sizeof *buf; i++)
        ok &= (*buf[i].p = calloc((size_t)buf[i].n, sizeof(float))) != NULL;
    if (!ok) {
        ref_state_free(s);
        return lk_fail(e, LK_ERUN, "model state: out of memory (%llu bytes, KV cache %llu)",
                       (unsigned long long)need, (unsigned long long)params.kv_bytes);
    }
    memset(s->kv, 0, s->kv_bytes); /* first touch */
    arch_schedule(sp, s->sched);
    return LK_OK;
}

void ref_state_free(ref_state *s)
{
    mem_huge_free(s->kv, s->kv_bytes);
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
    free(s->part_o);
    free(s->part_ml);
    free(s->rope);
    free(s->logits);
    free(s->xq);
    memset(s, 0, sizeof *s);
}

void ref_state_fill_kv(ref_state *s, int64_t n)
{
    float *row = s->part_o; /* kv_dim (<= its size) floats of scratch */
    for (int64_t l = 0; l < s->n_exec; l++)
        for (int which = 0; which < 2; which++)
            for (int64_t t = 0; t < n; t++) {
                for (int64_t c = 0; c < s->kv_dim; c++)
                    row[c] = sinf((float)(t * 7 + c * 3 + l + which));
                cache_store(s, l, which, t, row);
            }
}
