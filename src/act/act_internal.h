/* Private to src/act: the interface between the dispatcher (act.c) and the
 * per-ISA float32 kernels (kernels_<isa>.c, all built from kernels.inc). */
#ifndef ACTLAB_ACT_INTERNAL_H
#define ACTLAB_ACT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/act.h"
#include "actlab/rng.h"

/* Per-call constants, resolved once by the dispatcher from an al_act. */
typedef struct al_kconst {
    int kernel;          /* an al_act_id, or AL_KERNEL_GELU_TANH; RReLU in eval and
                            shared-slope PReLU run as LeakyReLU, ReLU6 as Hardtanh */
    float p0, p1, p2;    /* kernel-specific constants, see kernels.inc */
    int kink_set;        /* override the derivative at the kinks */
    float kink, kink0, kink1;
    al_hash_key key;     /* RReLU training */
    uint32_t offset;
    int stream;          /* non-temporal stores (output far larger than the caches) */
} al_kconst;

/* Kernel ids beyond the table's: variants selected by a parameter. */
enum { AL_KERNEL_GELU_TANH = AL_ACT_COUNT };

typedef void (*al_kforward)(const al_kconst *k, size_t begin, size_t end, const float *x, float *y);
typedef void (*al_kbackward)(const al_kconst *k, size_t begin, size_t end, const float *x,
                             const float *y, const float *dy, float *dx);

/* sum over n elements of (x > 0 ? 0 : x*dy): PReLU's slope gradient */
typedef double (*al_kslope_sum)(const float *x, const float *dy, size_t n);

typedef struct al_kernels {
    al_kforward forward;
    al_kbackward backward;
    al_kslope_sum slope_sum;
} al_kernels;

extern const al_kernels al_kernels_generic;
#ifdef AL_HAVE_AVX2
extern const al_kernels al_kernels_avx2;
#endif
#ifdef AL_HAVE_AVX512
extern const al_kernels al_kernels_avx512;
#endif

/* SELU's constants (Klambauer et al. 2017). */
#define AL_SELU_ALPHA 1.6732632423543772848170429916717
#define AL_SELU_SCALE 1.0507009873554804934193349852946

#endif
