/* kern_neon.c -- aarch64 kernels (Advanced SIMD, which every aarch64
 * core has, and the dot-product extension where present). Compiled only
 * for aarch64 (Makefile ISA_SRC); kern.c chooses between the two tables
 * at the end from getauxval(AT_HWCAP) (kern_neon_dot where the CPU has
 * dotprod, kern_neon elsewhere), and takes the portable kernels
 * for what neither table has (the exponential and SwiGLU: kern_exp1
 * element by element, a small part of a token beside the mat-vecs).
 *
 * Decode is bound by memory bandwidth as on x86 (kern_avx512.c says
 * why rows are processed one after the other, as one sequential stream,
 * without software prefetch); within a row each step takes 16 values
 * into four independent accumulators.
 *
 * Instructions per weight type:
 *  - f32: FMLA on four lanes.
 *  - f16: FCVTL widens the weights to f32, FMLA with the f32
 *    activations. FP16 arithmetic (asimdhp) would round the activations
 *    to f16 too, where the x86 kernels keep them in f32, so it is not
 *    used.
 *  - bf16: a 16-bit left shift (USHLL) widens exactly to f32, then FMLA.
 *    BFDOT / BFMMLA (the bf16 extension) would round the activations to
 *    bf16, so they are not used either.
 *  - int8 (u8 activations with a zero point times s8 weights): SDOT has
 *    no u8 x s8 form (that is USDOT, i8mm), so the activations are moved
 *    to s8 by flipping their top bit (q - 128) and the row's sum of
 *    weights, also taken by SDOT against ones, adds the 128 back:
 *    sum q w = sum (q - 128) w + 128 sum w, exact in integers, so every
 *    implementation agrees bit for bit (kern_i8_finish). Without
 *    dotprod: SMULL / SMULL2 to 16-bit products, SADALP into 32-bit
 *    lanes. Either way the 32-bit lanes cannot overflow within a
 *    KERN_I8_CHUNK (|(q - 128) w| <= 128 * 127).
 *  - int4 (kern.h's packed nibbles, groups that 16 divides): 8 bytes
 *    split into low and high nibbles (AND, USHR) and put back in column
 *    order (ZIP1 / ZIP2), minus 8, then the int8 step above; each
 *    group's exact integer sum times its f16 scale is added in f32 in
 *    the portable kernel's order. Other groups run the portable kernel.
 *  - conversions f32 <-> f16: FCVTN / FCVTL (round to nearest even, as
 *    kern_f2h).
 *  - attention over the f32 / f16 / bf16 cache: the same widening and
 *    FMLA for the scores and for the value mix.
 */
#include "kern_impl.h"

#include <arm_neon.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>

/* arm_neon.h declares the dot-product intrinsics for Armv8.2-A with it. */
#define DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#define INLINE static inline __attribute__((always_inline))

/* ---- loading and widening ------------------------------------------- */

/* 4 values from element c of a row of f32, f16 or bf16, as f32. */
typedef float32x4_t (*load4)(const void *row, int64_t c);
/* One value, for the tails. */
typedef float (*load1)(const void *row, int64_t c);

INLINE float32x4_t ld4_f32(const void *row, int64_t c)
{
    return vld1q_f32((const float *)row + c);
}
INLINE float32x4_t ld4_f16(const void *row, int64_t c)
{
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)row + c)));
}
INLINE float32x4_t ld4_bf16(const void *row, int64_t c)
{
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)row + c), 16));
}
INLINE float ld1_f32(const void *row, int64_t c)
{
    return ((const float *)row)[c];
}
INLINE float ld1_f16(const void *row, int64_t c)
{
    return kern_h2f(((const uint16_t *)row)[c]);
}
INLINE float ld1_bf16(const void *row, int64_t c)
{
    return kern_b2f(((const uint16_t *)row)[c]);
}

