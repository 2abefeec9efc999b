/* What makes a cached compare result reusable, and the fairness machinery:
 * - every input that determines a job changes its key, so a re-run of a
 *   changed experiment recomputes everything (and an unchanged one nothing);
 * - the data enter by content: a renamed copy reuses, one changed value does not;
 * - learning-rate tuning never reads the test set: two runs whose test sets
 *   differ completely choose the same rates from identical validation scores;
 * - a comparison whose every job fails is an error naming the first failure;
 * - the model is checked against the data before any worker starts;
 * - matched gains redraw the weights with the documented variance, a
 *   Conv2d's with PyTorch's fans;
 * - on a convolution's [C, H, W] output the unit statistics count channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "actlab/compare.h"
#include "check.h"

static al_dataset *blobs(size_t n, uint64_t seed, int shuffle_labels)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    CHECK(al_dataset_create("blobs", n, 1, shape, &ds, NULL) == AL_OK, "create");
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(shuffle_labels ? al_rng_below(&rng, 3) : i % 3);
        for (size_t k = 0; k < 4; k++)
            al_dataset_x_mut(ds)[i * 4 + k] = (float)(al_rng_normal(&rng) + (k == i % 3 ? 1.5 : 0));
    }
    CHECK(al_dataset_check_labels(ds, 3, NULL) == AL_OK, "labels");
    return ds;
}

/* The done count of the latest PLAN event of each phase. */
typedef struct plan_seen {
    size_t done, jobs, tune_done, tune_jobs;
} plan_seen;

static void on_progress(const al_progress_event *ev, void *context)
{
    plan_seen *p = context;
    if (ev->kind != AL_PROGRESS_PLAN)
        return;
    if (ev->tuning) {
        p->tune_done = ev->done;
        p->tune_jobs = ev->jobs;
    } else {
        p->done = ev->done;
        p->jobs = ev->jobs;
    }
}

static const char *acts2[2] = {"ReLU()", "Tanh()"};
static const double grid[2] = {0.03, 0.1};

typedef struct setup {
    al_compare_factors f;
    al_compare_options o;
    const al_dataset *train, *test;
} setup;

static setup base_setup(const char *dir, const al_dataset *train, const al_dataset *test)
{
    setup s;
    memset(&s.f, 0, sizeof s.f);
    s.f.in = 4;
    s.f.width = 6;
    s.f.classes = 3;
    s.f.acts = acts2;
    s.f.n_acts = 2;
    s.o = al_compare_options_default();
    s.o.seeds = 2;
    s.o.epochs = 2;
    s.o.batch = 16;
    s.o.optim.lr = 0.1;
    s.o.jobs = 2;
    s.o.dir = dir;
    s.o.tune_lrs = grid;
    s.o.n_tune_lrs = 2;
    s.train = train;
    s.test = test;
    return s;
}

/* Runs s; returns what the plan said was already done (final + tuning). */
static plan_seen run(setup *s, al_compare **keep)
{
    plan_seen seen = {0, 0, 0, 0};
    s->o.progress = on_progress;
    s->o.progress_context = &seen;
    al_compare *c = NULL;
    al_error err = {0};
    CHECK(al_compare_create(&s->f, &s->o, &c, &err) == AL_OK, "%s", err.message);
    if (c)
        CHECK(al_compare_run(c, s->train, s->test, &err) == AL_OK, "%s", err.message);
    if (keep)
        *keep = c;
    else
        al_compare_free(c);
    return seen;
}

