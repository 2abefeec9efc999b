/* Probes on small hand-built nets with known weights: every value checked
 * against a computation done by hand (in the comments); units dead by
 * construction are reported dead and a Leaky ReLU net built the same way
 * reports none, and the per-unit dead mask names the dead unit; a cap on
 * the records kept holds; a tanh net with large weights saturates; kink hits are
 * counted exactly; the JSON Lines log parses; probing does not change
 * training by a single bit; bad options are refused clearly. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

static al_net *build(const char *spec)
{
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create(spec, NULL, &net, &err) == AL_OK, "%s: %s", spec, err.message);
    return net;
}

static float *param(al_net *net, const char *name)
{
    int n;
    const al_param_ref *p = al_net_params(net, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return p[i].value;
    CHECK(0, "no parameter %s", name);
    return NULL;
}

static void set(al_net *net, const char *name, const float *values, size_t n)
{
    memcpy(param(net, name), values, n * sizeof(float));
}

static const al_probe_record *find(const al_probe *p, long step, int layer)
{
    size_t n;
    const al_probe_record *r = al_probe_records(p, &n);
    for (size_t i = 0; i < n; i++)
        if (r[i].step == step && r[i].layer == layer)
            return &r[i];
    CHECK(0, "no record for step %ld layer %d", step, layer);
    static const al_probe_record none;
    return &none;
}

/* One hand-driven step: forward, backward from dy, probe, then an "update"
 * that scales 0.weight by `scale`. */
static void step_once(al_net *net, al_probe *p, const float *x, size_t rows, const float *dy, long step,
                      int epoch_end, float scale)
{
    al_error err = {0};
    al_net_zero_grad(net);
    al_net_forward(net, x, rows, 1, (uint64_t)step);
    al_net_backward(net, dy, NULL);
    CHECK(al_probe_after_backward(p, net, step, 1, epoch_end, &err) == AL_OK, "%s", err.message);
    float *w = param(net, "0.weight");
    for (int i = 0; i < 6; i++)
        w[i] *= scale;
    CHECK(al_probe_after_update(p, net, &err) == AL_OK, "%s", err.message);
}

/* Linear(2, 3) with W1 = [[0,0],[1,0],[1,-1]], b1 = [-1,0,0]; inputs
 * (0,1), (2,1), (-1,0), (3,3). Pre-activations per unit:
 *   unit 0: -1 -1 -1 -1      (dead by construction)
 *   unit 1:  0  2 -1  3      (one exactly on the kink)
 *   unit 2: -1  1 -1  0      (one exactly on the kink)
 * Then Linear(3, 2) with W2 = [[1,1,1],[0,1,-1]], b2 = 0, and dy = 1. */
static const float W1[6] = {0, 0, 1, 0, 1, -1}, B1[3] = {-1, 0, 0};
static const float W2[6] = {1, 1, 1, 0, 1, -1}, B2[2] = {0, 0};
static const float X[8] = {0, 1, 2, 1, -1, 0, 3, 3};
static const float DY[8] = {1, 1, 1, 1, 1, 1, 1, 1};

static al_net *hand_net(const char *act)
{
    char spec[128];
    snprintf(spec, sizeof spec, "Linear(2, 3), %s, Linear(3, 2)", act);
    al_net *net = build(spec);
    if (!net)
        return NULL;
    set(net, "0.weight", W1, 6);
    set(net, "0.bias", B1, 3);
    set(net, "2.weight", W2, 6);
    set(net, "2.bias", B2, 2);
    return net;
}

/* hand_net(act) and a probe on it every `every` steps, keeping max_records
 * (0: all), logging to log (NULL: none). */
static al_net *probed_hand_net(const char *act, long every, size_t max_records, const char *log, al_probe **p)
{
    al_net *net = hand_net(act);
    al_probe_options o = al_probe_options_default();
    o.every = every;
    o.max_records = max_records;
    o.log_path = log;
    al_error err = {0};
    *p = NULL;
    CHECK(net && al_probe_create(net, &o, p, &err) == AL_OK, "%s", err.message);
    return net;
}

