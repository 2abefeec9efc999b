/* The activation table: the one place that knows each activation's name,
 * parameters, kinks, gain and float64 reference. The float32 kernels
 * (kernels.inc) implement the same semantics, vectorised.
 *
 * Semantics are PyTorch 1.13's, including the comparison each kernel uses
 * (`x <= 0` or `x > 0`), which decides the derivative at the kink and what a
 * NaN input gives. Where PyTorch's formula overflows to NaN or inf although
 * the function has a finite limit (GELU, SiLU, Mish at -inf; Softsign at
 * +-inf; Softplus with a huge threshold), actlab returns the limit
 * (docs/activations.md lists these). */
#include "act/act_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/spec.h"
#include "actlab/util.h"
#include "spec/bind.h"

#define FIN_LO (-INFINITY)
#define FIN_HI INFINITY
/* A float parameter that must be finite. */
#define PF(nm, def, text) {nm, AL_PARAM_FLOAT, 0, def, FIN_LO, FIN_HI, 1, 1, NULL, text}
/* A float parameter in [lo, hi] (open ends flagged). */
#define PFR(nm, def, text, lo, hi, lo_open, hi_open) {nm, AL_PARAM_FLOAT, 0, def, lo, hi, lo_open, hi_open, NULL, text}
#define PREQ(nm) {nm, AL_PARAM_FLOAT, 1, NAN, FIN_LO, FIN_HI, 1, 1, NULL, "required"}
#define PINPLACE {"inplace", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"}

static const char *const gelu_choices[] = {"none", "tanh", NULL};

