/* tables.c -- the report's tables: definitions, building, captions and
 * writing (see tables.h).
 *
 * A table has one row per spec (group, name) of its sweep result; its
 * columns are listed in `tables` below, one definition per paper table.
 * Numbers are formatted by results.h's rep_put() only.
 */
#include "tables.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/md.h"
#include "../common/outfile.h"
#include "../common/tex.h"
#include "results.h"

#define MAX_COLS 24 /* columns of a table definition */
#define REF_SOC "a15" /* the paper's phone: iPhone 13, Apple A15 */
/* The LaTeX tables fit a one-column article on A4 with 2.5 cm margins
 * (16 cm = 455 pt), the common arXiv layout; tests/tex-check.sh checks it. */
#define TEX_TEXT_WIDTH_PT 455

/* The rows of each spec (group, name) of a sweep result, found once:
 * first[r] is the first row of row r's spec, next[r] the next row of it
 * (-1 after the last), in file order. Looking a spec's rows up by
 * scanning the whole table for every row and column took 49 s for a
 * 20,000-row result. */
typedef struct {
    int *first, *next;
} spec_rows;

/* Rows x and y of t ordered by spec (group, then name); 0: one spec. */
static int by_spec_only(const lk_table *t, int x, int y)
{
    int c = strcmp(rep_get(t, x, "group"), rep_get(t, y, "group"));
    return c ? c : strcmp(rep_get(t, x, "name"), rep_get(t, y, "name"));
}

static int by_spec(const void *a, const void *b, void *t)
{
    int x = *(const int *)a, y = *(const int *)b, c = by_spec_only(t, x, y);
    return c ? c : (x > y) - (x < y);
}

static int spec_rows_build(spec_rows *s, const lk_table *t, lk_err *e)
{
    int n = t ? lk_table_rows(t) : 0, *order = malloc((n + 1) * sizeof *order);
    s->first = malloc((n + 1) * sizeof *s->first);
    s->next = malloc((n + 1) * sizeof *s->next);
    if (!order || !s->first || !s->next) {
        free(order);
        free(s->first);
        free(s->next);
        return lk_fail(e, LK_ERUN, "out of memory");
    }
    for (int r = 0; r < n; r++)
        order[r] = r;
    /* a spec's rows together, in file order */
    qsort_r(order, n, sizeof *order, by_spec, (void *)t);
    for (int k = 0; k < n; k++) {
        bool same = k > 0 && !by_spec_only(t, order[k], order[k - 1]);
        s->first[order[k]] = same ? s->first[order[k - 1]] : order[k];
        s->next[order[k]] = -1;
        if (same)
            s->next[order[k - 1]] = order[k];
    }
    free(order);
    return LK_OK;
}

static void spec_rows_free(spec_rows *s)
{
    free(s->first);
    free(s->next);
}

/* The row of row r's spec on profile (NULL: any) where `where` holds, or
 * -1. */
static int find(const lk_table *t, const spec_rows *s, int r, const char *profile,
                const char *where)
{
    for (int k = s->first[r]; k >= 0; k = s->next[k])
        if ((!profile || !strcmp(rep_get(t, k, "profile"), profile)) && rep_where(t, k, where))
            return k;
    return -1;
}

/* ---- definitions --------------------------------------------------- */

enum { ANY, EACH_SOC, HOST, REF };

typedef struct {
    const char *head;  /* header; EACH_SOC and REF put the profile first */
    const char *col;   /* sweep column, or "paper.<column>" */
    rep_fmt f;
    int per;           /* which profile's row: ANY, EACH_SOC, HOST, REF */
    const char *where; /* "ctx=2047": the spec's row where this holds */
} col_def;

typedef struct {
    const char *file;     /* tab_<file>.md/.tex/.csv */
    const char *title;
    const char *says;     /* one sentence for index.md */
    const char *sweep;    /* sweep result in the report folder */
    const char *paper;    /* paper table in paper_dir, or NULL */
    const char *join[REP_MAX_JOIN][2]; /* {paper column, sweep column} */
    const char *paper_where; /* only these paper rows, or NULL */
    const char *where;    /* only these sweep rows, or NULL */
    bool once;            /* has load and init times, once per model */
    col_def cols[MAX_COLS];
} tab_def;

