/* The training loop: batches, forward, loss, backward, probes, clipping and
 * the optimizer step; at each epoch end the test and validation sets, the
 * best epoch, a log record and a checkpoint (checkpoint.c); a clean stop
 * with a checkpoint when asked to stop, and a stop with the step named when
 * the loss diverges. */
#include "actlab/train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actlab/jsonl.h"
#include "actlab/loss.h"
#include "train/checkpoint.h"
#include "train/objective.h"
#include "train/snapshot.h"

al_train_options al_train_options_default(void)
{
    al_train_options o;
    memset(&o, 0, sizeof o);
    o.batch = 128;
    o.epochs = 10;
    o.loss = AL_LOSS_CROSS_ENTROPY;
    o.optim = al_optim_options_default();
    o.schedule = al_schedule_default();
    o.divergence_factor = AL_DIVERGENCE_FACTOR;
    o.shuffle = 1;
    return o;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A value for a message: "nan" for every NaN (printf may write "-nan"),
 * four significant digits otherwise, so 3e36 does not print 37 digits. */
static void value_text(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else
        snprintf(buf, size, "%.4g", v);
}

/* The first layer whose output holds a non-finite value (-1 if none). */
static int first_nonfinite_layer(const al_net *net, size_t rows)
{
    for (int i = 0; i < al_net_layer_count(net); i++) {
        const float *y = al_net_layer_output(net, i);
        size_t n = rows * al_net_layer(net, i).out_features;
        for (size_t k = 0; y && k < n; k++)
            if (!isfinite(y[k]))
                return i;
    }
    return -1;
}

/* The parameter holding the first non-finite gradient: one pass over the
 * gradient block, then the view that contains it. */
static const char *first_nonfinite_grad(const al_net *net)
{
    size_t count, k = 0;
    const float *block = al_net_grad_block(net, &count);
    while (k < count && isfinite(block[k]))
        k++;
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    for (int i = 0; k < count && i < np; i++) {
        size_t start = (size_t)(params[i].grad - block);
        if (k >= start && k < start + params[i].count)
            return params[i].name;
    }
    return "?";
}

typedef struct loop {
    al_net *net;
    const al_train_options *o;
    al_optim *opt;
    al_batcher *batcher;
    al_objective obj;
    float *x, *dlogits, *t, *tbuf;
    int32_t *y;
    FILE *log;
    al_snapshot best;
    al_position at;          /* where training stands, with what carries across epochs */
    long per_epoch;
} loop;

static void loop_free(loop *l)
{
    al_optim_free(l->opt);
    al_batcher_free(l->batcher);
    free(l->x);
    free(l->dlogits);
    free(l->t);
    free(l->tbuf);
    free(l->y);
    al_snapshot_free(&l->best);
    if (l->log)
        fclose(l->log);
}

/* One record per epoch, written whole or not at all: when a write fails
 * (full disk, file-size limit) the log is cut back to its last whole record
 * and the run stops with the reason. The file is created (or, resuming,
 * opened for appending) at the first record, so a run that fails before
 * its first epoch ends leaves no empty log. The stream is unbuffered, so
 * nothing is left for fclose to write afterwards. */
static al_status log_epoch(loop *l, const al_train_progress *p, int resumed, al_error *err)
{
    const char *path = l->o->log_path;
    if (!path)
        return AL_OK;
    if (!l->log) {
        l->log = fopen(path, resumed ? "a" : "w");
        if (!l->log)
            return al_error_set_field(err, AL_ERR_IO, "train.log_path", "cannot write the log '%s': %s", path,
                                      strerror(errno));
        setvbuf(l->log, NULL, _IONBF, 0);
    }
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "epoch", p->epoch);
    al_json_add_int(&rec, NULL, "step", p->step);
    al_json_add_real(&rec, NULL, "train_loss", p->loss);
    if (!isnan(p->accuracy))
        al_json_add_real(&rec, NULL, "train_accuracy", p->accuracy);
    al_json_add_real(&rec, NULL, "lr", p->lr);
    al_json_add_real(&rec, NULL, "seconds", p->seconds);
    const char *names[2][3] = {{"test_loss", "test_accuracy", "test_r2"}, {"val_loss", "val_accuracy", "val_r2"}};
    double values[2][3] = {{p->test_loss, p->test_accuracy, p->test_r2}, {p->val_loss, p->val_accuracy, p->val_r2}};
    for (int k = 0; k < 2; k++)
        for (int m = 0; !isnan(values[k][0]) && m < 3; m++)
            if (!isnan(values[k][m]))
                al_json_add_real(&rec, NULL, names[k][m], values[k][m]);
    return al_jsonl_append(l->log, path, &rec, err);
}

