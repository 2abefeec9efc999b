/* Convolutional nets' shapes and their errors, and what a layer keeps
 * between passes: every layer's [C, H, W] through the model; a model whose
 * first Conv2d leaves H and W to the data, fitted later (and again to other
 * sizes); the bad inputs named with the layer's index and the shapes, before
 * any training; Dropout2d's whole-channel masks; results that do not depend
 * on which batch sizes came before (oneDNN plans are cached per size); the
 * same bits from run to run; safetensors files with PyTorch's names and
 * shapes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

#define BENCH_CNN "Conv2d(1, 32, 5, padding=2), ReLU(), MaxPool2d(2), Conv2d(32, 64, 5, padding=2), ReLU(), " \
                  "MaxPool2d(2), Flatten(), Linear(3136, 1024), ReLU(), Linear(1024, 10)"

static al_net *create(const char *spec, const al_shape *input, al_error *err)
{
    al_net_options o = al_net_options_default();
    o.seed = 1;
    if (input)
        o.input = *input;
    al_net *net = NULL;
    return al_net_create(spec, &o, &net, err) == AL_OK ? net : NULL;
}

static int same_shape(al_shape s, size_t rank, size_t a, size_t b, size_t c)
{
    return s.rank == (int)rank && s.dim[0] == a && (rank < 2 || s.dim[1] == b) && (rank < 3 || s.dim[2] == c);
}

static void test_shapes(void)
{
    CHECK_SECTION("shapes through the model");
    al_error err = {0};
    al_net *net = create(BENCH_CNN, NULL, &err);
    CHECK(net != NULL, "%s", err.message);
    if (!net)
        return;
    CHECK(al_net_in_features(net) == 0 && same_shape(al_net_input_shape(net), 3, 1, 0, 0),
          "before the data, H and W are unknown");
    CHECK(al_net_prepare(net, 4, &err) == AL_ERR_SHAPE && strstr(err.message, "not known yet"),
          "no pass before the input is known: %s", err.message);
    size_t image[3] = {1, 28, 28};
    CHECK(al_net_fit_input(net, 3, image, &err) == AL_OK, "%s", err.message);
    CHECK(al_net_in_features(net) == 784, "784 values in");
    CHECK(same_shape(al_net_layer(net, 0).out_shape, 3, 32, 28, 28), "Conv2d(1, 32, 5, padding=2) -> [32, 28, 28]");
    CHECK(same_shape(al_net_layer(net, 2).out_shape, 3, 32, 14, 14), "MaxPool2d(2) -> [32, 14, 14]");
    CHECK(same_shape(al_net_layer(net, 5).out_shape, 3, 64, 7, 7), "-> [64, 7, 7]");
    CHECK(same_shape(al_net_layer(net, 6).out_shape, 1, 3136, 0, 0), "Flatten -> [3136]");
    al_layer_info c = al_net_layer(net, 3);
    CHECK(c.kind == AL_LAYER_CONV2D && c.window.kernel[0] == 5 && c.window.padding[1] == 2 && c.window.groups == 1,
          "the window of Conv2d(32, 64, 5, padding=2)");
    CHECK(c.in_features == 32 * 14 * 14 && c.out_features == 64 * 14 * 14, "in and out features");
    size_t flat[1] = {784};
    CHECK(al_net_fit_input(net, 1, flat, &err) == AL_OK && same_shape(al_net_input_shape(net), 3, 1, 28, 28),
          "a known input takes rows of as many values, read in its own shape");
    size_t other[3] = {1, 32, 32};
    CHECK(al_net_fit_input(net, 3, other, &err) == AL_ERR_SHAPE && strstr(err.message, "Linear(3136, 1024) (module 7)") &&
              strstr(err.message, "4096 ([4096])"), "32x32 images do not reach Linear(3136): %s", err.message);
    CHECK(same_shape(al_net_input_shape(net), 3, 1, 28, 28) && same_shape(al_net_layer(net, 5).out_shape, 3, 64, 7, 7),
          "a failed fit keeps the shapes");
    al_net_free(net);

    /* a per-unit PReLU after a Flatten of unknown size waits for the data */
    net = create("Conv2d(1, 2, 3), Flatten(), PReLU(num_parameters=8)", NULL, &err);
    size_t four[3] = {1, 4, 4}, five[3] = {1, 5, 5};
    CHECK(net && al_net_fit_input(net, 3, five, &err) == AL_ERR_SHAPE && strstr(err.message, "has 8 slopes"),
          "18 features do not take 8 slopes: %s", err.message);
    CHECK(net && al_net_fit_input(net, 3, four, &err) == AL_OK, "8 features do: %s", err.message);
    al_net_free(net);

    /* global pooling takes any size */
    net = create("Conv2d(3, 4, 3), ReLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(4, 2)", NULL, &err);
    size_t small[3] = {3, 8, 8}, large[3] = {3, 13, 11};
    float x[3 * 13 * 11] = {0};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)sin((double)i);
    CHECK(net && al_net_fit_input(net, 3, small, &err) == AL_OK && al_net_forward(net, x, 1, 0, 0),
          "8x8: %s", err.message);
    CHECK(net && al_net_fit_input(net, 3, large, &err) == AL_OK && al_net_forward(net, x, 1, 0, 0) &&
              same_shape(al_net_layer(net, 0).out_shape, 3, 4, 11, 9), "then 13x11: %s", err.message);
    al_net_free(net);
}

