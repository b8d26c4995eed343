/* test_cache.c -- the cache hierarchy (sim/cache.h) against closed forms
 * and against a second, deliberately simple simulator written here.
 *
 * The reference keeps each set as a plain array (LRU: in recency order,
 * most recent first; SRRIP: in way order with an RRPV each) and handles
 * every line through all levels at once, recursively, the textbook way.
 * sim/cache.c shares none of its code (fingerprints, age lanes, per-level
 * batches), so agreement on every counter for random traces over many
 * geometries is an independent check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/cache.h"
#include "testutil.h"

#define KB (UINT64_C(1) << 10)
#define MB (UINT64_C(1) << 20)

/* ---- the reference simulator ---- */

typedef struct {
    uint64_t line;
    int valid, dirty, rrpv;
    sim_class cls;
} ref_way;

typedef struct {
    sim_level_cfg cfg;
    uint64_t nsets, ways;
    ref_way *w; /* nsets x ways */
    sim_level_stats st;
} ref_level;

typedef struct {
    ref_level lv[SIM_MAX_LEVELS];
    int n;
    sim_dram_stats dram;
} ref_cache;

static void ref_new(ref_cache *r, const sim_level_cfg *cfg, int n)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    for (int i = 0; i < n; i++) {
        ref_level *L = &r->lv[i];
        L->cfg = cfg[i];
        L->ways = cfg[i].assoc ? cfg[i].assoc
                               : cfg[i].size_bytes / cfg[i].line_bytes;
        L->nsets = cfg[i].size_bytes / cfg[i].line_bytes / L->ways;
        L->w = calloc(L->nsets * L->ways, sizeof *L->w);
        ck_assert(L->w != NULL);
        for (uint64_t k = 0; k < L->nsets * L->ways; k++)
            L->w[k].rrpv = 3;
    }
}

static void ref_free(ref_cache *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->lv[i].w);
}

static void ref_line(ref_cache *r, int i, uint64_t line, int dirty, int fill,
                     sim_class cls);

static void ref_fetch(ref_cache *r, int i, uint64_t addr, uint64_t bytes,
                      sim_class cls)
{
    if (i == r->n) {
        r->dram.read_bytes[cls] += bytes;
        return;
    }
    uint64_t lb = r->lv[i].cfg.line_bytes;
    for (uint64_t l = addr / lb; l <= (addr + bytes - 1) / lb; l++)
        ref_line(r, i, l, 0, 1, cls);
}

static void ref_put(ref_cache *r, int i, uint64_t addr, uint64_t bytes,
                    sim_class cls)
{
    if (i == r->n) {
        r->dram.write_bytes[cls] += bytes;
        return;
    }
    uint64_t lb = r->lv[i].cfg.line_bytes;
    int whole = bytes >= lb;
    for (uint64_t l = addr / lb; l <= (addr + bytes - 1) / lb; l++)
        ref_line(r, i, l, 1, !whole, cls);
}

static void ref_line(ref_cache *r, int i, uint64_t line, int dirty, int fill,
                     sim_class cls)
{
    ref_level *L = &r->lv[i];
    ref_way *set = L->w + (line % L->nsets) * L->ways;
    int lru = L->cfg.policy == SIM_LRU;
    L->st.accesses[cls]++;
    for (uint64_t k = 0; k < L->ways; k++) {
        if (!set[k].valid || set[k].line != line)
            continue;
        ref_way hit = set[k];
        if (dirty) {
            hit.dirty = 1;
            hit.cls = cls;
        }
        hit.rrpv = 0;
        if (lru) { /* move to the front */
            memmove(set + 1, set, k * sizeof *set);
            set[0] = hit;
        } else {
            set[k] = hit;
        }
        return;
    }
    L->st.misses[cls]++;
    ref_way fresh = {line, 1, dirty, 2, cls}, old;
    if (lru) { /* the last one is the least recent (or empty) */
        old = set[L->ways - 1];
        memmove(set + 1, set, (L->ways - 1) * sizeof *set);
        set[0] = fresh;
    } else { /* SRRIP: first way at RRPV 3, else everyone ages by one */
        for (;;) {
            uint64_t k = 0;
            while (k < L->ways && set[k].rrpv != 3)
                k++;
            if (k < L->ways) {
                old = set[k];
                set[k] = fresh;
                break;
            }
            for (k = 0; k < L->ways; k++)
                set[k].rrpv++;
        }
    }
    uint64_t lb = L->cfg.line_bytes;
    if (fill)
        ref_fetch(r, i + 1, line * lb, lb, cls);
    if (old.valid && old.dirty) {
        L->st.writebacks[old.cls]++;
        ref_put(r, i + 1, old.line * lb, lb, old.cls);
    }
}

