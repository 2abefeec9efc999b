/* What identifies a finished job: the one place that lists everything that
 * determines a result. A result file is reused only when its key is the same
 * text. New options that change results (a loss, a schedule, a preprocessing
 * step that does not show in the arrays) are added to job_key below, and the
 * format version is raised when the meaning of a field changes. The data
 * enter by the content of the arrays each job trains and is scored on, so
 * standardisation, subsets, splits and the file read are all covered without
 * naming them; the split's own settings are listed too, for the reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "study/compare_internal.h"

#define KEY_FORMAT "actlab-compare-job 3"

/* One 64-bit lane of the hash: multiply, rotate, xor (a simple, fast mixing
 * of 64-bit words; this is a cache identity, not a defence against an adversary). */
static uint64_t mix(uint64_t h, uint64_t word, uint64_t mul)
{
    h ^= word * mul;
    h = (h << 31) | (h >> 33);
    return h * 0x9E3779B97F4A7C15ULL;
}

void al_compare_hash(uint64_t lanes[2], const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        lanes[0] = mix(lanes[0], w, 0xC2B2AE3D27D4EB4FULL);
        lanes[1] = mix(lanes[1], w ^ (uint64_t)i, 0x165667B19E3779F9ULL);
    }
    uint64_t tail = 0;
    memcpy(&tail, p + i, n - i);
    lanes[0] = mix(lanes[0], tail ^ n, 0xC2B2AE3D27D4EB4FULL);
    lanes[1] = mix(lanes[1], tail + n, 0x165667B19E3779F9ULL);
}

al_status al_compare_data_hash(const al_dataset *ds, char out[33], al_error *err)
{
    uint64_t lanes[2] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL};
    uint64_t head[3] = {al_dataset_count(ds), al_dataset_features(ds), (uint64_t)al_dataset_classes(ds)};
    al_compare_hash(lanes, head, sizeof head);
    al_compare_hash(lanes, al_dataset_feature_shape(ds), (size_t)al_dataset_feature_rank(ds) * sizeof(size_t));
    /* the features as floats, a chunk of rows at a time: a dataset kept as
     * bytes hashes like the same values held as floats, without a float copy
     * of the whole set */
    size_t n = al_dataset_count(ds), f = al_dataset_features(ds);
    size_t chunk = f < (1u << 18) ? (1u << 18) / f : 1;
    float *rows = malloc(chunk * f * sizeof *rows);
    if (!rows)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory hashing '%s'", al_dataset_name(ds));
    for (size_t at = 0; at < n; at += chunk) {
        size_t k = n - at < chunk ? n - at : chunk;
        al_dataset_rows(ds, at, k, rows);
        al_compare_hash(lanes, rows, k * f * sizeof *rows);
    }
    free(rows);
    al_compare_hash(lanes, al_dataset_y(ds), n * sizeof(int32_t));
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)lanes[0], (unsigned long long)lanes[1]);
    return AL_OK;
}

void al_compare_job_key(const al_compare *c, size_t arm, size_t s, int tuning, size_t lr_index, char *buf,
                        size_t size)
{
    const al_arm *a = &c->arms[arm];
    const al_optim_options *o = &c->o.optim;
    double lr = tuning ? c->o.tune_lrs[lr_index] : a->lr;
    uint64_t seed = tuning ? c->o.tune_first_seed + s : c->o.first_seed + s;
    al_buf b = {0};
    al_buf_printf(&b, KEY_FORMAT " | data: trains on %s, scored on %s", c->train_hash,
                  tuning ? c->val_hash : c->test_hash);
    if (c->o.n_tune_lrs > 0) /* the split (already in the hashes; listed for the reader) */
        al_buf_printf(&b, " (validation %zu rows, %s split, seed %llu)", c->val_rows,
                      al_split_mode_name(c->o.split_mode), (unsigned long long)c->o.split_seed);
    al_buf_printf(&b, " | model %s | init %s gain %s | loss cross-entropy | %s lr %.17g momentum %.17g "
                  "dampening %.17g nesterov %d wd %.17g decay_all %d betas %.17g %.17g eps %.17g amsgrad %d "
                  "alpha %.17g centered %d | epochs %ld batch %zu seed %llu | probe %ld unit_stats %d test_at_end %d",
                  a->spec, al_init_scheme_name(a->init), al_gain_rule_name(a->gain), al_optim_kind_name(o->kind), lr,
                  o->momentum, o->dampening, o->nesterov, o->weight_decay, o->decay_all, o->beta1, o->beta2, o->eps,
                  o->amsgrad, o->alpha, o->centered, c->o.epochs, c->o.batch, (unsigned long long)seed,
                  c->o.probe_every, c->o.unit_stats, c->o.test_at_end);
    snprintf(buf, size, "%s", b.data && !b.failed ? b.data : "");
    al_buf_free(&b);
}
