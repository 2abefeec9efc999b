/* Networks: every layer's backward against central finite differences of a
 * random projection of the output; PyTorch's init bounds; BatchNorm's
 * running statistics; dropout's scaling; spec errors of the net builder. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "actlab/nn.h"
#include "check.h"

enum { BATCH = 6 };

/* L = sum(out * r), in double from the float output. signs, when given,
 * receives the sign pattern of every pre-activation (the outputs of layers
 * followed by an activation): a probe whose +h and -h passes differ there
 * straddles a kink, where a finite difference means nothing. */
static double project(al_net *net, const float *x, const float *r, int training, unsigned char *signs)
{
    const float *y = al_net_forward(net, x, BATCH, training, 1);
    double s = 0;
    for (size_t i = 0; i < BATCH * al_net_out_features(net); i++)
        s += (double)y[i] * r[i];
    size_t k = 0;
    for (int l = 0; signs && l + 1 < al_net_layer_count(net); l++) {
        if (al_net_layer(net, l + 1).kind != AL_LAYER_ACTIVATION)
            continue;
        const float *pre = al_net_layer_output(net, l);
        for (size_t i = 0; i < BATCH * al_net_layer(net, l).out_features && k < 4096; i++)
            signs[k++] = pre[i] > 0;
    }
    return s;
}

/* Central difference of L, or NAN when the probe straddles a kink. */
static double central(al_net *net, const float *x, const float *r, int training, float *slot, double h)
{
    static unsigned char plus[4096], minus[4096];
    float keep = *slot;
    *slot = keep + (float)h;
    double lp = project(net, x, r, training, plus);
    *slot = keep - (float)h;
    double ln = project(net, x, r, training, minus);
    *slot = keep;
    return memcmp(plus, minus, sizeof plus) ? NAN : (lp - ln) / (2 * h);
}

/* Compares analytic gradients of L with central differences, for the input
 * and for sampled entries of every parameter. */
static void gradcheck(const char *spec, int training)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options o = al_net_options_default();
    o.seed = 3;
    if (al_net_create(spec, &o, &net, &err) != AL_OK) {
        CHECK(0, "%s: %s", spec, err.message);
        return;
    }
    size_t in = al_net_in_features(net), out = al_net_out_features(net);
    float *x = malloc(BATCH * in * sizeof *x), *r = malloc(BATCH * out * sizeof *r),
          *dx = malloc(BATCH * in * sizeof *dx);
    al_rng rng;
    al_rng_seed(&rng, 11);
    for (size_t i = 0; i < BATCH * in; i++) {
        double v = al_rng_normal(&rng);
        x[i] = (float)(v + (v > 0 ? 0.3 : -0.3)); /* keep inputs off kinks at 0 */
    }
    for (size_t i = 0; i < BATCH * out; i++)
        r[i] = (float)al_rng_normal(&rng);
    CHECK(al_net_prepare(net, BATCH, &err) == AL_OK, "%s", err.message);
    al_net_zero_grad(net);
    project(net, x, r, training, NULL);
    al_net_backward(net, r, dx);
    const double h = 1e-3;
    int bad = 0, straddles = 0, probes = 0;
    /* the input */
    for (size_t i = 0; i < BATCH * in; i += 3) {
        double fd = central(net, x, r, training, &x[i], h);
        if (isnan(fd)) {
            straddles++;
            continue;
        }
        probes++;
        if (fabs(fd - dx[i]) > 2e-3 + 2e-2 * fabs(fd) && bad++ < 3)
            CHECK(0, "%s: dL/dx[%zu] = %g, finite difference %g", spec, i, (double)dx[i], fd);
    }
    CHECK(bad == 0, "%s: %d input gradients off", spec, bad);
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    float **grads = malloc((size_t)np * sizeof *grads);
    for (int k = 0; k < np; k++) {
        grads[k] = malloc(params[k].count * sizeof(float));
        memcpy(grads[k], params[k].grad, params[k].count * sizeof(float));
    }
    for (int k = 0; k < np; k++) {
        bad = 0;
        size_t stride = params[k].count > 40 ? params[k].count / 17 : 1;
        for (size_t i = 0; i < params[k].count; i += stride) {
            double fd = central(net, x, r, training, &params[k].value[i], h);
            if (isnan(fd)) {
                straddles++;
                continue;
            }
            probes++;
            if (fabs(fd - grads[k][i]) > 2e-3 + 2e-2 * fabs(fd) && bad++ < 3)
                CHECK(0, "%s: dL/d%s[%zu] = %g, finite difference %g", spec, params[k].name, i,
                      (double)grads[k][i], fd);
        }
        CHECK(bad == 0, "%s: %s: %d gradients off", spec, params[k].name, bad);
        free(grads[k]);
    }
    free(grads);
    CHECK(probes > 4 * straddles, "%s: %d probes, %d straddle a kink", spec, probes, straddles);
    free(x);
    free(r);
    free(dx);
    al_net_free(net);
}

