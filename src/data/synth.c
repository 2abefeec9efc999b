/* The TensorFlow Playground's synthetic 2-D datasets (its dataset.ts gives
 * the definitions: radii, centres, how noise enters each one) and its seven
 * input features, drawn from actlab's seeded generator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/synth.h"

/* PI is not ISO C */
#define PI 3.14159265358979323846

static const char *const kind_names[AL_SYNTH_COUNT] = {"circle", "xor", "gauss", "spiral", "plane",
                                                       "multigauss"};
static const char *const feature_names[AL_FEAT_COUNT] = {"x1", "x2", "x1^2", "x2^2", "x1x2",
                                                         "sin_x1", "sin_x2"};

/* The index of name in names[0..n), or -1. */
static int index_of(const char *name, const char *const *names, int n)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

al_status al_synth_parse(const char *name, al_synth_kind *out, al_error *err)
{
    int k = index_of(name, kind_names, AL_SYNTH_COUNT);
    if (k < 0)
        return al_error_set(err, AL_ERR_INVALID, "unknown dataset '%s': use circle, xor, gauss, spiral, "
                            "plane or multigauss", name ? name : "");
    *out = (al_synth_kind)k;
    return AL_OK;
}

const char *al_synth_name(al_synth_kind kind)
{
    return kind < AL_SYNTH_COUNT ? kind_names[kind] : "?";
}

int al_synth_is_regression(al_synth_kind kind)
{
    return kind == AL_SYNTH_PLANE || kind == AL_SYNTH_MULTI_GAUSS;
}

static double uniform(al_rng *rng, double a, double b)
{
    return a + (b - a) * al_rng_uniform(rng);
}