static const al_act_info table[AL_ACT_COUNT] = {
    [AL_ACT_RELU] = {AL_ACT_RELU, "ReLU", "max(0, x)", "1 if x > 0 else 0", "0 at x = 0",
                     1, {PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_RELU6] = {AL_ACT_RELU6, "ReLU6", "min(max(0, x), 6)", "1 if 0 < x < 6 else 0",
                      "0 at x = 0 and x = 6", 1, {PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_LEAKY_RELU] = {AL_ACT_LEAKY_RELU, "LeakyReLU", "x if x > 0 else s*x", "1 or s",
                           "s at x = 0", 2, {PF("negative_slope", 0.01, "0.01"), PINPLACE},
                           1, 0, 0, 0, 0},
    [AL_ACT_PRELU] = {AL_ACT_PRELU, "PReLU", "x if x > 0 else a*x, a learned",
                      "1 or a; d/da = x if x <= 0", "a at x = 0 (d/da = 0)", 2,
                      {{"num_parameters", AL_PARAM_INT, 0, 1, 1, 1e9, 0, 0, NULL, "1"},
                       PF("init", 0.25, "0.25")},
                      1, 1, 0, 0, 0},
    [AL_ACT_RRELU] = {AL_ACT_RRELU, "RReLU", "x if x > 0 else r*x, r ~ U(lower, upper); eval r = mean",
                      "1 or r", "r at x = 0 (eval: (lower+upper)/2)", 3,
                      {PF("lower", 1.0 / 8.0, "1/8"), PF("upper", 1.0 / 3.0, "1/3"), PINPLACE},
                      1, 0, 1, 0, 0},
    [AL_ACT_ELU] = {AL_ACT_ELU, "ELU", "x if x > 0 else alpha*(exp(x) - 1)", "1 or alpha*exp(x)",
                    "alpha at x = 0", 2, {PF("alpha", 1.0, "1.0"), PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_CELU] = {AL_ACT_CELU, "CELU", "max(0,x) + min(0, alpha*(exp(x/alpha) - 1))",
                     "1 or exp(x/alpha)", "1 at x = 0", 2,
                     {PF("alpha", 1.0, "1.0"), PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_SELU] = {AL_ACT_SELU, "SELU", "lambda*(x if x > 0 else alpha*(exp(x) - 1))",
                     "lambda or lambda*alpha*exp(x)", "lambda*alpha = 1.7581 at x = 0", 1,
                     {PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_GELU] = {AL_ACT_GELU, "GELU", "x*Phi(x); 'tanh': 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))",
                     "Phi(x) + x*phi(x)", "", 1,
                     {{"approximate", AL_PARAM_CHOICE, 0, 0, 0, 1, 0, 0, gelu_choices, "'none'"}},
                     0, 0, 0, 0, 0},
    [AL_ACT_SILU] = {AL_ACT_SILU, "SiLU", "x*sigmoid(x)", "s(x)(1 + x(1 - s(x)))", "", 1,
                     {PINPLACE}, 0, 0, 0, 0, 0},
    [AL_ACT_MISH] = {AL_ACT_MISH, "Mish", "x*tanh(softplus(x))",
                     "tanh(sp) + x*sigmoid(x)(1 - tanh(sp)^2)", "", 1, {PINPLACE}, 0, 0, 0, 0, 0},
    [AL_ACT_SOFTPLUS] = {AL_ACT_SOFTPLUS, "Softplus", "log(1 + exp(beta*x))/beta; x if beta*x > threshold",
                         "sigmoid(beta*x); 1 if beta*x > threshold", "", 2,
                         {PF("beta", 1.0, "1.0"), PF("threshold", 20.0, "20.0")}, 0, 0, 0, 0, 0},
    [AL_ACT_SOFTSIGN] = {AL_ACT_SOFTSIGN, "Softsign", "x/(1 + |x|)", "1/(1 + |x|)^2", "1 at x = 0",
                         0, {{0}}, 1, 0, 0, 1, 0},
    [AL_ACT_TANH] = {AL_ACT_TANH, "Tanh", "tanh(x)", "1 - y^2", "", 0, {{0}}, 0, 0, 0, 1, 1},
    [AL_ACT_SIGMOID] = {AL_ACT_SIGMOID, "Sigmoid", "1/(1 + exp(-x))", "y(1 - y)", "", 0, {{0}},
                        0, 0, 0, 1, 1},
    [AL_ACT_HARDTANH] = {AL_ACT_HARDTANH, "Hardtanh", "clamp(x, min_val, max_val)",
                         "1 if min_val < x < max_val else 0", "0 at x = min_val and x = max_val", 3,
                         {PF("min_val", -1.0, "-1.0"), PF("max_val", 1.0, "1.0"), PINPLACE},
                         1, 0, 0, 1, 0},
    [AL_ACT_HARDSIGMOID] = {AL_ACT_HARDSIGMOID, "Hardsigmoid", "clamp(x/6 + 1/2, 0, 1)",
                            "1/6 if -3 < x < 3 else 0", "0 at x = -3 and x = 3", 1, {PINPLACE},
                            1, 0, 0, 1, 0},
    [AL_ACT_HARDSWISH] = {AL_ACT_HARDSWISH, "Hardswish", "x*clamp(x + 3, 0, 6)/6",
                          "x/3 + 1/2 on [-3, 3]; 0 below, 1 above", "-0.5 at x = -3, 1.5 at x = 3",
                          1, {PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_LOGSIGMOID] = {AL_ACT_LOGSIGMOID, "LogSigmoid", "min(x, 0) - log1p(exp(-|x|))",
                           "1 - sigmoid(x)", "", 0, {{0}}, 0, 0, 0, 0, 0},
    [AL_ACT_TANHSHRINK] = {AL_ACT_TANHSHRINK, "Tanhshrink", "x - tanh(x)", "tanh(x)^2", "", 0,
                           {{0}}, 0, 0, 0, 0, 0},
    [AL_ACT_SOFTSHRINK] = {AL_ACT_SOFTSHRINK, "Softshrink",
                           "x - lambd if x > lambd; x + lambd if x < -lambd; else 0",
                           "1 outside [-lambd, lambd], else 0", "0 at x = -lambd and x = lambd", 1,
                           {PFR("lambd", 0.5, "0.5", 0.0, FIN_HI, 0, 1)}, 1, 0, 0, 0, 0},
    [AL_ACT_HARDSHRINK] = {AL_ACT_HARDSHRINK, "Hardshrink", "x if |x| > lambd else 0",
                           "1 if |x| > lambd else 0", "0 at x = -lambd and x = lambd", 1,
                           {PFR("lambd", 0.5, "0.5", 0.0, FIN_HI, 0, 1)}, 1, 0, 0, 0, 0},
    [AL_ACT_THRESHOLD] = {AL_ACT_THRESHOLD, "Threshold", "x if x > threshold else value",
                          "1 if x > threshold else 0", "0 at x = threshold", 3,
                          {PREQ("threshold"), PREQ("value"), PINPLACE}, 1, 0, 0, 0, 0},
    [AL_ACT_IDENTITY] = {AL_ACT_IDENTITY, "Identity", "x", "1", "", 0, {{0}}, 0, 0, 0, 0, 0},
};

const al_act_info *al_act_info_of(al_act_id id)
{
    return &table[id < AL_ACT_COUNT ? id : AL_ACT_IDENTITY];
}

al_status al_act_find(const char *name, al_act_id *out, al_error *err)
{
    const char *names[AL_ACT_COUNT];
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        names[i] = table[i].name;
        if (strcmp(name, table[i].name) == 0) {
            *out = (al_act_id)i;
            return AL_OK;
        }
    }
    char close[256];
    al_closest_names(name, names, AL_ACT_COUNT, close, sizeof close);
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown activation '%s': did you mean %s? (`actlab act list` shows all)",
                        name, close);
}

void al_act_default(al_act_id id, al_act *out)
{
    const al_act_info *info = al_act_info_of(id);
    memset(out, 0, sizeof *out);
    out->id = info->id;
    for (int i = 0; i < info->n_params; i++)
        out->param[i] = info->params[i].default_value;
}

/* Constraints between parameters, and ones a plain range cannot say. */
static al_status check_act(const al_spec *spec, const al_spec_module *m, const al_act *a,
                           al_error *err)
{
    const char *why = NULL;
    switch (a->id) {
    case AL_ACT_RRELU:
        if (a->param[0] > a->param[1])
            why = "lower must not exceed upper";
        break;
    case AL_ACT_CELU:
        if (a->param[0] == 0)
            why = "alpha must not be 0 (CELU divides by it)";
        break;
    case AL_ACT_SOFTPLUS:
        if (a->param[0] == 0)
            why = "beta must not be 0 (Softplus divides by it)";
        break;
    case AL_ACT_HARDTANH:
        if (!(a->param[1] > a->param[0]))
            why = "max_val must be greater than min_val";
        break;
    default:
        break;
    }
    if (why)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID, "%s: %s", m->name, why);
    return AL_OK;
}

al_status al_act_from_module(const al_spec *spec, const al_spec_module *m, al_act *out, al_error *err)
{
    al_act_id id = AL_ACT_IDENTITY;
    if (al_act_find(m->name, &id, err) != AL_OK) {
        char msg[AL_ERROR_MESSAGE_BYTES];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID, "%s", msg);
    }
    const al_act_info *info = al_act_info_of(id);
    al_act_default(id, out);
    al_status st = al_spec_bind(spec, m, info->params, info->n_params, info->has_kink ? "kink" : NULL,
                                out->param, &out->kink_set, &out->kink, err);
    if (st != AL_OK)
        return st;
    return check_act(spec, m, out, err);
}

al_status al_act_parse(const char *text, al_act *out, al_error *err)
{
    al_spec *spec = NULL;
    al_status st = al_spec_parse(text, &spec, err);
    if (st != AL_OK)
        return st;
    if (spec->n_modules != 1) {
        const al_spec_module *m = &spec->modules[1];
        st = al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID,
                              "expected one activation, found %d modules", spec->n_modules);
    } else {
        st = al_act_from_module(spec, &spec->modules[0], out, err);
    }
    al_spec_free(spec);
    return st;
}

int al_act_format(const al_act *a, char *buf, size_t size)
{
    const al_act_info *info = al_act_info_of(a->id);
    al_buf b = {0};
    al_buf_printf(&b, "%s(", info->name);
    int n = 0;
    for (int i = 0; i < info->n_params; i++) {
        const al_param_info *p = &info->params[i];
        if (!p->required && a->param[i] == p->default_value)
            continue;
        al_buf_printf(&b, "%s%s=", n++ ? ", " : "", p->name);
        if (p->type == AL_PARAM_CHOICE)
            al_buf_printf(&b, "'%s'", p->choices[(int)a->param[i]]);
        else if (p->type == AL_PARAM_BOOL)
            al_buf_printf(&b, "%s", a->param[i] != 0 ? "True" : "False");
        else if (p->type == AL_PARAM_INT)
            al_buf_printf(&b, "%.0f", a->param[i]);
        else
            al_buf_printf(&b, "%.17g", a->param[i]);
    }
    if (a->kink_set)
        al_buf_printf(&b, "%skink=%.17g", n ? ", " : "", a->kink);
    al_buf_printf(&b, ")");
    int len = b.failed ? -1 : (int)b.len;
    if (size > 0)
        snprintf(buf, size, "%s", b.failed ? "" : b.data);
    al_buf_free(&b);
    return len;
}





int al_act_kinks(const al_act *a, double where[AL_ACT_MAX_KINKS], double deriv[AL_ACT_MAX_KINKS])
{
    const double *p = a->param;
    int n = 0;
    switch (a->id) {
    case AL_ACT_RELU: where[0] = 0; deriv[0] = 0; n = 1; break;
    case AL_ACT_RELU6: where[0] = 0; where[1] = 6; deriv[0] = deriv[1] = 0; n = 2; break;
    case AL_ACT_LEAKY_RELU: where[0] = 0; deriv[0] = p[0]; n = 1; break;
    case AL_ACT_PRELU: where[0] = 0; deriv[0] = p[1]; n = 1; break;
    case AL_ACT_RRELU: where[0] = 0; deriv[0] = (p[0] + p[1]) / 2; n = 1; break;
    case AL_ACT_ELU: where[0] = 0; deriv[0] = p[0]; n = 1; break;
    case AL_ACT_CELU: where[0] = 0; deriv[0] = 1; n = 1; break;
    case AL_ACT_SELU: where[0] = 0; deriv[0] = AL_SELU_SCALE * AL_SELU_ALPHA; n = 1; break;
    case AL_ACT_SOFTSIGN: where[0] = 0; deriv[0] = 1; n = 1; break;
    case AL_ACT_HARDTANH: where[0] = p[0]; where[1] = p[1]; deriv[0] = deriv[1] = 0; n = 2; break;
    case AL_ACT_HARDSIGMOID: where[0] = -3; where[1] = 3; deriv[0] = deriv[1] = 0; n = 2; break;
    case AL_ACT_HARDSWISH: where[0] = -3; where[1] = 3; deriv[0] = -0.5; deriv[1] = 1.5; n = 2; break;
    case AL_ACT_SOFTSHRINK:
    case AL_ACT_HARDSHRINK:
        where[0] = -p[0]; where[1] = p[0]; deriv[0] = deriv[1] = 0;
        n = p[0] == 0 ? 1 : 2;
        break;
    case AL_ACT_THRESHOLD: where[0] = p[0]; deriv[0] = 0; n = 1; break;
    default: n = 0; break;
    }
    if (a->kink_set)
        for (int i = 0; i < n; i++)
            deriv[i] = a->kink;
    return n;
}

double al_act_gain(const al_act *a)
{
    const double *p = a->param;
    switch (a->id) {
    case AL_ACT_RELU: case AL_ACT_RELU6: case AL_ACT_ELU: case AL_ACT_CELU: case AL_ACT_GELU:
    case AL_ACT_SILU: case AL_ACT_MISH: case AL_ACT_SOFTPLUS: case AL_ACT_HARDSWISH:
        return sqrt(2.0);
    case AL_ACT_LEAKY_RELU: return sqrt(2.0 / (1.0 + p[0] * p[0]));
    case AL_ACT_PRELU: return sqrt(2.0 / (1.0 + p[1] * p[1]));
    case AL_ACT_RRELU: {
        double s = (p[0] + p[1]) / 2;
        return sqrt(2.0 / (1.0 + s * s));
    }
    case AL_ACT_TANH: case AL_ACT_HARDTANH: return 5.0 / 3.0;
    case AL_ACT_SELU: return 0.75;
    default: return 1.0;
    }
}

size_t al_act_weight_count(const al_act *a)
{
    return a->id == AL_ACT_PRELU ? (size_t)a->param[0] : 0;
}

al_act_run al_act_run_default(void)
{
    al_act_run run;
    memset(&run, 0, sizeof run);
    run.channels = 1;
    run.inner = 1;
    return run;
}

/* ---- float64 reference: plain scalar code that reads like the math ---- */

static double sigmoid64(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

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

void al_act_eval_f64(const al_act *a, double x, double slope, double *y, double *d)
{
    const double *p = a->param;
    switch (a->id) {
    case AL_ACT_RELU:
        *y = x <= 0 ? 0.0 : x;
        *d = x <= 0 ? 0.0 : 1.0;
        break;
    case AL_ACT_RELU6:
    case AL_ACT_HARDTANH: {
        double lo = a->id == AL_ACT_RELU6 ? 0.0 : p[0], hi = a->id == AL_ACT_RELU6 ? 6.0 : p[1];
        *y = x < lo ? lo : (x > hi ? hi : x);
        *d = (x <= lo || x >= hi) ? 0.0 : 1.0;
        break;
    }
    case AL_ACT_LEAKY_RELU:
    case AL_ACT_PRELU:
        /* slope: LeakyReLU's parameter, or PReLU's weight for this channel */
        if (a->id == AL_ACT_LEAKY_RELU)
            slope = p[0];
        *y = x > 0 ? x : x * slope;
        *d = x > 0 ? 1.0 : slope;
        break;
    case AL_ACT_RRELU:
        /* slope: the sampled r in training; NaN asks for eval mode */
        if (isnan(slope)) {
            slope = (p[0] + p[1]) / 2;
            *y = x > 0 ? x : x * slope;
            *d = x > 0 ? 1.0 : slope;
        } else {
            *y = x <= 0 ? x * slope : x;
            *d = x <= 0 ? slope : 1.0;
        }
        break;
    case AL_ACT_ELU: elu64(x, p[0], 1.0, 1.0, y, d); break;
    case AL_ACT_CELU: elu64(x, p[0], 1.0, 1.0 / p[0], y, d); break;
    case AL_ACT_SELU: elu64(x, AL_SELU_SCALE * AL_SELU_ALPHA, AL_SELU_SCALE, 1.0, y, d); break;
    case AL_ACT_GELU:
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
        break;
    case AL_ACT_SILU: {
        double s = sigmoid64(x);
        *y = isinf(x) ? (x > 0 ? x : 0.0) : x * s;
        *d = isinf(x) ? s : s * (1 + x * (1 - s));
        break;
    }
    case AL_ACT_MISH: {
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
        break;
    }
    case AL_ACT_SOFTPLUS: {
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
        break;
    }
    case AL_ACT_SOFTSIGN:
        *y = isinf(x) ? (x > 0 ? 1.0 : -1.0) : x / (1 + fabs(x));
        *d = 1 / ((1 + fabs(x)) * (1 + fabs(x)));
        break;
    case AL_ACT_TANH:
        *y = tanh(x);
        *d = 1 - *y * *y;
        break;
    case AL_ACT_SIGMOID:
        *y = sigmoid64(x);
        *d = *y * (1 - *y);
        break;
    case AL_ACT_HARDSIGMOID:
        *y = x <= -3 ? 0.0 : (x >= 3 ? 1.0 : x / 6 + 0.5);
        if (isnan(x))
            *y = x;
        *d = (x > -3 && x < 3) ? 1.0 / 6.0 : 0.0;
        break;
    case AL_ACT_HARDSWISH:
        *y = x <= -3 ? 0.0 : (x >= 3 ? x : x * (x + 3) / 6);
        if (isnan(x))
            *y = x;
        *d = x < -3 ? 0.0 : (x <= 3 ? x / 3 + 0.5 : 1.0);
        break;
    case AL_ACT_LOGSIGMOID:
        *y = fmin(x, 0.0) - log1p(exp(-fabs(x)));
        *d = sigmoid64(-x);
        if (isnan(x))
            *y = *d = x;
        break;
    case AL_ACT_TANHSHRINK: {
        double t = tanh(x);
        *y = x - t;
        *d = t * t;
        break;
    }
    case AL_ACT_SOFTSHRINK:
        *y = x > p[0] ? x - p[0] : (x < -p[0] ? x + p[0] : 0.0);
        *d = (x >= -p[0] && x <= p[0]) ? 0.0 : 1.0;
        break;
    case AL_ACT_HARDSHRINK:
        *y = (x >= -p[0] && x <= p[0]) ? 0.0 : x;
        *d = (x >= -p[0] && x <= p[0]) ? 0.0 : 1.0;
        break;
    case AL_ACT_THRESHOLD:
        *y = x <= p[0] ? p[1] : x;
        *d = x <= p[0] ? 0.0 : 1.0;
        break;
    case AL_ACT_IDENTITY:
    case AL_ACT_COUNT:
        *y = x;
        *d = 1.0;
        break;
    }
    if (a->kink_set) {
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        int n = al_act_kinks(a, where, deriv);
        for (int i = 0; i < n; i++)
            if (x == where[i])
                *d = a->kink;
    }
}

/* The slope element i uses: PReLU's channel weight, RReLU's sample, or NaN. */
static double slope_at(const al_act *a, const al_act_run *run, al_hash_key key, size_t i,
                       const double *weight)
{
    if (a->id == AL_ACT_PRELU) {
        size_t nw = al_act_weight_count(a);
        return nw <= 1 ? weight[0] : weight[(i / run->inner) % run->channels];
    }
    if (a->id == AL_ACT_RRELU && run->training) {
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
    for (size_t i = 0; i < n; i++) {
        double slope = slope_at(a, run, key, i, weight), yi, d;
        al_act_eval_f64(a, x[i], slope, &yi, &d);
        double g = dy[i];
        if (dweight && a->id == AL_ACT_PRELU) {
            size_t c = nw <= 1 ? 0 : (i / run->inner) % run->channels;
            dweight[c] += x[i] > 0 ? 0.0 : x[i] * g;
        }
        dx[i] = d * g;
    }
}
