/* Conv2d over [batch, C, H, W] with PyTorch's arguments and weight layout
 * ([out, in / groups, kh, kw]), computed by oneDNN's convolution primitives.
 *
 * oneDNN's fast kernels want blocked layouts (channels in groups of 16); the
 * net hands layers plain NCHW tensors, so each tensor argument is an
 * `operand`: the caller's plain memory and, where the primitive chose another
 * layout, a buffer in that layout with the reorder between them (as PyTorch
 * does around the same primitives). The primitives, reorders and buffers for
 * one batch size and input size form a `plan`, made once and kept (a few per
 * layer: training batches, the last partial batch, evaluation); a training
 * forward also makes the backward primitives, so that backward never
 * allocates.
 *
 * In a net's team of threads (pass.c) the layer splits the batch's rows:
 * each thread runs the primitives on its own rows with plans of its own
 * (oneDNN's threading is off inside the team), writes its rows of the
 * output and of the input's gradient, and sums its rows' weight and bias
 * gradients into a buffer of its own; `combine` then adds the threads'
 * buffers in thread order, each thread its share of the parameters. The
 * arithmetic depends only on the thread count, so a run repeats. */
#include "nn/layer.h"

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

/* Plans kept per layer; the least recently used one is replaced. */
#define PLANS 4

typedef struct operand {
    dnnl_memory_t user;       /* the plain layout over the caller's buffer */
    dnnl_memory_t inner;      /* the primitive's layout; == user when they agree */
    dnnl_primitive_t reorder; /* user -> inner (inputs) or inner -> user (outputs); NULL when none */
    int shared;               /* inner belongs to another operand, already filled by it */
} operand;

typedef struct plan {
    size_t batch, ih, iw;     /* the key; batch 0: unused slot */
    unsigned long used;       /* for replacement */
    dnnl_primitive_t fwd, bwd_data, bwd_weights;
    operand src, weights, dst, bias;                    /* forward */
    operand bd_weights, bd_diff_dst, bd_diff_src;       /* backward data */
    operand bw_src, bw_diff_dst, bw_diff_weights, bw_diff_bias; /* backward weights */
} plan;

/* One thread's primitives and its rows' parameter gradients. */
typedef struct thread_state {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    plan plans[PLANS];
    unsigned long clock;
    float *dweight, *dbias;   /* plain layouts, summed over this thread's rows by backward */
    size_t rows;              /* rows of its last backward (0: nothing to combine) */
} thread_state;

/* Each thread makes and uses only its own slot, so no slot is shared. */
typedef struct conv_state {
    thread_state *threads[AL_TEAM_MAX];
} conv_state;

/* ---- arguments and shapes ---- */
static const char *const padding_modes[] = {"zeros", NULL};

static const al_param_info conv_args[] = {
    {"in_channels", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"out_channels", AL_PARAM_INT, 1, NAN, 1, 1e9, 0, 0, NULL, "required"},
    {"kernel_size", AL_PARAM_INT_PAIR, 1, NAN, 1, 1e6, 0, 0, NULL, "required"},
    {"stride", AL_PARAM_INT_PAIR, 0, 1, 1, 1e6, 0, 0, NULL, "1"},
    {"padding", AL_PARAM_INT_PAIR, 0, 0, 0, 1e6, 0, 0, NULL, "0"},
    {"dilation", AL_PARAM_INT_PAIR, 0, 1, 1, 1e6, 0, 0, NULL, "1"},
    {"groups", AL_PARAM_INT, 0, 1, 1, 1e9, 0, 0, NULL, "1"},
    {"bias", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"},
    {"padding_mode", AL_PARAM_CHOICE, 0, 0, 0, 0, 0, 0, padding_modes, "'zeros'"}};

static al_status conv_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                const al_spec_module *m, al_error *err)
{
    al_window *w = &l->win;
    l->channels = (size_t)a[0].v[0];
    size_t out = (size_t)a[1].v[0];
    for (int k = 0; k < 2; k++) {
        w->kernel[k] = (size_t)a[2].v[k];
        w->stride[k] = (size_t)a[3].v[k];
        w->padding[k] = (size_t)a[4].v[k];
        w->dilation[k] = (size_t)a[5].v[k];
    }
    w->groups = (size_t)a[6].v[0];
    l->has_bias = a[7].v[0] != 0;
    l->out_shape.rank = 3;
    l->out_shape.dim[0] = out;
    l->state = calloc(1, sizeof(conv_state));
    if (!l->state)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building %s", l->module);
    if (l->channels % w->groups || out % w->groups)
        return al_layer_shape_error(l, spec, m, err, "splits its channels into %zu groups, but %s_channels "
                                    "%zu is not divisible by %zu", w->groups,
                                    l->channels % w->groups ? "in" : "out",
                                    l->channels % w->groups ? l->channels : out, w->groups);
    return AL_OK;
}

