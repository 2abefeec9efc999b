/* Private to src/nn: the layer-kind table and one layer's state.
 *
 * Each layer kind is one row (al_layer_type) holding everything the net needs
 * to know about it: its PyTorch module name and constructor arguments, shape
 * inference, the tensors it registers under PyTorch's state_dict names, their
 * initialisation, its per-batch scratch, forward, backward and free. The net
 * (net.c) only walks the rows; no code outside layers.c asks which kind a
 * layer is in order to decide what to do with it. */
#ifndef ACTLAB_NN_LAYER_H
#define ACTLAB_NN_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/nn.h"
#include "actlab/rng.h"
#include "actlab/spec.h"
#include "base/share.h"
#include "spec/bind.h"

#define AL_LAYER_MAX_TENSORS 6
#define AL_LAYER_MAX_ARGS 10

/* al_shape (actlab/nn.h) is one example's shape between layers ([features],
 * [C, H, W]) and also a tensor's own shape when it describes a parameter
 * ([out, in], [out, in / groups, kh, kw]); rank 0 is a scalar
 * (num_batches_tracked). */

typedef struct al_layer_type al_layer_type;

typedef struct al_layer {
    const al_layer_type *type;
    int index;
    char *module;            /* constructor text, for messages and the layer table */
    al_shape in_shape, out_shape;
    size_t in, out;          /* al_shape_size of in_shape and out_shape */
    al_act act;              /* activation layers */
    double p;                /* dropout probability */
    double eps, momentum;    /* batch norm */
    int has_bias, affine;
    size_t channels;         /* Conv2d's in_channels, BatchNorm2d's num_features */
    al_window win;           /* Conv2d and pooling geometry */
    void *state;             /* what a kind keeps besides tensors (Conv2d's oneDNN primitives) */
    /* views into the net's blocks, set when the net registers the layer's tensors */
    float *weight, *bias;    /* Linear [out, in] and [out]; Conv2d [out, in/g, kh, kw]; PReLU [n]; BatchNorm [C] */
    float *dweight, *dbias;
    float *running_mean, *running_var;
    int64_t batches_tracked;
    int64_t *tracked;        /* &batches_tracked when the kind registers a count, else NULL */
    float *scratch;          /* per-batch scratch (type->scratch floats), a view into the pass block */
} al_layer;

/* Everything a pass needs from the net. A pass runs on a team of threads
 * (net.c): thread `tid` of `team` computes its share of each layer's output
 * features (al_pass_share), for every row of the batch. */
typedef struct al_pass {
    size_t batch;
    int training;
    uint64_t seed;           /* net seed mixed with the step */
    int tid, team;           /* this thread and the team's size (1: the whole pass) */
    int accumulate;          /* backward adds into the parameter gradients (0: writes them) */
    al_status *fault;        /* set by a layer whose pass failed (oneDNN out of memory) */
} al_pass;

/* This thread's share [*begin, *end) of n features (al_share): the same for
 * every layer of width n, and the optimizer cuts each parameter the same way. */
static inline void al_pass_share(const al_pass *p, size_t n, size_t *begin, size_t *end)
{
    al_share(n, p->tid, p->team, begin, end);
}

/* This thread's rows [*begin, *end) of the batch (al_share_even), for kinds
 * that split rows (AL_SPLIT_ROWS). */
static inline void al_pass_rows(const al_pass *p, size_t *begin, size_t *end)
{
    al_share_even(p->batch, p->tid, p->team, begin, end);
}

/* The most threads a team has (per-thread state of a kind is sized by it). */
#define AL_TEAM_MAX 256

/* How a layer's pass is shared by the team. The team waits between two
 * layers unless the second reads only what this thread wrote in the first
 * (pass.c: features after features, rows after rows). */
typedef enum al_split {
    AL_SPLIT_OWN,            /* each thread reads and writes its own features only */
    AL_SPLIT_ALL_IN,         /* writes its own features, reads every input feature (Linear):
                                the team waits for the layer before it to finish */
    AL_SPLIT_NONE,           /* one thread runs the whole pass while the others wait */
    AL_SPLIT_ROWS,           /* each thread computes every feature of its own rows
                                (al_pass_rows): convolution and pooling, whose outputs
                                mix features across a row but never rows */
    AL_SPLIT_CHANNELS        /* each thread computes every row of its own channels of a
                                [C, H, W] tensor (al_share_even of C): BatchNorm2d, whose
                                statistics span the batch */
} al_split;

/* What a tensor is to the net: a parameter (value and gradient blocks), a
 * float buffer (running statistics) or an int64 count kept in the layer. */
typedef enum al_tensor_role {
    AL_TENSOR_PARAM,
    AL_TENSOR_BUFFER,
    AL_TENSOR_COUNT
} al_tensor_role;

/* One state_dict entry a layer registers: "<index>.<suffix>", PyTorch's
 * shape, and where the layer wants its views. */
typedef struct al_tensor_decl {
    const char *suffix;      /* "weight", "running_mean", "num_batches_tracked" */
    al_tensor_role role;
    int no_decay;            /* excluded from weight decay by PyTorch recipes */
    al_shape shape;          /* Linear's weight [out, in]; a count has rank 0 */
    float **value, **grad;   /* set to views into the blocks (grad: parameters only) */
    int64_t *count;          /* AL_TENSOR_COUNT: the layer's counter */
} al_tensor_decl;

/* What initialisation sees besides the layer. */
typedef struct al_layer_init {
    const al_net_options *options;
    al_rng *rng;             /* one stream, drawn from in layer order */
    const al_act *next;      /* gain_init layers: the activation after it, or NULL */
} al_layer_init;

