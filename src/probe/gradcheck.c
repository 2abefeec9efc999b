/* Gradient check on a float64 mirror of a net. The mirror copies the net's
 * parameters into doubles and has its own forward and backward per layer
 * kind, with activations from the table's float64 reference
 * (al_act_eval_f64), so central differences with eps = 1e-6 are accurate to
 * ~1e-9 and a wrong derivative formula stands out. */
#include "actlab/gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"

/* Scale applied by the perturb_analytic test hook: far above the tolerance,
 * small enough to look like a real slip in a derivative. */
#define PERTURB_SCALE 1.001

typedef struct mlayer {
    al_layer_info info;
    size_t in, out;
    double *w, *b, *dw, *db;  /* Linear [out, in] + [out]; PReLU [n]; BatchNorm [C] + [C] */
    size_t nw, nb;
    double *running_mean, *running_var;
    double bn_eps;
    int n_kinks;
    double kinks[AL_ACT_MAX_KINKS];
} mlayer;

typedef struct mirror {
    int n;
    mlayer *l;
    size_t batch;
    int training;
    double **act;          /* act[i]: input of layer i for the unperturbed pass; act[n]: output */
    double **plus, **minus; /* the same for the +eps and -eps passes */
    double *r;             /* loss weights [batch, out] */
    double *g0, *g1;       /* backward ping-pong, [batch, widest] */
    double *dx;            /* dLoss/dinput */
} mirror;

al_gradcheck_options al_gradcheck_options_default(void)
{
    al_gradcheck_options o;
    memset(&o, 0, sizeof o);
    o.samples = 20;
    o.eps = 1e-6;
    o.abs_tol = 1e-8;
    o.rel_tol = 1e-6;
    return o;
}

static double *alloc_doubles(size_t n)
{
    return calloc(n ? n : 1, sizeof(double));
}

static void mirror_free(mirror *m)
{
    if (m->l) {
        for (int i = 0; i < m->n; i++) {
            mlayer *l = &m->l[i];
            free(l->w); free(l->b); free(l->dw); free(l->db);
            free(l->running_mean); free(l->running_var);
        }
    }
    for (int i = 0; m->act && i <= m->n; i++) free(m->act[i]);
    for (int i = 0; m->plus && i <= m->n; i++) free(m->plus[i]);
    for (int i = 0; m->minus && i <= m->n; i++) free(m->minus[i]);
    free(m->act); free(m->plus); free(m->minus);
    free(m->l); free(m->r); free(m->g0); free(m->g1); free(m->dx);
    memset(m, 0, sizeof *m);
}

/* Layer index and suffix of a state_dict name "3.weight". */
static int split_name(const char *name, const char **suffix)
{
    *suffix = "";
    char *end;
    long idx = strtol(name, &end, 10);
    if (end == name || *end != '.')
        return -1;
    *suffix = end + 1;
    return (int)idx;
}

static al_status copy_tensor(const al_param_ref *p, double **value, double **grad, size_t *count)
{
    *value = alloc_doubles(p->count);
    if (grad)
        *grad = alloc_doubles(p->count);
    if (!*value || (grad && !*grad))
        return AL_ERR_NOMEM;
    for (size_t i = 0; i < p->count; i++)
        (*value)[i] = p->value[i];
    if (count)
        *count = p->count;
    return AL_OK;
}

static al_status refuse_random(const mlayer *l, al_error *err)
{
    if (l->info.kind == AL_LAYER_DROPOUT) {
        if (l->info.dropout_p > 0)
            return al_error_set(err, AL_ERR_INVALID,
                                "%s (module %d) is random in training mode: gradcheck needs a "
                                "deterministic model; remove it or use p=0 (or check in eval mode)",
                                l->info.module, l->info.index);
    }
    if (l->info.kind == AL_LAYER_ACTIVATION && al_act_info_of(l->info.act->id)->stochastic)
        return al_error_set(err, AL_ERR_INVALID,
                            "%s (module %d) is random in training mode: gradcheck needs a "
                            "deterministic model; replace it with LeakyReLU(negative_slope="
                            "(lower + upper) / 2) or check in eval mode",
                            l->info.module, l->info.index);
    return AL_OK;
}

