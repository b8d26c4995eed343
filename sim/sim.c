/* sim.c -- one steady-state decode token on a SoC profile (see sim.h).
 *
 * The trace of a token at position ctx runs twice through the memory
 * model (the line-by-line cache or the analytic reuse-distance model):
 * the first token warms the caches, the second is measured. While the
 * measured token runs, the counters are read at the start and end of
 * every operation, so each operation gets its own roofline time
 * (cost.h) from the traffic it caused.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "../arch/schedule.h"
#include "analytic.h"
#include "cache.h"
#include "cost.h"
#include "profile.h"
#include "trace.h"

/* Seed of the random replacement policy: fixed, so results repeat. */
#define SIM_SEED 1

typedef struct {
    const sim_profile *p;
    sim_cache *cache;       /* exact mode */
    sim_analytic *ana;      /* analytic mode */
    bool measure;
    sim_traffic at_begin;   /* counters when the current op began */
    sim_traffic token;      /* the measured token's total */
    double seconds;         /* sum of the ops' roofline times (sustained) */
    double floor_seconds;   /* the same with the peak bandwidths */
    const sim_profile *paired; /* p with the paired DRAM bandwidth, or NULL */
    double paired_seconds;  /* the sum with it */
} run;

static const sim_level_stats *level_stats(const run *r, int l)
{
    return r->cache ? sim_cache_level_stats(r->cache, l)
                    : sim_analytic_level_stats(r->ana, l);
}

static const sim_dram_stats *dram_stats(const run *r)
{
    return r->cache ? sim_cache_dram_stats(r->cache) : sim_analytic_dram_stats(r->ana);
}

/* The counters so far as traffic (served bytes per level, DRAM bytes). */
static sim_traffic counters(const run *r)
{
    sim_traffic t = {0};
    for (int l = 0; l < r->p->nlevels; l++) {
        const sim_level_stats *s = level_stats(r, l);
        for (int c = 0; c < SIM_CLASS_COUNT; c++)
            t.served[l] += (s->accesses[c] - s->misses[c]) *
                           r->p->level[l].cfg.line_bytes;
    }
    const sim_dram_stats *d = dram_stats(r);
    for (int c = 0; c < SIM_CLASS_COUNT; c++)
        t.dram_bytes += d->read_bytes[c] + d->write_bytes[c];
    return t;
}

static void op_begin(void *u, const sim_op *op)
{
    (void)op;
    run *r = u;
    if (r->measure)
        r->at_begin = counters(r);
}

static void op_end(void *u, const sim_op *op)
{
    run *r = u;
    if (!r->measure)
        return;
    sim_traffic now = counters(r), d = {0};
    for (int l = 0; l < r->p->nlevels; l++)
        d.served[l] = now.served[l] - r->at_begin.served[l];
    d.dram_bytes = now.dram_bytes - r->at_begin.dram_bytes;
    d.macs[op->dtype] = op->macs;
    double fixed = sim_cost_op_fixed_seconds(r->p, op);
    r->seconds += sim_cost_seconds(r->p, &d, op->kind, op->dtype, false) + fixed;
    r->floor_seconds += sim_cost_seconds(r->p, &d, op->kind, op->dtype, true);
    if (r->paired)
        r->paired_seconds += sim_cost_seconds(r->paired, &d, op->kind, op->dtype, false) + fixed;
    sim_traffic_add(&r->token, &d);
}

static void on_access(void *u, uint64_t addr, uint64_t bytes, bool write,
                   sim_class cls)
{
    run *r = u;
    if (r->cache)
        sim_cache_access(r->cache, addr, bytes, write, cls);
    else
        sim_analytic_access(r->ana, addr, bytes, write, cls);
}

