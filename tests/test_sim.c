/* test_sim.c -- per-token DRAM traffic against closed forms (issue 4),
 * the exact and analytic modes against each other, energy and latency
 * against their formulas, and `lanky sim`'s output contract.
 *
 * The model is tiny (4 blocks of 5,760 bytes = 90 lines of 64 bytes, f16,
 * KV rows of one line) so that every tensor, KV row and activation buffer
 * starts on a line of its own, a closed form counts whole lines, and a
 * fully associative cache of a few blocks stays within the exact
 * simulator's 255 ways. Profiles are written per test, sized in blocks. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../sim/cost.h"
#include "../sim/profile.h"
#include "../sim/trace.h"
#include "testutil.h"

#define T 2       /* ctx */
#define KVROW 64  /* K * hd * 2 bytes */
#define KVHEADS 2
#define LINE 64

static arch_spec spec_dtype(const char *share, const char *repeat, bool tied,
                            const char *layers, const char *dtype)
{
    char opts[256];
    snprintf(opts, sizeof opts,
             "dim=16 heads=2 head_dim=16 kv_heads=2 ffn_dim=16 vocab=32 dtype=%s "
             "seq_len=16 ctx=2 layers=%s share=%s tied=%d%s%s",
             dtype, layers, share, tied, repeat ? " repeat=" : "", repeat ? repeat : "");
    return tu_spec(opts);
}

static arch_spec spec_layers(const char *share, const char *repeat, bool tied,
                             const char *layers)
{
    return spec_dtype(share, repeat, tied, layers, "f16");
}

static arch_spec spec_with(const char *share, const char *repeat, bool tied)
{
    return spec_layers(share, repeat, tied, "4");
}

static uint64_t block_bytes(void)
{
    arch_spec s = spec_with("none", NULL, false);
    arch_params p;
    ck_assert(arch_params_count(&s, &p, NULL) == LK_OK);
    return p.block_bytes;
}

/* Test profiles: cache levels of 64-byte lines, each `bytes` big
 * (rounded down to whole line x assoc units), DRAM, compute peaks per
 * dtype, and the energy constants below. */
typedef struct {
    double dram_gbs, cache_gbs; /* cache_gbs: one_level()'s level */
    double peak[4];             /* GFLOP/s or GOP/s, per arch_dtype */
} rates;

#define PEAKS(x) {x, x, x, x}
static const rates plain = {50, 200, PEAKS(400)};

typedef struct {
    double bytes;
    int assoc; /* 0: fully associative */
    double gbs;
} level;

#define CACHE_PJ 2.0                                   /* per byte served */
static const double mac_pj[4] = {4, 1.5, 1.5, 0.25}; /* per arch_dtype */

static sim_profile *profile(const level *lv, int nlevels, const char *policy, rates r)
{
    static int n;
    char path[600], text[8192];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/p%d.ini", tu_tmpdir(), n++);
#define ADD(...)                                                              \
    do {                                                                      \
        len += (size_t)snprintf(text + len, sizeof text - len, __VA_ARGS__); \
        ck_assert(len < sizeof text);                                         \
    } while (0)
#define SRC(k) "\n" k ".source = test\n"
    ADD("[soc]\nname = test\n");
    for (int i = 0; i < nlevels; i++) {
        uint64_t unit = LINE * (uint64_t)(lv[i].assoc ? lv[i].assoc : 1);
        uint64_t size = (uint64_t)lv[i].bytes / unit * unit;
        ADD("[cache%d]\nsize_kb = %.10g" SRC("size_kb") "line_bytes = %d" SRC("line_bytes")
            "assoc = %d" SRC("assoc") "policy = %s" SRC("policy")
            "bandwidth_gbs = %g" SRC("bandwidth_gbs")
            "energy_pj_per_byte = %g" SRC("energy_pj_per_byte"),
            i + 1, size / 1024.0, LINE, lv[i].assoc, policy, lv[i].gbs, CACHE_PJ);
    }
    ADD("[dram]\ncapacity_gb = 4" SRC("capacity_gb") "bandwidth_gbs = %g" SRC("bandwidth_gbs")
        "app_budget = 0.1" SRC("app_budget") "energy_pj_per_bit = 5" SRC("energy_pj_per_bit")
        "[compute]\ngflops_f32 = %g" SRC("gflops_f32") "gflops_f16 = %g" SRC("gflops_f16")
        "gflops_bf16 = %g" SRC("gflops_bf16") "gops_int8 = %g" SRC("gops_int8")
        "[energy]\nmac_pj_f32 = %g" SRC("mac_pj_f32") "mac_pj_f16 = %g" SRC("mac_pj_f16")
        "mac_pj_bf16 = %g" SRC("mac_pj_bf16") "mac_pj_int8 = %g" SRC("mac_pj_int8")
        "static_mw = 100" SRC("static_mw"),
        r.dram_gbs, r.peak[ARCH_F32], r.peak[ARCH_F16], r.peak[ARCH_BF16], r.peak[ARCH_INT8],
        mac_pj[ARCH_F32], mac_pj[ARCH_F16], mac_pj[ARCH_BF16], mac_pj[ARCH_INT8]);
#undef SRC
#undef ADD
    tu_write(path, text);
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, path, &e) == LK_OK, "%s", e.msg);
    return p;
}

static sim_profile *one_level(double bytes, int assoc, const char *policy, rates r)
{
    return profile(&(level){bytes, assoc, r.cache_gbs}, 1, policy, r);
}

static sim_result simulate(const arch_spec *s, const sim_profile *p,
                           sim_mode mode, const char *policy)
{
    sim_opts o = {.mode = mode, .policy = policy};
    sim_result r;
    lk_err e = {0};
    ck_assert_msg(sim_token(s, p, &o, &r, &e) == LK_OK, "%s", e.msg);
    return r;
}

/* Weight bytes a token reads when nothing is reused: every executed
 * layer's block, the final norm, the classifier and the line holding
 * embedding row 0 (32 bytes). */
static uint64_t streamed(const arch_spec *s)
{
    uint64_t E = (uint64_t)arch_executed_layers(s), es = 2;
    uint64_t cls = (uint64_t)s->vocab * s->dim * es;
    return E * block_bytes() + 4 * (uint64_t)s->dim + cls + LINE;
}

static const char *const shares[][2] = {
    {"none", NULL}, {"immediate", "2"}, {"repeat-all-over", "2"}, {"reverse", "2"},
    {"immediate", "3"}, {"repeat-all-over", "3"},
};
#define NSHARES (int)(sizeof shares / sizeof shares[0])

/* With no cache to speak of (4 lines), every executed weight byte comes
 * from DRAM: for an unshared model, the spec's weight bytes with the
 * embedding read as one row (untied) or one row more (tied), the row
 * rounded to its line. KV: t rows of K and of V per layer, plus the
 * write-allocate fill of position t: in the head-major cache each kv
 * head's part of it (32 bytes) lies in a line of its own. */
START_TEST(no_cache)
{
    sim_profile *p = one_level(256, 0, "lru", plain);
    arch_spec none = spec_with("none", NULL, false), tied = spec_with("none", NULL, true);
    arch_params pn, pt;
    ck_assert(arch_params_count(&none, &pn, NULL) == LK_OK);
    ck_assert(arch_params_count(&tied, &pt, NULL) == LK_OK);
    uint64_t row = LINE, emb = 32 * 16 * 2;
    for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
        sim_result r = simulate(&none, p, m, NULL);
        ck_assert_uint_eq(r.dram_weight_read_bytes, pn.weight_bytes - emb + row);
        r = simulate(&tied, p, m, NULL);
        ck_assert_uint_eq(r.dram_weight_read_bytes, pt.weight_bytes + row);
        for (int i = 0; i < NSHARES; i++) {
            arch_spec s = spec_with(shares[i][0], shares[i][1], false);
            r = simulate(&s, p, m, NULL);
            ck_assert_uint_eq(r.dram_weight_read_bytes, streamed(&s));
            uint64_t E = (uint64_t)arch_executed_layers(&s);
            ck_assert_uint_eq(r.dram_kv_read_bytes, 2 * E * T * KVROW + 2 * E * KVHEADS * LINE);
            ck_assert_uint_eq(r.executed_layers, (int64_t)E);
        }
    }
    /* weights are not reused within 4 lines: no policy can keep them */
    arch_spec s = spec_with("reverse", NULL, false);
    static const char *const pol[] = {"random", "srrip"};
    for (int i = 0; i < 2; i++)
        ck_assert_uint_eq(simulate(&s, p, SIM_EXACT, pol[i]).dram_weight_read_bytes,
                          streamed(&s));
    sim_profile_free(p);
}
END_TEST

