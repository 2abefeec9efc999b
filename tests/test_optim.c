/* Optimizers, schedules and clipping: one- and two-step updates against
 * values worked out in double here, five-step trajectories against PyTorch
 * 1.13 (tests/fixtures/optim, made by scripts/make_optim_fixtures.py),
 * bit-identical resume from exported state, option validation, schedules
 * against their closed forms and every schedule parse error. */
#include "actlab/optim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/npy.h"
#include "check.h"

#ifndef AL_FIXTURES
#define AL_FIXTURES "tests/fixtures"
#endif

#define REL_TOL 1e-6
/* actlab reproduces torch's roundings (see src/optim/optim.c), so the
 * fixtures must match bit for bit; REL_TOL is what the hand checks allow. */

/* A two-tensor model: "0.weight" (decayed) and "1.weight" (no_decay). */
#define NW 37 /* the fixtures' tensor sizes */
#define NS 21
#define NT (NW + NS)

typedef struct model {
    float w[NW], gw[NW], s[NS], gs[NS];
    al_param_ref refs[2];
} model;

static void model_init(model *m, size_t nw, size_t ns)
{
    memset(m, 0, sizeof *m);
    m->refs[0] = (al_param_ref){"0.weight", m->w, m->gw, nw, 0};
    m->refs[1] = (al_param_ref){"1.weight", m->s, m->gs, ns, 1};
}

static al_optim *make(const al_optim_options *o, model *m, size_t n_params)
{
    al_optim *opt = NULL;
    al_error err = {0};
    al_status st = al_optim_create(o, m->refs, n_params, &opt, &err);
    CHECK(st == AL_OK, "al_optim_create: %s", err.message);
    return opt;
}

static void step(al_optim *opt, double lr)
{
    al_error err = {0};
    al_status st = al_optim_step(opt, lr, &err);
    CHECK(st == AL_OK, "al_optim_step: %s", err.message);
}

/* ---- SGD by hand ------------------------------------------------------ */

static void test_sgd_by_hand(void)
{
    CHECK_SECTION("sgd by hand");
    model m;
    al_optim_options o = al_optim_options_for(AL_OPT_SGD);

    /* plain: p -= lr * g */
    model_init(&m, 2, 0);
    m.w[0] = 1.0f; m.w[1] = -2.0f; m.gw[0] = 0.5f; m.gw[1] = 0.25f;
    al_optim *opt = make(&o, &m, 1);
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.95, 0, REL_TOL, "plain w0");
    CHECK_NEAR(m.w[1], -2.025, 0, REL_TOL, "plain w1");
    CHECK(al_optim_state_count(opt) == 0, "plain SGD keeps no state");
    al_optim_free(opt);

    /* momentum 0.9: step 1 buf = g; step 2 buf = 0.9 buf + g */
    o.momentum = 0.9;
    model_init(&m, 1, 0);
    m.w[0] = 1.0f; m.gw[0] = 0.5f;
    opt = make(&o, &m, 1);
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.95, 0, REL_TOL, "momentum step 1");
    m.gw[0] = -1.0f;
    step(opt, 0.1);
    CHECK_NEAR(al_optim_state_view(opt, 0).value[0], -0.55, 0, REL_TOL, "momentum buffer");
    CHECK_NEAR(m.w[0], 1.005, 0, REL_TOL, "momentum step 2");
    al_optim_free(opt);

    /* nesterov: d = g + 0.9 buf */
    o.nesterov = 1;
    model_init(&m, 1, 0);
    m.w[0] = 1.0f; m.gw[0] = 0.5f;
    opt = make(&o, &m, 1);
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.905, 0, REL_TOL, "nesterov step 1");
    m.gw[0] = -1.0f;
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.905 + 0.1 * 1.495, 0, REL_TOL, "nesterov step 2");
    al_optim_free(opt);

    /* dampening 0.5: not applied on the first step (buf = g), then
     * buf = 0.9 buf + 0.5 g */
    o.nesterov = 0;
    o.dampening = 0.5;
    model_init(&m, 1, 0);
    m.w[0] = 1.0f; m.gw[0] = 0.5f;
    opt = make(&o, &m, 1);
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.95, 0, REL_TOL, "dampening step 1");
    m.gw[0] = -1.0f;
    step(opt, 0.1);
    CHECK_NEAR(m.w[0], 0.95 + 0.1 * 0.05, 0, REL_TOL, "dampening step 2");
    al_optim_free(opt);

    /* weight decay 0.1 on the decayed tensor only, unless decay_all */
    o = al_optim_options_for(AL_OPT_SGD);
    o.weight_decay = 0.1;
    for (int decay_all = 0; decay_all <= 1; decay_all++) {
        o.decay_all = decay_all;
        model_init(&m, 1, 1);
        m.w[0] = 1.0f; m.gw[0] = 0.5f;
        m.s[0] = 1.0f; m.gs[0] = 0.5f;
        opt = make(&o, &m, 2);
        step(opt, 0.1);
        CHECK_NEAR(m.w[0], 1.0 - 0.1 * (0.5 + 0.1), 0, REL_TOL, "decayed tensor");
        CHECK_NEAR(m.s[0], decay_all ? 0.94 : 0.95, 0, REL_TOL, "no_decay tensor, decay_all %d",
                   decay_all);
        al_optim_free(opt);
    }
}

