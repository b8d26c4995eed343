/* test_plan.c -- the plan's two walkers agree: for every sharing strategy,
 * GQA, every dtype and a ReLU FFN, the ranges the reference's plan walk
 * hands to its kernels (its probe hook, each pointer mapped back to the
 * plan's address layout through the state's own allocations) are, stage
 * by stage, the ranges the simulator traces from the same plan (the
 * same bytes of weights and KV cache, the same activation buffers), and
 * the weights are read in the same order. Plus the plan's closed forms: KV bytes read
 * and written, ops and stages per layer, MACs; with a window, each layer's
 * positions and its ring. */
#include <stdlib.h>
#include <string.h>

#include "../arch/plan.h"
#include "../arch/schedule.h"
#include "../ref/model.h"
#include "../ref/weights.h"
#include "../sim/trace.h"
#include "testutil.h"

static const char *const shapes[] = {
    "layers=3 dim=64 heads=4 kv_heads=2 vocab=96 share=none dtype=f32 seq_len=32 ctx=9",
    "layers=3 dim=64 heads=4 kv_heads=1 vocab=96 share=immediate repeat=2 dtype=f16 "
    "seq_len=32 ctx=5",
    "layers=2 dim=64 heads=2 vocab=80 share=repeat-all-over repeat=3 dtype=bf16 "
    "seq_len=16 ctx=0",
    "layers=3 dim=48 heads=3 kv_heads=1 vocab=70 ffn=relu tied=1 share=reverse repeat=2 "
    "dtype=int8 seq_len=16 ctx=15",
    /* GQA with H*hd > dim: xb is wider than x */
    "layers=2 dim=64 heads=6 kv_heads=2 head_dim=16 vocab=64 share=reverse repeat=3 "
    "dtype=f32 seq_len=24 ctx=11",
    /* attention layouts: full rings (ctx > window, the own slot inside
     * them), a ring not yet full, int8 KV rows whose scale is unaligned */
    "layers=3 dim=64 heads=4 kv_heads=2 vocab=96 dtype=f32 seq_len=32 ctx=20 window=8 "
    "global_every=3",
    "layers=2 dim=64 heads=4 kv_heads=1 vocab=96 share=immediate repeat=2 dtype=f16 "
    "kv_dtype=int8 seq_len=32 ctx=6 window=8",
    "layers=2 dim=56 heads=4 kv_heads=2 head_dim=14 vocab=70 dtype=int8 kv_dtype=int8 "
    "seq_len=16 ctx=15 window=5 global_every=2",
    "layers=2 dim=64 heads=4 kv_heads=2 vocab=64 dtype=bf16 kv_dtype=f32 seq_len=16 ctx=7",
    /* q/k/v biases (Qwen2); MobileLLM-Pro's pattern on 6 executed
     * layers: global 0, 4 and the last, 5 */
    "layers=3 dim=64 heads=4 kv_heads=2 vocab=96 dtype=f32 seq_len=32 ctx=20 attn_bias=1",
    "layers=3 dim=64 heads=4 kv_heads=1 vocab=96 share=immediate repeat=2 dtype=int8 "
    "seq_len=32 ctx=12 window=4 global_every=4 global_first_last=1 attn_bias=1",
};

/* What spec.h and layout.h define, written out again: the positions
 * executed layer l keeps (seq_len, or the window of a local layer: l is
 * global when global_every divides l + 1, or with global_first_last when
 * it divides l or l is the last layer) and the bytes of one position
 * of one kv head (hd elements of the KV type, and an int8 row's scale). */
static int64_t want_len(const arch_spec *s, int64_t l)
{
    int64_t K = s->global_every, last = arch_executed_layers(s) - 1;
    bool global = K && (s->global_first_last ? l % K == 0 || l == last : (l + 1) % K == 0);
    bool local = s->window && !global;
    return local && s->window < s->seq_len ? s->window : s->seq_len;
}

static uint64_t want_row(const arch_spec *s)
{
    arch_dtype t = s->kv_dtype != ARCH_KV_FOLLOWS ? s->kv_dtype
                   : s->dtype == ARCH_INT8        ? ARCH_F16
                                                  : s->dtype;
    return (uint64_t)s->head_dim * arch_dtype_size(t) + (t == ARCH_INT8 ? 4 : 0);
}

