/* plan.c -- the address layout and the ops of one decode step (see plan.h). */
#include "plan.h"

#include <stdlib.h>

#include "schedule.h"

static uint64_t align_up(uint64_t x)
{
    return (x + ARCH_PLAN_ALIGN - 1) / ARCH_PLAN_ALIGN * ARCH_PLAN_ALIGN;
}

uint64_t arch_plan_kv(const arch_plan *p, int64_t layer, int which, int64_t h,
                      int64_t pos)
{
    int64_t n = p->kv_len[layer];
    uint64_t head = (uint64_t)n * p->kv_head_row;
    return p->kv_base + p->kv_off[layer] +
           ((uint64_t)which * (uint64_t)p->spec.kv_heads + (uint64_t)h) * head +
           (uint64_t)(pos % n) * p->kv_head_row;
}

/* ---- building the list ----------------------------------------------- */

typedef struct {
    arch_plan *p;
    int64_t cap_stages, cap_ops, cap_operands;
    bool oom;
} builder;

/* Room for one more element of *a (n used of *cap, each size bytes). */
static bool grow(builder *b, void **a, int64_t n, int64_t *cap, size_t size)
{
    if (b->oom)
        return false;
    if (n < *cap)
        return true;
    int64_t c = *cap ? 2 * *cap : 64;
    void *na = realloc(*a, (size_t)c * size);
    if (!na) {
        b->oom = true;
        return false;
    }
    *a = na;
    *cap = c;
    return true;
}

static void stage(builder *b, const char *name, int64_t layer, uint64_t macs,
                  arch_dtype dtype)
{
    arch_plan *p = b->p;
    if (grow(b, (void **)&p->stage, p->n_stages, &b->cap_stages, sizeof *p->stage))
        p->stage[p->n_stages++] = (arch_stage){.name = name, .layer = layer, .macs = macs,
                                               .dtype = dtype, .first = p->n_ops};
}

/* A new op of the current stage. */
static void op(builder *b, arch_op_kind kind, const arch_tensor *w, arch_act in,
               arch_act out, int64_t layer)
{
    arch_plan *p = b->p;
    if (grow(b, (void **)&p->op, p->n_ops, &b->cap_ops, sizeof *p->op)) {
        p->op[p->n_ops++] = (arch_op){.kind = kind, .w = w, .in = in, .out = out,
                                      .layer = layer, .first = p->n_operands};
        p->stage[p->n_stages - 1].n++;
    }
}

/* An operand of the current op; empty ranges are left out. */
static void touch(builder *b, arch_region r, uint64_t addr, uint64_t bytes, bool write)
{
    arch_plan *p = b->p;
    if (bytes && grow(b, (void **)&p->operand, p->n_operands, &b->cap_operands,
                      sizeof *p->operand)) {
        p->operand[p->n_operands++] = (arch_operand){addr, bytes, write, r};
        p->op[p->n_ops - 1].n++;
    }
}

static void act(builder *b, arch_act a, bool write)
{
    touch(b, ARCH_R_ACT, b->p->act[a], 4 * b->p->act_elems[a], write);
}

static void weight(builder *b, const arch_tensor *w)
{
    touch(b, ARCH_R_WEIGHTS, w->offset, w->bytes, false);
}

/* Keys (which = 0) or values (1) of kv head h of executed layer `layer`,
 * slots [from, from + n) (from + n <= kv_len[layer]): one contiguous
 * range of the head-major cache. */
static void kv(builder *b, int64_t layer, int which, int64_t h, int64_t from,
               int64_t n, bool write)
{
    touch(b, ARCH_R_KV, arch_plan_kv(b->p, layer, which, h, from),
          (uint64_t)n * b->p->kv_head_row, write);
}

static const arch_tensor *find(const builder *b, arch_weight id, int64_t block)
{
    return arch_layout_find(&b->p->layout, id, block);
}

/* x += xb2 */
static void residual(builder *b, int64_t layer)
{
    op(b, ARCH_OP_RESIDUAL, NULL, ARCH_A_XB2, ARCH_A_X, layer);
    act(b, ARCH_A_XB2, false);
    act(b, ARCH_A_X, false);
    act(b, ARCH_A_X, true);
}

