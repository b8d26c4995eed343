/* kern_avx512.c -- AVX-512 kernels (F, BW, VL and VNNI, with F16C and FMA):
 * Intel Ice Lake and later, AMD Zen 4 and later. Compiled only for
 * x86-64 (Makefile ISA_SRC); kern.c chooses it at run time when the CPU
 * has every one of these features (supported() below).
 *
 * A decode mat-vec reads each weight once, so it is bound by memory
 * bandwidth, and the kernel's shape serves one goal: keep a whole
 * mat-vec (or a thread's share of it) one sequential stream that the
 * hardware prefetcher follows at full speed. So rows are processed one
 * after the other, never interleaved, and without software prefetch;
 * within a row, each step takes LINES whole 64-byte cache lines (one
 * load each) into as many independent accumulators, so that few
 * instructions per line let the core keep many misses in flight. Tails
 * use masked loads, never reading past a row. The measurements behind
 * each of these choices, and the variants that were tried and lost, are
 * in docs/performance.md ("AVX-512 kernels"), with the commands that
 * repeat them.
 *
 * f16 and bf16 weights are widened to f32 in registers (vcvtph2ps; a
 * 16-bit shift for bf16) and multiplied with the f32 activations, so x
 * keeps its full precision; int8 uses vpdpbusd (u8 activations times s8
 * weights, summed in int32 lanes). int4 widens 32 bytes of packed
 * weights to 64 s8 lanes (vpmovzxbw, vpsllw, vpor, vpand, vpsubb) and
 * then does the same, each int32 lane's 4 columns inside one group,
 * whose scale multiplies the lane as it is added into f32 lanes. What bounds any f16 mat-vec: one
 * vcvtph2ps and one FMA per 16 weights (bench_kern's widen_fma_pairs).
 *
 * A decode mat-vec sums each row's 16 lanes together with the 15 rows
 * after it (sum16(): a transposing tree of 15 adds, where 16 horizontal
 * sums take 64 shuffles and adds); int8 first folds its zero-point
 * correction into the lanes, so one sum per row is left instead of two.
 * Short rows (MobileLLM-125M's are 576 columns) make that per-row sum a
 * large part of the work.
 *
 * A prefill (kern_matmul with several tokens) is compute-bound instead:
 * f32, f16, bf16 and int8 (up to KERN_I8_CHUNK columns) keep a tile of
 * rows x GEMM_T tokens of outputs in registers, each widened weight
 * vector used for GEMM_T tokens, each token's activations for every row
 * of the tile; int4 (and longer int8 rows) run row by row, each loaded
 * line of a row serving TOKENS tokens, in blocks of rows that stay in L1
 * while every group of tokens passes over them.
 *
 * Attention (kern_attend) reads the f16/bf16/f32/int8 cache directly
 * (int8 rows scaled per score and per softmax weight), widening in registers: scores for up to GROUP query heads per key row (the
 * queries held in registers for head size 64), summed 16 positions at a
 * time by a transposing tree, softmax with a
 * polynomial exp (exp16), then the value mix with every head's
 * accumulators in registers.
 */
#include "kern_impl.h"

#include <immintrin.h>

#define TARGET \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define INLINE static inline __attribute__((always_inline)) TARGET

/* Cache lines of weights per step of a mat-vec's inner loop. */
#define LINES 4

/* Mask of the first k (0..16 or 0..64) lanes. */
INLINE __mmask16 mask16(int64_t k)
{
    return k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << k) - 1);
}
INLINE __mmask64 mask64(int64_t k)
{
    return k >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << k) - 1;
}

/* Lane order of the transposing sum of 16 vectors (sum16(), and the one
 * scores() interleaves with its dot products): it leaves the sum of
 * vector P[j] in lane j (P is its own inverse). */
static const int P[16] = {0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15};

/* Lane-wise sum of two vectors of f32 or int32 lanes. */
typedef __m512 (*add16)(__m512 a, __m512 b);

INLINE __m512 add_f32(__m512 a, __m512 b)
{
    return _mm512_add_ps(a, b);
}
INLINE __m512 add_i32(__m512 a, __m512 b)
{
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}

/* Lane j = the sum of the 16 lanes of v[P[j]]: 15 adds in 4 levels of
 * shuffles, where 16 horizontal sums take 64 shuffles and adds. Each
 * vector's lanes are added in the order _mm512_reduce_add_ps adds them
 * (128-bit blocks 0+2 and 1+3, then those two, then lanes 0+2 and 1+3,
 * then those two), so a row summed here or alone gets the same bits. */
INLINE __m512 sum16(const __m512 *v, add16 add)
{
    __m512 t[8], u[4], w[2];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        t[i] = add(_mm512_shuffle_f32x4(v[i], v[i + 8], 0x44),
                   _mm512_shuffle_f32x4(v[i], v[i + 8], 0xee));
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
        u[i] = add(_mm512_shuffle_f32x4(t[i], t[i + 4], 0x88),
                   _mm512_shuffle_f32x4(t[i], t[i + 4], 0xdd));
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++)
        w[i] = add(_mm512_shuffle_ps(u[i], u[i + 2], 0x44), _mm512_shuffle_ps(u[i], u[i + 2], 0xee));
    return add(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xdd));
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
/* an int8 KV row's values, unscaled (its scale follows them, kern.h) */
INLINE __m512 ld_i8(const void *row, int64_t c, __mmask16 m)
{
    __m128i b = _mm_maskz_loadu_epi8(m, (const int8_t *)row + c);
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b));
}

/* Vector k (of 64 / size / 16) of a loaded 64-byte line of weights,
 * widened to f32. */
typedef __m512 (*widen)(__m512i line, int k);

INLINE __m512 wide_f32(__m512i line, int k)
{
    (void)k;
    return _mm512_castsi512_ps(line);
}
INLINE __m256i half(__m512i line, int k)
{
    return k ? _mm512_extracti64x4_epi64(line, 1) : _mm512_castsi512_si256(line);
}
INLINE __m512 wide_f16(__m512i line, int k)
{
    return _mm512_cvtph_ps(half(line, k));
}
INLINE __m512 wide_bf16(__m512i line, int k)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half(line, k)), 16));
}

/* One step of dot_lanes(): L lines of the row from column c, each loaded
 * once and widened once, times the matching columns of x. */
