/* Networks: an ordered list of layers built from a spec
 * (`Linear(784, 256), ReLU(), Linear(256, 10)`), with PyTorch's parameter
 * names, layouts and default initialisation. The net owns every buffer a
 * forward/backward pass needs, allocated once per batch size. */
#ifndef ACTLAB_NN_H
#define ACTLAB_NN_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/act.h"
#include "actlab/safetensors.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One learnable tensor as the optimizer sees it (flat, count floats): for a
 * net's tensors, a named view into its parameter and gradient blocks.
 * no_decay marks tensors PyTorch recipes usually exclude from weight decay
 * (PReLU slopes, BatchNorm weight and bias). */
typedef struct al_param_ref {
    const char *name;   /* state_dict name: "0.weight" */
    float *value;
    float *grad;        /* NULL for buffers and optimizer-state views */
    size_t count;
    int no_decay;
} al_param_ref;

typedef enum al_init_scheme {
    AL_INIT_PYTORCH = 0,   /* PyTorch's defaults: U(+-1/sqrt(fan_in)) for weights and biases */
    AL_INIT_XAVIER_UNIFORM,
    AL_INIT_XAVIER_NORMAL,
    AL_INIT_KAIMING_UNIFORM,
    AL_INIT_KAIMING_NORMAL,
    AL_INIT_LECUN_NORMAL
} al_init_scheme;

/* Parses "pytorch", "xavier-uniform", "xavier-normal", "kaiming-uniform",
 * "kaiming-normal" or "lecun-normal". */
al_status al_init_scheme_parse(const char *name, al_init_scheme *out, al_error *err);
/* The scheme's name as al_init_scheme_parse takes it. */
const char *al_init_scheme_name(al_init_scheme scheme);

typedef enum al_layer_kind {
    AL_LAYER_LINEAR,
    AL_LAYER_ACTIVATION,
    AL_LAYER_DROPOUT,
    AL_LAYER_BATCHNORM,
    AL_LAYER_FLATTEN,
    AL_LAYER_IDENTITY,
    AL_LAYER_CONV2D,
    AL_LAYER_MAXPOOL2D,
    AL_LAYER_AVGPOOL2D,
    AL_LAYER_ADAPTIVE_AVGPOOL2D,
    AL_LAYER_BATCHNORM2D,
    AL_LAYER_DROPOUT2D,
    AL_LAYER_UNFLATTEN
} al_layer_kind;

/* The kind's name as probe records write it: "linear", "activation",
 * "dropout", "batchnorm", "flatten", "identity", "conv2d", "maxpool2d",
 * "avgpool2d", "adaptive_avgpool2d", "batchnorm2d", "dropout2d", "unflatten". */
const char *al_layer_kind_name(al_layer_kind kind);

#define AL_SHAPE_MAX_RANK 4

/* The shape of one example, without the batch dimension: [features] after a
 * Linear, [C, H, W] for images. A dimension of 0 is not known yet: a
 * convolution's height and width before the data is seen (al_net_fit_input). */
typedef struct al_shape {
    int rank;
    size_t dim[AL_SHAPE_MAX_RANK];
} al_shape;

/* The number of values (1 for rank 0; 0 while a dimension is unknown). */
size_t al_shape_size(const al_shape *s);
/* Writes s as "[1, 28, 28]" into buf (unknown dimensions as "?"); returns buf. */
char *al_shape_str(const al_shape *s, char *buf, size_t size);

/* The window of a Conv2d or a pooling layer, each as [height, width]. */
typedef struct al_window {
    size_t kernel[2], stride[2], padding[2], dilation[2];
    size_t groups;           /* Conv2d's channel groups; 1 for pooling */
    int count_include_pad;   /* AvgPool2d: padded zeros count in the mean */
    int ceil_mode;           /* pooling: the last window may hang over the input's end */
} al_window;

/* What a caller may know about one layer (read-only view). */
typedef struct al_layer_info {
    al_layer_kind kind;
    int index;               /* position in the spec: the prefix of its parameter names */
    const char *module;      /* the constructor as written: "Linear(784, 256)" */
    size_t in_features, out_features; /* values per example: al_shape_size of the shapes */
    const al_act *act;       /* activation layers only, else NULL */
    double dropout_p;        /* Dropout, Dropout2d: the drop probability; else 0 */
    double eps;              /* BatchNorm1d, BatchNorm2d: the variance epsilon; else 0 */
    al_shape in_shape, out_shape; /* one example's shapes: [C, H, W] around a Conv2d */
    al_window window;        /* Conv2d, MaxPool2d, AvgPool2d; zero for other kinds */
} al_layer_info;

