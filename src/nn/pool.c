/* Pooling over [batch, C, H, W] with PyTorch's semantics: MaxPool2d
 * (windows with padding and dilation; the first maximum of a window in
 * row-major order wins, a NaN wins over numbers, as ATen's CPU kernel),
 * AvgPool2d (count_include_pad, ceil_mode) and AdaptiveAvgPool2d (window i
 * spans [floor(i*H/out), ceil((i+1)*H/out))). Each plane (one channel of one
 * example) is independent: in a net's team each thread pools its own rows
 * (AL_SPLIT_ROWS), and results do not depend on the thread count. Plain
 * loops: pooling is memory-bound, and the 2x2 stride-2 window of most
 * networks has its own loop. */
#include "nn/layer.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const al_param_info maxpool_args[] = {
    {"kernel_size", AL_PARAM_INT_PAIR, 1, NAN, 1, 1e6, 0, 0, NULL, "required"},
    {"stride", AL_PARAM_INT_PAIR, 0, NAN, 1, 1e6, 0, 0, NULL, "None (= kernel_size)"},
    {"padding", AL_PARAM_INT_PAIR, 0, 0, 0, 1e6, 0, 0, NULL, "0"},
    {"dilation", AL_PARAM_INT_PAIR, 0, 1, 1, 1e6, 0, 0, NULL, "1"},
    {"return_indices", AL_PARAM_BOOL, 0, 0, 0, 0, 0, 0, NULL, "False"},
    {"ceil_mode", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"}};

static const al_param_info avgpool_args[] = {
    {"kernel_size", AL_PARAM_INT_PAIR, 1, NAN, 1, 1e6, 0, 0, NULL, "required"},
    {"stride", AL_PARAM_INT_PAIR, 0, NAN, 1, 1e6, 0, 0, NULL, "None (= kernel_size)"},
    {"padding", AL_PARAM_INT_PAIR, 0, 0, 0, 1e6, 0, 0, NULL, "0"},
    {"ceil_mode", AL_PARAM_BOOL, 0, 0, 0, 1, 0, 0, NULL, "False"},
    {"count_include_pad", AL_PARAM_BOOL, 0, 1, 0, 1, 0, 0, NULL, "True"}};

static const al_param_info adaptive_args[] = {
    {"output_size", AL_PARAM_INT_PAIR, 1, NAN, 1, 1e6, 0, 0, NULL, "required"}};

/* A pair argument, or `otherwise` when it is None. */
static void set_pair(size_t out[2], const al_spec_value *v, const size_t *otherwise)
{
    for (int a = 0; a < 2; a++)
        out[a] = v->n || !otherwise ? (size_t)v->v[a] : otherwise[a];
}

static al_status maxpool_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                   const al_spec_module *m, al_error *err)
{
    al_window *w = &l->win;
    set_pair(w->kernel, &a[0], NULL);
    set_pair(w->stride, &a[1], w->kernel);
    set_pair(w->padding, &a[2], NULL);
    set_pair(w->dilation, &a[3], NULL);
    w->groups = 1;
    w->ceil_mode = a[5].v[0] != 0;
    if (a[4].v[0] != 0)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID, "%s: return_indices=True is "
                                "not supported (the layer passes on values only)", m->name);
    return AL_OK;
}

static al_status avgpool_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                   const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    al_window *w = &l->win;
    set_pair(w->kernel, &a[0], NULL);
    set_pair(w->stride, &a[1], w->kernel);
    set_pair(w->padding, &a[2], NULL);
    w->dilation[0] = w->dilation[1] = 1;
    w->groups = 1;
    w->ceil_mode = a[3].v[0] != 0;
    w->count_include_pad = a[4].v[0] != 0;
    return AL_OK;
}

static al_status adaptive_configure(al_layer *l, const al_spec_value *a, const al_spec *spec,
                                    const al_spec_module *m, al_error *err)
{
    (void)spec, (void)m, (void)err;
    set_pair(l->win.kernel, &a[0], NULL); /* the output size, until the input is known */
    return AL_OK;
}

