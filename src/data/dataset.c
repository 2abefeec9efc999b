/* The dataset container and what works on whole datasets: building one from
 * arrays (shared by the IDX and NPY loaders so both convert alike),
 * standardisation, the validation split and the seeded batcher. */
#include "actlab/data.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/util.h"
#include "data/convert.h"

struct al_dataset {
    char name[AL_DATASET_NAME_BYTES];
    size_t count, features;
    int feature_rank;
    size_t feature_shape[AL_DATASET_MAX_FEATURE_RANK];
    int n_classes;
    float *x;        /* count * features; NULL when the features are kept as bytes */
    uint8_t *bytes;  /* count * features pixel intensities from a u8 source (feature =
                        byte / 255, converted when rows are read); NULL otherwise */
    _Atomic(float *) floats; /* a byte dataset's float matrix, made on the first
                                al_dataset_x call (the library itself never asks) */
    int32_t *y;      /* count */
};

struct al_batcher {
    const al_dataset *ds;
    size_t batch_size;
    uint64_t seed;
    int no_shuffle;
    size_t *order;  /* count entries, rewritten by each al_batcher_start_epoch */
};

/* A zeroed dataset whose features are floats, or bytes when as_bytes. */
static al_status dataset_alloc(const char *name, size_t count, int feature_rank, const size_t *feature_shape,
                               int as_bytes, al_dataset **out, al_error *err)
{
    *out = NULL;
    if (feature_rank < 1 || feature_rank > AL_DATASET_MAX_FEATURE_RANK || !feature_shape)
        return al_error_set(err, AL_ERR_INVALID,
                            "cannot create dataset '%s': an example must have 1 to %d dimensions, "
                            "not %d", name ? name : "", AL_DATASET_MAX_FEATURE_RANK, feature_rank);
    if (count == 0)
        return al_error_set(err, AL_ERR_INVALID, "cannot create dataset '%s': it has no examples",
                            name ? name : "");
    size_t features = 1;
    for (int i = 0; i < feature_rank; i++) {
        if (feature_shape[i] == 0)
            return al_error_set(err, AL_ERR_INVALID,
                                "cannot create dataset '%s': dimension %d of an example is 0",
                                name ? name : "", i);
        if (feature_shape[i] > SIZE_MAX / features)
            return al_error_set(err, AL_ERR_NOMEM,
                                "cannot create dataset '%s': the example shape overflows",
                                name ? name : "");
        features *= feature_shape[i];
    }
    /* the feature matrix must be addressable as one object */
    if (features > (size_t)PTRDIFF_MAX / sizeof(float) / count)
        return al_error_set(err, AL_ERR_NOMEM,
                            "cannot create dataset '%s': %zu examples of %zu features would need "
                            "%.4g bytes", name ? name : "", count, features,
                            (double)count * (double)features * 4.0);
    size_t item = as_bytes ? 1 : sizeof(float);
    al_status st = al_memory_check((double)count * ((double)features * (double)item + sizeof(int32_t)),
                                   err, "dataset '%s' of %zu examples x %zu features",
                                   name ? name : "", count, features);
    if (st != AL_OK)
        return st;
    al_dataset *ds = calloc(1, sizeof *ds);
    void *x = calloc(count * features, item);
    int32_t *y = calloc(count, sizeof *y);
    if (!ds || !x || !y) {
        free(ds);
        free(x);
        free(y);
        return al_error_set(err, AL_ERR_NOMEM,
                            "out of memory: dataset '%s' of %zu examples x %zu features needs "
                            "%zu bytes", name ? name : "", count, features,
                            count * features * item + count * sizeof(int32_t));
    }
    snprintf(ds->name, sizeof ds->name, "%s", name ? name : "");
    ds->count = count;
    ds->features = features;
    ds->feature_rank = feature_rank;
    memcpy(ds->feature_shape, feature_shape, (size_t)feature_rank * sizeof *feature_shape);
    if (as_bytes)
        ds->bytes = x;
    else
        ds->x = x;
    ds->y = y;
    *out = ds;
    return AL_OK;
}

al_status al_dataset_create(const char *name, size_t count, int feature_rank,
                            const size_t *feature_shape, al_dataset **out, al_error *err)
{
    return dataset_alloc(name, count, feature_rank, feature_shape, 0, out, err);
}

void al_dataset_free(al_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->bytes);
    free(atomic_load(&ds->floats));
    free(ds->y);
    free(ds);
}

