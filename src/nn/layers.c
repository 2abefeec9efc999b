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

static al_shape features(size_t n)
{
    al_shape s = {1, {n, 0, 0, 0}};
    return s;
}

static al_shape matrix(size_t rows, size_t cols)
{
    al_shape s = {2, {rows, cols, 0, 0}};
    return s;
}

/* Layers that fix their input width from their own arguments (l->in). */
static al_status fixed_input(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                             al_error *err)
{
    if (in && al_shape_size(in) != l->in)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                "%s expects %zu input features, but the layer before it produces %zu",
                                l->module, l->in, al_shape_size(in));
    l->in_shape = features(l->in);
    l->out_shape = features(l->out);
    return AL_OK;
}

/* Layers whose output has their input's shape; they cannot come first. */
static al_status same_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                            al_error *err)
{
    if (!in)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                "the first module must fix the input size: start with "
                                "Linear(in_features, out_features) or BatchNorm1d(n)");
    l->in_shape = l->out_shape = *in;
    return AL_OK;
}

static al_tensor_decl param(const char *suffix, al_shape shape, float **value, float **grad, int no_decay)
{
    al_tensor_decl d = {suffix, AL_TENSOR_PARAM, no_decay, shape, value, grad, NULL};
    return d;
}

static al_tensor_decl buffer(const char *suffix, al_shape shape, float **value)
{
    al_tensor_decl d = {suffix, AL_TENSOR_BUFFER, 1, shape, value, NULL, NULL};
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

static al_status linear_configure(al_layer *l, const double *a, const al_spec *spec, const al_spec_module *m,
                                  al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->in = (size_t)a[0];
    l->out = (size_t)a[1];
    l->has_bias = a[2] != 0;
    return AL_OK;
}

static int linear_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    d[0] = param("weight", matrix(l->out, l->in), &l->weight, &l->dweight, 0);
    if (!l->has_bias)
        return 1;
    d[1] = param("bias", features(l->out), &l->bias, &l->dbias, 0);
    return 2;
}

/* Weights and biases as PyTorch initialises them, or by the chosen scheme
 * with the gain of the activation that follows. */
static void linear_init(al_layer *l, const al_layer_init *c)
{
    const al_init_scheme scheme = c->options->init;
    double fan_in = (double)l->in, fan_out = (double)l->out;
    double gain = c->next ? al_act_gain(c->next) : 1.0, bound = 1.0 / sqrt(fan_in);
    size_t nw = l->in * l->out;
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
    for (size_t i = 0; l->has_bias && i < l->out; i++)
        l->bias[i] = scheme == AL_INIT_PYTORCH ? (float)((2 * al_rng_uniform(c->rng) - 1) * bound) : 0.0f;
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
static al_status act_configure(al_layer *l, const double *a, const al_spec *spec, const al_spec_module *m,
                               al_error *err)
{
    (void)a;
    return al_act_from_module(spec, m, &l->act, err);
}

static al_status act_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                           al_error *err)
{
    al_status st = same_shape(l, in, spec, m, err);
    size_t nw = al_act_weight_count(&l->act), channels = l->in_shape.dim[0];
    if (st == AL_OK && nw > 1 && nw != channels)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                "%s has %zu slopes but its input has %zu features: use num_parameters=1 "
                                "or %zu", l->module, nw, channels, channels);
    return st;
}

static int act_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    size_t nw = al_act_weight_count(&l->act);
    if (nw == 0)
        return 0;
    d[0] = param("weight", features(nw), &l->weight, &l->dweight, 1);
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

