/* Private to src/act: the shape of a table row (table.c), the float64
 * references the rows point at (reference.c), and the interface between the
 * dispatcher (act.c) and the per-ISA float32 kernels (kernels_<isa>.c, all
 * built from kernels.inc). */
#ifndef ACTLAB_ACT_INTERNAL_H
#define ACTLAB_ACT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/act.h"
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

/* One element of the float64 reference (reference.c): y = f(x), d = f'(x)
 * from the parameters p; slope is the learned weight or RReLU's drawn slope
 * (NaN: eval mode), ignored by the others. Kink overrides come after. */
typedef void al_ref_fn(const double *p, double x, double slope, double *y, double *d);

al_ref_fn al_ref_relu, al_ref_relu6, al_ref_leaky_relu, al_ref_prelu, al_ref_rrelu, al_ref_elu,
    al_ref_celu, al_ref_selu, al_ref_gelu, al_ref_silu, al_ref_mish, al_ref_softplus,
    al_ref_softsign, al_ref_tanh, al_ref_sigmoid, al_ref_hardtanh, al_ref_hardsigmoid,
    al_ref_hardswish, al_ref_logsigmoid, al_ref_tanhshrink, al_ref_softshrink,
    al_ref_hardshrink, al_ref_threshold, al_ref_identity;

/* One activation: what the public API shows, and its behaviour. Every
 * function takes the parameters in info.params order. NULL means the
 * default named beside it. */
typedef struct al_act_row {
    al_act_info info;
    /* kink locations and the derivative PyTorch returns there; count.
     * NULL: smooth (info.has_kink must then be 0) */
    int (*kinks)(const double *p, double where[AL_ACT_MAX_KINKS], double deriv[AL_ACT_MAX_KINKS]);
    double (*gain)(const double *p);             /* init gain; NULL: 1 */
    const char *(*check)(const double *p);       /* why p is invalid beyond the ranges, or NULL;
                                                    NULL: no such constraint */
    size_t (*weight_count)(const double *p);     /* learnable: how many weights */
    double (*init_weight)(const double *p);      /* learnable: each weight's initial value */
    al_ref_fn *eval_f64;                         /* the float64 reference */
    al_kernel_id kernel;                         /* the float32 kernel pair */
    /* fills k's constants from p (weight: the shared learned weight) and may
     * pick another kernel (GELU's tanh variant, RReLU in eval); NULL: none */
    void (*resolve)(const double *p, const al_act_run *run, float weight, al_kconst *k);
} al_act_row;

/* The row of id (an out-of-range id gives Identity's), never NULL. */
const al_act_row *al_act_row_of(al_act_id id);

typedef void (*al_kforward)(const al_kconst *k, size_t begin, size_t end, const float *x, float *y);
typedef void (*al_kbackward)(const al_kconst *k, size_t begin, size_t end, const float *x,
                             const float *y, const float *dy, float *dx);

typedef struct al_kernel_pair {
    al_kforward forward;
    al_kbackward backward;
} al_kernel_pair;

/* sum over n elements of (x > 0 ? 0 : x*dy): PReLU's slope gradient */
typedef double (*al_kslope_sum)(const float *x, const float *dy, size_t n);

/* One ISA's kernels: pairs[AL_KERNEL_COUNT], indexed by al_kernel_id. */
typedef struct al_kernels {
    const al_kernel_pair *pairs;
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
