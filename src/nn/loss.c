/* Batch losses and their gradients. Sums are kept in double: a batch mean of
 * float32 terms loses digits that the metrics and the finite-difference
 * checks want, and the cost is small next to the network's passes. */
#include "actlab/loss.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

static int equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

al_status al_loss_parse_kind(const char *name, al_loss_kind *out, al_error *err)
{
    if (name && (equal_nocase(name, "cross-entropy") || equal_nocase(name, "ce"))) {
        *out = AL_LOSS_CROSS_ENTROPY;
        return AL_OK;
    }
    if (name && equal_nocase(name, "mse")) {
        *out = AL_LOSS_MSE;
        return AL_OK;
    }
    if (name && (equal_nocase(name, "bce-with-logits") || equal_nocase(name, "bce"))) {
        *out = AL_LOSS_BCE_WITH_LOGITS;
        return AL_OK;
    }
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown loss '%s': expected cross-entropy (ce), mse or bce-with-logits (bce)",
                        name ? name : "(null)");
}

const char *al_loss_kind_name(al_loss_kind kind)
{
    switch (kind) {
    case AL_LOSS_CROSS_ENTROPY: return "cross-entropy";
    case AL_LOSS_MSE: return "mse";
    case AL_LOSS_BCE_WITH_LOGITS: return "bce-with-logits";
    }
    return "unknown";
}

/* Up to this many classes a row's exponentials are kept for its gradient
 * (one exp per logit instead of two). */
#define KEPT_CLASSES 64

al_status al_loss_cross_entropy(const float *logits, const int32_t *labels, size_t rows,
                                size_t classes, float *dlogits, double *loss, size_t *correct,
                                al_error *err)
{
    if (rows == 0 || classes == 0)
        return al_error_set(err, AL_ERR_INVALID,
                            "cross-entropy: empty batch (%zu rows of %zu classes)", rows, classes);
    /* Labels first, so a bad batch leaves dlogits untouched. */
    for (size_t r = 0; r < rows; r++) {
        if (labels[r] < 0 || (size_t)labels[r] >= classes)
            return al_error_set(err, AL_ERR_INVALID,
                                "cross-entropy: label %ld in row %zu is outside [0, %zu) for %zu "
                                "classes",
                                (long)labels[r], r, classes, classes);
    }
    const double inv_rows = 1.0 / (double)rows;
    double total = 0.0, kept[KEPT_CLASSES];
    size_t hits = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = logits + r * classes;
        size_t arg = 0;
        float max = x[0];
        for (size_t c = 1; c < classes; c++) {
            if (x[c] > max) {
                max = x[c];
                arg = c;
            }
        }
        hits += arg == (size_t)labels[r];
        /* exp(x - max) <= 1 cannot overflow, and the largest term is 1, so
         * the sum cannot underflow to 0 either. */
        double sum = 0.0;
        for (size_t c = 0; c < classes; c++) {
            double e = exp((double)x[c] - (double)max);
            if (classes <= KEPT_CLASSES)
                kept[c] = e;
            sum += e;
        }
        double log_sum = log(sum);
        total += log_sum - ((double)x[labels[r]] - (double)max);
        if (dlogits) {
            float *d = dlogits + r * classes;
            for (size_t c = 0; c < classes; c++) {
                double p = classes <= KEPT_CLASSES ? kept[c] / sum : exp((double)x[c] - (double)max - log_sum);
                d[c] = (float)((p - (c == (size_t)labels[r] ? 1.0 : 0.0)) * inv_rows);
            }
        }
    }
    *loss = total * inv_rows;
    if (correct)
        *correct = hits;
    return AL_OK;
}

al_status al_loss_mse(const float *pred, const float *target, size_t count, float *dpred,
                      double *loss, al_error *err)
{
    if (count == 0)
        return al_error_set(err, AL_ERR_INVALID, "mse: empty batch");
    const double inv = 1.0 / (double)count;
    double total = 0.0;
    for (size_t i = 0; i < count; i++) {
        double diff = (double)pred[i] - (double)target[i];
        total += diff * diff;
        if (dpred)
            dpred[i] = (float)(2.0 * diff * inv);
    }
    *loss = total * inv;
    return AL_OK;
}

al_status al_loss_bce_with_logits(const float *logits, const float *target, size_t count,
                                  float *dlogits, double *loss, al_error *err)
{
    if (count == 0)
        return al_error_set(err, AL_ERR_INVALID, "bce-with-logits: empty batch");
    const double inv = 1.0 / (double)count;
    double total = 0.0;
    for (size_t i = 0; i < count; i++) {
        double x = logits[i], t = target[i];
        double e = exp(-fabs(x)); /* in (0, 1]: never overflows */
        total += (x > 0.0 ? x : 0.0) - x * t + log1p(e);
        if (dlogits) {
            double sigmoid = x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            if (isnan(x))
                sigmoid = x;
            dlogits[i] = (float)((sigmoid - t) * inv);
        }
    }
    *loss = total * inv;
    return AL_OK;
}
