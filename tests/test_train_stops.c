/* How training ends: a loss that grows past the divergence factor (while
 * still finite) stops it as a NaN does, with the value printed readably;
 * early stopping stops exactly where the recorded validation metrics say;
 * --keep-best ends with the best epoch's weights, also across a resume; a
 * checkpoint refuses another optimizer or learning rate, naming both; and
 * a run that fails before its first epoch ends leaves no log and no
 * checkpoint folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

#define SPEC "Linear(4, 8), ReLU(), Linear(8, 3)"
#define MAX_EPOCHS 40

/* Blobs in 4-D; with noise > 0 a share of the labels is random. */
static al_dataset *blobs(size_t n, uint64_t seed, double noise)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    al_error err = {0};
    if (al_dataset_create("blobs", n, 1, shape, &ds, &err) != AL_OK)
        abort();
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 3);
        al_dataset_y_mut(ds)[i] = al_rng_uniform(&rng) < noise ? (int32_t)al_rng_below(&rng, 3) : c;
        for (int k = 0; k < 4; k++)
            al_dataset_x_mut(ds)[i * 4 + (size_t)k] = (float)(al_rng_normal(&rng) + (k == c ? 1.0 : 0.0));
    }
    if (al_dataset_check_labels(ds, 3, &err) != AL_OK)
        abort();
    return ds;
}

static al_net *make_net(void)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options o = al_net_options_default();
    o.seed = 5;
    if (al_net_create(SPEC, &o, &net, &err) != AL_OK)
        abort();
    return net;
}

/* The parameters at every epoch end, and the validation metrics. */
typedef struct history {
    al_net *net;
    float params[MAX_EPOCHS + 1][128];
    double val_acc[MAX_EPOCHS + 1], val_loss[MAX_EPOCHS + 1];
    long epochs;
} history;

static void record(const al_train_progress *p, void *context)
{
    history *h = context;
    if (!p->epoch_end || p->epoch > MAX_EPOCHS)
        return;
    size_t count;
    const float *block = al_net_param_block(h->net, &count);
    memcpy(h->params[p->epoch], block, (count < 128 ? count : 128) * sizeof(float));
    h->val_acc[p->epoch] = p->val_accuracy;
    h->val_loss[p->epoch] = p->val_loss;
    h->epochs = p->epoch;
}

static int params_equal(al_net *net, const float *want)
{
    size_t count;
    const float *block = al_net_param_block(net, &count);
    return memcmp(block, want, (count < 128 ? count : 128) * sizeof(float)) == 0;
}

