/* The training loop on a small synthetic problem: it learns; the same seed
 * gives the same weights; resuming from a checkpoint ends bit-identical to an
 * uninterrupted run; a diverging run stops with the step and the module
 * named and the last checkpoint intact; model files round-trip and
 * mismatches are all listed. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

static const char *spec = "Linear(4, 16), Tanh(), Dropout(p=0.1), Linear(16, 16), PReLU(), Linear(16, 3)";

/* Three Gaussian blobs in 4-D. */
static al_dataset *blobs(size_t n, uint64_t seed)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    al_error err = {0};
    if (al_dataset_create("blobs", n, 1, shape, &ds, &err) != AL_OK) {
        CHECK(0, "%s", err.message);
        return NULL;
    }
    al_rng rng;
    al_rng_seed(&rng, seed);
    float *x = al_dataset_x_mut(ds);
    int32_t *y = al_dataset_y_mut(ds);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 3);
        y[i] = c;
        for (int k = 0; k < 4; k++)
            x[i * 4 + (size_t)k] = (float)(al_rng_normal(&rng) * 0.7 + (k == c ? 2.0 : 0.0));
    }
    CHECK(al_dataset_check_labels(ds, 3, &err) == AL_OK, "%s", err.message);
    return ds;
}

static al_net *make_net(uint64_t seed)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options o = al_net_options_default();
    o.seed = seed;
    CHECK(al_net_create(spec, &o, &net, &err) == AL_OK, "%s", err.message);
    return net;
}

static al_train_options options(void)
{
    al_train_options o = al_train_options_default();
    o.batch = 32;
    o.epochs = 4;
    o.optim = al_optim_options_for(AL_OPT_SGD);
    o.optim.lr = 0.05;
    o.optim.momentum = 0.9;
    o.seed = 7;
    return o;
}

static int same_params(al_net *a, al_net *b)
{
    int na, nb;
    const al_param_ref *pa = al_net_params(a, &na), *pb = al_net_params(b, &nb);
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (memcmp(pa[i].value, pb[i].value, pa[i].count * sizeof(float)) != 0)
            return 0;
    return 1;
}

/* A callback that raises the stop flag once `at` steps are done. */
typedef struct stop_at_step {
    volatile sig_atomic_t flag;
    long at;
} stop_at_step;

static void request_stop(const al_train_progress *p, void *context)
{
    stop_at_step *s = context;
    if (p->step >= s->at)
        s->flag = 1;
}

/* al_train_options.should_stop: reads the flag request_stop raises. */
static int flag_raised(void *context)
{
    return ((stop_at_step *)context)->flag != 0;
}

