/* Gradient check: passes on correct nets, counts kink straddles apart,
 * catches a deliberately wrong derivative, refuses random layers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "actlab/gradcheck.h"
#include "check.h"

static al_net *make_net(const char *spec, uint64_t seed)
{
    al_net_options o = al_net_options_default();
    o.seed = seed;
    al_net *net = NULL;
    al_error err = {0};
    al_status st = al_net_create(spec, &o, &net, &err);
    CHECK(st == AL_OK, "%s: %s", spec, err.message);
    return net;
}

static float *random_batch(size_t rows, size_t cols, uint64_t seed)
{
    float *x = malloc(rows * cols * sizeof *x);
    CHECK(x != NULL, "out of memory");
    if (!x)
        return NULL;
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t k = 0; k < rows * cols; k++)
        x[k] = (float)al_rng_normal(&rng);
    return x;
}

static const al_gradcheck_tensor *find_tensor(const al_gradcheck_report *r, const char *name)
{
    for (int t = 0; t < r->n_tensors; t++)
        if (strcmp(r->tensors[t].name, name) == 0)
            return &r->tensors[t];
    return NULL;
}

/* Runs the check; returns the status and leaves the report in *r. */
static al_status run_check(const char *spec, const al_gradcheck_options *o, size_t batch,
                           al_gradcheck_report *r, al_error *err)
{
    al_net *net = make_net(spec, 7);
    if (!net)
        return AL_ERR_INVALID;
    float *x = random_batch(batch, al_net_in_features(net), 11);
    al_status st = x ? al_gradcheck(net, x, batch, o, r, err) : AL_ERR_NOMEM;
    free(x);
    al_net_free(net);
    return st;
}

static void test_passes_on_correct_nets(void)
{
    CHECK_SECTION("correct nets pass");
    static const char *const specs[] = {
        "Linear(5, 7), ReLU(), Linear(7, 3)",
        "Linear(5, 7), ELU(), Linear(7, 6), GELU(), Linear(6, 3)",
        "Linear(5, 8), PReLU(num_parameters=8), Linear(8, 4), PReLU(), Linear(4, 3)",
        "Linear(5, 6), BatchNorm1d(6), Tanh(), Linear(6, 3)",
        "BatchNorm1d(5, eps=0.001, affine=False), Linear(5, 4), Tanh(), Flatten(), Linear(4, 2)",
        "Linear(5, 6), Dropout(p=0), LeakyReLU(0.1), Linear(6, 3, bias=False)",
    };
    al_gradcheck_options o = al_gradcheck_options_default();
    o.samples = 1000; /* every entry: these tensors are small */
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        al_gradcheck_report r = {0};
        al_error err = {0};
        al_status st = run_check(specs[i], &o, 6, &r, &err);
        CHECK(st == AL_OK, "%s: %s", specs[i], err.message);
        CHECK(r.passed, "%s should pass", specs[i]);
        for (int t = 0; t < r.n_tensors; t++) {
            const al_gradcheck_tensor *g = &r.tensors[t];
            CHECK(g->checked == g->count, "%s %s: checked %zu of %zu", specs[i], g->name,
                  g->checked, g->count);
            CHECK(g->max_rel_err < 1e-5 || g->max_abs_err < 1e-8, "%s %s: rel %g abs %g",
                  specs[i], g->name, g->max_rel_err, g->max_abs_err);
        }
        CHECK(r.n_tensors >= 3 && strcmp(r.tensors[0].name, "input") == 0, "input comes first");
        al_gradcheck_report_free(&r);
    }
    /* eval mode: running statistics, and RReLU / Dropout are deterministic there */
    al_gradcheck_report r = {0};
    al_error err = {0};
    o.eval_mode = 1;
    al_status st = run_check("Linear(5, 6), BatchNorm1d(6), RReLU(), Dropout(0.5), Linear(6, 3)",
                             &o, 1, &r, &err);
    CHECK(st == AL_OK && r.passed, "eval mode passes: %s", err.message);
    al_gradcheck_report_free(&r);
}

