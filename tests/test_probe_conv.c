/* Probes on a convolution's [C, H, W] output, where the unit is a channel:
 * a hand-built net whose every value is worked out in the comments (one
 * channel dead by construction, kink hits per channel, per-channel sparsity
 * and centring), the JSON record's per-channel arrays, and probes created
 * before the net knows its input's height and width (al_train fits it). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

static float *param(al_net *net, const char *name)
{
    int n;
    const al_param_ref *p = al_net_params(net, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return p[i].value;
    CHECK(0, "no parameter %s", name);
    static float none[16];
    return none;
}

static void probe_step(al_net *net, al_probe *p, const float *x, size_t rows, long step, int epoch_end)
{
    al_error err = {0};
    float dy[64];
    for (size_t i = 0; i < rows * al_net_out_features(net); i++)
        dy[i] = 1;
    al_net_zero_grad(net);
    CHECK(al_net_forward(net, x, rows, 1, (uint64_t)step) != NULL, "forward");
    al_net_backward(net, dy, NULL);
    CHECK(al_probe_after_backward(p, net, step, 1, epoch_end, &err) == AL_OK, "%s", err.message);
    CHECK(al_probe_after_update(p, net, &err) == AL_OK, "%s", err.message);
}

/* Conv2d(1, 3, 1) on [1, 2, 2] images is a per-channel scale and shift:
 * w = (0, 1, 1), b = (-1, 0, -0.5). On the two images (0, 1, 2, -1) and
 * (0.5, 3, -2, 0) the pre-activations per channel are
 *   channel 0: -1 everywhere                         (dead by construction)
 *   channel 1: 0 1 2 -1 | 0.5 3 -2 0                 (two exactly on the kink)
 *   channel 2: -0.5 0.5 1.5 -1.5 | 0 2.5 -2.5 -0.5   (one exactly on the kink)
 * so after ReLU: channel 1 has 4 zeros of 8 and mean 6.5/8, channel 2 has 5
 * zeros and mean 4.5/8. */
