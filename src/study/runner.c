/* The compare runner: the models checked against the data, the learning
 * rates tuned on a validation split when asked, then the final runs; one
 * worker process per job (the data are shared copy-on-write after fork, and
 * each job is deterministic whatever the schedule because it depends only on
 * its arm, seed and learning rate). Each worker saves its result file
 * (compare_io.c) or a .err file with its message; the parent reports
 * progress through the caller's callback and stops starting jobs when the
 * caller's should_stop says so. With MPI ranks, runner_cluster.c shares the
 * jobs out and this file's pieces run them on each rank. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "actlab/cluster.h"
#include "actlab/util.h"
#include "study/compare_internal.h"
#include "study/cluster_internal.h"


/* Where a failed job's message goes: its result file's name + ".err". */
static void job_error_path(const al_compare *c, const al_job_spec *j, char *buf, size_t size)
{
    al_compare_job_path(c, j, buf, size - 4);
    strcat(buf, ".err");
}

/* The child: one thread, run, save, exit. Errors go to the job's .err file. */
static void worker(const al_compare *c, const al_job_spec *j)
{
    omp_set_num_threads(1);
    al_job_result r;
    memset(&r, 0, sizeof r);
    al_error err = {0};
    al_status st = al_compare_run_job(c, j, &r, &err);
    if (st == AL_OK)
        st = al_compare_job_save(c, j, &r, &err);
    if (st != AL_OK) {
        char path[4200];
        job_error_path(c, j, path, sizeof path);
        al_file_write_atomic(path, err.message, strlen(err.message), NULL);
    }
    al_job_result_free(&r);
    _exit(st == AL_OK ? 0 : 1);
}

pid_t al_compare_fork_job(const al_compare *c, const al_job_spec *j, al_error *err)
{
    fflush(NULL); /* nothing buffered is written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        al_error_set(err, AL_ERR_IO, "cannot start a worker process: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (c->o.cluster) {
            /* the rank's SIGTERM handler (a message when the launcher stops the job) is the rank's */
            signal(SIGTERM, SIG_DFL);
#ifdef __linux__
            /* an MPI rank's workers end with it: when the rank is killed its jobs go to others or to a
             * re-run, and no process outlives the MPI job */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
#endif
        }
        worker(c, j);
    }
    (void)parent;
    return pid;
}

size_t al_compare_reaped(pid_t *pids, size_t total, pid_t pid)
{
    size_t k = 0;
    while (k < total && pids[k] != pid)
        k++;
    if (k < total)
        pids[k] = 0;
    return k;
}

void al_compare_job_fail(const al_compare *c, const al_job_spec *j, const char *message)
{
    al_job_result *r = j->result;
    al_job_result_free(r);
    r->arm = j->arm;
    r->seed_index = j->seed_index;
    r->seed = j->seed;
    r->lr = j->lr;
    r->epochs = c->o.epochs;
    snprintf(r->error, sizeof r->error, "%s", message);
}

int al_compare_job_ended(const al_compare *c, const al_job_spec *j, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && al_compare_job_load(c, j, j->result))
        return 1;
    char message[sizeof j->result->error];
    if (WIFSIGNALED(status)) {
        snprintf(message, sizeof message, "the worker was killed by signal %d", WTERMSIG(status));
    } else {
        char path[4200], *text = NULL;
        size_t n = 0;
        job_error_path(c, j, path, sizeof path);
        if (al_file_read_all(path, sizeof message - 1, &text, &n, NULL) == AL_OK && text)
            snprintf(message, sizeof message, "%s", text);
        else
            snprintf(message, sizeof message, "the worker exited with status %d", WEXITSTATUS(status));
        free(text);
    }
    al_compare_job_fail(c, j, message);
    return 0;
}

static al_status make_dirs(const al_compare *c, al_error *err)
{
    char jobs[4200], tune[4200];
    snprintf(jobs, sizeof jobs, "%s/jobs", c->dir);
    snprintf(tune, sizeof tune, "%s/tune", c->dir);
    const char *dirs[3] = {c->dir, jobs, tune};
    for (int i = 0; i < (c->o.n_tune_lrs ? 3 : 2); i++)
        if (mkdir(dirs[i], 0755) != 0 && errno != EEXIST)
            return al_error_set_field(err, AL_ERR_IO, "compare.dir", "cannot create the output directory '%s': "
                                      "%s (choose another)", dirs[i], strerror(errno));
    return AL_OK;
}

