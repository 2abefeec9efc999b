/* Comparisons: one model template trained under several arms (activation,
 * init scheme, BatchNorm, kink value, learning rate, depth), each over K
 * seeds, in parallel worker processes; per-arm summaries with confidence
 * intervals and tests against a baseline arm (Holm-corrected). Each finished
 * job is saved, so a re-run skips it. */
#ifndef ACTLAB_COMPARE_H
#define ACTLAB_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "actlab/data.h"
#include "actlab/nn.h"
#include "actlab/optim.h"
#include "actlab/probe.h"
#include "actlab/stats.h"
#include "actlab/status.h"
#include "actlab/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_COMPARE_MAX_LAYERS 64

/* One arm: everything that differs between arms is already resolved here. */
typedef struct al_arm {
    char name[256];            /* shown in tables: "ReLU", "ELU(alpha=0.5) +BN", ... */
    char *spec;                /* the full model spec (owned by the al_compare) */
    al_init_scheme init;
    double lr;                 /* learning rate of this arm */
} al_arm;

/* How to build arms from factors, for MLPs: Linear(in, width), [BatchNorm1d],
 * ACT, ... depth hidden layers, then Linear(width, classes). When template is
 * set it is used instead: "{act}" is replaced by the activation. */
typedef struct al_compare_factors {
    const char *template_spec;    /* NULL: the MLP above */
    size_t in, width, classes;    /* MLP sizes */
    const char *const *acts;      /* activation constructors ("ReLU()", "ELU(alpha=0.5)") */
    size_t n_acts;
    const al_init_scheme *inits;  /* default: {pytorch} */
    size_t n_inits;
    const int *batchnorm;         /* each 0 or 1; default {0} */
    size_t n_batchnorm;
    const double *kinks;          /* kink= values applied to every activation that has a kink; default: none */
    size_t n_kinks;
    const double *lrs;            /* default {options.optim.lr} */
    size_t n_lrs;
    const int *depths;            /* hidden layers; default {1} */
    size_t n_depths;
} al_compare_factors;

/* What a comparison (or a study) reports as it goes, to the caller's
 * al_progress_fn; the library itself prints nothing. */
typedef enum al_progress_kind {
    AL_PROGRESS_PLAN,          /* the jobs are known: arms, seeds, jobs, done, workers, path */
    AL_PROGRESS_JOB_STARTED,   /* a worker took a job: arm, name, seed, finished, pending */
    AL_PROGRESS_JOB_FINISHED,  /* a job trained to its end: also accuracy, seconds */
    AL_PROGRESS_JOB_FAILED,    /* a job failed: also error */
    AL_PROGRESS_DATA_LOADING   /* a study loads its data: name, path */
} al_progress_kind;

/* One progress event; the fields its kind does not name are zero / NULL.
 * The strings live until the callback returns. */
typedef struct al_progress_event {
    al_progress_kind kind;
    size_t arms, seeds;        /* PLAN: the comparison's size */
    size_t jobs, done;         /* PLAN: arms x seeds, and how many DIR already holds */
    int workers;               /* PLAN: worker processes */
    const char *path;          /* PLAN: the results folder; DATA_LOADING: the data folder */
    size_t finished, pending;  /* JOB_*: jobs ended in this run (this one included when it ended), of pending */
    size_t arm;                /* JOB_*: the arm's index */
    const char *name;          /* JOB_*: the arm's name; DATA_LOADING: the data set's ("Fashion-MNIST") */
    uint64_t seed;             /* JOB_*: the job's seed */
    double accuracy, seconds;  /* JOB_FINISHED: final test accuracy, wall seconds of the run */
    const char *error;         /* JOB_FAILED: why */
} al_progress_event;

typedef void (*al_progress_fn)(const al_progress_event *event, void *context);

typedef struct al_compare_options {
    size_t seeds;              /* K (5); at least 2 for statistics */
    uint64_t first_seed;       /* seeds first_seed .. first_seed + K - 1 (1) */
    long epochs;               /* (5) */
    size_t batch;              /* (128) */
    al_optim_options optim;    /* SGD lr 0.05 momentum 0.9 by default */
    int jobs;                  /* worker processes (0: the number of cores) */
    const char *dir;           /* where jobs and results go (required): DIR/jobs/..., DIR/compare.json, DIR/compare.csv */
    size_t baseline;           /* index of the baseline arm (0) */
    double target;             /* test accuracy to reach (NaN: none) */
    long probe_every;          /* probe interval in steps (0: only at epoch ends) */
    int quiet;                 /* 1: progress is not called */
    al_progress_fn progress;   /* called in the calling process as jobs start and end (NULL: none) */
    void *progress_context;
    /* Asked while jobs run (NULL: never stop): once it returns non-zero no
     * new job starts, the running ones finish and are saved, and
     * al_compare_run returns AL_ERR_INTERRUPTED; a re-run continues. */
    al_should_stop should_stop;
    void *stop_context;
} al_compare_options;

