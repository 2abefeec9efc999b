/* Training and evaluation: the loop that ties a net, a dataset, a loss, an
 * optimizer and a schedule together (with validation, early stopping and
 * the best epoch kept); checkpoints that resume bit-identically; and model
 * files in PyTorch's safetensors layout that remember their spec, classes
 * and preprocessing. */
#ifndef ACTLAB_TRAIN_H
#define ACTLAB_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
#include "actlab/loss.h"
#include "actlab/nn.h"
#include "actlab/optim.h"
#include "actlab/probe.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A caller's answer to "stop now?" (non-zero: stop), asked between units of
 * work; a CLI's SIGINT handler sets a flag that this reads. */
typedef int (*al_should_stop)(void *context);

/* The default multiple of the first step's loss beyond which training is
 * taken to have diverged (al_train_options.divergence_factor). */
#define AL_DIVERGENCE_FACTOR 1e4

typedef struct al_train_options {
    size_t batch;                /* rows per step (128) */
    al_loss_kind loss;           /* cross-entropy (al_default_loss picks one for a dataset) */
    long epochs;                 /* used when steps is 0 (10) */
    long steps;                  /* total optimizer steps; 0 = epochs x batches per epoch */
    al_optim_options optim;
    al_schedule schedule;        /* stepped once per batch */
    double clip_norm;            /* clip the global gradient norm to this; 0 = off */
    /* Divergence: a step whose loss is above divergence_factor times the
     * first step's stops training as a non-finite loss does
     * (AL_DIVERGENCE_FACTOR; 0 = only non-finite losses stop it). */
    double divergence_factor;
    /* Held-out rows evaluated at every epoch end (NULL: none); needed by
     * early_stop and keep_best. The metric is the accuracy when rows have
     * classes (higher is better, ties to the lower loss), else the loss. */
    const al_dataset *validation;
    long early_stop;             /* stop after this many epochs without a better validation metric (0: off) */
    int keep_best;               /* end with the weights of the best validation epoch */
    uint64_t seed;               /* shuffling (the net has its own seed for init and dropout) */
    int shuffle;                 /* 1: a new seeded order each epoch */
    /* NULL: no checkpoints; else DIR/checkpoint.safetensors each epoch (DIR
     * is created at the first one, so a run that fails before leaves none) */
    const char *checkpoint_dir;
    int resume;                  /* continue from DIR/checkpoint.safetensors when it exists */
    /* JSON Lines metrics, one record per epoch (created at the first; NULL = none) */
    const char *log_path;
    al_probe *probe;             /* per-layer probes (see probe.h); NULL = off */
    /* Asked after every step (NULL: never stop). When it returns non-zero,
     * training stops there, writes a checkpoint (to checkpoint_dir, else to
     * interrupt_dir when set) and returns AL_ERR_INTERRUPTED. */
    al_should_stop should_stop;
    void *stop_context;          /* passed to should_stop */
    const char *interrupt_dir;
} al_train_options;

/* Where training stands; passed to the callback after every step and at
 * every epoch end. */
typedef struct al_train_progress {
    long epoch, epochs;          /* 1-based epoch */
    long step, steps;            /* optimizer steps done, of the total */
    long batch_in_epoch, batches_per_epoch;
    double loss, accuracy;       /* running means over this epoch's batches so far (accuracy NaN
                                  * when rows have no class: regression) */
    double lr;
    double seconds, samples_per_second, eta_seconds;
    int epoch_end;               /* 1 on the call that closes an epoch */
    double test_loss, test_accuracy, test_r2; /* at an epoch end with a test set; NaN otherwise */
    double val_loss, val_accuracy, val_r2;    /* at an epoch end with a validation set; NaN otherwise */
    long best_epoch;             /* the best validation epoch so far (0: no validation) */
    int stopped_early;           /* 1: early_stop ended training */
    int restored_best;           /* 1: the net was set back to best_epoch's weights at the end */
} al_train_progress;

typedef void (*al_train_callback)(const al_train_progress *progress, void *context);

/* batch 128, 10 epochs, cross-entropy, SGD lr 0.01, constant schedule,
 * shuffled, seed 0, divergence at AL_DIVERGENCE_FACTOR, no validation. */
al_train_options al_train_options_default(void);

