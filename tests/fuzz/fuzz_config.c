/* fuzz_config.c -- arch_spec_load_config() (config.json through cJSON),
 * then the spec's validation. */
#include "../../arch/spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arch_spec s;
    lk_err e = {0};
    if (arch_spec_load_config(&s, fz_path(data, size), &e) == LK_OK)
        arch_spec_finish(&s, &e);
    return 0;
}