/* Stops on request: a checkpoint at `at` (when there is somewhere to put it),
 * and an error that says where training stands. */
static al_status interrupt(loop *l, const al_position *at, al_error *err)
{
    const al_train_options *o = l->o;
    const char *dir = o->checkpoint_dir ? o->checkpoint_dir : o->interrupt_dir;
    if (!dir)
        return al_error_set(err, AL_ERR_INTERRUPTED, "interrupted after step %ld; nothing was saved (give "
                            "a checkpoint directory to keep the progress)", at->step);
    al_status st = al_checkpoint_write(l->net, l->opt, o, dir, at, &l->best, err);
    if (st != AL_OK) {
        al_error_prefix(err, "interrupted after step %ld, but the checkpoint could not be saved: ", at->step);
        return st;
    }
    return al_error_set(err, AL_ERR_INTERRUPTED, "interrupted after step %ld; the checkpoint is in '%s'",
                        at->step, dir);
}

/* Refuses a loss that is not finite, or beyond divergence_factor times the
 * first step's, naming the step and where the first non-finite values are. */
static al_status check_loss(loop *l, double loss, size_t rows, long step, long epoch, long batch, al_error *err)
{
    double factor = l->o->divergence_factor, first = l->at.first_loss;
    if (isnan(first) && isfinite(loss))
        l->at.first_loss = first = loss;
    int too_big = factor > 0 && isfinite(loss) && first > 0 && loss > factor * first;
    if (isfinite(loss) && !too_big)
        return AL_OK;
    char value[32], first_text[32], where[320] = "";
    value_text(loss, value, sizeof value);
    value_text(first, first_text, sizeof first_text);
    int bad = first_nonfinite_layer(l->net, rows);
    if (bad >= 0)
        snprintf(where, sizeof where, "; the first non-finite values are in the output of module %d, %s", bad,
                 al_net_layer(l->net, bad).module);
    else if (!isfinite(loss))
        snprintf(where, sizeof where, "; the first non-finite values are in the loss itself (every layer's "
                 "output is finite)");
    char why[96] = "";
    if (too_big)
        snprintf(why, sizeof why, ", more than %.4g times the first step's %s", factor, first_text);
    return al_error_set(err, AL_ERR_NUMERIC, "step %ld (epoch %ld, batch %ld): the loss is %s%s: training "
                        "diverged%s. Try a lower learning rate or a gradient-norm clip", step, epoch, batch,
                        value, why, where);
}

/* The test and validation sets at an epoch end, and whether this epoch's
 * validation metric is the best so far (its weights are kept then). */