static void ref_access(ref_cache *r, uint64_t addr, uint64_t bytes, int write,
                       sim_class cls)
{
    uint64_t lb = r->lv[0].cfg.line_bytes;
    for (uint64_t l = addr / lb; l <= (addr + bytes - 1) / lb; l++)
        ref_line(r, 0, l, write, 1, cls);
}

/* ---- helpers ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(uint64_t n) /* xorshift64, uniform enough for traces */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

static sim_cache *make(const sim_level_cfg *cfg, int n, uint64_t seed)
{
    sim_cache *c;
    lk_err e = {0};
    int rc = sim_cache_new(&c, cfg, n, seed, &e);
    ck_assert_msg(rc == LK_OK, "sim_cache_new: %s", e.msg);
    return c;
}

static uint64_t sum(const uint64_t *v)
{
    uint64_t s = 0;
    for (int k = 0; k < SIM_CLASS_COUNT; k++)
        s += v[k];
    return s;
}

static uint64_t misses(const sim_cache *c, int level)
{
    return sum(sim_cache_level_stats(c, level)->misses);
}

static uint64_t accesses(const sim_cache *c, int level)
{
    return sum(sim_cache_level_stats(c, level)->accesses);
}

static void same_counts(const sim_cache *c, const ref_cache *r,
                        const char *what)
{
    for (int i = 0; i < r->n; i++) {
        const sim_level_stats *a = sim_cache_level_stats(c, i);
        const sim_level_stats *b = &r->lv[i].st;
        for (int k = 0; k < SIM_CLASS_COUNT; k++) {
            ck_assert_msg(a->accesses[k] == b->accesses[k] &&
                              a->misses[k] == b->misses[k] &&
                              a->writebacks[k] == b->writebacks[k],
                          "%s: level %d class %d: accesses %llu/%llu misses "
                          "%llu/%llu writebacks %llu/%llu (lanky/reference)",
                          what, i + 1, k, (unsigned long long)a->accesses[k],
                          (unsigned long long)b->accesses[k],
                          (unsigned long long)a->misses[k],
                          (unsigned long long)b->misses[k],
                          (unsigned long long)a->writebacks[k],
                          (unsigned long long)b->writebacks[k]);
        }
    }
    const sim_dram_stats *d = sim_cache_dram_stats(c);
    for (int k = 0; k < SIM_CLASS_COUNT; k++)
        ck_assert_msg(d->read_bytes[k] == r->dram.read_bytes[k] &&
                          d->write_bytes[k] == r->dram.write_bytes[k],
                      "%s: DRAM class %d differs", what, k);
}

/* A random trace at `base` over span bytes: single lines, short runs,
 * long scans, and a hot spot an eighth of the span wide (hits, and LRU
 * order that matters); 30% writes, mixed classes. */
static void random_trace(sim_cache *c, ref_cache *r, uint64_t base,
                         uint64_t span, int n)
{
    for (int k = 0; k < n; k++) {
        uint64_t addr = base + rnd(span), bytes;
        switch (rnd(8)) {
        case 0: case 1: bytes = 1 + rnd(16); break;
        case 2: case 3: bytes = 1 + rnd(600); break;
        case 7: bytes = 1 + rnd(span / 4); break;
        default: addr = base + rnd(span / 8); bytes = 1 + rnd(64); break;
        }
        int write = rnd(10) < 3;
        sim_class cls = (sim_class)rnd(SIM_CLASS_COUNT);
        sim_cache_access(c, addr, bytes, write, cls);
        ref_access(r, addr, bytes, write, cls);
    }
}

static void compare(const sim_level_cfg *cfg, int n, uint64_t base, int len,
                    const char *what)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += cfg[i].size_bytes;
    sim_cache *c = make(cfg, n, 1);
    ref_cache r;
    ref_new(&r, cfg, n);
    random_trace(c, &r, base, 2 * total, len);
    same_counts(c, &r, what);
    sim_cache_free(c);
    ref_free(&r);
}

static const uint32_t lines[] = {16, 32, 64, 128};
static const uint32_t assocs[] = {1, 2, 3, 4, 7, 8, 16, 17, 20, 32, 0};

