/* Datasets: a float32 feature matrix with int32 class labels, read from IDX
 * files (plain or gzip, e.g. Fashion-MNIST), CSV or a pair of NPY files;
 * standardisation, a held-out validation split and seeded per-epoch batching.
 * Formats and messages: docs/data.md. */
#ifndef ACTLAB_DATA_H
#define ACTLAB_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/npy.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most dimensions one example may have ([C, H, W] needs 3). */
#define AL_DATASET_MAX_FEATURE_RANK 8
/* Labels are class indices; more classes than this is taken for a mistake
 * (a regression target or an id column picked as the label). */
#define AL_DATASET_MAX_CLASSES (1 << 20)
#define AL_DATASET_NAME_BYTES 128
/* Where the Debian package dataset-fashion-mnist puts its files. */
#define AL_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* An opaque dataset. Invariants: count >= 1, features >= 1, features is the
 * product of the feature shape, x holds count * features finite floats
 * row-major (row i is example i), y holds count labels in [0, n_classes). */
typedef struct al_dataset al_dataset;

/* Allocates a zeroed dataset of count examples of the given feature shape
 * (n_classes 0 until al_dataset_check_labels); for generated data. */
al_status al_dataset_create(const char *name, size_t count, int feature_rank,
                            const size_t *feature_shape, al_dataset **out, al_error *err);
/* Frees the dataset; NULL is fine. */
void al_dataset_free(al_dataset *ds);

const char *al_dataset_name(const al_dataset *ds);
/* Renames the dataset (cut to AL_DATASET_NAME_BYTES - 1 bytes). */
void al_dataset_set_name(al_dataset *ds, const char *name);
size_t al_dataset_count(const al_dataset *ds);
/* Floats per example: the product of the feature shape. */
size_t al_dataset_features(const al_dataset *ds);
int al_dataset_classes(const al_dataset *ds);
/* The shape of one example ([1, 28, 28] for Fashion-MNIST, [F] for CSV). */
int al_dataset_feature_rank(const al_dataset *ds);
const size_t *al_dataset_feature_shape(const al_dataset *ds);
/* The feature matrix [count, features] and the labels [count]. A dataset
 * read from unsigned bytes (Fashion-MNIST, u8 IDX and NPY images) keeps its
 * features as bytes: al_dataset_x then converts them into a float matrix on
 * its first call (four times the bytes, kept until al_dataset_free; NULL when
 * out of memory). Read batches with al_dataset_rows or al_dataset_gather
 * instead, as the library does: they convert only the rows asked for. */
const float *al_dataset_x(const al_dataset *ds);
const int32_t *al_dataset_y(const al_dataset *ds);
/* The byte features [count, features] (a feature is byte / 255), or NULL
 * when the dataset holds floats. */
const uint8_t *al_dataset_bytes(const al_dataset *ds);
/* Rows [first, first + count) as floats into out [count * features], however
 * they are stored; the rows must exist. */
void al_dataset_rows(const al_dataset *ds, size_t first, size_t count, float *out);
/* The rows listed in rows[0..count) as floats into out [count * features]
 * (bytes converted as they are copied; a large batch by OpenMP's threads). */
void al_dataset_gather(const al_dataset *ds, const size_t *rows, size_t count, float *out);
/* Writable views, for code that fills a dataset from al_dataset_create (which
 * holds floats); call al_dataset_check_labels after writing labels. */
float *al_dataset_x_mut(al_dataset *ds);
int32_t *al_dataset_y_mut(al_dataset *ds);

/* Checks every label against n_classes (> 0) and sets it, or with n_classes 0
 * sets it to the largest label + 1. Messages name the row. */
al_status al_dataset_check_labels(al_dataset *ds, int n_classes, al_error *err);

/* Builds a dataset from an x array [N, ...] (f4, f8, u1 scaled by 1/255, i4,
 * i8 as they are) and a label array [N] (u1, i4, i8). A rank-3 x [N, H, W] is
 * taken as one-channel images: feature shape [1, H, W]. x_label and y_label
 * name the sources in messages; n_classes 0 means largest label + 1. */
al_status al_dataset_from_arrays(const char *name, const al_array *x, const char *x_label,
                                 const al_array *y, const char *y_label, int n_classes,
                                 al_dataset **out, al_error *err);

/* Reads an IDX file (plain, or gzip detected by its 1f 8b magic) into an
 * array: type 0x08 (u8) -> U8; 0x09 (i8), 0x0B (i16), 0x0C (i32) -> I32;
 * 0x0D -> F32; 0x0E -> F64; big-endian values made native. Rank 1 to 4. */
al_status al_idx_read(const char *path, al_array *out, al_error *err);

/* An images IDX file [N, ...] and a labels IDX file [N] (integer type);
 * n_classes 0 means largest label + 1. */
al_status al_dataset_load_idx_pair(const char *images_path, const char *labels_path,
                                   int n_classes, al_dataset **out, al_error *err);

typedef enum al_data_subset {
    AL_DATA_TRAIN,
    AL_DATA_TEST
} al_data_subset;

