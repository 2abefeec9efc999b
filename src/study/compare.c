/* The compare runner: arms from factors, one worker process per job (the
 * data are shared copy-on-write after fork, and each job is deterministic
 * whatever the schedule because it depends only on its arm and seed), and
 * the per-arm statistics. */
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

void openblas_set_num_threads(int threads);

al_compare_options al_compare_options_default(void)
{
    al_compare_options o;
    memset(&o, 0, sizeof o);
    o.seeds = 5;
    o.first_seed = 1;
    o.epochs = 5;
    o.batch = 128;
    o.optim = al_optim_options_for(AL_OPT_SGD);
    o.optim.lr = 0.05;
    o.optim.momentum = 0.9;
    o.target = NAN;
    return o;
}

void al_compare_free(al_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->arms && i < c->n_arms; i++)
        free(c->arms[i].spec);
    for (size_t i = 0; c->jobs && i < c->n_arms * c->o.seeds; i++)
        al_job_result_free(&c->jobs[i]);
    free(c->arms);
    free(c->jobs);
    free(c->summaries);
    free(c->dir);
    free(c);
}

size_t al_compare_arm_count(const al_compare *c) { return c->n_arms; }
const al_arm *al_compare_arm(const al_compare *c, size_t i) { return i < c->n_arms ? &c->arms[i] : NULL; }

const al_job_result *al_compare_job(const al_compare *c, size_t arm, size_t s)
{
    return arm < c->n_arms && s < c->o.seeds ? &c->jobs[arm * c->o.seeds + s] : NULL;
}

const al_arm_summary *al_compare_summary(const al_compare *c, size_t arm)
{
    return arm < c->n_arms && c->summaries ? &c->summaries[arm] : NULL;
}

/* ---- arms ---- */

/* The activation text of one arm: act with kink= applied when it has a kink. */
static al_status act_text(const char *act, int use_kink, double kink, char *out, size_t size, int *has_kink,
                          al_error *err)
{
    al_act a;
    al_status st = al_act_parse(act, &a, err);
    if (st != AL_OK)
        return al_error_prefix(err, "activation '%s': ", act), st;
    *has_kink = al_act_info_of(a.id)->has_kink;
    if (use_kink && *has_kink) {
        a.kink_set = 1;
        a.kink = kink;
    }
    al_act_format(&a, out, size);
    return AL_OK;
}

static al_status build_spec(const al_compare_factors *f, const char *act, int bn, int depth, al_buf *b,
                            al_error *err)
{
    if (f->template_spec) {
        for (const char *s = f->template_spec; *s;) {
            const char *hit = strstr(s, "{act}");
            if (!hit) {
                al_buf_append(b, s, strlen(s));
                break;
            }
            al_buf_append(b, s, (size_t)(hit - s));
            al_buf_append(b, act, strlen(act));
            s = hit + 5;
        }
        return AL_OK;
    }
    if (f->in == 0 || f->width == 0 || f->classes == 0 || depth < 1)
        return al_error_set(err, AL_ERR_INVALID, "an MLP needs input, width and class counts and a depth "
                            ">= 1 (got %zu, %zu, %zu, depth %d)", f->in, f->width, f->classes, depth);
    for (int d = 0; d < depth; d++) {
        al_buf_printf(b, "Linear(%zu, %zu), ", d == 0 ? f->in : f->width, f->width);
        if (bn)
            al_buf_printf(b, "BatchNorm1d(%zu), ", f->width);
        al_buf_printf(b, "%s, ", act);
    }
    al_buf_printf(b, "Linear(%zu, %zu)", f->width, f->classes);
    return AL_OK;
}

static al_status add_arm(al_compare *c, size_t cap, const char *name, const char *spec, al_init_scheme init,
                         double lr, al_error *err)
{
    if (c->n_arms == cap)
        return al_error_set(err, AL_ERR_INVALID, "too many arms");
    al_net *net = NULL;
    al_status st = al_net_create(spec, NULL, &net, err);
    al_net_free(net);
    if (st != AL_OK)
        return al_error_prefix(err, "arm '%s': ", name), st;
    al_arm *a = &c->arms[c->n_arms];
    a->spec = strdup(spec);
    if (!a->spec)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for arm '%s'", name);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->init = init;
    a->lr = lr;
    c->n_arms++;
    return AL_OK;
}