/* ---- Dropout (inverted): y = x * mask, mask = 0 or 1/(1 - p) ---- */
static const al_param_info dropout_args[] = {{"p", AL_PARAM_FLOAT, 0, 0.5, 0, 1, 0, 0, NULL, "0.5"},
                                             {"inplace", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"}};

static al_status dropout_configure(al_layer *l, const double *a, const al_spec *spec, const al_spec_module *m,
                                   al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->p = a[0];
    return AL_OK;
}

static size_t dropout_scratch(const al_layer *l, size_t batch)
{
    return batch * l->out; /* the mask */
}

static void dropout_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
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
            mask[i] = al_hash_uniform(key, (uint32_t)i) < drop ? 0.0f : keep_scale;
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

/* ---- BatchNorm1d over [batch, C]: PyTorch's statistics and update rule ---- */
static const al_param_info batchnorm_args[] = {
    {"num_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"eps", AL_PARAM_FLOAT, 0, 1e-5, 0, INFINITY, 1, 1, NULL, "1e-05"},
    {"momentum", AL_PARAM_FLOAT, 0, 0.1, 0, 1, 0, 0, NULL, "0.1"},
    {"affine", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};

static al_status batchnorm_configure(al_layer *l, const double *a, const al_spec *spec,
                                     const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->in = l->out = (size_t)a[0];
    l->eps = a[1];
    l->momentum = a[2];
    l->affine = a[3] != 0;
    return AL_OK;
}

static int batchnorm_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    int n = 0;
    if (l->affine) {
        d[n++] = param("weight", features(l->out), &l->weight, &l->dweight, 1);
        d[n++] = param("bias", features(l->out), &l->bias, &l->dbias, 1);
    }
    d[n++] = buffer("running_mean", features(l->out), &l->running_mean);
    d[n++] = buffer("running_var", features(l->out), &l->running_var);
    al_tensor_decl count = {"num_batches_tracked", AL_TENSOR_COUNT, 1, {0, {0}}, NULL, NULL,
                            &l->batches_tracked};
    d[n++] = count;
    return n;
}

static void batchnorm_init(al_layer *l, const al_layer_init *c)
{
    (void)c;
    for (size_t k = 0; k < l->out; k++) {
        l->running_var[k] = 1.0f;
        if (l->affine)
            l->weight[k] = 1.0f;
    }
}

/* inv_std ([C], 1/sqrt(var + eps)) then xhat ([batch, C], the normalised input) */
static size_t batchnorm_scratch(const al_layer *l, size_t batch)
{
    return l->out + batch * l->out;
}

/* Statistics are per feature, so each thread normalises its own features. */
static void batchnorm_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const size_t n = p->batch, c_n = l->out;
    float *inv_stds = l->scratch, *xhat = l->scratch + c_n;
    size_t c0, c1;
    al_pass_share(p, c_n, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        double mean, var;
        if (p->training) {
            double s = 0, ss = 0;
            for (size_t r = 0; r < n; r++)
                s += x[r * c_n + c];
            mean = s / (double)n;
            for (size_t r = 0; r < n; r++) {
                double d = x[r * c_n + c] - mean;
                ss += d * d;
            }
            var = ss / (double)n; /* normalise with the biased variance */
            double unbiased = n > 1 ? ss / (double)(n - 1) : var;
            float m = (float)l->momentum;
            l->running_mean[c] = (1 - m) * l->running_mean[c] + m * (float)mean;
            l->running_var[c] = (1 - m) * l->running_var[c] + m * (float)unbiased;
        } else {
            mean = l->running_mean[c];
            var = l->running_var[c];
        }
        float inv_std = (float)(1.0 / sqrt(var + l->eps));
        float g = l->affine ? l->weight[c] : 1.0f, b = l->affine ? l->bias[c] : 0.0f;
        inv_stds[c] = inv_std;
        for (size_t r = 0; r < n; r++) {
            float xh = (x[r * c_n + c] - (float)mean) * inv_std;
            xhat[r * c_n + c] = xh;
            y[r * c_n + c] = xh * g + b;
        }
    }
    if (p->training && p->tid == 0)
        l->batches_tracked++;
}

static void batchnorm_backward(al_layer *l, const al_pass *p, const float *x, const float *y,
                               const float *dy, float *dx)
{
    (void)x, (void)y;
    const size_t n = p->batch, c_n = l->out;
    const float *inv_std = l->scratch, *xhat = l->scratch + c_n;
    size_t c0, c1;
    al_pass_share(p, c_n, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        double sum_dy = 0, sum_dy_xh = 0;
        for (size_t r = 0; r < n; r++) {
            sum_dy += dy[r * c_n + c];
            sum_dy_xh += (double)dy[r * c_n + c] * xhat[r * c_n + c];
        }
        if (l->affine) {
            grad_put(p, &l->dweight[c], (float)sum_dy_xh);
            grad_put(p, &l->dbias[c], (float)sum_dy);
        }
        if (!dx)
            continue;
        float g = l->affine ? l->weight[c] : 1.0f;
        if (!p->training) { /* running statistics are constants */
            for (size_t r = 0; r < n; r++)
                dx[r * c_n + c] = dy[r * c_n + c] * g * inv_std[c];
            continue;
        }
        /* dx = g/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        double mean_dy = sum_dy / (double)n, mean_dy_xh = sum_dy_xh / (double)n;
        for (size_t r = 0; r < n; r++)
            dx[r * c_n + c] = (float)((double)g * inv_std[c] *
                                      (dy[r * c_n + c] - mean_dy - xhat[r * c_n + c] * mean_dy_xh));
    }
}

static const al_layer_type batchnorm_type = {
    .kind = AL_LAYER_BATCHNORM, .module = "BatchNorm1d", .kind_name = "batchnorm",
    .args = batchnorm_args, .n_args = 4, .dx_optional = 1,
    .configure = batchnorm_configure, .shape = fixed_input, .tensors = batchnorm_tensors,
    .init = batchnorm_init, .scratch = batchnorm_scratch,
    .forward = batchnorm_forward, .backward = batchnorm_backward};

/* ---- Flatten and Identity: the data passes through ---- */
static const al_param_info flatten_args[] = {{"start_dim", AL_PARAM_INT, 0, 1, 1, 1, 0, 0, NULL, "1"},
                                             {"end_dim", AL_PARAM_INT, 0, -1, -1, -1, 0, 0, NULL, "-1"}};

/* [C, H, W] -> [C*H*W]: all dimensions after the batch become one. */
static al_status flatten_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                               al_error *err)
{
    al_status st = same_shape(l, in, spec, m, err);
    if (st == AL_OK)
        l->out_shape = features(al_shape_size(in));
    return st;
}

static const al_layer_type flatten_type = {
    .kind = AL_LAYER_FLATTEN, .module = "Flatten", .kind_name = "flatten",
    .args = flatten_args, .n_args = 2, .dx_optional = 1,
    .shape = flatten_shape, .forward = copy_forward, .backward = copy_backward};

/* nn.Identity is a module of its own; the activation table also lists it
 * (for `act` and the studies), so this row must come before the activations. */
static const al_layer_type identity_type = {
    .kind = AL_LAYER_IDENTITY, .module = "Identity", .kind_name = "identity", .dx_optional = 1,
    .shape = same_shape, .forward = copy_forward, .backward = copy_backward};

/* ---- the table ---- */
static const al_layer_type *const types[] = {&linear_type,   &dropout_type,  &batchnorm_type,
                                             &flatten_type,  &identity_type, &activation_type};
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
