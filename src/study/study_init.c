/* Studies run on the net directly: consistency (derivatives at a common
 * init, and how consistent the gradient's direction is from one minibatch
 * to the next while training) and selu-fixed-point (forward statistics
 * through 64 SELU layers under several inits and inputs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/nn.h"
#include "actlab/rng.h"
#include "actlab/stats.h"
#include "study/study_internal.h"

/* ---- consistency ---- */

#define HIST_BINS 41
#define N_CONS 3

/* Cosines between successive minibatch gradients of one training run. */
typedef struct cosine_ctx {
    al_net *net;
    float *previous;
    size_t count;
    int have;
    double sum;
    size_t n;
} cosine_ctx;

static void on_step(const al_train_progress *p, void *context)
{
    cosine_ctx *c = context;
    if (p->epoch_end)
        return;
    size_t count;
    const float *g = al_net_grad_block(c->net, &count);
    if (c->have) {
        double dot = 0, a = 0, b = 0;
        for (size_t i = 0; i < count; i++) {
            dot += (double)g[i] * c->previous[i];
            a += (double)g[i] * g[i];
            b += (double)c->previous[i] * c->previous[i];
        }
        if (a > 0 && b > 0) {
            c->sum += dot / sqrt(a * b);
            c->n++;
        }
    }
    memcpy(c->previous, g, count * sizeof *g);
    c->have = 1;
}