static void norm(builder *b, const char *name, arch_weight id, int64_t block,
                 int64_t layer, arch_act out)
{
    const arch_tensor *w = find(b, id, block);
    stage(b, name, layer, 0, ARCH_F32);
    op(b, ARCH_OP_NORM, w, ARCH_A_X, out, layer);
    act(b, ARCH_A_X, false);
    weight(b, w);
    act(b, out, true);
}

/* out = W in, as an op of the current stage */
static void matmul(builder *b, const arch_tensor *w, int64_t layer, arch_act in,
                   arch_act out)
{
    op(b, ARCH_OP_MATMUL, w, in, out, layer);
    weight(b, w);
    act(b, in, false);
    act(b, out, true);
}

static uint64_t macs(const arch_tensor *w)
{
    return (uint64_t)w->rows * (uint64_t)w->cols;
}

/* A stage of one mat-vec; with_residual adds x += xb2 after it (wo). */
static void matvec(builder *b, arch_weight id, int64_t block, int64_t layer,
                   arch_act in, arch_act out, bool with_residual)
{
    const arch_tensor *w = find(b, id, block);
    stage(b, block < 0 ? "classifier" : arch_weight_name(id), layer, macs(w), w->dtype);
    matmul(b, w, layer, in, out);
    if (with_residual)
        residual(b, layer);
}

/* Scores over the n = min(pos + 1, kv_len) positions attended (one the
 * token's own) and the weighted sum of as many values: 2 * H * hd * n
 * MACs, in the KV type. The reference makes one pass over each kv head's
 * keys and one over its values for all the query heads of its group.
 * The cached ones are slots [0, n) less the token's own, slot pos %
 * kv_len (plan.h): [0, own) and [own + 1, n), the second empty until a
 * ring is full. */
static void attention(builder *b, int64_t layer)
{
    const arch_plan *p = b->p;
    const arch_spec *s = &p->spec;
    int64_t pos = s->ctx, len = p->kv_len[layer], own = pos % len;
    int64_t n = pos + 1 < len ? pos + 1 : len;
    stage(b, "attention", layer, 2 * (uint64_t)(s->heads * s->head_dim) * (uint64_t)n,
          p->kv_type);
    op(b, ARCH_OP_ROPE, NULL, ARCH_A_NONE, ARCH_A_NONE, layer);
    act(b, ARCH_A_Q, false);
    act(b, ARCH_A_Q, true);
    act(b, ARCH_A_K, false);
    act(b, ARCH_A_K, true);
    op(b, ARCH_OP_KV_STORE, NULL, ARCH_A_NONE, ARCH_A_NONE, layer);
    act(b, ARCH_A_V, false);
    for (int64_t h = 0; h < s->kv_heads; h++) {
        kv(b, layer, 0, h, pos, 1, true);
        kv(b, layer, 1, h, pos, 1, true);
    }
    op(b, ARCH_OP_ATTEND, NULL, ARCH_A_Q, ARCH_A_XB, layer);
    act(b, ARCH_A_Q, false);
    for (int64_t h = 0; h < s->kv_heads; h++) {
        kv(b, layer, 0, h, 0, own, false);
        kv(b, layer, 0, h, own + 1, n - own - 1, false);
    }
    for (int w = 1; w >= 0; w--) /* the scores: written, then read */
        for (int64_t h = 0; h < s->heads; h++)
            touch(b, ARCH_R_ACT, p->act[ARCH_A_ATT] + 4 * (uint64_t)(h * s->seq_len),
                  4 * (uint64_t)n, w);
    for (int64_t h = 0; h < s->kv_heads; h++) {
        kv(b, layer, 1, h, 0, own, false);
        kv(b, layer, 1, h, own + 1, n - own - 1, false);
    }
    touch(b, ARCH_R_ACT, p->act[ARCH_A_XB], 4 * (uint64_t)(s->heads * s->head_dim), true);
}

/* q += bq, k += bk, v += bv: one stage of f32 adds after the three
 * mat-vecs (which stay one pass). */