static al_status mirror_build(mirror *m, const al_net *net, size_t batch, int training, al_error *err)
{
    m->n = al_net_layer_count(net);
    m->batch = batch;
    m->training = training;
    m->l = calloc((size_t)m->n, sizeof *m->l);
    m->act = calloc((size_t)m->n + 1, sizeof *m->act);
    m->plus = calloc((size_t)m->n + 1, sizeof *m->plus);
    m->minus = calloc((size_t)m->n + 1, sizeof *m->minus);
    if (!m->l || !m->act || !m->plus || !m->minus)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the gradcheck mirror");
    size_t widest = al_net_in_features(net);
    for (int i = 0; i < m->n; i++) {
        mlayer *l = &m->l[i];
        l->info = al_net_layer(net, i);
        l->in = l->info.in_features;
        l->out = l->info.out_features;
        if (l->out > widest)
            widest = l->out;
        if (training) {
            al_status st = refuse_random(l, err);
            if (st != AL_OK)
                return st;
        }
        if (l->info.kind == AL_LAYER_BATCHNORM) {
            l->bn_eps = l->info.eps;
            if (training && batch < 2)
                return al_error_set(err, AL_ERR_INVALID,
                                    "%s (module %d) in training mode needs a batch of 2 or more "
                                    "rows (batch statistics); use a larger batch",
                                    l->info.module, l->info.index);
        }
        if (l->info.kind == AL_LAYER_ACTIVATION) {
            double deriv[AL_ACT_MAX_KINKS];
            l->n_kinks = al_act_kinks(l->info.act, l->kinks, deriv);
        }
    }
    for (int i = 0; i <= m->n; i++) {
        size_t w = i == 0 ? al_net_in_features(net) : m->l[i - 1].out;
        m->act[i] = alloc_doubles(batch * w);
        m->plus[i] = alloc_doubles(batch * w);
        m->minus[i] = alloc_doubles(batch * w);
        if (!m->act[i] || !m->plus[i] || !m->minus[i])
            return al_error_set(err, AL_ERR_NOMEM, "out of memory building the gradcheck mirror");
    }
    m->r = alloc_doubles(batch * m->l[m->n - 1].out);
    m->g0 = alloc_doubles(batch * widest);
    m->g1 = alloc_doubles(batch * widest);
    m->dx = alloc_doubles(batch * al_net_in_features(net));
    if (!m->r || !m->g0 || !m->g1 || !m->dx)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the gradcheck mirror");

    int count;
    const al_param_ref *params = al_net_params(net, &count);
    for (int k = 0; k < count; k++) {
        const char *suffix;
        int idx = split_name(params[k].name, &suffix);
        if (idx < 0 || idx >= m->n)
            return al_error_set(err, AL_ERR_INVALID, "unexpected parameter name '%s'", params[k].name);
        mlayer *l = &m->l[idx];
        al_status st = strcmp(suffix, "bias") == 0 ? copy_tensor(&params[k], &l->b, &l->db, &l->nb)
                                                   : copy_tensor(&params[k], &l->w, &l->dw, &l->nw);
        if (st != AL_OK)
            return al_error_set(err, st, "out of memory copying %s", params[k].name);
    }
    const al_param_ref *buffers = al_net_buffers(net, &count);
    for (int k = 0; k < count; k++) {
        const char *suffix;
        int idx = split_name(buffers[k].name, &suffix);
        if (idx < 0 || idx >= m->n)
            continue;
        mlayer *l = &m->l[idx];
        al_status st = AL_OK;
        if (strcmp(suffix, "running_mean") == 0)
            st = copy_tensor(&buffers[k], &l->running_mean, NULL, NULL);
        else if (strcmp(suffix, "running_var") == 0)
            st = copy_tensor(&buffers[k], &l->running_var, NULL, NULL);
        if (st != AL_OK)
            return al_error_set(err, st, "out of memory copying %s", buffers[k].name);
    }
    return AL_OK;
}

