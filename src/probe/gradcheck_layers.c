/* The float64 mirror's layers, one case per kind, in plain loops from the
 * definitions: Linear y = x W^T + b; a convolution as a sum over the window
 * of every output position (PyTorch's cross-correlation, zero padding,
 * dilation, channel groups); pooling by window; batch normalisation over
 * every position of a channel. Activations come from the table's float64
 * reference (al_act_eval_f64). */
#include "probe/gradcheck_mirror.h"

#include <math.h>
#include <string.h>

/* The slope argument of al_act_eval_f64 for element `col` of one example:
 * the learned weight (PReLU's: one shared, or one per channel = dimension 1);
 * NaN elsewhere, which asks RReLU for its eval-mode mean slope. */
static double act_slope(const mlayer *l, size_t col)
{
    if (!al_act_info_of(l->info.act->id)->learnable || !l->w)
        return NAN;
    return l->nw == 1 ? l->w[0] : l->w[col / (l->out / l->nw)];
}

/* A [C, ...] layout: channels and values per channel of one example. */
static void planes(const al_shape *s, size_t *channels, size_t *inner)
{
    *channels = s->rank >= 1 ? s->dim[0] : 1;
    *inner = al_shape_size(s) / *channels;
}

/* Per-channel mean and 1/sqrt(var + eps) over the batch and every position:
 * batch statistics (biased variance, as PyTorch normalises with) in
 * training, running statistics in eval. */
static void bn_stats(const mirror *m, const mlayer *l, const double *x, size_t c, double *mean, double *inv_std)
{
    size_t C, P;
    planes(&l->info.in_shape, &C, &P);
    const size_t n = m->batch;
    double mu, var;
    if (m->training || !l->running_mean) {
        double s = 0, ss = 0;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < P; i++)
                s += x[(r * C + c) * P + i];
        mu = s / (double)(n * P);
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < P; i++)
                ss += (x[(r * C + c) * P + i] - mu) * (x[(r * C + c) * P + i] - mu);
        var = ss / (double)(n * P);
    } else {
        mu = l->running_mean[c];
        var = l->running_var[c];
    }
    *mean = mu;
    *inv_std = 1.0 / sqrt(var + l->bn_eps);
}

/* ---- convolution: out[o][p] = b[o] + sum over the window of w * in ---- */

typedef struct geometry {
    long C, H, W, O, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW, G;
} geometry;

static geometry geometry_of(const mlayer *l)
{
    const al_shape *i = &l->info.in_shape, *o = &l->info.out_shape;
    const al_window *w = &l->info.window;
    geometry g = {(long)i->dim[0], (long)i->dim[1], (long)i->dim[2], (long)o->dim[0], (long)o->dim[1],
                  (long)o->dim[2], (long)w->kernel[0], (long)w->kernel[1], (long)w->stride[0],
                  (long)w->stride[1], (long)w->padding[0], (long)w->padding[1], (long)w->dilation[0],
                  (long)w->dilation[1], w->groups ? (long)w->groups : 1};
    return g;
}

/* Calls visit for every (input index, weight index, output index) product
 * the convolution sums, in one example. */
#define FOR_EACH_TAP(g, body)                                                                         \
    for (long o = 0; o < (g).O; o++) {                                                                \
        long cin = (g).C / (g).G, group = o / ((g).O / (g).G);                                        \
        for (long oy = 0; oy < (g).OH; oy++)                                                          \
            for (long ox = 0; ox < (g).OW; ox++)                                                      \
                for (long ci = 0; ci < cin; ci++)                                                     \
                    for (long ky = 0; ky < (g).KH; ky++)                                              \
                        for (long kx = 0; kx < (g).KW; kx++) {                                        \
                            long iy = oy * (g).SH - (g).PH + ky * (g).DH;                             \
                            long ix = ox * (g).SW - (g).PW + kx * (g).DW;                             \
                            if (iy < 0 || ix < 0 || iy >= (g).H || ix >= (g).W)                       \
                                continue; /* zero padding */                                          \
                            size_t at_in = (size_t)(((group * cin + ci) * (g).H + iy) * (g).W + ix);  \
                            size_t at_w = (size_t)(((o * cin + ci) * (g).KH + ky) * (g).KW + kx);     \
                            size_t at_out = (size_t)((o * (g).OH + oy) * (g).OW + ox);                \
                            body;                                                                     \
                        }                                                                             \
    }