/* Trains net on train (evaluating on test, which may be NULL, and on
 * options.validation at each epoch end). Checkpoints hold the position
 * inside an epoch too, so a resume from an interruption continues with the
 * very next batch; a checkpoint written with another optimizer, other
 * hyperparameters, schedule, clip or loss is refused, naming both. A
 * non-finite loss or gradient, or a loss beyond divergence_factor times the
 * first, stops training with an error naming the step and the first layer
 * where it appeared; checkpoints already written stay intact. final, when
 * not NULL, receives the last progress (test metrics of the weights the
 * net ends with). Everything the loop allocates is freed before it returns. */
al_status al_train(al_net *net, const al_dataset *train, const al_dataset *test,
                   const al_train_options *options, al_train_callback callback, void *context,
                   al_train_progress *final, al_error *err);

/* The loss that suits a dataset and a net with `outputs` outputs: mse for
 * real-valued targets, bce-with-logits for one output of labels 0/1, mse
 * for one output of other integers, cross-entropy for classes. */
al_loss_kind al_default_loss(const al_dataset *data, size_t outputs);

/* Loss and metrics of net (eval mode) on a dataset. */
typedef struct al_eval_result {
    size_t count;
    al_loss_kind loss_kind;
    int classes;                 /* rows of the confusion matrix (0: none, as for regression) */
    double loss, accuracy;       /* accuracy NaN when rows have no class */
    double mse, mae, r2;         /* with the mse loss: over every output; R² averaged over outputs
                                  * as scikit-learn's r2_score; NaN otherwise */
    size_t *confusion;           /* classes x classes, row = true class, column = predicted; or NULL */
} al_eval_result;

/* Fits net to the shape of data's examples (al_net_fit_input) before a pass
 * over it; a mismatch names the data set (as `role`, e.g. "the training
 * data"), its shape and the first layer that does not take it. */
al_status al_net_fit_data(al_net *net, const al_dataset *data, const char *role, al_error *err);

/* al_evaluate_loss with al_default_loss(data, the net's outputs). */
al_status al_evaluate(al_net *net, const al_dataset *data, size_t batch, al_eval_result *out,
                      al_error *err);
/* Evaluates with the given loss; allocates the confusion matrix (free the
 * result with al_eval_result_free, also after a failure). */
al_status al_evaluate_loss(al_net *net, const al_dataset *data, size_t batch, al_loss_kind loss,
                           al_eval_result *out, al_error *err);
/* Frees the confusion matrix; zeroes the result. */
void al_eval_result_free(al_eval_result *result);

/* ---- model files (model_file.c) ---- */

/* What a model file says about itself besides its weights, kept in the
 * safetensors "__metadata__" (strings only), so PyTorch still loads the
 * file with load_state_dict(strict=True). */
typedef struct al_model_meta {
    int present;                 /* 1: the file carried actlab's metadata (a PyTorch file does not) */
    char *spec;                  /* the model spec (NULL: not recorded) */
    int has_loss;
    al_loss_kind loss;
    int classes;                 /* 0: not recorded, or regression */
    char **class_names;          /* n_class_names names (NULL: none) */
    int n_class_names;
    al_feature_stats stats;      /* the preprocessing: length 0 when none is stored */
    long epochs, best_epoch;     /* epochs trained; the epoch whose weights these are when kept (0: the last) */
    char *data;                  /* what it was trained on, in words (NULL: not recorded) */
} al_model_meta;

/* Writes net's state_dict (as al_net_save) with meta (may be NULL) in the
 * metadata, atomically. Strings are copied from meta, nothing is kept. */
al_status al_model_save(const al_net *net, const al_model_meta *meta, const char *path, al_error *err);
/* Reads the metadata of a model file (a zeroed result with present 0 for a
 * file without actlab's); allocates, free with al_model_meta_free. */
al_status al_model_read_meta(const char *path, al_model_meta *out, al_error *err);
/* Builds the net of spec (NULL: the spec the file records; refused with
 * field "model.spec" when it records none) with options (may be NULL),
 * loads the weights and fills meta (may be NULL). *net is new (al_net_free),
 * NULL on failure. */
al_status al_model_load(const char *path, const char *spec, const al_net_options *options, al_net **net,
                        al_model_meta *meta, al_error *err);
/* Frees what the metadata holds and zeroes it; a zeroed one is fine. */
void al_model_meta_free(al_model_meta *meta);

#ifdef __cplusplus
}
#endif
#endif
