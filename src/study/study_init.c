/* The studies of forward and backward statistics at initialisation, run on
 * the net directly: consistency, vanishing (plus its trained part) and
 * selu-fixed-point. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/loss.h"
#include "actlab/nn.h"
#include "actlab/rng.h"
#include "actlab/stats.h"
#include "study/study_internal.h"

#define VERDICT_BYTES 2048
#define MAX_LINEAR 128

/* "Linear(in, w), ACT, Linear(w, w), ACT, ..., Linear(w, out)" with `hidden` activations. */
static char *mlp_spec(size_t in, size_t width, size_t out, int hidden, const char *act)
{
    al_buf b = {0};
    for (int d = 0; d < hidden; d++)
        al_buf_printf(&b, "Linear(%zu, %zu), %s, ", d == 0 ? in : width, width, act);
    al_buf_printf(&b, "Linear(%zu, %zu)", hidden ? width : in, out);
    if (b.failed) {
        al_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* One forward and cross-entropy backward of net on rows x [batch, in] with labels y. */
static al_status forward_backward(al_net *net, const float *x, const int32_t *y, size_t batch, al_error *err)
{
    al_status st = al_net_prepare(net, batch, err);
    if (st != AL_OK)
        return st;
    const float *logits = al_net_forward(net, x, batch, 1, 0);
    if (!logits)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory in the forward pass");
    size_t classes = al_net_out_features(net);
    float *dlogits = malloc(batch * classes * sizeof *dlogits);
    if (!dlogits)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    double loss;
    st = al_loss_cross_entropy(logits, y, batch, classes, dlogits, &loss, NULL, err);
    if (st == AL_OK) {
        al_net_zero_grad(net);
        if (al_net_backward(net, dlogits, NULL) != AL_OK)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory in the backward pass");
    }
    free(dlogits);
    return st;
}

/* A new net from spec under init and seed, after one forward and backward pass on train. */
static al_status net_after_backward(const char *spec, al_init_scheme init, uint64_t seed, const al_dataset *train,
                                    al_net **net, al_error *err)
{
    al_net_options no = al_net_options_default();
    no.init = init;
    no.seed = seed;
    al_status st = al_net_create(spec, &no, net, err);
    if (st != AL_OK)
        return st;
    size_t rows = al_dataset_count(train);
    float *x = malloc(rows * al_dataset_features(train) * sizeof *x);
    if (!x)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for %zu rows of '%s'", rows, al_dataset_name(train));
    al_dataset_rows(train, 0, rows, x);
    st = forward_backward(*net, x, al_dataset_y(train), rows, err);
    free(x);
    return st;
}

/* The L2 norm of every weight gradient ("N.weight"), in layer order; returns how many. */
static size_t weight_grad_norms(const al_net *net, double *out, size_t max)
{
    int count = 0;
    const al_param_ref *p = al_net_params(net, &count);
    size_t n = 0;
    for (int i = 0; i < count && n < max; i++) {
        const char *dot = strrchr(p[i].name, '.');
        if (!dot || strcmp(dot, ".weight") != 0 || !p[i].grad)
            continue;
        double s = 0;
        for (size_t k = 0; k < p[i].count; k++)
            s += (double)p[i].grad[k] * p[i].grad[k];
        out[n++] = sqrt(s);
    }
    return n;
}

/* ---- consistency ---- */

#define HIST_BINS 41

al_status study_consistency(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[3] = {"ReLU()", "Tanh()", "Sigmoid()"};
    const int hidden = 8;
    size_t width = STUDY_PICK(env, 128, 256), batch = STUDY_PICK(env, 1000, 10000);
    size_t seeds = study_seeds(env, 3, 10);
    al_dataset *train = NULL;
    al_status st = study_load(env, batch, &train, NULL, err);
    if (st != AL_OK)
        return st;
    size_t in = al_dataset_features(train), classes = (size_t)al_dataset_classes(train);
    batch = al_dataset_count(train);
    double hist[3][HIST_BINS], zero[3], one[3], mean[3], pass_mean[3], pass_cv[3], ratio[3];
    double norms[3][MAX_LINEAR];
    size_t n_lin = 0;
    memset(hist, 0, sizeof hist);
    memset(norms, 0, sizeof norms);
    float *ones = NULL, *d = NULL;
    for (int a = 0; st == AL_OK && a < 3; a++) {
        char *spec = mlp_spec(in, width, classes, hidden, acts[a]);
        double total = 0, n0 = 0, n1 = 0, sum = 0, pass = 0, pass_sum = 0, pass_sq = 0;
        if (!spec)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
        for (size_t s = 0; st == AL_OK && s < seeds; s++) {
            al_net *net = NULL;
            st = net_after_backward(spec, AL_INIT_KAIMING_NORMAL, 1 + s, train, &net, err);
            if (st == AL_OK && !ones) {
                ones = malloc(batch * width * sizeof *ones);
                d = malloc(batch * width * sizeof *d);
                if (!ones || !d)
                    st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
                for (size_t i = 0; st == AL_OK && i < batch * width; i++)
                    ones[i] = 1.0f;
            }
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
                    if (v != 0) {
                        pass++;
                        pass_sum += v;
                        pass_sq += v * v;
                    }
                }
            }
            double g[MAX_LINEAR];
            if (st == AL_OK) {
                n_lin = weight_grad_norms(net, g, MAX_LINEAR);
                for (size_t k = 0; k < n_lin; k++)
                    norms[a][k] += g[k] / (double)seeds;
            }
            al_net_free(net);
        }
        free(spec);
        if (st != AL_OK)
            break;
        for (int b = 0; b < HIST_BINS; b++)
            hist[a][b] /= total;
        zero[a] = n0 / total;
        one[a] = n1 / total;
        mean[a] = sum / total;
        pass_mean[a] = pass ? pass_sum / pass : NAN;
        pass_cv[a] = pass ? sqrt(fmax(0, pass_sq / pass - pass_mean[a] * pass_mean[a])) / pass_mean[a] : NAN;
        ratio[a] = n_lin >= 2 && norms[a][n_lin - 1] > 0 ? norms[a][0] / norms[a][n_lin - 1] : NAN;
    }
    free(ones);
    free(d);
    al_dataset_free(train);
    if (st != AL_OK)
        return st;
    char text[VERDICT_BYTES];
    size_t len = 0;
    len += (size_t)snprintf(text + len, sizeof text - len, "At initialisation (%d hidden layers, Kaiming-normal):",
                            hidden);
    for (int a = 0; a < 3 && len < sizeof text; a++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                " **%s** f' = 0 for %.1f %% and f' = 1 for %.1f %% of units x samples; mean f' %.3f; "
                                "where it passes gradient, f' averages %.3f with a spread (sd/mean) of %.0f %%; "
                                "first/last weight-gradient norm %.3g.",
                                acts[a], 100 * zero[a], 100 * one[a], mean[a], pass_mean[a], 100 * pass_cv[a],
                                ratio[a]);
    if (len < sizeof text)
        snprintf(text + len, sizeof text - len,
                 "\n\n\"Large and consistent\" in numbers: the activation whose passing derivative is largest is %s "
                 "(%.3f) and the most consistent (smallest spread) is %s (%.0f %%).",
                 pass_mean[0] >= pass_mean[1] && pass_mean[0] >= pass_mean[2] ? acts[0]
                 : pass_mean[1] >= pass_mean[2]                               ? acts[1] : acts[2],
                 fmax(pass_mean[0], fmax(pass_mean[1], pass_mean[2])),
                 pass_cv[0] <= pass_cv[1] && pass_cv[0] <= pass_cv[2] ? acts[0]
                 : pass_cv[1] <= pass_cv[2]                           ? acts[1] : acts[2],
                 100 * fmin(pass_cv[0], fmin(pass_cv[1], pass_cv[2])));
    st = study_verdict(env, res, AL_VERDICT_INFO, text, err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("Distribution of f'(x) at init", "f'(x)", "fraction", 520, 340, &charts[0], err);
    if (st == AL_OK)
        st = al_chart_create("Weight-gradient norm by layer", "Linear layer", "log10 gradient norm", 520, 340,
                             &charts[1], err);
    for (int a = 0; st == AL_OK && a < 3; a++) {
        double xs[HIST_BINS], lx[MAX_LINEAR], ly[MAX_LINEAR];
        for (int b = 0; b < HIST_BINS; b++)
            xs[b] = 0.025 * b;
        for (size_t k = 0; k < n_lin; k++) {
            lx[k] = (double)(k + 1);
            ly[k] = norms[a][k] > 0 ? log10(norms[a][k]) : NAN;
        }
        st = al_chart_add_series(charts[0], acts[a], HIST_BINS, xs, hist[a], al_chart_palette((size_t)a), err);
        if (st == AL_OK)
            st = al_chart_add_series(charts[1], acts[a], n_lin, lx, ly, al_chart_palette((size_t)a), err);
    }
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Left: the fraction of f'(x) values in each bin of width 0.025, pooled "
                        "over the activation layers and init seeds. Right: log10 of the weight-gradient norm of each "
                        "Linear layer (1 = next to the input), mean over init seeds.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    static const char *const header[6] = {"activation", "f' = 0", "f' = 1", "mean f'", "mean f' where > 0",
                                          "first/last grad"};
    char cells[3 * 6][STUDY_CELL];
    for (int a = 0; a < 3; a++) {
        snprintf(cells[a * 6 + 0], STUDY_CELL, "%s", acts[a]);
        snprintf(cells[a * 6 + 1], STUDY_CELL, "%.1f%%", 100 * zero[a]);
        snprintf(cells[a * 6 + 2], STUDY_CELL, "%.1f%%", 100 * one[a]);
        snprintf(cells[a * 6 + 3], STUDY_CELL, "%.3f", mean[a]);
        snprintf(cells[a * 6 + 4], STUDY_CELL, "%.3f (spread %.0f%%)", pass_mean[a], 100 * pass_cv[a]);
        snprintf(cells[a * 6 + 5], STUDY_CELL, "%.3g", ratio[a]);
    }
    if (st == AL_OK)
        st = study_table(env, "Derivatives at initialisation, pooled over activation layers and init seeds.", 6,
                         header, 3, cells, err);
    if (st == AL_OK)
        st = study_act_plot(env, acts, 3, -4, 4, "The three activations and their derivatives.", err);
    return st;
}

