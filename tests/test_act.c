/* The activation table: float32 kernels (every ISA this CPU runs) against
 * the float64 reference; the reference's derivatives against central finite
 * differences; exact derivatives at kinks (PyTorch's and kink=); special
 * inputs; PReLU slope gradients; RReLU reproducibility; closed forms; and
 * parse errors. PyTorch's own outputs are checked in test_act_torch.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "act_check.h"
#include "check.h"

#define PI 3.14159265358979323846

/* Specs covering every activation, at defaults and with parameters. */
static const char *const specs[] = {
    "ReLU()", "ReLU6()", "LeakyReLU()", "LeakyReLU(negative_slope=0.2)", "PReLU()",
    "RReLU()", "ELU()", "ELU(alpha=0.5)", "CELU()", "CELU(alpha=0.5)", "SELU()", "GELU()",
    "GELU(approximate='tanh')", "SiLU()", "Mish()", "Softplus()", "Softplus(beta=2, threshold=10)",
    "Softsign()", "Tanh()", "Sigmoid()", "Hardtanh()", "Hardtanh(min_val=-2, max_val=3)",
    "Hardsigmoid()", "Hardswish()", "LogSigmoid()", "Tanhshrink()", "Softshrink()",
    "Softshrink(lambd=1.0)", "Hardshrink()", "Threshold(threshold=0.5, value=-2.0)", "Identity()",
    "ReLU(kink=0.5)", "ELU(alpha=2, kink=1)", "Hardswish(kink=0)", "LeakyReLU(kink=1)",
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static void inputs(float *x, size_t n, uint64_t seed)
{
    static const float specials[] = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, -1e-38f, 1e-7f, -1e-7f,
                                     1e30f, -1e30f, INFINITY, -INFINITY, NAN, 88.7f, -88.7f, 89.0f,
                                     -89.0f, 100.0f, -100.0f, 20.0f, -20.0f, 3.0f, -3.0f, 6.0f,
                                     0.5f, -0.5f, 1.0f, -1.0f, 2.0f, -2.0f, 10.0f, -10.0f};
    size_t ns = sizeof specials / sizeof specials[0];
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        if (i < ns)
            x[i] = specials[i];
        else if (i < ns + 2001)
            x[i] = -12.0f + 24.0f * (float)(i - ns) / 2000.0f;
        else
            x[i] = (float)(al_rng_normal(&rng) * 4.0);
    }
}

static void test_against_reference(al_isa isa)
{
    enum { N = 4099 }; /* odd: exercises the vector tails */
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *dy = malloc(N * sizeof *dy),
          *dx = malloc(N * sizeof *dx);
    double *xd = malloc(N * sizeof *xd), *yd = malloc(N * sizeof *yd), *dyd = malloc(N * sizeof *dyd),
           *dxd = malloc(N * sizeof *dxd);
    CHECK(x && y && dy && dx && xd && yd && dyd && dxd, "allocation");
    inputs(x, N, 1);
    al_rng rng;
    al_rng_seed(&rng, 2);
    for (size_t i = 0; i < N; i++) {
        dy[i] = i < 64 ? 1.0f : (float)al_rng_normal(&rng);
        xd[i] = x[i];
        dyd[i] = dy[i];
    }
    for (size_t s = 0; s < N_SPECS; s++) {
        al_act a = parse_or_die(specs[s]);
        al_act_run run = al_act_run_default();
        run.isa = isa;
        float w = 0.25f;
        double wd = 0.25;
        for (int training = 0; training <= 1; training++) {
            run.training = training;
            run.seed = 42;
            al_act_forward_f32(&a, &run, N, x, y, &w);
            al_act_backward_f32(&a, &run, N, x, y, dy, dx, &w, NULL);
            al_act_forward_f64(&a, &run, N, xd, yd, &wd);
            al_act_backward_f64(&a, &run, N, xd, yd, dyd, dxd, &wd, NULL);
            int bad_y = 0, bad_d = 0;
            for (size_t i = 0; i < N; i++) {
                if (!close_f32(y[i], yd[i]) && bad_y++ < 3)
                    CHECK(0, "%s [%s%s] y(%.9g) = %.9g, reference %.17g", specs[s], al_isa_name(isa),
                          training ? ", train" : "", (double)x[i], (double)y[i], yd[i]);
                if (!close_f32(dx[i], dxd[i]) && bad_d++ < 3)
                    CHECK(0, "%s [%s%s] dx(%.9g, dy=%.9g) = %.9g, reference %.17g", specs[s],
                          al_isa_name(isa), training ? ", train" : "", (double)x[i], (double)dy[i],
                          (double)dx[i], dxd[i]);
            }
            CHECK(bad_y == 0 && bad_d == 0, "%s [%s]: %d outputs, %d gradients off", specs[s],
                  al_isa_name(isa), bad_y, bad_d);
        }
    }
    free(x); free(y); free(dy); free(dx); free(xd); free(yd); free(dyd); free(dxd);
}

