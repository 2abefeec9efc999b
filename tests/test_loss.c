/* Losses against float64 computations written out here, cross-entropy's
 * gradient against central finite differences in double, extreme logits,
 * bad labels and the kind parser. */
#include "actlab/loss.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define ROWS 4
#define CLASSES 5

/* The mean cross-entropy in double, the textbook way (fine for small logits). */
static double ce_reference(const double *x, const int32_t *labels, size_t rows, size_t classes)
{
    double total = 0;
    for (size_t r = 0; r < rows; r++) {
        double sum = 0;
        for (size_t c = 0; c < classes; c++)
            sum += exp(x[r * classes + c]);
        total += -log(exp(x[r * classes + labels[r]]) / sum);
    }
    return total / (double)rows;
}

static void test_cross_entropy(void)
{
    CHECK_SECTION("cross-entropy");
    float logits[ROWS * CLASSES];
    double xd[ROWS * CLASSES];
    const int32_t labels[ROWS] = {0, 3, 4, 2};
    for (int i = 0; i < ROWS * CLASSES; i++) {
        logits[i] = (float)(sin(1.3 * i) * 2.5);
        xd[i] = logits[i];
    }
    float d[ROWS * CLASSES];
    double loss = 0;
    size_t correct = 99;
    al_error err = {0};
    CHECK(al_loss_cross_entropy(logits, labels, ROWS, CLASSES, d, &loss, &correct, &err) == AL_OK,
          "%s", err.message);
    CHECK_NEAR(loss, ce_reference(xd, labels, ROWS, CLASSES), 0, 1e-12, "mean loss");

    size_t want_correct = 0;
    for (int r = 0; r < ROWS; r++) {
        int arg = 0;
        for (int c = 1; c < CLASSES; c++)
            if (logits[r * CLASSES + c] > logits[r * CLASSES + arg])
                arg = c;
        want_correct += arg == labels[r];
    }
    CHECK(correct == want_correct, "correct %zu, want %zu", correct, want_correct);

    /* Central differences of the double reference: h = 1e-5 leaves an error
     * of about h^2 plus rounding, far below float32's resolution of d. */
    const double h = 1e-5;
    for (int i = 0; i < ROWS * CLASSES; i++) {
        double keep = xd[i];
        xd[i] = keep + h;
        double up = ce_reference(xd, labels, ROWS, CLASSES);
        xd[i] = keep - h;
        double down = ce_reference(xd, labels, ROWS, CLASSES);
        xd[i] = keep;
        CHECK_NEAR(d[i], (up - down) / (2 * h), 1e-8, 1e-6, "dlogits[%d]", i);
    }

    /* NULL dlogits and NULL correct are fine. */
    double loss2 = 0;
    CHECK(al_loss_cross_entropy(logits, labels, ROWS, CLASSES, NULL, &loss2, NULL, &err) == AL_OK,
          "%s", err.message);
    CHECK(loss2 == loss, "loss without gradient");

    /* Extreme logits stay finite: the row max is subtracted first. */
    const float extreme[2 * 3] = {1e30f, -1e30f, 0.0f, -1e30f, -1e30f, 1e30f};
    const int32_t extreme_labels[2] = {1, 2};
    float de[6];
    CHECK(al_loss_cross_entropy(extreme, extreme_labels, 2, 3, de, &loss, &correct, &err) == AL_OK,
          "%s", err.message);
    CHECK(isfinite(loss), "extreme loss %g", loss);
    CHECK_NEAR(loss, 1e30, 0, 1e-6, "extreme loss is half of (1e30 + 1e30) + 0");
    CHECK(correct == 1, "extreme correct %zu", correct);
    for (int i = 0; i < 6; i++)
        CHECK(isfinite(de[i]), "extreme dlogits[%d] = %g", i, (double)de[i]);
    CHECK_NEAR(de[0], 0.5, 0, 1e-7, "softmax 1 on the max, over 2 rows");
    CHECK_NEAR(de[1], -0.5, 0, 1e-7, "-1 on the label, over 2 rows");
    CHECK(de[5] == 0.0f, "right and sure: zero gradient");

    /* Non-finite logits pass through to the loss. */
    const float bad[3] = {NAN, 0.0f, 1.0f};
    const int32_t bad_label[1] = {1};
    CHECK(al_loss_cross_entropy(bad, bad_label, 1, 3, NULL, &loss, NULL, &err) == AL_OK, "%s",
          err.message);
    CHECK(!isfinite(loss), "NaN logit gives a non-finite loss, got %g", loss);

    /* Bad labels name the row and the class count, and write nothing. */
    int32_t wrong[ROWS] = {0, 1, 5, 2};
    float untouched[ROWS * CLASSES];
    memset(untouched, 0, sizeof untouched);
    CHECK(al_loss_cross_entropy(logits, wrong, ROWS, CLASSES, untouched, &loss, NULL, &err) ==
              AL_ERR_INVALID,
          "label 5 of 5 classes accepted");
    CHECK(strstr(err.message, "row 2") && strstr(err.message, "5 classes"), "message: %s",
          err.message);
    CHECK(untouched[0] == 0.0f && untouched[ROWS * CLASSES - 1] == 0.0f, "dlogits written");
    wrong[2] = -1;
    CHECK(al_loss_cross_entropy(logits, wrong, ROWS, CLASSES, NULL, &loss, NULL, &err) ==
              AL_ERR_INVALID,
          "label -1 accepted");
    CHECK(strstr(err.message, "-1") != NULL, "message: %s", err.message);
    CHECK(al_loss_cross_entropy(logits, labels, 0, CLASSES, NULL, &loss, NULL, &err) ==
              AL_ERR_INVALID,
          "empty batch accepted");
}

