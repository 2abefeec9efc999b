/* leaky-prelu-depth: does a negative slope (Leaky ReLU, PReLU) help more as
 * an MLP gets deeper? Each depth is one comparison run (each arm at its own
 * tuned learning rate and matched init, trained long enough to fit its
 * training rows: the training accuracy reached is reported); the paired
 * differences to ReLU at each depth, and their trend with depth (per seed,
 * the least-squares slope of the difference against log2 depth, tested over
 * the seeds), all in one family. PReLU's learned slope is charted per layer
 * over training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

#define MAX_DEPTHS 4

/* Per seed, the least-squares slope of y[k][seed] against x[k]. */
static void trend(const double *x, const double *y, size_t depths, size_t seeds, double *out)
{
    double mx = 0;
    for (size_t k = 0; k < depths; k++)
        mx += x[k] / (double)depths;
    for (size_t s = 0; s < seeds; s++) {
        double my = 0, sxy = 0, sxx = 0;
        for (size_t k = 0; k < depths; k++)
            my += y[k * seeds + s] / (double)depths;
        for (size_t k = 0; k < depths; k++) {
            sxy += (x[k] - mx) * (y[k * seeds + s] - my);
            sxx += (x[k] - mx) * (x[k] - mx);
        }
        out[s] = sxx > 0 ? sxy / sxx : 0;
    }
}

static double metric_train_acc(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->train_acc[epoch];
}

