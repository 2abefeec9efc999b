/* What the study files share: the environment a study runs in, data and
 * comparison helpers, one family of paired comparisons per study, and report
 * helpers that do nothing without a report. */
#ifndef ACTLAB_STUDY_INTERNAL_H
#define ACTLAB_STUDY_INTERNAL_H

#include "actlab/compare.h"
#include "actlab/report.h"
#include "actlab/study.h"
#include "actlab/svg.h"

struct al_study_data {
    char *dir;
    al_dataset *train, *test;    /* standardised with the training set's global mean and std */
};

struct al_study_env {
    const al_study *study;
    al_study_options o;
    al_study_data *data;
    al_report *report;           /* NULL: nothing is written */
    size_t runs;                 /* comparisons run so far (their sub-folders) */
};

#define STUDY_CELL 320
#define STUDY_VERDICT_BYTES 8192

/* quick or full, by the options. */
#define STUDY_PICK(env, q, f) ((env)->o.full ? (f) : (q))

/* Appends printf-style text at *n in out (never past size). */
void study_put(char *out, size_t size, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The seed count: the options' when given, else the budget's: quick seeds
 * are enough for the exact sign-flip test to reach Holm's first step over
 * the study's m comparisons (plus one), full ones at least 10 and two more. */
size_t study_seeds(const al_study_env *env, size_t m);

/* The first `rows` training rows (0: all) as a new dataset, and the test set
 * (owned by the data; test may be NULL). */
al_status study_load(al_study_env *env, size_t rows, al_dataset **train, const al_dataset **test,
                     al_error *err);

/* Factors for the built-in MLP: acts x one depth of `width` units (nothing else varied). */
al_compare_factors study_mlp_factors(const char *const *acts, size_t n_acts, const int *depth, size_t width);

/* The options of a fair trained arm: SGD momentum 0.9, batch 128, each
 * arm's learning rate tuned on a 10 % validation split (mean of 2 tuning
 * seeds; 3 with --full) over the study's quick grid (--full: 7 values from
 * 1e-3 to 1), `seeds` seeds, `epochs` epochs, the test set read once at the end. */
al_compare_options study_fair_options(const al_study_env *env, size_t seeds, long epochs, const double *grid,
                                      size_t n_grid);
/* Matched (variance-preserving) gains under Kaiming-normal: every arm's init fits its activation. */
void study_matched_init(al_compare_factors *f);

/* Creates and runs a comparison in out_dir/NAME/sub on the first `rows`
 * training rows; fills the factors' MLP sizes, the options' dir, jobs,
 * quiet, progress and should_stop. */
al_status study_compare(al_study_env *env, const char *sub, al_compare_factors *f, al_compare_options *o,
                        size_t rows, al_compare **out, al_error *err);

/* ---- a study's family of paired comparisons ---- */

/* A job's score for a metric; NaN when it has none (then `failed` is used). */
typedef double (*study_score)(const al_job_result *r);
double study_score_acc(const al_job_result *r);       /* final test accuracy (failed: 0) */
double study_score_inactive(const al_job_result *r);  /* final inactive fraction (unit_stats) */
double study_score_silent(const al_job_result *r);    /* final fraction of units always outputting 0 */
double study_score_auc(const al_job_result *r);       /* mean training loss over the run */
double study_score_train_acc(const al_job_result *r); /* final training accuracy (running, last epoch) */

/* Per seed: score(arm of a) - score(arm of b) (a and b may be different
 * comparisons run with the same seeds); a failed seed scores `failed`. */
void study_diffs(const al_compare *a, size_t arm, const al_compare *b, size_t base, study_score score,
                 double failed, double *out);
/* The largest finished score of any arm and seed of c (the worst for a lower-is-better metric). */
double study_worst_high(const al_compare *c, study_score score);

typedef struct study_family {
    size_t m, cap, seeds;
    double *diffs;                /* m x seeds */
    al_claim_item *items;         /* what each comparison is, for the verdict */
    char (*what)[160];
    al_stats_comparison *out;     /* after study_family_analyse */
} study_family;

/* An empty family for comparisons of `seeds` paired differences each. */
al_status study_family_init(study_family *f, size_t seeds, al_error *err);
/* Adds a comparison (diffs copied); returns its index through *index (may be NULL). */
al_status study_family_add(study_family *f, const char *what, const double *diffs, int direction, double relevant,
                           double scale, const char *unit, size_t *index, al_error *err);
/* Analyses all comparisons as one family (al_stats_family, alpha 0.05, power 0.8). */
al_status study_family_analyse(study_family *f, al_error *err);
void study_family_free(study_family *f);
/* The claim's verdict over the whole family (al_study_verdict_claim). */
al_verdict study_family_verdict(const study_family *f, char *out, size_t size);

/* What a trained study's verdict is built with: its texts, a scratch of
 * 4 x seeds differences, and its family. */
typedef struct study_work {
    char *text, *claims;          /* STUDY_VERDICT_BYTES each */
    double *d;
    study_family fam;
} study_work;
al_status study_work_init(study_work *w, size_t seeds, al_error *err);
void study_work_free(study_work *w);

/* ---- report blocks ---- */

/* Writes the verdict into result and the report. */
al_status study_verdict(al_study_env *env, al_study_result *result, al_verdict kind, const char *text,
                        al_error *err);
al_status study_paragraph(al_study_env *env, const char *text, al_error *err);
al_status study_note(al_study_env *env, const char *text, al_error *err);
/* Adds the chart (and frees it, whatever happens). */
al_status study_chart(al_study_env *env, al_chart *chart, const char *caption, al_error *err);
/* Adds the charts as one figure (and frees them). */
al_status study_grid(al_study_env *env, al_chart **charts, size_t count, size_t columns, const char *caption,
                     al_error *err);
/* A table of rows x cols cells of STUDY_CELL bytes; numeric: column flags (NULL: first column text,
 * others numeric). */
al_status study_table(al_study_env *env, const char *caption, size_t cols, const char *const *header,
                      size_t rows, char (*cells)[STUDY_CELL], al_error *err);

/* Per epoch, one arm's mean over seeds (and 95 % t band) of a job metric. */
typedef double (*study_metric)(const al_job_result *r, long epoch, const void *ctx);
double study_metric_acc(const al_job_result *r, long epoch, const void *ctx);
double study_metric_dead(const al_job_result *r, long epoch, const void *ctx);
double study_metric_train_acc(const al_job_result *r, long epoch, const void *ctx);

/* A chart with one series (mean with a 95 % band) per arm in arms[0..n) of c. */
al_status study_epochs_chart(const al_compare *c, const size_t *arms, size_t n, long epochs, size_t seeds,
                             study_metric metric, const void *ctx, const char *title, const char *y_label,
                             al_chart **out, al_error *err);

/* The per-arm table of a comparison: lr, seeds, accuracy, training accuracy, paired difference with both
 * intervals, p (Holm within the comparison), time to target, dead, s/run. */
al_status study_arms_table(al_study_env *env, const al_compare *c, const char *caption, al_error *err);
/* Appends a sentence naming the arms of c whose tuned rate sits at the grid's edge, and one naming the arms
 * with seeds that diverged or failed, with their counts (nothing when neither applies). */
void study_run_notes(const al_compare *c, char *out, size_t size, size_t *n);
/* The learning-rate curves of a tuned comparison, as a figure (nothing without tuning). */
al_status study_tune_chart(al_study_env *env, const al_compare *c, const char *title, al_error *err);
/* The family's comparisons as a table. */
al_status study_family_table(al_study_env *env, const study_family *f, const char *caption, al_error *err);

/* f and f' over [lo, hi] of the given activation constructors: two charts in one figure. */
al_status study_act_plot(al_study_env *env, const char *const *acts, size_t n, double lo, double hi,
                         const char *caption, al_error *err);

/* The per-arm names of c. */
void study_arm_names(const al_compare *c, const char **names, size_t max);

/* ---- nets probed directly (study_net.c) ---- */

/* "Linear(in, w), ACT, Linear(w, w), ACT, ..., Linear(w, out)" with `hidden` activations (NULL: out of memory). */
char *study_mlp_spec(size_t in, size_t width, size_t out, int hidden, const char *act);
/* One forward and cross-entropy backward of net on rows x [batch, in] with labels y. */
al_status study_forward_backward(al_net *net, const float *x, const int32_t *y, size_t batch, al_error *err);
/* A new net from spec under init and seed (weights redrawn by the gain rule, or with
 * one fixed gain when `gain` is finite), after one forward and backward pass on train. */
al_status study_net_after_backward(const char *spec, al_init_scheme init, al_gain_rule rule, double gain,
                                   uint64_t seed, const al_dataset *train, al_net **net, al_error *err);
/* The L2 norm of every weight gradient ("N.weight"), in layer order; returns how many. */
size_t study_weight_grad_norms(const al_net *net, double *out, size_t max);

/* The studies, one function each. */
al_status study_consistency(al_study_env *env, al_study_result *res, al_error *err);
al_status study_kink(al_study_env *env, al_study_result *res, al_error *err);
al_status study_dead_units(al_study_env *env, al_study_result *res, al_error *err);
al_status study_dead_units_conv(al_study_env *env, al_study_result *res, al_error *err);
al_status study_smoothness(al_study_env *env, al_study_result *res, al_error *err);
al_status study_leaky_prelu_depth(al_study_env *env, al_study_result *res, al_error *err);
al_status study_leaky_prelu_depth_conv(al_study_env *env, al_study_result *res, al_error *err);
al_status study_zero_centering(al_study_env *env, al_study_result *res, al_error *err);
al_status study_vanishing(al_study_env *env, al_study_result *res, al_error *err);
al_status study_selu_fixed_point(al_study_env *env, al_study_result *res, al_error *err);

#endif
