/* kern.c -- the portable kernels, the public API of kern.h and the choice
 * of implementation at run time. The instruction-set kernels are in
 * kern_avx512.c and kern_avx2.c (x86-64) and kern_neon.c (aarch64),
 * compiled only there.
 *
 * int8 activations (W8A8): per-token asymmetric min-max quantization to
 * u8 with a zero point, x ~= (q - zero) * scale, scale = (max - min) /
 * 255 over a range widened to contain 0. Asymmetric rather than symmetric
 * absmax because (1) it spends all 256 levels on the values that occur,
 * which matters for one-sided inputs such as silu(w1 x) * w3 x after the
 * FFN gate (symmetric would waste half the levels), and (2) VNNI's
 * vpdpbusd multiplies u8 by s8, which is exactly this layout: activations
 * u8, weights s8 (symmetric per-row, as the layout fixes). The zero point
 * costs one correction per row, z * sum(qw), summed alongside.
 *
 * Error of one activation: with v = x / scale + zero, v lies in [d, 255 +
 * d] for |d| <= 1/2 (zero is rounded), so rounding to 0..255 never clips
 * and |x - (q - zero) * scale| <= scale / 2 (tests/test_kern.c checks it).
 *
 * int4 weights (W4A8) take the same activations. A group's products sum
 * exactly in int32: |(qa - zero) q| <= 255 * 8 per column, and a group
 * has at most ARCH_MAX_GROUP columns (arch/spec.h). Each group's sum is
 * converted to f32 and multiplied by its scale, and the row's groups
 * summed in f32 (so implementations that split the sums differently
 * agree within the f32 rounding of that sum, not bit for bit;
 * tests/test_kern.c derives the bound).
 */
#include "kern_impl.h"

#include <float.h>

/* ---- portable kernels ---------------------------------------------- */

/* One weight as f32 from a row of type T. */
static inline float ld_f32(const void *row, int64_t c)
{
    return ((const float *)row)[c];
}
static inline float ld_f16(const void *row, int64_t c)
{
    return kern_h2f(((const uint16_t *)row)[c]);
}
static inline float ld_bf16(const void *row, int64_t c)
{
    return kern_b2f(((const uint16_t *)row)[c]);
}

/* A row dot product with four accumulators (independent add chains). */
static inline __attribute__((always_inline)) float
dot_row(const void *row, const float *x, int64_t n,
        float (*ld)(const void *, int64_t))
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t c = 0;
    for (; c + 4 <= n; c += 4) {
        s0 += ld(row, c) * x[c];
        s1 += ld(row, c + 1) * x[c + 1];
        s2 += ld(row, c + 2) * x[c + 2];
        s3 += ld(row, c + 3) * x[c + 3];
    }
    for (; c < n; c++)
        s0 += ld(row, c) * x[c];
    return (s0 + s1) + (s2 + s3);
}

/* Row after row, every token's dot product while the row is in L1. */
#define PORTABLE_MATMUL(name, T, ld)                                        \
    static void name(float *out, int64_t ostride, const kern_mat *w,        \
                     const kern_act *a, int64_t nt, int64_t r0, int64_t r1) \
    {                                                                       \
        const T *W = w->data;                                               \
        for (int64_t r = r0; r < r1; r++)                                   \
            for (int64_t t = 0; t < nt; t++)                                \
                out[t * ostride + r - r0] =                                 \
                    dot_row(W + r * w->cols, a[t].x, w->cols, ld);          \
    }
PORTABLE_MATMUL(mm_f32, float, ld_f32)
PORTABLE_MATMUL(mm_f16, uint16_t, ld_f16)
PORTABLE_MATMUL(mm_bf16, uint16_t, ld_bf16)

/* sum q[c] * row[c] (u8 times s8) and *wsum = sum row[c] over n columns,
 * in int32 chunks of KERN_I8_CHUNK columns (see kern_impl.h). */
