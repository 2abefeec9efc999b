/* The vector erf of the activation kernels (src/act/kernels.inc) against
 * double-precision erf over every float32 in [-10, 10] (2.2e9 values, both
 * signs of every non-negative float up to 10), with the ISA the kernels run
 * here: the largest error in ulps of the exact value and where it is, and
 * the number of values more than 1 ulp off. tests/test_act_math.c checks a
 * strided subset of the same in the test suite (this sweep takes a minute).
 * Usage: bench_math [--isa auto|generic|avx2|avx512] */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act/act_internal.h"
#include "actlab/actlab.h"

#define CHUNK 4096

static double ulps(float got, double want)
{
    int e;
    frexp(want, &e);
    double ulp = ldexp(1.0, e - 24 > -149 ? e - 24 : -149);
    return fabs((double)got - want) / ulp;
}

int main(int argc, char **argv)
{
    al_isa isa = AL_ISA_AUTO;
    al_error err = {0};
    if (argc == 3 && strcmp(argv[1], "--isa") == 0) {
        if (al_isa_parse(argv[2], &isa, &err) != AL_OK) {
            fprintf(stderr, "bench_math: %s\n", err.message);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: bench_math [--isa auto|generic|avx2|avx512]\n");
        return 2;
    }
    float ten = 10.0f;
    uint32_t last;
    memcpy(&last, &ten, sizeof last);
    uint64_t chunks = ((uint64_t)last + CHUNK) / CHUNK;
    double worst = 0;
    float worst_x = 0;
    uint64_t over_one = 0, count = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
#pragma omp parallel
    {
        float x[CHUNK], y[CHUNK];
        double my_worst = 0;
        float my_x = 0;
        uint64_t my_over = 0, my_count = 0;
#pragma omp for schedule(dynamic, 64)
        for (uint64_t c = 0; c < chunks; c++) {
            uint64_t first = c * CHUNK;
            size_t n = first + CHUNK - 1 <= last ? CHUNK : (size_t)(last - first + 1);
            for (int sign = 0; sign < 2; sign++) {
                for (size_t i = 0; i < n; i++) {
                    uint32_t u = (uint32_t)(first + i) | (sign ? 0x80000000u : 0);
                    memcpy(&x[i], &u, sizeof u);
                }
                al_erf_f32(isa, x, y, n);
                for (size_t i = 0; i < n; i++) {
                    double e = ulps(y[i], erf((double)x[i]));
                    my_over += e > 1.0;
                    if (e > my_worst) {
                        my_worst = e;
                        my_x = x[i];
                    }
                }
                my_count += n;
            }
        }
#pragma omp critical
        {
            if (my_worst > worst) {
                worst = my_worst;
                worst_x = my_x;
            }
            over_one += my_over;
            count += my_count;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("# vector erf (%s kernels) against double erf over every float32 in [-10, 10]\n", al_isa_name(isa));
    printf("erf: %llu values, largest error %.3f ulp at %.9g, %llu values (%.2g%%) over 1 ulp; %.0f s\n",
           (unsigned long long)count, worst, (double)worst_x, (unsigned long long)over_one,
           100.0 * (double)over_one / (double)count, seconds);
    return 0;
}
