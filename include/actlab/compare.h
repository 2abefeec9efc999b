/* Comparisons: one model template trained under several arms (activation,
 * init scheme and gain, BatchNorm, kink value, learning rate, depth), each
 * over K seeds, in parallel worker processes; optionally each arm's learning
 * rate tuned first on a validation split carved from the training set. A seed
 * gives every arm the same initial weights draw and batch order, so arms are
 * compared with the baseline paired by seed (exact sign-flip test, Holm,
 * intervals adjusted the same way, minimum detectable effects). Each finished
 * job is saved under a key of everything that determines it, so a re-run of
 * the same experiment skips it and any change recomputes. */
#ifndef ACTLAB_COMPARE_H
#define ACTLAB_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "actlab/cluster.h"
#include "actlab/data.h"
#include "actlab/nn.h"
#include "actlab/optim.h"
#include "actlab/probe.h"
#include "actlab/stats.h"
#include "actlab/status.h"
#include "actlab/svg.h"
#include "actlab/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_COMPARE_MAX_LAYERS 64

/* How the weights feeding an activation are scaled, on top of the init
 * scheme's fan (1/fan_in for kaiming-* and lecun-normal, 2/(fan_in+fan_out)
 * for xavier-*; pytorch is taken as kaiming). Every rule but SCHEME redraws
 * the Linear and Conv2d weights with that gain and zero biases (see docs/compare.md). */
typedef enum al_gain_rule {
    AL_GAIN_SCHEME = 0,  /* as src/nn's scheme does: PyTorch's calculate_gain (pytorch: its default) */
    AL_GAIN_MATCHED,     /* variance-preserving: 1 / sqrt(E[f(z)^2]), z ~ N(0, 1); 1 for SELU (LeCun) */
    AL_GAIN_ONE,         /* 1: Glorot's own Xavier, LeCun */
    AL_GAIN_HE           /* sqrt(2) whatever the activation: He et al.'s */
} al_gain_rule;

/* "scheme", "matched", "one", "he". */
const char *al_gain_rule_name(al_gain_rule rule);

/* Moments of an activation's output and derivative under a Gaussian input
 * z ~ N(mean, var): E[f], E[f^2], E[f'], E[f'^2], by composite Simpson
 * quadrature of the float64 reference (PReLU at its initial slope). */
typedef struct al_gauss_moments {
    double mean, second, deriv_mean, deriv_second;
} al_gauss_moments;
al_status al_gauss_moments_of(const al_act *a, double mean, double var, al_gauss_moments *out, al_error *err);

/* The gain of rule for weights feeding activation a (NULL: no activation
 * follows, gain 1). AL_GAIN_SCHEME gives al_act_gain's. */
double al_gain_of(al_gain_rule rule, const al_act *a);

/* Redraws every Linear and Conv2d layer's weights of net from seed:
 * N(0, gain^2 * fan) with PyTorch's fans (a Conv2d's include its kernel's
 * area), uniform of the same variance for the *-uniform schemes; gain by rule
 * for the activation that follows the layer, biases 0. SCHEME leaves net alone. */
void al_compare_init_net(al_net *net, al_init_scheme scheme, al_gain_rule rule, uint64_t seed);
/* The same with one gain for every layer that feeds an activation (the
 * output layer keeps gain 1): a sweep of the weight variance. */
void al_compare_init_net_fixed(al_net *net, al_init_scheme scheme, double gain, uint64_t seed);

/* One arm: everything that differs between arms is already resolved here. */
typedef struct al_arm {
    char name[256];            /* shown in tables: "ReLU", "ELU(alpha=0.5) +BN", ... */
    char *spec;                /* the full model spec (owned by the al_compare) */
    al_init_scheme init;
    al_gain_rule gain;
    double lr;                 /* learning rate of this arm (the tuned one after tuning) */
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
    const al_gain_rule *gains;    /* default: {AL_GAIN_SCHEME} */
    size_t n_gains;
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
    AL_PROGRESS_DATA_LOADING,  /* a study loads its data: name, path */
    AL_PROGRESS_LR_CHOSEN,     /* tuning chose an arm's learning rate: arm, name, lr, accuracy (validation) */
    AL_PROGRESS_RANK_LOST      /* an MPI rank holding jobs fell silent: rank, error; its jobs go to the others */
} al_progress_kind;

