/* Gradient check on convolutional nets: the float64 mirror of Conv2d
 * (stride, padding, dilation, groups), the pools and BatchNorm2d passes on
 * correct nets, catches a wrong derivative in a convolution or BatchNorm2d,
 * counts a max pool's change of choice as a straddle, and refuses what it
 * cannot check (Dropout2d in training, an unknown input shape). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "actlab/gradcheck.h"
#include "check.h"

static al_net *make_net(const char *spec, size_t c, size_t h, size_t w)
{
    al_net_options o = al_net_options_default();
    o.seed = 7;
    al_shape in = {3, {c, h, w, 0}};
    o.input = in;
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create(spec, &o, &net, &err) == AL_OK, "%s: %s", spec, err.message);
    return net;
}

static al_status run_check(al_net *net, const al_gradcheck_options *o, size_t batch, al_gradcheck_report *r,
                           al_error *err)
{
    size_t n = batch * al_net_in_features(net);
    float *x = malloc(n * sizeof *x);
    if (!x)
        return AL_ERR_NOMEM;
    al_rng rng;
    al_rng_seed(&rng, 11);
    for (size_t k = 0; k < n; k++)
        x[k] = (float)al_rng_normal(&rng);
    al_status st = al_gradcheck(net, x, batch, o, r, err);
    free(x);
    return st;
}

static void test_passes(void)
{
    CHECK_SECTION("conv nets pass");
    static const struct {
        const char *spec;
        size_t c, h, w;
    } nets[] = {
        {"Conv2d(2, 3, 3), Tanh(), Flatten(), Linear(48, 2)", 2, 6, 6},
        {"Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2)), ELU(), Conv2d(4, 2, 1)", 2, 7, 6},
        {"Conv2d(2, 3, 3, dilation=2, padding=1, bias=False), GELU()", 2, 7, 7},
        {"Conv2d(4, 6, 3, groups=2, padding=1), Softplus(), Conv2d(6, 6, 3, groups=6, stride=2)", 4, 6, 5},
        {"Conv2d(2, 3, 1), MaxPool2d(2), Conv2d(3, 2, 2)", 2, 6, 7},
        {"Conv2d(2, 2, 1), MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)", 2, 7, 7},
        {"Conv2d(2, 2, 1), AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)", 2, 8, 7},
        {"Conv2d(2, 3, 2), AdaptiveAvgPool2d((2, 3)), Flatten(), Linear(18, 2)", 2, 6, 7},
        {"Conv2d(2, 3, 3, bias=False), BatchNorm2d(3), PReLU(num_parameters=3), Conv2d(3, 2, 1)", 2, 5, 6},
        {"Conv2d(2, 3, 3), BatchNorm2d(3, affine=False), LeakyReLU(0.2), Flatten(), Linear(27, 2)", 2, 5, 5},
    };
    al_gradcheck_options o = al_gradcheck_options_default();
    o.samples = 1000;
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        for (int eval = 0; eval <= 1; eval++) {
            al_net *net = make_net(nets[i].spec, nets[i].c, nets[i].h, nets[i].w);
            if (!net)
                continue;
            al_gradcheck_report r = {0};
            al_error err = {0};
            o.eval_mode = eval;
            al_status st = run_check(net, &o, 3, &r, &err);
            CHECK(st == AL_OK, "%s: %s", nets[i].spec, err.message);
            CHECK(r.passed, "%s (%s mode) should pass", nets[i].spec, eval ? "eval" : "training");
            for (int t = 0; t < r.n_tensors; t++) {
                const al_gradcheck_tensor *g = &r.tensors[t];
                CHECK(g->checked == g->count, "%s %s: checked %zu of %zu", nets[i].spec, g->name, g->checked,
                      g->count);
                CHECK(g->passed, "%s %s: rel %g abs %g", nets[i].spec, g->name, g->max_rel_err, g->max_abs_err);
            }
            al_gradcheck_report_free(&r);
            al_net_free(net);
        }
    }
}

static void test_catches_wrong_derivative(void)
{
    CHECK_SECTION("a wrong derivative fails");
    static const char *const names[] = {"0.weight", "1.bias", "3.weight", "input"};
    al_gradcheck_options o = al_gradcheck_options_default();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        al_net *net = make_net("Conv2d(2, 3, 3, padding=1), BatchNorm2d(3), ReLU(), Conv2d(3, 2, 3, stride=2)", 2,
                               6, 6);
        if (!net)
            return;
        o.perturb_analytic = names[i];
        al_gradcheck_report r = {0};
        al_error err = {0};
        CHECK(run_check(net, &o, 4, &r, &err) == AL_OK, "%s", err.message);
        CHECK(!r.passed, "perturbing %s must fail the check", names[i]);
        for (int t = 0; t < r.n_tensors; t++)
            CHECK(r.tensors[t].passed == (strcmp(r.tensors[t].name, names[i]) != 0), "%s (perturbed %s)",
                  r.tensors[t].name, names[i]);
        al_gradcheck_report_free(&r);
        al_net_free(net);
    }
}

/* A 1x1 convolution with weight and bias 0 gives a max pool windows of equal
 * zeros; +-eps on the weight makes each pick another position. */