static void conv_forward(const mirror *m, const mlayer *l, const double *x, double *y)
{
    const geometry g = geometry_of(l);
    for (size_t r = 0; r < m->batch; r++) {
        const double *xr = x + r * l->in;
        double *yr = y + r * l->out;
        for (size_t k = 0; k < l->out; k++)
            yr[k] = l->b ? l->b[k / (size_t)(g.OH * g.OW)] : 0.0;
        FOR_EACH_TAP(g, yr[at_out] += l->w[at_w] * xr[at_in])
    }
}

static void conv_backward(const mirror *m, mlayer *l, const double *x, const double *dy, double *dx)
{
    const geometry g = geometry_of(l);
    memset(dx, 0, m->batch * l->in * sizeof *dx);
    for (size_t r = 0; r < m->batch; r++) {
        const double *xr = x + r * l->in, *gr = dy + r * l->out;
        double *dxr = dx + r * l->in;
        for (size_t k = 0; l->db && k < l->out; k++)
            l->db[k / (size_t)(g.OH * g.OW)] += gr[k];
        FOR_EACH_TAP(g, {
            l->dw[at_w] += gr[at_out] * xr[at_in];
            dxr[at_in] += gr[at_out] * l->w[at_w];
        })
    }
}

/* ---- pooling ---- */

/* The input positions of output (oy, ox) of one plane, and the divisor of
 * an average (PyTorch's: count_include_pad counts the padding inside the
 * window, clipped to the padded input; adaptive windows are
 * [floor(i*H/out), ceil((i+1)*H/out))). Returns how many positions. */
static int window_of(const mlayer *l, const geometry *g, long oy, long ox, long *pos, double *divisor)
{
    long y0, y1, x0, x1, step_y = 1, step_x = 1;
    if (l->info.kind == AL_LAYER_ADAPTIVE_AVGPOOL2D) {
        y0 = oy * g->H / g->OH;
        y1 = ((oy + 1) * g->H + g->OH - 1) / g->OH;
        x0 = ox * g->W / g->OW;
        x1 = ((ox + 1) * g->W + g->OW - 1) / g->OW;
        *divisor = (double)((y1 - y0) * (x1 - x0));
    } else {
        y0 = oy * g->SH - g->PH;
        x0 = ox * g->SW - g->PW;
        step_y = g->DH;
        step_x = g->DW;
        y1 = y0 + (g->KH - 1) * g->DH + 1;
        x1 = x0 + (g->KW - 1) * g->DW + 1;
        long py1 = y1 < g->H + g->PH ? y1 : g->H + g->PH, px1 = x1 < g->W + g->PW ? x1 : g->W + g->PW;
        *divisor = (double)((py1 - y0) * (px1 - x0));
    }
    int n = 0;
    for (long iy = y0; iy < y1; iy += step_y)
        for (long ix = x0; ix < x1; ix += step_x)
            if (iy >= 0 && ix >= 0 && iy < g->H && ix < g->W)
                pos[n++] = iy * g->W + ix;
    if (l->info.kind == AL_LAYER_AVGPOOL2D && !l->info.window.count_include_pad)
        *divisor = n;
    return n;
}

#define MAX_WINDOW 4096

/* The position of the first largest value of the window (-1 if empty). */
static long argmax(const double *plane, const long *pos, int n)
{
    long best = n ? pos[0] : -1;
    for (int k = 1; k < n; k++)
        if (plane[pos[k]] > plane[best])
            best = pos[k];
    return best;
}