static void test_kink_straddles(void)
{
    CHECK_SECTION("kink straddles are counted apart");
    al_net *net = make_net("Linear(4, 3), ReLU(), Linear(3, 2)", 3);
    if (!net)
        return;
    int n;
    const al_param_ref *p = al_net_params(net, &n);
    CHECK(n == 4 && strcmp(p[0].name, "0.weight") == 0 && strcmp(p[1].name, "0.bias") == 0,
          "parameter order");
    /* unit 0's pre-activation is exactly 0 on every row: zero weights and bias */
    for (size_t i = 0; i < 4; i++)
        p[0].value[0 * 4 + i] = 0.0f;
    p[1].value[0] = 0.0f;
    p[2].value[0 * 3 + 0] = 1.0f; /* the unit matters downstream */
    p[2].value[1 * 3 + 0] = -1.0f;
    float *x = random_batch(4, 4, 5);
    al_gradcheck_options o = al_gradcheck_options_default();
    o.samples = 1000;
    al_gradcheck_report r = {0};
    al_error err = {0};
    al_status st = x ? al_gradcheck(net, x, 4, &o, &r, &err) : AL_ERR_NOMEM;
    CHECK(st == AL_OK, "%s", err.message);
    if (st == AL_OK) {
        const al_gradcheck_tensor *w = find_tensor(&r, "0.weight"), *b = find_tensor(&r, "0.bias");
        CHECK(w && w->kink_straddles == 4, "row 0 of 0.weight straddles: %zu", w ? w->kink_straddles : 0);
        CHECK(b && b->kink_straddles == 1, "0.bias[0] straddles: %zu", b ? b->kink_straddles : 0);
        CHECK(b && b->kink_max_abs_err > 1e-3, "the numeric derivative there averages both sides: %g",
              b ? b->kink_max_abs_err : 0);
        CHECK(r.kink_straddles >= 5, "total %zu", r.kink_straddles);
        CHECK(r.passed, "straddles are not judged");
    }
    al_gradcheck_report_free(&r);
    free(x);
    al_net_free(net);
}

static void test_catches_wrong_derivative(void)
{
    CHECK_SECTION("a wrong derivative fails");
    static const char *const names[] = {"0.weight", "2.bias", "input", "1.weight"};
    al_gradcheck_options o = al_gradcheck_options_default();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        o.perturb_analytic = names[i];
        al_gradcheck_report r = {0};
        al_error err = {0};
        al_status st = run_check("Linear(5, 7), PReLU(), Linear(7, 3)", &o, 8, &r, &err);
        CHECK(st == AL_OK, "%s", err.message);
        CHECK(!r.passed, "perturbing %s must fail the check", names[i]);
        for (int t = 0; t < r.n_tensors; t++) {
            const al_gradcheck_tensor *g = &r.tensors[t];
            int target = strcmp(g->name, names[i]) == 0;
            CHECK(g->passed == !target, "%s (perturbed %s): passed %d", g->name, names[i], g->passed);
            if (target)
                CHECK(g->failures > 0 && g->max_rel_err > 5e-4, "%s: rel err %g", g->name, g->max_rel_err);
        }
        al_gradcheck_report_free(&r);
    }
}

static void test_refuses_random_layers(void)
{
    CHECK_SECTION("random layers in training mode are refused");
    al_gradcheck_options o = al_gradcheck_options_default();
    al_gradcheck_report r = {0};
    al_error err = {0};
    al_status st = run_check("Linear(5, 6), ReLU(), Dropout(p=0.5), Linear(6, 3)", &o, 4, &r, &err);
    CHECK(st == AL_ERR_INVALID, "Dropout refused: %d", (int)st);
    CHECK(strstr(err.message, "Dropout(p=0.5) (module 2) is random in training mode") &&
          strstr(err.message, "p=0"), "message: %s", err.message);
    CHECK(r.tensors == NULL && r.n_tensors == 0, "no report on failure");
    st = run_check("Linear(5, 6), RReLU(0.1, 0.3), Linear(6, 3)", &o, 4, &r, &err);
    CHECK(st == AL_ERR_INVALID, "RReLU refused: %d", (int)st);
    CHECK(strstr(err.message, "RReLU(0.1, 0.3) (module 1) is random in training mode") &&
          strstr(err.message, "LeakyReLU"), "message: %s", err.message);
    st = run_check("Linear(5, 6), BatchNorm1d(6)", &o, 1, &r, &err);
    CHECK(st == AL_ERR_INVALID && strstr(err.message, "batch of 2"), "BatchNorm with 1 row: %s",
          err.message);
}

static int run_cli(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s gradcheck %s >/dev/null 2>&1", AL_CLI, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void)
{
    CHECK_SECTION("actlab gradcheck");
    CHECK(run_cli("--model 'Linear(6, 5), ELU(), BatchNorm1d(5), Linear(5, 2)'") == 0, "passes");
    CHECK(run_cli("--model 'Linear(6, 5), Dropout(), Linear(5, 2)'") == 2, "Dropout refused");
    CHECK(run_cli("--model 'Linear(6, 5), Dropout(), Linear(5, 2)' --eval") == 0, "eval mode");
    CHECK(run_cli("--batch 0 --model 'Linear(6, 5)'") == 2, "usage error");
    CHECK(run_cli("") == 2, "--model required");
}

int main(void)
{
    test_passes_on_correct_nets();
    test_kink_straddles();
    test_catches_wrong_derivative();
    test_refuses_random_layers();
    test_cli();
    return check_summary("test_gradcheck");
}
