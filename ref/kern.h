/* kern.h -- the compute kernels of the reference transformer.
 *
 * Decode is a sequence of matrix-vector products over weights that are
 * streamed from memory once per use, so the kernel that matters is
 * kern_matvec(): out[r] = sum_c W[r][c] * x[c] for a row range, in each
 * stored weight type. W is row-major, rows = output features (see
 * arch/layout.h); an int8 matrix carries one f32 scale per row right
 * after its rows*cols bytes.
 *
 * Activations are prepared once per mat-vec (kern_act_prepare) and then
 * shared read-only by every thread working on a row range: for f16 and
 * bf16 weights x stays f32; for int8 weights x is quantized per token
 * with min-max (W8A8, the paper's section 3.4) and products accumulate
 * in int32.
 *
 * The implementation is chosen once at run time from the CPU's features
 * (AVX-512 / VNNI / BF16 / F16C where present) with a portable C
 * fallback; kern_select("portable") forces the fallback, which the tests
 * exercise on every machine.
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
} kern_mat;

/* A prepared activation vector of n values. */
typedef struct {
    int64_t n;
    const float *x;     /* the f32 values */
    int8_t *q;          /* int8 only: quantized values (caller's buffer),
                           stored as uint8_t 0..255 */
    float scale;        /* int8 only: x ~= ((uint8_t)q - zero) * scale */
    int32_t zero;       /* int8 only: zero point, 0..255 */
} kern_act;

/* Prepare x (n values) for mat-vecs with weights of type t. For int8,
 * q must point at n (rounded up to 64) bytes owned by the caller. */
void kern_act_prepare(kern_act *a, arch_dtype t, const float *x, int64_t n,
                      int8_t *q);

/* out[r - row0] = W[r] . x for r in [row0, row1). */
void kern_matvec(float *out, const kern_mat *w, const kern_act *x,
                 int64_t row0, int64_t row1);

/* Convert n f32 values to the stored form of type t (f16, bf16, f32) and
 * back; used to build weights and to read one embedding row. For int8,
 * kern_quantize_rows writes rows*cols int8 values and rows scales. */
void kern_from_f32(arch_dtype t, void *dst, const float *src, int64_t n);
void kern_to_f32(arch_dtype t, float *dst, const void *src, int64_t n);
void kern_quantize_rows(int8_t *dst, float *scales, const float *src,
                        int64_t rows, int64_t cols);
/* Row r of a stored matrix as f32 (dequantized for int8). */
void kern_row_f32(const kern_mat *w, int64_t r, float *dst);

/* The sum of n floats, read once at full speed: the streaming-read kernel
 * with which ref/probe.c measures memory bandwidth. */
float kern_sum(const float *x, int64_t n);

/* "auto" (best for this CPU), "avx512" (AVX-512 F/BW/VL/VNNI with F16C
 * and FMA) or "portable". Returns LK_EINPUT for an unknown name or one
 * this CPU cannot run. kern.c picks "auto" before main() runs. */
int kern_select(const char *name, lk_err *e);
/* The implementation in use: "avx512+vnni" or "portable". */
const char *kern_name(void);

#endif