/* One progress event; the fields its kind does not name are zero / NULL.
 * The strings live until the callback returns. */
typedef struct al_progress_event {
    al_progress_kind kind;
    size_t arms, seeds;        /* PLAN: the comparison's size */
    size_t jobs, done;         /* PLAN: arms x seeds, and how many DIR already holds */
    int workers;               /* PLAN: worker processes (per rank, with MPI) */
    int ranks;                 /* PLAN: MPI ranks sharing the jobs (1: this process alone) */
    int rank;                  /* JOB_*: the rank running the job (0 without MPI); RANK_LOST: the rank */
    const char *path;          /* PLAN: the results folder; DATA_LOADING: the data folder */
    size_t finished, pending;  /* JOB_*: jobs ended in this run (this one included when it ended), of pending */
    size_t arm;                /* JOB_*: the arm's index */
    const char *name;          /* JOB_*: the arm's name; DATA_LOADING: the data set's ("Fashion-MNIST") */
    uint64_t seed;             /* JOB_*: the job's seed */
    double accuracy, seconds;  /* JOB_FINISHED: final test accuracy, wall seconds of the run */
    const char *error;         /* JOB_FAILED, RANK_LOST: why */
    int tuning;                /* PLAN, JOB_*: 1 for the learning-rate tuning runs (on the validation split) */
    double lr;                 /* JOB_*, LR_CHOSEN: the run's learning rate */
} al_progress_event;

typedef void (*al_progress_fn)(const al_progress_event *event, void *context);

typedef struct al_compare_options {
    size_t seeds;              /* K (5); at least 2 for statistics */
    uint64_t first_seed;       /* seeds first_seed .. first_seed + K - 1 (1) */
    long epochs;               /* (5) */
    size_t batch;              /* (128) */
    al_optim_options optim;    /* SGD lr 0.05 momentum 0.9 by default */
    int jobs;                  /* worker processes (0: the CPUs this process may use; with MPI, per rank,
                                * the machine's CPUs shared among its ranks unless each is bound to its own) */
    const char *dir;           /* where jobs and results go (required): DIR/jobs/..., DIR/compare.json, DIR/compare.csv */
    size_t baseline;           /* index of the baseline arm (0) */
    double target;             /* test accuracy to reach (NaN: none) */
    long probe_every;          /* probe interval in steps (0: only at epoch ends) */
    int test_at_end;           /* 1: the test set is evaluated once, after the last epoch (per-epoch test values
                                * are NaN before it; final results are the same, at less cost) */
    int unit_stats;            /* 1: at each epoch end, per unit over the whole training set: inactive
                                * (|f'| <= AL_COMPARE_INACTIVE of its largest |f'| on every sample) and
                                * centring E[a]^2 / E[a^2] (one extra forward pass per epoch) */
    /* learning-rate tuning (n_tune_lrs 0: none). Each arm trains at every lr
     * on the training rows left after a validation split and is scored on the
     * split; the lr with the best mean validation accuracy (failed runs score
     * 0; ties: the smaller lr) is the arm's. The test set is never read for it.
     * Every run, tuning and final, then trains on the rows left. */
    const double *tune_lrs;
    size_t n_tune_lrs;
    size_t tune_seeds;         /* seeds per lr, tune_first_seed.. (1) */
    uint64_t tune_first_seed;  /* (1001): apart from the final runs' seeds */
    int tune_shared;           /* 1: the baseline arm's choice for every arm (one factor varied alone) */
    double val_fraction;       /* the validation split: this fraction of the training rows (0.1) ... */
    size_t val_count;          /* ... or this many (when > 0) */
    al_split_mode split_mode;  /* (AL_SPLIT_RANDOM) */
    uint64_t split_seed;       /* (1) */
    int quiet;                 /* 1: progress is not called */
    al_progress_fn progress;   /* called in the calling process as jobs start and end (NULL: none) */
    void *progress_context;
    /* Asked while jobs run (NULL: never stop): once it returns non-zero no
     * new job starts, the running ones finish and are saved, and
     * al_compare_run returns AL_ERR_INTERRUPTED; a re-run continues. */
    al_should_stop should_stop;
    void *stop_context;
    /* MPI ranks to share the jobs with (NULL, or one rank: this process
     * alone). Every rank then calls al_compare_run with the same comparison
     * and data: rank 0 hands out the jobs, saves every result in DIR and
     * sends them all back, so each rank returns the same results; progress is
     * reported on rank 0 only. See cluster.h and docs/cluster.md. */
    al_cluster *cluster;
} al_compare_options;