/* ---- against the reference ---- */

static void single_levels(void)
{
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        if (p == SIM_RANDOM)
            continue;
        for (size_t a = 0; a < sizeof assocs / sizeof *assocs; a++)
            for (uint64_t sets = 1; sets <= 7; sets++) {
                uint32_t line = lines[(a + sets) % 4];
                uint32_t ways = assocs[a] ? assocs[a] : 24;
                sim_level_cfg cfg = {sets * ways * line, line, assocs[a],
                                     (sim_policy)p};
                if (!assocs[a] && sets > 1)
                    continue; /* fully associative: one set */
                char what[96];
                snprintf(what, sizeof what, "%s %llu sets x %u ways x %u B",
                         sim_policy_name((sim_policy)p),
                         (unsigned long long)sets, ways, line);
                compare(&cfg, 1, 0, 1500, what);
            }
    }
}

START_TEST(single_level_matches_reference)
{
    single_levels();
}
END_TEST

static void hierarchies(void)
{
    /* equal lines, a bigger outer line, a smaller outer line, mixed
     * policies, non-power-of-two sets */
    const sim_level_cfg geoms[][3] = {
        {{1 * KB, 64, 2, SIM_LRU}, {4 * KB, 64, 4, SIM_LRU}, {0}},
        {{512, 32, 4, SIM_LRU}, {6 * KB, 128, 8, SIM_LRU}, {0}},
        {{2 * KB, 128, 4, SIM_LRU}, {3 * KB, 32, 3, SIM_LRU}, {0}},
        {{1 * KB, 64, 0, SIM_SRRIP}, {5 * KB, 64, 5, SIM_LRU}, {0}},
        {{768, 64, 4, SIM_LRU}, {3 * KB, 64, 16, SIM_SRRIP}, {0}},
        {{512, 64, 2, SIM_SRRIP},
         {2 * KB, 64, 4, SIM_LRU},
         {6 * KB, 128, 3, SIM_SRRIP}},
        {{256, 16, 4, SIM_LRU},
         {1 * KB, 64, 8, SIM_LRU},
         {17 * KB, 64, 17, SIM_LRU}},
    };
    for (size_t g = 0; g < sizeof geoms / sizeof *geoms; g++) {
        int n = geoms[g][2].size_bytes ? 3 : 2;
        char what[32];
        snprintf(what, sizeof what, "hierarchy %zu", g);
        compare(geoms[g], n, 0, 6000, what);
    }
}

START_TEST(two_and_three_levels_match_reference)
{
    hierarchies();
}
END_TEST

/* ---- the two compiled implementations ---- */

static void select_code(const char *name)
{
    lk_err e = {0};
    ck_assert_msg(sim_cache_select(name, &e) == LK_OK, "%s", e.msg);
}

static bool cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

/* The tests above run the code "auto" picks; here the portable code runs
 * the same comparisons with the reference. */
START_TEST(portable_code_matches_reference)
{
    select_code("portable");
    single_levels();
    hierarchies();
    select_code("auto");
}
END_TEST

START_TEST(auto_picks_what_the_cpu_runs)
{
    sim_level_cfg cfg = {8 * KB, 64, 4, SIM_LRU};
    sim_cache *c = make(&cfg, 1, 1);
    ck_assert_str_eq(sim_cache_impl(c),
                     cpu_has_avx512() ? "avx512" : "portable");
    sim_cache_free(c);
    select_code("portable");
    c = make(&cfg, 1, 1);
    ck_assert_str_eq(sim_cache_impl(c), "portable");
    sim_cache_free(c);
    select_code("auto");
    lk_err e = {0};
    ck_assert_int_eq(sim_cache_select("neon", &e), LK_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "neon"));
    if (!cpu_has_avx512())
        ck_assert_int_eq(sim_cache_select("avx512", &e), LK_EINPUT);
}
END_TEST

/* Random replacement has no reference, but both implementations must
 * draw the same numbers for the same victims: every counter agrees. */
