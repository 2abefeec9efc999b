/* Private to src/act: the shape of a table row (table.c) and the float64
 * references the rows point at (reference.c). */
#ifndef ACTLAB_ACT_INTERNAL_H
#define ACTLAB_ACT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "act/kernels.h"
#include "actlab/act.h"

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

/* The float32 vector erf and exp the kernels of isa use, over n elements
 * (for tests/test_act_math.c and bench/math.c). */
void al_erf_f32(al_isa isa, const float *x, float *y, size_t n);
void al_exp_f32(al_isa isa, const float *x, float *y, size_t n);

/* SELU's constants (Klambauer et al. 2017). */
#define AL_SELU_ALPHA 1.6732632423543772848170429916717
#define AL_SELU_SCALE 1.0507009873554804934193349852946

#endif
