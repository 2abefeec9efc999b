/* Forward and backward of every layer kind, side by side (llm.c style).
 * Layouts follow PyTorch: Linear's weight is [out, in]; x is [batch, in]. */
#include "nn/layer.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"

/* ---- Linear: y = x W^T + b ---- */
static void linear_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const int n = (int)p->batch, in = (int)l->in, out = (int)l->out;
    if (l->has_bias)
        for (int r = 0; r < n; r++)
            memcpy(y + (size_t)r * l->out, l->bias, l->out * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, l->weight, in,
                l->has_bias ? 1.0f : 0.0f, y, out);
}

static void linear_backward(al_layer *l, const al_pass *p, const float *x, const float *dy, float *dx)
{
    const int n = (int)p->batch, in = (int)l->in, out = (int)l->out;
    /* dW += dy^T x ; db += column sums of dy ; dx = dy W */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 1.0f,
                l->dweight, in);
    if (l->has_bias)
        for (int r = 0; r < n; r++) {
            const float *row = dy + (size_t)r * l->out;
            for (size_t j = 0; j < l->out; j++)
                l->dbias[j] += row[j];
        }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, l->weight,
                    in, 0.0f, dx, in);
}

/* ---- activations: the table does the work ---- */
static al_act_run act_run(const al_layer *l, const al_pass *p)
{
    al_act_run run = al_act_run_default();
    run.channels = l->out;
    run.training = p->training;
    run.seed = al_mix64(p->seed ^ ((uint64_t)l->index << 32));
    run.threads = p->threads;
    return run;
}

/* ---- Dropout (inverted): y = x * mask, mask = 0 or 1/(1 - p) ---- */
static void dropout_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    size_t n = p->batch * l->out;
    if (!p->training || l->p == 0) {
        if (y != x)
            memcpy(y, x, n * sizeof(float));
        return;
    }
    al_hash_key key = al_hash_key_from_seed(al_mix64(p->seed ^ ((uint64_t)l->index << 40)));
    float keep_scale = l->p >= 1 ? 0.0f : (float)(1.0 / (1.0 - l->p)), drop = (float)l->p;
    for (size_t i = 0; i < n; i++) {
        l->mask[i] = al_hash_uniform(key, (uint32_t)i) < drop ? 0.0f : keep_scale;
        y[i] = x[i] * l->mask[i];
    }
}

static void dropout_backward(al_layer *l, const al_pass *p, const float *dy, float *dx)
{
    size_t n = p->batch * l->out;
    if (!p->training || l->p == 0) {
        if (dx != dy)
            memcpy(dx, dy, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++)
        dx[i] = dy[i] * l->mask[i];
}

/* ---- BatchNorm1d over [batch, C]: PyTorch's statistics and update rule ---- */
static void batchnorm_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const size_t n = p->batch, c_n = l->out;
    for (size_t c = 0; c < c_n; c++) {
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
        l->inv_std[c] = inv_std;
        for (size_t r = 0; r < n; r++) {
            float xh = (x[r * c_n + c] - (float)mean) * inv_std;
            l->xhat[r * c_n + c] = xh;
            y[r * c_n + c] = xh * g + b;
        }
    }
    if (p->training)
        l->batches_tracked++;
}

static void batchnorm_backward(al_layer *l, const al_pass *p, const float *dy, float *dx)
{
    const size_t n = p->batch, c_n = l->out;
    for (size_t c = 0; c < c_n; c++) {
        double sum_dy = 0, sum_dy_xh = 0;
        for (size_t r = 0; r < n; r++) {
            sum_dy += dy[r * c_n + c];
            sum_dy_xh += (double)dy[r * c_n + c] * l->xhat[r * c_n + c];
        }
        if (l->affine) {
            l->dweight[c] += (float)sum_dy_xh;
            l->dbias[c] += (float)sum_dy;
        }
        if (!dx)
            continue;
        float g = l->affine ? l->weight[c] : 1.0f;
        if (!p->training) { /* running statistics are constants */
            for (size_t r = 0; r < n; r++)
                dx[r * c_n + c] = dy[r * c_n + c] * g * l->inv_std[c];
            continue;
        }
        /* dx = g/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        double mean_dy = sum_dy / (double)n, mean_dy_xh = sum_dy_xh / (double)n;
        for (size_t r = 0; r < n; r++)
            dx[r * c_n + c] = (float)((double)g * l->inv_std[c] *
                                      (dy[r * c_n + c] - mean_dy - l->xhat[r * c_n + c] * mean_dy_xh));
    }
}

void al_layer_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    switch (l->kind) {
    case AL_LAYER_LINEAR: linear_forward(l, p, x, y); break;
    case AL_LAYER_ACTIVATION: {
        al_act_run run = act_run(l, p);
        al_act_forward_f32(&l->act, &run, p->batch * l->out, x, y, l->weight);
        break;
    }
    case AL_LAYER_DROPOUT: dropout_forward(l, p, x, y); break;
    case AL_LAYER_BATCHNORM: batchnorm_forward(l, p, x, y); break;
    case AL_LAYER_FLATTEN:
    case AL_LAYER_IDENTITY:
        if (y != x)
            memcpy(y, x, p->batch * l->out * sizeof(float));
        break;
    }
}

void al_layer_backward(al_layer *l, const al_pass *p, const float *x, const float *y,
                       const float *dy, float *dx)
{
    switch (l->kind) {
    case AL_LAYER_LINEAR: linear_backward(l, p, x, dy, dx); break;
    case AL_LAYER_ACTIVATION: {
        al_act_run run = act_run(l, p);
        /* the net gives activation layers a dx buffer even in first place */
        if (dx)
            al_act_backward_f32(&l->act, &run, p->batch * l->out, x, y, dy, dx, l->weight, l->dweight);
        break;
    }
    case AL_LAYER_DROPOUT: if (dx) dropout_backward(l, p, dy, dx); break;
    case AL_LAYER_BATCHNORM: batchnorm_backward(l, p, dy, dx); break;
    case AL_LAYER_FLATTEN:
    case AL_LAYER_IDENTITY:
        if (dx && dx != dy)
            memcpy(dx, dy, p->batch * l->out * sizeof(float));
        break;
    }
}

void al_layer_derivative(const al_layer *l, const al_pass *p, const float *x, const float *y,
                         const float *ones, float *d)
{
    al_act_run run = act_run(l, p);
    al_act_backward_f32(&l->act, &run, p->batch * l->out, x, y, ones, d, l->weight, NULL);
}

al_status al_layer_prepare(al_layer *l, size_t batch, al_error *err)
{
    size_t n = batch * l->out;
    if (l->kind == AL_LAYER_DROPOUT) {
        free(l->mask);
        l->mask = malloc(n * sizeof(float));
        if (!l->mask)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s's mask (%zu floats)", l->module, n);
    }
    if (l->kind == AL_LAYER_BATCHNORM) {
        free(l->xhat);
        l->xhat = malloc(n * sizeof(float));
        if (!l->xhat)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s (%zu floats)", l->module, n);
    }
    return AL_OK;
}

void al_layer_free(al_layer *l)
{
    free(l->module);
    free(l->weight);
    free(l->bias);
    free(l->dweight);
    free(l->dbias);
    free(l->running_mean);
    free(l->running_var);
    free(l->mask);
    free(l->xhat);
    free(l->inv_std);
}
