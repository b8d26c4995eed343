/* probe.c -- measure the host (hwloc topology, timed kernels) and write
 * it as a hardware profile. See probe.h.
 *
 * Bandwidth: ref_stream's streaming read (ref/stream.h, shared with
 * lanky bench), best of PROBE_RUNS runs after one warm-up, so a run
 * disturbed by another process does not count. Compute: ref_compute's
 * mat-vec on a matrix that stays in L2 (ref/stream.h, shared with lanky
 * bench too).
 */
#include "probe.h"

#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../arch/plan.h"
#include "../common/clock.h"
#include "../common/outfile.h"
#include "../sim/profile.h"
#include "../ref/kern.h"
#include "../ref/mem.h"
#include "../ref/stream.h"
#include "opspeed.h"

/* A shared last level's usable size is the largest buffer that still
 * streams at PROBE_KNEE of the rate of a buffer well inside it, looked
 * for in steps of 2^(1/4) from PROBE_KNEE_START x the level inside it
 * up to the size hwloc reports, until two sizes in a row are slower. The Xeon VM's 480 MiB L3: 59-61 GB/s up
 * to 144-160 MiB, 54 at 176, 46-54 at 192, 38-46 at 256, DRAM's 33 from
 * 512 MiB (two interleaved passes, docs/performance.md). */
#define PROBE_KNEE 0.9
#define PROBE_KNEE_START 4

double probe_read_gbs(pool *p, size_t bytes)
{
    ref_stream s;
    if (ref_stream_build(&s, p, bytes, NULL))
        return 0;
    double best = 0;
    for (int r = 0; r < PROBE_RUNS; r++) {
        double gbs = ref_stream_gbs(&s, p);
        best = gbs > best ? gbs : best;
    }
    ref_stream_free(&s);
    return best;
}

/* ---- mat-vec throughput ----------------------------------------------- */

double probe_matvec_gflops(pool *p, arch_dtype t, size_t bytes)
{
    ref_compute c;
    if (ref_compute_build(&c, p, t, bytes, NULL))
        return 0;
    double best = 0;
    for (int r = 0; r < PROBE_RUNS; r++) {
        double g = ref_compute_gflops(&c, p);
        best = g > best ? g : best;
    }
    ref_compute_free(&c);
    return best;
}

/* ---- compute peak ------------------------------------------------------ */

/* Steps of kern_peak() per worker and run: about 20 ms at 2 AVX-512 FMAs
 * a cycle and 3 GHz (24 accumulators a step). */
#define PEAK_ITERS (1 << 22)

typedef struct {
    arch_dtype t;
    int64_t macs; /* of one worker: every worker does the same */
} peak_job;

static void peak_slice(void *arg, int i, int n)
{
    (void)n;
    peak_job *j = arg;
    int64_t macs = kern_peak(j->t, PEAK_ITERS);
    if (i == 0)
        j->macs = macs;
}

double probe_peak_gflops(pool *p, arch_dtype t)
{
    peak_job j = {.t = t};
    int nt = pool_threads(p);
    double best = 0;
    for (int r = 0; r <= PROBE_RUNS; r++) {
        double t0 = lk_clock_ms();
        pool_run(p, peak_slice, &j);
        double g = 2.0 * (double)j.macs * nt / (lk_clock_ms() - t0) / 1e6;
        if (r > 0 && g > best)
            best = g;
    }
    return best;
}

/* ---- topology -------------------------------------------------------- */

static void read_caches(probe_host *h, hwloc_topology_t topo)
{
    static const hwloc_obj_type_t types[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
        HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, types[k], 0);
        if (!o || o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ||
            h->ncache == PROBE_MAX_CACHES)
            continue;
        probe_cache *c = &h->cache[h->ncache++];
        snprintf(c->name, sizeof c->name, "L%u%s", o->attr->cache.depth,
                 o->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? "d" : "");
        c->size = c->hwloc_size = o->attr->cache.size;
        c->line = o->attr->cache.linesize;
        int ways = o->attr->cache.associativity; /* -1 full, 0 unknown */
        c->assoc = ways < 0 ? 0 : ways == 0 ? -1 : ways;
        int under = hwloc_get_nbobjs_inside_cpuset_by_type(topo, o->cpuset,
                                                           HWLOC_OBJ_CORE);
        c->shared = h->cores > 1 && under == h->cores;
    }
}

