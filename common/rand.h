/* rand.h -- splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014): a tiny, well-mixed generator whose
 * output depends only on its 64-bit state, on any machine. The reference
 * weights (ref/weights.c) draw from it and the cache simulator's random
 * replacement (sim/cache.c) seeds its xorshift state with it, so both
 * repeat exactly from a seed.
 *
 *   uint64_t state = seed;
 *   uint64_t r = lk_splitmix64(&state);   advances state
 */
#ifndef LK_RAND_H
#define LK_RAND_H

#include <stdint.h>

static inline uint64_t lk_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

#endif
