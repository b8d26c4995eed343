/* opspeed.h -- how fast a decode step's own operations run on this
 * machine, beside the streaming read that measures its bandwidths: the
 * terms of the host latency model (sim/cost.h) that a bandwidth and a
 * compute peak alone miss.
 *
 *   opspeed_pass r;
 *   opspeed_matvec(p, &dram, &llc, ARCH_F16, block, &r, &e);
 *       r.dram_eff    mat-vecs reading their weights from DRAM, over the
 *                     DRAM streaming read right before and after
 *       r.level_eff   the same weights again, right after: the second
 *                     pass over a block just read (a shared layer's
 *                     second execution), over the streaming read of the
 *                     cache level that holds `block` bytes
 *   opspeed_matvec_fixed_us(p, &us, &e);     a pass of mat-vecs beyond its bytes
 *   opspeed_matmul(p, ARCH_F16, &gflops, &e); a prefill chunk's products
 *   opspeed_attention(threads, &eff, &head_us, &e);
 *   opspeed_layer_fixed_us(threads, &us, &e);
 *       the time of one executed layer that is not reading or computing:
 *       thread hand-offs, norms, RoPE, the residual adds
 *
 * Each figure is a ratio of two things measured within a second of each
 * other, or a difference of two runs: a shared VM's bandwidth changes 2x
 * within minutes, the ratio much less. lanky probe writes them into
 * host.ini (host/probe.h).
 */
#ifndef HOST_OPSPEED_H
#define HOST_OPSPEED_H

#include <stddef.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "../ref/pool.h"
#include "../ref/stream.h"

/* The weights a mat-vec measurement reads in one sweep: several times
 * any last-level cache lanky has met (the Xeon VM's holds about 176 MiB,
 * docs/performance.md), so a first pass comes from DRAM. */
#define OPSPEED_SET_BYTES ((size_t)512 << 20)

/* Rounds of a mat-vec measurement; each figure is the median over them. */
#define OPSPEED_ROUNDS 3

/* Medians over OPSPEED_ROUNDS rounds. */
typedef struct {
    double dram_eff;   /* first pass GB/s / the DRAM reads around its round */
    double level_eff;  /* second pass GB/s / the level's reads around its
                          round (0 without a level) */
} opspeed_pass;

/* Mat-vecs of decode's shape (1024 columns, up to 2048 rows per matrix,
 * split between the workers of p as ref/model.c splits them) over
 * OPSPEED_SET_BYTES of weights of type t, taken `block` bytes at a time,
 * each block twice in a row, OPSPEED_ROUNDS times; `dram` (ref/stream.h,
 * a buffer of REF_STREAM_DRAM_BYTES built on p) and `level` (a buffer the
 * cache level that holds `block` holds, or NULL) are read right before
 * and after each round. LK_ERUN when out of memory. */
int opspeed_matvec(pool *p, ref_stream *dram, ref_stream *level, arch_dtype t,
                   size_t block, opspeed_pass *r, lk_err *e);

/* A prefill chunk's matrix products: ARCH_PLAN_CHUNK tokens at once
 * through each of OPSPEED_SET_BYTES of 2048 x 1024 matrices of type t
 * (streamed from DRAM, each matrix's rows split between the workers of p
 * as ref/model.c splits them), GFLOP/s (GOP/s for int8 and int4) at 2
 * per multiply-add, median of OPSPEED_ROUNDS. What a prefill's compute
 * reaches with the weights arriving from memory, below the register-only
 * peak (probe_peak_gflops) by the kernel's loads, tile edges and waits. */
int opspeed_matmul(pool *p, arch_dtype t, double *gflops, lk_err *e);

/* Attention, from lanky bench's attention time of a model whose KV
 * cache (8 layers x 8 heads of 64, f16) no cache holds, at positions
 * OPSPEED_ATT_NEAR and OPSPEED_ATT_FAR: time = heads walked x head_us +
 * KV bytes / rate, solved from the two; *eff is the rate over the paired
 * DRAM bandwidth, *head_us the fixed time per key/value head and layer
 * (a head's short streams, its share of the hand-off). */
#define OPSPEED_ATT_NEAR 512
#define OPSPEED_ATT_FAR 16384
int opspeed_attention(int threads, double *eff, double *head_us, lk_err *e);

/* The fixed time of one pass of mat-vecs over p, in microseconds: the
 * same OPSPEED_SET_BYTES of f16 weights streamed from DRAM as matrices of
 * OPSPEED_SMALL_ROWS rows and of 2048 (1024 columns both), the difference
 * in time per small matrix; median of OPSPEED_ROUNDS. What a pass costs
 * beyond its bytes: starting each worker's stream, waiting for the
 * slower one. */
#define OPSPEED_SMALL_ROWS 256
int opspeed_matvec_fixed_us(pool *p, double *us, lk_err *e);

/* Per executed layer, in microseconds: the decode token time of a model
 * of OPSPEED_FIXED_DEEP layers minus one of 2 layers, over the layers
 * between, for a model so narrow (dim 16) that its reading and computing
 * take well under 1% of it, on `threads` workers as lanky bench runs. */
#define OPSPEED_FIXED_DEEP 64
int opspeed_layer_fixed_us(int threads, double *us, lk_err *e);

#endif
