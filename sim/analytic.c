/* analytic.c -- reuse distances over ranges (see analytic.h). */
#include "analytic.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t addr, bytes;
    uint64_t lines[SIM_MAX_LEVELS];
    int64_t last;                 /* time of the previous access, -1: none */
    bool dirty[SIM_MAX_LEVELS];
    bool used;
} range;

struct sim_analytic {
    int n;
    uint64_t cap[SIM_MAX_LEVELS];    /* capacity in lines */
    uint32_t shift[SIM_MAX_LEVELS];  /* log2(line_bytes) */
    range *r;                        /* open-addressed hash on (addr, bytes) */
    uint64_t nr, rmask;
    uint64_t *fen[SIM_MAX_LEVELS];   /* Fenwick trees over access times */
    int64_t *who;                    /* range index of each time slot */
    int64_t now, slots;
    bool oom;                        /* an allocation failed mid-trace */
    sim_level_stats st[SIM_MAX_LEVELS];
    sim_dram_stats dram;
};

static void fen_add(uint64_t *f, int64_t n, int64_t i, int64_t v)
{
    for (i++; i <= n; i += i & -i)
        f[i - 1] += (uint64_t)v;
}

static uint64_t fen_sum(const uint64_t *f, int64_t i) /* slots [0, i] */
{
    uint64_t s = 0;
    for (i++; i > 0; i -= i & -i)
        s += f[i - 1];
    return s;
}

static uint64_t hash(uint64_t addr, uint64_t bytes)
{
    uint64_t h = addr * UINT64_C(0x9E3779B97F4A7C15) ^ bytes * UINT64_C(0xC2B2AE3D27D4EB4F);
    return h ^ h >> 29;
}

/* Double the time slots: rebuild the trees from the latest accesses. */
static int grow_time(sim_analytic *a)
{
    int64_t n = a->slots ? 2 * a->slots : 4096;
    int64_t *who = realloc(a->who, (size_t)n * sizeof *who);
    if (!who)
        return -1;
    a->who = who;
    for (int l = 0; l < a->n; l++) {
        uint64_t *f = realloc(a->fen[l], (size_t)n * sizeof *f);
        if (!f)
            return -1;
        a->fen[l] = f;
        memset(f, 0, (size_t)n * sizeof *f);
        for (int64_t t = 0; t < a->now; t++) {
            const range *r = &a->r[who[t]];
            if (r->last == t)
                fen_add(f, n, t, (int64_t)r->lines[l]);
        }
    }
    a->slots = n;
    return 0;
}

static int grow_ranges(sim_analytic *a)
{
    uint64_t n = a->rmask ? 2 * (a->rmask + 1) : 1024;
    range *r = calloc(n, sizeof *r);
    if (!r)
        return -1;
    int64_t *map = malloc((a->rmask + 1) * sizeof *map);
    if (a->rmask && !map) {
        free(r);
        return -1;
    }
    for (uint64_t i = 0; a->rmask && i <= a->rmask; i++) {
        if (!a->r[i].used)
            continue;
        uint64_t j = hash(a->r[i].addr, a->r[i].bytes) & (n - 1);
        while (r[j].used)
            j = (j + 1) & (n - 1);
        r[j] = a->r[i];
        map[i] = (int64_t)j;
    }
    for (int64_t t = 0; t < a->now; t++)
        a->who[t] = map[a->who[t]];
    free(map);
    free(a->r);
    a->r = r;
    a->rmask = n - 1;
    return 0;
}

static int64_t find_range(sim_analytic *a, uint64_t addr, uint64_t bytes)
{
    if (2 * (a->nr + 1) > a->rmask + 1 && grow_ranges(a))
        return -1;
    uint64_t j = hash(addr, bytes) & a->rmask;
    while (a->r[j].used && (a->r[j].addr != addr || a->r[j].bytes != bytes))
        j = (j + 1) & a->rmask;
    range *r = &a->r[j];
    if (!r->used) {
        *r = (range){.addr = addr, .bytes = bytes, .last = -1, .used = true};
        for (int l = 0; l < a->n; l++)
            r->lines[l] = ((addr + bytes - 1) >> a->shift[l]) - (addr >> a->shift[l]) + 1;
        a->nr++;
    }
    return (int64_t)j;
}