INLINE void tile_step(__m512 *a, const char *row, const kern_act *x, int L, int64_t c,
                      int size, widen wide)
{
    const int64_t per = 64 / size;
    const int vecs = per / 16;
#pragma GCC unroll 4
    for (int l = 0; l < L; l++) {
        __m512i line = _mm512_loadu_si512(row + (c + l * per) * size);
#pragma GCC unroll 2
        for (int v = 0; v < vecs; v++)
            a[l * vecs + v] = _mm512_fmadd_ps(wide(line, v),
                                              _mm512_loadu_ps(x->x + c + l * per + 16 * v),
                                              a[l * vecs + v]);
    }
}

/* *s = 16 lanes that add up to row . x->x over n columns (a decode): each
 * step takes LINES whole cache lines (one load each) into as many
 * accumulators, then single lines, then masked 16-column steps for the
 * tail. */
INLINE void dot_lanes(__m512 *s, const char *row, const kern_act *x, int64_t n, int size,
                      widen wide, load16 ld)
{
    const int64_t per = 64 / size;
    const int acc = LINES * (int)(per / 16);
    __m512 a[2 * LINES];
#pragma GCC unroll 8
    for (int k = 0; k < 2 * LINES; k++)
        a[k] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + LINES * per <= n; c += LINES * per)
        tile_step(a, row, x, LINES, c, size, wide);
    for (; c + per <= n; c += per)
        tile_step(a, row, x, 1, c, size, wide); /* into a[0..vecs) */
    for (; c < n; c += 16) {
        __mmask16 m = mask16(n - c);
        a[0] = _mm512_fmadd_ps(ld(row, c, m), _mm512_maskz_loadu_ps(m, x->x + c), a[0]);
    }
#pragma GCC unroll 3
    for (int w = acc / 2; w > 0; w /= 2) /* a tree: acc accumulators -> 1 */
#pragma GCC unroll 4
        for (int k = 0; k < w; k++)
            a[k] = _mm512_add_ps(a[k], a[k + w]);
    *s = a[0];
}

/* ---- prefill: register-tiled matrix product ------------------------- */

/* A prefill tile: GEMM_R rows x T tokens of outputs in 16 zmm
 * accumulators (GEMM_ACC), summed at the end by one sum16(). Each weight
 * vector is loaded and widened once and used for T tokens, each token's
 * activations for the GEMM_R rows: f32 4 rows x 4 tokens, f16 and bf16 4
 * rows x 2 tokens x 2 accumulators (one per 16-column half of a 64-byte
 * line of weights). Every output keeps the accumulators and the order of
 * the row-by-row prefill this replaced (4 tokens a row, one accumulator
 * per vector of a line; the tokens past a multiple of GEMM_T as decode),
 * hence its bits, so that no figure of `lanky logits` changes; sum16()
 * sums a vector's lanes as _mm512_reduce_add_ps does. GEMM_T divides
 * REF_BATCH (ref/model.h). Measured shapes (docs/performance.md, "Prefill
 * tiles"): 3 x 8, 2 x 8, 4 x 6, 6 x 4 were up to 3x slower than 4 x 4 in
 * f32; in f16 one accumulator per output (4 x 4) was about 1.5x faster
 * than 4 x 2 x 2, but gives other bits. */
#define GEMM_T 4
#define GEMM_R 4
#define GEMM_ACC 16

/* Weight bytes of the rows whose tiles every group of GEMM_T tokens
 * passes over before the next rows: the block comes from DRAM for the
 * first group and from L2 for the others, while the group's activations
 * (GEMM_T x cols floats) stay in L1. */
#define GEMM_BLOCK_BYTES (256 << 10)

/* Tokens of a tile with weights of `size` bytes: GEMM_ACC / GEMM_R /
 * (vectors per 64-byte line), 4 for f32, 2 for f16 and bf16. */
INLINE int gemm_tokens(int size)
{
    return GEMM_T / (64 / size / 16);
}

/* One step of gemm_tile() for its GEMM_R rows w and T tokens'
 * activations xs: one line (vecs vectors) of each row from column c into
 * a[(r * T + t) * vecs + v]; or, in the tail, 16 columns (lanes outside m
 * zero) into vector 0, as the row-by-row prefill did. */
INLINE void gemm_step(__m512 *a, const char *const *w, const float *const *xs, int T,
                      int vecs, int64_t c, bool tail, __mmask16 m, load16 ld)
{
    __m512 wv[GEMM_R][2];
    const int nv = tail ? 1 : vecs;
#pragma GCC unroll 4
    for (int r = 0; r < GEMM_R; r++) {
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            wv[r][v] = ld(w[r], c + 16 * v, m);
    }
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++)
#pragma GCC unroll 4
        for (int t = 0; t < T; t++) {
            __m512 xv = _mm512_maskz_loadu_ps(m, xs[t] + c + 16 * v);
#pragma GCC unroll 4
            for (int r = 0; r < GEMM_R; r++) {
                __m512 *acc = &a[(r * T + t) * vecs + v];
                *acc = _mm512_fmadd_ps(wv[r][v], xv, *acc);
            }
        }
}

/* out[t * ostride + r] = row r . x[t] for the nr <= GEMM_R rows from row
 * and T = gemm_tokens(size) tokens x (a tile with fewer rows repeats its
 * last, whose results are not stored). */
INLINE void gemm_tile(float *out, int64_t ostride, const char *row, size_t stride, int nr,
                      const kern_act *x, int64_t n, int size, load16 ld)
{
    const int64_t per = 64 / size;
    const int vecs = (int)(per / 16), T = gemm_tokens(size);
    const char *w[GEMM_R];
    const float *xs[GEMM_T];
    __m512 a[GEMM_ACC];
#pragma GCC unroll 4
    for (int r = 0; r < GEMM_R; r++)
        w[r] = row + (size_t)(r < nr ? r : nr - 1) * stride;
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
        xs[t] = x[t].x;
#pragma GCC unroll 16
    for (int k = 0; k < GEMM_ACC; k++)
        a[k] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + per <= n; c += per)
        gemm_step(a, w, xs, T, vecs, c, false, 0xffff, ld);
    for (; c < n; c += 16)
        gemm_step(a, w, xs, T, vecs, c, true, mask16(n - c), ld);
    __m512 v[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++) /* lane k: output k = r * T + t */
        v[P[k]] = k < GEMM_R * T ? (vecs == 2 ? _mm512_add_ps(a[2 * k], a[2 * k + 1]) : a[k])
                                 : _mm512_setzero_ps();
    float s[16];
    _mm512_storeu_ps(s, sum16(v, add_f32));
    for (int k = 0; k < GEMM_R * T; k++)
        if (k / T < nr)
            out[(k % T) * ostride + k / T] = s[k];
}