/* Fashion-MNIST from dir (NULL: AL_FASHION_MNIST_DIR) in the Debian
 * package's file names (train-images-idx3-ubyte.gz, ...; the names without
 * .gz are read too): 60000 train or 10000 test images [1, 28, 28] in [0, 1],
 * 10 classes. */
al_status al_dataset_load_fashion_mnist(const char *dir, al_data_subset subset,
                                        al_dataset **out, al_error *err);

typedef struct al_csv_options {
    /* the label column: a header name, or a 0-based index written in decimal
     * ("0"); a header name wins over an index that reads the same */
    const char *label_column;
    int has_header;   /* the first non-blank line names the columns */
    int n_classes;    /* 0: largest label + 1 */
} al_csv_options;

/* label_column "label", has_header 1, n_classes 0. */
al_csv_options al_csv_options_default(void);

/* A comma-separated file: every other column is a feature (C-locale
 * numbers), labels are non-negative integers. Blank lines are skipped.
 * options NULL means al_csv_options_default(). */
al_status al_dataset_load_csv(const char *path, const al_csv_options *options, al_dataset **out,
                              al_error *err);

/* x.npy [N, ...] (f4, f8, or u1 scaled by 1/255; rank >= 2) and y.npy [N]
 * (i4, i8 or u1); n_classes 0 means largest label + 1. */
al_status al_dataset_load_npy(const char *x_path, const char *y_path, int n_classes,
                              al_dataset **out, al_error *err);

typedef enum al_standardize_mode {
    AL_STANDARDIZE_PER_FEATURE,  /* one mean and std per feature */
    AL_STANDARDIZE_GLOBAL        /* one mean and std over all features */
} al_standardize_mode;

/* Mean and (population) standard deviation, computed on one dataset (the
 * training set) and applied to others so that all see the same transform.
 * Plain data: save it beside a checkpoint. */
typedef struct al_feature_stats {
    al_standardize_mode mode;
    size_t features;   /* the dataset's feature count the stats fit */
    size_t length;     /* entries in mean and std: features, or 1 for global */
    float *mean;
    float *std;        /* a zero deviation (a constant feature) is stored as 1 */
} al_feature_stats;

/* Computes the stats of ds (in float64) into out; free with al_feature_stats_free. */
al_status al_feature_stats_compute(const al_dataset *ds, al_standardize_mode mode,
                                   al_feature_stats *out, al_error *err);
/* Frees the arrays and zeroes the struct; a zeroed struct is fine. */
void al_feature_stats_free(al_feature_stats *stats);
/* x = (x - mean) / std in place; the feature counts must match. A byte
 * dataset becomes a float one (its bytes are freed). */
al_status al_dataset_standardize(al_dataset *ds, const al_feature_stats *stats, al_error *err);

typedef enum al_split_mode {
    AL_SPLIT_LAST,    /* the last validation_count rows */
    AL_SPLIT_RANDOM   /* a subset drawn with the seed; both parts keep file order */
} al_split_mode;

/* Copies ds into a training part and a held-out validation part of
 * validation_count rows (1 to count - 1); the same seed gives the same split. */
al_status al_dataset_split(const al_dataset *ds, size_t validation_count, al_split_mode mode,
                           uint64_t seed, al_dataset **train, al_dataset **validation,
                           al_error *err);

typedef struct al_batcher_options {
    size_t batch_size;   /* >= 1; the last batch of an epoch may be smaller */
    uint64_t seed;
    int no_shuffle;      /* file order every epoch */
} al_batcher_options;

/* batch_size 32, seed 0, shuffled. */
al_batcher_options al_batcher_options_default(void);

/* Seeded batches over a dataset, which must outlive the batcher. The order of
 * epoch e depends only on (seed, e), so a resumed run sees the same batches.
 * All memory is allocated at creation, none per batch. */
typedef struct al_batcher al_batcher;

al_status al_batcher_create(const al_dataset *ds, const al_batcher_options *options,
                            al_batcher **out, al_error *err);
void al_batcher_free(al_batcher *b);
/* Sets the example order for epoch (a Fisher-Yates shuffle of 0..count-1
 * seeded by (seed, epoch), or file order with no_shuffle). */
void al_batcher_start_epoch(al_batcher *b, uint64_t epoch);
/* Batches per epoch: ceil(count / batch_size). */
size_t al_batcher_batch_count(const al_batcher *b);
/* The current epoch's order, count entries. */
const size_t *al_batcher_order(const al_batcher *b);
/* The example indices of batch (0-based) in the current epoch; returns how
 * many (batch_size, fewer for the last batch, 0 past the end). */
size_t al_batcher_indices(const al_batcher *b, size_t batch, const size_t **indices);
/* Copies batch's rows into x [batch_size * features] and labels into y
 * [batch_size] (either may be NULL); *rows gets the number copied. */
al_status al_batcher_fill(const al_batcher *b, size_t batch, float *x, int32_t *y, size_t *rows,
                          al_error *err);

#ifdef __cplusplus
}
#endif
#endif