al_status al_compare_create(const al_compare_factors *f, const al_compare_options *options, al_compare **out,
                            al_error *err)
{
    *out = NULL;
    al_compare_options o = options ? *options : al_compare_options_default();
    if (!o.dir || !*o.dir)
        return al_error_set(err, AL_ERR_INVALID, "a comparison needs an output directory (--out DIR)");
    if (o.seeds < 2)
        return al_error_set(err, AL_ERR_INVALID, "a comparison needs at least 2 seeds for its statistics "
                            "(confidence intervals and tests), got %zu: use --seeds 2 or more", o.seeds);
    if (o.epochs < 1 || o.batch < 1)
        return al_error_set(err, AL_ERR_INVALID, "epochs and batch must be at least 1");
    if (f->n_acts == 0)
        return al_error_set(err, AL_ERR_INVALID, "a comparison needs at least one activation (--acts)");
    static const al_init_scheme default_init = AL_INIT_PYTORCH;
    static const int default_bn = 0, default_depth = 1;
    double default_lr = o.optim.lr;
    const al_init_scheme *inits = f->n_inits ? f->inits : &default_init;
    const int *bns = f->n_batchnorm ? f->batchnorm : &default_bn;
    const int *depths = f->n_depths ? f->depths : &default_depth;
    const double *lrs = f->n_lrs ? f->lrs : &default_lr;
    size_t n_inits = f->n_inits ? f->n_inits : 1, n_bn = f->n_batchnorm ? f->n_batchnorm : 1;
    size_t n_depths = f->n_depths ? f->n_depths : 1, n_lrs = f->n_lrs ? f->n_lrs : 1;
    size_t n_kinks = f->n_kinks ? f->n_kinks : 1;
    if (f->template_spec && (f->n_batchnorm > 1 || f->n_depths > 1))
        return al_error_set(err, AL_ERR_INVALID, "BatchNorm and depth factors need the built-in MLP (--width), "
                            "not a --model template");
    size_t cap = f->n_acts * n_inits * n_bn * n_kinks * n_lrs * n_depths;
    if (cap > 4096)
        return al_error_set(err, AL_ERR_INVALID, "%zu arms is too many (at most 4096)", cap);
    al_compare *c = calloc(1, sizeof *c);
    if (!c)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    c->o = o;
    c->dir = strdup(o.dir);
    c->arms = calloc(cap, sizeof *c->arms);
    if (!c->dir || !c->arms) {
        al_compare_free(c);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    c->o.dir = c->dir;
    al_status st = AL_OK;
    for (size_t ia = 0; st == AL_OK && ia < f->n_acts; ia++)
        for (size_t ik = 0; st == AL_OK && ik < n_kinks; ik++)
            for (size_t ii = 0; st == AL_OK && ii < n_inits; ii++)
                for (size_t ib = 0; st == AL_OK && ib < n_bn; ib++)
                    for (size_t il = 0; st == AL_OK && il < n_lrs; il++)
                        for (size_t id = 0; st == AL_OK && id < n_depths; id++) {
                            char act[256], name[256];
                            int has_kink = 0;
                            st = act_text(f->acts[ia], f->n_kinks > 0, f->n_kinks ? f->kinks[ik] : 0, act,
                                          sizeof act, &has_kink, err);
                            if (st != AL_OK || (!has_kink && ik > 0))
                                continue; /* kink values only multiply activations that have one */
                            int n = snprintf(name, sizeof name, "%s", act);
                            if (n_inits > 1)
                                n += snprintf(name + n, sizeof name - (size_t)n, " %s",
                                              al_init_scheme_name(inits[ii]));
                            if (n_bn > 1 || bns[ib])
                                n += snprintf(name + n, sizeof name - (size_t)n, bns[ib] ? " +BN" : " no BN");
                            if (n_lrs > 1)
                                n += snprintf(name + n, sizeof name - (size_t)n, " lr=%g", lrs[il]);
                            if (n_depths > 1)
                                snprintf(name + n, sizeof name - (size_t)n, " depth=%d", depths[id]);
                            al_buf spec = {0};
                            st = build_spec(f, act, bns[ib], depths[id], &spec, err);
                            if (st == AL_OK && !spec.data)
                                st = al_error_set(err, AL_ERR_NOMEM, "out of memory building a spec");
                            if (st == AL_OK)
                                st = add_arm(c, cap, name, spec.data, inits[ii], lrs[il], err);
                            al_buf_free(&spec);
                        }
    if (st == AL_OK && o.baseline >= c->n_arms)
        st = al_error_set(err, AL_ERR_INVALID, "the baseline arm %zu does not exist (there are %zu arms)",
                          o.baseline, c->n_arms);
    if (st == AL_OK) {
        c->jobs = calloc(c->n_arms * o.seeds, sizeof *c->jobs);
        c->summaries = calloc(c->n_arms, sizeof *c->summaries);
        if (!c->jobs || !c->summaries)
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    if (st != AL_OK) {
        al_compare_free(c);
        return st;
    }
    *out = c;
    return AL_OK;
}

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
    openblas_set_num_threads(1);
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
            return al_error_set(err, AL_ERR_IO, "cannot create the output directory '%s': %s (choose another "
                                "with --out DIR)", dirs[i], strerror(errno));
    return AL_OK;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void summarize(al_compare *c);

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
    if (!c->o.quiet)
        fprintf(stderr, "compare: %zu arms x %zu seeds = %zu jobs, %zu already done, %d worker%s, results in %s\n",
                c->n_arms, c->o.seeds, total, total - pending, workers, workers > 1 ? "s" : "", c->dir);
    size_t next = 0, running = 0, finished = 0;
    while (st == AL_OK && (next < pending || running > 0)) {
        while (running < (size_t)workers && next < pending) {
            size_t j = todo[next];
            fflush(stdout);
            fflush(stderr);
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
        if (!c->o.quiet) {
            fprintf(stderr, "[%zu/%zu] %-28s seed %llu: ", finished, pending, c->arms[arm].name,
                    (unsigned long long)(c->o.first_seed + s));
            if (ok)
                fprintf(stderr, "test acc %.4f (%.1f s)\n", r->test_acc[r->epochs - 1], r->seconds[r->epochs - 1]);
            else
                fprintf(stderr, "FAILED: %s\n", r->error);
        }
    }
    /* on an error, wait for the workers still running */
    for (size_t j = 0; j < total; j++)
        if (pids[j] > 0) {
            int status;
            waitpid(pids[j], &status, 0);
        }
    free(todo);
    free(pids);
    if (st == AL_OK)
        summarize(c);
    return st;
}

/* ---- statistics ---- */

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    for (size_t i = 1; i < n; i++) /* insertion sort: n is a seed count */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Final test accuracies of an arm's finished seeds. */
static size_t final_accs(const al_compare *c, size_t arm, double *out)
{
    size_t n = 0;
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (r->done)
            out[n++] = r->test_acc[r->epochs - 1];
    }
    return n;
}

/* Scratch for the summaries, sized once: K seeds, E epochs. */
typedef struct summary_scratch {
    double *a, *b;           /* K values */
    al_stats_ttt *ttt;       /* K seeds */
    double *per_epoch;       /* E epoch durations */
} summary_scratch;

static void summarize_arm(al_compare *c, size_t arm, const summary_scratch *w)
{
    double *buf = w->a, *buf2 = w->b;
    al_arm_summary *S = &c->summaries[arm];
    memset(S, 0, sizeof *S);
    S->acc_mean = S->acc_lo = S->acc_hi = S->best_epoch = S->dead_final = S->grad_ratio = NAN;
    S->seconds = S->diff = S->diff_lo = S->diff_hi = S->p = S->p_holm = NAN;
    size_t n = final_accs(c, arm, buf);
    S->ok = n;
    if (n == 0)
        return;
    if (n >= 2)
        al_stats_mean_ci(buf, n, 0.95, &S->acc_mean, &S->acc_lo, &S->acc_hi, NULL);
    else
        S->acc_mean = buf[0];
    size_t k = 0;
    double dead = 0, ratio = 0, secs = 0;
    size_t n_ratio = 0;
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (!r->done)
            continue;
        long best = 0;
        for (long e = 1; e < r->epochs; e++)
            if (r->test_acc[e] > r->test_acc[best])
                best = e;
        buf2[k] = (double)(best + 1);
        dead += r->dead[r->epochs - 1];
        secs += r->seconds[r->epochs - 1];
        /* first and last layers with parameters, at the final epoch */
        const double *g = r->weight_grad + (size_t)(r->epochs - 1) * (size_t)r->layers;
        int first = -1, last = -1;
        for (int l = 0; l < r->layers; l++)
            if (!isnan(g[l])) {
                if (first < 0)
                    first = l;
                last = l;
            }
        if (first >= 0 && last > first && g[last] > 0) {
            ratio += g[first] / g[last];
            n_ratio++;
        }
        if (!isnan(c->o.target)) {
            size_t E = (size_t)r->epochs;
            for (size_t e = 0; e < E; e++)
                w->per_epoch[e] = r->seconds[e] - (e ? r->seconds[e - 1] : 0);
            al_stats_time_to_target(r->test_acc, w->per_epoch, E, c->o.target, AL_STATS_AT_LEAST, &w->ttt[k],
                                    NULL);
        }
        k++;
    }
    S->best_epoch = median(buf2, k);
    S->dead_final = dead / (double)k;
    S->grad_ratio = n_ratio ? ratio / (double)n_ratio : NAN;
    S->seconds = secs / (double)k;
    if (!isnan(c->o.target))
        al_stats_ttt_summarize(w->ttt, k, &S->ttt, NULL);
}

