/* Private to src/train: what the loss compares a net's outputs with, for
 * the loop (train.c) and evaluation (evaluate.c): class labels for
 * cross-entropy, and for MSE and BCE the dataset's float targets, or
 * targets made from its labels (the label itself for one output, one-hot
 * for several). */
#ifndef ACTLAB_TRAIN_OBJECTIVE_H
#define ACTLAB_TRAIN_OBJECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
#include "actlab/loss.h"
#include "actlab/status.h"

typedef struct al_objective {
    al_loss_kind kind;
    size_t outputs;
    int use_targets;     /* the dataset's float targets (width == outputs) */
    int one_hot;         /* targets from labels: one-hot over outputs (else the label's value) */
    int has_accuracy;    /* a row is right or wrong: argmax, or a threshold for one output */
    int has_classes;     /* rows have a true class, for a confusion matrix */
} al_objective;

/* Checks that kind fits data and a net with `outputs` outputs and fills o;
 * refusals name the option (field "train.loss") and say which loss would fit.
 * what names the data in messages ("the training data"). */
al_status al_objective_init(al_objective *o, al_loss_kind kind, const al_dataset *data, size_t outputs,
                            const char *what, al_error *err);

/* Loss of one batch of rows: labels [rows] and targets [rows * width] as
 * the batcher fills them (targets may be NULL when unused); tbuf holds
 * rows * outputs floats of scratch. dlogits (may be NULL) gets the
 * gradient; *correct the rows right (0 without accuracy). */
al_status al_objective_batch(const al_objective *o, const float *logits, const int32_t *labels,
                             const float *targets, size_t rows, float *tbuf, float *dlogits, double *loss,
                             size_t *correct, al_error *err);

/* The predicted class of one row of outputs: the first maximum, or for a
 * single output 1 when it is above the threshold (0 for logits, 0.5 for MSE). */
size_t al_objective_predict(const al_objective *o, const float *row);

/* The target value of one output of one row (for regression metrics). */
float al_objective_target(const al_objective *o, const int32_t *labels, const float *targets, size_t row,
                          size_t output);

#endif