/* Columns several tables show. */
#define SPEC_ID {"Size", "group", REP_TEXT, ANY, NULL}
#define COL_LAYERS {"Layers", "layers", REP_INT, ANY, NULL}
#define COL_DIM {"Dim", "dim", REP_INT, ANY, NULL}
#define COL_HEADS {"Heads", "heads", REP_INT, ANY, NULL}
#define COL_KV_HEADS {"KV heads", "kv_heads", REP_INT, ANY, NULL}
#define COL_EXECUTED {"Executed layers", "executed_layers", REP_INT, ANY, NULL}
#define COL_PARAMS {"Params M", "params_paper", REP_MILLION, ANY, NULL}
#define COL_ACC {"Avg acc %", "paper.avg", REP_ONE, ANY, NULL}
#define COL_WEIGHTS {"Weights MB", "weight_bytes", REP_MILLION, ANY, NULL}
#define COL_SOC_DRAM {"DRAM MB", "dram_read_bytes", REP_MILLION, EACH_SOC, NULL}
#define COL_SOC_MS {"ms", "latency_ms_per_token", REP_MS, EACH_SOC, NULL}
#define COL_SOC_MJ {"mJ", "energy_mj_per_token", REP_MJ, EACH_SOC, NULL}
#define COL_HOST_MEASURED {"host measured ms", "measured_execute_ms", REP_MS, ANY, NULL}

