/* test_ref.c -- the reference transformer against independent truths:
 * a naive full-sequence forward pass in double precision (no KV cache,
 * written here from the architecture's definition), plain multi-head
 * attention built by repeating the key/value heads of a GQA model, the
 * unrolled export of a shared model, the f32 model for the other dtypes,
 * and the statistics the seeded generator promises. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../ref/ckpt.h"
#include "../ref/kern.h"
#include "../ref/model.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------- */

typedef struct {
    pool *p;
    ref_weights w;
    ref_state st;
} model;

static pool *new_pool(int threads)
{
    lk_err e = {0};
    pool *p;
    ck_assert_msg(pool_create(&p, threads, &e) == LK_OK, "%s", e.msg);
    return p;
}

static void start_state(model *m)
{
    lk_err e = {0};
    ck_assert_msg(ref_state_build(&m->st, &m->w, m->p, &e) == LK_OK, "%s", e.msg);
}

static void seeded(model *m, const arch_spec *s, uint64_t seed, int threads)
{
    lk_err e = {0};
    m->p = new_pool(threads);
    ck_assert_msg(ref_weights_seeded(&m->w, s, seed, m->p, &e) == LK_OK, "%s", e.msg);
    start_state(m);
}

static void done(model *m)
{
    ref_state_free(&m->st);
    ref_weights_free(&m->w);
    pool_free(m->p);
}

/* The logits after tokens[0..n-1], copied (vocab floats). */
static float *logits_of(model *m, const int64_t *tokens, int64_t n)
{
    int64_t V = m->w.spec.vocab;
    float *out = malloc((size_t)V * sizeof *out);
    memcpy(out, ref_prefill(&m->st, tokens, n, REF_BATCH), (size_t)V * sizeof *out);
    return out;
}

/* max |a - b| / max |b| */
static double rel_max(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

/* ||a - b|| / ||b|| (Euclidean) */
static double rel_l2(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        m += (double)b[i] * b[i];
    }
    return sqrt(d / m);
}