static void test_relu_by_hand(void)
{
    CHECK_SECTION("ReLU net by hand");
    al_probe *p;
    al_net *net = probed_hand_net("ReLU()", 1, 0, NULL, &p);
    step_once(net, p, X, 4, DY, 1, 0, 1.1f);
    const al_probe_record *lin = find(p, 1, 0), *act = find(p, 1, 1), *out = find(p, 1, 2);
    /* ReLU outputs: unit 0: 0 0 0 0; unit 1: 0 2 0 3; unit 2: 0 1 0 0 -> 9 zeros of 12 */
    CHECK_NEAR(act->dead, 1.0 / 3, 0, 1e-12, "unit 0 is dead by construction");
    CHECK_NEAR(act->near_dead, 1.0 / 3, 0, 1e-12, "near-dead includes the dead unit only");
    CHECK_NEAR(act->sparsity, 9.0 / 12, 0, 1e-12, "sparsity");
    CHECK(act->kinks == 1 && act->kink_hits == 2 && act->kink_seen == 12 && act->kink_hits_total == 2,
          "two pre-activations are exactly 0: kinks %d hits %llu seen %llu", act->kinks,
          (unsigned long long)act->kink_hits, (unsigned long long)act->kink_seen);
    /* f' = 0 wherever the output is 0 (ReLU'(0) = 0), else 1 */
    CHECK_NEAR(act->deriv_zero, 9.0 / 12, 0, 1e-12, "f' exactly 0");
    CHECK_NEAR(act->deriv_one, 3.0 / 12, 0, 1e-12, "f' exactly 1");
    CHECK_NEAR(act->deriv_mean, 3.0 / 12, 0, 1e-12, "mean f'");
    CHECK(isnan(act->saturation), "ReLU does not saturate: saturation is not reported (%g)", act->saturation);
    /* histogram over [-0.5, 2) in 50 bins of 0.05: 0 lands in bin 10, 1 in bin 30 */
    CHECK(act->hist[10] == 9 && act->hist[30] == 3 && act->hist_below == 0 && act->hist_above == 0,
          "derivative histogram: bin10 %llu bin30 %llu", (unsigned long long)act->hist[10],
          (unsigned long long)act->hist[30]);
    /* pre-activation mean (-4 + 4 - 1) / 12; output mean 6 / 12; output var = 14/12 - 0.25 */
    CHECK_NEAR(act->in_mean, -1.0 / 12, 1e-12, 1e-9, "pre-activation mean");
    CHECK_NEAR(act->out_mean, 0.5, 0, 1e-12, "output mean");
    CHECK_NEAR(act->out_std, sqrt(14.0 / 12 - 0.25), 0, 1e-9, "output std");
    CHECK_NEAR(act->in_std, sqrt(21.0 / 12 - 1.0 / 144), 0, 1e-9, "pre-activation std (sum of squares 4 + 14 + 3)");
    /* gradients: dL/d(ReLU out) = dy W2 = (1, 2, 0) per row -> norm sqrt(4 * 5) */
    CHECK_NEAR(act->grad_out_norm, sqrt(20.0), 0, 1e-9, "|dL/d ReLU output|");
    CHECK_NEAR(out->grad_out_norm, sqrt(8.0), 0, 1e-9, "|dL/d net output| = |dy|");
    /* dL/d pre-activation: unit 1 gets 2 where f' = 1 (rows 2 and 4): norm sqrt(8) */
    CHECK_NEAR(lin->grad_out_norm, sqrt(8.0), 0, 1e-9, "|dL/d first Linear output|");
    /* dW2 = dy^T a: both rows (0, 5, 1); db2 = (4, 4); dW1 row 1 = 2*(2,1) + 2*(3,3) = (10, 8); db1 = (0,4,0) */
    CHECK(out->n_params == 2 && strcmp(out->params[0].name, "2.weight") == 0, "Linear(3, 2) has weight and bias");
    CHECK_NEAR(out->params[0].grad_norm, sqrt(52.0), 0, 1e-9, "|dW2|");
    CHECK_NEAR(out->params[1].grad_norm, sqrt(32.0), 0, 1e-9, "|db2|");
    CHECK_NEAR(lin->params[0].grad_norm, sqrt(164.0), 0, 1e-9, "|dW1|");
    CHECK_NEAR(lin->params[1].grad_norm, 4.0, 0, 1e-9, "|db1|");
    CHECK_NEAR(lin->params[0].weight_norm, sqrt(3.0), 0, 1e-9, "|W1| before the update");
    /* the update scaled W1 by 1.1 and left b1 alone */
    CHECK_NEAR(lin->params[0].update_ratio, 0.1, 1e-7, 0, "update ratio of W1");
    CHECK(lin->params[1].update_ratio == 0, "b1 did not move: %g", lin->params[1].update_ratio);
    CHECK(isnan(lin->dead) && lin->n_params == 2 && act->n_params == 0, "Linear layers have no dead units");
    CHECK(al_probe_last_epoch(p, 1) == NULL, "no epoch has ended");

    /* step 2 (epoch end), rows (5,4) and (1,0): unit 0 still -1, units 1
     * and 2 positive, no kink hit; dead is over every sample of the epoch. */
    const float x2[4] = {5, 4, 1, 0};
    const float dy2[4] = {1, 1, 1, 1};
    step_once(net, p, x2, 2, dy2, 2, 1, 1.0f);
    const al_probe_record *end = al_probe_last_epoch(p, 1);
    CHECK(end && end->step == 2 && end->epoch_end, "the epoch-end record is kept");
    CHECK(end && fabs(end->dead - 1.0 / 3) < 1e-12, "unit 0 stays dead over the epoch");
    CHECK(end && end->kink_hits == 0 && end->kink_hits_total == 2 && end->kink_seen == 6,
          "kink counts restart per record, the total does not");
    al_probe_free(p);
    al_net_free(net);
}