/* The mean cosine between successive minibatch gradients over one epoch of training. */
static al_status train_cosine(const char *spec, uint64_t seed, const al_dataset *train, double *out, al_error *err)
{
    al_net_options no = al_net_options_default();
    no.init = AL_INIT_LECUN_NORMAL;
    no.seed = seed;
    al_net *net = NULL;
    cosine_ctx c;
    memset(&c, 0, sizeof c);
    al_status st = al_net_create(spec, &no, &net, err);
    if (st == AL_OK) {
        al_net_grad_block(net, &c.count);
        c.net = net;
        c.previous = malloc((c.count + 1) * sizeof *c.previous);
        if (!c.previous)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    if (st == AL_OK) {
        al_train_options o = al_train_options_default();
        o.epochs = 1;
        o.batch = 128;
        o.optim.lr = 0.01;
        o.optim.momentum = 0.9;
        o.seed = seed;
        st = al_train(net, train, NULL, &o, on_step, &c, NULL, err);
    }
    *out = c.n ? c.sum / (double)c.n : NAN;
    free(c.previous);
    al_net_free(net);
    return st;
}

al_status study_consistency(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_CONS] = {"ReLU()", "Tanh()", "Sigmoid()"};
    const int hidden = 8;
    size_t width = STUDY_PICK(env, 128, 256), batch = STUDY_PICK(env, 1000, 10000);
    size_t seeds = study_seeds(env, 3);
    al_dataset *probe_set = NULL, *train = NULL;
    al_status st = study_load(env, batch, &probe_set, NULL, err);
    if (st == AL_OK)
        st = study_load(env, STUDY_PICK(env, 10000, 60000), &train, NULL, err);
    if (st != AL_OK) {
        al_dataset_free(probe_set);
        return st;
    }
    size_t in = al_dataset_features(probe_set), classes = (size_t)al_dataset_classes(probe_set);
    batch = al_dataset_count(probe_set);
    double hist[N_CONS][HIST_BINS], zero[N_CONS], one[N_CONS], mean[N_CONS];
    double *cosine = calloc(N_CONS * seeds + 1, sizeof *cosine);
    memset(hist, 0, sizeof hist);
    float *ones = malloc(batch * width * sizeof *ones), *d = malloc(batch * width * sizeof *d);
    if (!ones || !d || !cosine)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AL_OK && i < batch * width; i++)
        ones[i] = 1.0f;
    for (int a = 0; st == AL_OK && a < N_CONS; a++) {
        char *spec = study_mlp_spec(in, width, classes, hidden, acts[a]);
        double total = 0, n0 = 0, n1 = 0, sum = 0;
        if (!spec)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
        for (size_t s = 0; st == AL_OK && s < seeds; s++) {
            al_net *net = NULL;
            st = study_net_after_backward(spec, AL_INIT_LECUN_NORMAL, AL_GAIN_SCHEME, NAN, 1 + s, probe_set, &net,
                                          err);
            for (int l = 0; st == AL_OK && l < al_net_layer_count(net); l++) {
                if (!al_net_activation_derivative(net, l, ones, d))
                    continue;
                for (size_t i = 0; i < batch * width; i++) {
                    double v = d[i];
                    int bin = (int)floor((v + 0.0125) / 0.025);
                    if (bin >= 0 && bin < HIST_BINS)
                        hist[a][bin]++;
                    total++;
                    sum += v;
                    n0 += v == 0;
                    n1 += v == 1;
                }
            }
            al_net_free(net);
            if (st == AL_OK)
                st = train_cosine(spec, 1 + s, train, &cosine[(size_t)a * seeds + s], err);
        }
        free(spec);
        for (int b = 0; st == AL_OK && b < HIST_BINS; b++)
            hist[a][b] /= total;
        zero[a] = total ? n0 / total : NAN;
        one[a] = total ? n1 / total : NAN;
        mean[a] = total ? sum / total : NAN;
    }
    free(ones);
    free(d);
    al_dataset_free(probe_set);
    al_dataset_free(train);
    study_family fam;
    memset(&fam, 0, sizeof fam);
    double *diff = malloc((seeds + 1) * sizeof *diff);
    char *text = malloc(STUDY_VERDICT_BYTES), *claims = malloc(STUDY_VERDICT_BYTES);
    if (st == AL_OK && (!diff || !text || !claims))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    if (st == AL_OK)
        st = study_family_init(&fam, seeds, err);
    static const int pairs[3][3] = {{1, 0, -1}, {2, 0, -1}, {1, 2, 0}}; /* arm, base, the claim's direction */
    for (int k = 0; st == AL_OK && k < 3; k++) {
        char what[160];
        for (size_t s = 0; s < seeds; s++)
            diff[s] = cosine[(size_t)pairs[k][0] * seeds + s] - cosine[(size_t)pairs[k][1] * seeds + s];
        snprintf(what, sizeof what, "%s vs %s, mean cosine of successive minibatch gradients", acts[pairs[k][0]],
                 acts[pairs[k][1]]);
        st = study_family_add(&fam, what, diff, pairs[k][2], 0.05, 1, "", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&fam, err);
    if (st == AL_OK) {
        size_t n = 0;
        al_verdict kind = study_family_verdict(&fam, claims, STUDY_VERDICT_BYTES);
        study_put(text, STUDY_VERDICT_BYTES, &n, "A common init (LeCun-normal, zero biases: the same weights for "
                  "every activation at a seed), %d hidden layers of %zu. At init, f' is exactly 0 for", hidden, width);
        for (int a = 0; a < N_CONS; a++)
            study_put(text, STUDY_VERDICT_BYTES, &n, "%s %s %.1f %%", a ? "," : "", acts[a], 100 * zero[a]);
        study_put(text, STUDY_VERDICT_BYTES, &n, " of units x samples (and exactly 1 for ReLU %.1f %%; mean f' %.3f, "
                  "%.3f, %.3f). ReLU's f' takes only the values 0 and 1, so \"the spread of f' where it passes "
                  "gradient\" is 0 by definition and tells nothing; the direction of the gradient does. Mean cosine "
                  "between successive minibatch gradients over one epoch (SGD lr 0.01, momentum 0.9, batch 128), "
                  "mean over %zu seeds:", 100 * one[0], mean[0], mean[1], mean[2], seeds);
        for (int a = 0; a < N_CONS; a++) {
            double v[1024];
            size_t k = 0;
            for (size_t s = 0; s < seeds && k < 1024; s++)
                if (isfinite(cosine[(size_t)a * seeds + s]))
                    v[k++] = cosine[(size_t)a * seeds + s];
            study_put(text, STUDY_VERDICT_BYTES, &n, "%s %s %.3f", a ? "," : "", acts[a], al_stats_mean(v, k));
        }
        study_put(text, STUDY_VERDICT_BYTES, &n, ". The claim: ReLU's gradients are the more consistent.\n\n%s\n\n"
                  "Published: Goodfellow, Bengio and Courville (Deep Learning, 2016, §6.3.1) say of rectified linear "
                  "units that \"the gradients are not only large but also consistent\". %s", claims,
                  kind == AL_VERDICT_SUPPORTED ? "Measured as the direction of successive gradients, actlab agrees."
                  : kind == AL_VERDICT_NOT_SUPPORTED ? "Measured as the direction of successive gradients, actlab "
                                                       "does not find ReLU's more consistent."
                                                     : "This budget cannot tell.");
        st = study_verdict(env, res, kind, text, err);
    }
    if (st == AL_OK)
        st = study_family_table(env, &fam, "Paired by seed (the same initial weights for every activation), one "
                                "family.", err);
    al_chart *chart = NULL;
    if (st == AL_OK)
        st = al_chart_create("Distribution of f'(x) at init", "f'(x)", "fraction", 520, 340, &chart, err);
    for (int a = 0; st == AL_OK && a < N_CONS; a++) {
        double xs[HIST_BINS];
        for (int b = 0; b < HIST_BINS; b++)
            xs[b] = 0.025 * b;
        st = al_chart_add_series(chart, acts[a], HIST_BINS, xs, hist[a], al_chart_palette((size_t)a), err);
    }
    if (st == AL_OK) {
        st = study_chart(env, chart, "The fraction of f'(x) values in each bin of width 0.025, pooled over the "
                         "activation layers and seeds, at the common init.", err);
        chart = NULL;
    }
    al_chart_free(chart);
    if (st == AL_OK)
        st = study_act_plot(env, acts, N_CONS, -4, 4, "The three activations and their derivatives.", err);
    study_family_free(&fam);
    free(cosine);
    free(diff);
    free(text);
    free(claims);
    return st;
}