static const int64_t prompt[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
#define PROMPT_N ((int64_t)(sizeof prompt / sizeof prompt[0]))

/* ---- the naive forward pass ------------------------------------------ */

/* out = W x for a f32 kern_mat, in double */
static void mv(double *out, const kern_mat *W, const double *x)
{
    const float *w = W->data;
    for (int64_t r = 0; r < W->rows; r++) {
        double s = 0;
        for (int64_t c = 0; c < W->cols; c++)
            s += (double)w[r * W->cols + c] * x[c];
        out[r] = s;
    }
}

static void norm(double *o, const double *x, const float *g, int64_t n)
{
    double ss = 0;
    for (int64_t i = 0; i < n; i++)
        ss += x[i] * x[i];
    double k = 1 / sqrt(ss / (double)n + 1e-5);
    for (int64_t i = 0; i < n; i++)
        o[i] = g[i] * x[i] * k;
}

/* RoPE as the architecture defines it: in every head, the pair (2j, 2j+1)
 * turns by angle pos * theta^(-2j/hd) (theta: the spec's rope_theta). */
static void rotate(double *v, int64_t heads, int64_t hd, int64_t pos, double theta)
{
    for (int64_t h = 0; h < heads; h++)
        for (int64_t j = 0; j < hd / 2; j++) {
            double a = (double)pos * pow(theta, -2.0 * (double)j / (double)hd);
            double *p = v + h * hd + 2 * j, x = p[0], y = p[1];
            p[0] = x * cos(a) - y * sin(a);
            p[1] = x * sin(a) + y * cos(a);
        }
}

/* The logits after the last of n tokens, recomputing every position of
 * every layer from scratch. f32 weights only. With a window, a local
 * layer's position t attends over positions max(0, t - window + 1) .. t
 * (a mask on full attention); layer l is global when global_every divides
 * l + 1 (with global_first_last: divides l, or l is the last layer); with
 * attention biases q, k and v get theirs added before RoPE, as Hugging
 * Face's Qwen2 adds q_proj.bias -- the definitions of spec.h, written out
 * again here. */
static void naive_logits(const ref_weights *w, const int64_t *tok, int64_t n,
                         double *logits)
{
    const arch_spec *s = &w->spec;
    int64_t D = s->dim, H = s->heads, K = s->kv_heads, hd = s->head_dim;
    int64_t F = s->ffn_dim, QD = H * hd, KD = K * hd, L = arch_executed_layers(s);
    double *x = calloc((size_t)(n * D), sizeof *x), *xn = malloc((size_t)D * sizeof *x);
    double *q = malloc((size_t)(n * QD) * sizeof *q), *k = malloc((size_t)(n * KD) * sizeof *k);
    double *v = malloc((size_t)(n * KD) * sizeof *v), *o = malloc((size_t)QD * sizeof *o);
    double *a = malloc((size_t)n * sizeof *a), *y = malloc((size_t)D * sizeof *y);
    double *h1 = malloc((size_t)F * sizeof *h1), *h3 = malloc((size_t)F * sizeof *h3);
    int64_t *sched = malloc((size_t)L * sizeof *sched);
    arch_schedule(s, sched);
    for (int64_t t = 0; t < n; t++)
        for (int64_t i = 0; i < D; i++)
            x[t * D + i] = ((const float *)w->embed.data)[tok[t] * D + i];
    for (int64_t l = 0; l < L; l++) {
        const ref_block *b = &w->blocks[sched[l]];
        int64_t G = s->global_every;
        bool global = G && (s->global_first_last ? l % G == 0 || l == L - 1 : (l + 1) % G == 0);
        bool local = s->window && !global;
        int64_t back = local ? s->window - 1 : n; /* earlier positions attended */
        for (int64_t t = 0; t < n; t++) {
            norm(xn, x + t * D, b->rms_att, D);
            mv(q + t * QD, &b->wq, xn);
            mv(k + t * KD, &b->wk, xn);
            mv(v + t * KD, &b->wv, xn);
            for (int64_t i = 0; s->attn_bias && i < QD; i++)
                q[t * QD + i] += b->bq[i];
            for (int64_t i = 0; s->attn_bias && i < KD; i++) {
                k[t * KD + i] += b->bk[i];
                v[t * KD + i] += b->bv[i];
            }
            rotate(q + t * QD, H, hd, t, s->rope_theta);
            rotate(k + t * KD, K, hd, t, s->rope_theta);
        }
        for (int64_t t = 0; t < n; t++) {
            for (int64_t h = 0; h < H; h++) {
                int64_t g = h / (H / K);
                double max = -INFINITY, sum = 0;
                int64_t u0 = t - back > 0 ? t - back : 0;
                for (int64_t u = u0; u <= t; u++) {
                    double d = 0;
                    for (int64_t i = 0; i < hd; i++)
                        d += q[t * QD + h * hd + i] * k[u * KD + g * hd + i];
                    a[u] = d / sqrt((double)hd);
                    max = fmax(max, a[u]);
                }
                for (int64_t u = u0; u <= t; u++)
                    sum += a[u] = exp(a[u] - max);
                for (int64_t i = 0; i < hd; i++) {
                    double acc = 0;
                    for (int64_t u = u0; u <= t; u++)
                        acc += a[u] / sum * v[u * KD + g * hd + i];
                    o[h * hd + i] = acc;
                }
            }
            mv(y, &b->wo, o);
            for (int64_t i = 0; i < D; i++)
                x[t * D + i] += y[i];
        }
        for (int64_t t = 0; t < n; t++) {
            norm(xn, x + t * D, b->rms_ffn, D);
            mv(h1, &b->w1, xn);
            if (s->ffn == ARCH_FFN_SWIGLU) {
                mv(h3, &b->w3, xn);
                for (int64_t i = 0; i < F; i++)
                    h1[i] = h1[i] / (1 + exp(-h1[i])) * h3[i];
            } else {
                for (int64_t i = 0; i < F; i++)
                    h1[i] = fmax(h1[i], 0);
            }
            mv(y, &b->w2, h1);
            for (int64_t i = 0; i < D; i++)
                x[t * D + i] += y[i];
        }
    }
    norm(xn, x + (n - 1) * D, w->rms_final, D);
    mv(logits, &w->cls, xn);
    free(x); free(xn); free(q); free(k); free(v); free(o); free(a); free(y);
    free(h1); free(h3); free(sched);
}

/* ---- tests ------------------------------------------------------------- */

static const char *const shapes[] = {
    "layers=2 dim=64 heads=4 kv_heads=2 vocab=97 dtype=f32",
    "layers=3 dim=96 heads=6 kv_heads=1 head_dim=24 ffn=relu vocab=50 tied=1 dtype=f32",
    "layers=2 dim=64 heads=2 head_dim=48 vocab=40 share=reverse dtype=f32",
    "layers=2 dim=128 heads=8 kv_heads=4 share=immediate repeat=3 vocab=64 dtype=f32",
    /* q/k/v biases (Qwen2) and MobileLLM-Pro's pattern (layers 0 and 2
     * global, layer 1 a ring of 4 that the 10-token prompt wraps) */
    "layers=3 dim=64 heads=4 kv_heads=2 vocab=97 dtype=f32 seq_len=128 attn_bias=1 window=4 "
    "global_every=2 global_first_last=1 rope_theta=500000",
};

#define NSHAPES ((int)(sizeof shapes / sizeof *shapes))

/* Loop index i: shape i % NSHAPES with the kernels this CPU runs best,
 * then each again with the portable ones (what a machine without
 * AVX-512 runs). */
static arch_spec shape_and_kernels(int i)
{
    lk_err e = {0};
    ck_assert_msg(kern_select(i < NSHAPES ? "auto" : "portable", &e) == LK_OK, "%s", e.msg);
    return tu_spec(shapes[i % NSHAPES]);
}

/* The KV-cached decode after every prefix equals the naive recomputation
 * (f32 against double: 2e-5 of the largest logit, about 100 f32 ulps). */
START_TEST(test_decode_matches_naive)
{
    arch_spec s = shape_and_kernels(_i);
    model m;
    seeded(&m, &s, 7, 2);
    double *want = malloc((size_t)s.vocab * sizeof *want);
    float *w32 = malloc((size_t)s.vocab * sizeof *w32);
    for (int64_t n = 1; n <= PROMPT_N; n++) {
        const float *got = ref_forward(&m.st, prompt[n - 1] % s.vocab, n - 1);
        int64_t tok[PROMPT_N];
        for (int64_t i = 0; i < n; i++)
            tok[i] = prompt[i] % s.vocab;
        naive_logits(&m.w, tok, n, want);
        for (int64_t i = 0; i < s.vocab; i++)
            w32[i] = (float)want[i];
        double r = rel_max(got, w32, s.vocab);
        ck_assert_msg(r < 2e-5, "%s (%s): position %lld: relative error %g",
                      shapes[_i % NSHAPES], kern_name(), (long long)n - 1, r);
    }
    free(want);
    free(w32);
    done(&m);
}
END_TEST

/* A prefill of n tokens (REF_BATCH at a time) equals the naive
 * recomputation, for n below, at and across batch boundaries (batches of
 * REF_BATCH and of 3, below the kernels' 4-token tile), and leaves
 * the cache as decode does: the next decode step matches too. Same bound
 * as decode (only the order of f32 additions differs). */
START_TEST(test_prefill_matches_naive)
{
    arch_spec s = shape_and_kernels(_i);
    model m;
    seeded(&m, &s, 7, 2);
    static const int64_t ns[] = {1, 5, REF_BATCH, REF_BATCH + 1, 2 * REF_BATCH + 7};
    int64_t tok[2 * REF_BATCH + 8];
    for (int64_t i = 0; i < 2 * REF_BATCH + 8; i++)
        tok[i] = (i * 37 + 11) % s.vocab;
    double *want = malloc((size_t)s.vocab * sizeof *want);
    float *w32 = malloc((size_t)s.vocab * sizeof *w32);
    for (int64_t batch = 3; batch <= REF_BATCH; batch += REF_BATCH - 3)
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int step = 0; step < 2; step++) { /* the prefill, then one decode step */
            int64_t n = ns[k] + step;
            const float *got = step ? ref_forward(&m.st, tok[n - 1], n - 1)
                                    : ref_prefill(&m.st, tok, n, batch);
            naive_logits(&m.w, tok, n, want);
            for (int64_t i = 0; i < s.vocab; i++)
                w32[i] = (float)want[i];
            double r = rel_max(got, w32, s.vocab);
            ck_assert_msg(r < 2e-5, "%s (%s): %lld tokens (%s, batch %lld): relative error %g",
                          shapes[_i % NSHAPES], kern_name(), (long long)n,
                          step ? "decode after prefill" : "prefill", (long long)batch, r);
        }
    free(want);
    free(w32);
    done(&m);
}
END_TEST

