/* One playground run: its data (a synthetic 2-D set, or the shared
 * Fashion-MNIST), its net, optimizer, batcher and probes, one training step
 * (the same sequence as al_train, so the exported `actlab train` command
 * reproduces the weights), and the evaluation each frame shows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/loss.h"
#include "serve_internal.h"

void sv_model_clear(sv_model *r)
{
    al_probe_free(r->probe);
    al_batcher_free(r->batcher);
    al_optim_free(r->opt);
    al_net_free(r->net);
    if (r->own_data) {
        al_dataset_free(r->train);
        al_dataset_free(r->test);
    }
    free(r->points);
    free(r->train_target);
    free(r->test_target);
    free(r->xb);
    free(r->yt);
    free(r->yb);
    free(r->dlogits);
    free(r->ones);
    free(r->deriv);
    free(r->grid_x);
    sv_log_free(&r->log);
    r->probe = NULL;
    r->batcher = NULL;
    r->opt = NULL;
    r->net = NULL;
    r->train = r->test = NULL;
    r->points = NULL;
    r->train_target = r->test_target = NULL;
    r->xb = r->yt = r->dlogits = r->ones = r->deriv = r->grid_x = NULL;
    r->yb = NULL;
    r->n_layers_view = 0;
    r->own_data = 0;
}

static al_status make_2d_data(sv_model *r, al_error *err)
{
    const sv_config *c = &r->cfg;
    size_t n = (size_t)c->samples;
    r->points = malloc(n * sizeof *r->points);
    if (!r->points)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for %zu points", n);
    al_status st = al_synth_generate(c->dataset, n, c->noise / 100.0, (uint64_t)c->seed, r->points, err);
    if (st != AL_OK)
        return st;
    r->n_train = n * (size_t)c->train_ratio / 100;
    if (r->n_train < 1)
        r->n_train = 1;
    if (r->n_train >= n)
        r->n_train = n - 1;
    r->n_test = n - r->n_train;
    r->own_data = 1;
    st = al_synth_dataset("train", r->points, r->n_train, c->features, c->n_features, &r->train, err);
    if (st == AL_OK)
        st = al_synth_dataset("test", r->points + r->n_train, r->n_test, c->features, c->n_features,
                              &r->test, err);
    if (st != AL_OK || !c->regression)
        return st;
    r->train_target = malloc(r->n_train * sizeof(float));
    r->test_target = malloc(r->n_test * sizeof(float));
    if (!r->train_target || !r->test_target)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the targets");
    for (size_t i = 0; i < n; i++) {
        float t = (float)r->points[i].label;
        if (i < r->n_train)
            r->train_target[i] = t;
        else
            r->test_target[i - r->n_train] = t;
    }
    return AL_OK;
}

static size_t eval_rows(const sv_model *r, int test)
{
    size_t n = test ? r->n_test : r->n_train;
    return r->cfg.fashion && n > SV_FASHION_EVAL ? SV_FASHION_EVAL : n;
}

static al_status make_buffers(sv_model *r, al_error *err)
{
    size_t in = (size_t)sv_config_inputs(&r->cfg), out = (size_t)sv_config_outputs(&r->cfg);
    size_t batch = (size_t)r->cfg.batch, rows = batch;
    size_t grid = r->cfg.fashion ? 0 : (size_t)SV_GRID * SV_GRID;
    if (eval_rows(r, 0) > rows) rows = eval_rows(r, 0);
    if (eval_rows(r, 1) > rows) rows = eval_rows(r, 1);
    if (grid > rows) rows = grid;
    size_t units = out;
    for (int i = 0; i < r->cfg.n_hidden; i++)
        if ((size_t)r->cfg.hidden[i] > units)
            units = (size_t)r->cfg.hidden[i];
    r->max_rows = rows;
    r->xb = malloc(batch * in * sizeof(float));
    r->yb = malloc(batch * sizeof(int32_t));
    r->yt = malloc(batch * sizeof(float));
    r->dlogits = malloc(batch * out * sizeof(float));
    r->ones = malloc(rows * units * sizeof(float));
    r->deriv = malloc(rows * units * sizeof(float));
    if (grid)
        r->grid_x = malloc(grid * in * sizeof(float));
    if (!r->xb || !r->yb || !r->yt || !r->dlogits || !r->ones || !r->deriv || (grid && !r->grid_x))
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the run's buffers");
    for (size_t i = 0; i < rows * units; i++)
        r->ones[i] = 1.0f;
    for (size_t g = 0; g < grid; g++) {
        /* row-major from the top left: x1 grows to the right, x2 grows upwards */
        size_t gi = g / SV_GRID, gj = g % SV_GRID;
        double x1 = -SV_DOMAIN + 2 * SV_DOMAIN * ((double)gj + 0.5) / SV_GRID;
        double x2 = SV_DOMAIN - 2 * SV_DOMAIN * ((double)gi + 0.5) / SV_GRID;
        for (size_t k = 0; k < in; k++)
            r->grid_x[g * in + k] = (float)al_synth_feature_value(r->cfg.features[k], x1, x2);
    }
    return al_net_prepare(r->net, rows, err);
}

