/* Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_
 * computes it: one pass over the parameters' gradients for the norm (or the
 * sum of squares a net's backward already took), one to scale them. */
#include "actlab/optim.h"

#include <math.h>
#include <omp.h>

#include "nn/sumsq.h"

/* Fewer gradient elements than this are summed by one thread (as the
 * optimizer's step decides its team). */
#define TEAM_MIN_ELEMENTS 65536

/* The gradients' sum of squares, shared by a team for large models (the
 * blocks of sumsq.h: the result does not depend on the team). */
static double grad_sum_squares(const al_param_ref *params, size_t n_params)
{
    double sums[AL_SUMSQ_BLOCKS] = {0};
    size_t total = 0;
    for (size_t i = 0; i < n_params; i++)
        total += params[i].grad ? params[i].count : 0;
#pragma omp parallel num_threads(total < TEAM_MIN_ELEMENTS ? 1 : omp_get_max_threads())
    al_sumsq_part(params, n_params, omp_get_thread_num(), omp_get_num_threads(), sums);
    return al_sumsq_total(sums);
}

double al_clip_grad_norm(const al_param_ref *params, size_t n_params, double max_norm)
{
    return al_clip_grad_norm_given(params, n_params, max_norm, grad_sum_squares(params, n_params));
}

double al_clip_grad_norm_given(const al_param_ref *params, size_t n_params, double max_norm, double sum_squares)
{
    double norm = sqrt(sum_squares);
    if (!isfinite(norm))
        return norm;
    /* torch computes the coefficient in float32 from a float32 norm; doing it
     * in double and rounding once differs by at most an ulp of the scale. */
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float coef_f = (float)coef;
        for (size_t i = 0; i < n_params; i++) {
            float *g = params[i].grad;
            if (!g)
                continue;
            for (size_t j = 0; j < params[i].count; j++)
                g[j] *= coef_f;
        }
    }
    return norm;
}
