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

#include "../arch/spec.h"
#include "../common/err.h"
#include "kern.h"
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

/* ---- the mat-vec rate in cache ------------------------------------------
 *
 * The compute a decode mat-vec does once its weights are in the core's
 * cache, read the same way around the same rounds (a shared VM's cores
 * slow down too, by up to 2x between two probes here):
 *
 *   ref_compute c;
 *   ref_compute_build(&c, p, ARCH_F16, REF_COMPUTE_BYTES, &e);
 *   double gflops = ref_compute_gflops(&c, p);   one timed run
 *   ref_compute_free(&c);
 *
 * Every worker runs kern_matvec over its own copy of the output on one
 * shared matrix of REF_COMPUTE_BYTES: inside the second level of every
 * core lanky has met (1-2 MiB per core on the x86 VMs, 512 KiB-16 MiB on
 * phones), beyond the first. GFLOP/s counting 2 per multiply-add (GOP/s
 * for int8 and int4), at least REF_COMPUTE_MACS per worker and run. */
#define REF_COMPUTE_BYTES ((size_t)256 << 10)
#define REF_COMPUTE_MACS (INT64_C(64) << 20)

typedef struct {
    kern_mat m;      /* rows x 1024 of the type */
    kern_act a;
    void *data;      /* the matrix and its scales */
    float *x, *out;  /* out: per worker, ostride floats apart */
    int8_t *q;
    int64_t ostride; /* rows rounded up to whole cache lines: workers that
                        write into one line would take turns owning it */
    int reps;        /* mat-vecs per worker and run */
} ref_compute;

/* A matrix of type t of about `bytes` (REF_COMPUTE_BYTES: the reading
 * lanky probe and lanky bench take), warmed up once. LK_ERUN when out of
 * memory. */
int ref_compute_build(ref_compute *c, pool *p, arch_dtype t, size_t bytes, lk_err *e);

/* One timed run over c by all workers of p. */
double ref_compute_gflops(ref_compute *c, pool *p);

void ref_compute_free(ref_compute *c);

#endif