static void test_mse(void)
{
    CHECK_SECTION("mse");
    const float pred[6] = {0.5f, -1.25f, 3.0f, 0.0f, 2.0f, -0.75f};
    const float target[6] = {0.0f, -1.0f, 1.0f, 0.5f, 2.0f, 1.0f};
    float d[6];
    double loss = 0, want = 0;
    al_error err = {0};
    CHECK(al_loss_mse(pred, target, 6, d, &loss, &err) == AL_OK, "%s", err.message);
    for (int i = 0; i < 6; i++)
        want += ((double)pred[i] - target[i]) * ((double)pred[i] - target[i]);
    CHECK_NEAR(loss, want / 6, 0, 1e-15, "mean squared error");
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(d[i], 2.0 * ((double)pred[i] - target[i]) / 6, 0, 1e-7, "d[%d]", i);
    CHECK(al_loss_mse(pred, target, 0, d, &loss, &err) == AL_ERR_INVALID, "empty batch accepted");
}

static void test_bce(void)
{
    CHECK_SECTION("bce-with-logits");
    const float x[6] = {0.0f, 2.0f, -3.0f, 0.5f, -0.25f, 7.0f};
    const float t[6] = {1.0f, 0.0f, 0.0f, 1.0f, 0.3f, 1.0f};
    float d[6];
    double loss = 0, want = 0;
    al_error err = {0};
    CHECK(al_loss_bce_with_logits(x, t, 6, d, &loss, &err) == AL_OK, "%s", err.message);
    for (int i = 0; i < 6; i++) {
        double s = 1.0 / (1.0 + exp(-(double)x[i]));
        want += -(t[i] * log(s) + (1 - t[i]) * log(1 - s));
        CHECK_NEAR(d[i], (s - t[i]) / 6, 1e-9, 1e-6, "d[%d]", i);
    }
    CHECK_NEAR(loss, want / 6, 0, 1e-12, "mean bce");

    /* Extreme logits: the stable form gives 0 for right-and-sure, |x| for wrong. */
    const float xe[4] = {1e30f, -1e30f, 1e30f, -1e30f};
    const float te[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    CHECK(al_loss_bce_with_logits(xe, te, 4, d, &loss, &err) == AL_OK, "%s", err.message);
    CHECK(isfinite(loss), "extreme loss %g", loss);
    CHECK_NEAR(loss, 2e30 / 4, 0, 1e-6, "extreme loss");
    CHECK(d[0] == 0.0f && d[1] == 0.0f && d[2] == 0.25f && d[3] == -0.25f,
          "extreme gradients %g %g %g %g", (double)d[0], (double)d[1], (double)d[2], (double)d[3]);
    CHECK(al_loss_bce_with_logits(xe, te, 0, d, &loss, &err) == AL_ERR_INVALID,
          "empty batch accepted");
}

static void test_kinds(void)
{
    CHECK_SECTION("kind names");
    al_loss_kind k = AL_LOSS_MSE;
    al_error err = {0};
    CHECK(al_loss_parse_kind("ce", &k, &err) == AL_OK && k == AL_LOSS_CROSS_ENTROPY, "ce");
    CHECK(al_loss_parse_kind("Cross-Entropy", &k, &err) == AL_OK && k == AL_LOSS_CROSS_ENTROPY,
          "cross-entropy");
    CHECK(al_loss_parse_kind("mse", &k, &err) == AL_OK && k == AL_LOSS_MSE, "mse");
    CHECK(al_loss_parse_kind("bce", &k, &err) == AL_OK && k == AL_LOSS_BCE_WITH_LOGITS, "bce");
    for (int i = 0; i < 3; i++) {
        al_loss_kind kind = (al_loss_kind)i;
        CHECK(al_loss_parse_kind(al_loss_kind_name(kind), &k, &err) == AL_OK && k == kind,
              "name round trip %d", i);
    }
    CHECK(al_loss_parse_kind("hinge", &k, &err) == AL_ERR_INVALID, "hinge accepted");
    CHECK(strstr(err.message, "'hinge'") && strstr(err.message, "mse"), "message: %s",
          err.message);
}

int main(void)
{
    test_cross_entropy();
    test_mse();
    test_bce();
    test_kinds();
    return check_summary("test_loss");
}
