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
    AL_LAYER_IDENTITY
} al_layer_kind;

/* The kind's name as probe records write it: "linear", "activation",
 * "dropout", "batchnorm", "flatten", "identity". */
const char *al_layer_kind_name(al_layer_kind kind);

/* What a caller may know about one layer (read-only view). */
typedef struct al_layer_info {
    al_layer_kind kind;
    int index;               /* position in the spec: the prefix of its parameter names */
    const char *module;      /* the constructor as written: "Linear(784, 256)" */
    size_t in_features, out_features;
    const al_act *act;       /* activation layers only, else NULL */
    double dropout_p;        /* Dropout: the drop probability; else 0 */
    double eps;              /* BatchNorm1d: the variance epsilon; else 0 */
} al_layer_info;

typedef struct al_net al_net;

typedef struct al_net_options {
    al_init_scheme init;
    uint64_t seed;           /* initialisation, dropout masks, RReLU slopes */
    int threads;             /* OpenMP threads for the net's passes (oneDNN's products and
                                actlab's kernels), set for the calling thread during a
                                pass; 0 = the caller's OpenMP count */
} al_net_options;

/* PyTorch init, seed 0, default threads. */
al_net_options al_net_options_default(void);

/* Builds a net from a spec; errors give line, column and what was expected
 * (an unknown module, a size mismatch between consecutive layers, ...).
 * Allocates every parameter (options may be NULL: the defaults); *out is a
 * new net (al_net_free), NULL on failure. */
al_status al_net_create(const char *spec, const al_net_options *options, al_net **out, al_error *err);
/* Frees the net and everything it owns; NULL is fine. */
void al_net_free(al_net *net);

/* Number of layers, and one layer's description. */
int al_net_layer_count(const al_net *net);
al_layer_info al_net_layer(const al_net *net, int index);
/* Input and output widths. */
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
 * enough); they are freed with the net. */
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
