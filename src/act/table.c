/* The activation table: the one place that knows each activation. A row holds
 * its PyTorch name and parameters, where its kinks are and the derivative
 * returned there, its init gain, its constraints, its learned weights, its
 * float64 reference (reference.c) and its float32 kernel pair (kernels.inc),
 * with the small functions that compute them from the parameters just above
 * the table. Adding an activation: docs/contributing.md.
 *
 * Semantics are PyTorch 1.13's, including the comparison each kernel uses
 * (`x <= 0` or `x > 0`), which decides the derivative at the kink and what a
 * NaN input gives. Where PyTorch's formula overflows to NaN or inf although
 * the function has a finite limit (GELU, SiLU, Mish at -inf; Softsign at
 * +-inf; Softplus with a huge threshold), actlab returns the limit
 * (docs/activations.md lists these). */
#include "act/act_internal.h"

#include <math.h>
#include <stdbool.h>

/* ---- shared helpers ---- */

static int one_kink(double where[], double deriv[], double w, double d)
{
    where[0] = w;
    deriv[0] = d;
    return 1;
}

static int two_kinks(double where[], double deriv[], double w0, double d0, double w1, double d1)
{
    where[0] = w0;
    deriv[0] = d0;
    where[1] = w1;
    deriv[1] = d1;
    return 2;
}

/* calculate_gain('relu'), also used for ReLU's smooth and capped relatives */
static double gain_relu(const double *p) { (void)p; return sqrt(2.0); }
/* calculate_gain('tanh'), also used for Hardtanh */
static double gain_tanh(const double *p) { (void)p; return 5.0 / 3.0; }
/* calculate_gain('leaky_relu', s) for a negative-side slope s */
static double gain_leaky(double s) { return sqrt(2.0 / (1.0 + s * s)); }

/* ---- the ReLU family ---- */

static int relu_kinks(const double *p, double w[], double d[]) { (void)p; return one_kink(w, d, 0, 0); }

static int relu6_kinks(const double *p, double w[], double d[]) { (void)p; return two_kinks(w, d, 0, 0, 6, 0); }
static void relu6_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)p; (void)run; (void)weight;
    k->p0 = 0.0f;
    k->p1 = 6.0f;
}

static int leaky_kinks(const double *p, double w[], double d[]) { return one_kink(w, d, 0, p[0]); }
static double leaky_gain(const double *p) { return gain_leaky(p[0]); }
static void leaky_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
}

/* PReLU: p = {num_parameters, init}; the slopes are learned weights */
static int prelu_kinks(const double *p, double w[], double d[]) { return one_kink(w, d, 0, p[1]); }
static double prelu_gain(const double *p) { return gain_leaky(p[1]); }
static size_t prelu_weight_count(const double *p) { return (size_t)p[0]; }
static double prelu_init_weight(const double *p) { return p[1]; }
static void prelu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)p; (void)run;
    k->p0 = weight;
}

/* RReLU: p = {lower, upper}; eval mode is LeakyReLU with the mean slope */
static double rrelu_mean(const double *p) { return (p[0] + p[1]) / 2; }
static int rrelu_kinks(const double *p, double w[], double d[]) { return one_kink(w, d, 0, rrelu_mean(p)); }
static double rrelu_gain(const double *p) { return gain_leaky(rrelu_mean(p)); }
static const char *rrelu_check(const double *p) { return p[0] > p[1] ? "lower must not exceed upper" : NULL; }
static void rrelu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)weight;
    if (run->training) {
        k->p0 = (float)p[0];
        k->p1 = (float)(p[1] - p[0]);
        k->key = al_hash_key_from_seed(run->seed);
        k->offset = (uint32_t)run->offset;
    } else {
        k->kernel = AL_KERNEL_LEAKY;
        k->p0 = (float)rrelu_mean(p);
    }
}

/* ---- the ELU family: one kernel, p0 = negative coefficient, p1 = positive
 * scale, p2 = input scale ---- */

static int elu_kinks(const double *p, double w[], double d[]) { return one_kink(w, d, 0, p[0]); }
static void elu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
    k->p1 = 1.0f;
    k->p2 = 1.0f;
}

static int celu_kinks(const double *p, double w[], double d[]) { (void)p; return one_kink(w, d, 0, 1); }
static const char *celu_check(const double *p) { return p[0] == 0 ? "alpha must not be 0 (CELU divides by it)" : NULL; }
static void celu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
    k->p1 = 1.0f;
    k->p2 = (float)(1.0 / p[0]);
}