/* In every weight type, a prefill gives the logits of decoding the same
 * tokens one by one (one thread: the attention splits positions the same
 * way in both). int8 must match exactly: the batched kernel computes the
 * same integer sums and per-token scales. For the float types only the
 * order of f32 additions in the mat-vecs differs (a few ulps), which can
 * make a value stored in the f16 or bf16 KV cache round the other way
 * (2^-11 or 2^-8 relative): measured 1.4e-5 (f16) and 4.5e-5 (bf16); the
 * bounds leave ~15x and stay 20x below each type's error against f32
 * (test_dtypes_near_f32). With two threads int8 is not compared here: a
 * last-bit difference in any activation can move a rounding to the next
 * of 255 levels, after which the two runs differ by the quantization
 * noise itself (measured 1.8e-2 between 1- and 2-thread decode). */
START_TEST(test_prefill_matches_decode)
{
    static const char *const types[] = {"f32", "f16", "bf16", "int8", "int4"};
    static const double tol[] = {1e-5, 2e-4, 1e-3, 0, 0};
    char opts[256];
    snprintf(opts, sizeof opts, "layers=3 dim=128 heads=4 kv_heads=2 vocab=200 seq_len=96 dtype=%s",
             types[_i]);
    arch_spec s = tu_spec(opts);
    model a, b;
    seeded(&a, &s, 5, 1);
    seeded(&b, &s, 5, 1);
    int64_t tok[REF_BATCH + 9];
    for (int64_t i = 0; i < REF_BATCH + 9; i++)
        tok[i] = (i * 53 + 2) % s.vocab;
    float *want = NULL;
    for (int64_t i = 0; i < REF_BATCH + 9; i++)
        want = (float *)ref_forward(&a.st, tok[i], i);
    const float *got = ref_prefill(&b.st, tok, REF_BATCH + 9, REF_BATCH);
    double r = rel_l2(got, want, s.vocab);
    ck_assert_msg(r <= tol[_i], "%s: prefill vs decode: relative L2 %g > %g", types[_i], r,
                  tol[_i]);
    done(&a);
    done(&b);
}
END_TEST

