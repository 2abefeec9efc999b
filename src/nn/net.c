/* The net: layers built from a spec by the layer table (layers.c), the
 * blocks holding their tensors and the buffers of a pass, and the parameter
 * list in PyTorch's state_dict order. Passes are in pass.c. */
#include "nn/net_internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/spec.h"
#include "actlab/util.h"


al_net_options al_net_options_default(void)
{
    al_net_options o;
    memset(&o, 0, sizeof o);
    o.init = AL_INIT_PYTORCH;
    return o;
}

/* Each layer's input and output shapes, from the first layer on; input
 * NULL: the first layer decides (a Conv2d leaves H and W unknown). Messages
 * point into the model text while the net is built, and name the layer alone
 * when data comes later. On a failure every layer keeps the shapes it had. */
static al_status infer_shapes(al_net *net, const al_shape *input, al_error *err)
{
    al_shape *saved = malloc(2 * (size_t)net->n_layers * sizeof *saved);
    if (!saved)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory inferring the model's shapes");
    for (int i = 0; i < net->n_layers; i++) {
        saved[2 * i] = net->layers[i].in_shape;
        saved[2 * i + 1] = net->layers[i].out_shape;
    }
    const al_shape *prev = input;
    al_status st = AL_OK;
    for (int i = 0; i < net->n_layers && st == AL_OK; i++) {
        al_layer *l = &net->layers[i];
        st = l->type->shape(l, prev, net->spec, net->spec ? &net->spec->modules[i] : NULL, err);
        l->in = al_shape_size(&l->in_shape);
        l->out = al_shape_size(&l->out_shape);
        prev = &l->out_shape;
    }
    for (int i = 0; st != AL_OK && i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        l->in_shape = saved[2 * i];
        l->out_shape = saved[2 * i + 1];
        l->in = al_shape_size(&l->in_shape);
        l->out = al_shape_size(&l->out_shape);
    }
    free(saved);
    return st;
}

/* A data shape of any rank as an al_shape: ranks above AL_SHAPE_MAX_RANK
 * become one dimension (only a first layer of fixed width can take them). */
static al_shape data_shape(int rank, const size_t *dims)
{
    al_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank > AL_SHAPE_MAX_RANK ? 1 : rank;
    if (rank > AL_SHAPE_MAX_RANK) {
        s.dim[0] = 1;
        for (int i = 0; i < rank; i++)
            s.dim[0] *= dims[i];
    } else {
        for (int i = 0; i < rank; i++)
            s.dim[i] = dims[i];
    }
    return s;
}

/* A view's offset rounded up to 64 bytes (16 floats). */
static size_t align16(size_t floats)
{
    return (floats + 15) & ~(size_t)15;
}

/* A zeroed, 64-byte aligned block of at least one cache line; NULL when out of memory. */
static float *alloc_block(size_t floats)
{
    size_t bytes = align16(floats ? floats : 1) * sizeof(float);
    float *b = aligned_alloc(64, bytes);
    if (b)
        memset(b, 0, bytes);
    return b;
}

static size_t scratch_floats(const al_layer *l, size_t batch)
{
    return l->type->scratch ? l->type->scratch(l, batch) : 0;
}

/* The parameters, their gradients and the buffers are checked against the
 * machine's memory before any is allocated, so an absurd spec is refused
 * with its size rather than failing (or being OOM-killed) midway. */
static al_status check_param_memory(const al_net *net, const al_tensor_decl *decls, const int *owner,
                                    int n_decls, al_error *err)
{
    double total = 0, count = 0, largest = -1;
    int big = 0;
    for (int i = 0, k = 0; i < net->n_layers; i++) {
        /* the part of the scratch that does not grow with the batch
         * (BatchNorm's 1/std) is counted with the model, the rest by al_net_prepare */
        const al_layer *l = &net->layers[i];
        double params = 0, other = (double)scratch_floats(l, 0);
        for (; k < n_decls && owner[k] == i; k++) {
            double n = (double)al_shape_size(&decls[k].shape);
            if (decls[k].role == AL_TENSOR_PARAM)
                params += n;
            else if (decls[k].role == AL_TENSOR_BUFFER)
                other += n;
        }
        double bytes = sizeof(float) * (2 * params + other);
        count += params;
        total += bytes;
        if (bytes > largest) {
            largest = bytes;
            big = i;
        }
    }
    return al_memory_check(total, err, "the model's %.0f parameters and their gradients (most of "
                           "them in %s)", count, net->layers[big].module);
}