/* ---- Adam, AdamW, RMSprop by hand (double references) ------------------ */

/* Two Adam(W) steps on one scalar in double. */
static double adam_ref(double p, const double g[2], double lr, double b1, double b2, double eps,
                       double wd, int decoupled)
{
    double m = 0, v = 0;
    for (int t = 1; t <= 2; t++) {
        double gt = g[t - 1];
        if (decoupled)
            p *= 1 - lr * wd;
        else
            gt += wd * p;
        m = b1 * m + (1 - b1) * gt;
        v = b2 * v + (1 - b2) * gt * gt;
        double mhat = m / (1 - pow(b1, t));
        double denom = sqrt(v) / sqrt(1 - pow(b2, t)) + eps;
        p -= lr * mhat / denom;
    }
    return p;
}

/* Two RMSprop steps on one scalar in double. */
static double rmsprop_ref(double p, const double g[2], double lr, double alpha, double eps,
                          double momentum, int centered)
{
    double sq = 0, ga = 0, buf = 0;
    for (int t = 0; t < 2; t++) {
        sq = alpha * sq + (1 - alpha) * g[t] * g[t];
        double avg;
        if (centered) {
            ga = alpha * ga + (1 - alpha) * g[t];
            avg = sqrt(sq - ga * ga) + eps;
        } else {
            avg = sqrt(sq) + eps;
        }
        if (momentum > 0) {
            buf = momentum * buf + g[t] / avg;
            p -= lr * buf;
        } else {
            p -= lr * g[t] / avg;
        }
    }
    return p;
}

static void run_two_steps(const al_optim_options *o, float p0, const double g[2], float *after1,
                          float *after2)
{
    model m;
    model_init(&m, 1, 0);
    m.w[0] = p0;
    al_optim *opt = make(o, &m, 1);
    m.gw[0] = (float)g[0];
    step(opt, o->lr);
    *after1 = m.w[0];
    m.gw[0] = (float)g[1];
    step(opt, o->lr);
    *after2 = m.w[0];
    CHECK(al_optim_step_count(opt) == 2, "step count %ld", al_optim_step_count(opt));
    al_optim_free(opt);
}