const char *al_dataset_name(const al_dataset *ds) { return ds->name; }
size_t al_dataset_count(const al_dataset *ds) { return ds->count; }

void al_dataset_set_name(al_dataset *ds, const char *name)
{
    snprintf(ds->name, sizeof ds->name, "%s", name ? name : "");
}

size_t al_dataset_features(const al_dataset *ds) { return ds->features; }
int al_dataset_classes(const al_dataset *ds) { return ds->n_classes; }
int al_dataset_feature_rank(const al_dataset *ds) { return ds->feature_rank; }
const size_t *al_dataset_feature_shape(const al_dataset *ds) { return ds->feature_shape; }
/* A byte dataset's floats are made once, by whichever caller comes first:
 * each converts into its own buffer, one wins the exchange, the others free
 * theirs. */
const float *al_dataset_x(const al_dataset *ds)
{
    if (ds->x)
        return ds->x;
    al_dataset *cache = (al_dataset *)ds; /* the float view is a cache, not a change */
    float *made = atomic_load(&cache->floats), *expected = NULL;
    if (made)
        return made;
    made = malloc(ds->count * ds->features * sizeof *made);
    if (!made)
        return NULL;
    al_dataset_rows(ds, 0, ds->count, made);
    if (!atomic_compare_exchange_strong(&cache->floats, &expected, made)) {
        free(made);
        return expected;
    }
    return made;
}
const int32_t *al_dataset_y(const al_dataset *ds) { return ds->y; }
float *al_dataset_x_mut(al_dataset *ds) { return ds->x; }
const uint8_t *al_dataset_bytes(const al_dataset *ds) { return ds->bytes; }
int32_t *al_dataset_y_mut(al_dataset *ds) { return ds->y; }

/* One row's features into out, converted from bytes when stored so. */
static inline void read_row(const al_dataset *ds, size_t row, float *out)
{
    size_t f = ds->features;
    if (ds->x)
        memcpy(out, ds->x + row * f, f * sizeof *out);
    else
        al_bytes_to_unit(ds->bytes + row * f, out, f);
}

/* Batches this large are gathered by the team (one row is at least a cache line). */
#define GATHER_TEAM_MIN 32768

/* Rows of a shuffled batch are scattered over the dataset, so each is asked
 * for from memory a few rows ahead of its turn (every cache line of it). */
#define PREFETCH_ROWS 8

static inline void prefetch_row(const al_dataset *ds, size_t row)
{
    size_t bytes = ds->features * (ds->x ? sizeof(float) : 1);
    const char *at = ds->x ? (const char *)(ds->x + row * ds->features) : (const char *)(ds->bytes + row * ds->features);
    for (size_t k = 0; k < bytes; k += 64)
        __builtin_prefetch(at + k);
}

void al_dataset_gather(const al_dataset *ds, const size_t *rows, size_t count, float *out)
{
    size_t f = ds->features;
    int team = count * f >= GATHER_TEAM_MIN ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(team)
    {
        size_t b = count * (size_t)omp_get_thread_num() / (size_t)omp_get_num_threads();
        size_t e = count * (size_t)(omp_get_thread_num() + 1) / (size_t)omp_get_num_threads();
        for (size_t i = b; i < e && i < b + PREFETCH_ROWS; i++)
            prefetch_row(ds, rows[i]);
        for (size_t i = b; i < e; i++) {
            if (i + PREFETCH_ROWS < e)
                prefetch_row(ds, rows[i + PREFETCH_ROWS]);
            read_row(ds, rows[i], out + i * f);
        }
    }
}

void al_dataset_rows(const al_dataset *ds, size_t first, size_t count, float *out)
{
    size_t f = ds->features;
    if (ds->x) {
        memcpy(out, ds->x + first * f, count * f * sizeof *out);
        return;
    }
    int team = count * f >= GATHER_TEAM_MIN ? omp_get_max_threads() : 1;
#pragma omp parallel for num_threads(team) schedule(static)
    for (size_t i = 0; i < count; i++)
        read_row(ds, first + i, out + i * f);
}

