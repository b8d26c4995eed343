/* fuzz_spec.c -- the spec options: one "key=value" per line, each through
 * arch_spec_set() as the command line and sweep cells give them, then
 * arch_spec_finish() and the parameter count. */
#include <stdlib.h>
#include <string.h>

#include "../../arch/layout.h"
#include "../../arch/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    arch_spec s;
    arch_spec_init(&s);
    lk_err e = {0};
    int rc = LK_OK;
    for (char *line = strtok(text, "\n"); line && !rc; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        /* a config path would read a file: that is fuzz_config's job */
        if (strcmp(line, "config"))
            rc = arch_spec_set(&s, line, eq + 1, &e);
    }
    arch_params params;
    if (!rc && arch_spec_finish(&s, &e) == LK_OK)
        arch_params_count(&s, &params, &e);
    free(text);
    return 0;
}