static void test_adaptive_by_hand(void)
{
    CHECK_SECTION("adam, adamw, rmsprop by hand");
    const double g[2] = {0.5, -0.25};
    float a1, a2;

    /* Adam's first step moves by lr * g / (|g| + eps): bias correction undoes
     * the moving averages' start at zero. */
    al_optim_options o = al_optim_options_for(AL_OPT_ADAM);
    o.lr = 0.01;
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a1, 1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 0, REL_TOL, "adam step 1");
    CHECK_NEAR(a2, adam_ref(1.0, g, 0.01, 0.9, 0.999, 1e-8, 0, 0), 0, REL_TOL, "adam step 2");

    o.weight_decay = 0.1;
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a2, adam_ref(1.0, g, 0.01, 0.9, 0.999, 1e-8, 0.1, 0), 0, REL_TOL, "adam wd");

    o = al_optim_options_for(AL_OPT_ADAMW);
    o.lr = 0.01;
    o.weight_decay = 0.1;
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a1, 1.0 * (1 - 0.01 * 0.1) - 0.01 * 0.5 / (0.5 + 1e-8), 0, REL_TOL, "adamw step 1");
    CHECK_NEAR(a2, adam_ref(1.0, g, 0.01, 0.9, 0.999, 1e-8, 0.1, 1), 0, REL_TOL, "adamw step 2");

    o = al_optim_options_for(AL_OPT_RMSPROP);
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a1, 1.0 - 0.01 * 0.5 / (sqrt(0.01) * 0.5 + 1e-8), 0, REL_TOL, "rmsprop step 1");
    CHECK_NEAR(a2, rmsprop_ref(1.0, g, 0.01, 0.99, 1e-8, 0, 0), 0, REL_TOL, "rmsprop step 2");

    o.centered = 1;
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a1, 1.0 - 0.01 * 0.5 / (0.5 * sqrt(0.01 * 0.99) + 1e-8), 0, REL_TOL,
               "centered rmsprop step 1");
    CHECK_NEAR(a2, rmsprop_ref(1.0, g, 0.01, 0.99, 1e-8, 0, 1), 0, REL_TOL,
               "centered rmsprop step 2");

    o.momentum = 0.9;
    run_two_steps(&o, 1.0f, g, &a1, &a2);
    CHECK_NEAR(a2, rmsprop_ref(1.0, g, 0.01, 0.99, 1e-8, 0.9, 1), 0, REL_TOL,
               "centered rmsprop with momentum");
}

/* ---- PyTorch trajectories --------------------------------------------- */

typedef struct torch_case {
    const char *name;
    al_optim_options options;
} torch_case;

static const double lr_factors[5] = {1.0, 0.5, 0.25, 1.0, 2.0};

/* Distance in float32 ulps (units in the last place of the larger). */
static double ulps(float got, float want)
{
    if (got == want)
        return 0;
    float big = fabsf(got) > fabsf(want) ? fabsf(got) : fabsf(want);
    float ulp = nextafterf(big, INFINITY) - big;
    return fabs((double)got - (double)want) / (double)ulp;
}

static void replay(const torch_case *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/optim/%s.npy", AL_FIXTURES, c->name);
    al_array a;
    al_error err = {0};
    if (al_npy_read(path, &a, &err) != AL_OK) {
        CHECK(0, "%s", err.message);
        return;
    }
    int layout_ok = a.dtype == AL_DTYPE_F32 && a.rank == 2 && a.shape[0] == 11 && a.shape[1] == NT;
    CHECK(layout_ok, "%s: unexpected fixture layout", c->name);
    if (!layout_ok) {
        al_array_free(&a);
        return;
    }
    const float *t = a.data;
    model m;
    model_init(&m, NW, NS);
    memcpy(m.w, t, NW * sizeof(float));
    memcpy(m.s, t + NW, NS * sizeof(float));
    al_optim *opt = make(&c->options, &m, 2);
    double worst = 0;
    for (int k = 0; k < 5 && opt; k++) {
        memcpy(m.gw, t + (1 + k) * NT, NW * sizeof(float));
        memcpy(m.gs, t + (1 + k) * NT + NW, NS * sizeof(float));
        step(opt, c->options.lr * lr_factors[k]);
        const float *want = t + (6 + k) * NT;
        for (int j = 0; j < NT; j++) {
            float got = j < NW ? m.w[j] : m.s[j - NW];
            CHECK_NEAR(got, want[j], 1e-7, REL_TOL, "%s: step %d, element %d", c->name, k + 1, j);
            CHECK(memcmp(&got, &want[j], sizeof got) == 0, "%s: step %d, element %d: %.9g is not "
                  "torch's %.9g bit for bit", c->name, k + 1, j, got, want[j]);
            double u = ulps(got, want[j]);
            if (u > worst)
                worst = u;
        }
    }
    fprintf(stderr, "   %-20s worst difference from torch: %.0f ulp\n", c->name, worst);
    al_optim_free(opt);
    al_array_free(&a);
}

