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
#include "actlab/stats.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Significance level every study's tests use. */
#define AL_STUDY_ALPHA 0.05

typedef struct al_study_options {
    int full;                /* the full budget instead of the quick one */
    size_t seeds;            /* 0: the budget's; else at least 2 */
    int jobs;                /* worker processes (0: the CPUs this process may use; per rank with MPI) */
    const char *out_dir;     /* job results go to out_dir/NAME (required) */
    const char *data_dir;    /* Fashion-MNIST folder (NULL: AL_FASHION_MNIST_DIR) */
    int quiet;               /* 1: progress is not called */
    al_progress_fn progress; /* data loading and the comparisons' jobs (NULL: none); see compare.h */
    void *progress_context;
    al_should_stop should_stop; /* passed to each comparison (NULL: never stop) */
    void *stop_context;
    al_cluster *cluster;     /* MPI ranks sharing each comparison's jobs (NULL: this process alone); every
                              * rank runs the same studies, see compare.h */
} al_study_options;

/* What a study concluded. */
typedef struct al_study_result {
    al_verdict kind;
    char verdict[8192];      /* the verdict text, from the numbers (inline markup) */
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
    const char *published;   /* the published claim it tests: who, where, in their words */
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

/* ---- verdicts: pure functions of numbers (tested on fixed ones) ---------- */

/* What one comparison of a study's family shows, against the smallest
 * effect that matters for the question (`relevant`, in the metric's units). */
typedef enum al_finding {
    AL_FINDING_DIFFERENT,     /* significant: p_holm < alpha */
    AL_FINDING_NO_EFFECT,     /* not significant, and the seeds could detect `relevant` (mde <= relevant) */
    AL_FINDING_INCONCLUSIVE,  /* not significant, and they could not (mde > relevant, or nothing detectable) */
    AL_FINDING_IDENTICAL      /* every paired difference exactly 0 (the arms trained identically) */
} al_finding;

al_finding al_study_finding(const al_stats_comparison *c, double relevant);

/* One comparison in words, e.g. "GELU() vs ReLU(): +0.60 points (Holm-adjusted
 * CI [...]; paired t 95 % CI [...], unadjusted; sign-flip p = ..., Holm p = ...)
 * — **differs**", "— no difference of 1.00 points or more (could detect >= 0.45
 * points)", "— inconclusive at this budget (could detect >= 1.80 points)".
 * Values are multiplied by scale (100: accuracy in points); m is the family's size. */
void al_study_finding_text(const char *what, const al_stats_comparison *c, double relevant, double scale,
                           const char *unit, size_t m, char *out, size_t size);

/* One comparison of a claim: what it compares, the direction the claim
 * expects of the difference (+1, -1; 2: either, "the choice matters"; 0: only
 * reported, though counted in the family), the smallest effect that matters
 * and how to print it (scale 100 and "points" for accuracies). */
typedef struct al_claim_item {
    const char *what;
    int direction;
    double relevant, scale;
    const char *unit;
} al_claim_item;

/* The verdict on a claim tested by m comparisons (one family, c from
 * al_stats_family): one line per comparison, then SUPPORTED ("**Supported**
 * at p < 0.05 after Holm over m comparisons: ...") when some comparison of
 * the claim differs in the expected direction and none against it;
 * NOT_SUPPORTED ("**Not supported**: ...") when some differs against it
 * with none for it, or none differs and each could have detected its
 * relevant effect; INCONCLUSIVE ("**Inconclusive at this budget** (could
 * detect >= X points)") otherwise. Mixed results (for and against) are
 * NOT_SUPPORTED as stated. */
al_verdict al_study_verdict_claim(const al_claim_item *items, const al_stats_comparison *c, size_t m, char *out,
                                  size_t size);

/* The fewest seeds with which the exact sign-flip test can reach Holm's
 * first step in a family of m: the smallest n with 2 / 2^n < alpha / m. */
size_t al_study_seeds_needed(size_t m, double alpha);

/* Where a gradient ratio stands: its interval for log10(first / last)
 * against +-log10(factor). */
typedef enum al_gradient_regime {
    AL_GRADIENT_VANISHES,     /* hi < -log10(factor) */
    AL_GRADIENT_STABLE,       /* inside (-log10 factor, +log10 factor) */
    AL_GRADIENT_EXPLODES,     /* lo > +log10(factor) */
    AL_GRADIENT_UNDETERMINED  /* the interval straddles a threshold */
} al_gradient_regime;
al_gradient_regime al_study_gradient_regime(double lo, double hi, double factor);

/* Vanishing gradients, two-sided and per activation: log10 of the first over
 * the last hidden layer's weight-gradient norm (mean and interval over init
 * seeds; predicted: the mean-field value or NULL). SUPPORTED when every
 * `saturating` activation vanishes and every other is stable; NOT_SUPPORTED
 * when some is clearly otherwise; INCONCLUSIVE when only undetermined ones
 * stand in the way. */
al_verdict al_study_verdict_vanishing(const char *const *names, const int *saturating, const double *log_mean,
                                      const double *log_lo, const double *log_hi, const double *predicted,
                                      size_t count, double factor, char *out, size_t size);

/* SELU's fixed point: for each init i and each input (in_mean[v], in_var[v]),
 * the mean and variance after the last layer (mean[i * n_inputs + v], ...).
 * SUPPORTED when every init with expect_hold[i] (weights of variance
 * 1/fan_in: LeCun-normal, and Glorot's gain-1 Xavier on square layers) stays
 * within |mean| <= 0.1 and |var - 1| <= 0.2 from every input and every other
 * init leaves that band for some input. */
al_verdict al_study_verdict_selu(const char *const *inits, size_t n_inits, const int *expect_hold,
                                 const double *in_mean, const double *in_var, size_t n_inputs, const double *mean,
                                 const double *var, size_t layers, char *out, size_t size);

/* PReLU's learned coefficients against He et al. (2015, Table 1: a 14-layer
 * ImageNet CNN): their first conv layer learned 0.681 (channel-shared) and
 * 0.596 (channel-wise, mean over channels), "significantly greater than 0",
 * and "for the channel-wise version, the deeper conv layers in general have
 * smaller coefficients". cw and cs: per layer, the mean learned coefficient
 * of the channel-wise and the channel-shared arm (either may be NULL);
 * first_cw and first_cs: the comparisons (one family's) of the first layer's
 * coefficient against the mean of the deeper ones (claim: higher), trend_cw:
 * the per-layer trend of the channel-wise coefficients (claim: lower with
 * depth); NULL when not tested (then only the numbers are given, and
 * `conv` 0 says the layers are not conv layers). Each tested point reads
 * "as they report", "the opposite of their report", "not as they report (no
 * difference of X or more)" or "undecided at this budget (could detect >=
 * X)"; or "undecided at this budget" with how far they moved when no layer's
 * mean coefficient of that arm moved relevant_first from its initial 0.25
 * (too little training to test where they settle). */
void al_study_prelu_he_text(const double *cw, const double *cs, size_t layers, int conv,
                            const al_stats_comparison *first_cw, const al_stats_comparison *first_cs,
                            const al_stats_comparison *trend_cw, double relevant_first, double relevant_trend,
                            char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