START_TEST(random_policy_is_the_same_in_both_codes)
{
    const sim_level_cfg cfg[3] = {{1 * KB, 64, 4, SIM_RANDOM},
                                  {6 * KB, 128, 3, SIM_RANDOM},
                                  {40 * KB, 64, 20, SIM_RANDOM}};
    const char *codes[2] = {"portable", "auto"};
    sim_cache *c[2];
    for (int k = 0; k < 2; k++) {
        select_code(codes[k]);
        c[k] = make(cfg, 3, 9);
    }
    select_code("auto");
    for (int n = 0; n < 4000; n++) {
        uint64_t addr = rnd(200 * KB), bytes = 1 + rnd(n % 8 ? 300 : 20000);
        bool write = rnd(4) == 0;
        sim_class cls = (sim_class)rnd(SIM_CLASS_COUNT);
        for (int k = 0; k < 2; k++)
            sim_cache_access(c[k], addr, bytes, write, cls);
    }
    for (int i = 0; i < 3; i++)
        ck_assert_mem_eq(sim_cache_level_stats(c[0], i),
                         sim_cache_level_stats(c[1], i),
                         sizeof(sim_level_stats));
    ck_assert_mem_eq(sim_cache_dram_stats(c[0]), sim_cache_dram_stats(c[1]),
                     sizeof(sim_dram_stats));
    ck_assert_uint_gt(misses(c[0], 2), 0);
    for (int k = 0; k < 2; k++)
        sim_cache_free(c[k]);
}
END_TEST

/* Set index and tags at addresses far above anything a model uses: the
 * multiply-shift reduction and its fallback for huge line numbers. */
START_TEST(high_addresses_match_reference)
{
    sim_level_cfg cfg[2] = {{3 * KB, 64, 4, SIM_LRU},
                            {24 * KB, 128, 16, SIM_LRU}}; /* 12 sets */
    compare(cfg, 2, UINT64_C(1) << 40, 1000, "at 2^40");
    compare(cfg, 2, UINT64_C(1) << 62, 1000, "at 2^62");
}
END_TEST

/* ---- closed forms ---- */

static const sim_level_cfg phone[3] = {
    {128 * KB, 128, 8, SIM_LRU},
    {4 * MB, 128, 16, SIM_LRU},
    {24 * MB, 128, 16, SIM_LRU}, /* 12288 sets */
};

static void with_policy(sim_level_cfg *dst, const sim_level_cfg *src, int n,
                        sim_policy p)
{
    for (int i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].policy = p;
    }
}

START_TEST(cold_scan_misses_every_line)
{
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        sim_level_cfg cfg[3];
        with_policy(cfg, phone, 3, (sim_policy)p);
        sim_cache *c = make(cfg, 3, 7);
        uint64_t n = 40 * MB + 384; /* larger than everything, odd tail */
        sim_cache_access(c, 1000, n, false, SIM_WEIGHTS);
        /* [1000, 1000 + n) touches this many 128-byte lines */
        uint64_t touched = (1000 + n - 1) / 128 - 1000 / 128 + 1;
        for (int i = 0; i < 3; i++) {
            ck_assert_uint_eq(misses(c, i), touched);
            ck_assert_uint_eq(accesses(c, i), touched);
        }
        const sim_dram_stats *d = sim_cache_dram_stats(c);
        ck_assert_uint_eq(d->read_bytes[SIM_WEIGHTS], touched * 128);
        ck_assert_uint_eq(d->write_bytes[SIM_WEIGHTS], 0);
        sim_cache_free(c);
    }
}
END_TEST

START_TEST(fitting_working_set_hits_on_second_pass)
{
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        sim_level_cfg cfg[3];
        with_policy(cfg, phone, 3, (sim_policy)p);
        sim_cache *c = make(cfg, 3, 7);
        sim_cache_access(c, 0, 24 * MB, false, SIM_WEIGHTS); /* = SLC size */
        sim_cache_reset_stats(c);
        sim_cache_access(c, 0, 24 * MB, false, SIM_WEIGHTS);
        ck_assert_uint_eq(accesses(c, 2), misses(c, 1));
        ck_assert_uint_eq(misses(c, 2), 0);
        ck_assert_uint_eq(sim_cache_dram_stats(c)->read_bytes[SIM_WEIGHTS],
                          0);
        sim_cache_free(c);
        /* the same in L1 alone: 1024 lines, each missed once */
        c = make(cfg, 3, 7);
        for (int k = 0; k < 2; k++)
            sim_cache_access(c, 0, 128 * KB, false, SIM_ACT);
        ck_assert_uint_eq(misses(c, 0), 1024);
        ck_assert_uint_eq(accesses(c, 0), 2048);
        sim_cache_free(c);
    }
}
END_TEST

