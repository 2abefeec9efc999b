/* Private to src/train: checkpoints (checkpoint.c) as the loop (train.c) uses them. */
#ifndef ACTLAB_TRAIN_CHECKPOINT_H
#define ACTLAB_TRAIN_CHECKPOINT_H

#include <stddef.h>

#include "actlab/train.h"
#include "train/snapshot.h"

/* Where training stands: epochs completed, steps done, the running sums
 * of the epoch in progress (all zero at an epoch boundary), and what the
 * loop carries across epochs (divergence reference, best validation epoch). */
typedef struct al_position {
    long epoch, step;
    double loss_sum;
    size_t correct, seen;
    double first_loss;           /* the first step's loss (NaN before it) */
    long best_epoch, since_best; /* 0: no validation epoch yet */
    double best_metric, best_loss;
} al_position;

/* Writes DIR/checkpoint.safetensors (creating DIR): the net's state_dict,
 * the optimizer's state (as "optim.*"), the best weights when best holds
 * some (as "best.*"), the position, and the batch size, seed, optimizer
 * with its hyperparameters, schedule, clip and loss. */
al_status al_checkpoint_write(al_net *net, al_optim *opt, const al_train_options *o, const char *dir,
                              const al_position *at, al_snapshot *best, al_error *err);
/* Restores net, optimizer and best (may be NULL) from o->checkpoint_dir
 * when a checkpoint is there (*found = 1) and *at says where to continue;
 * refuses a checkpoint written with another batch size, seed, optimizer,
 * hyperparameters, schedule, clip or loss (naming both), or one that does
 * not fit per_epoch batches per epoch. */
al_status al_checkpoint_read(al_net *net, al_optim *opt, const al_train_options *o, al_position *at,
                             long per_epoch, al_snapshot *best, int *found, al_error *err);

#endif