static void test_gradients(void)
{
    gradcheck("Linear(5, 4), ReLU(), Linear(4, 3)", 1);
    gradcheck("Linear(5, 4, bias=False), Tanh(), Linear(4, 3)", 1);
    gradcheck("Linear(5, 4), ELU(alpha=0.5), Linear(4, 4), GELU(), Linear(4, 2)", 1);
    gradcheck("Linear(5, 4), PReLU(), Linear(4, 3)", 1);
    gradcheck("Linear(5, 4), PReLU(num_parameters=4), Linear(4, 3)", 1);
    gradcheck("Linear(5, 4), BatchNorm1d(4), SiLU(), Linear(4, 3)", 1);
    gradcheck("Linear(5, 4), BatchNorm1d(4, affine=False), Sigmoid(), Linear(4, 3)", 1);
    gradcheck("BatchNorm1d(5), Linear(5, 3)", 0);
    gradcheck("Linear(5, 4), Dropout(p=0.3), Mish(), Linear(4, 3)", 1); /* the mask is fixed per step */
    gradcheck("Linear(5, 4), Flatten(), Identity(), Softplus(), Linear(4, 3)", 1);
}

static void test_structure(void)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options o = al_net_options_default();
    CHECK(al_net_create("Linear(784, 256), ReLU(), Linear(256, 256), ELU(alpha=0.5), Linear(256, 10)",
                        &o, &net, &err) == AL_OK, "%s", err.message);
    if (!net)
        return;
    int np;
    const al_param_ref *p = al_net_params(net, &np);
    const char *want[] = {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"};
    CHECK(np == 6, "6 parameter tensors, got %d", np);
    for (int i = 0; i < np && i < 6; i++)
        CHECK(strcmp(p[i].name, want[i]) == 0, "parameter %d is %s, want %s", i, p[i].name, want[i]);
    /* PyTorch's default: U(+-1/sqrt(fan_in)) for weight and bias */
    double bound = 1 / sqrt(784.0), lo = 0, hi = 0, sum2 = 0;
    for (size_t i = 0; i < p[0].count; i++) {
        lo = fmin(lo, p[0].value[i]);
        hi = fmax(hi, p[0].value[i]);
        sum2 += (double)p[0].value[i] * p[0].value[i];
    }
    CHECK(lo >= -bound && hi <= bound && hi > 0.98 * bound, "init range [%g, %g], bound %g", lo, hi, bound);
    CHECK_NEAR(sum2 / (double)p[0].count, bound * bound / 3, 0, 0.02, "uniform variance");
    CHECK(al_net_in_features(net) == 784 && al_net_out_features(net) == 10, "widths");
    al_net_free(net);

    /* kaiming-normal with ReLU's gain: variance 2/fan_in */
    o.init = AL_INIT_KAIMING_NORMAL;
    CHECK(al_net_create("Linear(400, 300), ReLU(), Linear(300, 10)", &o, &net, &err) == AL_OK, "%s", err.message);
    p = al_net_params(net, &np);
    sum2 = 0;
    for (size_t i = 0; i < p[0].count; i++)
        sum2 += (double)p[0].value[i] * p[0].value[i];
    CHECK_NEAR(sum2 / (double)p[0].count, 2.0 / 400, 0, 0.03, "kaiming-normal variance");
    CHECK(p[1].value[0] == 0 && p[1].value[7] == 0, "explicit schemes zero the bias");
    al_net_free(net);
}

