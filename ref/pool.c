/* pool.c -- worker threads, pinned with hwloc, woken by a generation
 * counter.
 *
 * pool_run() publishes (fn, arg), bumps the generation and runs worker 0
 * itself; the other workers see the new generation, run fn and count
 * down `pending`. A decode token runs hundreds of jobs a few microseconds
 * apart, so both sides first spin (a futex wake-up costs several
 * microseconds) and only after SPIN_MS of polling sleep on a futex. The
 * sleeper counts make the wake-up syscall happen only when someone is
 * actually asleep; sequentially consistent atomics on both sides (store
 * the flag, then load the other's) make a missed wake-up impossible, and
 * FUTEX_WAIT itself rechecks the value before sleeping.
 *
 * pool_run_rows() gives each worker one contiguous range of rows and lets
 * a worker that is done take the rest of another's from its back end.
 * Why: a worker's rows stay one sequential stream (what the hardware
 * prefetcher follows at full speed), yet equal halves do not finish in
 * equal times, since a range that continues the previous call's stream
 * runs ahead of one that starts mid-call. Handing every row out from one
 * shared counter would break the streams. The measurements are in
 * docs/performance.md ("Thread pool").
 */
#include "pool.h"

#include <hwloc.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/clock.h"

/* Polling time before sleeping: longer than the gap between two mat-vecs
 * of a token (microseconds), far shorter than a pause between commands.
 * Timed rather than counted: the spin hint's cost varies several-fold
 * between cores (docs/performance.md). */
#define SPIN_MS 0.1

/* A spin-wait hint to the core (it yields the pipeline to the other
 * hardware thread and saves power while polling); nothing where the
 * architecture has none. */