static void test_leaky_has_no_dead(void)
{
    CHECK_SECTION("Leaky ReLU built the same way");
    al_net *net = hand_net("LeakyReLU()");
    al_probe *p = NULL;
    al_error err = {0};
    CHECK(al_probe_create(net, NULL, &p, &err) == AL_OK, "%s", err.message);
    step_once(net, p, X, 4, DY, 1, 1, 1.0f);
    const al_probe_record *act = find(p, 1, 1);
    CHECK(act->dead == 0 && act->near_dead == 0, "Leaky ReLU: no dead units (%g, %g)", act->dead, act->near_dead);
    CHECK(act->deriv_zero == 0, "f' is never exactly 0: %g", act->deriv_zero);
    CHECK(act->kink_hits == 2, "the kink at 0 is hit twice: %llu", (unsigned long long)act->kink_hits);
    /* f' = 0.01 on the 9 non-positive pre-activations (slope at the kink too), 1 elsewhere */
    CHECK_NEAR(act->deriv_mean, (9 * 0.01 + 3) / 12, 1e-9, 0, "mean f'");
    CHECK(act->sparsity < 1e-12 + 2.0 / 12 && act->sparsity > 2.0 / 12 - 1e-12,
          "only the two kink hits give exact zeros: %g", act->sparsity);
    al_probe_free(p);
    al_net_free(net);
}

static void check_mask(const al_probe *p, const uint8_t *want, size_t want_rows, const char *what)
{
    uint8_t dead[3] = {9, 9, 9};
    size_t rows = 99;
    al_error err = {0};
    CHECK(al_probe_dead_mask(p, 1, dead, 3, &rows, &err) == AL_OK, "%s: %s", what, err.message);
    CHECK(memcmp(dead, want, 3) == 0 && rows == want_rows, "%s: mask %d%d%d over %zu rows, want %d%d%d over %zu",
          what, dead[0], dead[1], dead[2], rows, want[0], want[1], want[2], want_rows);
}

/* The hand net's pre-activations per row (see above): row 0 gives (-1, 0,
 * -1), all with ReLU' = 0; rows 1-3 give units 1 and 2 a positive one;
 * unit 0 is -1 on every row. */