/* The slope argument of al_act_eval_f64 for column `col`: the learned weight
 * (PReLU's: one shared or one per channel = dimension 1); NaN elsewhere,
 * which asks RReLU for its eval-mode mean slope. */
static double act_slope(const mlayer *l, size_t col)
{
    if (al_act_info_of(l->info.act->id)->learnable && l->w)
        return l->nw == 1 ? l->w[0] : l->w[col];
    return NAN;
}

/* Per-feature mean and 1/sqrt(var + eps): batch statistics (biased variance,
 * as PyTorch normalises with) in training, running statistics in eval. */
static void bn_stats(const mirror *m, const mlayer *l, const double *x, size_t c, double *mean,
                     double *inv_std)
{
    const size_t n = m->batch, w = l->out;
    double mu, var;
    if (m->training || !l->running_mean) {
        double s = 0, ss = 0;
        for (size_t r = 0; r < n; r++)
            s += x[r * w + c];
        mu = s / (double)n;
        for (size_t r = 0; r < n; r++)
            ss += (x[r * w + c] - mu) * (x[r * w + c] - mu);
        var = ss / (double)n;
    } else {
        mu = l->running_mean[c];
        var = l->running_var[c];
    }
    *mean = mu;
    *inv_std = 1.0 / sqrt(var + l->bn_eps);
}

static void layer_forward(const mirror *m, const mlayer *l, const double *x, double *y)
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
    case AL_LAYER_ACTIVATION:
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < l->out; c++) {
                double d;
                al_act_eval_f64(l->info.act, x[r * l->out + c], act_slope(l, c), &y[r * l->out + c], &d);
            }
        break;
    case AL_LAYER_BATCHNORM:
        for (size_t c = 0; c < l->out; c++) {
            double mean, inv_std;
            bn_stats(m, l, x, c, &mean, &inv_std);
            double g = l->w ? l->w[c] : 1.0, b = l->b ? l->b[c] : 0.0;
            for (size_t r = 0; r < n; r++)
                y[r * l->out + c] = (x[r * l->out + c] - mean) * inv_std * g + b;
        }
        break;
    default: /* Flatten, Identity, and Dropout when deterministic (eval or p = 0) */
        memcpy(y, x, n * l->out * sizeof *y);
        break;
    }
}

/* Runs layers start.. on set[start]; returns the loss sum(output * r). */
static double forward_from(const mirror *m, int start, double **set)
{
    for (int i = start; i < m->n; i++)
        layer_forward(m, &m->l[i], set[i], set[i + 1]);
    double loss = 0;
    const double *y = set[m->n];
    for (size_t k = 0; k < m->batch * m->l[m->n - 1].out; k++)
        loss += y[k] * m->r[k];
    return loss;
}

/* dy -> dx for one layer, adding the parameter gradients. */
static void layer_backward(const mirror *m, mlayer *l, const double *x, const double *dy, double *dx)
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
                    l->dw[l->nw == 1 ? 0 : c] += dy[k] * (y1 - y0);
                }
            }
        break;
    case AL_LAYER_BATCHNORM:
        for (size_t c = 0; c < l->out; c++) {
            double mean, inv_std, sum_dy = 0, sum_dy_xh = 0;
            bn_stats(m, l, x, c, &mean, &inv_std);
            for (size_t r = 0; r < n; r++) {
                double xh = (x[r * l->out + c] - mean) * inv_std;
                sum_dy += dy[r * l->out + c];
                sum_dy_xh += dy[r * l->out + c] * xh;
            }
            if (l->dw)
                l->dw[c] += sum_dy_xh;
            if (l->db)
                l->db[c] += sum_dy;
            double g = l->w ? l->w[c] : 1.0;
            for (size_t r = 0; r < n; r++) {
                size_t k = r * l->out + c;
                if (m->training) {
                    /* batch statistics depend on every row: the full BatchNorm backward */
                    double xh = (x[k] - mean) * inv_std;
                    dx[k] = g * inv_std * (dy[k] - sum_dy / (double)n - xh * sum_dy_xh / (double)n);
                } else {
                    dx[k] = dy[k] * g * inv_std;
                }
            }
        }
        break;
    default:
        memcpy(dx, dy, n * l->out * sizeof *dx);
        break;
    }
}

