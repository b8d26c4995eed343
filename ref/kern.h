/* kern.h -- the compute kernels of the reference transformer.
 *
 * Decode is a sequence of matrix-vector products over weights that are
 * streamed from memory once per use, so the kernel that matters is
 * kern_matvec(): out[r] = sum_c W[r][c] * x[c] for a row range, in each
 * stored weight type; a prefill runs several tokens through each weight
 * row at once (kern_matmul). W is row-major, rows = output features (see
 * arch/layout.h); an int8 matrix carries one f32 scale per row after
 * its rows*cols bytes (at the next multiple of 4 bytes, see arch/layout.h).
 *
 * An int4 matrix (W4A8) packs two weights a byte, row after row: column
 * c of a row is in byte c / 2, in its low nibble when c is even and its
 * high nibble when c is odd, stored as q + 8 (offset binary, 1..15) for
 * the signed value q in -7..7. Each group of `group` columns of a row has
 * one f16 scale s (rows * cols / group of them, row after row), and w ~= q
 * s. Symmetric with s = max|w| / 7, so q stays in -7..7: the 16th level
 * (-8) would only serve values beyond -max|w|, which a group does not
 * have, and -8..7 with s = max|w| / 8 would clip +max|w| to 7/8 of it.
 *
 * Activations are prepared once per mat-vec (kern_act_prepare) and then
 * shared read-only by every thread working on a row range: for f16 and
 * bf16 weights x stays f32; for int8 and int4 weights x is quantized per
 * token with min-max (W8A8, the paper's section 3.4) and products
 * accumulate in int32 (int4: one int32 sum per group, times its scale,
 * summed in f32).
 *
 * The implementation is chosen once at run time from the CPU's features
 * (AVX-512 / VNNI / F16C on x86-64, NEON with its dot-product, FP16 and
 * BF16 extensions on aarch64) with a portable C fallback that every
 * build has; kern_select("portable") forces the fallback, which the
 * tests exercise on every machine. A build with PORTABLE=1 (or
 * -DLK_PORTABLE_ONLY) has the fallback only.
 */
#ifndef REF_KERN_H
#define REF_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "../arch/spec.h"

typedef struct {
    arch_dtype type;
    int64_t rows, cols;
    const void *data;      /* rows*cols elements of type */
    const float *scales;   /* int8 only: rows scales (NULL otherwise) */
    const uint16_t *scales_f16; /* int4 only: rows * cols / group f16 scales */
    int64_t group;         /* int4 only: columns per scale, a multiple of 4 */
} kern_mat;

/* A prepared activation vector of n values. */
typedef struct {
    int64_t n;
    const float *x;     /* the f32 values */
    int8_t *q;          /* int8 and int4 only: quantized values (caller's
                           buffer), stored as uint8_t 0..255 */
    float scale;        /* int8, int4: x ~= ((uint8_t)q - zero) * scale */
    int32_t zero;       /* int8, int4: zero point, 0..255 */
} kern_act;

/* Prepare x (n values) for mat-vecs with weights of type t. For int8 and
 * int4, q must point at n (rounded up to 64) bytes owned by the caller. */
void kern_act_prepare(kern_act *a, arch_dtype t, const float *x, int64_t n,
                      int8_t *q);

/* out[r - row0] = W[r] . x for r in [row0, row1). */
void kern_matvec(float *out, const kern_mat *w, const kern_act *x,
                 int64_t row0, int64_t row1);

/* The same for nt tokens at once (a prefill): out[t * ostride + r - row0]
 * = W[r] . x[t] for t in [0, nt), each x[t] prepared on its own (int8
 * activations are quantized per token). Each weight row is read from
 * memory once for all nt tokens, which turns the bandwidth-bound mat-vec
 * into a compute-bound product. kern_matvec(out, w, x, r0, r1) is
 * kern_matmul(out, 0, w, x, 1, r0, r1), the same code. */
void kern_matmul(float *out, int64_t ostride, const kern_mat *w,
                 const kern_act *x, int64_t nt, int64_t row0, int64_t row1);

/* Convert n f32 values to the stored form of type t (f16, bf16, f32) and
 * back; used to build weights and to read one embedding row. For int8,
 * kern_quantize_rows writes rows*cols int8 values and rows scales. */
void kern_from_f32(arch_dtype t, void *dst, const float *src, int64_t n);
void kern_to_f32(arch_dtype t, float *dst, const void *src, int64_t n);
void kern_quantize_rows(int8_t *dst, float *scales, const float *src,
                        int64_t rows, int64_t cols);
/* int4: one row of cols values (group divides cols) into cols / 2 bytes
 * and cols / group f16 scales, as described at the top. */
void kern_quantize_int4(uint8_t *dst, uint16_t *scales, const float *src,
                        int64_t cols, int64_t group);