static void test_dead_mask(void)
{
    CHECK_SECTION("per-unit dead mask");
    al_probe *p;
    al_net *net = probed_hand_net("ReLU()", 1000, 0, NULL, &p);
    al_error err = {0};
    check_mask(p, (const uint8_t[]){0, 0, 0}, 0, "before any sample");
    step_once(net, p, X, 1, DY, 1, 0, 1.0f);
    check_mask(p, (const uint8_t[]){1, 1, 1}, 1, "row 0: no unit has f' > 0 yet");
    step_once(net, p, X + 2, 3, DY, 2, 0, 1.0f);
    check_mask(p, (const uint8_t[]){1, 0, 0}, 4, "rows 0-3: unit 0 is dead by construction");
    step_once(net, p, X + 4, 1, DY, 3, 1, 1.0f);
    const al_probe_record *end = al_probe_last_epoch(p, 1);
    CHECK(end && fabs(end->dead - 1.0 / 3) < 1e-12, "the epoch-end record counts the same unit");
    check_mask(p, (const uint8_t[]){0, 0, 0}, 0, "right after the epoch end");
    step_once(net, p, X + 4, 1, DY, 4, 0, 1.0f);
    check_mask(p, (const uint8_t[]){1, 1, 1}, 1, "the next epoch starts afresh (row 2: all negative)");
    uint8_t dead[3];
    CHECK(al_probe_dead_mask(p, 0, dead, 3, NULL, &err) == AL_ERR_INVALID, "a Linear layer has no mask");
    CHECK(strstr(err.message, "not an activation") != NULL, "says why: %s", err.message);
    CHECK(al_probe_dead_mask(p, 3, dead, 3, NULL, &err) == AL_ERR_INVALID, "no layer 3");
    CHECK(al_probe_dead_mask(p, -1, dead, 3, NULL, &err) == AL_ERR_INVALID, "no layer -1");
    CHECK(al_probe_dead_mask(p, 1, dead, 2, NULL, &err) == AL_ERR_INVALID && strstr(err.message, "3 units"),
          "a wrong width is refused: %s", err.message);
    al_probe_free(p);
    al_net_free(net);

    net = probed_hand_net("LeakyReLU()", 1000, 0, NULL, &p);
    step_once(net, p, X, 4, DY, 1, 0, 1.0f);
    check_mask(p, (const uint8_t[]){0, 0, 0}, 4, "Leaky ReLU: no unit is dead");
    al_probe_free(p);
    al_net_free(net);
}

/* max_records: after each step exactly the latest records are kept, in
 * order; the epoch-end record survives being dropped; the log has them all. */
static void test_max_records(const char *dir)
{
    CHECK_SECTION("a cap on the records kept");
    const size_t caps[] = {7, 1, 3};
    const long steps = 25;
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        char log[512];
        snprintf(log, sizeof log, "%s/capped.jsonl", dir);
        al_probe *p;
        al_net *net = probed_hand_net("ReLU()", 1, caps[c], log, &p);
        int order_ok = 1, epoch_ok = 1;
        for (long s = 1; s <= steps; s++) {
            step_once(net, p, X, 4, DY, s, s % 10 == 0, 1.0f);
            size_t n, made = (size_t)s * 3;
            const al_probe_record *r = al_probe_records(p, &n);
            order_ok &= n == (made < caps[c] ? made : caps[c]);
            for (size_t i = 0; i < n; i++) {
                size_t g = made - n + i; /* its place among every record made */
                order_ok &= r[i].step == (long)(g / 3) + 1 && r[i].layer == (int)(g % 3);
            }
            const al_probe_record *end = al_probe_last_epoch(p, 1);
            epoch_ok &= s < 10 ? end == NULL : end && end->step == s / 10 * 10 && end->epoch_end && end->layer == 1;
        }
        CHECK(order_ok, "cap %zu: the latest min(records, %zu) are kept, oldest first", caps[c], caps[c]);
        CHECK(epoch_ok, "cap %zu: the latest epoch-end record is kept apart", caps[c]);
        al_probe_free(p);
        al_net_free(net);
        FILE *f = fopen(log, "r");
        char line[8192];
        long lines = 0;
        int in_order = 1;
        while (f && fgets(line, sizeof line, f)) {
            json_t *j = json_loads(line, 0, NULL);
            in_order &= j && json_integer_value(json_object_get(j, "step")) == lines / 3 + 1;
            json_decref(j);
            lines++;
        }
        if (f)
            fclose(f);
        CHECK(lines == steps * 3 && in_order, "cap %zu: the log still has every record: %ld lines", caps[c], lines);
    }
}

