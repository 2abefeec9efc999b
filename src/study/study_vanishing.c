/* vanishing: do gradients vanish toward the input for sigmoid and tanh but
 * not for ReLU and ELU? Two-sided and per activation: the log10 of the
 * first over the last hidden layer's weight-gradient norm, under each
 * activation's variance-preserving init (fair) and PyTorch's default, with
 * the mean-field prediction beside it. A sweep of tanh's weight variance
 * through the order-to-chaos transition (gain 1 with zero biases), and a
 * chain of one-unit layers measured at init and after training.
 *
 * The gradient that vanishes or explodes is the one backpropagated to the
 * hidden pre-activations, delta_l = dL/dh_l: its ratio between the first and
 * the last hidden layer is the verdict's measure. Mean field (Poole et al.
 * 2016, Schoenholz et al. 2017): with weights of variance g^2/fan_in the
 * pre-activations of layer l are N(0, q_l), q_1 = g^2 E[x^2] (+ bias
 * variance), q_{l+1} = g^2 E[f(h_l)^2]; |delta_l|^2 changes by
 * chi_l = g^2 E[f'(h_l)^2] per layer, so
 * log10(|delta_1| / |delta_L|) = 1/2 sum_{l<L} log10 chi_l.
 * The weight gradients |dW_l| ~ |delta_l| |a_{l-1}| are reported too: in a
 * nearly linear regime the shrinking activations make up for the shrinking
 * delta, so their ratio stays near 1 while delta vanishes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/stats.h"
#include "study/study_internal.h"

#define HIDDEN 20
#define WIDTH 128
#define N_VAN 4
#define N_SWEEP 7
#define MAX_SEEDS 64

/* The mean-field log10 ratio of |delta_1| / |delta_L| for act at gain g
 * (bias variance bias_var), input second moment m_x. */
static double mean_field(const char *act_text, double g, double bias_var, double m_x)
{
    al_act a;
    if (al_act_parse(act_text, &a, NULL) != AL_OK)
        return NAN;
    double q = g * g * m_x + bias_var, log_chi = 0;
    for (int l = 1; l < HIDDEN; l++) { /* h_1 .. h_{L-1} */
        al_gauss_moments m;
        if (al_gauss_moments_of(&a, 0, q, &m, NULL) != AL_OK)
            return NAN;
        log_chi += log10(g * g * m.deriv_second);
        q = g * g * m.second + bias_var;
    }
    return 0.5 * log_chi;
}