static inline void spin_hint(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Rows a worker takes at a time in pool_run_rows(): few enough that the
 * workers finish within a chunk of each other, enough that a take (one
 * compare-and-swap) is noise beside the rows' work. */
#define CHUNK_ROWS 64

typedef struct {
    pool *p;
    int i;
    pthread_t th;
} worker;

/* The rows [lo, hi) of a worker's range not yet taken, lo in the high 32
 * bits: in one word, so that its owner (taking from the front) and the
 * others (from the back) never take the same rows. One cache line each. */
typedef struct {
    _Alignas(64) _Atomic uint64_t rows;
} span;

struct pool {
    int n;
    worker *w;
    span *spans; /* (n) for pool_run_rows() */
    hwloc_topology_t topo;
    hwloc_cpuset_t caller_set; /* the caller's binding before pool_create */
    hwloc_obj_t *cores;        /* (ncores) in the order workers take them */
    int ncores;
    pool_cores *list;          /* the CPUs workers take instead, or NULL */
    pool_fn fn;
    void *arg;
    _Alignas(64) atomic_uint gen;   /* bumped once per job (and to stop) */
    atomic_int sleepers;            /* workers asleep on gen */
    _Alignas(64) atomic_uint pending; /* workers still running the job */
    atomic_int caller_asleep;
    atomic_int stop;
};

static void futex_wait(atomic_uint *addr, unsigned val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Spin, then sleep, until *addr != val; returns the new value. */
static unsigned wait_change(atomic_uint *addr, unsigned val, atomic_int *asleep)
{
    double deadline = 0;
    for (unsigned k = 0;; k++) {
        unsigned v = atomic_load_explicit(addr, memory_order_acquire);
        if (v != val)
            return v;
        if (k % 64 == 0) { /* the clock costs about one pause */
            double t = lk_clock_ms();
            if (!deadline)
                deadline = t + SPIN_MS;
            else if (t > deadline)
                break;
        }
        spin_hint();
    }
    unsigned v;
    while ((v = atomic_load(addr)) == val) {
        atomic_fetch_add(asleep, 1);
        if (atomic_load(addr) == val)
            futex_wait(addr, val);
        atomic_fetch_sub(asleep, 1);
    }
    return v;
}

/* The cores in the order workers take them (p->cores, p->ncores). On a
 * CPU with several kinds of cores (big.LITTLE: hwloc's cpukinds, which
 * it lists from the lowest efficiency rank to the highest, the highest
 * being the most performant) the most performant kind comes first, then
 * the next, so that n threads run on the n fastest cores; within a kind,
 * and where the kinds or their ranks are unknown, hwloc's order. */
static int order_cores(pool *p)
{
    int n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
    p->ncores = 0;
    if (n <= 0)
        return 0;
    p->cores = calloc((size_t)n, sizeof *p->cores);
    hwloc_bitmap_t kind = hwloc_bitmap_alloc();
    if (!p->cores || !kind) {
        hwloc_bitmap_free(kind);
        return -1;
    }
    int kinds = hwloc_cpukinds_get_nr(p->topo, 0), eff = -1;
    if (kinds > 1)
        hwloc_cpukinds_get_info(p->topo, (unsigned)kinds - 1, kind, &eff, NULL, NULL, 0);
    if (kinds <= 1 || eff < 0) { /* one pass over every core */
        kinds = 1;
        hwloc_bitmap_fill(kind);
    }
    for (int k = kinds - 1; k >= 0; k--) {
        if (kinds > 1)
            hwloc_cpukinds_get_info(p->topo, (unsigned)k, kind, NULL, NULL, NULL, 0);
        for (int c = 0; c < n; c++) {
            hwloc_obj_t core = hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_CORE, (unsigned)c);
            if (hwloc_bitmap_intersects(core->cpuset, kind) && p->ncores < n)
                p->cores[p->ncores++] = core;
        }
    }
    hwloc_bitmap_free(kind);
    return 0;
}

/* The PU worker i runs on: the i-th of the list (modulo its length),
 * else of the core worker i (modulo the core count). */
static int worker_pu(const pool *p, int i)
{
    if (p->list)
        return p->list->cpu[i % p->list->n];
    return p->ncores > 0 ? hwloc_bitmap_first(p->cores[i % p->ncores]->cpuset) : -1;
}

/* Bind the calling thread to worker i's PU. */
static void pin(const pool *p, int i)
{
    int pu = worker_pu(p, i);
    if (pu < 0)
        return;
    hwloc_cpuset_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, (unsigned)pu);
    hwloc_set_cpubind(p->topo, set, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(set);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->p;
    pin(p, w->i);
    unsigned seen = 0;
    for (;;) {
        seen = wait_change(&p->gen, seen, &p->sleepers);
        if (atomic_load(&p->stop))
            return NULL;
        p->fn(p->arg, w->i, p->n);
        if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->caller_asleep))
            futex_wake(&p->pending);
    }
}

/* Publish the job (fn may be NULL when stopping) to the other workers. */
static void start(pool *p, pool_fn fn, void *arg)
{
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->pending, (unsigned)(p->n - 1));
    atomic_fetch_add(&p->gen, 1);
    if (atomic_load(&p->sleepers))
        futex_wake(&p->gen);
}

void pool_run(pool *p, pool_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    start(p, fn, arg);
    fn(arg, 0, p->n);
    unsigned v;
    while ((v = atomic_load_explicit(&p->pending, memory_order_acquire)) != 0)
        wait_change(&p->pending, v, &p->caller_asleep);
}

typedef struct {
    pool *p;
    pool_rows_fn fn;
    void *arg;
    int64_t base, chunk, align;
} rows_job;

/* Up to j->chunk rows of sp, from its front or its back (starting on a
 * multiple of j->align); 0 when none are left. */
static int take(span *sp, int back, const rows_job *j, int64_t *r0, int64_t *r1)
{
    uint64_t old = atomic_load_explicit(&sp->rows, memory_order_relaxed), now;
    do {
        int64_t lo = (int64_t)(old >> 32), hi = (int64_t)(old & UINT32_MAX);
        if (lo >= hi)
            return 0;
        if (back) {
            *r0 = hi - j->chunk > lo ? (hi - j->chunk) / j->align * j->align : lo;
            *r1 = hi;
            now = (uint64_t)lo << 32 | (uint64_t)*r0;
        } else {
            *r0 = lo;
            *r1 = hi - lo > j->chunk ? lo + j->chunk : hi;
            now = (uint64_t)*r1 << 32 | (uint64_t)hi;
        }
    } while (!atomic_compare_exchange_weak_explicit(&sp->rows, &old, now, memory_order_relaxed,
                                                    memory_order_relaxed));
    return 1;
}

