/* Byte features to floats, fused with gathering a batch (dataset.c): image
 * datasets stay as bytes, a quarter of the memory of a float matrix, and each
 * batch is converted as it is copied. */
#include "data/convert.h"

#include <math.h>

/* b / 255 correctly rounded: q = b * r with r = 1/255 rounded, then one
 * Newton correction from the exact residual b - 255 q (an FMA). For the 256
 * byte values this equals the correctly rounded quotient; test_data checks
 * every one against b / 255.0. */
static inline float unit(float b, float r)
{
    float q = b * r;
    return fmaf(fmaf(-q, 255.0f, b), r, q);
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void convert_fma(const uint8_t *bytes, float *out, size_t n)
{
    const float r = 1.0f / 255.0f;
    for (size_t i = 0; i < n; i++)
        out[i] = unit((float)bytes[i], r);
}
#define HAVE_FMA_CLONE 1
#endif

/* Without FMA, fmaf is a library call: divide instead (the same values). */
static void convert_div(const uint8_t *bytes, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)bytes[i] / 255.0f;
}

void al_bytes_to_unit(const uint8_t *bytes, float *out, size_t n)
{
#ifdef HAVE_FMA_CLONE
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        convert_fma(bytes, out, n);
        return;
    }
#endif
    convert_div(bytes, out, n);
}