static int64_t dot_i8(const int8_t *row, const uint8_t *q, int64_t n, int64_t *wsum)
{
    int64_t dot = 0;
    *wsum = 0;
    for (int64_t c0 = 0; c0 < n; c0 += KERN_I8_CHUNK) {
        int64_t c1 = c0 + KERN_I8_CHUNK < n ? c0 + KERN_I8_CHUNK : n;
        int32_t d = 0, s = 0;
        for (int64_t c = c0; c < c1; c++) {
            d += (int32_t)q[c] * row[c];
            s += row[c];
        }
        dot += d;
        *wsum += s;
    }
    return dot;
}

static void mm_i8(float *out, int64_t ostride, const kern_mat *w,
                  const kern_act *a, int64_t nt, int64_t r0, int64_t r1)
{
    for (int64_t r = r0; r < r1; r++)
        for (int64_t t = 0; t < nt; t++) {
            const int8_t *row = (const int8_t *)w->data + r * w->cols;
            int64_t wsum, dot = dot_i8(row, (const uint8_t *)a[t].q, w->cols, &wsum);
            out[t * ostride + r - r0] = kern_i8_finish(dot, wsum, &a[t], w->scales[r]);
        }
}

/* sum over the groups of a row of scale_g * sum_{c in g} (qa_c - zero) q_c,
 * without the activation scale. */
static float dot_i4(const uint8_t *row, const uint16_t *scales, const kern_act *a,
                    int64_t n, int64_t group)
{
    const uint8_t *qa = (const uint8_t *)a->q;
    float acc = 0;
    for (int64_t c0 = 0; c0 < n; c0 += group) {
        int32_t d = 0;
        for (int64_t c = c0; c < c0 + group; c++)
            d += ((int32_t)qa[c] - a->zero) * kern_i4_get(row, c);
        acc += kern_h2f(scales[c0 / group]) * (float)d;
    }
    return acc;
}

static void mm_i4(float *out, int64_t ostride, const kern_mat *w,
                  const kern_act *a, int64_t nt, int64_t r0, int64_t r1)
{
    int64_t n = w->cols, per_row = n / w->group;
    for (int64_t r = r0; r < r1; r++)
        for (int64_t t = 0; t < nt; t++) {
            const uint8_t *row = (const uint8_t *)w->data + r * (n / 2);
            out[t * ostride + r - r0] =
                a[t].scale * dot_i4(row, w->scales_f16 + r * per_row, &a[t], n, w->group);
        }
}

