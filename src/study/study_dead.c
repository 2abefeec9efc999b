/* dead-units: do ReLU units die, and do Leaky ReLU, PReLU and ELU keep
 * theirs? A unit counts as inactive when its pre-activation lies where the
 * activation passes less than a tenth of its largest gradient (ReLU's
 * negative side, tanh's saturation, ...) for every training sample: a test
 * every activation can fail, not "f' = 0", which only ReLU can reach. The
 * learning rate is the dose: every activation is trained across the tuning
 * grid (dead fraction and validation accuracy against the rate), then each
 * at its own tuned rate for the paired tests. The verdict leads with
 * accuracy, the thing a user cares about. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

#define N_ACTS 5

static double metric_inactive(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->inactive[epoch];
}

/* Mean over tuning seeds of a final value of arm at lr l (NaN when none finished). */
static double tune_mean(const al_compare *c, size_t arm, size_t l, size_t seeds, int inactive)
{
    double sum = 0;
    size_t n = 0;
    for (size_t s = 0; s < seeds; s++) {
        const al_job_result *r = al_compare_tune_job(c, arm, l, s);
        double v = !r ? NAN : inactive ? (r->done ? r->inactive[r->epochs - 1] : 1) : al_job_score(r);
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

/* Mean over seeds and activation layers of the fraction of once-inactive units active at the end. */
static double recovered(const al_compare *c, size_t arm)
{
    double sum = 0;
    size_t n = 0;
    for (size_t s = 0; al_compare_job(c, arm, s); s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        for (int l = 0; r->done && l < r->layers; l++)
            if (isfinite(r->recovered[l])) {
                sum += r->recovered[l];
                n++;
            }
    }
    return n ? sum / (double)n : NAN;
}

al_status study_dead_units(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_ACTS] = {"ReLU()", "LeakyReLU()", "PReLU()", "ELU()", "Tanh()"};
    static const int claim[N_ACTS] = {0, -1, -1, -1, 0}; /* the others lose fewer units than ReLU */
    static const double quick_grid[5] = {3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
    static const int depths[1] = {2};
    size_t seeds = study_seeds(env, 2 * (N_ACTS - 1));
    al_compare_factors f = study_mlp_factors(acts, N_ACTS, depths, 128);
    study_matched_init(&f);
    al_compare_options o = study_fair_options(env, seeds, STUDY_PICK(env, 3, 15), quick_grid, 5);
    o.optim = al_optim_options_for(AL_OPT_ADAM);
    o.tune_lrs = quick_grid; /* the dose: the same 5 rates at either budget */
    o.n_tune_lrs = 5;
    o.unit_stats = 1;
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, STUDY_PICK(env, 7000, 0), &c, err);
    if (st != AL_OK)
        return st;
    study_work w;
    st = study_work_init(&w, seeds, err);
    for (size_t a = 1; st == AL_OK && a < N_ACTS; a++) {
        char what[160];
        snprintf(what, sizeof what, "%s vs ReLU(), final test accuracy", acts[a]);
        study_diffs(c, a, c, 0, study_score_acc, 0, w.d);
        st = study_family_add(&w.fam, what, w.d, 0, 0.01, 100, "points", NULL, err);
    }
    for (size_t a = 1; st == AL_OK && a < N_ACTS; a++) {
        char what[160];
        snprintf(what, sizeof what, "%s vs ReLU(), inactive units", acts[a]);
        study_diffs(c, a, c, 0, study_score_inactive, 1, w.d);
        st = study_family_add(&w.fam, what, w.d, claim[a], 0.02, 100, "% of units", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    al_verdict kind = AL_VERDICT_INCONCLUSIVE;
    if (st == AL_OK) {
        size_t n = 0, T = o.tune_seeds;
        kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Accuracy first.** Adam, each activation at its own learning "
                  "rate (tuned on a validation split):");
        for (size_t a = 0; a < N_ACTS; a++) {
            const al_arm_summary *S = al_compare_summary(c, a);
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %s %.2f %% (lr %g, %.1f %% of units inactive)", a ? ";" : "",
                      acts[a], 100 * S->acc_mean, S->lr, 100 * S->inactive_final);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".");
        study_edge_note(c, w.text, STUDY_VERDICT_BYTES, &n);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " Paired against ReLU (one family of %zu):\n\n%s\n\n", w.fam.m,
                  w.claims);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Dose and response** (the tuning runs: inactive units and "
                  "validation accuracy at each learning rate, mean over %zu seed%s):", T, T == 1 ? "" : "s");
        for (size_t a = 0; a < N_ACTS; a++) {
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %s", a ? ";" : "", acts[a]);
            for (size_t l = 0; l < o.n_tune_lrs; l++)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %g → %.0f %% / %.1f %%", l ? "," : "", quick_grid[l],
                          100 * tune_mean(c, a, l, T, 1), 100 * tune_mean(c, a, l, T, 0));
        }
        double relu_high = tune_mean(c, 0, o.n_tune_lrs - 1, T, 1), relu_tuned = al_compare_summary(c, 0)->inactive_final;
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ". Of the units inactive at some epoch end, the fraction active "
                  "again at the last: ");
        for (size_t a = 0; a < N_ACTS; a++) {
            double rec = recovered(c, a);
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s%s %s", a ? ", " : "", acts[a],
                      isfinite(rec) ? "" : "none were inactive");
            if (isfinite(rec))
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%.0f %%", 100 * rec);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".\n\nPublished: Stanford's CS231n notes say \"as much as 40%% of "
                  "your network can be 'dead' ... if the learning rate is set too high. With a proper setting of the "
                  "learning rate this is less frequently an issue.\" Here ReLU lost %.0f %% of its units at lr %g and "
                  "%.1f %% at its tuned rate: %s.", 100 * relu_high, quick_grid[o.n_tune_lrs - 1], 100 * relu_tuned,
                  relu_high > relu_tuned + 0.02 ? "the dose-response agrees with the notes"
                                                : "no clear dose-response in this range");
        st = study_verdict(env, res, kind, w.text, err);
    }
    al_chart *charts[3] = {NULL, NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create("Inactive units against learning rate", "log10 learning rate (Adam)",
                             "fraction of units", 420, 320, &charts[0], err);
    if (st == AL_OK)
        st = al_chart_create("Validation accuracy against learning rate", "log10 learning rate (Adam)",
                             "validation accuracy", 420, 320, &charts[1], err);
    for (size_t a = 0; st == AL_OK && a < N_ACTS; a++) {
        double xs[8], inact[8], acc[8];
        for (size_t l = 0; l < o.n_tune_lrs; l++) {
            xs[l] = log10(quick_grid[l]);
            inact[l] = tune_mean(c, a, l, o.tune_seeds, 1);
            acc[l] = tune_mean(c, a, l, o.tune_seeds, 0);
        }
        st = al_chart_add_series(charts[0], acts[a], o.n_tune_lrs, xs, inact, al_chart_palette(a), err);
        if (st == AL_OK)
            st = al_chart_add_series(charts[1], acts[a], o.n_tune_lrs, xs, acc, al_chart_palette(a), err);
    }
    if (st == AL_OK)
        st = study_epochs_chart(c, NULL, N_ACTS, o.epochs, seeds, metric_inactive, NULL,
                                "Inactive units by epoch (tuned lr)", "fraction of units", &charts[2], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 3, 3, "Dose and response: the fraction of hidden units inactive on every "
                        "training sample (|f'| at most a tenth of its largest) and validation accuracy at each learning "
                        "rate; right: the inactive fraction by epoch at each activation's tuned rate (95 % bands).",
                        err);
    else
        for (int i = 0; i < 3; i++)
            al_chart_free(charts[i]);
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "All comparisons, one family (Holm over all); a failed seed scores 0 "
                                "accuracy and 100 % inactive units.", err);
    if (st == AL_OK)
        st = study_arms_table(env, c, "Per arm at its tuned learning rate.", err);
    if (st == AL_OK)
        st = study_act_plot(env, acts, N_ACTS, -4, 4, "The activations and their derivatives (PReLU at its initial "
                            "slope 0.25).", err);
    study_work_free(&w);
    al_compare_free(c);
    return st;
}