/* GQA (K < H) equals plain multi-head attention whose key/value heads are
 * the GQA heads repeated H/K times, built as a separate K == H model. */
START_TEST(test_gqa_equals_mha)
{
    arch_spec g = tu_spec("layers=2 dim=64 heads=8 kv_heads=2 vocab=61 dtype=f32");
    arch_spec h = tu_spec("layers=2 dim=64 heads=8 kv_heads=8 vocab=61 dtype=f32");
    model mg, mh = {0};
    seeded(&mg, &g, 11, 2);
    arch_layout l;
    lk_err e = {0};
    ck_assert(arch_layout_build(&l, &h, &e) == LK_OK);
    const float **src = calloc((size_t)l.n, sizeof *src);
    float **own = calloc((size_t)l.n, sizeof *own);
    int64_t group = g.heads / g.kv_heads, hd = g.head_dim;
    for (int64_t i = 0; i < l.n; i++) {
        const arch_tensor *t = &l.t[i];
        const ref_block *b = t->block >= 0 ? &mg.w.blocks[t->block] : NULL;
        switch (t->id) {
        case ARCH_W_EMBED: src[i] = mg.w.embed.data; break;
        case ARCH_W_RMS_ATT: src[i] = b->rms_att; break;
        case ARCH_W_Q: src[i] = b->wq.data; break;
        case ARCH_W_O: src[i] = b->wo.data; break;
        case ARCH_W_RMS_FFN: src[i] = b->rms_ffn; break;
        case ARCH_W_1: src[i] = b->w1.data; break;
        case ARCH_W_2: src[i] = b->w2.data; break;
        case ARCH_W_3: src[i] = b->w3.data; break;
        case ARCH_W_RMS_FINAL: src[i] = mg.w.rms_final; break;
        case ARCH_W_CLS: src[i] = mg.w.cls.data; break;
        case ARCH_W_K: case ARCH_W_V: {
            const float *gk = (t->id == ARCH_W_K ? b->wk : b->wv).data;
            own[i] = malloc((size_t)(t->rows * t->cols) * sizeof(float));
            for (int64_t r = 0; r < t->rows; r++) /* MHA head r/hd reads GQA head r/hd/group */
                memcpy(own[i] + r * t->cols,
                       gk + ((r / hd) / group * hd + r % hd) * t->cols,
                       (size_t)t->cols * sizeof(float));
            src[i] = own[i];
            break;
        }
        default: break;
        }
    }
    mh.p = new_pool(2);
    ck_assert_msg(ref_weights_from_f32(&mh.w, &h, src, mh.p, &e) == LK_OK, "%s", e.msg);
    start_state(&mh);
    float *a = logits_of(&mg, prompt, PROMPT_N), *b = logits_of(&mh, prompt, PROMPT_N);
    double r = rel_max(a, b, g.vocab);
    ck_assert_msg(r < 1e-6, "GQA vs MHA: relative error %g", r);
    free(a);
    free(b);
    done(&mh);
    done(&mg);
    for (int64_t i = 0; i < l.n; i++)
        free(own[i]);
    free(own);
    free(src);
    arch_layout_free(&l);
}
END_TEST

/* Windowed decode against the masked full recomputation (naive_logits),
 * the exact definition: position t of a local layer attends over the
 * last `window` positions. (Recomputing the last window tokens from
 * scratch would be exact for one layer only: a deeper layer's input at
 * those positions depends, through the layers below, on earlier tokens.)
 * Window 4 with every third layer global, 13 tokens: the rings wrap
 * three times; decode step by step, then a prefill (chunks up to the
 * ring, then token by token), on both kernel sets. Same bound as
 * test_decode_matches_naive: the ring changes only the order in which
 * positions are summed. And the mask matters: full attention is far off
 * once positions leave the window. */
START_TEST(test_window_matches_masked)
{
    lk_err e = {0};
    ck_assert_msg(kern_select(_i ? "portable" : "auto", &e) == LK_OK, "%s", e.msg);
    const char *shape = "layers=3 dim=64 heads=4 kv_heads=2 vocab=97 dtype=f32 seq_len=64 "
                        "window=4 global_every=3";
    arch_spec s = tu_spec(shape), full = s;
    full.window = full.global_every = 0;
    model m, f;
    seeded(&m, &s, 7, 2);
    seeded(&f, &full, 7, 2);
    enum { N = 13 };
    int64_t tok[N];
    for (int64_t i = 0; i < N; i++)
        tok[i] = (i * 29 + 5) % s.vocab;
    double *want = malloc((size_t)s.vocab * sizeof *want);
    float *w32 = malloc((size_t)s.vocab * sizeof *w32), *lf = NULL;
    for (int64_t n = 1; n <= N; n++) {
        const float *got = ref_forward(&m.st, tok[n - 1], n - 1);
        naive_logits(&m.w, tok, n, want);
        for (int64_t i = 0; i < s.vocab; i++)
            w32[i] = (float)want[i];
        double r = rel_max(got, w32, s.vocab);
        ck_assert_msg(r < 2e-5, "%s (%s): position %lld: relative error %g", shape,
                      kern_name(), (long long)n - 1, r);
        lf = (float *)ref_forward(&f.st, tok[n - 1], n - 1);
    }
    ck_assert_msg(rel_max(lf, w32, s.vocab) > 1e-2, "full attention gave the windowed logits");
    done(&m);
    seeded(&m, &s, 7, 2);
    const float *got = ref_prefill(&m.st, tok, N, REF_BATCH);
    double r = rel_max(got, w32, s.vocab);
    ck_assert_msg(r < 2e-5, "%s (%s): prefill of %d: relative error %g", shape, kern_name(), N, r);
    free(want);
    free(w32);
    done(&m);
    done(&f);
}
END_TEST

