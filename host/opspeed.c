/* opspeed.c -- decode's operations timed beside the streaming read (see
 * opspeed.h).
 *
 * The weights are one OPSPEED_SET_BYTES buffer viewed as consecutive
 * matrices, every element the same small value of the type (a value,
 * not random bits: f16 or bf16 bit patterns would include NaNs and
 * subnormals, which some CPUs compute slowly); int8 and int4 matrices
 * carry their scales where arch/layout.h puts a real matrix's.
 */
#include "opspeed.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/stats.h"
#include "../arch/layout.h"
#include "../arch/plan.h"
#include "../ref/bench.h"
#include "../ref/kern.h"
#include "../ref/mem.h"

#define COLS 1024
#define MAX_ROWS 2048
#define OPSPEED_GROUP 32 /* int4 weights per scale, the spec's default */

typedef struct {
    kern_mat m;
    const kern_act *a; /* nt prepared tokens */
    int64_t nt;
    float *out;        /* (nt, m.rows) */
} mv_job;

/* Rows [r0, r1) of the job's matrix for its nt tokens, as ref/model.c's
 * matvec_rows runs them. */
static void mv_rows(void *arg, int64_t r0, int64_t r1)
{
    mv_job *j = arg;
    kern_matmul(j->out + r0, j->m.rows, &j->m, j->a, j->nt, r0, r1);
}

/* Fill n bytes with `one` element of size `size` (1, 2 or 4) over and
 * over: the first element, then copies of what is filled, doubling (a
 * few dozen calls for 512 MiB instead of one per element). */
static void fill(unsigned char *buf, size_t n, const void *one, size_t size)
{
    if (n < size)
        return;
    memcpy(buf, one, size);
    for (size_t done = size; done < n; done *= 2)
        memcpy(buf + done, buf, done < n - done ? done : n - done);
}

/* The activations every measured mat-vec multiplies: COLS small values. */
static void build_x(float *x)
{
    for (int c = 0; c < COLS; c++)
        x[c] = (float)(c % 17) / 16;
}

/* One stored matrix of rows x COLS of type t at m: every weight 1/16 (int4
 * and int8 as the integer 1 times a scale of 1/16), its scales where
 * arch/layout.h puts them. */
static void build_mat(kern_mat *k, unsigned char *m, arch_dtype t, int64_t rows)
{
    float v = 1.0f / 16;
    unsigned char one[4] = {1};
    uint16_t half;
    size_t n = (size_t)(rows * COLS);
    *k = (kern_mat){.type = t, .rows = rows, .cols = COLS, .data = m};
    if (t == ARCH_INT8) {
        fill(m, n, one, 1);
        float *sc = (float *)(m + arch_int8_scales_offset(rows, COLS));
        for (int64_t r = 0; r < rows; r++)
            sc[r] = v;
        k->scales = sc;
    } else if (t == ARCH_INT4) {
        one[0] = 0x99; /* q = 1 in both nibbles, stored as q + 8 */
        fill(m, n / 2, one, 1);
        kern_from_f32(ARCH_F16, &half, &v, 1);
        uint16_t *sc = (uint16_t *)(m + arch_int4_scales_offset(rows, COLS));
        fill((unsigned char *)sc, n / OPSPEED_GROUP * 2, &half, 2);
        k->scales_f16 = sc;
        k->group = OPSPEED_GROUP;
    } else {
        kern_from_f32(t, one, &v, 1);
        fill(m, n * (size_t)arch_dtype_size(t), one, (size_t)arch_dtype_size(t));
    }
}

/* The bytes of a rows x COLS matrix of type t, scales included, rounded
 * to whole lines: how far apart a weight set's matrices start. */
static size_t mat_bytes(arch_dtype t, int64_t rows)
{
    return (arch_tensor_bytes(t, OPSPEED_GROUP, ARCH_W_Q, rows, COLS) + 63) / 64 * 64;
}

/* nmat matrices of rows x COLS of type t, mat_bytes apart from the start
 * of one buffer (mem_huge_free(*w, nmat * mat_bytes) frees it). */
static int build_set(arch_dtype t, int64_t rows, int nmat, unsigned char **w, kern_mat **mat,
                     lk_err *e)
{
    size_t mbytes = mat_bytes(t, rows), len = mbytes * (size_t)nmat;
    *w = mem_huge_alloc(len);
    *mat = calloc((size_t)nmat, sizeof **mat);
    if (!*w || !*mat)
        return lk_fail(e, LK_ERUN, "probe: out of memory for %zu MiB of weights", len >> 20);
    for (int m = 0; m < nmat; m++)
        build_mat(&(*mat)[m], *w + (size_t)m * mbytes, t, rows);
    return LK_OK;
}