/* Rows [r0, r1) for nt tokens (a multiple of GEMM_T), a tile's tokens
 * at a time, in blocks of GEMM_BLOCK_BYTES: within a block each group of
 * tokens over all its tiles. */
INLINE void gemm_float(float *out, int64_t ostride, const kern_mat *w, const kern_act *x,
                       int64_t nt, int64_t r0, int64_t r1, int size, load16 ld)
{
    size_t stride = (size_t)w->cols * size;
    const int T = gemm_tokens(size), R = GEMM_R;
    int64_t block = (int64_t)(GEMM_BLOCK_BYTES / stride) / R * R + R;
    for (int64_t b0 = r0; b0 < r1; b0 += block) {
        int64_t b1 = b0 + block < r1 ? b0 + block : r1;
        for (int64_t t = 0; t + T <= nt; t += T)
            for (int64_t r = b0; r < b1; r += R)
                gemm_tile(out + t * ostride + r - r0, ostride,
                          (const char *)w->data + r * stride, stride,
                          b1 - r < R ? (int)(b1 - r) : R, x + t, w->cols, size, ld);
    }
}

/* out[r - r0] = W[r] . x for one token: 16 rows summed at a time (see
 * the top), the rest one by one. */
INLINE void matvec_float(float *out, const kern_mat *w, const kern_act *x, int64_t r0,
                         int64_t r1, int size, widen wide, load16 ld)
{
    size_t stride = (size_t)w->cols * size;
    for (; r0 + 16 <= r1; r0 += 16, out += 16) {
        __m512 v[16];
#pragma GCC unroll 16
        for (int k = 0; k < 16; k++)
            dot_lanes(&v[P[k]], (const char *)w->data + (r0 + k) * stride, x, w->cols,
                      size, wide, ld);
        _mm512_storeu_ps(out, sum16(v, add_f32));
    }
    for (; r0 < r1; r0++, out++) {
        __m512 v;
        dot_lanes(&v, (const char *)w->data + r0 * stride, x, w->cols, size, wide, ld);
        *out = _mm512_reduce_add_ps(v);
    }
}

/* A prefill: gemm_float() over the whole groups of GEMM_T tokens, the
 * tokens left (fewer than GEMM_T) one by one as decode. */
INLINE void matmul_float(float *out, int64_t ostride, const kern_mat *w,
                         const kern_act *x, int64_t nt, int64_t r0, int64_t r1,
                         int size, widen wide, load16 ld)
{
    const int64_t whole = nt / GEMM_T * GEMM_T;
    if (whole)
        gemm_float(out, ostride, w, x, whole, r0, r1, size, ld);
    for (int64_t t = whole; t < nt; t++)
        matvec_float(out + t * ostride, w, x + t, r0, r1, size, wide, ld);
}

#define MATMUL_FLOAT(name, size, wide, ld)                                      \
    TARGET static void name(float *out, int64_t ostride, const kern_mat *w,    \
                            const kern_act *x, int64_t nt, int64_t r0, int64_t r1) \
    {                                                                          \
        matmul_float(out, ostride, w, x, nt, r0, r1, size, wide, ld);          \
    }
MATMUL_FLOAT(mm_f32, 4, wide_f32, ld_f32)
MATMUL_FLOAT(mm_f16, 2, wide_f16, ld_f16)
MATMUL_FLOAT(mm_bf16, 2, wide_bf16, ld_bf16)

/* Tokens whose dot products with one int8 or int4 weight row share its
 * loads in a prefill that runs row by row (see the top). */
#define TOKENS 4

/* Weight bytes of the rows such a prefill runs all its tokens through
 * before moving on: with a tile's activations (TOKENS rows of x)
 * they stay in L1 while each group of TOKENS tokens passes over them
 * (row by row, the activations of 32 tokens, 74 KB, would come from L2
 * for every row; docs/performance.md). */
#define BLOCK_BYTES (16 << 10)

/* int8 over columns [c, c1) (at most KERN_I8_CHUNK of them, so that no
 * int32 lane can overflow): d[t] = 16 lanes that add up to sum qa_t*qw
 * for T tokens (a constant, 1 or TOKENS), *s = 16 lanes that add up to
 * sum qw; LINES / T cache lines per step, each loaded once for all T
 * tokens, into their own accumulators. */
INLINE void i8_lanes(__m512i *d, __m512i *s, const int8_t *row, const kern_act *x, int T,
                     int64_t c, int64_t c1)
{
    const __m512i ones = _mm512_set1_epi8(1);
    const int L = LINES / T;
    __m512i dd[LINES], ss[LINES];
#pragma GCC unroll 4
    for (int k = 0; k < LINES; k++)
        dd[k] = ss[k] = _mm512_setzero_si512();
    for (; c + 64 * L <= c1; c += 64 * L) {
#pragma GCC unroll 4
        for (int l = 0; l < L; l++) {
            __m512i qw = _mm512_loadu_si512(row + c + 64 * l);
            ss[l] = _mm512_dpbusd_epi32(ss[l], ones, qw);
#pragma GCC unroll 4
            for (int t = 0; t < T; t++)
                dd[t * L + l] = _mm512_dpbusd_epi32(
                    dd[t * L + l], _mm512_loadu_si512(x[t].q + c + 64 * l), qw);
        }
    }
    for (; c < c1; c += 64) {
        __mmask64 m = mask64(c1 - c);
        __m512i qw = _mm512_maskz_loadu_epi8(m, row + c);
        ss[0] = _mm512_dpbusd_epi32(ss[0], ones, qw);
#pragma GCC unroll 4
        for (int t = 0; t < T; t++)
            dd[t * L] = _mm512_dpbusd_epi32(dd[t * L], _mm512_maskz_loadu_epi8(m, x[t].q + c), qw);
    }
#pragma GCC unroll 4
    for (int l = 1; l < L; l++)
        ss[0] = _mm512_add_epi32(ss[0], ss[l]);
    *s = ss[0];
#pragma GCC unroll 4
    for (int t = 0; t < T; t++) {
#pragma GCC unroll 4
        for (int l = 1; l < L; l++)
            dd[t * L] = _mm512_add_epi32(dd[t * L], dd[t * L + l]);
        d[t] = dd[t * L];
    }
}

/* dot[t] += sum qa_t*qw and *wsum += sum qw over columns [c, c1), as
 * i8_lanes(). */