int al_compare_workers(const al_compare *c)
{
    if (c->o.jobs > 0)
        return c->o.jobs;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int usable = online > 0 ? (int)online : 1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        usable = CPU_COUNT(&set) < usable ? CPU_COUNT(&set) : usable;
    /* ranks that the launcher did not bind to CPUs of their own share the machine's */
    if (c->o.cluster && al_cluster_size(c->o.cluster) > 1 && usable == online)
        usable /= al_cluster_local_size(c->o.cluster);
    return usable > 0 ? usable : 1;
}

void al_compare_report(const al_compare *c, const al_progress_event *ev)
{
    if (c->o.progress && !c->o.quiet && al_cluster_rank(c->o.cluster) == 0)
        c->o.progress(ev, c->o.progress_context);
}

al_progress_event al_compare_job_event(const al_compare *c, al_progress_kind kind, const al_job_spec *j,
                                       size_t finished, size_t pending, int rank)
{
    al_progress_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.arm = j->arm;
    ev.name = c->arms[j->arm].name;
    ev.seed = j->seed;
    ev.finished = finished;
    ev.pending = pending;
    ev.tuning = j->tuning;
    ev.lr = j->lr;
    ev.rank = rank;
    const al_job_result *r = j->result;
    if (kind == AL_PROGRESS_JOB_FINISHED && r->epochs > 0 && r->test_acc) {
        ev.accuracy = r->test_acc[r->epochs - 1];
        ev.seconds = r->seconds[r->epochs - 1];
    } else if (kind == AL_PROGRESS_JOB_FAILED)
        ev.error = r->error;
    return ev;
}

al_progress_event al_compare_plan_event(const al_compare *c, size_t total, size_t pending, int workers, int tuning)
{
    al_progress_event plan;
    memset(&plan, 0, sizeof plan);
    plan.kind = AL_PROGRESS_PLAN;
    plan.arms = c->n_arms;
    plan.seeds = tuning ? c->o.tune_seeds * c->o.n_tune_lrs : c->o.seeds;
    plan.jobs = total;
    plan.done = total - pending;
    plan.workers = workers;
    plan.ranks = al_cluster_size(c->o.cluster);
    plan.path = c->dir;
    plan.tuning = tuning;
    return plan;
}

int al_compare_stop_requested(const al_compare *c)
{
    return c->o.should_stop && c->o.should_stop(c->o.stop_context);
}

al_status al_compare_stopped(const al_compare *c, size_t done, size_t total, int tuning, al_error *err)
{
    return al_error_set(err, AL_ERR_INTERRUPTED, "stopped on request with %zu of %zu %sjobs done (each saved in "
                        "'%s'); running the same comparison again continues from there", done, total,
                        tuning ? "tuning " : "", c->dir);
}

/* Runs the specs whose results are not already saved, `workers` at a time;
 * every spec's result is filled (loaded, trained, or failed with its error). */
