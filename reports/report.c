/* report.c -- paper-style tables and figure data from sweep results
 * (see report.h).
 *
 * Each table is declared in `tables` below: the sweep result it reads,
 * the paper table it joins and how, and its columns. A column takes a
 * value from the spec's sweep rows (any profile, one profile, or one
 * column per SoC) or from the joined paper row, and is shown in one of
 * the formats in `formats`, the only place numbers are formatted. The
 * figure data are built by one short function per figure.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/md.h"
#include "../common/outfile.h"
#include "../common/table.h"
#include "../common/tex.h"
#include "accuracy.h"
#include "html.h"
#include "results.h"

#define MAX_SOCS 16
#define MAX_JOIN 5
#define MAX_COLS 24 /* columns of a table definition */
#define REF_SOC "a15" /* the paper's phone: iPhone 13, Apple A15 */
/* The LaTeX tables fit a one-column article on A4 with 2.5 cm margins
 * (16 cm = 455 pt), the common arXiv layout; tests/tex-check.sh checks it. */
#define TEX_TEXT_WIDTH_PT 455

/* ---- number formats ------------------------------------------------- */

typedef enum {
    F_TEXT,    /* copied as it is */
    F_INT,     /* an integer */
    F_MILLION, /* millions: parameters (M) and bytes (MB = 1e6 bytes) */
    F_ONE,     /* one decimal: accuracy %, the paper's figures */
    F_MS,      /* milliseconds */
    F_MJ,      /* millijoules */
    F_PCT,     /* a fraction shown in percent */
    F_REL,     /* change against the table's first row, in percent */
} fmt;

static const struct {
    double scale;
    int decimals;
} formats[] = {
    [F_TEXT] = {1, 0},   [F_INT] = {1, 0}, [F_MILLION] = {1e-6, 1},
    [F_ONE] = {1, 1},    [F_MS] = {1, 2},  [F_MJ] = {1, 3},
    [F_PCT] = {100, 1},  [F_REL] = {100, 1},
};

/* Put v into the newest row of t in format f; NAN leaves the cell empty. */
static void put_value(table *t, const char *col, double v, fmt f)
{
    if (isnan(v))
        return;
    if (f == F_REL)
        table_put(t, col, "%+.*f", formats[f].decimals, v * formats[f].scale);
    else
        table_putf(t, col, v * formats[f].scale, formats[f].decimals);
}

/* The rows of each spec (group, name) of a sweep result, found once:
 * first[r] is the first row of row r's spec, next[r] the next row of it
 * (-1 after the last), in file order. Looking a spec's rows up by
 * scanning the whole table for every row and column took 49 s for a
 * 20,000-row result. */
typedef struct {
    int *first, *next;
} spec_rows;

static const table *spec_tab; /* for by_spec(), which qsort gives no context */

/* Rows x and y of t ordered by spec (group, then name); 0: one spec. */
static int by_spec_only(const table *t, int x, int y)
{
    int c = strcmp(rep_get(t, x, "group"), rep_get(t, y, "group"));
    return c ? c : strcmp(rep_get(t, x, "name"), rep_get(t, y, "name"));
}

static int by_spec(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b, c = by_spec_only(spec_tab, x, y);
    return c ? c : (x > y) - (x < y);
}