/* row . x over n values: 16 per step into four accumulators. */
INLINE float dot(const void *row, const float *x, int64_t n, load4 ld4, load1 ld1)
{
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        a0 = vfmaq_f32(a0, ld4(row, c), vld1q_f32(x + c));
        a1 = vfmaq_f32(a1, ld4(row, c + 4), vld1q_f32(x + c + 4));
        a2 = vfmaq_f32(a2, ld4(row, c + 8), vld1q_f32(x + c + 8));
        a3 = vfmaq_f32(a3, ld4(row, c + 12), vld1q_f32(x + c + 12));
    }
    for (; c + 4 <= n; c += 4)
        a0 = vfmaq_f32(a0, ld4(row, c), vld1q_f32(x + c));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; c < n; c++)
        s += ld1(row, c) * x[c];
    return s;
}

/* o[i] += a * row[i] over n values. */
INLINE void axpy(float *o, float a, const void *row, int64_t n, load4 ld4, load1 ld1)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(o + i, vfmaq_n_f32(vld1q_f32(o + i), ld4(row, i), a));
    for (; i < n; i++)
        o[i] += a * ld1(row, i);
}

/* ---- matrix products ------------------------------------------------ */

/* Row after row, every token's dot product while the row is in L1. */
INLINE void matmul_float(float *out, int64_t ostride, const kern_mat *w,
                         const kern_act *a, int64_t nt, int64_t r0, int64_t r1,
                         load4 ld4, load1 ld1)
{
    size_t bytes = (size_t)w->cols * arch_dtype_size(w->type);
    for (int64_t r = r0; r < r1; r++) {
        const char *row = (const char *)w->data + (size_t)r * bytes;
        for (int64_t t = 0; t < nt; t++)
            out[t * ostride + r - r0] = dot(row, a[t].x, w->cols, ld4, ld1);
    }
}

#define MATMUL_FLOAT(name, ld4, ld1)                                          \
    static void name(float *out, int64_t ostride, const kern_mat *w,          \
                     const kern_act *a, int64_t nt, int64_t r0, int64_t r1)   \
    {                                                                         \
        matmul_float(out, ostride, w, a, nt, r0, r1, ld4, ld1);               \
    }
MATMUL_FLOAT(mm_f32, ld4_f32, ld1_f32)
MATMUL_FLOAT(mm_f16, ld4_f16, ld1_f16)
MATMUL_FLOAT(mm_bf16, ld4_bf16, ld1_bf16)

/* One step of an int8 row: *d += s . w and *ws += sum w in 32-bit lanes,
 * s = the activations minus 128 (16 values each). */
typedef void (*i8step)(int32x4_t *d, int32x4_t *ws, int8x16_t s, int8x16_t w);

DOTPROD INLINE void step_sdot(int32x4_t *d, int32x4_t *ws, int8x16_t s, int8x16_t w)
{
    *d = vdotq_s32(*d, s, w);
    *ws = vdotq_s32(*ws, w, vdupq_n_s8(1));
}
INLINE void step_widen(int32x4_t *d, int32x4_t *ws, int8x16_t s, int8x16_t w)
{
    *d = vpadalq_s16(*d, vmull_s8(vget_low_s8(s), vget_low_s8(w)));
    *d = vpadalq_s16(*d, vmull_high_s8(s, w));
    *ws = vpadalq_s16(*ws, vpaddlq_s8(w));
}

/* sum q[c] * row[c] (u8 times s8) and *wsum = sum row[c] over n columns,
 * in chunks of KERN_I8_CHUNK columns (see kern_impl.h). */
INLINE int64_t dot_i8(const int8_t *row, const uint8_t *q, int64_t n,
                      int64_t *wsum, i8step step)
{
    int64_t dot = 0;
    *wsum = 0;
    for (int64_t c0 = 0; c0 < n; c0 += KERN_I8_CHUNK) {
        int64_t c1 = c0 + KERN_I8_CHUNK < n ? c0 + KERN_I8_CHUNK : n, c = c0;
        int32x4_t d = vdupq_n_s32(0), ws = d;
        for (; c + 16 <= c1; c += 16) {
            int8x16_t s = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(q + c), vdupq_n_u8(0x80)));
            step(&d, &ws, s, vld1q_s8(row + c));
        }
        int32_t ds = vaddvq_s32(d), s = vaddvq_s32(ws);
        for (; c < c1; c++) {
            ds += ((int32_t)q[c] - 128) * row[c];
            s += row[c];
        }
        dot += ds + 128 * (int64_t)s;
        *wsum += s;
    }
    return dot;
}

