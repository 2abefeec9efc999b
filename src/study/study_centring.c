/* zero-centering: does an activation whose outputs are centred train
 * faster? An intervention that changes the centring: tanh against the
 * logistic sigmoid, tanh(x) = 2 sigmoid(2x) - 1 (the same shape, scaled and
 * shifted; the scales are absorbed by each arm's variance-preserving init and
 * tuned learning rate, so what remains is the shift). Centring is measured
 * per unit as E[a]^2 / E[a^2], the share of a unit's second moment that is
 * its mean (0: centred; 1: constant), the quantity in LeCun et al.'s
 * argument. And He's gain sqrt(2) against Glorot's gain 1 (Xavier-normal),
 * each as published, for ReLU and tanh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

/* A job's mean centring E[a]^2 / E[a^2] over its activation layers at epoch e. */
static double centring(const al_job_result *r, long e)
{
    double sum = 0;
    int n = 0;
    for (int l = 0; l < r->layers; l++) {
        double v = r->centring_layer[(size_t)e * (size_t)r->layers + (size_t)l];
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / n : NAN;
}

static double metric_centring(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return centring(r, epoch);
}

/* Mean over finished seeds of the final centring of arm. */
static double final_centring(const al_compare *c, size_t arm)
{
    double sum = 0;
    size_t n = 0;
    for (size_t s = 0; al_compare_job(c, arm, s); s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        double v = r->done ? centring(r, r->epochs - 1) : NAN;
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

al_status study_zero_centering(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const pair[2] = {"Sigmoid()", "Tanh()"}, *const acts[2] = {"ReLU()", "Tanh()"};
    static const double grid[6] = {0.003, 0.01, 0.03, 0.1, 0.3, 1}, he_grid[4] = {0.003, 0.01, 0.03, 0.1};
    static const int depths[1] = {3};
    static const al_init_scheme kaiming = AL_INIT_KAIMING_NORMAL, xavier = AL_INIT_XAVIER_NORMAL;
    static const al_gain_rule he = AL_GAIN_HE, one = AL_GAIN_ONE;
    size_t seeds = study_seeds(env, 4);
    long epochs = STUDY_PICK(env, 3, 15);
    size_t rows = STUDY_PICK(env, 7000, 0);
    al_compare *centred = NULL, *runs[2] = {NULL, NULL};
    al_compare_factors f = study_mlp_factors(pair, 2, depths, 128);
    study_matched_init(&f);
    al_compare_options o = study_fair_options(env, seeds, epochs, grid, 6);
    o.unit_stats = 1;
    al_status st = study_compare(env, "sigmoid-tanh", &f, &o, rows, &centred, err);
    al_compare_options oh = study_fair_options(env, seeds, epochs, he_grid, 4);
    oh.unit_stats = 1;
    for (int k = 0; st == AL_OK && k < 2; k++) {
        al_compare_factors g = study_mlp_factors(acts, 2, depths, 128);
        g.inits = k == 0 ? &kaiming : &xavier;
        g.n_inits = 1;
        g.gains = k == 0 ? &he : &one;
        g.n_gains = 1;
        st = study_compare(env, k == 0 ? "he" : "glorot", &g, &oh, rows, &runs[k], err);
    }
    study_work w;
    al_status ws = study_work_init(&w, seeds, err);
    if (st == AL_OK)
        st = ws;
    if (st == AL_OK) {
        study_diffs(centred, 1, centred, 0, study_score_acc, 0, w.d);
        st = study_family_add(&w.fam, "Tanh() vs Sigmoid(), final test accuracy", w.d, +1, 0.01, 100, "points", NULL,
                              err);
    }
    if (st == AL_OK) {
        study_diffs(centred, 1, centred, 0, study_score_auc, study_worst_high(centred, study_score_auc), w.d);
        st = study_family_add(&w.fam, "Tanh() vs Sigmoid(), mean training loss over the run", w.d, -1, 0.02, 1, "nats",
                              NULL, err);
    }
    for (size_t a = 0; st == AL_OK && a < 2; a++) {
        char what[160];
        snprintf(what, sizeof what, "%s Glorot (Xavier-normal, gain 1) vs He (Kaiming-normal, gain sqrt 2), final "
                 "test accuracy", acts[a]);
        study_diffs(runs[1], a, runs[0], a, study_score_acc, 0, w.d);
        st = study_family_add(&w.fam, what, w.d, 0, 0.01, 100, "points", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    if (st == AL_OK) {
        size_t n = 0;
        al_verdict kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Centring at the end of training, per unit E[a]²/E[a²] averaged "
                  "over units and layers (0 = centred): Sigmoid() %.3f, Tanh() %.3f (each at its tuned lr %g and %g, "
                  "variance-preserving init). He against Glorot: ", final_centring(centred, 0),
                  final_centring(centred, 1), al_compare_arm(centred, 0)->lr, al_compare_arm(centred, 1)->lr);
        for (size_t a = 0; a < 2; a++)
            study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s%s %.3f vs %.3f", a ? ", " : "", acts[a],
                      final_centring(runs[0], a), final_centring(runs[1], a));
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " (He, Glorot).");
        static const char *const runs_named[3] = {"sigmoid against tanh", "He", "Glorot"};
        for (int k = 0; k < 3; k++) {
            char note[1024];
            size_t m = 0;
            note[0] = '\0';
            study_run_notes(k == 0 ? centred : runs[k - 1], note, sizeof note, &m);
            if (m)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, " (%s)%s", runs_named[k], note);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " The claim: the centred tanh ends higher or trains "
                  "faster than the sigmoid.\n\n%s\n\nPublished: LeCun et al. (Efficient BackProp, 1998) argue that "
                  "\"convergence is usually faster if the average of each input variable over the training set is "
                  "close to zero\", that this should hold at every layer, and so prefer symmetric sigmoids such as "
                  "tanh. %s", w.claims, kind == AL_VERDICT_SUPPORTED ? "actlab's numbers agree."
                  : kind == AL_VERDICT_NOT_SUPPORTED ? "actlab's numbers do not show it at fair learning rates."
                                                     : "This budget cannot tell.");
        st = study_verdict(env, res, kind, w.text, err);
    }
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "All comparisons, one family (Holm over all).", err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = study_epochs_chart(centred, NULL, 2, epochs, seeds, metric_centring, NULL, "Centring E[a]^2/E[a^2]",
                                "share of the second moment", &charts[0], err);
    if (st == AL_OK)
        st = study_epochs_chart(centred, NULL, 2, epochs, seeds, study_metric_train_acc, NULL, "Training accuracy",
                                "training accuracy (running, per epoch)", &charts[1], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Sigmoid against tanh, each at its tuned learning rate: per-unit centring "
                        "at each epoch end (over the whole training set) and training accuracy (means, 95 % bands).", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    if (st == AL_OK)
        st = study_arms_table(env, centred, "Sigmoid against tanh.", err);
    for (int k = 0; st == AL_OK && k < 2; k++)
        st = study_arms_table(env, runs[k], k == 0 ? "He: Kaiming-normal, gain sqrt 2." :
                              "Glorot: Xavier-normal, gain 1.", err);
    if (st == AL_OK)
        st = study_tune_chart(env, centred, "Learning rates: sigmoid and tanh", err);
    al_compare_free(centred);
    al_compare_free(runs[0]);
    al_compare_free(runs[1]);
    study_work_free(&w);
    return st;
}