static const tab_def tables[] = {
    {"table9", "Table 9 extended: depth vs width, parameters and host latency",
     "The paper's depth/width grid (untied, MHA, SwiGLU, vocab 32000, f16): "
     "lanky's parameter count beside the paper's, the paper's average "
     "zero-shot accuracy, weight size, and per-token latency on this "
     "machine, predicted and measured.",
     "table9", "table9_depth_width",
     {{"size_class", "group"}, {"layers", "layers"}, {"heads", "heads"},
      {"dim", "dim"}}, NULL, NULL, false,
     {SPEC_ID, COL_LAYERS,
      COL_HEADS, COL_DIM,
      COL_PARAMS,
      {"Paper params M", "paper.params_m", REP_ONE, ANY, NULL},
      COL_ACC,
      COL_WEIGHTS,
      {"host predicted ms", "latency_ms_per_token", REP_MS, HOST, NULL},
      COL_HOST_MEASURED}},
    {"table9_soc", "Table 9 on each SoC: DRAM traffic, energy and latency per token",
     "For the same grid, DRAM bytes read per decode token (MB), energy per "
     "token (mJ) and predicted latency per token (ms) on each simulated SoC "
     "at context position 512 (513 tokens in the cache).",
     "table9", NULL, {{0}}, NULL, NULL, false,
     {SPEC_ID, COL_LAYERS,
      COL_DIM,
      COL_SOC_DRAM,
      COL_SOC_MJ,
      COL_SOC_MS}},
    {"table2", "Table 2 extended: layer-sharing strategies",
     "The paper's sharing ablation (8x896 and 15x1280, 16 heads, repeat 2): "
     "the same weights executed in three orders cost different DRAM traffic "
     "and latency once a block no longer stays in the SoC's cache.",
     "table2", "table2_sharing", {{"size_class", "group"}, {"sharing", "share"}},
     NULL, NULL, false,
     {SPEC_ID, {"Sharing", "share", REP_TEXT, ANY, NULL},
      COL_EXECUTED,
      COL_ACC,
      COL_WEIGHTS,
      COL_SOC_DRAM,
      COL_SOC_MS,
      COL_HOST_MEASURED}},
    {"table7", "Table 7 on this machine: load, init and execute",
     "The paper's iPhone 13 measurements (ExecuTorch, FP16) next to the same "
     "three models measured on this machine with lanky's reference "
     "transformer, and the A15 prediction; the change columns compare each "
     "model with MobileLLM-125M.",
     "table7", "table7_iphone13_latency", {{"model", "name"}}, NULL, NULL, true,
     {{"Model", "name", REP_TEXT, ANY, NULL},
      COL_EXECUTED,
      {"Distinct layers", "layers", REP_INT, ANY, NULL},
      {"iPhone 13 load ms", "paper.load_ms", REP_ONE, ANY, NULL},
      {"iPhone 13 init ms", "paper.init_ms", REP_ONE, ANY, NULL},
      {"iPhone 13 execute ms", "paper.execute_ms", REP_ONE, ANY, NULL},
      {"iPhone 13 execute change %", "paper.execute_ms", REP_REL, ANY, NULL},
      {"predicted ms", "latency_ms_per_token", REP_MS, REF, NULL},
      {"host load ms", "measured_load_ms", REP_ONE, ANY, NULL},
      {"host init ms", "measured_init_ms", REP_ONE, ANY, NULL},
      {"host execute ms", "measured_execute_ms", REP_MS, ANY, NULL},
      {"host execute change %", "measured_execute_ms", REP_REL, ANY, NULL}}},
    {"table11", "Table 11 extended: heads and KV heads",
     "Fewer KV heads barely move the paper's accuracy but shrink the KV cache "
     "a token reads, shown with 512 and 2048 tokens in the cache (context "
     "positions 511 and 2047) and the predicted "
     "latency on the paper's phone SoC.",
     "table11", "table11_heads_kv",
     {{"size_class", "group"}, {"layers", "layers"}, {"dim", "dim"},
      {"heads", "heads"}, {"kv_heads", "kv_heads"}}, NULL, NULL, false,
     {SPEC_ID, COL_LAYERS,
      COL_DIM, COL_HEADS,
      COL_KV_HEADS,
      {"Head dim", "head_dim", REP_INT, ANY, NULL},
      COL_PARAMS,
      COL_ACC,
      {"KV MB (512 tokens)", "kv_cache_bytes", REP_MILLION, ANY, "ctx=511"},
      {"KV MB (2048 tokens)", "kv_cache_bytes", REP_MILLION, ANY, "ctx=2047"},
      {"DRAM KV MB (2048 tokens)", "dram_kv_read_bytes", REP_MILLION, REF, "ctx=2047"},
      {"ms (512 tokens)", "latency_ms_per_token", REP_MS, REF, "ctx=511"},
      {"ms (2048 tokens)", "latency_ms_per_token", REP_MS, REF, "ctx=2047"}}},
    {"table8", "Table 8 extended: the design roadmap",
     "Each step of the paper's roadmap (accuracy after 0.25T training tokens) "
     "with its weight size and predicted latency and energy per token on each "
     "SoC.",
     "table8", "table8_roadmap", {{"size_class", "group"}, {"step", "name"}},
     "train_tokens=0.25T", NULL, false,
     {SPEC_ID, {"Step", "name", REP_TEXT, ANY, NULL},
      COL_LAYERS,
      COL_HEADS,
      COL_KV_HEADS,
      COL_DIM, {"FFN", "ffn", REP_TEXT, ANY, NULL},
      {"Tied", "tied", REP_INT, ANY, NULL},
      COL_PARAMS,
      COL_ACC,
      COL_WEIGHTS,
      COL_SOC_MS,
      COL_SOC_MJ}},
    {"table12", "Table 12 extended: repeat factors",
     "Immediate sharing with 1 to 4 repeats: the paper's accuracy against "
     "the DRAM traffic and latency each repeat adds on each SoC.",
     "table12", "table12_repeat",
     {{"size_class", "group"}, {"base_layers", "layers"}, {"dim", "dim"},
      {"repeat", "repeat"}}, NULL, NULL, false,
     {SPEC_ID, COL_LAYERS,
      {"Repeat", "repeat", REP_INT, ANY, NULL},
      COL_EXECUTED,
      COL_ACC,
      COL_WEIGHTS,
      COL_SOC_DRAM,
      COL_SOC_MS,
      COL_HOST_MEASURED}},
    {"presets", "Published models",
     "The public MobileLLM and SmolLM configurations with the paper's "
     "Table 3 accuracy where it has one, and their predicted latency and "
     "energy per token on each SoC and measured latency here.",
     "presets", "table3_zero_shot", {{"model", "name"}}, NULL, NULL, false,
     {{"Model", "name", REP_TEXT, ANY, NULL},
      COL_LAYERS, COL_DIM,
      COL_HEADS,
      COL_KV_HEADS,
      {"Vocab", "vocab", REP_INT, ANY, NULL}, {"Share", "share", REP_TEXT, ANY, NULL},
      COL_PARAMS,
      COL_ACC,
      COL_WEIGHTS,
      COL_SOC_MS,
      COL_SOC_MJ,
      COL_HOST_MEASURED}},
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* ---- building ------------------------------------------------------ */

/* The header of column c for profile p ("a15 ms"). */
static void head(char *buf, size_t size, const col_def *c, const char *p)
{
    if (p && c->per != HOST)
        snprintf(buf, size, "%s %s", p, c->head);
    else
        snprintf(buf, size, "%s", c->head);
}

/* Value of column c for the spec of sweep row r on profile p. */
static double value(const col_def *c, const lk_table *sw, const spec_rows *s, int r,
                    const lk_table *paper, int pr, const char *p)
{
    if (!strncmp(c->col, "paper.", 6))
        return rep_num(paper, pr, c->col + 6);
    return rep_num(sw, find(sw, s, r, p, c->where), c->col);
}

/* Column list and profile of each output column of d. */
typedef struct {
    int n;
    const col_def *def[64];
    const char *profile[64];
    char head[64][64];
} out_cols;

static void expand(const tab_def *d, const lk_table *sw, out_cols *o)
{
    const char *soc[REP_MAX_SOCS];
    int nsoc = rep_socs(sw, soc);
    const char *ref = nsoc ? soc[0] : REF_SOC;
    for (int i = 0; i < nsoc; i++)
        if (!strcmp(soc[i], REF_SOC))
            ref = REF_SOC;
    o->n = 0;
    for (const col_def *c = d->cols; c->head && o->n < 64; c++) {
        int k = c->per == EACH_SOC ? nsoc : 1;
        for (int i = 0; i < k && o->n < 64; i++) {
            const char *p = c->per == EACH_SOC ? soc[i] : c->per == REF ? ref
                            : c->per == HOST ? "host" : NULL;
            o->def[o->n] = c;
            o->profile[o->n] = p;
            head(o->head[o->n], sizeof o->head[0], c, p);
            o->n++;
        }
    }
}

static int build_table(const tab_def *d, const out_cols *o, const lk_table *sw,
                       const lk_table *paper, lk_table **out, lk_err *e)
{
    char cols[64 * 65] = "";
    for (int i = 0; i < o->n; i++)
        strcat(strcat(cols, i ? "," : ""), o->head[i]);
    spec_rows s;
    lk_table *t = lk_table_new(cols);
    if (!t || spec_rows_build(&s, sw, e)) {
        lk_table_free(t);
        return lk_fail(e, LK_ERUN, "out of memory");
    }
    double first[64];
    bool have_first = false;
    for (int r = 0; sw && r < lk_table_rows(sw); r++) {
        if (s.first[r] != r || !rep_where(sw, r, d->where)) /* once per spec */
            continue;
        int pr = rep_join(d->join, d->paper_where, paper, sw, r);
        if (lk_table_row(t)) {
            spec_rows_free(&s);
            return lk_table_free(t), lk_fail(e, LK_ERUN, "out of memory");
        }
        for (int i = 0; i < o->n; i++) {
            const col_def *c = o->def[i];
            if (c->f == REP_TEXT) {
                lk_table_put(t, o->head[i], "%s", rep_get(sw, r, c->col));
                continue;
            }
            double v = value(c, sw, &s, r, paper, pr, o->profile[i]);
            if (!have_first)
                first[i] = v;
            rep_put(t, o->head[i], c->f == REP_REL ? v / first[i] - 1 : v, c->f);
        }
        have_first = true;
    }
    spec_rows_free(&s);
    *out = t;
    return LK_OK;
}

/* ---- captions: how a table's numbers were made, and their units --- */

void rep_values_add(rep_values *v, const char *s)
{
    for (int i = 0; *s && i < v->n; i++)
        if (!strcmp(v->v[i], s))
            return;
    if (!*s)
        return;
    if (v->n < REP_MAX_VALUES)
        snprintf(v->v[v->n++], sizeof v->v[0], "%s", s);
    else
        v->more = true;
}

/* Append to the text in buf (size bytes), cutting it short if need be. */
static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

void rep_values_say(const rep_values *v, char *buf, size_t size)
{
    int n = v->n + v->more;
    for (int i = 0; i < n; i++)
        append(buf, size, "%s%s", !i ? "" : i == n - 1 ? " and " : ", ",
               i < v->n ? v->v[i] : "others");
}

/* The simulation modes, contexts and dtypes of the rows table d shows;
 * unsimulated: some rows have no mode (a sweep run without profiles);
 * once: the table has load or init times. */
typedef struct {
    rep_values modes, ctx, dtypes;
    bool unsimulated, once;
} provenance;

static void provenance_of(const tab_def *d, const lk_table *sw, provenance *p)
{
    memset(p, 0, sizeof *p);
    for (int r = 0; sw && r < lk_table_rows(sw); r++) {
        if (!rep_where(sw, r, d->where))
            continue;
        rep_values_add(&p->modes, rep_get(sw, r, "mode"));
        rep_values_add(&p->ctx, rep_get(sw, r, "ctx"));
        rep_values_add(&p->dtypes, rep_get(sw, r, "dtype"));
        p->unsimulated |= !*rep_get(sw, r, "mode");
    }
    p->once = d->once;
}

/* Append the units of a table's numbers: the one place they are stated. */
static void say_units(const provenance *p, char *buf, size_t size)
{
    append(buf, size, "Units: MB = 10^6 bytes; ms and mJ per decode token");
    if (p->ctx.n) {
        append(buf, size, " at context position ");
        rep_values_say(&p->ctx, buf, size);
    }
    if (p->once)
        append(buf, size, ", load and init ms once per model");
    append(buf, size, " unless a column says otherwise");
    if (p->dtypes.n) {
        append(buf, size, "; weights in ");
        rep_values_say(&p->dtypes, buf, size);
    }
    append(buf, size, ".");
}

/* Table d's caption: how its rows were made (the simulation mode) and
 * the units of its numbers. */
static void caption(const tab_def *d, const lk_table *sw, const provenance *p,
                    char *buf, size_t size)
{
    bool exact = p->modes.n == 1 && !p->modes.more && !strcmp(p->modes.v[0], "exact");
    buf[0] = 0;
    if (!sw) {
        append(buf, size, "No results of sweeps/%s.csv in this folder.", d->sweep);
        return;
    }
    if (!p->modes.n)
        append(buf, size, "Parameters only, not simulated. ");
    else {
        append(buf, size, "Simulated in ");
        rep_values_say(&p->modes, buf, size);
        append(buf, size, " mode (%s)%s. ", exact ? "as lanky sim by default"
                          : "lanky sim's default is exact: its figures can differ",
               p->unsimulated ? "; rows without a profile are parameters only" : "");
    }
    say_units(p, buf, size);
}

/* ---- writing ------------------------------------------------------- */

/* The units a column head may end in (REP_MILLION is M or MB by its head). */
static const char *const units[] = {"ms", "mJ", "MB", "M", "%", NULL};

/* head without its unit word (and the brackets of "(512 tokens)") into
 * words; the unit into unit ("" without one). */
static void split_head(const char *head, char *words, size_t wn, char *unit, size_t un)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", head);
    words[0] = unit[0] = 0;
    size_t used = 0;
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
        bool is_unit = false;
        for (int i = 0; units[i] && !*unit; i++)
            if (!strcmp(w, units[i]))
                is_unit = true, snprintf(unit, un, "%s", w);
        if (is_unit)
            continue;
        w += *w == '(';
        w[strcspn(w, ")")] = 0;
        used += (size_t)snprintf(words + used, used < wn ? wn - used : 0, "%s%s",
                                 used ? " " : "", w);
    }
}

