/* rng.h — the one random number generator of the core: PCG32 (O'Neill), integer-only, so a seed
 * gives the same stream natively and in wasm. Used for initialisation, shuffling, dropout and
 * sampling. The state is one uint64_t, saved in checkpoints for exact resume. */
#ifndef SERCE_RNG_H
#define SERCE_RNG_H
#include <stdint.h>

static inline uint32_t serce_rng_u32(uint64_t *s) {
    uint64_t old = *s;
    *s = old * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (x >> rot) | (x << ((32 - rot) & 31));
}
static inline uint64_t serce_rng_seed(uint64_t seed) {
    uint64_t s = 0;
    serce_rng_u32(&s);
    s += seed;
    serce_rng_u32(&s);
    return s;
}
/* uniform in [0, 1) with 24 random bits (exactly representable floats) */
static inline float serce_rng_uniform(uint64_t *s) { return (float)(serce_rng_u32(s) >> 8) * (1.0f / 16777216.0f); }
/* uniform integer in [0, n) without modulo bias */
static inline uint32_t serce_rng_below(uint64_t *s, uint32_t n) {
    uint32_t lim = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t r = serce_rng_u32(s);
        if (r >= lim) return r % n;
    }
}
#endif
