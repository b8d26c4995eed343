/* test_kern.c -- the compute kernels against independent references.
 *
 * Each mat-vec is compared with a double-precision dot product that the
 * test computes itself from the stored values (decoded by the test's own
 * f16 and bf16 decoders, and the stored int8 values times their scales),
 * for the portable kernels and for the best ones this CPU runs. Matrices
 * and vectors end at a page boundary followed by an inaccessible page, so
 * a kernel that reads past a row's end crashes the test.
 *
 * Tolerances (u = 2^-24, the f32 unit roundoff):
 *  - f32, f16, bf16: any order of summing n products in f32, fused or
 *    not, errs by at most gamma(n+1) * sum |w x| with gamma(k) = k u /
 *    (1 - k u) (Higham, Accuracy and Stability, section 3.1); the
 *    weights are exact in f32, so this is the whole error.
 *  - int8: the sum of quantized products is an exact integer D; the
 *    result is ws * sa * D with two roundings in the products and one in
 *    converting D to float, so |out - ref| <= gamma(3) |ref|, and the
 *    portable and best kernels agree exactly (same q, same D, same
 *    finishing code).
 *  - int4: each group's sum of quantized products is an exact integer;
 *    the kernels sum group (or 4-column lane) partials times their f16
 *    scales in f32, at most cols/4 + 2 terms, and multiply by sa, so
 *    |out - ref| <= gamma(cols + 2) * sum |w x| over the stored values,
 *    and the portable and best kernels agree within twice that. A token
 *    of a matmul equals its own mat-vec exactly (same lanes, same order).
 *  - quantization itself: |w - qw sw| <= sw / 2 per weight and |x - (qa -
 *    z) sa| <= sa / 2 per activation (kern.c derives both), up to the
 *    rounding of computing w / sw in f32 (a relative 2^-22 slack).
 *
 * The probe (built on these kernels) is checked where that needs no
 * timing: the profile it writes passes the simulator's own reader, a
 * failed write leaves nothing behind, and its read kernel runs.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../ref/kern.h"
#include "../host/probe.h"
#include "../sim/profile.h"
#include "testutil.h"

static const char *const impls[] = {"portable", "auto"};
#define NIMPL 2
/* int4 also has kern_avx2.c's product (x86-64 CPUs with AVX2): the
 * int4 tests run it too where this build and CPU have it. */
static const char *const i4_impls[] = {"portable", "auto", "avx2"};
#define NI4IMPL 3

static double gamma_(double k)
{
    double u = ldexp(1, -24);
    return k * u / (1 - k * u);
}

/* ---- memory that ends at an inaccessible page ---------------------- */

typedef struct {
    void *map;
    size_t len;
} guard;

static void *guarded(guard *g, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (bytes + page - 1) / page * page;
    g->len = body + page;
    g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(g->map != MAP_FAILED);
    ck_assert(mprotect((char *)g->map + body, page, PROT_NONE) == 0);
    return (char *)g->map + body - bytes;
}

static void unguard(guard *g)
{
    munmap(g->map, g->len);
}

/* ---- independent decoders and data --------------------------------- */

/* IEEE binary16 from its fields. */
static double f16_value(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0    ? ldexp(m, -24)
               : e == 31 ? (m ? NAN : INFINITY)
                         : ldexp(m + 1024, e - 25);
    return h >> 15 ? -v : v;
}

static double bf16_value(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(double lo, double hi) /* xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void select_impl(const char *name)
{
    lk_err e = {0};
    ck_assert_msg(kern_select(name, &e) == LK_OK, "%s", e.msg);
}

/* i4_impls[k] if this build and CPU have it (the first two always). */
static bool select_i4(int k)
{
    if (k < NIMPL) {
        select_impl(i4_impls[k]);
        return true;
    }
    return kern_select(i4_impls[k], NULL) == LK_OK;
}

/* ---- conversions ---------------------------------------------------- */

typedef struct {
    float x;
    uint16_t bits;
} conv_case;

static void check_cases(arch_dtype t, const conv_case *c, int n)
{
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        for (int i = 0; i < n; i++) {
            uint16_t h;
            kern_from_f32(t, &h, &c[i].x, 1);
            ck_assert_msg(h == c[i].bits, "%s %s: %a -> 0x%04x, want 0x%04x",
                          impls[k], arch_dtype_name(t), c[i].x, h, c[i].bits);
        }
    }
}

START_TEST(f16_bit_patterns)
{
    const conv_case c[] = {
        {1.0f, 0x3c00},
        {-2.0f, 0xc000},
        {65504.0f, 0x7bff},                  /* largest finite */
        {65520.0f, 0x7c00},                  /* halfway to 2^16: rounds to inf */
        {INFINITY, 0x7c00},
        {-INFINITY, 0xfc00},
        {1.0f + 0x1p-11f, 0x3c00},           /* tie: to even (down) */
        {1.0f + 3 * 0x1p-11f, 0x3c02},       /* tie: to even (up) */
        {1.0f + 0x1p-11f + 0x1p-20f, 0x3c01},/* just above the tie */
        {0x1p-24f, 0x0001},                  /* smallest subnormal */
        {0x1p-25f, 0x0000},                  /* tie between 0 and it: 0 */
        {0x1.8p-24f, 0x0002},                /* tie 1.5 -> 2 */
        {0x1p-14f, 0x0400},                  /* smallest normal */
        {-0.0f, 0x8000},
    };
    check_cases(ARCH_F16, c, sizeof c / sizeof c[0]);
}
END_TEST

START_TEST(bf16_bit_patterns)
{
    const conv_case c[] = {
        {1.0f, 0x3f80},
        {-2.0f, 0xc000},
        {1.0f + 0x1p-8f, 0x3f80},            /* tie: to even (down) */
        {1.0f + 3 * 0x1p-8f, 0x3f82},        /* tie: to even (up) */
        {INFINITY, 0x7f80},
        {bits_f32(0x7f7fffff), 0x7f80},      /* FLT_MAX rounds to inf */
        {bits_f32(0x00010000), 0x0001},      /* subnormals are kept */
        {bits_f32(0x00008000), 0x0000},      /* tie to even: 0 */
        {-0.0f, 0x8000},
    };
    check_cases(ARCH_BF16, c, sizeof c / sizeof c[0]);
    uint16_t h;
    float nan = NAN;
    kern_from_f32(ARCH_BF16, &h, &nan, 1);
    ck_assert((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0);
}
END_TEST

/* Every 16-bit pattern decodes to the test's value and encodes back. */
static void check_all_patterns(arch_dtype t, double (*value)(uint16_t))
{
    static uint16_t in[65536], back[65536];
    static float f[65536];
    for (int i = 0; i < 65536; i++)
        in[i] = (uint16_t)i;
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        kern_to_f32(t, f, in, 65536);
        kern_from_f32(t, back, f, 65536);
        for (int i = 0; i < 65536; i++) {
            double v = value(in[i]);
            if (isnan(v)) {
                ck_assert(isnan(f[i]));
                continue;
            }
            ck_assert_msg(f[i] == v && back[i] == in[i], "%s %s 0x%04x",
                          impls[k], arch_dtype_name(t), i);
        }
    }
}