static void test_channels_by_hand(const char *dir)
{
    CHECK_SECTION("ReLU on a convolution, by hand");
    al_net_options no = al_net_options_default();
    al_shape in = {3, {1, 2, 2, 0}};
    no.input = in;
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("Conv2d(1, 3, 1), ReLU(), Flatten(), Linear(12, 1)", &no, &net, &err) == AL_OK, "%s",
          err.message);
    if (!net)
        return;
    const float w[3] = {0, 1, 1}, b[3] = {-1, 0, -0.5f};
    memcpy(param(net, "0.weight"), w, sizeof w);
    memcpy(param(net, "0.bias"), b, sizeof b);
    char log[512];
    snprintf(log, sizeof log, "%s/conv.jsonl", dir);
    al_probe_options o = al_probe_options_default();
    o.every = 1;
    o.log_path = log;
    al_probe *p = NULL;
    CHECK(al_probe_create(net, &o, &p, &err) == AL_OK, "%s", err.message);
    const float x[8] = {0, 1, 2, -1, 0.5f, 3, -2, 0};
    probe_step(net, p, x, 2, 1, 0);
    size_t n;
    const al_probe_record *r = al_probe_records(p, &n), *act = NULL, *conv = NULL, *lin = NULL;
    for (size_t i = 0; i < n; i++) {
        act = r[i].layer == 1 ? &r[i] : act;
        conv = r[i].layer == 0 ? &r[i] : conv;
        lin = r[i].layer == 3 ? &r[i] : lin;
    }
    CHECK(act && conv && lin, "records for every layer");
    if (!act || !conv || !lin)
        goto done;
    CHECK(act->units == 12 && act->channels == 3 && act->positions == 4, "units %zu = channels %zu x positions %zu",
          act->units, act->channels, act->positions);
    CHECK(lin->channels == 1 && lin->positions == 1, "a Linear output is [features]");
    CHECK_NEAR(act->dead, 1.0 / 3, 0, 1e-12, "channel 0 is dead by construction");
    CHECK_NEAR(act->sparsity, (8 + 4 + 5) / 24.0, 0, 1e-12, "sparsity over every value");
    CHECK(act->kink_hits == 3 && act->kink_seen == 24, "three pre-activations on the kink: %llu of %llu",
          (unsigned long long)act->kink_hits, (unsigned long long)act->kink_seen);
    const al_probe_channel *ch = al_probe_channels(p, act);
    CHECK(ch != NULL && al_probe_channels(p, conv) == NULL && al_probe_channels(p, lin) == NULL,
          "per-channel values on the activation only");
    if (ch) {
        CHECK(ch[0].max_abs_deriv == 0 && ch[1].max_abs_deriv == 1 && ch[2].max_abs_deriv == 1,
              "max |f'| per channel: %g %g %g", ch[0].max_abs_deriv, ch[1].max_abs_deriv, ch[2].max_abs_deriv);
        CHECK(ch[0].kink_hits == 0 && ch[1].kink_hits == 2 && ch[2].kink_hits == 1, "kink hits per channel");
        CHECK_NEAR(ch[0].sparsity, 1.0, 0, 1e-12, "channel 0 sparsity");
        CHECK_NEAR(ch[1].sparsity, 0.5, 0, 1e-12, "channel 1 sparsity");
        CHECK_NEAR(ch[2].sparsity, 5.0 / 8, 0, 1e-12, "channel 2 sparsity");
        CHECK_NEAR(ch[1].out_mean, 6.5 / 8, 0, 1e-12, "channel 1 mean");
        CHECK_NEAR(ch[2].out_mean, 4.5 / 8, 0, 1e-12, "channel 2 mean");
        CHECK_NEAR(ch[1].out_std, sqrt((1 + 4 + 0.25 + 9) / 8.0 - (6.5 / 8) * (6.5 / 8)), 0, 1e-9, "channel 1 std");
        CHECK_NEAR(ch[0].in_mean, -1, 0, 1e-12, "channel 0 pre-activation mean");
        CHECK_NEAR(ch[2].in_mean, -0.5 / 8, 1e-12, 1e-9, "channel 2 pre-activation mean");
    }
    uint8_t dead[3] = {9, 9, 9};
    size_t seen = 0;
    CHECK(al_probe_dead_mask(p, 1, dead, 3, &seen, &err) == AL_OK, "%s", err.message);
    CHECK(dead[0] == 1 && dead[1] == 0 && dead[2] == 0 && seen == 2, "the dead mask has a flag per channel: %d %d %d "
          "after %zu samples", dead[0], dead[1], dead[2], seen);
    CHECK(al_probe_dead_mask(p, 1, dead, 12, NULL, &err) == AL_ERR_INVALID, "the mask of a conv layer is per channel");
    /* step 2 closes the epoch with only negative inputs: channels 1 and 2
     * have f' = 0 everywhere on it, but not over the epoch */
    const float x2[4] = {-1, -2, -3, -4};
    probe_step(net, p, x2, 1, 2, 1);
    const al_probe_record *end = al_probe_last_epoch(p, 1);
    CHECK(end && fabs(end->dead - 1.0 / 3) < 1e-12, "dead counts the epoch: %g", end ? end->dead : NAN);
    const al_probe_channel *ech = end ? al_probe_channels(p, end) : NULL;
    CHECK(ech && ech[1].kink_hits == 0 && ech[1].max_abs_deriv == 1, "per-channel kinks restart per record");

    /* the log carries the arrays */
    FILE *f = fopen(log, "r");
    char line[8192];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        json_t *pc = j ? json_object_get(j, "per_channel") : NULL;
        if (pc && json_integer_value(json_object_get(j, "step")) == 1) {
            found = 1;
            json_t *sp = json_object_get(pc, "sparsity"), *kh = json_object_get(pc, "kink_hits");
            CHECK(json_array_size(sp) == 3 && fabs(json_real_value(json_array_get(sp, 2)) - 5.0 / 8) < 1e-12,
                  "per_channel.sparsity in the log");
            CHECK(json_array_size(kh) == 3 && json_integer_value(json_array_get(kh, 1)) == 2,
                  "per_channel.kink_hits in the log");
            CHECK(json_integer_value(json_object_get(j, "channels")) == 3 &&
                      json_integer_value(json_object_get(j, "positions")) == 4,
                  "channels and positions in the log");
        }
        json_decref(j);
    }
    if (f)
        fclose(f);
    CHECK(found, "the log has the step-1 activation record with per_channel");
done:
    al_probe_free(p);
    al_net_free(net);
}

/* A probe made before the net knows its input's height and width (a
 * Conv2d first, no input shape) sizes itself when al_train fits the net. */
static void test_probe_before_fit(void)
{
    CHECK_SECTION("probes on a net fitted later");
    al_net *net = NULL;
    al_error err = {0};
    CHECK(al_net_create("Conv2d(1, 2, 3, padding=1), ELU(), MaxPool2d(2), Flatten(), Linear(8, 2)", NULL, &net,
                        &err) == AL_OK, "%s", err.message);
    if (!net)
        return;
    CHECK(al_net_in_features(net) == 0, "H and W are not known yet");
    al_probe *p = NULL;
    CHECK(al_probe_create(net, NULL, &p, &err) == AL_OK, "%s", err.message);
    size_t shape[3] = {1, 4, 4};
    al_dataset *ds = NULL;
    CHECK(al_dataset_create("tiny", 20, 3, shape, &ds, &err) == AL_OK, "%s", err.message);
    for (size_t i = 0; ds && i < 20; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 2);
        for (size_t k = 0; k < 16; k++)
            al_dataset_x_mut(ds)[i * 16 + k] = (float)((i % 2 ? 1.0 : -1.0) * (double)k / 16);
    }
    al_train_options o = al_train_options_default();
    o.batch = 5;
    o.epochs = 1;
    o.probe = p;
    CHECK(ds && al_dataset_check_labels(ds, 0, &err) == AL_OK, "%s", err.message);
    CHECK(ds && al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_OK, "%s", err.message);
    const al_probe_record *r = al_probe_last_epoch(p, 1);
    CHECK(r && r->channels == 2 && r->positions == 16 && al_probe_channels(p, r) != NULL,
          "the ELU layer is probed per channel");
    al_probe_free(p);
    al_dataset_free(ds);
    al_net_free(net);
}

