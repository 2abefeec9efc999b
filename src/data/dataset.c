/* The dataset container: its accessors, labels, targets and class names,
 * and building one from arrays (shared by the IDX and NPY loaders so both
 * convert alike). Splits and standardisation are in split.c, batches in
 * batcher.c. */
#include "actlab/data.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "data/convert.h"
#include "data/dataset_internal.h"

al_status al_dataset_alloc(const char *name, size_t count, int feature_rank, const size_t *feature_shape,
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
    return al_dataset_alloc(name, count, feature_rank, feature_shape, 0, out, err);
}

static void free_class_names(al_dataset *ds)
{
    for (int k = 0; k < ds->n_class_names; k++)
        free(ds->class_names[k]);
    free(ds->class_names);
    ds->class_names = NULL;
    ds->n_class_names = 0;
}

void al_dataset_free(al_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->bytes);
    free(atomic_load(&ds->floats));
    free(ds->y);
    free(ds->targets);
    free_class_names(ds);
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
/* a dataset built by hand without targets is a classification one, as
 * before targets existed; its labels are checked where they are used */
int al_dataset_has_labels(const al_dataset *ds) { return ds->has_labels || (!ds->targets && !ds->no_labels); }

void al_dataset_set_no_labels(al_dataset *ds)
{
    ds->has_labels = 0;
    ds->no_labels = 1;
    ds->n_classes = 0;
}
const float *al_dataset_targets(const al_dataset *ds) { return ds->targets; }
size_t al_dataset_target_width(const al_dataset *ds) { return ds->targets ? ds->target_width : 0; }
int al_dataset_class_name_count(const al_dataset *ds) { return ds->n_class_names; }

const char *al_dataset_class_name(const al_dataset *ds, int k)
{
    return k >= 0 && k < ds->n_class_names ? ds->class_names[k] : NULL;
}

int al_dataset_classes_present(const al_dataset *ds)
{
    if (!al_dataset_has_labels(ds) || ds->n_classes <= 0)
        return 0;
    unsigned char *seen = calloc((size_t)ds->n_classes, 1);
    int present = 0;
    if (!seen)
        return ds->n_classes; /* cannot count: claim all, so no warning is made up */
    for (size_t i = 0; i < ds->count; i++)
        if (!seen[ds->y[i]]) {
            seen[ds->y[i]] = 1;
            present++;
        }
    free(seen);
    return present;
}

al_status al_dataset_set_targets(al_dataset *ds, const float *targets, size_t width, al_error *err)
{
    if (width == 0 || ds->count > SIZE_MAX / sizeof(float) / width)
        return al_error_set(err, AL_ERR_INVALID, "targets of '%s': a width of %zu per row is out of range",
                            ds->name, width);
    for (size_t i = 0; i < ds->count * width; i++)
        if (!isfinite(targets[i]))
            return al_error_set(err, AL_ERR_NUMERIC, "targets of '%s': row %zu holds %g: targets must be finite",
                                ds->name, i / width, (double)targets[i]);
    float *t = malloc(ds->count * width * sizeof *t);
    if (!t)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the targets of '%s'", ds->name);
    memcpy(t, targets, ds->count * width * sizeof *t);
    free(ds->targets);
    ds->targets = t;
    ds->target_width = width;
    return AL_OK;
}

al_status al_dataset_set_class_names(al_dataset *ds, const char *const *names, int count, al_error *err)
{
    free_class_names(ds);
    if (count <= 0)
        return AL_OK;
    ds->class_names = calloc((size_t)count, sizeof *ds->class_names);
    for (int k = 0; ds->class_names && k < count; k++) {
        ds->class_names[k] = strdup(names[k] ? names[k] : "");
        if (!ds->class_names[k]) {
            ds->n_class_names = k;
            free_class_names(ds);
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for class names");
        }
    }
    if (!ds->class_names)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for class names");
    ds->n_class_names = count;
    return AL_OK;
}
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
int32_t *al_dataset_y_mut(al_dataset *ds) { return ds->y; }

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
    ds->has_labels = 1;
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
    int real = y->dtype == AL_DTYPE_F32 || y->dtype == AL_DTYPE_F64;
    if (!real && y->rank != 1)
        return al_error_set(err, AL_ERR_SHAPE,
                            "'%s': labels must have 1 dimension ([examples]), not %d", y_label,
                            y->rank);
    if (real && (y->rank < 1 || y->rank > 2 || (y->rank == 2 && y->shape[1] == 0)))
        return al_error_set(err, AL_ERR_SHAPE,
                            "'%s': targets must be [examples] or [examples, outputs], not of rank %d",
                            y_label, y->rank);
    if (!real && y->dtype != AL_DTYPE_U8 && y->dtype != AL_DTYPE_I32 && y->dtype != AL_DTYPE_I64)
        return al_error_set(err, AL_ERR_FORMAT,
                            "'%s': labels must be integers (uint8, int32 or int64) or targets "
                            "float32 or float64, not %s", y_label, dtype_name(y->dtype));
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
    al_status st = al_dataset_alloc(name, x->shape[0], rank, shape, as_bytes, &ds, err);
    if (st != AL_OK)
        return st;
    if (as_bytes)
        memcpy(ds->bytes, x->data, x->count);
    else
        st = convert_features(x, x_label, ds->x, ds->features, err);
    if (st == AL_OK && real) {
        /* regression targets: converted as features are (finite float32) */
        size_t width = y->rank == 2 ? y->shape[1] : 1;
        float *t = malloc(y->count * sizeof *t);
        st = t ? convert_features(y, y_label, t, width, err)
               : al_error_set(err, AL_ERR_NOMEM, "out of memory for the targets of '%s'", y_label);
        if (st == AL_OK)
            st = al_dataset_set_targets(ds, t, width, err);
        free(t);
    } else if (st == AL_OK) {
        st = convert_labels(y, y_label, ds->y, err);
    }
    if (st == AL_OK && !real) {
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