/* An int8 KV cache against the f32 one on the same f32 weights, relative
 * L2 error of the logits, against an estimate from the rounding step as
 * test_dtypes_near_f32 makes its own. A cached row of hd = 32 keys or
 * values is quantized with step absmax/127, its error uniform, rms
 * step/sqrt(12); for roughly Gaussian rows the absmax of 32 values is
 * about 2.5 sigma, so the relative rms error of a row is 2.5 / (127
 * sqrt(12)) = 5.7e-3. Each of the 2 layers has two such sources (K and
 * V); independent sources add in quadrature and pass to the logits as a
 * dot product passes its terms' (test_dtypes_near_f32): sqrt(4) x 5.7e-3
 * = 1.1e-2. Bound: 1.5 x that, 1.7e-2. Measured (seed 9): 1.06e-2 on
 * both kernel sets (int8 attention is the portable kernel on every
 * machine, the f32 one is not). */
START_TEST(test_kv_int8_near_f32)
{
    lk_err e = {0};
    ck_assert_msg(kern_select(_i ? "portable" : "auto", &e) == LK_OK, "%s", e.msg);
    const char *base = "layers=2 dim=128 heads=4 kv_heads=2 vocab=200 seq_len=64 dtype=f32";
    char opts[256];
    snprintf(opts, sizeof opts, "%s kv_dtype=int8", base);
    arch_spec s32 = tu_spec(base), s8 = tu_spec(opts);
    model a, b;
    seeded(&a, &s32, 9, 2);
    seeded(&b, &s8, 9, 2);
    ck_assert_int_eq(a.st.kv_type, ARCH_F32);
    ck_assert_int_eq(b.st.kv_type, ARCH_INT8);
    ck_assert_uint_eq(b.st.plan.kv_head_row, (uint64_t)s8.head_dim + 4);
    float *la = logits_of(&a, prompt, PROMPT_N), *lb = logits_of(&b, prompt, PROMPT_N);
    double r = rel_l2(lb, la, s32.vocab);
    ck_assert_msg(r < 1.7e-2, "int8 KV vs f32 KV (%s): relative L2 error %g >= 1.7e-2",
                  kern_name(), r);
    ck_assert_msg(r > 0, "int8 KV gave exactly the f32 logits: not an int8 path");
    free(la);
    free(lb);
    done(&a);
    done(&b);
}
END_TEST

static const char *const sharing[] = {
    "share=immediate", "share=repeat-all-over", "share=reverse",
    "share=immediate repeat=3", "share=reverse repeat=3",
};

/* A shared model gives the logits of its --unroll export run as an
 * ordinary model (1e-5 relative; the computation is the same, so in
 * practice they are equal). */
