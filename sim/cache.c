/* cache.c -- the multi-level cache hierarchy of cache.h, line by line.
 *
 * The target (issue 4) is 100 million trace lines per second on one
 * core, i.e. a few nanoseconds per level visited, so the code is built
 * around doing little per line. Three things give the speed.
 *
 * Little memory per access. Each set keeps its ways in chunks of 16
 * lanes (16-byte vectors, GCC vector extensions):
 *
 *   fp    an 8-bit fingerprint per way, the low byte of line / nsets, so
 *         one vector compare finds the candidate ways of a set;
 *   meta  per way the LRU age (0 = most recent; the ages of a set are a
 *         permutation of 0..ways-1), the SRRIP RRPV (0..3), or for
 *         random RANDOM_EMPTY while the way is empty, else 0;
 *
 * and, apart, one 64-bit word per way, read only to confirm a candidate
 * or to evict:
 *
 *   bits 63..3  line number (address >> log2(line_bytes))
 *   bits  2..1  tensor class of the data
 *   bit      0  dirty
 *
 * An empty way holds EMPTY, clean, with a line number no address reaches
 * (lines are at least 16 bytes, so line numbers stay below 2^60). Empty
 * ways are filled from way 0 on: LRU starts them as the oldest in that
 * order, SRRIP at RRPV 3, random by their mark. Sets have room for a
 * whole number of chunks; the lanes past the last way are padding whose
 * meta never changes and never matches (LRU: 255, above every age;
 * SRRIP: 0, never aged; random: 0, never empty), so only the fingerprint
 * compare masks them.
 *
 * Whole-set vector steps. A policy update is one pass over the set's
 * meta vectors, with no per-way loop: an LRU miss is "everyone one
 * older, and the oldest (found by compare) becomes 0" in one expression,
 * an LRU hit "everyone younger than the hit one older, the hit one 0".
 *
 * One level at a time, in tight loops. Level 0 walks the range of one
 * sim_cache_access() directly; each level queues what it sends outward
 * (a fill request, then the write-back of a dirty victim, both as words
 * of the format above) for the next level, which runs when the queue is
 * full and at the end of every sim_cache_access(). A level only ever
 * receives requests from the level inside it, in order, so this gives
 * exactly the counts of handling every line through all levels at once.
 * Each loop is compiled once per policy and for sets of at most 16 ways
 * (one chunk: the chunk loops vanish), and once more for AVX-512, chosen
 * at run time (sim_cache_select()); the results never depend on it.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "../common/rand.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lane_bits() assumes lane 0 is the low byte"
#endif

typedef uint8_t lanes __attribute__((vector_size(16)));

#define LANES 16
typedef struct {
    uint8_t fp[LANES], meta[LANES];
} chunk; /* 16 ways of one set */

#define DIRTY UINT64_C(1)
#define CLASS_SHIFT 1
#define CLASS_MASK (UINT64_C(3) << CLASS_SHIFT)
#define FLAGS (CLASS_MASK | DIRTY)
#define LINE_SHIFT 3
#define EMPTY (~DIRTY)
#define RRPV_MAX 3  /* 2-bit RRPV */
#define RRPV_LONG 2 /* SRRIP inserts at "long re-reference" */
#define LRU_PAD 255 /* meta of LRU padding lanes: no age reaches it */
#define RANDOM_EMPTY 0x80 /* random's meta: the top bit, for lane_bits() */
#define MIN_LINE 16
#define MAX_LINE 65536
#define QUEUE 1024   /* words a level queues before the next one runs */

/* What the hot loops read; they copy it into a local so the compiler
 * keeps it in registers across the stores to `chunks` and `tags`. */
typedef struct {
    chunk *chunks;        /* nsets x nchunks */
    uint64_t *tags;       /* nsets x nchunks * LANES words */
    uint64_t nsets;
    uint64_t recip;       /* floor(2^64 / nsets) + 1, see locate() */
    uint64_t recip_limit; /* line numbers below this divide exactly by it */
    uint32_t ways, nchunks;
    uint32_t shift;       /* log2(line_bytes) */
    uint32_t in_shift;    /* log2 of the line size of incoming requests */
    lanes last_valid;     /* 0xFF in the lanes of the last chunk in use */
} geom;