/* Lays the declared tensors out in the blocks (parameters and gradients at
 * the same offsets, buffers in their own) and points every view there. */
static al_status place_tensors(al_net *net, const al_tensor_decl *decls, const int *owner, int n_decls,
                               al_error *err)
{
    size_t param_floats = 0, buffer_floats = 0;
    for (int k = 0; k < n_decls; k++) {
        size_t n = align16(al_shape_size(&decls[k].shape));
        if (decls[k].role == AL_TENSOR_PARAM)
            param_floats += n;
        else if (decls[k].role == AL_TENSOR_BUFFER)
            buffer_floats += n;
    }
    net->block_floats = param_floats;
    net->values = alloc_block(param_floats);
    net->grads = alloc_block(param_floats);
    net->buffer_values = alloc_block(buffer_floats);
    net->names = calloc((size_t)n_decls + 1, sizeof *net->names);
    net->entries = calloc((size_t)n_decls + 1, sizeof *net->entries);
    net->params = calloc((size_t)n_decls + 1, sizeof *net->params);
    net->buffers = calloc((size_t)n_decls + 1, sizeof *net->buffers);
    if (!net->values || !net->grads || !net->buffer_values || !net->names || !net->entries || !net->params ||
        !net->buffers)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the model's parameters (%zu floats)",
                            param_floats);
    size_t at_param = 0, at_buffer = 0;
    for (int k = 0; k < n_decls; k++) {
        const al_tensor_decl *d = &decls[k];
        al_layer *l = &net->layers[owner[k]];
        size_t n = al_shape_size(&d->shape);
        snprintf(net->names[k], sizeof net->names[k], "%d.%s", l->index, d->suffix);
        al_state_entry *e = &net->entries[net->n_entries++];
        e->name = net->names[k];
        e->dtype = d->role == AL_TENSOR_COUNT ? AL_DTYPE_I64 : AL_DTYPE_F32;
        e->shape = d->shape;
        al_param_ref *r = NULL;
        if (d->role == AL_TENSOR_PARAM) {
            r = &net->params[net->n_params++];
            r->value = *d->value = net->values + at_param;
            r->grad = *d->grad = net->grads + at_param;
            at_param += align16(n);
        } else if (d->role == AL_TENSOR_BUFFER) {
            r = &net->buffers[net->n_buffers++];
            r->value = *d->value = net->buffer_values + at_buffer;
            at_buffer += align16(n);
        } else {
            l->tracked = d->count;
            e->data = d->count;
            continue;
        }
        r->name = e->name;
        r->count = n;
        r->no_decay = d->no_decay;
        e->data = r->value;
    }
    return AL_OK;
}

/* Every layer's tensors, in one block per role, initialised. */
static al_status build_tensors(al_net *net, al_error *err)
{
    size_t most = (size_t)net->n_layers * AL_LAYER_MAX_TENSORS;
    al_tensor_decl *decls = calloc(most, sizeof *decls);
    int *owner = calloc(most, sizeof *owner), n_decls = 0;
    if (!decls || !owner) {
        free(decls);
        free(owner);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the net");
    }
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        int n = l->type->tensors ? l->type->tensors(l, decls + n_decls) : 0;
        for (int k = 0; k < n; k++)
            owner[n_decls++] = i;
    }
    al_status st = check_param_memory(net, decls, owner, n_decls, err);
    if (st == AL_OK)
        st = place_tensors(net, decls, owner, n_decls, err);
    free(decls);
    free(owner);
    if (st != AL_OK)
        return st;
    al_rng rng;
    al_rng_seed(&rng, net->opt.seed);
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        al_layer_init ctx = {&net->opt, &rng, NULL};
        for (int j = i + 1; l->type->gain_init && j < net->n_layers && !ctx.next; j++) {
            if (net->layers[j].type->is_activation)
                ctx.next = &net->layers[j].act;
            else if (net->layers[j].type->gain_init)
                break;
        }
        if (l->type->init)
            l->type->init(l, &ctx);
    }
    return AL_OK;
}