static void test_key(const char *root)
{
    CHECK_SECTION("each input changes the key");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/key", root);
    al_dataset *train = blobs(150, 1, 0), *test = blobs(60, 2, 0);
    setup s = base_setup(dir, train, test);
    plan_seen first = run(&s, NULL);
    CHECK(first.done == 0 && first.tune_done == 0 && first.jobs == 4 && first.tune_jobs == 4, "fresh: %zu %zu",
          first.done, first.tune_done);
    plan_seen again = run(&s, NULL);
    CHECK(again.done == 4 && again.tune_done == 4, "the same experiment is reused: %zu/4, %zu/4", again.done,
          again.tune_done);
    /* a renamed dataset is the same data */
    char h1[33], h2[33];
    al_compare_data_hash(train, h1, NULL);
    al_dataset_set_name(train, "renamed");
    al_compare_data_hash(train, h2, NULL);
    CHECK(strcmp(h1, h2) == 0, "the name is not content");

    enum { N_VARIANTS = 19 };
    static const char *const what[N_VARIANTS] = {
        "one training value", "one test label", "standardised", "a subset", "the split seed", "the validation size",
        "the split mode", "the width", "the init scheme", "the gain", "momentum", "weight decay", "the optimiser",
        "epochs", "batch", "the seeds", "the probe interval", "unit statistics", "the tuning seeds"};
    for (int v = 0; v < N_VARIANTS; v++) {
        setup t = base_setup(dir, train, test);
        al_dataset *changed = NULL, *other = NULL;
        al_error err = {0};
        switch (v) {
        case 0:
        case 1:
        case 2:
        case 3: {
            const al_dataset *src = v == 1 ? test : train;
            if (v == 3) {
                CHECK(al_dataset_split(src, 20, AL_SPLIT_LAST, 0, &changed, &other, &err) == AL_OK, "%s", err.message);
                break;
            }
            CHECK(al_dataset_split(src, 1, AL_SPLIT_LAST, 0, &changed, &other, &err) == AL_OK, "%s", err.message);
            al_dataset_free(other);
            other = NULL;
            /* the same rows but the last one, then one value changed */
            if (v == 0)
                al_dataset_x_mut(changed)[5] += 0.25f;
            if (v == 1)
                al_dataset_y_mut(changed)[0] = (al_dataset_y(changed)[0] + 1) % 3;
            if (v == 2) {
                al_feature_stats fs;
                CHECK(al_feature_stats_compute(changed, AL_STANDARDIZE_GLOBAL, &fs, &err) == AL_OK, "%s", err.message);
                al_dataset_standardize(changed, &fs, NULL);
                al_feature_stats_free(&fs);
            }
            break;
        }
        case 4: t.o.split_seed = 2; break;
        case 5: t.o.val_fraction = 0.2; break;
        case 6: t.o.split_mode = AL_SPLIT_LAST; break;
        case 7: t.f.width = 7; break;
        case 8: {
            static const al_init_scheme kn = AL_INIT_KAIMING_NORMAL;
            t.f.inits = &kn;
            t.f.n_inits = 1;
            break;
        }
        case 9: {
            static const al_gain_rule matched = AL_GAIN_MATCHED;
            t.f.gains = &matched;
            t.f.n_gains = 1;
            break;
        }
        case 10: t.o.optim.momentum = 0.5; break;
        case 11: t.o.optim.weight_decay = 1e-4; break;
        case 12: t.o.optim = al_optim_options_for(AL_OPT_ADAM); break;
        case 13: t.o.epochs = 3; break;
        case 14: t.o.batch = 32; break;
        case 15: t.o.first_seed = 5; break;
        case 16: t.o.probe_every = 3; break;
        case 17: t.o.unit_stats = 1; break;
        case 18: t.o.tune_first_seed = 7; break;
        }
        if (v == 0 || v == 2 || v == 3)
            t.train = changed;
        if (v == 1)
            t.test = changed;
        /* the baseline for the data variants: the same rows minus the last, unchanged */
        plan_seen p = run(&t, NULL);
        if (v == 18)
            CHECK(p.tune_done == 0, "%s: tuning recomputed (%zu reused)", what[v], p.tune_done);
        else if (v == 1)
            CHECK(p.done == 0 && p.tune_done == 4, "%s: final runs recomputed (%zu), tuning (which never sees the test "
                  "set) reused (%zu)", what[v], p.done, p.tune_done);
        else
            CHECK(p.done == 0, "%s changes every final job's key: %zu reused", what[v], p.done);
        al_dataset_free(changed);
        al_dataset_free(other);
        /* back to the base experiment: reused again (each variant lives in the same folder) */
        run(&s, NULL);
    }
    al_dataset_free(train);
    al_dataset_free(test);
}