static void test_against_torch(void)
{
    CHECK_SECTION("5-step trajectories against torch 1.13");
    torch_case cases[11];
    int n = 0;
    al_optim_options o;

    o = al_optim_options_for(AL_OPT_SGD); o.lr = 0.1;
    cases[n++] = (torch_case){"sgd_plain", o};
    o = al_optim_options_for(AL_OPT_SGD); o.lr = 0.05; o.momentum = 0.9; o.weight_decay = 0.01;
    cases[n++] = (torch_case){"sgd_momentum_wd", o};
    o = al_optim_options_for(AL_OPT_SGD); o.lr = 0.05; o.momentum = 0.9; o.nesterov = 1;
    o.weight_decay = 1e-3;
    cases[n++] = (torch_case){"sgd_nesterov", o};
    o = al_optim_options_for(AL_OPT_SGD); o.lr = 0.1; o.momentum = 0.8; o.dampening = 0.3;
    cases[n++] = (torch_case){"sgd_dampening", o};
    o = al_optim_options_for(AL_OPT_ADAM); o.lr = 1e-2;
    cases[n++] = (torch_case){"adam", o};
    o = al_optim_options_for(AL_OPT_ADAM); o.lr = 1e-2; o.beta1 = 0.8; o.beta2 = 0.99; o.eps = 1e-6;
    o.weight_decay = 0.05;
    cases[n++] = (torch_case){"adam_wd", o};
    o = al_optim_options_for(AL_OPT_ADAM); o.lr = 1e-2; o.amsgrad = 1;
    cases[n++] = (torch_case){"adam_amsgrad", o};
    o = al_optim_options_for(AL_OPT_ADAMW); o.lr = 1e-2; o.weight_decay = 0.1;
    cases[n++] = (torch_case){"adamw", o};
    o = al_optim_options_for(AL_OPT_RMSPROP); o.lr = 1e-2;
    cases[n++] = (torch_case){"rmsprop", o};
    o = al_optim_options_for(AL_OPT_RMSPROP); o.lr = 1e-2; o.alpha = 0.9; o.centered = 1;
    cases[n++] = (torch_case){"rmsprop_centered", o};
    o = al_optim_options_for(AL_OPT_RMSPROP); o.lr = 1e-2; o.momentum = 0.9; o.centered = 1;
    o.weight_decay = 0.01; o.eps = 1e-6;
    cases[n++] = (torch_case){"rmsprop_momentum_wd", o};

    for (int i = 0; i < n; i++)
        replay(&cases[i]);
}

/* ---- state export / import -------------------------------------------- */

static void fill_grads(model *m, int k)
{
    for (int j = 0; j < 7; j++)
        m->gw[j] = (float)sin(1.7 * k + 0.3 * j) * (j == 3 ? 0.01f : 1.0f);
    for (int j = 0; j < 3; j++)
        m->gs[j] = (float)cos(0.9 * k - 0.5 * j);
}

