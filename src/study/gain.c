/* Init matched to the activation: Gaussian moments of an activation by
 * quadrature of its float64 reference, the gain each rule gives, and the
 * redraw of a net's Linear weights with those gains. Why: an arm compared
 * at an init chosen for another activation is not a fair arm. The
 * variance-preserving gain keeps the second moment of the pre-activations
 * at 1 from layer to layer: Var(z') = fan_in Var(w) E[f(z)^2] = 1 when
 * Var(w) = g^2 / fan_in and g = 1 / sqrt(E[f(z)^2]), z ~ N(0, 1). It gives
 * sqrt(2) for ReLU (He), sqrt(2 / (1 + s^2)) for LeakyReLU(s), and 1 for
 * SELU, whose constants make E[selu(z)^2] = 1 (LeCun-normal, as SELU asks). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "actlab/compare.h"
#include "actlab/rng.h"

/* The integration range in standard deviations each side, and the Simpson
 * intervals per standard deviation (the integrands are smooth between kinks,
 * where the range is split, so this is far below 1e-12 of error). */
#define RANGE_SD 12.0
#define STEPS_PER_SD 400
#define SQRT_2PI 2.50662827463100050241576528481

const char *al_gain_rule_name(al_gain_rule rule)
{
    switch (rule) {
    case AL_GAIN_MATCHED: return "matched";
    case AL_GAIN_ONE: return "one";
    case AL_GAIN_HE: return "he";
    default: return "scheme";
    }
}

/* The slope the reference needs for PReLU (its initial one) and RReLU (its
 * eval-mode one): the derivative the table returns at the kink, kink= aside. */
static double reference_slope(const al_act *a)
{
    const al_act_info *info = al_act_info_of(a->id);
    if (!info->learnable && !info->stochastic)
        return 0;
    al_act plain = *a;
    plain.kink_set = 0;
    double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
    return al_act_kinks(&plain, where, deriv) > 0 ? deriv[0] : 0;
}

/* Adds Simpson's rule over [lo, hi] of density(x) * (f, f^2, f', f'^2). */
static void simpson(const al_act *a, double slope, double mean, double sd, double lo, double hi, double sums[4])
{
    size_t n = (size_t)ceil((hi - lo) / sd * STEPS_PER_SD);
    n += n % 2;
    if (n < 2)
        n = 2;
    double h = (hi - lo) / (double)n;
    for (size_t i = 0; i <= n; i++) {
        /* the ends are kinks or far tails: take the one-sided values, just inside */
        double x = i == 0 ? lo + 1e-9 * sd : i == n ? hi - 1e-9 * sd : lo + h * (double)i, y, d;
        double z = (x - mean) / sd;
        double w = (i == 0 || i == n ? 1 : i % 2 ? 4 : 2) * h / 3 * exp(-0.5 * z * z) / (sd * SQRT_2PI);
        al_act_eval_f64(a, x, slope, &y, &d);
        sums[0] += w * y;
        sums[1] += w * y * y;
        sums[2] += w * d;
        sums[3] += w * d * d;
    }
}

al_status al_gauss_moments_of(const al_act *a, double mean, double var, al_gauss_moments *out, al_error *err)
{
    if (!isfinite(mean) || !(var > 0) || !isfinite(var))
        return al_error_set(err, AL_ERR_INVALID, "Gaussian moments need a finite mean and a variance > 0, got %g "
                            "and %g", mean, var);
    double sd = sqrt(var), lo = mean - RANGE_SD * sd, hi = mean + RANGE_SD * sd;
    double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS], cuts[AL_ACT_MAX_KINKS + 2];
    int n_kinks = al_act_kinks(a, where, deriv), n_cuts = 0;
    cuts[n_cuts++] = lo;
    for (int k = 0; k < n_kinks; k++)
        if (where[k] > lo && where[k] < hi)
            cuts[n_cuts++] = where[k];
    cuts[n_cuts++] = hi;
    for (int i = 1; i < n_cuts; i++) /* kinks in order */
        for (int k = i; k > 1 && cuts[k - 1] > cuts[k]; k--) {
            double t = cuts[k];
            cuts[k] = cuts[k - 1];
            cuts[k - 1] = t;
        }
    double sums[4] = {0, 0, 0, 0}, slope = reference_slope(a);
    for (int i = 0; i + 1 < n_cuts; i++)
        if (cuts[i + 1] > cuts[i])
            simpson(a, slope, mean, sd, cuts[i], cuts[i + 1], sums);
    out->mean = sums[0];
    out->second = sums[1];
    out->deriv_mean = sums[2];
    out->deriv_second = sums[3];
    return AL_OK;
}

