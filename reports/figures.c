/* figures.c -- figure data from sweep results (see figures.h): one
 * short function per figure builds its rows, declared in `figures`.
 */
#include "figures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/table.h"
#include "accuracy.h"
#include "results.h"

typedef struct {
    const lk_table *t;
    const char *col;
} sort_by;

static int by_col(const void *a, const void *b, void *u)
{
    const sort_by *s = u;
    double x = rep_num(s->t, *(const int *)a, s->col);
    double y = rep_num(s->t, *(const int *)b, s->col);
    return (x > y) - (x < y);
}

/* Rows of sw on profile p into idx, sorted by column `by` (NULL: sweep
 * order); their number. */
static int rows_of(const lk_table *sw, const char *p, const char *by, int *idx)
{
    int n = 0;
    for (int r = 0; sw && r < lk_table_rows(sw); r++)
        if (!strcmp(rep_get(sw, r, "profile"), p))
            idx[n++] = r;
    if (by)
        qsort_r(idx, n, sizeof *idx, by_col, &(sort_by){sw, by});
    return n;
}

/* Start a row of figure data for profile p and sweep row r. */
static int fig_row(lk_table *t, const char *p, const lk_table *sw, int r)
{
    if (lk_table_row(t))
        return LK_ERUN;
    lk_table_put(t, "profile", "%s", p);
    lk_table_put(t, "group", "%s", rep_get(sw, r, "group"));
    lk_table_put(t, "name", "%s", rep_get(sw, r, "name"));
    return LK_OK;
}

/* Accuracy against latency per SoC, then each SoC's Pareto front (the
 * models no faster model beats on accuracy), in order of latency. */
static int fig_pareto(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const char *const on[][2] = {{"size_class", "group"}, {"layers", "layers"},
                                        {"heads", "heads"}, {"dim", "dim"}, {0}};
    const char *soc[REP_MAX_SOCS];
    int nsoc = rep_socs(sw, soc);
    for (int kind = 0; kind < 2; kind++)
        for (int i = 0; i < nsoc; i++) {
            int n = rows_of(sw, soc[i], "latency_ms_per_token", idx);
            double best = -INFINITY;
            for (int k = 0; k < n; k++) {
                double acc = rep_num(paper, rep_join(on, NULL, paper, sw, idx[k]), "avg");
                if (isnan(acc) || (kind && acc <= best))
                    continue;
                best = acc;
                if (fig_row(t, soc[i], sw, idx[k]))
                    return LK_ERUN;
                lk_table_put(t, "kind", "%s", kind ? "front" : "model");
                rep_put(t, "latency_ms", rep_num(sw, idx[k], "latency_ms_per_token"), REP_MS);
                rep_put(t, "accuracy", acc, REP_ONE);
            }
        }
    return LK_OK;
}

/* A column of a per-SoC series: sweep column `in` (divided by column
 * `per` when set, plus `add`), shown in format f. */
typedef struct {
    const char *out, *in, *per;
    rep_fmt f;
    double add;
} series_col;

/* One row per sweep row and SoC, each SoC's rows sorted by column `by`
 * (NULL: sweep order), with the columns cols (ended by a NULL out). */
static int fig_series(const lk_table *sw, lk_table *t, int *idx, const char *by,
                      const series_col *cols)
{
    const char *soc[REP_MAX_SOCS];
    int nsoc = rep_socs(sw, soc);
    for (int i = 0; i < nsoc; i++) {
        int n = rows_of(sw, soc[i], by, idx);
        for (int k = 0; k < n; k++) {
            if (fig_row(t, soc[i], sw, idx[k]))
                return LK_ERUN;
            for (const series_col *c = cols; c->out; c++) {
                if (c->f == REP_TEXT) {
                    lk_table_put(t, c->out, "%s", rep_get(sw, idx[k], c->in));
                    continue;
                }
                double v = rep_num(sw, idx[k], c->in) + c->add;
                rep_put(t, c->out, c->per ? v / rep_num(sw, idx[k], c->per) : v, c->f);
            }
        }
    }
    return LK_OK;
}