/* Table d as LaTeX: per-SoC columns under a spanner naming the metric,
 * heads wrapped with the unit under them, the leading identity columns
 * (text and integers, at most TEX_MAX_KEYS: "Size, Layers, Heads" name a
 * row of Table 9; more would leave a split part little room) repeated in
 * each part if it must be split. */
#define TEX_MAX_KEYS 3
static void write_tex(FILE *f, const lk_table *t, const tab_def *d, const out_cols *o,
                      const char *cap)
{
    lk_tex_col cols[64];
    char group[64][96], head[64][96], unit[64][8];
    bool keys = true;
    for (int i = 0; i < o->n; i++) {
        const col_def *c = o->def[i];
        keys &= i < TEX_MAX_KEYS && c->per == ANY && (c->f == REP_TEXT || c->f == REP_INT);
        if (c->per == EACH_SOC) {
            char w[96], u[8];
            split_head(c->head, w, sizeof w, u, sizeof u);
            const char *what = *w ? w : c->f == REP_MS ? "Latency" : c->f == REP_MJ ? "Energy" : "";
            snprintf(group[i], sizeof group[i], *u ? "%s (%s)" : "%s", what, u);
            snprintf(head[i], sizeof head[i], "%s", o->profile[i]);
            unit[i][0] = 0;
        } else
            split_head(o->head[i], head[i], sizeof head[i], unit[i], sizeof unit[i]);
        cols[i] = (lk_tex_col){c->per == EACH_SOC ? group[i] : NULL, head[i],
                               *unit[i] ? unit[i] : NULL, keys};
    }
    char label[96];
    snprintf(label, sizeof label, "tab:%s", d->file);
    lk_tex_opts opts = {label, d->title, cap, TEX_TEXT_WIDTH_PT};
    fprintf(f, "%% %s -- written by lanky (reports/tables.c)\n", d->file);
    lk_tex_table(f, t, cols, &opts);
}