/* Row r of a stored matrix as f32 (dequantized for int8 and int4). */
void kern_row_f32(const kern_mat *w, int64_t r, float *dst);

/* ---- attention ---------------------------------------------------- */

/* The cached keys and values of one key/value head: position t's hd
 * values start at element t * stride of k and of v. An int8 position is
 * hd int8 values and then their f32 scale (value = q * scale), unaligned
 * (arch/layout.h), so its stride is at least hd + 4. */
typedef struct {
    arch_dtype type;     /* f32, f16, bf16 or int8 */
    const void *k, *v;
    int64_t stride;      /* elements from one position to the next */
    int64_t hd;          /* head dimension */
} kern_kv;

/* Store one position of one head (hd values) in the cache's form of type
 * t: kern_from_f32 for the float types; int8 is quantized symmetrically,
 * scale = absmax / 127 as int8 weights are (kern_quantize_rows), and the
 * scale follows the hd values. */
void kern_kv_store(arch_dtype t, void *row, const float *x, int64_t hd);

/* Floats of scratch kern_attend() needs for nq heads over n positions. */
#define KERN_ATT_SCRATCH(nq, n) ((nq) * (((n) + 15) / 16 * 16))

/* Attention of the nq query heads q (nq * hd f32 values, head after head)
 * that share one key/value head (grouped-query attention: each key and
 * value is read once for the whole group), over cached positions
 * [t0, t1), as a partial result that kern_attend_merge() combines with
 * those of other position ranges (the log-sum-exp trick of
 * flash-decoding). For query head h, with s_t = scale * (q_h . k_t):
 *   ml[2h] = m = max_t s_t,  ml[2h+1] = l = sum_t exp(s_t - m),
 *   o[h*hd + i] = sum_t exp(s_t - m) v_t[i]          (not divided by l)
 * An empty range gives m = -inf, l = 0, o = 0. att: KERN_ATT_SCRATCH(nq,
 * t1 - t0) floats of scratch. */
void kern_attend(float *o, float *ml, const float *q, int64_t nq,
                 const kern_kv *kv, int64_t t0, int64_t t1, float scale,
                 float *att);

/* out (hd values) = softmax-weighted sum over nparts partial results of
 * one query head: o[p * ostride ...] and ml[p * mlstride ...] as
 * kern_attend() wrote them for disjoint position ranges. */
void kern_attend_merge(float *out, int64_t hd, int64_t nparts,
                       const float *o, int64_t ostride, const float *ml,
                       int64_t mlstride);

/* ---- elementwise ------------------------------------------------------ */

/* dst[i] = e^src[i] for n values (dst may be src), a polynomial, relative
 * error below 4e-7 for src in [-87.3, 88.3] (tests/test_kern.c); outside
 * it the input is clamped to that range (so e^-100 gives 1.2e-38, never
 * an infinity or a subnormal). */
void kern_exp(float *dst, const float *src, int64_t n);

/* SwiGLU's gate: h[i] = silu(h[i]) * g[i] = h[i] / (1 + e^-h[i]) * g[i]. */
void kern_swiglu(float *h, const float *g, int64_t n);

/* The sum of n floats, read once at full speed: the streaming-read kernel
 * with which host/probe.c measures memory bandwidth. */
float kern_sum(const float *x, int64_t n);

/* ---- compute peak ---------------------------------------------------- */

/* The multiply-adds that `iters` steps of a register-only loop did, with
 * the instruction this implementation multiplies weights of type t with
 * (independent accumulators, no memory traffic): the compute peak that
 * host/probe.h times (probe_peak_gflops) and tests/bench_prefill.c
 * compares a prefill with. AVX-512: vfmadd231ps for f32 and f16 (f16
 * weights are widened and multiplied in f32), vdpbf16ps for bf16 when the
 * CPU has AVX512_BF16 (else the f32 loop, as the widening bf16 product
 * runs), vpdpbusd for int8 and int4. Portable: scalar f32 multiply-adds
 * for every type. */
int64_t kern_peak(arch_dtype t, int64_t iters);

/* "auto" (best for this CPU), "avx512" (AVX-512 F/BW/VL/VNNI with F16C
 * and FMA; x86-64 builds), "avx2" (AVX2, FMA and F16C: the int4 product
 * only, the rest portable; x86-64 builds), "neon" (aarch64 builds) or
 * "portable".
 * Returns LK_EINPUT for an unknown name, one this build lacks or one this
 * CPU cannot run. kern.c picks "auto" before main() runs. */
int kern_select(const char *name, lk_err *e);
/* The implementation in use: "avx512+vnni", "avx2", "neon" followed by the
 * extensions it uses (kern_neon.c), or "portable". */
const char *kern_name(void);

#endif