/* A last level that holds 2.8 blocks but not the 4-block model:
 * immediate sharing reads each weight byte once per token, whatever R;
 * repeat-all-over reads it R times; reverse saves the two blocks the
 * cache holds at each turn. Reverse with R = 2 turns twice per token in
 * steady state: at the last block (..., 5, 5, ...) and across the token
 * boundary (..., 1, 0 | 0, 1, ...), where only the final norm, the
 * classifier and the embedding row run in between. With 6 blocks it
 * reads 12 - 2 - 2 blocks. Fully associative LRU (252 lines), in both
 * modes: with so few sets a set-associative cache adds conflict misses. */
START_TEST(block_fits)
{
    uint64_t B = block_bytes();
    sim_profile *p = one_level(2.8 * B, 0, "lru", plain);
    arch_spec none = spec_with("none", NULL, false);
    uint64_t once = streamed(&none), rest = once - 4 * B;
    for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
        for (int R = 2; R <= 3; R++) {
            char rs[16];
            snprintf(rs, sizeof rs, "%d", R);
            arch_spec imm = spec_with("immediate", rs, false);
            arch_spec rao = spec_with("repeat-all-over", rs, false);
            ck_assert_uint_eq(simulate(&imm, p, m, NULL).dram_weight_read_bytes, once);
            ck_assert_uint_eq(simulate(&rao, p, m, NULL).dram_weight_read_bytes,
                              R * 4 * B + rest);
        }
        arch_spec rev = spec_layers("reverse", "2", false, "6");
        ck_assert_uint_eq(simulate(&rev, p, m, NULL).dram_weight_read_bytes,
                          2 * 6 * B + rest - 2 * 2 * B);
    }
    sim_profile_free(p);
}
END_TEST

/* A block larger than the cache: under LRU the second run of a block
 * finds nothing of it, so immediate sharing reads as much as
 * repeat-all-over. */
START_TEST(block_too_big)
{
    uint64_t B = block_bytes();
    sim_profile *p = one_level(0.5 * B, 0, "lru", plain);
    arch_spec imm = spec_with("immediate", "2", false);
    arch_spec rao = spec_with("repeat-all-over", "2", false);
    for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
        uint64_t a = simulate(&imm, p, m, NULL).dram_weight_read_bytes;
        ck_assert_uint_eq(a, simulate(&rao, p, m, NULL).dram_weight_read_bytes);
        ck_assert_uint_eq(a, streamed(&imm));
    }
    sim_profile_free(p);
}
END_TEST

/* On a fully associative LRU level with line-aligned ranges the analytic
 * model is exact: every counter agrees with the line-by-line cache. */
START_TEST(modes_agree)
{
    uint64_t B = block_bytes();
    const double sizes[] = {256, 0.5 * B, 1.2 * B, 2.8 * B, 40.0 * B};
    for (int z = 0; z < 5; z++) {
        /* the last holds the whole model: 16 ways, as 255 ways are the
         * exact simulator's limit, and 40 blocks big so that no set of
         * the head-major KV cache and the weights overflows */
        sim_profile *p = one_level(sizes[z], z == 4 ? 16 : 0, "lru", plain);
        for (int i = 0; i < NSHARES; i++) {
            arch_spec s = spec_with(shares[i][0], shares[i][1], false);
            sim_result x = simulate(&s, p, SIM_EXACT, NULL);
            sim_result a = simulate(&s, p, SIM_ANALYTIC, NULL);
            ck_assert_msg(x.dram_read_bytes == a.dram_read_bytes &&
                              x.dram_write_bytes == a.dram_write_bytes &&
                              x.dram_weight_read_bytes == a.dram_weight_read_bytes &&
                              x.dram_kv_read_bytes == a.dram_kv_read_bytes &&
                              x.dram_act_read_bytes == a.dram_act_read_bytes &&
                              x.llc_accesses == a.llc_accesses &&
                              x.llc_misses == a.llc_misses,
                          "cache %.0f B, %s x%s: exact %llu/%llu read/write, "
                          "analytic %llu/%llu",
                          sizes[z], shares[i][0], shares[i][1] ? shares[i][1] : "1",
                          (unsigned long long)x.dram_read_bytes,
                          (unsigned long long)x.dram_write_bytes,
                          (unsigned long long)a.dram_read_bytes,
                          (unsigned long long)a.dram_write_bytes);
            if (z == 4) /* the whole model fits: steady state needs no DRAM */
                ck_assert(x.dram_read_bytes == 0 && x.dram_write_bytes == 0);
        }
        sim_profile_free(p);
    }
}
END_TEST

/* Energy is the sum of its four terms with the profile's constants;
 * latency is DRAM bytes / bandwidth when everything else is free, and
 * 2 MACs / peak when memory is free. */
START_TEST(energy_latency)
{
    arch_spec s = spec_with("immediate", "2", false);
    sim_profile *p = one_level(0.5 * block_bytes(), 0, "lru", plain);
    sim_result r = simulate(&s, p, SIM_EXACT, NULL);
    double dram = (double)(r.dram_read_bytes + r.dram_write_bytes);
    ck_assert(fabs(r.energy_dram_mj - dram * 8 * 5e-9) < 1e-12);
    ck_assert(fabs(r.energy_mac_mj - (double)r.macs * 1.5e-9) < 1e-12);
    ck_assert(fabs(r.energy_static_mj - 100 * r.latency_ms_per_token / 1e3) < 1e-12);
    ck_assert(fabs(r.energy_mj_per_token - (r.energy_dram_mj + r.energy_cache_mj +
                                            r.energy_mac_mj + r.energy_static_mj)) < 1e-12);
    /* the roofline: never faster than the aggregate bounds */
    ck_assert(r.latency_ms_per_token * 1e-3 >= dram / 50e9 * (1 - 1e-12));
    ck_assert(r.latency_ms_per_token * 1e-3 >= 2.0 * r.macs / 400e9 * (1 - 1e-12));
    sim_profile_free(p);

    p = one_level(0.5 * block_bytes(), 0, "lru", (rates){50, 1e12, PEAKS(1e12)});
    r = simulate(&s, p, SIM_ANALYTIC, NULL);
    dram = (double)(r.dram_read_bytes + r.dram_write_bytes);
    ck_assert(fabs(r.latency_ms_per_token * 1e-3 / (dram / 50e9) - 1) < 1e-9);
    sim_profile_free(p);

    p = one_level(0.5 * block_bytes(), 0, "lru", (rates){1e12, 1e12, PEAKS(3)});
    r = simulate(&s, p, SIM_ANALYTIC, NULL);
    ck_assert(fabs(r.latency_ms_per_token * 1e-3 / (2.0 * r.macs / 3e9) - 1) < 1e-9);
    sim_profile_free(p);
}
END_TEST

/* The trace of one token, handed to sink k. */
static void trace_token(const arch_spec *s, sim_sink k)
{
    sim_trace t;
    lk_err e = {0};
    ck_assert_msg(sim_trace_build(&t, s, &e) == LK_OK, "%s", e.msg);
    sim_trace_token(&t, &k);
    sim_trace_free(&t);
}