/* ---- vanishing ---- */

/* Median |dy/dx| through a chain of `layers` Linear(1, 1) + act layers, over n N(0, 1) inputs. */
static al_status chain_gradient(const char *act, int layers, size_t n, uint64_t seed, double *out, al_error *err)
{
    char *spec = mlp_spec(1, 1, 1, layers, act);
    if (!spec)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_net_options no = al_net_options_default();
    no.init = AL_INIT_KAIMING_NORMAL;
    no.seed = seed;
    al_net *net = NULL;
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy), *dx = malloc(n * sizeof *dx);
    double *g = malloc(n * sizeof *g);
    al_status st = al_net_create(spec, &no, &net, err);
    if (st == AL_OK && (!x || !dy || !dx || !g))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    if (st == AL_OK)
        st = al_net_prepare(net, n, err);
    if (st == AL_OK) {
        al_rng rng;
        al_rng_seed(&rng, seed);
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)al_rng_normal(&rng);
            dy[i] = 1.0f;
        }
        al_net_forward(net, x, n, 1, 0);
        al_net_zero_grad(net);
        al_net_backward(net, dy, dx);
        for (size_t i = 0; i < n; i++)
            g[i] = fabs((double)dx[i]);
        for (size_t i = 1; i < n; i++) /* insertion sort of a small sample */
            for (size_t k = i; k > 0 && g[k - 1] > g[k]; k--) {
                double t = g[k];
                g[k] = g[k - 1];
                g[k - 1] = t;
            }
        *out = n % 2 ? g[n / 2] : 0.5 * (g[n / 2 - 1] + g[n / 2]);
    }
    al_net_free(net);
    free(spec), free(x), free(dy), free(dx), free(g);
    return st;
}