INLINE void i8_chunk(int64_t *dot, int64_t *wsum, const int8_t *row,
                     const kern_act *x, int T, int64_t c, int64_t c1)
{
    __m512i d[TOKENS], s;
    i8_lanes(d, &s, row, x, T, c, c1);
    *wsum += _mm512_reduce_add_epi32(s);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
        dot[t] += _mm512_reduce_add_epi32(d[t]);
}

/* One row for T tokens: out[t * ostride] = row . x[t]. */
INLINE void i8_row(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                   const kern_act *x, int T)
{
    int64_t n = w->cols, dot[TOKENS] = {0}, wsum = 0;
    const int8_t *row = (const int8_t *)w->data + r * n;
    for (int64_t c = 0; c < n; c += KERN_I8_CHUNK)
        i8_chunk(dot, &wsum, row, x, T, c, c + KERN_I8_CHUNK < n ? c + KERN_I8_CHUNK : n);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
        out[t * ostride] = kern_i8_finish(dot[t], wsum, &x[t], w->scales[r]);
}

TARGET static void i8_tile(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                           const kern_act *x, int tokens, const void *ctx)
{
    (void)ctx;
    if (tokens == TOKENS)
        i8_row(out, ostride, w, r, x, TOKENS);
    else
        i8_row(out, ostride, w, r, x, 1);
}

/* Rows whose weight sums (sum qw, for the zero-point correction) an int8
 * prefill block keeps: 4 KB of stack. */
#define GEMM_I8_ROWS 1024

/* One 64-column step of gemm_i8_tile() (lanes outside m zero): a[r *
 * GEMM_T + t] += int32 lanes of qa_t * qw_r; with sums, s[r] += lanes of
 * qw_r. */
INLINE void gemm_i8_step(__m512i *a, __m512i *s, const int8_t *const *w,
                         const int8_t *const *xs, int64_t c, __mmask64 m, bool sums)
{
    __m512i wv[GEMM_R];
#pragma GCC unroll 4
    for (int r = 0; r < GEMM_R; r++) {
        wv[r] = _mm512_maskz_loadu_epi8(m, w[r] + c);
        if (sums)
            s[r] = _mm512_dpbusd_epi32(s[r], _mm512_set1_epi8(1), wv[r]);
    }
#pragma GCC unroll 4
    for (int t = 0; t < GEMM_T; t++) {
        __m512i xv = _mm512_maskz_loadu_epi8(m, xs[t] + c);
#pragma GCC unroll 4
        for (int r = 0; r < GEMM_R; r++)
            a[r * GEMM_T + t] = _mm512_dpbusd_epi32(a[r * GEMM_T + t], xv, wv[r]);
    }
}

/* gemm_tile() for int8, GEMM_R rows x GEMM_T tokens (fewer tokens
 * repeat the last, not stored), n <= KERN_I8_CHUNK columns (so every sum is
 * exact in int32: kern_impl.h): the tile's exact integer dot products,
 * finished by kern_i8_finish() as every implementation does, so the
 * results equal the portable kernel's bit for bit. wsum[r] is row r's
 * sum qw: computed when sums (the block's first group of tokens), read
 * otherwise. */
INLINE void gemm_i8_tile(float *out, int64_t ostride, const int8_t *row, int64_t n, int nr,
                         const kern_act *x, int ntok, const float *scales, int32_t *wsum,
                         bool sums)
{
    const int8_t *w[GEMM_R], *xs[GEMM_T];
    __m512i a[GEMM_ACC], s[GEMM_R];
#pragma GCC unroll 4
    for (int r = 0; r < GEMM_R; r++) {
        w[r] = row + (r < nr ? r : nr - 1) * n;
        s[r] = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int t = 0; t < GEMM_T; t++)
        xs[t] = x[t < ntok ? t : ntok - 1].q;
#pragma GCC unroll 16
    for (int k = 0; k < GEMM_ACC; k++)
        a[k] = _mm512_setzero_si512();
    int64_t c = 0;
    for (; c + 64 <= n; c += 64)
        gemm_i8_step(a, s, w, xs, c, ~(__mmask64)0, sums);
    if (c < n)
        gemm_i8_step(a, s, w, xs, c, mask64(n - c), sums);
#pragma GCC unroll 4
    for (int r = 0; sums && r < nr; r++)
        wsum[r] = _mm512_reduce_add_epi32(s[r]);
    __m512 v[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
        v[P[k]] = _mm512_castsi512_ps(a[k]);
    int32_t d[16];
    _mm512_storeu_si512(d, _mm512_castps_si512(sum16(v, add_i32)));
    for (int k = 0; k < GEMM_ACC; k++) {
        int r = k / GEMM_T, t = k % GEMM_T;
        if (r < nr && t < ntok)
            out[t * ostride + r] = kern_i8_finish(d[k], wsum[r], &x[t], scales[r]);
    }
}

/* gemm_float()'s blocks and order for int8 (at most KERN_I8_CHUNK
 * columns), the block at most GEMM_I8_ROWS rows. */
INLINE void gemm_i8(float *out, int64_t ostride, const kern_mat *w, const kern_act *x,
                    int64_t nt, int64_t r0, int64_t r1)
{
    int32_t wsum[GEMM_I8_ROWS];
    int64_t n = w->cols, block = GEMM_BLOCK_BYTES / n / GEMM_R * GEMM_R + GEMM_R;
    block = block < GEMM_I8_ROWS ? block : GEMM_I8_ROWS;
    for (int64_t b0 = r0; b0 < r1; b0 += block) {
        int64_t b1 = b0 + block < r1 ? b0 + block : r1;
        for (int64_t t = 0; t < nt; t += GEMM_T) {
            int ntok = nt - t < GEMM_T ? (int)(nt - t) : GEMM_T;
            for (int64_t r = b0; r < b1; r += GEMM_R) {
                float *o = out + t * ostride + r - r0;
                const int8_t *row = (const int8_t *)w->data + r * n;
                int nr = b1 - r < GEMM_R ? (int)(b1 - r) : GEMM_R;
                if (t == 0)
                    gemm_i8_tile(o, ostride, row, n, nr, x + t, ntok, w->scales + r,
                                 wsum + (r - b0), true);
                else
                    gemm_i8_tile(o, ostride, row, n, nr, x + t, ntok, w->scales + r,
                                 wsum + (r - b0), false);
            }
        }
    }
}

/* Decode: 16 rows at a time (as matmul_float()); a prefill of at most
 * KERN_I8_CHUNK columns: gemm_i8(); what is left: row by row, TOKENS
 * tokens at a time. */
TARGET static void mm_i8(float *out, int64_t ostride, const kern_mat *w,
                         const kern_act *x, int64_t nt, int64_t r0, int64_t r1)
{
    if (nt > 1 && w->cols <= KERN_I8_CHUNK) {
        gemm_i8(out, ostride, w, x, nt, r0, r1);
        return;
    }
    if (nt == 1 && w->cols <= KERN_I8_CHUNK) { /* decode: as matmul_float() */
        const int8_t *rows = w->data;
        for (; r0 + 16 <= r1; r0 += 16, out += 16) {
            /* lane j: row r0 + P[j]'s dot - zero * wsum, exact in int32
             * (|dot| and |zero * wsum| <= 255 * 128 * KERN_I8_CHUNK / 16
             * per lane, under 2^31 - 2^23 over 16 lanes), so the float conversion
             * and the products are kern_i8_finish()'s own */
            __m512 v[16];
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) {
                __m512i d, s;
                i8_lanes(&d, &s, rows + (r0 + k) * w->cols, x, 1, 0, w->cols);
                v[P[k]] = _mm512_castsi512_ps(_mm512_sub_epi32(
                    d, _mm512_mullo_epi32(s, _mm512_set1_epi32(x->zero))));
            }
            __m512 diff = _mm512_cvtepi32_ps(_mm512_castps_si512(sum16(v, add_i32)));
            __m512 scale = _mm512_mul_ps(_mm512_loadu_ps(w->scales + r0), _mm512_set1_ps(x->scale));
            _mm512_storeu_ps(out, _mm512_mul_ps(scale, diff));
        }
    }
    kern_row_blocks(out, ostride, w, x, nt, r0, r1, BLOCK_BYTES / w->cols + 1, TOKENS, i8_tile,
                    NULL);
}

