/* Nets the studies at initialisation build and probe directly: MLP specs,
 * one forward and cross-entropy backward pass, weight-gradient norms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/loss.h"
#include "actlab/util.h"
#include "study/study_internal.h"

/* "Linear(in, w), ACT, Linear(w, w), ACT, ..., Linear(w, out)" with `hidden` activations. */
char *study_mlp_spec(size_t in, size_t width, size_t out, int hidden, const char *act)
{
    al_buf b = {0};
    for (int d = 0; d < hidden; d++)
        al_buf_printf(&b, "Linear(%zu, %zu), %s, ", d == 0 ? in : width, width, act);
    al_buf_printf(&b, "Linear(%zu, %zu)", hidden ? width : in, out);
    if (b.failed) {
        al_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* One forward and cross-entropy backward of net on rows x [batch, in] with labels y. */
al_status study_forward_backward(al_net *net, const float *x, const int32_t *y, size_t batch, al_error *err)
{
    al_status st = al_net_prepare(net, batch, err);
    if (st != AL_OK)
        return st;
    const float *logits = al_net_forward(net, x, batch, 1, 0);
    if (!logits)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory in the forward pass");
    size_t classes = al_net_out_features(net);
    float *dlogits = malloc(batch * classes * sizeof *dlogits);
    if (!dlogits)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    double loss;
    st = al_loss_cross_entropy(logits, y, batch, classes, dlogits, &loss, NULL, err);
    if (st == AL_OK) {
        al_net_zero_grad(net);
        if (al_net_backward(net, dlogits, NULL) != AL_OK)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory in the backward pass");
    }
    free(dlogits);
    return st;
}

/* A new net from spec under init and seed, after one forward and backward pass on train. */
al_status study_net_after_backward(const char *spec, al_init_scheme init, al_gain_rule rule, double gain,
                                   uint64_t seed, const al_dataset *train, al_net **net, al_error *err)
{
    al_net_options no = al_net_options_default();
    no.init = init;
    no.seed = seed;
    al_status st = al_net_create(spec, &no, net, err);
    if (st == AL_OK) {
        if (isfinite(gain))
            al_compare_init_net_fixed(*net, init, gain, seed);
        else
            al_compare_init_net(*net, init, rule, seed);
        size_t rows = al_dataset_count(train);
        float *x = malloc(rows * al_dataset_features(train) * sizeof *x);
        if (!x)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for %zu rows of '%s'", rows, al_dataset_name(train));
        al_dataset_rows(train, 0, rows, x);
        st = study_forward_backward(*net, x, al_dataset_y(train), rows, err);
        free(x);
    }
    return st;
}

/* The L2 norm of every weight gradient ("N.weight"), in layer order; returns how many. */
size_t study_weight_grad_norms(const al_net *net, double *out, size_t max)
{
    int count = 0;
    const al_param_ref *p = al_net_params(net, &count);
    size_t n = 0;
    for (int i = 0; i < count && n < max; i++) {
        const char *dot = strrchr(p[i].name, '.');
        if (!dot || strcmp(dot, ".weight") != 0 || !p[i].grad)
            continue;
        double s = 0;
        for (size_t k = 0; k < p[i].count; k++)
            s += (double)p[i].grad[k] * p[i].grad[k];
        out[n++] = sqrt(s);
    }
    return n;
}