int main(void)
{
    char dir[] = "/tmp/actlab_train_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    al_dataset *train = blobs(600, 1), *test = blobs(300, 2);
    al_error err = {0};
    al_train_progress last;

    CHECK_SECTION("learns, deterministically");
    al_net *a = make_net(3), *b = make_net(3);
    al_train_options o = options();
    CHECK(al_train(a, train, test, &o, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
    CHECK(last.test_accuracy > 0.9, "test accuracy %g", last.test_accuracy);
    CHECK(last.step == 4 * 19 && last.epoch == 4, "steps %ld, epoch %ld", last.step, last.epoch);
    CHECK(al_train(b, train, test, &o, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
    CHECK(same_params(a, b), "two runs with the same seeds differ");

    CHECK_SECTION("resume equals uninterrupted");
    al_net *c = make_net(3);
    al_train_options oc = options();
    oc.checkpoint_dir = dir;
    oc.steps = 2 * 19; /* stop after epoch 2, leaving a checkpoint */
    CHECK(al_train(c, train, NULL, &oc, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
    al_net_free(c);
    c = make_net(3); /* same seed (dropout draws from it), scrambled weights: they must come from the checkpoint */
    int nc;
    const al_param_ref *pc = al_net_params(c, &nc);
    for (int i = 0; i < nc; i++)
        for (size_t k = 0; k < pc[i].count; k++)
            pc[i].value[k] = 0.5f;
    oc.steps = 0;
    oc.resume = 1;
    CHECK(al_train(c, train, test, &oc, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
    CHECK(last.step == 4 * 19, "resumed run ended at step %ld", last.step);
    CHECK(same_params(a, c), "resumed weights differ from the uninterrupted run's");
    oc.batch = 16;
    al_net *d = make_net(3);
    CHECK(al_train(d, train, NULL, &oc, NULL, NULL, NULL, &err) != AL_OK && strstr(err.message, "--batch 32"),
          "resume with another batch size must be refused: %s", err.message);
    al_net_free(d);

    CHECK_SECTION("a stop request mid-epoch, then --steps ending mid-epoch, resume exactly");
    {
        char dir2[600];
        snprintf(dir2, sizeof dir2, "%s/stopped", dir);
        stop_at_step stopper = {0, 25};
        al_net *g = make_net(3);
        al_train_options og = options();
        og.checkpoint_dir = dir2;
        og.should_stop = flag_raised;
        og.stop_context = &stopper;
        al_status sg = al_train(g, train, test, &og, request_stop, &stopper, &last, &err);
        CHECK(sg == AL_ERR_INTERRUPTED && strstr(err.message, "step 25") && strstr(err.message, dir2),
              "stopping after step 25 says where the checkpoint is: %d %s", sg, err.message);
        al_net_free(g);
        /* resume with --steps 50 (inside epoch 3), then again with no limit */
        g = make_net(3);
        og.should_stop = NULL;
        og.resume = 1;
        og.steps = 50;
        CHECK(al_train(g, train, test, &og, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
        CHECK(last.step == 50, "the first resume stops at step 50: %ld", last.step);
        al_net_free(g);
        g = make_net(3);
        og.steps = 0;
        CHECK(al_train(g, train, test, &og, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
        CHECK(last.step == 4 * 19, "the second resume ends at step %ld", last.step);
        CHECK(same_params(a, g), "weights after stop + two resumes differ from the uninterrupted run's");
        al_net_free(g);
    }

    CHECK_SECTION("divergence is stopped and reported");
    char path[512];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    struct stat before, after;
    CHECK(stat(path, &before) == 0, "checkpoint exists");
    al_net *e = make_net(3);
    al_train_options oe = options();
    oe.optim.lr = 1e30;
    oe.checkpoint_dir = NULL;
    al_status st = al_train(e, train, NULL, &oe, NULL, NULL, NULL, &err);
    CHECK(st == AL_ERR_NUMERIC, "a huge learning rate must fail with AL_ERR_NUMERIC, got %d: %s", st, err.message);
    CHECK(strstr(err.message, "step ") != NULL && (strstr(err.message, "module") || strstr(err.message, "gradient")),
          "message names the step and where: %s", err.message);
    CHECK(stat(path, &after) == 0 && after.st_size == before.st_size, "the checkpoint is intact");
    al_net_free(e);

    CHECK_SECTION("model files");
    char model_path[512];
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
    CHECK(al_net_save(a, model_path, &err) == AL_OK, "%s", err.message);
    al_net *f = make_net(5);
    CHECK(!same_params(a, f), "fresh net differs");
    CHECK(al_net_load(f, model_path, &err) == AL_OK, "%s", err.message);
    CHECK(same_params(a, f), "loaded weights equal the saved ones");
    al_net *g = NULL;
    CHECK(al_net_create("Linear(4, 8), Tanh(), Linear(8, 3)", NULL, &g, &err) == AL_OK, "%s", err.message);
    st = al_net_load(g, model_path, &err);
    CHECK(st != AL_OK && strstr(err.message, "0.weight") && strstr(err.message, "[8, 4]") &&
          strstr(err.message, "[16, 4]"), "mismatches listed: %s", err.message);
    al_net_free(g);
    al_net_free(f);

    CHECK_SECTION("evaluate");
    al_eval_result r;
    CHECK(al_evaluate(a, test, 64, &r, &err) == AL_OK, "%s", err.message);
    size_t total = 0, diag = 0;
    for (int i = 0; i < r.classes; i++)
        for (int k = 0; k < r.classes; k++) {
            total += r.confusion[i * r.classes + k];
            diag += i == k ? r.confusion[i * r.classes + k] : 0;
        }
    CHECK(total == 300 && fabs((double)diag / 300 - r.accuracy) < 1e-12, "confusion matrix sums");
    al_eval_result_free(&r);

    al_net_free(a);
    al_net_free(b);
    al_net_free(c);
    al_dataset_free(train);
    al_dataset_free(test);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_summary("test_train");
}
