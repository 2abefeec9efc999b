/* Datasets: a float32 feature matrix with int32 class labels and/or float32
 * targets (regression), read from IDX files (plain or gzip, e.g.
 * Fashion-MNIST), CSV (plain or gzip, as spreadsheets and scikit-learn write
 * it) or a pair of NPY files; standardisation, held-out splits (tail, random,
 * stratified) and seeded per-epoch batching. Formats and messages:
 * docs/data.md. */
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
 * row-major (row i is example i). When it has class labels
 * (al_dataset_has_labels), y holds count labels in [0, n_classes); when it
 * has targets, they are count * target_width finite floats. A CSV label
 * column gives both when its values are class indices, targets only when
 * they are not (21.6, -1). */
typedef struct al_dataset al_dataset;

/* Allocates a zeroed dataset of count examples of the given feature shape
 * (no labels, n_classes 0, until al_dataset_check_labels); for generated
 * data. Free it with al_dataset_free. */
al_status al_dataset_create(const char *name, size_t count, int feature_rank,
                            const size_t *feature_shape, al_dataset **out, al_error *err);
/* Frees the dataset; NULL is fine. */
void al_dataset_free(al_dataset *ds);

/* The name (never NULL; owned by the dataset). */
const char *al_dataset_name(const al_dataset *ds);
/* Renames the dataset (cut to AL_DATASET_NAME_BYTES - 1 bytes). */
void al_dataset_set_name(al_dataset *ds, const char *name);
size_t al_dataset_count(const al_dataset *ds);
/* Floats per example: the product of the feature shape. */
size_t al_dataset_features(const al_dataset *ds);
/* The number of classes (0 when the dataset has no class labels). */
int al_dataset_classes(const al_dataset *ds);
/* 1 when y holds class labels: al_dataset_check_labels succeeded, or the
 * dataset was built by hand without targets; 0 for real-valued targets and
 * after al_dataset_set_no_labels. */
int al_dataset_has_labels(const al_dataset *ds);
/* Marks rows that have no class labels at all (rows to predict). */
void al_dataset_set_no_labels(al_dataset *ds);
/* How many distinct labels the rows hold (0 without labels): a split whose
 * part holds 1 of 3 classes was cut from a class-sorted file. */
int al_dataset_classes_present(const al_dataset *ds);
/* Float targets [count, target_width], or NULL (width 0) when there are none. */
const float *al_dataset_targets(const al_dataset *ds);
size_t al_dataset_target_width(const al_dataset *ds);
/* Copies count * width finite floats in as the targets (replacing any);
 * allocates. Refuses a non-finite value, naming its row. */
al_status al_dataset_set_targets(al_dataset *ds, const float *targets, size_t width, al_error *err);
/* Class names: copies count names (count 0 clears them); allocates. */
al_status al_dataset_set_class_names(al_dataset *ds, const char *const *names, int count,
                                     al_error *err);
/* The name of class k, or NULL when the dataset names no classes or k is
 * out of range (owned by the dataset). */
const char *al_dataset_class_name(const al_dataset *ds, int k);
/* How many class names the dataset holds (0: none). */
int al_dataset_class_name_count(const al_dataset *ds);
/* The shape of one example ([1, 28, 28] for Fashion-MNIST, [F] for CSV). */
int al_dataset_feature_rank(const al_dataset *ds);
const size_t *al_dataset_feature_shape(const al_dataset *ds);
/* The feature matrix [count, features] and the labels [count] (zeros when
 * the dataset has no labels); owned by the dataset. A dataset read from
 * unsigned bytes (Fashion-MNIST, u8 IDX and NPY images) keeps its features as
 * bytes: al_dataset_x then converts them into a float matrix on its first call
 * (four times the bytes, kept until al_dataset_free; NULL when out of memory).
 * Read batches with al_dataset_rows or al_dataset_gather instead, as the
 * library does: they convert only the rows asked for. */
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
 * sets it to the largest label + 1; the dataset then has labels. Messages
 * name the row. */
al_status al_dataset_check_labels(al_dataset *ds, int n_classes, al_error *err);

/* Builds a dataset from an x array [N, ...] (f4, f8, u1 scaled by 1/255, i4,
 * i8 as they are) and a label array [N] (u1, i4, i8: class labels) or a
 * target array [N] or [N, T] (f4, f8: regression targets). A rank-3 x
 * [N, H, W] is taken as one-channel images: feature shape [1, H, W]. x_label
 * and y_label name the sources in messages; n_classes 0 means largest label
 * + 1. *out is a new dataset (al_dataset_free), NULL on failure. */