/* One compiled copy of the loops: level 0 walking a range, an outer
 * level handling its queue; per policy and [0]: any ways, [1]: one
 * chunk. */
typedef void range_fn(sim_cache *c, uint64_t first, uint64_t count,
                      uint64_t tail);
typedef void queue_fn(sim_cache *c, int i, const uint64_t *req, size_t n);
typedef struct {
    const char *name;
    bool (*supported)(void);
    range_fn *range[SIM_POLICY_COUNT][2];
    queue_fn *run[SIM_POLICY_COUNT][2];
} impl;

typedef struct {
    geom g;
    sim_policy policy;
    uint64_t *out;     /* queue for the next level (or DRAM) */
    size_t nout, cap;  /* words queued; room (QUEUE + one request's worth) */
    uint32_t per_req;  /* at most this many words out per request */
    sim_level_stats st;
} level;

struct sim_cache {
    level lv[SIM_MAX_LEVELS];
    int n;
    const impl *code; /* the compiled loops it runs */
    uint64_t rng; /* xorshift64* state, never 0 */
    sim_dram_stats dram;
};

static const char *const policy_names[SIM_POLICY_COUNT] = {"lru", "random",
                                                           "srrip"};

const char *sim_policy_name(sim_policy p)
{
    return p < SIM_POLICY_COUNT ? policy_names[p] : "?";
}

int sim_policy_parse(const char *s, sim_policy *p, lk_err *e)
{
    for (int i = 0; i < SIM_POLICY_COUNT; i++)
        if (strcmp(s, policy_names[i]) == 0) {
            *p = (sim_policy)i;
            return LK_OK;
        }
    return lk_fail(e, LK_EINPUT, "policy '%s': expected lru, random or srrip",
                   s);
}

/* splitmix64 turns any seed into a good nonzero xorshift state. */
static uint64_t seed_state(uint64_t seed)
{
    uint64_t z = lk_splitmix64(&seed);
    return z ? z : 1;
}

/* xorshift64* (Vigna 2016): a uniform number in [0, n), via the
 * multiply-shift range reduction instead of a division. */
static inline uint32_t rand_below(uint64_t *rng, uint32_t n)
{
    *rng ^= *rng >> 12;
    *rng ^= *rng << 25;
    *rng ^= *rng >> 27;
    uint32_t r = (uint32_t)((*rng * UINT64_C(0x2545F4914F6CDD1D)) >> 32);
    return (uint32_t)(((uint64_t)r * n) >> 32);
}

/* The set of a line (line mod nsets) and its fingerprint (the low byte of
 * line / nsets), without a division: with M = floor(2^64 / d) + 1,
 * floor(n * M / 2^64) = floor(n / d) for every n < 2^64 / d (the error
 * n * (M - 2^64/d) / 2^64 stays below 1/d). Phone SLCs have set counts
 * like 12288, so a mask is not enough; for a power of two M is exact and
 * this is a shift. (M does not fit for d = 1, whose limit of 0 sends
 * every line to the division.) */
static inline uint64_t locate(const geom *g, uint64_t line, uint8_t *fp)
{
    uint64_t q = line < g->recip_limit
                     ? (uint64_t)(((unsigned __int128)line * g->recip) >> 64)
                     : line / g->nsets;
    *fp = (uint8_t)q;
    return line - q * g->nsets;
}

/* Set and fingerprint of the next line: the set steps up, and when it
 * wraps to 0 the quotient line / nsets, so the fingerprint, steps up. */
static inline void step(const geom *g, uint64_t *set, uint8_t *fp)
{
    if (++*set == g->nsets) {
        *set = 0;
        ++*fp;
    }
}

