/* stream.c -- streaming-read bandwidth (see stream.h). */
#include "stream.h"

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