START_TEST(f16_all_patterns) { check_all_patterns(ARCH_F16, f16_value); }
END_TEST

START_TEST(bf16_all_patterns) { check_all_patterns(ARCH_BF16, bf16_value); }
END_TEST

/* ---- mat-vecs -------------------------------------------------------- */

typedef struct {
    arch_dtype t;
    int64_t rows, cols;
    guard gw, gx, gq;
    kern_mat m;
    float *x, *wf;   /* activations; the f32 weights before storing */
    int8_t *q;       /* int8 activation buffer */
    double *wv;      /* the stored weights' values, decoded by the test */
} problem;

/* The test's own reading of kern.h's int4 format: column c of row r is
 * nibble c % 2 (low first) of byte (r cols + c) / 2, minus 8, times the
 * f16 scale of its group. */
static double i4_value(const kern_mat *m, int64_t r, int64_t c)
{
    uint8_t b = ((const uint8_t *)m->data)[(r * m->cols + c) / 2];
    int nib = c % 2 ? b >> 4 : b & 15;
    return (nib - 8) * f16_value(m->scales_f16[(r * m->cols + c) / m->group]);
}

/* A problem of type t; int4 weights in groups of `group` (a multiple of 4
 * dividing cols; ignored for other types). */
static void make_group(problem *p, arch_dtype t, int64_t rows, int64_t cols, int64_t group,
                       double xlo, double xhi)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    p->rows = rows;
    p->cols = cols;
    int64_t n = rows * cols;
    size_t data = t == ARCH_INT4 ? (size_t)n / 2 : (size_t)n * arch_dtype_size(t);
    size_t extra = t == ARCH_INT8 ? (size_t)rows * sizeof(float)
                   : t == ARCH_INT4 ? (size_t)(n / group) * 2 : 0;
    char *blob = guarded(&p->gw, data + extra);
    p->x = guarded(&p->gx, (size_t)cols * sizeof(float));
    p->q = guarded(&p->gq, (size_t)(cols + 63) / 64 * 64);
    p->wf = malloc((size_t)n * sizeof(float));
    p->wv = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        p->wf[i] = (float)uniform(-1, 1);
    for (int64_t c = 0; c < cols; c++)
        p->x[c] = (float)uniform(xlo, xhi);
    p->m = (kern_mat){.type = t, .rows = rows, .cols = cols, .data = blob};
    if (t == ARCH_INT8) {
        float *scales = (float *)(blob + data);
        kern_quantize_rows((int8_t *)blob, scales, p->wf, rows, cols);
        p->m.scales = scales;
        for (int64_t i = 0; i < n; i++)
            p->wv[i] = (double)((int8_t *)blob)[i] * scales[i / cols];
        return;
    }
    if (t == ARCH_INT4) {
        uint16_t *scales = (uint16_t *)(blob + data);
        for (int64_t r = 0; r < rows; r++)
            kern_quantize_int4((uint8_t *)blob + r * cols / 2, scales + r * (cols / group),
                               p->wf + r * cols, cols, group);
        p->m.scales_f16 = scales;
        p->m.group = group;
        for (int64_t i = 0; i < n; i++)
            p->wv[i] = i4_value(&p->m, i / cols, i % cols);
        return;
    }
    kern_from_f32(t, blob, p->wf, n);
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = ((uint16_t *)blob)[i];
        p->wv[i] = t == ARCH_F32 ? p->wf[i]
                   : t == ARCH_F16 ? f16_value(h)
                                   : bf16_value(h);
    }
}

static void make(problem *p, arch_dtype t, int64_t rows, int64_t cols,
                 double xlo, double xhi)
{
    make_group(p, t, rows, cols, 0, xlo, xhi);
}

/* int8 and int4 quantize their activations */
static bool quantized(arch_dtype t)
{
    return t == ARCH_INT8 || t == ARCH_INT4;
}

/* The bound on |kernel - double reference| of a row (see the top). */
static double tolerance(arch_dtype t, int64_t cols, double ref, double mag)
{
    return t == ARCH_INT8 ? gamma_(3) * fabs(ref)
           : t == ARCH_INT4 ? gamma_((double)cols + 2) * mag
                            : gamma_((double)cols + 1) * mag;
}

static void unmake(problem *p)
{
    unguard(&p->gw);
    unguard(&p->gx);
    unguard(&p->gq);
    free(p->wf);
    free(p->wv);
}

/* The value the kernel saw for activation c. */
static double act_value(const problem *p, const kern_act *a, int64_t c)
{
    if (!quantized(p->t))
        return p->x[c];
    return ((double)(uint8_t)a->q[c] - a->zero) * a->scale;
}

/* Run rows [r0, r1) and check each against the reference; the output
 * slots around the range must stay untouched. */
static void check_range(const problem *p, int64_t r0, int64_t r1, float *got)
{
    kern_act a;
    kern_act_prepare(&a, p->t, p->x, p->cols, p->q);
    int64_t n = r1 - r0;
    float *out = malloc((size_t)(n + 2) * sizeof(float));
    out[0] = out[n + 1] = 12345.0f;
    kern_matvec(out + 1, &p->m, &a, r0, r1);
    ck_assert(out[0] == 12345.0f && out[n + 1] == 12345.0f);
    for (int64_t r = r0; r < r1; r++) {
        double ref = 0, mag = 0;
        for (int64_t c = 0; c < p->cols; c++) {
            double v = p->wv[r * p->cols + c] * act_value(p, &a, c);
            ref += v;
            mag += fabs(v);
        }
        double tol = tolerance(p->t, p->cols, ref, mag);
        ck_assert_msg(fabs(out[r - r0 + 1] - ref) <= tol,
                      "%s %s %lldx%lld row %lld: %.9g vs %.9g (tol %.3g)",
                      kern_name(), arch_dtype_name(p->t), (long long)p->rows,
                      (long long)p->cols, (long long)r, out[r - r0 + 1], ref, tol);
        got[r - r0] = out[r - r0 + 1];
    }
    free(out);
}