/* The PReLU arm's slope of layer l at epoch e, mean over finished seeds. */
static double slope_at(const al_compare *c, size_t arm, int l, long e)
{
    double sum = 0;
    size_t n = 0;
    for (size_t s = 0; al_compare_job(c, arm, s); s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        double v = r->done ? r->slope_mean[(size_t)e * (size_t)r->layers + (size_t)l] : NAN;
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

al_status study_leaky_prelu_depth(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[3] = {"ReLU()", "LeakyReLU()", "PReLU()"};
    static const int quick_depths[3] = {2, 8, 16}, full_depths[4] = {2, 4, 8, 16};
    static const double grid[4] = {0.003, 0.01, 0.03, 0.1};
    const int *depth_list = STUDY_PICK(env, quick_depths, full_depths);
    size_t n_depths = STUDY_PICK(env, 3, 4), seeds = study_seeds(env, 2 * n_depths + 2);
    long epochs = STUDY_PICK(env, 10, 30);
    al_compare *runs[MAX_DEPTHS] = {NULL};
    al_status st = AL_OK;
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        al_compare_factors f = study_mlp_factors(acts, 3, &depth_list[k], STUDY_PICK(env, 64, 128));
        study_matched_init(&f);
        al_compare_options o = study_fair_options(env, seeds, epochs, grid, 4);
        char sub[32];
        snprintf(sub, sizeof sub, "depth%d", depth_list[k]);
        st = study_compare(env, sub, &f, &o, STUDY_PICK(env, 4000, 0), &runs[k], err);
    }
    study_work w;
    al_status ws = study_work_init(&w, seeds, err);
    double *slopes = malloc((seeds + 1) * sizeof *slopes);
    if (st == AL_OK)
        st = ws != AL_OK ? ws : slopes ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    double x[MAX_DEPTHS];
    for (size_t k = 0; k < n_depths; k++)
        x[k] = log2((double)depth_list[k]);
    for (size_t a = 1; st == AL_OK && a < 3; a++) {
        for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
            char what[160];
            snprintf(what, sizeof what, "%s vs ReLU() at %d hidden layers, test accuracy", acts[a], depth_list[k]);
            study_diffs(runs[k], a, runs[k], 0, study_score_acc, 0, w.d + k * seeds);
            st = study_family_add(&w.fam, what, w.d + k * seeds, 0, 0.01, 100, "points", NULL, err);
        }
        char what[160];
        snprintf(what, sizeof what, "%s vs ReLU(): trend of the difference per doubling of depth", acts[a]);
        trend(x, w.d, n_depths, seeds, slopes);
        if (st == AL_OK)
            st = study_family_add(&w.fam, what, slopes, +1, 0.005, 100, "points per doubling", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    if (st == AL_OK) {
        size_t n = 0;
        al_verdict kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Training accuracy reached (last epoch's running mean; mean over "
                  "seeds):");
        for (size_t k = 0; k < n_depths; k++)
            for (size_t a = 0; a < 3; a++)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %d layers %s %.1f %%", k || a ? "," : "", depth_list[k],
                          acts[a], 100 * al_compare_summary(runs[k], a)->train_acc);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".");
        for (size_t k = 0; k < n_depths; k++) {
            char note[1024];
            size_t m = 0;
            note[0] = '\0';
            study_edge_note(runs[k], note, sizeof note, &m);
            if (m)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, " At %d layers:%s", depth_list[k], note);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " The claim is the trend: a negative slope helps more as depth "
                  "grows.\n\n%s\n\n", w.claims);
        /* He et al.: early PReLU layers learn larger coefficients than deep ones */
        size_t deepest = n_depths - 1;
        const al_job_result *r0 = al_compare_job(runs[deepest], 2, 0);
        double first = NAN, lastv = NAN;
        for (int l = 0; r0 && l < r0->layers; l++) {
            double v = slope_at(runs[deepest], 2, l, epochs - 1);
            if (isfinite(v)) {
                if (isnan(first))
                    first = v;
                lastv = v;
            }
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Published: He et al. (2015) introduced PReLU as improving \"model "
                  "fitting with nearly zero extra computational cost\" and report learned coefficients larger in "
                  "early layers than in deep ones. Here, at %d layers, PReLU's mean slope went from 0.25 to %.3f in "
                  "the first layer and %.3f in the last: %s.", depth_list[deepest], first, lastv,
                  first > lastv ? "larger early, as they report" : "not larger early, unlike their report");
        st = study_verdict(env, res, kind, w.text, err);
    }
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "All comparisons (every depth and both trends), one family, Holm over "
                                "all; a failed seed scores 0 accuracy.", err);
    al_chart *curves[MAX_DEPTHS] = {NULL};
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        char title[64];
        snprintf(title, sizeof title, "%d hidden layers", depth_list[k]);
        st = study_epochs_chart(runs[k], NULL, 3, epochs, seeds, metric_train_acc, NULL, title, "training accuracy",
                                &curves[k], err);
    }
    if (st == AL_OK)
        st = study_grid(env, curves, n_depths, 2, "Training accuracy by epoch at each depth (the running mean over "
                        "each epoch; each arm at its tuned learning rate; mean over seeds, 95 % bands): how far "
                        "each arm got in fitting its training rows.", err);
    else
        for (size_t k = 0; k < n_depths; k++)
            al_chart_free(curves[k]);
    /* PReLU's slope per layer over training, at the deepest depth */
    al_chart *slopes_chart = NULL;
    size_t deep = n_depths - 1;
    if (st == AL_OK)
        st = al_chart_create("PReLU slope by layer over training", "epoch", "slope (mean over seeds)", 620, 360,
                             &slopes_chart, err);
    const al_job_result *r0 = st == AL_OK ? al_compare_job(runs[deep], 2, 0) : NULL;
    for (int l = 0, shown = 0; st == AL_OK && r0 && l < r0->layers; l++) {
        if (!isfinite(slope_at(runs[deep], 2, l, 0)))
            continue;
        double xs[256], ys[256];
        long E = epochs < 255 ? epochs : 255;
        xs[0] = 0;
        ys[0] = 0.25;
        for (long e = 0; e < E; e++) {
            xs[e + 1] = (double)(e + 1);
            ys[e + 1] = slope_at(runs[deep], 2, l, e);
        }
        char name[32];
        snprintf(name, sizeof name, "layer %d", shown + 1);
        st = al_chart_add_series(slopes_chart, name, (size_t)E + 1, xs, ys, al_chart_palette((size_t)shown++), err);
    }
    if (st == AL_OK) {
        char caption[256];
        snprintf(caption, sizeof caption, "The slope each of PReLU's %d layers learns (mean of its slopes, then over "
                 "the seeds) at each epoch end, from its initial 0.25.", depth_list[deep]);
        st = study_chart(env, slopes_chart, caption, err);
        slopes_chart = NULL;
    }
    al_chart_free(slopes_chart);
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        char caption[128];
        snprintf(caption, sizeof caption, "%d hidden layers, per arm at its tuned learning rate.", depth_list[k]);
        st = study_arms_table(env, runs[k], caption, err);
    }
    for (size_t k = 0; k < n_depths; k++)
        al_compare_free(runs[k]);
    study_work_free(&w);
    free(slopes);
    return st;
}
