/* tex.c -- LaTeX tables that fit the text width (see tex.h). */
#include "tex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Computer Modern at \small (9 pt): digits are 4.5 pt wide, lower-case
 * letters 4-5 pt (m and w 7.5 pt), capitals 6-8.5 pt; 4.8 and 7.2 pt keep the estimate
 * above the real width for the tables lanky writes (tests/tex-check.sh
 * compiles them). TABCOLSEP is the \tabcolsep each table sets. */
#define LK_TEX_CHAR_PT 4.8
#define LK_TEX_CAPITAL_PT 7.2
#define TABCOLSEP_PT 4.0
/* A header line wraps after this many characters (a word is never cut). */
#define HEAD_WRAP 10
#define MAX_TEX_COLS 64

/* s escaped; with powers, "10^6" in lanky's own text (a caption's units)
 * becomes a superscript. A user's text (a model name) keeps its caret. */
static void text(FILE *f, const char *s, bool powers)
{
    for (; *s; s++) {
        if (powers && *s == '^' && isdigit((unsigned char)s[1])) { /* 10^6 */
            fputs("\\textsuperscript{", f);
            while (isdigit((unsigned char)s[1]))
                fputc(*++s, f);
            fputc('}', f);
        } else if (strchr("&%$#_{}", *s))
            fprintf(f, "\\%c", *s);
        else if (*s == '\\')
            fputs("\\textbackslash{}", f);
        else if (*s == '^' || *s == '~')
            fprintf(f, "\\%s{}", *s == '^' ? "textasciicircum" : "textasciitilde");
        else
            fputc(*s, f);
    }
}

void lk_tex_text(FILE *f, const char *s)
{
    text(f, s, false);
}

/* Estimated width of the first n characters of s, in points. */
static double text_pt(const char *s, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        w += isupper((unsigned char)s[i]) || s[i] == 'm' || s[i] == 'w' ? LK_TEX_CAPITAL_PT
                                                                : LK_TEX_CHAR_PT;
    return w;
}

/* The header lines of a column: its words wrapped at HEAD_WRAP
 * characters, then "(unit)"; written to f unless f is NULL. Returns the
 * widest line's estimated width in points. */
static double head_lines(const lk_tex_col *c, FILE *f)
{
    double widest = 0;
    int len = 0, lines = 0;
    const char *s = c->head, *line = s;
    while (*s) {
        int w = (int)strcspn(s, " ");
        if (len && len + 1 + w > HEAD_WRAP) {
            if (f)
                fputs("\\\\", f);
            len = 0;
            lines++;
            line = s;
        }
        if (f) {
            if (len)
                fputc(' ', f);
            char word[128];
            snprintf(word, sizeof word, "%.*s", w, s);
            lk_tex_text(f, word);
        }
        len += (len ? 1 : 0) + w;
        double pt = text_pt(line, (size_t)(s + w - line));
        widest = pt > widest ? pt : widest;
        s += w;
        s += strspn(s, " ");
    }
    if (c->unit) {
        double pt = text_pt(c->unit, strlen(c->unit)) + 2 * LK_TEX_CHAR_PT;
        if (f) {
            fputs(lines || len ? "\\\\(" : "(", f);
            lk_tex_text(f, c->unit);
            fputc(')', f);
        }
        widest = pt > widest ? pt : widest;
    }
    return widest;
}

/* Estimated width of column c in points: its widest cell or head line. */
static double col_width(const lk_table *t, const lk_tex_col *cols, int c)
{
    double w = head_lines(&cols[c], NULL);
    for (int r = 0; r < lk_table_rows(t); r++) {
        const char *v = lk_table_get(t, r, lk_table_colname(t, c));
        double n = v ? text_pt(v, strlen(v)) : 0;
        w = n > w ? n : w;
    }
    return w + 2 * TABCOLSEP_PT;
}

/* The end (exclusive) of the run of columns from c that share c's group;
 * an ungrouped column is a run of one. */
static int run_end(const lk_tex_col *cols, int n, int c)
{
    int e = c + 1;
    while (cols[c].group && e < n && cols[e].group && !strcmp(cols[e].group, cols[c].group))
        e++;
    return e;
}

static double run_width(const lk_table *t, const lk_tex_col *cols, int a, int b)
{
    double w = 0;
    for (int c = a; c < b; c++)
        w += col_width(t, cols, c);
    if (cols[a].group) { /* the spanner may be wider than its columns */
        double g = text_pt(cols[a].group, strlen(cols[a].group)) + 2 * TABCOLSEP_PT;
        w = g > w ? g : w;
    }
    return w;
}

