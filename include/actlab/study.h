/* Studies: a catalogue of documented experiments on activations. Each states
 * its question and protocol, runs at a quick or a full budget (comparisons
 * through compare.h, statistics at initialisation through the net directly),
 * writes a report section (report.h) and a verdict computed from the numbers
 * it just produced. See docs/studies.md. */
#ifndef ACTLAB_STUDY_H
#define ACTLAB_STUDY_H

#include <stddef.h>

#include "actlab/compare.h"
#include "actlab/data.h"
#include "actlab/report.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Significance level every study's tests use. */
#define AL_STUDY_ALPHA 0.05

typedef struct al_study_options {
    int full;                /* the full budget instead of the quick one */
    size_t seeds;            /* 0: the budget's; else at least 2 */
    int jobs;                /* worker processes (0: the number of cores) */
    const char *out_dir;     /* job results go to out_dir/NAME (required) */
    const char *data_dir;    /* Fashion-MNIST folder (NULL: AL_FASHION_MNIST_DIR) */
    int quiet;               /* 1: progress is not called */
    al_progress_fn progress; /* data loading and the comparisons' jobs (NULL: none); see compare.h */
    void *progress_context;
    al_should_stop should_stop; /* passed to each comparison (NULL: never stop) */
    void *stop_context;
} al_study_options;

/* What a study concluded. */
typedef struct al_study_result {
    al_verdict kind;
    char verdict[2048];      /* the verdict text, from the numbers (inline markup) */
    double seconds;          /* wall time of the run */
} al_study_result;

/* Data shared by the studies of one invocation, loaded at first use. */
typedef struct al_study_data al_study_data;

/* Where a study runs: options, data and the report being written. Opaque. */
typedef struct al_study_env al_study_env;

typedef struct al_study {
    const char *name;        /* "dead-units" */
    const char *title;       /* the report heading */
    const char *question;
    const char *protocol;    /* what is run and how the verdict is decided */
    const char *quick;       /* the quick budget in words */
    const char *full;        /* the full budget in words */
    /* Runs, adds the verdict, charts and tables to the current report
     * section and fills result. */
    al_status (*run)(al_study_env *env, al_study_result *result, al_error *err);
} al_study;

/* The catalogue, in the order `actlab study list` shows it. */
size_t al_study_count(void);
const al_study *al_study_at(size_t index);
/* The study called name, or NULL with an error naming the closest studies. */
const al_study *al_study_find(const char *name, al_error *err);

al_study_options al_study_options_default(void);

/* data_dir NULL: AL_FASHION_MNIST_DIR. Nothing is read until a study needs it. */
al_status al_study_data_create(const char *data_dir, al_study_data **out, al_error *err);
void al_study_data_free(al_study_data *data);

/* Runs one study: a report section (question, verdict, charts, tables,
 * protocol), result filled. report may be NULL (no report is kept). */
al_status al_study_run(const al_study *study, const al_study_options *options, al_study_data *data,
                       al_report *report, al_study_result *result, al_error *err);

/* ---- verdicts: pure functions of summary numbers (tested on fixed ones) -- */

/* Arms of a comparison against its baseline: final accuracy differences with
 * Welch intervals and Holm-adjusted permutation p-values, and the median
 * epochs to target (NaN target: none). SUPPORTED ("the choice changes the
 * result") when some arm differs at p_holm < alpha; NOT_SUPPORTED when none
 * does though the seeds could have shown it; INCONCLUSIVE when `seeds` cannot
 * give a Holm-adjusted p below alpha at all. Writes the text into out. */
al_verdict al_study_verdict_arms(const char *const *names, const al_arm_summary *summaries,
                                 size_t n_arms, size_t baseline, size_t seeds, double target,
                                 double alpha, char *out, size_t size);

/* The smallest two-sided exact permutation p-value two groups of k seeds can
 * give: 2 / C(2k, k). */
double al_study_min_p(size_t k);

/* Dead units: per-seed final dead fractions dead[arm * seeds + seed] (NaN for
 * a failed seed); arm `relu` is tested against each other arm (permutation
 * test, Holm). SUPPORTED when ReLU loses at least 1 % of its units and more
 * than every other arm, significantly. */
al_verdict al_study_verdict_dead(const char *const *names, const double *dead, size_t n_arms,
                                 size_t seeds, size_t relu, double alpha, char *out, size_t size);

/* SELU's fixed point: for each init i and each input variance v, the mean and
 * variance after the last layer (mean[i * n_vars + v], var[...]). SUPPORTED
 * when init `lecun` stays within |mean| <= 0.1 and |var - 1| <= 0.2 for every
 * input variance and every other init leaves that band for some variance. */
al_verdict al_study_verdict_selu(const char *const *inits, size_t n_inits, size_t lecun,
                                 const double *input_vars, size_t n_vars, const double *mean,
                                 const double *var, size_t layers, char *out, size_t size);

/* Vanishing gradients: ratio[i] = first-layer / last-layer weight-gradient
 * norm of activation i at initialisation. SUPPORTED when every `saturating`
 * activation's ratio is below 0.01 and every other one's is at least 0.1. */
al_verdict al_study_verdict_vanishing(const char *const *names, const int *saturating,
                                      const double *ratio, size_t n, size_t layers, char *out,
                                      size_t size);

#ifdef __cplusplus
}
#endif
#endif