al_status al_net_create(const char *text, const al_net_options *options, al_net **out, al_error *err)
{
    *out = NULL;
    al_spec *spec = NULL;
    al_status st = al_spec_parse(text, &spec, err);
    if (st != AL_OK)
        return st;
    al_net *net = calloc(1, sizeof *net);
    if (!net) {
        al_spec_free(spec);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the net");
    }
    net->spec = spec;
    net->opt = options ? *options : al_net_options_default();
    net->grad_sumsq = NAN;
    net->layers = calloc((size_t)spec->n_modules, sizeof *net->layers);
    net->out = calloc((size_t)spec->n_modules, sizeof *net->out);
    net->gout = calloc((size_t)spec->n_modules, sizeof *net->gout);
    if (!net->layers || !net->out || !net->gout) {
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory building the net");
        goto fail;
    }
    for (int i = 0; i < spec->n_modules; i++) {
        net->n_layers = i + 1;
        st = al_layer_build(spec, &spec->modules[i], i, &net->layers[i], err);
        if (st != AL_OK)
            goto fail;
    }
    if (net->opt.input.rank < 0 || net->opt.input.rank > AL_SHAPE_MAX_RANK) {
        st = al_error_set_field(err, AL_ERR_INVALID, "net.input", "the input shape has rank %d: give 1 to %d "
                                "dimensions, or rank 0 to take it from the data", net->opt.input.rank,
                                AL_SHAPE_MAX_RANK);
        goto fail;
    }
    st = infer_shapes(net, net->opt.input.rank > 0 ? &net->opt.input : NULL, err);
    if (st == AL_OK)
        st = build_tensors(net, err);
    if (st != AL_OK)
        goto fail;
    al_spec_free(net->spec);
    net->spec = NULL;
    *out = net;
    return AL_OK;
fail:
    al_net_free(net);
    return st;
}

static void free_buffers(al_net *net)
{
    free(net->pass_block);
    net->pass_block = net->gin = NULL;
    for (int i = 0; i < net->n_layers; i++) {
        net->out[i] = net->gout[i] = NULL;
        net->layers[i].scratch = NULL;
    }
    net->capacity = 0;
}

void al_net_free(al_net *net)
{
    if (!net)
        return;
    if (net->out && net->gout)
        free_buffers(net);
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        if (l->type && l->type->release)
            l->type->release(l);
        free(l->module);
    }
    free(net->layers);
    free(net->out);
    free(net->gout);
    free(net->values);
    free(net->grads);
    free(net->buffer_values);
    free(net->params);
    free(net->buffers);
    free(net->entries);
    free(net->names);
    al_spec_free(net->spec);
    free(net);
}

al_status al_net_fit_input(al_net *net, int rank, const size_t *shape, al_error *err)
{
    if (rank < 1 || rank > 8 || !shape)
        return al_error_set(err, AL_ERR_INVALID, "an example's shape needs 1 to 8 dimensions, got %d", rank);
    al_shape s = data_shape(rank, shape);
    if (al_shape_size(&s) == 0)
        return al_error_set(err, AL_ERR_SHAPE, "an example's shape has a dimension of 0");
    size_t have = al_net_in_features(net);
    if (have == al_shape_size(&s))
        return AL_OK; /* the rows are read in the net's own input shape */
    al_status st = infer_shapes(net, &s, err);
    if (st != AL_OK)
        return st;
    free_buffers(net);
    return AL_OK;
}

al_shape al_net_input_shape(const al_net *net)
{
    return net->layers[0].in_shape;
}

