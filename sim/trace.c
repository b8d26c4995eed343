/* trace.c -- the plan of one decode token as accesses (see trace.h). */
#include "trace.h"

int sim_trace_build(sim_trace *t, const arch_spec *s, lk_err *e)
{
    *t = (sim_trace){0};
    int rc = arch_plan_build(&t->plan, s, e);
    if (rc)
        return rc;
    t->n_exec = t->plan.n_exec;
    t->params = t->plan.params;
    return LK_OK;
}

void sim_trace_free(sim_trace *t)
{
    arch_plan_free(&t->plan);
}

/* The class the caches count an operand's bytes in. */
static sim_class class_of(arch_region r)
{
    return r == ARCH_R_WEIGHTS ? SIM_WEIGHTS : r == ARCH_R_KV ? SIM_KV : SIM_ACT;
}

/* The stage's kind, and whether a mat-vec stage starts a pass. */
static sim_op_kind kind_of(const arch_plan *p, const arch_stage *st, bool *pass_start)
{
    sim_op_kind k = SIM_OP_OTHER;
    *pass_start = false;
    for (int64_t j = st->first; j < st->first + st->n; j++)
        if (p->op[j].kind == ARCH_OP_MATMUL) {
            k = SIM_OP_MATVEC;
            *pass_start |= p->op[j].pass > 0;
        } else if (p->op[j].kind == ARCH_OP_ATTEND) {
            k = SIM_OP_ATTENTION;
        }
    return k;
}

void sim_trace_token(const sim_trace *t, const sim_sink *k)
{
    const arch_plan *p = &t->plan;
    for (int64_t i = 0; i < p->n_stages; i++) {
        const arch_stage *st = &p->stage[i];
        bool pass_start;
        sim_op_kind kind = kind_of(p, st, &pass_start);
        sim_op op = {st->name, kind, pass_start, kind == SIM_OP_ATTENTION ? p->spec.kv_heads : 0,
                     st->layer, st->macs, st->dtype};
        if (k->op_begin)
            k->op_begin(k->u, &op);
        for (int64_t j = st->first; j < st->first + st->n; j++) {
            const arch_op *o = &p->op[j];
            for (int64_t x = o->first; x < o->first + o->n && k->access; x++) {
                const arch_operand *a = &p->operand[x];
                k->access(k->u, a->addr, a->bytes, a->write, class_of(a->region));
            }
        }
        if (k->op_end)
            k->op_end(k->u, &op);
    }
}