static al_status evaluate_sets(loop *l, const al_dataset *test, al_train_progress *p, int track_best,
                               al_error *err)
{
    const al_train_options *o = l->o;
    al_eval_result r;
    if (test) {
        al_status st = al_evaluate_loss(l->net, test, o->batch, o->loss, &r, err);
        if (st != AL_OK)
            return al_error_prefix(err, "evaluating the test set: ");
        p->test_loss = r.loss;
        p->test_accuracy = r.accuracy;
        p->test_r2 = r.r2;
        al_eval_result_free(&r);
    }
    if (!o->validation)
        return AL_OK;
    al_status st = al_evaluate_loss(l->net, o->validation, o->batch, o->loss, &r, err);
    if (st != AL_OK)
        return al_error_prefix(err, "evaluating the validation set: ");
    p->val_loss = r.loss;
    p->val_accuracy = r.accuracy;
    p->val_r2 = r.r2;
    al_eval_result_free(&r);
    if (!track_best)
        return AL_OK;
    /* accuracy when rows have classes (ties to the lower loss), else the loss */
    int by_accuracy = !isnan(p->val_accuracy);
    double metric = by_accuracy ? p->val_accuracy : p->val_loss;
    al_position *at = &l->at;
    int better = at->best_epoch == 0 || (by_accuracy ? metric > at->best_metric ||
                                                           (metric == at->best_metric && p->val_loss < at->best_loss)
                                                     : metric < at->best_metric);
    if (better) {
        at->best_epoch = p->epoch;
        at->best_metric = metric;
        at->best_loss = p->val_loss;
        at->since_best = 0;
        if (o->keep_best)
            al_snapshot_take(&l->best);
    } else {
        at->since_best++;
    }
    p->best_epoch = at->best_epoch;
    return AL_OK;
}

/* Checks what al_train is given before anything is allocated. */
static al_status check_inputs(al_net *net, const al_dataset *train, const al_dataset *test, const al_train_options *o,
                              al_objective *obj, al_error *err)
{
    size_t n = al_dataset_count(train), f = al_dataset_features(train), outputs = al_net_out_features(net);
    if (o->batch == 0)
        return al_error_set_field(err, AL_ERR_INVALID, "train.batch", "the batch size must be at least 1");
    if (n == 0)
        return al_error_set(err, AL_ERR_INVALID, "the training data '%s' is empty", al_dataset_name(train));
    al_status st = al_net_fit_data(net, train, "the training data", err);
    if (st == AL_OK)
        st = al_objective_init(obj, o->loss, train, outputs, "the training data", err);
    const al_dataset *others[2] = {test, o->validation};
    const char *what[2] = {"the test data", "the validation data"};
    for (int k = 0; st == AL_OK && k < 2; k++) {
        al_objective other;
        if (!others[k])
            continue;
        if (al_dataset_features(others[k]) != f)
            return al_error_set(err, AL_ERR_SHAPE, "%s '%s' has %zu features, the training data %zu", what[k],
                                al_dataset_name(others[k]), al_dataset_features(others[k]), f);
        st = al_objective_init(&other, o->loss, others[k], outputs, what[k], err);
    }
    if (st == AL_OK && (o->early_stop > 0 || o->keep_best) && !o->validation)
        return al_error_set_field(err, AL_ERR_INVALID, "train.validation", "%s watches the validation set: give one "
                                  "(held-out rows)", o->early_stop > 0 ? "early stopping" : "keeping the best epoch");
    if (st == AL_OK && (o->early_stop < 0 || !(o->divergence_factor >= 0)))
        return al_error_set_field(err, AL_ERR_INVALID, o->early_stop < 0 ? "train.early_stop" : "train.divergence_factor",
                                  "must not be negative");
    return st;
}

/* Allocates the loop's buffers, optimizer, batcher and best-weights copy,
 * and resumes from a checkpoint when asked. */
static al_status loop_start(loop *l, al_net *net, const al_dataset *train, const al_train_options *o, al_error *err)
{
    size_t f = al_dataset_features(train), outputs = al_net_out_features(net);
    size_t width = al_dataset_target_width(train);
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    al_batcher_options bo = al_batcher_options_default();
    bo.batch_size = o->batch;
    bo.seed = o->seed;
    bo.no_shuffle = !o->shuffle;
    l->x = malloc(o->batch * f * sizeof(float));
    l->dlogits = malloc(o->batch * outputs * sizeof(float));
    l->tbuf = malloc(o->batch * outputs * sizeof(float));
    l->t = malloc(o->batch * (width ? width : 1) * sizeof(float));
    l->y = malloc(o->batch * sizeof(int32_t));
    al_status st = AL_OK;
    if (!l->x || !l->dlogits || !l->tbuf || !l->t || !l->y)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory for batches of %zu", o->batch);
    if (st == AL_OK)
        st = al_optim_create(&o->optim, params, (size_t)np, &l->opt, err);
    if (st == AL_OK)
        st = al_batcher_create(train, &bo, &l->batcher, err);
    if (st == AL_OK)
        st = al_net_prepare(net, o->batch, err);
    if (st == AL_OK && o->keep_best)
        st = al_snapshot_init(&l->best, net, err);
    l->at.first_loss = NAN;
    if (st == AL_OK && o->checkpoint_dir && o->resume) {
        int found = 0;
        st = al_checkpoint_read(net, l->opt, o, &l->at, l->per_epoch, o->keep_best ? &l->best : NULL, &found, err);
    }
    return st;
}