/* ---- int4 (W4A8) ----------------------------------------------------- */

/* 64 columns of a packed int4 row from column c as s8 lanes (byte c' =
 * column c + c'), from the low and high nibbles of 32 bytes: widened to
 * 16-bit lanes, (b | b << 4) & 0x0f0f puts the low nibble in the lane's
 * low byte and the high one in its high byte; minus 8 (kern.h) in the
 * first `left` columns, zero past them (the tail). */
INLINE __m512i i4_unpack(const uint8_t *row, int64_t c, int64_t left)
{
    __mmask32 m = left >= 64 ? ~(__mmask32)0 : ((__mmask32)1 << (left / 2)) - 1;
    __m512i v = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, row + c / 2));
    v = _mm512_and_si512(_mm512_or_si512(v, _mm512_slli_epi16(v, 4)), _mm512_set1_epi16(0x0f0f));
    return _mm512_maskz_sub_epi8(mask64(left), v, _mm512_set1_epi8(8));
}

/* The scale of each int32 lane of 64 columns from column c: lane k holds
 * columns c + 4k .. c + 4k + 3, in group (c + 4k) / g, which is group
 * c / g + idx[k] with idx[k] = 4k / g when g divides 64 or 64 divides g
 * (kern_i4_lanes). s points at group c / g's scale; per
 * is the scales a whole step spans (64 / g, or 1), fewer in the tail;
 * the callers step s on without a division (one per step cost 3x the
 * step itself, docs/performance.md). */
INLINE __m512 i4_scales(const uint16_t *s, int64_t left, int64_t g, int64_t per,
                        __m512i idx)
{
    int64_t cnt = left >= 64 ? per : (left + g - 1) / g;
    return _mm512_permutexvar_ps(idx, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask16(cnt), s)));
}

/* acc[t] += each lane's sum of (qa - zero) q times its group's scale, for
 * 64 columns from c and T tokens (a constant, 1 or TOKENS); s as in
 * i4_scales(). */
INLINE void i4_step(__m512 *acc, const uint8_t *row, const uint16_t *s,
                    const kern_act *x, int T, int64_t c, int64_t n, int64_t g,
                    int64_t per, __m512i idx)
{
    int64_t left = n - c;
    __m512i qw = i4_unpack(row, c, left);
    __m512 sc = i4_scales(s, left, g, per, idx);
    __mmask64 m = mask64(left);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++) {
        __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                        _mm512_maskz_loadu_epi8(m, x[t].q + c), qw);
        __m512i z = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                        _mm512_set1_epi8((char)x[t].zero), qw);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(d, z)), sc, acc[t]);
    }
}

/* Where the next 64-column step's first scale is: per scales on for
 * groups of at most 64, one on every g / 64 steps for larger ones (k
 * counts them). */
INLINE void i4_next(const uint16_t **s, int64_t *k, int64_t g, int64_t per)
{
    if (++*k >= g / 64) {
        *k = 0;
        *s += per;
    }
}

/* One row for T tokens: out[t * ostride] = row . x[t]; two accumulators
 * per token, alternating by 64 columns, so that a decode's FMAs do not
 * wait on each other. */
INLINE void i4_row(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                   const kern_act *x, int T, __m512i idx)
{
    int64_t n = w->cols, g = w->group, per = g >= 64 ? 1 : 64 / g, k = 0;
    const uint8_t *row = (const uint8_t *)w->data + r * (n / 2);
    const uint16_t *s = w->scales_f16 + r * (n / g);
    __m512 a0[TOKENS], a1[TOKENS];
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
        a0[t] = a1[t] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 64 < n; c += 128) {
        i4_step(a0, row, s, x, T, c, n, g, per, idx);
        i4_next(&s, &k, g, per);
        i4_step(a1, row, s, x, T, c + 64, n, g, per, idx);
        i4_next(&s, &k, g, per);
    }
    if (c < n)
        i4_step(a0, row, s, x, T, c, n, g, per, idx);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
        out[t * ostride] = x[t].scale * _mm512_reduce_add_ps(_mm512_add_ps(a0[t], a1[t]));
}

/* ctx: the 16 lanes of i4_scales()'s idx */
TARGET static void i4_tile(float *out, int64_t ostride, const kern_mat *w, int64_t r,
                           const kern_act *x, int tokens, const void *ctx)
{
    __m512i idx = _mm512_loadu_si512(ctx);
    if (tokens == TOKENS)
        i4_row(out, ostride, w, r, x, TOKENS, idx);
    else
        i4_row(out, ostride, w, r, x, 1, idx);
}

/* Rows in blocks of BLOCK_BYTES as mm_i8(), tokens TOKENS at a time,
 * each 64-column step unpacked once for all of them. */