/* A unit is inactive on a sample when |f'| there is at most this fraction of
 * the activation's largest |f'| (ReLU: x <= 0; LeakyReLU(0.01): x < 0; tanh:
 * |x| > 1.82; sigmoid: |x| > 3.6), so every activation can fail the test. */
#define AL_COMPARE_INACTIVE 0.1
/* Points per epoch of the training-loss curve (window means of the batch losses). */
#define AL_COMPARE_CURVE_PER_EPOCH 8

/* One job's measurements, per epoch (arrays of `epochs` values). */
typedef struct al_job_result {
    size_t arm, seed_index;
    uint64_t seed;
    double lr;
    int done;                  /* 1: trained to the end */
    int diverged;              /* 1: training stopped on a non-finite loss or gradient (saved; epochs before it kept) */
    char error[512];           /* non-empty when the job failed or diverged */
    long epochs;
    double *train_loss, *test_loss, *test_acc, *seconds; /* per epoch; seconds: cumulative */
    double *train_acc;         /* running training accuracy over the epoch */
    double *curve;             /* [epochs][AL_COMPARE_CURVE_PER_EPOCH] training loss, window means */
    double *dead;              /* mean dead fraction over activation layers, per epoch */
    double *inactive;          /* with unit_stats: mean over activation layers of the inactive fraction */
    double *silent;            /* with unit_stats: ... of the fraction of units whose output is 0 on every sample */
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
    /* with unit_stats, per epoch and layer ([epochs][layers]; NaN for non-activation layers) */
    double *inactive_layer;    /* fraction of units inactive on every training sample */
    double *centring_layer;    /* mean over units of E[a]^2 / E[a^2] over the training set */
    double *recovered;         /* per layer: of the units inactive at some epoch end, the fraction active at the last */
} al_job_result;

/* A seed's score in the paired tests: final test accuracy when the job
 * trained to the end, 0 (below every finished run) when it diverged or failed. */
double al_job_score(const al_job_result *r);
/* The mean of a run's training-loss curve (the area under it over the steps, per step); NaN without one. */
double al_job_loss_auc(const al_job_result *r);

/* One arm's summary over its seeds. */
typedef struct al_arm_summary {
    size_t ok;                 /* seeds that trained to the end */
    size_t diverged, failed;   /* seeds that diverged, or failed otherwise: both score 0 in the tests */
    double lr;                 /* the arm's learning rate (tuned when tuning) */
    double acc_mean, acc_lo, acc_hi;      /* final test accuracy of the finished seeds, mean and 95 % t CI */
    double train_acc;          /* mean final training accuracy (last epoch's running mean) of finished seeds */
    double loss_auc;           /* mean over finished seeds of the mean training loss over the run (area/steps) */
    double best_epoch;         /* median over seeds of the epoch with the best test accuracy */
    al_stats_ttt_summary ttt;  /* epochs and seconds to the target (when set); failed seeds never reach it */
    double dead_final;         /* mean over seeds of the final dead fraction */
    double inactive_final;     /* with unit_stats: mean over seeds of the final inactive fraction */
    double grad_ratio;         /* mean over seeds of first-/last-layer weight gradient norm, final epoch */
    double seconds;            /* mean wall seconds per run */
    /* against the baseline, paired by seed, every seed counted (al_job_score);
     * NaN for the baseline itself */
    double diff;               /* mean paired difference of final test accuracy (arm - baseline) */
    double diff_lo, diff_hi;   /* paired t 95 % interval, not adjusted */
    double adj_lo, adj_hi;     /* the sign-flip interval adjusted as p_holm: excludes 0 iff p_holm < 0.05 */
    double p, p_holm;          /* exact sign-flip p, and Holm-adjusted across the arms */
    double mde;                /* the smallest difference detectable at that seed count (INFINITY: none) */
    double min_p;              /* the smallest p the seeds can give, 2 / 2^K */
} al_arm_summary;

