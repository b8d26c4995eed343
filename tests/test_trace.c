/* test_trace.c -- the access trace of one decode token against closed
 * forms: bytes per class, MACs per token, KV rows read and written, the
 * schedule's block order and the address layout of arch_layout_build(). */
#include <stdlib.h>
#include <string.h>

#include "../arch/layout.h"
#include "../arch/plan.h"
#include "../arch/schedule.h"
#include "../sim/trace.h"
#include "testutil.h"

/* What a sink saw. */
typedef struct {
    const sim_trace *t;
    uint64_t read[SIM_CLASS_COUNT], written[SIM_CLASS_COUNT];
    uint64_t macs, ops, open;
    uint64_t macs_w;     /* of them, in the weights' type */
    int64_t blocks[256]; /* physical block of each executed layer seen */
    int64_t nblocks;
    int64_t last_layer;
    uint64_t kv_end;
} seen;

static void op_begin(void *u, const sim_op *op)
{
    seen *s = u;
    ck_assert_int_eq(s->open, 0);
    s->open = 1;
    s->ops++;
    s->macs += op->macs;
    s->macs_w += op->dtype == s->t->plan.spec.dtype ? op->macs : 0;
    ck_assert(op->layer >= -1 && op->layer < s->t->n_exec);
}

static void op_end(void *u, const sim_op *op)
{
    (void)op;
    seen *s = u;
    ck_assert_int_eq(s->open, 1);
    s->open = 0;
}

static void on_access(void *u, uint64_t addr, uint64_t bytes, bool write,
                      sim_class cls)
{
    seen *s = u;
    const arch_plan *t = &s->t->plan;
    ck_assert(s->open);
    ck_assert(bytes > 0 && addr + bytes <= t->end);
    (write ? s->written : s->read)[cls] += bytes;
    if (cls == SIM_WEIGHTS) {
        ck_assert(!write && addr + bytes <= t->layout.blob_bytes);
        /* every weight access is one whole tensor, or the embedding row */
        const arch_tensor *w = NULL;
        for (int64_t i = 0; i < t->layout.n; i++)
            if (t->layout.t[i].offset <= addr &&
                addr < t->layout.t[i].offset + t->layout.t[i].bytes)
                w = &t->layout.t[i];
        ck_assert(w != NULL);
        if (w->id != ARCH_W_EMBED)
            ck_assert(addr == w->offset && bytes == w->bytes);
        if (w->id == ARCH_W_Q) /* the first matrix of each executed layer */
            s->blocks[s->nblocks++] = w->block;
    } else if (cls == SIM_KV) {
        ck_assert(addr >= t->kv_base && addr + bytes <= t->kv_base + t->n_exec * t->kv_layer);
    } else {
        ck_assert(addr >= t->kv_base + t->n_exec * t->kv_layer);
    }
}

static void run_trace(const arch_spec *s, sim_trace *t, seen *sn)
{
    lk_err e = {0};
    ck_assert_msg(sim_trace_build(t, s, &e) == LK_OK, "%s", e.msg);
    memset(sn, 0, sizeof *sn);
    sn->t = t;
    sim_sink k = {.u = sn, .op_begin = op_begin, .access = on_access, .op_end = op_end};
    sim_trace_token(t, &k);
}

static const char *const shapes[] = {
    "layers=4 dim=128 heads=4 kv_heads=2 vocab=512 share=none dtype=f32 seq_len=64 ctx=17",
    "layers=3 dim=96 heads=3 kv_heads=1 vocab=300 share=immediate repeat=3 dtype=f16 "
    "tied=1 ctx=40",
    "layers=5 dim=64 heads=2 vocab=100 ffn=relu share=reverse dtype=int8 ctx=0",
    "layers=2 dim=64 heads=4 head_dim=32 kv_heads=2 vocab=64 share=repeat-all-over "
    "repeat=4 dtype=bf16 seq_len=16 ctx=15",
    "layers=3 dim=128 heads=4 kv_heads=2 vocab=96 dtype=int4 group=64 ctx=9",
};