/* Close f, an open_memstream on *buf and *len, and write its text to
 * path. */
static int save_stream(FILE *f, char **buf, size_t *len, const char *path,
                       lk_err *e)
{
    int rc = fclose(f) == 0 ? lk_outfile_write(path, *buf, *len, e)
                            : lk_fail(e, LK_ERUN, "%s: out of memory", path);
    free(*buf);
    return rc;
}

static int save_table(const char *dir, const tab_def *d, const out_cols *o,
                      const lk_table *t, const char *cap, lk_err *e)
{
    char path[4096];
    char *buf;
    size_t len;
    FILE *f;
    snprintf(path, sizeof path, "%s/tab_%s.csv", dir, d->file);
    int rc = lk_table_save(t, LK_TABLE_CSV, path, e);
    for (int tex = 0; tex < 2 && !rc; tex++) {
        if (!(f = open_memstream(&buf, &len)))
            return lk_fail(e, LK_ERUN, "out of memory");
        if (tex)
            write_tex(f, t, d, o, cap);
        else {
            fprintf(f, "**%s.** %s\n\n", d->title, cap);
            lk_md_table(f, t);
        }
        snprintf(path, sizeof path, "%s/tab_%s.%s", dir, d->file, tex ? "tex" : "md");
        rc = save_stream(f, &buf, &len, path, e);
    }
    return rc;
}