static void test_pool_choice_straddles(void)
{
    CHECK_SECTION("a max pool changing its choice is a straddle");
    al_net *net = make_net("Conv2d(1, 1, 1), MaxPool2d(2), Flatten(), Linear(9, 2)", 1, 6, 6);
    if (!net)
        return;
    int n;
    const al_param_ref *p = al_net_params(net, &n);
    p[0].value[0] = 0;
    p[1].value[0] = 0;
    al_gradcheck_options o = al_gradcheck_options_default();
    o.samples = 1000;
    al_gradcheck_report r = {0};
    al_error err = {0};
    CHECK(run_check(net, &o, 2, &r, &err) == AL_OK, "%s", err.message);
    const al_gradcheck_tensor *w = &r.tensors[1];
    CHECK(strcmp(w->name, "0.weight") == 0 && w->kink_straddles == 1, "0.weight straddles: %zu",
          w->kink_straddles);
    CHECK(r.passed, "straddles are not judged");
    al_gradcheck_report_free(&r);
    al_net_free(net);
}

static void test_refusals(void)
{
    CHECK_SECTION("refusals");
    al_gradcheck_options o = al_gradcheck_options_default();
    al_gradcheck_report r = {0};
    al_error err = {0};
    al_net *net = make_net("Conv2d(2, 3, 3), Dropout2d(0.2), Flatten(), Linear(48, 2)", 2, 6, 6);
    CHECK(net && run_check(net, &o, 2, &r, &err) == AL_ERR_INVALID &&
              strstr(err.message, "Dropout2d(0.2) (module 1) is random in training mode"),
          "Dropout2d refused: %s", err.message);
    o.eval_mode = 1;
    CHECK(net && run_check(net, &o, 2, &r, &err) == AL_OK && r.passed, "eval mode: %s", err.message);
    al_gradcheck_report_free(&r);
    al_net_free(net);
    net = NULL;
    CHECK(al_net_create("Conv2d(2, 3, 3), ReLU()", NULL, &net, &err) == AL_OK, "%s", err.message);
    float x[4] = {0};
    CHECK(net && al_gradcheck(net, x, 1, &o, &r, &err) == AL_ERR_SHAPE && strstr(err.message, "input shape"),
          "unknown input shape: %s", err.message);
    al_net_free(net);
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
    CHECK_SECTION("actlab gradcheck on conv nets");
    CHECK(run_cli("--model 'Conv2d(2, 3, 3, padding=1), BatchNorm2d(3), ELU(), MaxPool2d(2), Flatten(), "
                  "Linear(27, 2)' --input-shape 2,6,6 --batch 3") == 0, "passes");
    CHECK(run_cli("--model 'Conv2d(2, 3, 3), ELU()'") == 2, "no input shape: usage error");
    CHECK(run_cli("--model 'Conv2d(2, 3, 3), ELU()' --input-shape 2,x") == 2, "bad --input-shape");
    CHECK(run_cli("--model 'Unflatten(1, (1, 5, 5)), Conv2d(1, 2, 3), Tanh()'") == 0, "Unflatten fixes the input");
}

int main(void)
{
    test_passes();
    test_catches_wrong_derivative();
    test_pool_choice_straddles();
    test_refusals();
    test_cli();
    return check_summary("test_gradcheck_conv");
}
