/* The training loop, evaluation, model files and checkpoints.
 *
 * Resume is exact because nothing random carries hidden state: the epoch's
 * order is a function of (seed, epoch), dropout and RReLU draw from
 * (net seed, step), and the checkpoint holds the parameters, buffers,
 * optimizer state and step count. */
#include "actlab/train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actlab/loss.h"
#include "actlab/safetensors.h"

#define CHECKPOINT_FORMAT "actlab-checkpoint-1"

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

/* ---- model files ---- */

/* PyTorch's shape of a parameter or buffer: Linear weights are [out, in]. */
static int ref_shape(const al_net *net, const al_param_ref *r, size_t shape[2])
{
    int index = atoi(r->name);
    al_layer_info info = al_net_layer(net, index);
    if (info.kind == AL_LAYER_LINEAR && strstr(r->name, ".weight")) {
        shape[0] = info.out_features;
        shape[1] = info.in_features;
        return 2;
    }
    shape[0] = r->count;
    return 1;
}

static al_status add_view(al_tensors *t, const char *name, al_dtype dtype, int rank, const size_t *shape,
                          void *data, al_error *err)
{
    al_array a;
    memset(&a, 0, sizeof a);
    a.dtype = dtype;
    a.rank = rank;
    a.count = 1;
    for (int i = 0; i < rank; i++) {
        a.shape[i] = shape[i];
        a.count *= shape[i];
    }
    a.data = data;
    return al_tensors_add_view(t, name, &a, err);
}

/* The state_dict as views into the net, in PyTorch's order (per module:
 * weight, bias, running_mean, running_var, num_batches_tracked). With
 * shapes_only the views carry no data (for checking a file). */
static al_status state_dict(al_net *net, al_tensors *t, char (*nbt_names)[48], int shapes_only, al_error *err)
{
    int np, nb;
    const al_param_ref *params = al_net_params(net, &np), *buffers = al_net_buffers(net, &nb);
    for (int layer = 0; layer < al_net_layer_count(net); layer++) {
        const al_param_ref *lists[2] = {params, buffers};
        int counts[2] = {np, nb};
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < counts[l]; i++) {
                const al_param_ref *r = &lists[l][i];
                if (atoi(r->name) != layer)
                    continue;
                size_t shape[2];
                int rank = ref_shape(net, r, shape);
                al_status st = add_view(t, r->name, AL_DTYPE_F32, rank, shape, shapes_only ? NULL : r->value, err);
                if (st != AL_OK)
                    return st;
            }
        int64_t *nbt = al_net_batches_tracked(net, layer);
        if (nbt) {
            snprintf(nbt_names[layer], sizeof nbt_names[layer], "%d.num_batches_tracked", layer);
            al_status st = add_view(t, nbt_names[layer], AL_DTYPE_I64, 0, NULL, shapes_only ? NULL : nbt, err);
            if (st != AL_OK)
                return st;
        }
    }
    return AL_OK;
}

static char (*name_storage(const al_net *net))[48]
{
    return calloc((size_t)al_net_layer_count(net) + 1, sizeof(char[48]));
}

al_status al_net_save(const al_net *net_const, const char *path, al_error *err)
{
    al_net *net = (al_net *)net_const; /* views only read */
    al_tensors t;
    memset(&t, 0, sizeof t);
    char (*names)[48] = name_storage(net);
    if (!names)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory saving '%s'", path);
    al_status st = state_dict(net, &t, names, 0, err);
    if (st == AL_OK)
        st = al_safetensors_write(path, &t, err);
    al_tensors_free(&t);
    free(names);
    return st;
}

/* Copies the state_dict entries of `loaded` into the net, after checking
 * every name, shape and dtype. */