static int selu_kinks(const double *p, double w[], double d[])
{
    (void)p;
    return one_kink(w, d, 0, AL_SELU_SCALE * AL_SELU_ALPHA);
}
static double selu_gain(const double *p) { (void)p; return 0.75; }
static void selu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)p; (void)run; (void)weight;
    k->p0 = (float)(AL_SELU_SCALE * AL_SELU_ALPHA);
    k->p1 = (float)AL_SELU_SCALE;
    k->p2 = 1.0f;
}

/* ---- smooth gates ---- */

static void gelu_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    if (p[0] != 0)
        k->kernel = AL_KERNEL_GELU_TANH;
}

static const char *softplus_check(const double *p) { return p[0] == 0 ? "beta must not be 0 (Softplus divides by it)" : NULL; }
static void softplus_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
    k->p1 = (float)p[1];
    k->p2 = (float)(1.0 / p[0]);
}

static int softsign_kinks(const double *p, double w[], double d[]) { (void)p; return one_kink(w, d, 0, 1); }

/* ---- hard (piecewise linear) shapes ---- */

static int hardtanh_kinks(const double *p, double w[], double d[]) { return two_kinks(w, d, p[0], 0, p[1], 0); }
static const char *hardtanh_check(const double *p) { return !(p[1] > p[0]) ? "max_val must be greater than min_val" : NULL; }
static void hardtanh_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
    k->p1 = (float)p[1];
}

static int hardsigmoid_kinks(const double *p, double w[], double d[]) { (void)p; return two_kinks(w, d, -3, 0, 3, 0); }
static int hardswish_kinks(const double *p, double w[], double d[]) { (void)p; return two_kinks(w, d, -3, -0.5, 3, 1.5); }

/* Softshrink and Hardshrink: p = {lambd}; lambd = 0 puts both kinks at 0 */
static int shrink_kinks(const double *p, double w[], double d[])
{
    two_kinks(w, d, -p[0], 0, p[0], 0);
    return p[0] == 0 ? 1 : 2;
}
static void shrink_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
}

/* Threshold: p = {threshold, value} */
static int threshold_kinks(const double *p, double w[], double d[]) { return one_kink(w, d, p[0], 0); }
static void threshold_resolve(const double *p, const al_act_run *run, float weight, al_kconst *k)
{
    (void)run; (void)weight;
    k->p0 = (float)p[0];
    k->p1 = (float)p[1];
}

/* ---- parameters: PyTorch's names, defaults and ranges ---- */

/* A float parameter that must be finite. */
#define PF(nm, def, text) \
    {.name = nm, .type = AL_PARAM_FLOAT, .default_value = def, .min = -INFINITY, .max = INFINITY, \
     .min_open = 1, .max_open = 1, .default_text = text}
/* A float parameter >= 0 (finite). */
#define PF_NONNEG(nm, def, text) \
    {.name = nm, .type = AL_PARAM_FLOAT, .default_value = def, .min = 0.0, .max = INFINITY, \
     .max_open = 1, .default_text = text}
/* A float parameter with no default. */
#define PREQ(nm) \
    {.name = nm, .type = AL_PARAM_FLOAT, .required = 1, .default_value = NAN, .min = -INFINITY, \
     .max = INFINITY, .min_open = 1, .max_open = 1, .default_text = "required"}
/* PyTorch's inplace=: accepted, changes nothing. */
#define PINPLACE {.name = "inplace", .type = AL_PARAM_BOOL, .max = 1, .default_text = "False"}
/* .params and .n_params from one list */
#define PARAMS(...) \
    .n_params = (int)(sizeof((al_param_info[]){__VA_ARGS__}) / sizeof(al_param_info)), \
    .params = {__VA_ARGS__}

static const char *const gelu_choices[] = {"none", "tanh", NULL};