static void summarize(al_compare *c)
{
    size_t K = c->o.seeds;
    summary_scratch scratch = {malloc(K * sizeof(double)), malloc(K * sizeof(double)), malloc(K * sizeof(al_stats_ttt)),
                         malloc((size_t)c->o.epochs * sizeof(double))};
    double *a = scratch.a, *b = scratch.b, *p = malloc(c->n_arms * sizeof *p);
    size_t *which = malloc(c->n_arms * sizeof *which);
    if (!a || !b || !scratch.ttt || !scratch.per_epoch || !p || !which) {
        free(a);
        free(b);
        free(scratch.ttt);
        free(scratch.per_epoch);
        free(p);
        free(which);
        return;
    }
    for (size_t arm = 0; arm < c->n_arms; arm++)
        summarize_arm(c, arm, &scratch);
    size_t base = c->o.baseline, m = 0;
    size_t nb = final_accs(c, base, b);
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        al_arm_summary *S = &c->summaries[arm];
        size_t na = final_accs(c, arm, a);
        if (arm == base || na < 2 || nb < 2)
            continue;
        al_stats_welch w;
        al_stats_perm perm;
        if (al_stats_welch_test(a, na, b, nb, 0.95, &w, NULL) == AL_OK) {
            S->diff = w.diff;
            S->diff_lo = w.lo;
            S->diff_hi = w.hi;
        }
        if (al_stats_permutation_test(a, na, b, nb, c->o.first_seed, &perm, NULL) == AL_OK) {
            S->p = perm.p;
            p[m] = perm.p;
            which[m++] = arm;
        }
    }
    if (m > 0 && al_stats_holm(p, m, p, NULL) == AL_OK)
        for (size_t i = 0; i < m; i++)
            c->summaries[which[i]].p_holm = p[i];
    free(scratch.ttt);
    free(scratch.per_epoch);
    free(a);
    free(b);
    free(p);
    free(which);
}
