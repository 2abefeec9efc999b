/* Checkpoints: the model, the optimizer state and where training stands, in
 * one safetensors file (DIR/checkpoint.safetensors) written atomically.
 *
 * Resume is exact because nothing random carries hidden state: the epoch's
 * order is a function of (seed, epoch), dropout and RReLU draw from
 * (net seed, step), and the checkpoint holds the parameters, buffers,
 * optimizer state, step count and the running sums of an epoch in progress. */
#include "train/checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHECKPOINT_FORMAT "actlab-checkpoint-1"

/* The optimizer, its hyperparameters, the schedule, the clip and the loss
 * in words: a resumed run must use the same, or it is another run. */
static void describe_training(const al_train_options *o, char *buf, size_t size)
{
    const al_optim_options *p = &o->optim;
    int n = snprintf(buf, size, "%s lr %.9g", al_optim_kind_name(p->kind), p->lr);
    switch (p->kind) {
    case AL_OPT_SGD:
        n += snprintf(buf + n, size - (size_t)n, " momentum %.9g dampening %.9g%s", p->momentum, p->dampening,
                      p->nesterov ? " nesterov" : "");
        break;
    case AL_OPT_ADAM:
    case AL_OPT_ADAMW:
        n += snprintf(buf + n, size - (size_t)n, " betas %.9g,%.9g eps %.9g%s", p->beta1, p->beta2, p->eps,
                      p->amsgrad ? " amsgrad" : "");
        break;
    case AL_OPT_RMSPROP:
        n += snprintf(buf + n, size - (size_t)n, " alpha %.9g eps %.9g momentum %.9g%s", p->alpha, p->eps,
                      p->momentum, p->centered ? " centered" : "");
        break;
    }
    char schedule[128];
    al_schedule_format(&o->schedule, schedule, sizeof schedule);
    snprintf(buf + n, size - (size_t)n, " weight decay %.9g%s, schedule %s, clip norm %.9g, loss %s",
             p->weight_decay, p->decay_all ? " (all tensors)" : "", schedule, o->clip_norm,
             al_loss_kind_name(o->loss));
}

static al_status checkpoint_path(const char *dir, char *buf, size_t size, al_error *err)
{
    int n = snprintf(buf, size, "%s/checkpoint.safetensors", dir);
    if (n < 0 || (size_t)n >= size)
        return al_error_set(err, AL_ERR_INVALID, "checkpoint directory name too long: '%s'", dir);
    return AL_OK;
}

al_status al_checkpoint_write(al_net *net, al_optim *opt, const al_train_options *o, const char *dir,
                               const al_position *at, al_snapshot *best, al_error *err)
{
    char path[4096];
    al_status st = checkpoint_path(dir, path, sizeof path, err);
    if (st != AL_OK)
        return st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return al_error_set_field(err, AL_ERR_IO, o->checkpoint_dir ? "train.checkpoint_dir" : "train.interrupt_dir",
                                  "cannot create the checkpoint directory '%s': %s", dir, strerror(errno));
    al_tensors t;
    memset(&t, 0, sizeof t);
    size_t n_state = al_optim_state_count(opt);
    size_t n_best = best && best->taken ? best->views.count : 0;
    char (*optim_names)[96] = calloc(n_state + n_best + 1, sizeof *optim_names);
    if (!optim_names)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory writing a checkpoint");
    if (st == AL_OK)
        st = al_net_state_dict(net, &t, 0, err);
    for (size_t i = 0; st == AL_OK && i < n_state; i++) {
        al_param_ref v = al_optim_state_view(opt, i);
        snprintf(optim_names[i], sizeof optim_names[i], "optim.%s", v.name);
        size_t shape[1] = {v.count};
        st = al_tensors_add_view_of(&t, optim_names[i], AL_DTYPE_F32, 1, shape, v.value, err);
    }
    if (st == AL_OK && n_best)
        st = al_snapshot_add_views(best, &t, optim_names + n_state, err);
    char text[1024];
#define META(key, fmt, value)                                   \
    if (st == AL_OK) {                                          \
        snprintf(text, sizeof text, fmt, value);                \
        st = al_tensors_set_meta(&t, key, text, err);           \
    }
    META("format", "%s", CHECKPOINT_FORMAT)
    META("epoch", "%ld", at->epoch)
    META("step", "%ld", at->step)
    META("epoch_loss_sum", "%.17g", at->loss_sum)
    META("epoch_correct", "%zu", at->correct)
    META("epoch_seen", "%zu", at->seen)
    META("optim_steps", "%ld", al_optim_step_count(opt))
    META("batch", "%zu", o->batch)
    META("seed", "%llu", (unsigned long long)o->seed)
    META("first_loss", "%.17g", at->first_loss)
    META("best_epoch", "%ld", at->best_epoch)
    META("since_best", "%ld", at->since_best)
    META("best_metric", "%.17g", at->best_metric)
    META("best_loss", "%.17g", at->best_loss)
#undef META
    if (st == AL_OK) {
        describe_training(o, text, sizeof text);
        st = al_tensors_set_meta(&t, "training", text, err);
    }
    if (st == AL_OK)
        st = al_safetensors_write(path, &t, err);
    al_tensors_free(&t);
    free(optim_names);
    return st;
}

