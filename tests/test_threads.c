/* Passes on a team of threads: a net wide enough to be shared (every way a
 * layer splits: Linear reads every input feature, the elementwise layers
 * their own, a shared PReLU slope's backward runs on one thread), and a
 * convolutional one (convolutions and pools split the batch's rows, with two
 * of them back to back, BatchNorm2d its channels, per-channel PReLU runs on
 * one thread) compute what one thread computes; writing the gradients equals zeroing then
 * adding (and its sum of squares is clipping's, bit for bit); two
 * trainings with the same seed and thread count end with
 * bit-identical weights, for one thread and for two; the caller's OpenMP
 * thread count is left as it was. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "check.h"

#define CLASSES 10
#define BATCH 128
#define ROWS 1024

/* A model and the shape of its examples. */
typedef struct model {
    const char *name, *spec;
    int rank;
    size_t shape[3];
} model;

/* (no bias before a BatchNorm2d: its gradient would be rounding noise around 0) */
static const model models[] = {
    {"dense", "Linear(64, 128), ReLU(), Dropout(p=0.2), Linear(128, 128), BatchNorm1d(128), "
              "PReLU(num_parameters=128), Linear(128, 96), GELU(), PReLU(), Linear(96, 10)", 1, {64, 0, 0}},
    {"convolutional", "Conv2d(3, 16, 3, padding=1, bias=False), BatchNorm2d(16), ReLU(), MaxPool2d(2), "
                      "Conv2d(16, 32, 3, padding=1), PReLU(num_parameters=32), Dropout2d(p=0.2), AvgPool2d(2), "
                      "Conv2d(32, 32, 1), Conv2d(32, 32, 3, padding=1, groups=4), GELU(), "
                      "AdaptiveAvgPool2d(1), Flatten(), Linear(32, 10)", 3, {3, 16, 16}}};
#define N_MODELS (sizeof models / sizeof models[0])

static const model *current; /* the model the tests below build */

static al_dataset *data(const model *m)
{
    al_dataset *ds = NULL;
    al_error err = {0};
    size_t in = m->shape[0] * (m->rank > 1 ? m->shape[1] * m->shape[2] : 1);
    if (al_dataset_create(m->name, ROWS, m->rank, m->shape, &ds, &err) != AL_OK) {
        CHECK(0, "%s", err.message);
        return NULL;
    }
    al_rng rng;
    al_rng_seed(&rng, 3);
    float *x = al_dataset_x_mut(ds);
    int32_t *y = al_dataset_y_mut(ds);
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (int32_t)(i % CLASSES);
        for (size_t k = 0; k < in; k++)
            x[i * in + k] = (float)(al_rng_normal(&rng) + (k % CLASSES == i % CLASSES ? 1.0 : 0.0));
    }
    CHECK(al_dataset_check_labels(ds, CLASSES, &err) == AL_OK, "%s", err.message);
    return ds;
}

static al_net *make_net(int threads)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options o = al_net_options_default();
    o.seed = 11;
    o.threads = threads;
    o.input.rank = current->rank;
    for (int k = 0; k < current->rank; k++)
        o.input.dim[k] = current->shape[k];
    CHECK(al_net_create(current->spec, &o, &net, &err) == AL_OK, "%s", err.message);
    return net;
}

/* Every parameter gradient of a, against b's. */
static void compare_grads(al_net *a, al_net *b, double rel, const char *what)
{
    int na, nb;
    const al_param_ref *pa = al_net_params(a, &na), *pb = al_net_params(b, &nb);
    CHECK(na == nb, "parameter counts");
    for (int i = 0; i < na && i < nb; i++) {
        double scale = 0, worst = 0;
        for (size_t k = 0; k < pa[i].count; k++)
            scale = fmax(scale, fabs((double)pb[i].grad[k]));
        for (size_t k = 0; k < pa[i].count; k++)
            worst = fmax(worst, fabs((double)pa[i].grad[k] - (double)pb[i].grad[k]));
        CHECK(worst <= rel * scale + 1e-12, "%s: gradient of %s differs by %g (largest %g)", what, pa[i].name,
              worst, scale);
    }
}

/* One training-mode forward and backward of the first batch. */
static const float *pass(al_net *net, const al_dataset *ds, float *dy, int overwrite)
{
    const float *y = al_net_forward(net, al_dataset_x(ds), BATCH, 1, 5);
    CHECK(y != NULL, "forward");
    if (!y)
        return NULL;
    al_error err = {0};
    double loss;
    CHECK(al_loss_cross_entropy(y, al_dataset_y(ds), BATCH, CLASSES, dy, &loss, NULL, &err) == AL_OK, "%s",
          err.message);
    if (overwrite) {
        CHECK(al_net_backward_overwrite(net, dy, NULL) == AL_OK, "backward");
    } else {
        al_net_zero_grad(net);
        CHECK(al_net_backward(net, dy, NULL) == AL_OK, "backward");
    }
    return y;
}

