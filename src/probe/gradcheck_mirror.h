/* Private to src/probe: the float64 mirror of a net that gradcheck.c
 * builds and differentiates, and the per-kind forward and backward passes
 * (gradcheck_layers.c), written from the definitions (PyTorch's documented
 * semantics) in plain loops, independently of the float32 layers. */
#ifndef ACTLAB_PROBE_GRADCHECK_MIRROR_H
#define ACTLAB_PROBE_GRADCHECK_MIRROR_H

#include <stddef.h>

#include "actlab/act.h"
#include "actlab/nn.h"

typedef struct mlayer {
    al_layer_info info;
    size_t in, out;
    double *w, *b, *dw, *db;  /* Linear [out, in] + [out]; Conv2d [out, in/g, kh, kw] + [out];
                               * PReLU [n]; BatchNorm [C] + [C] */
    size_t nw, nb;
    double *running_mean, *running_var;
    double bn_eps;
    int n_kinks;
    double kinks[AL_ACT_MAX_KINKS];
} mlayer;

typedef struct mirror {
    int n;
    mlayer *l;
    size_t batch;
    int training;
    double **act;          /* act[i]: input of layer i for the unperturbed pass; act[n]: output */
    double **plus, **minus; /* the same for the +eps and -eps passes */
    double *r;             /* loss weights [batch, out] */
    double *g0, *g1;       /* backward ping-pong, [batch, widest] */
    double *dx;            /* dLoss/dinput */
} mirror;

/* y = layer(x) for m->batch examples. */
void al_mirror_forward(const mirror *m, const mlayer *l, const double *x, double *y);
/* dy -> dx for one layer, adding the parameter gradients into l->dw, l->db. */
void al_mirror_backward(const mirror *m, mlayer *l, const double *x, const double *dy, double *dx);
/* 1 when the layer's choice differs between inputs a and b: a pre-activation
 * on different sides of (or on) a kink, or a max pool taking another
 * position of a window. There the difference quotient mixes two one-sided
 * derivatives. */
int al_mirror_switches(const mirror *m, const mlayer *l, const double *a, const double *b);

#endif
