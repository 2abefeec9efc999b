/* The 2-D layers against PyTorch and against finite differences.
 *
 * Fixtures (tests/fixtures/conv, made by scripts/make_conv_fixtures.py): for
 * each case torch's initial state_dict, an input batch x, the output y of a
 * training-mode forward pass, r, and the gradients of L = sum(y * r) with
 * respect to x and every parameter, and the BatchNorm buffers after the
 * pass. actlab loads the state, runs the same pass and must agree within
 * 1e-5 of each tensor's largest magnitude (float32 sums in another order).
 *
 * Finite differences: the float32 net's backward against central
 * differences of L, for Conv2d with stride, padding, dilation and groups,
 * for every pooling kind and BatchNorm2d, skipping probes whose +-h window
 * moves a pre-activation across a kink or changes a max pool's choice. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/nn.h"
#include "actlab/rng.h"
#include "actlab/safetensors.h"
#include "check.h"

#ifndef AL_FIXTURES
#define AL_FIXTURES "tests/fixtures"
#endif
#define CONV_DIR AL_FIXTURES "/conv"

#define FIXTURE_TOL 1e-5

/* max|got - want| / max(max|want|, 1): relative for tensors of size O(1)
 * and more (these are), absolute for ones that are nearly 0 by nature (the
 * gradient of a bias just before BatchNorm is float noise in both). */
static double rel_error(const float *got, const float *want, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= diff))
            diff = d;
        if (fabs((double)want[i]) > scale)
            scale = fabs((double)want[i]);
    }
    return diff / (scale > 1 ? scale : 1);
}

static const float *tensor(const al_tensors *t, const char *name, size_t count, const char *cs)
{
    const al_array *a = al_tensors_find(t, name);
    CHECK(a && a->dtype == AL_DTYPE_F32 && a->count == count, "%s: tensor '%s' missing or not %zu F32 values",
          cs, name, count);
    return a && a->dtype == AL_DTYPE_F32 && a->count == count ? a->data : NULL;
}

static void compare(const char *cs, const char *what, const float *got, const float *want, size_t n)
{
    if (!want)
        return;
    double e = rel_error(got, want, n);
    CHECK(e <= FIXTURE_TOL, "%s: %s differs from torch by %.3g relative", cs, what, e);
}

static void run_fixture(const char *name, const char *spec, const al_shape *shape, size_t batch)
{
    CHECK_SECTION(name);
    char path[1600], key[96];
    snprintf(path, sizeof path, CONV_DIR "/%s.safetensors", name);
    al_tensors t = {0};
    al_error err = {0};
    al_net *net = NULL;
    al_net_options o = al_net_options_default();
    o.input = *shape;
    float *dx = NULL;
    if (al_safetensors_read(path, &t, &err) != AL_OK || al_net_create(spec, &o, &net, &err) != AL_OK) {
        CHECK(0, "%s: %s", name, err.message);
        goto done;
    }
    int n;
    const al_param_ref *lists[2];
    int counts[2];
    lists[0] = al_net_params(net, &counts[0]);
    lists[1] = al_net_buffers(net, &counts[1]);
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < counts[l]; i++) {
            const float *src = tensor(&t, lists[l][i].name, lists[l][i].count, name);
            if (src)
                memcpy(lists[l][i].value, src, lists[l][i].count * sizeof(float));
        }
    size_t in = al_net_in_features(net), out = al_net_out_features(net);
    const float *x = tensor(&t, "x", batch * in, name), *r = tensor(&t, "r", batch * out, name);
    const float *y_want = tensor(&t, "y", batch * out, name), *dx_want = tensor(&t, "grad.x", batch * in, name);
    dx = malloc(batch * in * sizeof *dx);
    if (!x || !r || !dx)
        goto done;
    al_net_zero_grad(net);
    const float *y = al_net_forward(net, x, batch, 1, 0);
    CHECK(y != NULL, "%s: forward failed", name);
    if (!y)
        goto done;
    compare(name, "y", y, y_want, batch * out);
    CHECK(al_net_backward(net, r, dx) == AL_OK, "%s: backward failed", name);
    compare(name, "dL/dx", dx, dx_want, batch * in);
    for (int i = 0; i < counts[0]; i++) {
        snprintf(key, sizeof key, "grad.%s", lists[0][i].name);
        compare(name, key, lists[0][i].grad, tensor(&t, key, lists[0][i].count, name), lists[0][i].count);
    }
    for (int i = 0; i < counts[1]; i++) {
        snprintf(key, sizeof key, "after.%s", lists[1][i].name);
        compare(name, key, lists[1][i].value, tensor(&t, key, lists[1][i].count, name), lists[1][i].count);
    }
    n = 0;
    for (int i = 0; i < al_net_layer_count(net); i++)
        n += al_net_batches_tracked(net, i) ? (int)*al_net_batches_tracked(net, i) : 0;
    CHECK(n == (int)(al_tensors_find(&t, "after.1.num_batches_tracked") != NULL), "%s: batches tracked %d",
          name, n);