static void test_finite_differences(void)
{
    for (size_t s = 0; s < N_SPECS; s++) {
        al_act a = parse_or_die(specs[s]);
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        int nk = al_act_kinks(&a, where, deriv);
        double worst = 0;
        for (int i = 0; i <= 2000; i++) {
            double x = -9.0 + 18.0 * i / 2000.0 + 1e-4, h = 1e-6;
            int near = 0;
            for (int k = 0; k < nk; k++)
                near |= fabs(x - where[k]) < 1e-3;
            if (a.id == AL_ACT_SOFTPLUS && fabs(a.param[0] * x - a.param[1]) < 1e-3)
                near = 1; /* PyTorch's switch to x leaves a 2e-9 step */
            if (near)
                continue;
            double y, d, yp, yn, dd, slope = a.id == AL_ACT_PRELU ? 0.25 : NAN;
            al_act_eval_f64(&a, x, slope, &y, &d);
            al_act_eval_f64(&a, x + h, slope, &yp, &dd);
            al_act_eval_f64(&a, x - h, slope, &yn, &dd);
            double fd = (yp - yn) / (2 * h);
            /* round-off in the difference is ~1e-16/h = 1e-10: an absolute floor of 1e-8 */
            double err = fabs(fd - d) / (1e-3 + fabs(d));
            if (err > worst)
                worst = err;
            if (err > 1e-5) {
                CHECK(0, "%s at x = %.6f: derivative %.12g, finite difference %.12g", specs[s], x, d, fd);
                break;
            }
        }
        CHECK(worst <= 1e-5, "%s: worst relative FD error %.3g", specs[s], worst);
    }
}

/* Exact values at kinks, float32 (every ISA) and float64. */
static void check_kink(const char *spec, double at, double want, al_isa isa)
{
    al_act a = parse_or_die(spec);
    al_act_run run = al_act_run_default();
    run.isa = isa;
    float x[37], y[37], dy[37], dx[37], w = 0.25f;
    for (int i = 0; i < 37; i++) {
        x[i] = (float)at;
        dy[i] = 1.0f;
    }
    al_act_forward_f32(&a, &run, 37, x, y, &w);
    al_act_backward_f32(&a, &run, 37, x, y, dy, dx, &w, NULL);
    int ok = 1;
    for (int i = 0; i < 37; i++)
        ok &= (double)dx[i] == (double)(float)want;
    CHECK(ok, "%s [%s]: f'(%g) = %.9g, want %.9g", spec, al_isa_name(isa), at, (double)dx[36], want);
    double yd, d;
    al_act_eval_f64(&a, at, a.id == AL_ACT_PRELU ? 0.25 : NAN, &yd, &d);
    CHECK(fabs(d - want) <= 1e-15 * fabs(want), "%s [f64]: f'(%g) = %.17g, want %.17g", spec, at, d, want);
}

