/* kern_impl.h -- private to ref/kern*.c: the table of kernels each
 * instruction set provides, and the scalar pieces they all share so that
 * every implementation rounds the same way.
 */
#ifndef REF_KERN_IMPL_H
#define REF_KERN_IMPL_H

#include <math.h>
#include <string.h>

#include "kern.h"

typedef void (*kern_matmul_fn)(float *out, int64_t ostride, const kern_mat *w,
                               const kern_act *x, int64_t nt, int64_t row0,
                               int64_t row1);

/* An implementation's table; a NULL member means "the portable one"
 * (kern.c fills it in when the table is chosen). */
typedef struct {
    const char *name;
    int (*supported)(void);                /* can this CPU run it? */
    kern_matmul_fn matmul[ARCH_DTYPE_COUNT]; /* indexed by arch_dtype */
    /* *lo = min(0, x[i]) and *hi = max(0, x[i]) over n values */
    void (*range)(const float *x, int64_t n, float *lo, float *hi);
    /* q[i] = round(x[i] * inv + zero) clamped to 0..255, n values */
    void (*quantize_act)(uint8_t *q, const float *x, int64_t n, float inv,
                         float zero);
    void (*f16_from_f32)(uint16_t *dst, const float *src, int64_t n);
    void (*f16_to_f32)(float *dst, const uint16_t *src, int64_t n);
    float (*sum)(const float *x, int64_t n);
    void (*attend)(float *o, float *ml, const float *q, int64_t nq,
                   const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                   float *att);
    void (*exp)(float *dst, const float *src, int64_t n);
    void (*swiglu)(float *h, const float *g, int64_t n);
    int64_t (*peak)(arch_dtype t, int64_t iters); /* kern_peak() */
} kern_impl;

/* The table of an implementation file whose kernels have these static
 * names: mm_f32, mm_f16, mm_bf16, the int8 and int4 products mm_i8_ and
 * mm_i4_, range, quantize_act, f16_from_f32, f16_to_f32, sum, attend,
 * and exp_ and swiglu_ (NULL: the portable ones); further designated
 * initializers (.peak = ...) may follow. */
#define KERN_TABLE(var, name_, supported_, mm_i8_, mm_i4_, exp_, swiglu_, ...) \
    const kern_impl var = {                                                   \
        .name = name_,                                                        \
        .supported = supported_,                                              \
        .matmul = {[ARCH_F32] = mm_f32, [ARCH_F16] = mm_f16,                  \
                   [ARCH_BF16] = mm_bf16, [ARCH_INT8] = mm_i8_,               \
                   [ARCH_INT4] = mm_i4_},                                     \
        .range = range,                                                       \
        .quantize_act = quantize_act,                                         \
        .f16_from_f32 = f16_from_f32,                                         \
        .f16_to_f32 = f16_to_f32,                                             \
        .sum = sum,                                                           \
        .attend = attend,                                                     \
        .exp = exp_,                                                          \
        .swiglu = swiglu_,                                                    \
        __VA_ARGS__                                                           \
    }

extern const kern_impl kern_portable;

/* The instruction-set kernels of this build, each in its own file that
 * the Makefile compiles only for its architecture and never under
 * LK_PORTABLE_ONLY (PORTABLE=1): keep these conditions and the
 * Makefile's ISA_SRC alike. */
#if defined(__x86_64__) && !defined(LK_PORTABLE_ONLY)
#define KERN_AVX512 1
extern const kern_impl kern_avx512; /* kern_avx512.c */
extern const kern_impl kern_avx2;   /* kern_avx2.c: int4 only */
#endif
#if defined(__aarch64__) && !defined(LK_PORTABLE_ONLY)
#define KERN_NEON 1
extern const kern_impl kern_neon_dot, kern_neon; /* kern_neon.c */
#endif

/* int8 dot products accumulate in int32 over at most this many columns,
 * then in int64: |q_act * q_w| <= 255 * 127 = 32385, and 32768 * 32385 =
 * 1,061,191,680 < 2^31, so a chunk's sum cannot overflow. */
#define KERN_I8_CHUNK 32768

/* The int8 row result from its exact integer parts: with x ~= (qa - z) *
 * sa and w ~= qw * sw, W.x ~= sw * sa * (sum qa*qw - z * sum qw). Every
 * implementation finishes a row here, so they agree bit for bit. */
static inline float kern_i8_finish(int64_t dot, int64_t wsum,
                                   const kern_act *a, float wscale)
{
    return wscale * a->scale * (float)(dot - (int64_t)a->zero * wsum);
}

/* Column c of a packed int4 row as its signed value q (kern.h: byte c / 2,
 * low nibble first, stored as q + 8). */
static inline int32_t kern_i4_get(const uint8_t *row, int64_t c)
{
    return (int32_t)((row[c / 2] >> (4 * (c & 1))) & 15) - 8;
}

/* Row r of w for `tokens` tokens (the caller's tile size, or 1) of an
 * integer product; ctx is the product's own. */
typedef void (*kern_row_tile)(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                              const kern_act *x, int tokens, const void *ctx);