al_status study_vanishing(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[4] = {"Sigmoid()", "Tanh()", "ReLU()", "ELU()"};
    static const int saturating[4] = {1, 1, 0, 0};
    static const al_init_scheme inits[2] = {AL_INIT_PYTORCH, AL_INIT_KAIMING_NORMAL};
    const int hidden = 20;
    size_t width = 128, seeds = study_seeds(env, 3, 10);
    al_dataset *train = NULL;
    al_status st = study_load(env, 1000, &train, NULL, err);
    if (st != AL_OK)
        return st;
    size_t in = al_dataset_features(train), classes = (size_t)al_dataset_classes(train);
    double norms[2][4][MAX_LINEAR], ratio[2][4], chain[4];
    size_t n_lin = 0;
    memset(norms, 0, sizeof norms);
    for (int i = 0; st == AL_OK && i < 2; i++)
        for (int a = 0; st == AL_OK && a < 4; a++) {
            char *spec = mlp_spec(in, width, classes, hidden, acts[a]);
            if (!spec)
                st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
            for (size_t s = 0; st == AL_OK && s < seeds; s++) {
                al_net *net = NULL;
                st = net_after_backward(spec, inits[i], 1 + s, train, &net, err);
                double g[MAX_LINEAR];
                if (st == AL_OK) {
                    n_lin = weight_grad_norms(net, g, MAX_LINEAR);
                    for (size_t k = 0; k < n_lin; k++)
                        norms[i][a][k] += g[k] / (double)seeds;
                }
                al_net_free(net);
            }
            free(spec);
            ratio[i][a] = n_lin >= 2 && norms[i][a][n_lin - 1] > 0 ? norms[i][a][0] / norms[i][a][n_lin - 1] : NAN;
        }
    al_dataset_free(train);
    for (int a = 0; st == AL_OK && a < 4; a++) {
        double v[64];
        size_t k = 0;
        for (size_t s = 0; st == AL_OK && s < seeds && k < 64; s++)
            st = chain_gradient(acts[a], hidden, 1000, 1 + s, &v[k++], err);
        chain[a] = al_stats_mean(v, k);
    }
    if (st != AL_OK)
        return st;
    /* after training: the same depth, narrower, through the compare runner */
    static const int depths[1] = {20};
    static const al_init_scheme kn[1] = {AL_INIT_KAIMING_NORMAL};
    al_compare_factors f = study_mlp_factors(acts, 4, depths, 64);
    f.inits = kn;
    f.n_inits = 1;
    al_compare_options o = al_compare_options_default();
    o.seeds = study_seeds(env, 3, 5);
    o.epochs = STUDY_PICK(env, 2, 10);
    o.optim.lr = 0.01;
    al_compare *c = NULL;
    st = study_compare(env, "trained", &f, &o, STUDY_PICK(env, 10000, 0), &c, err);
    if (st != AL_OK)
        return st;
    char text[VERDICT_BYTES];
    al_verdict kind = al_study_verdict_vanishing(acts, saturating, ratio[1], 4, n_lin, text, sizeof text);
    size_t len = strlen(text);
    snprintf(text + len, sizeof text - len,
             "\n\nUnder PyTorch's default init the ratios are: %s %.3g, %s %.3g, %s %.3g, %s %.3g. Through a chain "
             "of %d one-unit layers the median |dy/dx| is %s %.3g, %s %.3g, %s %.3g, %s %.3g.",
             acts[0], ratio[0][0], acts[1], ratio[0][1], acts[2], ratio[0][2], acts[3], ratio[0][3], hidden, acts[0],
             chain[0], acts[1], chain[1], acts[2], chain[2], acts[3], chain[3]);
    st = study_verdict(env, res, kind, text, err);
    al_chart *charts[3] = {NULL, NULL, NULL};
    static const char *const titles[3] = {"At init, PyTorch default", "At init, Kaiming-normal",
                                          "After training, Kaiming-normal"};
    for (int i = 0; st == AL_OK && i < 3; i++)
        st = al_chart_create(titles[i], "Linear layer", "log10 gradient norm", 420, 320, &charts[i], err);
    for (int i = 0; st == AL_OK && i < 2; i++)
        for (int a = 0; st == AL_OK && a < 4; a++) {
            double lx[MAX_LINEAR], ly[MAX_LINEAR];
            for (size_t k = 0; k < n_lin; k++) {
                lx[k] = (double)(k + 1);
                ly[k] = norms[i][a][k] > 0 ? log10(norms[i][a][k]) : NAN;
            }
            st = al_chart_add_series(charts[i], acts[a], n_lin, lx, ly, al_chart_palette((size_t)a), err);
        }
    for (size_t a = 0; st == AL_OK && a < al_compare_arm_count(c); a++) {
        double lx[MAX_LINEAR], ly[MAX_LINEAR];
        size_t k = 0;
        const al_job_result *r0 = al_compare_job(c, a, 0);
        for (int l = 0; l < r0->layers && k < MAX_LINEAR; l++) {
            double sum = 0;
            size_t m = 0;
            for (size_t s = 0; s < o.seeds; s++) {
                const al_job_result *r = al_compare_job(c, a, s);
                double v = r->done ? r->weight_grad[(size_t)(r->epochs - 1) * (size_t)r->layers + (size_t)l] : NAN;
                if (isfinite(v)) {
                    sum += v;
                    m++;
                }
            }
            if (m == 0)
                continue;
            lx[k] = (double)(k + 1);
            ly[k++] = sum > 0 ? log10(sum / (double)m) : NAN;
        }
        st = al_chart_add_series(charts[2], al_compare_arm(c, a)->name, k, lx, ly, al_chart_palette(a), err);
    }
    if (st == AL_OK)
        st = study_grid(env, charts, 3, 3, "log10 of the weight-gradient norm of each Linear layer (1 = next to the "
                        "input) of a 20-hidden-layer MLP: at init under two schemes (width 128, mean over init seeds) "
                        "and at the last epoch of training (width 64, mean over seeds).", err);
    else
        for (int i = 0; i < 3; i++)
            al_chart_free(charts[i]);
    static const char *const header[5] = {"activation", "first/last at init (PyTorch)", "first/last at init (Kaiming)",
                                          "chain median |dy/dx|", "test accuracy after training"};
    char cells[4 * 5][STUDY_CELL];
    for (int a = 0; a < 4; a++) {
        snprintf(cells[a * 5 + 0], STUDY_CELL, "%s", acts[a]);
        snprintf(cells[a * 5 + 1], STUDY_CELL, "%.3g", ratio[0][a]);
        snprintf(cells[a * 5 + 2], STUDY_CELL, "%.3g", ratio[1][a]);
        snprintf(cells[a * 5 + 3], STUDY_CELL, "%.3g", chain[a]);
        snprintf(cells[a * 5 + 4], STUDY_CELL, "%.2f%%", 100 * al_compare_summary(c, (size_t)a)->acc_mean);
    }
    if (st == AL_OK)
        st = study_table(env, "Gradient ratios and the one-unit chain (20 layers).", 5, header, 4, cells, err);
    al_compare_free(c);
    return st;
}