/* ---- selu-fixed-point ---- */

#define N_INITS 5
#define N_INPUTS 5

al_status study_selu_fixed_point(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const names[N_INITS] = {"lecun-normal", "glorot (xavier-normal, gain 1)",
                                               "kaiming-normal (gain 3/4)", "he (kaiming-normal, gain sqrt 2)",
                                               "pytorch"};
    static const al_init_scheme schemes[N_INITS] = {AL_INIT_LECUN_NORMAL, AL_INIT_XAVIER_NORMAL,
                                                    AL_INIT_KAIMING_NORMAL, AL_INIT_KAIMING_NORMAL, AL_INIT_PYTORCH};
    static const al_gain_rule rules[N_INITS] = {AL_GAIN_SCHEME, AL_GAIN_ONE, AL_GAIN_SCHEME, AL_GAIN_HE,
                                                AL_GAIN_SCHEME};
    /* weights of variance 1/fan_in: LeCun, and Glorot's gain-1 Xavier on these square layers */
    static const int expect[N_INITS] = {1, 1, 0, 0, 0};
    static const double in_mean[N_INPUTS] = {0, 0, 0, 1, -1}, in_var[N_INPUTS] = {0.5, 1, 2, 1, 1};
    enum { LAYERS = 64 };
    size_t width = STUDY_PICK(env, 256, 1024), batch = STUDY_PICK(env, 500, 4000);
    char *spec = study_mlp_spec(width, width, width, LAYERS, "SELU()");
    float *x = malloc(batch * width * sizeof *x);
    double mean[N_INITS][N_INPUTS][LAYERS], var[N_INITS][N_INPUTS][LAYERS];
    double last_mean[N_INITS * N_INPUTS], last_var[N_INITS * N_INPUTS];
    al_status st = spec && x ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (int i = 0; st == AL_OK && i < N_INITS; i++) {
        al_net_options no = al_net_options_default();
        no.init = schemes[i];
        no.seed = 1;
        al_net *net = NULL;
        st = al_net_create(spec, &no, &net, err);
        if (st == AL_OK) {
            al_compare_init_net(net, schemes[i], rules[i], 1);
            st = al_net_prepare(net, batch, err);
        }
        for (int v = 0; st == AL_OK && v < N_INPUTS; v++) {
            al_rng rng;
            al_rng_seed(&rng, 7);
            for (size_t k = 0; k < batch * width; k++)
                x[k] = (float)(in_mean[v] + sqrt(in_var[v]) * al_rng_normal(&rng));
            al_net_forward(net, x, batch, 0, 0);
            int a = 0;
            for (int l = 0; l < al_net_layer_count(net) && a < LAYERS; l++) {
                if (al_net_layer(net, l).kind != AL_LAYER_ACTIVATION)
                    continue;
                const float *y = al_net_layer_output(net, l);
                double s = 0, s2 = 0, n = (double)(batch * width);
                for (size_t k = 0; k < batch * width; k++) {
                    s += y[k];
                    s2 += (double)y[k] * y[k];
                }
                mean[i][v][a] = s / n;
                var[i][v][a] = s2 / n - (s / n) * (s / n);
                a++;
            }
            last_mean[i * N_INPUTS + v] = mean[i][v][LAYERS - 1];
            last_var[i * N_INPUTS + v] = var[i][v][LAYERS - 1];
        }
        al_net_free(net);
    }
    free(spec);
    free(x);
    if (st != AL_OK)
        return st;
    char *text = malloc(STUDY_VERDICT_BYTES);
    if (!text)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_verdict kind = al_study_verdict_selu(names, N_INITS, expect, in_mean, in_var, N_INPUTS, last_mean, last_var,
                                            LAYERS, text, STUDY_VERDICT_BYTES);
    size_t n = strlen(text);
    study_put(text, STUDY_VERDICT_BYTES, &n, "\n\nPublished: Klambauer et al. (NeurIPS 2017) prove that "
              "\"activations close to zero mean and unit variance that are propagated through many network layers "
              "will converge towards zero mean and unit variance\", for weights of mean 0 and variance 1/n "
              "(LeCun-normal). %s", kind == AL_VERDICT_SUPPORTED ? "actlab's numbers agree, from inputs of mean ±1 "
              "and variance 0.5 to 2 as well." : "actlab's numbers do not fully agree; see the table.");
    st = study_verdict(env, res, kind, text, err);
    free(text);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("Mean of each SELU output", "layer", "mean", 520, 340, &charts[0], err);
    if (st == AL_OK)
        st = al_chart_create("Variance of each SELU output", "layer", "variance", 520, 340, &charts[1], err);
    if (st == AL_OK)
        st = al_chart_set_y_range(charts[1], 0, 3, err);
    if (st == AL_OK)
        st = al_chart_set_y_range(charts[0], -1.2, 1.5, err);
    for (int i = 0; st == AL_OK && i < N_INITS; i++)
        for (int v = 0; st == AL_OK && v < N_INPUTS; v++) {
            double xs[LAYERS];
            for (int l = 0; l < LAYERS; l++)
                xs[l] = l + 1;
            const char *color = al_chart_palette((size_t)i);
            st = al_chart_add_series(charts[0], v == 0 ? names[i] : NULL, LAYERS, xs, mean[i][v], color, err);
            if (st == AL_OK)
                st = al_chart_add_series(charts[1], v == 0 ? names[i] : NULL, LAYERS, xs, var[i][v], color, err);
        }
    for (int k = 0; st == AL_OK && k < 2; k++)
        st = k == 0 ? al_chart_add_hline(charts[0], 0, err) : al_chart_add_hline(charts[1], 1, err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Mean (left) and variance (right) of the output of each of 64 SELU layers "
                        "for every input (mean 0 with variance 0.5, 1, 2; mean ±1 with variance 1), one colour per "
                        "init. Clipped to the axes shown.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    static const char *const header[N_INPUTS + 1] = {"init", "input (0, 0.5)", "input (0, 1)", "input (0, 2)",
                                                     "input (1, 1)", "input (-1, 1)"};
    char cells[N_INITS * (N_INPUTS + 1)][STUDY_CELL];
    for (int i = 0; i < N_INITS; i++) {
        snprintf(cells[i * (N_INPUTS + 1)], STUDY_CELL, "%s", names[i]);
        for (int v = 0; v < N_INPUTS; v++)
            snprintf(cells[i * (N_INPUTS + 1) + 1 + v], STUDY_CELL, "mean %.3f, var %.3f",
                     last_mean[i * N_INPUTS + v], last_var[i * N_INPUTS + v]);
    }
    if (st == AL_OK)
        st = study_table(env, "After the 64th SELU layer, by input (mean, variance).", N_INPUTS + 1, header, N_INITS,
                         cells, err);
    return st;
}