/* Positions a token at ctx attends over in layer l, its own included. */
static uint64_t want_seen(const arch_spec *s, int64_t l)
{
    int64_t n = want_len(s, l);
    return (uint64_t)(s->ctx + 1 < n ? s->ctx + 1 : n);
}

/* ---- byte ranges ----------------------------------------------------- */

#define MAX_RANGES 16384

typedef struct {
    int64_t stage;   /* the plan stage the range was touched in */
    int region;
    uint64_t a, b;   /* [a, b) */
} range;

typedef struct {
    range r[MAX_RANGES];
    int64_t n;
    int64_t tensors[1024]; /* weight tensors in the order first read */
    int64_t ntensors;
    uint64_t kv_read, kv_written;
} seen;

static int64_t tensor_at(const arch_plan *p, uint64_t addr)
{
    for (int64_t i = 0; i < p->layout.n; i++)
        if (p->layout.t[i].offset <= addr && addr < p->layout.t[i].offset + p->layout.t[i].bytes)
            return i;
    ck_abort_msg("weight address %llu in no tensor", (unsigned long long)addr);
    return -1;
}

/* Activations are compared buffer by buffer: the plan's activation
 * operands cover whole one-token buffers (plan.h), so [addr, addr+bytes)
 * becomes the buffer it lies in. */
static void whole_buffer(const arch_plan *p, uint64_t *addr, uint64_t *bytes)
{
    for (int a = 0; a < ARCH_A_COUNT; a++)
        if (*addr >= p->act[a] && *addr < p->act[a] + 4 * p->act_elems[a]) {
            ck_assert(*addr + *bytes <= p->act[a] + 4 * p->act_elems[a]);
            *addr = p->act[a];
            *bytes = 4 * p->act_elems[a];
            return;
        }
    ck_abort_msg("activation address %llu in no buffer", (unsigned long long)*addr);
}

static void add(seen *s, const arch_plan *p, int64_t stage, arch_region g, uint64_t addr,
                uint64_t bytes, bool write)
{
    ck_assert(bytes > 0);
    if (g == ARCH_R_ACT)
        whole_buffer(p, &addr, &bytes);
    ck_assert(stage >= 0 && stage < p->n_stages);
    ck_assert_int_lt(s->n, MAX_RANGES);
    s->r[s->n++] = (range){stage, g, addr, addr + bytes};
    if (g == ARCH_R_KV)
        *(write ? &s->kv_written : &s->kv_read) += bytes;
    if (g == ARCH_R_WEIGHTS) {
        int64_t t = tensor_at(p, addr);
        if (s->ntensors == 0 || s->tensors[s->ntensors - 1] != t) {
            ck_assert_int_lt(s->ntensors, 1024);
            s->tensors[s->ntensors++] = t;
        }
    }
}

static int by_start(const void *x, const void *y)
{
    const range *a = x, *b = y;
    if (a->stage != b->stage)
        return a->stage < b->stage ? -1 : 1;
    if (a->region != b->region)
        return a->region < b->region ? -1 : 1;
    return a->a < b->a ? -1 : a->a > b->a ? 1 : (a->b > b->b) - (a->b < b->b);
}

/* Sort the ranges and merge them into their union within each stage and
 * region. Ranges less than 4 bytes apart are joined: an int8 matrix's
 * scales start at the next multiple of 4 after its data (arch/layout.h),
 * and the reference hands its kernels the two parts. */
static void merge(seen *s)
{
    range *r = s->r;
    qsort(r, (size_t)s->n, sizeof *r, by_start);
    int64_t m = 0;
    for (int64_t i = 0; i < s->n; i++)
        if (m > 0 && r[i].stage == r[m - 1].stage && r[i].region == r[m - 1].region &&
            r[i].a < r[m - 1].b + 4)
            r[m - 1].b = r[i].b > r[m - 1].b ? r[i].b : r[m - 1].b;
        else
            r[m++] = r[i];
    s->n = m;
}

/* ---- the simulator's walk -------------------------------------------- */

typedef struct {
    seen *s;
    const arch_plan *p;
    int64_t stage; /* stages begun, less one */
} sim_seen;

static void op_begin(void *u, const sim_op *op)
{
    sim_seen *v = u;
    v->stage++;
    ck_assert_str_eq(op->name, v->p->stage[v->stage].name);
}