/* PyTorch's pooling output size along one axis (pooling_output_shape). */
static long pooled(long in, long k, long s, long pad, long d, int ceil_mode)
{
    long span = in + 2 * pad - d * (k - 1) - 1;
    if (span < 0)
        return 0;
    long out = (span + (ceil_mode ? s - 1 : 0)) / s + 1;
    if (ceil_mode && (out - 1) * s >= in + pad)
        out--; /* the last window must start inside the input or its left padding */
    return out;
}

/* A pooling layer's input: [C, H, W] from the layer before. */
static al_status pool_input(const al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                            al_error *err)
{
    if (!in)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_SHAPE, "%s cannot come first: the "
                                "model's first module must fix the input size (Conv2d, Linear, Unflatten)",
                                l->module);
    return al_layer_need_image(l, in, 0, spec, m, err);
}

static al_status pool_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                            al_error *err)
{
    al_status st = pool_input(l, in, spec, m, err);
    if (st != AL_OK)
        return st;
    const al_window *w = &l->win;
    char text[96];
    for (int a = 0; a < 2; a++)
        if (2 * w->padding[a] > w->kernel[a])
            return al_layer_shape_error(l, spec, m, err, "pads by %zu, more than half its %zux%zu window: "
                                        "PyTorch refuses it too", w->padding[a], w->kernel[0], w->kernel[1]);
    l->in_shape = l->out_shape = *in;
    for (int a = 0; a < 2; a++) {
        if (!in->dim[1 + a])
            continue; /* not known yet */
        long out = pooled((long)in->dim[1 + a], (long)w->kernel[a], (long)w->stride[a], (long)w->padding[a],
                          (long)w->dilation[a], w->ceil_mode);
        if (out < 1)
            return al_layer_shape_error(l, spec, m, err, "leaves no output: its %zux%zu window (dilation %zu, "
                                        "padding %zu) does not fit its input %s", w->kernel[0], w->kernel[1],
                                        w->dilation[a], w->padding[a], al_shape_str(in, text, sizeof text));
        l->out_shape.dim[1 + a] = (size_t)out;
    }
    return AL_OK;
}

static al_status adaptive_shape(al_layer *l, const al_shape *in, const al_spec *spec, const al_spec_module *m,
                                al_error *err)
{
    al_status st = pool_input(l, in, spec, m, err);
    if (st != AL_OK)
        return st;
    l->in_shape = *in;
    al_shape out = {3, {in->dim[0], l->win.kernel[0], l->win.kernel[1], 0}};
    l->out_shape = out;
    return AL_OK;
}

static size_t maxpool_scratch(const al_layer *l, size_t batch)
{
    return batch * l->out; /* each output's argmax in its input plane (int32) */
}

/* This thread's planes [*k0, *k1): the channels of its rows. */
static void plane_share(const al_layer *l, const al_pass *p, long *k0, long *k1)
{
    size_t r0, r1;
    al_pass_rows(p, &r0, &r1);
    *k0 = (long)(r0 * l->in_shape.dim[0]);
    *k1 = (long)(r1 * l->in_shape.dim[0]);
}

typedef struct plane_geometry {
    long ih, iw, oh, ow;
    long kh, kw, sh, sw, ph, pw, dh, dw;
} plane_geometry;

static plane_geometry geometry(const al_layer *l)
{
    const al_window *w = &l->win;
    plane_geometry g = {(long)l->in_shape.dim[1], (long)l->in_shape.dim[2], (long)l->out_shape.dim[1],
                        (long)l->out_shape.dim[2], (long)w->kernel[0], (long)w->kernel[1], (long)w->stride[0],
                        (long)w->stride[1], (long)w->padding[0], (long)w->padding[1], (long)w->dilation[0],
                        (long)w->dilation[1]};
    return g;
}

/* max_plane's 2x2 stride-2 window, branch-free so that the compiler
 * vectorises it: the running maximum takes a value that is larger or NaN,
 * as the general loop does, in the same order. */
