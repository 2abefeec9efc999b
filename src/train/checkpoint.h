/* Private to src/train: checkpoints (checkpoint.c) as the loop (train.c) uses them. */
#ifndef ACTLAB_TRAIN_CHECKPOINT_H
#define ACTLAB_TRAIN_CHECKPOINT_H

#include <stddef.h>

#include "actlab/train.h"

/* Where training stands: epochs completed, steps done, and the running sums
 * of the epoch in progress (all zero at an epoch boundary). */
typedef struct al_position {
    long epoch, step;
    double loss_sum;
    size_t correct, seen;
} al_position;

/* Writes DIR/checkpoint.safetensors: the net's state_dict, the optimizer's
 * state (as "optim.*") and the position, with the batch size and seed. */
al_status al_checkpoint_write(al_net *net, al_optim *opt, const al_train_options *o, const char *dir,
                              const al_position *at, al_error *err);
/* Restores net and optimizer from o->checkpoint_dir when a checkpoint is
 * there (*found = 1) and *at says where to continue; refuses a checkpoint
 * written with another batch size or seed, or one that does not fit
 * per_epoch batches per epoch. */
al_status al_checkpoint_read(al_net *net, al_optim *opt, const al_train_options *o, al_position *at,
                             long per_epoch, int *found, al_error *err);

#endif
