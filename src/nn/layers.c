/* The layer kinds, one row each (as KANN's kad_op_* functions keep an
 * operation together): constructor arguments, shape inference, the tensors
 * it registers and their initialisation, scratch, forward and backward side
 * by side (llm.c style). Layouts follow PyTorch: Linear's weight is
 * [out, in]; x is [batch, in]. A pass computes the calling thread's share of
 * the output features for every row (al_pass_share; the whole layer when the
 * team is one thread), and the row's `split` says what it reads (layer.h).
 * Adding a kind means: its functions, its row, its entry in `types`, its
 * test (tests/test_threads.c runs passes on one thread and on two). */
#include "nn/layer.h"

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

size_t al_shape_size(const al_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->dim[i];
    return n;
}

int al_shape_known(const al_shape *s)
{
    return al_shape_size(s) > 0;
}

char *al_shape_str(const al_shape *s, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i <= s->rank && used < size; i++) {
        int w;
        if (i == s->rank)
            w = snprintf(buf + used, size - used, "]");
        else if (s->dim[i])
            w = snprintf(buf + used, size - used, "%s%zu", i ? ", " : "[", s->dim[i]);
        else
            w = snprintf(buf + used, size - used, "%s?", i ? ", " : "[");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (s->rank == 0)
        snprintf(buf, size, "[]");
    return buf;
}

al_shape al_shape_features(size_t n)
{
    al_shape s = {1, {n, 0, 0, 0}};
    return s;
}

static al_shape matrix(size_t rows, size_t cols)
{
    al_shape s = {2, {rows, cols, 0, 0}};
    return s;
}

al_status al_layer_shape_error(const al_layer *l, const al_spec *spec, const al_spec_module *m, al_error *err,
                               const char *fmt, ...)
{
    char msg[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (spec && m)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE, "%s (module %d) %s", l->module,
                                l->index, msg);
    return al_error_set(err, AL_ERR_SHAPE, "%s (module %d) %s", l->module, l->index, msg);
}

al_status al_layer_need_image(const al_layer *l, const al_shape *in, size_t channels, const al_spec *spec,
                              const al_spec_module *m, al_error *err)
{
    char text[96];
    if (in->rank != 3)
        return al_layer_shape_error(l, spec, m, err, "takes images [C, H, W] (4-D with the batch), but its "
                                    "input is %s%s", al_shape_str(in, text, sizeof text),
                                    l->index == 0 ? " (give the data's shape, or start the model with "
                                                    "Unflatten(1, (C, H, W)))" : "");
    if (channels && in->dim[0] != channels)
        return al_layer_shape_error(l, spec, m, err, "expects %zu input channels, but its input is %s",
                                    channels, al_shape_str(in, text, sizeof text));
    return AL_OK;
}

/* Layers that fix their input width from their own arguments (l->in). The
 * data may come in any shape of that many values (rows are flat in memory);
 * after another layer the input must be [features]: PyTorch would apply a
 * Linear to the last dimension of [C, H, W], so a Flatten() has to say it. */
static al_status fixed_input(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                             al_error *err)
{
    char text[96];
    if (in && l->index > 0 && in->rank > 1)
        return al_layer_shape_error(l, spec, m, err, "takes [features], but the layer before it produces %s: "
                                    "put Flatten() before it", al_shape_str(in, text, sizeof text));
    if (in && al_shape_known(in) && al_shape_size(in) != l->in)
        return al_layer_shape_error(l, spec, m, err, "takes %zu input features, but %s %zu (%s)", l->in,
                                    l->index ? "the layer before it produces" : "the input has",
                                    al_shape_size(in), al_shape_str(in, text, sizeof text));
    l->in_shape = al_shape_features(l->in);
    l->out_shape = al_shape_features(l->out);
    return AL_OK;
}

/* Layers whose output has their input's shape; they cannot come first
 * unless the input's shape is given. */
static al_status same_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                            al_error *err)
{
    if (!in)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                "the first module must fix the input size: start with "
                                "Linear(in_features, out_features), Conv2d(...), BatchNorm1d(n) or "
                                "Unflatten(1, (C, H, W))");
    l->in_shape = l->out_shape = *in;
    return AL_OK;
}

al_tensor_decl al_layer_param(const char *suffix, al_shape shape, float **value, float **grad, int no_decay)
{
    al_tensor_decl d = {suffix, AL_TENSOR_PARAM, no_decay, shape, value, grad, NULL};
    return d;
}

