/* kern_avx2.c -- the int4 (W4A8) product for x86-64 CPUs with AVX2, FMA
 * and F16C but without AVX-512 (Intel Haswell to Alder Lake client
 * cores, AMD Zen 1-3). Compiled only for x86-64 (Makefile ISA_SRC);
 * kern.c chooses it after kern_avx512.c, and its table has nothing else:
 * every other kernel of such a CPU is the portable one.
 *
 * 16 bytes of packed weights widen to 32 s8 lanes in column order
 * (vpmovzxbw, then (b | b << 4) & 0x0f0f puts the low nibble in each
 * 16-bit lane's low byte and the high nibble in its high byte; minus 8,
 * kern.h). AVX2 has no u8 x s8 dot product into 32 bits (vpdpbusd is
 * AVX-VNNI), so vpmaddubsw multiplies the u8 activations by the s8
 * weights into pairs summed in 16 bits, which cannot saturate here
 * (2 x 255 x 8 = 4080 < 32767), and vpmaddwd against ones sums those
 * pairs into 32-bit lanes of 4 columns each. The zero point's
 * correction, zero x sum q, is the same product with the zero point in
 * every activation byte. Each 4-column lane lies inside one group
 * (groups are multiples of 4), whose f16 scale multiplies it as it is
 * added into f32 lanes, as in kern_avx512.c.
 */
#include "kern_impl.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) TARGET

/* Tokens whose products share one unpacking of the weights (a prefill). */
#define TOKENS 4

/* 16 bytes from p, or the first `bytes` of them (the rest zero): AVX2
 * has no byte-masked load, so a short tail is copied. */
INLINE __m128i load16(const uint8_t *p, int64_t bytes)
{
    if (bytes >= 16)
        return _mm_loadu_si128((const __m128i *)p);
    uint8_t b[16] = {0};
    memcpy(b, p, (size_t)bytes);
    return _mm_loadu_si128((const __m128i *)b);
}

/* 32 columns of a packed row from column c as s8, of which the first
 * `left` (a multiple of 4) are the row's; the lanes past it hold -8 and
 * garbage products, which count for nothing: a tail only occurs with
 * groups below 32 (a group divides the row), whose lanes past the row
 * get scale 0 from scales8(). */
INLINE __m256i unpack(const uint8_t *row, int64_t c, int64_t left)
{
    __m256i v = _mm256_cvtepu8_epi16(load16(row + c / 2, left / 2));
    v = _mm256_and_si256(_mm256_or_si256(v, _mm256_slli_epi16(v, 4)), _mm256_set1_epi16(0x0f0f));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

/* 8 lanes of sum a_c q_c over 4 columns each (a u8, q s8). */
INLINE __m256i dot4(__m256i a, __m256i q)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, q), _mm256_set1_epi16(1));
}

/* cnt (1..8) f16 values from s, the rest zero, never reading past them:
 * one load of the right width for whole steps (a copy through memory
 * before the load stalls it on store forwarding). */
INLINE __m128i load_f16(const uint16_t *s, int64_t cnt)
{
    uint32_t two;
    uint16_t h[8] = {0};
    switch (cnt) {
    case 1:
        return _mm_cvtsi32_si128(s[0]);
    case 2:
        memcpy(&two, s, 4);
        return _mm_cvtsi32_si128((int)two);
    case 4:
        return _mm_loadl_epi64((const __m128i *)s);
    case 8:
        return _mm_loadu_si128((const __m128i *)s);
    default: /* a tail of 3, 5, 6 or 7 */
        memcpy(h, s, (size_t)cnt * 2);
        return _mm_loadu_si128((const __m128i *)h);
    }
}

/* The scale of each lane of 32 columns: lane k's columns c + 4k .. c +
 * 4k + 3 are in group c / g + idx[k], idx[k] = 4k / g, when g divides
 * 32 or 32 divides g (kern_i4_lanes); s points at group c / g's scale, per =
 * the scales a whole step spans (32 / g, or 1), fewer in the tail, where
 * the lanes past the row's last group get 0. */
INLINE __m256 scales8(const uint16_t *s, int64_t left, int64_t g, int64_t per, __m256i idx)
{
    int64_t cnt = left >= 32 ? per : (left + g - 1) / g;
    return _mm256_permutevar8x32_ps(_mm256_cvtph_ps(load_f16(s, cnt)), idx);
}

/* One row for T tokens (1..TOKENS): out[t * ostride] = row . x[t]. */
INLINE void row_i4(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                   const kern_act *x, int T, __m256i idx)
{
    int64_t n = w->cols, g = w->group, per = g >= 32 ? 1 : 32 / g, k = 0;
    const uint8_t *row = (const uint8_t *)w->data + r * (n / 2);
    const uint16_t *s = w->scales_f16 + r * (n / g);
    __m256 acc[TOKENS];
    __m256i zero[TOKENS];
    for (int t = 0; t < T; t++) {
        acc[t] = _mm256_setzero_ps();
        zero[t] = _mm256_set1_epi8((char)x[t].zero);
    }
    for (int64_t c = 0; c < n; c += 32) {
        int64_t left = n - c;
        __m256i q = unpack(row, c, left);
        __m256 sc = scales8(s, left, g, per, idx);
        for (int t = 0; t < T; t++) {
            /* whole 32 bytes even in the tail: q holds n rounded up to
             * 64 (kern.h), and the weights past n are 0 */
            __m256i a = _mm256_loadu_si256((const __m256i *)(x[t].q + c));
            __m256i d = _mm256_sub_epi32(dot4(a, q), dot4(zero[t], q));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), sc, acc[t]);
        }
        if (++k >= g / 32) { /* the next step's first scale */
            k = 0;
            s += per;
        }
    }
    for (int t = 0; t < T; t++) {
        __m128 v = _mm_add_ps(_mm256_castps256_ps128(acc[t]), _mm256_extractf128_ps(acc[t], 1));
        v = _mm_add_ps(v, _mm_movehl_ps(v, v));
        v = _mm_add_ss(v, _mm_movehdup_ps(v));
        out[t * ostride] = x[t].scale * _mm_cvtss_f32(v);
    }
}

/* ctx: the 8 lanes of scales8()'s idx */
TARGET static void tile_i4(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                           const kern_act *x, int tokens, const void *ctx)
{
    row_i4(out, ostride, w, r, x, tokens, _mm256_loadu_si256(ctx));
}

/* Rows in blocks of 16 KB of weights, the tokens TOKENS at a time. */
TARGET static void mm_i4(float *out, int64_t ostride, const kern_mat *w,
                         const kern_act *x, int64_t nt, int64_t r0, int64_t r1)
{
    int32_t lane[8];
    if (!kern_i4_lanes(w->group, 32, lane)) {
        kern_portable.matmul[ARCH_INT4](out, ostride, w, x, nt, r0, r1);
        return;
    }
    kern_row_blocks(out, ostride, w, x, nt, r0, r1, (16 << 10) / (w->cols / 2) + 1, TOKENS,
                    tile_i4, lane);
}

static int supported(void)
{
    __builtin_cpu_init(); /* kern.c selects from a constructor */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
}

const kern_impl kern_avx2 = {.name = "avx2", .supported = supported,
                             .matmul = {[ARCH_INT4] = mm_i4}};