/* ---- selu-fixed-point ---- */

al_status study_selu_fixed_point(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const init_names[4] = {"lecun-normal", "kaiming-normal", "xavier-normal", "pytorch"};
    static const al_init_scheme inits[4] = {AL_INIT_LECUN_NORMAL, AL_INIT_KAIMING_NORMAL, AL_INIT_XAVIER_NORMAL,
                                            AL_INIT_PYTORCH};
    static const double vars[3] = {0.5, 1, 2};
    enum { LAYERS = 64 };
    size_t width = STUDY_PICK(env, 256, 1024), batch = STUDY_PICK(env, 1000, 4000);
    char *spec = mlp_spec(width, width, width, LAYERS, "SELU()");
    float *x = malloc(batch * width * sizeof *x);
    double mean[4][3][LAYERS], var[4][3][LAYERS], last_mean[12], last_var[12];
    al_status st = spec && x ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (int i = 0; st == AL_OK && i < 4; i++) {
        al_net_options no = al_net_options_default();
        no.init = inits[i];
        no.seed = 1;
        al_net *net = NULL;
        st = al_net_create(spec, &no, &net, err);
        if (st == AL_OK)
            st = al_net_prepare(net, batch, err);
        for (int v = 0; st == AL_OK && v < 3; v++) {
            al_rng rng;
            al_rng_seed(&rng, 7);
            for (size_t k = 0; k < batch * width; k++)
                x[k] = (float)(sqrt(vars[v]) * al_rng_normal(&rng));
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
            last_mean[i * 3 + v] = mean[i][v][LAYERS - 1];
            last_var[i * 3 + v] = var[i][v][LAYERS - 1];
        }
        al_net_free(net);
    }
    free(spec);
    free(x);
    if (st != AL_OK)
        return st;
    char text[VERDICT_BYTES];
    al_verdict kind = al_study_verdict_selu(init_names, 4, 0, vars, 3, last_mean, last_var, LAYERS, text, sizeof text);
    st = study_verdict(env, res, kind, text, err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("Mean of each SELU output", "layer", "mean", 520, 340, &charts[0], err);
    if (st == AL_OK)
        st = al_chart_create("Variance of each SELU output", "layer", "variance", 520, 340, &charts[1], err);
    if (st == AL_OK)
        st = al_chart_set_y_range(charts[1], 0, 3, err);
    if (st == AL_OK)
        st = al_chart_set_y_range(charts[0], -1, 1.5, err);
    for (int i = 0; st == AL_OK && i < 4; i++)
        for (int v = 0; st == AL_OK && v < 3; v += 2) {
            double xs[LAYERS];
            char name[64];
            for (int l = 0; l < LAYERS; l++)
                xs[l] = l + 1;
            snprintf(name, sizeof name, "%s, var %g", init_names[i], vars[v]);
            const char *color = al_chart_palette((size_t)i);
            st = al_chart_add_series(charts[0], v == 0 ? name : NULL, LAYERS, xs, mean[i][v], color, err);
            if (st == AL_OK)
                st = al_chart_add_series(charts[1], v == 0 ? init_names[i] : NULL, LAYERS, xs, var[i][v], color, err);
        }
    for (int k = 0; st == AL_OK && k < 2; k++)
        st = k == 0 ? al_chart_add_hline(charts[0], 0, err) : al_chart_add_hline(charts[1], 1, err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Mean (left) and variance (right) of the output of each of 64 SELU layers "
                        "for inputs of variance 0.5 and 2 (two lines per init, one colour per init). Clipped to the "
                        "axes shown.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    static const char *const header[4] = {"init", "input variance 0.5", "input variance 1", "input variance 2"};
    char cells[4 * 4][STUDY_CELL];
    for (int i = 0; i < 4; i++) {
        snprintf(cells[i * 4], STUDY_CELL, "%s", init_names[i]);
        for (int v = 0; v < 3; v++)
            snprintf(cells[i * 4 + 1 + v], STUDY_CELL, "mean %.3f, var %.3f", last_mean[i * 3 + v],
                     last_var[i * 3 + v]);
    }
    if (st == AL_OK)
        st = study_table(env, "After the 64th SELU layer.", 4, header, 4, cells, err);
    return st;
}