/* One layer kind. Hooks left NULL mean: nothing to do (no tensors, no
 * initialisation beyond zeros, no scratch, no derivative, nothing to free). */
struct al_layer_type {
    al_layer_kind kind;
    const char *module;      /* PyTorch's module name; NULL: the activation table's modules */
    const char *kind_name;   /* the "kind" of probe records: "linear" */
    const al_param_info *args; /* constructor arguments, bound by al_spec_bind */
    int n_args;              /* at most AL_LAYER_MAX_ARGS */
    int is_activation;       /* its module, arguments and passes come from the activation table */
    int gain_init;           /* its weights take the gain of the activation that follows */
    int dx_optional;         /* backward accepts dx == NULL (the first layer's input needs none) */
    al_split split;          /* how passes are shared (both directions) */
    /* overrides split for one direction of one layer (activations with a
     * shared learned weight: backward sums over every feature); NULL: split */
    al_split (*split_of)(const al_layer *l, int backward);
    /* Reads the bound arguments (activations: the module itself) into l. */
    al_status (*configure)(al_layer *l, const al_spec_value *args, const al_spec *spec,
                           const al_spec_module *m, al_error *err);
    /* Sets l->in_shape and l->out_shape from the previous layer's output
     * shape, NULL for the first layer (dimensions 0 are not known yet and
     * give unknown outputs); a mismatch names the layer and both shapes. */
    al_status (*shape)(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                       al_error *err);
    /* Multiply-adds per row of a pass, to size the team (pass.c); NULL: one
     * per output feature, or per output and input feature for ALL_IN. */
    double (*work)(const al_layer *l);
    /* Declares the layer's state_dict entries in PyTorch's order; returns how many. */
    int (*tensors)(al_layer *l, al_tensor_decl decl[AL_LAYER_MAX_TENSORS]);
    /* Fills the registered tensors (they start at zero). */
    void (*init)(al_layer *l, const al_layer_init *ctx);
    /* Floats of scratch for passes of up to `batch` rows; at batch 0, the
     * part that does not grow with the batch (counted with the model). */
    size_t (*scratch)(const al_layer *l, size_t batch);
    /* The pass over this thread's share of the output: its features
     * (al_pass_share of l->out), its rows or its channels, as split says; the
     * whole pass when p->team is 1. */
    void (*forward)(al_layer *l, const al_pass *p, const float *x, float *y);
    /* dy -> dx, into the parameter gradients (added when p->accumulate);
     * dx may be NULL when dx_optional. Shared like forward; a kind that reads
     * every feature of dy says so in split. */
    void (*backward)(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                     float *dx);
    /* After a backward split by rows (AL_SPLIT_ROWS) whose threads each
     * summed their rows' parameter gradients apart: once the team has waited,
     * adds this thread's share (al_pass_share) of every thread's part into the
     * gradients, in thread order (p->accumulate as for backward). */
    void (*combine)(al_layer *l, const al_pass *p);
    /* d = f'(x) elementwise with the slopes the last pass used (activations only). */
    void (*derivative)(const al_layer *l, const al_pass *p, const float *x, const float *y,
                       const float *ones, float *d);
    /* Frees what the kind allocated itself (views into the net's blocks excepted). */
    void (*release)(al_layer *l);
};

/* The rows of the kinds defined outside layers.c: convolution (conv.c),
 * pooling (pool.c), BatchNorm1d and BatchNorm2d (norm.c). */
extern const al_layer_type al_conv2d_type, al_maxpool2d_type, al_avgpool2d_type, al_adaptive_avgpool2d_type,
    al_batchnorm_type, al_batchnorm2d_type;

/* Helpers the rows share (layers.c). */
al_shape al_shape_features(size_t n);
/* 1 when every dimension of s is known (non-zero). */
int al_shape_known(const al_shape *s);
/* A shape error for layer l: at its module in spec when spec is given, with
 * "<module> (module <index>)" before the message. */
al_status al_layer_shape_error(const al_layer *l, const al_spec *spec, const al_spec_module *m, al_error *err,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A [C, H, W] input for a 2-D layer: refuses other ranks and a channel count
 * other than `channels` (0: any), naming the layer and the shape. */
al_status al_layer_need_image(const al_layer *l, const al_shape *in, size_t channels, const al_spec *spec,
                              const al_spec_module *m, al_error *err);
al_tensor_decl al_layer_param(const char *suffix, al_shape shape, float **value, float **grad, int no_decay);
/* Fills n weights (and the biases) by the net's init scheme with these fans. */
void al_layer_init_weights(al_layer *l, const al_layer_init *c, size_t n, double fan_in, double fan_out);

/* One entry of a net's state_dict, in PyTorch's order (per module: weight,
 * bias, running_mean, running_var, num_batches_tracked). */
typedef struct al_state_entry {
    const char *name;        /* "0.weight" */
    al_dtype dtype;          /* F32, or I64 for a count */
    al_shape shape;
    void *data;
} al_state_entry;

/* The net's state_dict entries (net.c; read by net_io.c). */
const al_state_entry *al_net_state_entries(const al_net *net, int *count);

/* Reads module m of spec into l (index `index`): its row, its bound
 * arguments and its constructor text; shapes come later (layer_build.c). */
al_status al_layer_build(const al_spec *spec, const al_spec_module *m, int index, al_layer *l, al_error *err);

/* The row for a module name (layer kinds first, then every activation), or NULL. */
const al_layer_type *al_layer_type_find(const char *module);
/* The error for a module no row knows, with the closest names. */
al_status al_layer_unknown(const al_spec *spec, const al_spec_module *m, al_error *err);

#endif