static long meta_long(const al_tensors *t, const char *key, int *ok)
{
    const char *v = al_tensors_get_meta(t, key);
    char *end;
    if (!v) {
        *ok = 0;
        return 0;
    }
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v)
        *ok = 0;
    return x;
}

/* A number of the metadata (NaN when absent or malformed). */
static double meta_double(const al_tensors *t, const char *key)
{
    const char *v = al_tensors_get_meta(t, key);
    char *end;
    double x = v ? strtod(v, &end) : NAN;
    return v && end != v && !*end ? x : NAN;
}

al_status al_checkpoint_read(al_net *net, al_optim *opt, const al_train_options *o, al_position *at,
                              long per_epoch, al_snapshot *best, int *found, al_error *err)
{
    char path[4096];
    *found = 0;
    al_status st = checkpoint_path(o->checkpoint_dir, path, sizeof path, err);
    if (st != AL_OK)
        return st;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return AL_OK; /* nothing to resume: start fresh */
    al_tensors t;
    memset(&t, 0, sizeof t);
    st = al_safetensors_read(path, &t, err);
    if (st != AL_OK)
        return st;
    const char *format = al_tensors_get_meta(&t, "format");
    int ok = format && strcmp(format, CHECKPOINT_FORMAT) == 0;
    long e = meta_long(&t, "epoch", &ok), s = meta_long(&t, "step", &ok);
    long os = meta_long(&t, "optim_steps", &ok), batch = meta_long(&t, "batch", &ok);
    /* the running sums of a checkpoint taken inside an epoch */
    int in_epoch = 1;
    long correct = meta_long(&t, "epoch_correct", &in_epoch), seen = meta_long(&t, "epoch_seen", &in_epoch);
    const char *loss_text = al_tensors_get_meta(&t, "epoch_loss_sum");
    double loss_sum = in_epoch && loss_text ? strtod(loss_text, NULL) : 0;
    const char *seed = al_tensors_get_meta(&t, "seed");
    char want_seed[32], want_training[1024];
    snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)o->seed);
    const char *training = al_tensors_get_meta(&t, "training");
    describe_training(o, want_training, sizeof want_training);
    if (!ok)
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' is not an actlab checkpoint (its metadata lacks "
                          "format, epoch or step)", path);
    else if ((size_t)batch != o->batch || !seed || strcmp(seed, want_seed) != 0)
        /* tests/test_train.c matches "--batch N" in this message: it keeps
         * the flags until that test checks err->field instead */
        st = al_error_set_field(err, AL_ERR_INVALID, (size_t)batch != o->batch ? "train.batch" : "train.seed",
                                "'%s' was written with --batch %ld --seed %s; resume with the same values (or "
                                "start a new --checkpoint-dir)", path, batch, seed ? seed : "?");
    else if (training && strcmp(training, want_training) != 0)
        st = al_error_set_field(err, AL_ERR_INVALID, "train.optim", "'%s' was written with %s; this run asks for "
                                "%s: resume with the same (or start a new checkpoint directory)", path, training,
                                want_training);
    else if (e < 0 || e >= LONG_MAX / per_epoch - 1 || s < e * per_epoch || s > (e + 1) * per_epoch || correct < 0 || seen < 0)
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' says epoch %ld, step %ld, which does not fit %ld "
                          "batches per epoch: was it written for other data or another batch size?", path, e,
                          s, per_epoch);
    if (st == AL_OK)
        st = al_net_load_state(net, &t, path, err);
    for (size_t i = 0; st == AL_OK && i < t.count; i++) {
        const al_tensor *x = &t.items[i];
        if (strncmp(x->name, "optim.", 6) != 0)
            continue;
        if (x->array.dtype != AL_DTYPE_F32 || x->array.rank != 1)
            st = al_error_set(err, AL_ERR_FORMAT, "'%s': the optimizer state '%s' must be a 1-D float32 "
                              "tensor, not %s of rank %d", path, x->name, al_dtype_descr(x->array.dtype),
                              x->array.rank);
        else
            st = al_optim_state_import(opt, x->name + 6, x->array.data, x->array.count, err);
    }
    if (st == AL_OK)
        st = al_optim_set_step_count(opt, os, err);
    int ok_best = 1;
    long best_epoch = meta_long(&t, "best_epoch", &ok_best), since_best = meta_long(&t, "since_best", &ok_best);
    if (st == AL_OK && best && (!ok_best || best_epoch <= 0 || !al_snapshot_import(best, &t)))
        best->taken = 0;
    at->first_loss = meta_double(&t, "first_loss");
    at->best_metric = meta_double(&t, "best_metric");
    at->best_loss = meta_double(&t, "best_loss");
    at->best_epoch = ok_best && best_epoch > 0 ? best_epoch : 0;
    at->since_best = ok_best && since_best > 0 ? since_best : 0;
    al_tensors_free(&t);
    if (st == AL_OK) {
        at->epoch = e;
        at->step = s;
        at->loss_sum = in_epoch ? loss_sum : 0;
        at->correct = in_epoch ? (size_t)correct : 0;
        at->seen = in_epoch ? (size_t)seen : 0;
        *found = 1;
    }
    return st;
}