/* The same training probed twice, once keeping every record and once the
 * latest few: the kept records and their per-channel values are the last
 * ones of the full list, however often the kept ones moved; the epoch-end
 * record keeps its channels after it is dropped. */
static void run_probed(size_t max_records, al_probe **out, al_net **net_out)
{
    al_net *net = NULL;
    al_error err = {0};
    al_net_options no = al_net_options_default();
    al_shape in = {3, {1, 4, 4, 0}};
    no.input = in;
    no.seed = 3;
    CHECK(al_net_create("Conv2d(1, 3, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(12, 2)", &no, &net,
                        &err) == AL_OK, "%s", err.message);
    al_probe_options po = al_probe_options_default();
    po.every = 1;
    po.max_records = max_records;
    al_probe *p = NULL;
    CHECK(net && al_probe_create(net, &po, &p, &err) == AL_OK, "%s", err.message);
    size_t shape[3] = {1, 4, 4};
    al_dataset *ds = NULL;
    CHECK(al_dataset_create("tiny", 40, 3, shape, &ds, &err) == AL_OK, "%s", err.message);
    for (size_t i = 0; ds && i < 40; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 2);
        for (size_t k = 0; k < 16; k++)
            al_dataset_x_mut(ds)[i * 16 + k] = (float)((i % 2 ? 1.0 : -0.5) * (double)((k * 7 + i) % 16) / 16);
    }
    al_train_options o = al_train_options_default();
    o.batch = 4;
    o.epochs = 3;
    o.probe = p;
    CHECK(ds && al_dataset_check_labels(ds, 0, &err) == AL_OK, "%s", err.message);
    CHECK(p && ds && al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err) == AL_OK, "%s", err.message);
    al_dataset_free(ds);
    *out = p;
    *net_out = net;
}

static void test_max_records(void)
{
    CHECK_SECTION("per-channel values of the latest records (max_records)");
    al_probe *all = NULL;
    al_net *net_all = NULL;
    run_probed(0, &all, &net_all);
    size_t n_all = 0, compared = 0;
    const al_probe_record *ra = all ? al_probe_records(all, &n_all) : NULL;
    CHECK(n_all == 30 * 5, "%zu records in all", n_all);
    /* caps that are not multiples of the 5 records of a point: the kept
     * ones move at every phase of a point */
    for (size_t max = 6; max <= 13; max++) {
        al_probe *few = NULL;
        al_net *net_few = NULL;
        run_probed(max, &few, &net_few);
        size_t n_few = 0;
        const al_probe_record *rf = few ? al_probe_records(few, &n_few) : NULL;
        CHECK(n_few == max, "%zu records kept of at most %zu", n_few, max);
        for (size_t i = 0; ra && rf && n_few == max && n_all >= max && i < n_few; i++) {
            const al_probe_record *a = &ra[n_all - n_few + i], *f = &rf[i];
            CHECK(a->step == f->step && a->layer == f->layer && a->has_channels == f->has_channels,
                  "kept record %zu is the full list's record %zu", i, n_all - n_few + i);
            const al_probe_channel *ca = al_probe_channels(all, a), *cf = al_probe_channels(few, f);
            CHECK((ca == NULL) == (cf == NULL), "record %zu: per-channel values in one list only", i);
            for (size_t c = 0; ca && cf && c < a->channels; c++, compared++)
                CHECK(ca[c].max_abs_deriv == cf[c].max_abs_deriv && ca[c].sparsity == cf[c].sparsity &&
                          ca[c].out_mean == cf[c].out_mean && ca[c].kink_hits == cf[c].kink_hits,
                      "max_records %zu, record %zu, channel %zu: the kept values differ from the full list's", max,
                      i, c);
        }
        al_probe_free(few);
        al_net_free(net_few);
    }
    CHECK(compared > 0, "some kept record has per-channel values");
    /* two kept records: the ReLU's (layer 1) of the last point is gone */
    al_probe *two = NULL;
    al_net *net_two = NULL;
    run_probed(2, &two, &net_two);
    size_t n_two = 0;
    const al_probe_record *rt = two ? al_probe_records(two, &n_two) : NULL;
    CHECK(rt && n_two == 2 && rt[0].layer == 3 && rt[1].layer == 4, "the last two records are layers 3 and 4");
    const al_probe_record *ea = all ? al_probe_last_epoch(all, 1) : NULL, *et = two ? al_probe_last_epoch(two, 1) : NULL;
    const al_probe_channel *ca = ea ? al_probe_channels(all, ea) : NULL, *ct = et ? al_probe_channels(two, et) : NULL;
    CHECK(ca && ct && memcmp(ca, ct, 3 * sizeof *ca) == 0, "the last epoch end's channels survive being dropped");
    al_probe_free(all);
    al_probe_free(two);
    al_net_free(net_all);
    al_net_free(net_two);
}

int main(void)
{
    char dir[] = "/tmp/actlab_probe_conv_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_channels_by_hand(dir);
    test_probe_before_fit();
    test_max_records();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_probe_conv");
}
