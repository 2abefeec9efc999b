/* One job of a comparison, run in a worker process: the net built and
 * initialised for its arm and seed, trained, and measured: per-epoch test
 * values, the training-loss curve, probe values per layer and, with
 * unit_stats, which units are inactive on the whole training set and how
 * centred their outputs are (on a convolution's [C, H, W] output the unit
 * is a channel, over every position). A run whose loss or gradient stops being finite
 * is kept as diverged: that is a result of its arm, not a failure to retry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/probe.h"
#include "actlab/train.h"
#include "study/compare_internal.h"

/* Per-unit state of the unit statistics, over the activation layers. */
typedef struct unit_state {
    int layers;
    size_t *offset;           /* where layer l's units start (activation layers only) */
    size_t *positions;        /* per layer: values per unit in one sample (H*W on images, else 1) */
    size_t total;             /* units over all activation layers */
    double *max_deriv;        /* per layer: the activation's largest |f'| */
    unsigned char *was_inactive; /* per unit: inactive at some epoch end before */
    unsigned char *active;    /* per unit, this pass: some sample with |f'| above the threshold */
    double *sum, *sum_sq;     /* per unit, this pass */
    float *ones, *deriv;      /* batch x widest layer */
    float *x;                 /* one batch of input rows */
} unit_state;

typedef struct job_ctx {
    const al_compare *c;
    const al_job_spec *j;
    al_job_result *r;
    al_net *net;
    unit_state *units;        /* NULL without unit_stats */
    double loss_sum, seen;    /* the epoch's running sums at the previous step */
    double window_sum[AL_COMPARE_CURVE_PER_EPOCH], window_rows[AL_COMPARE_CURVE_PER_EPOCH];
    al_status st;
    al_error err;
} job_ctx;

/* The largest |f'| of an activation over a wide grid (PReLU at its initial slope). */
static double max_deriv(const al_act *a)
{
    double best = 0, y, d;
    al_act plain = *a;
    plain.kink_set = 0;
    double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
    int k = al_act_kinks(&plain, where, deriv);
    const al_act_info *info = al_act_info_of(a->id);
    double slope = (info->learnable || info->stochastic) && k > 0 ? deriv[0] : 0;
    for (int i = -4000; i <= 4000; i++) {
        al_act_eval_f64(a, i * 0.01 + 0.005, slope, &y, &d);
        if (isfinite(d) && fabs(d) > best)
            best = fabs(d);
    }
    return best > 0 ? best : 1;
}

static void units_free(unit_state *u)
{
    if (!u)
        return;
    free(u->offset), free(u->positions), free(u->max_deriv), free(u->was_inactive), free(u->active);
    free(u->sum), free(u->sum_sq), free(u->ones), free(u->deriv), free(u->x);
    free(u);
}

static unit_state *units_create(const al_net *net, size_t batch, size_t in_features)
{
    unit_state *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->layers = al_net_layer_count(net);
    u->offset = calloc((size_t)u->layers + 1, sizeof *u->offset);
    u->positions = calloc((size_t)u->layers + 1, sizeof *u->positions);
    u->max_deriv = calloc((size_t)u->layers + 1, sizeof *u->max_deriv);
    size_t widest = 1;
    for (int l = 0; u->offset && u->positions && u->max_deriv && l < u->layers; l++) {
        al_layer_info info = al_net_layer(net, l);
        u->offset[l] = u->total;
        if (info.kind != AL_LAYER_ACTIVATION)
            continue;
        int image = info.out_shape.rank == 3 && info.out_shape.dim[0] > 0;
        size_t units = image ? info.out_shape.dim[0] : info.out_features;
        u->positions[l] = image ? info.out_features / units : 1;
        u->max_deriv[l] = max_deriv(info.act);
        u->total += units;
        widest = info.out_features > widest ? info.out_features : widest;
    }
    if (u->offset)
        u->offset[u->layers] = u->total;
    size_t n = u->total + 1;
    u->was_inactive = calloc(n, 1);
    u->active = calloc(n, 1);
    u->sum = calloc(n, sizeof *u->sum);
    u->sum_sq = calloc(n, sizeof *u->sum_sq);
    u->ones = malloc(batch * widest * sizeof *u->ones);
    u->deriv = malloc(batch * widest * sizeof *u->deriv);
    u->x = malloc(batch * in_features * sizeof *u->x);
    if (!u->offset || !u->positions || !u->max_deriv || !u->was_inactive || !u->active || !u->sum || !u->sum_sq || !u->ones ||
        !u->deriv || !u->x) {
        units_free(u);
        return NULL;
    }
    for (size_t i = 0; i < batch * widest; i++)
        u->ones[i] = 1.0f;
    return u;
}

/* One eval-mode pass over the training set at an epoch end: per unit, is it
 * inactive on every sample, and E[a]^2 / E[a^2]. */