static void test_kinks(al_isa isa)
{
    /* PyTorch's values (ACTIVATIONS.md) */
    check_kink("ReLU()", 0, 0, isa);
    check_kink("ReLU6()", 0, 0, isa);
    check_kink("ReLU6()", 6, 0, isa);
    check_kink("LeakyReLU()", 0, 0.01, isa);
    check_kink("LeakyReLU(negative_slope=0.2)", 0, 0.2, isa);
    check_kink("PReLU()", 0, 0.25, isa);
    check_kink("RReLU()", 0, (1.0 / 8 + 1.0 / 3) / 2, isa);
    check_kink("ELU()", 0, 1.0, isa);
    check_kink("ELU(alpha=0.5)", 0, 0.5, isa);
    check_kink("CELU(alpha=0.5)", 0, 1.0, isa);
    check_kink("SELU()", 0, 1.0507009873554804934 * 1.6732632423543772848, isa);
    check_kink("Softsign()", 0, 1.0, isa);
    check_kink("Hardtanh()", -1, 0, isa);
    check_kink("Hardtanh()", 1, 0, isa);
    check_kink("Hardsigmoid()", -3, 0, isa);
    check_kink("Hardsigmoid()", 3, 0, isa);
    check_kink("Hardswish()", -3, -0.5, isa);
    check_kink("Hardswish()", 3, 1.5, isa);
    check_kink("Softshrink()", 0.5, 0, isa);
    check_kink("Softshrink()", -0.5, 0, isa);
    check_kink("Hardshrink()", 0.5, 0, isa);
    check_kink("Threshold(threshold=0.5, value=-2.0)", 0.5, 0, isa);
    /* smooth functions at 0: GELU, SiLU 0.5; Mish 0.6; sigmoid 0.25 */
    check_kink("GELU()", 0, 0.5, isa);
    check_kink("SiLU()", 0, 0.5, isa);
    check_kink("Sigmoid()", 0, 0.25, isa);
    /* kink= overrides every kink of the activation, and only there */
    check_kink("ReLU(kink=0.5)", 0, 0.5, isa);
    check_kink("ReLU(kink=1)", 0, 1, isa);
    check_kink("ReLU(kink=0.5)", 1e-30, 1, isa);
    check_kink("ReLU(kink=0.5)", -1e-30, 0, isa);
    check_kink("ReLU6(kink=0.5)", 6, 0.5, isa);
    check_kink("Hardswish(kink=0.25)", 3, 0.25, isa);
    check_kink("PReLU(kink=1)", 0, 1, isa);
    check_kink("ELU(alpha=2, kink=0.5)", 0, 0.5, isa);
    check_kink("Softshrink(lambd=1, kink=0.5)", -1, 0.5, isa);
    check_kink("Threshold(threshold=-1, value=0, kink=0.5)", -1, 0.5, isa);
}

/* NaN inputs: y and dx (for dy = 1) as PyTorch's scalar code gives them. */
static void test_nan_inputs(al_isa isa)
{
    static const struct { const char *spec; double y_is_nan, dx; } cases[] = {
        {"ReLU()", 1, 1}, {"ReLU6()", 1, 1}, {"Hardtanh()", 1, 1}, {"LeakyReLU()", 1, 0.01},
        {"PReLU()", 1, 0.25}, {"RReLU()", 1, (1.0 / 8 + 1.0 / 3) / 2}, {"ELU(alpha=0.5)", 1, 1},
        {"CELU()", 1, 1}, {"SELU()", 1, 1.0507009873554804934}, {"Hardsigmoid()", 1, 0},
        {"Hardswish()", 1, 1}, {"Softshrink()", 0, 1}, {"Hardshrink()", 1, 1},
        {"Threshold(threshold=0.5, value=-2.0)", 1, 1}, {"Identity()", 1, 1},
        {"GELU()", 1, NAN}, {"SiLU()", 1, NAN}, {"Tanh()", 1, NAN}, {"Softplus()", 1, NAN},
        {"Softsign()", 1, NAN}, {"LogSigmoid()", 1, NAN}, {"Mish()", 1, NAN},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        al_act a = parse_or_die(cases[c].spec);
        al_act_run run = al_act_run_default();
        run.isa = isa;
        float x[19], y[19], dy[19], dx[19], w = 0.25f;
        for (int i = 0; i < 19; i++) {
            x[i] = NAN;
            dy[i] = 1.0f;
        }
        al_act_forward_f32(&a, &run, 19, x, y, &w);
        al_act_backward_f32(&a, &run, 19, x, y, dy, dx, &w, NULL);
        CHECK(cases[c].y_is_nan ? isnan(y[18]) : y[18] == 0.0f, "%s [%s]: f(NaN) = %g", cases[c].spec,
              al_isa_name(isa), (double)y[18]);
        CHECK_NEAR(dx[18], cases[c].dx, 0, 1e-7, "%s [%s]: f'(NaN)", cases[c].spec, al_isa_name(isa));
    }
}

