/* Losses on a batch: each returns the mean loss in double and, when dlogits
 * is not NULL, writes the gradient of that mean with respect to every input
 * (float32, the batch's 1/N included), ready for al_net_backward.
 * Non-finite inputs are passed through to the loss and gradient: the trainer
 * decides what a non-finite loss means. */
#ifndef ACTLAB_LOSS_H
#define ACTLAB_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_loss_kind {
    AL_LOSS_CROSS_ENTROPY,  /* nn.CrossEntropyLoss on logits and int32 class labels */
    AL_LOSS_MSE,            /* nn.MSELoss, reduction 'mean' */
    AL_LOSS_BCE_WITH_LOGITS /* nn.BCEWithLogitsLoss, reduction 'mean' */
} al_loss_kind;

/* Parses "cross-entropy" (or "ce"), "mse" or "bce-with-logits" (or "bce"). */
al_status al_loss_parse_kind(const char *name, al_loss_kind *out, al_error *err);
/* The kind's name as al_loss_parse_kind takes it. */
const char *al_loss_kind_name(al_loss_kind kind);

/* Softmax cross-entropy of logits [rows, classes] against labels in
 * [0, classes), as the mean over rows; computed stably (row max subtracted,
 * log-sum-exp in double). correct (may be NULL) gets the number of rows whose
 * first maximal logit is the label. A label out of range is AL_ERR_INVALID
 * naming the row, before anything is written. */
al_status al_loss_cross_entropy(const float *logits, const int32_t *labels, size_t rows,
                                size_t classes, float *dlogits, double *loss, size_t *correct,
                                al_error *err);

/* Mean of (pred - target)^2 over all count elements; d = 2 (pred - target) / count. */
al_status al_loss_mse(const float *pred, const float *target, size_t count, float *dpred,
                      double *loss, al_error *err);

/* Mean over count elements of max(x, 0) - x t + log1p(exp(-|x|)), which is
 * -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] without overflow;
 * d = (sigmoid(x) - t) / count. */
al_status al_loss_bce_with_logits(const float *logits, const float *target, size_t count,
                                  float *dlogits, double *loss, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