static al_train_options options(const al_dataset *val)
{
    al_train_options o = al_train_options_default();
    o.batch = 16;
    o.epochs = MAX_EPOCHS;
    o.optim = al_optim_options_for(AL_OPT_SGD);
    o.optim.lr = 0.2;
    o.optim.momentum = 0.9;
    o.seed = 3;
    o.validation = val;
    return o;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

int main(void)
{
    char dir[] = "/tmp/actlab_stops_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    al_dataset *train = blobs(96, 1, 0.3), *val = blobs(30, 2, 0.3), *test = blobs(60, 3, 0);
    al_error err = {0};
    al_train_progress last;
    char log[600], ck[600], text[1200];
    snprintf(log, sizeof log, "%s/run.jsonl", dir);
    snprintf(ck, sizeof ck, "%s/ck", dir);

    CHECK_SECTION("a finite loss that grows past the divergence factor stops training");
    {
        al_net *net = make_net();
        al_train_options o = options(NULL);
        o.optim.lr = 1e9;
        o.optim.momentum = 0;
        o.log_path = log;
        o.checkpoint_dir = ck;
        al_status st = al_train(net, train, test, &o, NULL, NULL, &last, &err);
        CHECK(st == AL_ERR_NUMERIC, "lr 1e9: status %d: %s", st, err.message);
        CHECK(strstr(err.message, "step 2 (epoch 1, batch 2): the loss is ") &&
                  strstr(err.message, "more than 1e+04 times the first step's") &&
                  strstr(err.message, "training diverged"), "message: %s", err.message);
        /* the value as %.4g: "5.354e+18", never 19 digits */
        const char *v = strstr(err.message, "the loss is ");
        CHECK(v && strchr(v, 'e') && strlen(v) > 12 && strspn(v + 12, "0123456789.e+-") <= 10, "value: %s",
              err.message);
        CHECK(!exists(log) && !exists(ck), "a run that fails in its first epoch leaves no log and no checkpoint "
              "folder");
        al_net_free(net);

        /* a NaN loss: every NaN is printed as nan, never -nan */
        net = make_net();
        size_t count;
        float *block = al_net_param_block(net, &count);
        for (size_t k = 0; k < count; k++)
            block[k] = k % 2 ? 3e38f : -3e38f;
        o = options(NULL);
        st = al_train(net, train, NULL, &o, NULL, NULL, NULL, &err);
        CHECK(st == AL_ERR_NUMERIC && strstr(err.message, "step 1 (epoch 1, batch 1): the loss is ") &&
                  !strstr(err.message, "-nan") && (strstr(err.message, " nan") || strstr(err.message, "inf")),
              "non-finite: %s", err.message);
        al_net_free(net);

        /* the factor is the option's: at 1e30 the same run goes on past step 2 */
        net = make_net();
        o = options(NULL);
        o.optim.lr = 1e9;
        o.optim.momentum = 0;
        o.divergence_factor = 1e30;
        st = al_train(net, train, NULL, &o, NULL, NULL, &last, &err);
        CHECK(st != AL_OK ? !strstr(err.message, "step 2 (") : 1, "a larger factor lets step 2 pass: %s",
              err.message);
        al_net_free(net);
    }

    CHECK_SECTION("early stopping stops where the validation metrics say");
    history h;
    memset(&h, 0, sizeof h);
    long best = 0, stop = 0;
    {
        al_net *net = make_net();
        h.net = net;
        al_train_options o = options(val);
        o.early_stop = 3;
        CHECK(al_train(net, train, test, &o, record, &h, &last, &err) == AL_OK, "%s", err.message);
        /* replay the rule on the recorded metrics: accuracy, ties to the lower loss */
        long since = 0;
        for (long e = 1; e <= h.epochs; e++) {
            int better = best == 0 || h.val_acc[e] > h.val_acc[best] ||
                         (h.val_acc[e] == h.val_acc[best] && h.val_loss[e] < h.val_loss[best]);
            since = better ? 0 : since + 1;
            best = better ? e : best;
            if (since >= 3) {
                stop = e;
                break;
            }
        }
        fprintf(stderr, "   stopped at epoch %ld, best %ld\n", stop, best);
        CHECK(stop > 0 && stop < MAX_EPOCHS, "the noisy validation set lets it stop (at %ld)", stop);
        CHECK(last.stopped_early && last.epoch == stop && h.epochs == stop, "stopped at epoch %ld, want %ld",
              last.epoch, stop);
        CHECK(last.best_epoch == best, "best epoch %ld, want %ld", last.best_epoch, best);
        CHECK(!last.restored_best && params_equal(net, h.params[stop]), "without keep_best: the last weights");
        al_net_free(net);
    }

    CHECK_SECTION("keep_best ends with the best epoch's weights");
    {
        al_net *net = make_net();
        history k;
        memset(&k, 0, sizeof k);
        k.net = net;
        al_train_options o = options(val);
        o.early_stop = 3;
        o.keep_best = 1;
        CHECK(al_train(net, train, test, &o, record, &k, &last, &err) == AL_OK, "%s", err.message);
        CHECK(last.epoch == stop && last.best_epoch == best, "the same run: epoch %ld, best %ld", last.epoch,
              last.best_epoch);
        CHECK(last.restored_best == (best != stop) && params_equal(net, h.params[best]),
              "the net holds epoch %ld's weights", best);
        al_eval_result r;
        CHECK(al_evaluate(net, test, 64, &r, &err) == AL_OK && r.accuracy == last.test_accuracy,
              "the final test accuracy is the restored weights': %g vs %g", r.accuracy, last.test_accuracy);
        al_eval_result_free(&r);

        /* across a resume: stop after 2 epochs, continue; the best weights come from the checkpoint */
        al_net_free(net);
        net = make_net();
        o.checkpoint_dir = ck;
        o.steps = 2 * 6;
        CHECK(al_train(net, train, test, &o, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
        al_net_free(net);
        net = make_net();
        o.steps = 0;
        o.resume = 1;
        CHECK(al_train(net, train, test, &o, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
        CHECK(last.epoch == stop && last.best_epoch == best && params_equal(net, h.params[best]),
              "resumed: epoch %ld best %ld, the best weights", last.epoch, last.best_epoch);
        al_net_free(net);
    }

    CHECK_SECTION("a checkpoint refuses another optimizer or learning rate");
    {
        al_net *net = make_net();
        al_train_options o = options(NULL);
        o.checkpoint_dir = ck;
        o.resume = 1;
        o.optim = al_optim_options_for(AL_OPT_ADAM);
        al_status st = al_train(net, train, NULL, &o, NULL, NULL, NULL, &err);
        CHECK(st == AL_ERR_INVALID && err.field && strcmp(err.field, "train.optim") == 0, "adam: %d %s", st,
              err.message);
        snprintf(text, sizeof text, "was written with sgd lr 0.2 momentum 0.9");
        CHECK(strstr(err.message, text) && strstr(err.message, "this run asks for adam lr 0.001"),
              "both named: %s", err.message);
        o = options(NULL);
        o.checkpoint_dir = ck;
        o.resume = 1;
        o.optim.lr = 0.1;
        st = al_train(net, train, NULL, &o, NULL, NULL, NULL, &err);
        CHECK(st == AL_ERR_INVALID && strstr(err.message, "sgd lr 0.2") && strstr(err.message, "sgd lr 0.1"),
              "another lr: %s", err.message);
        o.optim.lr = 0.2;
        o.loss = AL_LOSS_MSE;
        st = al_train(net, train, NULL, &o, NULL, NULL, NULL, &err);
        CHECK(st == AL_ERR_INVALID && strstr(err.message, "loss cross-entropy") && strstr(err.message, "loss mse"),
              "another loss: %s", err.message);
        al_net_free(net);
    }

    CHECK_SECTION("validation options are checked");
    {
        al_net *net = make_net();
        al_train_options o = options(NULL);
        o.keep_best = 1;
        CHECK(al_train(net, train, NULL, &o, NULL, NULL, NULL, &err) == AL_ERR_INVALID && err.field &&
                  strcmp(err.field, "train.validation") == 0, "keep_best without validation: %s", err.message);
        al_net_free(net);
    }

    al_dataset_free(train);
    al_dataset_free(val);
    al_dataset_free(test);
    snprintf(text, sizeof text, "rm -rf '%s'", dir);
    CHECK(system(text) == 0, "cleanup");
    return check_summary("test_train_stops");
}