static al_status conv_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                            al_error *err)
{
    al_shape unknown = {3, {l->channels, 0, 0, 0}};
    const al_window *w = &l->win;
    char text[96];
    if (!in)
        in = &unknown; /* first in the model: H and W come with the data */
    al_status st = al_layer_need_image(l, in, l->channels, spec, m, err);
    if (st != AL_OK)
        return st;
    l->in_shape = *in;
    for (int a = 0; a < 2; a++) {
        size_t size = in->dim[1 + a], extent = w->dilation[a] * (w->kernel[a] - 1) + 1;
        if (size && size + 2 * w->padding[a] < extent)
            return al_layer_shape_error(l, spec, m, err, "has a %zux%zu kernel (spanning %zu with dilation "
                                        "%zu) larger than its padded input: %s with padding %zu gives %zu",
                                        w->kernel[0], w->kernel[1], extent, w->dilation[a],
                                        al_shape_str(in, text, sizeof text), w->padding[a],
                                        size + 2 * w->padding[a]);
        l->out_shape.dim[1 + a] = size ? (size + 2 * w->padding[a] - extent) / w->stride[a] + 1 : 0;
    }
    return AL_OK;
}

static al_shape weight_shape(const al_layer *l)
{
    al_shape s = {4, {l->out_shape.dim[0], l->channels / l->win.groups, l->win.kernel[0], l->win.kernel[1]}};
    return s;
}

static int conv_tensors(al_layer *l, al_tensor_decl d[AL_LAYER_MAX_TENSORS])
{
    d[0] = al_layer_param("weight", weight_shape(l), &l->weight, &l->dweight, 0);
    if (!l->has_bias)
        return 1;
    d[1] = al_layer_param("bias", al_shape_features(l->out_shape.dim[0]), &l->bias, &l->dbias, 0);
    return 2;
}

static void conv_init(al_layer *l, const al_layer_init *c)
{
    al_shape w = weight_shape(l);
    double area = (double)(w.dim[2] * w.dim[3]);
    al_layer_init_weights(l, c, al_shape_size(&w), (double)w.dim[1] * area, (double)w.dim[0] * area);
}

/* Each output value sums in_channels / groups x kh x kw products. */
static double conv_work(const al_layer *l)
{
    al_shape w = weight_shape(l);
    return (double)l->out * (double)(w.dim[1] * w.dim[2] * w.dim[3]);
}

/* ---- oneDNN plumbing ---- */

static void operand_free(operand *op)
{
    if (op->reorder)
        dnnl_primitive_destroy(op->reorder);
    if (op->inner && op->inner != op->user && !op->shared)
        dnnl_memory_destroy(op->inner);
    if (op->user)
        dnnl_memory_destroy(op->user);
    memset(op, 0, sizeof *op);
}

static void plan_free(plan *p)
{
    dnnl_primitive_t prims[3] = {p->fwd, p->bwd_data, p->bwd_weights};
    for (int i = 0; i < 3; i++)
        if (prims[i])
            dnnl_primitive_destroy(prims[i]);
    operand *ops[] = {&p->src, &p->weights, &p->dst, &p->bias, &p->bd_weights, &p->bd_diff_dst,
                      &p->bd_diff_src, &p->bw_src, &p->bw_diff_dst, &p->bw_diff_weights, &p->bw_diff_bias};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        operand_free(ops[i]);
    memset(p, 0, sizeof *p);
}

/* An operand for a tensor held as `plain` that the primitive wants as
 * `want`. Outputs reorder inner -> user; `accumulate` adds into the user's
 * buffer (a sum post-op) instead of overwriting it, so it always has its own
 * inner buffer. */
