/* Batch normalisation over [batch, C] (BatchNorm1d) and [batch, C, H, W]
 * (BatchNorm2d): PyTorch's statistics (the biased variance normalises, the
 * unbiased one enters the running estimate) and its update rule. One code
 * path for both: a channel's values are `inner` contiguous floats in each
 * example (1 for BatchNorm1d, H*W for BatchNorm2d). Statistics are per
 * channel, so in a net's team each thread normalises its own channels over
 * every row: BatchNorm1d's are its features (AL_SPLIT_OWN), BatchNorm2d's
 * an even share of C (AL_SPLIT_CHANNELS). */
#include "nn/layer.h"

#include <math.h>
#include <string.h>

static const al_param_info batchnorm_args[] = {
    {"num_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"eps", AL_PARAM_FLOAT, 0, 1e-5, 0, INFINITY, 1, 1, NULL, "1e-05"},
    {"momentum", AL_PARAM_FLOAT, 0, 0.1, 0, 1, 0, 0, NULL, "0.1"},
    {"affine", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};

static al_status batchnorm_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                     const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    l->channels = l->in = l->out = (size_t)a[0].v[0];
    l->eps = a[1].v[0];
    l->momentum = a[2].v[0];
    l->affine = a[3].v[0] != 0;
    return AL_OK;
}

/* BatchNorm1d: [C] in and out. */
static al_status batchnorm1d_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                                   al_error *err)
{
    char text[96];
    if (in && l->index > 0 && in->rank > 1)
        return al_layer_shape_error(l, spec, m, err, "takes [features], but the layer before it produces %s: "
                                    "use BatchNorm2d(%zu) on images, or Flatten() first",
                                    al_shape_str(in, text, sizeof text), in->dim[0]);
    if (in && al_shape_known(in) && al_shape_size(in) != l->channels)
        return al_layer_shape_error(l, spec, m, err, "takes %zu input features, but %s %zu (%s)", l->channels,
                                    l->index ? "the layer before it produces" : "the input has",
                                    al_shape_size(in), al_shape_str(in, text, sizeof text));
    l->in_shape = l->out_shape = al_shape_features(l->channels);
    return AL_OK;
}

/* BatchNorm2d: [C, H, W] in and out; first in a model, H and W come later. */
static al_status batchnorm2d_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                                   al_error *err)
{
    al_shape unknown = {3, {l->channels, 0, 0, 0}};
    al_status st = al_layer_need_image(l, in ? in : &unknown, l->channels, spec, m, err);
    if (st == AL_OK)
        l->in_shape = l->out_shape = in ? *in : unknown;
    return st;
}

static int batchnorm_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    int n = 0;
    al_shape c = al_shape_features(l->channels);
    if (l->affine) {
        d[n++] = al_layer_param("weight", c, &l->weight, &l->dweight, 1);
        d[n++] = al_layer_param("bias", c, &l->bias, &l->dbias, 1);
    }
    al_tensor_decl mean = {"running_mean", AL_TENSOR_BUFFER, 1, c, &l->running_mean, NULL, NULL};
    al_tensor_decl var = {"running_var", AL_TENSOR_BUFFER, 1, c, &l->running_var, NULL, NULL};
    al_tensor_decl count = {"num_batches_tracked", AL_TENSOR_COUNT, 1, {0, {0}}, NULL, NULL,
                            &l->batches_tracked};
    d[n++] = mean;
    d[n++] = var;
    d[n++] = count;
    return n;
}

static void batchnorm_init(al_layer *l, const al_layer_init *c)
{
    (void)c;
    for (size_t k = 0; k < l->channels; k++) {
        l->running_var[k] = 1.0f;
        if (l->affine)
            l->weight[k] = 1.0f;
    }
}

/* inv_std ([C], 1/sqrt(var + eps)) then xhat ([batch, C, inner], the normalised input) */
static size_t batchnorm_scratch(const al_layer *l, size_t batch)
{
    return l->channels + batch * l->out;
}

/* This thread's channels [*c0, *c1). */
static void channel_share(const al_layer *l, const al_pass *p, size_t *c0, size_t *c1)
{
    if (l->type->split == AL_SPLIT_CHANNELS)
        al_share_even(l->channels, p->tid, p->team, c0, c1);
    else
        al_pass_share(p, l->channels, c0, c1);
}

/* Sum over channel c of x ([n, C, inner]) of (x - shift)^k for k = 1, 2, in double. */
static void channel_sums(const float *x, size_t n, size_t c_n, size_t inner, size_t c, double shift,
                         double *s1, double *s2)
{
    double a = 0, b = 0;
    for (size_t r = 0; r < n; r++) {
        const float *row = x + (r * c_n + c) * inner;
        for (size_t i = 0; i < inner; i++) {
            double d = row[i] - shift;
            a += d;
            b += d * d;
        }
    }
    *s1 = a;
    *s2 = b;
}

