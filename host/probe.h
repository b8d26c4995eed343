/* probe.h -- measure this machine and describe it as a hardware profile.
 *
 * `lanky probe` turns the host into one more SoC profile
 * (hw-profiles/host.ini, schema in hw-profiles/README.md), so that the
 * simulator's predictions can be checked against real runs here:
 *
 *   probe_host h;
 *   probe_measure(&h, 0, progress, &e);      hwloc + timed kernels
 *   lk_table *t = probe_table(&h);              section,key,value,source,...
 *   probe_write_host_ini(&h, "hw-profiles/host.ini", &e);
 *
 * Cache lines and ways come from hwloc, and sizes too except the shared
 * last level's, which is measured (a virtual machine reports its host's
 * cache, of which one process gets part: the Xeon VM reports 480 MiB and
 * streams at L3 speed up to about 176 MiB). Bandwidths, compute peaks,
 * the mat-vec efficiencies and the fixed cost per layer
 * (host/opspeed.h) are measured with the kernels of ref/kern.h on all
 * threads of a pool; energy constants are cited assumptions (Horowitz,
 * ISSCC 2014, 45 nm), since a virtual machine has no energy counters.
 */
#ifndef REF_PROBE_H
#define REF_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../arch/spec.h"
#include "../common/table.h"
#include "../ref/pool.h"

#define PROBE_RUNS 5 /* timed runs per measurement, after one warm-up */

/* Streaming-read bandwidth in GB/s (1e9 B/s): every worker of p sums its
 * slice of a buffer of `bytes` with kern_sum(), repeatedly when the buffer
 * is small; the best of PROBE_RUNS timed runs after a warm-up. Returns 0
 * when the buffer cannot be allocated. */
double probe_read_gbs(pool *p, size_t bytes);

/* Mat-vec throughput with weights of type t resident in the cache level
 * of `bytes` (the matrix takes about that much), all workers of p:
 * GFLOP/s counting 2 per multiply-accumulate (GOP/s for int8), the best
 * of PROBE_RUNS runs of ref_compute (ref/stream.h); 0 when out of
 * memory. */
double probe_matvec_gflops(pool *p, arch_dtype t, size_t bytes);

/* Compute peak in GFLOP/s (GOP/s for int8 and int4), 2 per multiply-add:
 * every worker of p runs kern_peak()'s register-only loop of the
 * instruction that multiplies weights of type t (ref/kern.h), the best of
 * PROBE_RUNS timed runs after a warm-up. The ceiling a prefill's
 * matrix products are measured against (tests/bench_prefill.c). */
double probe_peak_gflops(pool *p, arch_dtype t);

#define PROBE_MAX_CACHES 6

typedef struct {
    char name[8];       /* "L1d", "L2", ... */
    uint64_t size;      /* bytes this process can use (see probe_measure) */
    uint64_t hwloc_size; /* bytes hwloc reports */
    unsigned line;      /* bytes */
    int assoc;          /* ways, 0 = fully associative, -1 = unknown */
    bool shared;        /* shared by all cores */
    double read_gbs;    /* measured on a buffer of half its size */
    double matvec_eff[ARCH_DTYPE_COUNT]; /* the shared last level only: the
                           second pass over a block of a quarter of it, /
                           read_gbs; 0: not measured */
    uint64_t eff_block; /* bytes of that block */
} probe_cache;

typedef struct {
    char cpu[128];          /* CPU model (hwloc) */
    char host[64];          /* host name */
    char date[32];          /* YYYY-MM-DD of the measurement */
    char kern[32];          /* kern_name() used for the measurements */
    int cores, threads;
    char cpus[POOL_CORES_TEXT]; /* the CPUs measured on (pool_cores_text) */
    pool_cluster_set clusters;  /* sysfs's clusters (pool_clusters) */
    int ncache;
    probe_cache cache[PROBE_MAX_CACHES]; /* innermost first */
    uint64_t mem_bytes;     /* kernel's total (sysconf) */
    uint64_t mem_hwloc;     /* hwloc's total; differs in some VMs */
    size_t dram_buffer;     /* bytes of the DRAM bandwidth buffer */
    double dram_gbs;
    double gflops[ARCH_DTYPE_COUNT]; /* peak mat-vec, indexed by arch_dtype */
    double matmul_gflops[ARCH_DTYPE_COUNT]; /* a prefill chunk's (opspeed.h) */
    double dram_matvec_eff[ARCH_DTYPE_COUNT]; /* first passes from DRAM / the
                                                 DRAM reads around them */
    double dram_attention_eff; /* host/opspeed.h */
    double attention_head_us;  /* host/opspeed.h */
    double matvec_fixed_us;    /* host/opspeed.h */
    double layer_fixed_us;     /* host/opspeed.h */
    double peak_gflops[ARCH_DTYPE_COUNT]; /* probe_peak_gflops, by arch_dtype */
} probe_host;

/* The CPU model hwloc reports ("unknown CPU" when it reports none), for
 * benchmarks that name the machine they ran on. */
void probe_cpu_name(char *out, size_t n);

/* Measure with `threads` workers (<= 0: one per physical core). progress,
 * when not NULL, is told what is being measured. About 10-20 s. */
int probe_measure(probe_host *h, int threads,
                  void (*progress)(const char *what), lk_err *e);

/* The profile as rows of section,key,value,source,alternatives,why, in
 * INI order, then rows of section "host": how it was measured (the CPUs,
 * the clusters), which probe_write_host_ini writes as comments since the
 * profile reader (sim/profile.c) refuses sections it does not know.
 * NULL when out of memory. */
lk_table *probe_table(const probe_host *h);

/* Write the profile as INI to path, whole or not at all. */
int probe_write_host_ini(const probe_host *h, const char *path, lk_err *e);

#endif
