/* smoothness: do smooth activations train faster, or end higher, than ReLU?
 * Every arm at its own tuned learning rate and matched init; the outcomes
 * are final test accuracy and the training loss against steps (its mean
 * over the run, the area under the curve, and the steps to a loss target).
 * A dial varies smoothness apart from shape: Softplus(beta) goes from smooth
 * to nearly ReLU as beta grows, CELU(alpha) keeps f' continuous for every
 * alpha. Each arm's smoothness class is measured, not assumed: SELU's
 * derivative jumps at 0 (lambda alpha on the left, lambda on the right). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

#define N_ARMS 8

/* 0: f' jumps (C0), 1: f'' jumps (C1), 2: smooth, from one-sided differences at 0 and at each kink. */
static int smoothness_class(const char *spec)
{
    al_act a;
    if (al_act_parse(spec, &a, NULL) != AL_OK)
        return 0;
    double where[AL_ACT_MAX_KINKS + 1], deriv[AL_ACT_MAX_KINKS];
    int n = al_act_kinks(&a, where, deriv), cls = 2;
    where[n++] = 0;
    for (int k = 0; k < n; k++) {
        const double h = 1e-4;
        double y, d[4];
        const double at[4] = {where[k] - 2 * h, where[k] - 1e-9, where[k] + 1e-9, where[k] + 2 * h};
        for (int i = 0; i < 4; i++)
            al_act_eval_f64(&a, at[i], 0.25, &y, &d[i]);
        if (fabs(d[2] - d[1]) > 1e-3)
            return 0;
        double left = (d[1] - d[0]) / (2 * h), right = (d[3] - d[2]) / (2 * h);
        if (fabs(right - left) > 0.05 * (1 + fabs(left) + fabs(right)))
            cls = 1;
    }
    return cls;
}

static const char *class_name(int cls)
{
    return cls == 0 ? "f' jumps (C0)" : cls == 1 ? "f'' jumps (C1)" : "smooth";
}

static double metric_curve_end(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->curve[(size_t)epoch * AL_COMPARE_CURVE_PER_EPOCH + AL_COMPARE_CURVE_PER_EPOCH - 1];
}

