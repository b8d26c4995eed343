/* kern_impl.h -- private to ref/kern*.c: the table of kernels each
 * instruction set provides, and the scalar pieces they all share so that
 * every implementation rounds the same way.
 */
#ifndef REF_KERN_IMPL_H
#define REF_KERN_IMPL_H

#include <math.h>
#include <string.h>

#include "kern.h"

typedef void (*kern_matvec_fn)(float *out, const kern_mat *w,
                               const kern_act *x, int64_t row0, int64_t row1);

typedef struct {
    const char *name;
    int (*supported)(void);                /* can this CPU run it? */
    kern_matvec_fn matvec[4];              /* indexed by arch_dtype */
    /* q[i] = round(x[i] * inv + zero) clamped to 0..255, n values */
    void (*quantize_act)(uint8_t *q, const float *x, int64_t n, float inv,
                         float zero);
    void (*f16_from_f32)(uint16_t *dst, const float *src, int64_t n);
    void (*f16_to_f32)(float *dst, const uint16_t *src, int64_t n);
    float (*sum)(const float *x, int64_t n);
} kern_impl;

extern const kern_impl kern_portable, kern_avx512;

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

#endif
