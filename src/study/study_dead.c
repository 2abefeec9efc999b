/* dead-units: do ReLU units die, and do Leaky ReLU, PReLU and ELU keep
 * theirs? A unit counts as inactive when its pre-activation lies where the
 * activation passes less than a tenth of its largest gradient (ReLU's
 * negative side, tanh's saturation, ...) for every training sample: a test
 * every activation can fail, not "f' = 0", which only ReLU can reach. The
 * learning rate is the dose: every activation is trained across the tuning
 * grid (dead fraction and validation accuracy against the rate), then each
 * at its own tuned rate for the paired tests. The verdict leads with
 * accuracy, the thing a user cares about. dead-units-conv asks the same of
 * a small CNN, where the unit is a channel (inactive at every position of
 * every sample). */
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

/* What differs between the MLP and the convolutional variant. */
typedef struct dead_variant {
    const char *const *acts;      /* N_ACTS, ReLU first */
    const char *template_spec;    /* NULL: the MLP 784-128-128-10; else a CNN with {act} */
    size_t rows;                  /* training rows at the quick budget */
    double relevant_inactive;     /* the inactive fraction that matters */
    const char *unit;             /* "units", "channels" */
    const char *model;            /* how the verdict names the model */
} dead_variant;

static al_status dead_units(al_study_env *env, al_study_result *res, const dead_variant *v, al_error *err)
{
    const char *const *acts = v->acts;
    static const int claim[N_ACTS] = {0, -1, -1, -1, 0}; /* the others lose fewer units than ReLU */
    static const double quick_grid[5] = {3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
    static const int depths[1] = {2};
    size_t seeds = study_seeds(env, 2 * (N_ACTS - 1));
    al_compare_factors f = study_mlp_factors(acts, N_ACTS, depths, 128);
    f.template_spec = v->template_spec;
    study_matched_init(&f);
    al_compare_options o = study_fair_options(env, seeds, STUDY_PICK(env, 3, 15), quick_grid, 5);
    o.optim = al_optim_options_for(AL_OPT_ADAM);
    o.tune_lrs = quick_grid; /* the dose: the same 5 rates at either budget */
    o.n_tune_lrs = 5;
    o.unit_stats = 1;
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, STUDY_PICK(env, v->rows, 0), &c, err);
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
        char what[160], unit[32];
        snprintf(what, sizeof what, "%s vs ReLU(), inactive %s", acts[a], v->unit);
        snprintf(unit, sizeof unit, "%% of %s", v->unit);
        study_diffs(c, a, c, 0, study_score_inactive, 1, w.d);
        st = study_family_add(&w.fam, what, w.d, claim[a], v->relevant_inactive, 100, unit, NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    al_verdict kind = AL_VERDICT_INCONCLUSIVE;
    if (st == AL_OK) {
        size_t n = 0, T = o.tune_seeds;
        kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Accuracy first.** %s, Adam, each activation at its own "
                  "learning rate (tuned on a validation split):", v->model);
        for (size_t a = 0; a < N_ACTS; a++) {
            const al_arm_summary *S = al_compare_summary(c, a);
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %s %.2f %% (lr %g, %.1f %% of %s inactive)", a ? ";" : "",
                      acts[a], 100 * S->acc_mean, S->lr, 100 * S->inactive_final, v->unit);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".");
        study_run_notes(c, w.text, STUDY_VERDICT_BYTES, &n);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " Paired against ReLU (one family of %zu):\n\n%s\n\n", w.fam.m,
                  w.claims);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "**Dose and response** (the tuning runs: inactive %s and "
                  "validation accuracy at each learning rate, mean over %zu seed%s):", v->unit, T, T == 1 ? "" : "s");
        for (size_t a = 0; a < N_ACTS; a++) {
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %s", a ? ";" : "", acts[a]);
            for (size_t l = 0; l < o.n_tune_lrs; l++)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %g → %.0f %% / %.1f %%", l ? "," : "", quick_grid[l],
                          100 * tune_mean(c, a, l, T, 1), 100 * tune_mean(c, a, l, T, 0));
        }
        double relu_high = tune_mean(c, 0, o.n_tune_lrs - 1, T, 1), relu_tuned = al_compare_summary(c, 0)->inactive_final;
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ". Of the %s inactive at some epoch end, the fraction active "
                  "again at the last: ", v->unit);
        for (size_t a = 0; a < N_ACTS; a++) {
            double rec = recovered(c, a);
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s%s %s", a ? ", " : "", acts[a],
                      isfinite(rec) ? "" : "none were inactive");
            if (isfinite(rec))
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%.0f %%", 100 * rec);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".\n\nPublished: Stanford's CS231n notes say \"as much as 40%% of "
                  "your network can be 'dead' ... if the learning rate is set too high. With a proper setting of the "
                  "learning rate this is less frequently an issue.\" Here ReLU lost %.0f %% of its %s at lr %g and "
                  "%.1f %% at its tuned rate: %s.", 100 * relu_high, v->unit, quick_grid[o.n_tune_lrs - 1],
                  100 * relu_tuned, relu_high > relu_tuned + v->relevant_inactive
                                        ? "the dose-response agrees with the notes"
                                        : "no clear dose-response in this range");
        st = study_verdict(env, res, kind, w.text, err);
    }
    al_chart *charts[3] = {NULL, NULL, NULL};
    if (st == AL_OK)
        st = al_chart_create(v->template_spec ? "Inactive channels against learning rate"
                                              : "Inactive units against learning rate",
                             "log10 learning rate (Adam)", v->template_spec ? "fraction of channels" : "fraction of units",
                             420, 320, &charts[0], err);
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
                                v->template_spec ? "Inactive channels by epoch (tuned lr)"
                                                 : "Inactive units by epoch (tuned lr)",
                                v->template_spec ? "fraction of channels" : "fraction of units", &charts[2], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 3, 3, v->template_spec
                        ? "Dose and response: the fraction of channels inactive at every position of every training "
                          "sample (|f'| at most a tenth of its largest) and validation accuracy at each learning "
                          "rate; right: the inactive fraction by epoch at each activation's tuned rate (95 % bands)."
                        : "Dose and response: the fraction of hidden units inactive on every "
                        "training sample (|f'| at most a tenth of its largest) and validation accuracy at each learning "
                        "rate; right: the inactive fraction by epoch at each activation's tuned rate (95 % bands).",
                        err);
    else
        for (int i = 0; i < 3; i++)
            al_chart_free(charts[i]);
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, v->template_spec ? "All comparisons, one family (Holm over all); a "
                                "failed seed scores 0 accuracy and 100 % inactive channels."
                                : "All comparisons, one family (Holm over all); a failed seed scores 0 "
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

