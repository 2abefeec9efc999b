/* The float64 reference: one plain scalar function per activation that reads
 * like the math (the rows of table.c point at them), and the float64 passes
 * built on them. Tests hold the float32 kernels to these; gradcheck, plots
 * and studies evaluate activations through them. */
#include "act/act_internal.h"

#include <math.h>

static double sigmoid64(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* ---- the ReLU family ---- */

void al_ref_relu(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = x <= 0 ? 0.0 : x;
    *d = x <= 0 ? 0.0 : 1.0;
}

static void clamp64(double lo, double hi, double x, double *y, double *d)
{
    *y = x < lo ? lo : (x > hi ? hi : x);
    *d = (x <= lo || x >= hi) ? 0.0 : 1.0;
}

void al_ref_relu6(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    clamp64(0.0, 6.0, x, y, d);
}

void al_ref_hardtanh(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    clamp64(p[0], p[1], x, y, d);
}

static void leaky64(double s, double x, double *y, double *d)
{
    *y = x > 0 ? x : x * s;
    *d = x > 0 ? 1.0 : s;
}

void al_ref_leaky_relu(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    leaky64(p[0], x, y, d);
}

/* slope: this channel's weight */
void al_ref_prelu(const double *p, double x, double slope, double *y, double *d)
{
    (void)p;
    leaky64(slope, x, y, d);
}

/* slope: the drawn r in training; NaN asks for eval mode (the mean slope) */
void al_ref_rrelu(const double *p, double x, double slope, double *y, double *d)
{
    if (isnan(slope)) {
        leaky64((p[0] + p[1]) / 2, x, y, d);
    } else {
        *y = x <= 0 ? x * slope : x;
        *d = x <= 0 ? slope : 1.0;
    }
}

/* ---- the ELU family ---- */

static void elu64(double x, double negcoef, double poscoef, double input_scale, double *y, double *d)
{
    if (x <= 0) {
        *y = expm1(x * input_scale) * negcoef;
        *d = input_scale * negcoef * exp(x * input_scale);
    } else {
        *y = x * poscoef;
        *d = poscoef;
    }
    if (isnan(x)) {  /* PyTorch's `x <= 0` sends NaN to the positive branch */
        *y = x;
        *d = poscoef;
    }
}

void al_ref_elu(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    elu64(x, p[0], 1.0, 1.0, y, d);
}

void al_ref_celu(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    elu64(x, p[0], 1.0, 1.0 / p[0], y, d);
}

void al_ref_selu(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    elu64(x, AL_SELU_SCALE * AL_SELU_ALPHA, AL_SELU_SCALE, 1.0, y, d);
}

/* ---- smooth gates ---- */

/* p[0]: 0 exact, 1 'tanh' */
void al_ref_gelu(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    if (isinf(x)) {
        *y = x > 0 ? x : 0.0;
        *d = x > 0 ? 1.0 : 0.0;
    } else if (p[0] == 0) {
        double cdf = 0.5 * erfc(-x * 0.70710678118654752440);
        *y = x * cdf;
        *d = cdf + x * exp(-0.5 * x * x) * 0.39894228040143267794;
    } else {
        /* 1 + tanh(u) = 2 sigmoid(2u): no cancellation for x << 0 */
        const double k = 0.79788456080286535588, kappa = 0.044715;
        double s = sigmoid64(2 * k * (x + kappa * x * x * x));
        *y = x * s;
        double tail = s * (1 - s);
        *d = s + (tail == 0 ? 0.0 : 2 * x * tail * k * (1 + 3 * kappa * x * x));
    }
}

void al_ref_silu(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    double s = sigmoid64(x);
    *y = isinf(x) ? (x > 0 ? x : 0.0) : x * s;
    *d = isinf(x) ? s : s * (1 + x * (1 - s));
}

void al_ref_mish(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    if (x > 20) {  /* tanh(softplus(x)) = 1 to 1e-17 */
        *y = x;
        *d = 1.0;
    } else if (x == -INFINITY) {
        *y = 0.0;
        *d = 0.0;
    } else {
        /* tanh(log1p(n)) = q/(q+2), q = n(n+2), n = e^x; 1 - t = 2/(q+2) exactly */
        double n = exp(x), q = n * (n + 2), t = q / (q + 2), one_minus_t = 2 / (q + 2);
        *y = x * t;
        *d = t + x * sigmoid64(x) * one_minus_t * (1 + t);
    }
}

/* p = {beta, threshold} */
void al_ref_softplus(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    double z = p[0] * x;
    if (z > p[1]) {
        *y = x;
        *d = 1.0;
    } else {
        *y = (fmax(z, 0.0) + log1p(exp(-fabs(z)))) / p[0];
        *d = sigmoid64(z);
        if (isnan(z))
            *y = *d = z;
    }
}

void al_ref_softsign(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = isinf(x) ? (x > 0 ? 1.0 : -1.0) : x / (1 + fabs(x));
    *d = 1 / ((1 + fabs(x)) * (1 + fabs(x)));
}

void al_ref_tanh(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = tanh(x);
    *d = 1 - *y * *y;
}

void al_ref_sigmoid(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = sigmoid64(x);
    *d = *y * (1 - *y);
}

void al_ref_logsigmoid(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = fmin(x, 0.0) - log1p(exp(-fabs(x)));
    *d = sigmoid64(-x);
    if (isnan(x))
        *y = *d = x;
}

void al_ref_tanhshrink(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    double t = tanh(x);
    *y = x - t;
    *d = t * t;
}

/* ---- hard (piecewise) shapes ---- */

void al_ref_hardsigmoid(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = x <= -3 ? 0.0 : (x >= 3 ? 1.0 : x / 6 + 0.5);
    if (isnan(x))
        *y = x;
    *d = (x > -3 && x < 3) ? 1.0 / 6.0 : 0.0;
}

void al_ref_hardswish(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = x <= -3 ? 0.0 : (x >= 3 ? x : x * (x + 3) / 6);
    if (isnan(x))
        *y = x;
    *d = x < -3 ? 0.0 : (x <= 3 ? x / 3 + 0.5 : 1.0);
}

/* p = {lambd} */
void al_ref_softshrink(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    *y = x > p[0] ? x - p[0] : (x < -p[0] ? x + p[0] : 0.0);
    *d = (x >= -p[0] && x <= p[0]) ? 0.0 : 1.0;
}

void al_ref_hardshrink(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    *y = (x >= -p[0] && x <= p[0]) ? 0.0 : x;
    *d = (x >= -p[0] && x <= p[0]) ? 0.0 : 1.0;
}

/* p = {threshold, value} */
void al_ref_threshold(const double *p, double x, double slope, double *y, double *d)
{
    (void)slope;
    *y = x <= p[0] ? p[1] : x;
    *d = x <= p[0] ? 0.0 : 1.0;
}

void al_ref_identity(const double *p, double x, double slope, double *y, double *d)
{
    (void)p; (void)slope;
    *y = x;
    *d = 1.0;
}

/* ---- the passes ---- */

void al_act_eval_f64(const al_act *a, double x, double slope, double *y, double *d)
{
    al_act_row_of(a->id)->eval_f64(a->param, x, slope, y, d);
    if (a->kink_set) {
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        int n = al_act_kinks(a, where, deriv);
        for (int i = 0; i < n; i++)
            if (x == where[i])
                *d = a->kink;
    }
}

/* The slope element i uses: its learned weight, its drawn slope (a
 * stochastic row draws U(param[0], param[1]): RReLU), or NaN. */
static double slope_at(const al_act *a, const al_act_run *run, al_hash_key key, size_t i,
                       const double *weight)
{
    const al_act_info *info = al_act_info_of(a->id);
    if (info->learnable) {
        size_t nw = al_act_weight_count(a);
        return nw <= 1 ? weight[0] : weight[(i / run->inner) % run->channels];
    }
    if (info->stochastic && run->training) {
        double u = al_hash_uniform(key, (uint32_t)(run->offset + i));
        return a->param[0] + (a->param[1] - a->param[0]) * u;
    }
    return NAN;
}

void al_act_forward_f64(const al_act *a, const al_act_run *run, size_t n,
                        const double *x, double *y, const double *weight)
{
    al_hash_key key = al_hash_key_from_seed(run->seed);
    for (size_t i = 0; i < n; i++) {
        double d;
        al_act_eval_f64(a, x[i], slope_at(a, run, key, i, weight), &y[i], &d);
    }
}

void al_act_backward_f64(const al_act *a, const al_act_run *run, size_t n,
                         const double *x, const double *y, const double *dy,
                         double *dx, const double *weight, double *dweight)
{
    (void)y;  /* the reference recomputes from x */
    al_hash_key key = al_hash_key_from_seed(run->seed);
    size_t nw = al_act_weight_count(a);
    int learnable = al_act_info_of(a->id)->learnable;
    for (size_t i = 0; i < n; i++) {
        double slope = slope_at(a, run, key, i, weight), yi, d;
        al_act_eval_f64(a, x[i], slope, &yi, &d);
        double g = dy[i];
        if (dweight && learnable) {
            /* the learned slope's gradient, x*dy where x <= 0 (PReLU, the one learnable row) */
            size_t c = nw <= 1 ? 0 : (i / run->inner) % run->channels;
            dweight[c] += x[i] > 0 ? 0.0 : x[i] * g;
        }
        dx[i] = d * g;
    }
}