static void free_set(unsigned char *w, kern_mat *mat, size_t len)
{
    if (w)
        mem_huge_free(w, len);
    free(mat);
}

int opspeed_matvec(pool *p, ref_stream *dram, ref_stream *level, arch_dtype t,
                   size_t block, opspeed_pass *r, lk_err *e)
{
    uint64_t row_bytes = arch_tensor_bytes(t, OPSPEED_GROUP, ARCH_W_Q, 1, COLS);
    int64_t rows = (int64_t)(block / row_bytes);
    rows = rows > MAX_ROWS ? MAX_ROWS : rows < 16 ? 16 : rows / 16 * 16;
    size_t mbytes = mat_bytes(t, rows);
    int per_block = (int)(block / mbytes) > 0 ? (int)(block / mbytes) : 1;
    int nblocks = (int)(OPSPEED_SET_BYTES / (mbytes * (size_t)per_block));
    int nmat = per_block * nblocks;
    size_t len = mbytes * (size_t)nmat;
    unsigned char *w = NULL;
    kern_mat *mat = NULL;
    float *x = calloc(COLS, sizeof(float)), *out = calloc((size_t)rows, sizeof(float));
    int8_t *q = aligned_alloc(64, COLS);
    int rc = build_set(t, rows, nmat, &w, &mat, e);
    if (!rc && (!x || !out || !q))
        rc = lk_fail(e, LK_ERUN, "probe: out of memory");
    if (rc)
        goto done;
    build_x(x);
    kern_act a;
    kern_act_prepare(&a, t, x, COLS, q);
    mv_job j = {.a = &a, .nt = 1, .out = out};
    double ratio[OPSPEED_ROUNDS], lratio[OPSPEED_ROUNDS];
    for (int k = 0; k < OPSPEED_ROUNDS; k++) {
        double lbefore = level ? ref_stream_gbs(level, p) : 0;
        double before = ref_stream_gbs(dram, p), ms[2] = {0, 0};
        for (int b = 0; b < nblocks; b++)
            for (int pass = 0; pass < 2; pass++) {
                double t0 = lk_clock_ms();
                for (int m = 0; m < per_block; m++) {
                    j.m = mat[b * per_block + m];
                    pool_run_rows(p, rows, 16, mv_rows, &j);
                }
                ms[pass] += lk_clock_ms() - t0;
            }
        double stream = (before + ref_stream_gbs(dram, p)) / 2;
        double lstream = level ? (lbefore + ref_stream_gbs(level, p)) / 2 : 0;
        ratio[k] = (double)len / ms[0] / 1e6 / stream;
        lratio[k] = level ? (double)len / ms[1] / 1e6 / lstream : 0;
    }
    *r = (opspeed_pass){.dram_eff = lk_stats_median(ratio, OPSPEED_ROUNDS),
                        .level_eff = lk_stats_median(lratio, OPSPEED_ROUNDS)};
done:
    free_set(w, mat, len);
    free(x);
    free(out);
    free(q);
    return rc;
}

int opspeed_matmul(pool *p, arch_dtype t, double *gflops, lk_err *e)
{
    enum { NT = ARCH_PLAN_CHUNK };
    int nmat = (int)(OPSPEED_SET_BYTES / mat_bytes(t, MAX_ROWS));
    size_t len = mat_bytes(t, MAX_ROWS) * (size_t)nmat;
    unsigned char *w = NULL;
    kern_mat *mat = NULL;
    float *x = calloc(NT * COLS, sizeof(float));
    float *out = calloc((size_t)NT * MAX_ROWS, sizeof(float));
    int8_t *q = aligned_alloc(64, NT * COLS);
    int rc = build_set(t, MAX_ROWS, nmat, &w, &mat, e);
    if (!rc && (!x || !out || !q))
        rc = lk_fail(e, LK_ERUN, "probe: out of memory");
    if (rc)
        goto done;
    kern_act a[NT];
    for (int k = 0; k < NT; k++) {
        build_x(x + k * COLS);
        kern_act_prepare(&a[k], t, x + k * COLS, COLS, q + k * COLS);
    }
    mv_job j = {.a = a, .nt = NT, .out = out};
    double rate[OPSPEED_ROUNDS];
    for (int k = 0; k < OPSPEED_ROUNDS; k++) {
        double t0 = lk_clock_ms();
        for (int m = 0; m < nmat; m++) {
            j.m = mat[m];
            pool_run_rows(p, MAX_ROWS, 16, mv_rows, &j);
        }
        rate[k] = 2.0 * (double)MAX_ROWS * COLS * NT * nmat / (lk_clock_ms() - t0) / 1e6;
    }
    *gflops = lk_stats_median(rate, OPSPEED_ROUNDS);
done:
    free_set(w, mat, len);
    free(x);
    free(out);
    free(q);
    return rc;
}