/* Restores the best epoch's weights at the end of a run that kept them,
 * and evaluates the test set again so the final numbers are theirs. */
static al_status finish_best(loop *l, const al_dataset *test, al_train_progress *p, al_error *err)
{
    if (!l->o->keep_best || !l->best.taken || l->at.best_epoch == p->epoch)
        return AL_OK;
    al_snapshot_restore(&l->best);
    p->restored_best = 1;
    return evaluate_sets(l, test, p, 0, err);
}

al_status al_train(al_net *net, const al_dataset *train, const al_dataset *test, const al_train_options *o,
                   al_train_callback callback, void *context, al_train_progress *final, al_error *err)
{
    loop l;
    memset(&l, 0, sizeof l);
    l.net = net;
    l.o = o;
    al_status st = check_inputs(net, train, test, o, &l.obj, err);
    if (st != AL_OK)
        return st;
    size_t n = al_dataset_count(train);
    l.per_epoch = (long)((n + o->batch - 1) / o->batch);
    long per_epoch = l.per_epoch;
    long total = o->steps > 0 ? o->steps : o->epochs * per_epoch;
    if (total <= 0)
        return al_error_set_field(err, AL_ERR_INVALID, "train.epochs", "nothing to do: the epoch count and the step "
                                  "count are both 0");
    long epochs = (total + per_epoch - 1) / per_epoch;
    al_schedule schedule = o->schedule;
    st = al_schedule_resolve(&schedule, total, err);
    if (st == AL_OK)
        st = loop_start(&l, net, train, o, err);
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    al_position *at = &l.at;
    long epoch = at->epoch, step = at->step;
    int resumed = step > 0;
    /* the batch gather, the gradient norm and the optimizer share the work
     * like the net's passes: OpenMP's count is the net's while training */
    int caller_threads = omp_get_max_threads();
    omp_set_num_threads(al_net_threads(net));
    al_train_progress p;
    memset(&p, 0, sizeof p);
    p.epochs = epochs;
    p.steps = total;
    p.batches_per_epoch = per_epoch;
    p.step = step;
    p.epoch = epoch;
    p.best_epoch = at->best_epoch;
    p.test_loss = p.test_accuracy = p.test_r2 = p.val_loss = p.val_accuracy = p.val_r2 = NAN;
    double t0 = now_seconds();
    long steps_this_run = 0;
    int interrupted = 0;
    for (; st == AL_OK && step < total && !interrupted && !p.stopped_early; epoch++) {
        al_batcher_start_epoch(l.batcher, (uint64_t)epoch);
        /* a checkpoint taken inside this epoch continues its running sums */
        long k0 = step - epoch * per_epoch;
        p.epoch = epoch + 1;
        p.epoch_end = 0;
        p.test_loss = p.test_accuracy = p.test_r2 = p.val_loss = p.val_accuracy = p.val_r2 = NAN;
        for (long k = k0; st == AL_OK && k < per_epoch && step < total; k++) {
            size_t rows;
            st = al_batcher_fill(l.batcher, (size_t)k, l.x, l.y, &rows, err);
            if (st != AL_OK)
                break;
            al_batcher_fill_targets(l.batcher, (size_t)k, l.t);
            const float *logits = al_net_forward(net, l.x, rows, 1, (uint64_t)step);
            if (!logits) {
                st = al_error_set(err, AL_ERR_NOMEM, "step %ld: out of memory in the forward pass", step + 1);
                break;
            }
            double loss;
            size_t right;
            st = al_objective_batch(&l.obj, logits, l.y, l.t, rows, l.tbuf, l.dlogits, &loss, &right, err);
            if (st == AL_OK)
                st = check_loss(&l, loss, rows, step + 1, epoch + 1, k + 1, err);
            if (st != AL_OK)
                break;
            if (al_net_backward_overwrite(net, l.dlogits, NULL) != AL_OK) {
                st = al_error_set(err, AL_ERR_NOMEM, "step %ld: out of memory in the backward pass", step + 1);
                break;
            }
            int last_batch = k == per_epoch - 1 || step + 1 == total;
            if (o->probe) {
                st = al_probe_after_backward(o->probe, net, step + 1, epoch + 1, last_batch, err);
                if (st != AL_OK)
                    break;
            }
            double norm = al_clip_grad_norm_given(params, (size_t)np, o->clip_norm > 0 ? o->clip_norm : INFINITY,
                                                  al_net_grad_sum_squares(net));
            if (!isfinite(norm)) {
                st = al_error_set(err, AL_ERR_NUMERIC, "step %ld (epoch %ld, batch %ld): the gradient of "
                                  "'%s' is not finite: training diverged. Try a lower learning rate or a "
                                  "gradient-norm clip", step + 1, epoch + 1, k + 1, first_nonfinite_grad(net));
                break;
            }
            p.lr = al_schedule_lr(&schedule, o->optim.lr, step);
            st = al_optim_step(l.opt, p.lr, err);
            if (st == AL_OK && o->probe)
                st = al_probe_after_update(o->probe, net, err);
            step++;
            steps_this_run++;
            at->loss_sum += loss * (double)rows;
            at->correct += right;
            at->seen += rows;
            at->step = step;
            p.step = step;
            p.batch_in_epoch = k + 1;
            p.loss = at->loss_sum / (double)at->seen;
            p.accuracy = l.obj.has_accuracy ? (double)at->correct / (double)at->seen : NAN;
            p.seconds = now_seconds() - t0;
            p.samples_per_second = (double)steps_this_run * (double)o->batch / (p.seconds > 0 ? p.seconds : 1e-9);
            p.eta_seconds = (double)(total - step) * (double)o->batch / (p.samples_per_second > 0 ? p.samples_per_second : 1);
            if (callback && st == AL_OK)
                callback(&p, context);
            if (st == AL_OK && !last_batch && o->should_stop && o->should_stop(o->stop_context)) {
                st = interrupt(&l, at, err);
                interrupted = 1;
                break;
            }
        }
        if (st != AL_OK || interrupted)
            break;
        st = evaluate_sets(&l, test, &p, 1, err);
        if (st != AL_OK)
            break;
        p.epoch_end = 1;
        p.stopped_early = o->early_stop > 0 && at->since_best >= o->early_stop && step < total;
        st = log_epoch(&l, &p, resumed, err);
        if (st != AL_OK)
            break;
        /* a step limit may end training inside an epoch: then the checkpoint
         * keeps that position, so a longer limit resumes at the right batch */
        if (step >= (epoch + 1) * per_epoch) {
            at->epoch = epoch + 1;
            at->loss_sum = 0;
            at->correct = at->seen = 0;
        }
        if (o->checkpoint_dir)
            st = al_checkpoint_write(net, l.opt, o, o->checkpoint_dir, at, &l.best, err);
        if (callback && st == AL_OK)
            callback(&p, context);
        if (st == AL_OK && step < total && !p.stopped_early && o->should_stop && o->should_stop(o->stop_context)) {
            st = interrupt(&l, at, err);
            interrupted = 1;
        }
    }
    if (st == AL_OK)
        st = finish_best(&l, test, &p, err);
    omp_set_num_threads(caller_threads);
    if (final)
        *final = p;
    loop_free(&l);
    return st;
}