static void range(const float *x, int64_t n, float *lo, float *hi)
{
    float l = 0, h = 0;
    for (int64_t i = 0; i < n; i++) {
        l = x[i] < l ? x[i] : l;
        h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
}

static void quantize_act(uint8_t *q, const float *x, int64_t n, float inv,
                         float zero)
{
    for (int64_t i = 0; i < n; i++) {
        float v = nearbyintf(x[i] * inv + zero);
        q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static void f16_from_f32(uint16_t *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = kern_f2h(src[i]);
}

static void f16_to_f32(float *dst, const uint16_t *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = kern_h2f(src[i]);
}

static float sum(const float *x, int64_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}

/* Element i of a cached key or value row (int8: unscaled). */
static inline float kv_value(arch_dtype t, const void *row, int64_t i)
{
    return t == ARCH_F32 ? ld_f32(row, i) : t == ARCH_F16 ? ld_f16(row, i)
           : t == ARCH_BF16 ? ld_bf16(row, i) : (float)((const int8_t *)row)[i];
}

/* The factor of a cached row's elements: an int8 row's scale (after its
 * hd values, kern.h), 1 for the float types. */
static inline float kv_scale(const kern_kv *kv, const char *row)
{
    float f = 1;
    if (kv->type == ARCH_INT8)
        memcpy(&f, row + kv->hd, sizeof f);
    return f;
}

/* See kern_attend() in kern.h. Position after position, every query head
 * of the group uses the key (value) just read; an int8 row's dot product
 * is scaled once. */
static void attend(float *o, float *ml, const float *q, int64_t nq,
                   const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                   float *att)
{
    int64_t n = t1 - t0, hd = kv->hd;
    size_t row = (size_t)kv->stride * arch_dtype_size(kv->type);
    const char *k = (const char *)kv->k + (size_t)t0 * row;
    const char *v = (const char *)kv->v + (size_t)t0 * row;
    for (int64_t t = 0; t < n; t++)
        for (int64_t h = 0; h < nq; h++) {
            float d = 0;
            for (int64_t i = 0; i < hd; i++)
                d += q[h * hd + i] * kv_value(kv->type, k + t * row, i);
            att[h * n + t] = scale * kv_scale(kv, k + t * row) * d;
        }
    kern_softmax_parts(att, nq, n, ml);
    memset(o, 0, (size_t)(nq * hd) * sizeof *o);
    for (int64_t t = 0; t < n; t++)
        for (int64_t h = 0; h < nq; h++) {
            float a = att[h * n + t] * kv_scale(kv, v + t * row);
            for (int64_t i = 0; i < hd; i++)
                o[h * hd + i] += a * kv_value(kv->type, v + t * row, i);
        }
}

static void exp_n(float *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = kern_exp1(src[i]);
}

static void swiglu(float *h, const float *g, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        h[i] = h[i] / (1 + kern_exp1(-h[i])) * g[i];
}

/* PEAK_ACC independent chains of a = a * m + c per step (m and c read
 * through volatile, so the compiler cannot fold them; a converges to
 * c / (1 - m) and never reaches a subnormal), for every type. */
#define PEAK_ACC 8

static int64_t peak(arch_dtype t, int64_t iters)
{
    (void)t;
    volatile float vm = 0.5f, vc = 1;
    float m = vm, c = vc, a[PEAK_ACC], s = 0;
    for (int k = 0; k < PEAK_ACC; k++)
        a[k] = (float)k;
    for (int64_t i = 0; i < iters; i++)
        for (int k = 0; k < PEAK_ACC; k++)
            a[k] = a[k] * m + c;
    for (int k = 0; k < PEAK_ACC; k++)
        s += a[k];
    vm = s; /* keep the result */
    return iters * PEAK_ACC;
}

static int always(void)
{
    return 1;
}

KERN_TABLE(kern_portable, "portable", always, mm_i8, mm_i4, exp_n, swiglu, .peak = peak);

/* ---- choice of implementation -------------------------------------- */

/* Best first; the portable kernels always exist. */
static const kern_impl *const impls[] = {
#ifdef KERN_AVX512
    &kern_avx512,
    &kern_avx2,
#endif
#ifdef KERN_NEON
    &kern_neon_dot,
    &kern_neon,
#endif
    &kern_portable,
};
#define NIMPLS (sizeof impls / sizeof impls[0])

/* The chosen table, its NULL members filled from kern_portable. */
static kern_impl cur;

/* Chosen before main() so that threads never race to choose. */
__attribute__((constructor)) static void choose(void)
{
    kern_select("auto", NULL);
}

static const kern_impl *impl(void)
{
    return &cur;
}

static void use(const kern_impl *k)
{
    cur = *k;
    const kern_impl *p = &kern_portable;
#define FILL(m) cur.m = cur.m ? cur.m : p->m
    for (size_t t = 0; t < sizeof cur.matmul / sizeof *cur.matmul; t++)
        FILL(matmul[t]);
    FILL(range);
    FILL(quantize_act);
    FILL(f16_from_f32);
    FILL(f16_to_f32);
    FILL(sum);
    FILL(attend);
    FILL(exp);
    FILL(swiglu);
    FILL(peak);
#undef FILL
}

int kern_select(const char *name, lk_err *e)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < NIMPLS; i++) {
        const char *n = impls[i]->name; /* "avx512" names "avx512+vnni" */
        if (strcmp(name, "auto") != 0 &&
            (strncmp(n, name, len) != 0 || (n[len] != 0 && n[len] != '+')))
            continue;
        if (!impls[i]->supported()) {
            if (strcmp(name, "auto") == 0)
                continue;
            return lk_fail(e, LK_EINPUT, "kernels: %s: this CPU cannot run them",
                           name);
        }
        use(impls[i]);
        return LK_OK;
    }
    return lk_fail(e, LK_EINPUT,
                   "kernels: '%s': unknown or not in this build (auto, avx512 and avx2 "
                   "on x86-64, neon on aarch64, portable)", name);
}

const char *kern_name(void)
{
    return impl()->name;
}

/* ---- public API ---------------------------------------------------- */

void kern_act_prepare(kern_act *a, arch_dtype t, const float *x, int64_t n,
                      int8_t *q)
{
    *a = (kern_act){.n = n, .x = x, .q = NULL, .scale = 1, .zero = 0};
    if (t != ARCH_INT8 && t != ARCH_INT4)
        return;
    float lo, hi; /* the range always contains 0 */
    impl()->range(x, n, &lo, &hi);
    float scale = (hi - lo) / 255;
    if (!(scale > FLT_MIN)) /* all zero (or tiny): any scale is exact */
        scale = 1;
    a->q = q;
    a->scale = scale;
    a->zero = (int32_t)nearbyintf(-lo / scale);
    impl()->quantize_act((uint8_t *)q, x, n, 1 / scale, (float)a->zero);
}

void kern_matmul(float *out, int64_t ostride, const kern_mat *w,
                 const kern_act *x, int64_t nt, int64_t row0, int64_t row1)
{
    if (row1 > row0 && nt > 0)
        impl()->matmul[w->type](out, ostride, w, x, nt, row0, row1);
}

void kern_matvec(float *out, const kern_mat *w, const kern_act *x,
                 int64_t row0, int64_t row1)
{
    kern_matmul(out, 0, w, x, 1, row0, row1);
}

void kern_from_f32(arch_dtype t, void *dst, const float *src, int64_t n)
{
    switch (t) {
    case ARCH_F32:
        memcpy(dst, src, (size_t)n * sizeof(float));
        break;
    case ARCH_F16:
        impl()->f16_from_f32(dst, src, n);
        break;
    case ARCH_BF16:
        for (int64_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = kern_f2b(src[i]);
        break;
    case ARCH_INT8: /* needs scales: kern_quantize_rows */
    case ARCH_INT4: /* needs scales: kern_quantize_int4 */
        break;
    }
}

void kern_kv_store(arch_dtype t, void *row, const float *x, int64_t hd)
{
    if (t != ARCH_INT8) {
        kern_from_f32(t, row, x, hd);
        return;
    }
    float scale;
    kern_quantize_rows(row, &scale, x, 1, hd);
    memcpy((char *)row + hd, &scale, sizeof scale);
}

void kern_to_f32(arch_dtype t, float *dst, const void *src, int64_t n)
{
    switch (t) {
    case ARCH_F32:
        memcpy(dst, src, (size_t)n * sizeof(float));
        break;
    case ARCH_F16:
        impl()->f16_to_f32(dst, src, n);
        break;
    case ARCH_BF16:
        for (int64_t i = 0; i < n; i++)
            dst[i] = kern_b2f(((const uint16_t *)src)[i]);
        break;
    case ARCH_INT8: /* needs scales: kern_row_f32 */
    case ARCH_INT4:
        break;
    }
}

/* Symmetric per-row: qw = round(w * 127 / absmax) in -127..127, so
 * |w - qw * scale| <= scale / 2 with scale = absmax / 127. */
void kern_quantize_rows(int8_t *dst, float *scales, const float *src,
                        int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *w = src + r * cols;
        float amax = 0;
        for (int64_t c = 0; c < cols; c++)
            amax = fabsf(w[c]) > amax ? fabsf(w[c]) : amax;
        scales[r] = amax / 127;
        float inv = amax > 0 ? 127 / amax : 0;
        for (int64_t c = 0; c < cols; c++) {
            float v = nearbyintf(w[c] * inv);
            dst[r * cols + c] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
        }
    }
}

/* Symmetric per group: s = f16(absmax / 7), q = round(w / s) clamped to
 * -7..7. The clamp only acts when rounding s to f16 made it smaller
 * (absmax / s <= 7 (1 + 2^-11)), and then |w - 7 s| <= 7 s 2^-11, so
 * |w - q s| <= s / 2 holds for every weight. */
void kern_quantize_int4(uint8_t *dst, uint16_t *scales, const float *src,
                        int64_t cols, int64_t group)
{
    memset(dst, 0, (size_t)(cols / 2));
    for (int64_t c0 = 0; c0 < cols; c0 += group) {
        float amax = 0;
        for (int64_t c = c0; c < c0 + group; c++)
            amax = fabsf(src[c]) > amax ? fabsf(src[c]) : amax;
        uint16_t h = kern_f2h(amax / 7);
        float s = kern_h2f(h);
        scales[c0 / group] = h;
        for (int64_t c = c0; c < c0 + group; c++) {
            float v = s > 0 ? nearbyintf(src[c] / s) : 0;
            int q = (int)(v < -7 ? -7 : v > 7 ? 7 : v);
            dst[c / 2] |= (uint8_t)((q + 8) << (4 * (c & 1)));
        }
    }
}

void kern_row_f32(const kern_mat *w, int64_t r, float *dst)
{
    int64_t n = w->cols;
    if (w->type == ARCH_INT4) {
        const uint8_t *row = (const uint8_t *)w->data + r * (n / 2);
        const uint16_t *s = w->scales_f16 + r * (n / w->group);
        for (int64_t c = 0; c < n; c++)
            dst[c] = (float)kern_i4_get(row, c) * kern_h2f(s[c / w->group]);
        return;
    }
    if (w->type == ARCH_INT8) {
        const int8_t *q = (const int8_t *)w->data + r * n;
        for (int64_t c = 0; c < n; c++)
            dst[c] = q[c] * w->scales[r];
        return;
    }
    const char *row = (const char *)w->data + r * n * arch_dtype_size(w->type);
    kern_to_f32(w->type, dst, row, n);
}

void kern_attend(float *o, float *ml, const float *q, int64_t nq,
                 const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                 float *att)
{
    impl()->attend(o, ml, q, nq, kv, t0, t1, scale, att);
}

/* With M the largest part maximum, each part's sums are rescaled by
 * e^(m - M) (an empty part, m = -inf, by 0): l = sum l_p e^(m_p - M),
 * out = sum o_p e^(m_p - M) / l. */
void kern_attend_merge(float *out, int64_t hd, int64_t nparts,
                       const float *o, int64_t ostride, const float *ml,
                       int64_t mlstride)
{
    float M = -INFINITY, l = 0;
    for (int64_t p = 0; p < nparts; p++)
        M = ml[p * mlstride] > M ? ml[p * mlstride] : M;
    memset(out, 0, (size_t)hd * sizeof *out);
    for (int64_t p = 0; p < nparts; p++) {
        if (ml[p * mlstride + 1] == 0)
            continue;
        float f = expf(ml[p * mlstride] - M);
        l += f * ml[p * mlstride + 1];
        for (int64_t i = 0; i < hd; i++)
            out[i] += f * o[p * ostride + i];
    }
    for (int64_t i = 0; i < hd; i++)
        out[i] /= l;
}

void kern_exp(float *dst, const float *src, int64_t n)
{
    impl()->exp(dst, src, n);
}

void kern_swiglu(float *h, const float *g, int64_t n)
{
    impl()->swiglu(h, g, n);
}

float kern_sum(const float *x, int64_t n)
{
    return impl()->sum(x, n);
}

int64_t kern_peak(arch_dtype t, int64_t iters)
{
    return impl()->peak(t, iters);
}