al_status al_dataset_from_arrays(const char *name, const al_array *x, const char *x_label,
                                 const al_array *y, const char *y_label, int n_classes,
                                 al_dataset **out, al_error *err);

/* Reads an IDX file (plain, or gzip detected by its 1f 8b magic) into an
 * array: type 0x08 (u8) -> U8; 0x09 (i8), 0x0B (i16), 0x0C (i32) -> I32;
 * 0x0D -> F32; 0x0E -> F64; big-endian values made native. Rank 1 to 4.
 * Allocates out's data (al_array_free); out is zeroed on failure. */
al_status al_idx_read(const char *path, al_array *out, al_error *err);

/* An images IDX file [N, ...] and a labels IDX file [N] (integer type);
 * n_classes 0 means largest label + 1. *out is a new dataset, NULL on failure. */
al_status al_dataset_load_idx_pair(const char *images_path, const char *labels_path,
                                   int n_classes, al_dataset **out, al_error *err);

typedef enum al_data_subset {
    AL_DATA_TRAIN,
    AL_DATA_TEST
} al_data_subset;

/* Fashion-MNIST from dir (NULL: AL_FASHION_MNIST_DIR) in the Debian
 * package's file names (train-images-idx3-ubyte.gz, ...; the names without
 * .gz are read too): 60000 train or 10000 test images [1, 28, 28] in [0, 1],
 * 10 classes with their names ("T-shirt/top", ..., "Ankle boot"). *out is
 * a new dataset, NULL on failure. */
al_status al_dataset_load_fashion_mnist(const char *dir, al_data_subset subset,
                                        al_dataset **out, al_error *err);

/* What al_dataset_load_csv found in a file (al_csv_options.info). */
typedef struct al_csv_info {
    char separator;          /* ',', ';', '\t', '|', or ' ' for runs of blanks */
    int separator_detected;  /* 1: guessed from the lines, 0: given */
    int count_line;          /* 1: the first line was scikit-learn's "N,F[,names...]" */
    int has_header;          /* 1: a line of column names */
    size_t skipped_lines;    /* lines skipped by skip_rows */
    size_t rows, columns;    /* rows 0 for a pair (al_dataset_load_csv_pair) */
    long label_index;        /* 0-based column of the label; -1: none (no_label) */
    char label_name[128];    /* its header name, or "" */
    int label_default;       /* 1: chosen by the default rule (the column "label", else the last) */
    int labels;              /* 1: the label column holds class indices */
    int targets;             /* 1: it holds real numbers only (a regression target) */
} al_csv_info;

typedef struct al_csv_options {
    /* The label column (NULL or "": a column named "label", else the last):
     *   NAME or "NAME"   a header name; the quotes force a name ("4" is the
     *                    column named 4, not index 4)
     *   #K, K            0-based index K (a bare K that is also another
     *                    column's name is refused as ambiguous)
     *   -K, #-K          K-th column from the end (-1: the last) */
    const char *label_column;
    int no_label;        /* 1: every column is a feature (rows to predict, or X of a pair) */
    int has_header;      /* -1 (default): detected (a line with a cell that is not a
                          * number is a header); 0: no header; 1: the first line */
    int count_line;      /* -1 (default): detected; 0: never; 1: the first line is
                          * scikit-learn's "N,F,class names..." (checked against the file) */
    size_t skip_rows;    /* lines skipped before anything else (blank lines count) */
    char separator;      /* 0 (default): detected among , ; tab | and blanks; or one of them */
    int n_classes;       /* 0: from the count line's names, else largest label + 1 */
    al_csv_info *info;   /* when not NULL, filled with what was found (also on failure, as far as it got) */
} al_csv_options;

/* Everything detected: label_column NULL, has_header -1, count_line -1,
 * skip_rows 0, separator 0, n_classes 0, info NULL. Allocates nothing. */
al_csv_options al_csv_options_default(void);