typedef struct al_net al_net;

typedef struct al_net_options {
    al_init_scheme init;
    uint64_t seed;           /* initialisation, dropout masks, RReLU slopes */
    int threads;             /* OpenMP threads for the net's passes (oneDNN's products and
                                actlab's kernels), set for the calling thread during a
                                pass; 0 = the caller's OpenMP count */
    al_shape input;          /* one example's shape, e.g. [1, 28, 28]; rank 0: known later
                              * (al_net_fit_input), or fixed by a first Linear's width */
} al_net_options;

/* PyTorch init, seed 0, default threads, input shape from the data. */
al_net_options al_net_options_default(void);

/* Builds a net from a spec; errors give line, column and what was expected
 * (an unknown module, a size mismatch between consecutive layers, ...).
 * Allocates every parameter (options may be NULL: the defaults); *out is a
 * new net (al_net_free), NULL on failure. */
al_status al_net_create(const char *spec, const al_net_options *options, al_net **out, al_error *err);
/* Frees the net and everything it owns; NULL is fine. */
void al_net_free(al_net *net);

/* Fits the net to examples of the given shape (a data set's feature shape,
 * rank 1 to 8) before any pass: every layer's shape is inferred again from
 * it, and the first layer that does not fit is named with both shapes (a
 * kernel larger than the padded input, a pooling window that leaves no
 * output, a [features] input to a Conv2d). A net whose input is already known
 * takes any shape of as many values (rows are read in the net's own shape);
 * convolutions need [C, H, W]. Pass buffers are dropped when shapes change. */
al_status al_net_fit_input(al_net *net, int rank, const size_t *shape, al_error *err);
/* One example's input shape (dimensions 0 until al_net_fit_input knows them). */
al_shape al_net_input_shape(const al_net *net);

/* Number of layers, and one layer's description. */
int al_net_layer_count(const al_net *net);
al_layer_info al_net_layer(const al_net *net, int index);
/* Input and output widths (values per example; the input's is 0 while its
 * height and width are unknown). */
size_t al_net_in_features(const al_net *net);
size_t al_net_out_features(const al_net *net);

/* Learnable parameters in PyTorch's state_dict order ("0.weight", "0.bias",
 * ...), with their gradients; the array is owned by the net. */
const al_param_ref *al_net_params(const al_net *net, int *count);
/* All parameter values, and all their gradients, each in one block of
 * *count floats: every al_net_params view lies inside, in the same order,
 * starting on a 64-byte boundary; the gaps between views are zero. A pass
 * over the block (zeroing, a finiteness check) covers every parameter. */
float *al_net_param_block(const al_net *net, size_t *count);
float *al_net_grad_block(const al_net *net, size_t *count);
/* Buffers (BatchNorm running statistics) in state_dict order; grad is NULL.
 * num_batches_tracked is kept as a count in al_net_batches_tracked. */
const al_param_ref *al_net_buffers(const al_net *net, int *count);
/* BatchNorm layer `index`'s num_batches_tracked (0 for other layers). */
int64_t *al_net_batches_tracked(al_net *net, int index);

/* Allocates the buffers for batches of up to `batch` rows (no-op if large
 * enough); they are freed with the net; fails while the input shape is
 * unknown. */
al_status al_net_prepare(al_net *net, size_t batch, al_error *err);

/* Forward pass of `batch` rows of x ([batch, in_features], kept by pointer
 * until backward). training: dropout, batch statistics, RReLU sampling.
 * step: mixes into the random streams so every step draws afresh.
 * Returns the output [batch, out_features], owned by the net; NULL when the
 * buffers or oneDNN's scratch could not be allocated. */
const float *al_net_forward(al_net *net, const float *x, size_t batch, int training, uint64_t step);

/* Backward pass from dy = dLoss/dOutput; adds into every parameter's grad.
 * When dx is non-NULL the input gradient is written there too. Returns
 * AL_ERR_NOMEM when oneDNN could not allocate its scratch (grads then partial). */
al_status al_net_backward(al_net *net, const float *dy, float *dx);

/* al_net_zero_grad then al_net_backward in one pass: every parameter
 * gradient is written rather than added to (the training loop's step); the
 * gradients' sum of squares is computed on the way (al_net_grad_sum_squares). */
