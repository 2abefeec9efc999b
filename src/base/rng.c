/* xoshiro256** (Blackman & Vigna) seeded through SplitMix64, plus a 32-bit
 * counter hash (Wellons' lowbias32 finaliser, applied twice with a key) whose
 * value depends only on (seed, index): vector kernels and threads reproduce it. */
#include "actlab/rng.h"

#include <math.h>

uint64_t al_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void al_rng_seed(al_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        rng->s[i] = al_mix64(x);
        x += 0x9e3779b97f4a7c15ULL;
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t al_rng_u64(al_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double al_rng_uniform(al_rng *rng)
{
    return (double)(al_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double al_rng_normal(al_rng *rng)
{
    double u1 = 1.0 - al_rng_uniform(rng); /* (0, 1]: log is finite */
    double u2 = al_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

uint64_t al_rng_below(al_rng *rng, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = al_rng_u64(rng);
    } while (x >= limit);
    return x % n;
}

al_hash_key al_hash_key_from_seed(uint64_t seed)
{
    uint64_t k = al_mix64(seed ^ 0x5deece66dULL);
    al_hash_key key = {(uint32_t)k, (uint32_t)(k >> 32)};
    return key;
}

static uint32_t lowbias32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

uint32_t al_hash_u32(al_hash_key key, uint32_t index)
{
    return lowbias32(lowbias32(index ^ key.lo) ^ key.hi);
}

float al_hash_uniform(al_hash_key key, uint32_t index)
{
    return (float)(al_hash_u32(key, index) >> 8) * 0x1.0p-24f;
}