INLINE void matmul_i8(float *out, int64_t ostride, const kern_mat *w,
                      const kern_act *a, int64_t nt, int64_t r0, int64_t r1,
                      i8step step)
{
    for (int64_t r = r0; r < r1; r++) {
        const int8_t *row = (const int8_t *)w->data + r * w->cols;
        for (int64_t t = 0; t < nt; t++) {
            int64_t wsum, d = dot_i8(row, (const uint8_t *)a[t].q, w->cols, &wsum, step);
            out[t * ostride + r - r0] = kern_i8_finish(d, wsum, &a[t], w->scales[r]);
        }
    }
}

/* An integer product (matmul_i8 or matmul_i4) with one step function. */
#define MATMUL_INT(name, attr, matmul, step)                                   \
    attr static void name(float *out, int64_t ostride, const kern_mat *w,     \
                          const kern_act *a, int64_t nt, int64_t r0, int64_t r1) \
    {                                                                         \
        matmul(out, ostride, w, a, nt, r0, r1, step);                         \
    }
MATMUL_INT(mm_i8_sdot, DOTPROD, matmul_i8, step_sdot)
MATMUL_INT(mm_i8_widen, , matmul_i8, step_widen)

/* Columns c .. c + 15 of a packed int4 row as s8 (kern.h). */
INLINE int8x16_t i4_unpack16(const uint8_t *row, int64_t c)
{
    uint8x8_t b = vld1_u8(row + c / 2);
    uint8x8_t lo = vand_u8(b, vdup_n_u8(15)), hi = vshr_n_u8(b, 4);
    uint8x16_t v = vcombine_u8(vzip1_u8(lo, hi), vzip2_u8(lo, hi));
    return vsubq_s8(vreinterpretq_s8_u8(v), vdupq_n_s8(8));
}

/* The portable kernel's dot_i4 (kern.c) with each group's integer sum
 * sum (qa - zero) q = sum (qa - 128) q + (128 - zero) sum q taken 16
 * columns at a time: the same integers, the same f32 steps. */
INLINE float dot_i4(const uint8_t *row, const uint16_t *scales, const kern_act *a,
                    int64_t n, int64_t g, i8step step)
{
    const uint8_t *q = (const uint8_t *)a->q;
    float acc = 0;
    for (int64_t c0 = 0; c0 < n; c0 += g) {
        int32x4_t d = vdupq_n_s32(0), ws = d;
        for (int64_t c = c0; c < c0 + g; c += 16) {
            int8x16_t s = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(q + c), vdupq_n_u8(0x80)));
            step(&d, &ws, s, i4_unpack16(row, c));
        }
        int32_t sum = vaddvq_s32(d) + (128 - a->zero) * vaddvq_s32(ws);
        acc += kern_h2f(scales[c0 / g]) * (float)sum;
    }
    return acc;
}

INLINE void matmul_i4(float *out, int64_t ostride, const kern_mat *w,
                      const kern_act *a, int64_t nt, int64_t r0, int64_t r1,
                      i8step step)
{
    int64_t n = w->cols, g = w->group;
    if (g % 16) {
        kern_portable.matmul[ARCH_INT4](out, ostride, w, a, nt, r0, r1);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w->data + r * (n / 2);
        for (int64_t t = 0; t < nt; t++)
            out[t * ostride + r - r0] =
                a[t].scale * dot_i4(row, w->scales_f16 + r * (n / g), &a[t], n, g, step);
    }
}

MATMUL_INT(mm_i4_sdot, DOTPROD, matmul_i4, step_sdot)
MATMUL_INT(mm_i4_widen, , matmul_i4, step_widen)

/* ---- activations and conversions ------------------------------------ */

static void range(const float *x, int64_t n, float *lo, float *hi)
{
    float32x4_t l = vdupq_n_f32(0), h = l;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        l = vminq_f32(l, vld1q_f32(x + i));
        h = vmaxq_f32(h, vld1q_f32(x + i));
    }
    float lv = vminvq_f32(l), hv = vmaxvq_f32(h);
    for (; i < n; i++) {
        lv = x[i] < lv ? x[i] : lv;
        hv = x[i] > hv ? x[i] : hv;
    }
    *lo = lv;
    *hi = hv;
}