al_status study_dead_units(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_ACTS] = {"ReLU()", "LeakyReLU()", "PReLU()", "ELU()", "Tanh()"};
    dead_variant v = {acts, NULL, 7000, 0.02, "units", "MLP 784-128-128-10"};
    return dead_units(env, res, &v, err);
}

/* The CNN of dead-units-conv: three 3x3 convolutions of CONV_WIDTH channels,
 * a 2x2 max pool after each of the first two (28 -> 14 -> 7), averages over
 * a 4x4 grid, Linear(16 CONV_WIDTH, 10). */
#define CONV_WIDTH 16
#define STRING(x) #x
#define CHANNELS(x) STRING(x)

al_status study_dead_units_conv(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_ACTS] = {"ReLU()", "LeakyReLU()", "PReLU(num_parameters=" CHANNELS(CONV_WIDTH) ")",
                                             "ELU()", "Tanh()"};
    al_cnn_options co = al_cnn_options_default();
    co.width = CONV_WIDTH;
    co.blocks = 3;
    co.pool_every = 1;
    co.max_pools = 2;
    co.head = 4;
    char *spec = NULL;
    al_status st = al_cnn_spec(&co, "{act}", &spec, err);
    if (st != AL_OK)
        return st;
    dead_variant v = {acts, spec, 4000, 0.05, "channels",
                      "CNN of three 3x3 convolutions of " CHANNELS(CONV_WIDTH) " channels"};
    st = dead_units(env, res, &v, err);
    free(spec);
    return st;
}