static void measure_units(job_ctx *x, long epoch)
{
    unit_state *u = x->units;
    al_job_result *r = x->r;
    const al_dataset *ds = x->j->train;
    size_t batch = x->c->o.batch, n = al_dataset_count(ds);
    memset(u->active, 0, u->total + 1);
    memset(u->sum, 0, (u->total + 1) * sizeof *u->sum);
    memset(u->sum_sq, 0, (u->total + 1) * sizeof *u->sum_sq);
    for (size_t start = 0; start < n; start += batch) {
        size_t rows = n - start < batch ? n - start : batch;
        al_dataset_rows(ds, start, rows, u->x);
        if (!al_net_forward(x->net, u->x, rows, 0, 0)) {
            x->st = al_error_set(&x->err, AL_ERR_NOMEM, "out of memory measuring the units at epoch %ld", epoch);
            return;
        }
        for (int l = 0; l < u->layers; l++) {
            if (!al_net_activation_derivative(x->net, l, u->ones, u->deriv))
                continue;
            size_t width = al_net_layer(x->net, l).out_features, P = u->positions[l];
            const float *out = al_net_layer_output(x->net, l);
            double threshold = AL_COMPARE_INACTIVE * u->max_deriv[l];
            for (size_t i = 0; i < rows; i++)
                for (size_t k = 0; k < width; k++) {
                    size_t unit = u->offset[l] + k / P; /* a channel's positions are contiguous */
                    double a = out[i * width + k];
                    u->active[unit] |= fabs((double)u->deriv[i * width + k]) > threshold;
                    u->sum[unit] += a;
                    u->sum_sq[unit] += a * a;
                }
        }
    }
    size_t L = (size_t)u->layers, e = (size_t)epoch - 1;
    double mean_sum = 0, silent_sum = 0;
    int counted = 0;
    for (int l = 0; l < u->layers; l++) {
        al_layer_info info = al_net_layer(x->net, l);
        if (info.kind != AL_LAYER_ACTIVATION)
            continue;
        size_t width = u->offset[l + 1] - u->offset[l], inactive = 0, was = 0, back = 0, silent = 0;
        double centring = 0, values = (double)n * (double)u->positions[l]; /* per unit over the pass */
        for (size_t k = 0; k < width; k++) {
            size_t unit = u->offset[l] + k;
            double m = u->sum[unit] / values, m2 = u->sum_sq[unit] / values;
            centring += m2 > 0 ? m * m / m2 : 0;
            inactive += !u->active[unit];
            silent += u->sum_sq[unit] == 0;
            if (epoch == r->epochs && u->was_inactive[unit]) {
                was++;
                back += u->active[unit];
            }
            u->was_inactive[unit] |= !u->active[unit];
        }
        r->inactive_layer[e * L + (size_t)l] = (double)inactive / (double)width;
        r->centring_layer[e * L + (size_t)l] = centring / (double)width;
        if (epoch == r->epochs)
            r->recovered[l] = was ? (double)back / (double)was : NAN;
        mean_sum += (double)inactive / (double)width;
        silent_sum += (double)silent / (double)width;
        counted++;
    }
    r->inactive[e] = counted ? mean_sum / counted : NAN;
    r->silent[e] = counted ? silent_sum / counted : NAN;
}

static void on_progress(const al_train_progress *p, void *context)
{
    job_ctx *x = context;
    al_job_result *r = x->r;
    if (p->epoch < 1 || p->epoch > r->epochs)
        return;
    size_t e = (size_t)p->epoch - 1;
    if (!p->epoch_end) {
        /* the batch's loss from the epoch's running mean, into its curve window */
        if (p->batch_in_epoch == 1) {
            x->loss_sum = x->seen = 0;
            memset(x->window_sum, 0, sizeof x->window_sum);
            memset(x->window_rows, 0, sizeof x->window_rows);
        }
        double seen = fmin((double)p->batch_in_epoch * (double)x->c->o.batch, (double)al_dataset_count(x->j->train));
        double sum = p->loss * seen;
        size_t w = (size_t)((p->batch_in_epoch - 1) * AL_COMPARE_CURVE_PER_EPOCH / p->batches_per_epoch);
        x->window_sum[w] += sum - x->loss_sum;
        x->window_rows[w] += seen - x->seen;
        x->loss_sum = sum;
        x->seen = seen;
        return;
    }
    r->train_loss[e] = p->loss;
    r->train_acc[e] = p->accuracy;
    r->test_loss[e] = p->test_loss;
    r->test_acc[e] = p->test_accuracy;
    r->seconds[e] = p->seconds;
    for (size_t w = 0; w < AL_COMPARE_CURVE_PER_EPOCH; w++)
        r->curve[e * AL_COMPARE_CURVE_PER_EPOCH + w] = x->window_rows[w] > 0 ? x->window_sum[w] / x->window_rows[w]
                                                                               : NAN;
    if (x->units)
        measure_units(x, p->epoch);
}

