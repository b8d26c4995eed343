/* fuzz_profile.c -- sim_profile_read(): the INI reader (inih and the
 * long-line splitter) and the profile schema. */
#include "../../sim/profile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_profile *p;
    lk_err e = {0};
    if (sim_profile_read(&p, fz_path(data, size), &e) == LK_OK)
        sim_profile_free(p);
    return 0;
}