/* A cyclic scan of one line per set more than fits: LRU always evicts the
 * line needed next (the cliff); random keeps some. SRRIP, which never
 * sees a hit here, ages all lines in step and evicts in way order, i.e.
 * FIFO, and falls off the same cliff. */
START_TEST(lru_cliff_and_random_escape)
{
    uint64_t size = 64 * KB, sets = 64, line = 64, ways = 16;
    uint64_t span = size + sets * line;
    double hit[SIM_POLICY_COUNT];
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        sim_level_cfg cfg = {size, (uint32_t)line, (uint32_t)ways,
                             (sim_policy)p};
        sim_cache *c = make(&cfg, 1, 3);
        sim_cache_access(c, 0, span, false, SIM_WEIGHTS);
        sim_cache_reset_stats(c);
        for (int k = 0; k < 20; k++)
            sim_cache_access(c, 0, span, false, SIM_WEIGHTS);
        hit[p] = 1.0 - (double)misses(c, 0) / (double)accesses(c, 0);
        sim_cache_free(c);
    }
    ck_assert_msg(hit[SIM_LRU] == 0.0, "LRU hit rate %g", hit[SIM_LRU]);
    /* a random miss evicts one line of the loop, which mostly survives */
    ck_assert_msg(hit[SIM_RANDOM] > 0.5, "random hit rate %g",
                  hit[SIM_RANDOM]);
    ck_assert_msg(hit[SIM_SRRIP] == 0.0, "SRRIP hit rate %g", hit[SIM_SRRIP]);
}
END_TEST

/* Writing W bytes, then streaming a region larger than the whole
 * hierarchy, sends exactly W bytes back to DRAM, all of the writer's
 * class; every level writes back W / line lines. */
START_TEST(write_backs_reach_dram_once)
{
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        sim_level_cfg cfg[2] = {{32 * KB, 64, 8, (sim_policy)p},
                                {256 * KB, 64, 16, (sim_policy)p}};
        sim_cache *c = make(cfg, 2, 5);
        uint64_t w = 16 * KB;
        sim_cache_access(c, 0, w, true, SIM_KV);
        /* random replacement may keep a dirty line past one stream */
        for (int k = 0; k < (p == SIM_RANDOM ? 40 : 1); k++)
            sim_cache_access(c, 1 * MB, 1 * MB, false, SIM_WEIGHTS);
        const sim_dram_stats *d = sim_cache_dram_stats(c);
        ck_assert_uint_eq(d->write_bytes[SIM_KV], w);
        ck_assert_uint_eq(d->write_bytes[SIM_WEIGHTS], 0);
        ck_assert_uint_eq(d->read_bytes[SIM_KV], w); /* write-allocate */
        for (int i = 0; i < 2; i++) {
            const sim_level_stats *s = sim_cache_level_stats(c, i);
            ck_assert_uint_eq(s->writebacks[SIM_KV], w / 64);
            ck_assert_uint_eq(s->writebacks[SIM_WEIGHTS], 0);
        }
        sim_cache_free(c);
    }
}
END_TEST

START_TEST(doubling_the_line_halves_the_counts)
{
    uint64_t m[2], wb[2];
    for (int k = 0; k < 2; k++) {
        uint32_t line = k ? 128 : 64;
        sim_level_cfg cfg[2] = {{64 * KB, line, 8, SIM_LRU},
                                {1 * MB, line, 16, SIM_LRU}};
        sim_cache *c = make(cfg, 2, 1);
        sim_cache_access(c, 0, 256 * KB, true, SIM_ACT);
        sim_cache_access(c, 4 * MB, 8 * MB, false, SIM_WEIGHTS);
        m[k] = misses(c, 1);
        wb[k] = sim_cache_level_stats(c, 1)->writebacks[SIM_ACT];
        sim_cache_free(c);
    }
    ck_assert_uint_eq(m[0], 2 * m[1]);
    ck_assert_uint_eq(wb[0], 2 * wb[1]);
    ck_assert_uint_eq(wb[1], 256 * KB / 128);
}
END_TEST

START_TEST(random_policy_is_repeatable)
{
    uint64_t got[3];
    const uint64_t seeds[3] = {42, 42, 43};
    for (int k = 0; k < 3; k++) {
        sim_level_cfg cfg = {48 * KB, 64, 12, SIM_RANDOM}; /* 64 sets */
        sim_cache *c = make(&cfg, 1, seeds[k]);
        for (int r = 0; r < 10; r++)
            sim_cache_access(c, 0, 56 * KB, r % 3 == 0, SIM_KV);
        got[k] = misses(c, 0) * 1000003 +
                 sim_cache_level_stats(c, 0)->writebacks[SIM_KV];
        sim_cache_free(c);
    }
    ck_assert_uint_eq(got[0], got[1]);
    ck_assert_uint_ne(got[0], got[2]);
}
END_TEST