static dnnl_status_t operand_init(operand *op, dnnl_engine_t engine, const dnnl_memory_desc_t *plain,
                                  const dnnl_memory_desc_t *want, int output, int accumulate)
{
    dnnl_status_t s = dnnl_memory_create(&op->user, plain, engine, DNNL_MEMORY_NONE);
    if (s != dnnl_success)
        return s;
    if (!accumulate && dnnl_memory_desc_equal(plain, want)) {
        op->inner = op->user;
        return dnnl_success;
    }
    s = dnnl_memory_create(&op->inner, want, engine, DNNL_MEMORY_ALLOCATE);
    if (s != dnnl_success)
        return s;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (accumulate) {
        s = dnnl_primitive_attr_create(&attr);
        if (s == dnnl_success)
            s = dnnl_post_ops_create(&ops);
        if (s == dnnl_success)
            s = dnnl_post_ops_append_sum(ops, 1.0f);
        if (s == dnnl_success)
            s = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    if (s == dnnl_success)
        s = output ? dnnl_reorder_primitive_desc_create(&pd, want, engine, plain, engine, attr)
                   : dnnl_reorder_primitive_desc_create(&pd, plain, engine, want, engine, attr);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&op->reorder, pd);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (ops)
        dnnl_post_ops_destroy(ops);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return s;
}

/* op takes other's inner buffer when the primitive wants the same layout
 * (backward weights reads the source forward already reordered); otherwise
 * it gets its own. */
static dnnl_status_t operand_reuse(operand *op, const operand *other, dnnl_engine_t engine,
                                   const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *want)
{
    const dnnl_memory_desc_t *have;
    if (other->inner && dnnl_memory_get_memory_desc(other->inner, &have) == dnnl_success &&
        dnnl_memory_desc_equal(have, want)) {
        dnnl_status_t s = dnnl_memory_create(&op->user, plain, engine, DNNL_MEMORY_NONE);
        op->inner = other->inner == other->user ? op->user : other->inner;
        op->shared = other->inner != other->user;
        return s;
    }
    return operand_init(op, engine, plain, want, 0, 0);
}

static int run_prim(dnnl_primitive_t prim, dnnl_stream_t stream, int n, const dnnl_exec_arg_t *args)
{
    return dnnl_primitive_execute(prim, stream, n, args) == dnnl_success;
}

/* Points op's user memory at data and, for an input, fills its inner buffer. */
static int operand_in(operand *op, dnnl_stream_t stream, const float *data)
{
    if (dnnl_memory_set_data_handle(op->user, (void *)data) != dnnl_success)
        return 0;
    if (!op->reorder || op->shared)
        return 1;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, op->user}, {DNNL_ARG_TO, op->inner}};
    return run_prim(op->reorder, stream, 2, args);
}

/* For an output: moves (or adds) the inner buffer into data. */
static int operand_out(operand *op, dnnl_stream_t stream, float *data)
{
    if (dnnl_memory_set_data_handle(op->user, data) != dnnl_success)
        return 0;
    if (!op->reorder)
        return 1;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, op->inner}, {DNNL_ARG_TO, op->user}};
    return run_prim(op->reorder, stream, 2, args);
}

typedef struct descs {
    dnnl_memory_desc_t src, weights, bias, dst;              /* plain */
    dnnl_memory_desc_t any_src, any_weights, any_dst;        /* format any */
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} descs;

static dnnl_status_t make_descs(const al_layer *l, size_t batch, descs *d)
{
    const al_window *w = &l->win;
    const dnnl_dim_t n = (dnnl_dim_t)batch, c = (dnnl_dim_t)l->channels, o = (dnnl_dim_t)l->out_shape.dim[0];
    const dnnl_dim_t g = (dnnl_dim_t)w->groups;
    dnnl_dims_t src = {n, c, (dnnl_dim_t)l->in_shape.dim[1], (dnnl_dim_t)l->in_shape.dim[2]};
    dnnl_dims_t dst = {n, o, (dnnl_dim_t)l->out_shape.dim[1], (dnnl_dim_t)l->out_shape.dim[2]};
    dnnl_dims_t weights = {g, o / g, c / g, (dnnl_dim_t)w->kernel[0], (dnnl_dim_t)w->kernel[1]};
    dnnl_dims_t bias = {o};
    int wd = g > 1 ? 5 : 4; /* grouped weights are [g, out/g, in/g, kh, kw], the same bytes */
    const dnnl_dim_t *wdims = g > 1 ? weights : weights + 1;
    for (int a = 0; a < 2; a++) {
        d->strides[a] = (dnnl_dim_t)w->stride[a];
        d->dilates[a] = (dnnl_dim_t)w->dilation[a] - 1; /* oneDNN counts the gaps */
        d->pad_l[a] = d->pad_r[a] = (dnnl_dim_t)w->padding[a];
    }
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&d->src, 4, src, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->dst, 4, dst, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->weights, wd, wdims, dnnl_f32, g > 1 ? dnnl_goihw : dnnl_oihw);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->bias, 1, bias, dnnl_f32, dnnl_x);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->any_src, 4, src, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->any_dst, 4, dst, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&d->any_weights, wd, wdims, dnnl_f32, dnnl_format_tag_any);
    return s;
}