static void pool_pass(const mirror *m, const mlayer *l, const double *x, double *y, const double *dy, double *dx)
{
    geometry g = geometry_of(l);
    long pos[MAX_WINDOW];
    size_t in_plane = (size_t)(g.H * g.W), out_plane = (size_t)(g.OH * g.OW);
    if (dx)
        memset(dx, 0, m->batch * l->in * sizeof *dx);
    for (size_t q = 0; q < m->batch * (size_t)g.C; q++)
        for (long oy = 0; oy < g.OH; oy++)
            for (long ox = 0; ox < g.OW; ox++) {
                double divisor;
                int n = window_of(l, &g, oy, ox, pos, &divisor);
                size_t o = q * out_plane + (size_t)(oy * g.OW + ox);
                const double *plane = x + q * in_plane;
                if (l->info.kind == AL_LAYER_MAXPOOL2D) {
                    long best = argmax(plane, pos, n);
                    if (y)
                        y[o] = plane[best];
                    if (dx)
                        dx[q * in_plane + (size_t)best] += dy[o];
                    continue;
                }
                double s = 0;
                for (int k = 0; k < n; k++)
                    s += plane[pos[k]];
                if (y)
                    y[o] = s / divisor;
                for (int k = 0; dx && k < n; k++)
                    dx[q * in_plane + (size_t)pos[k]] += dy[o] / divisor;
            }
}

/* ---- every kind ---- */

void al_mirror_forward(const mirror *m, const mlayer *l, const double *x, double *y)
{
    const size_t n = m->batch;
    switch (l->info.kind) {
    case AL_LAYER_LINEAR:
        for (size_t r = 0; r < n; r++)
            for (size_t o = 0; o < l->out; o++) {
                double s = l->b ? l->b[o] : 0.0;
                const double *wr = l->w + o * l->in, *xr = x + r * l->in;
                for (size_t i = 0; i < l->in; i++)
                    s += wr[i] * xr[i];
                y[r * l->out + o] = s;
            }
        break;
    case AL_LAYER_CONV2D:
        conv_forward(m, l, x, y);
        break;
    case AL_LAYER_MAXPOOL2D:
    case AL_LAYER_AVGPOOL2D:
    case AL_LAYER_ADAPTIVE_AVGPOOL2D:
        pool_pass(m, l, x, y, NULL, NULL);
        break;
    case AL_LAYER_ACTIVATION:
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < l->out; c++) {
                double d;
                al_act_eval_f64(l->info.act, x[r * l->out + c], act_slope(l, c), &y[r * l->out + c], &d);
            }
        break;
    case AL_LAYER_BATCHNORM:
    case AL_LAYER_BATCHNORM2D: {
        size_t C, P;
        planes(&l->info.in_shape, &C, &P);
        for (size_t c = 0; c < C; c++) {
            double mean, inv_std;
            bn_stats(m, l, x, c, &mean, &inv_std);
            double g = l->w ? l->w[c] : 1.0, b = l->b ? l->b[c] : 0.0;
            for (size_t r = 0; r < n; r++)
                for (size_t i = 0; i < P; i++) {
                    size_t k = (r * C + c) * P + i;
                    y[k] = (x[k] - mean) * inv_std * g + b;
                }
        }
        break;
    }
    default: /* Flatten, Unflatten, Identity, and dropout when deterministic (eval or p = 0) */
        memcpy(y, x, n * l->out * sizeof *y);
        break;
    }
}

static void bn_backward(const mirror *m, mlayer *l, const double *x, const double *dy, double *dx)
{
    size_t C, P;
    planes(&l->info.in_shape, &C, &P);
    const size_t n = m->batch;
    for (size_t c = 0; c < C; c++) {
        double mean, inv_std, sum_dy = 0, sum_dy_xh = 0, count = (double)(n * P);
        bn_stats(m, l, x, c, &mean, &inv_std);
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < P; i++) {
                size_t k = (r * C + c) * P + i;
                sum_dy += dy[k];
                sum_dy_xh += dy[k] * (x[k] - mean) * inv_std;
            }
        if (l->dw)
            l->dw[c] += sum_dy_xh;
        if (l->db)
            l->db[c] += sum_dy;
        double g = l->w ? l->w[c] : 1.0;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < P; i++) {
                size_t k = (r * C + c) * P + i;
                if (m->training) /* batch statistics depend on every value of the channel */
                    dx[k] = g * inv_std * (dy[k] - sum_dy / count - (x[k] - mean) * inv_std * sum_dy_xh / count);
                else
                    dx[k] = dy[k] * g * inv_std;
            }
    }
}