/* ---- checking the inputs ------------------------------------------ */

/* Column col of t, read from dir/name.csv (t NULL: no file, nothing to
 * check). */
static int need_column(const lk_table *t, const char *dir, const char *name,
                       const char *col, lk_err *e)
{
    for (int i = 0; t && i < lk_table_cols(t); i++)
        if (!strcmp(lk_table_colname(t, i), col))
            return LK_OK;
    return t ? lk_fail(e, LK_EINPUT, "%s/%s.csv: no column '%s' (not what lanky sweep "
                       "writes, or not the paper's table)", dir, name, col)
             : LK_OK;
}

/* Every cell of column col of t (dir/name.csv) empty or a finite number:
 * the tables format them, and garbage would print as an empty cell. */
static int need_numbers(const lk_table *t, const char *dir, const char *name,
                        const char *col, lk_err *e)
{
    for (int r = 0; t && r < lk_table_rows(t); r++) {
        const char *v = rep_get(t, r, col);
        if (*v && !isfinite(rep_num(t, r, col)))
            return lk_fail(e, LK_EINPUT, "%s/%s.csv: row %d: %s: '%s' is not a number",
                           dir, name, r + 1, col, v);
    }
    return LK_OK;
}

/* The columns table d needs: every sweep result has the spec's (the
 * simulated and measured ones only with --profiles and --measure), the
 * paper's table every one it reads; and the numbers it formats. */