/* This thread's columns of a [batch, n] tensor: y = x there (no-op in place). */
static void copy_share(const al_pass *p, size_t n, const float *x, float *y)
{
    size_t c0, c1;
    al_pass_share(p, n, &c0, &c1);
    if (y == x || c1 <= c0)
        return;
    for (size_t r = 0; r < p->batch; r++)
        memcpy(y + r * n + c0, x + r * n + c0, (c1 - c0) * sizeof(float));
}

static void copy_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    copy_share(p, l->out, x, y);
}

static void copy_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                          float *dx)
{
    (void)x;
    (void)y;
    if (dx)
        copy_share(p, l->out, dy, dx);
}

/* g (+)= v, as the pass asks (backward writes gradients, or adds to them). */
static inline void grad_put(const al_pass *p, float *g, float v)
{
    *g = p->accumulate ? *g + v : v;
}

/* ---- Linear: y = x W^T + b ---- */
static const al_param_info linear_args[] = {
    {"in_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"out_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"bias", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};

static al_status linear_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                  const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->in = (size_t)a[0].v[0];
    l->out = (size_t)a[1].v[0];
    l->has_bias = a[2].v[0] != 0;
    return AL_OK;
}

static int linear_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    d[0] = al_layer_param("weight", matrix(l->out, l->in), &l->weight, &l->dweight, 0);
    if (!l->has_bias)
        return 1;
    d[1] = al_layer_param("bias", al_shape_features(l->out), &l->bias, &l->dbias, 0);
    return 2;
}

/* Weights and biases as PyTorch initialises them, or by the chosen scheme
 * with the gain of the activation that follows. fan_in and fan_out are
 * PyTorch's: a weight's dimension 1 and 0 times the kernel's area. */
void al_layer_init_weights(al_layer *l, const al_layer_init *c, size_t nw, double fan_in, double fan_out)
{
    const al_init_scheme scheme = c->options->init;
    double gain = c->next ? al_act_gain(c->next) : 1.0, bound = 1.0 / sqrt(fan_in);
    for (size_t i = 0; i < nw; i++) {
        double u = 2 * al_rng_uniform(c->rng) - 1, w;
        switch (scheme) {
        case AL_INIT_XAVIER_UNIFORM: w = u * gain * sqrt(6.0 / (fan_in + fan_out)); break;
        case AL_INIT_XAVIER_NORMAL: w = al_rng_normal(c->rng) * gain * sqrt(2.0 / (fan_in + fan_out)); break;
        case AL_INIT_KAIMING_UNIFORM: w = u * gain * sqrt(3.0 / fan_in); break;
        case AL_INIT_KAIMING_NORMAL: w = al_rng_normal(c->rng) * gain / sqrt(fan_in); break;
        case AL_INIT_LECUN_NORMAL: w = al_rng_normal(c->rng) / sqrt(fan_in); break;
        default: w = u * bound; break; /* kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)) */
        }
        l->weight[i] = (float)w;
    }
    for (size_t i = 0; l->has_bias && i < l->out_shape.dim[0]; i++)
        l->bias[i] = scheme == AL_INIT_PYTORCH ? (float)((2 * al_rng_uniform(c->rng) - 1) * bound) : 0.0f;
}

static void linear_init(al_layer *l, const al_layer_init *c)
{
    al_layer_init_weights(l, c, l->in * l->out, (double)l->in, (double)l->out);
}

/* C = op(A) op(B) + beta C, row-major, through oneDNN on the calling thread
 * (inside the team's parallel region oneDNN runs sequentially). */
static void gemm(const al_pass *p, char ta, char tb, size_t m, size_t n, size_t k, const float *a, size_t lda,
                 const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (dnnl_sgemm(ta, tb, (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, 1.0f, a, (dnnl_dim_t)lda, b,
                   (dnnl_dim_t)ldb, beta, c, (dnnl_dim_t)ldc) != dnnl_success)
        *p->fault = AL_ERR_NOMEM;
}

/* Output features [c0, c1): y[:, c0:c1] = x W[c0:c1]^T + b[c0:c1]. */
static void linear_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const size_t n = p->batch, in = l->in, out = l->out;
    size_t c0, c1;
    al_pass_share(p, out, &c0, &c1);
    if (c1 <= c0)
        return;
    if (l->has_bias)
        for (size_t r = 0; r < n; r++)
            memcpy(y + r * out + c0, l->bias + c0, (c1 - c0) * sizeof(float));
    gemm(p, 'N', 'T', n, c1 - c0, in, x, in, l->weight + c0 * in, in, l->has_bias ? 1.0f : 0.0f, y + c0, out);
}

