/* The vector math written for the activation kernels (src/act/kernels.inc),
 * against double precision, in ulps of the exact value, for every ISA this
 * CPU and build run:
 *   erf: every 251st float32 in [0, 10] (4.3 million values; an odd stride
 *        meets every low-bit pattern), all of them near 0, around the switch
 *        from the polynomial to 1 - erfc at |x| = 1, and in [9.99, 10]; each
 *        also negated, where erf must be exactly odd. bench/math.c measures
 *        every float32 in [-10, 10] (2.2e9 values; too slow for a test).
 *   exp: every 127th float32 in [-104, 89] and the special values.
 * Bounds: erf within 2 ulp, exp within 2 ulp. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "act/act_internal.h"
#include "actlab/actlab.h"
#include "check.h"

#define CHUNK 4096

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* |got - want| in units of the last place of want's binade (2^-149 at least). */
static double ulps(float got, double want)
{
    if (isnan(want))
        return isnan(got) ? 0 : INFINITY;
    if (isinf((float)want)) /* past FLT_MAX: the float32 answer is inf */
        return got == (float)want ? 0 : INFINITY;
    int e;
    frexp(want, &e);
    double ulp = ldexp(1.0, e - 24 > -149 ? e - 24 : -149);
    return fabs((double)got - want) / ulp;
}

typedef void map_fn(al_isa isa, const float *x, float *y, size_t n);

typedef struct sweep {
    double worst;
    float worst_x;
    size_t count, not_odd;
} sweep;

/* Runs f over x[0..n) and its negation, against ref. */
static void measure(sweep *s, map_fn *f, double (*ref)(double), int odd, al_isa isa, const float *x, size_t n)
{
    float neg[CHUNK], y[CHUNK], yn[CHUNK];
    for (size_t i = 0; i < n; i++)
        neg[i] = -x[i];
    f(isa, x, y, n);
    f(isa, neg, yn, n);
    for (size_t i = 0; i < n; i++) {
        double e = ulps(y[i], ref((double)x[i]));
        if (e > s->worst) {
            s->worst = e;
            s->worst_x = x[i];
        }
        e = ulps(yn[i], ref((double)neg[i]));
        if (e > s->worst) {
            s->worst = e;
            s->worst_x = neg[i];
        }
        s->not_odd += odd && to_bits(yn[i]) != (to_bits(y[i]) ^ 0x80000000u);
    }
    s->count += 2 * n;
}

/* Every `stride`-th float32 bit pattern in [lo, hi] (non-negative floats). */
static void sweep_bits(sweep *s, map_fn *f, double (*ref)(double), int odd, al_isa isa, float lo, float hi,
                       uint32_t stride)
{
    float x[CHUNK];
    size_t n = 0;
    for (uint64_t u = to_bits(lo); u <= to_bits(hi); u += stride) {
        x[n++] = from_bits((uint32_t)u);
        if (n == CHUNK) {
            measure(s, f, ref, odd, isa, x, n);
            n = 0;
        }
    }
    if (n)
        measure(s, f, ref, odd, isa, x, n);
}

static void test_erf(al_isa isa)
{
    sweep s = {0, 0, 0, 0};
    sweep_bits(&s, al_erf_f32, erf, 1, isa, 0.0f, 10.0f, 251);
    sweep_bits(&s, al_erf_f32, erf, 1, isa, 0.0f, from_bits(20000), 1);               /* 0 and subnormals */
    sweep_bits(&s, al_erf_f32, erf, 1, isa, nextafterf(1.0f, 0) - 2e-4f, 1.0f + 2e-4f, 1); /* the switch */
    sweep_bits(&s, al_erf_f32, erf, 1, isa, 9.99f, 10.0f, 1);
    CHECK(s.worst <= 2.0, "%s erf: %.2f ulp at %.9g (%zu values)", al_isa_name(isa), s.worst, (double)s.worst_x,
          s.count);
    CHECK(s.not_odd == 0, "%s erf: erf(-x) != -erf(x) for %zu values", al_isa_name(isa), s.not_odd);
    fprintf(stderr, "   %s erf: largest error %.3f ulp at %.9g over %zu values\n", al_isa_name(isa), s.worst,
            (double)s.worst_x, s.count);
    float special[4] = {INFINITY, -INFINITY, NAN, 40.0f}, y[4];
    al_erf_f32(isa, special, y, 4);
    CHECK(y[0] == 1.0f && y[1] == -1.0f && isnan(y[2]) && y[3] == 1.0f, "%s erf at inf, -inf, NaN, 40: %g %g %g %g",
          al_isa_name(isa), (double)y[0], (double)y[1], (double)y[2], (double)y[3]);
}

static void test_exp(al_isa isa)
{
    sweep s = {0, 0, 0, 0};
    sweep_bits(&s, al_exp_f32, exp, 0, isa, 0.0f, 89.0f, 127);
    sweep_bits(&s, al_exp_f32, exp, 0, isa, 88.5f, 104.0f, 127); /* negated: [-104, -88.5], the subnormals */
    CHECK(s.worst <= 2.0, "%s exp: %.2f ulp at %.9g (%zu values)", al_isa_name(isa), s.worst, (double)s.worst_x,
          s.count);
    fprintf(stderr, "   %s exp: largest error %.3f ulp at %.9g over %zu values\n", al_isa_name(isa), s.worst,
            (double)s.worst_x, s.count);
    float special[5] = {INFINITY, -INFINITY, NAN, 89.0f, -104.0f}, y[5];
    al_exp_f32(isa, special, y, 5);
    CHECK(isinf(y[0]) && y[0] > 0 && y[1] == 0.0f && isnan(y[2]) && isinf(y[3]) && y[4] == 0.0f,
          "%s exp at inf, -inf, NaN, 89, -104: %g %g %g %g %g", al_isa_name(isa), (double)y[0], (double)y[1],
          (double)y[2], (double)y[3], (double)y[4]);
}

int main(void)
{
    for (int i = AL_ISA_GENERIC; i <= (int)al_isa_best(); i++) {
        CHECK_SECTION(al_isa_name((al_isa)i));
        test_erf((al_isa)i);
        test_exp((al_isa)i);
    }
    return check_summary("test_act_math");
}