static void cpu_model(hwloc_topology_t topo, char *out, size_t n)
{
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    snprintf(out, n, "%s", model ? model : "unknown CPU");
}

void probe_cpu_name(char *out, size_t n)
{
    hwloc_topology_t topo;
    snprintf(out, n, "unknown CPU");
    if (hwloc_topology_init(&topo) < 0)
        return;
    if (hwloc_topology_load(topo) == 0)
        cpu_model(topo, out, n);
    hwloc_topology_destroy(topo);
}

static void read_topology(probe_host *h, hwloc_topology_t topo)
{
    h->cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    h->cores = h->cores > 0 ? h->cores : 1;
    hwloc_obj_t root = hwloc_get_root_obj(topo);
    cpu_model(topo, h->cpu, sizeof h->cpu);
    h->mem_hwloc = root->total_memory;
    h->mem_bytes = mem_physical();
    read_caches(h, topo);
}

/* The last cache level when all cores share it and a level lies inside
 * it: the one whose usable size and mat-vec efficiency are measured. */
static probe_cache *shared_llc(probe_host *h)
{
    probe_cache *c = &h->cache[h->ncache - 1];
    return h->ncache > 1 && c->shared ? c : NULL;
}

/* Tell progress (when not NULL) what is measured: fmt with its %s. */
static void tell(void (*progress)(const char *what), const char *fmt, const char *arg)
{
    char what[96];
    snprintf(what, sizeof what, fmt, arg);
    if (progress)
        progress(what);
}

static uint64_t usable_size(pool *p, const probe_cache *c, uint64_t inner)
{
    uint64_t unit = (uint64_t)c->line * (uint64_t)(c->assoc > 0 ? c->assoc : 1);
    double size = (double)inner * PROBE_KNEE_START, step = pow(2, 0.25);
    if (size >= (double)c->hwloc_size)
        return c->hwloc_size;
    double inside = probe_read_gbs(p, (size_t)size), last = size;
    int slow = 0; /* sizes in a row below the knee: one may be noise */
    for (size *= step; size <= (double)c->hwloc_size && slow < 2; size *= step) {
        if (probe_read_gbs(p, (size_t)size) < PROBE_KNEE * inside)
            slow++;
        else
            slow = 0, last = size;
    }
    uint64_t bytes = (uint64_t)last / unit * unit;
    return bytes < (1 << 10) ? c->hwloc_size : bytes / 1024 * 1024;
}

/* The mat-vec efficiencies of DRAM and of a shared last level beyond L1
 * (opspeed.h) for weights of type t. Inner levels keep the default 1:
 * what decode reads from them (activations, a small shared block) is
 * bound by the compute peak measured there. Without such a level the
 * blocks are 1 MiB, read from DRAM and, the second time, from L1 or L2. */
static int measure_efficiency(probe_host *h, pool *p, ref_stream *dram, ref_stream *level,
                              arch_dtype t, lk_err *e)
{
    probe_cache *c = level ? shared_llc(h) : NULL;
    uint64_t block = c ? c->size / 4 : (uint64_t)1 << 20;
    opspeed_pass r;
    int rc = opspeed_matvec(p, dram, level, t, block, &r, e);
    if (rc)
        return rc;
    if (c) {
        c->eff_block = block;
        c->matvec_eff[t] = fmin(r.level_eff, 2);
    }
    h->dram_matvec_eff[t] = fmin(r.dram_eff, 2);
    return LK_OK;
}

