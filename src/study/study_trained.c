/* The studies that train arms over seeds through the compare runner: kink,
 * dead-units, smoothness, leaky-prelu-depth and zero-centering. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

#define VERDICT_BYTES 2048

/* A comparison's learning curves and table, the parts every trained study shows. */
static al_status curves_and_table(al_study_env *env, const al_compare *c, long epochs, size_t seeds, double target,
                                  al_error *err)
{
    al_chart *chart = NULL;
    al_status st = study_epochs_chart(c, NULL, al_compare_arm_count(c), epochs, seeds, study_metric_acc, NULL,
                                      "Test accuracy by epoch", "test accuracy", &chart, err);
    if (st == AL_OK && isfinite(target))
        st = al_chart_add_hline(chart, target, err);
    if (st == AL_OK)
        st = study_chart(env, chart, "Learning curves: mean test accuracy over the seeds with 95 % t bands"
                         " (dashed: the target).", err);
    else
        al_chart_free(chart);
    if (st == AL_OK)
        st = study_arms_table(env, c, seeds, target, "Per arm over the seeds: final test accuracy, difference to "
                              "the baseline (Welch 95 % CI, in points), exact permutation p (Holm), epochs to the "
                              "target (Kaplan-Meier median [range]), final dead fraction, seconds per run.", err);
    return st;
}

/* ---- kink ---- */

al_status study_kink(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[1] = {"ReLU()"};
    static const double kinks[3] = {0, 0.5, 1};
    static const int depths[1] = {2};
    al_compare_factors f = study_mlp_factors(acts, 1, depths, 128);
    f.kinks = kinks;
    f.n_kinks = 3;
    al_compare_options o = al_compare_options_default();
    o.seeds = study_seeds(env, 5, 10);
    o.epochs = STUDY_PICK(env, 4, 15);
    al_compare *c = NULL;
    al_status st = study_compare(env, "kinks", &f, &o, STUDY_PICK(env, 20000, 0), &c, err);
    if (st != AL_OK)
        return st;
    /* kink hits over every activation layer and seed */
    double hits = 0, seen = 0;
    size_t n = al_compare_arm_count(c);
    for (size_t arm = 0; arm < n; arm++)
        for (size_t s = 0; s < o.seeds; s++) {
            const al_job_result *r = al_compare_job(c, arm, s);
            if (!r->done)
                continue;
            for (int l = 0; l < r->layers; l++)
                if (isfinite(r->kink_hits[l]) && isfinite(r->preacts_seen[l])) {
                    hits += r->kink_hits[l];
                    seen += r->preacts_seen[l];
                }
        }
    char text[VERDICT_BYTES], verdict[VERDICT_BYTES - 400];
    al_verdict kind = study_compare_verdict(c, o.seeds, NAN, verdict, sizeof verdict);
    if (hits == 0)
        snprintf(text, sizeof text, "Pre-activations exactly 0: **none** in %.3g seen (every step, every ReLU layer, "
                 "every arm and seed), so the value of ReLU'(0) was never used and the arms trained identically.\n\n%s",
                 seen, verdict);
    else
        snprintf(text, sizeof text, "Pre-activations exactly 0: %.0f of %.3g seen (a fraction of %.2g).\n\n%s", hits,
                 seen, hits / seen, verdict);
    st = study_verdict(env, res, kind, text, err);
    static const char *const plot[3] = {"ReLU()", "ReLU(kink=0.5)", "ReLU(kink=1)"};
    if (st == AL_OK)
        st = curves_and_table(env, c, o.epochs, o.seeds, NAN, err);
    if (st == AL_OK)
        st = study_act_plot(env, plot, 3, -2, 2, "ReLU and its derivative; the kink value is f' at exactly 0 "
                            "(a single point, not visible at this scale).", err);
    al_compare_free(c);
    return st;
}

/* ---- dead units ---- */

#define DEAD_LR 0.01

