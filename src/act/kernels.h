/* Private to src/act: the interface between the dispatcher (act.c), the
 * table's rows (table.c) and the per-ISA float32 kernels (kernels_<isa>.c,
 * all built from kernels.inc). */
#ifndef ACTLAB_ACT_KERNELS_H
#define ACTLAB_ACT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/rng.h"

/* The float32 kernel pairs, one entry each in kernels.inc's table. Several
 * activations share one kernel through its constants (ReLU6 and Hardtanh run
 * AL_KERNEL_CLAMP; LeakyReLU, shared-slope PReLU and RReLU in eval run
 * AL_KERNEL_LEAKY; CELU and SELU run AL_KERNEL_ELU). */
typedef enum al_kernel_id {
    AL_KERNEL_NONE,      /* no kernel: a row that forgot .kernel (test_act_table fails) */
    AL_KERNEL_IDENTITY,
    AL_KERNEL_RELU,
    AL_KERNEL_CLAMP,
    AL_KERNEL_LEAKY,
    AL_KERNEL_RRELU,     /* RReLU in training: a hashed slope per element */
    AL_KERNEL_ELU,
    AL_KERNEL_GELU,
    AL_KERNEL_GELU_TANH,
    AL_KERNEL_SILU,
    AL_KERNEL_MISH,
    AL_KERNEL_SOFTPLUS,
    AL_KERNEL_SOFTSIGN,
    AL_KERNEL_TANH,
    AL_KERNEL_SIGMOID,
    AL_KERNEL_HARDSIGMOID,
    AL_KERNEL_HARDSWISH,
    AL_KERNEL_LOGSIGMOID,
    AL_KERNEL_TANHSHRINK,
    AL_KERNEL_SOFTSHRINK,
    AL_KERNEL_HARDSHRINK,
    AL_KERNEL_THRESHOLD,
    AL_KERNEL_COUNT
} al_kernel_id;

/* Per-call constants, resolved once by the dispatcher from an al_act. */
typedef struct al_kconst {
    al_kernel_id kernel;
    float p0, p1, p2;    /* kernel-specific constants, see kernels.inc */
    int kink_set;        /* override the derivative at the kinks */
    float kink, kink0, kink1;
    al_hash_key key;     /* RReLU training */
    uint32_t offset;
    int stream;          /* non-temporal stores (output far larger than the caches) */
} al_kconst;

typedef void (*al_kforward)(const al_kconst *k, size_t begin, size_t end, const float *x, float *y);
typedef void (*al_kbackward)(const al_kconst *k, size_t begin, size_t end, const float *x,
                             const float *y, const float *dy, float *dx);

typedef struct al_kernel_pair {
    al_kforward forward;
    al_kbackward backward;
} al_kernel_pair;

/* PReLU's backward with one slope (k->p0) over [begin, end) in one pass:
 * writes dx and returns the slope gradient, the sum of (x > 0 ? 0 : x*dy). */
typedef double (*al_kprelu_backward)(const al_kconst *k, size_t begin, size_t end, const float *x,
                                     const float *dy, float *dx);

/* y = f(x) for n elements: the vector math the kernels use (erf, exp). */
typedef void (*al_kmap)(const float *x, float *y, size_t n);

/* One ISA's kernels: pairs[AL_KERNEL_COUNT], indexed by al_kernel_id. */
typedef struct al_kernels {
    const al_kernel_pair *pairs;
    al_kprelu_backward prelu_backward;
    al_kmap erf, exp;
} al_kernels;

extern const al_kernels al_kernels_generic;
#ifdef AL_HAVE_AVX2
extern const al_kernels al_kernels_avx2;
#endif
#ifdef AL_HAVE_AVX512
extern const al_kernels al_kernels_avx512;
#endif

#endif