static void biases(builder *b, int64_t blk, int64_t l)
{
    static const arch_weight id[] = {ARCH_W_BQ, ARCH_W_BK, ARCH_W_BV};
    static const arch_act out[] = {ARCH_A_Q, ARCH_A_K, ARCH_A_V};
    stage(b, "bias", l, 0, ARCH_F32);
    for (int i = 0; i < 3; i++) {
        const arch_tensor *w = find(b, id[i], blk);
        op(b, ARCH_OP_BIAS, w, out[i], out[i], l);
        weight(b, w);
        act(b, out[i], false);
        act(b, out[i], true);
    }
}

static void layer(builder *b, int64_t l)
{
    int64_t blk = b->p->sched[l];
    bool swiglu = b->p->spec.ffn == ARCH_FFN_SWIGLU;
    norm(b, "rms_att", ARCH_W_RMS_ATT, blk, l, ARCH_A_XB);
    matvec(b, ARCH_W_Q, blk, l, ARCH_A_XB, ARCH_A_Q, false);
    matvec(b, ARCH_W_K, blk, l, ARCH_A_XB, ARCH_A_K, false);
    matvec(b, ARCH_W_V, blk, l, ARCH_A_XB, ARCH_A_V, false);
    if (b->p->spec.attn_bias)
        biases(b, blk, l);
    attention(b, l);
    matvec(b, ARCH_W_O, blk, l, ARCH_A_XB, ARCH_A_XB2, true);
    norm(b, "rms_ffn", ARCH_W_RMS_FFN, blk, l, ARCH_A_XB);
    matvec(b, ARCH_W_1, blk, l, ARCH_A_XB, ARCH_A_HB, false);
    if (swiglu)
        matvec(b, ARCH_W_3, blk, l, ARCH_A_XB, ARCH_A_HB2, false);
    /* the gate is part of w2's stage */
    const arch_tensor *w2 = find(b, ARCH_W_2, blk);
    stage(b, "w2", l, macs(w2), w2->dtype);
    op(b, ARCH_OP_GATE, NULL, ARCH_A_HB, ARCH_A_HB, l);
    act(b, ARCH_A_HB, false);
    if (swiglu)
        act(b, ARCH_A_HB2, false);
    act(b, ARCH_A_HB, true);
    matmul(b, w2, l, ARCH_A_HB, ARCH_A_XB2);
    residual(b, l);
}

/* Row 0 of the embedding; an int8 row also needs its scale, an int4 row
 * its dim / group scales, stored after all V*dim values (arch/layout.h). */
static void embed(builder *b)
{
    const arch_spec *s = &b->p->spec;
    const arch_tensor *w = find(b, ARCH_W_EMBED, -1);
    stage(b, "embedding", -1, 0, w->dtype);
    op(b, ARCH_OP_EMBED, w, ARCH_A_NONE, ARCH_A_X, -1);
    touch(b, ARCH_R_WEIGHTS, w->offset, arch_data_bytes(w->dtype, s->dim), false);
    if (w->dtype == ARCH_INT8)
        touch(b, ARCH_R_WEIGHTS, w->offset + arch_int8_scales_offset(s->vocab, s->dim), 4,
              false);
    if (w->dtype == ARCH_INT4)
        touch(b, ARCH_R_WEIGHTS, w->offset + arch_int4_scales_offset(s->vocab, s->dim),
              2 * (uint64_t)(s->dim / s->group), false);
    act(b, ARCH_A_X, true);
}

/* Each op's pass (arch_op.pass). */
static void passes(arch_plan *p)
{
    for (int64_t i = 0; i < p->n_ops; i++) {
        arch_op *o = &p->op[i];
        o->pass = 1;
        if (o->kind != ARCH_OP_MATMUL)
            continue;
        while (o->pass < ARCH_PLAN_PASS_MAX && i + o->pass < p->n_ops &&
               o[o->pass].kind == ARCH_OP_MATMUL && o[o->pass].in == o->in)
            o[o->pass++].pass = 0;
        i += o->pass - 1;
    }
}

static void list_step(builder *b)
{
    arch_plan *p = b->p;
    embed(b);
    for (int64_t l = 0; l < p->n_exec; l++)
        layer(b, l);
    p->head_op = p->n_ops;
    norm(b, "rms_final", ARCH_W_RMS_FINAL, -1, -1, ARCH_A_X);
    matvec(b, p->spec.tied ? ARCH_W_EMBED : ARCH_W_CLS, -1, -1, ARCH_A_X, ARCH_A_LOGITS,
           false);
}