static const int64_t rows_[] = {1, 3, 65};
static const int64_t cols_[] = {1, 15, 17, 63, 64, 100, 257, 1000};

/* int4 shapes: {cols, group}, around the AVX-512 kernel's 64-column
 * steps (whole, partial, one and two groups a step, a group over
 * several steps) and a group it leaves to the portable kernel (12). */
static const int64_t i4_shapes[][2] = {{4, 4},    {8, 4},     {60, 4},   {80, 16},
                                       {64, 32},  {96, 32},   {576, 32}, {1000, 8},
                                       {192, 64}, {320, 64},  {384, 128}, {36, 12}};
#define NI4 (sizeof i4_shapes / sizeof i4_shapes[0])

/* Shape k of type t: cols_[k] (groups 0), or int4's k-th {cols, group}. */
static size_t nshapes(arch_dtype t)
{
    return t == ARCH_INT4 ? NI4 : sizeof cols_ / sizeof cols_[0];
}

static void make_shape(problem *p, arch_dtype t, int64_t rows, size_t k, double xlo,
                       double xhi)
{
    if (t == ARCH_INT4)
        make_group(p, t, rows, i4_shapes[k][0], i4_shapes[k][1], xlo, xhi);
    else
        make(p, t, rows, cols_[k], xlo, xhi);
}

static void check_type(arch_dtype t)
{
    for (size_t i = 0; i < sizeof rows_ / sizeof rows_[0]; i++)
        for (size_t j = 0; j < nshapes(t); j++) {
            problem p;
            make_shape(&p, t, rows_[i], j, -0.4, 1.1);
            int nimpl = t == ARCH_INT4 ? NI4IMPL : NIMPL;
            float *got[NI4IMPL];
            for (int k = 0; k < nimpl; k++) {
                got[k] = malloc((size_t)p.rows * sizeof(float));
                bool have = true;
                if (t == ARCH_INT4)
                    have = select_i4(k);
                else
                    select_impl(impls[k]);
                if (!have) { /* not in this build or CPU: nothing to compare */
                    memcpy(got[k], got[0], (size_t)p.rows * sizeof(float));
                    continue;
                }
                check_range(&p, 0, p.rows, got[k]);
                float sub[64];
                int64_t r0 = p.rows / 3, r1 = p.rows - p.rows / 4;
                check_range(&p, r0, r1, sub);
                for (int64_t r = r0; r < r1; r++) /* same rows, same result */
                    ck_assert(sub[r - r0] == got[k][r]);
            }
            /* portable vs best: each within tol of ref, so within 2 tol of
             * each other; int8 must agree exactly (see the top). */
            kern_act a;
            kern_act_prepare(&a, t, p.x, p.cols, p.q);
            for (int64_t r = 0; r < p.rows; r++) {
                double mag = 0;
                for (int64_t c = 0; c < p.cols; c++)
                    mag += fabs(p.wv[r * p.cols + c] * act_value(&p, &a, c));
                double tol = t == ARCH_INT8 ? 0 : 2 * tolerance(t, p.cols, 0, mag);
                for (int k = 1; k < nimpl; k++)
                    ck_assert_msg(fabs(got[0][r] - got[k][r]) <= tol,
                                  "%s: portable %.9g vs %s %.9g", arch_dtype_name(t),
                                  got[0][r], i4_impls[k], got[k][r]);
            }
            for (int k = 0; k < nimpl; k++)
                free(got[k]);
            unmake(&p);
        }
}

START_TEST(matvec_f32) { check_type(ARCH_F32); }
END_TEST
START_TEST(matvec_f16) { check_type(ARCH_F16); }
END_TEST
START_TEST(matvec_bf16) { check_type(ARCH_BF16); }
END_TEST
START_TEST(matvec_int8) { check_type(ARCH_INT8); }
END_TEST
START_TEST(matvec_int4) { check_type(ARCH_INT4); }
END_TEST

/* ---- several tokens at once (prefill) ------------------------------- */

/* kern_matmul over nt tokens, each a different vector (a rotation of p->x
 * scaled per token, so int8 tokens get their own scales), with output
 * rows ostride = rows + 2 apart: each token's results must meet the same
 * bound against the double reference as a mat-vec, the padding between
 * token rows must stay untouched, and int8 and int4 must equal kern_matvec
 * of that token exactly (same integers, same finishing code). */
static void check_matmul(const problem *p, int64_t nt)
{
    int64_t cols = p->cols, rows = p->rows, os = rows + 2;
    float *x = malloc((size_t)(nt * cols) * sizeof *x);
    int8_t *q = malloc((size_t)(nt * ((cols + 63) / 64 * 64)));
    kern_act a[32] = {{0}};
    ck_assert(nt <= 32);
    for (int64_t t = 0; t < nt; t++) {
        for (int64_t c = 0; c < cols; c++)
            x[t * cols + c] = p->x[(c + 5 * t) % cols] * (1 + 0.25f * (float)t);
        kern_act_prepare(&a[t], p->t, x + t * cols, cols, q + t * ((cols + 63) / 64 * 64));
    }
    float *out = malloc((size_t)(nt * os) * sizeof *out), one[65];
    for (int64_t i = 0; i < nt * os; i++)
        out[i] = 12345.0f;
    kern_matmul(out, os, &p->m, a, nt, 0, rows);
    for (int64_t t = 0; t < nt; t++) {
        ck_assert(out[t * os + rows] == 12345.0f && out[t * os + rows + 1] == 12345.0f);
        kern_matvec(one, &p->m, &a[t], 0, rows);
        for (int64_t r = 0; r < rows; r++) {
            double ref = 0, mag = 0;
            for (int64_t c = 0; c < cols; c++) {
                double xv = quantized(p->t)
                    ? ((double)(uint8_t)a[t].q[c] - a[t].zero) * a[t].scale : x[t * cols + c];
                ref += p->wv[r * cols + c] * xv;
                mag += fabs(p->wv[r * cols + c] * xv);
            }
            double tol = tolerance(p->t, cols, ref, mag);
            float got = out[t * os + r];
            ck_assert_msg(fabs(got - ref) <= tol, "%s %s %lldx%lld, %lld tokens, token %lld row %lld: %.9g vs %.9g",
                          kern_name(), arch_dtype_name(p->t), (long long)rows, (long long)cols,
                          (long long)nt, (long long)t, (long long)r, got, ref);
            ck_assert(!quantized(p->t) || got == one[r]);
        }
    }
    free(x);
    free(q);
    free(out);
}