/* One job's measurements, per epoch (arrays of `epochs` values). */
typedef struct al_job_result {
    size_t arm, seed_index;
    uint64_t seed;
    int done;                  /* 1: trained to the end */
    char error[512];           /* non-empty when the job failed */
    long epochs;
    double *train_loss, *test_loss, *test_acc, *seconds; /* per epoch; seconds: cumulative */
    double *dead;              /* mean dead fraction over activation layers, per epoch */
    /* per layer at the end of each epoch: [epochs][layers] */
    int layers;                /* layers of the net */
    double *act_mean;          /* output mean (NaN for non-activation layers) */
    double *grad_norm;         /* |dL/d output| */
    double *dead_layer;        /* dead fraction (NaN for non-activation layers) */
    double *weight_grad;       /* first parameter tensor's gradient norm (NaN without params) */
    double *slope_mean;        /* PReLU slope mean (NaN otherwise) */
    /* final epoch's derivative histogram of each activation layer: [layers][AL_PROBE_MAX_BINS] */
    int bins;
    double bin_lo, bin_hi;
    double *hist;              /* fractions of the batch's f' values per bin */
    double *deriv_zero, *deriv_one; /* per layer, final epoch */
    double *kink_hits;         /* per layer: kink hits over the whole run (NaN: smooth or not an activation) */
    double *preacts_seen;      /* per layer: pre-activations seen over the run */
} al_job_result;

/* One arm's summary over its seeds. */
typedef struct al_arm_summary {
    size_t ok;                 /* seeds that finished */
    double acc_mean, acc_lo, acc_hi;      /* final test accuracy, mean and 95 % CI */
    double best_epoch;         /* median over seeds of the epoch with the best test accuracy */
    al_stats_ttt_summary ttt;  /* epochs and seconds to the target (when set) */
    double dead_final;         /* mean over seeds of the final dead fraction */
    double grad_ratio;         /* mean over seeds of first-/last-layer weight gradient norm, final epoch */
    double seconds;            /* mean wall seconds per run */
    /* against the baseline (NaN for the baseline itself) */
    double diff, diff_lo, diff_hi;        /* accuracy difference (arm - baseline), Welch 95 % CI */
    double p, p_holm;          /* exact permutation p-value, and Holm-adjusted across arms */
} al_arm_summary;

typedef struct al_compare al_compare;

/* K 5, seed 1, 5 epochs, batch 128, SGD lr 0.05 momentum 0.9, all cores,
 * baseline 0, no target, probes at epoch ends. */
al_compare_options al_compare_options_default(void);

/* Expands factors into arms (the cartesian product, activations outermost);
 * every spec is checked by building it once, so errors come before training. */
al_status al_compare_create(const al_compare_factors *factors, const al_compare_options *options,
                            al_compare **out, al_error *err);
void al_compare_free(al_compare *c);

size_t al_compare_arm_count(const al_compare *c);
const al_arm *al_compare_arm(const al_compare *c, size_t index);

/* Runs every job not already finished in DIR (train and test data shared by
 * the workers), then loads all results and computes the summaries. Failed
 * jobs are recorded with their error; the others complete. Progress goes to
 * options.progress; options.should_stop ends the run early. */
al_status al_compare_run(al_compare *c, const al_dataset *train, const al_dataset *test, al_error *err);

/* Results after al_compare_run: job (arm, seed index), and the arm summary. */
const al_job_result *al_compare_job(const al_compare *c, size_t arm, size_t seed_index);
const al_arm_summary *al_compare_summary(const al_compare *c, size_t arm);

/* The markdown table of the summaries. */
void al_compare_print_table(const al_compare *c, FILE *out);
/* Writes DIR/compare.json (everything, per seed and per epoch) and
 * DIR/compare.csv (one row per arm), atomically. */
al_status al_compare_write(const al_compare *c, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
