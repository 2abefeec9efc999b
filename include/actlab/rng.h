/* Seeded random numbers: xoshiro256** for streams, a counter hash for
 * positions (the same value for element i whatever the thread schedule). */
#ifndef ACTLAB_RNG_H
#define ACTLAB_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A generator's whole state; copy it to save it. */
typedef struct al_rng {
    uint64_t s[4];
} al_rng;

/* Seeds the generator deterministically from one 64-bit seed. */
void al_rng_seed(al_rng *rng, uint64_t seed);
/* The next 64 random bits. */
uint64_t al_rng_u64(al_rng *rng);
/* A double uniform in [0, 1) with 53 random bits. */
double al_rng_uniform(al_rng *rng);
/* A standard normal deviate (Box-Muller, no cached second value). */
double al_rng_normal(al_rng *rng);
/* An integer uniform in [0, n), n > 0, without modulo bias. */
uint64_t al_rng_below(al_rng *rng, uint64_t n);

/* SplitMix64's finaliser: a bijective 64-bit mix. */
uint64_t al_mix64(uint64_t x);

/* Key for al_hash_uniform, derived from a seed once per call. */
typedef struct al_hash_key {
    uint32_t lo, hi;
} al_hash_key;

/* Derives the counter-hash key from a seed. */
al_hash_key al_hash_key_from_seed(uint64_t seed);
/* The 32-bit hash of position index under key (bit-identical in every
 * vector kernel). */
uint32_t al_hash_u32(al_hash_key key, uint32_t index);
/* A float in [0, 1) with 24 random bits, from al_hash_u32. */
float al_hash_uniform(al_hash_key key, uint32_t index);

#ifdef __cplusplus
}
#endif
#endif