/* A delimited text file, plain or gzip (detected by its 1f 8b magic): one
 * example per line, every column but the label a feature (C-locale
 * numbers). The label column's values become class labels when all are
 * non-negative integers (below n_classes when it is given) and float
 * targets always, so a regression target needs no option. scikit-learn's
 * files (iris.csv: "150,4,setosa,versicolor,virginica", then rows with the
 * label last) are read as they ship: the count line is checked and its
 * names become the class names. Blank lines are skipped. options NULL means
 * al_csv_options_default(). Errors name file:line, the column (index and
 * header name) and the cell. *out is a new dataset, NULL on failure. */
al_status al_dataset_load_csv(const char *path, const al_csv_options *options, al_dataset **out,
                              al_error *err);

/* Features from x_path (every column) and labels or targets from y_path (its
 * columns; scikit-learn's diabetes_data_raw.csv.gz and
 * diabetes_target.csv.gz); the row counts must match. options (may be NULL)
 * apply to both files, except label_column and no_label. */
al_status al_dataset_load_csv_pair(const char *x_path, const char *y_path,
                                   const al_csv_options *options, al_dataset **out,
                                   al_error *err);

/* x.npy [N, ...] (f4, f8, or u1 scaled by 1/255; rank >= 2) and y.npy [N]
 * (i4, i8 or u1: labels; f4 or f8, [N] or [N, T]: targets); n_classes 0
 * means largest label + 1. *out is a new dataset, NULL on failure. */
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

/* Computes the stats of ds (in float64) into out (allocates the arrays);
 * free with al_feature_stats_free. */
al_status al_feature_stats_compute(const al_dataset *ds, al_standardize_mode mode,
                                   al_feature_stats *out, al_error *err);
/* Frees the arrays and zeroes the struct; a zeroed struct is fine. */
void al_feature_stats_free(al_feature_stats *stats);
/* x = (x - mean) / std in place; the feature counts must match. A byte
 * dataset becomes a float one (its bytes are freed). */
al_status al_dataset_standardize(al_dataset *ds, const al_feature_stats *stats, al_error *err);

typedef enum al_split_mode {
    AL_SPLIT_LAST,       /* the last validation_count rows (a "tail" split) */
    AL_SPLIT_RANDOM,     /* a subset drawn with the seed; both parts keep file order */
    AL_SPLIT_STRATIFIED  /* per class, a share drawn with the seed (largest remainders),
                          * so both parts keep the class proportions; needs labels */
} al_split_mode;

/* Parses "tail" (or "last"), "random" or "stratified". */
al_status al_split_mode_parse(const char *name, al_split_mode *out, al_error *err);
/* The mode's name as al_split_mode_parse takes it ("tail", "random", "stratified"). */
const char *al_split_mode_name(al_split_mode mode);

/* Rows a fraction (0 < f < 1) of count makes, rounded to nearest and kept in
 * 1 .. count - 1 (0 when count < 2). */
size_t al_split_count(size_t count, double fraction);

/* Copies ds into a training part and a held-out validation part of
 * validation_count rows (1 to count - 1); the same seed gives the same
 * split. Both are new datasets (al_dataset_free); targets and class names
 * are copied too. */
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

/* Allocates the batcher (free with al_batcher_free; NULL is fine there). */
al_status al_batcher_create(const al_dataset *ds, const al_batcher_options *options,
                            al_batcher **out, al_error *err);
void al_batcher_free(al_batcher *b);
/* Sets the example order for epoch (a Fisher-Yates shuffle of 0..count-1
 * seeded by (seed, epoch), or file order with no_shuffle). */
void al_batcher_start_epoch(al_batcher *b, uint64_t epoch);
/* Batches per epoch: ceil(count / batch_size). */
size_t al_batcher_batch_count(const al_batcher *b);
/* The current epoch's order, count entries (owned by the batcher). */
const size_t *al_batcher_order(const al_batcher *b);
/* The example indices of batch (0-based) in the current epoch, pointing into
 * the batcher; returns how many (batch_size, fewer for the last batch; 0
 * and *indices NULL past the end). */
size_t al_batcher_indices(const al_batcher *b, size_t batch, const size_t **indices);
/* Copies batch's rows into x [batch_size * features] and labels into y
 * [batch_size] (either may be NULL); *rows gets the number copied. */
al_status al_batcher_fill(const al_batcher *b, size_t batch, float *x, int32_t *y, size_t *rows,
                          al_error *err);
/* Copies batch's targets into t [batch_size * target_width]; a dataset
 * without targets copies nothing. */
void al_batcher_fill_targets(const al_batcher *b, size_t batch, float *t);

#ifdef __cplusplus
}
#endif
#endif