/* The rows [c0, c1) of dW and db (from this thread's columns of dy), and the
 * columns of dx this thread owns in the layer below (from every column of dy). */
static void linear_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                            float *dx)
{
    (void)y;
    const size_t n = p->batch, in = l->in, out = l->out;
    const float beta = p->accumulate ? 1.0f : 0.0f;
    size_t c0, c1, d0, d1;
    al_pass_share(p, out, &c0, &c1);
    /* dW += dy^T x ; db += column sums of dy ; dx = dy W */
    gemm(p, 'T', 'N', c1 > c0 ? c1 - c0 : 0, in, n, dy + c0, out, x, in, beta, l->dweight + c0 * in, in);
    if (l->has_bias && c1 > c0) {
        float *db = l->dbias;
        if (!p->accumulate)
            memset(db + c0, 0, (c1 - c0) * sizeof(float));
        for (size_t r = 0; r < n; r++) {
            const float *row = dy + r * out;
            for (size_t j = c0; j < c1; j++)
                db[j] += row[j];
        }
    }
    if (!dx)
        return;
    al_pass_share(p, in, &d0, &d1);
    gemm(p, 'N', 'N', n, d1 > d0 ? d1 - d0 : 0, out, dy, out, l->weight + d0, in, 0.0f, dx + d0, in);
}

static const al_layer_type linear_type = {
    .kind = AL_LAYER_LINEAR, .module = "Linear", .kind_name = "linear",
    .args = linear_args, .n_args = 3, .gain_init = 1, .dx_optional = 1, .split = AL_SPLIT_ALL_IN,
    .configure = linear_configure, .shape = fixed_input, .tensors = linear_tensors,
    .init = linear_init, .forward = linear_forward, .backward = linear_backward};

/* ---- activations: the activation table does the work ---- */
static al_status act_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                               const al_spec_module *m, al_error *err)
{
    (void)a;
    return al_act_from_module(spec, m, &l->act, err);
}

static al_status act_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                           al_error *err)
{
    al_status st = same_shape(l, in, spec, m, err);
    size_t nw = al_act_weight_count(&l->act), channels = l->in_shape.dim[0];
    char text[96];
    if (st == AL_OK && nw > 1 && channels && nw != channels) /* 0: known once the data is */
        return al_layer_shape_error(l, spec, m, err, "has %zu slopes, one per channel, but its input is %s "
                                    "(%zu channels): use num_parameters=1 or %zu", nw,
                                    al_shape_str(&l->in_shape, text, sizeof text), channels, channels);
    return st;
}

static int act_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    size_t nw = al_act_weight_count(&l->act);
    if (nw == 0)
        return 0;
    d[0] = al_layer_param("weight", al_shape_features(nw), &l->weight, &l->dweight, 1);
    return 1;
}

/* Learnable weights start where the activation table says (PReLU's init, 0.25). */
static void act_init(al_layer *l, const al_layer_init *c)
{
    (void)c;
    float start = (float)al_act_init_weight(&l->act);
    size_t nw = al_act_weight_count(&l->act);
    for (size_t k = 0; k < nw; k++)
        l->weight[k] = start;
}

/* The run for this thread's columns of a [batch, out] tensor. */
static al_act_run act_run(const al_layer *l, const al_pass *p)
{
    /* PReLU's channels are dimension 1 of [batch, C, ...] */
    al_act_run run = al_act_run_default();
    run.channels = l->out_shape.dim[0];
    run.inner = l->out / run.channels;
    run.training = p->training;
    run.seed = al_mix64(p->seed ^ ((uint64_t)l->index << 32));
    run.threads = 1;
    if (p->team > 1) {
        run.row_length = l->out;
        al_pass_share(p, l->out, &run.col_begin, &run.col_end);
    }
    return run;
}

static void act_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    al_act_run run = act_run(l, p);
    al_act_forward_f32(&l->act, &run, p->batch * l->out, x, y, l->weight);
}

static void act_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                         float *dx)
{
    al_act_run run = act_run(l, p);
    size_t nw = al_act_weight_count(&l->act), w0, w1;
    al_pass_share(p, nw, &w0, &w1); /* per-feature slopes split with the features (act_split) */
    if (!p->accumulate && w1 > w0)
        memset(l->dweight + w0, 0, (w1 - w0) * sizeof(float));
    al_act_backward_f32(&l->act, &run, p->batch * l->out, x, y, dy, dx, l->weight, l->dweight);
}

