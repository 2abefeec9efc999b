/* The regression path against a closed form: a linear model trained with
 * the MSE loss on float targets reaches the least-squares solution of the
 * normal equations (solved here in float64), and evaluation's MSE, MAE and
 * R² (averaged over outputs, as scikit-learn's r2_score) equal the values
 * computed here from the net's own weights. Also the losses' checks: what
 * each loss accepts, and the default loss for a dataset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "check.h"

#define N 200
#define F 3
#define T 2

/* y_k = x . w_k + b_k + noise: two outputs with their own weights. */
static al_dataset *linear_data(double w[T][F], double b[T])
{
    al_dataset *ds = NULL;
    al_error err = {0};
    size_t shape[1] = {F};
    if (al_dataset_create("linear", N, 1, shape, &ds, &err) != AL_OK)
        abort();
    al_rng rng;
    al_rng_seed(&rng, 11);
    float *x = al_dataset_x_mut(ds), t[N * T];
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < F; j++)
            x[i * F + j] = (float)al_rng_normal(&rng);
        for (size_t k = 0; k < T; k++) {
            double v = b[k] + 0.1 * al_rng_normal(&rng);
            for (size_t j = 0; j < F; j++)
                v += w[k][j] * x[i * F + j];
            t[i * T + k] = (float)v;
        }
    }
    CHECK(al_dataset_set_targets(ds, t, T, &err) == AL_OK, "%s", err.message);
    return ds;
}

/* Solves the (F+1) x (F+1) system a theta = rhs by Gaussian elimination
 * with partial pivoting, in place. */