static void test_tuner_ignores_test_set(const char *root)
{
    CHECK_SECTION("tuning never reads the test set");
    char d1[600], d2[600];
    snprintf(d1, sizeof d1, "%s/tune1", root);
    snprintf(d2, sizeof d2, "%s/tune2", root);
    al_dataset *train = blobs(180, 3, 0), *test = blobs(60, 4, 0), *noise = blobs(60, 99, 1);
    static const double lrs[3] = {0.003, 0.03, 0.3};
    setup a = base_setup(d1, train, test), b = base_setup(d2, train, noise);
    a.o.tune_lrs = b.o.tune_lrs = lrs;
    a.o.n_tune_lrs = b.o.n_tune_lrs = 3;
    al_compare *ca = NULL, *cb = NULL;
    run(&a, &ca);
    run(&b, &cb);
    int same = ca && cb;
    for (size_t arm = 0; same && arm < 2; arm++) {
        CHECK(al_compare_arm(ca, arm)->lr == al_compare_arm(cb, arm)->lr, "arm %zu: the same lr chosen (%g, %g)", arm,
              al_compare_arm(ca, arm)->lr, al_compare_arm(cb, arm)->lr);
        for (size_t l = 0; l < 3; l++)
            CHECK(al_compare_tune_score(ca, arm, l) == al_compare_tune_score(cb, arm, l),
                  "arm %zu lr %zu: identical validation scores", arm, l);
    }
    if (same) /* while the test sets really differ: the final accuracies do */
        CHECK(al_compare_summary(ca, 0)->acc_mean != al_compare_summary(cb, 0)->acc_mean, "test sets differ");
    al_compare_free(ca);
    al_compare_free(cb);
    al_dataset_free(train);
    al_dataset_free(test);
    al_dataset_free(noise);
}

static void test_failures_and_checks(const char *root)
{
    CHECK_SECTION("every job failing is an error; the model is checked against the data first");
    char dir[600], p[700];
    snprintf(dir, sizeof dir, "%s/allfail", root);
    al_dataset *train = blobs(150, 5, 0), *test = blobs(60, 6, 0);
    setup s = base_setup(dir, train, test);
    static const char *relu[1] = {"ReLU()"};
    s.f.acts = relu;
    s.f.n_acts = 1;
    s.o.n_tune_lrs = 0;
    s.o.optim.lr = 1e30;
    al_compare *c = NULL;
    al_error err = {0};
    CHECK(al_compare_create(&s.f, &s.o, &c, &err) == AL_OK, "%s", err.message);
    al_status st = al_compare_run(c, train, test, &err);
    CHECK(st != AL_OK && strstr(err.message, "no run") && strstr(err.message, "diverged"),
          "every job diverged: an error naming the first (%d): %s", (int)st, err.message);
    al_compare_free(c);

    snprintf(dir, sizeof dir, "%s/shape", root);
    s = base_setup(dir, train, test);
    s.f.template_spec = "Linear(5, 8), {act}, Linear(8, 3)";
    CHECK(al_compare_create(&s.f, &s.o, &c, &err) == AL_OK, "%s", err.message);
    st = al_compare_run(c, train, test, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "5 inputs") && strstr(err.message, "4 features"),
          "a model that does not fit the data is refused: %s", err.message);
    struct stat info;
    snprintf(p, sizeof p, "%s/jobs", dir);
    CHECK(stat(p, &info) != 0, "before any job folder was made");
    al_compare_free(c);
    s.f.template_spec = "Linear(4, 8), {act}, Linear(8, 2)";
    CHECK(al_compare_create(&s.f, &s.o, &c, &err) == AL_OK, "%s", err.message);
    CHECK(al_compare_run(c, train, test, &err) == AL_ERR_SHAPE && strstr(err.message, "3 classes"),
          "too few outputs: %s", err.message);
    al_compare_free(c);
    al_dataset_free(train);
    al_dataset_free(test);

    /* the CLI exits non-zero with the error */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s' compare --acts ReLU --data fashion-mnist --subset 300 --seeds 2 --epochs 1 "
             "--lr 1e30 --out '%s/cli' --quiet 2>'%s/cli.err'", AL_CLI, root, root);
    int rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) != 0, "CLI: every job failed, exit %d", WEXITSTATUS(rc));
    /* a tuning grid that is not one is a usage error, before any data are read */
    snprintf(cmd, sizeof cmd, "'%s' compare --acts ReLU --data fashion-mnist --tune-lr 0.1:1 2>/dev/null", AL_CLI);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "CLI: --tune-lr 0.1:1 exit %d", WEXITSTATUS(rc));
    snprintf(cmd, sizeof cmd, "'%s' compare --acts ReLU --data fashion-mnist --tune-lr 0,0.1 2>/dev/null", AL_CLI);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "CLI: a rate of 0 exit %d", WEXITSTATUS(rc));
}