static al_status load_state(al_net *net, const al_tensors *loaded, const char *path, al_error *err)
{
    al_tensors expected, target;
    memset(&expected, 0, sizeof expected);
    memset(&target, 0, sizeof target);
    char (*names)[48] = name_storage(net), (*names2)[48] = name_storage(net);
    al_status st = names && names2 ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory loading '%s'", path);
    if (st == AL_OK)
        st = state_dict(net, &expected, names, 1, err);
    if (st == AL_OK)
        st = state_dict(net, &target, names2, 0, err);
    if (st == AL_OK) {
        /* the file may hold more (a checkpoint's optimizer state): compare only model names */
        al_tensors model_part;
        memset(&model_part, 0, sizeof model_part);
        for (size_t i = 0; st == AL_OK && i < loaded->count; i++)
            if (strncmp(loaded->items[i].name, "optim.", 6) != 0)
                st = al_tensors_add_view(&model_part, loaded->items[i].name, &loaded->items[i].array, err);
        if (st == AL_OK)
            st = al_tensors_check(&expected, &model_part, NULL, err);
        if (st != AL_OK)
            al_error_prefix(err, "'%s' does not fit the model: ", path);
        al_tensors_free(&model_part);
    }
    for (size_t i = 0; st == AL_OK && i < target.count; i++) {
        const al_array *src = al_tensors_find(loaded, target.items[i].name);
        memcpy(target.items[i].array.data, src->data, src->count * al_dtype_size(src->dtype));
    }
    al_tensors_free(&expected);
    al_tensors_free(&target);
    free(names);
    free(names2);
    return st;
}

al_status al_net_load(al_net *net, const char *path, al_error *err)
{
    al_tensors loaded;
    memset(&loaded, 0, sizeof loaded);
    al_status st = al_safetensors_read(path, &loaded, err);
    if (st == AL_OK)
        st = load_state(net, &loaded, path, err);
    al_tensors_free(&loaded);
    return st;
}

/* ---- checkpoints: the model, the optimizer state and where training stands ---- */

static al_status checkpoint_path(const char *dir, char *buf, size_t size, al_error *err)
{
    int n = snprintf(buf, size, "%s/checkpoint.safetensors", dir);
    if (n < 0 || (size_t)n >= size)
        return al_error_set(err, AL_ERR_INVALID, "checkpoint directory name too long: '%s'", dir);
    return AL_OK;
}

/* Where training stands: epochs completed, steps done, and the running sums
 * of the epoch in progress (all zero at an epoch boundary). */
typedef struct position {
    long epoch, step;
    double loss_sum;
    size_t correct, seen;
} position;

static al_status write_checkpoint(al_net *net, al_optim *opt, const al_train_options *o, const char *dir,
                                  const position *at, al_error *err)
{
    char path[4096];
    al_status st = checkpoint_path(dir, path, sizeof path, err);
    if (st != AL_OK)
        return st;
    al_tensors t;
    memset(&t, 0, sizeof t);
    char (*names)[48] = name_storage(net);
    size_t n_state = al_optim_state_count(opt);
    char (*optim_names)[96] = calloc(n_state + 1, sizeof *optim_names);
    if (!names || !optim_names)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory writing a checkpoint");
    if (st == AL_OK)
        st = state_dict(net, &t, names, 0, err);
    for (size_t i = 0; st == AL_OK && i < n_state; i++) {
        al_param_ref v = al_optim_state_view(opt, i);
        snprintf(optim_names[i], sizeof optim_names[i], "optim.%s", v.name);
        size_t shape[1] = {v.count};
        st = add_view(&t, optim_names[i], AL_DTYPE_F32, 1, shape, v.value, err);
    }
    char text[64];
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
#undef META
    if (st == AL_OK)
        st = al_safetensors_write(path, &t, err);
    al_tensors_free(&t);
    free(names);
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

/* Restores net and optimizer; *at says where to continue. */
static al_status read_checkpoint(al_net *net, al_optim *opt, const al_train_options *o, position *at,
                                 long per_epoch, int *found, al_error *err)
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
    char want_seed[32];
    snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)o->seed);
    if (!ok)
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' is not an actlab checkpoint (its metadata lacks "
                          "format, epoch or step)", path);
    else if ((size_t)batch != o->batch || !seed || strcmp(seed, want_seed) != 0)
        st = al_error_set(err, AL_ERR_INVALID, "'%s' was written with --batch %ld --seed %s; resume "
                          "with the same values (or start a new --checkpoint-dir)", path, batch,
                          seed ? seed : "?");
    else if (e < 0 || e >= LONG_MAX / per_epoch - 1 || s < e * per_epoch || s > (e + 1) * per_epoch || correct < 0 || seen < 0)
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' says epoch %ld, step %ld, which does not fit %ld "
                          "batches per epoch: was it written for other data or another --batch?", path, e,
                          s, per_epoch);
    if (st == AL_OK)
        st = load_state(net, &t, path, err);
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