al_status al_net_backward_overwrite(al_net *net, const float *dy, float *dx);
/* After al_net_backward_overwrite: the sum of squares of every parameter
 * gradient, as al_clip_grad_norm sums it (bit for bit); NaN after
 * al_net_backward or al_net_zero_grad. */
double al_net_grad_sum_squares(const al_net *net);

/* The threads a pass may use: options.threads, or the caller's OpenMP count
 * when that is 0 (small passes use one; see docs/performance.md). */
int al_net_threads(const al_net *net);

/* Zeroes every parameter gradient (one memset of the gradient block). */
void al_net_zero_grad(al_net *net);

/* The output of layer `index` from the last forward pass ([batch, out]),
 * and the gradient w.r.t. it from the last backward (NULL before one). */
const float *al_net_layer_output(const al_net *net, int index);
const float *al_net_layer_output_grad(const al_net *net, int index);
/* The input of layer `index` in the last forward pass: the previous layer's
 * output, or the net's input for layer 0 (a pre-activation for an activation layer). */
const float *al_net_layer_input(const al_net *net, int index);
/* Rows in the last forward pass (0 before one). */
size_t al_net_batch(const al_net *net);
/* Writes f'(x) of activation layer `index` for every element of the last
 * forward pass ([batch, out]) into d, with the slopes that pass used (PReLU
 * weights, RReLU samples). ones must hold batch*out 1.0f values. Returns 0 for
 * other layers (d untouched), 1 otherwise. */
int al_net_activation_derivative(const al_net *net, int index, const float *ones, float *d);

/* ---- convolutional models for studies (cnn_spec.c) ---- */

/* A plain convolutional net: `blocks` blocks of Conv2d(c, width, 3,
 * padding=1) [, BatchNorm2d(width)], the activation; a MaxPool2d(2) after
 * every `pool_every` blocks (0: none), at most `max_pools` of them (0: no
 * limit; deeper blocks then keep the image size); then
 * AdaptiveAvgPool2d(head) (head x head averages per channel), Flatten() and
 * Linear(width * head^2, classes), so any image size fits. */
typedef struct al_cnn_options {
    size_t in_channels, width, classes;
    int blocks, pool_every;
    int batchnorm;           /* BatchNorm2d after each Conv2d (whose bias is then dropped) */
    int max_pools;
    size_t head;
} al_cnn_options;

/* 1 channel in (Fashion-MNIST), width 32, 10 classes, 4 blocks, a pool every
 * 2 with no limit, no batch norm, head 1 (global average pooling). */
al_cnn_options al_cnn_options_default(void);
/* The spec of that net with activation `act` (spec text, e.g. "ELU()"), in
 * which "{channels}" stands for the block's channel count:
 * "PReLU(num_parameters={channels})" learns one slope per channel. *out is
 * allocated (free() it); AL_ERR_INVALID for sizes of 0 or blocks < 1. */
al_status al_cnn_spec(const al_cnn_options *options, const char *act, char **out, al_error *err);

/* ---- model files (net_io.c) ---- */

/* Saves every parameter and buffer under PyTorch's state_dict names (F32;
 * BatchNorm's num_batches_tracked as I64), atomically. */
al_status al_net_save(const al_net *net, const char *path, al_error *err);
/* As al_net_save, with n_meta "__metadata__" strings (meta may be NULL when
 * n_meta is 0); PyTorch ignores them. */
al_status al_net_write(const al_net *net, const char *path, const al_tensor_meta *meta, size_t n_meta,
                       al_error *err);
/* Loads a state_dict saved by actlab or PyTorch; every name, shape and dtype
 * must match the net, and all mismatches are listed in the error. */
al_status al_net_load(al_net *net, const char *path, al_error *err);
/* Appends views of the net's state_dict to t, in PyTorch's order (per module:
 * weight, bias, running_mean, running_var, num_batches_tracked); with
 * shapes_only the views carry no data (a description for al_tensors_check).
 * Allocates t's entries and names (al_tensors_free), not the data. */
al_status al_net_state_dict(al_net *net, al_tensors *t, int shapes_only, al_error *err);
/* Copies the model's entries of loaded into the net after checking every
 * name, shape and dtype; entries named "optim.*" and "best.*" (a
 * checkpoint's optimizer state and best weights) are skipped. source names
 * the file in messages. */
al_status al_net_load_state(al_net *net, const al_tensors *loaded, const char *source, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