START_TEST(classes_are_counted_apart)
{
    sim_level_cfg cfg = {8 * KB, 64, 4, SIM_LRU};
    sim_cache *c = make(&cfg, 1, 1);
    sim_cache_access(c, 0, 640, false, SIM_WEIGHTS);
    sim_cache_access(c, 64 * KB, 128, true, SIM_KV);
    sim_cache_access(c, 128 * KB, 64, false, SIM_ACT);
    const sim_level_stats *s = sim_cache_level_stats(c, 0);
    ck_assert_uint_eq(s->accesses[SIM_WEIGHTS], 10);
    ck_assert_uint_eq(s->accesses[SIM_KV], 2);
    ck_assert_uint_eq(s->accesses[SIM_ACT], 1);
    ck_assert_ptr_null(sim_cache_level_stats(c, 1));
    sim_cache_access(c, 0, 0, false, SIM_ACT); /* nothing */
    ck_assert_uint_eq(accesses(c, 0), 13);
    sim_cache_free(c);
}
END_TEST

static void rejected(const sim_level_cfg *cfg, int n, const char *needle)
{
    int dummy;
    sim_cache *c = (sim_cache *)&dummy;
    lk_err e = {0};
    ck_assert_int_eq(sim_cache_new(&c, cfg, n, 1, &e), LK_EINPUT);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "'%s' lacks '%s'", e.msg,
                  needle);
}

START_TEST(bad_configs_are_rejected)
{
    sim_level_cfg ok = {32 * KB, 64, 8, SIM_LRU}, bad;
    bad = ok, bad.line_bytes = 48;
    rejected(&bad, 1, "line_bytes 48");
    bad = ok, bad.line_bytes = 8;
    rejected(&bad, 1, "line_bytes 8");
    bad = ok, bad.size_bytes = 0;
    rejected(&bad, 1, "size_bytes is 0");
    bad = ok, bad.size_bytes = 32 * KB + 64;
    rejected(&bad, 1, "not a multiple");
    bad = ok, bad.assoc = 3; /* 32 KB is not a multiple of 192 */
    rejected(&bad, 1, "not a multiple");
    bad = ok, bad.assoc = 0; /* 512 lines fully associative */
    rejected(&bad, 1, "fully associative");
    bad = ok, bad.policy = SIM_POLICY_COUNT;
    rejected(&bad, 1, "policy");
    sim_level_cfg five[5] = {ok, ok, ok, ok, ok};
    rejected(five, 5, "5 levels");
    rejected(five, 0, "0 levels");
    five[1].line_bytes = 100;
    rejected(five, 2, "cache level 2");
}
END_TEST

START_TEST(policy_names_round_trip)
{
    for (int p = 0; p < SIM_POLICY_COUNT; p++) {
        sim_policy q;
        ck_assert_int_eq(sim_policy_parse(sim_policy_name((sim_policy)p), &q,
                                          NULL),
                         LK_OK);
        ck_assert_int_eq(q, p);
    }
    sim_policy q;
    lk_err e = {0};
    ck_assert_int_eq(sim_policy_parse("plru", &q, &e), LK_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "plru"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache");
    TCase *t = tcase_create("cache");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, single_level_matches_reference);
    tcase_add_test(t, two_and_three_levels_match_reference);
    tcase_add_test(t, high_addresses_match_reference);
    tcase_add_test(t, portable_code_matches_reference);
    tcase_add_test(t, auto_picks_what_the_cpu_runs);
    tcase_add_test(t, random_policy_is_the_same_in_both_codes);
    tcase_add_test(t, cold_scan_misses_every_line);
    tcase_add_test(t, fitting_working_set_hits_on_second_pass);
    tcase_add_test(t, lru_cliff_and_random_escape);
    tcase_add_test(t, write_backs_reach_dram_once);
    tcase_add_test(t, doubling_the_line_halves_the_counts);
    tcase_add_test(t, random_policy_is_repeatable);
    tcase_add_test(t, classes_are_counted_apart);
    tcase_add_test(t, bad_configs_are_rejected);
    tcase_add_test(t, policy_names_round_trip);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