/* Per-epoch and per-layer values from the probe's epoch-end records. */
static void collect(al_job_result *r, const al_probe *probe)
{
    size_t n;
    const al_probe_record *rec = al_probe_records(probe, &n);
    int L = r->layers;
    for (size_t i = 0; i < n; i++) {
        const al_probe_record *x = &rec[i];
        if (x->layer >= L)
            continue;
        size_t l = (size_t)x->layer;
        if (x->kind == AL_LAYER_ACTIVATION)
            r->preacts_seen[l] = (isnan(r->preacts_seen[l]) ? 0 : r->preacts_seen[l]) + (double)x->kink_seen;
        if (!x->epoch_end || x->epoch < 1 || x->epoch > r->epochs)
            continue;
        size_t at = (size_t)(x->epoch - 1) * (size_t)L + l;
        r->grad_norm[at] = x->grad_out_norm;
        r->weight_grad[at] = x->n_params > 0 ? x->params[0].grad_norm : NAN;
        if (x->kind != AL_LAYER_ACTIVATION)
            continue;
        r->act_mean[at] = x->out_mean;
        r->dead_layer[at] = x->dead;
        r->slope_mean[at] = x->slope_count ? x->slope_mean : NAN;
        r->kink_hits[l] = x->kinks > 0 ? (double)x->kink_hits_total : NAN;
        if (x->epoch == r->epochs) {
            double total = (double)(x->rows * x->units);
            r->bins = x->bins;
            r->bin_lo = x->bin_lo;
            r->bin_hi = x->bin_hi;
            for (int b = 0; b < x->bins; b++)
                r->hist[l * AL_PROBE_MAX_BINS + (size_t)b] = total > 0 ? (double)x->hist[b] / total : NAN;
            r->deriv_zero[l] = x->deriv_zero;
            r->deriv_one[l] = x->deriv_one;
        }
    }
    for (long e = 0; e < r->epochs; e++) {
        double sum = 0;
        int count = 0;
        for (int l = 0; l < L; l++) {
            double d = r->dead_layer[(size_t)e * (size_t)L + (size_t)l];
            if (!isnan(d)) {
                sum += d;
                count++;
            }
        }
        r->dead[e] = count ? sum / count : NAN;
    }
}

al_status al_compare_run_job(const al_compare *c, const al_job_spec *j, al_job_result *r, al_error *err)
{
    const al_arm *a = &c->arms[j->arm];
    al_net_options no = al_net_options_default();
    no.init = a->init;
    no.seed = j->seed;
    no.threads = 1;
    al_net *net = NULL;
    al_probe *probe = NULL;
    job_ctx x;
    memset(&x, 0, sizeof x);
    al_status st = al_net_create(a->spec, &no, &net, err);
    if (st == AL_OK) {
        al_compare_init_net(net, a->init, a->gain, j->seed);
        st = al_job_result_alloc(r, c->o.epochs, al_net_layer_count(net), err);
    }
    if (st == AL_OK) /* a convolutional net learns its image size from the data */
        st = al_net_fit_data(net, j->train, "the training data", err);
    r->arm = j->arm;
    r->seed_index = j->seed_index;
    r->seed = j->seed;
    r->lr = j->lr;
    al_probe_options po = al_probe_options_default();
    po.every = c->o.probe_every > 0 ? c->o.probe_every : 1000000000L;
    if (st == AL_OK)
        st = al_probe_create(net, &po, &probe, err);
    if (st == AL_OK && c->o.unit_stats) {
        x.units = units_create(net, c->o.batch, al_net_in_features(net));
        if (!x.units)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory for the unit statistics");
    }
    if (st == AL_OK) {
        al_train_options o = al_train_options_default();
        o.batch = c->o.batch;
        o.epochs = c->o.epochs;
        o.optim = c->o.optim;
        o.optim.lr = j->lr;
        o.seed = j->seed;
        o.probe = probe;
        x.c = c;
        x.j = j;
        x.r = r;
        x.net = net;
        int at_end = c->o.test_at_end && !j->tuning;
        st = al_train(net, j->train, at_end ? NULL : j->eval, &o, on_progress, &x, NULL, err);
        if (st == AL_OK && x.st != AL_OK) { /* the unit measurement ran out of memory */
            st = x.st;
            if (err)
                *err = x.err;
        }
        if (st == AL_OK && at_end) {
            al_eval_result e;
            st = al_evaluate(net, j->eval, c->o.batch, &e, err);
            if (st == AL_OK) {
                r->test_loss[r->epochs - 1] = e.loss;
                r->test_acc[r->epochs - 1] = e.accuracy;
                al_eval_result_free(&e);
            }
        }
        if (st == AL_ERR_NUMERIC) { /* diverged: keep what it measured, name why */
            r->diverged = 1;
            snprintf(r->error, sizeof r->error, "diverged: %.490s", err->message);
            st = AL_OK;
        } else if (st == AL_OK)
            r->done = 1;
    }
    if (st == AL_OK)
        collect(r, probe);
    units_free(x.units);
    al_probe_free(probe);
    al_net_free(net);
    return st;
}