static void mirror_backward(mirror *m)
{
    size_t out = m->l[m->n - 1].out;
    memcpy(m->g0, m->r, m->batch * out * sizeof *m->g0); /* dL/dy = r for L = sum(y * r) */
    double *dy = m->g0, *dx = m->g1;
    for (int i = m->n - 1; i >= 0; i--) {
        layer_backward(m, &m->l[i], m->act[i], dy, dx);
        double *t = dy;
        dy = dx;
        dx = t;
    }
    memcpy(m->dx, dy, m->batch * m->l[0].in * sizeof *m->dx);
}

/* 1 when some kinked activation's input lies on different sides of (or on)
 * a kink in the +eps and -eps passes: there the difference quotient mixes the
 * two one-sided slopes. Layers before `start` see the same input in both. */
static int straddles_kink(const mirror *m, int start)
{
    for (int i = start; i < m->n; i++) {
        const mlayer *l = &m->l[i];
        if (l->info.kind != AL_LAYER_ACTIVATION || l->n_kinks == 0)
            continue;
        const double *a = m->plus[i], *b = m->minus[i];
        for (size_t k = 0; k < m->batch * l->in; k++) {
            if (a[k] == b[k])
                continue; /* this entry does not move the value: its slope is not involved */
            double lo = a[k] < b[k] ? a[k] : b[k], hi = a[k] < b[k] ? b[k] : a[k];
            for (int j = 0; j < l->n_kinks; j++)
                if (lo <= l->kinks[j] && l->kinks[j] <= hi)
                    return 1;
        }
    }
    return 0;
}

typedef struct target {
    double *value, *grad;
    size_t count;
    int start;             /* the first layer whose input changes when value changes */
} target;

static void check_tensor(mirror *m, const target *t, const al_gradcheck_options *o, int perturb,
                         al_rng *rng, size_t *picked, al_gradcheck_tensor *res)
{
    size_t n_check = t->count < o->samples ? t->count : o->samples;
    size_t in_bytes = m->batch * m->l[t->start].in * sizeof(double);
    for (size_t s = 0; s < n_check; s++) {
        size_t idx;
        if (n_check == t->count) {
            idx = s;
        } else {
            int again;
            do { /* distinct entries: samples is small, so a linear scan is enough */
                idx = (size_t)al_rng_below(rng, t->count);
                again = 0;
                for (size_t q = 0; q < s; q++)
                    again |= picked[q] == idx;
            } while (again);
        }
        picked[s] = idx;
        double saved = t->value[idx];
        t->value[idx] = saved + o->eps;
        memcpy(m->plus[t->start], m->act[t->start], in_bytes);
        double f_plus = forward_from(m, t->start, m->plus);
        t->value[idx] = saved - o->eps;
        memcpy(m->minus[t->start], m->act[t->start], in_bytes);
        double f_minus = forward_from(m, t->start, m->minus);
        t->value[idx] = saved;
        double numeric = (f_plus - f_minus) / (2 * o->eps);
        double analytic = t->grad[idx] * (perturb ? PERTURB_SCALE : 1.0);
        double abs_err = fabs(analytic - numeric);
        double scale = fmax(fabs(analytic), fabs(numeric));
        double rel_err = scale > 0 ? abs_err / scale : 0.0;
        res->checked++;
        if (straddles_kink(m, t->start)) {
            res->kink_straddles++;
            res->kink_max_abs_err = fmax(res->kink_max_abs_err, abs_err);
            continue;
        }
        res->max_abs_err = fmax(res->max_abs_err, abs_err);
        res->max_rel_err = fmax(res->max_rel_err, rel_err);
        if (!(abs_err <= o->abs_tol + o->rel_tol * scale)) /* NaN fails too */
            res->failures++;
    }
    res->passed = res->failures == 0;
}

