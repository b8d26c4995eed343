/* trace.c -- the ordered accesses of one decode token (see trace.h). */
#include "trace.h"

#include <stdlib.h>

#include "../arch/schedule.h"

static uint64_t align_up(uint64_t x)
{
    return (x + SIM_TRACE_ALIGN - 1) / SIM_TRACE_ALIGN * SIM_TRACE_ALIGN;
}

int sim_trace_build(sim_trace *t, const arch_spec *s, lk_err *e)
{
    *t = (sim_trace){.spec = *s};
    /* coupled to attention(): 4 KV ranges per kv head, 2 score ranges per
     * query head (the bounds of arch_spec_finish keep this from overflowing) */
    uint64_t per_head = (uint64_t)arch_executed_layers(s) *
                        (4 * (uint64_t)s->kv_heads + 2 * (uint64_t)s->heads);
    if (per_head > SIM_TRACE_MAX_HEAD_RANGES)
        return lk_fail(e, LK_EINPUT, "heads: %lld executed layers x (4 x %lld kv heads + "
                       "2 x %lld heads) = %llu ranges to simulate per token; the simulator "
                       "takes at most %llu", (long long)arch_executed_layers(s),
                       (long long)s->kv_heads, (long long)s->heads,
                       (unsigned long long)per_head,
                       (unsigned long long)SIM_TRACE_MAX_HEAD_RANGES);
    int rc = arch_params_count(s, &t->params, e);
    if (rc || (rc = arch_layout_build(&t->layout, s, e)))
        return rc;
    t->n_exec = arch_executed_layers(s);
    t->sched = malloc((size_t)t->n_exec * sizeof *t->sched);
    if (!t->sched) {
        arch_layout_free(&t->layout);
        return lk_fail(e, LK_ERUN, "trace: out of memory");
    }
    arch_schedule(s, t->sched);
    t->kv_type = arch_kv_type(s->dtype);
    t->kv_row = t->params.kv_bytes_per_layer_token / 2;
    t->kv_head_row = t->kv_row / (uint64_t)s->kv_heads;
    t->kv_base = align_up(t->layout.blob_bytes);
    t->kv_layer = 2 * (uint64_t)s->seq_len * t->kv_row;

    uint64_t d = s->dim, q = s->heads * s->head_dim;
    uint64_t kv = s->kv_heads * s->head_dim, f = s->ffn_dim;
    const uint64_t n[SIM_A_COUNT] = {
        [SIM_A_X] = d, [SIM_A_XB] = d > q ? d : q, [SIM_A_XB2] = d,
        [SIM_A_Q] = q, [SIM_A_K] = kv, [SIM_A_V] = kv,
        [SIM_A_ATT] = s->heads * s->seq_len, [SIM_A_HB] = f, [SIM_A_HB2] = f,
        [SIM_A_LOGITS] = s->vocab,
    };
    uint64_t a = align_up(t->kv_base + t->n_exec * t->kv_layer);
    for (int i = 0; i < SIM_A_COUNT; i++) {
        t->act[i] = a;
        t->act_bytes[i] = 4 * n[i];
        a = align_up(a + t->act_bytes[i]);
    }
    t->end = a;
    return LK_OK;
}

void sim_trace_free(sim_trace *t)
{
    arch_layout_free(&t->layout);
    free(t->sched);
    t->sched = NULL;
}

/* ---- emitting -------------------------------------------------------- */

typedef struct {
    const sim_trace *t;
    const sim_sink *k;
} emit;

static void begin(const emit *m, const sim_op *op)
{
    if (m->k->op_begin)
        m->k->op_begin(m->k->u, op);
}

static void end(const emit *m, const sim_op *op)
{
    if (m->k->op_end)
        m->k->op_end(m->k->u, op);
}

static void touch(const emit *m, uint64_t addr, uint64_t bytes, bool write,
                  sim_class cls)
{
    if (bytes && m->k->access)
        m->k->access(m->k->u, addr, bytes, write, cls);
}

static void act(const emit *m, sim_act a, bool write)
{
    touch(m, m->t->act[a], m->t->act_bytes[a], write, SIM_ACT);
}

static void weight(const emit *m, arch_weight id, int64_t block)
{
    const arch_tensor *w = arch_layout_find(&m->t->layout, id, block);
    touch(m, w->offset, w->bytes, false, SIM_WEIGHTS);
}

static uint64_t mat_macs(const emit *m, arch_weight id, int64_t block)
{
    const arch_tensor *w = arch_layout_find(&m->t->layout, id, block);
    return (uint64_t)w->rows * (uint64_t)w->cols;
}

/* x += xb2 */
static void residual(const emit *m)
{
    act(m, SIM_A_XB2, false);
    act(m, SIM_A_X, false);
    act(m, SIM_A_X, true);
}

static void norm(const emit *m, const char *name, arch_weight id, int64_t block,
                 int64_t layer, sim_act out)
{
    sim_op op = {.name = name, .layer = layer, .dtype = ARCH_F32};
    begin(m, &op);
    act(m, SIM_A_X, false);
    weight(m, id, block);
    act(m, out, true);
    end(m, &op);
}

/* out = W in; with_residual adds x += xb2 after it (wo, w2). */
static void matvec(const emit *m, arch_weight id, int64_t block, int64_t layer,
                   sim_act in, sim_act out, bool with_residual)
{
    sim_op op = {.name = block < 0 ? "classifier" : arch_weight_name(id),
                 .layer = layer,
                 .macs = mat_macs(m, id, block), .dtype = m->t->spec.dtype};
    begin(m, &op);
    weight(m, id, block);
    act(m, in, false);
    act(m, out, true);
    if (with_residual)
        residual(m);
    end(m, &op);
}