static inline lanes load(const uint8_t *p)
{
    lanes v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store(uint8_t *p, lanes v)
{
    memcpy(p, &v, sizeof v);
}

/* One bit per lane (bit w set when lane w is nonzero), for lanes of 0 or
 * 0xFF. Without SSE2 the multiply gathers byte i's low bit into bit
 * 56 + i. */
static inline uint32_t lane_bits(lanes m)
{
#ifdef __SSE2__
    return (uint32_t)_mm_movemask_epi8((__m128i)m);
#else
    uint64_t u[2];
    memcpy(u, &m, sizeof u);
    const uint64_t ones = UINT64_C(0x0101010101010101);
    const uint64_t gather = UINT64_C(0x0102040810204080);
    return (uint32_t)(((u[0] & ones) * gather) >> 56) |
           (uint32_t)(((u[1] & ones) * gather) >> 56) << 8;
#endif
}

static inline lanes valid_lanes(const geom *g, uint32_t k)
{
    return k + 1 < g->nchunks ? (lanes){0} - 1 : g->last_valid;
}

/* The way holding line, or -1. A fingerprint match is only a candidate
 * (one in 256 other lines shares it), confirmed by the tag word. */
static inline int find(const geom *g, const chunk *ch, const uint64_t *tags,
                       uint8_t fp, uint64_t line)
{
    lanes want = (lanes){0} + fp;
    for (uint32_t k = 0; k < g->nchunks; k++) {
        uint32_t m = lane_bits((lanes)(load(ch[k].fp) == want) &
                               valid_lanes(g, k));
        for (; m; m &= m - 1) {
            uint32_t w = k * LANES + (uint32_t)__builtin_ctz(m);
            if (tags[w] >> LINE_SHIFT == line)
                return (int)w;
        }
    }
    return -1;
}

/* The chunk holding way w (no division for one chunk, where w < 16). */
static inline chunk *chunk_of(const geom *g, chunk *ch, uint32_t w)
{
    return g->nchunks == 1 ? ch : ch + w / LANES;
}

static inline uint8_t *meta_of(const geom *g, chunk *ch, uint32_t w)
{
    return &chunk_of(g, ch, w)->meta[w % LANES];
}

/* LRU miss: the oldest way (age ways-1, found by compare) goes, every
 * other way gets one older and the new line is age 0. Per chunk that is
 * (meta + 1) & ~(meta == oldest); padding lanes add 0. */
static inline uint32_t lru_victim(const geom *g, chunk *ch)
{
    lanes oldest = (lanes){0} + (uint8_t)(g->ways - 1);
    uint32_t v = 0;
    for (uint32_t k = 0; k < g->nchunks; k++) {
        lanes m = load(ch[k].meta);
        lanes is_old = (lanes)(m == oldest);
        uint32_t bits = lane_bits(is_old);
        if (bits)
            v = k * LANES + (uint32_t)__builtin_ctz(bits);
        store(ch[k].meta, (m + (valid_lanes(g, k) & 1)) & ~is_old);
    }
    return v;
}

/* LRU hit on way h: every way younger than h gets one older (m < age
 * is all ones, i.e. -1, there), h becomes 0 (the only lane equal to its
 * age). Padding lanes hold 255, above every age, so they never change. */
static inline void lru_hit(const geom *g, chunk *ch, uint32_t h)
{
    lanes age = (lanes){0} + *meta_of(g, ch, h);
    for (uint32_t k = 0; k < g->nchunks; k++) {
        lanes m = load(ch[k].meta);
        store(ch[k].meta, (m - (lanes)(m < age)) & ~(lanes)(m == age));
    }
}

/* SRRIP miss (Jaleel et al., ISCA 2010): the first way at RRPV 3 goes,
 * after ageing every way until one is there; the new line gets 2.
 * Padding lanes stay at 0, so they are never found. */
static inline uint32_t srrip_victim(const geom *g, chunk *ch)
{
    lanes at_max = (lanes){0} + RRPV_MAX;
    for (;;) {
        for (uint32_t k = 0; k < g->nchunks; k++) {
            uint32_t bits = lane_bits((lanes)(load(ch[k].meta) == at_max));
            if (bits) {
                uint32_t v = k * LANES + (uint32_t)__builtin_ctz(bits);
                *meta_of(g, ch, v) = RRPV_LONG;
                return v;
            }
        }
        for (uint32_t k = 0; k < g->nchunks; k++)
            store(ch[k].meta, load(ch[k].meta) + (valid_lanes(g, k) & 1));
    }
}

/* Random: empty ways first (meta RANDOM_EMPTY, in way order), then any
 * way. The marks sit next to the fingerprints already loaded, so a full
 * set costs no extra memory access. */
static inline uint32_t random_victim(uint64_t *rng, const geom *g, chunk *ch)
{
    for (uint32_t k = 0; k < g->nchunks; k++) {
        uint32_t bits = lane_bits(load(ch[k].meta));
        if (bits) {
            return k * LANES + (uint32_t)__builtin_ctz(bits);
        }
    }
    return rand_below(rng, g->ways);
}

/* Touch one line. word is the line's tag word (line, class, dirty: the
 * data is written, by the core or as a write-back), set and fp its set
 * and fingerprint (see locate()); fill: on a miss the
 * line must first be read from further out (always, except for a
 * write-back of the whole line). Requests for the next level are
 * appended at *q; rng is the random policy's generator. The caller
 * counts the access. */
static inline __attribute__((always_inline)) void
touch(uint64_t *rng, const geom *g, sim_level_stats *st, uint64_t **q,
      uint64_t word, uint64_t set, uint8_t fp, bool fill, sim_policy pol)
{
    uint64_t line = word >> LINE_SHIFT;
    chunk *ch = g->chunks + set * g->nchunks;
    uint64_t *tags = g->tags + set * g->nchunks * LANES;

    int h = find(g, ch, tags, fp, line);
    if (h >= 0) {
        if (word & DIRTY) /* dirty data belongs to its last writer's class */
            tags[h] = word;
        if (pol == SIM_LRU)
            lru_hit(g, ch, (uint32_t)h);
        else if (pol == SIM_SRRIP) /* a near-immediate re-reference */
            *meta_of(g, ch, (uint32_t)h) = 0;
        return;
    }

    st->misses[(word & CLASS_MASK) >> CLASS_SHIFT]++;
    uint32_t v = pol == SIM_LRU     ? lru_victim(g, ch)
                 : pol == SIM_SRRIP ? srrip_victim(g, ch)
                                    : random_victim(rng, g, ch);
    if (pol == SIM_RANDOM)
        *meta_of(g, ch, v) = 0; /* no longer empty */
    uint64_t old = tags[v];
    tags[v] = word;
    chunk_of(g, ch, v)->fp[v % LANES] = fp;
    /* The fill push is branch-free (write the slot, advance only if it
     * counts). The write-back push is a branch on purpose: advancing q by
     * old & DIRTY would make every later push wait for this load of the
     * tag word, often a miss in the host's caches. */
    **q = word & ~DIRTY;
    *q += fill;
    if (old & DIRTY) {
        st->writebacks[(old & CLASS_MASK) >> CLASS_SHIFT]++;
        *(*q)++ = old;
    }
}

/* Hand level i's queue to the next level, or count it as DRAM traffic. */
static void drain(sim_cache *c, int i)
{
    level *L = &c->lv[i];
    if (i + 1 < c->n) {
        c->code->run[c->lv[i + 1].policy][c->lv[i + 1].g.nchunks == 1](
            c, i + 1, L->out, L->nout);
    } else {
        uint64_t bytes = UINT64_C(1) << L->g.shift;
        for (size_t r = 0; r < L->nout; r++) {
            uint64_t w = L->out[r];
            sim_class cls = (sim_class)((w & CLASS_MASK) >> CLASS_SHIFT);
            if (w & DIRTY)
                c->dram.write_bytes[cls] += bytes;
            else
                c->dram.read_bytes[cls] += bytes;
        }
    }
    L->nout = 0;
}

/* How many more requests surely fit into level i's queue, after draining
 * it when none does. */
static inline size_t room(sim_cache *c, int i)
{
    level *L = &c->lv[i];
    if (L->cap - L->nout < L->per_req)
        drain(c, i);
    return (L->cap - L->nout) / L->per_req;
}

static inline void add_stats(sim_level_stats *to, const sim_level_stats *st)
{
    for (int k = 0; k < SIM_CLASS_COUNT; k++) {
        to->accesses[k] += st->accesses[k];
        to->misses[k] += st->misses[k];
        to->writebacks[k] += st->writebacks[k];
    }
}

/* Level 0 touches `count` lines from `first`, each with the flags of
 * `tail` (class and dirty). Consecutive lines fall in consecutive sets,
 * so only the first line needs locate() (see step()). The loop runs in blocks that fit
 * the queue, so it checks the queue once per block, not per line. */
static inline __attribute__((always_inline)) void
run_range(sim_cache *c, uint64_t first, uint64_t count, uint64_t tail,
          sim_policy pol, bool one_chunk)
{
    level *L = &c->lv[0];
    geom g = L->g; /* a local: see geom */
    if (one_chunk)
        g.nchunks = 1;
    sim_level_stats st = {0}; /* a local: no reloads after every store */
    st.accesses[(tail & CLASS_MASK) >> CLASS_SHIFT] = count;
    uint64_t rng = c->rng; /* a local, in a register */
    uint8_t fp;
    uint64_t set = locate(&g, first, &fp);
    for (uint64_t l = first, end = first + count; l < end;) {
        c->rng = rng; /* drain() runs the other levels, which use it */
        size_t n = room(c, 0);
        rng = c->rng;
        uint64_t stop = end - l < n ? end : l + n;
        uint64_t *q = L->out + L->nout;
        for (; l < stop; l++) {
            touch(&rng, &g, &st, &q, l << LINE_SHIFT | tail, set, fp, true,
                  pol);
            step(&g, &set, &fp);
        }
        L->nout = (size_t)(q - L->out);
    }
    c->rng = rng;
    add_stats(&L->st, &st);
}

/* Add the classes of n queued words, each counting k accesses, to acc:
 * summing the class bits (KV sets bit 1, activations bit 2) instead of
 * indexing by class keeps the loop free of memory increments. */
_Static_assert(SIM_WEIGHTS == 0 && SIM_KV == 1 && SIM_ACT == 2 &&
                   SIM_CLASS_COUNT == 3,
               "count_classes() knows the class numbers");
static inline void count_classes(uint64_t *acc, const uint64_t *req, size_t n,
                                 uint64_t k)
{
    typedef uint64_t words __attribute__((vector_size(32)));
    words kv4 = {0}, act4 = {0};
    size_t r = 0;
    for (; r + 4 <= n; r += 4) { /* four words per step */
        words w;
        memcpy(&w, req + r, sizeof w);
        kv4 += w >> CLASS_SHIFT & 1;
        act4 += w >> (CLASS_SHIFT + 1) & 1;
    }
    uint64_t kv = kv4[0] + kv4[1] + kv4[2] + kv4[3];
    uint64_t act = act4[0] + act4[1] + act4[2] + act4[3];
    for (; r < n; r++) {
        kv += req[r] >> CLASS_SHIFT & 1;
        act += req[r] >> (CLASS_SHIFT + 1) & 1;
    }
    acc[SIM_WEIGHTS] += (n - kv - act) * k;
    acc[SIM_KV] += kv * k;
    acc[SIM_ACT] += act * k;
}

/* Level i > 0 handles the words queued by level i - 1. Requests in lines
 * of another size: a smaller outer line is written whole by a write-
 * back, a larger one only in part, so it is fetched first. same_lines
 * is the common case of equal line sizes, compiled without the loop.
 * Queues are mostly runs of consecutive lines (the misses of a scan),
 * so the set of the line after the last one is kept at hand. */
static inline __attribute__((always_inline)) void
run_queue(sim_cache *c, int i, const uint64_t *req, size_t n, sim_policy pol,
          bool one_chunk, bool same_lines)
{
    level *L = &c->lv[i];
    geom g = L->g;
    if (one_chunk)
        g.nchunks = 1;
    sim_level_stats st = {0};
    uint32_t split = g.in_shift > g.shift ? g.in_shift - g.shift : 0;
    uint32_t down = g.in_shift < g.shift ? g.shift - g.in_shift : 0;
    bool partial = down > 0; /* a write-back covers part of our line */
    if (same_lines)
        split = down = 0, partial = false;
    count_classes(st.accesses, req, n, UINT64_C(1) << split);
    uint64_t rng = c->rng;
    uint64_t next = UINT64_MAX, set = 0; /* next: the line after the last */
    uint8_t fp = 0;
    for (size_t r = 0; r < n;) {
        c->rng = rng; /* as in run_range() */
        size_t stop = r + room(c, i);
        rng = c->rng;
        stop = stop < n ? stop : n;
        uint64_t *q = L->out + L->nout;
        for (; r < stop; r++) {
            uint64_t w = req[r], flags = w & FLAGS;
            bool fill = !(w & DIRTY) || partial;
            uint64_t line = w >> LINE_SHIFT >> down;
            for (uint64_t l = line << split; l < (line + 1) << split; l++) {
                if (l != next)
                    set = locate(&g, l, &fp);
                touch(&rng, &g, &st, &q, l << LINE_SHIFT | flags, set, fp,
                      fill, pol);
                step(&g, &set, &fp);
                next = l + 1;
            }
        }
        L->nout = (size_t)(q - L->out);
    }
    c->rng = rng;
    add_stats(&L->st, &st);
}

/* ---- one compiled copy per instruction set ---------------------------
 *
 * An implementation is the loops above compiled for every policy, for
 * one chunk and for more. The AVX-512 copy is the same C compiled with
 * AVX-512 BW/VL allowed: GCC then does the byte-lane compares into mask
 * registers and broadcasts a byte in one instruction. */

#define LOOPS(isa, attr, pol, one)                                            \
    attr static void range_##isa##_##pol##_##one(                             \
        sim_cache *c, uint64_t first, uint64_t count, uint64_t tail)          \
    {                                                                         \
        run_range(c, first, count, tail, pol, one);                           \
    }                                                                         \
    attr static void queue_##isa##_##pol##_##one(                             \
        sim_cache *c, int i, const uint64_t *req, size_t n)                   \
    {                                                                         \
        if (c->lv[i].g.in_shift == c->lv[i].g.shift)                          \
            run_queue(c, i, req, n, pol, one, true);                          \
        else                                                                  \
            run_queue(c, i, req, n, pol, one, false);                         \
    }