static void check_resume(const char *label, const al_optim_options *o, const char *want_view)
{
    model full, half;
    model_init(&full, 7, 3);
    model_init(&half, 7, 3);
    for (int j = 0; j < 7; j++)
        full.w[j] = half.w[j] = 0.25f * (float)j - 0.6f;
    for (int j = 0; j < 3; j++)
        full.s[j] = half.s[j] = 1.0f + 0.1f * (float)j;

    al_optim *a = make(o, &full, 2);
    for (int k = 0; k < 6; k++) {
        fill_grads(&full, k);
        step(a, o->lr * (1.0 + 0.1 * k));
    }

    /* The interrupted run: 3 steps, export, new optimizer, import, 3 more. */
    al_optim *b = make(o, &half, 2);
    for (int k = 0; k < 3; k++) {
        fill_grads(&half, k);
        step(b, o->lr * (1.0 + 0.1 * k));
    }
    size_t n = al_optim_state_count(b);
    int found = 0;
    float saved[8][16];
    char names[8][64];
    size_t counts[8];
    CHECK(n <= 8, "%s: %zu state buffers", label, n);
    for (size_t i = 0; i < n && i < 8; i++) {
        al_param_ref v = al_optim_state_view(b, i);
        CHECK(v.grad == NULL && v.count <= 16, "%s: view %zu", label, i);
        snprintf(names[i], sizeof names[i], "%s", v.name);
        counts[i] = v.count;
        memcpy(saved[i], v.value, v.count * sizeof(float));
        if (strcmp(v.name, want_view) == 0)
            found = 1;
    }
    CHECK(found, "%s: no state named %s", label, want_view);
    long steps = al_optim_step_count(b);
    al_optim_free(b);

    al_optim *c = make(o, &half, 2);
    al_error err = {0};
    for (size_t i = 0; i < n && i < 8; i++)
        CHECK(al_optim_state_import(c, names[i], saved[i], counts[i], &err) == AL_OK, "%s: %s",
              label, err.message);
    CHECK(al_optim_set_step_count(c, steps, &err) == AL_OK, "%s: %s", label, err.message);
    for (int k = 3; k < 6; k++) {
        fill_grads(&half, k);
        step(c, o->lr * (1.0 + 0.1 * k));
    }
    CHECK(memcmp(full.w, half.w, sizeof full.w) == 0 && memcmp(full.s, half.s, sizeof full.s) == 0,
          "%s: resumed run differs from the uninterrupted one", label);
    CHECK(al_optim_step_count(c) == 6, "%s: step count %ld", label, al_optim_step_count(c));

    /* Refusals: a name of another optimizer, a wrong count, a negative step. */
    CHECK(al_optim_state_import(c, "0.weight.no_such_state", saved[0], 7, &err) == AL_ERR_INVALID,
          "%s: unknown state accepted", label);
    CHECK(strstr(err.message, "0.weight.no_such_state") != NULL, "message: %s", err.message);
    if (n > 0) {
        CHECK(al_optim_state_import(c, names[0], saved[0], counts[0] + 1, &err) == AL_ERR_SHAPE,
              "%s: wrong count accepted", label);
        CHECK(strstr(err.message, names[0]) != NULL, "message: %s", err.message);
    }
    CHECK(al_optim_set_step_count(c, -1, &err) == AL_ERR_INVALID, "negative step count accepted");
    al_optim_free(a);
    al_optim_free(c);
}

static void test_resume(void)
{
    CHECK_SECTION("state export/import resumes bit-identically");
    al_optim_options o = al_optim_options_for(AL_OPT_SGD);
    o.momentum = 0.9;
    o.nesterov = 1;
    o.weight_decay = 0.01;
    check_resume("sgd", &o, "0.weight.momentum_buffer");
    o = al_optim_options_for(AL_OPT_ADAM);
    o.amsgrad = 1;
    check_resume("adam", &o, "1.weight.max_exp_avg_sq");
    o = al_optim_options_for(AL_OPT_ADAMW);
    check_resume("adamw", &o, "0.weight.exp_avg_sq");
    o = al_optim_options_for(AL_OPT_RMSPROP);
    o.centered = 1;
    o.momentum = 0.5;
    check_resume("rmsprop", &o, "1.weight.grad_avg");

    /* The view names and counts for Adam. */
    model m;
    model_init(&m, 7, 3);
    o = al_optim_options_for(AL_OPT_ADAM);
    al_optim *opt = make(&o, &m, 2);
    CHECK(al_optim_state_count(opt) == 4, "adam: %zu views", al_optim_state_count(opt));
    const char *want[4] = {"0.weight.exp_avg", "0.weight.exp_avg_sq", "1.weight.exp_avg",
                           "1.weight.exp_avg_sq"};
    for (size_t i = 0; i < 4; i++) {
        al_param_ref v = al_optim_state_view(opt, i);
        CHECK(v.name && strcmp(v.name, want[i]) == 0, "view %zu is %s", i, v.name);
        CHECK(v.count == (i < 2 ? 7u : 3u), "view %zu count %zu", i, v.count);
    }
    CHECK(al_optim_state_view(opt, 4).value == NULL, "view past the end");
    al_optim_free(opt);
}

/* ---- validation -------------------------------------------------------- */

static void expect_create_refusal(const char *label, const al_optim_options *o, size_t n_params,
                                  const char *want_text)
{
    model m;
    model_init(&m, 2, 1);
    al_optim *opt = (al_optim *)&m; /* garbage: must be set to NULL */
    al_error err = {0};
    al_status st = al_optim_create(o, m.refs, n_params, &opt, &err);
    CHECK(st == AL_ERR_INVALID, "%s: status %d", label, (int)st);
    CHECK(opt == NULL, "%s: out not cleared", label);
    CHECK(strstr(err.message, want_text) != NULL, "%s: message lacks '%s': %s", label, want_text,
          err.message);
}