/* Rows [r0, r1) in blocks of `block` rows (which stay in L1 while every
 * group of tokens passes over them, as kern_avx512.c's matmul_float()
 * does); within a block the nt tokens `tokens` at a time (the rest one
 * by one), each group over every row of the block. */
static inline void kern_row_blocks(float *out, int64_t ostride, const kern_mat *w,
                                   const kern_act *x, int64_t nt, int64_t r0, int64_t r1,
                                   int64_t block, int tokens, kern_row_tile tile,
                                   const void *ctx)
{
    for (int64_t b0 = r0; b0 < r1; b0 += block) {
        int64_t b1 = b0 + block < r1 ? b0 + block : r1;
        for (int64_t t = 0; t < nt; t += tokens)
            for (int64_t r = b0; r < b1; r++) {
                float *o = out + t * ostride + r - r0;
                if (nt - t >= tokens)
                    tile(o, ostride, w, r, x + t, tokens, ctx);
                else
                    for (int64_t u = 0; u < nt - t; u++)
                        tile(o + u * ostride, ostride, w, r, x + t + u, 1, ctx);
            }
    }
}

/* For an int4 product in steps of `cols` (32 or 64) columns with 4
 * columns per int32 lane: whether the groups fit its steps (the group
 * divides cols, or cols divides the group; otherwise it runs the portable
 * kernel), and then lane[k] = 4k / group, the group of lane k counted
 * from the step's first, for its cols / 4 lanes. */
static inline bool kern_i4_lanes(int64_t group, int cols, int32_t *lane)
{
    if (cols % group && group % cols)
        return false;
    for (int k = 0; k < cols / 4; k++)
        lane[k] = (int32_t)(4 * k / group);
    return true;
}

/* Scalar conversions (IEEE binary16 through the compiler's _Float16,
 * round to nearest even; bfloat16 is the top half of an f32). */
static inline float kern_h2f(uint16_t h)
{
    _Float16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

static inline uint16_t kern_f2h(float x)
{
    _Float16 f = (_Float16)x;
    uint16_t h;
    memcpy(&h, &f, 2);
    return h;
}

static inline float kern_b2f(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t kern_f2b(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if (isnan(x))
        return (uint16_t)((u >> 16) | 0x40); /* stay a (quiet) NaN */
    u += 0x7fff + ((u >> 16) & 1);            /* round to nearest even */
    return (uint16_t)(u >> 16);
}

/* e^x, as every implementation computes it (the AVX-512 one lane by lane
 * with fused multiply-adds, hence a last-bit difference at most):
 *  - clamp x to [KERN_EXP_LO, KERN_EXP_HI], where 2^n below stays a
 *    normal float;
 *  - x = n ln2 + r with n = round(x log2 e), |r| <= ln2 / 2 (plus a
 *    rounding), ln2 split in two (Cody and Waite) so that n * KERN_LN2_HI
 *    is exact (9 + 8 bits) and x - n * KERN_LN2_HI too (Sterbenz);
 *  - e^r by its Taylor series up to r^7: the remainder is at most
 *    e^|r| |r|^8 / 8! < 1.1e-8 of e^r for |r| <= 0.347, so the error is
 *    the few f32 roundings of the Horner steps (tests/test_kern.c bounds
 *    the whole against double-precision exp at 4e-7 relative);
 *  - times 2^n, built in the exponent bits. */
#define KERN_EXP_LO (-87.3f)
#define KERN_EXP_HI 88.3f
#define KERN_LOG2E 1.44269504088896341f
#define KERN_LN2_HI 0.693359375f      /* 355 / 512 */
#define KERN_LN2_LO (-2.12194440e-4f) /* ln 2 - 355 / 512 */

static inline float kern_exp1(float x)
{
    x = x < KERN_EXP_LO ? KERN_EXP_LO : x > KERN_EXP_HI ? KERN_EXP_HI : x;
    float n = nearbyintf(x * KERN_LOG2E);
    float r = (x - n * KERN_LN2_HI) - n * KERN_LN2_LO;
    float p = 1 / 5040.0f;
    p = p * r + 1 / 720.0f;
    p = p * r + 1 / 120.0f;
    p = p * r + 1 / 24.0f;
    p = p * r + 1 / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, 4);
    return p * two_n;
}

/* The softmax step of kern_attend() on scores att (nq rows of n, one per
 * query head): each row becomes exp(s_t - m) in place, and ml[2h] = m =
 * its maximum, ml[2h+1] = l = the sum of its new values. */
static inline void kern_softmax_parts(float *att, int64_t nq, int64_t n, float *ml)
{
    for (int64_t h = 0; h < nq; h++) {
        float *a = att + h * n, m = -INFINITY, l = 0;
        for (int64_t t = 0; t < n; t++)
            m = a[t] > m ? a[t] : m;
        for (int64_t t = 0; t < n; t++)
            l += a[t] = kern_exp1(a[t] - m);
        ml[2 * h] = m;
        ml[2 * h + 1] = l;
    }
}

#endif