static double frobenius(const float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; v && i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

/* One net at init: log10(|delta_1| / |delta_L|), the gradient at the first
 * over the last hidden pre-activation, and the same for the weight gradients. */
static al_status log_ratio(const char *spec, al_init_scheme init, al_gain_rule rule, double gain, uint64_t seed,
                           const al_dataset *batch, double *delta, double *weights, al_error *err)
{
    al_net *net = NULL;
    double g[HIDDEN + 2];
    al_status st = study_net_after_backward(spec, init, rule, gain, seed, batch, &net, err);
    size_t n = st == AL_OK ? study_weight_grad_norms(net, g, HIDDEN + 2) : 0;
    *weights = n > HIDDEN && g[0] > 0 && g[HIDDEN - 1] > 0 ? log10(g[0] / g[HIDDEN - 1]) : NAN;
    *delta = NAN;
    if (st == AL_OK) { /* hidden Linear layers sit at 0, 2, ..., 2 (HIDDEN - 1) */
        size_t rows = al_net_batch(net), width = al_net_layer(net, 0).out_features;
        double first = frobenius(al_net_layer_output_grad(net, 0), rows * width);
        double last = frobenius(al_net_layer_output_grad(net, 2 * (HIDDEN - 1)), rows * width);
        *delta = first > 0 && last > 0 ? log10(first / last) : NAN;
    }
    al_net_free(net);
    return st;
}

/* A chain of HIDDEN Linear(1, 1) + act, then Linear(1, 2): the median over
 * inputs of |d(logit1 - logit0)/dx|, at init and after training it to tell
 * the sign of x; also its training accuracy. */
static al_status chain(const char *act, uint64_t seed, double *before, double *after, double *accuracy, al_error *err)
{
    enum { N = 2000 };
    char *spec = study_mlp_spec(1, 1, 2, HIDDEN, act);
    al_net_options no = al_net_options_default();
    no.init = AL_INIT_KAIMING_NORMAL;
    no.seed = seed;
    al_net *net = NULL;
    al_dataset *ds = NULL;
    size_t shape[1] = {1};
    float *dy = malloc(2 * N * sizeof *dy), *dx = malloc(N * sizeof *dx);
    double *g = malloc(N * sizeof *g);
    al_status st = spec && dy && dx && g ? al_net_create(spec, &no, &net, err)
                                         : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    if (st == AL_OK)
        st = al_dataset_create("sign of x", N, 1, shape, &ds, err);
    if (st == AL_OK) {
        al_compare_init_net(net, AL_INIT_KAIMING_NORMAL, AL_GAIN_MATCHED, seed);
        al_rng rng;
        al_rng_seed(&rng, seed + 100);
        for (size_t i = 0; i < N; i++) {
            float v = (float)al_rng_normal(&rng);
            al_dataset_x_mut(ds)[i] = v;
            al_dataset_y_mut(ds)[i] = v > 0;
            dy[2 * i] = -1.0f;
            dy[2 * i + 1] = 1.0f;
        }
        st = al_dataset_check_labels(ds, 2, err);
    }
    for (int phase = 0; st == AL_OK && phase < 2; phase++) {
        if (phase == 1) {
            al_train_options o = al_train_options_default();
            o.optim = al_optim_options_for(AL_OPT_ADAM);
            o.optim.lr = 0.01;
            o.epochs = 10;
            o.batch = 64;
            o.seed = seed;
            al_train_progress last;
            st = al_train(net, ds, NULL, &o, NULL, NULL, &last, err);
            if (st == AL_ERR_NUMERIC) { /* a chain that diverges is a result: no gradient, chance accuracy */
                st = AL_OK;
                *after = NAN;
                *accuracy = 0.5;
                break;
            }
            *accuracy = last.accuracy;
        }
        if (st == AL_OK)
            st = al_net_prepare(net, N, err);
        if (st != AL_OK)
            break;
        al_net_forward(net, al_dataset_x(ds), N, 0, 0);
        al_net_zero_grad(net);
        al_net_backward(net, dy, dx);
        for (size_t i = 0; i < N; i++)
            g[i] = fabs((double)dx[i]);
        for (size_t i = 1; i < N; i++) /* insertion sort of a small sample */
            for (size_t k = i; k > 0 && g[k - 1] > g[k]; k--) {
                double t = g[k];
                g[k] = g[k - 1];
                g[k - 1] = t;
            }
        *(phase == 0 ? before : after) = 0.5 * (g[N / 2 - 1] + g[N / 2]);
    }
    al_dataset_free(ds);
    al_net_free(net);
    free(spec), free(dy), free(dx), free(g);
    return st;
}

/* The largest |a[i] - b[i]|. */
static double max_gap(const double *a, const double *b, size_t n)
{
    double gap = 0;
    for (size_t i = 0; i < n; i++)
        gap = fmax(gap, fabs(a[i] - b[i]));
    return gap;
}

static void mean_ci(const double *v, size_t n, double *mean, double *lo, double *hi)
{
    double x[MAX_SEEDS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < MAX_SEEDS; i++)
        if (isfinite(v[i]))
            x[k++] = v[i];
    *mean = al_stats_mean(x, k);
    *lo = *hi = *mean;
    if (k >= 2)
        al_stats_mean_ci(x, k, 0.95, mean, lo, hi, NULL);
}

al_status study_vanishing(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_VAN] = {"Sigmoid()", "Tanh()", "ReLU()", "ELU()"};
    static const int saturating[N_VAN] = {1, 1, 0, 0};
    static const double sweep[N_SWEEP] = {0.5, 0.75, 0.9, 1.0, 1.25, 1.6, 2.0};
    size_t seeds = env->o.seeds ? env->o.seeds : STUDY_PICK(env, 5, 10);
    if (seeds > MAX_SEEDS)
        seeds = MAX_SEEDS;
    al_dataset *batch = NULL;
    al_status st = study_load(env, 1000, &batch, NULL, err);
    if (st != AL_OK)
        return st;
    size_t in = al_dataset_features(batch), classes = (size_t)al_dataset_classes(batch);
    double m_x = 0;
    for (size_t i = 0; i < al_dataset_count(batch) * in; i++)
        m_x += (double)al_dataset_x(batch)[i] * al_dataset_x(batch)[i];
    m_x /= (double)(al_dataset_count(batch) * in);
    double ratio[2][N_VAN][MAX_SEEDS], wratio[2][N_VAN][MAX_SEEDS], mean[2][N_VAN], lo[2][N_VAN], hi[2][N_VAN];
    double pred[2][N_VAN], wmean[2][N_VAN], unused_lo, unused_hi;
    double sweep_meas[N_SWEEP], sweep_pred[N_SWEEP], chain_before[N_VAN], chain_after[N_VAN], chain_acc[N_VAN];
    for (int a = 0; st == AL_OK && a < N_VAN; a++) {
        char *spec = study_mlp_spec(in, WIDTH, classes, HIDDEN, acts[a]);
        if (!spec)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
        al_act act;
        if (st == AL_OK)
            st = al_act_parse(acts[a], &act, err);
        for (int i = 0; st == AL_OK && i < 2; i++) {
            for (size_t s = 0; st == AL_OK && s < seeds; s++)
                st = log_ratio(spec, i == 0 ? AL_INIT_KAIMING_NORMAL : AL_INIT_PYTORCH,
                               i == 0 ? AL_GAIN_MATCHED : AL_GAIN_SCHEME, NAN, 1 + s, batch, &ratio[i][a][s],
                               &wratio[i][a][s], err);
            mean_ci(ratio[i][a], seeds, &mean[i][a], &lo[i][a], &hi[i][a]);
            mean_ci(wratio[i][a], seeds, &wmean[i][a], &unused_lo, &unused_hi);
            /* PyTorch: U(+-1/sqrt(fan_in)) weights and biases, variance 1/(3 fan_in): gain^2 1/3 */
            pred[i][a] = i == 0 ? mean_field(acts[a], al_gain_of(AL_GAIN_MATCHED, &act), 0, m_x)
                                : mean_field(acts[a], sqrt(1.0 / 3), 1.0 / (3.0 * WIDTH), m_x);
        }
        double b[MAX_SEEDS], f[MAX_SEEDS], acc[MAX_SEEDS];
        size_t chain_seeds = seeds < 5 ? seeds : 5;
        for (size_t s = 0; st == AL_OK && s < chain_seeds; s++)
            st = chain(acts[a], 1 + s, &b[s], &f[s], &acc[s], err);
        chain_before[a] = al_stats_mean(b, chain_seeds);
        chain_after[a] = al_stats_mean(f, chain_seeds);
        chain_acc[a] = al_stats_mean(acc, chain_seeds);
        free(spec);
    }
    /* tanh through the order-to-chaos transition */
    char *tanh_spec = st == AL_OK ? study_mlp_spec(in, WIDTH, classes, HIDDEN, "Tanh()") : NULL;
    for (int k = 0; st == AL_OK && k < N_SWEEP; k++) {
        double v[MAX_SEEDS], w[MAX_SEEDS];
        size_t sweep_seeds = seeds < 3 ? seeds : 3;
        for (size_t s = 0; st == AL_OK && s < sweep_seeds; s++)
            st = log_ratio(tanh_spec, AL_INIT_KAIMING_NORMAL, AL_GAIN_SCHEME, sweep[k], 1 + s, batch, &v[s], &w[s],
                           err);
        sweep_meas[k] = al_stats_mean(v, sweep_seeds);
        sweep_pred[k] = mean_field("Tanh()", sweep[k], 0, m_x);
    }
    free(tanh_spec);
    al_dataset_free(batch);
    if (st != AL_OK)
        return st;
    char *text = malloc(STUDY_VERDICT_BYTES);
    if (!text)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_verdict kind = al_study_verdict_vanishing(acts, saturating, mean[0], lo[0], hi[0], pred[0], N_VAN, 10, text,
                                                 STUDY_VERDICT_BYTES);
    size_t n = strlen(text);
    study_put(text, STUDY_VERDICT_BYTES, &n, "\n\nThat is the gradient at the hidden pre-activations under each "
              "activation's variance-preserving init, %d hidden layers of %d, %zu init seeds. The weight gradients' "
              "first/last ratio (log10) is", HIDDEN, WIDTH, seeds);
    for (int a = 0; a < N_VAN; a++)
        study_put(text, STUDY_VERDICT_BYTES, &n, "%s %s %.2f", a ? "," : "", acts[a], wmean[0][a]);
    study_put(text, STUDY_VERDICT_BYTES, &n, ". Under PyTorch's default init (weights of variance 1/(3 fan_in)):");
    for (int a = 0; a < N_VAN; a++)
        study_put(text, STUDY_VERDICT_BYTES, &n, "%s %s %.2f [%.2f, %.2f] (mean field %.2f)", a ? ";" : "", acts[a],
                  mean[1][a], lo[1][a], hi[1][a], pred[1][a]);
    study_put(text, STUDY_VERDICT_BYTES, &n, ": there the init decides as much as the activation.\n\nTanh with "
              "zero biases and gain g (weights N(0, g²/fan_in)), log10 ratio measured (mean field):");
    for (int k = 0; k < N_SWEEP; k++)
        study_put(text, STUDY_VERDICT_BYTES, &n, "%s g %.2g: %.2f (%.2f)", k ? "," : "", sweep[k], sweep_meas[k],
                  sweep_pred[k]);
    study_put(text, STUDY_VERDICT_BYTES, &n, ". A chain of %d one-unit layers (variance-preserving init), median "
              "|dy/dx| at init → after training to tell the sign of x (training accuracy):", HIDDEN);
    for (int a = 0; a < N_VAN; a++)
        study_put(text, STUDY_VERDICT_BYTES, &n, "%s %s %.3g → %.3g (%.0f %%)", a ? ";" : "", acts[a], chain_before[a],
                  chain_after[a], 100 * chain_acc[a]);
    int ordered = sweep_meas[0] < 0 && sweep_meas[N_SWEEP - 1] > 0, cross = -1;
    for (int k = 0; k + 1 < N_SWEEP; k++)
        if (sweep_meas[k] < 0 && sweep_meas[k + 1] >= 0)
            cross = k;
    study_put(text, STUDY_VERDICT_BYTES, &n, ".\n\nPublished: Schoenholz et al. (ICLR 2017) show that \"the ordered "
              "and chaotic phases correspond to regions of vanishing and exploding gradient respectively\"; for tanh "
              "with zero biases the transition is at g = 1. ");
    if (ordered && cross >= 0)
        study_put(text, STUDY_VERDICT_BYTES, &n, "The sweep agrees: the gradient vanishes at small gains and explodes "
                  "at large ones, within %.2f of the mean-field line everywhere; at %d layers it crosses 1 between "
                  "g = %.2g and %.2g, above the asymptotic g = 1 because at g near 1 the pre-activation variance "
                  "decays only slowly toward 0, where chi reaches 1.", max_gap(sweep_meas, sweep_pred, N_SWEEP),
                  HIDDEN, sweep[cross], sweep[cross + 1]);
    else
        study_put(text, STUDY_VERDICT_BYTES, &n, "The sweep does not show the change of sign the theory predicts.");
    st = study_verdict(env, res, kind, text, err);
    free(text);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("First/last hidden-layer gradient at init", "activation (1 sigmoid, 2 tanh, 3 ReLU, 4 ELU)",
                             "log10 ratio", 460, 320, &charts[0], err);
    for (int i = 0; st == AL_OK && i < 2; i++)
        for (int a = 0; st == AL_OK && a < N_VAN; a++) {
            const char *color = al_chart_palette((size_t)i);
            st = al_chart_add_marker(charts[0], a + 1 + 0.15 * i, mean[i][a], 1, a == 0 ? (i ? "pytorch" : "matched")
                                     : NULL, color, err);
            if (st == AL_OK)
                st = al_chart_add_marker(charts[0], a + 1 + 0.15 * i, pred[i][a], 0, NULL, color, err);
        }
    if (st == AL_OK)
        st = al_chart_add_hline(charts[0], 0, err);
    if (st == AL_OK)
        st = al_chart_create("Tanh through the order-to-chaos transition", "gain g", "log10 first/last", 460, 320,
                             &charts[1], err);
    if (st == AL_OK)
        st = al_chart_add_series(charts[1], "measured", N_SWEEP, sweep, sweep_meas, al_chart_palette(0), err);
    if (st == AL_OK)
        st = al_chart_add_series(charts[1], "mean field", N_SWEEP, sweep, sweep_pred, al_chart_palette(1), err);
    if (st == AL_OK)
        st = al_chart_add_vline(charts[1], 1, err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Left: log10 of the gradient at the first over the last hidden "
                        "pre-activation at init, filled: measured (mean over seeds), hollow: mean field; blue the "
                        "variance-preserving init, orange PyTorch's. Right: tanh's ratio against the weight gain with "
                        "zero biases; the transition is at g = 1.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    static const char *const header[6] = {"activation", "matched: log10 delta ratio [95% CI] (weights)", "mean field",
                                          "PyTorch init: log10 delta ratio", "chain |dy/dx| init → trained",
                                          "chain training accuracy"};
    char cells[N_VAN * 6][STUDY_CELL];
    for (int a = 0; a < N_VAN; a++) {
        snprintf(cells[a * 6], STUDY_CELL, "%s", acts[a]);
        snprintf(cells[a * 6 + 1], STUDY_CELL, "%.2f [%.2f, %.2f] (%.2f)", mean[0][a], lo[0][a], hi[0][a],
                 wmean[0][a]);
        snprintf(cells[a * 6 + 2], STUDY_CELL, "%.2f", pred[0][a]);
        snprintf(cells[a * 6 + 3], STUDY_CELL, "%.2f (mean field %.2f)", mean[1][a], pred[1][a]);
        snprintf(cells[a * 6 + 4], STUDY_CELL, "%.3g → %.3g", chain_before[a], chain_after[a]);
        snprintf(cells[a * 6 + 5], STUDY_CELL, "%.0f%%", 100 * chain_acc[a]);
    }
    if (st == AL_OK)
        st = study_table(env, "Gradient ratios at init and the one-unit chain.", 6, header, N_VAN, cells, err);
    return st;
}