static int check_columns(const tab_def *d, const char *dir, const lk_table *sw,
                         const char *paper_dir, const lk_table *paper, lk_err *e)
{
    int rc = need_column(sw, dir, d->sweep, "group", e);
    if (!rc)
        rc = need_column(sw, dir, d->sweep, "name", e);
    for (int i = 0; !rc && i < REP_MAX_JOIN && d->join[i][0]; i++)
        if (!(rc = need_column(paper, paper_dir, d->paper, d->join[i][0], e)))
            rc = need_column(sw, dir, d->sweep, d->join[i][1], e);
    for (const col_def *c = d->cols; !rc && c->head; c++) {
        bool from_paper = !strncmp(c->col, "paper.", 6);
        if (from_paper)
            rc = need_column(paper, paper_dir, d->paper, c->col + 6, e);
        if (!rc && c->f != REP_TEXT)
            rc = from_paper ? need_numbers(paper, paper_dir, d->paper, c->col + 6, e)
                            : need_numbers(sw, dir, d->sweep, c->col, e);
    }
    return rc;
}

/* ---- the module's interface ---------------------------------------- */

int rep_tab_count(void)
{
    return (int)NTABLES;
}

rep_tab_about rep_tab_info(int i)
{
    const tab_def *d = &tables[i];
    return (rep_tab_about){d->file, d->title, d->says, d->sweep};
}

int rep_tab_check(int i, const char *dir, const char *paper_dir, lk_err *e)
{
    const tab_def *d = &tables[i];
    lk_table *sw = NULL, *paper = NULL;
    int rc = rep_load(dir, d->sweep, &sw, e);
    if (!rc && d->paper)
        rc = rep_load_paper(paper_dir, d->paper, &paper, e);
    if (!rc)
        rc = check_columns(d, dir, sw, paper_dir, paper, e);
    lk_table_free(sw);
    lk_table_free(paper);
    return rc;
}

int rep_tab_write(int i, const char *dir, const char *paper_dir, lk_table **t, char *cap,
                  rep_values *modes, lk_err *e)
{
    const tab_def *d = &tables[i];
    lk_table *sw = NULL, *paper = NULL;
    provenance p;
    int rc = rep_load(dir, d->sweep, &sw, e);
    if (!rc && d->paper)
        rc = rep_load_paper(paper_dir, d->paper, &paper, e);
    if (!rc) {
        provenance_of(d, sw, &p);
        caption(d, sw, &p, cap, REP_CAPTION);
        for (int k = 0; k < p.modes.n; k++)
            rep_values_add(modes, p.modes.v[k]);
        out_cols o;
        expand(d, sw, &o);
        if (!(rc = build_table(d, &o, sw, paper, t, e)))
            rc = save_table(dir, d, &o, *t, cap, e);
    }
    lk_table_free(sw);
    lk_table_free(paper);
    return rc;
}
