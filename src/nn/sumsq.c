/* Sums of squares of gradients in fixed blocks (sumsq.h). */
#include "nn/sumsq.h"

#include <math.h>

/* Sum of squares of g[0..n) in double (float32 squares of large gradients
 * would overflow), in 32 accumulators (vectors whose fused multiply-adds do
 * not wait on each other), combined in a fixed order: deterministic. */
static inline __attribute__((always_inline)) double sum_squares(const float *g, size_t n)
{
    double acc[32] = {0};
    size_t j = 0;
    for (; j + 32 <= n; j += 32)
        for (int k = 0; k < 32; k++)
            acc[k] = fma((double)g[j + (size_t)k], (double)g[j + (size_t)k], acc[k]);
    double s = 0;
    for (; j < n; j++)
        s = fma((double)g[j], (double)g[j], s);
    for (int k = 0; k < 32; k++)
        s += acc[k];
    return s;
}

static double sum_squares_portable(const float *g, size_t n) { return sum_squares(g, n); }

#if defined(__GNUC__) && defined(__x86_64__)
/* fma is exact everywhere; with FMA and AVX2 it is also fast */
__attribute__((target("avx2,fma"))) static double sum_squares_fma(const float *g, size_t n)
{
    return sum_squares(g, n);
}
#define HAVE_FMA_CLONE 1
#endif

void al_sumsq_part(const al_param_ref *params, size_t n_params, int part, int parts,
                   double sums[AL_SUMSQ_BLOCKS])
{
    int first = AL_SUMSQ_BLOCKS * part / parts, last = AL_SUMSQ_BLOCKS * (part + 1) / parts;
    int fma_ok = 0;
#ifdef HAVE_FMA_CLONE
    fma_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    for (size_t i = 0; i < n_params; i++) {
        const float *g = params[i].grad;
        size_t n = params[i].count;
        for (int k = first; g && k < last; k++) {
            size_t b = n * (size_t)k / AL_SUMSQ_BLOCKS, e = n * (size_t)(k + 1) / AL_SUMSQ_BLOCKS;
#ifdef HAVE_FMA_CLONE
            sums[k] += fma_ok ? sum_squares_fma(g + b, e - b) : sum_squares_portable(g + b, e - b);
#else
            (void)fma_ok;
            sums[k] += sum_squares_portable(g + b, e - b);
#endif
        }
    }
}

double al_sumsq_total(const double sums[AL_SUMSQ_BLOCKS])
{
    double total = 0;
    for (int k = 0; k < AL_SUMSQ_BLOCKS; k++)
        total += sums[k];
    return total;
}