/* lanky bench of a seeded model of `layers` x `dim` (heads of 64, or
 * one head when narrower) at position ctx, `tokens` decode tokens a
 * round, 3 rounds. */
static int bench(int threads, int64_t layers, int64_t dim, int64_t ctx, int tokens,
                 ref_bench_result *r, lk_err *e)
{
    arch_spec s;
    arch_spec_init(&s);
    s.layers = layers;
    s.dim = dim;
    s.heads = dim >= 64 ? dim / 64 : 1;
    s.vocab = dim;
    s.seq_len = ctx + 1;
    s.ctx = ctx;
    int rc = arch_spec_finish(&s, e);
    ref_bench_opts o = {.threads = threads, .tokens = tokens, .seed = 1, .repeat = 3};
    return rc ? rc : ref_bench(&s, &o, r, e);
}

int opspeed_attention(int threads, double *eff, double *head_us, lk_err *e)
{
    ref_bench_result near, far;
    int rc = bench(threads, 8, 512, OPSPEED_ATT_NEAR, 16, &near, e);
    if (rc || (rc = bench(threads, 8, 512, OPSPEED_ATT_FAR, 4, &far, e)))
        return rc;
    /* attention_ms = heads walked x head_us + KV bytes / rate, at both
     * positions */
    double bytes = (double)far.kv_bytes_per_token - (double)near.kv_bytes_per_token;
    double ms_per_byte = (far.attention_ms - near.attention_ms) / bytes;
    double paired = (near.paired_dram_gbs + far.paired_dram_gbs) / 2;
    *eff = ms_per_byte > 0 && paired > 0 ? fmin(1 / ms_per_byte / 1e6 / paired, 2) : 1;
    double fixed_ms = near.attention_ms - (double)near.kv_bytes_per_token * ms_per_byte;
    *head_us = fmax(fixed_ms * 1e3 / (8 * 8), 0);
    return LK_OK;
}

int opspeed_matvec_fixed_us(pool *p, double *us, lk_err *e)
{
    /* the same f16 weights viewed as large and as small matrices */
    size_t len = OPSPEED_SET_BYTES, big = (size_t)MAX_ROWS * COLS * 2;
    size_t small = (size_t)OPSPEED_SMALL_ROWS * COLS * 2;
    unsigned char *w = mem_huge_alloc(len);
    float *x = calloc(COLS, sizeof(float)), *out = calloc(MAX_ROWS, sizeof(float));
    int rc = LK_OK;
    if (!w || !x || !out) {
        rc = lk_fail(e, LK_ERUN, "probe: out of memory for %zu MiB of weights", len >> 20);
        goto done;
    }
    kern_act a;
    mv_job j = {.a = &a, .nt = 1, .out = out};
    build_mat(&j.m, w, ARCH_F16, (int64_t)(len / (COLS * 2))); /* fills it all */
    build_x(x);
    kern_act_prepare(&a, ARCH_F16, x, COLS, NULL);
    double per[OPSPEED_ROUNDS];
    for (int k = 0; k < OPSPEED_ROUNDS; k++) {
        double ms[2];
        for (int s = 0; s < 2; s++) { /* big, then small: each sweep from DRAM */
            size_t step = s ? small : big;
            j.m.rows = s ? OPSPEED_SMALL_ROWS : MAX_ROWS;
            double t0 = lk_clock_ms();
            for (size_t off = 0; off + step <= len; off += step) {
                j.m.data = w + off;
                pool_run_rows(p, j.m.rows, 16, mv_rows, &j);
            }
            ms[s] = lk_clock_ms() - t0;
        }
        per[k] = (ms[1] - ms[0] * (double)(len / small * small) / (double)(len / big * big)) *
                 1e3 / (double)(len / small);
    }
    *us = fmax(lk_stats_median(per, OPSPEED_ROUNDS), 0);
done:
    if (w)
        mem_huge_free(w, len);
    free(x);
    free(out);
    return rc;
}

/* Decode time per token of a dim-16 model of `layers` layers. */
static int tiny_token_ms(int threads, int64_t layers, double *ms, lk_err *e)
{
    ref_bench_result r;
    int rc = bench(threads, layers, 16, 4, 64, &r, e);
    if (!rc)
        *ms = r.execute_ms_median;
    return rc;
}

int opspeed_layer_fixed_us(int threads, double *us, lk_err *e)
{
    double shallow, deep;
    int rc = tiny_token_ms(threads, 2, &shallow, e);
    if (rc || (rc = tiny_token_ms(threads, OPSPEED_FIXED_DEEP, &deep, e)))
        return rc;
    *us = (deep - shallow) * 1e3 / (OPSPEED_FIXED_DEEP - 2);
    *us = *us > 0 ? *us : 0; /* noise on a machine that needs none */
    return LK_OK;
}