/* ---- the address layout ---------------------------------------------- */

int arch_plan_build(arch_plan *p, const arch_spec *s, lk_err *e)
{
    *p = (arch_plan){.spec = *s};
    /* coupled to attention(): 4 KV operands per kv head (6 when a ring
     * is read in two ranges), 2 score operands per query head (the bounds
     * of arch_spec_finish keep this from overflowing) */
    int kv_ranges = s->window ? 6 : 4;
    uint64_t per_head = (uint64_t)arch_executed_layers(s) *
                        (kv_ranges * (uint64_t)s->kv_heads + 2 * (uint64_t)s->heads);
    if (per_head > ARCH_PLAN_MAX_HEAD_RANGES)
        return lk_fail(e, LK_EINPUT, "heads: %lld executed layers x (%d x %lld kv heads + "
                       "2 x %lld heads) = %llu ranges to simulate per token; the simulator "
                       "takes at most %llu", (long long)arch_executed_layers(s), kv_ranges,
                       (long long)s->kv_heads, (long long)s->heads,
                       (unsigned long long)per_head,
                       (unsigned long long)ARCH_PLAN_MAX_HEAD_RANGES);
    int rc = arch_params_count(s, &p->params, e);
    if (rc || (rc = arch_layout_build(&p->layout, s, e)))
        return rc;
    p->n_exec = arch_executed_layers(s);
    p->sched = malloc((size_t)p->n_exec * sizeof *p->sched);
    p->kv_len = malloc((size_t)p->n_exec * sizeof *p->kv_len);
    p->kv_off = malloc((size_t)p->n_exec * sizeof *p->kv_off);
    if (!p->sched || !p->kv_len || !p->kv_off) {
        arch_plan_free(p);
        return lk_fail(e, LK_ERUN, "plan: out of memory");
    }
    arch_schedule(s, p->sched);
    p->kv_type = arch_spec_kv_type(s);
    p->kv_head_row = arch_kv_row_bytes(s);
    p->kv_base = align_up(p->layout.blob_bytes);
    p->kv_layer = 2 * (uint64_t)(s->kv_heads * s->seq_len) * p->kv_head_row;
    for (int64_t l = 0; l < p->n_exec; l++) {
        p->kv_len[l] = arch_kv_positions(s, l);
        p->kv_off[l] = p->kv_bytes;
        p->kv_bytes += 2 * (uint64_t)(s->kv_heads * p->kv_len[l]) * p->kv_head_row;
    }

    uint64_t d = s->dim, q = s->heads * s->head_dim;
    uint64_t kvd = s->kv_heads * s->head_dim, f = s->ffn_dim;
    const uint64_t n[ARCH_A_COUNT] = {
        [ARCH_A_X] = d, [ARCH_A_XB] = d > q ? d : q, [ARCH_A_XB2] = d,
        [ARCH_A_Q] = q, [ARCH_A_K] = kvd, [ARCH_A_V] = kvd,
        [ARCH_A_ATT] = s->heads * s->seq_len, [ARCH_A_HB] = f, [ARCH_A_HB2] = f,
        [ARCH_A_LOGITS] = s->vocab,
    };
    uint64_t a = align_up(p->kv_base + p->kv_bytes);
    for (int i = 0; i < ARCH_A_COUNT; i++) {
        p->act[i] = a;
        p->act_elems[i] = n[i];
        a = align_up(a + 4 * n[i]);
    }
    p->end = a;

    builder b = {.p = p};
    list_step(&b);
    if (b.oom) {
        arch_plan_free(p);
        return lk_fail(e, LK_ERUN, "plan: out of memory");
    }
    passes(p);
    return LK_OK;
}

void arch_plan_free(arch_plan *p)
{
    arch_layout_free(&p->layout);
    free(p->sched);
    free(p->kv_len);
    free(p->kv_off);
    free(p->stage);
    free(p->op);
    free(p->operand);
    *p = (arch_plan){0};
}