static al_status run_specs(al_compare *c, al_job_spec *specs, size_t total, int tuning, al_error *err)
{
    al_status st = AL_OK;
    size_t pending = 0;
    size_t *todo = malloc((total + 1) * sizeof *todo);
    pid_t *pids = calloc(total + 1, sizeof *pids);
    if (!todo || !pids) {
        free(todo);
        free(pids);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    /* with MPI, rank 0's folder says what is done; the others get every result from it */
    int leader = al_cluster_rank(c->o.cluster) == 0;
    for (size_t j = 0; j < total; j++) {
        al_job_result_free(specs[j].result);
        if (leader && !al_compare_job_load(c, &specs[j], specs[j].result))
            todo[pending++] = j;
    }
    if (al_cluster_size(c->o.cluster) > 1) {
        st = al_compare_run_cluster(c, specs, total, todo, pending, tuning, err);
        free(todo);
        free(pids);
        return st;
    }
    int workers = al_compare_workers(c);
    al_progress_event plan = al_compare_plan_event(c, total, pending, workers, tuning);
    al_compare_report(c, &plan);
    size_t next = 0, running = 0, finished = 0;
    int stopping = 0;
    while (st == AL_OK && ((next < pending && !stopping) || running > 0)) {
        stopping = stopping || al_compare_stop_requested(c);
        while (!stopping && running < (size_t)workers && next < pending) {
            const al_job_spec *j = &specs[todo[next]];
            al_progress_event ev = al_compare_job_event(c, AL_PROGRESS_JOB_STARTED, j, finished, pending, 0);
            al_compare_report(c, &ev);
            pid_t pid = al_compare_fork_job(c, j, err);
            if (pid < 0) {
                st = err ? err->status : AL_ERR_IO;
                break;
            }
            pids[todo[next]] = pid;
            next++;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            st = al_error_set(err, AL_ERR_IO, "waiting for workers: %s", strerror(errno));
            break;
        }
        size_t k = al_compare_reaped(pids, total, done);
        if (k == total)
            continue;
        running--;
        finished++;
        const al_job_spec *j = &specs[k];
        int ok = al_compare_job_ended(c, j, status) && j->result->done;
        al_progress_event ev = al_compare_job_event(c, ok ? AL_PROGRESS_JOB_FINISHED : AL_PROGRESS_JOB_FAILED, j,
                                                    finished, pending, 0);
        al_compare_report(c, &ev);
    }
    /* on an error, wait for the workers still running */
    for (size_t k = 0; k < total; k++)
        if (pids[k] > 0) {
            int status;
            waitpid(pids[k], &status, 0);
        }
    free(todo);
    free(pids);
    if (st == AL_OK && stopping && next < pending)
        st = al_compare_stopped(c, total - pending + finished, total, tuning, err);
    return st;
}

/* Every arm's model against the data, before any worker starts. */
static al_status check_models(const al_compare *c, const al_dataset *train, const al_dataset *test, al_error *err)
{
    size_t features = al_dataset_features(train);
    if (al_dataset_features(test) != features)
        return al_error_set(err, AL_ERR_SHAPE, "the test data '%s' have %zu features per example but the training "
                            "data '%s' have %zu", al_dataset_name(test), al_dataset_features(test),
                            al_dataset_name(train), features);
    int classes = al_dataset_classes(train) > al_dataset_classes(test) ? al_dataset_classes(train)
                                                                       : al_dataset_classes(test);
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        al_net *net = NULL;
        al_status st = al_net_create(c->arms[arm].spec, NULL, &net, err);
        if (st != AL_OK)
            return al_error_prefix(err, "arm '%s': ", c->arms[arm].name), st;
        size_t in = al_net_in_features(net), out = al_net_out_features(net);
        if (in == 0) { /* a convolution first: the data's example shape decides, or is refused */
            st = al_net_fit_data(net, train, "the training data", err);
            in = al_net_in_features(net);
        }
        al_net_free(net);
        if (st != AL_OK)
            return al_error_prefix(err, "arm '%s': ", c->arms[arm].name), st;
        if (in != features)
            return al_error_set_field(err, AL_ERR_SHAPE, "factors.template_spec", "arm '%s': the model takes %zu "
                                      "inputs but the data '%s' have %zu features per example",
                                      c->arms[arm].name, in, al_dataset_name(train), features);
        if (out < (size_t)classes)
            return al_error_set_field(err, AL_ERR_SHAPE, "factors.template_spec", "arm '%s': the model has %zu "
                                      "outputs but the data have %d classes", c->arms[arm].name, out, classes);
    }
    return AL_OK;
}

/* The first error among results (for a comparison where nothing finished). */
static const char *first_error(const al_job_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].error[0])
            return r[i].error;
    return "no job finished";
}