/* int4 over every token count of a prefill batch, 1..32 (tiles of 4
 * and their remainders), on every int4 shape. */
START_TEST(matmul_tokens_int4)
{
    for (size_t j = 0; j < NI4; j++) {
        problem p;
        make_shape(&p, ARCH_INT4, 65, j, -0.4, 1.1);
        for (int k = 0; k < NI4IMPL; k++)
            for (int64_t nt = 1; select_i4(k) && nt <= 32; nt++)
                check_matmul(&p, nt);
        unmake(&p);
    }
}
END_TEST

START_TEST(matmul_tokens)
{
    static const arch_dtype types[] = {ARCH_F32, ARCH_F16, ARCH_BF16, ARCH_INT8};
    static const int64_t nts[] = {1, 2, 4, 5, 9}; /* below, at, above a tile of 4 */
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < sizeof cols_ / sizeof cols_[0]; j++) {
            problem p;
            make(&p, types[i], 65, cols_[j], -0.4, 1.1);
            for (int k = 0; k < NIMPL; k++) {
                select_impl(impls[k]);
                for (size_t n = 0; n < sizeof nts / sizeof nts[0]; n++)
                    check_matmul(&p, nts[n]);
            }
            unmake(&p);
        }
}
END_TEST

/* ---- prefill tiles (kern_avx512.c's gemm paths) ---------------------- */

/* kern_matmul of rows [r0, r1) for nt tokens built as check_matmul()
 * builds them; out (nt, r1 - r0) and, when mag != NULL, mag[t * rows +
 * r] = sum_c |w x| over the values the kernel saw (the bound's scale). */
static void tile_run(const problem *p, int64_t nt, int64_t r0, int64_t r1, float *out,
                     double *mag)
{
    int64_t cols = p->cols, qs = (cols + 63) / 64 * 64;
    float *x = malloc((size_t)(nt * cols) * sizeof *x);
    int8_t *q = malloc((size_t)(nt * qs));
    kern_act a[32] = {{0}};
    for (int64_t t = 0; t < nt; t++) {
        for (int64_t c = 0; c < cols; c++)
            x[t * cols + c] = p->x[(c + 5 * t) % cols] * (1 + 0.25f * (float)t);
        kern_act_prepare(&a[t], p->t, x + t * cols, cols, q + t * qs);
    }
    kern_matmul(out, r1 - r0, &p->m, a, nt, r0, r1);
    for (int64_t t = 0; mag && t < nt; t++)
        for (int64_t r = 0; r < p->rows; r++) {
            double m = 0;
            for (int64_t c = 0; c < cols; c++) {
                double xv = quantized(p->t)
                    ? ((double)(uint8_t)a[t].q[c] - a[t].zero) * a[t].scale : x[t * cols + c];
                m += fabs(p->wv[r * cols + c] * xv);
            }
            mag[t * p->rows + r] = m;
        }
    free(x);
    free(q);
}

/* The best kernels' prefill against the portable one for every token
 * count of a batch, 1..32 (the tiles take 4 tokens, or 2 for f16 and
 * bf16, and 4 rows; the tokens past a multiple of 4 run as decode), rows
 * that are not a multiple of a tile, odd columns (tails of a 16-column
 * vector and of a 64-byte line), and row ranges that start and end inside
 * a tile. Each result is within tolerance() of the exact product, so the
 * two within twice that; int8 equal exactly (same integers, same
 * kern_i8_finish). And a row's result does not depend on the range it is
 * computed in (a tile's rows are independent). */
static void check_tiles(arch_dtype t)
{
    static const int64_t rows[] = {1, 6, 67};
    static const int64_t cols[] = {1, 15, 17, 33, 63, 64, 100, 257, 576};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (size_t j = 0; j < sizeof cols / sizeof cols[0]; j++) {
            problem p;
            make(&p, t, rows[i], cols[j], -0.4, 1.1);
            int64_t R = p.rows, n = 32 * R;
            float *port = malloc((size_t)n * sizeof(float)), *best = malloc((size_t)n * sizeof(float));
            float *sub = malloc((size_t)n * sizeof(float));
            double *mag = malloc((size_t)n * sizeof(double));
            for (int64_t nt = 1; nt <= 32; nt++) {
                select_impl("portable");
                tile_run(&p, nt, 0, R, port, mag);
                select_impl("auto");
                tile_run(&p, nt, 0, R, best, NULL);
                for (int64_t k = 0; k < nt * R; k++) {
                    double tol = t == ARCH_INT8 ? 0 : 2 * tolerance(t, p.cols, 0, mag[k]);
                    ck_assert_msg(fabs(port[k] - best[k]) <= tol,
                                  "%s %s %lldx%lld, %lld tokens, token %lld row %lld: "
                                  "portable %.9g vs %.9g (tol %.3g)", kern_name(),
                                  arch_dtype_name(t), (long long)R, (long long)p.cols,
                                  (long long)nt, (long long)(k / R), (long long)(k % R),
                                  port[k], best[k], tol);
                }
                /* ranges starting and ending mid-tile: the same bits */
                for (int64_t r0 = 1; r0 < R && r0 <= 3; r0 += 2) {
                    int64_t r1 = R - r0 / 2 > r0 ? R - r0 / 2 : R;
                    tile_run(&p, nt, r0, r1, sub, NULL);
                    for (int64_t u = 0; u < nt; u++)
                        for (int64_t r = r0; r < r1; r++)
                            ck_assert_msg(sub[u * (r1 - r0) + r - r0] == best[u * R + r],
                                          "%s %lldx%lld, %lld tokens, rows [%lld, %lld): row "
                                          "%lld token %lld differs from the whole range",
                                          arch_dtype_name(t), (long long)R, (long long)p.cols,
                                          (long long)nt, (long long)r0, (long long)r1,
                                          (long long)r, (long long)u);
                }
            }
            free(port);
            free(best);
            free(sub);
            free(mag);
            unmake(&p);
        }
}

START_TEST(matmul_tiles_f32) { check_tiles(ARCH_F32); }
END_TEST
START_TEST(matmul_tiles_f16) { check_tiles(ARCH_F16); }
END_TEST
START_TEST(matmul_tiles_bf16) { check_tiles(ARCH_BF16); }
END_TEST
START_TEST(matmul_tiles_int8) { check_tiles(ARCH_INT8); }
END_TEST

/* kern_peak() counts its multiply-adds: iters steps of a fixed number
 * of accumulators x lanes, so twice the steps give exactly twice the
 * count, and none for no steps; and probe_peak_gflops() measures a rate. */