al_status al_dataset_check_labels(al_dataset *ds, int n_classes, al_error *err)
{
    if (n_classes < 0 || n_classes > AL_DATASET_MAX_CLASSES)
        return al_error_set(err, AL_ERR_INVALID, "n_classes %d is out of range: 1 to %d, or 0 to "
                            "count the labels", n_classes, AL_DATASET_MAX_CLASSES);
    int32_t largest = 0;
    for (size_t i = 0; i < ds->count; i++) {
        int32_t label = ds->y[i];
        if (label < 0)
            return al_error_set(err, AL_ERR_FORMAT, "label %d at row %zu is negative", (int)label,
                                i);
        if (n_classes > 0 && label >= n_classes)
            return al_error_set(err, AL_ERR_FORMAT,
                                "label %d at row %zu is not below n_classes %d", (int)label, i,
                                n_classes);
        if (label >= AL_DATASET_MAX_CLASSES)
            return al_error_set(err, AL_ERR_FORMAT,
                                "label %d at row %zu: more than the %d classes actlab allows "
                                "(is this column really a class index?)", (int)label, i,
                                AL_DATASET_MAX_CLASSES);
        if (label > largest)
            largest = label;
    }
    ds->n_classes = n_classes > 0 ? n_classes : (int)largest + 1;
    return AL_OK;
}

static const char *dtype_name(al_dtype dtype)
{
    switch (dtype) {
    case AL_DTYPE_F32: return "float32";
    case AL_DTYPE_F64: return "float64";
    case AL_DTYPE_I32: return "int32";
    case AL_DTYPE_I64: return "int64";
    case AL_DTYPE_U8: return "uint8";
    }
    return "unknown";
}

/* Converts x's data into the dataset's float matrix; u8 is pixel intensity,
 * scaled to [0, 1], everything else keeps its value. Non-finite values (and
 * float64 values beyond float32's range) are refused: one NaN poisons a
 * whole training run, so it is better caught at the file. */
static al_status convert_features(const al_array *x, const char *x_label, float *dst,
                                  size_t features, al_error *err)
{
    size_t n = x->count;
    const void *src = x->data;
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (x->dtype) {
        case AL_DTYPE_U8: v = ((const uint8_t *)src)[i] / 255.0; break;
        case AL_DTYPE_F32: v = ((const float *)src)[i]; break;
        case AL_DTYPE_F64: v = ((const double *)src)[i]; break;
        case AL_DTYPE_I32: v = ((const int32_t *)src)[i]; break;
        case AL_DTYPE_I64: v = (double)((const int64_t *)src)[i]; break;
        default: v = NAN; break;
        }
        float f = (float)v;
        if (!isfinite(f))
            return al_error_set(err, AL_ERR_NUMERIC,
                                "'%s': row %zu, feature %zu is %g: features must be finite "
                                "float32 values", x_label, i / features, i % features, v);
        dst[i] = f;
    }
    return AL_OK;
}

/* Copies integer labels into int32, refusing what cannot be a class index. */
static al_status convert_labels(const al_array *y, const char *y_label, int32_t *dst,
                                al_error *err)
{
    for (size_t i = 0; i < y->count; i++) {
        int64_t v;
        switch (y->dtype) {
        case AL_DTYPE_U8: v = ((const uint8_t *)y->data)[i]; break;
        case AL_DTYPE_I32: v = ((const int32_t *)y->data)[i]; break;
        case AL_DTYPE_I64: v = ((const int64_t *)y->data)[i]; break;
        default: v = -1; break;
        }
        if (v < 0)
            return al_error_set(err, AL_ERR_FORMAT, "'%s': label %lld at row %zu is negative",
                                y_label, (long long)v, i);
        if (v >= AL_DATASET_MAX_CLASSES)
            return al_error_set(err, AL_ERR_FORMAT,
                                "'%s': label %lld at row %zu: more than the %d classes actlab "
                                "allows (are these class indices?)", y_label, (long long)v, i,
                                AL_DATASET_MAX_CLASSES);
        dst[i] = (int32_t)v;
    }
    return AL_OK;
}