static void act_derivative(const al_layer *l, const al_pass *p, const float *x, const float *y,
                           const float *ones, float *d)
{
    al_act_run run = act_run(l, p);
    al_act_backward_f32(&l->act, &run, p->batch * l->out, x, y, ones, d, l->weight, NULL);
}

/* A learned weight shared by every feature (PReLU()) sums its gradient over
 * all of them: one thread runs that backward. Weights per channel of a
 * [batch, C, H, W] tensor span several features each, so one thread runs
 * both passes. Per-feature weights split like the rest. */
static al_split act_split(const al_layer *l, int backward)
{
    size_t nw = al_act_weight_count(&l->act);
    if ((nw > 1 && nw != l->out) || (backward && nw == 1))
        return AL_SPLIT_NONE;
    return AL_SPLIT_OWN;
}

static const al_layer_type activation_type = {
    .kind = AL_LAYER_ACTIVATION, .module = NULL, .kind_name = "activation", .is_activation = 1,
    .split_of = act_split, .configure = act_configure, .shape = act_shape, .tensors = act_tensors, .init = act_init,
    .forward = act_forward, .backward = act_backward, .derivative = act_derivative};

/* ---- Dropout (inverted): y = x * mask, mask = 0 or 1/(1 - p); Dropout2d
 * draws one mask value per channel of each example ---- */
static const al_param_info dropout_args[] = {{"p", AL_PARAM_FLOAT, 0, 0.5, 0, 1, 0, 0, NULL, "0.5"},
                                             {"inplace", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"}};

static al_status dropout_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                   const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->p = a[0].v[0];
    return AL_OK;
}

static al_status dropout2d_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                                 al_error *err)
{
    al_status st = same_shape(l, in, spec, m, err);
    return st == AL_OK ? al_layer_need_image(l, in, 0, spec, m, err) : st;
}

static size_t dropout_scratch(const al_layer *l, size_t batch)
{
    return batch * l->out; /* the mask */
}

/* Values per mask draw: 1 for Dropout, a channel's H*W for Dropout2d. */
static size_t dropout_group(const al_layer *l)
{
    return l->type->kind == AL_LAYER_DROPOUT2D ? l->out / l->out_shape.dim[0] : 1;
}

static void dropout_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    size_t group = dropout_group(l);
    if (!p->training || l->p == 0) {
        copy_forward(l, p, x, y);
        return;
    }
    float *mask = l->scratch;
    al_hash_key key = al_hash_key_from_seed(al_mix64(p->seed ^ ((uint64_t)l->index << 40)));
    float keep_scale = l->p >= 1 ? 0.0f : (float)(1.0 / (1.0 - l->p)), drop = (float)l->p;
    size_t c0, c1;
    al_pass_share(p, l->out, &c0, &c1);
    for (size_t r = 0; r < p->batch; r++)
        for (size_t i = r * l->out + c0; i < r * l->out + c1; i++) {
            /* Dropout2d: one draw per channel of each example, whichever thread asks */
            mask[i] = al_hash_uniform(key, (uint32_t)(group == 1 ? i : i / group)) < drop ? 0.0f : keep_scale;
            y[i] = x[i] * mask[i];
        }
}

static void dropout_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                             float *dx)
{
    if (!dx || !p->training || l->p == 0) {
        copy_backward(l, p, x, y, dy, dx);
        return;
    }
    const float *mask = l->scratch;
    size_t c0, c1;
    al_pass_share(p, l->out, &c0, &c1);
    for (size_t r = 0; r < p->batch; r++)
        for (size_t i = r * l->out + c0; i < r * l->out + c1; i++)
            dx[i] = dy[i] * mask[i];
}

static const al_layer_type dropout_type = {
    .kind = AL_LAYER_DROPOUT, .module = "Dropout", .kind_name = "dropout",
    .args = dropout_args, .n_args = 2, .dx_optional = 1,
    .configure = dropout_configure, .shape = same_shape, .scratch = dropout_scratch,
    .forward = dropout_forward, .backward = dropout_backward};

static const al_layer_type dropout2d_type = {
    .kind = AL_LAYER_DROPOUT2D, .module = "Dropout2d", .kind_name = "dropout2d",
    .args = dropout_args, .n_args = 2, .dx_optional = 1,
    .configure = dropout_configure, .shape = dropout2d_shape, .scratch = dropout_scratch,
    .forward = dropout_forward, .backward = dropout_backward};

