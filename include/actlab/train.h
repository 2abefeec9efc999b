/* Training and evaluation: the loop that ties a net, a dataset, an optimizer
 * and a schedule together; checkpoints that resume bit-identically; and
 * model files in PyTorch's safetensors layout. */
#ifndef ACTLAB_TRAIN_H
#define ACTLAB_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
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

typedef struct al_train_options {
    size_t batch;                /* rows per step (128) */
    long epochs;                 /* used when steps is 0 (10) */
    long steps;                  /* total optimizer steps; 0 = epochs x batches per epoch */
    al_optim_options optim;
    al_schedule schedule;        /* stepped once per batch */
    double clip_norm;            /* clip the global gradient norm to this; 0 = off */
    uint64_t seed;               /* shuffling (the net has its own seed for init and dropout) */
    int shuffle;                 /* 1: a new seeded order each epoch */
    const char *checkpoint_dir;  /* NULL: no checkpoints; else DIR/checkpoint.safetensors each epoch */
    int resume;                  /* continue from DIR/checkpoint.safetensors when it exists */
    const char *log_path;        /* JSON Lines metrics, one record per epoch; NULL = none */
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
    double loss, accuracy;       /* running means over this epoch's batches so far */
    double lr;
    double seconds, samples_per_second, eta_seconds;
    int epoch_end;               /* 1 on the call that closes an epoch */
    double test_loss, test_accuracy; /* at an epoch end with a test set; NaN otherwise */
} al_train_progress;

typedef void (*al_train_callback)(const al_train_progress *progress, void *context);

/* batch 128, 10 epochs, SGD lr 0.01, constant schedule, shuffled, seed 0. */
al_train_options al_train_options_default(void);

/* Trains net on train (evaluating on test, which may be NULL, at each epoch
 * end). Checkpoints hold the position inside an epoch too, so a resume from
 * an interruption continues with the very next batch. A non-finite loss or gradient stops training with an error naming
 * the step and the first layer where it appeared; checkpoints already
 * written stay intact. final, when not NULL, receives the last progress. */
al_status al_train(al_net *net, const al_dataset *train, const al_dataset *test,
                   const al_train_options *options, al_train_callback callback, void *context,
                   al_train_progress *final, al_error *err);

/* Loss, accuracy and confusion matrix of net (eval mode) on a dataset. */
typedef struct al_eval_result {
    size_t count;
    int classes;
    double loss, accuracy;
    size_t *confusion;           /* classes x classes, row = true class, column = predicted */
} al_eval_result;

/* Fits net to the shape of data's examples (al_net_fit_input) before a pass
 * over it; a mismatch names the data set (as `role`, e.g. "the training
 * data"), its shape and the first layer that does not take it. */
al_status al_net_fit_data(al_net *net, const al_dataset *data, const char *role, al_error *err);

al_status al_evaluate(al_net *net, const al_dataset *data, size_t batch, al_eval_result *out,
                      al_error *err);
/* Frees the confusion matrix; zeroes the result. */
void al_eval_result_free(al_eval_result *result);

#ifdef __cplusplus
}
#endif
#endif