START_TEST(peak_counts)
{
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        for (int t = ARCH_F32; t < ARCH_DTYPE_COUNT; t++) {
            int64_t one = kern_peak(t, 1000);
            ck_assert_msg(one >= 1000, "%s %s: %lld", kern_name(), arch_dtype_name(t),
                          (long long)one);
            ck_assert(kern_peak(t, 2000) == 2 * one);
            ck_assert(kern_peak(t, 0) == 0);
        }
    }
    pool *p;
    lk_err e = {0};
    ck_assert(pool_create(&p, 1, &e) == LK_OK);
    ck_assert(probe_peak_gflops(p, ARCH_F32) > 0);
    pool_free(p);
}
END_TEST

/* ---- int8 quantization error ---------------------------------------- */

START_TEST(int8_quantization_bounds)
{
    const double slack = 1 + 0x1p-22;
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        problem p;
        make(&p, ARCH_INT8, 7, 333, -0.3, 2.0); /* one-sided activations */
        kern_act a;
        kern_act_prepare(&a, ARCH_INT8, p.x, p.cols, p.q);
        ck_assert(a.zero >= 0 && a.zero <= 255);
        for (int64_t c = 0; c < p.cols; c++)
            ck_assert(fabs(p.x[c] - act_value(&p, &a, c)) <= a.scale / 2 * slack);
        float out[7];
        kern_matvec(out, &p.m, &a, 0, p.rows);
        for (int64_t r = 0; r < p.rows; r++) {
            double sw = p.m.scales[r], exact = 0, bound = 0;
            for (int64_t c = 0; c < p.cols; c++) {
                double w = p.wf[r * p.cols + c], x = p.x[c];
                ck_assert(fabs(w - p.wv[r * p.cols + c]) <= sw / 2 * slack);
                exact += w * x;
                /* |wx - w'x'| <= |dw||x| + |w||dx| + |dw||dx| */
                bound += sw / 2 * fabs(x) + fabs(w) * a.scale / 2 +
                         sw * a.scale / 4;
            }
            bound = bound * slack + gamma_(3) * (fabs(exact) + bound);
            ck_assert_msg(fabs(out[r] - exact) <= bound, "row %lld: %g vs %g (%g)",
                          (long long)r, out[r], exact, bound);
        }
        unmake(&p);
    }
}
END_TEST

/* int4 quantization: each group's scale is max|w| / 7 rounded to f16,
 * each stored value in -7..7 (nibble 1..15), |w - q s| <= s / 2 (kern.c
 * derives it), and a row's result within the propagated error of the
 * exact f32 product, as for int8 above. */
START_TEST(int4_quantization_bounds)
{
    const double slack = 1 + 0x1p-22;
    for (int k = 0; k < NI4IMPL; k++) {
        if (!select_i4(k))
            continue;
        problem p;
        const int64_t g = 32;
        make_group(&p, ARCH_INT4, 7, 352, g, -0.3, 2.0);
        kern_act a;
        kern_act_prepare(&a, ARCH_INT4, p.x, p.cols, p.q);
        float out[7];
        kern_matvec(out, &p.m, &a, 0, p.rows);
        for (int64_t r = 0; r < p.rows; r++) {
            double exact = 0, bound = 0;
            for (int64_t c0 = 0; c0 < p.cols; c0 += g) {
                double amax = 0, sw = f16_value(p.m.scales_f16[(r * p.cols + c0) / g]);
                for (int64_t c = c0; c < c0 + g; c++) /* not fmax: aarch64 gcc 12 crashes */
                    amax = fabs(p.wf[r * p.cols + c]) > amax ? fabs(p.wf[r * p.cols + c]) : amax;
                ck_assert(fabs(sw - amax / 7) <= amax / 7 * 0x1p-11);
                for (int64_t c = c0; c < c0 + g; c++) {
                    double w = p.wf[r * p.cols + c], x = p.x[c];
                    double q = p.wv[r * p.cols + c] / sw;
                    ck_assert(q == nearbyint(q) && fabs(q) <= 7);
                    ck_assert(fabs(w - p.wv[r * p.cols + c]) <= sw / 2 * slack);
                    exact += w * x;
                    bound += sw / 2 * fabs(x) + fabs(w) * a.scale / 2 + sw * a.scale / 4;
                }
            }
            bound = bound * slack + gamma_((double)p.cols + 2) * (fabs(exact) + bound);
            ck_assert_msg(fabs(out[r] - exact) <= bound, "row %lld: %g vs %g (%g)",
                          (long long)r, out[r], exact, bound);
        }
        unmake(&p);
    }
}
END_TEST

/* The activation range (min and max with 0) by definition, for sizes
 * around the 16-lane steps, one-sided ranges and negative zeros: scale
 * and zero point follow from it, and every kernel quantizes the same. */
START_TEST(int8_activation_range)
{
    const int64_t ns[] = {1, 15, 16, 17, 100, 1000};
    const float shift[] = {-0.5f, 3.0f, -3.0f}; /* mixed, all >= 0, all <= 0 */
    float x[1000];
    uint8_t q[NIMPL][1024];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++) {
            int64_t n = ns[i];
            float lo = 0, hi = 0;
            for (int64_t c = 0; c < n; c++) {
                float v = (float)((c * 37) % 101) / 50 - 1 + shift[k];
                if (shift[k] > 1)
                    v = fabsf(v);
                else if (shift[k] < -1)
                    v = -fabsf(v);
                x[c] = c % 7 == 3 ? -0.0f : v;
                lo = fminf(lo, x[c]);
                hi = fmaxf(hi, x[c]);
            }
            float scale = (hi - lo) / 255;
            for (int m = 0; m < NIMPL; m++) {
                select_impl(impls[m]);
                kern_act a;
                kern_act_prepare(&a, ARCH_INT8, x, n, (int8_t *)q[m]);
                ck_assert_msg(a.scale == scale && a.zero == (int32_t)nearbyintf(-lo / scale),
                              "%s, n %lld, shift %g: scale %g zero %d, expected %g %d",
                              impls[m], (long long)n, shift[k], a.scale, a.zero, scale,
                              (int32_t)nearbyintf(-lo / scale));
                ck_assert(memcmp(q[m], q[0], (size_t)n) == 0);
            }
        }
}
END_TEST