void al_mirror_backward(const mirror *m, mlayer *l, const double *x, const double *dy, double *dx)
{
    const size_t n = m->batch;
    switch (l->info.kind) {
    case AL_LAYER_LINEAR:
        memset(dx, 0, n * l->in * sizeof *dx);
        for (size_t r = 0; r < n; r++)
            for (size_t o = 0; o < l->out; o++) {
                double g = dy[r * l->out + o];
                if (l->db)
                    l->db[o] += g;
                for (size_t i = 0; i < l->in; i++) {
                    l->dw[o * l->in + i] += g * x[r * l->in + i];
                    dx[r * l->in + i] += g * l->w[o * l->in + i];
                }
            }
        break;
    case AL_LAYER_CONV2D:
        conv_backward(m, l, x, dy, dx);
        break;
    case AL_LAYER_MAXPOOL2D:
    case AL_LAYER_AVGPOOL2D:
    case AL_LAYER_ADAPTIVE_AVGPOOL2D:
        pool_pass(m, l, x, NULL, dy, dx);
        break;
    case AL_LAYER_ACTIVATION:
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < l->out; c++) {
                size_t k = r * l->out + c;
                double y, d;
                al_act_eval_f64(l->info.act, x[k], act_slope(l, c), &y, &d);
                dx[k] = dy[k] * d;
                if (al_act_info_of(l->info.act->id)->learnable && l->dw) {
                    /* y is linear in the slope, so dy/dslope = y(slope=1) - y(slope=0),
                     * taken from the table rather than a second copy of PReLU's formula */
                    double y1, y0;
                    al_act_eval_f64(l->info.act, x[k], 1.0, &y1, &d);
                    al_act_eval_f64(l->info.act, x[k], 0.0, &y0, &d);
                    l->dw[l->nw == 1 ? 0 : c / (l->out / l->nw)] += dy[k] * (y1 - y0);
                }
            }
        break;
    case AL_LAYER_BATCHNORM:
    case AL_LAYER_BATCHNORM2D:
        bn_backward(m, l, x, dy, dx);
        break;
    default:
        memcpy(dx, dy, n * l->out * sizeof *dx);
        break;
    }
}

int al_mirror_switches(const mirror *m, const mlayer *l, const double *a, const double *b)
{
    if (l->info.kind == AL_LAYER_MAXPOOL2D) {
        geometry g = geometry_of(l);
        long pos[MAX_WINDOW];
        size_t in_plane = (size_t)(g.H * g.W);
        for (size_t q = 0; q < m->batch * (size_t)g.C; q++)
            for (long oy = 0; oy < g.OH; oy++)
                for (long ox = 0; ox < g.OW; ox++) {
                    double divisor;
                    int n = window_of(l, &g, oy, ox, pos, &divisor);
                    if (argmax(a + q * in_plane, pos, n) != argmax(b + q * in_plane, pos, n))
                        return 1;
                }
        return 0;
    }
    if (l->info.kind != AL_LAYER_ACTIVATION || l->n_kinks == 0)
        return 0;
    for (size_t k = 0; k < m->batch * l->in; k++) {
        if (a[k] == b[k])
            continue; /* this entry does not move the value: its slope is not involved */
        double lo = a[k] < b[k] ? a[k] : b[k], hi = a[k] < b[k] ? b[k] : a[k];
        for (int j = 0; j < l->n_kinks; j++)
            if (lo <= l->kinks[j] && l->kinks[j] <= hi)
                return 1;
    }
    return 0;
}