/* DRAM bytes per token against distinct layers, per SoC and strategy. */
static int fig_sharing(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"share", "share", NULL, REP_TEXT, 0},
        {"layers", "layers", NULL, REP_INT, 0},
        {"dram_mb", "dram_read_bytes", NULL, REP_MILLION, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Energy per token against parameters, per SoC, smallest model first. */
static int fig_energy(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"params_m", "params_paper", NULL, REP_MILLION, 0},
        {"energy_mj", "energy_mj_per_token", NULL, REP_MJ, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, "params_paper", cols);
}

/* The KV cache's share of DRAM reads against context (position + 1),
 * per SoC and model. */
static int fig_kv(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"context", "ctx", NULL, REP_INT, 1},
        {"kv_share_pct", "dram_kv_read_bytes", "dram_read_bytes", REP_PCT, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Decode latency and the KV cache's share of DRAM reads against
 * context, per SoC and model (full or windowed attention). */
static int fig_kv_long(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"context", "ctx", NULL, REP_INT, 1},
        {"latency_ms", "latency_ms_per_token", NULL, REP_MS, 0},
        {"kv_share_pct", "dram_kv_read_bytes", "dram_read_bytes", REP_PCT, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Decode latency and energy per token against parameters, per SoC and
 * weight type (the row's group), smallest model first. */
static int fig_dtype(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"params_m", "params_total", NULL, REP_MILLION, 0},
        {"latency_ms", "latency_ms_per_token", NULL, REP_MS, 0},
        {"energy_mj", "energy_mj_per_token", NULL, REP_MJ, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, "params_total", cols);
}

/* Time to first token against the prompt's length, per SoC and model. */
static int fig_ttft(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    static const series_col cols[] = {
        {"prompt", "prompt", NULL, REP_INT, 0},
        {"ttft_ms", "ttft_ms", NULL, REP_MS, 0},
        {NULL, NULL, NULL, REP_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Predicted against measured latency on this machine, with the spread
 * of the measurement when it was repeated. */
static int fig_measured(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx)
{
    (void)paper;
    int n = rows_of(sw, "host", NULL, idx);
    rep_acc_pair m;
    for (int k = 0; k < n; k++) {
        if (!rep_acc_pair_of(sw, idx[k], &m))
            continue;
        if (fig_row(t, "host", sw, idx[k]))
            return LK_ERUN;
        rep_put(t, "predicted_ms", m.predicted_ms, REP_MS);
        rep_put(t, "measured_ms", m.measured_ms, REP_MS);
        rep_put(t, "measured_std_ms", isnan(m.measured_std_ms) ? 0 : m.measured_std_ms,
                  REP_MS);
    }
    return LK_OK;
}

typedef struct {
    const char *file;    /* fig_<file>.csv here, .gp in reports/ */
    const char *title;
    const char *says;
    const char *const *sweeps; /* the sweep results it reads, in turn (NULL-ended) */
    const char *paper;
    const char *cols;    /* besides profile,group,name */
    int (*add)(const lk_table *sw, const lk_table *paper, lk_table *t, int *idx);
} fig_def;

static const char *const only_table9[] = {"table9", NULL},
                        *const only_sharing_depth[] = {"sharing_depth", NULL},
                        *const only_presets[] = {"presets", NULL},
                        *const only_context[] = {"context", NULL},
                        *const only_context_long[] = {"context_long", NULL},
                        *const only_dtypes[] = {"dtypes", NULL},
                        *const only_prompts[] = {"prompts", NULL};

static const fig_def figures[] = {
    {"pareto", "Accuracy vs predicted latency per SoC",
     "Each point is a Table 9 model (paper accuracy, lanky's predicted "
     "latency per token); the line is the Pareto front a designer picks from.",
     only_table9, "table9_depth_width", "kind,latency_ms,accuracy", fig_pareto},
    {"sharing_depth", "DRAM traffic per token vs depth, by sharing strategy",
     "MobileLLM-125M's block shape at 2 to 30 distinct layers, executed twice "
     "in three orders: immediate sharing reads the weights once, the others "
     "re-read them from DRAM once the model outgrows the SoC's cache.",
     only_sharing_depth, NULL, "share,layers,dram_mb", fig_sharing},
    {"energy_size", "Energy per token vs model size",
     "Predicted energy per decode token of the published models on each SoC, "
     "against the paper's rule of thumb of 0.1 J per token per billion "
     "parameters.",
     only_presets, NULL, "params_m,energy_mj", fig_energy},
    {"kv_context", "KV-cache share of DRAM traffic vs context length",
     "The fraction of a token's DRAM reads that are KV cache, for plain and "
     "layer-shared MobileLLM models; sharing doubles the executed layers and "
     "so the KV cache, not the weights.",
     only_context, NULL, "context,kv_share_pct", fig_kv},
    {"sim_measured", "Simulated vs measured latency on this machine",
     "Every measured model: lanky's prediction for the host profile against "
     "the reference transformer's median decode time; points on the diagonal "
     "are exact predictions.",
     rep_acc_sweeps, NULL, "predicted_ms,measured_ms,measured_std_ms", fig_measured},
    {"kv_long", "Decode latency and KV-cache share vs long context",
     "A MobileLLM-R1-140M-like shape (f16) to 32k and a MobileLLM-Pro-like "
     "shape (int4 weights, int8 KV cache) to 128k, with full attention and "
     "with a 512-token window on all but every fourth layer: the KV cache "
     "overtakes the weights in DRAM traffic at long context unless most "
     "layers are windowed (analytic mode).",
     only_context_long, NULL, "context,latency_ms,kv_share_pct", fig_kv_long},
    {"dtype", "Decode latency and energy per token by weight type",
     "The models phones ship (MobileLLM-R1, SmolLM2, Qwen2.5, MobileLLM-Pro, "
     "Llama 3.2) with f16, int8 (W8A8) and int4 (W4A8, groups of 32, the "
     "embedding and classifier in int8 as phone engines keep them) weights: "
     "decode reads the weights once a token, so the bytes per weight set "
     "both (analytic mode).",
     only_dtypes, NULL, "params_m,latency_ms,energy_mj", fig_dtype},
    {"ttft", "Time to first token vs prompt length",
     "The prefill of a prompt in chunks of 32 tokens, each a compute-bound "
     "pass over the weights, so the time grows with the prompt, and faster "
     "than linearly once attention over the prompt counts (f16, "
     "analytic mode).",
     only_prompts, NULL, "prompt,ttft_ms", fig_ttft},
};
#define NFIGURES (sizeof figures / sizeof figures[0])

int rep_fig_write(int i, const char *dir, const char *paper_dir, lk_err *e)
{
    const fig_def *f = &figures[i];
    char cols[256], path[4096];
    snprintf(cols, sizeof cols, "profile,group,name,%s", f->cols);
    lk_table *t = lk_table_new(cols), *paper = NULL;
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    int rc = f->paper ? rep_load_paper(paper_dir, f->paper, &paper, e) : LK_OK;
    for (int i = 0; !rc && f->sweeps[i]; i++) {
        lk_table *sw;
        if ((rc = rep_load(dir, f->sweeps[i], &sw, e)) || !sw)
            continue;
        int *idx = malloc((lk_table_rows(sw) + 1) * sizeof *idx);
        rc = idx && !f->add(sw, paper, t, idx) ? LK_OK
                                               : lk_fail(e, LK_ERUN, "out of memory");
        free(idx);
        lk_table_free(sw);
    }
    snprintf(path, sizeof path, "%s/fig_%s.csv", dir, f->file);
    if (!rc)
        rc = lk_table_save(t, LK_TABLE_CSV, path, e);
    lk_table_free(paper);
    lk_table_free(t);
    return rc;
}

int rep_fig_count(void)
{
    return (int)NFIGURES;
}

rep_fig_about rep_fig_info(int i)
{
    return (rep_fig_about){figures[i].file, figures[i].title, figures[i].says};
}

int rep_fig_check(int i, const char *dir, const char *paper_dir, lk_err *e)
{
    const fig_def *f = &figures[i];
    lk_table *t = NULL;
    int rc = f->paper ? rep_load_paper(paper_dir, f->paper, &t, e) : LK_OK;
    lk_table_free(t);
    for (int k = 0; !rc && f->sweeps[k]; k++) {
        rc = rep_load(dir, f->sweeps[k], &t, e);
        lk_table_free(t);
    }
    return rc;
}