typedef struct al_compare al_compare;

/* K 5, seed 1, 5 epochs, batch 128, SGD lr 0.05 momentum 0.9, all cores,
 * baseline 0, no target, probes at epoch ends; no tuning (when asked: 1 tuning
 * seed from 1001, a random 10 % validation split with seed 1). */
al_compare_options al_compare_options_default(void);

/* Expands factors into arms (the cartesian product, activations outermost);
 * every spec is checked by building it once, so errors come before training. */
al_status al_compare_create(const al_compare_factors *factors, const al_compare_options *options,
                            al_compare **out, al_error *err);
void al_compare_free(al_compare *c);

size_t al_compare_arm_count(const al_compare *c);
const al_arm *al_compare_arm(const al_compare *c, size_t index);

/* Checks every arm's model against the data (input features, outputs for
 * the classes), then tunes learning rates when asked, then runs every job
 * not already finished in DIR (the data shared by the workers), loads all
 * results and computes the summaries. A job whose training diverges is saved
 * as diverged; one that fails otherwise is recorded with its error and
 * retried by a re-run; the others complete. When no final job trains to the
 * end, returns the first error. Progress goes to options.progress;
 * options.should_stop ends the run early. With options.cluster, every rank
 * calls it (collective) and the jobs are shared among the ranks. */
al_status al_compare_run(al_compare *c, const al_dataset *train, const al_dataset *test, al_error *err);

/* Results after al_compare_run: job (arm, seed index), and the arm summary. */
const al_job_result *al_compare_job(const al_compare *c, size_t arm, size_t seed_index);
const al_arm_summary *al_compare_summary(const al_compare *c, size_t arm);
/* Tuning results (NULL without tuning): the run of arm at tune_lrs[lr_index]
 * with tuning seed tune_seed (its test_acc is the validation accuracy), and
 * the mean validation accuracy per lr of arm (failed runs 0). */
const al_job_result *al_compare_tune_job(const al_compare *c, size_t arm, size_t lr_index, size_t tune_seed);
double al_compare_tune_score(const al_compare *c, size_t arm, size_t lr_index);
/* The tuning grid, sorted: its size (0 without tuning) and its values. */
size_t al_compare_tune_count(const al_compare *c);
double al_compare_tune_lr(const al_compare *c, size_t lr_index);
/* 1 when arm's chosen rate is the smallest or largest of a grid of 2 or more
 * (a better one may lie outside the grid). */
int al_compare_tune_at_edge(const al_compare *c, size_t arm);
/* The text that identifies a job's configuration: a format version, the
 * content hashes of the data it trains and is scored on, the model spec,
 * init and gain, the optimiser and all its hyperparameters, learning rate,
 * epochs, batch, seed and measurements (compare_key.c; add a new option
 * there). Valid after al_compare_run has seen the data. */
void al_compare_job_key(const al_compare *c, size_t arm, size_t seed_index, int tuning, size_t lr_index,
                        char *buf, size_t size);
/* A content hash of a dataset (32 hex digits): shape, classes, every
 * feature value (as float32, whether stored as floats or bytes) and label,
 * read through the public accessors a chunk of rows at a time (allocates
 * about 1 MiB; fails only when that fails). */
al_status al_compare_data_hash(const al_dataset *ds, char out[33], al_error *err);

/* Each arm's learning-rate curve from tuning: mean validation accuracy
 * against log10 lr, the chosen lr marked. *out stays NULL without tuning. */
al_status al_compare_tune_chart(const al_compare *c, const char *title, al_chart **out, al_error *err);

/* The markdown table of the summaries (and the tuned learning rates). */
void al_compare_print_table(const al_compare *c, FILE *out);
/* Writes DIR/compare.json (everything, per seed and per epoch) and
 * DIR/compare.csv (one row per arm), atomically; on an MPI rank other than
 * 0 writes nothing (rank 0 writes them). */
al_status al_compare_write(const al_compare *c, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