/* The probe keeps only its latest point (one record per layer), which is
 * what the page shows, so a long run's memory stays flat. */
static al_status make_probe(sv_model *r, al_error *err)
{
    al_probe_options po = al_probe_options_default();
    po.every = r->cfg.fashion ? 50 : 10;
    po.max_records = (size_t)al_net_layer_count(r->net);
    return al_probe_create(r->net, &po, &r->probe, err);
}

al_status sv_model_build(sv_model *r, al_error *err)
{
    sv_model_clear(r);
    const sv_config *c = &r->cfg;
    al_status st;
    if (c->fashion) {
        st = sv_fashion_get(r->fashion, &r->train, &r->test, err);
        if (st != AL_OK)
            return st;
        r->n_train = al_dataset_count(r->train);
        r->n_test = al_dataset_count(r->test);
    } else {
        st = make_2d_data(r, err);
    }
    al_buf spec = {0};
    sv_config_spec(c, &spec);
    al_net_options no = al_net_options_default();
    no.init = c->init;
    no.seed = (uint64_t)c->seed;
    no.threads = 1;
    if (st == AL_OK)
        st = spec.failed ? al_error_set(err, AL_ERR_NOMEM, "out of memory") :
             al_net_create(spec.data, &no, &r->net, err);
    al_buf_free(&spec);
    if (st == AL_OK) {
        al_optim_options oo = al_optim_options_for(c->opt == SV_OPT_ADAM ? AL_OPT_ADAM : AL_OPT_SGD);
        oo.lr = c->lr;
        if (c->opt == SV_OPT_MOMENTUM)
            oo.momentum = c->momentum;
        if (c->reg == SV_REG_L2)
            oo.weight_decay = c->reg_rate;
        int np;
        const al_param_ref *params = al_net_params(r->net, &np);
        st = al_optim_create(&oo, params, (size_t)np, &r->opt, err);
    }
    if (st == AL_OK) {
        al_batcher_options bo = al_batcher_options_default();
        bo.batch_size = (size_t)c->batch;
        bo.seed = (uint64_t)c->seed;
        st = al_batcher_create(r->train, &bo, &r->batcher, err);
    }
    if (st == AL_OK)
        st = make_probe(r, err);
    if (st == AL_OK)
        st = make_buffers(r, err);
    if (st != AL_OK) {
        sv_model_clear(r);
        return st;
    }
    r->n_layers_view = 0;
    for (int i = 0; i < al_net_layer_count(r->net); i++) {
        al_layer_info li = al_net_layer(r->net, i);
        if (li.kind != AL_LAYER_ACTIVATION || r->n_layers_view >= c->n_hidden)
            continue;
        sv_layer_view *v = &r->layers[r->n_layers_view++];
        memset(v, 0, sizeof *v);
        v->act_index = i;
        v->units = (int)li.out_features;
    }
    r->step = r->epoch = r->batch_in_epoch = 0;
    r->per_epoch = (long)((r->n_train + (size_t)c->batch - 1) / (size_t)c->batch);
    r->log.stride = 1;
    sv_model_evaluate(r);
    return AL_OK;
}