static void test_validation(void)
{
    CHECK_SECTION("option validation");
    al_optim_options o = al_optim_options_for(AL_OPT_SGD);
    o.lr = -0.1;
    expect_create_refusal("sgd lr", &o, 2, "lr");
    o.lr = NAN;
    expect_create_refusal("sgd lr nan", &o, 2, "lr");
    o = al_optim_options_for(AL_OPT_SGD);
    o.momentum = -0.5;
    expect_create_refusal("sgd momentum", &o, 2, "momentum");
    o = al_optim_options_for(AL_OPT_SGD);
    o.weight_decay = -1;
    expect_create_refusal("sgd weight decay", &o, 2, "weight_decay");
    o = al_optim_options_for(AL_OPT_SGD);
    o.nesterov = 1;
    expect_create_refusal("nesterov without momentum", &o, 2, "nesterov");
    o.momentum = 0.9;
    o.dampening = 0.1;
    expect_create_refusal("nesterov with dampening", &o, 2, "dampening 0");
    o = al_optim_options_for(AL_OPT_ADAM);
    o.beta1 = 1.0;
    expect_create_refusal("adam beta1", &o, 2, "beta1");
    o = al_optim_options_for(AL_OPT_ADAMW);
    o.beta2 = -0.1;
    expect_create_refusal("adamw beta2", &o, 2, "beta2");
    o = al_optim_options_for(AL_OPT_ADAM);
    o.eps = -1e-8;
    expect_create_refusal("adam eps", &o, 2, "eps");
    o = al_optim_options_for(AL_OPT_RMSPROP);
    o.alpha = -0.5;
    expect_create_refusal("rmsprop alpha", &o, 2, "alpha");
    o = al_optim_options_for(AL_OPT_RMSPROP);
    o.momentum = -1;
    expect_create_refusal("rmsprop momentum", &o, 2, "momentum");
    o = al_optim_options_for(AL_OPT_ADAM);
    expect_create_refusal("no params", &o, 0, "empty parameter list");

    /* A tensor without a grad is named. */
    model m;
    model_init(&m, 2, 1);
    m.refs[1].grad = NULL;
    al_optim *opt = NULL;
    al_error err = {0};
    CHECK(al_optim_create(&o, m.refs, 2, &opt, &err) == AL_ERR_INVALID, "missing grad accepted");
    CHECK(strstr(err.message, "1.weight") != NULL, "message: %s", err.message);

    /* The rate given to a step is checked too. */
    model_init(&m, 2, 1);
    opt = make(&o, &m, 2);
    CHECK(al_optim_step(opt, -1e-3, &err) == AL_ERR_INVALID, "negative step lr accepted");
    CHECK(al_optim_step(opt, INFINITY, &err) == AL_ERR_INVALID, "infinite step lr accepted");
    CHECK(al_optim_step_count(opt) == 0, "a refused step counted");
    al_optim_free(opt);
    al_optim_free(NULL);

    /* Kind names. */
    al_optim_kind kind = AL_OPT_SGD;
    const char *names[4] = {"sgd", "adam", "AdamW", "rmsprop"};
    for (int i = 0; i < 4; i++) {
        CHECK(al_optim_parse_kind(names[i], &kind, &err) == AL_OK && (int)kind == i, "parse %s",
              names[i]);
    }
    CHECK(strcmp(al_optim_kind_name(AL_OPT_ADAMW), "adamw") == 0, "kind name");
    CHECK(al_optim_parse_kind("adagrad", &kind, &err) == AL_ERR_INVALID, "adagrad accepted");
    CHECK(strstr(err.message, "adagrad") && strstr(err.message, "sgd, adam, adamw, rmsprop"),
          "message: %s", err.message);
    o = al_optim_options_for(AL_OPT_ADAMW);
    CHECK(o.lr == 1e-3 && o.weight_decay == 1e-2 && o.beta1 == 0.9 && o.beta2 == 0.999 &&
              o.eps == 1e-8,
          "adamw defaults");
}

/* ---- clipping ----------------------------------------------------------- */