static void add_lines(void *u, uint64_t addr, uint64_t bytes, bool write, sim_class cls)
{
    (void)write;
    (void)cls;
    *(uint64_t *)u += (addr + bytes - 1) / LINE - addr / LINE + 1;
}

/* Lines the trace of one token touches, access by access: what a cache
 * that holds the whole model serves in steady state. */
static uint64_t token_lines(const arch_spec *s)
{
    uint64_t n = 0;
    trace_token(s, (sim_sink){.u = &n, .access = add_lines});
    return n;
}

/* One level that holds the whole model: 40 blocks, 16 ways (modes_agree). */
static sim_profile *whole_model(rates r)
{
    return one_level(40.0 * block_bytes(), 16, "lru", r);
}

/* A level that served `bytes` to a token, with DRAM and compute free:
 * its energy is bytes x pJ/byte, and its bandwidth (GB/s) alone sets the
 * latency, bytes / bandwidth. */
static void check_served(const sim_result *r, double bytes, double gbs, const char *what)
{
    ck_assert_msg(bytes > 0, "%s: nothing served", what);
    ck_assert_msg(fabs(r->energy_cache_mj / (bytes * CACHE_PJ * 1e-9) - 1) < 1e-12,
                  "%s: cache energy %.10g mJ for %.0f bytes", what, r->energy_cache_mj, bytes);
    ck_assert_msg(fabs(r->latency_ms_per_token / (bytes / (gbs * 1e9) * 1e3) - 1) < 1e-9,
                  "%s: latency %.10g ms for %.0f bytes at %g GB/s", what,
                  r->latency_ms_per_token, bytes, gbs);
}

/* The cache terms of cost.h by closed form, on a slow cache with free DRAM
 * and compute. A level that holds the whole model serves every line of the
 * token's trace (counted from the trace itself) and DRAM nothing; a level
 * of 4 lines serves its hits, llc_accesses - llc_misses lines. */
START_TEST(cache_energy_bandwidth)
{
    const rates slow_cache = {1e12, 1, PEAKS(1e12)};
    sim_profile *all = whole_model(slow_cache), *tiny = one_level(256, 0, "lru", slow_cache);
    for (int i = 0; i < NSHARES; i++) {
        arch_spec s = spec_with(shares[i][0], shares[i][1], false);
        for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
            sim_result r = simulate(&s, all, m, NULL);
            ck_assert(r.dram_read_bytes == 0 && r.dram_write_bytes == 0);
            check_served(&r, (double)token_lines(&s) * LINE, slow_cache.cache_gbs,
                         "whole model");
            r = simulate(&s, tiny, m, NULL);
            check_served(&r, (double)(r.llc_accesses - r.llc_misses) * LINE,
                         slow_cache.cache_gbs, "4 lines");
        }
    }
    sim_profile_free(all);
    sim_profile_free(tiny);
}
END_TEST

/* Each operation computes in its own type (cost.h): with memory free, a
 * token takes 2 MACs / that type's peak and spends MACs x its pJ/MAC.
 * MACs by closed form: the mat-vecs (q, k, v, o and SwiGLU's three per
 * executed layer, the classifier) run in the model's dtype, attention
 * (2 * H * hd per position, t + 1 positions) in its KV cache's: f32 for
 * f32, f16 for int8 (W8A8), bf16 for bf16. Every type has its own peak. */
START_TEST(compute_per_dtype)
{
    const rates r = {1e12, 1e12, {[ARCH_F32] = 2, [ARCH_F16] = 8, [ARCH_BF16] = 5,
                                  [ARCH_INT8] = 32}};
    static const struct {
        const char *name;
        arch_dtype matvec, attention;
    } types[] = {{"f32", ARCH_F32, ARCH_F32}, {"int8", ARCH_INT8, ARCH_F16},
                 {"bf16", ARCH_BF16, ARCH_BF16}};
    sim_profile *p = whole_model(r);
    for (int i = 0; i < 3; i++) {
        arch_spec s = spec_dtype("none", NULL, false, "4", types[i].name);
        uint64_t E = (uint64_t)arch_executed_layers(&s), d = (uint64_t)s.dim;
        uint64_t q = (uint64_t)(s.heads * s.head_dim), kv = (uint64_t)(s.kv_heads * s.head_dim);
        uint64_t mv = E * (2 * d * q + 2 * d * kv + 3 * d * (uint64_t)s.ffn_dim) +
                      (uint64_t)s.vocab * d;
        uint64_t att = E * 2 * q * (uint64_t)(s.ctx + 1);
        arch_dtype tm = types[i].matvec, ta = types[i].attention;
        sim_result res = simulate(&s, p, SIM_ANALYTIC, NULL);
        ck_assert_uint_eq(res.macs, mv + att);
        double ms = (2.0 * mv / r.peak[tm] + 2.0 * att / r.peak[ta]) / 1e9 * 1e3;
        ck_assert_msg(fabs(res.latency_ms_per_token / ms - 1) < 1e-9, "%s: %.10g ms, want %.10g",
                      types[i].name, res.latency_ms_per_token, ms);
        double mj = ((double)mv * mac_pj[tm] + (double)att * mac_pj[ta]) * 1e-9;
        ck_assert_msg(fabs(res.energy_mac_mj / mj - 1) < 1e-12, "%s: %.10g mJ, want %.10g",
                      types[i].name, res.energy_mac_mj, mj);
    }
    sim_profile_free(p);
}
END_TEST

/* cost.h's operation time by closed form, on a profile built here: the
 * bytes of each level and of DRAM add up, each at its sustained rate
 * times the efficiency of the operation's kind (a mat-vec's per weight
 * type, attention's; none for a norm); the floor is the slowest of them
 * at the peaks, and the compute time wins where it is longer. */
START_TEST(cost_levels_add_with_efficiency)
{
    sim_profile p = {.nlevels = 2, .dram_bandwidth_gbs = 60, .dram_sustained_gbs = 30};
    p.level[0].bandwidth_gbs = 400, p.level[0].sustained_gbs = 200;
    p.level[1].bandwidth_gbs = 100, p.level[1].sustained_gbs = 50;
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++) {
        p.peak_gops[d] = 1e6;
        for (int l = 0; l < 2; l++)
            p.level[l].eff.matvec[d] = 1;
        p.dram_eff.matvec[d] = 1;
    }
    p.level[0].eff.attention = 1;
    p.level[1].eff.matvec[ARCH_F16] = 0.5, p.level[1].eff.attention = 0.25;
    p.dram_eff.matvec[ARCH_F16] = 0.8, p.dram_eff.attention = 0.4;
    sim_traffic op = {.served = {1e6, 2e6}, .dram_bytes = 3e6};
    double mv = 1e6 / 200e9 + 2e6 / (50e9 * 0.5) + 3e6 / (30e9 * 0.8);
    double att = 1e6 / 200e9 + 2e6 / (50e9 * 0.25) + 3e6 / (30e9 * 0.4);
    double other = 1e6 / 200e9 + 2e6 / 50e9 + 3e6 / 30e9;
    double f32 = other; /* the f32 mat-vec's efficiencies are all 1 */
    double floor = fmax(fmax(1e6 / 400e9, 2e6 / 100e9), 3e6 / 60e9);
    ck_assert(fabs(sim_cost_seconds(&p, &op, SIM_OP_MATVEC, ARCH_F16, false) / mv - 1) < 1e-12);
    ck_assert(fabs(sim_cost_seconds(&p, &op, SIM_OP_MATVEC, ARCH_F32, false) / f32 - 1) < 1e-12);
    ck_assert(fabs(sim_cost_seconds(&p, &op, SIM_OP_ATTENTION, ARCH_F16, false) / att - 1) <
              1e-12);
    ck_assert(fabs(sim_cost_seconds(&p, &op, SIM_OP_OTHER, ARCH_F16, false) / other - 1) <
              1e-12);
    for (int k = SIM_OP_MATVEC; k <= SIM_OP_OTHER; k++)
        ck_assert(fabs(sim_cost_seconds(&p, &op, k, ARCH_F16, true) / floor - 1) < 1e-12);
    op.macs[ARCH_F16] = 1e9; /* 2e9 ops at 1e12/s: 2 ms, 10x the memory terms */
    p.peak_gops[ARCH_F16] = 1e3;
    ck_assert(fabs(sim_cost_seconds(&p, &op, SIM_OP_MATVEC, ARCH_F16, false) / 2e-3 - 1) <
              1e-12);
}
END_TEST