int probe_measure(probe_host *h, int threads,
                  void (*progress)(const char *what), lk_err *e)
{
    memset(h, 0, sizeof *h);
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) < 0 || hwloc_topology_load(topo) < 0)
        return lk_fail(e, LK_ERUN, "probe: hwloc cannot read the topology");
    read_topology(h, topo);
    hwloc_topology_destroy(topo);
    if (gethostname(h->host, sizeof h->host) != 0)
        snprintf(h->host, sizeof h->host, "unknown");
    time_t t = time(NULL);
    strftime(h->date, sizeof h->date, "%Y-%m-%d", localtime(&t));
    snprintf(h->kern, sizeof h->kern, "%s", kern_name());

    pool *p;
    if (pool_create(&p, threads, e) != LK_OK)
        return e ? e->code : LK_ERUN;
    h->threads = pool_threads(p);
    pool_cores_text(p, h->cpus, sizeof h->cpus);
    pool_clusters("", &h->clusters);
    probe_cache *llc = shared_llc(h);
    for (int i = 0; i < h->ncache; i++) {
        probe_cache *c = &h->cache[i];
        if (c == llc) {
            tell(progress, "%s usable size", c->name);
            const probe_cache *in = &h->cache[i - 1];
            c->size = usable_size(p, c, in->size * (in->shared ? 1 : (uint64_t)h->threads));
        }
        tell(progress, "%s read bandwidth", c->name);
        /* half the level, for each core that has its own copy */
        size_t bytes = c->size / 2 * (c->shared ? 1 : (size_t)h->threads);
        c->read_gbs = probe_read_gbs(p, bytes);
    }
    tell(progress, "DRAM read bandwidth", "");
    h->dram_buffer = REF_STREAM_DRAM_BYTES;
    h->dram_gbs = probe_read_gbs(p, h->dram_buffer);
    if (h->dram_gbs <= 0) {
        pool_free(p);
        return lk_fail(e, LK_ERUN, "probe: cannot allocate the %zu MiB test buffer",
                       h->dram_buffer >> 20);
    }
    for (int t = ARCH_F32; t <= ARCH_INT4; t++) {
        tell(progress, "%s mat-vec peak", arch_dtype_name(t));
        h->gflops[t] = probe_matvec_gflops(p, t, REF_COMPUTE_BYTES); /* bench's reading */
    }
    for (int t = ARCH_F32; t < ARCH_DTYPE_COUNT; t++) {
        tell(progress, "%s compute peak", arch_dtype_name(t));
        h->peak_gflops[t] = probe_peak_gflops(p, t);
    }
    /* the shared last level's buffer, as its bandwidth was read */
    ref_stream dram = {0}, level = {0};
    int rc = ref_stream_build(&dram, p, h->dram_buffer, e);
    if (!rc && llc)
        rc = ref_stream_build(&level, p, llc->size / 2, e);
    for (int t = ARCH_F32; t < ARCH_DTYPE_COUNT && !rc; t++) {
        tell(progress, "%s mat-vec efficiency", arch_dtype_name(t));
        rc = measure_efficiency(h, p, &dram, llc ? &level : NULL, t, e);
    }
    for (int t = ARCH_F32; t < ARCH_DTYPE_COUNT && !rc; t++) {
        tell(progress, "%s prefill products", arch_dtype_name(t));
        rc = opspeed_matmul(p, t, &h->matmul_gflops[t], e);
    }
    if (dram.buf)
        ref_stream_free(&dram);
    if (level.buf)
        ref_stream_free(&level);
    if (!rc) {
        tell(progress, "fixed time per pass of mat-vecs", "");
        rc = opspeed_matvec_fixed_us(p, &h->matvec_fixed_us, e);
    }
    pool_free(p);
    if (!rc) {
        tell(progress, "attention efficiency", "");
        rc = opspeed_attention(h->threads, &h->dram_attention_eff, &h->attention_head_us, e);
    }
    if (!rc)
        tell(progress, "fixed time per layer", "");
    return rc ? rc : opspeed_layer_fixed_us(h->threads, &h->layer_fixed_us, e);
}

/* ---- the profile ------------------------------------------------------ */

