/* Private to src/nn: one layer's state, and the forward/backward of each
 * kind. Forward and backward of a kind sit side by side in layers.c. */
#ifndef ACTLAB_NN_LAYER_H
#define ACTLAB_NN_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/nn.h"

typedef struct al_layer {
    al_layer_kind kind;
    int index;
    char *module;            /* constructor text, for messages and the layer table */
    size_t in, out;
    al_act act;              /* activation layers */
    double p;                /* dropout probability */
    double eps, momentum;    /* batch norm */
    int has_bias, affine;
    float *weight, *bias;    /* Linear [out, in] and [out]; PReLU [n]; BatchNorm [C] */
    float *dweight, *dbias;
    float *running_mean, *running_var;
    int64_t batches_tracked;
    /* per-batch scratch, sized by al_net_prepare */
    float *mask;             /* dropout: 0 or 1/(1-p) per element */
    float *xhat;             /* batch norm: normalised input */
    float *inv_std;          /* batch norm: 1/sqrt(var + eps) per feature */
} al_layer;

/* Everything a pass needs from the net. */
typedef struct al_pass {
    size_t batch;
    int training;
    uint64_t seed;           /* net seed mixed with the step */
    int threads;
} al_pass;

void al_layer_forward(al_layer *l, const al_pass *pass, const float *x, float *y);
/* dx may be NULL (first layer): only parameter gradients are then computed. */
void al_layer_backward(al_layer *l, const al_pass *pass, const float *x, const float *y,
                       const float *dy, float *dx);
/* Activation layers: d = f'(x) elementwise, as the backward pass would use it. */
void al_layer_derivative(const al_layer *l, const al_pass *pass, const float *x, const float *y,
                         const float *ones, float *d);
/* Allocates per-batch scratch for up to `batch` rows. */
al_status al_layer_prepare(al_layer *l, size_t batch, al_error *err);
void al_layer_free(al_layer *l);

#endif