/* spec, input shape (rank 0: none), the words the message must hold */
static void expect_refused(const char *spec, al_shape input, const char *a, const char *b, const char *c)
{
    al_error err = {0};
    al_net *net = create(spec, input.rank ? &input : NULL, &err);
    CHECK(net == NULL, "%s should be refused", spec);
    const char *want[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        CHECK(!want[i] || strstr(err.message, want[i]), "%s: '%s' lacks '%s'", spec, err.message, want[i]);
    al_net_free(net);
}

static void test_bad_input(void)
{
    CHECK_SECTION("bad input, named with the layer and the shapes");
    al_shape none = {0, {0}}, tiny = {3, {1, 5, 5, 0}};
    expect_refused("Conv2d(1, 4, 7)", tiny, "Conv2d(1, 4, 7) (module 0)", "7x7 kernel", "[1, 5, 5] with padding 0 gives 5");
    expect_refused("Conv2d(1, 4, 3, dilation=3)", tiny, "(module 0)", "spanning 7 with dilation 3", "[1, 5, 5]");
    expect_refused("Conv2d(6, 4, 3, groups=4)", none, "Conv2d(6, 4, 3, groups=4) (module 0)",
                   "in_channels 6 is not divisible by 4", NULL);
    expect_refused("Conv2d(4, 6, 3, groups=4)", none, "(module 0)", "out_channels 6 is not divisible by 4", NULL);
    expect_refused("Conv2d(1, 2, 3), MaxPool2d(4)", tiny, "MaxPool2d(4) (module 1) leaves no output", "[2, 3, 3]", NULL);
    expect_refused("Conv2d(1, 2, 1), AvgPool2d(2, padding=2)", tiny, "(module 1)", "more than half", NULL);
    expect_refused("Linear(784, 64), Conv2d(1, 4, 3)", none, "Conv2d(1, 4, 3) (module 1)", "takes images [C, H, W]",
                   "its input is [64]");
    expect_refused("Conv2d(1, 8, 3), ReLU(), Conv2d(4, 8, 3)", tiny, "Conv2d(4, 8, 3) (module 2)",
                   "expects 4 input channels", "[8, 3, 3]");
    expect_refused("Conv2d(1, 8, 3), BatchNorm2d(6)", none, "BatchNorm2d(6) (module 1)", "6 input channels", "[8, ?, ?]");
    expect_refused("Conv2d(1, 8, 3), PReLU(num_parameters=4)", none, "(module 1) has 4 slopes", "[8, ?, ?]", NULL);
    expect_refused("Conv2d(1, 8, 3), MaxPool2d(2, return_indices=True)", none, "return_indices", NULL, NULL);
    expect_refused("Conv2d(1, 8, (3, 3, 3))", none, "kernel_size", "pair", NULL);
    expect_refused("Unflatten(1, (1, 28, 28)), Linear(784, 10)", none, "Linear(784, 10) (module 1)", "[1, 28, 28]",
                   "Flatten()");
    expect_refused("Conv2d(1, 8, 3), BatchNorm1d(8)", none, "BatchNorm1d(8) (module 1)", "BatchNorm2d(8)", NULL);

    /* flat data into a convolution: refused when the net is fitted, before any step */
    al_error err = {0};
    al_net *net = create("Conv2d(1, 4, 3), ReLU(), Flatten(), Linear(2704, 10)", NULL, &err);
    size_t shape[1] = {784};
    al_dataset *ds = NULL;
    CHECK(al_dataset_create("flat", 8, 1, shape, &ds, &err) == AL_OK && al_dataset_check_labels(ds, 10, &err) == AL_OK,
          "%s", err.message);
    al_train_options o = al_train_options_default();
    CHECK(net && ds && al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_ERR_SHAPE, "refused");
    CHECK(strstr(err.message, "the training data 'flat' has 784 features per example ([784])") &&
              strstr(err.message, "Conv2d(1, 4, 3) (module 0) takes images [C, H, W]") &&
              strstr(err.message, "Unflatten(1, (C, H, W))"), "message: %s", err.message);
    al_dataset_free(ds);
    al_net_free(net);
}

static void test_dropout2d(void)
{
    CHECK_SECTION("Dropout2d drops whole channels");
    al_error err = {0};
    al_shape in = {3, {64, 3, 3, 0}};
    al_net *net = create("Dropout2d(p=0.25)", &in, &err);
    CHECK(net != NULL, "%s", err.message);
    if (!net)
        return;
    enum { N = 8, PER = 64 * 9 };
    static float x[N * PER];
    for (size_t i = 0; i < N * PER; i++)
        x[i] = 1.0f + (float)(i % 7);
    const float *y = al_net_forward(net, x, N, 1, 3);
    size_t dropped = 0, mixed = 0;
    const float keep = (float)(1.0 / 0.75);
    for (size_t ch = 0; y && ch < N * 64; ch++) {
        size_t zeros = 0, scaled = 0;
        for (size_t k = 0; k < 9; k++) {
            zeros += y[ch * 9 + k] == 0;
            scaled += y[ch * 9 + k] == x[ch * 9 + k] * keep;
        }
        dropped += zeros == 9;
        mixed += !(zeros == 9 || scaled == 9);
    }
    CHECK(mixed == 0, "%zu channels neither dropped nor kept whole", mixed);
    CHECK(dropped > 80 && dropped < 176, "about a quarter of 512 channels dropped: %zu", dropped);
    y = al_net_forward(net, x, N, 0, 3);
    CHECK(y && memcmp(y, x, sizeof x) == 0, "eval mode passes the input through");
    al_net_free(net);
}

/* The same passes on a fresh net and on one that saw other batch sizes first. */
static void test_plans_and_determinism(void)
{
    CHECK_SECTION("batch sizes, runs and threads");
    const char *spec = "Conv2d(2, 8, 3, padding=1), BatchNorm2d(8), ELU(), MaxPool2d(2), Conv2d(8, 4, 3, groups=2), "
                       "Flatten(), Linear(16, 3)";
    al_shape in = {3, {2, 8, 8, 0}};
    al_error err = {0};
    enum { MOST = 9 };
    static float x[MOST * 128], dy[MOST * 3];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)cos(0.37 * (double)i);
    for (size_t i = 0; i < sizeof dy / sizeof dy[0]; i++)
        dy[i] = (float)sin((double)i);
    /* reference: batch 5 on a fresh net */
    al_net *fresh = create(spec, &in, &err), *busy = create(spec, &in, &err);
    CHECK(fresh && busy, "%s", err.message);
    if (!fresh || !busy)
        goto done;
    float ref[15], ref_grad[128 * 5];
    const float *y = al_net_forward(fresh, x, 5, 1, 0);
    memcpy(ref, y, sizeof ref);
    al_net_zero_grad(fresh);
    al_net_backward(fresh, dy, ref_grad);
    /* busy: six other batch sizes first (more than the layer keeps plans for) */
    size_t sizes[] = {9, 1, 2, 7, 3, 8};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK(al_net_forward(busy, x, sizes[i], 1, 0) != NULL, "batch %zu", sizes[i]);
        al_net_backward(busy, dy, NULL);
    }
    al_net_free(busy);
    busy = create(spec, &in, &err);
    for (size_t i = 0; busy && i < sizeof sizes / sizeof sizes[0]; i++)
        al_net_forward(busy, x, sizes[i], 0, 0); /* evaluation passes make plans too */
    float got_grad[128 * 5];
    y = busy ? al_net_forward(busy, x, 5, 1, 0) : NULL;
    CHECK(y && memcmp(y, ref, sizeof ref) == 0, "the output does not depend on earlier batch sizes");
    if (busy) {
        al_net_zero_grad(busy);
        al_net_backward(busy, dy, got_grad);
        CHECK(memcmp(got_grad, ref_grad, sizeof got_grad) == 0, "nor does the input gradient");
        int np;
        const al_param_ref *a = al_net_params(fresh, &np), *b = al_net_params(busy, &np);
        int same = 1;
        for (int i = 0; i < np; i++)
            same &= memcmp(a[i].grad, b[i].grad, a[i].count * sizeof(float)) == 0;
        CHECK(same, "nor do the parameter gradients");
    }