/* Keys (which = 0) or values (1) of kv head h of executed layer `layer`,
 * positions [from, from + n): one contiguous range in the head-major
 * cache. */
static void kv_range(const emit *m, int64_t layer, int which, int64_t h,
                     uint64_t from, uint64_t n, bool write)
{
    const sim_trace *t = m->t;
    uint64_t head = (uint64_t)t->spec.seq_len * t->kv_head_row;
    uint64_t base = t->kv_base + (uint64_t)layer * t->kv_layer +
                    ((uint64_t)which * t->spec.kv_heads + (uint64_t)h) * head;
    touch(m, base + from * t->kv_head_row, n * t->kv_head_row, write, SIM_KV);
}

/* Scores over t + 1 positions (t cached, one the token's own) and the
 * weighted sum of as many values: 2 * H * hd * (t + 1) MACs, in the KV
 * type. The reference makes one pass over each kv head's keys and one
 * over its values for all the query heads of its group. */
static void attention(const emit *m, int64_t layer) /* coupled: sim_trace_build */
{
    const sim_trace *t = m->t;
    const arch_spec *s = &t->spec;
    uint64_t pos = (uint64_t)s->ctx;
    sim_op op = {.name = "attention", .layer = layer,
                 .macs = 2 * (uint64_t)(s->heads * s->head_dim) * (pos + 1),
                 .dtype = t->kv_type};
    begin(m, &op);
    act(m, SIM_A_Q, false); /* rope */
    act(m, SIM_A_Q, true);
    act(m, SIM_A_K, false);
    act(m, SIM_A_K, true);
    act(m, SIM_A_V, false);
    for (int64_t h = 0; h < s->kv_heads; h++) {
        kv_range(m, layer, 0, h, pos, 1, true);
        kv_range(m, layer, 1, h, pos, 1, true);
    }
    act(m, SIM_A_Q, false);
    for (int64_t h = 0; h < s->kv_heads; h++)
        kv_range(m, layer, 0, h, 0, pos, false);
    for (int64_t h = 0; h < s->heads; h++)
        touch(m, t->act[SIM_A_ATT] + 4 * (uint64_t)(h * s->seq_len), 4 * (pos + 1),
              true, SIM_ACT);
    for (int64_t h = 0; h < s->heads; h++)
        touch(m, t->act[SIM_A_ATT] + 4 * (uint64_t)(h * s->seq_len), 4 * (pos + 1),
              false, SIM_ACT);
    for (int64_t h = 0; h < s->kv_heads; h++)
        kv_range(m, layer, 1, h, 0, pos, false);
    touch(m, t->act[SIM_A_XB], 4 * (uint64_t)(s->heads * s->head_dim), true,
          SIM_ACT);
    end(m, &op);
}

static void layer(const emit *m, int64_t l)
{
    int64_t b = m->t->sched[l];
    bool swiglu = m->t->spec.ffn == ARCH_FFN_SWIGLU;
    norm(m, "rms_att", ARCH_W_RMS_ATT, b, l, SIM_A_XB);
    matvec(m, ARCH_W_Q, b, l, SIM_A_XB, SIM_A_Q, false);
    matvec(m, ARCH_W_K, b, l, SIM_A_XB, SIM_A_K, false);
    matvec(m, ARCH_W_V, b, l, SIM_A_XB, SIM_A_V, false);
    attention(m, l);
    matvec(m, ARCH_W_O, b, l, SIM_A_XB, SIM_A_XB2, true);
    norm(m, "rms_ffn", ARCH_W_RMS_FFN, b, l, SIM_A_XB);
    matvec(m, ARCH_W_1, b, l, SIM_A_XB, SIM_A_HB, false);
    if (swiglu)
        matvec(m, ARCH_W_3, b, l, SIM_A_XB, SIM_A_HB2, false);
    /* the gate: hb = silu(hb) * hb2, or relu(hb); part of w2's op */
    sim_op op = {.name = "w2", .layer = l,
                 .macs = mat_macs(m, ARCH_W_2, b), .dtype = m->t->spec.dtype};
    begin(m, &op);
    act(m, SIM_A_HB, false);
    if (swiglu)
        act(m, SIM_A_HB2, false);
    act(m, SIM_A_HB, true);
    weight(m, ARCH_W_2, b);
    act(m, SIM_A_HB, false);
    act(m, SIM_A_XB2, true);
    residual(m);
    end(m, &op);
}

/* Row 0 of the embedding; an int8 row also needs its scale, stored after
 * all V*dim values (arch/layout.h). */
static void embed(const emit *m)
{
    const arch_spec *s = &m->t->spec;
    const arch_tensor *w = arch_layout_find(&m->t->layout, ARCH_W_EMBED, -1);
    uint64_t row = (uint64_t)s->dim * arch_dtype_size(s->dtype);
    sim_op op = {.name = "embedding", .layer = -1, .dtype = s->dtype};
    begin(m, &op);
    touch(m, w->offset, row, false, SIM_WEIGHTS);
    if (s->dtype == ARCH_INT8)
        touch(m, w->offset + arch_int8_scales_offset(s->vocab, s->dim), 4, false,
              SIM_WEIGHTS);
    act(m, SIM_A_X, true);
    end(m, &op);
}

void sim_trace_token(const sim_trace *t, const sim_sink *k)
{
    emit m = {t, k};
    embed(&m);
    for (int64_t l = 0; l < t->n_exec; l++)
        layer(&m, l);
    norm(&m, "rms_final", ARCH_W_RMS_FINAL, -1, -1, SIM_A_X);
    arch_weight cls = t->spec.tied ? ARCH_W_EMBED : ARCH_W_CLS;
    matvec(&m, cls, -1, -1, SIM_A_X, SIM_A_LOGITS, false);
}