static const char *first_nonfinite_grad(const al_param_ref *params, int n)
{
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < params[i].count; k++)
            if (!isfinite(params[i].grad[k]))
                return params[i].name;
    return "?";
}

al_status al_evaluate(al_net *net, const al_dataset *data, size_t batch, al_eval_result *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = al_dataset_count(data), f = al_dataset_features(data);
    size_t classes = al_net_out_features(net);
    if (f != al_net_in_features(net))
        return al_error_set(err, AL_ERR_SHAPE, "the data '%s' has %zu features per example but the "
                            "model takes %zu", al_dataset_name(data), f, al_net_in_features(net));
    if ((size_t)al_dataset_classes(data) > classes)
        return al_error_set(err, AL_ERR_SHAPE, "the data '%s' has %d classes but the model has %zu "
                            "outputs", al_dataset_name(data), al_dataset_classes(data), classes);
    float *dlogits = malloc(batch * classes * sizeof(float));
    out->confusion = calloc(classes * classes, sizeof(size_t));
    if (!dlogits || !out->confusion) {
        free(dlogits);
        al_eval_result_free(out);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory evaluating");
    }
    al_status st = al_net_prepare(net, batch, err);
    double loss_sum = 0;
    size_t correct = 0;
    for (size_t start = 0; st == AL_OK && start < n; start += batch) {
        size_t rows = n - start < batch ? n - start : batch;
        const float *x = al_dataset_x(data) + start * f;
        const int32_t *y = al_dataset_y(data) + start;
        const float *logits = al_net_forward(net, x, rows, 0, 0);
        double loss;
        size_t right;
        st = al_loss_cross_entropy(logits, y, rows, classes, dlogits, &loss, &right, err);
        loss_sum += loss * (double)rows;
        correct += right;
        for (size_t r = 0; r < rows; r++) {
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                if (logits[r * classes + c] > logits[r * classes + best])
                    best = c;
            out->confusion[(size_t)y[r] * classes + best]++;
        }
    }
    free(dlogits);
    if (st != AL_OK) {
        al_eval_result_free(out);
        return st;
    }
    out->count = n;
    out->classes = (int)classes;
    out->loss = n ? loss_sum / (double)n : NAN;
    out->accuracy = n ? (double)correct / (double)n : NAN;
    return AL_OK;
}

void al_eval_result_free(al_eval_result *r)
{
    free(r->confusion);
    memset(r, 0, sizeof *r);
}

/* One record per epoch, written whole or not at all: when a write fails
 * (full disk, file-size limit) the log is cut back to its last whole record
 * and the run stops with the reason. The stream is unbuffered (see its
 * fopen), so nothing is left for fclose to write afterwards. */