/* All-zero activations and an all-zero weight row stay exact. */
START_TEST(int8_zeros)
{
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        problem p;
        make(&p, ARCH_INT8, 3, 70, 0, 0);
        memset(p.wf, 0, 70 * sizeof(float));
        kern_quantize_rows((int8_t *)p.m.data, (float *)p.m.scales, p.wf, 1, 70);
        kern_act a;
        kern_act_prepare(&a, ARCH_INT8, p.x, p.cols, p.q);
        float out[3];
        kern_matvec(out, &p.m, &a, 0, 3);
        ck_assert(out[0] == 0 && out[1] == 0 && out[2] == 0);
        unmake(&p);
    }
}
END_TEST

START_TEST(row_f32_and_select)
{
    problem p;
    make(&p, ARCH_INT8, 3, 40, -1, 1);
    float row[40];
    kern_row_f32(&p.m, 2, row);
    for (int c = 0; c < 40; c++)
        ck_assert(row[c] == (float)p.wv[2 * 40 + c]);
    unmake(&p);
    lk_err e = {0};
    ck_assert_int_eq(kern_select("sse9", &e), LK_EINPUT);
    ck_assert(strstr(e.msg, "sse9") != NULL);
    ck_assert_int_eq(kern_select("avx", &e), LK_EINPUT); /* no prefixes */
    select_impl("portable");
    ck_assert_str_eq(kern_name(), "portable");
}
END_TEST

START_TEST(sum_matches)
{
    float x[1001];
    double ref = 0, mag = 0;
    for (int i = 0; i < 1001; i++) {
        x[i] = (float)uniform(-1, 1);
        ref += x[i];
        mag += fabs(x[i]);
    }
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        ck_assert(fabs(kern_sum(x, 1001) - ref) <= gamma_(1001) * mag);
    }
}
END_TEST

/* ---- exp, SwiGLU and attention ---------------------------------------- */

/* kern_exp against double-precision exp over its whole range, at 2^18
 * evenly spaced points plus the ends and zero: relative error at most
 * 4e-7 (about 3.4 f32 units in the last place; kern_impl.h derives the
 * truncation part, 1.1e-8, the rest is the Horner steps' roundings).
 * Beyond the range the input is clamped. */
START_TEST(exp_accuracy)
{
    enum { N = 1 << 18 };
    static float x[N + 3], y[N + 3];
    for (int i = 0; i < N; i++)
        x[i] = -87.3f + (88.3f + 87.3f) * (float)i / (N - 1);
    x[N] = 0, x[N + 1] = -1000, x[N + 2] = 1000;
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        kern_exp(y, x, N + 3);
        double worst = 0;
        for (int i = 0; i < N + 1; i++)
            worst = fmax(worst, fabs(y[i] - exp(x[i])) / exp(x[i]));
        ck_assert_msg(worst <= 4e-7, "%s: exp relative error %g", kern_name(), worst);
        ck_assert(y[N] == 1);
        ck_assert(y[N + 1] > 0 && y[N + 1] <= exp(-87.3) * (1 + 4e-7));
        ck_assert(isfinite(y[N + 2]) && y[N + 2] >= exp(88.3) * (1 - 4e-7));
    }
}
END_TEST

/* silu(h) g = h g / (1 + e^-h): the exp's 4e-7 and three roundings (add,
 * divide, multiply; the exp's input is exact), so 4e-7 + 4u of the result;
 * plus, for h < -88.3 where the exp's input is clamped, |h g| / e^88.3
 * (the result is that instead of nearly 0). */
START_TEST(swiglu_matches)
{
    enum { N = 1003 };
    float h[N], g[N], in[N];
    for (int i = 0; i < N; i++) {
        in[i] = (float)uniform(-30, 30);
        g[i] = (float)uniform(-2, 2);
    }
    in[0] = -200, in[1] = 200, in[2] = 0;
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        memcpy(h, in, sizeof h);
        kern_swiglu(h, g, N);
        for (int i = 0; i < N; i++) {
            double want = in[i] / (1 + exp(-(double)in[i])) * g[i];
            double tol = (4e-7 + 4 * ldexp(1, -24)) * fabs(want) +
                         fabs((double)in[i] * g[i]) * exp(-88.3) * (1 + 1e-6);
            ck_assert_msg(fabs(h[i] - want) <= tol, "%s: silu(%g) * %g = %g, want %g",
                          kern_name(), in[i], g[i], h[i], want);
        }
    }
}
END_TEST

/* A key/value cache of n positions, `heads` heads of hd values in each
 * row, stored as type t (ending at an inaccessible page), with the values
 * the kernel will see decoded by the test. An int8 head's hd values are
 * followed by their f32 scale (kern.h), so a head takes hd + 4 bytes. */
typedef struct {
    arch_dtype t;
    int64_t n, heads, hd;
    guard gk, gv;
    kern_kv kv;        /* of head 0; other heads at + h * hd elements */
    double *k, *v;     /* (n, heads * hd) decoded */
} cache;

/* Elements of one head's row: hd, and an int8 row's 4-byte scale. */
static int64_t head_elems(arch_dtype t, int64_t hd)
{
    return hd + (t == ARCH_INT8 ? 4 : 0);
}

static void *store(guard *g, arch_dtype t, double *dec, int64_t count, int64_t hd)
{
    float *f = malloc((size_t)count * sizeof *f);
    for (int64_t i = 0; i < count; i++)
        f[i] = (float)uniform(-1, 1);
    int64_t rows = count / hd, row = head_elems(t, hd) * arch_dtype_size(t);
    unsigned char *mem = guarded(g, (size_t)(rows * row));
    for (int64_t r = 0; r < rows; r++)
        kern_kv_store(t, mem + r * row, f + r * hd, hd);
    for (int64_t i = 0; i < count; i++) {
        const unsigned char *at = mem + i / hd * row;
        float scale = 1;
        if (t == ARCH_INT8)
            memcpy(&scale, at + hd, sizeof scale);
        dec[i] = t == ARCH_F32   ? ((const float *)at)[i % hd]
                 : t == ARCH_F16 ? f16_value(((const uint16_t *)at)[i % hd])
                 : t == ARCH_BF16 ? bf16_value(((const uint16_t *)at)[i % hd])
                                  : ((const int8_t *)at)[i % hd] * (double)scale;
    }
    free(f);
    return mem;
}

static void make_cache(cache *c, arch_dtype t, int64_t n, int64_t heads, int64_t hd)
{
    *c = (cache){.t = t, .n = n, .heads = heads, .hd = hd};
    int64_t count = n * heads * hd;
    c->k = malloc((size_t)count * sizeof(double));
    c->v = malloc((size_t)count * sizeof(double));
    c->kv = (kern_kv){t, store(&c->gk, t, c->k, count, hd), store(&c->gv, t, c->v, count, hd),
                      heads * head_elems(t, hd), hd};
}

