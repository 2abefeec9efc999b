/* Private to the compare runner: its state, shared by compare.c (options,
 * creation), arms.c, runner.c (workers), summary.c (statistics) and
 * compare_io.c (job files, JSON, CSV, table). */
#ifndef ACTLAB_STUDY_COMPARE_INTERNAL_H
#define ACTLAB_STUDY_COMPARE_INTERNAL_H

#include "actlab/compare.h"

struct al_compare {
    al_compare_options o;
    char *dir;
    al_arm *arms;
    size_t n_arms;
    al_job_result *jobs;      /* n_arms x seeds */
    al_arm_summary *summaries;
};

/* Expands the factors into c->arms (allocated here; c->o must be set);
 * every spec is checked by building it once (arms.c). */
al_status al_compare_build_arms(al_compare *c, const al_compare_factors *f, al_error *err);

/* Fills c->summaries from the loaded job results (summary.c). */
void al_compare_summarize(al_compare *c);

/* The job's file: DIR/jobs/a<arm>-s<seed>.json. */
void al_compare_job_path(const al_compare *c, size_t arm, size_t seed_index, char *buf, size_t size);
/* The text that identifies a job's configuration (a finished file must match it). */
void al_compare_job_key(const al_compare *c, size_t arm, size_t seed_index, char *buf, size_t size);

/* Allocates the per-epoch and per-layer arrays of r (NaN-filled). */
al_status al_job_result_alloc(al_job_result *r, long epochs, int layers, al_error *err);
void al_job_result_free(al_job_result *r);

/* Writes a finished job atomically; reads one back (0 when absent, stale or unreadable). */
al_status al_compare_job_save(const al_compare *c, const al_job_result *r, al_error *err);
int al_compare_job_load(const al_compare *c, size_t arm, size_t seed_index, al_job_result *r);

#endif
