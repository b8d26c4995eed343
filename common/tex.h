/* tex.h -- a table as LaTeX (booktabs) that fits a page's text width.
 *
 *   lk_tex_col cols[] = {{NULL, "Layers", NULL, true},
 *                        {"Latency (ms)", "a15", NULL, false}, ...};
 *   lk_tex_opts o = {"tab:x", "Title", "Caption.", 455};
 *   lk_tex_table(f, t, cols, &o);        cols[i] describes column i of t
 *
 * What makes a table fit, in the order a paper's author would try it:
 *
 *   - headers of several short lines (words wrapped, the unit last in
 *     parentheses), so a column is as wide as its numbers, not its name;
 *   - consecutive columns of one `group` (one metric on several SoCs)
 *     under a spanner with a \cmidrule, each headed by its own short name;
 *   - a table whose estimated width exceeds o->width_pt is split into
 *     parts, each its own float (the first with the caption and label,
 *     the others "continued, part K" labelled LABEL-K), each repeating
 *     the `key` columns (the model's identity), whole groups together;
 *   - only a part that cannot fit even alone is scaled down, by the
 *     \lankyfit macro each table defines unless the document has one
 *     (tests define it as the identity so an overfull box shows).
 *
 * Widths are estimated from character counts (LK_TEX_CHAR_PT per
 * character at \small), so the split is decided without running TeX; the
 * test compiles every table to check the estimate is safe. The output
 * needs \usepackage{booktabs} and \usepackage{graphicx}.
 */
#ifndef LK_TEX_H
#define LK_TEX_H

#include <stdbool.h>
#include <stdio.h>

#include "table.h"

typedef struct {
    const char *group; /* spanner text over a run of equal groups, or NULL */
    const char *head;  /* header words ("Executed layers", "a15") */
    const char *unit;  /* printed "(unit)" under the head, or NULL */
    bool key;          /* repeated in every part of a split table */
} lk_tex_col;

typedef struct {
    const char *label;   /* \label{...} */
    const char *title;   /* short caption, for a list of tables */
    const char *caption; /* the full caption after the title */
    double width_pt;     /* text width to fit */
} lk_tex_opts;

void lk_tex_table(FILE *f, const lk_table *t, const lk_tex_col *cols, const lk_tex_opts *o);

/* s with LaTeX's special characters escaped (a caret stays a caret; a
 * caption's "10^6" is set as a power by lk_tex_table). */
void lk_tex_text(FILE *f, const char *s);

#endif