static void test_gains(void)
{
    CHECK_SECTION("gains and redrawn weights");
    al_act relu, selu, leaky;
    al_act_parse("ReLU()", &relu, NULL);
    al_act_parse("SELU()", &selu, NULL);
    al_act_parse("LeakyReLU(negative_slope=0.2)", &leaky, NULL);
    CHECK_NEAR(al_gain_of(AL_GAIN_MATCHED, &relu), sqrt(2.0), 0, 1e-9, "ReLU: He's sqrt(2)");
    CHECK_NEAR(al_gain_of(AL_GAIN_MATCHED, &leaky), sqrt(2 / 1.04), 0, 1e-9, "LeakyReLU(0.2): sqrt(2/(1+s^2))");
    CHECK_NEAR(al_gain_of(AL_GAIN_MATCHED, &selu), 1, 0, 1e-6, "SELU: LeCun's 1");
    CHECK(al_gain_of(AL_GAIN_ONE, &relu) == 1 && al_gain_of(AL_GAIN_HE, &selu) == sqrt(2.0), "fixed gains");
    CHECK(al_gain_of(AL_GAIN_SCHEME, &relu) == al_act_gain(&relu), "scheme: the table's");
    /* a wide layer's weights: variance gain^2 / fan_in (kaiming) or 2 gain^2 / (in + out) (xavier), biases 0 */
    const al_init_scheme schemes[2] = {AL_INIT_KAIMING_NORMAL, AL_INIT_XAVIER_UNIFORM};
    for (int k = 0; k < 2; k++) {
        al_net *net = NULL;
        CHECK(al_net_create("Linear(400, 200), Tanh(), Linear(200, 10)", NULL, &net, NULL) == AL_OK, "net");
        al_compare_init_net(net, schemes[k], AL_GAIN_MATCHED, 3);
        int n = 0;
        const al_param_ref *p = al_net_params(net, &n);
        double sum = 0, sq = 0, bias = 0;
        for (size_t i = 0; i < p[0].count; i++) {
            sum += p[0].value[i];
            sq += (double)p[0].value[i] * p[0].value[i];
        }
        for (size_t i = 0; i < p[1].count; i++)
            bias += fabs(p[1].value[i]);
        al_act tanh_act;
        al_act_parse("Tanh()", &tanh_act, NULL);
        double g = al_gain_of(AL_GAIN_MATCHED, &tanh_act);
        double want = g * g * (k == 0 ? 1.0 / 400 : 2.0 / 600), got = sq / (double)p[0].count;
        CHECK_NEAR(got, want, 0, 0.03, "%s: weight variance", al_init_scheme_name(schemes[k]));
        CHECK(fabs(sum / (double)p[0].count) < 0.003 && bias == 0, "mean ~0, biases 0");
        al_net_free(net);
    }
}

/* A Conv2d's redrawn weights: variance gain^2 / fan_in with fan_in = (in / groups) kh kw, or
 * 2 gain^2 / (fan_in + fan_out) with fan_out = out kh kw; biases 0; known before the image size is. */
static void test_conv_gains(void)
{
    CHECK_SECTION("redrawn Conv2d weights");
    const al_init_scheme schemes[2] = {AL_INIT_KAIMING_NORMAL, AL_INIT_XAVIER_NORMAL};
    al_act relu, tanh_act;
    al_act_parse("ReLU()", &relu, NULL);
    al_act_parse("Tanh()", &tanh_act, NULL);
    for (int k = 0; k < 2; k++) {
        al_net *net = NULL;
        CHECK(al_net_create("Conv2d(8, 64, 3, groups=2), ReLU(), Conv2d(64, 16, 5), Tanh(), AdaptiveAvgPool2d(1), "
                            "Flatten(), Linear(16, 10)", NULL, &net, NULL) == AL_OK, "net");
        if (!net)
            continue;
        al_compare_init_net(net, schemes[k], AL_GAIN_MATCHED, 5);
        int n = 0;
        const al_param_ref *p = al_net_params(net, &n);
        double fan_in[2] = {4 * 9, 64 * 25}, fan_out[2] = {64 * 9, 16 * 25};
        double g[2] = {al_gain_of(AL_GAIN_MATCHED, &relu), al_gain_of(AL_GAIN_MATCHED, &tanh_act)};
        for (int c = 0; c < 2; c++) {
            const al_param_ref *w = &p[2 * c], *b = &p[2 * c + 1];
            double sq = 0, bias = 0;
            for (size_t i = 0; i < w->count; i++)
                sq += (double)w->value[i] * w->value[i];
            for (size_t i = 0; i < b->count; i++)
                bias += fabs(b->value[i]);
            double want = g[c] * g[c] * (k == 0 ? 1 / fan_in[c] : 2 / (fan_in[c] + fan_out[c]));
            CHECK_NEAR(sq / (double)w->count, want, 0, 0.06, "%s, %s: weight variance", w->name,
                       al_init_scheme_name(schemes[k]));
            CHECK(bias == 0, "%s: biases 0", b->name);
        }
        al_net_free(net);
    }
}

