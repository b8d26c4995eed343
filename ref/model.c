/* model.c -- the reference transformer: a walk of the plan of a decode
 * step (arch/plan.h) with ref's kernels (see model.h). */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
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

/* The frequency of pair i/2 of a head: theta^(-i/hd) as llama2.c computes
 * it (its theta is 10000, the spec's default); with Llama 3's rope_scaling
 * (spec.h) as Hugging Face's _compute_llama3_parameters changes it: kept
 * for wavelengths below original_max / high_freq_factor, divided by
 * factor above original_max / low_freq_factor, and in between the blend
 * (1 - t) f / factor + t f, t = (original_max / wavelength - low) / (high
 * - low). */
static float rope_freq(const arch_spec *s, int64_t i, int64_t hd)
{
    float freq = 1.0f / powf((float)s->rope_theta, (float)i / (float)hd);
    if (!s->rope_factor)
        return freq;
    double f = freq, wavelen = 2 * M_PI / f, old = (double)s->rope_original_max;
    double lo = s->rope_low_freq_factor, hi = s->rope_high_freq_factor;
    if (wavelen < old / hi)
        return freq;
    if (wavelen > old / lo)
        return (float)(f / s->rope_factor);
    double t = (old / wavelen - lo) / (hi - lo);
    return (float)((1 - t) * f / s->rope_factor + t * f);
}