/* Tunes every arm's learning rate on the validation split. */
static al_status tune(al_compare *c, const al_dataset *part, const al_dataset *val, al_error *err)
{
    /* with one shared rate only the baseline arm is tuned */
    size_t L = c->o.n_tune_lrs, T = c->o.tune_seeds, tuned = c->o.tune_shared ? 1 : c->n_arms, total = tuned * L * T;
    al_job_spec *specs = calloc(total, sizeof *specs);
    if (!specs)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < total; i++) {
        al_job_spec *j = &specs[i];
        j->arm = c->o.tune_shared ? c->o.baseline : i / (L * T);
        j->lr_index = i / T % L;
        j->seed_index = i % T;
        j->tuning = 1;
        j->seed = c->o.tune_first_seed + j->seed_index;
        j->lr = c->tune_lrs[j->lr_index];
        j->train = part;
        j->eval = val;
        j->result = &c->tune_jobs[(j->arm * L + j->lr_index) * T + j->seed_index];
    }
    al_status st = run_specs(c, specs, total, 1, err);
    size_t finished = 0, first = 0;
    for (size_t i = 0; st == AL_OK && i < total; i++) {
        finished += specs[i].result->done;
        if (!specs[first].result->error[0])
            first = i;
    }
    if (st == AL_OK && finished == 0)
        st = al_error_set(err, AL_ERR_NUMERIC, "every learning-rate tuning run failed; the first: %s",
                          first_error(specs[first].result, 1));
    free(specs);
    for (size_t arm = 0; st == AL_OK && arm < c->n_arms; arm++)
        for (size_t l = 0; l < L; l++) {
            double sum = 0;
            for (size_t s = 0; s < T; s++)
                sum += al_job_score(&c->tune_jobs[(arm * L + l) * T + s]);
            int tuned_arm = !c->o.tune_shared || arm == c->o.baseline;
            c->tune_scores[arm * L + l] = tuned_arm ? sum / (double)T : NAN;
        }
    for (size_t arm = 0; st == AL_OK && arm < c->n_arms; arm++) {
        size_t from = c->o.tune_shared ? c->o.baseline : arm, best = 0;
        for (size_t l = 1; l < L; l++)
            if (c->tune_scores[from * L + l] > c->tune_scores[from * L + best])
                best = l;
        c->arms[arm].lr = c->tune_lrs[best];
        al_progress_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = AL_PROGRESS_LR_CHOSEN;
        ev.arm = arm;
        ev.name = c->arms[arm].name;
        ev.lr = c->arms[arm].lr;
        ev.accuracy = c->tune_scores[from * L + best];
        ev.tuning = 1;
        al_compare_report(c, &ev);
    }
    return st;
}

al_status al_compare_run(al_compare *c, const al_dataset *train, const al_dataset *test, al_error *err)
{
    if (!test)
        return al_error_set(err, AL_ERR_INVALID, "a comparison needs test data (final accuracy is measured on it)");
    al_status st = check_models(c, train, test, err);
    if (st == AL_OK)
        st = make_dirs(c, err);
    if (st != AL_OK)
        return st;
    al_dataset *part = NULL, *val = NULL;
    const al_dataset *used = train;
    if (c->o.n_tune_lrs > 0) {
        size_t n = al_dataset_count(train);
        size_t rows = c->o.val_count ? c->o.val_count : (size_t)((double)n * c->o.val_fraction + 0.5);
        if (rows < 1 || rows >= n)
            return al_error_set_field(err, AL_ERR_INVALID, "compare.val", "the validation split for tuning would "
                                      "hold %zu of the %zu training rows; it needs at least 1 and leaves at least 1",
                                      rows, n);
        st = al_dataset_split(train, rows, c->o.split_mode, c->o.split_seed, &part, &val, err);
        if (st != AL_OK)
            return st;
        used = part;
        c->val_rows = rows;
        st = al_compare_data_hash(val, c->val_hash, err);
    }
    if (st == AL_OK)
        st = al_compare_data_hash(used, c->train_hash, err);
    if (st == AL_OK)
        st = al_compare_data_hash(test, c->test_hash, err);
    if (st == AL_OK && c->o.n_tune_lrs > 0)
        st = tune(c, part, val, err);
    size_t total = c->n_arms * c->o.seeds;
    al_job_spec *specs = st == AL_OK ? calloc(total, sizeof *specs) : NULL;
    if (st == AL_OK && !specs)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AL_OK && i < total; i++) {
        al_job_spec *j = &specs[i];
        j->arm = i / c->o.seeds;
        j->seed_index = i % c->o.seeds;
        j->seed = c->o.first_seed + j->seed_index;
        j->lr = c->arms[j->arm].lr;
        j->train = used;
        j->eval = test;
        j->result = &c->jobs[i];
    }
    if (st == AL_OK)
        st = run_specs(c, specs, total, 0, err);
    free(specs);
    size_t finished = 0;
    for (size_t i = 0; st == AL_OK && i < total; i++)
        finished += c->jobs[i].done;
    if (st == AL_OK && finished == 0)
        st = al_error_set(err, AL_ERR_NUMERIC, "no run of the comparison trained to the end; the first error: %s",
                          first_error(c->jobs, total));
    al_dataset_free(part);
    al_dataset_free(val);
    if (st == AL_OK)
        al_compare_summarize(c);
    return st;
}