TARGET static void mm_i4(float *out, int64_t ostride, const kern_mat *w,
                         const kern_act *x, int64_t nt, int64_t r0, int64_t r1)
{
    int32_t lane[16]; /* every group in use (32, 64, 128) fits */
    if (!kern_i4_lanes(w->group, 64, lane)) {
        kern_portable.matmul[ARCH_INT4](out, ostride, w, x, nt, r0, r1);
        return;
    }
    kern_row_blocks(out, ostride, w, x, nt, r0, r1, BLOCK_BYTES / (w->cols / 2) + 1, TOKENS,
                    i4_tile, lane);
}

/* Same arithmetic as the portable version: a multiply, then an add (not
 * fused), then round to nearest even (the default MXCSR mode). */
/* The portable loop's min and max, 16 lanes at a time: vminps(v, l) is
 * its v < l ? v : l (and lanes past n load zeros, which the range holds
 * anyway). 0.37 -> 0.09 us for 576 values, 0.96 -> 0.22 for 1536: a
 * MobileLLM-125M int8 token prepares 121 activation vectors on one
 * thread while the other waits. */
TARGET static void range(const float *x, int64_t n, float *lo, float *hi)
{
    __m512 l = _mm512_setzero_ps(), h = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(mask16(n - i), x + i);
        l = _mm512_min_ps(v, l);
        h = _mm512_max_ps(v, h);
    }
    *lo = _mm512_reduce_min_ps(l);
    *hi = _mm512_reduce_max_ps(h);
}

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

/* ---- attention ------------------------------------------------------- */

/* Mask of lanes c .. c+15 that lie below n (none when c >= n). */
INLINE __mmask16 lanes(int64_t n, int64_t c)
{
    return n <= c ? 0 : mask16(n - c);
}

/* e^x lane by lane: kern_exp1() (kern_impl.h) with fused multiply-adds. */
INLINE __m512 exp16(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(KERN_EXP_LO)),
                      _mm512_set1_ps(KERN_EXP_HI));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(KERN_LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KERN_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(KERN_LN2_LO), r);
    static const float c[] = {1 / 720.0f, 1 / 120.0f, 1 / 24.0f, 1 / 6.0f, 0.5f, 1, 1};
    __m512 p = _mm512_set1_ps(1 / 5040.0f);
#pragma GCC unroll 7
    for (int i = 0; i < 7; i++)
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c[i]));
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(e, 23)));
}

/* Query heads handled together: their accumulators stay in registers
 * (4 heads x 4 vectors of values = 16 of the 32 zmm registers). */
#define GROUP 4

/* Vectors of 16 values in a query head kept in registers: head size
 * 64, that of every MobileLLM model (GROUP x QVECS = 16 registers). */
#define QVECS 4

/* Each loop over positions asks for the key or value row PF_ROWS ahead
 * (into L2) while it works on the current one: unlike the weights, the
 * cache rows of a head are strided through memory, which the hardware
 * prefetchers follow poorly. The first PF_ROWS rows of keys and values,
 * which no earlier row asks for, are asked for when a call starts. The
 * distances tried are in docs/performance.md. */
#define PF_ROWS 64

INLINE void prefetch_row(const char *p, int64_t bytes)
{
    for (int64_t b = 0; b < bytes; b += 64)
        _mm_prefetch(p + b, _MM_HINT_T1);
}

/* The query heads of a group, for scores(): with nv > 0 (a constant,
 * hd = 16 nv) all nh x nv vectors are loaded once into registers; with
 * nv = 0 they are read from q for every key (any hd, masked tails). */
typedef struct {
    const float *q;
    __m512 v[GROUP][QVECS];
} queries;

/* s[h] = 16 lanes that add up to q_h . k for nh heads and the key row
 * k (widened once for all heads); zeros when !live (past the range). */
INLINE void dots(__m512 *s, const queries *qs, int nh, int nv, int64_t hd,
                 const char *k, int live, load16 ld)
{
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
        s[h] = _mm512_setzero_ps();
    if (!live)
        return;
    if (nv) {
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++) {
            __m512 kt = ld(k, 16 * j, 0xffff);
#pragma GCC unroll 4
            for (int h = 0; h < nh; h++)
                s[h] = _mm512_fmadd_ps(qs->v[h][j], kt, s[h]);
        }
        return;
    }
    for (int64_t c = 0; c < hd; c += 16) {
        __mmask16 m = lanes(hd, c);
        __m512 kt = ld(k, c, m);
#pragma GCC unroll 4
        for (int h = 0; h < nh; h++)
            s[h] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, qs->q + h * hd + c),
                                   kt, s[h]);
    }
}

/* The two dots() of positions P[j] and P[j + 8] of the tile at t, summed
 * pairwise by 128-bit blocks: the first level of the transposing tree. */
INLINE void pair(__m512 *b, const queries *qs, int nh, int nv, int64_t hd,
                 const char *k, size_t row, int64_t esize, int64_t t,
                 int64_t nt, int j, load16 ld)
{
    __m512 x[GROUP], y[GROUP];
    prefetch_row(k + (t + P[j] + PF_ROWS) * row, hd * esize);
    prefetch_row(k + (t + P[j + 8] + PF_ROWS) * row, hd * esize);
    dots(x, qs, nh, nv, hd, k + (t + P[j]) * row, P[j] < nt, ld);
    dots(y, qs, nh, nv, hd, k + (t + P[j + 8]) * row, P[j + 8] < nt, ld);
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
        b[h] = _mm512_add_ps(_mm512_shuffle_f32x4(x[h], y[h], 0x44),
                             _mm512_shuffle_f32x4(x[h], y[h], 0xee));
}

/* Scores of nh (a constant 1..GROUP) query heads q over n key rows:
 * att[h * np + t] = scale * q_h . k_t, 16 positions at a time (the
 * lanes past n get -inf, which the softmax ignores). Each tile's 16
 * per-position vectors of every head are added up by a transposing tree
 * of 15 adds in 4 levels of shuffles (where 16 horizontal sums would
 * take 64 shuffles and adds), computed in the order that consumes them
 * early, so that few vectors are live besides the queries. */
