/* schedule.c -- the physical block of every executed layer (schedule.h). */
#include "schedule.h"

int64_t arch_executed_layers(const arch_spec *s)
{
    return s->layers * s->repeat;
}

void arch_schedule(const arch_spec *s, int64_t *blocks)
{
    int64_t L = s->layers, R = s->repeat;
    for (int64_t pass = 0; pass < R; pass++)
        for (int64_t i = 0; i < L; i++) {
            int64_t *out = &blocks[pass * L + i];
            switch (s->share) {
            case ARCH_SHARE_IMMEDIATE: /* layer pass*L+i runs block (pass*L+i)/R */
                *out = (pass * L + i) / R;
                break;
            case ARCH_SHARE_REVERSE: /* odd passes run backwards */
                *out = pass % 2 ? L - 1 - i : i;
                break;
            case ARCH_SHARE_NONE:
            case ARCH_SHARE_REPEAT_ALL_OVER:
                *out = i;
                break;
            }
        }
}