/* slc_hit_rate is hits / accesses at the last level (sim.h): 1 when it
 * holds the whole model (in steady state nothing misses); 0 when it is
 * no larger than the level inside it (in the reuse-distance model what
 * that level lost, the last one lost too); in between, 1 - llc_misses /
 * llc_accesses. */
START_TEST(slc_hit_rate)
{
    double B = (double)block_bytes();
    sim_profile *all = whole_model(plain), *half = one_level(0.5 * B, 0, "lru", plain);
    const level twins[2] = {{0.5 * B, 0, 200}, {0.5 * B, 0, 200}};
    sim_profile *same = profile(twins, 2, "lru", plain);
    for (int i = 0; i < NSHARES; i++) {
        arch_spec s = spec_with(shares[i][0], shares[i][1], false);
        for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
            sim_result r = simulate(&s, all, m, NULL);
            ck_assert(r.llc_accesses > 0 && r.llc_misses == 0);
            ck_assert_double_eq(r.slc_hit_rate, 1.0);
            r = simulate(&s, half, m, NULL);
            ck_assert(r.llc_misses > 0 && r.llc_misses < r.llc_accesses);
            ck_assert_double_eq_tol(r.slc_hit_rate,
                                    1 - (double)r.llc_misses / (double)r.llc_accesses, 1e-12);
        }
        sim_result r = simulate(&s, same, SIM_ANALYTIC, NULL);
        ck_assert(r.llc_accesses > 0);
        ck_assert_double_eq(r.slc_hit_rate, 0.0);
    }
    sim_profile_free(all);
    sim_profile_free(half);
    sim_profile_free(same);
}
END_TEST

/* The distinct lines (of 2^shift bytes) a token writes. */
typedef struct {
    uint64_t *line;
    size_t n, cap;
    unsigned shift;
} written;

static void note_written(void *u, uint64_t addr, uint64_t bytes, bool write, sim_class cls)
{
    written *w = u;
    (void)cls;
    for (uint64_t l = addr >> w->shift; write && l <= (addr + bytes - 1) >> w->shift; l++) {
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 4096;
            w->line = realloc(w->line, w->cap * sizeof *w->line);
            ck_assert_ptr_nonnull(w->line);
        }
        w->line[w->n++] = l;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Bytes of the lines one token dirties (the new K and V entries, the
 * activation buffers, the logits), from its trace. */
static uint64_t dirtied_bytes(const arch_spec *s, uint32_t line_bytes)
{
    written w = {.shift = (unsigned)__builtin_ctz(line_bytes)};
    trace_token(s, (sim_sink){.u = &w, .access = note_written});
    qsort(w.line, w.n, sizeof *w.line, cmp_u64);
    uint64_t distinct = 0;
    for (size_t i = 0; i < w.n; i++)
        distinct += i == 0 || w.line[i] != w.line[i - 1];
    free(w.line);
    return distinct * line_bytes;
}

static void close_to(const char *where, const char *what, double analytic, double exact,
                     double tol, double scale)
{
    ck_assert_msg(fabs(analytic - exact) <= tol * scale,
                  "%s: %s analytic %.10g, exact %.10g: more than %g x %.10g apart", where,
                  what, analytic, exact, tol, scale);
}

/* The analytic mode against the exact one on the shipped profiles, to the
 * accuracy README.md states for the published models: DRAM bytes read
 * within 0.2%, bytes written within 0.2% of the bytes read, energy and
 * latency within 0.75% (both add up the levels' bytes). And a closed
 * form for the writes: the classifier (37 MB and more) flushes every
 * cache level once a token, so the analytic mode writes each line the token dirties back to DRAM at
 * least once a token: exactly once where a layer (block and KV cache)
 * stays in the profile's largest level, more often where it does not
 * (the activations leave it every layer). slc_hit_rate is 1 - llc_misses
 * / llc_accesses in both modes. The exact mode of a preset on four
 * profiles takes seconds under the sanitizers: MobileLLM-125M runs on
 * all, 350M (19.7 MB blocks) on a 24 MB and a 12 MB largest level. */
START_TEST(shipped_profiles)
{
    static const struct {
        const char *preset, *soc;
        bool layer_fits;
    } cases[] = {
        {"mobilellm-125m", "a15", true},    {"mobilellm-125m", "a16", true},
        {"mobilellm-125m", "pixel8", true}, {"mobilellm-125m", "snapdragon8", true},
        {"mobilellm-350m", "a16", true},    {"mobilellm-350m", "snapdragon8", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char opts[64], where[96];
        snprintf(opts, sizeof opts, "preset=%s", cases[i].preset);
        snprintf(where, sizeof where, "%s on %s", cases[i].preset, cases[i].soc);
        arch_spec s = tu_spec(opts);
        sim_profile *p;
        lk_err e = {0};
        ck_assert_msg(sim_profile_load(&p, cases[i].soc, &e) == LK_OK, "%s", e.msg);
        sim_result x = simulate(&s, p, SIM_EXACT, NULL);
        sim_result a = simulate(&s, p, SIM_ANALYTIC, NULL);
        double read = (double)x.dram_read_bytes;
        close_to(where, "DRAM read", (double)a.dram_read_bytes, read, 0.002, read);
        close_to(where, "DRAM write", (double)a.dram_write_bytes, (double)x.dram_write_bytes,
                 0.002, read);
        close_to(where, "energy", a.energy_mj_per_token, x.energy_mj_per_token, 0.0075,
                 x.energy_mj_per_token);
        close_to(where, "latency", a.latency_ms_per_token, x.latency_ms_per_token, 0.0075,
                 x.latency_ms_per_token);
        uint64_t dirtied = dirtied_bytes(&s, p->level[p->nlevels - 1].cfg.line_bytes);
        ck_assert_msg(cases[i].layer_fits ? a.dram_write_bytes == dirtied
                                          : a.dram_write_bytes > dirtied,
                      "%s: analytic writes %llu, the token dirties %llu", where,
                      (unsigned long long)a.dram_write_bytes, (unsigned long long)dirtied);
        const sim_result *both[2] = {&x, &a};
        for (int k = 0; k < 2; k++)
            ck_assert_double_eq_tol(both[k]->slc_hit_rate,
                                    1 - (double)both[k]->llc_misses /
                                            (double)both[k]->llc_accesses, 1e-12);
        sim_profile_free(p);
    }
}
END_TEST

/* Issue 14's sustained model in closed form: with cache and compute
 * free, latency = DRAM bytes / sustained bandwidth + layer_fixed_us x
 * executed layers, the floor = DRAM bytes / peak bandwidth, active
 * energy = active_mw x latency, and the total is dynamic + active +
 * static. */
START_TEST(sustained_closed_form)
{
    arch_spec s = spec_with("immediate", "2", false);
    sim_profile *p = one_level(0.5 * block_bytes(), 0, "lru", (rates){50, 1e12, PEAKS(1e12)});
    p->dram_sustained_gbs = 20;
    p->layer_fixed_us = 30;
    p->active_mw = 2000;
    sim_result r = simulate(&s, p, SIM_ANALYTIC, NULL);
    double dram = (double)(r.dram_read_bytes + r.dram_write_bytes);
    ck_assert_int_eq(r.executed_layers, 8); /* 4 blocks x 2 */
    double want_s = dram / 20e9 + 30e-6 * 8;
    ck_assert_msg(fabs(r.latency_ms_per_token * 1e-3 / want_s - 1) < 1e-9, "%.10g ms",
                  r.latency_ms_per_token);
    ck_assert(fabs(r.latency_floor_ms * 1e-3 / (dram / 50e9) - 1) < 1e-9);
    ck_assert(fabs(r.energy_active_mj - 2000 * want_s) < 1e-9);
    ck_assert(fabs(r.energy_static_mj - 100 * want_s) < 1e-9);
    ck_assert(fabs(r.energy_dynamic_mj - (r.energy_dram_mj + r.energy_cache_mj +
                                          r.energy_mac_mj)) < 1e-12);
    ck_assert(fabs(r.energy_mj_per_token - (r.energy_dynamic_mj + r.energy_active_mj +
                                            r.energy_static_mj)) < 1e-12);
    sim_profile_free(p);
}
END_TEST

/* The fixed costs of cost.h by closed form, with memory and compute
 * free: each executed layer makes four passes of mat-vecs over the
 * reference's pool (wq wk wv together, wo, w1 w3 together, w2: ref/model.c
 * runs a run of mat-vecs on one input as one pass) and the classifier
 * one more, each attention walks kv_heads heads, and each layer costs
 * layer_fixed_us; the floor has none of them. */
START_TEST(fixed_costs_closed_form)
{
    const char *const shares[][2] = {{"none", NULL}, {"immediate", "2"}};
    for (int i = 0; i < 2; i++) {
        arch_spec s = spec_with(shares[i][0], shares[i][1], false);
        sim_profile *p = one_level(0.5 * block_bytes(), 0, "lru", (rates){1e12, 1e12, PEAKS(1e12)});
        p->matvec_fixed_us = 3;
        p->attention_head_us = 0.5;
        p->layer_fixed_us = 7;
        sim_result r = simulate(&s, p, SIM_ANALYTIC, NULL);
        double E = (double)r.executed_layers, K = (double)s.kv_heads;
        double want_us = 3 * (4 * E + 1) + 0.5 * E * K + 7 * E;
        ck_assert_msg(fabs(r.latency_ms_per_token * 1e3 / want_us - 1) < 1e-3,
                      "%s: %.6g us, want %.6g", shares[i][0], r.latency_ms_per_token * 1e3,
                      want_us);
        ck_assert(r.latency_floor_ms * 1e3 < 0.01 * want_us);
        sim_profile_free(p);
    }
}
END_TEST

/* latency_floor_ms <= latency_ms_per_token for every shipped profile
 * (hw-profiles/\*.ini) and every preset: sustained <= peak in each. */
START_TEST(floor_below_latency)
{
    DIR *d = opendir(tu_path("hw-profiles"));
    ck_assert(d != NULL);
    int nprof = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".ini") || !strcmp(de->d_name, "host.ini"))
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", tu_path("hw-profiles"), de->d_name);
        sim_profile *p;
        lk_err e = {0};
        ck_assert_msg(sim_profile_load(&p, path, &e) == LK_OK, "%s", e.msg);
        nprof++;
        ck_assert(p->dram_sustained_gbs <= p->dram_bandwidth_gbs);
        for (const char *const *pre = arch_spec_preset_names(); *pre; pre++) {
            char opts[128];
            snprintf(opts, sizeof opts, "preset=%s", *pre);
            arch_spec s = tu_spec(opts);
            sim_result r = simulate(&s, p, SIM_ANALYTIC, NULL);
            ck_assert_msg(r.latency_floor_ms > 0 &&
                          r.latency_floor_ms <= r.latency_ms_per_token,
                          "%s %s: floor %.6f ms, latency %.6f ms", de->d_name, *pre,
                          r.latency_floor_ms, r.latency_ms_per_token);
        }
        sim_profile_free(p);
    }
    closedir(d);
    ck_assert_int_ge(nprof, 4);
}
END_TEST

