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

void lk_md_table(FILE *f, const table *t)
{
    int n = table_cols(t);
    for (int c = 0; c < n; c++)
        cell(f, table_colname(t, c));
    fprintf(f, "|\n");
    for (int c = 0; c < n; c++)
        fprintf(f, "|%s", table_col_numeric(t, c) ? "---:" : ":---");
    fprintf(f, "|\n");
    for (int r = 0; r < table_rows(t); r++) {
        for (int c = 0; c < n; c++)
            cell(f, table_get(t, r, table_colname(t, c)));
        fprintf(f, "|\n");
    }
}