/* Conv2d(1, 16, 1) + ReLU on [1, 2, 2] images whose first pixel is always 0
 * and the others positive, trained at a rate too small to move a weight: a
 * channel is inactive exactly when its weight is <= 0 (every position of
 * every sample), although the first position of every channel is inactive. */
static void test_conv_units(const char *root)
{
    CHECK_SECTION("unit statistics per channel");
    al_dataset *train = NULL, *test = NULL;
    size_t shape[3] = {1, 2, 2};
    CHECK(al_dataset_create("images", 48, 3, shape, &train, NULL) == AL_OK, "create");
    CHECK(al_dataset_create("images-test", 12, 3, shape, &test, NULL) == AL_OK, "create");
    al_dataset *sets[2] = {train, test};
    for (int d = 0; d < 2 && train && test; d++)
        for (size_t i = 0; i < al_dataset_count(sets[d]); i++) {
            al_dataset_y_mut(sets[d])[i] = (int32_t)(i % 2);
            for (size_t k = 0; k < 4; k++)
                al_dataset_x_mut(sets[d])[i * 4 + k] = k == 0 ? 0.0f : (float)(0.5 + (double)((i * 7 + k) % 5));
        }
    char dir[600];
    snprintf(dir, sizeof dir, "%s/conv-units", root);
    static const char *relu[1] = {"ReLU()"};
    static const al_init_scheme kaiming = AL_INIT_KAIMING_NORMAL;
    static const al_gain_rule matched = AL_GAIN_MATCHED;
    setup s = base_setup(dir, train, test);
    s.f.template_spec = "Conv2d(1, 16, 1), {act}, Flatten(), Linear(64, 2)";
    s.f.acts = relu;
    s.f.n_acts = 1;
    s.f.inits = &kaiming;
    s.f.n_inits = 1;
    s.f.gains = &matched;
    s.f.n_gains = 1;
    s.o.n_tune_lrs = 0;
    s.o.optim.lr = 1e-30;
    s.o.unit_stats = 1;
    al_compare *c = NULL;
    if (train && test)
        run(&s, &c);
    for (size_t seed = 0; c && seed < s.o.seeds; seed++) {
        const al_job_result *r = al_compare_job(c, 0, seed);
        al_net *net = NULL;
        al_net_options no = al_net_options_default();
        no.init = kaiming;
        no.seed = r ? r->seed : 0;
        CHECK(r && r->done && al_net_create("Conv2d(1, 16, 1), ReLU(), Flatten(), Linear(64, 2)", &no, &net, NULL) ==
                  AL_OK, "seed %zu", seed);
        if (!net || !r)
            continue;
        al_compare_init_net(net, kaiming, matched, r->seed);
        int n = 0;
        const al_param_ref *p = al_net_params(net, &n);
        size_t off = 0;
        for (size_t ch = 0; ch < 16; ch++)
            off += p[0].value[ch] <= 0;
        CHECK(off > 0 && off < 16, "seed %zu: some weights on each side (%zu of 16 <= 0)", seed, off);
        double measured = r->inactive_layer[(size_t)(r->epochs - 1) * (size_t)r->layers + 1];
        CHECK_NEAR(measured, (double)off / 16, 1e-12, 0, "seed %zu: inactive channels", seed);
        CHECK_NEAR(r->silent[r->epochs - 1], (double)off / 16, 1e-12, 0, "seed %zu: silent channels", seed);
        al_net_free(net);
    }
    al_compare_free(c);
    al_dataset_free(train);
    al_dataset_free(test);
}

int main(void)
{
    char root[] = "/tmp/actlab_compare_key_XXXXXX";
    if (!mkdtemp(root))
        return 1;
    test_key(root);
    test_tuner_ignores_test_set(root);
    test_failures_and_checks(root);
    test_gains();
    test_conv_gains();
    test_conv_units(root);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    return check_summary("test_compare_key");
}