al_status al_net_prepare(al_net *net, size_t batch, al_error *err)
{
    if (batch == 0)
        return al_error_set(err, AL_ERR_INVALID, "batch size must be at least 1");
    if (batch <= net->capacity)
        return AL_OK;
    if (!al_net_in_features(net)) {
        char text[96];
        al_shape in = al_net_input_shape(net);
        return al_error_set(err, AL_ERR_SHAPE, "the model's input shape is not known yet: %s takes %s "
                            "examples; fit the model to the data first (al_net_fit_input)",
                            net->layers[0].module, al_shape_str(&in, text, sizeof text));
    }
    /* every layer's output and its gradient, the input's gradient, and the
     * layers' scratch (Dropout's mask, BatchNorm's normalised input) */
    double floats = (double)batch * (double)al_net_in_features(net);
    for (int i = 0; i < net->n_layers; i++) {
        const al_layer *l = &net->layers[i];
        floats += 2.0 * (double)batch * (double)l->out + (double)(scratch_floats(l, batch) - scratch_floats(l, 0));
    }
    al_status st = al_memory_check(floats * sizeof(float), err, "batch size %zu: the layers' outputs "
                                   "and their gradients", batch);
    if (st != AL_OK)
        return st;
    free_buffers(net);
    size_t total = align16(batch * al_net_in_features(net));
    for (int i = 0; i < net->n_layers; i++)
        total += 2 * align16(batch * net->layers[i].out) + align16(scratch_floats(&net->layers[i], batch));
    net->pass_block = alloc_block(total);
    if (!net->pass_block)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for batch size %zu (%zu floats)", batch, total);
    float *at = net->pass_block;
    net->gin = at;
    at += align16(batch * al_net_in_features(net));
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        size_t n = align16(batch * l->out);
        net->out[i] = at;
        net->gout[i] = at + n;
        l->scratch = at + 2 * n;
        at += 2 * n + align16(scratch_floats(l, batch));
    }
    net->capacity = batch;
    return AL_OK;
}

void al_net_zero_grad(al_net *net)
{
    memset(net->grads, 0, net->block_floats * sizeof(float));
    net->grad_sumsq = NAN;
}

float *al_net_param_block(const al_net *net, size_t *count)
{
    *count = net->block_floats;
    return net->values;
}

float *al_net_grad_block(const al_net *net, size_t *count)
{
    *count = net->block_floats;
    return net->grads;
}

const al_state_entry *al_net_state_entries(const al_net *net, int *count)
{
    *count = net->n_entries;
    return net->entries;
}

int al_net_layer_count(const al_net *net) { return net->n_layers; }

al_layer_info al_net_layer(const al_net *net, int index)
{
    const al_layer *l = &net->layers[index];
    al_layer_info info = {l->type->kind, l->index, l->module, l->in, l->out,
                          l->type->is_activation ? &l->act : NULL, l->p, l->eps,
                          l->in_shape, l->out_shape, l->win};
    return info;
}

size_t al_net_in_features(const al_net *net) { return net->layers[0].in; }
size_t al_net_out_features(const al_net *net) { return net->layers[net->n_layers - 1].out; }

const al_param_ref *al_net_params(const al_net *net, int *count)
{
    *count = net->n_params;
    return net->params;
}

const al_param_ref *al_net_buffers(const al_net *net, int *count)
{
    *count = net->n_buffers;
    return net->buffers;
}

int64_t *al_net_batches_tracked(al_net *net, int index)
{
    if (index < 0 || index >= net->n_layers)
        return NULL;
    return net->layers[index].tracked;
}

const float *al_net_layer_output(const al_net *net, int index)
{
    return net->out[index];
}

const float *al_net_layer_output_grad(const al_net *net, int index)
{
    return net->have_grads ? net->gout[index] : NULL;
}

const float *al_net_layer_input(const al_net *net, int index)
{
    return index > 0 ? al_net_layer_output(net, index - 1) : net->input;
}

size_t al_net_batch(const al_net *net) { return net->batch; }