static void solve(double a[F + 1][F + 1], double *rhs)
{
    int n = F + 1;
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        for (int k = 0; k < n; k++) {
            double tmp = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = tmp;
        }
        double tmp = rhs[c];
        rhs[c] = rhs[p];
        rhs[p] = tmp;
        for (int r = c + 1; r < n; r++) {
            double f = a[r][c] / a[c][c];
            for (int k = c; k < n; k++)
                a[r][k] -= f * a[c][k];
            rhs[r] -= f * rhs[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        for (int k = c + 1; k < n; k++)
            rhs[c] -= a[c][k] * rhs[k];
        rhs[c] /= a[c][c];
    }
}

/* The least-squares weights and bias of output k: (A^T A) theta = A^T t with A = [x, 1]. */
static void least_squares(const al_dataset *ds, size_t k, double *theta)
{
    double a[F + 1][F + 1] = {{0}};
    double rhs[F + 1] = {0};
    const float *x = al_dataset_x(ds), *t = al_dataset_targets(ds);
    for (size_t i = 0; i < N; i++) {
        double row[F + 1];
        for (size_t j = 0; j < F; j++)
            row[j] = x[i * F + j];
        row[F] = 1;
        for (int r = 0; r <= F; r++) {
            for (int c = 0; c <= F; c++)
                a[r][c] += row[r] * row[c];
            rhs[r] += row[r] * t[i * T + k];
        }
    }
    solve(a, rhs);
    memcpy(theta, rhs, sizeof rhs);
}

int main(void)
{
    double w[T][F] = {{1.5, -2.0, 0.25}, {-0.5, 0.75, 3.0}}, b[T] = {4.0, -1.0};
    al_dataset *ds = linear_data(w, b);
    al_error err = {0};

    CHECK_SECTION("the loss a dataset gets by default");
    CHECK(al_default_loss(ds, T) == AL_LOSS_MSE, "real-valued targets: mse");

    CHECK_SECTION("MSE training reaches the least-squares solution");
    al_net *net = NULL;
    CHECK(al_net_create("Linear(3, 2)", NULL, &net, &err) == AL_OK, "%s", err.message);
    al_train_options o = al_train_options_default();
    o.loss = AL_LOSS_MSE;
    o.batch = N;          /* full batch: plain gradient descent on a convex quadratic */
    o.epochs = 600;
    o.shuffle = 0;
    o.optim = al_optim_options_for(AL_OPT_SGD);
    o.optim.lr = 0.1;
    o.optim.momentum = 0.9;
    al_train_progress last;
    CHECK(al_train(net, ds, NULL, &o, NULL, NULL, &last, &err) == AL_OK, "%s", err.message);
    CHECK(isnan(last.accuracy), "no accuracy for real-valued targets: %g", last.accuracy);
    int np;
    const al_param_ref *p = al_net_params(net, &np); /* 0.weight [2, 3], 0.bias [2] */
    for (size_t k = 0; k < T; k++) {
        double theta[F + 1];
        least_squares(ds, k, theta);
        for (size_t j = 0; j < F; j++)
            CHECK_NEAR(p[0].value[k * F + j], theta[j], 2e-5, 0, "output %zu weight %zu", k, j);
        CHECK_NEAR(p[1].value[k], theta[F], 2e-5, 0, "output %zu bias", k);
    }

    CHECK_SECTION("evaluation: MSE, MAE, R2 from the net's own weights");
    double sq[T] = {0}, ab = 0, mean[T] = {0}, ss_tot[T] = {0};
    const float *x = al_dataset_x(ds), *t = al_dataset_targets(ds);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < T; k++)
            mean[k] += t[i * T + k] / (double)N;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < T; k++) {
            double pred = p[1].value[k];
            for (size_t j = 0; j < F; j++)
                pred += (double)p[0].value[k * F + j] * x[i * F + j];
            double d = pred - t[i * T + k], e = t[i * T + k] - mean[k];
            sq[k] += d * d;
            ab += fabs(d);
            ss_tot[k] += e * e;
        }
    double mse = (sq[0] + sq[1]) / (N * T), mae = ab / (N * T);
    double r2 = (1 - sq[0] / ss_tot[0] + 1 - sq[1] / ss_tot[1]) / T;
    al_eval_result r;
    CHECK(al_evaluate_loss(net, ds, 64, AL_LOSS_MSE, &r, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(r.mse, mse, 0, 1e-5, "mse");
    CHECK_NEAR(r.loss, mse, 0, 1e-5, "the mse loss is the mse");
    CHECK_NEAR(r.mae, mae, 0, 1e-5, "mae");
    CHECK_NEAR(r.r2, r2, 1e-6, 0, "r2 (uniform average over outputs)");
    CHECK(r.r2 > 0.99 && isnan(r.accuracy) && r.confusion == NULL && r.classes == 0, "a regression result");
    CHECK_NEAR(last.loss, mse, 0, 1e-3, "the training loss at the end is the mse");
    al_eval_result_free(&r);

    CHECK_SECTION("what each loss accepts");
    al_net *one = NULL;
    CHECK(al_net_create("Linear(3, 1)", NULL, &one, &err) == AL_OK, "%s", err.message);
    al_train_options oc = o;
    oc.epochs = 1;
    oc.loss = AL_LOSS_CROSS_ENTROPY;
    CHECK(al_train(net, ds, NULL, &oc, NULL, NULL, NULL, &err) == AL_ERR_INVALID && err.field &&
              strcmp(err.field, "train.loss") == 0 && strstr(err.message, "mse"),
          "cross-entropy on real-valued targets is refused, naming mse: %s", err.message);
    oc.loss = AL_LOSS_MSE;
    CHECK(al_train(one, ds, NULL, &oc, NULL, NULL, NULL, &err) == AL_ERR_SHAPE &&
              strstr(err.message, "2 targets per row but the model has 1 output"), "width: %s", err.message);
    al_dataset *cls = NULL;
    size_t shape[1] = {F};
    CHECK(al_dataset_create("cls", 4, 1, shape, &cls, &err) == AL_OK, "%s", err.message);
    for (int i = 0; i < 4; i++)
        al_dataset_y_mut(cls)[i] = i % 2;
    CHECK(al_dataset_check_labels(cls, 0, &err) == AL_OK, "%s", err.message);
    CHECK(al_default_loss(cls, 1) == AL_LOSS_BCE_WITH_LOGITS && al_default_loss(cls, 2) == AL_LOSS_CROSS_ENTROPY,
          "labels 0/1: bce with one output, cross-entropy with two");
    oc.loss = AL_LOSS_CROSS_ENTROPY;
    CHECK(al_train(one, cls, NULL, &oc, NULL, NULL, NULL, &err) == AL_ERR_INVALID && strstr(err.message, "bce"),
          "cross-entropy with one output: %s", err.message);
    oc.loss = AL_LOSS_BCE_WITH_LOGITS;
    CHECK(al_train(one, cls, NULL, &oc, NULL, NULL, &last, &err) == AL_OK && !isnan(last.accuracy),
          "bce with one output on labels 0/1 trains and has an accuracy: %s", err.message);
    oc.loss = AL_LOSS_MSE;
    CHECK(al_train(net, cls, NULL, &oc, NULL, NULL, &last, &err) == AL_OK && !isnan(last.accuracy),
          "mse with one-hot targets from labels has an accuracy: %s", err.message);
    al_dataset_free(cls);
    al_net_free(one);
    al_net_free(net);
    al_dataset_free(ds);
    return check_summary("test_regression");
}
