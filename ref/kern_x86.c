/* kern_x86.c -- AVX-512 kernels (F, BW, VL and VNNI, with F16C and FMA):
 * Intel Ice Lake and later, AMD Zen 4 and later.
 *
 * A decode mat-vec reads each weight once, so it is bound by memory
 * bandwidth. Rows are processed one after the other, which makes a whole
 * mat-vec (or a thread's share of it) one sequential stream: measured on
 * Zen 4, that reaches the streaming-read bandwidth, while interleaving 2-8
 * rows (to reuse each activation load) fell to 35-60% of it, as the
 * hardware prefetcher does not follow several short streams at once.
 * Two accumulators per row (32 columns a step) measured best from DRAM;
 * four or eight, or software prefetch 1-4 KiB ahead, were slower. Tails
 * use masked loads, never reading past a row. f16 and bf16 weights are
 * widened to f32 in registers (vcvtph2ps; a 16-bit shift for
 * bf16) and multiplied with the f32 activations, so x keeps its full
 * precision; int8 uses vpdpbusd (u8 activations times s8 weights, summed
 * in int32 lanes).
 */
#include "kern_impl.h"

#include <immintrin.h>

#define TARGET \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define INLINE static inline __attribute__((always_inline)) TARGET

#define ACC 2 /* accumulators per row (4 and 8 measured slower) */

/* Mask of the first k (0..16 or 0..64) lanes. */
INLINE __mmask16 mask16(int64_t k)
{
    return k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << k) - 1);
}
INLINE __mmask64 mask64(int64_t k)
{
    return k >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << k) - 1;
}

/* 16 weights from column c of a row, widened to f32; lanes outside m
 * are zero. */
typedef __m512 (*load16)(const void *row, int64_t c, __mmask16 m);

INLINE __m512 ld_f32(const void *row, int64_t c, __mmask16 m)
{
    return _mm512_maskz_loadu_ps(m, (const float *)row + c);
}
INLINE __m512 ld_f16(const void *row, int64_t c, __mmask16 m)
{
    return _mm512_cvtph_ps(
        _mm256_maskz_loadu_epi16(m, (const uint16_t *)row + c));
}
INLINE __m512 ld_bf16(const void *row, int64_t c, __mmask16 m)
{
    __m256i h = _mm256_maskz_loadu_epi16(m, (const uint16_t *)row + c);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* row . x over n columns. */
INLINE float dot_row(const void *row, const float *x, int64_t n, load16 ld)
{
    __m512 a[ACC];
    a[0] = a[1] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 16 * ACC <= n; c += 16 * ACC) {
#pragma GCC unroll 2
        for (int k = 0; k < ACC; k++)
            a[k] = _mm512_fmadd_ps(ld(row, c + 16 * k, 0xffff),
                                   _mm512_loadu_ps(x + c + 16 * k), a[k]);
    }
    for (; c < n; c += 16) {
        __mmask16 m = mask16(n - c);
        a[0] = _mm512_fmadd_ps(ld(row, c, m), _mm512_maskz_loadu_ps(m, x + c), a[0]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a[0], a[1]));
}

INLINE void matvec_float(float *out, const kern_mat *w, const kern_act *a,
                         int64_t r0, int64_t r1, int size, load16 ld)
{
    size_t stride = (size_t)w->cols * size;
    for (int64_t r = r0; r < r1; r++)
        out[r - r0] = dot_row((const char *)w->data + r * stride, a->x, w->cols, ld);
}

TARGET static void mv_f32(float *out, const kern_mat *w, const kern_act *a,
                          int64_t r0, int64_t r1)
{
    matvec_float(out, w, a, r0, r1, 4, ld_f32);
}
TARGET static void mv_f16(float *out, const kern_mat *w, const kern_act *a,
                          int64_t r0, int64_t r1)
{
    matvec_float(out, w, a, r0, r1, 2, ld_f16);
}
TARGET static void mv_bf16(float *out, const kern_mat *w, const kern_act *a,
                           int64_t r0, int64_t r1)
{
    matvec_float(out, w, a, r0, r1, 2, ld_bf16);
}

/* int8: *dot += sum qa*qw and *wsum += sum qw over columns [c, c1) (at
 * most KERN_I8_CHUNK of them, so the int32 lanes cannot overflow); two
 * accumulators each, 128 columns per step. */
