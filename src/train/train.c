/* The training loop: batches, forward, loss, backward, probes, clipping and
 * the optimizer step; a log record and a checkpoint (checkpoint.c) per epoch;
 * a clean stop with a checkpoint when asked to stop. */
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

al_train_options al_train_options_default(void)
{
    al_train_options o;
    memset(&o, 0, sizeof o);
    o.batch = 128;
    o.epochs = 10;
    o.optim = al_optim_options_default();
    o.schedule = al_schedule_default();
    o.shuffle = 1;
    return o;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the loop ---- */

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

/* One record per epoch, written whole or not at all: when a write fails
 * (full disk, file-size limit) the log is cut back to its last whole record
 * and the run stops with the reason. The stream is unbuffered (see its
 * fopen), so nothing is left for fclose to write afterwards. */
static al_status log_epoch(FILE *log, const char *path, const al_train_progress *p, al_error *err)
{
    if (!log)
        return AL_OK;
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "epoch", p->epoch);
    al_json_add_int(&rec, NULL, "step", p->step);
    al_json_add_real(&rec, NULL, "train_loss", p->loss);
    al_json_add_real(&rec, NULL, "train_accuracy", p->accuracy);
    al_json_add_real(&rec, NULL, "lr", p->lr);
    al_json_add_real(&rec, NULL, "seconds", p->seconds);
    if (!isnan(p->test_loss)) {
        al_json_add_real(&rec, NULL, "test_loss", p->test_loss);
        al_json_add_real(&rec, NULL, "test_accuracy", p->test_accuracy);
    }
    return al_jsonl_append(log, path, &rec, err);
}

typedef struct loop {
    al_net *net;
    al_optim *opt;
    al_batcher *batcher;
    float *x, *dlogits;
    int32_t *y;
    FILE *log;
} loop;

static void loop_free(loop *l)
{
    al_optim_free(l->opt);
    al_batcher_free(l->batcher);
    free(l->x);
    free(l->dlogits);
    free(l->y);
    if (l->log)
        fclose(l->log);
}

/* field: the option that named dir */
static al_status make_dir(const char *dir, const char *field, al_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return al_error_set_field(err, AL_ERR_IO, field, "cannot create the checkpoint directory '%s': %s", dir,
                                  strerror(errno));
    return AL_OK;
}

/* Stops on request: a checkpoint at `at` (when there is somewhere to put it),
 * and an error that says where training stands. */
static al_status interrupt(al_net *net, al_optim *opt, const al_train_options *o, const al_position *at,
                           al_error *err)
{
    const char *dir = o->checkpoint_dir ? o->checkpoint_dir : o->interrupt_dir;
    if (!dir)
        return al_error_set(err, AL_ERR_INTERRUPTED, "interrupted after step %ld; nothing was saved (give "
                            "a checkpoint directory to keep the progress)", at->step);
    al_status st = make_dir(dir, o->checkpoint_dir ? "train.checkpoint_dir" : "train.interrupt_dir", err);
    if (st == AL_OK)
        st = al_checkpoint_write(net, opt, o, dir, at, err);
    if (st != AL_OK) {
        al_error_prefix(err, "interrupted after step %ld, but the checkpoint could not be saved: ", at->step);
        return st;
    }
    return al_error_set(err, AL_ERR_INTERRUPTED, "interrupted after step %ld; the checkpoint is in '%s'",
                        at->step, dir);
}