INLINE void scores(float *att, int64_t np, const float *q, int nh, int nv,
                   const char *k, size_t row, int64_t n, int64_t hd,
                   int64_t esize, float scale, load16 ld)
{
    queries qs = {.q = q};
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
        for (int j = 0; j < nv; j++)
            qs.v[h][j] = _mm512_loadu_ps(q + h * hd + 16 * j);
    for (int64_t t = 0; t < n; t += 16) {
        int64_t nt = n - t < 16 ? n - t : 16;
        __m512 c[4][GROUP], d[2][GROUP];
#pragma GCC unroll 1 /* unrolled, the file took 3x as long to compile */
        for (int i = 0; i < 4; i++) { /* pairs of 128-bit blocks */
            __m512 b0[GROUP], b1[GROUP];
            pair(b0, &qs, nh, nv, hd, k, row, esize, t, nt, i, ld);
            pair(b1, &qs, nh, nv, hd, k, row, esize, t, nt, i + 4, ld);
#pragma GCC unroll 4
            for (int h = 0; h < nh; h++)
                c[i][h] = _mm512_add_ps(_mm512_shuffle_f32x4(b0[h], b1[h], 0x88),
                                        _mm512_shuffle_f32x4(b0[h], b1[h], 0xdd));
        }
        __mmask16 m = lanes(nt, 0);
#pragma GCC unroll 4
        for (int h = 0; h < nh; h++) {
#pragma GCC unroll 2
            for (int j = 0; j < 2; j++) /* pairs, then single lanes */
                d[j][h] = _mm512_add_ps(_mm512_shuffle_ps(c[j][h], c[j + 2][h], 0x44),
                                        _mm512_shuffle_ps(c[j][h], c[j + 2][h], 0xee));
            __m512 s = _mm512_add_ps(_mm512_shuffle_ps(d[0][h], d[1][h], 0x88),
                                     _mm512_shuffle_ps(d[0][h], d[1][h], 0xdd));
            s = _mm512_mul_ps(s, _mm512_set1_ps(scale));
            s = _mm512_mask_blend_ps(m, _mm512_set1_ps(-INFINITY), s);
            _mm512_storeu_ps(att + h * np + t, s);
        }
    }
}

/* o[h] = sum_t att[h * np + t] v_t for nh (a constant 1..GROUP) heads,
 * 64 columns at a time: each value row is widened once for all heads. */
INLINE void mix(float *o, const float *att, int64_t np, int nh, const char *v,
                size_t row, int64_t n, int64_t hd, int64_t esize, load16 ld)
{
    for (int64_t c0 = 0; c0 < hd; c0 += 64) {
        __m512 acc[GROUP][4];
        __mmask16 m[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            m[j] = lanes(hd, c0 + 16 * j);
#pragma GCC unroll 4
            for (int h = 0; h < nh; h++)
                acc[h][j] = _mm512_setzero_ps();
        }
        for (int64_t t = 0; t < n; t++) {
            prefetch_row(v + (t + PF_ROWS) * row + c0 * esize, 64 * esize);
            __m512 vt[4];
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                vt[j] = ld(v + t * row, c0 + 16 * j, m[j]);
#pragma GCC unroll 4
            for (int h = 0; h < nh; h++) {
                __m512 p = _mm512_set1_ps(att[h * np + t]);
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++)
                    acc[h][j] = _mm512_fmadd_ps(p, vt[j], acc[h][j]);
            }
        }
#pragma GCC unroll 4
        for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                _mm512_mask_storeu_ps(o + h * hd + c0 + 16 * j, m[j], acc[h][j]);
    }
}

/* Softmax numerators of one head's n scores in place (the -inf lanes up
 * to np become 0); ml = {max, sum}. */
INLINE void softmax(float *a, int64_t n, int64_t np, float *ml)
{
    __m512 mx = _mm512_set1_ps(-INFINITY), sum = _mm512_setzero_ps();
    for (int64_t t = 0; t < np; t += 16)
        mx = _mm512_max_ps(mx, _mm512_loadu_ps(a + t));
    float m = _mm512_reduce_max_ps(mx);
    for (int64_t t = 0; t < np; t += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(a + t), _mm512_set1_ps(m)));
        e = _mm512_maskz_mov_ps(lanes(n, t), e);
        sum = _mm512_add_ps(sum, e);
        _mm512_storeu_ps(a + t, e);
    }
    ml[0] = m;
    ml[1] = _mm512_reduce_add_ps(sum);
}

/* att[h * np + t] *= the scale of int8 row t of c (after its hd values),
 * for nh heads and n rows. */
INLINE void row_scales(float *att, int64_t np, int nh, const char *c, size_t row,
                       int64_t n, int64_t hd)
{
    for (int64_t t = 0; t < n; t++) {
        float f;
        memcpy(&f, c + t * row + hd, sizeof f);
        for (int h = 0; h < nh; h++)
            att[h * np + t] *= f;
    }
}

/* One group of nh heads and, when nv > 0, hd = 16 nv (both constants):
 * see kern_attend(). */
INLINE void attend_group(float *o, float *ml, const float *q, int nh, int nv,
                         const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                         float *att, load16 ld)
{
    int64_t n = t1 - t0, np = (n + 15) / 16 * 16, hd = nv ? 16 * nv : kv->hd;
    size_t row = (size_t)kv->stride * arch_dtype_size(kv->type);
    const char *k = (const char *)kv->k + (size_t)t0 * row;
    const char *v = (const char *)kv->v + (size_t)t0 * row;
    int64_t esize = arch_dtype_size(kv->type);
    for (int64_t t = 0; t < n && t < PF_ROWS; t++) {
        prefetch_row(k + t * row, hd * esize);
        prefetch_row(v + t * row, hd * esize);
    }
    scores(att, np, q, nh, nv, k, row, n, hd, esize, scale, ld);
    /* int8 rows were dotted unscaled: each score takes its key row's
     * scale before the softmax, each softmax weight its value row's
     * after it (a value row's scale multiplies all it adds) */
    if (kv->type == ARCH_INT8)
        row_scales(att, np, nh, k, row, n, hd);
    for (int h = 0; h < nh; h++)
        softmax(att + h * np, n, np, ml + 2 * h);
    if (kv->type == ARCH_INT8)
        row_scales(att, np, nh, v, row, n, hd);
    mix(o, att, np, nh, v, row, n, hd, esize, ld);
}

/* attend_group() with hd = 16 QVECS as a constant (the queries in
 * registers, masks and loops resolved at compile time), else with the
 * head size read at run time. A single constant size, as every further
 * one cost ~15 s of compile time in the sanitizer build. */
INLINE void attend_heads(float *o, float *ml, const float *q, int nh,
                         const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                         float *att, load16 ld)
{
    if (kv->hd == 16 * QVECS)
        attend_group(o, ml, q, nh, QVECS, kv, t0, t1, scale, att, ld);
    else
        attend_group(o, ml, q, nh, 0, kv, t0, t1, scale, att, ld);
}