done:
    al_net_free(fresh);
    al_net_free(busy);
}

static void test_files(void)
{
    CHECK_SECTION("safetensors: PyTorch's names and shapes");
    al_error err = {0};
    al_net *a = create("Conv2d(2, 6, (3, 2), groups=2), BatchNorm2d(6), PReLU(num_parameters=6)", NULL, &err);
    al_net_options o = al_net_options_default();
    o.seed = 99;
    al_net *b = NULL;
    CHECK(a && al_net_create("Conv2d(2, 6, (3, 2), groups=2), BatchNorm2d(6), PReLU(num_parameters=6)", &o, &b,
                             &err) == AL_OK, "%s", err.message);
    if (!a || !b)
        goto done;
    al_tensors t = {0};
    CHECK(al_net_state_dict(a, &t, 1, &err) == AL_OK, "%s", err.message);
    CHECK(t.count == 8 && strcmp(t.items[0].name, "0.weight") == 0 && t.items[0].array.rank == 4 &&
              t.items[0].array.shape[0] == 6 && t.items[0].array.shape[1] == 1 && t.items[0].array.shape[2] == 3 &&
              t.items[0].array.shape[3] == 2, "Conv2d's weight is [out, in / groups, kh, kw]");
    CHECK(t.count == 8 && strcmp(t.items[6].name, "1.num_batches_tracked") == 0 && strcmp(t.items[7].name, "2.weight") == 0,
          "then the bias, BatchNorm2d's five entries and the slopes");
    al_tensors_free(&t);
    char path[] = "/tmp/actlab_conv_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    CHECK(al_net_save(a, path, &err) == AL_OK && al_net_load(b, path, &err) == AL_OK, "%s", err.message);
    int na, nb;
    const al_param_ref *pa = al_net_params(a, &na), *pb = al_net_params(b, &nb);
    int same = na == nb;
    for (int i = 0; same && i < na; i++)
        same = memcmp(pa[i].value, pb[i].value, pa[i].count * sizeof(float)) == 0;
    CHECK(same, "a saved net loads back exactly");
    unlink(path);
done:
    al_net_free(a);
    al_net_free(b);
}