static void row(lk_table *t, const char *sec, const char *key, const char *src,
                const char *alt, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void row(lk_table *t, const char *sec, const char *key, const char *src,
                const char *alt, const char *why, const char *fmt, ...)
{
    char v[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    lk_table_row(t);
    lk_table_put(t, "section", "%s", sec);
    lk_table_put(t, "key", "%s", key);
    lk_table_put(t, "value", "%s", v);
    lk_table_put(t, "source", "%s", src ? src : "");
    lk_table_put(t, "alternatives", "%s", alt ? alt : "");
    lk_table_put(t, "why", "%s", why ? why : "");
}

static void put_cache(lk_table *t, const probe_host *h, int i, const char *sec)
{
    const probe_cache *c = &h->cache[i];
    char src[512], alt[160], why[256];
    row(t, sec, "name", NULL, NULL, NULL, "%s", c->name);
    snprintf(src, sizeof src, "hwloc: %s cache attributes", c->name);
    if (c->size == c->hwloc_size) {
        row(t, sec, "size_kb", src, NULL, NULL, "%llu", (unsigned long long)(c->size >> 10));
    } else {
        char msrc[512];
        snprintf(msrc, sizeof msrc,
                 "measured by lanky probe on %s: the largest buffer (steps of 2^(1/4)) "
                 "whose streaming read stays within %.0f%% of the rate %dx the inner "
                 "level's size, %d threads",
                 h->date, PROBE_KNEE * 100, PROBE_KNEE_START, h->threads);
        snprintf(alt, sizeof alt, "%llu (hwloc: %s cache attributes)",
                 (unsigned long long)(c->hwloc_size >> 10), c->name);
        row(t, sec, "size_kb", msrc, alt,
            "a virtual machine reports its host's cache, of which this process "
            "keeps only part: beyond this size the reads slow toward DRAM's rate",
            "%llu", (unsigned long long)(c->size >> 10));
    }
    row(t, sec, "line_bytes", src, NULL, NULL, "%u", c->line);
    if (c->assoc >= 0)
        row(t, sec, "assoc", src, NULL, NULL, "%d", c->assoc);
    else
        row(t, sec, "assoc", "assumption: hwloc does not know the ways, 8 is typical",
            NULL, NULL, "8");
    snprintf(src, sizeof src, "hwloc: the %s object covers %s", c->name,
             c->shared ? "every core" : "one core");
    row(t, sec, "shared", src, NULL, NULL, "%s", c->shared ? "yes" : "no");
    row(t, sec, "policy",
        "assumption: the replacement policy is not documented for this CPU, "
        "LRU is the usual model",
        NULL, NULL, "lru");
    size_t buf = c->size / 2 * (c->shared ? 1 : (size_t)h->threads);
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: streaming read (kern_sum, %s) of a "
             "%zu KiB buffer (half the level%s), %d threads, best of %d",
             h->date, h->kern, buf >> 10, c->shared ? "" : " per core", h->threads,
             PROBE_RUNS);
    row(t, sec, "bandwidth_gbs", src, NULL, NULL, "%.1f", c->read_gbs);
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++) {
        if (!c->matvec_eff[d])
            continue;
        char key[40];
        snprintf(key, sizeof key, "matvec_efficiency_%s", arch_dtype_name(d));
        snprintf(src, sizeof src,
                 "measured by lanky probe on %s: kern_matvec (%s) of %s weights, the "
                 "second pass over %llu KiB blocks just read, GB/s / this level's "
                 "streaming read right before and after, median of %d rounds, %d "
                 "threads (host/opspeed.h)",
                 h->date, h->kern, arch_dtype_name(d),
                 (unsigned long long)(c->eff_block >> 10), OPSPEED_ROUNDS, h->threads);
        row(t, sec, key, src, NULL, NULL, "%.3f", c->matvec_eff[d]);
    }
    const char *esrc = "rule R-SRAM of hw-profiles/SOURCES.md (sim_profile_sram_pj_per_byte): "
                       "Horowitz ISSCC 2014 (45 nm) SRAM reads, 8 KB 10 pJ, 32 KB 20 pJ, "
                       "1 MB 100 pJ per 64 bits, log-log between them";
    double pj = sim_profile_sram_pj_per_byte(c->size);
    if (c->size > (1 << 20)) {
        /* Horowitz's figures grow about as sqrt(size) (wire length) from
         * 32 KB to 1 MB (R-SRAM's last slope), carried on to this size. */
        double slope = log(pj / sim_profile_sram_pj_per_byte(32 << 10)) / log(32);
        double extra = pj * pow((double)c->size / (1 << 20), slope);
        snprintf(alt, sizeof alt, "%.1f (Horowitz's 32 KB -> 1 MB growth carried on to %llu MB)",
                 extra, (unsigned long long)(c->size >> 20));
        snprintf(why, sizeof why, "Horowitz gives no figure above 1 MB, the 1 MB figure is a lower bound");
        row(t, sec, "energy_pj_per_byte", esrc, alt, why, "%.2f", pj);
    } else {
        row(t, sec, "energy_pj_per_byte", esrc, NULL, NULL, "%.2f", pj);
    }
}