INLINE void i8_chunk(int64_t *dot, int64_t *wsum, const int8_t *row,
                     const uint8_t *q, int64_t c, int64_t c1)
{
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i d[2], s[2];
    d[0] = d[1] = s[0] = s[1] = _mm512_setzero_si512();
    for (; c + 128 <= c1; c += 128) {
#pragma GCC unroll 2
        for (int k = 0; k < 2; k++) {
            __m512i qa = _mm512_loadu_si512(q + c + 64 * k);
            __m512i qw = _mm512_loadu_si512(row + c + 64 * k);
            d[k] = _mm512_dpbusd_epi32(d[k], qa, qw);
            s[k] = _mm512_dpbusd_epi32(s[k], ones, qw);
        }
    }
    for (; c < c1; c += 64) {
        __mmask64 m = mask64(c1 - c);
        __m512i qw = _mm512_maskz_loadu_epi8(m, row + c);
        d[0] = _mm512_dpbusd_epi32(d[0], _mm512_maskz_loadu_epi8(m, q + c), qw);
        s[0] = _mm512_dpbusd_epi32(s[0], ones, qw);
    }
    *dot += _mm512_reduce_add_epi32(_mm512_add_epi32(d[0], d[1]));
    *wsum += _mm512_reduce_add_epi32(_mm512_add_epi32(s[0], s[1]));
}

TARGET static void mv_i8(float *out, const kern_mat *w, const kern_act *a,
                         int64_t r0, int64_t r1)
{
    int64_t n = w->cols;
    for (int64_t r = r0; r < r1; r++) {
        const int8_t *row = (const int8_t *)w->data + r * n;
        int64_t dot = 0, wsum = 0;
        for (int64_t c = 0; c < n; c += KERN_I8_CHUNK) {
            int64_t c1 = c + KERN_I8_CHUNK < n ? c + KERN_I8_CHUNK : n;
            i8_chunk(&dot, &wsum, row, (const uint8_t *)a->q, c, c1);
        }
        out[r - r0] = kern_i8_finish(dot, wsum, a, w->scales[r]);
    }
}

/* Same arithmetic as the portable version: a multiply, then an add (not
 * fused), then round to nearest even (the default MXCSR mode). */
TARGET static void quantize_act(uint8_t *q, const float *x, int64_t n,
                                float inv, float zero)
{
    __m512 vi = _mm512_set1_ps(inv), vz = _mm512_set1_ps(zero);
    __m512i lo = _mm512_setzero_si512(), hi = _mm512_set1_epi32(255);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vi), vz);
        __m512i r = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), lo), hi);
        _mm512_mask_cvtusepi32_storeu_epi8(q + i, m, r);
    }
}

TARGET static void f16_from_f32(uint16_t *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_mask_storeu_epi16(dst + i, m, h);
    }
}

TARGET static void f16_to_f32(float *dst, const uint16_t *src, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(dst + i, m, ld_f16(src, i, m));
    }
}

/* Eight independent 64-byte loads per iteration keep enough misses in
 * flight to saturate DRAM from one core. */
TARGET static float sum(const float *x, int64_t n)
{
    __m512 s[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        s[k] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 128 <= n; i += 128) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            s[k] = _mm512_add_ps(s[k], _mm512_loadu_ps(x + i + 16 * k));
    }
    for (; i < n; i += 16)
        s[0] = _mm512_add_ps(s[0], _mm512_maskz_loadu_ps(mask16(n - i), x + i));
#pragma GCC unroll 8
    for (int k = 1; k < 8; k++)
        s[0] = _mm512_add_ps(s[0], s[k]);
    return _mm512_reduce_add_ps(s[0]);
}

static int supported(void)
{
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}

const kern_impl kern_avx512 = {
    .name = "avx512+vnni",
    .supported = supported,
    .matvec = {[ARCH_F32] = mv_f32, [ARCH_F16] = mv_f16,
               [ARCH_BF16] = mv_bf16, [ARCH_INT8] = mv_i8},
    .quantize_act = quantize_act,
    .f16_from_f32 = f16_from_f32,
    .f16_to_f32 = f16_to_f32,
    .sum = sum,
};