int sim_opts_parse(sim_opts *o, const char *mode, sim_mode def, const char *policy,
                   lk_err *e)
{
    o->mode = def;
    o->policy = policy;
    o->paired_dram_gbs = 0;
    o->paired_gflops = 0;
    o->prompt = 0;
    if (mode && !strcmp(mode, "analytic"))
        o->mode = SIM_ANALYTIC;
    else if (mode && !strcmp(mode, "exact"))
        o->mode = SIM_EXACT;
    else if (mode)
        return lk_fail(e, LK_EINPUT, "--mode: '%s' is not exact or analytic", mode);
    sim_policy pol;
    if (policy && sim_policy_parse(policy, &pol, e))
        return lk_prefix(e, "--policy");
    if (policy && o->mode == SIM_ANALYTIC && pol != SIM_LRU)
        return lk_fail(e, LK_EINPUT, "--policy: '%s' needs --mode exact "
                       "(the analytic mode models LRU only)", policy);
    return LK_OK;
}

static int open_model(run *r, const sim_profile *p, const sim_opts *o,
                      lk_err *e)
{
    sim_level_cfg cfg[SIM_MAX_LEVELS];
    for (int l = 0; l < p->nlevels; l++)
        cfg[l] = p->level[l].cfg;
    if (o->policy) {
        sim_policy pol;
        int rc = sim_policy_parse(o->policy, &pol, e);
        if (rc)
            return rc;
        for (int l = 0; l < p->nlevels; l++)
            cfg[l].policy = pol;
    }
    int rc = o->mode == SIM_ANALYTIC ? sim_analytic_new(&r->ana, cfg, p->nlevels, e)
                                     : sim_cache_new(&r->cache, cfg, p->nlevels, SIM_SEED, e);
    return rc ? lk_prefix(e, "profile %s", p->name) : LK_OK;
}

static void fill_result(const run *r, const sim_trace *t, sim_result *res)
{
    memset(res, 0, sizeof *res);
    const sim_dram_stats *d = dram_stats(r);
    res->executed_layers = t->n_exec;
    res->weight_bytes = t->params.weight_bytes;
    for (int c = 0; c < SIM_CLASS_COUNT; c++) {
        res->dram_read_bytes += d->read_bytes[c];
        res->dram_write_bytes += d->write_bytes[c];
    }
    res->dram_weight_read_bytes = d->read_bytes[SIM_WEIGHTS];
    res->dram_kv_read_bytes = d->read_bytes[SIM_KV];
    res->dram_act_read_bytes = d->read_bytes[SIM_ACT];
    const sim_level_stats *s = level_stats(r, r->p->nlevels - 1);
    for (int c = 0; c < SIM_CLASS_COUNT; c++) {
        res->llc_accesses += s->accesses[c];
        res->llc_misses += s->misses[c];
    }
    /* nothing reached the last level: nothing missed there either */
    res->slc_hit_rate = res->llc_accesses
        ? 1.0 - (double)res->llc_misses / (double)res->llc_accesses : 1.0;
    for (int k = 0; k < ARCH_DTYPE_COUNT; k++)
        res->macs += r->token.macs[k];
    double seconds = r->seconds + sim_cost_fixed_seconds(r->p, t->n_exec);
    sim_energy en = sim_cost_energy(r->p, &r->token, seconds);
    res->energy_mj_per_token = en.total_mj;
    res->energy_dram_mj = en.dram_mj;
    res->energy_cache_mj = en.cache_mj;
    res->energy_mac_mj = en.mac_mj;
    res->energy_static_mj = en.static_mj;
    res->energy_dynamic_mj = en.dynamic_mj;
    res->energy_active_mj = en.active_mj;
    res->latency_ms_per_token = seconds * 1e3;
    res->latency_floor_ms = r->floor_seconds * 1e3;
    if (r->paired)
        res->latency_paired_ms =
            (r->paired_seconds + sim_cost_fixed_seconds(r->p, t->n_exec)) * 1e3;
}

/* The exact mode simulates every line a token touches, twice (warm-up,
 * then measured), at 50-100 M lines/s on one core: 2^36 bytes take about
 * 20-40 s (measured: 512 GB took 96 s for one pass). The largest
 * published model, 1.5B in f32 at context 2047, reads ~6 GB. */
#define EXACT_MAX_BYTES (UINT64_C(1) << 36)

/* Refuse an exact simulation that would run for many minutes: bytes =
 * the weights every executed layer reads plus the KV cache up to ctx. */
