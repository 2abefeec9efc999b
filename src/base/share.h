/* Private to the library: how work is cut between the threads of a team. */
#ifndef ACTLAB_BASE_SHARE_H
#define ACTLAB_BASE_SHARE_H

#include <stddef.h>

/* Part `part` of `parts` of [0, n) as [*begin, *end): contiguous, in units of
 * 16 elements (64 bytes of floats) when n is large enough to give every part
 * several. A net's layers cut their features this way and the optimizer its
 * parameters, so the thread that computed a weight row's gradient is the one
 * that updates it (its cache still holds the row). */
static inline void al_share(size_t n, int part, int parts, size_t *begin, size_t *end)
{
    if (n < 64 * (size_t)parts) { /* too few to share without two threads writing one cache line */
        *begin = 0;
        *end = part == 0 ? n : 0;
        return;
    }
    size_t unit = 16, units = (n + unit - 1) / unit;
    size_t b = unit * (units * (size_t)part / (size_t)parts);
    size_t e = unit * (units * (size_t)(part + 1) / (size_t)parts);
    *begin = b < n ? b : n;
    *end = e < n ? e : n;
}

/* Part `part` of `parts` of [0, n) as [*begin, *end), as even as whole
 * elements allow: for items far larger than a cache line (a batch's rows of
 * an image layer, a BatchNorm2d's channels), which share no line. */
static inline void al_share_even(size_t n, int part, int parts, size_t *begin, size_t *end)
{
    *begin = n * (size_t)part / (size_t)parts;
    *end = n * (size_t)(part + 1) / (size_t)parts;
}

#endif