START_TEST(test_shared_equals_unrolled)
{
    char opts[256];
    snprintf(opts, sizeof opts, "layers=3 dim=64 heads=4 kv_heads=2 vocab=50 dtype=f32 "
             "seq_len=64 %s", sharing[_i]);
    arch_spec s = tu_spec(opts);
    model ms, mu = {0};
    seeded(&ms, &s, 5, 2);
    char path[256];
    snprintf(path, sizeof path, "%s/unrolled-%d.bin", tu_tmpdir(), _i);
    lk_err e = {0};
    ck_assert_msg(ckpt_export(&s, 5, true, path, &e) == LK_OK, "%s", e.msg);
    arch_spec u = s;
    mu.p = new_pool(2);
    ck_assert_msg(ckpt_load(&mu.w, path, &u, mu.p, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(u.layers, arch_executed_layers(&s));
    ck_assert_int_eq(u.share, ARCH_SHARE_NONE);
    start_state(&mu);
    float *a = logits_of(&ms, prompt, PROMPT_N), *b = logits_of(&mu, prompt, PROMPT_N);
    double r = rel_max(a, b, s.vocab);
    ck_assert_msg(r <= 1e-5, "%s: shared vs unrolled: relative error %g", opts, r);
    free(a);
    free(b);
    done(&mu);
    done(&ms);
}
END_TEST

/* Other dtypes against f32 on the same master weights, relative L2 error
 * of the logits, against an estimate from the rounding steps. A stored
 * f16 or bf16 value is off by a relative error spread over +-u (f16 u =
 * 2^-11, bf16 2^-8), rms u/sqrt(3): 2.8e-4 and 2.3e-3. An int8 weight
 * (per-row absmax, 127 steps) is off by step/sqrt(12) rms, relative to a
 * uniform weight's rms 3.9e-3; an activation (min-max over ~5 sigma, 255
 * steps) 5.7e-3: 6.9e-3 together. A dot product keeps the relative rms
 * error of its terms, and independent sources add in quadrature: 2
 * layers x (4 mat-vecs + the K and V cache, f16 or bf16 in every type)
 * + the classifier = 13 sources for f16 and bf16 (3.6 x: 1.0e-3 and
 * 8.1e-3), 9 mat-vec sources for int8, whose f16 cache adds little (3 x:
 * 2.1e-2). int4 (groups of 32, 15 steps of max|w| / 7, max|w| of 32
 * uniform weights 32/33 of their bound a): step/sqrt(12) = 0.040 a
 * against a weight rms of a/sqrt(3), 6.9e-2 per weight; weight errors
 * dominate, and each matrix has its own: 2 layers x 7 matrices, the
 * classifier and the embedding row = 16 sources (4 x: 0.277), plus the 9
 * activation sources (negligible here). Bounds: 1.5 x those, and for
 * int4 at least half its estimate (an int8 path would give 2e-2).
 * Measured (seed 9): 9.4e-4, 9.7e-3, 2.15e-2, 0.292. */
START_TEST(test_dtypes_near_f32)
{
    static const char *const types[] = {"f16", "bf16", "int8", "int4"};
    static const double tol[] = {1.5e-3, 1.2e-2, 3.2e-2, 0.42};
    const char *base = "layers=2 dim=128 heads=4 kv_heads=2 vocab=200 seq_len=64";
    char opts[256];
    snprintf(opts, sizeof opts, "%s dtype=f32", base);
    arch_spec s32 = tu_spec(opts);
    snprintf(opts, sizeof opts, "%s dtype=%s", base, types[_i]);
    arch_spec sx = tu_spec(opts);
    model a, b;
    seeded(&a, &s32, 9, 2);
    seeded(&b, &sx, 9, 2);
    ck_assert_int_eq(b.st.kv_type, sx.dtype == ARCH_BF16 ? ARCH_BF16 : ARCH_F16);
    float *la = logits_of(&a, prompt, PROMPT_N), *lb = logits_of(&b, prompt, PROMPT_N);
    double r = rel_l2(lb, la, s32.vocab);
    ck_assert_msg(r < tol[_i], "%s vs f32: relative L2 error %g >= %g", types[_i], r,
                  tol[_i]);
    ck_assert_msg(r > 0, "%s gave exactly the f32 logits: not a %s path", types[_i],
                  types[_i]);
    ck_assert_msg(sx.dtype != ARCH_INT4 || r > 0.14, "int4 vs f32: %g, not 4-bit's error", r);
    const ref_block *k = &b.w.blocks[1];
    const kern_mat *m[] = {&b.w.embed, &k->wq, &k->wk, &k->wv, &k->wo, &k->w1, &k->w2, &k->w3};
    for (int i = 0; sx.dtype == ARCH_INT4 && i < 8; i++) /* where the layout puts them */
        ck_assert_ptr_eq(m[i]->scales_f16, (const char *)m[i]->data +
                                               arch_int4_scales_offset(m[i]->rows, m[i]->cols));
    free(la);
    free(lb);
    done(&a);
    done(&b);
}
END_TEST

/* --embed-dtype: f32 layers with an int8 embedding and classifier. The
 * int8 error sources of test_dtypes_near_f32 are now only the embedding
 * row (3.9e-3) and the classifier (its weights 3.9e-3 and its
 * activations 5.7e-3): 7.9e-3 in quadrature, bound 1.5 x that; the f32
 * layers add none, so the error is at least an int8 source's (a path that
 * left the classifier in f32 would give an embedding row's alone, and one
 * that left both in f32 exactly 0). The two tables are int8 matrices with
 * their scales where the layout puts them, the layers f32. */
START_TEST(test_embed_dtype)
{
    const char *base = "layers=2 dim=128 heads=4 kv_heads=2 vocab=200 seq_len=64 dtype=f32";
    char opts[256];
    snprintf(opts, sizeof opts, "%s tied=%d", base, !_i);
    arch_spec s32 = tu_spec(opts);
    snprintf(opts, sizeof opts, "%s tied=%d embed_dtype=int8", base, !_i);
    arch_spec s8 = tu_spec(opts);
    model a, b;
    seeded(&a, &s32, 9, 2);
    seeded(&b, &s8, 9, 2);
    const kern_mat *t[] = {&b.w.embed, &b.w.cls};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(t[i]->type, ARCH_INT8);
        ck_assert_ptr_eq(t[i]->scales, (const char *)t[i]->data +
                                           arch_int8_scales_offset(t[i]->rows, t[i]->cols));
    }
    ck_assert_int_eq(b.w.blocks[1].wq.type, ARCH_F32);
    ck_assert_int_eq(b.w.blocks[1].w2.type, ARCH_F32);
    float *la = logits_of(&a, prompt, PROMPT_N), *lb = logits_of(&b, prompt, PROMPT_N);
    double r = rel_l2(lb, la, s32.vocab);
    ck_assert_msg(r < 1.2e-2 && r > 4e-3, "int8 embedding and classifier vs f32: %g", r);
    free(la);
    free(lb);
    done(&a);
    done(&b);
}
END_TEST

/* int8 shapes whose rows*cols is not a multiple of 4 keep every per-row
 * scale an aligned float (UBSan flags a misaligned one) and run on both
 * kernel sets, near the f32 logits as in test_dtypes_near_f32; a shape
 * that is a multiple of 4 keeps the layout's (the simulator's) address,
 * right after the int8 values. */
static const char *const odd_int8[] = {
    "layers=1 dim=63 heads=4 head_dim=16 vocab=31 seq_len=16",
    "layers=1 dim=130 heads=5 head_dim=2 ffn_dim=1 vocab=11 seq_len=16",
    "layers=1 dim=64 heads=4 vocab=33 seq_len=16",
};
#define NODD ((int)(sizeof odd_int8 / sizeof *odd_int8))

START_TEST(test_int8_scales_aligned)
{
    lk_err e = {0};
    ck_assert_msg(kern_select(_i < NODD ? "auto" : "portable", &e) == LK_OK, "%s", e.msg);
    char opts[256];
    snprintf(opts, sizeof opts, "%s dtype=f32", odd_int8[_i % NODD]);
    arch_spec s32 = tu_spec(opts);
    snprintf(opts, sizeof opts, "%s dtype=int8", odd_int8[_i % NODD]);
    arch_spec s8 = tu_spec(opts);
    model a, b;
    seeded(&a, &s32, 5, 2);
    seeded(&b, &s8, 5, 2);
    const ref_block *k = &b.w.blocks[0];
    const kern_mat *m[] = {&b.w.embed, &k->wq, &k->wk, &k->wv, &k->wo, &k->w1, &k->w2, &k->w3};
    for (int i = 0; i < 8; i++) {
        ck_assert_msg((uintptr_t)m[i]->scales % _Alignof(float) == 0, "%s: matrix %d",
                      odd_int8[_i % NODD], i);
        /* where the layout (and so the simulator's trace) puts them */
        ck_assert_ptr_eq(m[i]->scales, (const char *)m[i]->data +
                                           arch_int8_scales_offset(m[i]->rows, m[i]->cols));
    }
    float *la = logits_of(&a, prompt, PROMPT_N), *lb = logits_of(&b, prompt, PROMPT_N);
    double r = rel_l2(lb, la, s32.vocab);
    ck_assert_msg(r < 8e-2, "%s: int8 vs f32: relative L2 error %g", odd_int8[_i % NODD], r);
    free(la);
    free(lb);
    done(&a);
    done(&b);
}
END_TEST

/* Weights or a state (KV cache and scratch) larger than any machine's
 * memory are refused before anything is allocated, with exit status 1's
 * code and the bytes needed and available (ASan would abort on the
 * allocation itself). 4096 executed layers of a 2^31-1 position KV cache
 * need 4096 x 2147483647 x 2 (K, V) x 8 (kv_dim) x 4 bytes = 562950.0 GB;
 * 4000 blocks of dim 8192 need 4000 x (4 x 8192^2 + 3 x 8192 x 22016) x 2
 * bytes (f16; SwiGLU hidden 22016) + norms + 2 x 32000 x 8192 x 2 bytes
 * = 6477.3 GB of weights. */
START_TEST(test_too_big_refused)
{
    arch_spec s = tu_spec("layers=1 dim=16 heads=2 kv_heads=1 vocab=10 dtype=f32 "
                          "share=immediate repeat=4096 seq_len=2147483647");
    model m = {.p = new_pool(2)};
    lk_err e = {0};
    ck_assert_msg(ref_weights_seeded(&m.w, &s, 1, m.p, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(ref_state_build(&m.st, &m.w, m.p, &e), LK_ERUN);
    ck_assert_msg(strstr(e.msg, "model state: needs ") &&
                  strstr(e.msg, "KV cache 562950.0 GB at seq_len 2147483647") &&
                  strstr(e.msg, "this machine has"), "%s", e.msg);
    done(&m);

    s = tu_spec("layers=4000 dim=8192 heads=64");
    m = (model){.p = new_pool(2)};
    ck_assert_int_eq(ref_weights_seeded(&m.w, &s, 1, m.p, &e), LK_ERUN);
    ck_assert_msg(strstr(e.msg, "weights: need 6477.3 GB, this machine has"), "%s", e.msg);
    done(&m);
}
END_TEST

/* The forward pass times its parts (mat-vecs, attention, the rest): each
 * took some time, and together no more than the wall-clock time around
 * the calls (they are disjoint intervals inside it). */
START_TEST(test_time_parts)
{
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 kv_heads=2 vocab=97 dtype=f32");
    model m;
    seeded(&m, &s, 3, 2);
    memset(m.st.time_ms, 0, sizeof m.st.time_ms);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int64_t i = 0; i < 3; i++)
        ref_forward(&m.st, i + 1, i);
    ref_prefill(&m.st, prompt, PROMPT_N, REF_BATCH);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double wall = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    double sum = 0;
    for (int k = 0; k < REF_TIME_PARTS; k++) {
        ck_assert_msg(m.st.time_ms[k] > 0, "part %d took no time", k);
        sum += m.st.time_ms[k];
    }
    ck_assert_msg(sum <= wall, "parts %g ms > wall %g ms", sum, wall);
    done(&m);
}
END_TEST

/* The thread count changes only how rows are split, not the result. */
START_TEST(test_threads_agree)
{
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 kv_heads=2 vocab=97 dtype=f32");
    model a, b;
    seeded(&a, &s, 3, 1);
    seeded(&b, &s, 3, 3);
    float *la = logits_of(&a, prompt, PROMPT_N), *lb = logits_of(&b, prompt, PROMPT_N);
    ck_assert_msg(rel_max(la, lb, s.vocab) < 1e-6, "1 vs 3 threads differ");
    free(la);
    free(lb);
    done(&a);
    done(&b);
}
END_TEST

/* The generator's promises: same seed, same blob; other seed, other blob;
 * matrices with mean 0 and variance 1/cols (uniform on +-sqrt(3/cols));
 * residual writers (wo, w2) scaled by 1/sqrt(2 * executed layers). */
START_TEST(test_seeded_statistics)
{
    arch_spec s = tu_spec("layers=2 dim=128 heads=4 vocab=300 dtype=f32 share=immediate");
    model a, b, c;
    seeded(&a, &s, 42, 1);
    seeded(&b, &s, 42, 2);
    seeded(&c, &s, 43, 2);
    ck_assert(memcmp(a.w.blob, b.w.blob, a.w.blob_bytes) == 0);
    ck_assert(memcmp(a.w.blob, c.w.blob, a.w.blob_bytes) != 0);
    const kern_mat *m[] = {&a.w.embed, &a.w.blocks[1].w1, &a.w.blocks[0].wo};
    double want_scale[] = {1, 1, 1 / sqrt(2.0 * 4)};
    for (int k = 0; k < 3; k++) {
        const float *v = m[k]->data;
        int64_t n = m[k]->rows * m[k]->cols;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; i++) {
            sum += v[i];
            sq += (double)v[i] * v[i];
        }
        double var = want_scale[k] * want_scale[k] / (double)m[k]->cols;
        /* mean of n uniform values: std sqrt(var/n); allow 5 sigma */
        ck_assert_msg(fabs(sum / n) < 5 * sqrt(var / n), "tensor %d: mean %g", k, sum / n);
        ck_assert_msg(fabs(sq / n / var - 1) < 0.05, "tensor %d: variance %g, want %g", k,
                      sq / n, var);
    }
    done(&a);
    done(&b);
    done(&c);
}
END_TEST

/* 128 executed layers (4 blocks x 32) keep the logits finite and O(1). */
START_TEST(test_deep_finite)
{
    arch_spec s = tu_spec("layers=4 dim=64 heads=4 vocab=50 dtype=f32 "
                          "share=repeat-all-over repeat=32 seq_len=32");
    ck_assert_int_eq(arch_executed_layers(&s), 128);
    model m;
    seeded(&m, &s, 1, 2);
    float *l = logits_of(&m, prompt, PROMPT_N);
    double sq = 0;
    for (int64_t i = 0; i < s.vocab; i++) {
        ck_assert(isfinite(l[i]));
        sq += (double)l[i] * l[i];
    }
    double rms = sqrt(sq / s.vocab);
    ck_assert_msg(rms > 0.05 && rms < 20, "logit rms %g", rms);
    free(l);
    done(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ref");
    TCase *t = tcase_create("model");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, test_decode_matches_naive, 0, 2 * NSHAPES);
    tcase_add_loop_test(t, test_prefill_matches_naive, 0, 2 * NSHAPES);
    tcase_add_loop_test(t, test_prefill_matches_decode, 0, 5);
    tcase_add_test(t, test_gqa_equals_mha);
    tcase_add_loop_test(t, test_shared_equals_unrolled, 0, sizeof sharing / sizeof *sharing);
    tcase_add_loop_test(t, test_dtypes_near_f32, 0, 4);
    tcase_add_loop_test(t, test_embed_dtype, 0, 2);
    tcase_add_loop_test(t, test_int8_scales_aligned, 0, 2 * NODD);
    tcase_add_test(t, test_threads_agree);
    tcase_add_test(t, test_too_big_refused);
    tcase_add_test(t, test_time_parts);
    tcase_add_test(t, test_seeded_statistics);
    tcase_add_test(t, test_deep_finite);
    tcase_add_loop_test(t, test_window_matches_masked, 0, 2);
    tcase_add_loop_test(t, test_kv_int8_near_f32, 0, 2);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