/* Worker i: its own range (k = 0), then what is left of the others'. */
static void rows_worker(void *arg, int i, int n)
{
    const rows_job *j = arg;
    int64_t r0, r1;
    for (int k = 0; k < n; k++)
        while (take(&j->p->spans[(i + k) % n], k > 0, j, &r0, &r1))
            j->fn(j->arg, j->base + r0, j->base + r1);
}

void pool_run_rows(pool *p, int64_t n, int64_t align, pool_rows_fn fn, void *arg)
{
    align = align < 1 ? 1 : align;
    rows_job j = {.p = p, .fn = fn, .arg = arg, .align = align,
                  .chunk = (CHUNK_ROWS + align - 1) / align * align};
    if (p->n == 1) {
        if (n > 0)
            fn(arg, 0, n);
        return;
    }
    int64_t piece = ((int64_t)1 << 31) / align * align; /* spans hold 32 bits */
    for (; j.base < n; j.base += piece) {
        int64_t m = n - j.base < piece ? n - j.base : piece;
        for (int i = 0; i < p->n; i++) {
            int64_t lo = m * i / p->n / align * align;
            int64_t hi = i + 1 == p->n ? m : m * (i + 1) / p->n / align * align;
            atomic_store_explicit(&p->spans[i].rows, (uint64_t)lo << 32 | (uint64_t)hi,
                                  memory_order_relaxed);
        }
        pool_run(p, rows_worker, &j); /* its start() publishes the spans */
    }
}

int pool_physical_cores(void)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) < 0)
        return 1;
    int n = hwloc_topology_load(topo) < 0
                ? 1
                : hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    hwloc_topology_destroy(topo);
    return n > 0 ? n : 1;
}

/* ---- which cores ---------------------------------------------------- */

/* --cores, set once by the CLI before any pool (pool_use_cores). */
static pool_cores chosen;

void pool_use_cores(const pool_cores *c)
{
    chosen.n = 0;
    if (c)
        chosen = *c;
}

int pool_machine_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n < 1 ? 1 : n > POOL_MAX_CPUS ? POOL_MAX_CPUS : (int)n;
}

/* A CPU number at *s (digits only), advancing *s; -1 when none. One
 * too large for an int reads as INT_MAX, past any machine's CPUs. */
static long cpu_number(const char **s)
{
    if (**s < '0' || **s > '9')
        return -1;
    long v = 0;
    while (**s >= '0' && **s <= '9') {
        v = v * 10 + (**s - '0');
        if (v > INT_MAX)
            v = INT_MAX; /* out of range below, whatever follows */
        (*s)++;
    }
    return v;
}

int pool_parse_cores(const char *list, int ncpu, pool_cores *c, lk_err *e)
{
    c->n = 0;
    if (!list || !*list)
        return lk_fail(e, LK_EINPUT, "--cores: empty list (say e.g. 4-7 or 0,2,4)");
    bool seen[POOL_MAX_CPUS] = {false};
    ncpu = ncpu < POOL_MAX_CPUS ? ncpu : POOL_MAX_CPUS;
    const char *s = list;
    for (;;) {
        long lo = cpu_number(&s), hi = lo;
        if (lo >= 0 && *s == '-') {
            s++;
            hi = cpu_number(&s);
        }
        if (lo < 0 || hi < 0 || (*s && *s != ','))
            return lk_fail(e, LK_EINPUT, "--cores: '%s' is not a list of CPUs like 4-7 "
                           "or 0,2,4", list);
        if (hi < lo)
            return lk_fail(e, LK_EINPUT, "--cores: range %ld-%ld runs backwards", lo, hi);
        for (long k = lo; k <= hi; k++) {
            if (k >= ncpu)
                return lk_fail(e, LK_EINPUT, "--cores: '%s' names a CPU past %d, this "
                               "machine's last", list, ncpu - 1);
            if (seen[k])
                return lk_fail(e, LK_EINPUT, "--cores: CPU %ld is listed twice", k);
            seen[k] = true;
            c->cpu[c->n++] = (int)k;
        }
        if (!*s)
            return LK_OK;
        s++; /* the comma */
    }
}