/* One tabular of the columns in[0..n-1] of t. */
static void tabular(FILE *f, const lk_table *t, const lk_tex_col *cols, const int *in, int n)
{
    fputs("\\lankyfit{\\begin{tabular}{", f);
    for (int i = 0; i < n; i++)
        fputc(lk_table_col_numeric(t, in[i]) ? 'r' : 'l', f);
    fputs("}\n\\toprule\n", f);
    bool grouped = false;
    for (int i = 0; i < n; i++)
        grouped |= cols[in[i]].group != NULL;
    if (grouped) {
        for (int i = 0; i < n;) {
            int k = i + 1;
            while (cols[in[i]].group && k < n && cols[in[k]].group &&
                   !strcmp(cols[in[k]].group, cols[in[i]].group))
                k++;
            if (i)
                fputs(" & ", f);
            if (cols[in[i]].group) {
                fprintf(f, "\\multicolumn{%d}{c}{", k - i);
                lk_tex_text(f, cols[in[i]].group);
                fputc('}', f);
            }
            i = k;
        }
        fputs(" \\\\\n", f);
        for (int i = 0; i < n;) {
            int k = i + 1;
            while (cols[in[i]].group && k < n && cols[in[k]].group &&
                   !strcmp(cols[in[k]].group, cols[in[i]].group))
                k++;
            if (cols[in[i]].group)
                fprintf(f, "\\cmidrule(lr){%d-%d}", i + 1, k);
            i = k;
        }
        fputs("\n", f);
    }
    for (int i = 0; i < n; i++) {
        fputs(i ? " & " : "", f);
        fputs("\\begin{tabular}[b]{@{}c@{}}", f);
        head_lines(&cols[in[i]], f);
        fputs("\\end{tabular}", f);
    }
    fputs(" \\\\\n\\midrule\n", f);
    for (int r = 0; r < lk_table_rows(t); r++)
        for (int i = 0; i < n; i++) {
            const char *v = lk_table_get(t, r, lk_table_colname(t, in[i]));
            lk_tex_text(f, v ? v : "");
            fputs(i + 1 < n ? " & " : " \\\\\n", f);
        }
    fputs("\\bottomrule\n\\end{tabular}}\n", f);
}

/* Part k (0-based) of a table as its own float: the first carries the
 * caption and label, the others say they continue it (one float of all
 * parts would be taller than a page for Table 9's 19 rows). */
static void part_float(FILE *f, const lk_table *t, const lk_tex_col *cols, const int *in,
                       int n, const lk_tex_opts *o, int k)
{
    fprintf(f, "\\begin{table}\n\\centering\n\\small\n\\setlength{\\tabcolsep}{%gpt}\n"
               "\\caption%s{", TABCOLSEP_PT, k ? "[]" : "");
    lk_tex_text(f, o->title);
    if (k)
        fprintf(f, " (continued, part %d).}\n\\label{%s-%d}\n", k + 1, o->label, k + 1);
    else {
        fputs(". ", f);
        text(f, o->caption, true);
        fprintf(f, "}\n\\label{%s}\n", o->label);
    }
    tabular(f, t, cols, in, n);
    fputs("\\end{table}\n", f);
}

void lk_tex_table(FILE *f, const lk_table *t, const lk_tex_col *cols, const lk_tex_opts *o)
{
    int n = lk_table_cols(t), keys[MAX_TEX_COLS], nkeys = 0;
    double key_w = 0;
    for (int c = 0; c < n && c < MAX_TEX_COLS; c++)
        if (cols[c].key) {
            keys[nkeys++] = c;
            key_w += col_width(t, cols, c);
        }
    fputs("% needs \\usepackage{booktabs} and \\usepackage{graphicx}; \\lankyfit\n"
          "% scales a part down only when it cannot fit the text width\n"
          "\\providecommand{\\lankyfit}[1]{\\resizebox{\\ifdim\\width>\\linewidth"
          "\\linewidth\\else\\width\\fi}{!}{#1}}\n", f);
    /* parts: the key columns, then whole runs of the others while they
     * fit; a run that would overflow starts the next part */
    int part[MAX_TEX_COLS], np = nkeys, parts = 0;
    memcpy(part, keys, sizeof keys[0] * (size_t)nkeys);
    double w = key_w;
    for (int c = 0; c < n && c < MAX_TEX_COLS;) {
        int e = run_end(cols, n, c);
        if (!cols[c].key) {
            double rw = run_width(t, cols, c, e);
            if (np > nkeys && w + rw > o->width_pt) {
                part_float(f, t, cols, part, np, o, parts++);
                np = nkeys;
                w = key_w;
            }
            for (int k = c; k < e && np < MAX_TEX_COLS; k++)
                part[np++] = k;
            w += rw;
        }
        c = e;
    }
    if (np > nkeys || !parts)
        part_float(f, t, cols, part, np, o, parts);
}