static void test_clip(void)
{
    CHECK_SECTION("gradient clipping");
    model m;
    model_init(&m, 2, 1);
    m.gw[0] = 3.0f; m.gw[1] = 4.0f; m.gs[0] = 12.0f;
    double norm = al_clip_grad_norm(m.refs, 2, 100.0);
    CHECK_NEAR(norm, 13.0, 0, 1e-12, "norm");
    CHECK(m.gw[0] == 3.0f && m.gw[1] == 4.0f && m.gs[0] == 12.0f, "no clipping below max_norm");

    norm = al_clip_grad_norm(m.refs, 2, 1.0);
    CHECK_NEAR(norm, 13.0, 0, 1e-12, "norm before clipping");
    float coef = (float)(1.0 / (13.0 + 1e-6));
    CHECK(m.gw[0] == 3.0f * coef && m.gw[1] == 4.0f * coef && m.gs[0] == 12.0f * coef, "clipped");
    CHECK_NEAR(al_clip_grad_norm(m.refs, 2, 1.0), 1.0, 1e-6, 0, "norm after clipping");

    float before = m.gw[1];
    m.gw[0] = INFINITY;
    norm = al_clip_grad_norm(m.refs, 2, 1.0);
    CHECK(isinf(norm) && m.gw[1] == before, "infinite norm leaves grads alone");
    m.gw[0] = NAN;
    CHECK(isnan(al_clip_grad_norm(m.refs, 2, 1.0)), "NaN norm reported");

    /* Large grads whose squares overflow float but not double. */
    m.gw[0] = 3e20f; m.gw[1] = 4e20f; m.gs[0] = 0.0f;
    CHECK_NEAR(al_clip_grad_norm(m.refs, 2, 1.0), 5e20, 0, 1e-6, "norm of large grads");
}

/* ---- schedules ---------------------------------------------------------- */

static al_schedule parse_ok(const char *text)
{
    al_schedule s = al_schedule_default();
    al_error err = {0};
    CHECK(al_schedule_parse(text, &s, &err) == AL_OK, "parse '%s': %s", text, err.message);
    return s;
}

static void expect_schedule_refusal(const char *text, const char *want_text)
{
    al_schedule s = al_schedule_default();
    al_error err = {0};
    al_status st = al_schedule_parse(text, &s, &err);
    CHECK(st == AL_ERR_PARSE, "'%s': status %d", text, (int)st);
    CHECK(strstr(err.message, want_text) != NULL, "'%s': message lacks '%s': %s", text, want_text,
          err.message);
}

static double cosine(double base, double eta_min, double t, double t_max)
{
    return eta_min + (base - eta_min) * (1 + cos(3.14159265358979323846 * t / t_max)) / 2;
}

