/* bench_kern.c -- how close the mat-vec kernels come to this machine's
 * memory bandwidth (`make bench`).
 *
 * For each weight type, a matrix of about 256 MiB (8x this host's L3, so
 * every weight comes from DRAM) with 576 columns (MobileLLM-125M's width)
 * is multiplied by a vector, its rows split across 1 and 2 threads as the
 * transformer splits them (pool_run_rows). The weight bytes streamed per
 * second are compared with the streaming-read bandwidth (probe_read_gbs)
 * measured in the same run with the same threads: the ratio is what the
 * kernel achieves of the memory roofline. Each matrix is run twice: as
 * one call and as decode sees it, one pool_run_rows() per DECODE_ROWS
 * rows (MobileLLM-125M's largest matrix), so per-call costs
 * (waking the workers, the prefetchers ramping up on a new stream) show
 * as the gap between the two. Also: the mat-vec peak with weights in
 * L1/L2, the cost of one pool_run() (the transformer runs hundreds per
 * token), and the instruction bound of any f16 mat-vec that widens with
 * vcvtph2ps and multiplies in f32 (widen_fma_pairs below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/clock.h"
#include "../common/table.h"
#include "../ref/kern.h"
#include "../ref/pool.h"
#include "../host/probe.h"

#define COLS 576
#define MATRIX_BYTES ((size_t)256 << 20)
#define RUNS 7
#define DECODE_ROWS 1536

typedef struct {
    kern_mat m;
    kern_act a;
    float *out;
    int64_t r0, r1; /* the rows of this call */
} job;

/* Rows [j->r0 + r0, j->r0 + r1) of the call. */
static void call_rows(void *arg, int64_t r0, int64_t r1)
{
    job *j = arg;
    kern_matvec(j->out + j->r0 + r0, &j->m, &j->a, j->r0 + r0, j->r0 + r1);
}

static void nothing(void *arg, int i, int n)
{
    (void)arg, (void)i, (void)n;
}

/* GB/s of weight bytes, the whole matrix in calls of `call` rows, best
 * of PROBE_RUNS timed runs: as many as one probe_read_gbs() call takes,
 * so both figures are a best of as many. */
static double matvec_gbs(pool *p, job *j, size_t bytes, int64_t call)
{
    double best = 0;
    for (int r = 0; r < PROBE_RUNS; r++) {
        double t0 = lk_clock_ms();
        for (j->r0 = 0; j->r0 < j->m.rows; j->r0 += call) {
            j->r1 = j->r0 + call < j->m.rows ? j->r0 + call : j->m.rows;
            pool_run_rows(p, j->r1 - j->r0, 16, call_rows, j); /* as the transformer */
        }
        double g = bytes / (lk_clock_ms() - t0) / 1e6;
        best = g > best ? g : best;
    }
    return best;
}

/* A rows x COLS matrix of type t, filled in place (hugepage-backed like
 * the probe's read buffer, so both see the same TLB behaviour). */
static size_t make_matrix(job *j, arch_dtype t, float *x, int8_t *q)
{
    int64_t size = arch_dtype_size(t), rows = (int64_t)MATRIX_BYTES / (COLS * size);
    size_t bytes = (size_t)(rows * COLS * size) +
                   (t == ARCH_INT8 ? (size_t)rows * sizeof(float) : 0);
    void *data = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) {
        perror("bench_kern: mmap");
        exit(1);
    }
    madvise(data, bytes, MADV_HUGEPAGE);
    float row[COLS];
    for (int64_t r = 0; r < rows; r++) {
        for (int c = 0; c < COLS; c++)
            row[c] = (float)((r * 31 + c * 7) % 255 - 127) / 128;
        if (t == ARCH_INT8)
            kern_quantize_rows((int8_t *)data + r * COLS,
                               (float *)((int8_t *)data + rows * COLS) + r, row, 1, COLS);
        else
            kern_from_f32(t, (char *)data + r * COLS * size, row, COLS);
    }
    j->m = (kern_mat){.type = t, .rows = rows, .cols = COLS, .data = data,
                      .scales = t == ARCH_INT8 ? (float *)((int8_t *)data + rows * COLS) : NULL};
    kern_act_prepare(&j->a, t, x, COLS, q);
    j->out = malloc((size_t)rows * sizeof(float));
    return bytes;
}

/* 512-bit (vcvtph2ps, vfmadd231ps) pairs one core retires per second,
 * eight independent pairs per iteration on registers only (all zeros, so
 * no special values), best of PROBE_RUNS runs; 0 without AVX-512. Each
 * pair widens and multiplies 16 f16 weights (32 bytes), so 32 x this
 * rate bounds the f16 weight bytes per second of such a mat-vec on one
 * core, wherever its weights come from. Written in assembly so that
 * exactly these instructions are timed. */
#define PAIR(acc, tmp) "vcvtph2ps %%ymm8, %%zmm" #tmp "\n\t" \
                       "vfmadd231ps %%zmm" #tmp ", %%zmm9, %%zmm" #acc "\n\t"
#define ZERO(r) "vpxord %%zmm" #r ", %%zmm" #r ", %%zmm" #r "\n\t"

__attribute__((target("avx512f,f16c,fma"), noinline)) static void pairs(long n)
{
    __asm__ volatile(ZERO(0) ZERO(1) ZERO(2) ZERO(3) ZERO(4) ZERO(5) ZERO(6) ZERO(7)
                     ZERO(8) ZERO(9)
                     "1:\n\t"
                     PAIR(0, 16) PAIR(1, 17) PAIR(2, 18) PAIR(3, 19)
                     PAIR(4, 20) PAIR(5, 21) PAIR(6, 22) PAIR(7, 23)
                     "dec %0\n\t"
                     "jnz 1b"
                     : "+r"(n)
                     :
                     : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                       "xmm7", "xmm8", "xmm9", "xmm16", "xmm17", "xmm18", "xmm19",
                       "xmm20", "xmm21", "xmm22", "xmm23");
}