static void free_cache(cache *c)
{
    unguard(&c->gk);
    unguard(&c->gv);
    free(c->k);
    free(c->v);
}

/* Check query head g (of nq, q given) of head `head` over [t0, t1)
 * against double precision, out = the normalized output (hd values) the
 * kernel gives.
 *
 * Tolerance, first order: a score errs by at most E = scale gamma(hd+1)
 * sum_i |q_i k_i| + u |s| (Higham's bound for the dot product, then the
 * scaling); the maximum by E; so each weight e^(s - m) by a relative 2E +
 * u |s - m| (the subtraction) + 4e-7 (exp) = eta; sums of n terms add
 * gamma(n+1). The normalized output then errs by at most (2 eta +
 * 2 gamma(n+1)) max|v|, doubled for the second-order terms. */
static void check_head(const cache *c, int64_t head, const float *q, float scale,
                       int64_t t0, int64_t t1, const float *out)
{
    int64_t hd = c->hd, w = c->heads * hd, n = t1 - t0;
    double *s = malloc((size_t)n * sizeof *s), m = -INFINITY, E = 0, span = 0;
    for (int64_t t = 0; t < n; t++) {
        double d = 0, mag = 0;
        for (int64_t i = 0; i < hd; i++) {
            double p = q[i] * c->k[(t0 + t) * w + head * hd + i];
            d += p;
            mag += fabs(p);
        }
        s[t] = scale * d;
        m = fmax(m, s[t]);
        E = fmax(E, scale * gamma_((double)hd + 1) * mag + ldexp(fabs(s[t]), -24));
    }
    double l = 0, vmax = 0;
    for (int64_t t = 0; t < n; t++) {
        span = fmax(span, m - s[t]);
        l += exp(s[t] - m);
    }
    double eta = 2 * E + ldexp(span, -24) + 4e-7;
    for (int64_t i = 0; i < hd; i++) {
        double o = 0;
        for (int64_t t = 0; t < n; t++) {
            double v = c->v[(t0 + t) * w + head * hd + i];
            o += exp(s[t] - m) * v;
            vmax = fmax(vmax, fabs(v));
        }
        double tol = 2 * (2 * eta + 2 * gamma_((double)n + 1)) * vmax;
        ck_assert_msg(fabs(out[i] - o / l) <= tol,
                      "%s %s hd %lld [%lld,%lld) column %lld: %.9g vs %.9g (tol %.3g)",
                      kern_name(), arch_dtype_name(c->t), (long long)hd, (long long)t0,
                      (long long)t1, (long long)i, out[i], o / l, tol);
    }
    free(s);
}

/* kern_attend over a whole range and split in three parts merged with
 * kern_attend_merge, for every query head of a group, against double
 * precision; an empty range gives the documented empty partial. */
static void check_attend(arch_dtype t, int64_t n, int64_t heads, int64_t hd, int64_t nq)
{
    cache c;
    make_cache(&c, t, n, heads, hd);
    float *q = malloc((size_t)(nq * hd) * sizeof *q);
    for (int64_t i = 0; i < nq * hd; i++)
        q[i] = (float)uniform(-1, 1);
    float *o = malloc((size_t)(3 * nq * hd) * sizeof *o), ml[3 * 2 * 16];
    float *att = malloc((size_t)KERN_ATT_SCRATCH(nq, n) * sizeof *att);
    float *out = malloc((size_t)hd * sizeof *out);
    float scale = 1 / sqrtf((float)hd);
    for (int k = 0; k < NIMPL; k++) {
        select_impl(impls[k]);
        for (int64_t head = 0; head < heads; head++) {
            kern_kv kv = c.kv;
            kv.k = (const char *)kv.k + head * head_elems(t, hd) * arch_dtype_size(t);
            kv.v = (const char *)kv.v + head * head_elems(t, hd) * arch_dtype_size(t);
            kern_attend(o, ml, q, nq, &kv, 0, n, scale, att); /* whole range */
            for (int64_t g = 0; g < nq; g++) {
                kern_attend_merge(out, hd, 1, o + g * hd, 0, ml + 2 * g, 0);
                check_head(&c, head, q + g * hd, scale, 0, n, out);
            }
            int64_t cut[4] = {0, n / 3, n - n / 4, n}; /* three parts, any may be empty */
            for (int p = 0; p < 3; p++)
                kern_attend(o + p * nq * hd, ml + p * 2 * nq, q, nq, &kv, cut[p],
                            cut[p + 1], scale, att);
            for (int64_t g = 0; g < nq; g++) {
                kern_attend_merge(out, hd, 3, o + g * hd, nq * hd, ml + 2 * g, 2 * nq);
                check_head(&c, head, q + g * hd, scale, 0, n, out);
            }
        }
        kern_attend(o, ml, q, nq, &c.kv, 5, 5, scale, att);
        for (int64_t g = 0; g < nq; g++) {
            ck_assert(ml[2 * g] == -INFINITY && ml[2 * g + 1] == 0);
            for (int64_t i = 0; i < hd; i++)
                ck_assert(o[g * hd + i] == 0);
        }
    }
    free(q);
    free(o);
    free(att);
    free(out);
    free_cache(&c);
}

/* positions (1, one tile, a tile and a tail, several), key/value heads,
 * head dims (under 16, with a tail, MobileLLM's 64, over 64), query heads
 * per group (1, MobileLLM's 3, a full GROUP of 4, over it); then head
 * dims 32, 64, 96 and 128 with groups of 1 to 5 over positions that end
 * mid-tile: the AVX-512 kernel keeps the queries in registers for head
 * dim 64 and reads them from memory for the others */
static const int64_t att_shape[][4] = {
    {1, 1, 64, 1},   {16, 2, 8, 3},   {17, 3, 24, 4},  {100, 3, 64, 3},
    {70, 1, 80, 5},  {33, 2, 64, 9},  {23, 1, 32, 1},  {45, 2, 32, 5},
    {47, 2, 64, 1},  {75, 1, 64, 4},  {50, 1, 96, 2},  {37, 1, 96, 3},
    {29, 1, 128, 2}, {61, 1, 128, 4}, {39, 1, 128, 5},
};

static void check_attend_type(arch_dtype t)
{
    for (size_t i = 0; i < sizeof att_shape / sizeof att_shape[0]; i++)
        check_attend(t, att_shape[i][0], att_shape[i][1], att_shape[i][2], att_shape[i][3]);
}

START_TEST(attend_f32) { check_attend_type(ARCH_F32); }
END_TEST
START_TEST(attend_f16) { check_attend_type(ARCH_F16); }
END_TEST
START_TEST(attend_bf16) { check_attend_type(ARCH_BF16); }
END_TEST
START_TEST(attend_int8) { check_attend_type(ARCH_INT8); }
END_TEST