static void on_access(void *u, uint64_t addr, uint64_t bytes, bool write, sim_class cls)
{
    sim_seen *v = u;
    const arch_plan *p = v->p;
    arch_region g = cls == SIM_WEIGHTS ? ARCH_R_WEIGHTS : cls == SIM_KV ? ARCH_R_KV : ARCH_R_ACT;
    uint64_t att = p->act[ARCH_A_ATT];
    /* the reference keeps the scores in its attention kernel's scratch */
    if (g == ARCH_R_ACT && addr >= att && addr < att + 4 * p->act_elems[ARCH_A_ATT])
        return;
    add(v->s, p, v->stage, g, addr, bytes, write);
}

/* ---- the reference's walk -------------------------------------------- */

typedef struct {
    seen *s;
    const ref_state *st;
    int64_t *stage_of; /* (plan ops) the stage of each op */
} ref_seen;

static void probe(void *u, int64_t op, const void *ptr, uint64_t bytes, bool write)
{
    ref_seen *v = u;
    const ref_state *st = v->st;
    const arch_plan *p = &st->plan;
    ck_assert(op >= 0 && op < p->n_ops);
    int64_t stage = v->stage_of[op];
    const unsigned char *c = ptr, *blob = st->w->blob;
    if (c >= blob && c < blob + st->w->blob_bytes) {
        ck_assert(c + bytes <= blob + st->w->blob_bytes);
        add(v->s, p, stage, ARCH_R_WEIGHTS, (uint64_t)(c - blob), bytes, write);
        return;
    }
    if (c >= st->kv && c < st->kv + st->kv_bytes) {
        ck_assert(c + bytes <= st->kv + st->kv_bytes);
        add(v->s, p, stage, ARCH_R_KV, p->kv_base + (uint64_t)(c - st->kv), bytes, write);
        return;
    }
    for (int a = 0; a < ARCH_A_COUNT; a++) {
        const unsigned char *b = (const unsigned char *)st->act[a];
        uint64_t size = 4 * p->act_elems[a]; /* a decode step's row */
        if (b && c >= b && c < b + size) {
            ck_assert_msg(c + bytes <= b + size, "buffer %d: %llu bytes past its row", a,
                          (unsigned long long)(c + bytes - b - size));
            add(v->s, p, stage, ARCH_R_ACT, p->act[a] + (uint64_t)(c - b), bytes, write);
            return;
        }
    }
    ck_abort_msg("the reference handed a kernel %llu bytes outside the plan's layout",
                 (unsigned long long)bytes);
}

typedef struct {
    arch_spec s;
    pool *pool;
    ref_weights w;
    ref_state st;
} model;

/* A seeded model whose cache holds positions 0..ctx-1. */
static void open_model(model *m, const char *shape)
{
    lk_err e = {0};
    m->s = tu_spec(shape);
    ck_assert_msg(pool_create(&m->pool, 2, &e) == LK_OK, "%s", e.msg);
    ck_assert_msg(ref_weights_seeded(&m->w, &m->s, 1, m->pool, &e) == LK_OK, "%s", e.msg);
    ck_assert(m->w.blob != NULL);
    ck_assert_msg(ref_state_build(&m->st, &m->w, m->pool, &e) == LK_OK, "%s", e.msg);
    ref_state_fill_kv(&m->st, m->s.ctx);
}

static void close_model(model *m)
{
    ref_state_free(&m->st);
    ref_weights_free(&m->w);
    pool_free(m->pool);
}

/* Both walkers over the state's plan: one decode step of token 0 (the
 * row the plan's embedding operand names) at position ctx. */