#define IMPL(isa, attr, supported_fn)                                         \
    LOOPS(isa, attr, SIM_LRU, 0)                                              \
    LOOPS(isa, attr, SIM_LRU, 1)                                              \
    LOOPS(isa, attr, SIM_RANDOM, 0)                                           \
    LOOPS(isa, attr, SIM_RANDOM, 1)                                           \
    LOOPS(isa, attr, SIM_SRRIP, 0)                                            \
    LOOPS(isa, attr, SIM_SRRIP, 1)                                            \
    static const impl impl_##isa = {                                          \
        #isa,                                                                 \
        supported_fn,                                                         \
        {{range_##isa##_SIM_LRU_0, range_##isa##_SIM_LRU_1},                  \
         {range_##isa##_SIM_RANDOM_0, range_##isa##_SIM_RANDOM_1},            \
         {range_##isa##_SIM_SRRIP_0, range_##isa##_SIM_SRRIP_1}},             \
        {{queue_##isa##_SIM_LRU_0, queue_##isa##_SIM_LRU_1},                  \
         {queue_##isa##_SIM_RANDOM_0, queue_##isa##_SIM_RANDOM_1},            \
         {queue_##isa##_SIM_SRRIP_0, queue_##isa##_SIM_SRRIP_1}},             \
    };

static bool always(void)
{
    return true;
}

IMPL(portable, , always)

#if defined(__x86_64__) && defined(__GNUC__)
static bool has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,bmi,bmi2")))
IMPL(avx512, AVX512, has_avx512)
static const impl *const impls[] = {&impl_avx512, &impl_portable};
#else
static const impl *const impls[] = {&impl_portable};
#endif
#define NIMPLS (sizeof impls / sizeof impls[0])

/* What sim_cache_new() gives new caches; NULL: the best supported. */
static const impl *wanted;

int sim_cache_select(const char *name, lk_err *e)
{
    if (strcmp(name, "auto") == 0) {
        wanted = NULL;
        return LK_OK;
    }
    for (size_t i = 0; i < NIMPLS; i++) {
        if (strcmp(name, impls[i]->name) != 0)
            continue;
        if (!impls[i]->supported())
            return lk_fail(e, LK_EINPUT,
                           "cache simulator: %s: this CPU cannot run it",
                           name);
        wanted = impls[i];
        return LK_OK;
    }
    return lk_fail(e, LK_EINPUT,
                   "cache simulator: '%s': unknown (auto, avx512 or "
                   "portable)",
                   name);
}

const char *sim_cache_impl(const sim_cache *c)
{
    return c->code->name;
}

static const impl *best(void)
{
    for (size_t i = 0; i < NIMPLS; i++)
        if (impls[i]->supported())
            return impls[i];
    return &impl_portable;
}

/* ---- the public API ------------------------------------------------ */

void sim_cache_access(sim_cache *c, uint64_t addr, uint64_t bytes, bool write,
                      sim_class cls)
{
    if (bytes == 0)
        return;
    level *L = &c->lv[0];
    uint32_t s = L->g.shift;
    uint64_t first = addr >> s, last = (addr + bytes - 1) >> s;
    uint64_t tail = (uint64_t)cls << CLASS_SHIFT | write;
    c->code->range[L->policy][L->g.nchunks == 1](c, first, last - first + 1,
                                                  tail);
    for (int i = 0; i < c->n; i++)
        drain(c, i);
}

static int check_level(const sim_level_cfg *g, int i, lk_err *e)
{
    uint64_t line = g->line_bytes;
    if (line < MIN_LINE || line > MAX_LINE || (line & (line - 1)))
        return lk_fail(e, LK_EINPUT,
                       "cache level %d: line_bytes %llu is not a power of "
                       "two from %d to %d",
                       i + 1, (unsigned long long)line, MIN_LINE, MAX_LINE);
    if (g->size_bytes == 0)
        return lk_fail(e, LK_EINPUT, "cache level %d: size_bytes is 0", i + 1);
    uint64_t unit = line * (g->assoc ? g->assoc : 1);
    if (g->size_bytes % unit)
        return lk_fail(e, LK_EINPUT,
                       "cache level %d: size_bytes %llu is not a multiple of "
                       "line_bytes x assoc (%llu)",
                       i + 1, (unsigned long long)g->size_bytes,
                       (unsigned long long)unit);
    uint64_t ways = g->assoc ? g->assoc : g->size_bytes / line;
    if (ways > SIM_MAX_WAYS)
        return lk_fail(e, LK_EINPUT, "cache level %d: %llu ways%s; at most %d",
                       i + 1, (unsigned long long)ways,
                       g->assoc ? "" : " (fully associative)", SIM_MAX_WAYS);
    if ((unsigned)g->policy >= SIM_POLICY_COUNT)
        return lk_fail(e, LK_EINPUT, "cache level %d: unknown policy %d",
                       i + 1, (int)g->policy);
    return LK_OK;
}

/* The meta byte way w starts with (see the top of the file). */
static uint8_t initial_meta(const geom *g, sim_policy pol, uint32_t w)
{
    if (pol == SIM_LRU) /* way 0 oldest */
        return w < g->ways ? (uint8_t)(g->ways - 1 - w) : LRU_PAD;
    if (pol == SIM_SRRIP)
        return w < g->ways ? RRPV_MAX : 0;
    return w < g->ways ? RANDOM_EMPTY : 0;
}

/* Geometry, then the empty state described at the top. in_shift is the
 * line shift of the level inside (0 for level 0: its own). */
static int init_level(level *L, const sim_level_cfg *cfg, uint32_t in_shift)
{
    geom *g = &L->g;
    g->shift = (uint32_t)__builtin_ctzll(cfg->line_bytes);
    g->in_shift = in_shift ? in_shift : g->shift;
    g->ways = cfg->assoc ? cfg->assoc
                         : (uint32_t)(cfg->size_bytes / cfg->line_bytes);
    g->nchunks = (g->ways + LANES - 1) / LANES;
    g->nsets = cfg->size_bytes / cfg->line_bytes / g->ways;
    if (g->nsets > 1) {
        g->recip = UINT64_MAX / g->nsets + 1;
        g->recip_limit = UINT64_MAX / g->nsets;
    }
    uint32_t last = g->ways - (g->nchunks - 1) * LANES;
    for (uint32_t w = 0; w < LANES; w++)
        g->last_valid[w] = w < last ? 0xFF : 0;
    L->policy = cfg->policy;
    /* a request yields at most 2 words (fill, write-back) per line of
     * this level it covers */
    L->per_req = 2u << (g->in_shift > g->shift ? g->in_shift - g->shift : 0);
    L->cap = QUEUE + L->per_req;
    L->out = malloc(L->cap * sizeof *L->out);
    uint64_t words = g->nsets * g->nchunks * LANES;
    g->tags = malloc(words * sizeof *g->tags);
    g->chunks = calloc(g->nsets * g->nchunks, sizeof *g->chunks);
    if (!L->out || !g->tags || !g->chunks)
        return LK_ERUN;
    for (uint64_t s = 0; s < g->nsets; s++)
        for (uint32_t w = 0; w < g->nchunks * LANES; w++)
            *meta_of(g, g->chunks + s * g->nchunks, w) =
                initial_meta(g, L->policy, w);
    for (uint64_t k = 0; k < words; k++)
        g->tags[k] = EMPTY;
    return LK_OK;
}

int sim_cache_new(sim_cache **out, const sim_level_cfg *levels, int nlevels,
                  uint64_t seed, lk_err *e)
{
    *out = NULL;
    if (nlevels < 1 || nlevels > SIM_MAX_LEVELS)
        return lk_fail(e, LK_EINPUT, "cache: %d levels; expected 1 to %d",
                       nlevels, SIM_MAX_LEVELS);
    for (int i = 0; i < nlevels; i++) {
        int rc = check_level(&levels[i], i, e);
        if (rc)
            return rc;
    }

    sim_cache *c = calloc(1, sizeof *c);
    if (!c)
        return lk_fail(e, LK_ERUN, "cache: out of memory");
    c->n = nlevels;
    c->code = wanted ? wanted : best();
    c->rng = seed_state(seed);
    for (int i = 0; i < nlevels; i++)
        if (init_level(&c->lv[i], &levels[i], i ? c->lv[i - 1].g.shift : 0)) {
            sim_cache_free(c);
            return lk_fail(e, LK_ERUN, "cache level %d: out of memory", i + 1);
        }
    *out = c;
    return LK_OK;
}

void sim_cache_free(sim_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->lv[i].out);
        free(c->lv[i].g.tags);
        free(c->lv[i].g.chunks);
    }
    free(c);
}

void sim_cache_reset_stats(sim_cache *c)
{
    for (int i = 0; i < c->n; i++)
        memset(&c->lv[i].st, 0, sizeof c->lv[i].st);
    memset(&c->dram, 0, sizeof c->dram);
}

const sim_level_stats *sim_cache_level_stats(const sim_cache *c, int level)
{
    return level >= 0 && level < c->n ? &c->lv[level].st : NULL;
}

const sim_dram_stats *sim_cache_dram_stats(const sim_cache *c)
{
    return &c->dram;
}
