/* Private to the compare runner: its state, shared by compare.c (options,
 * creation, accessors), arms.c, compare_key.c (job keys), job.c (one job in
 * a worker), runner.c (workers, tuning), runner_cluster.c (the jobs shared
 * by MPI ranks), summary.c (statistics) and compare_io.c (job files, JSON,
 * CSV, table). */
#ifndef ACTLAB_STUDY_COMPARE_INTERNAL_H
#define ACTLAB_STUDY_COMPARE_INTERNAL_H

#include <sys/types.h>

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

/* A job's result as text for another rank (allocated; NULL: out of memory):
 * its job file's JSON when it finished or diverged, {"failed": ERROR} when
 * it failed, "" when it did not run. */
char *al_compare_job_text(const al_compare *c, const al_job_spec *j, const al_job_result *r);
/* Reads such a text into r: 1 finished or diverged (the key checked, as a
 * job file's), 0 failed (its error kept) or not run, -1 unreadable. */
int al_compare_job_parse(const al_compare *c, const al_job_spec *j, const char *text, al_job_result *r);

/* Folds n bytes into a 128-bit content hash (compare_key.c). */
void al_compare_hash(uint64_t lanes[2], const void *data, size_t n);

/* ---- the runner's pieces, shared with runner_cluster.c (runner.c) ---- */

/* Worker processes for this process: options.jobs, else the CPUs it may run
 * on, shared among the MPI ranks on this machine unless the launcher bound each rank to its own. */
int al_compare_workers(const al_compare *c);
/* Starts job j in a worker process (one thread: it trains, saves its job
 * file or a .err file with its message, and exits); the pid, or -1 with err. */
pid_t al_compare_fork_job(const al_compare *c, const al_job_spec *j, al_error *err);
/* After j's worker ended with wait status `status`: loads its result into
 * j->result (1), or records why it failed (0). */
int al_compare_job_ended(const al_compare *c, const al_job_spec *j, int status);
/* The job whose worker pid was, in pids[0..total) (its slot cleared), or total when none. */
size_t al_compare_reaped(pid_t *pids, size_t total, pid_t pid);
/* Records j as failed with message. */
void al_compare_job_fail(const al_compare *c, const al_job_spec *j, const char *message);
/* Calls the caller's progress callback (on rank 0 only, unless quiet). */
void al_compare_report(const al_compare *c, const al_progress_event *ev);
/* A JOB_* event for j; JOB_FINISHED and JOB_FAILED take their numbers from j->result. */
al_progress_event al_compare_job_event(const al_compare *c, al_progress_kind kind, const al_job_spec *j,
                                       size_t finished, size_t pending, int rank);
/* The PLAN event of a batch of jobs. */
al_progress_event al_compare_plan_event(const al_compare *c, size_t total, size_t pending, int workers, int tuning);
/* 1 once the caller's should_stop asks to stop. */
int al_compare_stop_requested(const al_compare *c);
/* The error of a run stopped on request with `done` of `total` jobs done. */
al_status al_compare_stopped(const al_compare *c, size_t done, size_t total, int tuning, al_error *err);

/* Runs the jobs todo[0..pending) of specs over the MPI ranks (rank 0 hands
 * them out; every rank calls it in step, and every rank ends with every
 * spec's result filled) (runner_cluster.c). */
al_status al_compare_run_cluster(al_compare *c, al_job_spec *specs, size_t total, const size_t *todo, size_t pending,
                                 int tuning, al_error *err);

#endif
