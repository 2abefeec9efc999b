/* What works on whole datasets: feature statistics and standardisation
 * (computed on one set, applied to others), and held-out splits (tail,
 * random, stratified) that keep file order within each part. */
#include "actlab/data.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "data/dataset_internal.h"

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
            sum[length == 1 ? 0 : j] += al_dataset_feature(ds, i * f + j);
    double per = mode == AL_STANDARDIZE_GLOBAL ? (double)ds->count * (double)f : (double)ds->count;
    for (size_t k = 0; k < length; k++)
        sum[k] /= per;
    for (size_t i = 0; i < ds->count; i++)
        for (size_t j = 0; j < f; j++) {
            size_t k = length == 1 ? 0 : j;
            double d = al_dataset_feature(ds, i * f + j) - sum[k];
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

void al_shuffle_identity(size_t *order, size_t n, al_rng *rng)
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
    if (from->targets)
        memcpy(to->targets + at * from->target_width, from->targets + row * from->target_width,
               from->target_width * sizeof(float));
}

al_status al_split_mode_parse(const char *name, al_split_mode *out, al_error *err)
{
    if (strcmp(name, "tail") == 0 || strcmp(name, "last") == 0)
        *out = AL_SPLIT_LAST;
    else if (strcmp(name, "random") == 0)
        *out = AL_SPLIT_RANDOM;
    else if (strcmp(name, "stratified") == 0)
        *out = AL_SPLIT_STRATIFIED;
    else
        return al_error_set(err, AL_ERR_INVALID, "unknown split '%s': random, stratified or tail", name);
    return AL_OK;
}

const char *al_split_mode_name(al_split_mode mode)
{
    switch (mode) {
    case AL_SPLIT_LAST: return "tail";
    case AL_SPLIT_RANDOM: return "random";
    case AL_SPLIT_STRATIFIED: return "stratified";
    }
    return "?";
}

size_t al_split_count(size_t count, double fraction)
{
    if (count < 2 || !(fraction > 0))
        return 0;
    double k = floor(fraction * (double)count + 0.5);
    if (k < 1)
        k = 1;
    if (k > (double)(count - 1))
        k = (double)(count - 1);
    return (size_t)k;
}

/* Marks in held the rows of a stratified split: each class holds out its
 * share of k (floor of k * n_c / N, the rows left over going to the
 * largest remainders, ties to the lower class), taking its rows in the
 * order of one seeded shuffle of the whole set. */
static al_status mark_stratified(const al_dataset *ds, size_t k, const size_t *order, unsigned char *held,
                                 al_error *err)
{
    /* the classes from the labels themselves: a dataset built by hand may not have counted them */
    int32_t largest = 0;
    for (size_t i = 0; i < ds->count; i++)
        if (ds->y[i] < 0)
            return al_error_set(err, AL_ERR_INVALID, "a stratified split of '%s': label %d at row %zu is negative",
                                ds->name, (int)ds->y[i], i);
        else if (ds->y[i] > largest)
            largest = ds->y[i];
    size_t C = (size_t)largest + 1, *per = calloc(C, sizeof *per), *quota = calloc(C, sizeof *quota);
    double *rest = calloc(C, sizeof *rest);
    if (!per || !quota || !rest) {
        free(per);
        free(quota);
        free(rest);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory splitting '%s'", ds->name);
    }
    for (size_t i = 0; i < ds->count; i++)
        per[ds->y[i]]++;
    size_t given = 0;
    for (size_t c = 0; c < C; c++) {
        double share = (double)k * (double)per[c] / (double)ds->count;
        quota[c] = (size_t)floor(share);
        rest[c] = share - (double)quota[c];
        given += quota[c];
    }
    for (; given < k; given++) {
        size_t best = C;
        for (size_t c = 0; c < C; c++)
            if (quota[c] < per[c] && (best == C || rest[c] > rest[best]))
                best = c;
        quota[best]++;
        rest[best] = -1;
    }
    for (size_t i = 0; i < ds->count; i++) {
        size_t row = order[i], c = (size_t)ds->y[row];
        if (quota[c] > 0) {
            held[row] = 1;
            quota[c]--;
        }
    }
    free(per);
    free(quota);
    free(rest);
    return AL_OK;
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
    if (mode != AL_SPLIT_LAST && mode != AL_SPLIT_RANDOM && mode != AL_SPLIT_STRATIFIED)
        return al_error_set(err, AL_ERR_INVALID, "unknown split mode %d", (int)mode);
    if (mode == AL_SPLIT_STRATIFIED && !al_dataset_has_labels(ds))
        return al_error_set(err, AL_ERR_INVALID, "a stratified split of '%s' needs class labels, and its "
                            "label column holds real numbers: use a random split", ds->name);
    /* held[i] says whether row i goes to validation */
    unsigned char *held = calloc(ds->count, 1);
    size_t *order = mode != AL_SPLIT_LAST ? malloc(ds->count * sizeof *order) : NULL;
    if (!held || (mode != AL_SPLIT_LAST && !order)) {
        free(held);
        free(order);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory splitting '%s'", ds->name);
    }
    al_status st = AL_OK;
    if (mode == AL_SPLIT_LAST) {
        memset(held + (ds->count - validation_count), 1, validation_count);
    } else {
        al_rng rng;
        al_rng_seed(&rng, seed);
        al_shuffle_identity(order, ds->count, &rng);
        if (mode == AL_SPLIT_RANDOM)
            for (size_t i = 0; i < validation_count; i++)
                held[order[i]] = 1;
        else
            st = mark_stratified(ds, validation_count, order, held, err);
    }
    free(order);
    if (st != AL_OK) {
        free(held);
        return st;
    }
    char name[AL_DATASET_NAME_BYTES + 16];
    snprintf(name, sizeof name, "%s/train", ds->name);
    int as_bytes = ds->x == NULL;
    st = al_dataset_alloc(name, ds->count - validation_count, ds->feature_rank, ds->feature_shape, as_bytes,
                          train, err);
    if (st == AL_OK) {
        snprintf(name, sizeof name, "%s/validation", ds->name);
        st = al_dataset_alloc(name, validation_count, ds->feature_rank, ds->feature_shape, as_bytes,
                              validation, err);
    }
    /* both parts keep the whole set's classes, names and targets: a class
     * missing from the validation rows is still a class the net must output */
    al_dataset *parts[2] = {*train, *validation};
    for (int p = 0; st == AL_OK && p < 2; p++) {
        parts[p]->n_classes = ds->n_classes;
        parts[p]->has_labels = ds->has_labels;  /* the parts keep ds's targets, so the same rule holds */
        parts[p]->no_labels = ds->no_labels;
        st = al_dataset_set_class_names(parts[p], (const char *const *)ds->class_names, ds->n_class_names, err);
        if (st == AL_OK && ds->targets) {
            parts[p]->targets = calloc(parts[p]->count * ds->target_width, sizeof(float));
            parts[p]->target_width = ds->target_width;
            if (!parts[p]->targets)
                st = al_error_set(err, AL_ERR_NOMEM, "out of memory splitting '%s'", ds->name);
        }
    }
    if (st != AL_OK) {
        free(held);
        al_dataset_free(*train);
        al_dataset_free(*validation);
        *train = *validation = NULL;
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
    return AL_OK;
}