START_TEST(walkers_agree)
{
    model m;
    open_model(&m, shapes[_i]);
    static seen r, t;
    memset(&r, 0, sizeof r);
    memset(&t, 0, sizeof t);

    const arch_plan *p = &m.st.plan;
    int64_t *stage_of = malloc((size_t)p->n_ops * sizeof *stage_of);
    for (int64_t i = 0; i < p->n_stages; i++)
        for (int64_t j = p->stage[i].first; j < p->stage[i].first + p->stage[i].n; j++)
            stage_of[j] = i;
    ref_seen rv = {&r, &m.st, stage_of};
    m.st.probe = probe;
    m.st.probe_u = &rv;
    ref_forward(&m.st, 0, m.s.ctx);
    m.st.probe = NULL;

    sim_trace tr = {.plan = m.st.plan}; /* the same plan, not a copy of it */
    sim_seen sv = {&t, p, -1};
    sim_sink k = {.u = &sv, .op_begin = op_begin, .access = on_access};
    sim_trace_token(&tr, &k);
    ck_assert_int_eq(sv.stage, p->n_stages - 1);

    /* the same weights in the same order */
    ck_assert_int_eq(r.ntensors, t.ntensors);
    for (int64_t i = 0; i < r.ntensors; i++)
        ck_assert_int_eq(r.tensors[i], t.tensors[i]);
    /* embedding; every executed layer: rms_att wq wk wv (bq bk bv) wo
     * rms_ffn w1 (w3) w2; rms_final, classifier (the embedding again when
     * tied) */
    int64_t E = arch_executed_layers(&m.s);
    int64_t per = (m.s.ffn == ARCH_FFN_SWIGLU ? 9 : 8) + (m.s.attn_bias ? 3 : 0);
    ck_assert_int_eq(r.ntensors, 1 + E * per + 2);

    /* the reference reads its own key and value back from the cache, so
     * one row more per head than the trace: KV read = 2 K row x the sum
     * over layers of the positions attended, min(t+1, kv_len) */
    uint64_t row = (uint64_t)m.s.kv_heads * want_row(&m.s), seen = 0;
    for (int64_t l = 0; l < E; l++)
        seen += want_seen(&m.s, l);
    ck_assert_uint_eq(r.kv_read, 2 * seen * row);
    ck_assert_uint_eq(r.kv_written, 2 * (uint64_t)E * row);

    /* stage by stage, the same bytes of each region */
    merge(&r);
    merge(&t);
    ck_assert_msg(r.n == t.n, "ref touches %lld ranges, sim %lld", (long long)r.n,
                  (long long)t.n);
    for (int64_t i = 0; i < r.n; i++) {
        const range *a = &r.r[i], *b = &t.r[i];
        ck_assert_msg(a->stage == b->stage && a->region == b->region && a->a == b->a &&
                      a->b == b->b,
                      "range %lld: ref stage %s region %d [%llu, %llu), "
                      "sim stage %s region %d [%llu, %llu)",
                      (long long)i, p->stage[a->stage].name, a->region,
                      (unsigned long long)a->a, (unsigned long long)a->b,
                      p->stage[b->stage].name, b->region, (unsigned long long)b->a,
                      (unsigned long long)b->b);
    }
    free(stage_of);
    close_model(&m);
}
END_TEST

/* Closed forms of the plan itself, from the spec alone (n_l = min(ctx+1,
 * kv_len of layer l), the positions attended; row = hd * size, + 4 int8):
 *   KV read = 2 * K * row * sum_l (n_l - 1), written = 2 * E * K * row
 *   per executed layer 15 ops (SwiGLU; 14 ReLU: no w3) in 10 stages (9),
 *   (with attention biases one stage more, of 3 ops)
 *   plus embedding, rms_final and classifier, one op each
 *   MACs = E * (dim*hd*(2H + 2K) + (3 or 2) * ffn * dim) + 2*H*hd*sum_l n_l + V*dim
 *   every KV range in its layer's region, every operand inside the layout;
 *   arch_params' KV bytes: kv_bytes = 2 K row sum_l kv_len, kv_read_bytes
 *   = 2 K row sum_l n_l; a ring's slot of position p is that of p - kv_len */