/* x * inv + zero fused, as the compiler contracts the portable kernel's
 * expression on aarch64 (so both give the same q); FCVTNU rounds to
 * nearest even (nearbyintf's rounding) and saturates below at 0, the two
 * UQXTN narrowings at 255. */
static void quantize_act(uint8_t *q, const float *x, int64_t n, float inv,
                         float zero)
{
    int64_t i = 0;
    float32x4_t vi = vdupq_n_f32(inv), vz = vdupq_n_f32(zero);
    for (; i + 8 <= n; i += 8) {
        uint32x4_t a = vcvtnq_u32_f32(vfmaq_f32(vz, vld1q_f32(x + i), vi));
        uint32x4_t b = vcvtnq_u32_f32(vfmaq_f32(vz, vld1q_f32(x + i + 4), vi));
        uint16x8_t h = vcombine_u16(vqmovn_u32(a), vqmovn_u32(b));
        vst1_u8(q + i, vqmovn_u16(h));
    }
    for (; i < n; i++) {
        float v = nearbyintf(fmaf(x[i], inv, zero));
        q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static void f16_from_f32(uint16_t *dst, const float *src, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1_u16(dst + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
    for (; i < n; i++)
        dst[i] = kern_f2h(src[i]);
}

static void f16_to_f32(float *dst, const uint16_t *src, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(dst + i, ld4_f16(src, i));
    for (; i < n; i++)
        dst[i] = kern_h2f(src[i]);
}

static float sum(const float *x, int64_t n)
{
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vaddq_f32(a0, vld1q_f32(x + i));
        a1 = vaddq_f32(a1, vld1q_f32(x + i + 4));
        a2 = vaddq_f32(a2, vld1q_f32(x + i + 8));
        a3 = vaddq_f32(a3, vld1q_f32(x + i + 12));
    }
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* ---- attention ------------------------------------------------------ */

/* See kern_attend() in kern.h. Position after position, every query head
 * of the group uses the key (value) just read. */
INLINE void attend_t(float *o, float *ml, const float *q, int64_t nq,
                     const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                     float *att, load4 ld4, load1 ld1)
{
    int64_t n = t1 - t0, hd = kv->hd;
    size_t row = (size_t)kv->stride * arch_dtype_size(kv->type);
    const char *k = (const char *)kv->k + (size_t)t0 * row;
    const char *v = (const char *)kv->v + (size_t)t0 * row;
    for (int64_t t = 0; t < n; t++)
        for (int64_t h = 0; h < nq; h++)
            att[h * n + t] = scale * dot(k + t * row, q + h * hd, hd, ld4, ld1);
    kern_softmax_parts(att, nq, n, ml);
    memset(o, 0, (size_t)(nq * hd) * sizeof *o);
    for (int64_t t = 0; t < n; t++)
        for (int64_t h = 0; h < nq; h++)
            axpy(o + h * hd, att[h * n + t], v + t * row, hd, ld4, ld1);
}

static void attend(float *o, float *ml, const float *q, int64_t nq,
                   const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                   float *att)
{
    switch (kv->type) {
    case ARCH_F16:
        attend_t(o, ml, q, nq, kv, t0, t1, scale, att, ld4_f16, ld1_f16);
        break;
    case ARCH_BF16:
        attend_t(o, ml, q, nq, kv, t0, t1, scale, att, ld4_bf16, ld1_bf16);
        break;
    case ARCH_INT8: /* the portable kernel: no NEON one yet */
        kern_portable.attend(o, ml, q, nq, kv, t0, t1, scale, att);
        break;
    default: /* f32 */
        attend_t(o, ml, q, nq, kv, t0, t1, scale, att, ld4_f32, ld1_f32);
        break;
    }
}

/* ---- the two tables ------------------------------------------------- */

static int has_dotprod(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
}

static int always(void)
{
    return 1;
}

/* The tables differ only in the int8 and int4 products; exp and swiglu
 * are the portable ones. */
KERN_TABLE(kern_neon_dot, "neon+dotprod", has_dotprod, mm_i8_sdot, mm_i4_sdot, NULL, NULL);
KERN_TABLE(kern_neon, "neon", always, mm_i8_widen, mm_i4_widen, NULL, NULL);