static void test_tanh_saturates(void)
{
    CHECK_SECTION("tanh with large weights saturates");
    al_net *net = build("Linear(2, 4), Tanh(), Linear(4, 2)");
    const float w[8] = {50, 0, -50, 0, 0, 50, 0, -50}, b[4] = {0, 0, 0, 0};
    set(net, "0.weight", w, 8);
    set(net, "0.bias", b, 4);
    al_probe *p = NULL;
    al_error err = {0};
    CHECK(al_probe_create(net, NULL, &p, &err) == AL_OK, "%s", err.message);
    const float x[6] = {1, 1, -1, 2, 0.5f, -0.5f};
    const float dy[6] = {1, 1, 1, 1, 1, 1};
    al_net_zero_grad(net);
    al_net_forward(net, x, 3, 1, 0);
    al_net_backward(net, dy, NULL);
    CHECK(al_probe_after_backward(p, net, 1, 1, 1, &err) == AL_OK, "%s", err.message);
    CHECK(al_probe_after_update(p, net, &err) == AL_OK, "%s", err.message);
    const al_probe_record *act = find(p, 1, 1);
    /* |pre-activation| >= 25 everywhere: tanh' <= 4 e^-50, which is 0 in float32 */
    CHECK(act->saturation == 1.0, "every derivative is below 1e-3: %g", act->saturation);
    CHECK(act->kinks == 0, "tanh is smooth");
    CHECK(act->dead == 1.0, "saturated to exactly 0: every unit is dead too (%g)", act->dead);
    al_probe_free(p);
    al_net_free(net);
    /* moderate weights: tanh'(0.5) = 0.786, nothing saturated */
    net = build("Linear(2, 4), Tanh(), Linear(4, 2)");
    const float w2[8] = {0.5f, 0, -0.5f, 0, 0, 0.5f, 0, -0.5f};
    set(net, "0.weight", w2, 8);
    set(net, "0.bias", b, 4);
    CHECK(al_probe_create(net, NULL, &p, &err) == AL_OK, "%s", err.message);
    al_net_forward(net, x, 3, 1, 0);
    al_net_backward(net, dy, NULL);
    CHECK(al_probe_after_backward(p, net, 1, 1, 1, &err) == AL_OK, "%s", err.message);
    CHECK(al_probe_after_update(p, net, &err) == AL_OK, "%s", err.message);
    act = find(p, 1, 1);
    CHECK(act->saturation == 0 && act->dead == 0, "moderate tanh: saturation %g", act->saturation);
    al_probe_free(p);
    al_net_free(net);
}

static void test_prelu_slopes(void)
{
    CHECK_SECTION("PReLU slopes");
    al_net *net = build("Linear(2, 3), PReLU(num_parameters=3), Linear(3, 2)");
    const float slopes[3] = {0.1f, 0.25f, 0.4f};
    set(net, "1.weight", slopes, 3);
    al_probe *p = NULL;
    al_error err = {0};
    CHECK(al_probe_create(net, NULL, &p, &err) == AL_OK, "%s", err.message);
    al_net_forward(net, X, 4, 1, 0);
    al_net_backward(net, DY, NULL);
    CHECK(al_probe_after_backward(p, net, 1, 1, 1, &err) == AL_OK, "%s", err.message);
    CHECK(al_probe_after_update(p, net, &err) == AL_OK, "%s", err.message);
    const al_probe_record *act = find(p, 1, 1);
    CHECK(act->slope_count == 3 && act->slopes[0] == 0.1f && act->slopes[2] == 0.4f, "all three slopes listed");
    CHECK_NEAR(act->slope_mean, 0.25, 1e-7, 0, "slope mean");
    CHECK(act->slope_min == (double)0.1f && act->slope_max == (double)0.4f, "slope range");
    CHECK(act->n_params == 1 && strcmp(act->params[0].name, "1.weight") == 0, "the slope tensor's norms");
    al_probe_free(p);
    al_net_free(net);
}

static al_dataset *blobs(size_t n)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    al_error err = {0};
    CHECK(al_dataset_create("blobs", n, 1, shape, &ds, &err) == AL_OK, "%s", err.message);
    al_rng rng;
    al_rng_seed(&rng, 3);
    for (size_t i = 0; i < n; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 3);
        for (size_t k = 0; k < 4; k++)
            al_dataset_x_mut(ds)[i * 4 + k] = (float)(al_rng_normal(&rng) + (k == i % 3 ? 2 : 0));
    }
    return ds;
}