static void max_plane_2x2(const plane_geometry *g, const float *x, float *y, int32_t *arg)
{
    for (long oh = 0; oh < g->oh; oh++) {
        const float *r0 = x + 2 * oh * g->iw, *r1 = r0 + g->iw;
        float *yr = y + oh * g->ow;
        int32_t *ar = arg + oh * g->ow, top = (int32_t)(2 * oh * g->iw), bottom = top + (int32_t)g->iw;
        for (long ow = 0; ow < g->ow; ow++) {
            float m = r0[2 * ow], v;
            int32_t at = top + (int32_t)(2 * ow), t;
            v = r0[2 * ow + 1];
            t = v > m || v != v;
            m = t ? v : m;
            at = t ? top + (int32_t)(2 * ow + 1) : at;
            v = r1[2 * ow];
            t = v > m || v != v;
            m = t ? v : m;
            at = t ? bottom + (int32_t)(2 * ow) : at;
            v = r1[2 * ow + 1];
            t = v > m || v != v;
            m = t ? v : m;
            at = t ? bottom + (int32_t)(2 * ow + 1) : at;
            yr[ow] = m;
            ar[ow] = at;
        }
    }
}

/* One plane of a max pool: y and the argmax of each output. */
static void max_plane(const plane_geometry *g, const float *x, float *y, int32_t *arg)
{
    if (g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0 && g->dh == 1 &&
        g->dw == 1) {
        max_plane_2x2(g, x, y, arg);
        return;
    }
    for (long oh = 0; oh < g->oh; oh++) {
        long h0 = oh * g->sh - g->ph, h1 = h0 + (g->kh - 1) * g->dh + 1;
        if (h1 > g->ih)
            h1 = g->ih;
        while (h0 < 0)
            h0 += g->dh;
        for (long ow = 0; ow < g->ow; ow++) {
            long w0 = ow * g->sw - g->pw, w1 = w0 + (g->kw - 1) * g->dw + 1;
            if (w1 > g->iw)
                w1 = g->iw;
            while (w0 < 0)
                w0 += g->dw;
            long best_at = h0 * g->iw + w0;
            float best = -INFINITY;
            for (long h = h0; h < h1; h += g->dh)
                for (long w = w0; w < w1; w += g->dw) {
                    float v = x[h * g->iw + w];
                    if (v > best || isnan(v)) {
                        best = v;
                        best_at = h * g->iw + w;
                    }
                }
            y[oh * g->ow + ow] = best;
            arg[oh * g->ow + ow] = (int32_t)best_at;
        }
    }
}

static void maxpool_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const plane_geometry g = geometry(l);
    const size_t in_plane = (size_t)(g.ih * g.iw), out_plane = (size_t)(g.oh * g.ow);
    int32_t *arg = (int32_t *)l->scratch;
    long k0, k1;
    plane_share(l, p, &k0, &k1);
    for (long k = k0; k < k1; k++)
        max_plane(&g, x + (size_t)k * in_plane, y + (size_t)k * out_plane, arg + (size_t)k * out_plane);
}

static void maxpool_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                             float *dx)
{
    (void)x, (void)y;
    if (!dx)
        return;
    const size_t in_plane = l->in / l->in_shape.dim[0], out_plane = l->out / l->out_shape.dim[0];
    const int32_t *arg = (const int32_t *)l->scratch;
    long k0, k1;
    plane_share(l, p, &k0, &k1);
    for (size_t k = (size_t)k0; k < (size_t)k1; k++) {
        float *d = dx + k * in_plane;
        const float *g = dy + k * out_plane;
        const int32_t *a = arg + k * out_plane;
        memset(d, 0, in_plane * sizeof *d);
        for (size_t o = 0; o < out_plane; o++)
            d[a[o]] += g[o];
    }
}

/* The window of output (oh, ow) clipped to the input, and its divisor. */
typedef struct avg_window {
    long h0, h1, w0, w1;
    float count;            /* ATen divides the float sum by it */
} avg_window;