al_status al_dataset_from_arrays(const char *name, const al_array *x, const char *x_label,
                                 const al_array *y, const char *y_label, int n_classes,
                                 al_dataset **out, al_error *err)
{
    *out = NULL;
    if (x->rank < 2 || x->rank > AL_DATASET_MAX_FEATURE_RANK + 1)
        return al_error_set(err, AL_ERR_SHAPE,
                            "'%s': features must have 2 to %d dimensions ([examples, ...]), "
                            "not %d", x_label, AL_DATASET_MAX_FEATURE_RANK + 1, x->rank);
    if (y->rank != 1)
        return al_error_set(err, AL_ERR_SHAPE,
                            "'%s': labels must have 1 dimension ([examples]), not %d", y_label,
                            y->rank);
    if (y->dtype != AL_DTYPE_U8 && y->dtype != AL_DTYPE_I32 && y->dtype != AL_DTYPE_I64)
        return al_error_set(err, AL_ERR_FORMAT,
                            "'%s': labels must be integers (uint8, int32 or int64), not %s",
                            y_label, dtype_name(y->dtype));
    if (x->shape[0] != y->shape[0])
        return al_error_set(err, AL_ERR_SHAPE,
                            "'%s' has %zu examples but '%s' has %zu labels: the counts must match",
                            x_label, x->shape[0], y_label, y->shape[0]);
    if (x->shape[0] == 0)
        return al_error_set(err, AL_ERR_FORMAT, "'%s' holds no examples", x_label);
    size_t shape[AL_DATASET_MAX_FEATURE_RANK];
    int rank = 0;
    /* [N, H, W] is a stack of grey images; conv layers want [C, H, W] */
    if (x->rank == 3)
        shape[rank++] = 1;
    for (int i = 1; i < x->rank; i++)
        shape[rank++] = x->shape[i];
    for (int i = 0; i < rank; i++)
        if (shape[i] == 0)
            return al_error_set(err, AL_ERR_FORMAT, "'%s': examples have no features (a 0 "
                                "dimension)", x_label);
    /* u8 features (images) stay bytes; rows are converted when read */
    al_dataset *ds;
    int as_bytes = x->dtype == AL_DTYPE_U8;
    al_status st = dataset_alloc(name, x->shape[0], rank, shape, as_bytes, &ds, err);
    if (st != AL_OK)
        return st;
    if (as_bytes)
        memcpy(ds->bytes, x->data, x->count);
    else
        st = convert_features(x, x_label, ds->x, ds->features, err);
    if (st == AL_OK)
        st = convert_labels(y, y_label, ds->y, err);
    if (st == AL_OK) {
        st = al_dataset_check_labels(ds, n_classes, err);
        if (st != AL_OK)
            al_error_prefix(err, "'%s': ", y_label);
    }
    if (st != AL_OK) {
        al_dataset_free(ds);
        return st;
    }
    *out = ds;
    return AL_OK;
}

/* The file name without its folders, for dataset names. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

al_status al_dataset_load_npy(const char *x_path, const char *y_path, int n_classes,
                              al_dataset **out, al_error *err)
{
    *out = NULL;
    al_array x = {0}, y = {0};
    al_status st = al_npy_read(x_path, &x, err);
    if (st != AL_OK)
        return st;
    if (x.dtype != AL_DTYPE_F32 && x.dtype != AL_DTYPE_F64 && x.dtype != AL_DTYPE_U8) {
        st = al_error_set(err, AL_ERR_FORMAT,
                          "'%s': features must be float32, float64 or uint8 (scaled to [0, 1]), "
                          "not %s; convert with x.astype('float32')", x_path,
                          dtype_name(x.dtype));
        al_array_free(&x);
        return st;
    }
    st = al_npy_read(y_path, &y, err);
    if (st == AL_OK)
        st = al_dataset_from_arrays(base_name(x_path), &x, x_path, &y, y_path, n_classes, out,
                                    err);
    al_array_free(&x);
    al_array_free(&y);
    return st;
}

/* Feature i of the matrix, whichever way it is stored. */
static inline float feature(const al_dataset *ds, size_t i)
{
    return ds->x ? ds->x[i] : (float)ds->bytes[i] / 255.0f;
}