/* The shipped sustained figures reproduce the measurements they were
 * derived from (hw-profiles/SOURCES.md, typed here by hand): MobileLLM-125M
 * f16 on the iPhone 13 executes in 15.6 ms (paper Table 7), Llama-3.2-1B
 * bf16 on the OnePlus 12 decodes at 19.2 tok/s (ExecuTorch README), and
 * the held-out MobileLLM-LS-125M (16.0 ms) is within 10%. */
START_TEST(sustained_reproduces_measurements)
{
    static const struct {
        const char *profile, *spec;
        double measured_ms, tolerance;
    } m[] = {
        {"a15", "preset=mobilellm-125m", 15.6, 0.005},
        {"a15", "preset=mobilellm-ls-125m", 16.0, 0.10},
        {"snapdragon8", "layers=16 dim=2048 heads=32 kv_heads=8 ffn_dim=8192 vocab=128256 "
                        "tied=1 dtype=bf16 ctx=64", 1e3 / 19.2, 0.005},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        sim_profile *p;
        lk_err e = {0};
        ck_assert_msg(sim_profile_load(&p, m[i].profile, &e) == LK_OK, "%s", e.msg);
        arch_spec s = tu_spec(m[i].spec);
        sim_result r = simulate(&s, p, SIM_ANALYTIC, NULL);
        ck_assert_msg(fabs(r.latency_ms_per_token / m[i].measured_ms - 1) < m[i].tolerance,
                      "%s %s: %.3f ms, measured %.3f", m[i].profile, m[i].spec,
                      r.latency_ms_per_token, m[i].measured_ms);
        ck_assert(r.latency_floor_ms < 0.7 * r.latency_ms_per_token);
        sim_profile_free(p);
    }
}
END_TEST

/* reports/phone-accuracy.sh: the columns reports/accuracy.c reads, one
 * row per published measurement, error_pct recomputed here from the
 * row's own figures; the rows a sustained figure was derived from
 * reproduce it (< 0.5%), the held-out ones meet issue 14's 25% but for
 * the int4 ones, whose known gap is pinned, and the floor is at most the
 * prediction. A row naming no profile stops it
 * with the row's line and writes no file. */