double al_gain_of(al_gain_rule rule, const al_act *a)
{
    switch (rule) {
    case AL_GAIN_ONE: return 1;
    case AL_GAIN_HE: return sqrt(2.0);
    case AL_GAIN_MATCHED: {
        al_gauss_moments m;
        if (!a || al_gauss_moments_of(a, 0, 1, &m, NULL) != AL_OK || !(m.second > 0))
            return 1;
        return 1 / sqrt(m.second);
    }
    default: return a ? al_act_gain(a) : 1;
    }
}

/* The redraw; a finite `fixed` gain replaces the rule's for every layer
 * that feeds an activation. */
static void redraw(al_net *net, al_init_scheme scheme, al_gain_rule rule, double fixed, uint64_t seed)
{
    al_rng rng;
    al_rng_seed(&rng, seed ^ 0x6a09e667f3bcc908ULL); /* a stream apart from the net's own */
    int n_layers = al_net_layer_count(net), n_params = 0;
    const al_param_ref *params = al_net_params(net, &n_params);
    int uniform = scheme == AL_INIT_XAVIER_UNIFORM || scheme == AL_INIT_KAIMING_UNIFORM;
    int xavier = scheme == AL_INIT_XAVIER_UNIFORM || scheme == AL_INIT_XAVIER_NORMAL;
    for (int i = 0; i < n_layers; i++) {
        al_layer_info info = al_net_layer(net, i);
        if (info.kind != AL_LAYER_LINEAR && info.kind != AL_LAYER_CONV2D)
            continue;
        const al_act *next = NULL;
        for (int j = i + 1; j < n_layers && !next; j++) {
            al_layer_info after = al_net_layer(net, j);
            if (after.kind == AL_LAYER_LINEAR || after.kind == AL_LAYER_CONV2D)
                break;
            next = after.act;
        }
        /* PyTorch's fans: a Conv2d's weight [out, in / groups, kh, kw] has
         * fan_in (in / groups) kh kw and fan_out out kh kw (known before the
         * net knows its image size) */
        double fan_in = (double)info.in_features, fan_out = (double)info.out_features;
        if (info.kind == AL_LAYER_CONV2D) {
            double area = (double)(info.window.kernel[0] * info.window.kernel[1]);
            double out = (double)info.out_shape.dim[0], in = (double)info.in_shape.dim[0];
            fan_in = in / (double)info.window.groups * area;
            fan_out = out * area;
        }
        double gain = isfinite(fixed) && next ? fixed : al_gain_of(rule, next);
        double sd = gain * sqrt(xavier ? 2 / (fan_in + fan_out) : 1 / fan_in);
        char weight[32], bias[32];
        snprintf(weight, sizeof weight, "%d.weight", info.index);
        snprintf(bias, sizeof bias, "%d.bias", info.index);
        for (int p = 0; p < n_params; p++) {
            if (strcmp(params[p].name, bias) == 0)
                memset(params[p].value, 0, params[p].count * sizeof(float));
            if (strcmp(params[p].name, weight) != 0)
                continue;
            for (size_t k = 0; k < params[p].count; k++)
                params[p].value[k] = (float)(uniform ? sd * sqrt(3.0) * (2 * al_rng_uniform(&rng) - 1)
                                                     : sd * al_rng_normal(&rng));
        }
    }
}

void al_compare_init_net(al_net *net, al_init_scheme scheme, al_gain_rule rule, uint64_t seed)
{
    if (rule != AL_GAIN_SCHEME)
        redraw(net, scheme, rule, NAN, seed);
}

void al_compare_init_net_fixed(al_net *net, al_init_scheme scheme, double gain, uint64_t seed)
{
    redraw(net, scheme, AL_GAIN_ONE, gain, seed);
}