/* Closed forms per token, for every shape:
 *   weights read = sum over executed layers of block bytes (all matrices and
 *     norms of the block) + rms_final + classifier (the embedding when tied)
 *     + one embedding row (dim elements; int8: plus its f32 scale); int4:
 *     n elements take n/2 bytes + 2 bytes per group of G (its f16 scales)
 *   KV read = 2 * E * t * K * hd * kv size, KV written = 2 * E * K * hd * kv size
 *   MACs = E * (dim*hd*(2H + 2K) + (3 or 2) * ffn * dim + 2*H*hd*(t+1)) + V*dim,
 *     of which E * (the matrices) + V*dim in the weights' type (int8, int4:
 *     attention runs in the f16 KV type) */
START_TEST(closed_forms)
{
    arch_spec s = tu_spec(shapes[_i]);
    sim_trace t;
    seen sn;
    run_trace(&s, &t, &sn);

    uint64_t E = (uint64_t)arch_executed_layers(&s), T = (uint64_t)s.ctx;
    uint64_t H = s.heads, K = s.kv_heads, hd = s.head_dim, d = s.dim, V = s.vocab;
    uint64_t F = s.ffn_dim, nmat = s.ffn == ARCH_FFN_SWIGLU ? 3 : 2;
    uint64_t es = (uint64_t)arch_dtype_size(s.dtype), G = (uint64_t)s.group;
    bool int4 = s.dtype == ARCH_INT4;
#define DATA(n) (int4 ? (n) / 2 + 2 * ((n) / G) : (n) * es) /* n matrix elements */
    uint64_t kvsize = s.dtype == ARCH_F32 ? 4 : 2;
    uint64_t scale = s.dtype == ARCH_INT8 ? 4 : 0;
    uint64_t mat = d * hd * (2 * H + 2 * K) + nmat * F * d;
    /* block bytes: matrices in dtype (+ int8 row scales) + two f32 norms */
    uint64_t rows = H * hd + 2 * K * hd + d + (nmat - 1) * F + d;
    uint64_t block = DATA(mat) + scale * rows + 2 * 4 * d;
    uint64_t cls = DATA(V * d) + scale * V;
    uint64_t want_w = E * block + 4 * d + cls + DATA(d) + scale;
#undef DATA
    ck_assert_uint_eq(sn.read[SIM_WEIGHTS], want_w);
    ck_assert_uint_eq(sn.read[SIM_KV], 2 * E * T * K * hd * kvsize);
    ck_assert_uint_eq(sn.written[SIM_KV], 2 * E * K * hd * kvsize);
    ck_assert_uint_eq(sn.written[SIM_WEIGHTS], 0);
    ck_assert_uint_eq(sn.macs, E * (mat + 2 * H * hd * (T + 1)) + V * d);
    /* attention runs in the KV type: the weights' own for the float types */
    bool float_kv = s.dtype != ARCH_INT8 && !int4;
    ck_assert_uint_eq(sn.macs_w, E * mat + V * d + (float_kv ? E * 2 * H * hd * (T + 1) : 0));

    /* blocks run in the schedule's order */
    int64_t sched[256];
    arch_schedule(&s, sched);
    ck_assert_int_eq(sn.nblocks, (int64_t)E);
    for (uint64_t l = 0; l < E; l++)
        ck_assert_int_eq(sn.blocks[l], sched[l]);
    sim_trace_free(&t);
}
END_TEST

/* The KV cache follows the weights; layers do not overlap. */
START_TEST(regions)
{
    arch_spec s = tu_spec(shapes[0]);
    sim_trace t;
    seen sn;
    run_trace(&s, &t, &sn);
    const arch_plan *p = &t.plan;
    ck_assert_uint_ge(p->kv_base, p->layout.blob_bytes);
    ck_assert_uint_eq(p->kv_head_row, (uint64_t)(s.head_dim * 4));
    ck_assert_uint_eq(p->kv_layer, 2 * (uint64_t)(s.seq_len * s.kv_heads * s.head_dim * 4));
    for (int i = 0; i + 1 < ARCH_A_COUNT; i++)
        ck_assert_uint_ge(p->act[i + 1], p->act[i] + 4 * p->act_elems[i]);
    ck_assert_int_eq(arch_kv_type(ARCH_INT8), ARCH_F16);
    ck_assert_int_eq(arch_kv_type(ARCH_BF16), ARCH_BF16);
    sim_trace_free(&t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_loop_test(tc, closed_forms, 0, (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(tc, regions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