static const dnnl_memory_desc_t *md_of(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static dnnl_status_t make_forward(const al_layer *l, thread_state *ts, plan *p, const descs *d,
                                  dnnl_primitive_desc_t *fwd_pd)
{
    dnnl_convolution_desc_t cd;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_training, dnnl_convolution_direct, &d->any_src, &d->any_weights,
        l->has_bias ? &d->bias : NULL, &d->any_dst, d->strides, d->dilates, d->pad_l, d->pad_r);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(fwd_pd, &cd, NULL, ts->engine, NULL);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&p->fwd, *fwd_pd);
    if (s == dnnl_success)
        s = operand_init(&p->src, ts->engine, &d->src, md_of(*fwd_pd, dnnl_query_src_md), 0, 0);
    if (s == dnnl_success)
        s = operand_init(&p->weights, ts->engine, &d->weights, md_of(*fwd_pd, dnnl_query_weights_md), 0, 0);
    if (s == dnnl_success)
        s = operand_init(&p->dst, ts->engine, &d->dst, md_of(*fwd_pd, dnnl_query_dst_md), 1, 0);
    if (s == dnnl_success && l->has_bias)
        s = operand_init(&p->bias, ts->engine, &d->bias, &d->bias, 0, 0);
    return s;
}

static dnnl_status_t make_backward(const al_layer *l, thread_state *ts, plan *p, const descs *d,
                                   const_dnnl_primitive_desc_t fwd_pd)
{
    dnnl_convolution_desc_t dd, wd;
    dnnl_primitive_desc_t data_pd = NULL, weights_pd = NULL;
    dnnl_status_t s = dnnl_dilated_convolution_backward_data_desc_init(
        &dd, dnnl_convolution_direct, &d->any_src, &d->any_weights, &d->any_dst, d->strides, d->dilates,
        d->pad_l, d->pad_r);
    if (s == dnnl_success)
        s = dnnl_dilated_convolution_backward_weights_desc_init(
            &wd, dnnl_convolution_direct, &d->any_src, &d->any_weights, l->has_bias ? &d->bias : NULL,
            &d->any_dst, d->strides, d->dilates, d->pad_l, d->pad_r);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&data_pd, &dd, NULL, ts->engine, fwd_pd);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&weights_pd, &wd, NULL, ts->engine, fwd_pd);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&p->bwd_data, data_pd);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&p->bwd_weights, weights_pd);
    if (s == dnnl_success)
        s = operand_init(&p->bd_weights, ts->engine, &d->weights, md_of(data_pd, dnnl_query_weights_md), 0, 0);
    if (s == dnnl_success)
        s = operand_init(&p->bd_diff_dst, ts->engine, &d->dst, md_of(data_pd, dnnl_query_diff_dst_md), 0, 0);
    if (s == dnnl_success)
        s = operand_init(&p->bd_diff_src, ts->engine, &d->src, md_of(data_pd, dnnl_query_diff_src_md), 1, 0);
    if (s == dnnl_success)
        s = operand_reuse(&p->bw_src, &p->src, ts->engine, &d->src, md_of(weights_pd, dnnl_query_src_md));
    if (s == dnnl_success)
        s = operand_reuse(&p->bw_diff_dst, &p->bd_diff_dst, ts->engine, &d->dst,
                          md_of(weights_pd, dnnl_query_diff_dst_md));
    if (s == dnnl_success)
        s = operand_init(&p->bw_diff_weights, ts->engine, &d->weights,
                         md_of(weights_pd, dnnl_query_diff_weights_md), 1, 0);
    if (s == dnnl_success && l->has_bias)
        s = operand_init(&p->bw_diff_bias, ts->engine, &d->bias, &d->bias, 1, 0);
    if (data_pd)
        dnnl_primitive_desc_destroy(data_pd);
    if (weights_pd)
        dnnl_primitive_desc_destroy(weights_pd);
    return s;
}

