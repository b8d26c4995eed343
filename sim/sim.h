/* sim.h -- per-token DRAM traffic, energy and latency of a model on a SoC.
 *
 * The top of the simulator: sim_token() builds the access trace of one
 * decode token at context position spec->ctx (trace.h), runs it through
 * the profile's cache hierarchy (cache.h) or the analytic reuse-distance
 * model, and turns the traffic into energy and latency with the
 * profile's constants. Figures are steady state: the caches are warmed
 * by one token before the measured one. With sim_opts.prompt it also
 * predicts the time to first token of a prompt, in closed form (below
 * sim_result).
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../arch/spec.h"
#include "../common/err.h"

typedef struct sim_profile sim_profile;

/* name ("a16") is looked up as hw-profiles/NAME.ini beside the binary's
 * project folder (or $LANKY_PROFILES); anything with a '/' or ending in
 * .ini is a path. */
int sim_profile_load(sim_profile **p, const char *name_or_path, lk_err *e);
/* The file sim_profile_load() reads for name_or_path, into path (n bytes). */
int sim_profile_find(char *path, size_t n, const char *name_or_path, lk_err *e);
/* Where profile `name` belongs, so that sim_profile_load() finds it first
 * ($LANKY_PROFILES, else the project's hw-profiles, else ./hw-profiles):
 * `lanky probe` writes host.ini there (./hw-profiles when the project's
 * folder is not writable, as an installed share/lanky usually is). */
void sim_profile_home(char *dst, size_t n, const char *name);
void sim_profile_free(sim_profile *p);
const char *sim_profile_name(const sim_profile *p); /* file base name */

typedef enum { SIM_EXACT, SIM_ANALYTIC } sim_mode;

typedef struct {
    sim_mode mode;
    const char *policy; /* NULL: each level's own; else lru|random|srrip */
    /* > 0: also the latency with the profile's sustained DRAM bandwidth
     * replaced by this (GB/s), e.g. the bandwidth measured right around a
     * timed token, from the same traffic (sim_result.latency_paired_ms) */
    double paired_dram_gbs;
    /* > 0, with paired_dram_gbs: the compute rate of the weight type
     * (GFLOP/s or GOP/s) measured beside it, in place of the profile's
     * peak_gops for that type in the same prediction */
    double paired_gflops;
    /* > 0: also the time to first token of a prompt of this many tokens
     * at positions 0 .. prompt-1 (sim_result.ttft_ms; at most seq_len) */
    int64_t prompt;
} sim_opts;

/* Options from the command line: mode "exact" or "analytic" (NULL: def),
 * policy a policy name or NULL. LK_EINPUT, naming the option, for an
 * unknown mode or policy, or a policy other than lru in analytic mode
 * (the reuse-distance model is LRU's). */
int sim_opts_parse(sim_opts *o, const char *mode, sim_mode def, const char *policy,
                   lk_err *e);

typedef struct {
    int64_t executed_layers;
    uint64_t weight_bytes;
    uint64_t dram_read_bytes, dram_write_bytes;
    uint64_t dram_weight_read_bytes, dram_kv_read_bytes;
    double slc_hit_rate;          /* last level, all accesses */
    double energy_mj_per_token;
    double latency_ms_per_token;
    /* beyond the contract's columns */
    uint64_t dram_act_read_bytes;
    uint64_t llc_accesses, llc_misses; /* last level, lines */
    uint64_t macs;
    double energy_dram_mj, energy_cache_mj, energy_mac_mj, energy_static_mj;
    double latency_floor_ms;  /* peak bandwidths, no fixed cost (cost.h) */
    double energy_dynamic_mj; /* dram + cache + mac */
    double energy_active_mj;  /* the CPU cluster's active power x latency */
    double latency_paired_ms; /* with o->paired_dram_gbs (and paired_gflops);
                                 0 without it */
    /* with o->prompt > 0 (else 0): the prefill of the prompt */
    int64_t prompt;
    int64_t prefill_chunks;
    double ttft_ms;               /* time to first token */
    double ttft_paired_ms;        /* the same with o->paired_*; 0 without */
    uint64_t prefill_dram_bytes;  /* read + written */
    uint64_t prefill_macs;
    double prefill_energy_mj;
} sim_result;

/* Time to first token (o->prompt > 0). The prompt runs in the plan's
 * chunks (ARCH_PLAN_CHUNK tokens, cut as ref_prefill cuts them,
 * arch/plan.h), each through every executed layer, then rms_final and
 * the classifier for the last token only. A chunk of nt tokens at
 * positions pos .. pos+nt-1 is computed in closed form from the plan,
 * stage by stage, with cost.h's roofline per stage:
 *
 *   mat-vec    MACs x nt in the weight type, at the profile's matmul
 *              rate (matmul_gops: lanky probe measures a chunk's
 *              products, a phone profile has only its peak) when nt > 1;
 *              DRAM: the matrix, once
 *   attention  sum over its tokens q of 2 H hd min(q + 1, kv_len) MACs in
 *              the KV type; DRAM: the min(pos + nt, kv_len) - nt cached
 *              rows attended (2 K kv_head_row bytes each), read once,
 *              and the nt rows stored, written
 *   embedding  nt rows; norms their vector once
 *
 * plus the fixed times of cost.h: per chunk each pass of mat-vecs and
 * each executed layer, per token each attention's kv heads (each token
 * walks them). Energy is cost.h's on the summed traffic and time.
 *
 * Why closed form and not the cache simulator: a chunk's traffic is its
 * weights and KV rows -- the weights are streamed once per chunk and a
 * chunk's compute (32 tokens' MACs) rather than its bytes sets its time
 * on every shipped profile, while the activations of 32 tokens (at most
 * a few hundred KB) stay in the inner caches and are not charged. A
 * trace would cost ARCH_PLAN_CHUNK times a decode token's ranges per chunk to
 * refine figures that the compute term hides. It assumes the weights
 * come from DRAM in every chunk (a cold start: the first prompt after
 * the app loads its model), where a decode token is simulated warm, so
 * ttft for a 1-token prompt is a decode step at position 0 with no
 * weights and no activations in the caches: equal to sim_token's
 * latency at ctx 0 on a cache too small to hold anything, less the
 * activations' bytes there (tests/test_sim.c, ttft_one_token). The
 * same closed form runs in both modes. */

int sim_token(const arch_spec *s, const sim_profile *p, const sim_opts *o,
              sim_result *r, lk_err *e);

#endif