static void put_dram(lk_table *t, const probe_host *h)
{
    char src[512], alt[160], why[256];
    row(t, "dram", "type",
        "hwloc and the kernel do not report the DRAM type (virtual machine)", NULL,
        NULL, "unknown");
    double kernel_gb = h->mem_bytes / 1e9, hwloc_gb = h->mem_hwloc / 1e9;
    bool differ = fabs(kernel_gb - hwloc_gb) > 0.05 * kernel_gb;
    if (differ) {
        snprintf(alt, sizeof alt, "%.2f (hwloc: NUMA node memory)", hwloc_gb);
        snprintf(why, sizeof why,
                 "hwloc counts the NUMA node's memory, which misses memory this "
                 "virtual machine added later, the kernel's total is what a process can use");
    }
    row(t, "dram", "capacity_gb",
        "kernel: sysconf(_SC_PHYS_PAGES) x page size (= MemTotal), GB = 1e9 bytes",
        differ ? alt : NULL, differ ? why : NULL, "%.2f", kernel_gb);
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: streaming read (kern_sum, %s) of a "
             "%zu MiB buffer, %d threads, best of %d",
             h->date, h->kern, h->dram_buffer >> 20, h->threads, PROBE_RUNS);
    row(t, "dram", "bandwidth_gbs", src, NULL,
        "sustained, not the theoretical peak: the peak is not visible in a virtual "
        "machine, and the sustained figure is the roofline this host's runs meet",
        "%.1f", h->dram_gbs);
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++) {
        char key[40];
        snprintf(key, sizeof key, "matvec_efficiency_%s", arch_dtype_name(d));
        snprintf(src, sizeof src,
                 "measured by lanky probe on %s: kern_matvec (%s) of %s weights streamed "
                 "from DRAM (%zu MiB of 1024-column matrices), GB/s / the mean of the "
                 "DRAM reads right before and after, median of %d rounds, %d threads "
                 "(host/opspeed.h)",
                 h->date, h->kern, arch_dtype_name(d), OPSPEED_SET_BYTES >> 20,
                 OPSPEED_ROUNDS, h->threads);
        row(t, "dram", key, src, NULL, NULL, "%.3f", h->dram_matvec_eff[d]);
    }
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: lanky bench's attention time of 8 layers x 8 "
             "heads of 64 (f16 KV cache) at positions %d and %d, the KV bytes between "
             "them over the time between them, / the paired DRAM bandwidth, %d threads "
             "(host/opspeed.h)",
             h->date, OPSPEED_ATT_NEAR, OPSPEED_ATT_FAR, h->threads);
    row(t, "dram", "attention_efficiency", src, NULL, NULL, "%.3f", h->dram_attention_eff);
    row(t, "dram", "app_budget",
        "MobileLLM (Liu et al., ICML 2024), section 1: an app should use at most "
        "about 10% of DRAM",
        NULL, NULL, "%.2f", SIM_APP_BUDGET);
    row(t, "dram", "energy_pj_per_bit",
        "Horowitz ISSCC 2014 (45 nm): 64-bit DRAM access 1.3-2.6 nJ, low end "
        "1.3 nJ / 64 bits",
        "40.6 (Horowitz's high end 2.6 nJ), 20 (Han et al. EIE ISCA 2016: 640 pJ "
        "per 32-bit read)",
        "the low end agrees with EIE's independent 20 pJ/bit", "%.1f", 1300.0 / 64);
}

