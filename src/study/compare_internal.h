/* Private to the compare runner: its state, shared by compare.c (options,
 * creation, accessors), arms.c, compare_key.c (job keys), job.c (one job in
 * a worker), runner.c (workers, tuning), summary.c (statistics) and
 * compare_io.c (job files, JSON, CSV, table). */
#ifndef ACTLAB_STUDY_COMPARE_INTERNAL_H
#define ACTLAB_STUDY_COMPARE_INTERNAL_H

#include "actlab/compare.h"

/* Key texts fit here (a spec of a deep model is a few hundred bytes). */
#define AL_COMPARE_KEY_BYTES 16384

struct al_compare {
    al_compare_options o;
    char *dir;
    double *tune_lrs;         /* a copy of o.tune_lrs */
    al_arm *arms;
    size_t n_arms;
    al_job_result *jobs;      /* n_arms x seeds */
    al_job_result *tune_jobs; /* n_arms x n_tune_lrs x tune_seeds (NULL without tuning) */
    double *tune_scores;      /* n_arms x n_tune_lrs: mean validation accuracy */
    al_arm_summary *summaries;
    /* the data of the current run, by content (compare_key.c) */
    char train_hash[33], val_hash[33], test_hash[33];
    size_t val_rows;
};

/* One run for a worker: which arm, seed and learning rate, on which data. */
typedef struct al_job_spec {
    size_t arm, seed_index, lr_index;
    int tuning;
    uint64_t seed;
    double lr;
    const al_dataset *train, *eval;
    al_job_result *result;
} al_job_spec;

/* Expands the factors into c->arms (allocated here; c->o must be set);
 * every spec is checked by building it once (arms.c). */
al_status al_compare_build_arms(al_compare *c, const al_compare_factors *f, al_error *err);

/* Fills c->summaries from the loaded job results (summary.c). */
void al_compare_summarize(al_compare *c);

/* The job's file: DIR/jobs/a<arm>-s<seed>.json, or DIR/tune/a<arm>-l<lr>-s<seed>.json. */
void al_compare_job_path(const al_compare *c, const al_job_spec *j, char *buf, size_t size);

/* Trains one job in this process (job.c): r is allocated and filled; a
 * diverged run returns AL_OK with r->diverged set. */
al_status al_compare_run_job(const al_compare *c, const al_job_spec *j, al_job_result *r, al_error *err);

/* Allocates the per-epoch and per-layer arrays of r (NaN-filled). */
al_status al_job_result_alloc(al_job_result *r, long epochs, int layers, al_error *err);
void al_job_result_free(al_job_result *r);

/* Writes a finished (or diverged) job atomically; reads one back (0 when
 * absent, stale, unreadable, or a failure to retry). */
al_status al_compare_job_save(const al_compare *c, const al_job_spec *j, const al_job_result *r, al_error *err);
int al_compare_job_load(const al_compare *c, const al_job_spec *j, al_job_result *r);

#endif