done:
    free(dx);
    al_net_free(net);
    al_tensors_free(&t);
}

static void test_fixtures(void)
{
    FILE *f = fopen(CONV_DIR "/cases.txt", "r");
    CHECK(f != NULL, "cannot open " CONV_DIR "/cases.txt");
    if (!f)
        return;
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *name = line, *spec = strchr(name, '\t'), *shape_text = spec ? strchr(spec + 1, '\t') : NULL;
        char *batch_text = shape_text ? strchr(shape_text + 1, '\t') : NULL;
        CHECK(batch_text != NULL, "cases.txt: '%s' has not 4 fields", line);
        if (!batch_text)
            break;
        *spec++ = *shape_text++ = *batch_text++ = '\0';
        al_shape shape = {0, {0}};
        for (char *p = shape_text; *p && shape.rank < AL_SHAPE_MAX_RANK; p += *p == ',') {
            char *end;
            shape.dim[shape.rank++] = strtoul(p, &end, 10);
            p = end;
        }
        run_fixture(name, spec, &shape, strtoul(batch_text, NULL, 10));
        cases++;
    }
    fclose(f);
    CHECK(cases >= 18, "only %d fixture cases", cases);
}

/* ---- finite differences ---- */

enum { BATCH = 3, MAX_PATTERN = 1 << 16 };

typedef struct fd_net {
    al_net *net;
    size_t in, out;
    float *x, *r;
} fd_net;

/* The choices a +-h probe must not change: the side of its kink of every
 * input of a kinked activation, and the window position each max pool picks. */
