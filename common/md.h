/* md.h -- a table as a GitHub-flavoured Markdown table: a header row, an
 * alignment row (numeric columns right-aligned, see lk_table_col_numeric)
 * and one row per table row; '|' and '\' in cells are escaped, so a
 * user's text cannot break the table.
 *
 *   lk_md_table(stdout, t);
 */
#ifndef LK_MD_H
#define LK_MD_H

#include <stdio.h>

#include "table.h"

void lk_md_table(FILE *f, const lk_table *t);

#endif