/* This thread's state, made on its first pass; NULL when memory or oneDNN fails. */
static thread_state *thread_of(al_layer *l, int tid)
{
    conv_state *cs = l->state;
    thread_state *ts = cs->threads[tid];
    if (ts)
        return ts->stream ? ts : NULL;
    ts = cs->threads[tid] = calloc(1, sizeof *ts);
    if (!ts)
        return NULL;
    al_shape w = weight_shape(l);
    ts->dweight = malloc((al_shape_size(&w) + l->out_shape.dim[0]) * sizeof(float));
    ts->dbias = ts->dweight ? ts->dweight + al_shape_size(&w) : NULL;
    if (!ts->dweight || dnnl_engine_create(&ts->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&ts->stream, ts->engine, dnnl_stream_default_flags) != dnnl_success)
        return NULL;
    return ts;
}

/* The plan for `rows` rows of the current input size, made (with the
 * backward primitives when training) if the thread has none; NULL when
 * oneDNN fails. */
static plan *get_plan(al_layer *l, thread_state *ts, size_t rows, int training)
{
    plan *p = NULL, *oldest = &ts->plans[0];
    for (int i = 0; i < PLANS && !p; i++) {
        plan *q = &ts->plans[i];
        if (q->batch == rows && q->ih == l->in_shape.dim[1] && q->iw == l->in_shape.dim[2])
            p = q;
        else if (q->used < oldest->used)
            oldest = q;
    }
    descs d;
    dnnl_primitive_desc_t fwd_pd = NULL;
    dnnl_status_t s = dnnl_success;
    if (!p) {
        p = oldest;
        plan_free(p);
        s = make_descs(l, rows, &d);
        if (s == dnnl_success)
            s = make_forward(l, ts, p, &d, &fwd_pd);
        p->batch = rows;
        p->ih = l->in_shape.dim[1];
        p->iw = l->in_shape.dim[2];
    }
    if (s == dnnl_success && training && !p->bwd_data) {
        if (!fwd_pd) { /* made by an evaluation pass: describe the forward again as the hint */
            dnnl_convolution_desc_t cd;
            s = make_descs(l, rows, &d);
            if (s == dnnl_success)
                s = dnnl_dilated_convolution_forward_desc_init(
                    &cd, dnnl_forward_training, dnnl_convolution_direct, &d.any_src, &d.any_weights,
                    l->has_bias ? &d.bias : NULL, &d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r);
            if (s == dnnl_success)
                s = dnnl_primitive_desc_create(&fwd_pd, &cd, NULL, ts->engine, NULL);
        }
        if (s == dnnl_success)
            s = make_backward(l, ts, p, &d, fwd_pd);
    }
    if (fwd_pd)
        dnnl_primitive_desc_destroy(fwd_pd);
    if (s != dnnl_success) {
        plan_free(p);
        return NULL;
    }
    p->used = ++ts->clock;
    return p;
}

/* ---- passes ---- */

/* This thread's rows: y[r0:r1] = conv(x[r0:r1]). */
static void conv_forward(al_layer *l, const al_pass *pass, const float *x, float *y)
{
    size_t r0, r1;
    al_pass_rows(pass, &r0, &r1);
    if (r1 <= r0)
        return;
    thread_state *ts = thread_of(l, pass->tid);
    plan *p = ts ? get_plan(l, ts, r1 - r0, pass->training) : NULL;
    if (!p) {
        *pass->fault = AL_ERR_NOMEM;
        return;
    }
    x += r0 * l->in;
    y += r0 * l->out;
    dnnl_stream_t stream = ts->stream;
    int ok = operand_in(&p->src, stream, x) && operand_in(&p->weights, stream, l->weight) &&
             dnnl_memory_set_data_handle(p->dst.user, y) == dnnl_success;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, p->src.inner}, {DNNL_ARG_WEIGHTS, p->weights.inner},
                               {DNNL_ARG_DST, p->dst.inner}, {DNNL_ARG_BIAS, p->bias.user}};
    if (ok && l->has_bias)
        ok = operand_in(&p->bias, stream, l->bias);
    ok = ok && run_prim(p->fwd, stream, l->has_bias ? 4 : 3, args) && operand_out(&p->dst, stream, y);
    if (!ok || dnnl_stream_wait(stream) != dnnl_success)
        *pass->fault = AL_ERR_NOMEM;
}

/* This thread's rows of dx, and its rows' sums of the weight and bias
 * gradients in its own buffers (conv_combine adds them up). */