static void test_batchnorm_running_stats(void)
{
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("BatchNorm1d(2, momentum=0.5)", NULL, &net, &err) == AL_OK, "%s", err.message);
    float x[6] = {1, 10, 2, 20, 3, 60}; /* columns: {1,2,3} and {10,20,60} */
    const float *y = al_net_forward(net, x, 3, 1, 0);
    /* column 0: mean 2, biased var 2/3 */
    CHECK_NEAR(y[0], (1 - 2) / sqrt(2.0 / 3 + 1e-5), 1e-5, 1e-5, "normalised value");
    int nb;
    const al_param_ref *b = al_net_buffers(net, &nb);
    CHECK(nb == 2 && strcmp(b[0].name, "0.running_mean") == 0, "buffer names");
    CHECK_NEAR(b[0].value[0], 0.5 * 0 + 0.5 * 2, 1e-6, 0, "running mean");
    CHECK_NEAR(b[1].value[0], 0.5 * 1 + 0.5 * 1.0, 1e-6, 0, "running var uses the unbiased variance (1)");
    CHECK_NEAR(b[1].value[1], 0.5 * 1 + 0.5 * 700.0, 1e-3, 0, "running var of {10,20,60}");
    CHECK(*al_net_batches_tracked(net, 0) == 1, "num_batches_tracked");
    y = al_net_forward(net, x, 3, 0, 0);
    CHECK_NEAR(y[0], (1 - 1.0) / sqrt(1.0 + 1e-5), 1e-6, 0, "eval uses the running statistics");
    al_net_free(net);
}

static void test_dropout(void)
{
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("Linear(1, 1000, bias=False), Dropout(p=0.25)", NULL, &net, &err) == AL_OK, "%s",
          err.message);
    int np;
    const al_param_ref *p = al_net_params(net, &np);
    for (size_t i = 0; i < p[0].count; i++)
        p[0].value[i] = 1.0f;
    float x = 1.0f;
    const float *y = al_net_forward(net, &x, 1, 1, 5);
    int zeros = 0, scaled = 0;
    for (int i = 0; i < 1000; i++) {
        zeros += y[i] == 0.0f;
        scaled += fabsf(y[i] - 1.0f / 0.75f) < 1e-6f;
    }
    CHECK(zeros + scaled == 1000 && zeros > 200 && zeros < 300, "dropout: %d zeros, %d scaled", zeros, scaled);
    y = al_net_forward(net, &x, 1, 0, 5);
    CHECK(y[0] == 1.0f && y[999] == 1.0f, "dropout is the identity in eval");
    al_net_free(net);
}

/* Parameters and gradients each live in one block (al_net_param_block,
 * al_net_grad_block): every view inside, in order, 64-byte aligned, at the
 * same offset in both, with zero gaps; zeroing gradients clears the block. */