static void put_compute(lk_table *t, const probe_host *h)
{
    static const char *const keys[] = {[ARCH_F32] = "gflops_f32", [ARCH_F16] = "gflops_f16",
                                       [ARCH_BF16] = "gflops_bf16", [ARCH_INT8] = "gops_int8",
                                       [ARCH_INT4] = "gops_int4"};
    for (int d = ARCH_F32; d <= ARCH_INT4; d++) {
        char src[512];
        snprintf(src, sizeof src,
                 "measured by lanky probe on %s: kern_matvec (%s) with %s weights in "
                 "%zu KiB, in L2 (ref_compute, ref/stream.h: the reading lanky bench pairs "
                 "with its rounds), %d threads, best of %d, 2 ops per multiply-add",
                 h->date, h->kern, arch_dtype_name(d), REF_COMPUTE_BYTES >> 10, h->threads,
                 PROBE_RUNS);
        row(t, "compute", keys[d], src, NULL, NULL, "%.1f", h->gflops[d]);
    }
    for (int d = ARCH_F32; d <= ARCH_INT4; d++) {
        char key[40], src[512];
        snprintf(key, sizeof key, "matmul_%s", keys[d]);
        snprintf(src, sizeof src,
                 "measured by lanky probe on %s: kern_matmul (%s) of a prefill chunk (%d "
                 "tokens) through %zu MiB of 2048x1024 %s matrices streamed from DRAM, "
                 "median of %d rounds, %d threads, 2 ops per multiply-add (host/opspeed.h)",
                 h->date, h->kern, ARCH_PLAN_CHUNK, OPSPEED_SET_BYTES >> 20,
                 arch_dtype_name(d), OPSPEED_ROUNDS, h->threads);
        row(t, "compute", key, src, NULL, NULL, "%.1f", h->matmul_gflops[d]);
    }
    char src[512];
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: decode token of a dim-16 model, %d layers "
             "minus 2 layers, per layer, %d threads (host/opspeed.h)",
             h->date, OPSPEED_FIXED_DEEP, h->threads);
    row(t, "compute", "layer_fixed_us", src, NULL, NULL, "%.2f", h->layer_fixed_us);
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: f16 weights streamed from DRAM as %d-row "
             "and as 2048-row matrices (1024 columns), the difference in time per %d-row "
             "mat-vec, median of %d rounds, %d threads (host/opspeed.h)",
             h->date, OPSPEED_SMALL_ROWS, OPSPEED_SMALL_ROWS, OPSPEED_ROUNDS, h->threads);
    row(t, "compute", "matvec_fixed_us", src, NULL, NULL, "%.2f", h->matvec_fixed_us);
    snprintf(src, sizeof src,
             "measured by lanky probe on %s: the attention time at position %d left over "
             "by the KV bytes at attention_efficiency's rate, per key/value head and "
             "layer (8 x 8), %d threads (host/opspeed.h)",
             h->date, OPSPEED_ATT_NEAR, h->threads);
    row(t, "compute", "attention_head_us", src, NULL, NULL, "%.2f", h->attention_head_us);
}

static void put_energy(lk_table *t)
{
    for (int d = ARCH_F32; d <= ARCH_INT4; d++) {
        char key[32];
        const char *src;
        double pj = sim_profile_mac_pj(d, &src);
        snprintf(key, sizeof key, "mac_pj_%s", arch_dtype_name(d));
        row(t, "energy", key, src, NULL, NULL, "%.2f", pj);
    }
    row(t, "energy", "static_mw",
        "assumption: not measurable in this virtual machine (no energy counters), "
        "0 counts dynamic energy only",
        NULL, NULL, "0");
}