/* Probing through al_train: the log has one line per point and layer, it
 * parses, and the trained weights are bit-identical to a run without probes. */
static void test_train_with_probes(const char *dir)
{
    CHECK_SECTION("al_train with probes");
    const char *spec = "Linear(4, 16), ReLU(), Linear(16, 16), PReLU(), Linear(16, 3)";
    al_dataset *ds = blobs(200);
    al_error err = {0};
    char log[512];
    snprintf(log, sizeof log, "%s/probes.jsonl", dir);
    al_net *a = build(spec), *b = build(spec);
    al_train_options o = al_train_options_default();
    o.batch = 32;   /* 7 batches per epoch */
    o.epochs = 2;
    o.optim.lr = 0.1;
    CHECK(al_train(a, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_OK, "%s", err.message);
    al_probe_options po = al_probe_options_default();
    po.every = 3;
    po.log_path = log;
    al_probe *p = NULL;
    CHECK(al_probe_create(b, &po, &p, &err) == AL_OK, "%s", err.message);
    o.probe = p;
    CHECK(al_train(b, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_OK, "%s", err.message);
    int na, nb;
    const al_param_ref *pa = al_net_params(a, &na), *pb = al_net_params(b, &nb);
    int same = na == nb;
    for (int i = 0; same && i < na; i++)
        same = memcmp(pa[i].value, pb[i].value, pa[i].count * sizeof(float)) == 0;
    CHECK(same, "probes must not change training");
    /* points: steps 3, 6, 7 (epoch end), 9, 12, 14 (epoch end): 6 points x 5 layers */
    size_t count;
    al_probe_records(p, &count);
    CHECK(count == 30, "records: %zu", count);
    al_probe_free(p);
    FILE *f = fopen(log, "r");
    CHECK(f != NULL, "the log exists");
    char line[8192];
    int lines = 0, ends = 0, ok = 1;
    while (f && fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j) {
            ok = 0;
            fprintf(stderr, "line %d: %s\n", lines + 1, je.text);
        } else {
            ends += json_is_true(json_object_get(j, "epoch_end"));
            if (json_integer_value(json_object_get(j, "layer")) == 3) {
                json_t *s = json_object_get(j, "slopes");
                ok &= json_integer_value(json_object_get(s, "count")) == 1 &&
                      json_array_size(json_object_get(s, "values")) == 1;
                ok &= json_is_number(json_object_get(j, "dead"));
            }
            json_decref(j);
        }
        lines++;
    }
    if (f)
        fclose(f);
    CHECK(lines == 30 && ok, "the log has 30 valid JSON lines (%d, ok %d)", lines, ok);
    CHECK(ends == 10, "2 epoch ends x 5 layers marked epoch_end: %d", ends);
    al_net_free(a);
    al_net_free(b);
    al_dataset_free(ds);
}

static void test_bad_options(const char *dir)
{
    CHECK_SECTION("bad options");
    al_net *net = build("Linear(2, 2), ReLU()");
    al_probe *p = NULL;
    al_error err = {0};
    al_probe_options o = al_probe_options_default();
    o.every = 0;
    CHECK(al_probe_create(net, &o, &p, &err) == AL_ERR_INVALID && !p, "every 0 is refused");
    CHECK(strstr(err.message, "--probe-every") != NULL, "the message names the option: %s", err.message);
    o = al_probe_options_default();
    char path[512];
    snprintf(path, sizeof path, "%s/file.txt", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/file.txt/probes.jsonl", dir);
    o.log_path = path;
    CHECK(al_probe_create(net, &o, &p, &err) == AL_ERR_IO && !p, "a log under a regular file cannot be written");
    CHECK(strstr(err.message, path) != NULL, "the message names the path: %s", err.message);
    o = al_probe_options_default();
    o.bins = AL_PROBE_MAX_BINS + 1;
    CHECK(al_probe_create(net, &o, &p, &err) == AL_ERR_INVALID, "too many bins");
    al_net_free(net);
}

int main(void)
{
    char dir[] = "/tmp/actlab_probe_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_relu_by_hand();
    test_leaky_has_no_dead();
    test_dead_mask();
    test_max_records(dir);
    test_tanh_saturates();
    test_prelu_slopes();
    test_train_with_probes(dir);
    test_bad_options(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_probe");
}
