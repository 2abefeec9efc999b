/* Private to src/data: the dataset's fields, for the files that build,
 * split and batch datasets; everything else goes through data.h. */
#ifndef ACTLAB_DATA_DATASET_INTERNAL_H
#define ACTLAB_DATA_DATASET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
#include "actlab/rng.h"

struct al_dataset {
    char name[AL_DATASET_NAME_BYTES];
    size_t count, features;
    int feature_rank;
    size_t feature_shape[AL_DATASET_MAX_FEATURE_RANK];
    int n_classes;
    int has_labels;      /* y holds class labels (al_dataset_check_labels) */
    int no_labels;       /* the rows have none at all (al_dataset_set_no_labels) */
    float *x;            /* count * features; NULL when the features are kept as bytes */
    uint8_t *bytes;      /* count * features pixel intensities from a u8 source (feature =
                            byte / 255, converted when rows are read); NULL otherwise */
    _Atomic(float *) floats; /* a byte dataset's float matrix, made on the first
                                al_dataset_x call (the library itself never asks) */
    int32_t *y;          /* count */
    float *targets;      /* count * target_width, or NULL */
    size_t target_width;
    char **class_names;  /* n_class_names, or NULL */
    int n_class_names;
};

/* A zeroed dataset whose features are floats, or bytes when as_bytes. */
al_status al_dataset_alloc(const char *name, size_t count, int feature_rank, const size_t *feature_shape,
                           int as_bytes, al_dataset **out, al_error *err);

/* Feature i of the matrix (row * features + column), whichever way it is stored. */
static inline float al_dataset_feature(const al_dataset *ds, size_t i)
{
    return ds->x ? ds->x[i] : (float)ds->bytes[i] / 255.0f;
}

/* Fisher-Yates over 0..n-1 from the identity, so the result depends only
 * on the generator's state, never on an earlier order. */
void al_shuffle_identity(size_t *order, size_t n, al_rng *rng);

#endif