static void test_mish_at_zero(void)
{
    al_act a = parse_or_die("Mish()");
    double y, d;
    al_act_eval_f64(&a, 0, 0, &y, &d);
    CHECK_NEAR(d, 0.6, 1e-12, 0, "Mish'(0) = tanh(log 2) = 0.6");
    a = parse_or_die("SiLU()");
    al_act_eval_f64(&a, -1.27846454276, 0, &y, &d);
    CHECK_NEAR(y, -0.278464542761, 1e-9, 0, "SiLU's minimum");
    CHECK_NEAR(d, 0, 1e-9, 0, "SiLU' = 0 at its minimum");
}

/* E[f(z)] for z ~ N(0, 1) by Simpson's rule, against ACTIVATIONS.md. */
static double gauss_mean(const char *spec, int squared)
{
    al_act a = parse_or_die(spec);
    const int n = 20000;
    const double lo = -12, hi = 12, h = (hi - lo) / n;
    double s = 0;
    for (int i = 0; i <= n; i++) {
        double x = lo + h * i, y, d;
        al_act_eval_f64(&a, x, 0, &y, &d);
        double v = (squared ? y * y : y) * exp(-0.5 * x * x) / sqrt(2 * PI);
        s += v * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }
    return s * h / 3;
}

static void test_closed_forms(void)
{
    CHECK_NEAR(gauss_mean("ReLU()", 0), 1 / sqrt(2 * PI), 1e-9, 0, "E[ReLU(z)]");
    CHECK_NEAR(gauss_mean("ReLU()", 1), 0.5, 1e-9, 0, "E[ReLU(z)^2]");
    CHECK_NEAR(gauss_mean("ELU()", 0), 0.1605, 1e-4, 0, "E[ELU(z)]");
    CHECK_NEAR(gauss_mean("SELU()", 0), 0, 1e-6, 0, "E[SELU(z)]");
    CHECK_NEAR(gauss_mean("SELU()", 1), 1, 1e-6, 0, "E[SELU(z)^2]");
    CHECK_NEAR(gauss_mean("Tanh()", 1), 0.3943, 1e-4, 0, "E[tanh(z)^2]");
    /* max |GELU exact - GELU tanh| on [-10, 10] */
    al_act e = parse_or_die("GELU()"), t = parse_or_die("GELU(approximate='tanh')");
    double worst = 0;
    for (int i = 0; i <= 200000; i++) {
        double x = -10 + 20.0 * i / 200000, ye, yt, d;
        al_act_eval_f64(&e, x, 0, &ye, &d);
        al_act_eval_f64(&t, x, 0, &yt, &d);
        worst = fmax(worst, fabs(ye - yt));
    }
    CHECK_NEAR(worst, 4.73e-4, 1e-6, 0, "max |GELU - GELU_tanh|");
    al_act relu = parse_or_die("ReLU()"), lrelu = parse_or_die("LeakyReLU(negative_slope=0.2)"),
           tanh_a = parse_or_die("Tanh()"), selu = parse_or_die("SELU()");
    CHECK_NEAR(al_act_gain(&relu), sqrt(2.0), 1e-15, 0, "relu gain");
    CHECK_NEAR(al_act_gain(&lrelu), sqrt(2.0 / 1.04), 1e-15, 0, "leaky gain");
    CHECK_NEAR(al_act_gain(&tanh_a), 5.0 / 3.0, 1e-15, 0, "tanh gain");
    CHECK_NEAR(al_act_gain(&selu), 0.75, 1e-15, 0, "selu gain");
}