static int by_value(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void pool_cores_format(const pool_cores *c, char *out, size_t n)
{
    int cpu[POOL_MAX_CPUS], m = 0;
    for (int i = 0; i < c->n && m < POOL_MAX_CPUS; i++) {
        bool dup = c->cpu[i] < 0;
        for (int k = 0; k < m && !dup; k++)
            dup = cpu[k] == c->cpu[i];
        if (!dup)
            cpu[m++] = c->cpu[i];
    }
    qsort(cpu, (size_t)m, sizeof *cpu, by_value);
    size_t len = 0;
    if (n)
        out[0] = '\0';
    for (int k = 0; k < m && len < n; k++) {
        int j = k;
        while (j + 1 < m && cpu[j + 1] == cpu[j] + 1)
            j++;
        len += (size_t)snprintf(out + len, n - len, j > k ? "%s%d-%d" : "%s%d",
                                k ? "," : "", cpu[k], cpu[j]);
        k = j;
    }
}

void pool_cores_text(const pool *p, char *out, size_t n)
{
    pool_cores c = {0};
    for (int i = 0; i < p->n && i < POOL_MAX_CPUS; i++)
        c.cpu[c.n++] = worker_pu(p, i);
    pool_cores_format(&c, out, n);
}

/* The number in file root/sys/devices/system/cpu/cpuN/rel, -1 when the
 * file is missing or holds none. */
static long read_cpu_value(const char *root, int cpu, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sys/devices/system/cpu/cpu%d/%s", root, cpu, rel);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1 || v < 0)
            v = -1;
        fclose(f);
    }
    return v;
}

/* Why these files: cpu_capacity is what the kernel's scheduler itself
 * ranks big.LITTLE cores by (Documentation/scheduler/sched-capacity.rst),
 * read from the device tree, so it also exists where cpufreq is not
 * exposed; cpuinfo_max_freq (Documentation/cpu-freq/cpu-drivers.rst)
 * separates clusters of one design clocked differently. */
void pool_clusters(const char *root, pool_cluster_set *out)
{
    memset(out, 0, sizeof *out);
    static const char *const files[] = {"cpu_capacity", "cpufreq/cpuinfo_max_freq"};
    static const char *const names[] = {"cpu_capacity", "cpuinfo_max_freq"};
    char dir[4096];
    int ncpu = 0;
    for (; ncpu < POOL_MAX_CPUS; ncpu++) {
        snprintf(dir, sizeof dir, "%s/sys/devices/system/cpu/cpu%d", root, ncpu);
        if (access(dir, F_OK) != 0)
            break;
    }
    for (int f = 0; f < 2 && ncpu > 0 && !out->n; f++) {
        int cpu;
        for (cpu = 0; cpu < ncpu; cpu++) {
            long v = read_cpu_value(root, cpu, files[f]);
            if (v < 0)
                break;
            int k = 0;
            while (k < out->n && out->c[k].speed != v)
                k++;
            if (k == POOL_MAX_CLUSTERS)
                break;
            if (k == out->n)
                out->c[out->n++].speed = v;
            pool_cores *c = &out->c[k].cores;
            c->cpu[c->n++] = cpu;
        }
        if (cpu < ncpu)
            memset(out, 0, sizeof *out);
        else
            out->source = names[f];
    }
    for (int i = 1; i < out->n; i++) /* fastest first; few clusters */
        for (int j = i; j > 0 && out->c[j].speed > out->c[j - 1].speed; j--) {
            pool_cluster t = out->c[j];
            out->c[j] = out->c[j - 1];
            out->c[j - 1] = t;
        }
}

