/* fuzz_csv.c -- csvin_read() (libcsv, line numbers, line ends, BOM),
 * each record's fields read to their end. */
#include <string.h>

#include "../../reports/csvin.h"
#include "fuzz.h"

static int row(void *ctx, long line, int n, char **fields, lk_err *e)
{
    size_t *total = ctx;
    (void)line, (void)e;
    for (int i = 0; i < n; i++)
        *total += strlen(fields[i]);
    return LK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    lk_err e = {0};
    csvin_read(fz_path(data, size), row, &total, &e);
    return 0;
}
