/* The compare runner: one worker process per job (the data are shared
 * copy-on-write after fork, and each job is deterministic whatever the
 * schedule because it depends only on its arm and seed). Each worker saves
 * its result file (compare_io.c) or a .err file with its message; the parent
 * reports progress through the caller's callback and stops starting jobs
 * when the caller's should_stop says so. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actlab/probe.h"
#include "actlab/train.h"
#include "actlab/util.h"
#include "study/compare_internal.h"

/* ---- one job, in a worker process ---- */

typedef struct job_ctx {
    al_job_result *r;
} job_ctx;

static void on_epoch(const al_train_progress *p, void *context)
{
    job_ctx *j = context;
    if (!p->epoch_end || p->epoch < 1 || p->epoch > j->r->epochs)
        return;
    size_t e = (size_t)p->epoch - 1;
    j->r->train_loss[e] = p->loss;
    j->r->test_loss[e] = p->test_loss;
    j->r->test_acc[e] = p->test_accuracy;
    j->r->seconds[e] = p->seconds;
}

/* Per-epoch and per-layer values from the probe's epoch-end records. */
static void collect(al_job_result *r, const al_probe *probe, const al_net *net)
{
    size_t n;
    const al_probe_record *rec = al_probe_records(probe, &n);
    int L = r->layers;
    for (size_t i = 0; i < n; i++) {
        const al_probe_record *x = &rec[i];
        if (x->layer >= L)
            continue;
        size_t l = (size_t)x->layer;
        if (x->kind == AL_LAYER_ACTIVATION)
            r->preacts_seen[l] = (isnan(r->preacts_seen[l]) ? 0 : r->preacts_seen[l]) + (double)x->kink_seen;
        if (!x->epoch_end || x->epoch < 1 || x->epoch > r->epochs)
            continue;
        size_t at = (size_t)(x->epoch - 1) * (size_t)L + l;
        r->grad_norm[at] = x->grad_out_norm;
        r->weight_grad[at] = x->n_params > 0 ? x->params[0].grad_norm : NAN;
        if (x->kind != AL_LAYER_ACTIVATION)
            continue;
        r->act_mean[at] = x->out_mean;
        r->dead_layer[at] = x->dead;
        r->slope_mean[at] = x->slope_count ? x->slope_mean : NAN;
        if (x->epoch == r->epochs) {
            double total = (double)(x->rows * x->units);
            r->bins = x->bins;
            r->bin_lo = x->bin_lo;
            r->bin_hi = x->bin_hi;
            for (int b = 0; b < x->bins; b++)
                r->hist[l * AL_PROBE_MAX_BINS + (size_t)b] = total > 0 ? (double)x->hist[b] / total : NAN;
            r->deriv_zero[l] = x->deriv_zero;
            r->deriv_one[l] = x->deriv_one;
            r->kink_hits[l] = x->kinks > 0 ? (double)x->kink_hits_total : NAN;
        }
    }
    for (long e = 0; e < r->epochs; e++) {
        double sum = 0;
        int count = 0;
        for (int l = 0; l < L; l++) {
            double d = r->dead_layer[(size_t)e * (size_t)L + (size_t)l];
            if (!isnan(d)) {
                sum += d;
                count++;
            }
        }
        r->dead[e] = count ? sum / count : NAN;
    }
    (void)net;
}

static al_status run_job(const al_compare *c, size_t arm, size_t s, const al_dataset *train,
                         const al_dataset *test, al_job_result *r, al_error *err)
{
    const al_arm *a = &c->arms[arm];
    al_net_options no = al_net_options_default();
    no.init = a->init;
    no.seed = c->o.first_seed + s;
    no.threads = 1;
    al_net *net = NULL;
    al_probe *probe = NULL;
    al_status st = al_net_create(a->spec, &no, &net, err);
    if (st == AL_OK)
        st = al_job_result_alloc(r, c->o.epochs, al_net_layer_count(net), err);
    r->arm = arm;
    r->seed_index = s;
    r->seed = no.seed;
    al_probe_options po = al_probe_options_default();
    po.every = c->o.probe_every > 0 ? c->o.probe_every : 1000000000L;
    if (st == AL_OK)
        st = al_probe_create(net, &po, &probe, err);
    if (st == AL_OK) {
        al_train_options o = al_train_options_default();
        o.batch = c->o.batch;
        o.epochs = c->o.epochs;
        o.optim = c->o.optim;
        o.optim.lr = a->lr;
        o.seed = no.seed;
        o.probe = probe;
        job_ctx j = {r};
        st = al_train(net, train, test, &o, on_epoch, &j, NULL, err);
    }
    if (st == AL_OK) {
        collect(r, probe, net);
        r->done = 1;
    }
    al_probe_free(probe);
    al_net_free(net);
    return st;
}

/* Where a failed job's message goes: its result file's name + ".err". */
static void job_error_path(const al_compare *c, size_t arm, size_t s, char *buf, size_t size)
{
    al_compare_job_path(c, arm, s, buf, size - 4);
    strcat(buf, ".err");
}

/* The child: one thread, run, save, exit. Errors go to DIR/jobs/...err. */
static void worker(const al_compare *c, size_t arm, size_t s, const al_dataset *train, const al_dataset *test)
{
    omp_set_num_threads(1);
    al_job_result r;
    memset(&r, 0, sizeof r);
    al_error err = {0};
    al_status st = run_job(c, arm, s, train, test, &r, &err);
    if (st == AL_OK)
        st = al_compare_job_save(c, &r, &err);
    if (st != AL_OK) {
        char path[4200];
        job_error_path(c, arm, s, path, sizeof path);
        al_file_write_atomic(path, err.message, strlen(err.message), NULL);
    }
    al_job_result_free(&r);
    _exit(st == AL_OK ? 0 : 1);
}