int sim_analytic_new(sim_analytic **out, const sim_level_cfg *levels,
                     int nlevels, lk_err *e)
{
    *out = NULL;
    if (nlevels < 1 || nlevels > SIM_MAX_LEVELS)
        return lk_fail(e, LK_EINPUT, "analytic: %d levels; expected 1 to %d",
                       nlevels, SIM_MAX_LEVELS);
    for (int l = 0; l < nlevels; l++)
        if (levels[l].policy != SIM_LRU)
            return lk_fail(e, LK_EINPUT, "policy %s of cache level %d: the analytic mode "
                           "models LRU only (use --mode exact)",
                           sim_policy_name(levels[l].policy), l + 1);
    sim_analytic *a = calloc(1, sizeof *a);
    if (!a)
        return lk_fail(e, LK_ERUN, "analytic: out of memory");
    a->n = nlevels;
    for (int l = 0; l < nlevels; l++) {
        a->shift[l] = (uint32_t)__builtin_ctzll(levels[l].line_bytes);
        a->cap[l] = levels[l].size_bytes >> a->shift[l];
    }
    if (grow_ranges(a) || grow_time(a)) {
        sim_analytic_free(a);
        return lk_fail(e, LK_ERUN, "analytic: out of memory");
    }
    *out = a;
    return LK_OK;
}

void sim_analytic_free(sim_analytic *a)
{
    if (!a)
        return;
    for (int l = 0; l < a->n; l++)
        free(a->fen[l]);
    free(a->who);
    free(a->r);
    free(a);
}

/* The range's dirty data, evicted from level l since its last access,
 * went to level l + 1 (or DRAM). An approximation: it entered level l + 1
 * when level l evicted it, after that access, yet level l + 1 is judged
 * by the lines touched since the access, as if it had held the range all
 * along. The exact mode keeps such data longer (MobileLLM-1B on the A15,
 * 12 MB L2: exact writes 292,352 bytes a token, this 3,765,760; with a
 * 384 KB L2 both write 3,765,760): README.md, bytes written. */
static void write_back(sim_analytic *a, range *r, int l, sim_class cls)
{
    a->st[l].writebacks[cls] += r->lines[l];
    if (l + 1 == a->n)
        a->dram.write_bytes[cls] += r->lines[l] << a->shift[l];
    else
        r->dirty[l + 1] = true;
}

void sim_analytic_access(sim_analytic *a, uint64_t addr, uint64_t bytes,
                         bool write, sim_class cls)
{
    if (!bytes)
        return;
    if (a->oom || (a->now == a->slots && grow_time(a)))
        goto oom;
    int64_t ri = find_range(a, addr, bytes);
    if (ri < 0)
        goto oom;
    range *r = &a->r[ri];
    int64_t t = a->now++;
    a->who[t] = ri;
    bool served = false;
    for (int l = 0; l < a->n; l++) {
        uint64_t n = r->lines[l];
        bool seen = r->last >= 0;
        uint64_t d = seen ? fen_sum(a->fen[l], t - 1) - fen_sum(a->fen[l], r->last) : 0;
        if (seen)
            fen_add(a->fen[l], a->slots, r->last, -(int64_t)n);
        fen_add(a->fen[l], a->slots, t, (int64_t)n);
        if (served)
            continue;
        a->st[l].accesses[cls] += n;
        if (seen && n + d <= a->cap[l]) {
            served = true;
            r->dirty[l] |= write && l == 0;
            continue;
        }
        a->st[l].misses[cls] += n;
        if (r->dirty[l])
            write_back(a, r, l, cls);
        r->dirty[l] = write && l == 0;
    }
    if (!served)
        a->dram.read_bytes[cls] += r->lines[a->n - 1] << a->shift[a->n - 1];
    r->last = t;
    return;
oom:
    a->oom = true;
}

int sim_analytic_check(const sim_analytic *a, lk_err *e)
{
    return a->oom ? lk_fail(e, LK_ERUN, "analytic: out of memory") : LK_OK;
}

void sim_analytic_reset_stats(sim_analytic *a)
{
    memset(a->st, 0, sizeof a->st);
    memset(&a->dram, 0, sizeof a->dram);
}

const sim_level_stats *sim_analytic_level_stats(const sim_analytic *a, int level)
{
    return level >= 0 && level < a->n ? &a->st[level] : NULL;
}

const sim_dram_stats *sim_analytic_dram_stats(const sim_analytic *a)
{
    return &a->dram;
}
