/* Synthetic 2-D datasets as the TensorFlow Playground defines them: four
 * classification sets (circle, exclusive or, two Gaussians, spiral) with
 * labels -1/+1, two regression sets (plane, multi-Gaussian) with targets in
 * [-1, 1], noise and a seed; and the playground's seven input features. */
#ifndef ACTLAB_SYNTH_H
#define ACTLAB_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_synth_kind {
    AL_SYNTH_CIRCLE,      /* +1 inside radius 2.5, -1 on the ring 3.5..5 */
    AL_SYNTH_XOR,         /* sign(x1 * x2) on [-5.3, 5.3]^2 with a 0.3 gap at the axes */
    AL_SYNTH_GAUSS,       /* two Gaussians at (2, 2) (+1) and (-2, -2) (-1) */
    AL_SYNTH_SPIRAL,      /* two interleaved spirals of 1.75 turns */
    AL_SYNTH_PLANE,       /* regression: (x1 + x2) / 10 on [-6, 6]^2 */
    AL_SYNTH_MULTI_GAUSS, /* regression: six signed bumps of radius 2 */
    AL_SYNTH_COUNT
} al_synth_kind;

/* One generated example: the point and its label (-1/+1) or target. */
typedef struct al_synth_point {
    double x1, x2;
    double label;
} al_synth_point;

/* Parses "circle", "xor", "gauss", "spiral", "plane" or "multigauss". */
al_status al_synth_parse(const char *name, al_synth_kind *out, al_error *err);
/* The name al_synth_parse takes. */
const char *al_synth_name(al_synth_kind kind);
/* 1 for plane and multigauss (real-valued targets), 0 for the classification sets. */
int al_synth_is_regression(al_synth_kind kind);

/* Generates count points (count >= 2) with noise in [0, 1] (the playground's
 * slider / 100) from seed, then shuffles them with the same generator, as the
 * playground does before it splits train from test. */
al_status al_synth_generate(al_synth_kind kind, size_t count, double noise, uint64_t seed,
                            al_synth_point *out, al_error *err);

typedef enum al_synth_feature {
    AL_FEAT_X1,
    AL_FEAT_X2,
    AL_FEAT_X1_SQUARED,
    AL_FEAT_X2_SQUARED,
    AL_FEAT_X1_TIMES_X2,
    AL_FEAT_SIN_X1,
    AL_FEAT_SIN_X2,
    AL_FEAT_COUNT
} al_synth_feature;

/* "x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2". */
const char *al_synth_feature_name(al_synth_feature f);
/* Parses a feature name (as al_synth_feature_name writes it). */
al_status al_synth_feature_parse(const char *name, al_synth_feature *out, al_error *err);
/* The feature's value at (x1, x2). */
double al_synth_feature_value(al_synth_feature f, double x1, double x2);

/* Builds a dataset from points[0..count) with one column per feature in
 * features[0..n_features) (in that order); labels are 0 for label < 0 and 1
 * otherwise (regression targets are not kept: read them from points).
 * Allocates; free with al_dataset_free. */
al_status al_synth_dataset(const char *name, const al_synth_point *points, size_t count,
                           const al_synth_feature *features, int n_features, al_dataset **out,
                           al_error *err);

#ifdef __cplusplus
}
#endif
#endif