static void job_failed(const al_compare *c, al_job_result *r, size_t arm, size_t s, int status)
{
    r->arm = arm;
    r->seed_index = s;
    r->seed = c->o.first_seed + s;
    r->done = 0;
    if (WIFSIGNALED(status)) {
        snprintf(r->error, sizeof r->error, "the worker was killed by signal %d", WTERMSIG(status));
        return;
    }
    char path[4200], *text = NULL;
    size_t n = 0;
    job_error_path(c, arm, s, path, sizeof path);
    if (al_file_read_all(path, sizeof r->error - 1, &text, &n, NULL) == AL_OK && text) {
        snprintf(r->error, sizeof r->error, "%s", text);
        free(text);
    } else
        snprintf(r->error, sizeof r->error, "the worker exited with status %d", WEXITSTATUS(status));
}

static al_status make_dirs(const al_compare *c, al_error *err)
{
    char jobs[4200];
    snprintf(jobs, sizeof jobs, "%s/jobs", c->dir);
    const char *dirs[2] = {c->dir, jobs};
    for (int i = 0; i < 2; i++)
        if (mkdir(dirs[i], 0755) != 0 && errno != EEXIST)
            return al_error_set_field(err, AL_ERR_IO, "compare.dir", "cannot create the output directory '%s': "
                                      "%s (choose another)", dirs[i], strerror(errno));
    return AL_OK;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void report(const al_compare *c, const al_progress_event *ev)
{
    if (c->o.progress && !c->o.quiet)
        c->o.progress(ev, c->o.progress_context);
}

/* A JOB_* event for job j. */
static al_progress_event job_event(const al_compare *c, al_progress_kind kind, size_t j, size_t finished,
                                   size_t pending)
{
    al_progress_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.arm = j / c->o.seeds;
    ev.name = c->arms[ev.arm].name;
    ev.seed = c->o.first_seed + j % c->o.seeds;
    ev.finished = finished;
    ev.pending = pending;
    return ev;
}

static int stop_requested(const al_compare *c)
{
    return c->o.should_stop && c->o.should_stop(c->o.stop_context);
}

al_status al_compare_run(al_compare *c, const al_dataset *train, const al_dataset *test, al_error *err)
{
    if (!test)
        return al_error_set(err, AL_ERR_INVALID, "a comparison needs test data (final accuracy is measured on it)");
    al_status st = make_dirs(c, err);
    if (st != AL_OK)
        return st;
    size_t total = c->n_arms * c->o.seeds, pending = 0;
    size_t *todo = malloc(total * sizeof *todo);
    pid_t *pids = calloc(total, sizeof *pids);
    if (!todo || !pids) {
        free(todo);
        free(pids);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < total; j++) {
        al_job_result_free(&c->jobs[j]);
        if (!al_compare_job_load(c, j / c->o.seeds, j % c->o.seeds, &c->jobs[j]))
            todo[pending++] = j;
    }
    int workers = c->o.jobs > 0 ? c->o.jobs : cores();
    al_progress_event plan;
    memset(&plan, 0, sizeof plan);
    plan.kind = AL_PROGRESS_PLAN;
    plan.arms = c->n_arms;
    plan.seeds = c->o.seeds;
    plan.jobs = total;
    plan.done = total - pending;
    plan.workers = workers;
    plan.path = c->dir;
    report(c, &plan);
    size_t next = 0, running = 0, finished = 0;
    int stopping = 0;
    while (st == AL_OK && ((next < pending && !stopping) || running > 0)) {
        stopping = stopping || stop_requested(c);
        while (!stopping && running < (size_t)workers && next < pending) {
            size_t j = todo[next];
            al_progress_event ev = job_event(c, AL_PROGRESS_JOB_STARTED, j, finished, pending);
            report(c, &ev);
            fflush(NULL); /* nothing buffered is written twice */
            pid_t pid = fork();
            if (pid < 0) {
                st = al_error_set(err, AL_ERR_IO, "cannot start a worker process: %s", strerror(errno));
                break;
            }
            if (pid == 0)
                worker(c, j / c->o.seeds, j % c->o.seeds, train, test);
            pids[j] = pid;
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
        size_t j = 0;
        while (j < total && pids[j] != done)
            j++;
        if (j == total)
            continue;
        pids[j] = 0;
        running--;
        finished++;
        size_t arm = j / c->o.seeds, s = j % c->o.seeds;
        al_job_result *r = &c->jobs[j];
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && al_compare_job_load(c, arm, s, r);
        if (!ok)
            job_failed(c, r, arm, s, status);
        al_progress_event ev = job_event(c, ok ? AL_PROGRESS_JOB_FINISHED : AL_PROGRESS_JOB_FAILED, j, finished,
                                         pending);
        if (ok) {
            ev.accuracy = r->test_acc[r->epochs - 1];
            ev.seconds = r->seconds[r->epochs - 1];
        } else
            ev.error = r->error;
        report(c, &ev);
    }
    /* on an error, wait for the workers still running */
    for (size_t j = 0; j < total; j++)
        if (pids[j] > 0) {
            int status;
            waitpid(pids[j], &status, 0);
        }
    free(todo);
    free(pids);
    if (st == AL_OK && stopping && next < pending)
        st = al_error_set(err, AL_ERR_INTERRUPTED, "stopped on request with %zu of %zu jobs done (each saved in "
                          "'%s'); running the same comparison again continues from there",
                          total - pending + finished, total, c->dir);
    if (st == AL_OK)
        al_compare_summarize(c);
    return st;
}