static void test_schedules(void)
{
    CHECK_SECTION("schedules");
    const double base = 0.1;
    al_schedule s = parse_ok("constant");
    CHECK(al_schedule_lr(&s, base, 0) == base && al_schedule_lr(&s, base, 123456) == base,
          "constant");

    s = parse_ok("step:30:0.1");
    CHECK(al_schedule_lr(&s, base, 0) == base && al_schedule_lr(&s, base, 29) == base, "step <30");
    CHECK_NEAR(al_schedule_lr(&s, base, 30), 0.01, 0, 1e-15, "step 30");
    CHECK_NEAR(al_schedule_lr(&s, base, 61), 0.001, 0, 1e-15, "step 61");

    s = parse_ok("cosine:100");
    CHECK(al_schedule_lr(&s, base, 0) == base, "cosine start");
    CHECK_NEAR(al_schedule_lr(&s, base, 50), 0.05, 0, 1e-15, "cosine middle");
    CHECK_NEAR(al_schedule_lr(&s, base, 100), 0.0, 1e-18, 0, "cosine end");
    CHECK_NEAR(al_schedule_lr(&s, base, 37), cosine(base, 0, 37, 100), 0, 1e-15, "cosine 37");
    s = parse_ok("cosine:100:0.001");
    CHECK_NEAR(al_schedule_lr(&s, base, 100), 0.001, 0, 1e-15, "cosine eta_min");
    CHECK_NEAR(al_schedule_lr(&s, base, 20), cosine(base, 0.001, 20, 100), 0, 1e-15, "cosine 20");

    /* cosine without T_max takes the run's steps after warm-up. */
    s = parse_ok("warmup:10,cosine");
    CHECK(s.warmup_steps == 10 && s.t_max == 0, "warmup parse");
    al_error err = {0};
    CHECK(al_schedule_resolve(&s, 110, &err) == AL_OK && s.t_max == 100, "resolve: %s",
          err.message);
    CHECK_NEAR(al_schedule_lr(&s, base, 0), base / 3, 0, 1e-15, "warm-up start (1/3)");
    CHECK_NEAR(al_schedule_lr(&s, base, 5), base * (1.0 / 3 + 2.0 / 3 * 0.5), 0, 1e-15,
               "warm-up middle");
    CHECK(al_schedule_lr(&s, base, 10) == base, "main schedule starts at 0 after warm-up");
    CHECK_NEAR(al_schedule_lr(&s, base, 60), 0.05, 0, 1e-15, "cosine after warm-up");
    s = parse_ok("warmup:4:0.1,step:2:0.5");
    CHECK_NEAR(al_schedule_lr(&s, base, 2), base * (0.1 + 0.9 * 0.5), 0, 1e-15, "warm-up factor");
    CHECK_NEAR(al_schedule_lr(&s, base, 7), base * 0.5, 0, 1e-15, "step after warm-up");

    s = parse_ok("warmup:10,cosine");
    CHECK(al_schedule_resolve(&s, 10, &err) == AL_ERR_INVALID, "resolve of a too short run");
    CHECK(strstr(err.message, "warm-up") != NULL, "message: %s", err.message);
    s = parse_ok("cosine");
    CHECK(al_schedule_resolve(&s, 0, &err) == AL_ERR_INVALID, "resolve with no steps");
    CHECK(al_schedule_lr(&s, base, 5) == base, "unresolved cosine is constant");

    /* format gives back what parse takes. */
    const char *texts[] = {"constant", "step:30:0.1", "cosine", "cosine:100",
                           "cosine:100:0.001", "warmup:500,cosine", "warmup:4:0.1,step:2:0.5"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        al_schedule a = parse_ok(texts[i]), b;
        char buf[128];
        al_schedule_format(&a, buf, sizeof buf);
        b = parse_ok(buf);
        CHECK(memcmp(&a, &b, sizeof a) == 0, "format round trip of '%s' via '%s'", texts[i], buf);
    }

    expect_schedule_refusal("", "empty schedule");
    expect_schedule_refusal("bogus", "unknown schedule 'bogus'");
    expect_schedule_refusal("bogus", "cosine:T_MAX");
    expect_schedule_refusal("constant:1", "no arguments");
    expect_schedule_refusal("step:30", "step:S:G");
    expect_schedule_refusal("step:0:0.1", "step size '0'");
    expect_schedule_refusal("step:x:0.1", "step size 'x'");
    expect_schedule_refusal("step:30:abc", "gamma 'abc'");
    expect_schedule_refusal("step:30:-1", "gamma '-1'");
    expect_schedule_refusal("cosine:-5", "T_MAX '-5'");
    expect_schedule_refusal("cosine:10:x", "ETA_MIN 'x'");
    expect_schedule_refusal("cosine:1:2:3", "at most");
    expect_schedule_refusal("warmup:10", "main schedule after a comma");
    expect_schedule_refusal("warmup:10,", "main schedule after a comma");
    expect_schedule_refusal("warmup,cosine", "warmup:N");
    expect_schedule_refusal("warmup:x,cosine", "warm-up steps 'x'");
    expect_schedule_refusal("warmup:10:2,cosine", "start factor '2'");
    expect_schedule_refusal("warmup:10,warmup:5,cosine", "only one main schedule");
    expect_schedule_refusal("cosine,step:1:1", "only one main schedule");
    expect_schedule_refusal("warmup:10,bogus", "unknown schedule 'bogus'");
    expect_schedule_refusal("cosine:10:0.1:warmup", "at most");
}

int main(void)
{
    test_sgd_by_hand();
    test_adaptive_by_hand();
    test_against_torch();
    test_resume();
    test_validation();
    test_clip();
    test_schedules();
    return check_summary("test_optim");
}
