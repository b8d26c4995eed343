/* stream.h -- the streaming-read bandwidth of this machine, the one
 * routine both `lanky probe` (each cache level and DRAM, host/probe.c) and
 * `lanky bench` (DRAM right before and after each round of timed tokens,
 * ref/bench.c) time:
 *
 *   ref_stream s;
 *   ref_stream_build(&s, p, bytes, &e);   allocate, first touch, warm up
 *   double gbs = ref_stream_gbs(&s, p);   one timed run
 *   ref_stream_free(&s);
 *
 * Every worker of the pool sums its slice of one buffer with kern_sum()
 * (the same loads a mat-vec makes, minus the multiply). GB/s = 1e9 bytes
 * read / wall time of the pool run, i.e. of the slowest worker. A run
 * passes over a small buffer several times so that it reads at least
 * REF_STREAM_MIN_BYTES: long enough for the clock, short enough to repeat.
 */
#ifndef REF_STREAM_H
#define REF_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "pool.h"

#define REF_STREAM_MIN_BYTES ((size_t)256 << 20) /* bytes read per timed run */

/* The buffer a DRAM bandwidth is read from, by lanky probe and by lanky
 * bench around its timed rounds (the paired bandwidth): larger than any
 * last-level cache lanky has met by a margin, 16x a phone's system cache
 * (32 MB on the A15) and about 3x what the Xeon VM's L3 holds for one
 * process (176 MiB of the 480 MiB it reports: 128 MiB buffers stream at
 * the L3's 60 GB/s there, docs/performance.md). */
#define REF_STREAM_DRAM_BYTES ((size_t)512 << 20)

typedef struct {
    float *buf;   /* [n] on huge pages (mem.h), as the weights are; each
                     slice first touched by the worker that reads it */
    int64_t n;    /* floats in buf */
    size_t len;   /* bytes of buf */
    int reps;     /* passes over each slice per run */
} ref_stream;

/* A buffer of about `bytes` (>= 16 floats per worker of p), touched and
 * read once untimed, so that caches and TLBs are warm for the first timed
 * run. LK_ERUN when it cannot be allocated. */
int ref_stream_build(ref_stream *s, pool *p, size_t bytes, lk_err *e);

/* One timed run over s by all workers of p: GB/s (1e9 B/s). */
double ref_stream_gbs(ref_stream *s, pool *p);

void ref_stream_free(ref_stream *s);

#endif