START_TEST(closed_forms)
{
    arch_spec s = tu_spec(shapes[_i]);
    arch_plan p;
    lk_err e = {0};
    ck_assert_msg(arch_plan_build(&p, &s, &e) == LK_OK, "%s", e.msg);
    uint64_t E = (uint64_t)arch_executed_layers(&s);
    uint64_t H = s.heads, K = s.kv_heads, hd = s.head_dim, d = s.dim, V = s.vocab;
    bool swiglu = s.ffn == ARCH_FFN_SWIGLU;
    uint64_t row = want_row(&s), nmat = swiglu ? 3 : 2, seen = 0, kept = 0;
    for (int64_t l = 0; l < (int64_t)E; l++) {
        seen += want_seen(&s, l);
        kept += (uint64_t)want_len(&s, l);
        ck_assert_int_eq(p.kv_len[l], want_len(&s, l));
    }

    uint64_t kv_read = 0, kv_written = 0, macs = 0;
    for (int64_t i = 0; i < p.n_operands; i++) {
        const arch_operand *o = &p.operand[i];
        ck_assert(o->bytes > 0 && o->addr + o->bytes <= p.end);
        if (o->region == ARCH_R_KV) {
            ck_assert(o->addr >= p.kv_base && o->addr + o->bytes <= p.kv_base + p.kv_bytes);
            *(o->write ? &kv_written : &kv_read) += o->bytes;
        }
    }
    ck_assert_uint_eq(kv_read, 2 * (seen - E) * K * row);
    ck_assert_uint_eq(kv_written, 2 * E * K * row);
    ck_assert_uint_eq(p.params.kv_bytes, 2 * K * row * kept);
    ck_assert_uint_eq(p.kv_bytes, p.params.kv_bytes);
    ck_assert_uint_eq(p.params.kv_read_bytes, 2 * K * row * seen);

    for (int64_t l = 0; l < (int64_t)E; l++) {
        int64_t ops = 0, stages = 0;
        for (int64_t i = 0; i < p.n_ops; i++)
            ops += p.op[i].layer == l;
        for (int64_t i = 0; i < p.n_stages; i++)
            stages += p.stage[i].layer == l;
        ck_assert_int_eq(ops, (swiglu ? 15 : 14) + (s.attn_bias ? 3 : 0));
        ck_assert_int_eq(stages, (swiglu ? 10 : 9) + s.attn_bias);
    }
    ck_assert_int_eq(p.n_ops, (int64_t)E * ((swiglu ? 15 : 14) + (s.attn_bias ? 3 : 0)) + 3);
    ck_assert_int_eq(p.head_op, p.n_ops - 2);
    for (int64_t i = 0; i < p.n_stages; i++)
        macs += p.stage[i].macs;
    uint64_t mat = d * hd * (2 * H + 2 * K) + nmat * s.ffn_dim * d;
    ck_assert_uint_eq(macs, E * mat + 2 * H * hd * seen + V * d);

    /* the KV rule: head-major rows, keys then values, layer after layer,
     * a local layer's positions in a ring */
    uint64_t n0 = (uint64_t)want_len(&s, 0);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 0, 0, 0), p.kv_base);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 0, 0, 1) - arch_plan_kv(&p, 0, 0, 0, 0), row);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 0, 1, 0) - p.kv_base, n0 * row);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 1, 0, 0) - p.kv_base, K * n0 * row);
    ck_assert_uint_eq(arch_plan_kv(&p, 1, 0, 0, 0) - p.kv_base, 2 * K * n0 * row);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 1, 0, (int64_t)n0 + 3), arch_plan_kv(&p, 0, 1, 0, 3));
    arch_plan_free(&p);
}
END_TEST

/* A windowed model at ctx > window, in numbers worked out by hand: 4
 * layers of 2 kv heads of hd 16 in f32 (a row of 64 bytes; a position of
 * a layer, keys and values, 256), window 8, every second layer global
 * (layers 1 and 3), ctx 40, seq_len 64. Local layers keep 8 positions
 * (2048 bytes) and the token attends over 8 of them (its own and 7
 * cached: 1792 bytes read); global ones keep 64 (16384) and attend over
 * 41 (40 cached: 10240). So the plan reads 2 x 1792 + 2 x 10240 = 24064
 * bytes of KV cache, params count 2 x 2048 + 2 x 10496 = 25088 bytes
 * attended (sweep's kv_cache_bytes) and 2 x 2048 + 2 x 16384 = 36864
 * kept; its own position 40 is slot 40 % 8 = 0 of a local layer. */
START_TEST(windowed_kv_bytes)
{
    arch_spec s = tu_spec("layers=4 dim=64 heads=4 kv_heads=2 head_dim=16 vocab=64 "
                          "dtype=f32 seq_len=64 ctx=40 window=8 global_every=2");
    arch_plan p;
    lk_err e = {0};
    ck_assert_msg(arch_plan_build(&p, &s, &e) == LK_OK, "%s", e.msg);
    uint64_t read = 0;
    for (int64_t i = 0; i < p.n_operands; i++)
        if (p.operand[i].region == ARCH_R_KV && !p.operand[i].write)
            read += p.operand[i].bytes;
    ck_assert_uint_eq(read, 24064);
    ck_assert_uint_eq(p.params.kv_read_bytes, 25088);
    ck_assert_uint_eq(p.params.kv_bytes, 36864);
    ck_assert_uint_eq(arch_plan_kv(&p, 0, 0, 0, 40), p.kv_base);
    ck_assert_uint_eq(arch_plan_kv(&p, 1, 0, 0, 40) - p.kv_base, 2048 + 40 * 64);
    arch_plan_free(&p);
}
END_TEST