static avg_window avg_at(const al_layer *l, const plane_geometry *g, long oh, long ow)
{
    avg_window a;
    if (l->type->kind == AL_LAYER_ADAPTIVE_AVGPOOL2D) {
        a.h0 = oh * g->ih / g->oh;
        a.h1 = ((oh + 1) * g->ih + g->oh - 1) / g->oh;
        a.w0 = ow * g->iw / g->ow;
        a.w1 = ((ow + 1) * g->iw + g->ow - 1) / g->ow;
        a.count = (float)((a.h1 - a.h0) * (a.w1 - a.w0));
        return a;
    }
    long h0 = oh * g->sh - g->ph, w0 = ow * g->sw - g->pw;
    long h1 = h0 + g->kh < g->ih + g->ph ? h0 + g->kh : g->ih + g->ph;
    long w1 = w0 + g->kw < g->iw + g->pw ? w0 + g->kw : g->iw + g->pw;
    long padded = (h1 - h0) * (w1 - w0);
    a.h0 = h0 < 0 ? 0 : h0;
    a.w0 = w0 < 0 ? 0 : w0;
    a.h1 = h1 < g->ih ? h1 : g->ih;
    a.w1 = w1 < g->iw ? w1 : g->iw;
    a.count = (float)(l->win.count_include_pad ? padded : (a.h1 - a.h0) * (a.w1 - a.w0));
    return a;
}

static void avgpool_forward(al_layer *l, const al_pass *p, const float *x, float *y)
{
    const plane_geometry g = geometry(l);
    long k0, k1;
    plane_share(l, p, &k0, &k1);
    for (long k = k0; k < k1; k++) {
        const float *xp = x + (size_t)(k * g.ih * g.iw);
        float *yp = y + (size_t)(k * g.oh * g.ow);
        for (long oh = 0; oh < g.oh; oh++)
            for (long ow = 0; ow < g.ow; ow++) {
                avg_window a = avg_at(l, &g, oh, ow);
                float sum = 0;
                for (long h = a.h0; h < a.h1; h++)
                    for (long w = a.w0; w < a.w1; w++)
                        sum += xp[h * g.iw + w];
                yp[oh * g.ow + ow] = sum / a.count;
            }
    }
}

static void avgpool_backward(al_layer *l, const al_pass *p, const float *x, const float *y, const float *dy,
                             float *dx)
{
    (void)x, (void)y;
    if (!dx)
        return;
    const plane_geometry g = geometry(l);
    long k0, k1;
    plane_share(l, p, &k0, &k1);
    for (long k = k0; k < k1; k++) {
        float *dp = dx + (size_t)(k * g.ih * g.iw);
        const float *gp = dy + (size_t)(k * g.oh * g.ow);
        memset(dp, 0, (size_t)(g.ih * g.iw) * sizeof *dp);
        for (long oh = 0; oh < g.oh; oh++)
            for (long ow = 0; ow < g.ow; ow++) {
                avg_window a = avg_at(l, &g, oh, ow);
                float share = gp[oh * g.ow + ow] / a.count;
                for (long h = a.h0; h < a.h1; h++)
                    for (long w = a.w0; w < a.w1; w++)
                        dp[h * g.iw + w] += share;
            }
    }
}

const al_layer_type al_maxpool2d_type = {
    .kind = AL_LAYER_MAXPOOL2D, .module = "MaxPool2d", .kind_name = "maxpool2d",
    .args = maxpool_args, .n_args = 6, .dx_optional = 1, .split = AL_SPLIT_ROWS, .configure = maxpool_configure,
    .shape = pool_shape, .scratch = maxpool_scratch, .forward = maxpool_forward, .backward = maxpool_backward};

const al_layer_type al_avgpool2d_type = {
    .kind = AL_LAYER_AVGPOOL2D, .module = "AvgPool2d", .kind_name = "avgpool2d",
    .args = avgpool_args, .n_args = 5, .dx_optional = 1, .split = AL_SPLIT_ROWS, .configure = avgpool_configure,
    .shape = pool_shape, .forward = avgpool_forward, .backward = avgpool_backward};

const al_layer_type al_adaptive_avgpool2d_type = {
    .kind = AL_LAYER_ADAPTIVE_AVGPOOL2D, .module = "AdaptiveAvgPool2d", .kind_name = "adaptive_avgpool2d",
    .args = adaptive_args, .n_args = 1, .dx_optional = 1, .split = AL_SPLIT_ROWS, .configure = adaptive_configure,
    .shape = adaptive_shape, .forward = avgpool_forward, .backward = avgpool_backward};
