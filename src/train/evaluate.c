/* Evaluation of a net in eval mode on a dataset: the loss, and the
 * accuracy and confusion matrix for classes, or MSE, MAE and R² for
 * real-valued targets. */
#include "actlab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/loss.h"
#include "train/objective.h"

al_loss_kind al_default_loss(const al_dataset *data, size_t outputs)
{
    if (!al_dataset_has_labels(data))
        return AL_LOSS_MSE;
    if (outputs == 1)
        return al_dataset_classes(data) <= 2 ? AL_LOSS_BCE_WITH_LOGITS : AL_LOSS_MSE;
    return AL_LOSS_CROSS_ENTROPY;
}

al_status al_net_fit_data(al_net *net, const al_dataset *data, const char *role, al_error *err)
{
    al_status st = al_net_fit_input(net, al_dataset_feature_rank(data), al_dataset_feature_shape(data), err);
    if (st != AL_OK) {
        char text[96];
        al_shape_text(al_dataset_feature_rank(data), al_dataset_feature_shape(data), text, sizeof text);
        al_error_prefix(err, "%s '%s' has %zu features per example (%s), which the model does not take: ", role,
                        al_dataset_name(data), al_dataset_features(data), text);
    }
    return st;
}

al_status al_evaluate(al_net *net, const al_dataset *data, size_t batch, al_eval_result *out, al_error *err)
{
    return al_evaluate_loss(net, data, batch, al_default_loss(data, al_net_out_features(net)), out, err);
}

/* Per output sums for MSE, MAE and R² (Welford's mean and spread of the targets). */
typedef struct regression_sums {
    double *mean, *m2, *sq, *abs;
    size_t n;
} regression_sums;

static void add_row(regression_sums *s, size_t outputs, const float *pred, const float *target)
{
    s->n++;
    for (size_t c = 0; c < outputs; c++) {
        double t = target[c], d = (double)pred[c] - t, delta = t - s->mean[c];
        s->mean[c] += delta / (double)s->n;
        s->m2[c] += delta * (t - s->mean[c]);
        s->sq[c] += d * d;
        s->abs[c] += fabs(d);
    }
}

/* MSE and MAE over every output; R² as scikit-learn's r2_score with
 * uniform averaging: the mean over outputs of 1 - SS_res / SS_tot (NaN
 * when the targets of an output do not vary). */
static void finish_regression(const regression_sums *s, size_t outputs, al_eval_result *out)
{
    double sq = 0, ab = 0, r2 = 0;
    for (size_t c = 0; c < outputs; c++) {
        sq += s->sq[c];
        ab += s->abs[c];
        r2 += s->m2[c] > 0 ? 1.0 - s->sq[c] / s->m2[c] : NAN;
    }
    double cells = (double)s->n * (double)outputs;
    out->mse = sq / cells;
    out->mae = ab / cells;
    out->r2 = r2 / (double)outputs;
}

al_status al_evaluate_loss(al_net *net, const al_dataset *data, size_t batch, al_loss_kind kind,
                           al_eval_result *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    out->accuracy = out->mse = out->mae = out->r2 = NAN;
    size_t n = al_dataset_count(data), f = al_dataset_features(data), outputs = al_net_out_features(net);
    al_status fit = al_net_fit_data(net, data, "the data", err);
    if (fit != AL_OK)
        return fit;
    if (batch == 0)
        return al_error_set_field(err, AL_ERR_INVALID, "train.batch", "the batch size must be at least 1");
    al_objective obj;
    al_status st = al_objective_init(&obj, kind, data, outputs, "the data", err);
    if (st != AL_OK)
        return st;
    size_t classes = obj.has_classes ? (outputs > 1 ? outputs : 2) : 0;
    int regression = kind == AL_LOSS_MSE;
    float *tbuf = malloc(batch * outputs * sizeof(float)), *x = malloc(batch * f * sizeof(float));
    regression_sums s = {0};
    if (regression) {
        s.mean = calloc(4 * outputs, sizeof(double));
        s.m2 = s.mean ? s.mean + outputs : NULL;
        s.sq = s.mean ? s.mean + 2 * outputs : NULL;
        s.abs = s.mean ? s.mean + 3 * outputs : NULL;
    }
    if (classes)
        out->confusion = calloc(classes * classes, sizeof(size_t));
    if (!tbuf || !x || (regression && !s.mean) || (classes && !out->confusion)) {
        free(tbuf);
        free(x);
        free(s.mean);
        al_eval_result_free(out);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory evaluating");
    }
    st = al_net_prepare(net, batch, err);
    double loss_sum = 0;
    size_t correct = 0;
    const float *targets = al_dataset_targets(data);
    size_t width = al_dataset_target_width(data);
    for (size_t start = 0; st == AL_OK && start < n; start += batch) {
        size_t rows = n - start < batch ? n - start : batch;
        const int32_t *y = al_dataset_y(data) + start;
        const float *t = targets ? targets + start * width : NULL;
        al_dataset_rows(data, start, rows, x);
        const float *logits = al_net_forward(net, x, rows, 0, 0);
        if (!logits) {
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory in the forward pass");
            break;
        }
        double loss;
        size_t right;
        st = al_objective_batch(&obj, logits, y, t, rows, tbuf, NULL, &loss, &right, err);
        loss_sum += loss * (double)rows;
        correct += right;
        for (size_t r = 0; st == AL_OK && r < rows; r++) {
            const float *row = logits + r * outputs;
            if (classes)
                out->confusion[(size_t)y[r] * classes + al_objective_predict(&obj, row)]++;
            if (regression) {
                for (size_t c = 0; c < outputs; c++)
                    tbuf[c] = al_objective_target(&obj, y, t, r, c);
                add_row(&s, outputs, row, tbuf);
            }
        }
    }
    free(tbuf);
    if (st == AL_OK && regression)
        finish_regression(&s, outputs, out);
    free(s.mean);
    free(x);
    if (st != AL_OK) {
        al_eval_result_free(out);
        return st;
    }
    out->count = n;
    out->classes = (int)classes;
    out->loss_kind = kind;
    out->loss = loss_sum / (double)n;
    if (obj.has_accuracy)
        out->accuracy = (double)correct / (double)n;
    return AL_OK;
}

void al_eval_result_free(al_eval_result *r)
{
    free(r->confusion);
    memset(r, 0, sizeof *r);
}
