/* Evaluation: loss, accuracy and the confusion matrix of a net in eval mode. */
#include "actlab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/loss.h"

al_status al_evaluate(al_net *net, const al_dataset *data, size_t batch, al_eval_result *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = al_dataset_count(data), f = al_dataset_features(data);
    size_t classes = al_net_out_features(net);
    if (f != al_net_in_features(net))
        return al_error_set(err, AL_ERR_SHAPE, "the data '%s' has %zu features per example but the "
                            "model takes %zu", al_dataset_name(data), f, al_net_in_features(net));
    if ((size_t)al_dataset_classes(data) > classes)
        return al_error_set(err, AL_ERR_SHAPE, "the data '%s' has %d classes but the model has %zu "
                            "outputs", al_dataset_name(data), al_dataset_classes(data), classes);
    float *dlogits = malloc(batch * classes * sizeof(float)), *x = malloc(batch * f * sizeof(float));
    out->confusion = calloc(classes * classes, sizeof(size_t));
    if (!dlogits || !x || !out->confusion) {
        free(dlogits);
        free(x);
        al_eval_result_free(out);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory evaluating");
    }
    al_status st = al_net_prepare(net, batch, err);
    double loss_sum = 0;
    size_t correct = 0;
    for (size_t start = 0; st == AL_OK && start < n; start += batch) {
        size_t rows = n - start < batch ? n - start : batch;
        al_dataset_rows(data, start, rows, x);
        const int32_t *y = al_dataset_y(data) + start;
        const float *logits = al_net_forward(net, x, rows, 0, 0);
        if (!logits) {
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory in the forward pass");
            break;
        }
        double loss;
        size_t right;
        st = al_loss_cross_entropy(logits, y, rows, classes, dlogits, &loss, &right, err);
        loss_sum += loss * (double)rows;
        correct += right;
        for (size_t r = 0; r < rows; r++) {
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                if (logits[r * classes + c] > logits[r * classes + best])
                    best = c;
            out->confusion[(size_t)y[r] * classes + best]++;
        }
    }
    free(dlogits);
    free(x);
    if (st != AL_OK) {
        al_eval_result_free(out);
        return st;
    }
    out->count = n;
    out->classes = (int)classes;
    out->loss = n ? loss_sum / (double)n : NAN;
    out->accuracy = n ? (double)correct / (double)n : NAN;
    return AL_OK;
}

void al_eval_result_free(al_eval_result *r)
{
    free(r->confusion);
    memset(r, 0, sizeof *r);
}