/* Marsaglia's polar method, as the playground draws its Gaussians. */
static double normal(al_rng *rng, double mean, double variance)
{
    double v1, v2, s;
    do {
        v1 = 2 * al_rng_uniform(rng) - 1;
        v2 = 2 * al_rng_uniform(rng) - 1;
        s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    return mean + sqrt(variance) * sqrt(-2 * log(s) / s) * v1;
}

static double circle_label(double x, double y)
{
    return sqrt(x * x + y * y) < 2.5 ? 1 : -1;
}

static void circle(al_rng *rng, size_t n, double noise, al_synth_point *out)
{
    const double radius = 5;
    for (size_t i = 0; i < n; i++) {
        int inside = i < n / 2;
        double r = inside ? uniform(rng, 0, radius * 0.5) : uniform(rng, radius * 0.7, radius);
        double angle = uniform(rng, 0, 2 * PI);
        double x = r * sin(angle), y = r * cos(angle);
        double nx = uniform(rng, -radius, radius) * noise, ny = uniform(rng, -radius, radius) * noise;
        out[i] = (al_synth_point){x, y, circle_label(x + nx, y + ny)};
    }
}

static void xor_points(al_rng *rng, size_t n, double noise, al_synth_point *out)
{
    const double padding = 0.3;
    for (size_t i = 0; i < n; i++) {
        double x = uniform(rng, -5, 5);
        x += x > 0 ? padding : -padding;
        double y = uniform(rng, -5, 5);
        y += y > 0 ? padding : -padding;
        double nx = uniform(rng, -5, 5) * noise, ny = uniform(rng, -5, 5) * noise;
        out[i] = (al_synth_point){x, y, (x + nx) * (y + ny) >= 0 ? 1 : -1};
    }
}

static void two_gauss(al_rng *rng, size_t n, double noise, al_synth_point *out)
{
    /* the variance grows linearly from 0.5 (no noise) to 4 (noise 0.5) */
    double variance = 0.5 + noise * (4 - 0.5) / 0.5;
    for (size_t i = 0; i < n; i++) {
        double c = i < n / 2 ? 2 : -2;
        double x = normal(rng, c, variance), y = normal(rng, c, variance);
        out[i] = (al_synth_point){x, y, c > 0 ? 1 : -1};
    }
}

static void spiral(al_rng *rng, size_t n, double noise, al_synth_point *out)
{
    size_t half = n / 2;
    for (size_t i = 0; i < n; i++) {
        int positive = i < half;
        size_t k = positive ? i : i - half, arm = positive ? half : n - half;
        double r = (double)k / (double)arm * 5;
        double t = 1.75 * (double)k / (double)arm * 2 * PI + (positive ? 0 : PI);
        double x = r * sin(t) + uniform(rng, -1, 1) * noise;
        double y = r * cos(t) + uniform(rng, -1, 1) * noise;
        out[i] = (al_synth_point){x, y, positive ? 1 : -1};
    }
}

static double multi_gauss_label(double x, double y)
{
    static const double bumps[6][3] = {{-4, 2.5, 1}, {0, 2.5, -1}, {4, 2.5, 1},
                                       {-4, -2.5, -1}, {0, -2.5, 1}, {4, -2.5, -1}};
    double label = 0;
    for (int b = 0; b < 6; b++) {
        double d = hypot(x - bumps[b][0], y - bumps[b][1]);
        double height = d >= 2 ? 0 : 1 - d / 2; /* 1 at the centre, 0 from distance 2 on */
        double v = bumps[b][2] * height;
        if (fabs(v) > fabs(label))
            label = v;
    }
    return label;
}

static void regression(al_rng *rng, size_t n, double noise, int plane, al_synth_point *out)
{
    const double radius = 6;
    for (size_t i = 0; i < n; i++) {
        double x = uniform(rng, -radius, radius), y = uniform(rng, -radius, radius);
        double nx = uniform(rng, -radius, radius) * noise, ny = uniform(rng, -radius, radius) * noise;
        double label = plane ? (x + nx + y + ny) / 10 : multi_gauss_label(x + nx, y + ny);
        out[i] = (al_synth_point){x, y, label};
    }
}

al_status al_synth_generate(al_synth_kind kind, size_t count, double noise, uint64_t seed,
                            al_synth_point *out, al_error *err)
{
    if (kind >= AL_SYNTH_COUNT)
        return al_error_set(err, AL_ERR_INVALID, "unknown synthetic dataset %d", (int)kind);
    if (count < 2)
        return al_error_set(err, AL_ERR_INVALID, "a synthetic dataset needs at least 2 points, not %zu",
                            count);
    if (!(noise >= 0 && noise <= 1))
        return al_error_set(err, AL_ERR_INVALID, "noise must be in [0, 1], got %g", noise);
    al_rng rng;
    al_rng_seed(&rng, seed);
    switch (kind) {
    case AL_SYNTH_CIRCLE: circle(&rng, count, noise, out); break;
    case AL_SYNTH_XOR: xor_points(&rng, count, noise, out); break;
    case AL_SYNTH_GAUSS: two_gauss(&rng, count, noise, out); break;
    case AL_SYNTH_SPIRAL: spiral(&rng, count, noise, out); break;
    case AL_SYNTH_PLANE: regression(&rng, count, noise, 1, out); break;
    default: regression(&rng, count, noise, 0, out); break;
    }
    for (size_t i = count - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)al_rng_below(&rng, (uint64_t)i + 1);
        al_synth_point t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
    return AL_OK;
}

const char *al_synth_feature_name(al_synth_feature f)
{
    return f < AL_FEAT_COUNT ? feature_names[f] : "?";
}

al_status al_synth_feature_parse(const char *name, al_synth_feature *out, al_error *err)
{
    int f = index_of(name, feature_names, AL_FEAT_COUNT);
    if (f < 0)
        return al_error_set(err, AL_ERR_INVALID, "unknown feature '%s': use x1, x2, x1^2, x2^2, x1x2, "
                            "sin_x1 or sin_x2", name ? name : "");
    *out = (al_synth_feature)f;
    return AL_OK;
}

double al_synth_feature_value(al_synth_feature f, double x1, double x2)
{
    switch (f) {
    case AL_FEAT_X1: return x1;
    case AL_FEAT_X2: return x2;
    case AL_FEAT_X1_SQUARED: return x1 * x1;
    case AL_FEAT_X2_SQUARED: return x2 * x2;
    case AL_FEAT_X1_TIMES_X2: return x1 * x2;
    case AL_FEAT_SIN_X1: return sin(x1);
    case AL_FEAT_SIN_X2: return sin(x2);
    default: return NAN;
    }
}

al_status al_synth_dataset(const char *name, const al_synth_point *points, size_t count,
                           const al_synth_feature *features, int n_features, al_dataset **out,
                           al_error *err)
{
    *out = NULL;
    if (n_features < 1 || n_features > AL_FEAT_COUNT)
        return al_error_set(err, AL_ERR_INVALID, "choose 1 to %d input features, not %d", AL_FEAT_COUNT,
                            n_features);
    for (int k = 0; k < n_features; k++)
        if (features[k] >= AL_FEAT_COUNT)
            return al_error_set(err, AL_ERR_INVALID, "unknown feature %d", (int)features[k]);
    size_t shape[1] = {(size_t)n_features};
    al_dataset *ds;
    al_status st = al_dataset_create(name, count, 1, shape, &ds, err);
    if (st != AL_OK)
        return st;
    float *x = al_dataset_x_mut(ds);
    int32_t *y = al_dataset_y_mut(ds);
    for (size_t i = 0; i < count; i++) {
        for (int k = 0; k < n_features; k++)
            x[i * (size_t)n_features + (size_t)k] =
                (float)al_synth_feature_value(features[k], points[i].x1, points[i].x2);
        y[i] = points[i].label < 0 ? 0 : 1;
    }
    st = al_dataset_check_labels(ds, 2, err);
    if (st != AL_OK) {
        al_dataset_free(ds);
        return st;
    }
    *out = ds;
    return AL_OK;
}