/* ---- probe ------------------------------------------------------------ */

/* A host as probe_measure() would describe it, without measuring. */
static probe_host fake_host(void)
{
    probe_host h = {.cores = 2, .threads = 2, .ncache = 3, .mem_bytes = 25e9,
                    .mem_hwloc = 4.7e9, .dram_buffer = 1 << 30, .dram_gbs = 35,
                    .gflops = {100, 110, 110, 270},
                    .matmul_gflops = {210, 220, 260, 640, 230}};
    snprintf(h.cpu, sizeof h.cpu, "Test CPU");
    snprintf(h.host, sizeof h.host, "test");
    snprintf(h.date, sizeof h.date, "2026-01-01");
    snprintf(h.kern, sizeof h.kern, "portable");
    h.cache[0] = (probe_cache){.name = "L1d", .size = 32 << 10, .hwloc_size = 32 << 10,
                               .line = 64, .assoc = 8, .read_gbs = 400};
    h.cache[1] = (probe_cache){.name = "L2", .size = 1 << 20, .hwloc_size = 1 << 20,
                               .line = 64, .assoc = 8, .read_gbs = 200};
    /* a VM's L3: hwloc reports 480 MiB, the probe measured 32 MiB usable */
    h.cache[2] = (probe_cache){.name = "L3", .size = 32 << 20, .hwloc_size = 480u << 20,
                               .line = 64, .assoc = 16, .shared = true, .read_gbs = 150,
                               .matvec_eff = {0.95, 0.9, 0.9, 0.85}, .eff_block = 8 << 20};
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        h.dram_matvec_eff[d] = 0.75 + 0.05 * d;
    h.dram_attention_eff = 0.6;
    h.layer_fixed_us = 7.5;
    return h;
}

START_TEST(probe_profile_is_valid)
{
    probe_host h = fake_host();
    char path[256];
    snprintf(path, sizeof path, "%s/host.ini", tu_tmpdir());
    lk_err e = {0};
    ck_assert_msg(probe_write_host_ini(&h, path, &e) == LK_OK, "%s", e.msg);
    sim_profile *p;
    ck_assert_msg(sim_profile_read(&p, path, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(p->nlevels, 3);
    ck_assert(p->level[2].shared && !p->level[1].shared);
    ck_assert_uint_eq(p->level[2].cfg.size_bytes, 32u << 20); /* the measured size */
    ck_assert(p->dram_bandwidth_gbs == 35 && p->peak_gops[ARCH_INT8] == 270);
    /* the host model's terms: the last level's and DRAM's efficiencies,
     * the fixed time per layer; the inner levels keep the default 1 */
    ck_assert(p->level[2].eff.matvec[ARCH_F16] == 0.9 && p->level[2].eff.matvec[ARCH_INT8] == 0.85);
    ck_assert(p->level[1].eff.matvec[ARCH_F16] == 1 && p->level[2].eff.attention == 1);
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++)
        ck_assert(fabs(p->dram_eff.matvec[d] - (0.75 + 0.05 * d)) < 1e-9);
    ck_assert(p->dram_eff.attention == 0.6 && p->layer_fixed_us == 7.5);
    /* a prefill chunk's rates, which lanky sim --prompt uses */
    ck_assert(p->matmul_gops[ARCH_F32] == 210 && p->matmul_gops[ARCH_INT8] == 640 &&
              p->matmul_gops[ARCH_INT4] == 230);
    ck_assert(fabs(p->dram_capacity_gb - 25) < 0.01); /* the kernel's total */
    sim_profile_free(p);
}
END_TEST

START_TEST(probe_write_fails_cleanly)
{
    probe_host h = fake_host();
    char path[256];
    snprintf(path, sizeof path, "%s/missing/host.ini", tu_tmpdir());
    lk_err e = {0};
    /* a missing folder is the caller's input */
    ck_assert_int_eq(probe_write_host_ini(&h, path, &e), LK_EINPUT);
    ck_assert(strstr(e.msg, path) != NULL);
    ck_assert(access(path, F_OK) != 0);
    char *err;
    char args[300];
    snprintf(args, sizeof args, "probe --out %s", path);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2); /* before measuring */
    ck_assert(strstr(err, "cannot write") != NULL);
    free(err);
}
END_TEST

START_TEST(probe_read_runs)
{
    pool *p;
    lk_err e = {0};
    ck_assert(pool_create(&p, 2, &e) == LK_OK);
    ck_assert(probe_read_gbs(p, 1 << 20) > 0);
    ck_assert(probe_matvec_gflops(p, ARCH_INT8, 64 << 10) > 0);
    pool_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kern");
    TCase *t = tcase_create("kern");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, f16_bit_patterns);
    tcase_add_test(t, bf16_bit_patterns);
    tcase_add_test(t, f16_all_patterns);
    tcase_add_test(t, bf16_all_patterns);
    tcase_add_test(t, matvec_f32);
    tcase_add_test(t, matvec_f16);
    tcase_add_test(t, matvec_bf16);
    tcase_add_test(t, matvec_int8);
    tcase_add_test(t, matvec_int4);
    tcase_add_test(t, matmul_tokens);
    tcase_add_test(t, matmul_tokens_int4);
    tcase_add_test(t, matmul_tiles_f32);
    tcase_add_test(t, matmul_tiles_f16);
    tcase_add_test(t, matmul_tiles_bf16);
    tcase_add_test(t, matmul_tiles_int8);
    tcase_add_test(t, peak_counts);
    tcase_add_test(t, int4_quantization_bounds);
    tcase_add_test(t, int8_quantization_bounds);
    tcase_add_test(t, int8_zeros);
    tcase_add_test(t, int8_activation_range);
    tcase_add_test(t, row_f32_and_select);
    tcase_add_test(t, sum_matches);
    tcase_add_test(t, exp_accuracy);
    tcase_add_test(t, swiglu_matches);
    tcase_add_test(t, attend_f32);
    tcase_add_test(t, attend_f16);
    tcase_add_test(t, attend_bf16);
    tcase_add_test(t, attend_int8);
    suite_add_tcase(s, t);
    TCase *pr = tcase_create("probe");
    tcase_set_timeout(pr, 60);
    tcase_add_test(pr, probe_profile_is_valid);
    tcase_add_test(pr, probe_write_fails_cleanly);
    tcase_add_test(pr, probe_read_runs);
    suite_add_tcase(s, pr);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
