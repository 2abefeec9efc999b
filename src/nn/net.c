/* The net: layers built from a spec, the buffers of a pass, and the
 * parameter list in PyTorch's state_dict order. */
#include "nn/layer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/spec.h"
#include "actlab/util.h"
#include "spec/bind.h"

struct al_net {
    int n_layers;
    al_layer *layers;
    al_net_options opt;
    size_t capacity, batch;
    int training;
    uint64_t pass_seed;
    const float *input;
    float **out;         /* out[i]: output of layer i, [capacity, layers[i].out] */
    float **gout;        /* gout[i]: dLoss/dout[i] */
    float *gin;          /* dLoss/dinput when a caller or a first activation layer needs it */
    al_param_ref *params, *buffers;
    int n_params, n_buffers;
    char (*names)[48];   /* storage for parameter and buffer names */
    int have_grads;
};

static const char *const layer_modules[] = {"Linear", "Dropout", "BatchNorm1d", "Flatten"};

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

/* Reads one module into a layer (sizes of activation-like layers come later). */
static al_status build_layer(const al_spec *spec, const al_spec_module *m, int index, al_layer *l,
                             al_error *err)
{
    memset(l, 0, sizeof *l);
    l->index = index;
    l->module = module_text(spec, m);
    if (!l->module)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory reading the spec");
    if (strcmp(m->name, "Linear") == 0) {
        static const al_param_info p[] = {
            {"in_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
            {"out_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
            {"bias", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};
        double v[3] = {NAN, NAN, 1};
        al_status st = al_spec_bind(spec, m, p, 3, NULL, v, NULL, NULL, err);
        if (st != AL_OK)
            return st;
        l->kind = AL_LAYER_LINEAR;
        l->in = (size_t)v[0];
        l->out = (size_t)v[1];
        l->has_bias = v[2] != 0;
        return AL_OK;
    }
    if (strcmp(m->name, "Dropout") == 0) {
        static const al_param_info p[] = {{"p", AL_PARAM_FLOAT, 0, 0.5, 0, 1, 0, 0, NULL, "0.5"},
                                          {"inplace", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"}};
        double v[2] = {0.5, 0};
        l->kind = AL_LAYER_DROPOUT;
        al_status st = al_spec_bind(spec, m, p, 2, NULL, v, NULL, NULL, err);
        l->p = v[0];
        return st;
    }
    if (strcmp(m->name, "BatchNorm1d") == 0) {
        static const al_param_info p[] = {
            {"num_features", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
            {"eps", AL_PARAM_FLOAT, 0, 1e-5, 0, INFINITY, 1, 1, NULL, "1e-05"},
            {"momentum", AL_PARAM_FLOAT, 0, 0.1, 0, 1, 0, 0, NULL, "0.1"},
            {"affine", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};
        double v[4] = {NAN, 1e-5, 0.1, 1};
        al_status st = al_spec_bind(spec, m, p, 4, NULL, v, NULL, NULL, err);
        if (st != AL_OK)
            return st;
        l->kind = AL_LAYER_BATCHNORM;
        l->in = l->out = (size_t)v[0];
        l->eps = v[1];
        l->momentum = v[2];
        l->affine = v[3] != 0;
        return AL_OK;
    }
    if (strcmp(m->name, "Flatten") == 0) {
        static const al_param_info p[] = {{"start_dim", AL_PARAM_INT, 0, 1, 1, 1, 0, 0, NULL, "1"},
                                          {"end_dim", AL_PARAM_INT, 0, -1, -1, -1, 0, 0, NULL, "-1"}};
        double v[2] = {1, -1};
        l->kind = AL_LAYER_FLATTEN;
        return al_spec_bind(spec, m, p, 2, NULL, v, NULL, NULL, err);
    }
    al_act_id id;
    if (al_act_find(m->name, &id, NULL) == AL_OK) {
        l->kind = id == AL_ACT_IDENTITY ? AL_LAYER_IDENTITY : AL_LAYER_ACTIVATION;
        return al_act_from_module(spec, m, &l->act, err);
    }
    /* unknown: suggest from layers and activations together */
    const char *names[AL_ACT_COUNT + 4];
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        names[n++] = layer_modules[i];
    for (int i = 0; i < AL_ACT_COUNT; i++)
        names[n++] = al_act_info_of((al_act_id)i)->name;
    char close[256];
    al_closest_names(m->name, names, n, close, sizeof close);
    return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID,
                            "unknown module '%s': did you mean %s?", m->name, close);
}

static float *alloc_floats(size_t n)
{
    return calloc(n ? n : 1, sizeof(float));
}

/* Weights and biases as PyTorch initialises them, or by the chosen scheme
 * with the gain of the activation that follows. */
static void init_linear(al_layer *l, const al_act *next, const al_net_options *o, al_rng *rng)
{
    double fan_in = (double)l->in, fan_out = (double)l->out;
    double gain = next ? al_act_gain(next) : 1.0, bound = 1.0 / sqrt(fan_in);
    size_t nw = l->in * l->out;
    for (size_t i = 0; i < nw; i++) {
        double u = 2 * al_rng_uniform(rng) - 1, w;
        switch (o->init) {
        case AL_INIT_XAVIER_UNIFORM: w = u * gain * sqrt(6.0 / (fan_in + fan_out)); break;
        case AL_INIT_XAVIER_NORMAL: w = al_rng_normal(rng) * gain * sqrt(2.0 / (fan_in + fan_out)); break;
        case AL_INIT_KAIMING_UNIFORM: w = u * gain * sqrt(3.0 / fan_in); break;
        case AL_INIT_KAIMING_NORMAL: w = al_rng_normal(rng) * gain / sqrt(fan_in); break;
        case AL_INIT_LECUN_NORMAL: w = al_rng_normal(rng) / sqrt(fan_in); break;
        default: w = u * bound; break; /* kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)) */
        }
        l->weight[i] = (float)w;
    }
    for (size_t i = 0; l->has_bias && i < l->out; i++)
        l->bias[i] = o->init == AL_INIT_PYTORCH ? (float)((2 * al_rng_uniform(rng) - 1) * bound) : 0.0f;
}

static al_status add_ref(al_net *net, al_param_ref *list, int *count, int index, const char *suffix,
                         float *value, float *grad, size_t n, int no_decay)
{
    int k = net->n_params + net->n_buffers;
    snprintf(net->names[k], sizeof net->names[k], "%d.%s", index, suffix);
    al_param_ref *r = &list[(*count)++];
    r->name = net->names[k];
    r->value = value;
    r->grad = grad;
    r->count = n;
    r->no_decay = no_decay;
    return AL_OK;
}

/* The parameters, their gradients and BatchNorm's buffers are checked
 * against the machine's memory before any is allocated, so an absurd spec is
 * refused with its size rather than failing (or being OOM-killed) midway. */
static al_status check_param_memory(const al_net *net, al_error *err)
{
    double total = 0, count = 0, largest = -1;
    int big = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const al_layer *l = &net->layers[i];
        double params = 0, other = 0;
        if (l->kind == AL_LAYER_LINEAR)
            params = (double)l->in * (double)l->out + (l->has_bias ? (double)l->out : 0);
        else if (l->kind == AL_LAYER_BATCHNORM)
            params = 2.0 * (double)l->out, other = 3.0 * (double)l->out;
        else if (l->kind == AL_LAYER_ACTIVATION)
            params = (double)al_act_weight_count(&l->act);
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

/* Widths, parameter storage and the parameter list, once the modules are read. */
static al_status finish(al_net *net, const al_spec *spec, al_error *err)
{
    size_t width = 0;
    int slots = 0;
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        const al_spec_module *m = &spec->modules[i];
        if (l->kind == AL_LAYER_LINEAR || l->kind == AL_LAYER_BATCHNORM) {
            if (i > 0 && l->in != width)
                return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                        "%s expects %zu input features, but the layer before it "
                                        "produces %zu", l->module, l->in, width);
            width = l->out;
        } else {
            if (i == 0)
                return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE,
                                        "the first module must fix the input size: start with "
                                        "Linear(in_features, out_features) or BatchNorm1d(n)");
            l->in = l->out = width;
        }
        slots += 4;
    }
    al_status st = check_param_memory(net, err);
    if (st != AL_OK)
        return st;
    net->names = calloc((size_t)slots, sizeof *net->names);
    net->params = calloc((size_t)slots, sizeof *net->params);
    net->buffers = calloc((size_t)slots, sizeof *net->buffers);
    if (!net->names || !net->params || !net->buffers)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the net");
    al_rng rng;
    al_rng_seed(&rng, net->opt.seed);
    for (int i = 0; i < net->n_layers; i++) {
        al_layer *l = &net->layers[i];
        if (l->kind == AL_LAYER_LINEAR) {
            const al_act *next = NULL;
            for (int j = i + 1; j < net->n_layers && !next; j++) {
                if (net->layers[j].kind == AL_LAYER_ACTIVATION)
                    next = &net->layers[j].act;
                else if (net->layers[j].kind == AL_LAYER_LINEAR)
                    break;
            }
            l->weight = alloc_floats(l->in * l->out);
            l->dweight = alloc_floats(l->in * l->out);
            if (l->has_bias) {
                l->bias = alloc_floats(l->out);
                l->dbias = alloc_floats(l->out);
            }
            if (!l->weight || !l->dweight || (l->has_bias && (!l->bias || !l->dbias)))
                return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s's parameters", l->module);
            init_linear(l, next, &net->opt, &rng);
            add_ref(net, net->params, &net->n_params, i, "weight", l->weight, l->dweight, l->in * l->out, 0);
            if (l->has_bias)
                add_ref(net, net->params, &net->n_params, i, "bias", l->bias, l->dbias, l->out, 0);
        } else if (l->kind == AL_LAYER_ACTIVATION && al_act_weight_count(&l->act) > 0) {
            size_t nw = al_act_weight_count(&l->act);
            if (nw > 1 && nw != l->out)
                return al_spec_error_at(spec, spec->modules[i].line, spec->modules[i].column, err,
                                        AL_ERR_SHAPE, "%s has %zu slopes but its input has %zu "
                                        "features: use num_parameters=1 or %zu", l->module, nw, l->out, l->out);
            l->weight = alloc_floats(nw);
            l->dweight = alloc_floats(nw);
            if (!l->weight || !l->dweight)
                return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s's parameters", l->module);
            for (size_t k = 0; k < nw; k++)
                l->weight[k] = (float)l->act.param[1];
            add_ref(net, net->params, &net->n_params, i, "weight", l->weight, l->dweight, nw, 1);
        } else if (l->kind == AL_LAYER_BATCHNORM) {
            l->running_mean = alloc_floats(l->out);
            l->running_var = alloc_floats(l->out);
            l->inv_std = alloc_floats(l->out);
            if (!l->running_mean || !l->running_var || !l->inv_std)
                return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s", l->module);
            for (size_t k = 0; k < l->out; k++)
                l->running_var[k] = 1.0f;
            if (l->affine) {
                l->weight = alloc_floats(l->out);
                l->bias = alloc_floats(l->out);
                l->dweight = alloc_floats(l->out);
                l->dbias = alloc_floats(l->out);
                if (!l->weight || !l->bias || !l->dweight || !l->dbias)
                    return al_error_set(err, AL_ERR_NOMEM, "out of memory for %s", l->module);
                for (size_t k = 0; k < l->out; k++)
                    l->weight[k] = 1.0f;
                add_ref(net, net->params, &net->n_params, i, "weight", l->weight, l->dweight, l->out, 1);
                add_ref(net, net->params, &net->n_params, i, "bias", l->bias, l->dbias, l->out, 1);
            }
            add_ref(net, net->buffers, &net->n_buffers, i, "running_mean", l->running_mean, NULL, l->out, 1);
            add_ref(net, net->buffers, &net->n_buffers, i, "running_var", l->running_var, NULL, l->out, 1);
        }
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
    net->layers = calloc((size_t)spec->n_modules, sizeof *net->layers);
    if (!net->layers) {
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory building the net");
        goto fail;
    }
    for (int i = 0; i < spec->n_modules; i++) {
        net->n_layers = i + 1;
        st = build_layer(spec, &spec->modules[i], i, &net->layers[i], err);
        if (st != AL_OK)
            goto fail;
    }
    st = finish(net, spec, err);
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
    for (int i = 0; net->out && i < net->n_layers; i++) {
        if (!net->out[i])
            continue;
        free(net->out[i]);
        free(net->gout[i]);
    }
    free(net->out);
    free(net->gout);
    free(net->gin);
    net->out = net->gout = NULL;
    net->gin = NULL;
    net->capacity = 0;
}

void al_net_free(al_net *net)
{
    if (!net)
        return;
    free_buffers(net);
    for (int i = 0; i < net->n_layers; i++)
        al_layer_free(&net->layers[i]);
    free(net->layers);
    free(net->params);
    free(net->buffers);
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
     * masks of Dropout and BatchNorm */
    double floats = (double)batch * (double)al_net_in_features(net);
    for (int i = 0; i < net->n_layers; i++) {
        const al_layer *l = &net->layers[i];
        int extra = l->kind == AL_LAYER_DROPOUT || l->kind == AL_LAYER_BATCHNORM;
        floats += (2.0 + extra) * (double)batch * (double)l->out;
    }
    al_status st = al_memory_check(floats * sizeof(float), err, "batch size %zu: the layers' outputs "
                                   "and their gradients", batch);
    if (st != AL_OK)
        return st;
    free_buffers(net);
    net->out = calloc((size_t)net->n_layers, sizeof *net->out);
    net->gout = calloc((size_t)net->n_layers, sizeof *net->gout);
    net->gin = alloc_floats(batch * al_net_in_features(net));
    if (!net->out || !net->gout || !net->gin) {
        free_buffers(net);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for batch size %zu", batch);
    }
    for (int i = 0; i < net->n_layers; i++) {
        size_t n = batch * net->layers[i].out;
        net->out[i] = alloc_floats(n);
        net->gout[i] = alloc_floats(n);
        if (!net->out[i] || !net->gout[i] || al_layer_prepare(&net->layers[i], batch, err) != AL_OK) {
            free_buffers(net);
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for batch size %zu (%zu floats per buffer)",
                                batch, n);
        }
    }
    net->capacity = batch;
    return AL_OK;
}

static al_pass make_pass(const al_net *net)
{
    al_pass p = {net->batch, net->training, net->pass_seed, net->opt.threads};
    return p;
}

const float *al_net_forward(al_net *net, const float *x, size_t batch, int training, uint64_t step)
{
    if (batch > net->capacity && al_net_prepare(net, batch, NULL) != AL_OK)
        return NULL;
    net->batch = batch;
    net->training = training;
    net->pass_seed = al_mix64(net->opt.seed ^ al_mix64(step + 0x51ed));
    net->input = x;
    net->have_grads = 0;
    al_pass p = make_pass(net);
    const float *in = x;
    for (int i = 0; i < net->n_layers; i++) {
        al_layer_forward(&net->layers[i], &p, in, net->out[i]);
        in = net->out[i];
    }
    return in;
}

void al_net_backward(al_net *net, const float *dy, float *dx)
{
    al_pass p = make_pass(net);
    int last = net->n_layers - 1;
    memcpy(net->gout[last], dy, net->batch * net->layers[last].out * sizeof(float));
    for (int i = last; i >= 0; i--) {
        al_layer *l = &net->layers[i];
        const float *x = i > 0 ? net->out[i - 1] : net->input;
        float *g = i > 0 ? net->gout[i - 1] : (dx ? dx : (l->kind == AL_LAYER_LINEAR ? NULL : net->gin));
        al_layer_backward(l, &p, x, net->out[i], net->gout[i], g);
    }
    net->have_grads = 1;
}

void al_net_zero_grad(al_net *net)
{
    for (int i = 0; i < net->n_params; i++)
        memset(net->params[i].grad, 0, net->params[i].count * sizeof(float));
}

int al_net_layer_count(const al_net *net) { return net->n_layers; }

al_layer_info al_net_layer(const al_net *net, int index)
{
    const al_layer *l = &net->layers[index];
    al_layer_info info = {l->kind, l->index, l->module, l->in, l->out,
                          l->kind == AL_LAYER_ACTIVATION ? &l->act : NULL,
                          l->kind == AL_LAYER_DROPOUT ? l->p : 0.0,
                          l->kind == AL_LAYER_BATCHNORM ? l->eps : 0.0};
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
    if (index < 0 || index >= net->n_layers || net->layers[index].kind != AL_LAYER_BATCHNORM)
        return NULL;
    return &net->layers[index].batches_tracked;
}

const float *al_net_layer_output(const al_net *net, int index)
{
    return net->out ? net->out[index] : NULL;
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

int al_net_activation_derivative(const al_net *net, int index, const float *ones, float *d)
{
    const al_layer *l = &net->layers[index];
    if (l->kind != AL_LAYER_ACTIVATION || !net->input)
        return 0;
    al_pass p = make_pass(net);
    al_layer_derivative(l, &p, al_net_layer_input(net, index), net->out[index], ones, d);
    return 1;
}