static void test_cnn_spec(void)
{
    CHECK_SECTION("CNN specs for studies");
    al_cnn_options o = al_cnn_options_default();
    o.blocks = 3;
    o.batchnorm = 1;
    char *spec = NULL;
    al_error err = {0};
    CHECK(al_cnn_spec(&o, "PReLU(num_parameters={channels})", &spec, &err) == AL_OK, "%s", err.message);
    const char *want = "Conv2d(1, 32, 3, padding=1, bias=False), BatchNorm2d(32), PReLU(num_parameters=32), "
                       "Conv2d(32, 32, 3, padding=1, bias=False), BatchNorm2d(32), PReLU(num_parameters=32), "
                       "MaxPool2d(2), Conv2d(32, 32, 3, padding=1, bias=False), BatchNorm2d(32), "
                       "PReLU(num_parameters=32), AdaptiveAvgPool2d(1), Flatten(), Linear(32, 10)";
    CHECK(spec && strcmp(spec, want) == 0, "spec:\n%s\nwant\n%s", spec ? spec : "", want);
    al_shape in = {3, {1, 28, 28, 0}};
    al_net *net = spec ? create(spec, &in, &err) : NULL;
    CHECK(net && al_net_layer_count(net) == 13 && same_shape(al_net_layer(net, 9).out_shape, 3, 32, 14, 14),
          "it builds and fits 28x28 images: %s", err.message);
    al_net_free(net);
    free(spec);
    o = al_cnn_options_default();
    o.width = 8;
    o.blocks = 4;
    o.pool_every = 1;
    o.max_pools = 2;
    o.head = 3;
    CHECK(al_cnn_spec(&o, "ELU()", &spec, &err) == AL_OK, "%s", err.message);
    want = "Conv2d(1, 8, 3, padding=1), ELU(), MaxPool2d(2), Conv2d(8, 8, 3, padding=1), ELU(), MaxPool2d(2), "
           "Conv2d(8, 8, 3, padding=1), ELU(), Conv2d(8, 8, 3, padding=1), ELU(), AdaptiveAvgPool2d(3), Flatten(), "
           "Linear(72, 10)";
    CHECK(spec && strcmp(spec, want) == 0, "two pools at most, a 3x3 head:\n%s\nwant\n%s", spec ? spec : "", want);
    net = spec ? create(spec, &in, &err) : NULL;
    CHECK(net && same_shape(al_net_layer(net, 10).out_shape, 3, 8, 3, 3) && al_net_out_features(net) == 10,
          "it fits 28x28 images: %s", err.message);
    al_net_free(net);
    free(spec);
    o.head = 0;
    CHECK(al_cnn_spec(&o, "ReLU()", &spec, &err) == AL_ERR_INVALID && spec == NULL, "head >= 1");
    o.head = 1;
    o.max_pools = -1;
    CHECK(al_cnn_spec(&o, "ReLU()", &spec, &err) == AL_ERR_INVALID && spec == NULL, "max_pools >= 0");
    o.max_pools = 0;
    o.blocks = 0;
    CHECK(al_cnn_spec(&o, "ReLU()", &spec, &err) == AL_ERR_INVALID && spec == NULL, "blocks >= 1");
}

int main(void)
{
    test_cnn_spec();
    test_shapes();
    test_bad_input();
    test_dropout2d();
    test_plans_and_determinism();
    test_files();
    return check_summary("test_conv_shapes");
}