START_TEST(phone_accuracy_script)
{
    char *bin = realpath(getenv("LANKY_BIN"), NULL), cmd[8192], path[700], *err;
    ck_assert_ptr_nonnull(bin);
    snprintf(cmd, sizeof cmd, "cd %s && sh reports/phone-accuracy.sh %s %s",
             tu_path(""), bin, tu_tmpdir());
    ck_assert_int_eq(tu_sh(cmd, NULL, &err), 0);
    free(err);
    snprintf(path, sizeof path, "%s/accuracy_phone.csv", tu_tmpdir());
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "profile,model,dtype,measured_ms,predicted_ms,floor_ms,"
                           "error_pct,calibrated,source\n");
    int rows = 0, held = 0;
    while (fgets(line, sizeof line, f)) {
        char prof[32], model[128], dtype[8], cal[8], src[32];
        double meas, pred, floor_ms, err_pct;
        ck_assert_msg(sscanf(line, "%31[^,],%127[^,],%7[^,],%lf,%lf,%lf,%lf,%7[^,],%31s",
                             prof, model, dtype, &meas, &pred, &floor_ms, &err_pct, cal,
                             src) == 9, "%s", line);
        rows++;
        ck_assert_msg(fabs(err_pct - (pred - meas) / meas * 100) < 0.06, "%s", line);
        ck_assert_msg(floor_ms > 0 && floor_ms <= pred, "%s", line);
        bool fit = !strcmp(cal, "yes");
        ck_assert(fit || !strcmp(cal, "no"));
        held += !fit;
        /* the int4 row with an int4 classifier (MNN's): a known gap, fast
         * by a quarter (unpacking costs the CPU time the profile does not
         * charge, hw-profiles/SOURCES.md); this fails when it grows, or
         * shrinks without the README saying. The rows whose classifier is
         * int8 (--embed-dtype) meet the 25% */
        if (!fit && !strcmp(dtype, "int4") && strstr(src, "MNN"))
            ck_assert_msg(err_pct > -30 && err_pct < -20, "%s", line);
        else
            ck_assert_msg(fabs(err_pct) < (fit ? 0.5 : 25), "%s", line);
    }
    fclose(f);
    ck_assert_int_ge(rows, 4);
    ck_assert_int_ge(held, 2);

    char dir[600];
    snprintf(dir, sizeof dir, "%s/phonebad", tu_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p %s/hw-profiles %s/out && printf '%%s\\n' "
             "'profile,model,preset,layers,dim,heads,kv_heads,ffn_dim,vocab,tied,share,"
             "dtype,ctx,measured_ms,source,calibrated' "
             "'nosuch,m,mobilellm-125m,,,,,,,,,f16,512,15.6,X,no' "
             ">%s/hw-profiles/measurements.csv && cd %s && sh %s %s out",
             dir, dir, dir, dir, tu_path("reports/phone-accuracy.sh"), bin);
    free(bin);
    ck_assert_int_ne(tu_sh(cmd, NULL, &err), 0);
    int lines = 0;
    for (const char *c = err; *c; c++)
        lines += *c == '\n';
    ck_assert_msg(strstr(err, "hw-profiles/measurements.csv:2: ") && strstr(err, "nosuch") &&
                  lines == 1, "%s", err);
    free(err);
    snprintf(path, sizeof path, "%s/out/accuracy_phone.csv", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

/* The design contract's columns, in order, then one row per profile. */
START_TEST(cli_contract)
{
    static const char contract[] =
        "profile,share,repeat,dtype,ctx,executed_layers,weight_bytes,dram_read_bytes,"
        "dram_write_bytes,dram_weight_read_bytes,dram_kv_read_bytes,slc_hit_rate,"
        "energy_mj_per_token,latency_ms_per_token";
    char *out, *err;
    ck_assert_int_eq(tu_run("sim --preset mobilellm-ls-125m --profile a16 --format csv",
                            &out, &err), 0);
    ck_assert_msg(strncmp(out, contract, strlen(contract)) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\na16,immediate,2,f16,512,60,"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run("sim --preset mobilellm-125m --profile a15,a16 "
                            "--profile pixel8 --mode analytic --format csv", &out, &err), 0);
    int rows = 0;
    for (char *c = out; *c; c++)
        rows += *c == '\n';
    ck_assert_int_eq(rows, 4);
    ck_assert_ptr_nonnull(strstr(out, "\npixel8,none,1,"));
    free(out);
    free(err);
}
END_TEST

/* Where column `name` starts in the first data row of `csv` (a header
 * row, then rows, no quoted fields). */
static const char *csv_cell(const char *csv, const char *name)
{
    const char *head_end = strchr(csv, '\n');
    ck_assert_msg(head_end != NULL, "no data row: %s", csv);
    const char *row = head_end + 1;
    size_t len = strlen(name);
    for (const char *h = csv; h < head_end && *row && *row != '\n';) {
        size_t n = strcspn(h, ",\n");
        if (n == len && !strncmp(h, name, len))
            return row;
        h += n + 1;
        row += strcspn(row, ",\n") + (row[strcspn(row, ",\n")] == ',');
    }
    ck_abort_msg("no column %s in %s", name, csv);
    return NULL;
}

static uint64_t csv_u(const char *csv, const char *name)
{
    return strtoull(csv_cell(csv, name), NULL, 10);
}

/* `lanky sim --format csv`'s numbers, by column name, on the profile of
 * no_cache (4 lines: no weight or KV line stays between two uses): the
 * weights' and the KV cache's DRAM reads by closed form, the whole read
 * as those plus the activations' part, the weight bytes as `lanky
 * params` counts them, the rest as sim_token() gives them for the same
 * spec and profile, and slc_hit_rate as 1 - llc_misses / llc_accesses. */
START_TEST(cli_columns)
{
    sim_profile *p = one_level(256, 0, "lru", plain);
    arch_spec s = spec_with("none", NULL, false);
    arch_params pa;
    ck_assert(arch_params_count(&s, &pa, NULL) == LK_OK);
    sim_result lib = simulate(&s, p, SIM_EXACT, NULL);
    char args[1536], *out;
    snprintf(args, sizeof args, "sim --layers 4 --dim 16 --heads 2 --head-dim 16 --kv-heads 2 "
             "--ffn-dim 16 --vocab 32 --dtype f16 --seq-len 16 --ctx %d --profile %s "
             "--format csv", T, p->path);
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    uint64_t E = 4, weights = streamed(&s);
    uint64_t kv = 2 * E * T * KVROW + 2 * E * KVHEADS * LINE, kv_new = 2 * E * KVHEADS * LINE;
    ck_assert_uint_eq(csv_u(out, "weight_bytes"), pa.weight_bytes);
    ck_assert_uint_eq(csv_u(out, "dram_weight_read_bytes"), weights);
    ck_assert_uint_eq(csv_u(out, "dram_kv_read_bytes"), kv);
    ck_assert_uint_eq(csv_u(out, "dram_read_bytes"), weights + kv + lib.dram_act_read_bytes);
    ck_assert_uint_ge(lib.dram_write_bytes, kv_new); /* every new KV entry, at least */
    ck_assert_uint_eq(csv_u(out, "dram_write_bytes"), lib.dram_write_bytes);
    uint64_t acc = csv_u(out, "llc_accesses"), miss = csv_u(out, "llc_misses");
    ck_assert(acc == lib.llc_accesses && miss == lib.llc_misses && miss < acc);
    double rate = strtod(csv_cell(out, "slc_hit_rate"), NULL);
    ck_assert_double_eq_tol(rate, 1 - (double)miss / (double)acc, 5e-7);
    free(out);
    sim_profile_free(p);
}
END_TEST

/* cmd exits 2 with nothing on stdout and one line on stderr that holds
 * want and want2. */