static void test_blocks(void)
{
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("Linear(5, 7, bias=False), BatchNorm1d(7), PReLU(), Dropout(0.1), Linear(7, 3), "
                        "Flatten(), Identity(), BatchNorm1d(3, affine=False)", NULL, &net, &err) == AL_OK,
          "%s", err.message);
    if (!net)
        return;
    int np;
    const al_param_ref *p = al_net_params(net, &np);
    static const char *const names[] = {"0.weight", "1.weight", "1.bias", "2.weight", "4.weight", "4.bias"};
    static const size_t counts[] = {35, 7, 7, 1, 21, 3};
    static const int no_decay[] = {0, 1, 1, 1, 0, 0};
    size_t n_values, n_grads;
    float *values = al_net_param_block(net, &n_values), *grads = al_net_grad_block(net, &n_grads);
    CHECK(np == 6 && n_values == n_grads, "%d tensors; blocks of %zu and %zu floats", np, n_values, n_grads);
    size_t end = 0, covered = 0;
    for (int i = 0; i < np && i < 6; i++) {
        CHECK(strcmp(p[i].name, names[i]) == 0 && p[i].count == counts[i] && p[i].no_decay == no_decay[i],
              "tensor %d: %s of %zu (no_decay %d)", i, p[i].name, p[i].count, p[i].no_decay);
        size_t at = (size_t)(p[i].value - values);
        CHECK(p[i].value >= values && at >= end && at + p[i].count <= n_values, "%s inside the value block, in order",
              p[i].name);
        CHECK(p[i].grad == grads + at, "%s's gradient at the same offset", p[i].name);
        CHECK((uintptr_t)p[i].value % 64 == 0 && (uintptr_t)p[i].grad % 64 == 0, "%s starts on 64 bytes", p[i].name);
        for (size_t k = end; k < at; k++)
            CHECK(values[k] == 0 && grads[k] == 0, "gap before %s is zero", p[i].name);
        end = at + p[i].count;
        covered += p[i].count;
    }
    CHECK(covered <= n_values && n_values - covered < 16 * (size_t)np, "only alignment gaps: %zu of %zu floats",
          n_values - covered, n_values);
    static const char *const kinds[] = {"linear", "batchnorm", "activation", "dropout", "linear", "flatten",
                                        "identity", "batchnorm"};
    for (int i = 0; i < al_net_layer_count(net); i++)
        CHECK(strcmp(al_layer_kind_name(al_net_layer(net, i).kind), kinds[i]) == 0, "layer %d is %s", i,
              al_layer_kind_name(al_net_layer(net, i).kind));

    float x[4 * 5], dy[4 * 3];
    for (int k = 0; k < 20; k++)
        x[k] = (float)sin(k + 1.0);
    for (int k = 0; k < 12; k++)
        dy[k] = (float)cos(k + 1.0);
    al_net_zero_grad(net);
    al_net_forward(net, x, 4, 1, 1);
    al_net_backward(net, dy, NULL);
    int nonzero = 0;
    for (int i = 0; i < np; i++)
        nonzero += p[i].grad[0] != 0;
    CHECK(nonzero == np, "backward reaches every tensor (%d of %d)", nonzero, np);
    al_net_zero_grad(net);
    size_t left = 0;
    for (size_t k = 0; k < n_grads; k++)
        left += grads[k] != 0;
    CHECK(left == 0, "zero_grad clears the block (%zu left)", left);

    /* the state_dict in PyTorch's order and shapes */
    al_tensors t;
    memset(&t, 0, sizeof t);
    CHECK(al_net_state_dict(net, &t, 1, &err) == AL_OK, "%s", err.message);
    static const char *const sd[] = {"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                     "1.num_batches_tracked", "2.weight", "4.weight", "4.bias",
                                     "7.running_mean", "7.running_var", "7.num_batches_tracked"};
    CHECK(t.count == 12, "12 state_dict entries, got %zu", t.count);
    for (size_t i = 0; i < t.count && i < 12; i++)
        CHECK(strcmp(t.items[i].name, sd[i]) == 0, "entry %zu is %s, want %s", i, t.items[i].name, sd[i]);
    if (t.count == 12) {
        CHECK(t.items[0].array.rank == 2 && t.items[0].array.shape[0] == 7 && t.items[0].array.shape[1] == 5,
              "Linear's weight is [out, in]");
        CHECK(t.items[5].array.rank == 0 && t.items[5].array.dtype == AL_DTYPE_I64, "num_batches_tracked is an I64 scalar");
        CHECK(t.items[6].array.rank == 1 && t.items[6].array.shape[0] == 1, "PReLU's weight is [1]");
    }
    al_tensors_free(&t);
    al_net_free(net);
}

static void expect_error(const char *spec, const char *needle)
{
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create(spec, NULL, &net, &err) != AL_OK, "%s should be refused", spec);
    CHECK(strstr(err.message, needle) != NULL, "%s: '%s' lacks '%s'", spec, err.message, needle);
    al_net_free(net);
}

static void test_errors(void)
{
    expect_error("Linear(784, 256), ReLU(), Linear(128, 10)", "takes 128 input features");
    expect_error("Linear(784, 256), ReLU(), Linear(128, 10)", "produces 256");
    expect_error("Linear(784, 256), Relu()", "did you mean 'ReLU'");
    expect_error("Linear(784, 256), Linaer(256, 10)", "'Linear'");
    expect_error("ReLU(), Linear(4, 2)", "first module");
    expect_error("Linear(784)", "needs 'out_features'");
    expect_error("Linear(784, 0)", "out of range");
    expect_error("Linear(4, 3), PReLU(num_parameters=2)", "num_parameters=1 or 3");
    expect_error("Linear(4, 3), Dropout(p=1.5)", "out of range");
    expect_error("Linear(4, 3)\nReLU(,)", "line 2");
}

int main(void)
{
    CHECK_SECTION("gradients");
    test_gradients();
    CHECK_SECTION("structure");
    test_structure();
    CHECK_SECTION("batchnorm");
    test_batchnorm_running_stats();
    CHECK_SECTION("dropout");
    test_dropout();
    CHECK_SECTION("blocks");
    test_blocks();
    CHECK_SECTION("errors");
    test_errors();
    return check_summary("test_nn");
}