al_status study_smoothness(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[N_ARMS] = {"ReLU()", "ELU()", "CELU(alpha=0.25)", "SELU()", "GELU()",
                                             "SiLU()", "Softplus()", "Softplus(beta=16)"};
    static const double grid[4] = {0.003, 0.01, 0.03, 0.1};
    static const int depths[1] = {2};
    double loss_target = STUDY_PICK(env, 0.5, 0.35);
    int cls[N_ARMS];
    size_t m = 0;
    for (size_t a = 0; a < N_ARMS; a++) {
        cls[a] = smoothness_class(acts[a]);
        m += a > 0 ? 2 : 0;
    }
    size_t seeds = study_seeds(env, m);
    al_compare_factors f = study_mlp_factors(acts, N_ARMS, depths, 128);
    study_matched_init(&f);
    al_compare_options o = study_fair_options(env, seeds, STUDY_PICK(env, 3, 15), grid, 4);
    size_t rows = STUDY_PICK(env, 7000, 0);
    al_compare *c = NULL;
    al_status st = study_compare(env, "arms", &f, &o, rows, &c, err);
    if (st != AL_OK)
        return st;
    study_work w;
    st = study_work_init(&w, seeds, err);
    char(*cells)[STUDY_CELL] = calloc(N_ARMS * 6, sizeof *cells);
    if (st == AL_OK && !cells)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    double worst_auc = study_worst_high(c, study_score_auc);
    for (size_t a = 1; st == AL_OK && a < N_ARMS; a++) {
        char what[160];
        int smooth = cls[a] > 0;
        snprintf(what, sizeof what, "%s vs ReLU(), final test accuracy", acts[a]);
        study_diffs(c, a, c, 0, study_score_acc, 0, w.d);
        st = study_family_add(&w.fam, what, w.d, smooth ? +1 : 0, 0.01, 100, "points", NULL, err);
        snprintf(what, sizeof what, "%s vs ReLU(), mean training loss over the run", acts[a]);
        study_diffs(c, a, c, 0, study_score_auc, worst_auc, w.d);
        if (st == AL_OK)
            st = study_family_add(&w.fam, what, w.d, smooth ? -1 : 0, 0.02, 1, "nats", NULL, err);
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    /* steps to the loss target: Kaplan-Meier over seeds on the curve's points */
    double n_train = rows ? (double)rows : 60000.0; /* the rows left after the 10 % validation split */
    size_t per_epoch = (size_t)ceil((n_train - floor(0.1 * n_train + 0.5)) / (double)o.batch);
    al_stats_ttt *ttt = calloc(seeds + 1, sizeof *ttt);
    if (st == AL_OK && !ttt)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t a = 0; st == AL_OK && a < N_ARMS; a++) {
        size_t points = (size_t)o.epochs * AL_COMPARE_CURVE_PER_EPOCH;
        for (size_t s = 0; s < seeds; s++) {
            const al_job_result *r = al_compare_job(c, a, s);
            if (r->done)
                al_stats_time_to_target(r->curve, NULL, points, loss_target, AL_STATS_AT_MOST, &ttt[s], NULL);
            else
                ttt[s] = (al_stats_ttt){0, 0, points, 0, 0, 0};
        }
        al_stats_ttt_summary sum;
        al_stats_ttt_summarize(ttt, seeds, &sum, NULL);
        const al_arm_summary *S = al_compare_summary(c, a);
        char(*row)[STUDY_CELL] = cells + a * 6;
        snprintf(row[0], STUDY_CELL, "%s", acts[a]);
        snprintf(row[1], STUDY_CELL, "%s", class_name(cls[a]));
        snprintf(row[2], STUDY_CELL, "%.3g", S->lr);
        snprintf(row[3], STUDY_CELL, "%.2f%%", 100 * S->acc_mean);
        snprintf(row[4], STUDY_CELL, "%.3f", S->loss_auc);
        double step = (double)per_epoch / AL_COMPARE_CURVE_PER_EPOCH;
        if (sum.median_known)
            snprintf(row[5], STUDY_CELL, "%.0f (%zu/%zu reached)", sum.median_epochs * step, sum.reached, sum.seeds);
        else
            snprintf(row[5], STUDY_CELL, "censored (%zu/%zu reached)", sum.reached, sum.seeds);
    }
    free(ttt);
    if (st == AL_OK) {
        size_t n = 0;
        al_verdict kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Each arm at its own tuned learning rate (SGD, momentum 0.9) and "
                  "variance-preserving init; the claim counts the smooth arms (measured: f' continuous at 0 and at "
                  "every kink): higher final accuracy or lower mean training loss than ReLU. SELU is reported but not "
                  "counted (its f' jumps at 0, from %.4f to %.4f).", 1.0507009873554805 * 1.6732632423543772,
                  1.0507009873554805);
        study_run_notes(c, w.text, STUDY_VERDICT_BYTES, &n);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "\n\n%s\n\n", w.claims);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Published: Hendrycks and Gimpel (GELU, 2016) report \"performance "
                  "improvements across all considered computer vision, natural language processing, and speech "
                  "tasks\" over ReLU and ELU. %s", kind == AL_VERDICT_SUPPORTED
                  ? "Here some smooth arm did better than ReLU, in line with that claim for this MLP."
                  : kind == AL_VERDICT_NOT_SUPPORTED ? "Here, at fair learning rates, the smooth arms did not "
                                                       "consistently beat ReLU (the comparisons above)."
                                                     : "This budget cannot tell.");
        st = study_verdict(env, res, kind, w.text, err);
    }
    static const char *const header[6] = {"arm", "smoothness", "tuned lr", "test accuracy", "mean training loss",
                                          "steps to the loss target"};
    if (st == AL_OK)
        st = study_table(env, "Per arm: the measured smoothness class, the tuned learning rate, final test "
                         "accuracy and mean training loss (means over seeds), and the Kaplan-Meier median of the "
                         "steps until the windowed training loss first reaches the target.", 6, header, N_ARMS, cells,
                         err);
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "All comparisons against ReLU, one family (Holm over all).", err);
    al_chart *charts[2] = {NULL, NULL};
    if (st == AL_OK)
        st = study_epochs_chart(c, NULL, N_ARMS, o.epochs, seeds, study_metric_train_acc, NULL,
                                "Training accuracy by epoch", "training accuracy (running)", &charts[0], err);
    if (st == AL_OK)
        st = study_epochs_chart(c, NULL, N_ARMS, o.epochs, seeds, metric_curve_end, NULL,
                                "Training loss at each epoch's end", "training loss (window mean)", &charts[1], err);
    if (st == AL_OK)
        st = study_grid(env, charts, 2, 2, "Mean over seeds with 95 % t bands.", err);
    else {
        al_chart_free(charts[0]);
        al_chart_free(charts[1]);
    }
    if (st == AL_OK)
        st = study_tune_chart(env, c, NULL, err);
    if (st == AL_OK)
        st = study_act_plot(env, acts, N_ARMS, -4, 4, "The activations and their derivatives: the Softplus dial "
                            "(beta 1, 16) approaches ReLU; SELU's derivative jumps at 0.", err);
    study_work_free(&w);
    al_compare_free(c);
    free(cells);
    return st;
}