static void batchnorm_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const size_t n = p->batch, c_n = l->channels, inner = l->out / c_n, count = n * inner;
    float *inv_stds = l->scratch, *xhat = l->scratch + c_n;
    size_t c0, c1;
    channel_share(l, p, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        double mean, var, s, ss;
        if (p->training) {
            channel_sums(x, n, c_n, inner, c, 0.0, &s, &ss);
            mean = s / (double)count;
            channel_sums(x, n, c_n, inner, c, mean, &s, &ss);
            var = ss / (double)count; /* normalise with the biased variance */
            double unbiased = count > 1 ? ss / (double)(count - 1) : var;
            float m = (float)l->momentum;
            l->running_mean[c] = (1 - m) * l->running_mean[c] + m * (float)mean;
            l->running_var[c] = (1 - m) * l->running_var[c] + m * (float)unbiased;
        } else {
            mean = l->running_mean[c];
            var = l->running_var[c];
        }
        float inv_std = (float)(1.0 / sqrt(var + l->eps)), fmean = (float)mean;
        float g = l->affine ? l->weight[c] : 1.0f, b = l->affine ? l->bias[c] : 0.0f;
        inv_stds[c] = inv_std;
        for (size_t r = 0; r < n; r++) {
            size_t at = (r * c_n + c) * inner;
            for (size_t i = 0; i < inner; i++) {
                float xh = (x[at + i] - fmean) * inv_std;
                xhat[at + i] = xh;
                y[at + i] = xh * g + b;
            }
        }
    }
    if (p->training && p->tid == 0)
        l->batches_tracked++;
}

static void batchnorm_backward(al_layer *l, const al_pass *p, const float *x, const float *y,
                               const float *dy, float *dx)
{
    (void)x, (void)y;
    const size_t n = p->batch, c_n = l->channels, inner = l->out / c_n, count = n * inner;
    const float *inv_std = l->scratch, *xhat = l->scratch + c_n;
    size_t c0, c1;
    channel_share(l, p, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        double sum_dy = 0, sum_dy_xh = 0;
        for (size_t r = 0; r < n; r++) {
            size_t at = (r * c_n + c) * inner;
            for (size_t i = 0; i < inner; i++) {
                sum_dy += dy[at + i];
                sum_dy_xh += (double)dy[at + i] * xhat[at + i];
            }
        }
        if (l->affine) { /* written, or added to (p->accumulate) */
            l->dweight[c] = p->accumulate ? l->dweight[c] + (float)sum_dy_xh : (float)sum_dy_xh;
            l->dbias[c] = p->accumulate ? l->dbias[c] + (float)sum_dy : (float)sum_dy;
        }
        if (!dx)
            continue;
        float g = l->affine ? l->weight[c] : 1.0f;
        if (!p->training) { /* the running statistics are constants: dx = g/sigma * dy */
            for (size_t r = 0; r < n; r++) {
                size_t at = (r * c_n + c) * inner;
                for (size_t i = 0; i < inner; i++)
                    dx[at + i] = dy[at + i] * g * inv_std[c];
            }
            continue;
        }
        /* dx = g/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        double scale = (double)g * inv_std[c];
        double mean_dy = sum_dy / (double)count, mean_dy_xh = sum_dy_xh / (double)count;
        for (size_t r = 0; r < n; r++) {
            size_t at = (r * c_n + c) * inner;
            for (size_t i = 0; i < inner; i++)
                dx[at + i] = (float)(scale * (dy[at + i] - mean_dy - xhat[at + i] * mean_dy_xh));
        }
    }
}

const al_layer_type al_batchnorm_type = {
    .kind = AL_LAYER_BATCHNORM, .module = "BatchNorm1d", .kind_name = "batchnorm",
    .args = batchnorm_args, .n_args = 4, .dx_optional = 1,
    .configure = batchnorm_configure, .shape = batchnorm1d_shape, .tensors = batchnorm_tensors,
    .init = batchnorm_init, .scratch = batchnorm_scratch,
    .forward = batchnorm_forward, .backward = batchnorm_backward};

const al_layer_type al_batchnorm2d_type = {
    .kind = AL_LAYER_BATCHNORM2D, .module = "BatchNorm2d", .kind_name = "batchnorm2d",
    .args = batchnorm_args, .n_args = 4, .dx_optional = 1, .split = AL_SPLIT_CHANNELS,
    .configure = batchnorm_configure, .shape = batchnorm2d_shape, .tensors = batchnorm_tensors,
    .init = batchnorm_init, .scratch = batchnorm_scratch,
    .forward = batchnorm_forward, .backward = batchnorm_backward};