static void refused(const char *cmd, const char *want, const char *want2)
{
    char *out, *err;
    ck_assert_int_eq(tu_run(cmd, &out, &err), 2);
    ck_assert_msg(strstr(err, want) && strstr(err, want2) &&
                  strchr(err, '\n') == err + strlen(err) - 1, "%s: %s", cmd, err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}

/* The analytic mode is LRU's reuse-distance model: another --policy
 * there is refused up front (sim and sweep), not echoed unused. */
START_TEST(cli_analytic_policy)
{
    static const char *const cmds[] = {
        "sim --preset mobilellm-125m --profile a15 --mode analytic --policy random",
        "sweep sweeps/table7.csv --profiles a15 --policy srrip",
    };
    for (int i = 0; i < 2; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s --out %s/pol", cmds[i], tu_tmpdir());
        refused(i ? cmd : cmds[i], "--policy: '", "needs --mode exact");
    }
    char path[256];
    snprintf(path, sizeof path, "%s/pol", tu_tmpdir());
    ck_assert_msg(access(path, F_OK) != 0, "sweep made %s", path);
}
END_TEST

/* `lanky probe` run from another folder writes host.ini where
 * `--profile host` looks first ($LANKY_PROFILES here, standing in for the
 * project's hw-profiles), not into the current folder. */
START_TEST(cli_probe_writes_where_host_is_found)
{
    char args[1024], *out, *err, *bin = realpath(getenv("LANKY_BIN"), NULL);
    ck_assert_ptr_nonnull(bin);
    snprintf(args, sizeof args, "cd / && LANKY_PROFILES=%s %s probe --threads 1",
             tu_tmpdir(), bin);
    ck_assert_int_eq(tu_sh(args, NULL, &err), 0);
    free(err);
    snprintf(args, sizeof args, "%s/host.ini", tu_tmpdir());
    ck_assert_int_eq(access(args, R_OK), 0);
    ck_assert_int_ne(access("/hw-profiles/host.ini", F_OK), 0);
    snprintf(args, sizeof args, "cd / && LANKY_PROFILES=%s %s sim "
             "--preset mobilellm-125m --profile host --mode analytic --format csv",
             tu_tmpdir(), bin);
    free(bin);
    ck_assert_int_eq(tu_sh(args, &out, NULL), 0);
    ck_assert_msg(strstr(out, "\nhost,none,1,"), "%s", out);
    free(out);
}
END_TEST

/* A profile list with an empty name (a slip: "a15," or "a15,,a16") is
 * refused by sim and sweep, not silently shortened. */
START_TEST(cli_empty_profile_name)
{
    static const char *const cmds[] = {
        "sim --preset mobilellm-125m --profile a15, --mode analytic",
        "sweep sweeps/table7.csv --profiles a15,,a16",
    };
    for (int i = 0; i < 2; i++)
        refused(cmds[i], ": an empty name in the list", "");
}
END_TEST

/* An exact simulation that would run for many minutes (here 512 GB of KV
 * cache per token) is refused at once; the analytic mode runs it. */
START_TEST(cli_exact_too_big)
{
    const char *spec = "sim --layers 1 --dim 64 --heads 4 --vocab 100 --seq-len 2000000000 "
                       "--ctx 1999999999 --profile a15 --format csv";
    char cmd[512], *err;
    ck_assert_int_eq(tu_run(spec, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--mode exact: 512 GB per token") &&
                  strstr(err, "use --mode analytic"), "%s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "%s --mode analytic", spec);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
}
END_TEST

/* Accesses inside the attention ops, for the per-head bound below. */
typedef struct {
    bool in;
    uint64_t n;
} att_count;

static void att_begin(void *u, const sim_op *op)
{
    ((att_count *)u)->in = !strcmp(op->name, "attention");
}

static void att_access(void *u, uint64_t addr, uint64_t bytes, bool write, sim_class cls)
{
    (void)addr, (void)bytes, (void)write, (void)cls;
    att_count *c = u;
    c->n += c->in;
}

/* The simulators' cost grows with the trace's ranges, so a token's
 * per-head ranges are bounded (ARCH_PLAN_MAX_HEAD_RANGES). The bound
 * counts what arch/plan.c's attention lays out: per executed layer 7 ranges
 * (rope reads and writes of q and k, v, q, xb) plus 4 per kv head (write
 * K and V of the token, read K and V) and 2 per query head (the scores,
 * written then read) -- checked against the trace itself, then the limit
 * at its edge and the two reproducers through the CLI (exit 2,
 * one line, instead of 38 s and an out-of-memory death). */
START_TEST(cli_heads_bounded)
{
    arch_spec s = tu_spec("layers=3 dim=64 heads=8 kv_heads=2 vocab=64");
    att_count c = {0};
    trace_token(&s, (sim_sink){.u = &c, .op_begin = att_begin, .access = att_access});
    ck_assert_uint_eq(c.n, 3 * (7 + 4 * 2 + 2 * 8));

    int64_t h = (int64_t)(ARCH_PLAN_MAX_HEAD_RANGES / 6); /* heads = kv heads */
    sim_trace t;
    lk_err e = {0};
    char opts[200];
    snprintf(opts, sizeof opts, "layers=1 dim=96 head_dim=16 heads=%lld vocab=64",
             (long long)h);
    s = tu_spec(opts);
    ck_assert_msg(sim_trace_build(&t, &s, &e) == LK_OK, "%s", e.msg);
    sim_trace_free(&t);
    s.heads = s.kv_heads = h + 1;
    ck_assert_int_eq(sim_trace_build(&t, &s, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "heads:") && strstr(e.msg, "at most 1048576"), "%s", e.msg);

    const char *cmd[] = {
        "sim --layers 5 --dim 96 --heads 399999 --head-dim 16 --ffn relu --profile a15 "
        "--mode analytic",
        "sim --layers 5 --dim 96 --heads 10000000 --head-dim 2 --ffn relu --profile a15 "
        "--mode analytic",
    };
    for (int i = 0; i < 2; i++) {
        char *out, *err;
        ck_assert_int_eq(tu_run(cmd[i], &out, &err), 2);
        ck_assert_msg(strstr(err, "lanky: heads: 5 executed layers") &&
                      strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
        ck_assert_str_eq(out, "");
        free(out);
        free(err);
    }
}
END_TEST

/* ---- time to first token (sim.h) ---- */

/* The tiny model with room for a 69-token prompt: three chunks of
 * ARCH_PLAN_CHUNK = 32, 32 and 5 tokens. */
#define PROMPT (2 * ARCH_PLAN_CHUNK + 5)

static arch_spec prompt_spec(void)
{
    arch_spec s = tu_spec("dim=16 heads=2 head_dim=16 kv_heads=2 ffn_dim=16 vocab=32 "
                          "dtype=f16 seq_len=80 ctx=0 layers=4");
    ck_assert(s.ffn == ARCH_FFN_SWIGLU);
    return s;
}

static sim_result prefill_of(const arch_spec *s, const sim_profile *p, int64_t n)
{
    sim_opts o = {.mode = SIM_ANALYTIC, .prompt = n};
    sim_result r;
    lk_err e = {0};
    ck_assert_msg(sim_token(s, p, &o, &r, &e) == LK_OK, "%s", e.msg);
    return r;
}

/* Bytes and MACs of the prefill by closed form, from the spec alone:
 * every chunk reads the 4 blocks once and one 32-byte embedding row per
 * token, the last one the final norm (f32) and the classifier; chunk c
 * at position pos reads the pos cached K and V rows of every layer
 * (KVROW bytes each) and writes its nt; MACs are nt times each layer's
 * mat-vecs, attention's 2 H hd (q + 1) for every token q of every layer
 * and the classifier once. Memory-bound (compute 1e12 GFLOP/s), time is
 * bytes / DRAM bandwidth; compute-bound (DRAM 1e12 GB/s), 2 MACs / peak:
 * each stage is one or the other, cost.h's max. With a matmul rate of its
 * own (what lanky probe measures for a chunk's products), the chunks'
 * mat-vec MACs run at it and the rest (attention, the last token's
 * classifier) at the peak. */
START_TEST(ttft_closed_form)
{
    arch_spec s = prompt_spec();
    uint64_t E = 4, B = block_bytes(), dim = 16, V = 32, H = 2, K = 2, hd = 16;
    uint64_t want_bytes = 4 * dim + V * dim * 2, want_macs = V * dim, chunk_macs = 0;
    uint64_t layer_macs = 2 * dim * H * hd + 2 * dim * K * hd + 3 * dim * 16;
    int chunks = 0;
    for (uint64_t pos = 0, nt; pos < PROMPT; pos += nt, chunks++) {
        nt = PROMPT - pos < ARCH_PLAN_CHUNK ? PROMPT - pos : ARCH_PLAN_CHUNK;
        want_bytes += E * B + nt * 32 + E * (pos + nt) * 2 * KVROW;
        chunk_macs += nt * E * layer_macs;
        want_macs += nt * E * layer_macs;
        for (uint64_t q = pos; q < pos + nt; q++)
            want_macs += E * 2 * H * hd * (q + 1);
    }
    ck_assert_int_eq(chunks, 3);
    sim_profile *mem = one_level(256, 0, "lru", (rates){50, 1e12, PEAKS(1e12)});
    sim_profile *cpu = one_level(256, 0, "lru", (rates){1e12, 1e12, PEAKS(400)});
    sim_result m = prefill_of(&s, mem, PROMPT), c = prefill_of(&s, cpu, PROMPT);
    ck_assert_int_eq(m.prompt, PROMPT);
    ck_assert_int_eq(m.prefill_chunks, 3);
    ck_assert_uint_eq(m.prefill_dram_bytes, want_bytes);
    ck_assert_uint_eq(m.prefill_macs, want_macs);
    ck_assert_msg(fabs(m.ttft_ms / (want_bytes / 50e9 * 1e3) - 1) < 1e-3, "%.9g ms", m.ttft_ms);
    ck_assert_msg(fabs(c.ttft_ms / (2.0 * want_macs / 400e9 * 1e3) - 1) < 1e-3, "%.9g ms",
                  c.ttft_ms);
    cpu->matmul_gops[ARCH_F16] = 100;
    sim_result slow = prefill_of(&s, cpu, PROMPT);
    double want_ms = (2.0 * chunk_macs / 100e9 + 2.0 * (want_macs - chunk_macs) / 400e9) * 1e3;
    ck_assert_msg(fabs(slow.ttft_ms / want_ms - 1) < 1e-3, "%.9g ms, want %.9g", slow.ttft_ms,
                  want_ms);
    /* energy: cost.h's linear terms on the summed traffic and time */
    double want_mj = (want_bytes * 8 * 5 + want_macs * mac_pj[ARCH_F16]) * 1e-9 +
                     100 * m.ttft_ms * 1e-3;
    ck_assert_msg(fabs(m.prefill_energy_mj / want_mj - 1) < 1e-6, "%.9g mJ",
                  m.prefill_energy_mj);
    sim_profile_free(mem);
    sim_profile_free(cpu);
}
END_TEST

/* A one-token prompt is a decode step at position 0 from cold caches:
 * on a cache of 4 lines the cache simulator's decode token at ctx 0
 * reads the weights the closed form charges, less the line rounding of
 * the embedding row (64 bytes for its 32), and its KV write of 2 K hd
 * per layer is the closed form's; what the decode token moves beyond
 * that (activations, the KV row's write-allocate fill) is all that
 * separates the two latencies when DRAM alone takes time. */
START_TEST(ttft_one_token)
{
    arch_spec s = prompt_spec();
    sim_profile *p = one_level(256, 0, "lru", (rates){50, 1e12, PEAKS(1e12)});
    for (int m = SIM_EXACT; m <= SIM_ANALYTIC; m++) {
        sim_opts o = {.mode = m, .prompt = 1};
        sim_result r;
        lk_err e = {0};
        ck_assert_msg(sim_token(&s, p, &o, &r, &e) == LK_OK, "%s", e.msg);
        uint64_t kv_written = 4 * 2 * KVROW;
        ck_assert_uint_eq(r.prefill_dram_bytes, r.dram_weight_read_bytes - 32 + kv_written);
        double moved = (double)(r.dram_read_bytes + r.dram_write_bytes);
        double gap_ms = (moved - (double)r.prefill_dram_bytes) / 50e9 * 1e3;
        ck_assert_msg(fabs(r.ttft_ms + gap_ms - r.latency_ms_per_token) <
                          1e-6 * r.latency_ms_per_token,
                      "ttft %.9g + %.9g ms, decode %.9g ms", r.ttft_ms, gap_ms,
                      r.latency_ms_per_token);
    }
    sim_profile_free(p);
}
END_TEST

/* A windowed model's prefill is cut as ref_prefill cuts it (arch/plan.h):
 * with a window of 40, chunks of 32 and 8 tokens up to the ring's end,
 * then token by token; a prompt longer than seq_len is refused. */
START_TEST(ttft_window_chunks)
{
    arch_spec s = tu_spec("dim=16 heads=2 head_dim=16 kv_heads=2 ffn_dim=16 vocab=32 "
                          "dtype=f16 seq_len=80 ctx=0 layers=4 window=40");
    sim_profile *p = one_level(256, 0, "lru", plain);
    ck_assert_int_eq(prefill_of(&s, p, PROMPT).prefill_chunks, 2 + (PROMPT - 40));
    sim_opts o = {.mode = SIM_ANALYTIC, .prompt = 81};
    sim_result r;
    lk_err e = {0};
    ck_assert_int_eq(sim_token(&s, p, &o, &r, &e), LK_EINPUT);
    ck_assert_msg(strstr(e.msg, "--prompt: 81 tokens, more than seq_len 80"), "%s", e.msg);
    sim_profile_free(p);
}
END_TEST

/* `lanky sim --prompt` and a sweep's `prompt` column print the library's
 * prefill, in columns after the decode ones; without a prompt the
 * columns end where they always ended (energy_active_mj), so files
 * written before are unchanged. */
START_TEST(cli_prompt)
{
    arch_spec s = prompt_spec();
    sim_profile *p = one_level(256, 0, "lru", (rates){50, 1e12, PEAKS(1e12)});
    sim_result lib = prefill_of(&s, p, PROMPT);
    static const char shape[] = "--layers 4 --dim 16 --heads 2 --head-dim 16 --kv-heads 2 "
                                "--ffn-dim 16 --vocab 32 --dtype f16 --seq-len 80 --ctx 0";
    char args[2048], csv[700], *out;
    snprintf(args, sizeof args, "sim %s --profile %s --mode analytic --prompt %d --format csv",
             shape, p->path, PROMPT);
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    ck_assert_uint_eq(csv_u(out, "prompt"), PROMPT);
    ck_assert_uint_eq(csv_u(out, "prefill_dram_bytes"), lib.prefill_dram_bytes);
    ck_assert_double_eq_tol(strtod(csv_cell(out, "ttft_ms"), NULL), lib.ttft_ms, 1e-6);
    free(out);
    snprintf(csv, sizeof csv, "%s/prompt.csv", tu_tmpdir());
    tu_write(csv, "name,layers,dim,heads,head_dim,kv_heads,ffn_dim,vocab,dtype,seq_len,ctx,"
                  "prompt\nt,4,16,2,16,2,16,32,f16,80,0,69\n");
    snprintf(args, sizeof args, "sweep %s --profiles %s --format csv", csv, p->path);
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    ck_assert_uint_eq(csv_u(out, "prompt"), PROMPT);
    ck_assert_uint_eq(csv_u(out, "prefill_dram_bytes"), lib.prefill_dram_bytes);
    ck_assert_double_eq_tol(strtod(csv_cell(out, "ttft_ms"), NULL), lib.ttft_ms, 1e-6);
    free(out);
    snprintf(args, sizeof args, "sim %s --profile %s --format csv", shape, p->path);
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    /* no prefill columns without a prompt: the late ones follow the extras */
    ck_assert_msg(strstr(out, ",energy_active_mj,embed_dtype\n"), "%s", out);
    free(out);
    tu_write(csv, "name,layers,dim,heads,prompt\nt,4,16,2,0x\n");
    snprintf(args, sizeof args, "sweep %s --profiles %s", csv, p->path);
    char *err;
    ck_assert_int_eq(tu_run(args, &out, &err), 2);
    ck_assert_msg(strstr(err, "prompt.csv:2: prompt: '0x' is not a whole number"), "%s", err);
    free(out);
    free(err);
    sim_profile_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("sim");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, no_cache);
    tcase_add_test(tc, block_fits);
    tcase_add_test(tc, block_too_big);
    tcase_add_test(tc, modes_agree);
    tcase_add_test(tc, energy_latency);
    tcase_add_test(tc, sustained_closed_form);
    tcase_add_test(tc, floor_below_latency);
    tcase_add_test(tc, sustained_reproduces_measurements);
    tcase_add_test(tc, phone_accuracy_script);
    tcase_add_test(tc, cache_energy_bandwidth);
    tcase_add_test(tc, compute_per_dtype);
    tcase_add_test(tc, cost_levels_add_with_efficiency);
    tcase_add_test(tc, fixed_costs_closed_form);
    tcase_add_test(tc, slc_hit_rate);
    tcase_add_test(tc, shipped_profiles);
    tcase_add_test(tc, cli_contract);
    tcase_add_test(tc, cli_columns);
    tcase_add_test(tc, cli_analytic_policy);
    tcase_add_test(tc, cli_exact_too_big);
    tcase_add_test(tc, cli_heads_bounded);
    tcase_add_test(tc, ttft_closed_form);
    tcase_add_test(tc, ttft_one_token);
    tcase_add_test(tc, ttft_window_chunks);
    tcase_add_test(tc, cli_prompt);
    tcase_add_test(tc, cli_empty_profile_name);
    tcase_add_test(tc, cli_probe_writes_where_host_is_found);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
