/* kink: how often a ReLU pre-activation is exactly 0 in float32 training,
 * and whether ReLU'(0) = 0, 0.5 or 1 changes training. Two regimes: the
 * common one (PyTorch init with non-zero biases, wide, shallow), where an
 * exact 0 essentially never happens, and one where it does (zero biases,
 * Kaiming init, width 4, depth 8: once every unit of a layer is silent the
 * next pre-activations are exactly 0, and f'(0) decides whether its bias
 * moves). The kinks are analysed paired, at one learning rate tuned on the
 * kink-0 arm, so that only f'(0) differs between arms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

/* Kink hits and pre-activations seen, summed over seeds, per layer of arm. */
static void hits_of(const al_compare *c, size_t arm, double *hits, double *seen, int *layers)
{
    *layers = 0;
    for (int l = 0; l < AL_COMPARE_MAX_LAYERS; l++)
        hits[l] = seen[l] = 0;
    for (size_t s = 0; al_compare_job(c, arm, s); s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (!r->done && !r->diverged)
            continue;
        *layers = r->layers;
        for (int l = 0; l < r->layers && l < AL_COMPARE_MAX_LAYERS; l++) {
            if (isfinite(r->kink_hits[l])) {
                hits[l] += r->kink_hits[l];
                seen[l] += r->preacts_seen[l];
            }
        }
    }
}

static double total(const double *v, int layers)
{
    double t = 0;
    for (int l = 0; l < layers; l++)
        t += isfinite(v[l]) ? v[l] : 0;
    return t;
}

/* log10(1 + the run's exact zeros over every ReLU layer): how often f'(0) was used. */
static double score_zeros(const al_job_result *r)
{
    if (!r->done)
        return NAN;
    double hits = 0;
    for (int l = 0; l < r->layers; l++)
        hits += isfinite(r->kink_hits[l]) ? r->kink_hits[l] : 0;
    return log10(1 + hits);
}

static double metric_silent(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->silent[epoch];
}