static size_t pattern(const al_net *net, unsigned char *p)
{
    size_t k = 0;
    for (int l = 0; l < al_net_layer_count(net); l++) {
        al_layer_info info = al_net_layer(net, l);
        const float *in = al_net_layer_input(net, l), *out = al_net_layer_output(net, l);
        size_t n = BATCH * info.in_features;
        double kinks[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        if (info.kind == AL_LAYER_ACTIVATION && al_act_kinks(info.act, kinks, deriv) > 0)
            for (size_t i = 0; i < n && k < MAX_PATTERN; i++)
                p[k++] = in[i] > kinks[0];
        if (info.kind != AL_LAYER_MAXPOOL2D)
            continue;
        /* an output equal to exactly one of its window's values: record which */
        size_t planes = BATCH * info.in_shape.dim[0], ih = info.in_shape.dim[1], iw = info.in_shape.dim[2];
        size_t oh = info.out_shape.dim[1], ow = info.out_shape.dim[2];
        const al_window *w = &info.window;
        for (size_t q = 0; q < planes; q++)
            for (size_t o = 0; o < oh * ow && k < MAX_PATTERN; o++) {
                long h0 = (long)((o / ow) * w->stride[0]) - (long)w->padding[0];
                long w0 = (long)((o % ow) * w->stride[1]) - (long)w->padding[1];
                unsigned char pick = 0xff;
                for (size_t a = 0; a < w->kernel[0]; a++)
                    for (size_t b = 0; b < w->kernel[1]; b++) {
                        long h = h0 + (long)(a * w->dilation[0]), c = w0 + (long)(b * w->dilation[1]);
                        if (h >= 0 && c >= 0 && h < (long)ih && c < (long)iw &&
                            in[q * ih * iw + (size_t)h * iw + (size_t)c] == out[q * oh * ow + o] && pick == 0xff)
                            pick = (unsigned char)(a * w->kernel[1] + b);
                    }
                p[k++] = pick;
            }
    }
    return k;
}

static double loss(fd_net *f, unsigned char *p, size_t *np)
{
    const float *y = al_net_forward(f->net, f->x, BATCH, 1, 1);
    double s = 0;
    for (size_t i = 0; y && i < BATCH * f->out; i++)
        s += (double)y[i] * f->r[i];
    if (p)
        *np = pattern(f->net, p);
    return s;
}

static double central(fd_net *f, float *slot, double h)
{
    static unsigned char plus[MAX_PATTERN], minus[MAX_PATTERN];
    size_t np, nm;
    float keep = *slot;
    *slot = keep + (float)h;
    double lp = loss(f, plus, &np);
    *slot = keep - (float)h;
    double ln = loss(f, minus, &nm);
    *slot = keep;
    return np != nm || memcmp(plus, minus, np) ? NAN : (lp - ln) / (2 * h);
}

static void fd_check(const char *spec, const al_shape *shape)
{
    fd_net f = {0};
    al_error err = {0};
    al_net_options o = al_net_options_default();
    o.seed = 5;
    o.input = *shape;
    if (al_net_create(spec, &o, &f.net, &err) != AL_OK) {
        CHECK(0, "%s: %s", spec, err.message);
        return;
    }
    f.in = al_net_in_features(f.net);
    f.out = al_net_out_features(f.net);
    f.x = malloc(BATCH * f.in * sizeof *f.x);
    f.r = malloc(BATCH * f.out * sizeof *f.r);
    float *dx = malloc(BATCH * f.in * sizeof *dx);
    al_rng rng;
    al_rng_seed(&rng, 17);
    for (size_t i = 0; i < BATCH * f.in; i++)
        f.x[i] = (float)al_rng_normal(&rng);
    for (size_t i = 0; i < BATCH * f.out; i++)
        f.r[i] = (float)al_rng_normal(&rng);
    al_net_zero_grad(f.net);
    loss(&f, NULL, NULL);
    al_net_backward(f.net, f.r, dx);
    int np;
    const al_param_ref *params = al_net_params(f.net, &np);
    const double h = 1e-3;
    int probes = 0, skipped = 0, bad = 0;
    for (int k = -1; k < np; k++) {
        size_t count = k < 0 ? BATCH * f.in : params[k].count;
        float *value = k < 0 ? f.x : params[k].value;
        float *grad = malloc(count * sizeof *grad);
        memcpy(grad, k < 0 ? dx : params[k].grad, count * sizeof *grad);
        size_t stride = count > 60 ? count / 29 : 1;
        for (size_t i = 0; i < count; i += stride) {
            double fd = central(&f, &value[i], h);
            if (isnan(fd)) {
                skipped++;
                continue;
            }
            probes++;
            if (fabs(fd - grad[i]) > 2e-3 + 2e-2 * fabs(fd) && bad++ < 3)
                CHECK(0, "%s: dL/d%s[%zu] = %.6g, finite difference %.6g", spec, k < 0 ? "x" : params[k].name,
                      i, (double)grad[i], fd);
        }
        free(grad);
    }
    CHECK(bad == 0, "%s: %d gradients off", spec, bad);
    CHECK(probes > 3 * skipped && probes >= 30, "%s: %d probes, %d skipped", spec, probes, skipped);
    free(f.x);
    free(f.r);
    free(dx);
    al_net_free(f.net);
}

static void test_finite_differences(void)
{
    CHECK_SECTION("finite differences");
    al_shape s263 = {3, {2, 6, 7, 0}}, s477 = {3, {4, 7, 7, 0}}, s299 = {3, {2, 9, 9, 0}}, s84 = {1, {84, 0, 0, 0}};
    fd_check("Conv2d(2, 3, 3), Tanh(), Flatten(), Linear(60, 2)", &s263);
    fd_check("Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2)), Sigmoid()", &s263);
    fd_check("Conv2d(2, 3, 3, dilation=2, padding=1, bias=False), ELU()", &s299);
    fd_check("Conv2d(4, 6, 3, groups=2, padding=1), Conv2d(6, 6, 3, groups=6, stride=2)", &s477);
    fd_check("Conv2d(2, 3, 1), MaxPool2d(2), Conv2d(3, 2, 2)", &s263);
    fd_check("Conv2d(2, 2, 1), MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)", &s299);
    fd_check("Conv2d(2, 2, 1), AvgPool2d(3, stride=2, padding=1, count_include_pad=False), Softplus()", &s299);
    fd_check("Conv2d(2, 3, 2), AdaptiveAvgPool2d((2, 3)), Flatten(), Linear(18, 2)", &s263);
    fd_check("Conv2d(2, 3, 3), BatchNorm2d(3), PReLU(num_parameters=3), Conv2d(3, 2, 1)", &s263);
    fd_check("Conv2d(2, 3, 3), BatchNorm2d(3, affine=False), ReLU(), Conv2d(3, 2, 1)", &s263);
    fd_check("Unflatten(1, (2, 6, 7)), Conv2d(2, 2, 3), Dropout2d(p=0.5), GELU()", &s84);
}

/* Every activation of the table on [N, C, H, W]: the same bits as its kernel
 * on the flat tensor (an activation is elementwise; only PReLU reads the
 * channel), forward and backward; PReLU with one slope per channel scales
 * channel c's negative values by slope c. */
static void test_activations_4d(void)
{
    CHECK_SECTION("every activation on [N, C, H, W]");
    enum { N = 2, C = 3, HW = 20, TOTAL = N * C * HW };
    float x[TOTAL], dy[TOTAL], want[TOTAL], want_dx[TOTAL], got_dx[TOTAL];
    al_rng rng;
    al_rng_seed(&rng, 23);
    for (size_t i = 0; i < TOTAL; i++) {
        x[i] = (float)(2.5 * al_rng_normal(&rng));
        dy[i] = (float)al_rng_normal(&rng);
    }
    x[5] = 0.0f; /* a kink of many activations, whose derivative there is the table's */
    al_shape in = {1, {TOTAL / N, 0, 0, 0}};
    for (int id = 0; id < AL_ACT_COUNT; id++) {
        al_error err = {0};
        al_act act;
        char text[256], spec[320];
        al_act_default((al_act_id)id, &act);
        al_act_format(&act, text, sizeof text);
        for (char *nan = strstr(text, "nan"); nan; nan = strstr(text, "nan"))
            memcpy(nan, "0.5", 3); /* arguments without a default (Threshold's) */
        if (al_act_parse(text, &act, &err) != AL_OK) {
            CHECK(0, "%s: %s", text, err.message);
            continue;
        }
        snprintf(spec, sizeof spec, "Unflatten(1, (%d, 4, 5)), %s", C, text);
        al_net_options o = al_net_options_default();
        o.input = in;
        al_net *net = NULL;
        if (al_net_create(spec, &o, &net, &err) != AL_OK) {
            CHECK(0, "%s: %s", spec, err.message);
            continue;
        }
        int np;
        const al_param_ref *params = al_net_params(net, &np);
        const float *w = np ? params[0].value : NULL;
        al_act_run run = al_act_run_default();
        al_act_forward_f32(&act, &run, TOTAL, x, want, w);
        al_act_backward_f32(&act, &run, TOTAL, x, want, dy, want_dx, w, NULL);
        const float *y = al_net_forward(net, x, N, 0, 0);
        CHECK(y && memcmp(y, want, sizeof want) == 0, "%s: forward differs from the flat kernel", text);
        al_net_backward(net, dy, got_dx);
        CHECK(memcmp(got_dx, want_dx, sizeof want_dx) == 0, "%s: backward differs from the flat kernel", text);
        al_net_free(net);
    }
    al_net_options o = al_net_options_default();
    o.input = in;
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("Unflatten(1, (3, 4, 5)), PReLU(num_parameters=3)", &o, &net, &err) == AL_OK, "%s",
          err.message);
    if (!net)
        return;
    int np;
    float *slope = al_net_params(net, &np)[0].value;
    slope[0] = 0.1f;
    slope[1] = -0.5f;
    slope[2] = 2.0f;
    const float *y = al_net_forward(net, x, N, 1, 0);
    int bad = 0;
    for (size_t i = 0; y && i < TOTAL; i++)
        bad += y[i] != (x[i] >= 0 ? x[i] : x[i] * slope[(i / HW) % C]);
    CHECK(y && bad == 0, "PReLU per channel: %d values off", bad);
    al_net_free(net);
}

int main(void)
{
    test_activations_4d();
    test_fixtures();
    test_finite_differences();
    return check_summary("test_conv");
}