/* d sum(f(x) g) / d slope against central differences in float64. */
static void test_prelu_slope_gradient(void)
{
    enum { ROWS = 7, C = 3, INNER = 5, N = ROWS * C * INNER };
    double x[N], g[N], y[N], dx[N];
    al_rng rng;
    al_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++) {
        x[i] = al_rng_normal(&rng);
        g[i] = al_rng_normal(&rng);
    }
    x[4] = 0.0;
    const char *cases[] = {"PReLU()", "PReLU(num_parameters=3)"};
    for (int c = 0; c < 2; c++) {
        al_act a = parse_or_die(cases[c]);
        size_t nw = al_act_weight_count(&a);
        al_act_run run = al_act_run_default();
        run.channels = C;
        run.inner = INNER;
        double w[3] = {0.25, -0.1, 0.7}, dw[3] = {0, 0, 0};
        al_act_backward_f64(&a, &run, N, x, y, g, dx, w, dw);
        for (size_t k = 0; k < nw; k++) {
            double h = 1e-6, sp = 0, sn = 0;
            double wp[3] = {w[0], w[1], w[2]}, wn[3] = {w[0], w[1], w[2]};
            wp[k] += h;
            wn[k] -= h;
            al_act_forward_f64(&a, &run, N, x, y, wp);
            for (int i = 0; i < N; i++)
                sp += y[i] * g[i];
            al_act_forward_f64(&a, &run, N, x, y, wn);
            for (int i = 0; i < N; i++)
                sn += y[i] * g[i];
            CHECK_NEAR(dw[k], (sp - sn) / (2 * h), 1e-7, 1e-6, "%s slope %zu gradient", cases[c], k);
        }
        /* float32 path: same gradients, and thread-count independent */
        float xf[N], gf[N], yf[N], dxf[N], wf[3] = {0.25f, -0.1f, 0.7f}, dwf1[3] = {0}, dwf2[3] = {0};
        for (int i = 0; i < N; i++) {
            xf[i] = (float)x[i];
            gf[i] = (float)g[i];
        }
        run.threads = 1;
        al_act_forward_f32(&a, &run, N, xf, yf, wf);
        al_act_backward_f32(&a, &run, N, xf, yf, gf, dxf, wf, dwf1);
        run.threads = 2;
        al_act_backward_f32(&a, &run, N, xf, yf, gf, dxf, wf, dwf2);
        for (size_t k = 0; k < nw; k++) {
            CHECK_NEAR(dwf1[k], dw[k], 1e-5, 1e-5, "%s float32 slope %zu gradient", cases[c], k);
            CHECK(dwf1[k] == dwf2[k], "%s: slope gradient depends on threads", cases[c]);
        }
        for (int i = 0; i < N; i++) {
            size_t ch = nw == 1 ? 0 : (size_t)(i / INNER) % C;
            double want = x[i] > 0 ? g[i] : w[ch] * g[i];
            CHECK_NEAR(dxf[i], want, 1e-6, 1e-6, "%s dx[%d]", cases[c], i);
        }
    }
}

static void test_rrelu(void)
{
    enum { N = 100003 }; /* large enough to run on several threads */
    float *x = malloc(N * sizeof *x), *y1 = malloc(N * sizeof *y1), *y2 = malloc(N * sizeof *y2),
          *y3 = malloc(N * sizeof *y3);
    CHECK(x && y1 && y2 && y3, "allocation");
    for (int i = 0; i < N; i++)
        x[i] = -1.0f - (float)(i % 7);
    al_act a = parse_or_die("RReLU(lower=0.1, upper=0.3)");
    al_act_run run = al_act_run_default();
    run.training = 1;
    run.seed = 7;
    run.threads = 1;
    al_act_forward_f32(&a, &run, N, x, y1, NULL);
    run.threads = 2;
    al_act_forward_f32(&a, &run, N, x, y2, NULL);
    CHECK(memcmp(y1, y2, N * sizeof *y1) == 0, "RReLU: same seed, other thread count, same output");
    run.isa = AL_ISA_GENERIC;
    al_act_forward_f32(&a, &run, N, x, y3, NULL);
    CHECK(memcmp(y1, y3, N * sizeof *y1) == 0, "RReLU: the vector and generic kernels draw the same slopes");
    run.isa = AL_ISA_AUTO;
    run.seed = 8;
    al_act_forward_f32(&a, &run, N, x, y2, NULL);
    CHECK(memcmp(y1, y2, N * sizeof *y1) != 0, "RReLU: another seed, other slopes");
    double sum = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double r = (double)y1[i] / (double)x[i];
        lo = fmin(lo, r);
        hi = fmax(hi, r);
        sum += r;
    }
    CHECK(lo >= 0.1 - 1e-6 && hi <= 0.3 + 1e-6, "RReLU slopes in [0.1, 0.3]: [%g, %g]", lo, hi);
    CHECK_NEAR(sum / N, 0.2, 2e-3, 0, "RReLU mean slope");
    /* offset continues the stream: elements [k, N) with offset k match */
    run.seed = 7;
    run.offset = 1000;
    al_act_forward_f32(&a, &run, N - 1000, x + 1000, y3, NULL);
    CHECK(memcmp(y1 + 1000, y3, (N - 1000) * sizeof *y1) == 0, "RReLU: offset continues the stream");
    free(x); free(y1); free(y2); free(y3);
}