al_status al_feature_stats_compute(const al_dataset *ds, al_standardize_mode mode,
                                   al_feature_stats *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    if (mode != AL_STANDARDIZE_PER_FEATURE && mode != AL_STANDARDIZE_GLOBAL)
        return al_error_set(err, AL_ERR_INVALID, "unknown standardisation mode %d", (int)mode);
    size_t f = ds->features, length = mode == AL_STANDARDIZE_GLOBAL ? 1 : f;
    /* float64 sums: 60000 rows of float32 would lose digits */
    double *sum = calloc(length, sizeof *sum), *sq = calloc(length, sizeof *sq);
    float *mean = malloc(length * sizeof *mean), *std = malloc(length * sizeof *std);
    if (!sum || !sq || !mean || !std) {
        free(sum);
        free(sq);
        free(mean);
        free(std);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory computing the stats of '%s'",
                            ds->name);
    }
    /* two passes (mean, then squared deviations): one-pass sums of squares
     * cancel badly when the mean is large against the spread */
    for (size_t i = 0; i < ds->count; i++)
        for (size_t j = 0; j < f; j++)
            sum[length == 1 ? 0 : j] += feature(ds, i * f + j);
    double per = mode == AL_STANDARDIZE_GLOBAL ? (double)ds->count * (double)f : (double)ds->count;
    for (size_t k = 0; k < length; k++)
        sum[k] /= per;
    for (size_t i = 0; i < ds->count; i++)
        for (size_t j = 0; j < f; j++) {
            size_t k = length == 1 ? 0 : j;
            double d = feature(ds, i * f + j) - sum[k];
            sq[k] += d * d;
        }
    for (size_t k = 0; k < length; k++) {
        double sd = sqrt(sq[k] / per);
        mean[k] = (float)sum[k];
        /* a constant feature (an image's always-black border) carries no
         * information; dividing by 1 keeps it constant instead of NaN */
        std[k] = sd > 1e-12 ? (float)sd : 1.0f;
    }
    free(sum);
    free(sq);
    out->mode = mode;
    out->features = f;
    out->length = length;
    out->mean = mean;
    out->std = std;
    return AL_OK;
}

void al_feature_stats_free(al_feature_stats *stats)
{
    if (!stats)
        return;
    free(stats->mean);
    free(stats->std);
    memset(stats, 0, sizeof *stats);
}

al_status al_dataset_standardize(al_dataset *ds, const al_feature_stats *stats, al_error *err)
{
    if (!stats->mean || !stats->std || stats->length == 0)
        return al_error_set(err, AL_ERR_INVALID, "standardising '%s': the stats are empty",
                            ds->name);
    if (stats->features != ds->features ||
        (stats->length != 1 && stats->length != ds->features))
        return al_error_set(err, AL_ERR_SHAPE,
                            "standardising '%s': the stats are for %zu features but it has %zu",
                            ds->name, stats->features, ds->features);
    size_t f = ds->features;
    if (!ds->x) {
        /* standardised values are no longer bytes: the floats replace them */
        float *x = malloc(ds->count * f * sizeof *x);
        if (!x)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory standardising '%s' (%zu floats)", ds->name,
                                ds->count * f);
        al_dataset_rows(ds, 0, ds->count, x);
        free(ds->bytes);
        free(atomic_exchange(&ds->floats, NULL));
        ds->bytes = NULL;
        ds->x = x;
    }
    for (size_t i = 0; i < ds->count; i++)
        for (size_t j = 0; j < f; j++) {
            size_t k = stats->length == 1 ? 0 : j;
            ds->x[i * f + j] = (ds->x[i * f + j] - stats->mean[k]) / stats->std[k];
        }
    return AL_OK;
}

/* Fisher-Yates over 0..n-1 from the identity, so the result depends only on
 * the generator's state, never on an earlier order. */