al_status study_kink(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[1] = {"ReLU()"};
    static const double kinks[3] = {0, 0.5, 1};
    static const int common_depth[1] = {2}, narrow_depth[1] = {8};
    static const al_init_scheme kaiming = AL_INIT_KAIMING_NORMAL;
    /* 6 comparisons; these nets are tiny, so more seeds than Holm needs buy power cheaply */
    size_t seeds = study_seeds(env, 6);
    if (!env->o.seeds)
        seeds = STUDY_PICK(env, 16, 32);
    long epochs = STUDY_PICK(env, 3, 10);
    size_t rows = STUDY_PICK(env, 10000, 0);
    study_work w;
    al_status st = study_work_init(&w, seeds, err);
    if (st != AL_OK) {
        study_work_free(&w);
        return st;
    }
    /* the common regime: only the count of exact zeros matters here */
    al_compare_factors fc = study_mlp_factors(acts, 1, common_depth, 128);
    al_compare_options oc = al_compare_options_default();
    oc.seeds = 2;
    oc.epochs = 2;
    al_compare *common = NULL, *narrow = NULL;
    st = study_compare(env, "common", &fc, &oc, rows, &common, err);
    /* the regime where zeros occur */
    al_compare_factors f = study_mlp_factors(acts, 1, narrow_depth, 4);
    f.kinks = kinks;
    f.n_kinks = 3;
    f.inits = &kaiming;
    f.n_inits = 1;
    static const double grid[4] = {0.003, 0.01, 0.03, 0.1};
    al_compare_options o = study_fair_options(env, seeds, epochs, grid, 4);
    o.tune_shared = 1;
    o.unit_stats = 1;
    if (st == AL_OK)
        st = study_compare(env, "narrow", &f, &o, rows, &narrow, err);
    double hits_c[AL_COMPARE_MAX_LAYERS], seen_c[AL_COMPARE_MAX_LAYERS];
    double hits[3][AL_COMPARE_MAX_LAYERS], seen[3][AL_COMPARE_MAX_LAYERS];
    int layers_c = 0, layers = 0;
    if (st == AL_OK) {
        hits_of(common, 0, hits_c, seen_c, &layers_c);
        for (size_t a = 0; a < 3; a++)
            hits_of(narrow, a, hits[a], seen[a], &layers);
    }
    for (size_t a = 1; st == AL_OK && a < 3; a++) {
        char what[160];
        snprintf(what, sizeof what, "kink %g vs 0, final test accuracy", kinks[a]);
        study_diffs(narrow, a, narrow, 0, study_score_acc, 0, w.d);
        st = study_family_add(&w.fam, what, w.d, 2, 0.01, 100, "points", NULL, err);
        snprintf(what, sizeof what, "kink %g vs 0, silent units (output 0 on every training sample)", kinks[a]);
        study_diffs(narrow, a, narrow, 0, study_score_silent, 1, w.d);
        if (st == AL_OK)
            st = study_family_add(&w.fam, what, w.d, 2, 0.05, 100, "% of units", NULL, err);
        snprintf(what, sizeof what, "kink %g vs 0, log10(1 + exact zeros per run)", kinks[a]);
        study_diffs(narrow, a, narrow, 0, score_zeros, study_worst_high(narrow, score_zeros), w.d);
        if (st == AL_OK)
            st = study_family_add(&w.fam, what, w.d, 2, 0.5, 1, "", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    al_verdict kind = AL_VERDICT_INCONCLUSIVE;
    if (st == AL_OK) {
        size_t n = 0;
        double hc = total(hits_c, layers_c), sc = total(seen_c, layers_c);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Common regime** (784-128-128-10, PyTorch init with non-zero "
                  "biases): %.0f of %.3g pre-activations were exactly 0%s\n\n", hc, sc,
                  hc == 0 ? ": ReLU'(0) was never used, so the kink is **untestable in this regime** (every kink "
                            "trains bit-identically)." : ".");
        double hn = total(hits[0], layers), sn = total(seen[0], layers);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Narrow, deep regime** (8 layers of width 4, zero biases, "
                  "Kaiming-normal, lr %g tuned on kink 0 and used for all): exact zeros per run (mean over %zu seeds) "
                  "with kink 0, by layer:", al_compare_arm(narrow, 0)->lr, seeds);
        for (int l = 0, k = 0; l < layers; l++)
            if (isfinite(hits[0][l]) && seen[0][l] > 0)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s L%d %.0f", k++ ? "," : "", l, hits[0][l] / (double)seeds);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " (%.0f in all, of %.3g; kink 0.5: %.0f, kink 1: %.0f).", hn, sn,
                  total(hits[1], layers), total(hits[2], layers));
        study_run_notes(common, w.text, STUDY_VERDICT_BYTES, &n);
        study_run_notes(narrow, w.text, STUDY_VERDICT_BYTES, &n);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "\n\n");
        if (hn == 0 && total(hits[1], layers) == 0 && total(hits[2], layers) == 0) {
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "No zero was hit here either: **untestable in this regime**.");
            kind = AL_VERDICT_INCONCLUSIVE;
        } else {
            kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s", w.claims);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "\n\nConventions: PyTorch returns ReLU'(0) = 0; TensorFlow "
                  "Playground's `der: x => x <= 0 ? 0 : 1` gives 0; Theano's `nnet.relu` is `0.5 * (x + abs(x))`, "
                  "whose gradient at 0 is 0.5; `T.switch(x < 0, 0, x)` takes its `x` branch at 0 and so passes "
                  "gradient 1 (0 only when written `T.switch(x > 0, x, 0)`). Bertoin et al. (NeurIPS 2021) report "
                  "that in 32 bits the choice changes backpropagation \"around half of the time\" and that for "
                  "vanilla SGD \"ReLU'(0) = 0 seems to be the most efficient\": ");
        if (hc == 0)
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "in the common regime actlab agrees that nothing happens because "
                      "no zero occurs; ");
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s", kind == AL_VERDICT_SUPPORTED
                  ? "where zeros occur, the kink changed training here, as they report."
                  : kind == AL_VERDICT_NOT_SUPPORTED ? "where zeros occur, no effect that matters appeared at this "
                                                       "budget, unlike their report."
                                                     : "where zeros occur, this budget cannot tell.");
        st = study_verdict(env, res, kind, w.text, err);
    }
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "The narrow regime's comparisons, one family (Holm over all of them); "
                                "diverged seeds score 0 accuracy and 100 % silent units.", err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("Exact zeros by layer (narrow regime)", "layer index", "log10(1 + zeros per run)", 480,
                             320, &charts[0], err);
    for (size_t a = 0; st == AL_OK && a < 3; a++) {
        double xs[AL_COMPARE_MAX_LAYERS], ys[AL_COMPARE_MAX_LAYERS];
        size_t k = 0;
        for (int l = 0; l < layers; l++)
            if (seen[a][l] > 0) {
                xs[k] = l;
                ys[k++] = log10(1 + hits[a][l] / (double)seeds);
            }
        st = al_chart_add_series(charts[0], al_compare_arm(narrow, a)->name, k, xs, ys, al_chart_palette(a), err);
    }
    if (st == AL_OK)
        st = study_epochs_chart(narrow, NULL, 3, epochs, seeds, metric_silent, NULL, "Silent units by epoch",
                                "fraction of units", &charts[1], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Left: pre-activations exactly 0 per run, by layer. Right: the fraction of "
                        "units whose output is 0 on every training sample (mean over seeds, 95 % bands).", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    if (st == AL_OK)
        st = study_arms_table(env, narrow, "The narrow regime per arm.", err);
    if (st == AL_OK)
        st = study_tune_chart(env, narrow, "Learning rate (tuned on kink 0, used for all)", err);
    al_compare_free(common);
    al_compare_free(narrow);
    study_work_free(&w);
    return st;
}