/* ---- Flatten, Unflatten and Identity: the data passes through ---- */
static const al_param_info flatten_args[] = {{"start_dim", AL_PARAM_INT, 0, 1, 1, 1, 0, 0, NULL, "1"},
                                             {"end_dim", AL_PARAM_INT, 0, -1, -1, -1, 0, 0, NULL, "-1"}};

/* [C, H, W] -> [C*H*W]: all dimensions after the batch become one. */
static al_status flatten_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                               al_error *err)
{
    al_status st = same_shape(l, in, spec, m, err);
    if (st == AL_OK)
        l->out_shape = al_shape_features(al_shape_size(in));
    return st;
}

static const al_layer_type flatten_type = {
    .kind = AL_LAYER_FLATTEN, .module = "Flatten", .kind_name = "flatten",
    .args = flatten_args, .n_args = 2, .dx_optional = 1,
    .shape = flatten_shape, .forward = copy_forward, .backward = copy_backward};

/* Unflatten(1, (C, H, W)): [C*H*W] -> [C, H, W]; first in a model, it fixes
 * the input (flat data such as CSV rows into a convolution). */
static const al_param_info unflatten_args[] = {
    {"dim", AL_PARAM_INT, 1, NAN, 1, 1, 0, 0, NULL, "required"},
    {"unflattened_size", AL_PARAM_INT_TUPLE, 1, NAN, 1, 1e9, 0, 0, NULL, "required"}};

static al_status unflatten_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                     const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->out_shape.rank = a[1].n > AL_SHAPE_MAX_RANK ? AL_SHAPE_MAX_RANK : a[1].n;
    for (int k = 0; k < l->out_shape.rank; k++)
        l->out_shape.dim[k] = (size_t)a[1].v[k];
    l->in = al_shape_size(&l->out_shape);
    return AL_OK;
}

static al_status unflatten_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                                 al_error *err)
{
    char text[96], want[96];
    if (in && (in->rank != 1 || (al_shape_known(in) && in->dim[0] != l->in)))
        return al_layer_shape_error(l, spec, m, err, "makes %s of %zu values, but its input is %s",
                                    al_shape_str(&l->out_shape, want, sizeof want), l->in,
                                    al_shape_str(in, text, sizeof text));
    l->in_shape = al_shape_features(l->in);
    return AL_OK;
}

static const al_layer_type unflatten_type = {
    .kind = AL_LAYER_UNFLATTEN, .module = "Unflatten", .kind_name = "unflatten",
    .args = unflatten_args, .n_args = 2, .dx_optional = 1, .configure = unflatten_configure,
    .shape = unflatten_shape, .forward = copy_forward, .backward = copy_backward};

/* nn.Identity is a module of its own; the activation table also lists it
 * (for `act` and the studies), so this row must come before the activations. */
static const al_layer_type identity_type = {
    .kind = AL_LAYER_IDENTITY, .module = "Identity", .kind_name = "identity", .dx_optional = 1,
    .shape = same_shape, .forward = copy_forward, .backward = copy_backward};

/* ---- the table ---- */
static const al_layer_type *const types[] = {
    &linear_type,   &al_conv2d_type,  &al_maxpool2d_type, &al_avgpool2d_type, &al_adaptive_avgpool2d_type,
    &dropout_type,  &dropout2d_type,  &al_batchnorm_type, &al_batchnorm2d_type, &flatten_type,
    &unflatten_type, &identity_type,  &activation_type};
#define N_TYPES (sizeof types / sizeof types[0])

const al_layer_type *al_layer_type_find(const char *module)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (types[i]->module && strcmp(types[i]->module, module) == 0)
            return types[i];
    al_act_id id;
    return al_act_find(module, &id, NULL) == AL_OK ? &activation_type : NULL;
}

al_status al_layer_unknown(const al_spec *spec, const al_spec_module *m, al_error *err)
{
    /* suggest from layers and activations together; names both know are
     * listed once, in the activation table's order */
    const char *names[N_TYPES + AL_ACT_COUNT];
    size_t n = 0;
    al_act_id id;
    for (size_t i = 0; i < N_TYPES; i++)
        if (types[i]->module && al_act_find(types[i]->module, &id, NULL) != AL_OK)
            names[n++] = types[i]->module;
    for (int i = 0; i < AL_ACT_COUNT; i++)
        names[n++] = al_act_info_of((al_act_id)i)->name;
    char close[256];
    al_closest_names(m->name, names, n, close, sizeof close);
    return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID,
                            "unknown module '%s': did you mean %s?", m->name, close);
}

const char *al_layer_kind_name(al_layer_kind kind)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (types[i]->kind == kind)
            return types[i]->kind_name;
    return "?";
}