static void test_team_matches_one_thread(const al_dataset *ds)
{
    CHECK_SECTION("a team's pass against one thread's");
    al_net *one = make_net(1), *two = make_net(2);
    float dy1[BATCH * CLASSES], dy2[BATCH * CLASSES];
    const float *y1 = pass(one, ds, dy1, 0), *y2 = pass(two, ds, dy2, 0);
    for (int k = 0; y1 && y2 && k < BATCH * CLASSES; k++)
        CHECK_NEAR(y2[k], y1[k], 1e-5, 1e-4, "output %d", k);
    compare_grads(two, one, 1e-4, "two threads against one");
    /* every layer's output, not only the last: a feature no thread computed would show */
    for (int l = 0; l < al_net_layer_count(one); l++) {
        const float *a = al_net_layer_output(one, l), *b = al_net_layer_output(two, l);
        size_t n = BATCH * al_net_layer(one, l).out_features, bad = 0;
        for (size_t k = 0; k < n; k++)
            bad += !(fabs((double)a[k] - (double)b[k]) <= 1e-4 * (1 + fabs((double)a[k])));
        CHECK(bad == 0, "layer %d: %zu of %zu outputs differ between one thread and two", l, bad, n);
    }
    al_net_free(one);
    al_net_free(two);
}

static void test_overwrite(const al_dataset *ds)
{
    CHECK_SECTION("backward that writes the gradients = zero_grad + backward");
    for (int threads = 1; threads <= 2; threads++) {
        al_net *a = make_net(threads), *b = make_net(threads);
        float dy[BATCH * CLASSES];
        int np;
        const al_param_ref *p = al_net_params(a, &np);
        for (int i = 0; i < np; i++)
            for (size_t k = 0; k < p[i].count; k++)
                p[i].grad[k] = 1e3f; /* stale values that writing must replace */
        size_t n;
        const float *g = al_net_grad_block(a, &n);
        pass(a, ds, dy, 1);
        pass(b, ds, dy, 0);
        size_t nb;
        const float *gb = al_net_grad_block(b, &nb);
        CHECK(n == nb && memcmp(g, gb, n * sizeof *g) == 0, "%d thread(s): the gradient blocks differ", threads);
        compare_grads(a, b, 0, threads == 1 ? "overwrite, one thread" : "overwrite, two threads");
        int nb_params;
        const al_param_ref *pb = al_net_params(b, &nb_params);
        double norm = al_clip_grad_norm(pb, (size_t)nb_params, INFINITY);
        CHECK(sqrt(al_net_grad_sum_squares(a)) == norm, "%d thread(s): the backward's norm %.17g, clipping's %.17g",
              threads, sqrt(al_net_grad_sum_squares(a)), norm);
        CHECK(isnan(al_net_grad_sum_squares(b)), "no sum of squares after an adding backward");
        al_net_free(a);
        al_net_free(b);
    }
}

/* Trains a fresh net for two epochs; the caller frees it. */
static al_net *train(const al_dataset *ds, int threads)
{
    al_net *net = make_net(threads);
    al_train_options o = al_train_options_default();
    o.batch = BATCH;
    o.epochs = 2;
    o.optim = al_optim_options_for(AL_OPT_ADAM);
    o.clip_norm = 1.0;
    o.seed = 5;
    al_error err = {0};
    CHECK(al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_OK, "%s", err.message);
    return net;
}

static int same_weights(al_net *a, al_net *b)
{
    size_t na, nb;
    const float *pa = al_net_param_block(a, &na), *pb = al_net_param_block(b, &nb);
    return na == nb && memcmp(pa, pb, na * sizeof *pa) == 0;
}

static void test_repeatable(const al_dataset *ds)
{
    CHECK_SECTION("same seed and threads: bit-identical weights");
    int caller = omp_get_max_threads();
    for (int threads = 1; threads <= 2; threads++) {
        al_net *a = train(ds, threads), *b = train(ds, threads);
        CHECK(same_weights(a, b), "%d thread(s): two trainings differ", threads);
        al_net_free(a);
        al_net_free(b);
    }
    CHECK(omp_get_max_threads() == caller, "the caller's OpenMP thread count changed: %d, was %d",
          omp_get_max_threads(), caller);
}

int main(void)
{
    for (size_t m = 0; m < N_MODELS; m++) {
        current = &models[m];
        CHECK_SECTION(current->name);
        al_dataset *ds = data(current);
        if (ds) {
            test_team_matches_one_thread(ds);
            test_overwrite(ds);
            test_repeatable(ds);
        }
        al_dataset_free(ds);
    }
    return check_summary("test_threads");
}