al_status al_gradcheck(const al_net *net, const float *x, size_t batch,
                       const al_gradcheck_options *options, al_gradcheck_report *out,
                       al_error *err)
{
    memset(out, 0, sizeof *out);
    al_gradcheck_options o = options ? *options : al_gradcheck_options_default();
    if (batch == 0 || !x)
        return al_error_set(err, AL_ERR_INVALID, "gradcheck needs a batch of at least one row");
    if (!(o.eps > 0) || o.samples == 0 || !(o.abs_tol >= 0) || !(o.rel_tol >= 0))
        return al_error_set(err, AL_ERR_INVALID,
                            "gradcheck options: eps must be > 0, samples >= 1, tolerances >= 0");
    mirror m;
    memset(&m, 0, sizeof m);
    size_t *picked = NULL;
    al_status st = mirror_build(&m, net, batch, !o.eval_mode, err);
    if (st != AL_OK)
        goto fail;

    int n_params;
    const al_param_ref *params = al_net_params(net, &n_params);
    out->tensors = calloc((size_t)n_params + 1, sizeof *out->tensors);
    picked = calloc(o.samples, sizeof *picked);
    if (!out->tensors || !picked) {
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory for the gradcheck report");
        goto fail;
    }
    out->n_tensors = n_params + 1;

    al_rng rng;
    al_rng_seed(&rng, o.seed);
    for (size_t k = 0; k < batch * m.l[m.n - 1].out; k++)
        m.r[k] = al_rng_normal(&rng);
    for (size_t k = 0; k < batch * m.l[0].in; k++)
        m.act[0][k] = x[k];
    forward_from(&m, 0, m.act);
    mirror_backward(&m);
    double loss_scale = 0;
    for (size_t k = 0; k < batch * m.l[m.n - 1].out; k++)
        loss_scale += fabs(m.act[m.n][k] * m.r[k]);
    o.abs_tol += 4 * DBL_EPSILON * loss_scale / o.eps;
    out->abs_tol_used = o.abs_tol;

    for (int t = 0; t <= n_params; t++) {
        al_gradcheck_tensor *res = &out->tensors[t];
        target tg;
        if (t == 0) {
            snprintf(res->name, sizeof res->name, "input");
            res->layer = -1;
            res->module = "";
            tg.value = m.act[0];
            tg.grad = m.dx;
            tg.count = batch * m.l[0].in;
            tg.start = 0;
        } else {
            const al_param_ref *p = &params[t - 1];
            const char *suffix = "";
            int idx = split_name(p->name, &suffix);
            mlayer *l = &m.l[idx];
            snprintf(res->name, sizeof res->name, "%s", p->name);
            res->layer = l->info.index;
            res->module = l->info.module;
            int is_bias = strcmp(suffix, "bias") == 0;
            tg.value = is_bias ? l->b : l->w;
            tg.grad = is_bias ? l->db : l->dw;
            tg.count = p->count;
            tg.start = idx;
        }
        res->count = tg.count;
        int perturb = o.perturb_analytic && strcmp(o.perturb_analytic, res->name) == 0;
        check_tensor(&m, &tg, &o, perturb, &rng, picked, res);
        out->kink_straddles += res->kink_straddles;
    }
    out->passed = 1;
    for (int t = 0; t < out->n_tensors; t++)
        out->passed &= out->tensors[t].passed;
    free(picked);
    mirror_free(&m);
    return AL_OK;
fail:
    free(picked);
    mirror_free(&m);
    al_gradcheck_report_free(out);
    return st;
}

void al_gradcheck_report_free(al_gradcheck_report *report)
{
    if (!report)
        return;
    free(report->tensors);
    memset(report, 0, sizeof *report);
}
