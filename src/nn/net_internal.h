/* Private to src/nn: the net's state, shared by net.c (building, memory,
 * accessors) and pass.c (forward and backward on a team of threads). */
#ifndef ACTLAB_NN_NET_INTERNAL_H
#define ACTLAB_NN_NET_INTERNAL_H

#include "nn/sumsq.h"
#include "nn/layer.h"

/* Memory, llm.c style: every parameter value in one block, every gradient
 * in another at the same offsets, the buffers in a third; al_param_ref
 * entries are named views into them. The buffers of a pass (each layer's
 * output and its gradient, dLoss/dinput, the layers' scratch) are one more
 * block, sized by al_net_prepare. */
struct al_net {
    int n_layers;
    al_layer *layers;
    al_net_options opt;
    size_t capacity, batch;
    int training;
    uint64_t pass_seed;
    const float *input;
    float *pass_block;
    float **out;         /* out[i]: output of layer i, [capacity, layers[i].out] */
    float **gout;        /* gout[i]: dLoss/dout[i] */
    float *gin;          /* dLoss/dinput when a caller or a first activation layer needs it */
    float *values, *grads, *buffer_values;
    size_t block_floats; /* of values and of grads */
    al_param_ref *params, *buffers;
    int n_params, n_buffers;
    al_state_entry *entries;
    int n_entries;
    char (*names)[48];   /* storage for the entries' names */
    int have_grads;
    al_status fault;     /* a pass's failure (oneDNN out of memory), AL_OK normally */
    al_spec *spec;       /* while the net is built: messages point into the model text */
    double sumsq[AL_SUMSQ_BLOCKS]; /* the training-step backward's gradient sums of squares */
    double grad_sumsq;   /* their total; NaN when the last backward did not compute it */
};

#endif