al_status study_dead_units(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[4] = {"ReLU()", "LeakyReLU()", "PReLU()", "ELU()"};
    static const int depths[1] = {2};
    al_compare_factors f = study_mlp_factors(acts, 4, depths, 128);
    al_compare_options o = al_compare_options_default();
    o.seeds = study_seeds(env, 5, 10);
    o.epochs = STUDY_PICK(env, 5, 20);
    o.optim = al_optim_options_for(AL_OPT_ADAM);
    o.optim.lr = DEAD_LR;
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, STUDY_PICK(env, 20000, 0), &c, err);
    if (st != AL_OK)
        return st;
    size_t n = al_compare_arm_count(c);
    double *dead = malloc(n * o.seeds * sizeof *dead);
    const char *names[16];
    study_arm_names(c, names, 16);
    if (!dead) {
        al_compare_free(c);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    for (size_t arm = 0; arm < n; arm++)
        for (size_t s = 0; s < o.seeds; s++) {
            const al_job_result *r = al_compare_job(c, arm, s);
            dead[arm * o.seeds + s] = r->done ? r->dead[r->epochs - 1] : NAN;
        }
    char text[VERDICT_BYTES], acc[VERDICT_BYTES / 2];
    al_verdict kind = al_study_verdict_dead(names, dead, n, o.seeds, 0, AL_STUDY_ALPHA, text, sizeof text);
    study_compare_verdict(c, o.seeds, NAN, acc, sizeof acc);
    size_t len = strlen(text);
    snprintf(text + len, sizeof text - len, "\n\nAccuracy (Adam, lr %g): %s", DEAD_LR, acc);
    free(dead);
    st = study_verdict(env, res, kind, text, err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = study_epochs_chart(c, NULL, n, o.epochs, o.seeds, study_metric_dead, NULL,
                                "Dead-unit fraction by epoch", "dead fraction", &charts[0], err);
    if (st == AL_OK)
        st = study_epochs_chart(c, NULL, n, o.epochs, o.seeds, study_metric_acc, NULL, "Test accuracy by epoch",
                                "test accuracy", &charts[1], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Left: the fraction of hidden units with f' = 0 on every sample of the "
                        "epoch (mean over seeds, 95 % bands). Right: test accuracy.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    if (st == AL_OK)
        st = study_arms_table(env, c, o.seeds, NAN, "Per arm over the seeds (dead: final epoch).", err);
    if (st == AL_OK)
        st = study_act_plot(env, acts, 4, -4, 4, "The four activations and their derivatives (PReLU at its initial "
                            "slope 0.25): only ReLU's derivative is exactly 0 on a half-line.", err);
    al_compare_free(c);
    return st;
}

/* ---- smoothness ---- */

al_status study_smoothness(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[7] = {"ReLU()", "LeakyReLU()", "ELU()", "SELU()", "GELU()", "SiLU()",
                                        "Softplus()"};
    static const int depths[1] = {2};
    al_compare_factors f = study_mlp_factors(acts, 7, depths, 128);
    al_compare_options o = al_compare_options_default();
    o.seeds = study_seeds(env, 5, 10);
    o.epochs = STUDY_PICK(env, 5, 20);
    o.target = STUDY_PICK(env, 0.84, 0.88);
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, STUDY_PICK(env, 20000, 0), &c, err);
    if (st != AL_OK)
        return st;
    char text[VERDICT_BYTES];
    al_verdict kind = study_compare_verdict(c, o.seeds, o.target, text, sizeof text);
    st = study_verdict(env, res, kind, text, err);
    if (st == AL_OK)
        st = curves_and_table(env, c, o.epochs, o.seeds, o.target, err);
    if (st == AL_OK)
        st = study_act_plot(env, acts, 7, -4, 4, "The activations and their derivatives.", err);
    al_compare_free(c);
    return st;
}

/* ---- leaky-prelu-depth ---- */

static double metric_slope(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    double sum = 0;
    int k = 0;
    for (int l = 0; l < r->layers; l++) {
        double v = r->slope_mean[(size_t)epoch * (size_t)r->layers + (size_t)l];
        if (isfinite(v)) {
            sum += v;
            k++;
        }
    }
    return k ? sum / k : NAN;
}

al_status study_leaky_prelu_depth(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[3] = {"ReLU()", "LeakyReLU()", "PReLU()"};
    static const int depth_list[4] = {2, 4, 8, 16};
    static const al_init_scheme kaiming = AL_INIT_KAIMING_NORMAL;
    size_t seeds = study_seeds(env, 5, 10);
    long epochs = STUDY_PICK(env, 3, 15);
    char text[4 * VERDICT_BYTES] = "", one[VERDICT_BYTES];
    size_t len = 0;
    int any_sig = 0, all_inconclusive = 1;
    al_chart *curves[4] = {NULL}, *slopes = NULL;
    char(*cells)[STUDY_CELL] = calloc(12 * 5, sizeof *cells);
    if (!cells)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_status st = al_chart_create("PReLU slope (mean over layers)", "epoch", "slope", 520, 340, &slopes, err);
    for (int d = 0; st == AL_OK && d < 4; d++) {
        al_compare_factors f = study_mlp_factors(acts, 3, &depth_list[d], STUDY_PICK(env, 64, 128));
        f.inits = &kaiming;
        f.n_inits = 1;
        al_compare_options o = al_compare_options_default();
        o.seeds = seeds;
        o.epochs = epochs;
        o.optim.lr = 0.01; /* at 0.05, 16-layer nets diverge in some seeds */
        char sub[32], title[64];
        snprintf(sub, sizeof sub, "depth%d", depth_list[d]);
        al_compare *c = NULL;
        st = study_compare(env, sub, &f, &o, STUDY_PICK(env, 10000, 0), &c, err);
        if (st != AL_OK)
            break;
        al_verdict k = study_compare_verdict(c, seeds, NAN, one, sizeof one);
        any_sig |= k == AL_VERDICT_SUPPORTED;
        all_inconclusive &= k == AL_VERDICT_INCONCLUSIVE;
        if (len < sizeof text)
            len += (size_t)snprintf(text + len, sizeof text - len, "**%d hidden layers.** %s\n\n", depth_list[d], one);
        snprintf(title, sizeof title, "%d hidden layers", depth_list[d]);
        st = study_epochs_chart(c, NULL, 3, epochs, seeds, study_metric_acc, NULL, title, "test accuracy",
                                &curves[d], err);
        size_t prelu = 2;
        double xs[1024], ys[1024];
        for (long e = 0; st == AL_OK && e < epochs && e < 1024; e++) {
            double v[256];
            size_t m = 0;
            for (size_t s = 0; s < seeds && m < 256; s++) {
                const al_job_result *r = al_compare_job(c, prelu, s);
                if (r->done && isfinite(metric_slope(r, e, NULL)))
                    v[m++] = metric_slope(r, e, NULL);
            }
            xs[e] = (double)(e + 1);
            ys[e] = al_stats_mean(v, m);
        }
        if (st == AL_OK)
            st = al_chart_add_series(slopes, title, (size_t)(epochs < 1024 ? epochs : 1024), xs, ys, NULL, err);
        for (size_t a = 0; st == AL_OK && a < 3; a++) {
            const al_arm_summary *S = al_compare_summary(c, a);
            char(*row)[STUDY_CELL] = cells + ((size_t)d * 3 + a) * 5;
            snprintf(row[0], STUDY_CELL, "%d layers, %s", depth_list[d], al_compare_arm(c, a)->name);
            snprintf(row[1], STUDY_CELL, "%.2f%% [%.2f, %.2f]", 100 * S->acc_mean, 100 * S->acc_lo, 100 * S->acc_hi);
            if (a == 0)
                snprintf(row[2], STUDY_CELL, "baseline");
            else
                snprintf(row[2], STUDY_CELL, "%+.2f [%+.2f, %+.2f]", 100 * S->diff, 100 * S->diff_lo,
                         100 * S->diff_hi);
            snprintf(row[3], STUDY_CELL, a == 0 ? "-" : "%.3g", S->p_holm);
            double slope = NAN;
            if (a == 2) {
                double v[256];
                size_t m = 0;
                for (size_t s = 0; s < seeds && m < 256; s++) {
                    const al_job_result *r = al_compare_job(c, a, s);
                    if (r->done)
                        v[m++] = metric_slope(r, r->epochs - 1, NULL);
                }
                slope = al_stats_mean(v, m);
            }
            snprintf(row[4], STUDY_CELL, isfinite(slope) ? "%.3f" : "-", slope);
        }
        al_compare_free(c);
    }
    while (len > 0 && len < sizeof text && text[len - 1] == '\n')
        text[--len] = '\0';
    if (st == AL_OK) {
        al_verdict kind = any_sig ? AL_VERDICT_SUPPORTED
                                  : all_inconclusive ? AL_VERDICT_INCONCLUSIVE : AL_VERDICT_NOT_SUPPORTED;
        st = study_verdict(env, res, kind, text, err);
    }
    if (st == AL_OK)
        st = study_grid(env, curves, 4, 2, "Test accuracy by epoch at each depth (mean over seeds, 95 % bands).", err);
    else
        for (int d = 0; d < 4; d++)
            al_chart_free(curves[d]);
    if (st == AL_OK) {
        st = al_chart_add_hline(slopes, 0.25, err);
        if (st == AL_OK)
            st = study_chart(env, slopes, "The slope PReLU learns (mean over its layers and the seeds) at each "
                             "epoch end; dashed: its initial 0.25.", err);
        else
            al_chart_free(slopes);
        slopes = NULL;
    }
    al_chart_free(slopes);
    static const char *const header[5] = {"arm", "test accuracy (95% CI)", "vs ReLU (points, 95% CI)", "p (Holm)",
                                          "final PReLU slope"};
    if (st == AL_OK)
        st = study_table(env, "Per depth and arm, over the seeds.", 5, header, 12, cells, err);
    free(cells);
    return st;
}

/* ---- zero-centering ---- */

/* The mean over hidden activation layers of |activation mean| at the last epoch. */
static double abs_act_mean(const al_job_result *r)
{
    double sum = 0;
    int k = 0;
    size_t at = (size_t)(r->epochs - 1) * (size_t)r->layers;
    for (int l = 0; l < r->layers; l++)
        if (isfinite(r->act_mean[at + (size_t)l])) {
            sum += fabs(r->act_mean[at + (size_t)l]);
            k++;
        }
    return k ? sum / k : NAN;
}

/* Spearman's rank correlation of x and y (n <= 64, no tie correction beyond mid-ranks). */
static double spearman(const double *x, const double *y, size_t n)
{
    double rx[64], ry[64];
    if (n < 3 || n > 64)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double lx = 0, ex = 0, ly = 0, ey = 0;
        for (size_t j = 0; j < n; j++) {
            lx += x[j] < x[i], ex += x[j] == x[i];
            ly += y[j] < y[i], ey += y[j] == y[i];
        }
        rx[i] = lx + (ex + 1) / 2;
        ry[i] = ly + (ey + 1) / 2;
    }
    double mx = al_stats_mean(rx, n), my = al_stats_mean(ry, n), sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

al_status study_zero_centering(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[4] = {"ReLU()", "ELU()", "Tanh()", "SELU()"};
    static const int bn[2] = {0, 1}, depths[1] = {3};
    static const al_init_scheme inits[2] = {AL_INIT_KAIMING_NORMAL, AL_INIT_XAVIER_NORMAL};
    al_compare_factors f = study_mlp_factors(acts, 4, depths, 128);
    f.batchnorm = bn;
    f.n_batchnorm = 2;
    f.inits = inits;
    f.n_inits = 2;
    al_compare_options o = al_compare_options_default();
    o.seeds = study_seeds(env, 3, 5);
    o.epochs = STUDY_PICK(env, 3, 10);
    o.target = STUDY_PICK(env, 0.80, 0.87);
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, STUDY_PICK(env, 10000, 0), &c, err);
    if (st != AL_OK)
        return st;
    size_t n = al_compare_arm_count(c);
    if (n > 64)
        n = 64;
    double centre[64], acc[64], speed[64];
    static const char *const header[5] = {"arm", "mean |activation mean|", "test accuracy", "epochs to target",
                                          "dead"};
    char(*cells)[STUDY_CELL] = calloc(n * 5, sizeof *cells);
    if (!cells) {
        al_compare_free(c);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    size_t most = 0, least = 0;
    for (size_t a = 0; a < n; a++) {
        double v[256];
        size_t m = 0;
        for (size_t s = 0; s < o.seeds && m < 256; s++) {
            const al_job_result *r = al_compare_job(c, a, s);
            if (r->done)
                v[m++] = abs_act_mean(r);
        }
        const al_arm_summary *S = al_compare_summary(c, a);
        centre[a] = al_stats_mean(v, m);
        acc[a] = S->acc_mean;
        speed[a] = S->ttt.median_epochs; /* a lower bound when censored */
        if (centre[a] > centre[most])
            most = a;
        if (centre[a] < centre[least])
            least = a;
        char(*row)[STUDY_CELL] = cells + a * 5;
        snprintf(row[0], STUDY_CELL, "%s", al_compare_arm(c, a)->name);
        snprintf(row[1], STUDY_CELL, "%.3f", centre[a]);
        snprintf(row[2], STUDY_CELL, "%.2f%%", 100 * S->acc_mean);
        al_stats_format_ttt(&S->ttt, 0, row[3], STUDY_CELL);
        snprintf(row[4], STUDY_CELL, "%.1f%%", 100 * S->dead_final);
    }
    double rho = spearman(centre, acc, n), rho_speed = spearman(centre, speed, n);
    char text[VERDICT_BYTES];
    int len = snprintf(text, sizeof text,
             "Mean |activation mean| over hidden layers at the last epoch ranges from %.3f (%s) to %.3f (%s). "
             "Over the %zu arms, Spearman's rank correlation between that |mean| and final test accuracy is "
             "%.2f: %s.", centre[least], al_compare_arm(c, least)->name, centre[most], al_compare_arm(c, most)->name,
             n, rho,
             !isfinite(rho) ? "undefined"
             : rho <= -0.5 ? "better-centred arms ended clearly more accurate"
             : rho < -0.2 ? "better-centred arms tended to end a little more accurate"
             : rho < 0.2 ? "centring and accuracy show no clear relation here"
                         : "better-centred arms did not end more accurate");
    if (len > 0 && (size_t)len < sizeof text)
        snprintf(text + len, sizeof text - (size_t)len,
                 " With the median epochs to %.0f %% test accuracy it is %.2f: %s.", 100 * o.target, rho_speed,
                 !isfinite(rho_speed) ? "undefined (too few arms reached the target, or all at once)"
                 : rho_speed >= 0.5 ? "better-centred arms reached the target clearly sooner"
                 : rho_speed > 0.2 ? "better-centred arms tended to reach it a little sooner"
                 : rho_speed > -0.2 ? "no clear relation with speed"
                                    : "better-centred arms did not reach it sooner");
    st = study_verdict(env, res, AL_VERDICT_INFO, text, err);
    if (st == AL_OK)
        st = study_table(env, "Per arm over the seeds: centring, final accuracy, epochs to the target (Kaplan-Meier "
                         "median [range]), final dead fraction.", 5, header, n, cells, err);
    free(cells);
    al_chart *chart = NULL;
    if (st == AL_OK)
        st = al_chart_create("Activation mean by layer (no BN, He init)", "layer index",
                             "mean activation", 620, 340, &chart, err);
    size_t shown = 0;
    for (size_t a = 0; st == AL_OK && a < n; a++) {
        const al_arm *arm = al_compare_arm(c, a);
        if (strstr(arm->name, "+BN") || arm->init != AL_INIT_KAIMING_NORMAL)
            continue;
        double xs[AL_COMPARE_MAX_LAYERS], ys[AL_COMPARE_MAX_LAYERS];
        size_t k = 0;
        const al_job_result *r0 = al_compare_job(c, a, 0);
        for (int l = 0; r0->done && l < r0->layers && k < AL_COMPARE_MAX_LAYERS; l++) {
            double v[256];
            size_t m = 0;
            for (size_t s = 0; s < o.seeds && m < 256; s++) {
                const al_job_result *r = al_compare_job(c, a, s);
                double x = r->done ? r->act_mean[(size_t)(r->epochs - 1) * (size_t)r->layers + (size_t)l] : NAN;
                if (isfinite(x))
                    v[m++] = x;
            }
            if (m) {
                xs[k] = l;
                ys[k++] = al_stats_mean(v, m);
            }
        }
        const char *color = al_chart_palette(shown++);
        st = al_chart_add_series(chart, arm->name, k, xs, ys, color, err);
        for (size_t i = 0; st == AL_OK && i < k; i++)
            st = al_chart_add_marker(chart, xs[i], ys[i], 1, NULL, color, err);
    }
    if (st == AL_OK)
        st = al_chart_add_hline(chart, 0, err);
    if (st == AL_OK) {
        st = study_chart(env, chart, "The mean output of each activation layer (by its index in the spec), mean "
                         "over the seeds.", err);
        chart = NULL;
    }
    al_chart_free(chart);
    al_compare_free(c);
    return st;
}