static const al_act_row table[AL_ACT_COUNT] = {
    [AL_ACT_RELU] = {
        .info = {.id = AL_ACT_RELU, .name = "ReLU", .formula = "max(0, x)",
                 .derivative = "1 if x > 0 else 0", PARAMS(PINPLACE),
                 .has_kink = true, .kink_text = "0 at x = 0"},
        .kinks = relu_kinks, .gain = gain_relu,
        .eval_f64 = al_ref_relu, .kernel = AL_KERNEL_RELU,
    },
    [AL_ACT_RELU6] = {
        .info = {.id = AL_ACT_RELU6, .name = "ReLU6", .formula = "min(max(0, x), 6)",
                 .derivative = "1 if 0 < x < 6 else 0", PARAMS(PINPLACE),
                 .has_kink = true, .kink_text = "0 at x = 0 and x = 6"},
        .kinks = relu6_kinks, .gain = gain_relu,
        .eval_f64 = al_ref_relu6, .kernel = AL_KERNEL_CLAMP, .resolve = relu6_resolve,
    },
    [AL_ACT_LEAKY_RELU] = {
        .info = {.id = AL_ACT_LEAKY_RELU, .name = "LeakyReLU", .formula = "x if x > 0 else s*x",
                 .derivative = "1 or s",
                 PARAMS(PF("negative_slope", 0.01, "0.01"), PINPLACE),
                 .has_kink = true, .kink_text = "s at x = 0"},
        .kinks = leaky_kinks, .gain = leaky_gain,
        .eval_f64 = al_ref_leaky_relu, .kernel = AL_KERNEL_LEAKY, .resolve = leaky_resolve,
    },
    [AL_ACT_PRELU] = {
        .info = {.id = AL_ACT_PRELU, .name = "PReLU", .formula = "x if x > 0 else a*x, a learned",
                 .derivative = "1 or a; d/da = x if x <= 0",
                 PARAMS({.name = "num_parameters", .type = AL_PARAM_INT, .default_value = 1, .min = 1,
                         .max = 1e9, .default_text = "1"},
                        PF("init", 0.25, "0.25")),
                 .has_kink = true, .kink_text = "a at x = 0 (d/da = 0)", .learnable = true},
        .kinks = prelu_kinks, .gain = prelu_gain,
        .weight_count = prelu_weight_count, .init_weight = prelu_init_weight,
        .eval_f64 = al_ref_prelu, .kernel = AL_KERNEL_LEAKY, .resolve = prelu_resolve,
    },
    [AL_ACT_RRELU] = {
        .info = {.id = AL_ACT_RRELU, .name = "RReLU", .formula = "x if x > 0 else r*x, r ~ U(lower, upper); eval r = mean",
                 .derivative = "1 or r",
                 PARAMS(PF("lower", 1.0 / 8.0, "1/8"), PF("upper", 1.0 / 3.0, "1/3"), PINPLACE),
                 .has_kink = true, .kink_text = "r at x = 0 (eval: (lower+upper)/2)", .stochastic = true},
        .kinks = rrelu_kinks, .gain = rrelu_gain, .check = rrelu_check,
        .eval_f64 = al_ref_rrelu, .kernel = AL_KERNEL_RRELU, .resolve = rrelu_resolve,
    },
    [AL_ACT_ELU] = {
        .info = {.id = AL_ACT_ELU, .name = "ELU", .formula = "x if x > 0 else alpha*(exp(x) - 1)",
                 .derivative = "1 or alpha*exp(x)", PARAMS(PF("alpha", 1.0, "1.0"), PINPLACE),
                 .has_kink = true, .kink_text = "alpha at x = 0"},
        .kinks = elu_kinks, .gain = gain_relu,
        .eval_f64 = al_ref_elu, .kernel = AL_KERNEL_ELU, .resolve = elu_resolve,
    },
    [AL_ACT_CELU] = {
        .info = {.id = AL_ACT_CELU, .name = "CELU", .formula = "max(0,x) + min(0, alpha*(exp(x/alpha) - 1))",
                 .derivative = "1 or exp(x/alpha)", PARAMS(PF("alpha", 1.0, "1.0"), PINPLACE),
                 .has_kink = true, .kink_text = "1 at x = 0"},
        .kinks = celu_kinks, .gain = gain_relu, .check = celu_check,
        .eval_f64 = al_ref_celu, .kernel = AL_KERNEL_ELU, .resolve = celu_resolve,
    },
    [AL_ACT_SELU] = {
        .info = {.id = AL_ACT_SELU, .name = "SELU", .formula = "lambda*(x if x > 0 else alpha*(exp(x) - 1))",
                 .derivative = "lambda or lambda*alpha*exp(x)", PARAMS(PINPLACE),
                 .has_kink = true, .kink_text = "lambda*alpha = 1.7581 at x = 0"},
        .kinks = selu_kinks, .gain = selu_gain,
        .eval_f64 = al_ref_selu, .kernel = AL_KERNEL_ELU, .resolve = selu_resolve,
    },
    [AL_ACT_GELU] = {
        .info = {.id = AL_ACT_GELU, .name = "GELU", .formula = "x*Phi(x); 'tanh': 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))",
                 .derivative = "Phi(x) + x*phi(x)",
                 PARAMS({.name = "approximate", .type = AL_PARAM_CHOICE, .max = 1,
                         .choices = gelu_choices, .default_text = "'none'"}),
                 .kink_text = ""},
        .gain = gain_relu,
        .eval_f64 = al_ref_gelu, .kernel = AL_KERNEL_GELU, .resolve = gelu_resolve,
    },
    [AL_ACT_SILU] = {
        .info = {.id = AL_ACT_SILU, .name = "SiLU", .formula = "x*sigmoid(x)",
                 .derivative = "s(x)(1 + x(1 - s(x)))", PARAMS(PINPLACE), .kink_text = ""},
        .gain = gain_relu,
        .eval_f64 = al_ref_silu, .kernel = AL_KERNEL_SILU,
    },
    [AL_ACT_MISH] = {
        .info = {.id = AL_ACT_MISH, .name = "Mish", .formula = "x*tanh(softplus(x))",
                 .derivative = "tanh(sp) + x*sigmoid(x)(1 - tanh(sp)^2)", PARAMS(PINPLACE), .kink_text = ""},
        .gain = gain_relu,
        .eval_f64 = al_ref_mish, .kernel = AL_KERNEL_MISH,
    },
    [AL_ACT_SOFTPLUS] = {
        .info = {.id = AL_ACT_SOFTPLUS, .name = "Softplus", .formula = "log(1 + exp(beta*x))/beta; x if beta*x > threshold",
                 .derivative = "sigmoid(beta*x); 1 if beta*x > threshold",
                 PARAMS(PF("beta", 1.0, "1.0"), PF("threshold", 20.0, "20.0")), .kink_text = ""},
        .gain = gain_relu, .check = softplus_check,
        .eval_f64 = al_ref_softplus, .kernel = AL_KERNEL_SOFTPLUS, .resolve = softplus_resolve,
    },
    [AL_ACT_SOFTSIGN] = {
        .info = {.id = AL_ACT_SOFTSIGN, .name = "Softsign", .formula = "x/(1 + |x|)",
                 .derivative = "1/(1 + |x|)^2",
                 .has_kink = true, .kink_text = "1 at x = 0", .saturating = true},
        .kinks = softsign_kinks,
        .eval_f64 = al_ref_softsign, .kernel = AL_KERNEL_SOFTSIGN,
    },
    [AL_ACT_TANH] = {
        .info = {.id = AL_ACT_TANH, .name = "Tanh", .formula = "tanh(x)",
                 .derivative = "1 - y^2", .kink_text = "", .saturating = true,
                 .uses_output = true},
        .gain = gain_tanh,
        .eval_f64 = al_ref_tanh, .kernel = AL_KERNEL_TANH,
    },
    [AL_ACT_SIGMOID] = {
        .info = {.id = AL_ACT_SIGMOID, .name = "Sigmoid", .formula = "1/(1 + exp(-x))",
                 .derivative = "y(1 - y)", .kink_text = "", .saturating = true,
                 .uses_output = true},
        .eval_f64 = al_ref_sigmoid, .kernel = AL_KERNEL_SIGMOID,
    },
    [AL_ACT_HARDTANH] = {
        .info = {.id = AL_ACT_HARDTANH, .name = "Hardtanh", .formula = "clamp(x, min_val, max_val)",
                 .derivative = "1 if min_val < x < max_val else 0",
                 PARAMS(PF("min_val", -1.0, "-1.0"), PF("max_val", 1.0, "1.0"), PINPLACE),
                 .has_kink = true, .kink_text = "0 at x = min_val and x = max_val", .saturating = true},
        .kinks = hardtanh_kinks, .gain = gain_tanh, .check = hardtanh_check,
        .eval_f64 = al_ref_hardtanh, .kernel = AL_KERNEL_CLAMP, .resolve = hardtanh_resolve,
    },
    [AL_ACT_HARDSIGMOID] = {
        .info = {.id = AL_ACT_HARDSIGMOID, .name = "Hardsigmoid", .formula = "clamp(x/6 + 1/2, 0, 1)",
                 .derivative = "1/6 if -3 < x < 3 else 0", PARAMS(PINPLACE),
                 .has_kink = true, .kink_text = "0 at x = -3 and x = 3", .saturating = true},
        .kinks = hardsigmoid_kinks,
        .eval_f64 = al_ref_hardsigmoid, .kernel = AL_KERNEL_HARDSIGMOID,
    },
    [AL_ACT_HARDSWISH] = {
        .info = {.id = AL_ACT_HARDSWISH, .name = "Hardswish", .formula = "x*clamp(x + 3, 0, 6)/6",
                 .derivative = "x/3 + 1/2 on [-3, 3]; 0 below, 1 above", PARAMS(PINPLACE),
                 .has_kink = true, .kink_text = "-0.5 at x = -3, 1.5 at x = 3"},
        .kinks = hardswish_kinks, .gain = gain_relu,
        .eval_f64 = al_ref_hardswish, .kernel = AL_KERNEL_HARDSWISH,
    },
    [AL_ACT_LOGSIGMOID] = {
        .info = {.id = AL_ACT_LOGSIGMOID, .name = "LogSigmoid", .formula = "min(x, 0) - log1p(exp(-|x|))",
                 .derivative = "1 - sigmoid(x)", .kink_text = ""},
        .eval_f64 = al_ref_logsigmoid, .kernel = AL_KERNEL_LOGSIGMOID,
    },
    [AL_ACT_TANHSHRINK] = {
        .info = {.id = AL_ACT_TANHSHRINK, .name = "Tanhshrink", .formula = "x - tanh(x)",
                 .derivative = "tanh(x)^2", .kink_text = ""},
        .eval_f64 = al_ref_tanhshrink, .kernel = AL_KERNEL_TANHSHRINK,
    },
    [AL_ACT_SOFTSHRINK] = {
        .info = {.id = AL_ACT_SOFTSHRINK, .name = "Softshrink", .formula = "x - lambd if x > lambd; x + lambd if x < -lambd; else 0",
                 .derivative = "1 outside [-lambd, lambd], else 0", PARAMS(PF_NONNEG("lambd", 0.5, "0.5")),
                 .has_kink = true, .kink_text = "0 at x = -lambd and x = lambd"},
        .kinks = shrink_kinks,
        .eval_f64 = al_ref_softshrink, .kernel = AL_KERNEL_SOFTSHRINK, .resolve = shrink_resolve,
    },
    [AL_ACT_HARDSHRINK] = {
        .info = {.id = AL_ACT_HARDSHRINK, .name = "Hardshrink", .formula = "x if |x| > lambd else 0",
                 .derivative = "1 if |x| > lambd else 0", PARAMS(PF_NONNEG("lambd", 0.5, "0.5")),
                 .has_kink = true, .kink_text = "0 at x = -lambd and x = lambd"},
        .kinks = shrink_kinks,
        .eval_f64 = al_ref_hardshrink, .kernel = AL_KERNEL_HARDSHRINK, .resolve = shrink_resolve,
    },
    [AL_ACT_THRESHOLD] = {
        .info = {.id = AL_ACT_THRESHOLD, .name = "Threshold", .formula = "x if x > threshold else value",
                 .derivative = "1 if x > threshold else 0",
                 PARAMS(PREQ("threshold"), PREQ("value"), PINPLACE),
                 .has_kink = true, .kink_text = "0 at x = threshold"},
        .kinks = threshold_kinks,
        .eval_f64 = al_ref_threshold, .kernel = AL_KERNEL_THRESHOLD, .resolve = threshold_resolve,
    },
    [AL_ACT_IDENTITY] = {
        .info = {.id = AL_ACT_IDENTITY, .name = "Identity", .formula = "x",
                 .derivative = "1", .kink_text = ""},
        .eval_f64 = al_ref_identity, .kernel = AL_KERNEL_IDENTITY,
    },
};

const al_act_row *al_act_row_of(al_act_id id)
{
    return &table[id < AL_ACT_COUNT ? id : AL_ACT_IDENTITY];
}

const al_act_info *al_act_info_of(al_act_id id)
{
    return &al_act_row_of(id)->info;
}

int al_act_kinks(const al_act *a, double where[AL_ACT_MAX_KINKS], double deriv[AL_ACT_MAX_KINKS])
{
    const al_act_row *row = al_act_row_of(a->id);
    int n = row->kinks ? row->kinks(a->param, where, deriv) : 0;
    if (a->kink_set)
        for (int i = 0; i < n; i++)
            deriv[i] = a->kink;
    return n;
}

double al_act_gain(const al_act *a)
{
    const al_act_row *row = al_act_row_of(a->id);
    return row->gain ? row->gain(a->param) : 1.0;
}

size_t al_act_weight_count(const al_act *a)
{
    const al_act_row *row = al_act_row_of(a->id);
    return row->weight_count ? row->weight_count(a->param) : 0;
}

double al_act_init_weight(const al_act *a)
{
    const al_act_row *row = al_act_row_of(a->id);
    return row->init_weight ? row->init_weight(a->param) : NAN;
}