/* cos and sin of pos * freq for the pairs (i, i+1) of a head */
static void rope_table(float *rope, const arch_spec *s, int64_t pos)
{
    int64_t hd = s->head_dim;
    for (int64_t i = 0; i < hd; i += 2) {
        float freq = rope_freq(s, i, hd);
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
/* the plan's operands in ref's memory */

/* Row t of activation buffer a (see ref_state; one row of logits). */
static float *buf(const ref_state *s, arch_act a, int64_t t)
{
    return s->act[a] + (a == ARCH_A_LOGITS ? 0 : t * (int64_t)s->plan.act_elems[a]);
}

/* The matrix or embedding a plan tensor names. */
static const kern_mat *mat(const ref_weights *w, const arch_tensor *t)
{
    const ref_block *b = t->block >= 0 ? &w->blocks[t->block] : NULL;
    switch (t->id) {
    case ARCH_W_EMBED: return &w->embed;
    case ARCH_W_CLS: return &w->cls;
    case ARCH_W_Q: return &b->wq;
    case ARCH_W_K: return &b->wk;
    case ARCH_W_V: return &b->wv;
    case ARCH_W_O: return &b->wo;
    case ARCH_W_1: return &b->w1;
    case ARCH_W_2: return &b->w2;
    case ARCH_W_3: return &b->w3;
    default: return NULL;
    }
}

/* The norm or bias vector a plan tensor names (t->cols f32 values). */
static const float *vector(const ref_weights *w, const arch_tensor *t)
{
    if (t->id == ARCH_W_RMS_FINAL)
        return w->rms_final;
    const ref_block *b = &w->blocks[t->block];
    switch (t->id) {
    case ARCH_W_RMS_ATT: return b->rms_att;
    case ARCH_W_BQ: return b->bq;
    case ARCH_W_BK: return b->bk;
    case ARCH_W_BV: return b->bv;
    default: return b->rms_ffn;
    }
}

/* Tell the probe (if any) about a range handed to a kernel. */
static void see(const ref_state *s, const void *p, uint64_t bytes, bool write)
{
    if (s->probe)
        s->probe(s->probe_u, s->probe_op, p, bytes, write);
}

/* n rows of a buffer, n values each, rows `stride` values apart. */
static void see_rows(const ref_state *s, const float *p, int64_t rows, int64_t n,
                     int64_t stride, bool write)
{
    for (int64_t t = 0; s->probe && t < rows; t++)
        see(s, p + t * stride, 4 * (uint64_t)n, write);
}

static void see_mat(const ref_state *s, const kern_mat *m)
{
    see(s, m->data, arch_data_bytes(m->type, m->rows * m->cols), false);
    if (m->scales)
        see(s, m->scales, 4 * (uint64_t)m->rows, false);
    if (m->scales_f16)
        see(s, m->scales_f16, 2 * (uint64_t)(m->rows * m->cols / m->group), false);
}

/* ---------------------------------------------------------------------- */
/* parallel mat-vec: the matrices of one pass (arch_op.pass: up to
 * ARCH_PLAN_PASS_MAX with the same input; sim/cost.h charges the pass
 * its fixed cost), their rows concatenated and split between the threads by pool_run_rows() (one
 * contiguous range each, so that each thread's reads are one stream; see
 * pool.c); each thread runs all nt tokens of the batch through its rows.
 * Giving a call's first range to the thread whose last range ended where
 * this matrix starts (so that its stream continues) changed nothing
 * beyond noise (MobileLLM-125M, 2 threads, either DRAM state). */

typedef struct {
    int n;
    const kern_mat *w[ARCH_PLAN_PASS_MAX];
    float *out[ARCH_PLAN_PASS_MAX]; /* (nt, w[m]->rows) */
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

/* The n MATMUL ops o[0..n) (one input buffer) over the nt tokens whose
 * rows start at row0: out (nt, rows of the matrix) = W in. */
static void matvec(ref_state *s, const arch_op *o, int n, int64_t nt, int64_t row0)
{
    matvec_job j = {.n = n, .nt = nt};
    int64_t rows = 0;
    for (int m = 0; m < n; m++) {
        j.w[m] = mat(s->w, o[m].w);
        j.out[m] = buf(s, o[m].out, row0);
        rows += j.w[m]->rows;
    }
    const float *x = buf(s, o->in, row0);
    int64_t xs = (int64_t)s->plan.act_elems[o->in], xn = j.w[0]->cols;
    mark(s, REF_TIME_OTHER);
    for (int64_t t = 0; t < nt; t++)
        kern_act_prepare(&j.act[t], j.w[0]->type, x + t * xs, xn, s->xq + t * s->xq_stride);
    /* calls of whole multiples of 16 rows: whole cache lines of output */
    pool_run_rows(s->pool, rows, 16, matvec_rows, &j);
    mark(s, REF_TIME_MATVEC);
    for (int m = 0; s->probe && m < n; m++) {
        s->probe_op = o - s->plan.op + m;
        see_mat(s, j.w[m]);
        see_rows(s, x, nt, xn, xs, false);
        see_rows(s, j.out[m], nt, j.w[m]->rows, j.w[m]->rows, true);
    }
}

/* ---------------------------------------------------------------------- */
/* attention: position ranges split across threads, then merged */

/* The keys (which 0) or values (which 1) of key/value head h in executed
 * layer l, plan.kv_len[l] rows (slots) of kv_head_row bytes, where the
 * plan puts them. */
static unsigned char *cache(const ref_state *s, int64_t l, int which, int64_t h)
{
    return s->kv + (arch_plan_kv(&s->plan, l, which, h, 0) - s->plan.kv_base);
}

/* Store this position's key or value (K*hd values) in the cache, in its
 * slot (a ring's overwrites the position that just left the window). */
static void cache_store(ref_state *s, int64_t l, int which, int64_t pos, const float *x)
{
    int64_t hd = s->w->spec.head_dim, row = (int64_t)s->plan.kv_head_row;
    for (int64_t h = 0; h < s->w->spec.kv_heads; h++) {
        unsigned char *dst = s->kv + (arch_plan_kv(&s->plan, l, which, h, pos) - s->plan.kv_base);
        kern_kv_store(s->kv_type, dst, x + h * hd, hd);
        see(s, dst, (uint64_t)row, true);
    }
}

/* The cache slots token t of a chunk at pos attends over in layer l:
 * [0, n), every position so far or, once a ring is full, all of it
 * (arch/plan.h). */
static int64_t attended(const ref_state *s, int64_t l, int64_t pos, int64_t t)
{
    int64_t len = s->plan.kv_len[l];
    return pos + t + 1 < len ? pos + t + 1 : len;
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
 * cache. Token t sees slots 0 .. attended() - 1: positions 0 .. pos+t
 * (causal), or the window of a full ring. Splitting the
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
    int64_t stride = (int64_t)s->plan.kv_head_row / arch_dtype_size(s->kv_type);
    for (int64_t t = 0; t < j->nt; t++) {
        int64_t T = attended(s, j->layer, j->pos, t);
        float *o = s->part_o + t * s->part_n * hd, *ml = s->part_ml + t * s->part_n * 2;
        for (int64_t h = 0; h < p->kv_heads; h++) {
            int64_t u = h * j->ranges + i;
            kern_kv kv = {s->kv_type, cache(s, j->layer, 0, h), cache(s, j->layer, 1, h),
                          stride, hd};
            kern_attend(o + u * group * hd, ml + u * group * 2,
                        buf(s, ARCH_A_Q, t) + h * group * hd, group, &kv,
                        T * i / j->ranges, T * (i + 1) / j->ranges, 1 / sqrtf((float)hd), att);
        }
    }
}

/* xb (nt, max(dim, H*hd)) = the attention output of every query head of
 * every token, from its partials. */
static void merge(ref_state *s, int64_t nt, int64_t ranges)
{
    const arch_spec *p = &s->w->spec;
    int64_t hd = p->head_dim, group = p->heads / p->kv_heads;
    for (int64_t t = 0; t < nt; t++) {
        const float *o = s->part_o + t * s->part_n * hd, *ml = s->part_ml + t * s->part_n * 2;
        for (int64_t h = 0; h < p->heads; h++) {
            int64_t u = h / group * ranges, g = h % group;
            kern_attend_merge(buf(s, ARCH_A_XB, t) + h * hd, hd, ranges,
                              o + (u * group + g) * hd, group * hd,
                              ml + (u * group + g) * 2, group * 2);
        }
    }
}

/* xb = attention of tokens pos .. pos+nt-1 over executed layer l's
 * cache (their own keys and values already stored). */
static void attend(ref_state *s, int64_t l, int64_t pos, int64_t nt)
{
    int64_t threads = pool_threads(s->pool), first = attended(s, l, pos, 0);
    int64_t ranges = threads < first ? threads : first;
    mark(s, REF_TIME_OTHER);
    pool_run(s->pool, attention, &(attn_job){s, l, pos, nt, ranges});
    merge(s, nt, ranges);
    mark(s, REF_TIME_ATTENTION);
    const arch_spec *p = &s->w->spec;
    int64_t qd = p->heads * p->head_dim;
    see_rows(s, buf(s, ARCH_A_Q, 0), nt, qd, qd, false);
    for (int which = 0; s->probe && which < 2; which++)
        for (int64_t h = 0; h < p->kv_heads; h++)
            see(s, cache(s, l, which, h),
                (uint64_t)attended(s, l, pos, nt - 1) * s->plan.kv_head_row, false);
    see_rows(s, buf(s, ARCH_A_XB, 0), nt, qd, (int64_t)s->plan.act_elems[ARCH_A_XB], true);
}

/* ---------------------------------------------------------------------- */
/* the forward pass: a walk of the plan */

/* Plan ops [from, to) over tokens tokens[0..nt) at positions pos ..
 * pos+nt-1 (nt <= REF_BATCH), whose rows of the activation buffers
 * start at row0; keys and values go into the cache. A run of MATMUL ops
 * on one input (wq wk wv; w1 w3) is one pass over the pool. */
static void walk(ref_state *s, int64_t from, int64_t to, const int64_t *tokens, int64_t nt,
                 int64_t pos, int64_t row0)
{
    const arch_spec *p = &s->w->spec;
    int64_t dim = p->dim, hd = p->head_dim;
    for (int64_t i = from; i < to; i++) {
        const arch_op *o = &s->plan.op[i];
        s->probe_op = i;
        int64_t in = o->in == ARCH_A_NONE ? 0 : (int64_t)s->plan.act_elems[o->in];
        switch (o->kind) {
        case ARCH_OP_EMBED: {
            const kern_mat *e = mat(s->w, o->w);
            for (int64_t t = 0; t < nt; t++) {
                kern_row_f32(e, tokens[t], buf(s, o->out, row0 + t));
                see(s, (const unsigned char *)e->data + arch_data_bytes(e->type, tokens[t] * dim),
                    arch_data_bytes(e->type, dim), false);
                if (e->scales)
                    see(s, e->scales + tokens[t], 4, false);
                if (e->scales_f16)
                    see(s, e->scales_f16 + tokens[t] * (dim / e->group),
                        2 * (uint64_t)(dim / e->group), false);
            }
            see_rows(s, buf(s, o->out, row0), nt, dim, dim, true);
            break;
        }
        case ARCH_OP_NORM: {
            const float *g = vector(s->w, o->w), *x = buf(s, o->in, row0);
            float *y = buf(s, o->out, row0);
            int64_t ys = (int64_t)s->plan.act_elems[o->out];
            for (int64_t t = 0; t < nt; t++)
                rmsnorm(y + t * ys, x + t * in, g, dim);
            see_rows(s, x, nt, dim, in, false);
            see(s, g, 4 * (uint64_t)dim, false);
            see_rows(s, y, nt, dim, ys, true);
            break;
        }
        case ARCH_OP_MATMUL: {
            int n = i + o->pass <= to ? o->pass : (int)(to - i); /* its pass */
            matvec(s, o, n, nt, row0);
            i += n - 1;
            break;
        }
        case ARCH_OP_ROPE: {
            int64_t qd = (int64_t)s->plan.act_elems[ARCH_A_Q];
            int64_t kvd = (int64_t)s->plan.act_elems[ARCH_A_K];
            float *q = buf(s, ARCH_A_Q, row0), *k = buf(s, ARCH_A_K, row0);
            for (int64_t t = 0; t < nt; t++) {
                rope_apply(q + t * qd, qd, hd, s->rope + t * hd);
                rope_apply(k + t * kvd, kvd, hd, s->rope + t * hd);
            }
            see_rows(s, q, nt, qd, qd, false);
            see_rows(s, q, nt, qd, qd, true);
            see_rows(s, k, nt, kvd, kvd, false);
            see_rows(s, k, nt, kvd, kvd, true);
            break;
        }
        case ARCH_OP_KV_STORE: {
            int64_t kvd = (int64_t)s->plan.act_elems[ARCH_A_K];
            const float *k = buf(s, ARCH_A_K, row0), *v = buf(s, ARCH_A_V, row0);
            for (int64_t t = 0; t < nt; t++) {
                cache_store(s, o->layer, 0, pos + t, k + t * kvd);
                cache_store(s, o->layer, 1, pos + t, v + t * kvd);
            }
            see_rows(s, k, nt, kvd, kvd, false);
            see_rows(s, v, nt, kvd, kvd, false);
            break;
        }
        case ARCH_OP_ATTEND:
            attend(s, o->layer, pos, nt);
            break;
        case ARCH_OP_GATE: {
            float *hb = buf(s, ARCH_A_HB, row0), *hb2 = buf(s, ARCH_A_HB2, row0);
            if (p->ffn == ARCH_FFN_SWIGLU) {
                kern_swiglu(hb, hb2, nt * in);
                see(s, hb2, 4 * (uint64_t)(nt * in), false);
            } else {
                for (int64_t j = 0; j < nt * in; j++)
                    hb[j] = hb[j] > 0.0f ? hb[j] : 0.0f;
            }
            see(s, hb, 4 * (uint64_t)(nt * in), false);
            see(s, hb, 4 * (uint64_t)(nt * in), true);
            break;
        }
        case ARCH_OP_BIAS: {
            const float *bias = vector(s->w, o->w);
            float *y = buf(s, o->out, row0);
            int64_t n = o->w->cols, ys = (int64_t)s->plan.act_elems[o->out];
            for (int64_t t = 0; t < nt; t++)
                add(y + t * ys, bias, n);
            see(s, bias, 4 * (uint64_t)n, false);
            see_rows(s, y, nt, n, ys, false);
            see_rows(s, y, nt, n, ys, true);
            break;
        }
        case ARCH_OP_RESIDUAL: {
            float *y = buf(s, o->out, row0);
            const float *x = buf(s, o->in, row0);
            add(y, x, nt * dim);
            see(s, x, 4 * (uint64_t)(nt * dim), false);
            see(s, y, 4 * (uint64_t)(nt * dim), false);
            see(s, y, 4 * (uint64_t)(nt * dim), true);
            break;
        }
        }
    }
}

/* Tokens tokens[0..nt) at positions pos .. pos+nt-1 through the plan up
 * to its head (rms_final, classifier), leaving each token's residual
 * stream in row t of x. One decode step is nt = 1; a prefill runs
 * REF_BATCH tokens through each weight row at a time. */
static void forward(ref_state *s, const int64_t *tokens, int64_t nt, int64_t pos)
{
    int64_t hd = s->w->spec.head_dim;
    s->time_mark = lk_clock_ms();
    /* the ROPE ops' cos and sin, once per token rather than per layer */
    for (int64_t t = 0; t < nt; t++)
        rope_table(s->rope + t * hd, &s->w->spec, pos + t);
    walk(s, 0, s->plan.head_op, tokens, nt, pos, 0);
}

/* The logits of the token whose residual stream is row t of x: the
 * plan's head. */
static const float *classify(ref_state *s, int64_t t)
{
    walk(s, s->plan.head_op, s->plan.n_ops, NULL, 1, 0, t);
    return s->act[ARCH_A_LOGITS];
}

const float *ref_forward(ref_state *s, int64_t token, int64_t pos)
{
    forward(s, &token, 1, pos);
    return classify(s, 0);
}

/* The fewest positions any layer keeps: seq_len, or a local layer's ring. */
static int64_t shortest_ring(const arch_plan *p)
{
    int64_t m = p->spec.seq_len;
    for (int64_t l = 0; l < p->n_exec; l++)
        m = p->kv_len[l] < m ? p->kv_len[l] : m;
    return m;
}

const float *ref_prefill(ref_state *s, const int64_t *tokens, int64_t n, int64_t batch)
{
    int64_t nt = 0, ring = shortest_ring(&s->plan);
    batch = batch < 1 || batch > REF_BATCH ? REF_BATCH : batch;
    for (int64_t pos = 0; pos < n; pos += nt) {
        nt = n - pos < batch ? n - pos : batch;
        /* a chunk must not wrap a ring (arch/plan.h): up to its end in
         * chunks, then token by token */
        nt = pos + nt <= ring ? nt : ring - pos > 1 ? ring - pos : 1;
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
    memset(s, 0, sizeof *s);
    int rc = arch_plan_build(&s->plan, sp, e);
    if (rc)
        return rc;
    const arch_plan *pl = &s->plan;
    uint64_t B = REF_BATCH, xb = pl->act_elems[ARCH_A_XB], hb = pl->act_elems[ARCH_A_HB];
    uint64_t qn = xb > hb ? xb : hb;
    s->w = w;
    s->pool = p;
    s->kv_type = pl->kv_type;
    s->kv_bytes = pl->params.kv_bytes;
    s->xq_stride = (int64_t)(qn + 63) / 64 * 64;
    int64_t threads = pool_threads(p), group = sp->heads / sp->kv_heads;
    s->part_n = sp->heads * threads;
    /* every buffer's size before any allocation, so that a state the
     * machine cannot hold is refused up front (the attention scratch
     * grows with seq_len as the KV cache does): the plan's activations,
     * REF_BATCH rows of each (one of logits; the scores live in the
     * attention kernel's per-thread scratch instead), and ref's own */
    struct { float **p; uint64_t n; } buf[ARCH_A_COUNT + 4] = {
        {&s->att, mul_sat(threads, KERN_ATT_SCRATCH(group, sp->seq_len))},
        {&s->part_o, mul_sat(mul_sat(B, s->part_n), sp->head_dim)},
        {&s->part_ml, mul_sat(mul_sat(B, s->part_n), 2)},
        {&s->rope, mul_sat(B, sp->head_dim + 1)},
    };
    size_t nbuf = 4;
    for (int a = 0; a < ARCH_A_COUNT; a++)
        if (a != ARCH_A_ATT)
            buf[nbuf++] = (typeof(*buf)){&s->act[a],
                                         mul_sat(a == ARCH_A_LOGITS ? 1 : B, pl->act_elems[a])};
    uint64_t xq = mul_sat(B, s->xq_stride), need = add_sat(s->kv_bytes, xq);
    for (size_t i = 0; i < nbuf; i++)
        need = add_sat(need, mul_sat(buf[i].n, sizeof(float)));
    uint64_t have = mem_physical();
    if (need > have) {
        rc = lk_fail(e, LK_ERUN,
                     "model state: needs %.1f GB (KV cache %.1f GB at seq_len %lld), "
                     "this machine has %.1f GB",
                     (double)need / 1e9, (double)s->kv_bytes / 1e9,
                     (long long)sp->seq_len, (double)have / 1e9);
        ref_state_free(s);
        return rc;
    }

    s->kv = mem_huge_alloc(s->kv_bytes); /* streamed every token */
    s->xq = calloc((size_t)xq, 1);
    bool ok = s->kv && s->xq;
    for (size_t i = 0; i < nbuf; i++)
        ok &= (*buf[i].p = calloc((size_t)buf[i].n, sizeof(float))) != NULL;
    if (!ok) {
        ref_state_free(s);
        return lk_fail(e, LK_ERUN, "model state: out of memory (%llu bytes, KV cache %llu)",
                       (unsigned long long)need, (unsigned long long)s->kv_bytes);
    }
    memset(s->kv, 0, s->kv_bytes); /* first touch */
    return LK_OK;
}

void ref_state_free(ref_state *s)
{
    mem_huge_free(s->kv, s->kv_bytes);
    for (int a = 0; a < ARCH_A_COUNT; a++)
        free(s->act[a]);
    free(s->att);
    free(s->part_o);
    free(s->part_ml);
    free(s->rope);
    free(s->xq);
    arch_plan_free(&s->plan);
    memset(s, 0, sizeof *s);
}

void ref_state_fill_kv(ref_state *s, int64_t n)
{
    float *row = s->part_o; /* K*hd (<= its size) floats of scratch */
    for (int64_t l = 0; l < s->plan.n_exec; l++)
        for (int which = 0; which < 2; which++)
            for (int64_t t = 0; t < n; t++) {
                for (int64_t c = 0; c < (int64_t)s->plan.act_elems[ARCH_A_K]; c++)
                    row[c] = sinf((float)(t * 7 + c * 3 + l + which));
                cache_store(s, l, which, t, row);
            }
}