/* The CPUs p's workers take (p->list, left NULL for hwloc's cores) and
 * *n when it is <= 0: --cores; else on aarch64, where phones put cores
 * of several speeds, the clusters fastest first, *n the fastest one's
 * size. x86 keeps hwloc's order, whose cpukinds already rank hybrid
 * cores, and whose cpuinfo_max_freq differs by a few per cent between
 * cores of one kind (turbo ranking) that are no clusters. -1: out of
 * memory. */
static int choose_cores(pool *p, int *n)
{
    pool_cores *l = malloc(sizeof *l);
    if (!l)
        return -1;
    *l = chosen;
#ifdef __aarch64__
    if (!l->n) {
        pool_cluster_set cs;
        pool_clusters("", &cs);
        for (int k = 0; k < cs.n && cs.n > 1; k++)
            for (int i = 0; i < cs.c[k].cores.n; i++)
                l->cpu[l->n++] = cs.c[k].cores.cpu[i];
        if (*n <= 0 && cs.n > 1)
            *n = cs.c[0].cores.n;
    }
#endif
    if (!l->n) {
        free(l);
        return 0;
    }
    if (*n <= 0)
        *n = l->n;
    p->list = l;
    return 0;
}

int pool_create(pool **out, int n, lk_err *e)
{
    *out = NULL;
    /* its _Alignas(64) members need the pool 64-byte aligned, which
     * malloc does not promise (sizeof is a multiple of the alignment) */
    pool *p = aligned_alloc(_Alignof(pool), sizeof *p);
    if (!p)
        return lk_fail(e, LK_ERUN, "threads: out of memory");
    memset(p, 0, sizeof *p);
    if (hwloc_topology_init(&p->topo) < 0 || hwloc_topology_load(p->topo) < 0) {
        free(p);
        return lk_fail(e, LK_ERUN, "threads: hwloc cannot read the topology");
    }
    if (choose_cores(p, &n) < 0) {
        hwloc_topology_destroy(p->topo);
        free(p);
        return lk_fail(e, LK_ERUN, "threads: out of memory");
    }
    if (n <= 0)
        n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
    p->n = n > 0 ? n : 1;
    p->w = calloc((size_t)p->n, sizeof *p->w);
    p->spans = aligned_alloc(64, (size_t)p->n * sizeof *p->spans);
    p->caller_set = hwloc_bitmap_alloc();
    if (!p->w || !p->spans || !p->caller_set) {
        pool_free(p);
        return lk_fail(e, LK_ERUN, "threads: out of memory");
    }
    if (order_cores(p) < 0) {
        pool_free(p);
        return lk_fail(e, LK_ERUN, "threads: out of memory");
    }
    hwloc_get_cpubind(p->topo, p->caller_set, HWLOC_CPUBIND_THREAD);
    pin(p, 0);
    for (int i = 1; i < p->n; i++) {
        p->w[i] = (worker){.p = p, .i = i};
        int rc = pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]);
        if (rc) {
            p->n = i; /* pool_free joins the ones started */
            pool_free(p);
            return lk_fail(e, LK_ERUN, "threads: cannot start thread %d: %s",
                           i, strerror(rc));
        }
    }
    *out = p;
    return LK_OK;
}

void pool_free(pool *p)
{
    if (!p)
        return;
    if (p->w && p->n > 1) {
        atomic_store(&p->stop, 1);
        start(p, NULL, NULL);
        for (int i = 1; i < p->n; i++)
            pthread_join(p->w[i].th, NULL);
    }
    if (p->caller_set) {
        if (!hwloc_bitmap_iszero(p->caller_set))
            hwloc_set_cpubind(p->topo, p->caller_set, HWLOC_CPUBIND_THREAD);
        hwloc_bitmap_free(p->caller_set);
    }
    hwloc_topology_destroy(p->topo);
    free(p->cores);
    free(p->list);
    free(p->w);
    free(p->spans);
    free(p);
}

int pool_threads(const pool *p)
{
    return p->n;
}

int pool_cpu(const pool *p, int i)
{
    return worker_pu(p, i);
}
