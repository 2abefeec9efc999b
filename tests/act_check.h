/* Helpers shared by the activation tests (test_act*.c). */
#ifndef ACTLAB_TEST_ACT_CHECK_H
#define ACTLAB_TEST_ACT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "actlab/act.h"

/* The activation a spec names; a spec the test itself wrote must parse. */
static inline al_act parse_or_die(const char *spec)
{
    al_act a;
    al_error err = {0};
    if (al_act_parse(spec, &a, &err) != AL_OK) {
        fprintf(stderr, "cannot parse %s: %s\n", spec, err.message);
        exit(1);
    }
    return a;
}

/* The tolerance: within 4 ulp of the float64 value, or 1e-6 absolute. */
static inline int close_f32(float got, double want)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return (double)got == want;
    float w = (float)want;
    if (fabs((double)got - want) <= 1e-6)
        return 1;
    float ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) <= 4.0 * (double)ulp;
}

#endif