static al_status log_epoch(FILE *log, const char *path, const al_train_progress *p, al_error *err)
{
    if (!log)
        return AL_OK;
    char record[512];
    int n = snprintf(record, sizeof record, "{\"epoch\": %ld, \"step\": %ld, \"train_loss\": %.9g, "
                     "\"train_accuracy\": %.6f, \"lr\": %.9g, \"seconds\": %.3f", p->epoch, p->step,
                     p->loss, p->accuracy, p->lr, p->seconds);
    if (!isnan(p->test_loss))
        n += snprintf(record + n, sizeof record - (size_t)n, ", \"test_loss\": %.9g, \"test_accuracy\": %.6f",
                      p->test_loss, p->test_accuracy);
    n += snprintf(record + n, sizeof record - (size_t)n, "}\n");
    return al_file_append_whole(log, path, record, (size_t)n, err);
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

static al_status make_dir(const char *dir, const char *what, al_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return al_error_set(err, AL_ERR_IO, "cannot create %s '%s': %s", what, dir, strerror(errno));
    return AL_OK;
}

/* Stops on request: a checkpoint at `at` (when there is somewhere to put it),
 * and an error that says where training stands. */
static al_status interrupt(al_net *net, al_optim *opt, const al_train_options *o, const position *at,
                           al_error *err)
{
    const char *dir = o->checkpoint_dir ? o->checkpoint_dir : o->interrupt_dir;
    if (!dir)
        return al_error_set(err, AL_ERR_INTERRUPTED, "interrupted after step %ld; nothing was saved (give "
                            "a checkpoint directory to keep the progress)", at->step);
    al_status st = make_dir(dir, "the checkpoint directory", err);
    if (st == AL_OK)
        st = write_checkpoint(net, opt, o, dir, at, err);
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
        return al_error_set(err, AL_ERR_INVALID, "--batch must be at least 1");
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
        return al_error_set(err, AL_ERR_INVALID, "nothing to do: --epochs and --steps are both 0");
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
    position at;
    memset(&at, 0, sizeof at);
    if (st == AL_OK && o->checkpoint_dir) {
        st = make_dir(o->checkpoint_dir, "--checkpoint-dir", err);
        int found = 0;
        if (st == AL_OK && o->resume)
            st = read_checkpoint(net, l.opt, o, &at, per_epoch, &found, err);
    }
    long epoch = at.epoch, step = at.step;
    if (st == AL_OK && o->log_path) {
        l.log = fopen(o->log_path, step > 0 ? "a" : "w");
        if (!l.log)
            st = al_error_set(err, AL_ERR_IO, "cannot write the log '%s': %s", o->log_path, strerror(errno));
        else
            setvbuf(l.log, NULL, _IONBF, 0);
    }
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
            al_net_zero_grad(net);
            const float *logits = al_net_forward(net, l.x, rows, 1, (uint64_t)step);
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
                                  "first non-finite values are in %s. Try a lower --lr or --clip-norm",
                                  step + 1, epoch + 1, k + 1, loss, where);
                break;
            }
            al_net_backward(net, l.dlogits, NULL);
            int last_batch = k == per_epoch - 1 || step + 1 == total;
            if (o->probe) {
                st = al_probe_after_backward(o->probe, net, step + 1, epoch + 1, last_batch, err);
                if (st != AL_OK)
                    break;
            }
            double norm = al_clip_grad_norm(params, (size_t)np, o->clip_norm > 0 ? o->clip_norm : INFINITY);
            if (!isfinite(norm)) {
                st = al_error_set(err, AL_ERR_NUMERIC, "step %ld (epoch %ld, batch %ld): the gradient of "
                                  "'%s' is not finite. Try a lower --lr or --clip-norm", step + 1, epoch + 1,
                                  k + 1, first_nonfinite_grad(params, np));
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
            if (st == AL_OK && o->stop && *o->stop && !last_batch) {
                position here = {epoch, step, loss_sum, correct, seen};
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
        /* --steps may end training inside an epoch: then the checkpoint keeps
         * that position, so a longer --steps resumes at the right batch */
        position boundary = {epoch + 1, step, 0, 0, 0};
        if (step < (epoch + 1) * per_epoch)
            boundary = (position){epoch, step, loss_sum, correct, seen};
        if (o->checkpoint_dir)
            st = write_checkpoint(net, l.opt, o, o->checkpoint_dir, &boundary, err);
        if (callback && st == AL_OK)
            callback(&p, context);
        if (st == AL_OK && o->stop && *o->stop && step < total) {
            st = interrupt(net, l.opt, o, &boundary, err);
            interrupted = 1;
        }
    }
    if (final)
        *final = p;
    loop_free(&l);
    return st;
}
