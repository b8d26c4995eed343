/* stream.c -- streaming-read bandwidth (see stream.h). */
#include "stream.h"

#include <stdlib.h>

#include "../arch/layout.h"
#include "../common/clock.h"
#include "kern.h"
#include "mem.h"

typedef struct {
    ref_stream *s;
    int touch;      /* write the slice instead of reading it */
    float sink[64]; /* keeps the sums alive */
} read_job;

static void read_slice(void *arg, int i, int n)
{
    read_job *j = arg;
    const ref_stream *s = j->s;
    int64_t per = (s->n / n) & ~(int64_t)15, lo = per * i;
    int64_t hi = i == n - 1 ? s->n : lo + per;
    if (j->touch) { /* first touch from the thread that will read it */
        for (int64_t k = lo; k < hi; k++)
            s->buf[k] = (float)k;
        return;
    }
    float sum = 0;
    for (int r = 0; r < s->reps; r++)
        sum += kern_sum(s->buf + lo, hi - lo);
    j->sink[i % 64] = sum;
}

int ref_stream_build(ref_stream *s, pool *p, size_t bytes, lk_err *e)
{
    *s = (ref_stream){.n = (int64_t)(bytes / sizeof(float))};
    s->len = (size_t)s->n * sizeof(float);
    if (s->n < pool_threads(p) * 16)
        return lk_fail(e, LK_ERUN, "bandwidth: a %zu-byte buffer is too small for %d workers",
                       bytes, pool_threads(p));
    if (!(s->buf = mem_huge_alloc(s->len)))
        return lk_fail(e, LK_ERUN, "bandwidth: out of memory for a %zu-byte buffer", s->len);
    s->reps = s->len >= REF_STREAM_MIN_BYTES ? 1 : (int)(REF_STREAM_MIN_BYTES / s->len);
    read_job j = {.s = s, .touch = 1};
    pool_run(p, read_slice, &j);
    j.touch = 0;
    pool_run(p, read_slice, &j); /* warm-up: caches and TLBs */
    return LK_OK;
}

double ref_stream_gbs(ref_stream *s, pool *p)
{
    read_job j = {.s = s};
    double t0 = lk_clock_ms();
    pool_run(p, read_slice, &j);
    return (double)s->len * s->reps / (lk_clock_ms() - t0) / 1e6;
}

void ref_stream_free(ref_stream *s)
{
    mem_huge_free(s->buf, s->len);
    s->buf = NULL;
}

/* ---- the mat-vec rate in cache (stream.h) ---------------------------- */

#define COMPUTE_COLS 1024
#define COMPUTE_GROUP 32 /* int4 weights per scale, the spec's default */

static void compute_slice(void *arg, int i, int n)
{
    (void)n;
    ref_compute *c = arg;
    for (int r = 0; r < c->reps; r++)
        kern_matvec(c->out + i * c->ostride, &c->m, &c->a, 0, c->m.rows);
}

int ref_compute_build(ref_compute *c, pool *p, arch_dtype t, size_t bytes, lk_err *e)
{
    int64_t cols = COMPUTE_COLS, size = (int64_t)arch_data_bytes(t, cols); /* of a row */
    int64_t rows = (int64_t)bytes / size;
    rows = rows < 4 ? 4 : rows;
    *c = (ref_compute){.ostride = (rows + 15) / 16 * 16};
    float *wf = malloc((size_t)(rows * cols) * sizeof(float));
    c->x = malloc((size_t)cols * sizeof(float));
    c->data = malloc((size_t)(rows * size) + (size_t)rows * 64); /* + int8/int4 scales */
    c->out = aligned_alloc(64, (size_t)(c->ostride * pool_threads(p)) * sizeof(float));
    c->q = malloc((size_t)cols);
    if (!wf || !c->x || !c->data || !c->out || !c->q) {
        free(wf);
        ref_compute_free(c);
        return lk_fail(e, LK_ERUN, "compute: out of memory for a %zu-byte matrix", bytes);
    }
    for (int64_t k = 0; k < rows * cols; k++)
        wf[k] = (float)((k * 7919) % 201 - 100) / 128;
    for (int64_t k = 0; k < cols; k++)
        c->x[k] = (float)(k % 17) / 16;
    c->m = (kern_mat){.type = t, .rows = rows, .cols = cols, .data = c->data};
    if (t == ARCH_INT8) {
        c->m.scales = (float *)((char *)c->data + rows * cols);
        kern_quantize_rows(c->data, (float *)c->m.scales, wf, rows, cols);
    } else if (t == ARCH_INT4) {
        c->m.scales_f16 = (uint16_t *)((char *)c->data + rows * size);
        c->m.group = COMPUTE_GROUP;
        for (int64_t r = 0; r < rows; r++)
            kern_quantize_int4((uint8_t *)c->data + r * size,
                               (uint16_t *)c->m.scales_f16 + r * (cols / COMPUTE_GROUP),
                               wf + r * cols, cols, COMPUTE_GROUP);
    } else {
        kern_from_f32(t, c->data, wf, rows * cols);
    }
    free(wf);
    kern_act_prepare(&c->a, t, c->x, cols, c->q);
    c->reps = (int)(REF_COMPUTE_MACS / (rows * cols)) + 1;
    ref_compute_gflops(c, p); /* warm-up: the matrix into the caches */
    return LK_OK;
}

double ref_compute_gflops(ref_compute *c, pool *p)
{
    double t0 = lk_clock_ms();
    pool_run(p, compute_slice, c);
    return 2.0 * (double)(c->m.rows * c->m.cols) * c->reps * pool_threads(p) /
           (lk_clock_ms() - t0) / 1e6;
}

void ref_compute_free(ref_compute *c)
{
    free(c->x);
    free(c->data);
    free(c->out);
    free(c->q);
    *c = (ref_compute){0};
}