/* How the profile was measured: the CPUs, and the clusters sysfs shows
 * (ref/pool.h), the fastest first, so a phone's owner can tell whether
 * --cores named the big ones. */
static void put_host(lk_table *t, const probe_host *h)
{
    row(t, "host", "cpus",
        "the CPUs the measuring threads were pinned to (lanky probe --cores, ref/pool.h)",
        NULL, NULL, "%s", *h->cpus ? h->cpus : "not pinned (hwloc sees no cores)");
    const pool_cluster_set *cs = &h->clusters;
    for (int k = 0; k < cs->n; k++) {
        char key[24], list[POOL_CORES_TEXT];
        snprintf(key, sizeof key, "cluster%d", k + 1);
        pool_cores_format(&cs->c[k].cores, list, sizeof list);
        row(t, "host", key, "/sys/devices/system/cpu/cpuN (ref/pool.h, pool_clusters)",
            NULL, NULL, "CPUs %s, %s %ld", list, cs->source, cs->c[k].speed);
    }
    if (!cs->n)
        row(t, "host", "clusters", "/sys/devices/system/cpu/cpuN (ref/pool.h, pool_clusters)",
            NULL, NULL, "unknown (sysfs gives no cpu_capacity or cpuinfo_max_freq for every CPU)");
}

lk_table *probe_table(const probe_host *h)
{
    lk_table *t = lk_table_new("section,key,value,source,alternatives,why");
    if (!t)
        return NULL;
    row(t, "soc", "name", NULL, NULL, NULL, "%s", h->cpu);
    row(t, "soc", "devices", NULL, NULL, NULL, "this machine (%s)", h->host);
    row(t, "soc", "engine", NULL, NULL, NULL, "CPU, %d threads on %d cores, lanky %s kernels",
        h->threads, h->cores, h->kern);
    for (int i = 0; i < h->ncache; i++) {
        char sec[24];
        snprintf(sec, sizeof sec, "cache%d", i + 1);
        put_cache(t, h, i, sec);
    }
    put_dram(t, h);
    put_compute(t, h);
    put_energy(t);
    put_host(t, h);
    return t;
}

/* INI text: a section header where the section changes, then key =
 * value and its .source, .alternatives and .why when set. */
static int write_ini(FILE *f, const lk_table *t)
{
    const char *last = "";
    fprintf(f, "; host.ini -- written by `lanky probe`; every value has a source.\n");
    for (int r = 0; r < lk_table_rows(t); r++) {
        const char *sec = lk_table_get(t, r, "section"), *key = lk_table_get(t, r, "key");
        const char *c = strcmp(sec, "host") ? "" : "; "; /* see probe_table */
        if (strcmp(sec, last) != 0)
            fprintf(f, "\n%s[%s]\n", c, sec);
        last = sec;
        fprintf(f, "%s%s = %s\n", c, key, lk_table_get(t, r, "value"));
        static const char *const extra[] = {"source", "alternatives", "why"};
        for (int k = 0; k < 3; k++) {
            const char *v = lk_table_get(t, r, extra[k]);
            if (v && *v)
                fprintf(f, "%s%s.%s = %s\n", c, key, extra[k], v);
        }
    }
    return ferror(f) ? -1 : 0;
}

int probe_write_host_ini(const probe_host *h, const char *path, lk_err *e)
{
    lk_table *t = probe_table(h);
    if (!t)
        return lk_fail(e, LK_ERUN, "probe: out of memory");
    lk_outfile o;
    int rc = lk_outfile_open(&o, path, e);
    if (!rc && write_ini(o.f, t)) {
        lk_outfile_abort(&o);
        rc = lk_fail(e, LK_ERUN, "%s: cannot write: %s", path, strerror(errno));
    } else if (!rc) {
        rc = lk_outfile_commit(&o, e);
    }
    lk_table_free(t);
    return rc;
}