static void shuffle_identity(size_t *order, size_t n, al_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)al_rng_below(rng, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

static void copy_row(const al_dataset *from, size_t row, al_dataset *to, size_t at)
{
    size_t f = from->features;
    if (from->x)
        memcpy(to->x + at * f, from->x + row * f, f * sizeof(float));
    else
        memcpy(to->bytes + at * f, from->bytes + row * f, f);
    to->y[at] = from->y[row];
}

al_status al_dataset_split(const al_dataset *ds, size_t validation_count, al_split_mode mode,
                           uint64_t seed, al_dataset **train, al_dataset **validation,
                           al_error *err)
{
    *train = NULL;
    *validation = NULL;
    if (validation_count == 0 || validation_count >= ds->count)
        return al_error_set(err, AL_ERR_INVALID,
                            "cannot hold out %zu of the %zu examples of '%s': the validation set "
                            "needs 1 to %zu", validation_count, ds->count, ds->name,
                            ds->count - 1);
    if (mode != AL_SPLIT_LAST && mode != AL_SPLIT_RANDOM)
        return al_error_set(err, AL_ERR_INVALID, "unknown split mode %d", (int)mode);
    /* held[i] says whether row i goes to validation */
    unsigned char *held = calloc(ds->count, 1);
    size_t *order = mode == AL_SPLIT_RANDOM ? malloc(ds->count * sizeof *order) : NULL;
    if (!held || (mode == AL_SPLIT_RANDOM && !order)) {
        free(held);
        free(order);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory splitting '%s'", ds->name);
    }
    if (mode == AL_SPLIT_LAST) {
        memset(held + (ds->count - validation_count), 1, validation_count);
    } else {
        al_rng rng;
        al_rng_seed(&rng, seed);
        shuffle_identity(order, ds->count, &rng);
        for (size_t i = 0; i < validation_count; i++)
            held[order[i]] = 1;
    }
    free(order);
    char name[AL_DATASET_NAME_BYTES + 16];
    snprintf(name, sizeof name, "%s/train", ds->name);
    int as_bytes = ds->x == NULL;
    al_status st = dataset_alloc(name, ds->count - validation_count, ds->feature_rank, ds->feature_shape,
                                 as_bytes, train, err);
    if (st == AL_OK) {
        snprintf(name, sizeof name, "%s/validation", ds->name);
        st = dataset_alloc(name, validation_count, ds->feature_rank, ds->feature_shape, as_bytes, validation,
                           err);
    }
    if (st != AL_OK) {
        free(held);
        al_dataset_free(*train);
        *train = NULL;
        return st;
    }
    size_t t = 0, v = 0;
    for (size_t i = 0; i < ds->count; i++) {
        if (held[i])
            copy_row(ds, i, *validation, v++);
        else
            copy_row(ds, i, *train, t++);
    }
    free(held);
    /* both parts keep the whole set's class count: a class missing from the
     * validation rows is still a class the net must output */
    (*train)->n_classes = ds->n_classes;
    (*validation)->n_classes = ds->n_classes;
    return AL_OK;
}

al_batcher_options al_batcher_options_default(void)
{
    al_batcher_options o = {32, 0, 0};
    return o;
}

al_status al_batcher_create(const al_dataset *ds, const al_batcher_options *options,
                            al_batcher **out, al_error *err)
{
    *out = NULL;
    if (options->batch_size == 0)
        return al_error_set(err, AL_ERR_INVALID, "batch size must be at least 1");
    al_batcher *b = calloc(1, sizeof *b);
    size_t *order = malloc(ds->count * sizeof *order);
    if (!b || !order) {
        free(b);
        free(order);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory: a batcher over %zu examples",
                            ds->count);
    }
    b->ds = ds;
    b->batch_size = options->batch_size;
    b->seed = options->seed;
    b->no_shuffle = options->no_shuffle;
    b->order = order;
    al_batcher_start_epoch(b, 0);
    *out = b;
    return AL_OK;
}

void al_batcher_free(al_batcher *b)
{
    if (!b)
        return;
    free(b->order);
    free(b);
}

void al_batcher_start_epoch(al_batcher *b, uint64_t epoch)
{
    size_t n = b->ds->count;
    if (b->no_shuffle) {
        for (size_t i = 0; i < n; i++)
            b->order[i] = i;
        return;
    }
    /* a fresh generator per epoch, keyed by (seed, epoch) through two mixes
     * so that neighbouring seeds and epochs give unrelated streams */
    al_rng rng;
    al_rng_seed(&rng, al_mix64(b->seed) ^ al_mix64(epoch ^ 0x5851f42d4c957f2dULL));
    shuffle_identity(b->order, n, &rng);
}

size_t al_batcher_batch_count(const al_batcher *b)
{
    return (b->ds->count + b->batch_size - 1) / b->batch_size;
}

const size_t *al_batcher_order(const al_batcher *b) { return b->order; }

size_t al_batcher_indices(const al_batcher *b, size_t batch, const size_t **indices)
{
    size_t n = b->ds->count;
    if (batch >= al_batcher_batch_count(b)) {
        *indices = NULL;
        return 0;
    }
    size_t start = batch * b->batch_size;
    *indices = b->order + start;
    return n - start < b->batch_size ? n - start : b->batch_size;
}

al_status al_batcher_fill(const al_batcher *b, size_t batch, float *x, int32_t *y, size_t *rows,
                          al_error *err)
{
    const size_t *idx;
    size_t n = al_batcher_indices(b, batch, &idx);
    *rows = n;
    if (n == 0)
        return al_error_set(err, AL_ERR_INVALID, "batch %zu is past the end: an epoch has %zu",
                            batch, al_batcher_batch_count(b));
    if (x)
        al_dataset_gather(b->ds, idx, n, x);
    for (size_t i = 0; y && i < n; i++)
        y[i] = b->ds->y[idx[i]];
    return AL_OK;
}