static void conv_backward(al_layer *l, const al_pass *pass, const float *x, const float *y, const float *dy,
                          float *dx)
{
    (void)y;
    size_t r0, r1;
    al_pass_rows(pass, &r0, &r1);
    conv_state *cs = l->state;
    if (cs->threads[pass->tid])
        cs->threads[pass->tid]->rows = 0;
    if (r1 <= r0)
        return;
    thread_state *ts = thread_of(l, pass->tid);
    plan *p = ts ? get_plan(l, ts, r1 - r0, 1) : NULL;
    if (!p) {
        *pass->fault = AL_ERR_NOMEM;
        return;
    }
    x += r0 * l->in;
    dy += r0 * l->out;
    dnnl_stream_t stream = ts->stream;
    /* the source forward reordered is reused when backward weights wants its layout */
    int ok = operand_in(&p->bd_diff_dst, stream, dy) && operand_in(&p->bw_diff_dst, stream, dy) &&
             operand_in(&p->bw_src, stream, x);
    dnnl_exec_arg_t wargs[4] = {{DNNL_ARG_SRC, p->bw_src.inner}, {DNNL_ARG_DIFF_DST, p->bw_diff_dst.inner},
                                {DNNL_ARG_DIFF_WEIGHTS, p->bw_diff_weights.inner},
                                {DNNL_ARG_DIFF_BIAS, p->bw_diff_bias.inner}};
    ok = ok && dnnl_memory_set_data_handle(p->bw_diff_weights.user, ts->dweight) == dnnl_success &&
         (!l->has_bias || dnnl_memory_set_data_handle(p->bw_diff_bias.user, ts->dbias) == dnnl_success) &&
         run_prim(p->bwd_weights, stream, l->has_bias ? 4 : 3, wargs) &&
         operand_out(&p->bw_diff_weights, stream, ts->dweight) &&
         (!l->has_bias || operand_out(&p->bw_diff_bias, stream, ts->dbias));
    if (ok && dx) {
        dx += r0 * l->in;
        dnnl_exec_arg_t dargs[3] = {{DNNL_ARG_DIFF_DST, p->bd_diff_dst.inner},
                                    {DNNL_ARG_WEIGHTS, p->bd_weights.inner},
                                    {DNNL_ARG_DIFF_SRC, p->bd_diff_src.inner}};
        ok = operand_in(&p->bd_weights, stream, l->weight) &&
             dnnl_memory_set_data_handle(p->bd_diff_src.user, dx) == dnnl_success &&
             run_prim(p->bwd_data, stream, 3, dargs) && operand_out(&p->bd_diff_src, stream, dx);
    }
    if (!ok || dnnl_stream_wait(stream) != dnnl_success) {
        *pass->fault = AL_ERR_NOMEM;
        return;
    }
    ts->rows = r1 - r0;
}

/* g[b:e] (+)= the threads' parts, summed in thread order. */
static void combine_part(const al_layer *l, const al_pass *p, float *g, size_t n, size_t offset)
{
    const conv_state *cs = l->state;
    size_t b, e;
    al_pass_share(p, n, &b, &e);
    for (size_t i = b; i < e; i++) {
        float sum = 0;
        for (int t = 0; t < p->team; t++) {
            const thread_state *ts = cs->threads[t];
            if (ts && ts->rows)
                sum += ts->dweight[offset + i];
        }
        g[i] = p->accumulate ? g[i] + sum : sum;
    }
}

static void conv_combine(al_layer *l, const al_pass *p)
{
    al_shape w = weight_shape(l);
    combine_part(l, p, l->dweight, al_shape_size(&w), 0);
    if (l->has_bias)
        combine_part(l, p, l->dbias, l->out_shape.dim[0], al_shape_size(&w));
}

static void conv_release(al_layer *l)
{
    conv_state *cs = l->state;
    if (!cs)
        return;
    for (int t = 0; t < AL_TEAM_MAX; t++) {
        thread_state *ts = cs->threads[t];
        if (!ts)
            continue;
        for (int i = 0; i < PLANS; i++)
            plan_free(&ts->plans[i]);
        if (ts->stream)
            dnnl_stream_destroy(ts->stream);
        if (ts->engine)
            dnnl_engine_destroy(ts->engine);
        free(ts->dweight);
        free(ts);
    }
    free(cs);
    l->state = NULL;
}

const al_layer_type al_conv2d_type = {
    .kind = AL_LAYER_CONV2D, .module = "Conv2d", .kind_name = "conv2d",
    .args = conv_args, .n_args = 9, .gain_init = 1, .dx_optional = 1, .split = AL_SPLIT_ROWS,
    .configure = conv_configure, .shape = conv_shape, .tensors = conv_tensors, .init = conv_init,
    .work = conv_work, .forward = conv_forward, .backward = conv_backward, .combine = conv_combine, .release = conv_release};