al_status al_train(al_net *net, const al_dataset *train, const al_dataset *test,
                   const al_train_options *o, al_train_callback callback, void *context,
                   al_train_progress *final, al_error *err)
{
    size_t n = al_dataset_count(train), f = al_dataset_features(train), classes = al_net_out_features(net);
    if (o->batch == 0)
        return al_error_set_field(err, AL_ERR_INVALID, "train.batch", "the batch size must be at least 1");
    if (n == 0)
        return al_error_set(err, AL_ERR_INVALID, "the training data '%s' is empty", al_dataset_name(train));
    if (f != al_net_in_features(net))
        return al_error_set(err, AL_ERR_SHAPE, "the training data '%s' has %zu features per example but "
                            "the model's first layer takes %zu", al_dataset_name(train), f,
                            al_net_in_features(net));
    if ((size_t)al_dataset_classes(train) > classes)
        return al_error_set(err, AL_ERR_SHAPE, "the training data '%s' has %d classes but the model "
                            "has %zu outputs", al_dataset_name(train), al_dataset_classes(train), classes);
    if (test && al_dataset_features(test) != f)
        return al_error_set(err, AL_ERR_SHAPE, "the test data '%s' has %zu features, the training data %zu",
                            al_dataset_name(test), al_dataset_features(test), f);
    long per_epoch = (long)((n + o->batch - 1) / o->batch);
    long total = o->steps > 0 ? o->steps : o->epochs * per_epoch;
    if (total <= 0)
        return al_error_set_field(err, AL_ERR_INVALID, "train.epochs", "nothing to do: the epoch count and the step "
                                  "count are both 0");
    long epochs = (total + per_epoch - 1) / per_epoch;
    al_schedule schedule = o->schedule;
    al_status st = al_schedule_resolve(&schedule, total, err);
    if (st != AL_OK)
        return st;

    loop l;
    memset(&l, 0, sizeof l);
    l.net = net;
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    al_batcher_options bo = al_batcher_options_default();
    bo.batch_size = o->batch;
    bo.seed = o->seed;
    bo.no_shuffle = !o->shuffle;
    l.x = malloc(o->batch * f * sizeof(float));
    l.dlogits = malloc(o->batch * classes * sizeof(float));
    l.y = malloc(o->batch * sizeof(int32_t));
    if (!l.x || !l.dlogits || !l.y)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory for batches of %zu", o->batch);
    if (st == AL_OK)
        st = al_optim_create(&o->optim, params, (size_t)np, &l.opt, err);
    if (st == AL_OK)
        st = al_batcher_create(train, &bo, &l.batcher, err);
    if (st == AL_OK)
        st = al_net_prepare(net, o->batch, err);
    al_position at;
    memset(&at, 0, sizeof at);
    if (st == AL_OK && o->checkpoint_dir) {
        st = make_dir(o->checkpoint_dir, "train.checkpoint_dir", err);
        int found = 0;
        if (st == AL_OK && o->resume)
            st = al_checkpoint_read(net, l.opt, o, &at, per_epoch, &found, err);
    }
    long epoch = at.epoch, step = at.step;
    if (st == AL_OK && o->log_path) {
        l.log = fopen(o->log_path, step > 0 ? "a" : "w");
        if (!l.log)
            st = al_error_set(err, AL_ERR_IO, "cannot write the log '%s': %s", o->log_path, strerror(errno));
        else
            setvbuf(l.log, NULL, _IONBF, 0);
    }
    /* the batch gather, the gradient norm and the optimizer share the work
     * like the net's passes: OpenMP's count is the net's while training */
    int caller_threads = omp_get_max_threads();
    omp_set_num_threads(al_net_threads(net));
    al_train_progress p;
    memset(&p, 0, sizeof p);
    p.epochs = epochs;
    p.steps = total;
    p.batches_per_epoch = per_epoch;
    p.test_loss = p.test_accuracy = NAN;
    p.step = step;
    p.epoch = epoch;
    double t0 = now_seconds();
    long steps_this_run = 0;
    int interrupted = 0;
    for (; st == AL_OK && step < total && !interrupted; epoch++) {
        al_batcher_start_epoch(l.batcher, (uint64_t)epoch);
        /* a checkpoint taken inside this epoch continues its running sums */
        double loss_sum = at.loss_sum;
        size_t seen = at.seen, correct = at.correct;
        long k0 = step - epoch * per_epoch;
        at.loss_sum = 0;
        at.seen = at.correct = 0;
        p.epoch = epoch + 1;
        p.epoch_end = 0;
        p.test_loss = p.test_accuracy = NAN;
        for (long k = k0; st == AL_OK && k < per_epoch && step < total; k++) {
            size_t rows;
            st = al_batcher_fill(l.batcher, (size_t)k, l.x, l.y, &rows, err);
            if (st != AL_OK)
                break;
            const float *logits = al_net_forward(net, l.x, rows, 1, (uint64_t)step);
            if (!logits) {
                st = al_error_set(err, AL_ERR_NOMEM, "step %ld: out of memory in the forward pass", step + 1);
                break;
            }
            double loss;
            size_t right;
            st = al_loss_cross_entropy(logits, l.y, rows, classes, l.dlogits, &loss, &right, err);
            if (st != AL_OK)
                break;
            if (!isfinite(loss)) {
                int bad = first_nonfinite_layer(net, rows);
                char where[256];
                if (bad >= 0)
                    snprintf(where, sizeof where, "the output of module %d, %s", bad,
                             al_net_layer(net, bad).module);
                else
                    snprintf(where, sizeof where, "the loss itself (every layer's output is finite)");
                st = al_error_set(err, AL_ERR_NUMERIC, "step %ld (epoch %ld, batch %ld): the loss is %g; the "
                                  "first non-finite values are in %s. Try a lower learning rate or a "
                                  "gradient-norm clip", step + 1, epoch + 1, k + 1, loss, where);
                break;
            }
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
                                  "'%s' is not finite. Try a lower learning rate or a gradient-norm clip",
                                  step + 1, epoch + 1, k + 1, first_nonfinite_grad(net));
                break;
            }
            p.lr = al_schedule_lr(&schedule, o->optim.lr, step);
            st = al_optim_step(l.opt, p.lr, err);
            if (st == AL_OK && o->probe)
                st = al_probe_after_update(o->probe, net, err);
            step++;
            steps_this_run++;
            loss_sum += loss * (double)rows;
            correct += right;
            seen += rows;
            p.step = step;
            p.batch_in_epoch = k + 1;
            p.loss = loss_sum / (double)seen;
            p.accuracy = (double)correct / (double)seen;
            p.seconds = now_seconds() - t0;
            p.samples_per_second = (double)steps_this_run * (double)o->batch / (p.seconds > 0 ? p.seconds : 1e-9);
            p.eta_seconds = (double)(total - step) * (double)o->batch / (p.samples_per_second > 0 ? p.samples_per_second : 1);
            if (callback && st == AL_OK)
                callback(&p, context);
            if (st == AL_OK && !last_batch && o->should_stop && o->should_stop(o->stop_context)) {
                al_position here = {epoch, step, loss_sum, correct, seen};
                st = interrupt(net, l.opt, o, &here, err);
                interrupted = 1;
                break;
            }
        }
        if (st != AL_OK || interrupted)
            break;
        if (test) {
            al_eval_result r;
            st = al_evaluate(net, test, o->batch, &r, err);
            if (st != AL_OK)
                break;
            p.test_loss = r.loss;
            p.test_accuracy = r.accuracy;
            al_eval_result_free(&r);
        }
        p.epoch_end = 1;
        st = log_epoch(l.log, o->log_path, &p, err);
        if (st != AL_OK)
            break;
        /* a step limit may end training inside an epoch: then the checkpoint
         * keeps that position, so a longer limit resumes at the right batch */
        al_position boundary = {epoch + 1, step, 0, 0, 0};
        if (step < (epoch + 1) * per_epoch)
            boundary = (al_position){epoch, step, loss_sum, correct, seen};
        if (o->checkpoint_dir)
            st = al_checkpoint_write(net, l.opt, o, o->checkpoint_dir, &boundary, err);
        if (callback && st == AL_OK)
            callback(&p, context);
        if (st == AL_OK && step < total && o->should_stop && o->should_stop(o->stop_context)) {
            st = interrupt(net, l.opt, o, &boundary, err);
            interrupted = 1;
        }
    }
    omp_set_num_threads(caller_threads);
    if (final)
        *final = p;
    loop_free(&l);
    return st;
}
