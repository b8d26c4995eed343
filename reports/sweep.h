/* sweep.h -- run a sweep file: every model spec row on every profile.
 *
 * A sweep file is CSV with one header row and one model per row. Every
 * column is a spec option that arch_spec_set() takes (layers, dim, heads,
 * kv_heads, head_dim, ffn, ffn_dim, vocab, tied, share, repeat, dtype,
 * seq_len, ctx, preset, config; '-' and '_' alike), or one of two labels
 * that are copied to the output as they are:
 *
 *   name    the row's label in tables and figures (default: the spec's
 *           name, i.e. the preset name or "custom")
 *   group   a free grouping label, e.g. the paper's size class "125M"
 *
 * and one more column that is not a model option: `prompt`, a whole
 * number, the row's prompt for the time to first token (empty:
 * o->sim.prompt, where 0 is none).
 *
 * An empty cell leaves its option unset (its default). preset and config
 * are applied first, then the other cells in column order, as on the
 * command line. A relative config path is taken from the sweep file's
 * folder.
 *
 * An unknown or repeated column in the header makes the whole file bad
 * (every row would be). A bad row -- a bad value, an invalid spec, more
 * fields than the header -- is passed to o->bad_row as "FILE:LINE: why"
 * and the other rows still run.
 *
 * The result has one row per spec and profile, columns (SWEEP_COLUMNS):
 * name, group, the spec columns of rep_put_spec(), params_total,
 * params_paper, weight_bytes, kv_cache_bytes, then profile, mode, dtype,
 * seq_len, ctx and the sim_result fields (see sim/sim.h); with o->measure
 * also measured_threads, measured_load_ms, measured_init_ms,
 * measured_execute_ms, measured_tokens_per_s, repeats, execute_ms_mean,
 * execute_ms_std, execute_ms_median, paired_dram_gbs (ref_bench on this
 * machine, o->bench.repeat rounds of one ref_bench round each, round-robin
 * over the specs, see measure_all in sweep.c; measured once per spec and
 * repeated in each of its profile rows) and, on the rows of the
 * profile named "host", latency_ms_paired (sim_opts.paired_dram_gbs set
 * to the row's paired_dram_gbs, in the same simulation: the prediction
 * for the machine as it was while the row was measured; empty on other
 * profiles' rows). With
 * no profiles there is one row per spec and the profile columns are left
 * out: a parameter-only sweep. When the file has a prompt column or
 * o->sim.prompt > 0, rep_prefill_columns (reports/rows.h) follow, and with
 * o->measure measured_prefill_ms (ref_bench's prefill_ms of the row's
 * prompt, timed in the first round only): the columns of files without a
 * prompt do not change.
 *
 * Shards: with o->shards = N > 0, only the data records i (0-based, in
 * file order, bad ones counted) with i % N == o->shard - 1 run, and every
 * output row starts with the column SWEEP_ROW_COLUMN = i. Such a part is
 * written as NAME.shard-K-of-N.csv (sweep_part_name); sweep_merge joins
 * the N parts into NAME.csv, the file one run of all rows writes, byte
 * for byte (the simulation of a row does not depend on the other rows;
 * measured columns are of course a new measurement).
 */
#ifndef REPORTS_SWEEP_H
#define REPORTS_SWEEP_H

#include <stdbool.h>

#include "../common/table.h"
#include "../ref/bench.h"
#include "../sim/sim.h"

typedef struct {
    const char *const *profiles; /* names or paths for sim_profile_load */
    int nprofiles;               /* 0: parameters only */
    sim_opts sim;                /* mode and replacement policy */
    bool measure;                /* add ref_bench figures */
    int shard, shards;           /* run shard 1..shards of the rows; shards 0: all */
    ref_bench_opts bench;
    /* Called for every bad or failed row with "FILE:LINE: why" and its
     * code (LK_EINPUT bad input, LK_ERUN failed while running). */
    void (*bad_row)(void *ctx, int code, const char *msg);
    /* Called before each step: done of total steps, what runs now. */
    void (*progress)(void *ctx, int done, int total, const char *what);
    void *ctx;
} sweep_opts;

/* Run the sweep in path. On LK_OK *out holds the result (possibly no
 * rows) and *row_status is LK_OK, or the worst code of a bad row
 * (LK_EINPUT wins over LK_ERUN). A bad header, an unreadable file or an
 * unknown profile fail the whole sweep: *out is NULL and e says why. */
int sweep_run(const char *path, const sweep_opts *o, lk_table **out,
              int *row_status, lk_err *e);

/* The base name of path without folder and ".csv": the output name. */
void sweep_name(const char *path, char *buf, int size);

/* The first column of a part: the row's data record in the sweep file. */
#define SWEEP_ROW_COLUMN "sweep_row"
/* The most shards (a part file per shard, all open while merging). */
#define SWEEP_MAX_SHARDS 1024

/* "NAME.shard-K-of-N.csv", the file name of part K of N of sweep NAME. */
void sweep_part_name(const char *name, int k, int n, char *buf, int size);

/* Join every part found in the folders dirs[0..ndirs-1] into
 * out/NAME.csv, one file per sweep NAME: rows in the order of the sweep
 * file, the SWEEP_ROW_COLUMN dropped. Whole or nothing: every output is
 * written to a temporary file first and all are renamed at the end. No
 * part at all, a part missing, one found twice, parts of one sweep with
 * different N or headers, or a row whose sweep_row is not its shard's
 * (or goes back) fail the whole merge with LK_EINPUT, naming the file
 * (and line) or the missing shard; nothing is written then. */
int sweep_merge(const char *const *dirs, int ndirs, const char *out, lk_err *e);

#endif