INLINE void attend_typed(float *o, float *ml, const float *q, int64_t nq,
                         const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                         float *att, load16 ld)
{
    int64_t np = (t1 - t0 + 15) / 16 * 16, hd = kv->hd;
    for (int64_t h = 0; h < nq; h += GROUP) {
        float *oh = o + h * hd, *mh = ml + 2 * h, *ah = att + h * np;
        const float *qh = q + h * hd;
        switch (nq - h < GROUP ? nq - h : GROUP) { /* constant nh: unrolled */
        case 1: attend_heads(oh, mh, qh, 1, kv, t0, t1, scale, ah, ld); break;
        case 2: attend_heads(oh, mh, qh, 2, kv, t0, t1, scale, ah, ld); break;
        case 3: attend_heads(oh, mh, qh, 3, kv, t0, t1, scale, ah, ld); break;
        default: attend_heads(oh, mh, qh, 4, kv, t0, t1, scale, ah, ld); break;
        }
    }
}

TARGET static void attend(float *o, float *ml, const float *q, int64_t nq,
                          const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                          float *att)
{
    if (t1 <= t0) {
        for (int64_t h = 0; h < nq; h++)
            ml[2 * h] = -INFINITY, ml[2 * h + 1] = 0;
        memset(o, 0, (size_t)(nq * kv->hd) * sizeof *o);
    } else if (kv->type == ARCH_INT8)
        attend_typed(o, ml, q, nq, kv, t0, t1, scale, att, ld_i8);
    else if (kv->type == ARCH_F16)
        attend_typed(o, ml, q, nq, kv, t0, t1, scale, att, ld_f16);
    else if (kv->type == ARCH_BF16)
        attend_typed(o, ml, q, nq, kv, t0, t1, scale, att, ld_bf16);
    else
        attend_typed(o, ml, q, nq, kv, t0, t1, scale, att, ld_f32);
}

TARGET static void exp_n(float *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(dst + i, m, exp16(_mm512_maskz_loadu_ps(m, src + i)));
    }
}

TARGET static void swiglu(float *h, const float *g, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, h + i);
        __m512 d = _mm512_add_ps(_mm512_set1_ps(1), exp16(_mm512_sub_ps(_mm512_setzero_ps(), x)));
        x = _mm512_mul_ps(_mm512_div_ps(x, d), _mm512_maskz_loadu_ps(m, g + i));
        _mm512_mask_storeu_ps(h + i, m, x);
    }
}

/* ---- compute peak (kern_peak) ---------------------------------------- */

/* Independent accumulators of the peak loops: at least latency (4 cycles)
 * x ports (2) must be in flight; with 24, GCC kept the int8 ones on the
 * stack (a store per vpdpbusd). */
#define PEAK_ACC 16

/* The operands come through volatile so that nothing folds; each loop's
 * result goes out the same way. */
static volatile float peak_m = 0.5f, peak_c = 1, peak_sink;

/* One multiply-add instruction on accumulator a and operands x, y. */
typedef __m512 (*peak_step)(__m512 a, __m512 x, __m512 y);

/* iters steps of PEAK_ACC independent step()s (each `macs` multiply-adds),
 * the accumulators summed by add into peak_sink at the end. */
INLINE int64_t peak_loop(int64_t iters, __m512 x, __m512 y, peak_step step, add16 add,
                         int macs)
{
    __m512 a[PEAK_ACC];
#pragma GCC unroll 16
    for (int k = 0; k < PEAK_ACC; k++)
        a[k] = _mm512_set1_ps((float)k);
    for (int64_t i = 0; i < iters; i++)
#pragma GCC unroll 16
        for (int k = 0; k < PEAK_ACC; k++)
            a[k] = step(a[k], x, y);
#pragma GCC unroll 16
    for (int k = 1; k < PEAK_ACC; k++)
        a[0] = add(a[0], a[k]);
    peak_sink = _mm512_reduce_add_ps(a[0]);
    return iters * PEAK_ACC * macs;
}

/* f32: a = a * m + c converges to c / (1 - m), never subnormal. */
INLINE __m512 step_fma(__m512 a, __m512 x, __m512 y)
{
    return _mm512_fmadd_ps(a, x, y);
}

/* vpdpbusd: 64 u8 x s8 products into 16 int32 lanes (which may wrap: the
 * values do not matter, only that nothing folds them). */
INLINE __m512 step_i8(__m512 a, __m512 x, __m512 y)
{
    return _mm512_castsi512_ps(_mm512_dpbusd_epi32(
        _mm512_castps_si512(a), _mm512_castps_si512(x), _mm512_castps_si512(y)));
}

TARGET static int64_t peak_f32(int64_t iters)
{
    return peak_loop(iters, _mm512_set1_ps(peak_m), _mm512_set1_ps(peak_c), step_fma,
                     add_f32, 16);
}

TARGET static int64_t peak_i8(int64_t iters)
{
    __m512 v = _mm512_castsi512_ps(_mm512_set1_epi8((char)(int)peak_c));
    return peak_loop(iters, v, v, step_i8, add_i32, 64);
}

#define TARGET_BF16 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma,avx512bf16")))

/* vdpbf16ps: 32 bf16 x bf16 products into 16 f32 lanes; with operands of
 * 2^-20 each step adds 2^-39 to lanes near 1 (no growth, no subnormal). */
static inline __attribute__((always_inline)) TARGET_BF16 __m512
step_bf16(__m512 a, __m512 x, __m512 y)
{
    return _mm512_dpbf16_ps(a, (__m512bh)x, (__m512bh)y);
}

TARGET_BF16 static int64_t peak_bf16(int64_t iters)
{
    __m512 f = _mm512_set1_ps(peak_m / (1 << 19));
    __m512 b = (__m512)_mm512_cvtne2ps_pbh(f, f);
    return peak_loop(iters, b, b, step_bf16, add_f32, 32);
}

static int has_bf16(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
}

static int64_t peak(arch_dtype t, int64_t iters)
{
    if (t == ARCH_INT8 || t == ARCH_INT4)
        return peak_i8(iters);
    if (t == ARCH_BF16 && has_bf16())
        return peak_bf16(iters);
    return peak_f32(iters);
}

static int supported(void)
{
    __builtin_cpu_init(); /* kern.c selects from a constructor */
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
}

KERN_TABLE(kern_avx512, "avx512+vnni", supported, mm_i8, mm_i4, exp_n, swiglu,
           .peak = peak);
