/* fuzz_ckpt.c -- ckpt_load(): a llama2.c checkpoint's header checks and,
 * when they pass, its weights converted to f16 (which refuses NaN). */
#include <stdlib.h>

#include "../../ref/ckpt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pool *p;
    lk_err e = {0};
    if (!p && pool_create(&p, 1, &e))
        abort();
    arch_spec s;
    arch_spec_init(&s);
    s.dtype = size % 2 ? ARCH_F16 : ARCH_F32; /* both paths: mapped and converted */
    s.ctx = 0;
    ref_weights w;
    if (ckpt_load(&w, fz_path(data, size), &s, p, &e) == LK_OK)
        ref_weights_free(&w);
    return 0;
}
