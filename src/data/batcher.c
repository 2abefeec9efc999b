/* Seeded batches over a dataset: the order of epoch e is a function of
 * (seed, e) alone, and nothing is allocated after creation. */
#include "actlab/data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_internal.h"

struct al_batcher {
    const al_dataset *ds;
    size_t batch_size;
    uint64_t seed;
    int no_shuffle;
    size_t *order;  /* count entries, rewritten by each al_batcher_start_epoch */
};

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
    al_shuffle_identity(b->order, n, &rng);
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

void al_batcher_fill_targets(const al_batcher *b, size_t batch, float *t)
{
    const size_t *idx;
    size_t n = al_batcher_indices(b, batch, &idx), w = b->ds->target_width;
    for (size_t i = 0; b->ds->targets && i < n; i++)
        memcpy(t + i * w, b->ds->targets + idx[i] * w, w * sizeof *t);
}