static int spec_rows_build(spec_rows *s, const table *t, lk_err *e)
{
    int n = t ? table_rows(t) : 0, *order = malloc((n + 1) * sizeof *order);
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
    spec_tab = t;
    qsort(order, n, sizeof *order, by_spec); /* a spec's rows together, in file order */
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
static int find(const table *t, const spec_rows *s, int r, const char *profile,
                const char *where)
{
    for (int k = s->first[r]; k >= 0; k = s->next[k])
        if ((!profile || !strcmp(rep_get(t, k, "profile"), profile)) && rep_where(t, k, where))
            return k;
    return -1;
}

/* The simulated SoCs in t, in order: every profile but the host. */
static int socs(const table *t, const char **out)
{
    int n = 0;
    for (int r = 0; t && r < table_rows(t); r++) {
        const char *p = rep_get(t, r, "profile");
        bool seen = !*p || !strcmp(p, "host");
        for (int i = 0; i < n && !seen; i++)
            seen = !strcmp(out[i], p);
        if (!seen && n < MAX_SOCS)
            out[n++] = p;
    }
    return n;
}

/* ---- tables -------------------------------------------------------- */

enum { ANY, EACH_SOC, HOST, REF };

typedef struct {
    const char *head;  /* header; EACH_SOC and REF put the profile first */
    const char *col;   /* sweep column, or "paper.<column>" */
    fmt f;
    int per;           /* which profile's row: ANY, EACH_SOC, HOST, REF */
    const char *where; /* "ctx=2047": the spec's row where this holds */
} col_def;

typedef struct {
    const char *file;     /* tab_<file>.md/.tex/.csv */
    const char *title;
    const char *says;     /* one sentence for index.md */
    const char *sweep;    /* sweep result in the report folder */
    const char *paper;    /* paper table in paper_dir, or NULL */
    const char *join[MAX_JOIN][2]; /* {paper column, sweep column} */
    const char *paper_where; /* only these paper rows, or NULL */
    const char *where;    /* only these sweep rows, or NULL */
    col_def cols[MAX_COLS];
} tab_def;

#define SPEC_ID {"Size", "group", F_TEXT, ANY, NULL}

static const tab_def tables[] = {
    {"table9", "Table 9 extended: depth vs width, parameters and host latency",
     "The paper's depth/width grid (untied, MHA, SwiGLU, vocab 32000, f16): "
     "lanky's parameter count beside the paper's, the paper's average "
     "zero-shot accuracy, weight size, and per-token latency on this "
     "machine, predicted and measured.",
     "table9", "table9_depth_width",
     {{"size_class", "group"}, {"layers", "layers"}, {"heads", "heads"},
      {"dim", "dim"}}, NULL, NULL,
     {SPEC_ID, {"Layers", "layers", F_INT, ANY, NULL},
      {"Heads", "heads", F_INT, ANY, NULL}, {"Dim", "dim", F_INT, ANY, NULL},
      {"Params M", "params_paper", F_MILLION, ANY, NULL},
      {"Paper params M", "paper.params_m", F_ONE, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"Weights MB", "weight_bytes", F_MILLION, ANY, NULL},
      {"host predicted ms", "latency_ms_per_token", F_MS, HOST, NULL},
      {"host measured ms", "measured_execute_ms", F_MS, ANY, NULL}}},
    {"table9_soc", "Table 9 on each SoC: DRAM traffic, energy and latency per token",
     "For the same grid, DRAM bytes read per decode token (MB), energy per "
     "token (mJ) and predicted latency per token (ms) on each simulated SoC "
     "at context position 512 (513 tokens in the cache).",
     "table9", NULL, {{0}}, NULL, NULL,
     {SPEC_ID, {"Layers", "layers", F_INT, ANY, NULL},
      {"Dim", "dim", F_INT, ANY, NULL},
      {"DRAM MB", "dram_read_bytes", F_MILLION, EACH_SOC, NULL},
      {"mJ", "energy_mj_per_token", F_MJ, EACH_SOC, NULL},
      {"ms", "latency_ms_per_token", F_MS, EACH_SOC, NULL}}},
    {"table2", "Table 2 extended: layer-sharing strategies",
     "The paper's sharing ablation (8x896 and 15x1280, 16 heads, repeat 2): "
     "the same weights executed in three orders cost different DRAM traffic "
     "and latency once a block no longer stays in the SoC's cache.",
     "table2", "table2_sharing", {{"size_class", "group"}, {"sharing", "share"}},
     NULL, NULL,
     {SPEC_ID, {"Sharing", "share", F_TEXT, ANY, NULL},
      {"Executed layers", "executed_layers", F_INT, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"Weights MB", "weight_bytes", F_MILLION, ANY, NULL},
      {"DRAM MB", "dram_read_bytes", F_MILLION, EACH_SOC, NULL},
      {"ms", "latency_ms_per_token", F_MS, EACH_SOC, NULL},
      {"host measured ms", "measured_execute_ms", F_MS, ANY, NULL}}},
    {"table7", "Table 7 on this machine: load, init and execute",
     "The paper's iPhone 13 measurements (ExecuTorch, FP16) next to the same "
     "three models measured on this machine with lanky's reference "
     "transformer, and the A15 prediction; the change columns compare each "
     "model with MobileLLM-125M.",
     "table7", "table7_iphone13_latency", {{"model", "name"}}, NULL, NULL,
     {{"Model", "name", F_TEXT, ANY, NULL},
      {"Executed layers", "executed_layers", F_INT, ANY, NULL},
      {"Distinct layers", "layers", F_INT, ANY, NULL},
      {"iPhone 13 load ms", "paper.load_ms", F_ONE, ANY, NULL},
      {"iPhone 13 init ms", "paper.init_ms", F_ONE, ANY, NULL},
      {"iPhone 13 execute ms", "paper.execute_ms", F_ONE, ANY, NULL},
      {"iPhone 13 execute change %", "paper.execute_ms", F_REL, ANY, NULL},
      {"predicted ms", "latency_ms_per_token", F_MS, REF, NULL},
      {"host load ms", "measured_load_ms", F_ONE, ANY, NULL},
      {"host init ms", "measured_init_ms", F_ONE, ANY, NULL},
      {"host execute ms", "measured_execute_ms", F_MS, ANY, NULL},
      {"host execute change %", "measured_execute_ms", F_REL, ANY, NULL}}},
    {"table11", "Table 11 extended: heads and KV heads",
     "Fewer KV heads barely move the paper's accuracy but shrink the KV cache "
     "a token reads, shown with 512 and 2048 tokens in the cache (context "
     "positions 511 and 2047) and the predicted "
     "latency on the paper's phone SoC.",
     "table11", "table11_heads_kv",
     {{"size_class", "group"}, {"layers", "layers"}, {"dim", "dim"},
      {"heads", "heads"}, {"kv_heads", "kv_heads"}}, NULL, NULL,
     {SPEC_ID, {"Layers", "layers", F_INT, ANY, NULL},
      {"Dim", "dim", F_INT, ANY, NULL}, {"Heads", "heads", F_INT, ANY, NULL},
      {"KV heads", "kv_heads", F_INT, ANY, NULL},
      {"Head dim", "head_dim", F_INT, ANY, NULL},
      {"Params M", "params_paper", F_MILLION, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"KV MB (512 tokens)", "kv_cache_bytes", F_MILLION, ANY, "ctx=511"},
      {"KV MB (2048 tokens)", "kv_cache_bytes", F_MILLION, ANY, "ctx=2047"},
      {"DRAM KV MB (2048 tokens)", "dram_kv_read_bytes", F_MILLION, REF, "ctx=2047"},
      {"ms (512 tokens)", "latency_ms_per_token", F_MS, REF, "ctx=511"},
      {"ms (2048 tokens)", "latency_ms_per_token", F_MS, REF, "ctx=2047"}}},
    {"table8", "Table 8 extended: the design roadmap",
     "Each step of the paper's roadmap (accuracy after 0.25T training tokens) "
     "with its weight size and predicted latency and energy per token on each "
     "SoC.",
     "table8", "table8_roadmap", {{"size_class", "group"}, {"step", "name"}},
     "train_tokens=0.25T", NULL,
     {SPEC_ID, {"Step", "name", F_TEXT, ANY, NULL},
      {"Layers", "layers", F_INT, ANY, NULL},
      {"Heads", "heads", F_INT, ANY, NULL},
      {"KV heads", "kv_heads", F_INT, ANY, NULL},
      {"Dim", "dim", F_INT, ANY, NULL}, {"FFN", "ffn", F_TEXT, ANY, NULL},
      {"Tied", "tied", F_INT, ANY, NULL},
      {"Params M", "params_paper", F_MILLION, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"Weights MB", "weight_bytes", F_MILLION, ANY, NULL},
      {"ms", "latency_ms_per_token", F_MS, EACH_SOC, NULL},
      {"mJ", "energy_mj_per_token", F_MJ, EACH_SOC, NULL}}},
    {"table12", "Table 12 extended: repeat factors",
     "Immediate sharing with 1 to 4 repeats: the paper's accuracy against "
     "the DRAM traffic and latency each repeat adds on each SoC.",
     "table12", "table12_repeat",
     {{"size_class", "group"}, {"base_layers", "layers"}, {"dim", "dim"},
      {"repeat", "repeat"}}, NULL, NULL,
     {SPEC_ID, {"Layers", "layers", F_INT, ANY, NULL},
      {"Repeat", "repeat", F_INT, ANY, NULL},
      {"Executed layers", "executed_layers", F_INT, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"Weights MB", "weight_bytes", F_MILLION, ANY, NULL},
      {"DRAM MB", "dram_read_bytes", F_MILLION, EACH_SOC, NULL},
      {"ms", "latency_ms_per_token", F_MS, EACH_SOC, NULL},
      {"host measured ms", "measured_execute_ms", F_MS, ANY, NULL}}},
    {"presets", "Published models",
     "The public MobileLLM and SmolLM configurations with the paper's "
     "Table 3 accuracy where it has one, and their predicted latency and "
     "energy per token on each SoC and measured latency here.",
     "presets", "table3_zero_shot", {{"model", "name"}}, NULL, NULL,
     {{"Model", "name", F_TEXT, ANY, NULL},
      {"Layers", "layers", F_INT, ANY, NULL}, {"Dim", "dim", F_INT, ANY, NULL},
      {"Heads", "heads", F_INT, ANY, NULL},
      {"KV heads", "kv_heads", F_INT, ANY, NULL},
      {"Vocab", "vocab", F_INT, ANY, NULL}, {"Share", "share", F_TEXT, ANY, NULL},
      {"Params M", "params_paper", F_MILLION, ANY, NULL},
      {"Avg acc %", "paper.avg", F_ONE, ANY, NULL},
      {"Weights MB", "weight_bytes", F_MILLION, ANY, NULL},
      {"ms", "latency_ms_per_token", F_MS, EACH_SOC, NULL},
      {"mJ", "energy_mj_per_token", F_MJ, EACH_SOC, NULL},
      {"host measured ms", "measured_execute_ms", F_MS, ANY, NULL}}},
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* The row of paper that sweep row r joins: every {paper column, sweep
 * column} pair equal ignoring case, and paper_where true; or -1. */
static int join(const char *const pairs[][2], const char *paper_where,
                const table *paper, const table *sw, int r)
{
    for (int p = 0; paper && p < table_rows(paper); p++) {
        bool ok = rep_where(paper, p, paper_where);
        for (int j = 0; ok && j < MAX_JOIN && pairs[j][0]; j++)
            ok = !strcasecmp(rep_get(paper, p, pairs[j][0]), rep_get(sw, r, pairs[j][1]));
        if (ok)
            return p;
    }
    return -1;
}

/* The header of column c for profile p ("a15 ms"). */
static void head(char *buf, size_t size, const col_def *c, const char *p)
{
    if (p && c->per != HOST)
        snprintf(buf, size, "%s %s", p, c->head);
    else
        snprintf(buf, size, "%s", c->head);
}

/* Value of column c for the spec of sweep row r on profile p. */
static double value(const col_def *c, const table *sw, const spec_rows *s, int r,
                    const table *paper, int pr, const char *p)
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

static void expand(const tab_def *d, const table *sw, out_cols *o)
{
    const char *soc[MAX_SOCS];
    int nsoc = socs(sw, soc);
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

static int build_table(const tab_def *d, const out_cols *o, const table *sw,
                       const table *paper, table **out, lk_err *e)
{
    char cols[64 * 65] = "";
    for (int i = 0; i < o->n; i++)
        strcat(strcat(cols, i ? "," : ""), o->head[i]);
    spec_rows s;
    table *t = table_new(cols);
    if (!t || spec_rows_build(&s, sw, e)) {
        table_free(t);
        return lk_fail(e, LK_ERUN, "out of memory");
    }
    double first[64];
    bool have_first = false;
    for (int r = 0; sw && r < table_rows(sw); r++) {
        if (s.first[r] != r || !rep_where(sw, r, d->where)) /* once per spec */
            continue;
        int pr = join(d->join, d->paper_where, paper, sw, r);
        if (table_row(t)) {
            spec_rows_free(&s);
            return table_free(t), lk_fail(e, LK_ERUN, "out of memory");
        }
        for (int i = 0; i < o->n; i++) {
            const col_def *c = o->def[i];
            if (c->f == F_TEXT) {
                table_put(t, o->head[i], "%s", rep_get(sw, r, c->col));
                continue;
            }
            double v = value(c, sw, &s, r, paper, pr, o->profile[i]);
            if (!have_first)
                first[i] = v;
            put_value(t, o->head[i], c->f == F_REL ? v / first[i] - 1 : v, c->f);
        }
        have_first = true;
    }
    spec_rows_free(&s);
    *out = t;
    return LK_OK;
}

/* ---- captions: how a table's numbers were made, and their units --- */

#define CAPTION 1024
#define MAX_VALUES 4

/* The distinct non-empty values of a column, in order of first sight. */
typedef struct {
    int n;
    bool more; /* more than MAX_VALUES of them */
    char v[MAX_VALUES][32];
} values;

static void add_value(values *v, const char *s)
{
    for (int i = 0; *s && i < v->n; i++)
        if (!strcmp(v->v[i], s))
            return;
    if (!*s)
        return;
    if (v->n < MAX_VALUES)
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

/* Append v as text: "a", "a and b", "a, b and c", "a, b, c, d and others". */
static void say_values(const values *v, char *buf, size_t size)
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
    values modes, ctx, dtypes;
    bool unsimulated, once;
} provenance;

static void provenance_of(const tab_def *d, const table *sw, provenance *p)
{
    memset(p, 0, sizeof *p);
    for (int r = 0; sw && r < table_rows(sw); r++) {
        if (!rep_where(sw, r, d->where))
            continue;
        add_value(&p->modes, rep_get(sw, r, "mode"));
        add_value(&p->ctx, rep_get(sw, r, "ctx"));
        add_value(&p->dtypes, rep_get(sw, r, "dtype"));
        p->unsimulated |= !*rep_get(sw, r, "mode");
    }
    for (int c = 0; c < MAX_COLS && d->cols[c].head; c++)
        p->once |= strstr(d->cols[c].head, "load ms") || strstr(d->cols[c].head, "init ms");
}

/* Append the units of a table's numbers: the one place they are stated. */
static void say_units(const provenance *p, char *buf, size_t size)
{
    append(buf, size, "Units: MB = 10^6 bytes; ms and mJ per decode token");
    if (p->ctx.n) {
        append(buf, size, " at context position ");
        say_values(&p->ctx, buf, size);
    }
    if (p->once)
        append(buf, size, ", load and init ms once per model");
    append(buf, size, " unless a column says otherwise");
    if (p->dtypes.n) {
        append(buf, size, "; weights in ");
        say_values(&p->dtypes, buf, size);
    }
    append(buf, size, ".");
}

/* Table d's caption: how its rows were made (the simulation mode) and
 * the units of its numbers. */
static void caption(const tab_def *d, const table *sw, const provenance *p,
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
        say_values(&p->modes, buf, size);
        append(buf, size, " mode (%s)%s. ", exact ? "as lanky sim by default"
                          : "lanky sim's default is exact: its figures can differ",
               p->unsimulated ? "; rows without a profile are parameters only" : "");
    }
    say_units(p, buf, size);
}

/* ---- writing ------------------------------------------------------- */

/* Write text to path whole or not at all. */
static int save_text(const char *path, const char *text, size_t len, lk_err *e)
{
    lk_outfile o;
    int rc = lk_outfile_open(&o, path, e);
    if (rc)
        return rc;
    fwrite(text, 1, len, o.f);
    return lk_outfile_commit(&o, e);
}

/* A column is numeric when every non-empty cell is a number. */
/* A Markdown cell: '|' would end it, '\\' escapes. */
/* LaTeX text: its ten special characters escaped (model names are the
 * user's). */
/* The units a column head may end in (F_MILLION is M or MB by its head). */
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
static void write_tex(FILE *f, const table *t, const tab_def *d, const out_cols *o,
                      const char *cap)
{
    lk_tex_col cols[64];
    char group[64][96], head[64][96], unit[64][8];
    bool keys = true;
    for (int i = 0; i < o->n; i++) {
        const col_def *c = o->def[i];
        keys &= i < TEX_MAX_KEYS && c->per == ANY && (c->f == F_TEXT || c->f == F_INT);
        if (c->per == EACH_SOC) {
            char w[96], u[8];
            split_head(c->head, w, sizeof w, u, sizeof u);
            const char *what = *w ? w : c->f == F_MS ? "Latency" : c->f == F_MJ ? "Energy" : "";
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
    fprintf(f, "%% %s -- written by lanky (reports/report.c)\n", d->file);
    lk_tex_table(f, t, cols, &opts);
}

/* Close f, an open_memstream on *buf and *len, and write its text to
 * path. */
static int save_stream(FILE *f, char **buf, size_t *len, const char *path,
                       lk_err *e)
{
    int rc = fclose(f) == 0 ? save_text(path, *buf, *len, e)
                            : lk_fail(e, LK_ERUN, "%s: out of memory", path);
    free(*buf);
    return rc;
}

static int save_table(const char *dir, const tab_def *d, const out_cols *o,
                      const table *t, const char *cap, lk_err *e)
{
    char path[4096];
    char *buf;
    size_t len;
    FILE *f;
    snprintf(path, sizeof path, "%s/tab_%s.csv", dir, d->file);
    int rc = table_save(t, TABLE_CSV, path, e);
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

/* ---- figure data --------------------------------------------------- */

/* Rows of sw on profile p, sorted by column `by` (NULL: sweep order). */
static const table *sort_tab;
static const char *sort_col;

static int by_col(const void *a, const void *b)
{
    double x = rep_num(sort_tab, *(const int *)a, sort_col);
    double y = rep_num(sort_tab, *(const int *)b, sort_col);
    return (x > y) - (x < y);
}

static int rows_of(const table *sw, const char *p, const char *by, int *idx)
{
    int n = 0;
    for (int r = 0; sw && r < table_rows(sw); r++)
        if (!strcmp(rep_get(sw, r, "profile"), p))
            idx[n++] = r;
    if (by) {
        sort_tab = sw;
        sort_col = by;
        qsort(idx, n, sizeof *idx, by_col);
    }
    return n;
}

/* Start a row of figure data for profile p and sweep row r. */
static int fig_row(table *t, const char *p, const table *sw, int r)
{
    if (table_row(t))
        return LK_ERUN;
    table_put(t, "profile", "%s", p);
    table_put(t, "group", "%s", rep_get(sw, r, "group"));
    table_put(t, "name", "%s", rep_get(sw, r, "name"));
    return LK_OK;
}

/* Accuracy against latency per SoC, then each SoC's Pareto front (the
 * models no faster model beats on accuracy), in order of latency. */
static int fig_pareto(const table *sw, const table *paper, table *t, int *idx)
{
    static const char *const on[][2] = {{"size_class", "group"}, {"layers", "layers"},
                                        {"heads", "heads"}, {"dim", "dim"}, {0}};
    const char *soc[MAX_SOCS];
    int nsoc = socs(sw, soc);
    for (int kind = 0; kind < 2; kind++)
        for (int i = 0; i < nsoc; i++) {
            int n = rows_of(sw, soc[i], "latency_ms_per_token", idx);
            double best = -INFINITY;
            for (int k = 0; k < n; k++) {
                double acc = rep_num(paper, join(on, NULL, paper, sw, idx[k]), "avg");
                if (isnan(acc) || (kind && acc <= best))
                    continue;
                best = acc;
                if (fig_row(t, soc[i], sw, idx[k]))
                    return LK_ERUN;
                table_put(t, "kind", "%s", kind ? "front" : "model");
                put_value(t, "latency_ms", rep_num(sw, idx[k], "latency_ms_per_token"), F_MS);
                put_value(t, "accuracy", acc, F_ONE);
            }
        }
    return LK_OK;
}

/* A column of a per-SoC series: sweep column `in` (divided by column
 * `per` when set, plus `add`), shown in format f. */
typedef struct {
    const char *out, *in, *per;
    fmt f;
    double add;
} series_col;

/* One row per sweep row and SoC, each SoC's rows sorted by column `by`
 * (NULL: sweep order), with the columns cols (ended by a NULL out). */
static int fig_series(const table *sw, table *t, int *idx, const char *by,
                      const series_col *cols)
{
    const char *soc[MAX_SOCS];
    int nsoc = socs(sw, soc);
    for (int i = 0; i < nsoc; i++) {
        int n = rows_of(sw, soc[i], by, idx);
        for (int k = 0; k < n; k++) {
            if (fig_row(t, soc[i], sw, idx[k]))
                return LK_ERUN;
            for (const series_col *c = cols; c->out; c++) {
                if (c->f == F_TEXT) {
                    table_put(t, c->out, "%s", rep_get(sw, idx[k], c->in));
                    continue;
                }
                double v = rep_num(sw, idx[k], c->in) + c->add;
                put_value(t, c->out, c->per ? v / rep_num(sw, idx[k], c->per) : v, c->f);
            }
        }
    }
    return LK_OK;
}

/* DRAM bytes per token against distinct layers, per SoC and strategy. */
static int fig_sharing(const table *sw, const table *paper, table *t, int *idx)
{
    static const series_col cols[] = {
        {"share", "share", NULL, F_TEXT, 0},
        {"layers", "layers", NULL, F_INT, 0},
        {"dram_mb", "dram_read_bytes", NULL, F_MILLION, 0},
        {NULL, NULL, NULL, F_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Energy per token against parameters, per SoC, smallest model first. */
static int fig_energy(const table *sw, const table *paper, table *t, int *idx)
{
    static const series_col cols[] = {
        {"params_m", "params_paper", NULL, F_MILLION, 0},
        {"energy_mj", "energy_mj_per_token", NULL, F_MJ, 0},
        {NULL, NULL, NULL, F_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, "params_paper", cols);
}

/* The KV cache's share of DRAM reads against context (position + 1),
 * per SoC and model. */
static int fig_kv(const table *sw, const table *paper, table *t, int *idx)
{
    static const series_col cols[] = {
        {"context", "ctx", NULL, F_INT, 1},
        {"kv_share_pct", "dram_kv_read_bytes", "dram_read_bytes", F_PCT, 0},
        {NULL, NULL, NULL, F_TEXT, 0},
    };
    (void)paper;
    return fig_series(sw, t, idx, NULL, cols);
}

/* Predicted against measured latency on this machine, with the spread
 * of the measurement when it was repeated. */
static int fig_measured(const table *sw, const table *paper, table *t, int *idx)
{
    (void)paper;
    int n = rows_of(sw, "host", NULL, idx);
    rep_acc_pair m;
    for (int k = 0; k < n; k++) {
        if (!rep_acc_pair_of(sw, idx[k], &m))
            continue;
        if (fig_row(t, "host", sw, idx[k]))
            return LK_ERUN;
        put_value(t, "predicted_ms", m.predicted_ms, F_MS);
        put_value(t, "measured_ms", m.measured_ms, F_MS);
        put_value(t, "measured_std_ms", isnan(m.measured_std_ms) ? 0 : m.measured_std_ms,
                  F_MS);
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
    int (*add)(const table *sw, const table *paper, table *t, int *idx);
} fig_def;

static const char *const only_table9[] = {"table9", NULL},
                        *const only_sharing_depth[] = {"sharing_depth", NULL},
                        *const only_presets[] = {"presets", NULL},
                        *const only_context[] = {"context", NULL};

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
};
#define NFIGURES (sizeof figures / sizeof figures[0])

static int build_figure(const char *dir, const char *paper_dir,
                        const fig_def *f, lk_err *e)
{
    char cols[256], path[4096];
    snprintf(cols, sizeof cols, "profile,group,name,%s", f->cols);
    table *t = table_new(cols), *paper = NULL;
    if (!t)
        return lk_fail(e, LK_ERUN, "out of memory");
    int rc = f->paper ? rep_load_paper(paper_dir, f->paper, &paper, e) : LK_OK;
    for (int i = 0; !rc && f->sweeps[i]; i++) {
        table *sw;
        if ((rc = rep_load(dir, f->sweeps[i], &sw, e)) || !sw)
            continue;
        int *idx = malloc((table_rows(sw) + 1) * sizeof *idx);
        rc = idx && !f->add(sw, paper, t, idx) ? LK_OK
                                               : lk_fail(e, LK_ERUN, "out of memory");
        free(idx);
        table_free(sw);
    }
    snprintf(path, sizeof path, "%s/fig_%s.csv", dir, f->file);
    if (!rc)
        rc = table_save(t, TABLE_CSV, path, e);
    table_free(paper);
    table_free(t);
    return rc;
}

/* ---- index.md ------------------------------------------------------ */

/* The first line of dir/effort.txt (reports/make-report.sh says there
 * how much it measured, quick or full), or "" without one. */
static void read_effort(const char *dir, char *buf, int size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/effort.txt", dir);
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f && fgets(buf, size, f))
        buf[strcspn(buf, "\r\n")] = 0;
    if (f)
        fclose(f);
}

static void index_head(FILE *f, const char *dir, const values *modes)
{
    char effort[512], m[160] = "";
    read_effort(dir, effort, sizeof effort);
    say_values(modes, m, sizeof m);
    fprintf(f,
        "# lanky report\n\n"
        "Written by `make report` (reports/make-report.sh). Every model was "
        "run through lanky's simulator on each SoC profile in hw-profiles/ "
        "and, where a table says so, measured on this machine with the "
        "reference transformer.");
    if (*effort)
        fprintf(f, " This report: %s.", effort);
    fprintf(f, " Simulation modes in it: %s. Exact mode simulates every cache "
        "line, as `lanky sim` does by default; analytic mode (`lanky sweep`'s "
        "default) uses reuse distances and can differ from exact where a "
        "shared block nearly fills a cache (README, `lanky sim`). Each "
        "table's caption says which mode its rows used and the units of its "
        "numbers. A phone's predicted latency uses its profile's sustained DRAM "
        "bandwidth where the profile has one (derived from a published decode "
        "measurement, hw-profiles/SOURCES.md) and its interface peak otherwise, "
        "where it is a roofline lower bound (latency_floor_ms is always that "
        "bound); \"How accurate is lanky\" gives the error of each against "
        "measurement. This machine's profile holds measured bandwidths. "
        "Accuracy columns are the paper's published averages (Liu et "
        "al., MobileLLM, ICML 2024; reports/paper-data/), not lanky's. Each "
        "table is also in LaTeX (booktabs) and CSV; the full sweep results "
        "are the other CSV files in this folder.\n\n", *m ? m : "none (parameters only)");
}

static int write_index(const char *dir, const table *const *tabs,
                       const char caps[][CAPTION], const values *modes, lk_err *e)
{
    char *buf, path[4096];
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return lk_fail(e, LK_ERUN, "out of memory");
    index_head(f, dir, modes);
    int rc = rep_acc_write(dir, f, e);
    if (rc) {
        fclose(f);
        free(buf);
        return rc;
    }
    fprintf(f, "## Tables\n\n");
    for (size_t i = 0; i < NTABLES; i++) {
        const tab_def *d = &tables[i];
        fprintf(f, "### %s\n\n%s ([Markdown](tab_%s.md), [LaTeX](tab_%s.tex), "
                   "[CSV](tab_%s.csv); sweep `sweeps/%s.csv`)\n\n%s\n\n",
                d->title, d->says, d->file, d->file, d->file, d->sweep, caps[i]);
        lk_md_table(f, tabs[i]);
        fprintf(f, "\n");
    }
    fprintf(f, "## Figures\n\n");
    for (size_t i = 0; i < NFIGURES; i++) {
        const fig_def *g = &figures[i];
        fprintf(f, "### %s\n\n![%s](fig_%s.png)\n\n%s ([SVG](fig_%s.svg), "
                   "[gnuplot](fig_%s.gp), [data](fig_%s.csv))\n\n",
                g->title, g->title, g->file, g->says, g->file, g->file, g->file);
    }
    snprintf(path, sizeof path, "%s/index.md", dir);
    rc = fclose(f) == 0 ? save_text(path, buf, len, e)
                        : lk_fail(e, LK_ERUN, "%s: out of memory", path);
    if (!rc)
        rc = rep_html_write(dir, buf, len, e);
    free(buf);
    return rc;
}

/* Whether dir holds any sweep's results: a report of none is a mistake
 * (the wrong folder), not an empty report. */
static bool any_sweep(const char *dir)
{
    char path[4096];
    for (size_t i = 0; i < NTABLES; i++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, tables[i].sweep);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

/* Column col of t, read from dir/name.csv (t NULL: no file, nothing to
 * check). */
static int need_column(const table *t, const char *dir, const char *name,
                       const char *col, lk_err *e)
{
    for (int i = 0; t && i < table_cols(t); i++)
        if (!strcmp(table_colname(t, i), col))
            return LK_OK;
    return t ? lk_fail(e, LK_EINPUT, "%s/%s.csv: no column '%s' (not what lanky sweep "
                       "writes, or not the paper's table)", dir, name, col)
             : LK_OK;
}

/* Every cell of column col of t (dir/name.csv) empty or a finite number:
 * the tables format them, and garbage would print as an empty cell. */
static int need_numbers(const table *t, const char *dir, const char *name,
                        const char *col, lk_err *e)
{
    for (int r = 0; t && r < table_rows(t); r++) {
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
static int check_columns(const tab_def *d, const char *dir, const table *sw,
                         const char *paper_dir, const table *paper, lk_err *e)
{
    int rc = need_column(sw, dir, d->sweep, "group", e);
    if (!rc)
        rc = need_column(sw, dir, d->sweep, "name", e);
    for (int i = 0; !rc && i < MAX_JOIN && d->join[i][0]; i++)
        if (!(rc = need_column(paper, paper_dir, d->paper, d->join[i][0], e)))
            rc = need_column(sw, dir, d->sweep, d->join[i][1], e);
    for (const col_def *c = d->cols; !rc && c->head; c++) {
        bool from_paper = !strncmp(c->col, "paper.", 6);
        if (from_paper)
            rc = need_column(paper, paper_dir, d->paper, c->col + 6, e);
        if (!rc && c->f != F_TEXT)
            rc = from_paper ? need_numbers(paper, paper_dir, d->paper, c->col + 6, e)
                            : need_numbers(sw, dir, d->sweep, c->col, e);
    }
    return rc;
}

/* Read and check every input before anything is written, so that a bad
 * one leaves the folder as it was (the writing pass reads them again:
 * a few small files). */
static int check_inputs(const char *dir, const char *paper_dir, lk_err *e)
{
    int rc = LK_OK;
    for (size_t i = 0; !rc && i < NTABLES; i++) {
        table *sw = NULL, *paper = NULL;
        rc = rep_load(dir, tables[i].sweep, &sw, e);
        if (!rc && tables[i].paper)
            rc = rep_load_paper(paper_dir, tables[i].paper, &paper, e);
        if (!rc)
            rc = check_columns(&tables[i], dir, sw, paper_dir, paper, e);
        table_free(sw);
        table_free(paper);
    }
    for (size_t i = 0; !rc && i < NFIGURES; i++) {
        table *t = NULL;
        rc = figures[i].paper ? rep_load_paper(paper_dir, figures[i].paper, &t, e) : LK_OK;
        table_free(t);
        for (int k = 0; !rc && figures[i].sweeps[k]; k++) {
            rc = rep_load(dir, figures[i].sweeps[k], &t, e);
            table_free(t);
        }
    }
    return rc;
}

/* Table d: built from its sweep result and paper table, its files
 * written and its caption in cap; the modes of its rows join *modes. */
static int report_table(const char *dir, const char *paper_dir, const tab_def *d,
                        table **t, char *cap, values *modes, lk_err *e)
{
    table *sw = NULL, *paper = NULL;
    provenance p;
    int rc = rep_load(dir, d->sweep, &sw, e);
    if (!rc && d->paper)
        rc = rep_load_paper(paper_dir, d->paper, &paper, e);
    if (!rc) {
        provenance_of(d, sw, &p);
        caption(d, sw, &p, cap, CAPTION);
        for (int k = 0; k < p.modes.n; k++)
            add_value(modes, p.modes.v[k]);
        out_cols o;
        expand(d, sw, &o);
        if (!(rc = build_table(d, &o, sw, paper, t, e)))
            rc = save_table(dir, d, &o, *t, cap, e);
    }
    table_free(sw);
    table_free(paper);
    return rc;
}

int report_write(const char *dir, const char *paper_dir, lk_err *e)
{
    table *tabs[NTABLES] = {0};
    char caps[NTABLES][CAPTION];
    values modes = {0};
    if (!any_sweep(dir))
        return lk_fail(e, LK_EINPUT, "%s: no sweep results in it (lanky sweep FILE.csv "
                       "--out %s writes them)", dir, dir);
    int rc = check_inputs(dir, paper_dir, e);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < NTABLES; i++)
        rc = report_table(dir, paper_dir, &tables[i], &tabs[i], caps[i], &modes, e);
    for (size_t i = 0; !rc && i < NFIGURES; i++)
        rc = build_figure(dir, paper_dir, &figures[i], e);
    if (!rc)
        rc = write_index(dir, (const table *const *)tabs, caps, &modes, e);
    for (size_t i = 0; i < NTABLES; i++)
        table_free(tabs[i]);
    return rc;
}
