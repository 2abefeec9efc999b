/* The loss's view of a dataset: which targets each kind of loss reads, the
 * checks that the data and the net fit it, and the batch loss with its
 * accuracy. */
#include "train/objective.h"

#include <math.h>
#include <string.h>

al_status al_objective_init(al_objective *o, al_loss_kind kind, const al_dataset *data, size_t outputs,
                            const char *what, al_error *err)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->outputs = outputs;
    const char *name = al_dataset_name(data);
    int labels = al_dataset_has_labels(data), classes = al_dataset_classes(data);
    size_t width = al_dataset_target_width(data);
    if (kind == AL_LOSS_CROSS_ENTROPY) {
        if (!labels)
            return al_error_set_field(err, AL_ERR_INVALID, "train.loss", "%s '%s' holds real-valued targets, not "
                                      "class labels: cross-entropy needs classes (for regression use the mse "
                                      "loss)", what, name);
        if (outputs < 2)
            return al_error_set_field(err, AL_ERR_INVALID, "train.loss", "cross-entropy needs at least 2 outputs and "
                                      "the model has 1: for two classes with one output use bce, for a "
                                      "real-valued target mse");
        if ((size_t)classes > outputs)
            return al_error_set(err, AL_ERR_SHAPE, "%s '%s' has %d classes but the model has %zu outputs", what,
                                name, classes, outputs);
        o->has_accuracy = o->has_classes = 1;
        return AL_OK;
    }
    if (kind != AL_LOSS_MSE && kind != AL_LOSS_BCE_WITH_LOGITS)
        return al_error_set_field(err, AL_ERR_INVALID, "train.loss", "unknown loss %d", (int)kind);
    /* one output and class labels: the label itself is the target */
    if (width == outputs && !(labels && outputs > 1)) {
        o->use_targets = 1;
    } else if (labels && outputs > 1) {
        if ((size_t)classes > outputs)
            return al_error_set(err, AL_ERR_SHAPE, "%s '%s' has %d classes but the model has %zu outputs (one "
                                "per class, one-hot)", what, name, classes, outputs);
        o->one_hot = 1;
    } else if (labels && outputs == 1) {
        o->use_targets = 0;
    } else {
        return al_error_set(err, AL_ERR_SHAPE, "%s '%s' has %zu target%s per row but the model has %zu output%s",
                            what, name, width, width == 1 ? "" : "s", outputs, outputs == 1 ? "" : "s");
    }
    if (kind == AL_LOSS_BCE_WITH_LOGITS && labels && outputs == 1 && classes > 2)
        return al_error_set_field(err, AL_ERR_INVALID, "train.loss", "bce with one output needs labels 0 and 1, "
                                  "but %s '%s' has %d classes: use cross-entropy with %d outputs", what, name,
                                  classes, classes);
    /* a row is right or wrong when it has a class: argmax over one-hot
     * outputs, or a threshold on a single output of 0/1 labels */
    o->has_classes = labels && (outputs > 1 || kind == AL_LOSS_BCE_WITH_LOGITS || classes <= 2);
    o->has_accuracy = o->has_classes;
    return AL_OK;
}

float al_objective_target(const al_objective *o, const int32_t *labels, const float *targets, size_t row,
                          size_t output)
{
    if (o->use_targets)
        return targets[row * o->outputs + output];
    if (o->one_hot)
        return labels[row] == (int32_t)output ? 1.0f : 0.0f;
    return (float)labels[row];
}

size_t al_objective_predict(const al_objective *o, const float *row)
{
    if (o->outputs == 1)
        return row[0] > (o->kind == AL_LOSS_MSE ? 0.5f : 0.0f);
    size_t best = 0;
    for (size_t c = 1; c < o->outputs; c++)
        if (row[c] > row[best])
            best = c;
    return best;
}

al_status al_objective_batch(const al_objective *o, const float *logits, const int32_t *labels,
                             const float *targets, size_t rows, float *tbuf, float *dlogits, double *loss,
                             size_t *correct, al_error *err)
{
    *correct = 0;
    if (o->kind == AL_LOSS_CROSS_ENTROPY)
        return al_loss_cross_entropy(logits, labels, rows, o->outputs, dlogits, loss, correct, err);
    size_t n = rows * o->outputs;
    const float *t = targets;
    if (!o->use_targets) {
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < o->outputs; c++)
                tbuf[r * o->outputs + c] = al_objective_target(o, labels, targets, r, c);
        t = tbuf;
    }
    al_status st = o->kind == AL_LOSS_MSE ? al_loss_mse(logits, t, n, dlogits, loss, err)
                                          : al_loss_bce_with_logits(logits, t, n, dlogits, loss, err);
    if (st != AL_OK || !o->has_accuracy)
        return st;
    for (size_t r = 0; r < rows; r++)
        *correct += al_objective_predict(o, logits + r * o->outputs) == (size_t)labels[r];
    return AL_OK;
}