const al_probe_record *sv_model_probe(const sv_model *r, int view)
{
    size_t n = 0;
    const al_probe_record *rec = r->probe ? al_probe_records(r->probe, &n) : NULL;
    for (size_t i = n; i-- > 0;)
        if (rec[i].layer == r->layers[view].act_index)
            return &rec[i];
    return NULL;
}

int sv_dead_count(const sv_layer_view *v)
{
    int dead = 0;
    for (int u = 0; u < v->units; u++)
        dead += v->dead[u];
    return dead;
}

static void add_l1(sv_model *r)
{
    int np;
    const al_param_ref *p = al_net_params(r->net, &np);
    float rate = (float)r->cfg.reg_rate;
    for (int i = 0; i < np; i++) {
        size_t len = strlen(p[i].name);
        if (p[i].no_decay || len < 7 || strcmp(p[i].name + len - 7, ".weight") != 0)
            continue;
        for (size_t k = 0; k < p[i].count; k++)
            p[i].grad[k] += p[i].value[k] > 0 ? rate : p[i].value[k] < 0 ? -rate : 0.0f;
    }
}

al_status sv_model_step(sv_model *r, al_error *err)
{
    if (!r->net)
        return al_error_set(err, AL_ERR_INVALID, "the run has no model");
    if (r->batch_in_epoch == 0)
        al_batcher_start_epoch(r->batcher, (uint64_t)r->epoch);
    size_t rows, k = (size_t)r->batch_in_epoch;
    al_status st = al_batcher_fill(r->batcher, k, r->xb, r->yb, &rows, err);
    if (st != AL_OK)
        return st;
    al_net_zero_grad(r->net);
    const float *out = al_net_forward(r->net, r->xb, rows, 1, (uint64_t)r->step);
    double loss;
    if (r->cfg.regression) {
        const size_t *idx;
        al_batcher_indices(r->batcher, k, &idx);
        for (size_t i = 0; i < rows; i++)
            r->yt[i] = r->train_target[idx[i]];
        st = al_loss_mse(out, r->yt, rows, r->dlogits, &loss, err);
    } else {
        st = al_loss_cross_entropy(out, r->yb, rows, (size_t)sv_config_outputs(&r->cfg), r->dlogits, &loss,
                                   NULL, err);
    }
    if (st == AL_OK && !isfinite(loss))
        st = al_error_set(err, AL_ERR_NUMERIC, "step %ld: the loss is %g; try a lower learning rate",
                          r->step + 1, loss);
    if (st != AL_OK)
        return st;
    al_net_backward(r->net, r->dlogits, NULL);
    int last = r->batch_in_epoch == r->per_epoch - 1;
    st = al_probe_after_backward(r->probe, r->net, r->step + 1, r->epoch + 1, last, err);
    if (st != AL_OK)
        return st;
    if (r->cfg.reg == SV_REG_L1 && r->cfg.reg_rate > 0)
        add_l1(r);
    st = al_optim_step(r->opt, r->cfg.lr, err);
    if (st == AL_OK)
        st = al_probe_after_update(r->probe, r->net, err);
    if (st != AL_OK)
        return st;
    r->step++;
    if (++r->batch_in_epoch == r->per_epoch) {
        r->batch_in_epoch = 0;
        r->epoch++;
        if (r->epoch % r->log.stride == 0) {
            sv_model_evaluate(r);
            sv_log_record(r);
        }
    }
    return AL_OK;
}