static int check_exact_size(const sim_trace *t, lk_err *e)
{
    uint64_t bytes = t->params.weight_read_bytes + t->params.kv_read_bytes;
    if (bytes > EXACT_MAX_BYTES)
        return lk_fail(e, LK_EINPUT, "--mode exact: %.0f GB per token to simulate line by "
                       "line (at most %.0f); use --mode analytic", (double)bytes / 1e9,
                       (double)EXACT_MAX_BYTES / 1e9);
    return LK_OK;
}

/* ---- time to first token (sim.h) ------------------------------------ */

/* One stage of the decode step as the prefill's closed form reads it. */
typedef struct {
    sim_op op;
    uint64_t weight_bytes; /* the weight bytes the stage reads */
    bool head;             /* rms_final or the classifier: last token only */
} pf_stage;

typedef struct {
    pf_stage *st;
    int64_t n;
} pf_list;

static void pf_begin(void *u, const sim_op *op)
{
    pf_list *l = u;
    l->st[l->n++] = (pf_stage){.op = *op};
}

static void pf_access(void *u, uint64_t addr, uint64_t bytes, bool write, sim_class cls)
{
    (void)addr;
    pf_list *l = u;
    if (cls == SIM_WEIGHTS && !write)
        l->st[l->n - 1].weight_bytes += bytes;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The traffic of stage st for a chunk of nt tokens at positions
 * pos .. pos+nt-1 (sim.h's table). */
static sim_traffic chunk_traffic(const arch_plan *pl, const pf_stage *st, int64_t pos,
                                 int64_t nt)
{
    sim_traffic d = {0};
    const sim_op *op = &st->op;
    if (op->kind == SIM_OP_ATTENTION) {
        const arch_spec *s = &pl->spec;
        int64_t len = pl->kv_len[op->layer];
        uint64_t row = 2 * (uint64_t)s->kv_heads * pl->kv_head_row;
        for (int64_t q = pos; q < pos + nt; q++)
            d.macs[op->dtype] += 2 * (uint64_t)(s->heads * s->head_dim) *
                                 (uint64_t)min64(q + 1, len);
        d.dram_bytes = (uint64_t)(min64(pos + nt, len) - nt) * row + (uint64_t)nt * row;
    } else {
        d.macs[op->dtype] = op->macs * (uint64_t)nt;
        /* the embedding reads one row per token, a matrix or norm once */
        d.dram_bytes = op->layer < 0 && !st->head ? st->weight_bytes * (uint64_t)nt
                                                  : st->weight_bytes;
    }
    return d;
}

/* The chunk of ref_prefill at position pos of an n-token prompt
 * (ARCH_PLAN_CHUNK in arch/plan.h): its tokens. */
static int64_t chunk_tokens(const arch_plan *pl, int64_t pos, int64_t n)
{
    int64_t ring = pl->spec.seq_len;
    for (int64_t l = 0; l < pl->n_exec; l++)
        ring = min64(ring, pl->kv_len[l]);
    int64_t nt = min64(n - pos, ARCH_PLAN_CHUNK);
    return pos + nt <= ring ? nt : ring - pos > 1 ? ring - pos : 1;
}

/* The time of stage st for m tokens of traffic d on profile p: a
 * mat-vec stage run for several tokens is a product (SIM_OP_MATMUL). */
static double stage_seconds(const sim_profile *p, const pf_stage *st, const sim_traffic *d,
                            int64_t m)
{
    double fixed = sim_cost_op_fixed_seconds(p, &st->op);
    sim_op_kind kind = st->op.kind == SIM_OP_MATVEC && m > 1 ? SIM_OP_MATMUL : st->op.kind;
    return sim_cost_seconds(p, d, kind, st->op.dtype, false) +
           (st->op.kind == SIM_OP_ATTENTION ? fixed * (double)m : fixed);
}

/* The prefill of o->prompt tokens into res (sim.h) and, when paired is
 * not NULL, its time on that profile too (res->ttft_paired_ms), from the
 * same traffic. */
static int prefill(const sim_trace *t, const sim_profile *p, const sim_profile *paired,
                   int64_t n, sim_result *res, lk_err *e)
{
    const arch_plan *pl = &t->plan;
    pf_list l = {.st = calloc((size_t)pl->n_stages, sizeof *l.st)};
    if (!l.st)
        return lk_fail(e, LK_ERUN, "out of memory");
    sim_trace_token(t, &(sim_sink){.u = &l, .op_begin = pf_begin, .access = pf_access});
    for (int64_t i = 0; i < l.n; i++)
        l.st[i].head = pl->stage[i].first >= pl->head_op;
    sim_traffic all = {0};
    double seconds = 0, paired_seconds = 0;
    int64_t chunks = 0;
    for (int64_t pos = 0, nt; pos < n; pos += nt, chunks++) {
        nt = chunk_tokens(pl, pos, n);
        bool last = pos + nt == n;
        for (int64_t i = 0; i < l.n; i++) {
            const pf_stage *st = &l.st[i];
            if (st->head && !last)
                continue;
            int64_t m = st->head ? 1 : nt;
            sim_traffic d = chunk_traffic(pl, st, pos + nt - m, m);
            seconds += stage_seconds(p, st, &d, m);
            if (paired)
                paired_seconds += stage_seconds(paired, st, &d, m);
            sim_traffic_add(&all, &d);
        }
        seconds += sim_cost_fixed_seconds(p, t->n_exec);
        if (paired)
            paired_seconds += sim_cost_fixed_seconds(paired, t->n_exec);
    }
    free(l.st);
    res->prompt = n;
    res->prefill_chunks = chunks;
    res->ttft_ms = seconds * 1e3;
    res->ttft_paired_ms = paired_seconds * 1e3;
    res->prefill_dram_bytes = all.dram_bytes;
    for (int k = 0; k < ARCH_DTYPE_COUNT; k++)
        res->prefill_macs += all.macs[k];
    res->prefill_energy_mj = sim_cost_energy(p, &all, seconds).total_mj;
    return LK_OK;
}

int sim_token(const arch_spec *s, const sim_profile *p, const sim_opts *o,
              sim_result *res, lk_err *e)
{
    sim_trace t;
    int rc = sim_trace_build(&t, s, e);
    if (rc)
        return rc;
    if (o->prompt > s->seq_len)
        rc = lk_fail(e, LK_EINPUT, "--prompt: %lld tokens, more than seq_len %lld",
                     (long long)o->prompt, (long long)s->seq_len);
    if (rc || (o->mode == SIM_EXACT && (rc = check_exact_size(&t, e)))) {
        sim_trace_free(&t);
        return rc;
    }
    /* couples with cost.c: latency_ms_per_token's DRAM term reads
     * dram_sustained_gbs and its compute term peak_gops, the fields
     * replaced here (the DRAM peak stays, for the floor) */
    sim_profile paired = *p;
    paired.dram_sustained_gbs = o->paired_dram_gbs;
    if (o->paired_gflops > 0) { /* the prefill's products slowed or sped alike */
        paired.matmul_gops[s->dtype] *= o->paired_gflops / p->peak_gops[s->dtype];
        paired.peak_gops[s->dtype] = o->paired_gflops;
    }
    run r = {.p = p, .paired = o->paired_dram_gbs > 0 ? &paired : NULL};
    if ((rc = open_model(&r, p, o, e))) {
        sim_trace_free(&t);
        return rc;
    }
    sim_sink k = {.u = &r, .op_begin = op_begin, .access = on_access, .op_end = op_end};
    sim_trace_token(&t, &k);
    if (r.cache)
        sim_cache_reset_stats(r.cache);
    else
        sim_analytic_reset_stats(r.ana);
    r.measure = true;
    sim_trace_token(&t, &k);
    if (r.ana)
        rc = sim_analytic_check(r.ana, e);
    if (!rc)
        fill_result(&r, &t, res);
    if (!rc && o->prompt > 0)
        rc = prefill(&t, p, r.paired, o->prompt, res, e);
    sim_cache_free(r.cache);
    sim_analytic_free(r.ana);
    sim_trace_free(&t);
    return rc;
}