static void expect_error(const char *spec, const char *needle)
{
    al_act a;
    al_error err = {0};
    al_status st = al_act_parse(spec, &a, &err);
    CHECK(st != AL_OK, "%s should be refused", spec);
    CHECK(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", spec, err.message, needle);
}

static void test_parse_errors(void)
{
    expect_error("Relu()", "'ReLU'");
    expect_error("LeakyRelu()", "'LeakyReLU'");
    expect_error("Sigmiod()", "'Sigmoid'");
    expect_error("ELU(alpha='x')", "column 11");
    expect_error("ELU(alpha='x')", "any finite number");
    expect_error("ELU(alpha=inf)", "out of range");
    expect_error("Softshrink(lambd=-1)", "out of range");
    expect_error("Softshrink(lambd=-1)", ">= 0");
    expect_error("Threshold(threshold=1)", "needs 'value'");
    expect_error("ReLU(foo=1)", "has no parameter 'foo'");
    expect_error("ReLU(foo=1)", "kink");
    expect_error("GELU(kink=1)", "has no parameter 'kink'");
    expect_error("GELU(approximate='fast')", "'none' or 'tanh'");
    expect_error("PReLU(num_parameters=2.5)", "integer");
    expect_error("PReLU(num_parameters=0)", "out of range");
    expect_error("ELU(1, True, 3)", "positional");
    expect_error("ELU(1, 2)", "True or False");
    expect_error("ELU(alpha=1, alpha=2)", "twice");
    expect_error("RReLU(lower=0.5, upper=0.1)", "lower must not exceed upper");
    expect_error("CELU(alpha=0)", "must not be 0");
    expect_error("Hardtanh(min_val=1, max_val=1)", "greater than min_val");
    expect_error("ReLU(), ReLU()", "one activation");
    expect_error("ReLU(kink=nan)", "finite");
    /* and what should be accepted */
    al_act a;
    al_error err = {0};
    CHECK(al_act_parse("ReLU(inplace=True)", &a, &err) == AL_OK, "inplace is accepted: %s", err.message);
    CHECK(al_act_parse("ELU(0.5)", &a, &err) == AL_OK && a.param[0] == 0.5, "positional alpha");
    CHECK(al_act_parse("Threshold(0.1, 20)", &a, &err) == AL_OK && a.param[1] == 20, "positional threshold");
    char buf[128];
    al_act_parse("ELU(alpha=0.5, kink=1)", &a, &err);
    al_act_format(&a, buf, sizeof buf);
    CHECK(strcmp(buf, "ELU(alpha=0.5, kink=1)") == 0, "format: %s", buf);
    al_act_parse("GELU(approximate='tanh')", &a, &err);
    al_act_format(&a, buf, sizeof buf);
    CHECK(strcmp(buf, "GELU(approximate='tanh')") == 0, "format: %s", buf);
}

int main(void)
{
    al_isa isas[] = {AL_ISA_GENERIC, AL_ISA_AVX2, AL_ISA_AVX512};
    for (int i = 0; i < 3; i++) {
        if (isas[i] > al_isa_best()) {
            fprintf(stderr, "-- skipping %s: not supported by this CPU or build\n", al_isa_name(isas[i]));
            continue;
        }
        CHECK_SECTION(al_isa_name(isas[i]));
        test_against_reference(isas[i]);
        test_kinks(isas[i]);
        test_nan_inputs(isas[i]);
    }
    CHECK_SECTION("finite differences");
    test_finite_differences();
    CHECK_SECTION("closed forms");
    test_mish_at_zero();
    test_closed_forms();
    CHECK_SECTION("prelu");
    test_prelu_slope_gradient();
    CHECK_SECTION("rrelu");
    test_rrelu();
    CHECK_SECTION("parse errors");
    test_parse_errors();
    return check_summary("test_act");
}