/* Loss and accuracy of the first rows of one set, in eval mode. */
static void eval_set(sv_model *r, int test, double *loss, double *acc, int dead_units)
{
    const al_dataset *ds = test ? r->test : r->train;
    size_t rows = eval_rows(r, test);
    *loss = *acc = NAN;
    if (!ds || rows == 0)
        return;
    const float *out = al_net_forward(r->net, al_dataset_x(ds), rows, 0, 0);
    if (r->cfg.regression) {
        al_loss_mse(out, test ? r->test_target : r->train_target, rows, NULL, loss, NULL);
    } else {
        size_t right = 0;
        if (al_loss_cross_entropy(out, al_dataset_y(ds), rows, (size_t)sv_config_outputs(&r->cfg), NULL,
                                  loss, &right, NULL) == AL_OK)
            *acc = (double)right / (double)rows;
    }
    for (int l = 0; dead_units && l < r->n_layers_view; l++) {
        sv_layer_view *v = &r->layers[l];
        size_t units = (size_t)v->units;
        if (!al_net_activation_derivative(r->net, v->act_index, r->ones, r->deriv))
            continue;
        for (size_t u = 0; u < units; u++) {
            int dead = 1;
            for (size_t i = 0; i < rows && dead; i++)
                dead = r->deriv[i * units + u] == 0.0f;
            v->dead[u] = (uint8_t)dead;
        }
    }
}

void sv_model_evaluate(sv_model *r)
{
    if (!r->net)
        return;
    eval_set(r, 0, &r->train_loss, &r->train_acc, 1);
    eval_set(r, 1, &r->test_loss, &r->test_acc, 0);
}

al_status sv_model_edit(sv_model *r, int layer, int unit, int from, double value, al_error *err)
{
    if (!r->net)
        return al_error_set(err, AL_ERR_INVALID, "the run has no model");
    if (!isfinite(value) || fabs(value) > SV_MAX_EDIT)
        return al_error_set(err, AL_ERR_INVALID, "value: expected a number in [%g, %g]", -SV_MAX_EDIT,
                            SV_MAX_EDIT);
    int seen = 0;
    for (int i = 0; i < al_net_layer_count(r->net); i++) {
        al_layer_info li = al_net_layer(r->net, i);
        if (li.kind != AL_LAYER_LINEAR || ++seen != layer)
            continue;
        if (unit < 0 || (size_t)unit >= li.out_features)
            return al_error_set(err, AL_ERR_INVALID, "unit: layer %d has units 0 to %zu", layer,
                                li.out_features - 1);
        if (from >= 0 && (size_t)from >= li.in_features)
            return al_error_set(err, AL_ERR_INVALID, "from: layer %d has inputs 0 to %zu", layer,
                                li.in_features - 1);
        char name[32];
        snprintf(name, sizeof name, "%d.%s", li.index, from >= 0 ? "weight" : "bias");
        int np;
        const al_param_ref *p = al_net_params(r->net, &np);
        for (int k = 0; k < np; k++)
            if (strcmp(p[k].name, name) == 0) {
                size_t at = from >= 0 ? (size_t)unit * li.in_features + (size_t)from : (size_t)unit;
                p[k].value[at] = (float)value;
                sv_model_evaluate(r);
                return AL_OK;
            }
        return al_error_set(err, AL_ERR_INVALID, "layer %d has no %s", layer, name);
    }
    return al_error_set(err, AL_ERR_INVALID, "layer: the net has Linear layers 1 to %d", seen);
}

al_status sv_fashion_get(sv_fashion *f, al_dataset **train, al_dataset **test, al_error *err)
{
    pthread_mutex_lock(&f->lock);
    if (!f->tried) {
        al_error e = {0};
        f->status = al_dataset_load_fashion_mnist(f->dir, AL_DATA_TRAIN, &f->train, &e);
        if (f->status == AL_OK)
            f->status = al_dataset_load_fashion_mnist(f->dir, AL_DATA_TEST, &f->test, &e);
        snprintf(f->message, sizeof f->message, "%s", e.message);
        f->tried = 1;
    }
    al_status st = f->status;
    if (st == AL_OK) {
        *train = f->train;
        *test = f->test;
    } else {
        al_error_set(err, st, "Fashion-MNIST: %s", f->message);
    }
    pthread_mutex_unlock(&f->lock);
    return st;
}