/* MobileLLM-Pro's attention layout, from the layer_types of its
 * config.json (https://huggingface.co/facebook/MobileLLM-Pro/blob/main/config.json):
 * full_attention at layers 0, 4, 8, ..., 28 and 29, sliding_attention
 * (window 512) elsewhere. In f16 at seq_len 131072 a global layer keeps
 * 2 x 4 kv heads x 131072 positions x 128 bytes, a local one 512
 * positions; at ctx 8191 a token reads 8191 cached positions of a global
 * layer and 511 of a local one. */
START_TEST(mobilellm_pro_layers)
{
    static const int full[] = {0, 4, 8, 12, 16, 20, 24, 28, 29};
    lk_err e = {0};
    arch_spec s;
    ck_assert_int_eq(arch_spec_preset(&s, "mobilellm-pro", &e), 0);
    ck_assert_int_eq(arch_spec_set(&s, "ctx", "8191", &e), 0);
    ck_assert_msg(arch_spec_finish(&s, &e) == 0, "%s", e.msg);
    arch_plan p;
    ck_assert_msg(arch_plan_build(&p, &s, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(p.n_exec, 30);
    const uint64_t row = 64 * 2, global = 2 * 4 * 131072 * row, local = 2 * 4 * 512 * row;
    uint64_t read[30] = {0};
    for (int64_t i = 0; i < p.n_ops; i++)
        for (int64_t x = p.op[i].first; x < p.op[i].first + p.op[i].n; x++)
            if (p.operand[x].region == ARCH_R_KV && !p.operand[x].write)
                read[p.op[i].layer] += p.operand[x].bytes;
    for (int l = 0, g = 0; l < 30; l++) {
        bool is_full = g < 9 && full[g] == l;
        g += is_full;
        uint64_t kept = (l + 1 < 30 ? p.kv_off[l + 1] : p.kv_bytes) - p.kv_off[l];
        ck_assert_msg(kept == (is_full ? global : local), "layer %d keeps %llu", l,
                      (unsigned long long)kept);
        ck_assert_uint_eq(read[l], 2 * 4 * (is_full ? 8191 : 511) * row);
    }
    ck_assert_uint_eq(p.params.kv_bytes, 9 * global + 21 * local);
    arch_plan_free(&p);
    /* the rule needs its groups */
    s = tu_spec("layers=4 dim=64 heads=4 window=8 global_every=2");
    ck_assert_int_eq(arch_spec_set(&s, "global_every", "0", &e), 0);
    ck_assert_int_eq(arch_spec_set(&s, "window", "8", &e), 0);
    ck_assert_int_eq(arch_spec_set(&s, "global-first-last", "yes", &e), 0);
    ck_assert_int_eq(arch_spec_finish(&s, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "global_first_last: needs global_every") != NULL, "%s", e.msg);
}
END_TEST

/* The layout options refuse what they cannot mean: a global pattern
 * without a window, a KV type --kv-dtype does not offer, a negative
 * window (each with LK_EINPUT, which the CLI turns into exit status 2). */
START_TEST(layout_options_refused)
{
    lk_err e = {0};
    arch_spec s;
    arch_spec_init(&s);
    ck_assert_int_eq(arch_spec_set(&s, "kv-dtype", "bf16", &e), LK_EINPUT);
    ck_assert_int_eq(arch_spec_set(&s, "window", "-1", &e), LK_EINPUT);
    ck_assert_int_eq(arch_spec_set(&s, "layers", "2", &e), LK_OK);
    ck_assert_int_eq(arch_spec_set(&s, "dim", "64", &e), LK_OK);
    ck_assert_int_eq(arch_spec_set(&s, "heads", "4", &e), LK_OK);
    ck_assert_int_eq(arch_spec_set(&s, "global-every", "2", &e), LK_OK);
    ck_assert_int_eq(arch_spec_finish(&s, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "global_every") != NULL, "%s", e.msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    int n = (int)(sizeof shapes / sizeof shapes[0]);
    tcase_add_loop_test(tc, walkers_agree, 0, n);
    tcase_add_loop_test(tc, closed_forms, 0, n);
    tcase_add_test(tc, windowed_kv_bytes);
    tcase_add_test(tc, mobilellm_pro_layers);
    tcase_add_test(tc, layout_options_refused);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
