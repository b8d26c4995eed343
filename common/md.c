/* md.c -- Markdown tables (see md.h). */
#include "md.h"

static void cell(FILE *f, const char *s)
{
    fputs("| ", f);
    for (; s && *s; s++) {
        if (*s == '|' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc(' ', f);
}

void lk_md_table(FILE *f, const lk_table *t)
{
    int n = lk_table_cols(t);
    for (int c = 0; c < n; c++)
        cell(f, lk_table_colname(t, c));
    fprintf(f, "|\n");
    for (int c = 0; c < n; c++)
        fprintf(f, "|%s", lk_table_col_numeric(t, c) ? "---:" : ":---");
    fprintf(f, "|\n");
    for (int r = 0; r < lk_table_rows(t); r++) {
        for (int c = 0; c < n; c++)
            cell(f, lk_table_get(t, r, lk_table_colname(t, c)));
        fprintf(f, "|\n");
    }
}
