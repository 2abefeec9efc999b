/* What the study files share: the environment a study runs in, data and
 * comparison helpers, and report helpers that do nothing without a report. */
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

/* quick or full, by the options. */
#define STUDY_PICK(env, q, f) ((env)->o.full ? (f) : (q))

/* The seed count: the options' when given, else the budget's. */
size_t study_seeds(const al_study_env *env, size_t quick, size_t full);

/* The first `rows` training rows (0: all) as a new dataset, and the test set
 * (owned by the data; test may be NULL). */
al_status study_load(al_study_env *env, size_t rows, al_dataset **train, const al_dataset **test,
                     al_error *err);

/* Factors for the built-in MLP: acts x one depth of `width` units (nothing else varied). */
al_compare_factors study_mlp_factors(const char *const *acts, size_t n_acts, const int *depth, size_t width);

/* Creates and runs a comparison in out_dir/NAME/sub on the first `rows`
 * training rows; fills the factors' MLP sizes, the options' dir, jobs,
 * quiet, progress and should_stop. */
al_status study_compare(al_study_env *env, const char *sub, al_compare_factors *f, al_compare_options *o,
                        size_t rows, al_compare **out, al_error *err);

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

/* A chart with one series (mean with a 95 % band) per arm in arms[0..n) of c. */
al_status study_epochs_chart(const al_compare *c, const size_t *arms, size_t n, long epochs, size_t seeds,
                             study_metric metric, const void *ctx, const char *title, const char *y_label,
                             al_chart **out, al_error *err);

/* The per-arm table of a comparison (accuracy, vs baseline, p, time to target, dead, s/run). */
al_status study_arms_table(al_study_env *env, const al_compare *c, size_t seeds, double target,
                           const char *caption, al_error *err);

/* f and f' over [lo, hi] of the given activation constructors: two charts in one figure. */
al_status study_act_plot(al_study_env *env, const char *const *acts, size_t n, double lo, double hi,
                         const char *caption, al_error *err);

/* The verdict of a comparison (al_study_verdict_arms on its summaries). */
al_verdict study_compare_verdict(const al_compare *c, size_t seeds, double target, char *out, size_t size);

/* The per-arm names of c. */
void study_arm_names(const al_compare *c, const char **names, size_t max);

/* The studies, one function each. */
al_status study_consistency(al_study_env *env, al_study_result *res, al_error *err);
al_status study_kink(al_study_env *env, al_study_result *res, al_error *err);
al_status study_dead_units(al_study_env *env, al_study_result *res, al_error *err);
al_status study_smoothness(al_study_env *env, al_study_result *res, al_error *err);
al_status study_leaky_prelu_depth(al_study_env *env, al_study_result *res, al_error *err);
al_status study_zero_centering(al_study_env *env, al_study_result *res, al_error *err);
al_status study_vanishing(al_study_env *env, al_study_result *res, al_error *err);
al_status study_selu_fixed_point(al_study_env *env, al_study_result *res, al_error *err);

#endif
