/* The net: layers built from a spec by the layer table (layers.c), the
 * blocks holding their tensors and the buffers of a pass, and the parameter
 * list in PyTorch's state_dict order. Passes are in pass.c. */
#include "nn/net_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/spec.h"
#include "actlab/util.h"
#include "spec/bind.h"


static const struct {
    const char *name;
    al_init_scheme scheme;
} schemes[] = {{"pytorch", AL_INIT_PYTORCH},
               {"xavier-uniform", AL_INIT_XAVIER_UNIFORM},
               {"xavier-normal", AL_INIT_XAVIER_NORMAL},
               {"kaiming-uniform", AL_INIT_KAIMING_UNIFORM},
               {"kaiming-normal", AL_INIT_KAIMING_NORMAL},
               {"lecun-normal", AL_INIT_LECUN_NORMAL}};
#define N_SCHEMES (sizeof schemes / sizeof schemes[0])

al_status al_init_scheme_parse(const char *name, al_init_scheme *out, al_error *err)
{
    for (size_t i = 0; i < N_SCHEMES; i++) {
        if (strcmp(name, schemes[i].name) == 0) {
            *out = schemes[i].scheme;
            return AL_OK;
        }
    }
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown init scheme '%s': use pytorch, xavier-uniform, xavier-normal, "
                        "kaiming-uniform, kaiming-normal or lecun-normal", name);
}

const char *al_init_scheme_name(al_init_scheme scheme)
{
    for (size_t i = 0; i < N_SCHEMES; i++)
        if (schemes[i].scheme == scheme)
            return schemes[i].name;
    return "pytorch";
}

al_net_options al_net_options_default(void)
{
    al_net_options o;
    memset(&o, 0, sizeof o);
    o.init = AL_INIT_PYTORCH;
    return o;
}

static char *module_text(const al_spec *spec, const al_spec_module *m)
{
    /* rebuild "Name(args)" from the source: from the name to its ')' */
    const char *src = spec->source;
    int line = 1;
    const char *p = src;
    while (*p && line < m->line)
        if (*p++ == '\n')
            line++;
    p += m->column - 1;
    const char *end = p;
    int depth = 0;
    while (*end) {
        if (*end == '(')
            depth++;
        else if (*end == ')' && --depth == 0) {
            end++;
            break;
        }
        end++;
    }
    size_t n = (size_t)(end - p);
    char *t = malloc(n + 1);
    if (t) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) /* fold newlines and runs of spaces */
            if (!(p[i] == '\n' || ((p[i] == ' ' || p[i] == '\t') && k && t[k - 1] == ' ')))
                t[k++] = p[i] == '\t' ? ' ' : p[i];
        t[k] = '\0';
    }
    return t;
}

/* Reads one module into a layer: its row, its arguments (shapes come later). */
static al_status build_layer(const al_spec *spec, const al_spec_module *m, int index, al_layer *l,
                             al_error *err)
{
    memset(l, 0, sizeof *l);
    l->index = index;
    l->module = module_text(spec, m);
    if (!l->module)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory reading the spec");
    l->type = al_layer_type_find(m->name);
    if (!l->type)
        return al_layer_unknown(spec, m, err);
    double args[AL_LAYER_MAX_ARGS];
    if (!l->type->is_activation) {
        for (int i = 0; i < l->type->n_args; i++)
            args[i] = l->type->args[i].required ? NAN : l->type->args[i].default_value;
        al_status st = al_spec_bind(spec, m, l->type->args, l->type->n_args, NULL, args, NULL, NULL, err);
        if (st != AL_OK)
            return st;
    }
    return l->type->configure ? l->type->configure(l, args, spec, m, err) : AL_OK;
}

/* Each layer's input and output shapes, from the first layer on. */
static al_status infer_shapes(al_net *net, const al_spec *spec, al_error *err)
{
    const al_shape *prev = NULL;
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        al_status st = l->type->shape(l, prev, spec, &spec->modules[i], err);
        if (st != AL_OK)
            return st;
        l->in = al_shape_size(&l->in_shape);
        l->out = al_shape_size(&l->out_shape);
        prev = &l->out_shape;
    }
    return AL_OK;
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
        st = build_layer(spec, &spec->modules[i], i, &net->layers[i], err);
        if (st != AL_OK)
            goto fail;
    }
    st = infer_shapes(net, spec, err);
    if (st == AL_OK)
        st = build_tensors(net, err);
    if (st != AL_OK)
        goto fail;
    al_spec_free(spec);
    *out = net;
    return AL_OK;
fail:
    al_spec_free(spec);
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
    free(net);
}

al_status al_net_prepare(al_net *net, size_t batch, al_error *err)
{
    if (batch == 0)
        return al_error_set(err, AL_ERR_INVALID, "batch size must be at least 1");
    if (batch <= net->capacity)
        return AL_OK;
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
                          l->type->is_activation ? &l->act : NULL, l->p, l->eps};
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
