/* profile.h -- a SoC profile: cache levels, DRAM, compute peaks and energy
 * constants, read from one INI file (schema: hw-profiles/README.md).
 *
 * sim.h declares the loader (sim_profile_load resolves "a16" to
 * hw-profiles/a16.ini); this header opens the struct to the simulator's
 * own modules (trace consumers, cost model) and to tests, and holds the
 * rules of hw-profiles/SOURCES.md that are computed (cache energy per
 * byte, MAC energy), for lanky probe and the tests of shipped profiles.
 *
 * Units are the file's: GB/s (1e9 bytes), GFLOP/s, pJ, mW. Cache sizes
 * are converted to bytes.
 */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include <stdbool.h>

#include "../arch/spec.h"
#include "cache.h"
#include "sim.h"

/* The share of a level's sustained bandwidth that an operation reaches
 * when its data comes from that level: a mat-vec of each weight type
 * does more work per byte than a streaming read (unpacking, converting,
 * multiplying) and keeps fewer lines in flight, so it reads slower than
 * the stream a bandwidth figure is measured with; attention, which
 * walks one head's keys and values at a time, slower still. Optional
 * keys matvec_efficiency_<type> and attention_efficiency of a [cacheN]
 * or [dram] section; default 1 (the operation streams at the level's
 * sustained figure, as a shipped SoC profile's calibrated one assumes). */
typedef struct {
    double matvec[ARCH_DTYPE_COUNT]; /* per arch_dtype of the weights */
    double attention;
} sim_efficiency;

typedef struct {
    char name[32];             /* "L2", "SLC"; default "cacheN" */
    sim_level_cfg cfg;         /* size, line, ways, default policy */
    bool shared;
    double bandwidth_gbs;      /* read bandwidth from this level (SoC: peak) */
    double sustained_gbs;      /* what a decode engine reaches; default the peak */
    sim_efficiency eff;        /* of operations served by this level */
    double energy_pj_per_byte; /* read or write energy per byte */
} sim_profile_level;

struct sim_profile {
    char name[64];             /* file base name without .ini */
    char path[1024];
    char soc[128];             /* [soc] name, free text */
    int nlevels;               /* cache1 .. cacheN, innermost first */
    sim_profile_level level[SIM_MAX_LEVELS];
    double dram_capacity_gb, dram_bandwidth_gbs, dram_app_budget;
    double dram_pj_per_bit;
    double peak_gops[ARCH_DTYPE_COUNT];       /* per arch_dtype: FLOP/s or OP/s, x1e9 */
    double matmul_gops[ARCH_DTYPE_COUNT];     /* the same for a prefill chunk's
                                                 products; default peak_gops */
    double mac_pj[ARCH_DTYPE_COUNT];          /* per arch_dtype */
    double static_mw;
    /* the sustained model (cost.h); defaults: the peak, 0, 0 */
    double dram_sustained_gbs; /* DRAM bandwidth a decode engine reaches */
    sim_efficiency dram_eff;   /* of operations served by DRAM */
    double layer_fixed_us;     /* fixed time per executed layer */
    double matvec_fixed_us;    /* fixed time per pass of mat-vecs (arch_op.pass) */
    double attention_head_us;  /* fixed time per key/value head of a layer's attention */
    double active_mw;          /* CPU cluster power while decoding */
};

/* Read and validate one profile file (no name lookup). Errors name the
 * file and line: "hw-profiles/x.ini:12: size_kb: '-3' is negative". */
int sim_profile_read(sim_profile **p, const char *path, lk_err *e);

/* The share of DRAM one app should use, from MobileLLM (Liu et al., ICML
 * 2024), section 1: "at most about 10%". Every shipped profile's
 * app_budget; lanky probe writes it for the host. */
#define SIM_APP_BUDGET 0.10

/* Rule R-SRAM (hw-profiles/SOURCES.md): the energy per byte read from a
 * cache level of `bytes`, from Horowitz's 45 nm SRAM reads. The SoC
 * profiles' values were computed with it; lanky probe writes it for the
 * host's levels. */
double sim_profile_sram_pj_per_byte(uint64_t bytes);

/* The MAC energy of hw-profiles/SOURCES.md ("MAC energy"), in pJ, for
 * weights of type d, with the source of the figure in *src: Horowitz's
 * multiply + add. Every shipped profile carries these figures; lanky
 * probe writes them for the host. */
double sim_profile_mac_pj(arch_dtype d, const char **src);

#endif