static double widen_fma_pairs(void)
{
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("f16c") ||
        !__builtin_cpu_supports("fma"))
        return 0;
    const long n = 20 * 1000 * 1000;
    double best = 0;
    for (int r = 0; r <= PROBE_RUNS; r++) { /* run 0 warms up */
        double t0 = lk_clock_ms();
        pairs(n);
        double g = 8.0 * n / (lk_clock_ms() - t0) / 1e6;
        best = r && g > best ? g : best;
    }
    return best;
}

int main(void)
{
    char cpu[128];
    probe_cpu_name(cpu, sizeof cpu);
    printf("bench_kern: %s, %d physical cores (hwloc), kernels %s\n\n", cpu,
           pool_physical_cores(), kern_name());
    float x[COLS];
    int8_t q[COLS + 64];
    for (int c = 0; c < COLS; c++)
        x[c] = (float)(c % 13) / 13 - 0.3f;

    lk_table *t = lk_table_new("dtype,threads,rows,cols,weight_mb,call_rows,matvec_gbs,read_gbs,ratio");
    lk_table *peak = lk_table_new("dtype,threads,gflops_l1,gflops_l2,pool_run_us");
    lk_err e = {0};
    for (int threads = 1; threads <= 2; threads++) {
        pool *p;
        if (pool_create(&p, threads, &e) != LK_OK) {
            fprintf(stderr, "bench_kern: %s\n", e.msg);
            return 1;
        }
        double t0 = lk_clock_ms();
        for (int k = 0; k < 10000; k++)
            pool_run(p, nothing, NULL);
        double run_us = (lk_clock_ms() - t0) / 10000 * 1e3;
        job j[4];
        size_t bytes[4];
        int64_t calls[2] = {0, DECODE_ROWS}; /* 0: the whole matrix */
        double best[4][2] = {{0}}, read = 0;
        for (int d = ARCH_F32; d <= ARCH_INT8; d++) {
            bytes[d] = make_matrix(&j[d], d, x, q);
            calls[0] = j[d].m.rows;
            matvec_gbs(p, &j[d], bytes[d], calls[0]); /* warm-up: first touch of out */
        }
        /* Interleaved rounds, best of each: another process disturbing
         * one round disturbs every measurement of it alike. */
        for (int r = 0; r < RUNS; r++) {
            double g = probe_read_gbs(p, MATRIX_BYTES);
            read = g > read ? g : read;
            for (int d = ARCH_F32; d <= ARCH_INT8; d++)
                for (int c = 0; c < 2; c++) {
                    g = matvec_gbs(p, &j[d], bytes[d], c ? calls[c] : j[d].m.rows);
                    best[d][c] = g > best[d][c] ? g : best[d][c];
                }
        }
        for (int d = ARCH_F32; d <= ARCH_INT8; d++) {
            for (int c = 0; c < 2; c++) {
                lk_table_row(t);
                lk_table_put(t, "dtype", "%s", arch_dtype_name(d));
                lk_table_puti(t, "threads", threads);
                lk_table_puti(t, "rows", j[d].m.rows);
                lk_table_puti(t, "cols", j[d].m.cols);
                lk_table_putf(t, "weight_mb", bytes[d] / 1e6, 1);
                lk_table_puti(t, "call_rows", c ? calls[c] : j[d].m.rows);
                lk_table_putf(t, "matvec_gbs", best[d][c], 1);
                lk_table_putf(t, "read_gbs", read, 1);
                lk_table_putf(t, "ratio", best[d][c] / read, 3);
            }
            munmap((void *)j[d].m.data, bytes[d]);
            free(j[d].out);

            lk_table_row(peak);
            lk_table_put(peak, "dtype", "%s", arch_dtype_name(d));
            lk_table_puti(peak, "threads", threads);
            /* half of L1d and of L2 on every AVX-512 CPU (>= 32 KiB, >= 1 MiB) */
            lk_table_putf(peak, "gflops_l1", probe_matvec_gflops(p, d, 16 << 10), 1);
            lk_table_putf(peak, "gflops_l2", probe_matvec_gflops(p, d, 512 << 10), 1);
            lk_table_putf(peak, "pool_run_us", run_us, 3);
        }
        pool_free(p);
    }
    printf("Weight streaming of kern_matvec vs streaming read (same run, same threads;\n"
           "GB/s = 1e9 bytes/s, best of %d interleaved rounds of %d runs; read_gbs: probe_read_gbs\n"
           "on a buffer of the same size; ratio = matvec_gbs / read_gbs; call_rows: rows per\n"
           "pool_run_rows(), split between the threads, %d as in decode):\n", RUNS, PROBE_RUNS,
           DECODE_ROWS);
    lk_table_write(t, LK_TABLE_TEXT, stdout, &e);
    printf("\nMat-vec peak with weights in L1 (16 KiB) and L2 (512 KiB), GFLOP/s (GOP/s\n"
           "for int8), 2 per multiply-add; pool_run_us: one empty pool_run():\n");
    lk_table_write(peak, LK_TABLE_TEXT, stdout, &e);
    double pairs_g = widen_fma_pairs();
    if (pairs_g > 0)
        printf("\nf16 widening bound, one core: %.2f G (vcvtph2ps, vfmadd231ps) pairs/s of\n"
               "512 bits = %.1f GB/s of f16 weights (16 weights, 32 bytes per pair)\n",
               pairs_g, 32 * pairs_g);
    lk_table_free(t);
    lk_table_free(peak);
    return 0;
}
