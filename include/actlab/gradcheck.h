/* Gradient check: a float64 mirror of a net whose analytic backward is
 * compared with central differences, for sampled entries of every parameter
 * tensor and of the input. Entries whose +-eps window makes some
 * pre-activation cross a kink are counted apart: there the numeric derivative
 * averages the two one-sided slopes, so a large difference is expected; a
 * max pool changing its choice counts the same way. */
#ifndef ACTLAB_GRADCHECK_H
#define ACTLAB_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/nn.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct al_gradcheck_options {
    size_t samples;          /* entries checked per tensor (all when the tensor is smaller); 20 */
    double eps;              /* central-difference step, in float64; 1e-6 */
    double abs_tol, rel_tol; /* pass when |a - n| <= abs_tol + rel_tol * max(|a|, |n|); 1e-8, 1e-6
                              * (abs_tol is raised by the float64 rounding of the loss
                              * difference, see al_gradcheck_report.abs_tol_used) */
    uint64_t seed;           /* sampled entries and the loss weights r; 0 */
    int eval_mode;           /* 0 (default): training mode like PyTorch's gradcheck of a
                              * train-mode model (BatchNorm uses batch statistics; Dropout
                              * and RReLU are refused). 1: eval mode (running statistics,
                              * Dropout off, RReLU's mean slope). */
    const char *perturb_analytic; /* test hook: this tensor's ("0.weight", "input") analytic
                                   * gradient is scaled by 1.001 so the check must fail; NULL */
} al_gradcheck_options;

/* The defaults above. */
al_gradcheck_options al_gradcheck_options_default(void);

/* The result for one tensor. Errors away from kinks decide `passed`; the
 * straddling entries' largest error is reported apart. */
typedef struct al_gradcheck_tensor {
    char name[48];           /* state_dict name ("0.weight") or "input" */
    int layer;               /* the layer's index in the spec; -1 for the input */
    const char *module;      /* the layer's constructor text (owned by the net); "" for input */
    size_t count;            /* entries in the tensor */
    size_t checked;          /* entries checked, straddling ones included */
    size_t kink_straddles;   /* checked entries whose +-eps window crosses a kink */
    size_t failures;         /* entries away from kinks over tolerance */
    double max_abs_err, max_rel_err;   /* away from kinks */
    double kink_max_abs_err;           /* among the straddling entries */
    int passed;
} al_gradcheck_tensor;

typedef struct al_gradcheck_report {
    int n_tensors;
    al_gradcheck_tensor *tensors;  /* input first, then parameters in state_dict order */
    size_t kink_straddles;         /* over all tensors */
    double abs_tol_used;           /* abs_tol + 4 * DBL_EPSILON * sum|output * r| / eps: below
                                    * that the difference quotient is rounding noise, and it
                                    * grows with the batch */
    int passed;                    /* every tensor passed */
} al_gradcheck_report;

/* Checks net's gradients on the batch x ([batch, in_features]) with the loss
 * L = sum(output * r), r a fixed N(0, 1) matrix drawn from options->seed: a
 * linear loss makes every output's gradient non-zero and exactly known, so
 * the check exercises the net alone. The net is not modified. Fails with
 * AL_ERR_INVALID (and what to change) on layers random in training mode,
 * AL_ERR_SHAPE while the net's input shape is unknown (a Conv2d first, not
 * yet fitted). A max pool whose choice of position moves with +-eps counts
 * as a kink straddle. */
al_status al_gradcheck(const al_net *net, const float *x, size_t batch,
                       const al_gradcheck_options *options, al_gradcheck_report *out,
                       al_error *err);

/* Frees what al_gradcheck allocated in report; a zeroed report is fine. */
void al_gradcheck_report_free(al_gradcheck_report *report);

#ifdef __cplusplus
}
#endif
#endif
