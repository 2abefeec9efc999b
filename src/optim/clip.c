/* Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_
 * computes it: one pass over the parameters' gradients for the norm, one to
 * scale them. */
#include "actlab/optim.h"

#include <math.h>

/* Sum of squares in eight independent double accumulators: one chain is
 * bound by the add latency (it was 14% of an MLP training step). The order is
 * fixed, so the result is deterministic. */
static double sum_squares(const float *g, size_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += (double)g[j + (size_t)k] * (double)g[j + (size_t)k];
    double s = 0;
    for (; j < n; j++)
        s += (double)g[j] * (double)g[j];
    for (int k = 0; k < 8; k++)
        s += acc[k];
    return s;
}

double al_clip_grad_norm(const al_param_ref *params, size_t n_params, double max_norm)
{
    double sum_sq = 0.0;
    for (size_t i = 0; i < n_params; i++)
        if (params[i].grad)
            sum_sq += sum_squares(params[i].grad, params[i].count);
    double norm = sqrt(sum_sq);
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
