/* The library talks through its caller: a comparison's progress events
 * match what it ran, its should_stop ends a run that a re-run completes
 * exactly, errors name the option field at fault (never a CLI flag), and
 * the CLI prints those fields as its flags and the progress as before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "check.h"

static al_dataset *blobs(size_t n, uint64_t seed)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    al_error err = {0};
    CHECK(al_dataset_create("blobs", n, 1, shape, &ds, &err) == AL_OK, "%s", err.message);
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 3);
        for (size_t k = 0; k < 4; k++)
            al_dataset_x_mut(ds)[i * 4 + k] = (float)(al_rng_normal(&rng) + (k == i % 3 ? 1.5 : 0));
    }
    return ds;
}

#define MAX_EVENTS 64

/* What the callbacks saw; stop_after: should_stop says yes once this many
 * jobs have ended (0: never). */
typedef struct recorder {
    size_t n;
    al_progress_event ev[MAX_EVENTS];
    char names[MAX_EVENTS][64];
    size_t ended, stop_after;
} recorder;

static void record(const al_progress_event *e, void *context)
{
    recorder *r = context;
    if (r->n == MAX_EVENTS)
        return;
    r->ev[r->n] = *e;
    snprintf(r->names[r->n], sizeof r->names[0], "%s", e->name ? e->name : "");
    r->ev[r->n].name = r->names[r->n];
    r->ev[r->n].path = NULL;  /* only valid during the call */
    r->ev[r->n].error = NULL;
    if (e->kind == AL_PROGRESS_JOB_FINISHED || e->kind == AL_PROGRESS_JOB_FAILED)
        r->ended++;
    r->n++;
}

static int stop_when_told(void *context)
{
    recorder *r = context;
    return r->stop_after > 0 && r->ended >= r->stop_after;
}

static const char *acts[2] = {"ReLU()", "Tanh()"};

static al_compare *make(const char *dir, recorder *rec, int quiet)
{
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    f.in = 4, f.width = 8, f.classes = 3, f.acts = acts, f.n_acts = 2;
    al_compare_options o = al_compare_options_default();
    o.seeds = 2;
    o.epochs = 2;
    o.batch = 16;
    o.optim.lr = 0.1;
    o.jobs = 1;
    o.dir = dir;
    o.quiet = quiet;
    o.progress = record;
    o.progress_context = rec;
    o.should_stop = stop_when_told;
    o.stop_context = rec;
    al_compare *c = NULL;
    al_error err = {0};
    CHECK(al_compare_create(&f, &o, &c, &err) == AL_OK, "%s", err.message);
    return c;
}

static size_t count(const recorder *r, al_progress_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->ev[i].kind == kind;
    return n;
}

static void test_progress_and_stop(const char *root, const al_dataset *train, const al_dataset *test)
{
    CHECK_SECTION("progress events follow the jobs");
    char d1[600], d2[600];
    snprintf(d1, sizeof d1, "%s/full", root);
    snprintf(d2, sizeof d2, "%s/stopped", root);
    al_error err = {0};
    recorder *rec = calloc(1, sizeof *rec);
    al_compare *c = make(d1, rec, 0);
    CHECK(al_compare_run(c, train, test, &err) == AL_OK, "%s", err.message);
    CHECK(rec->n == 9 && rec->ev[0].kind == AL_PROGRESS_PLAN, "a plan, then 4 starts and 4 ends: %zu events",
          rec->n);
    CHECK(rec->ev[0].arms == 2 && rec->ev[0].seeds == 2 && rec->ev[0].jobs == 4 && rec->ev[0].done == 0 &&
              rec->ev[0].workers == 1,
          "the plan: %zu arms x %zu seeds = %zu jobs, %zu done, %d workers", rec->ev[0].arms, rec->ev[0].seeds,
          rec->ev[0].jobs, rec->ev[0].done, rec->ev[0].workers);
    CHECK(count(rec, AL_PROGRESS_JOB_STARTED) == 4 && count(rec, AL_PROGRESS_JOB_FINISHED) == 4,
          "every job starts and finishes once");
    size_t ended = 0;
    for (size_t i = 1; i < rec->n; i++) {
        const al_progress_event *e = &rec->ev[i];
        if (e->kind != AL_PROGRESS_JOB_FINISHED)
            continue;
        ended++;
        const al_job_result *r = al_compare_job(c, e->arm, (size_t)(e->seed - 1));
        CHECK(e->finished == ended && e->pending == 4, "event %zu: [%zu/%zu]", i, e->finished, e->pending);
        CHECK(r && r->done && e->accuracy == r->test_acc[r->epochs - 1] && e->seconds == r->seconds[r->epochs - 1],
              "event %zu: the accuracy and seconds of arm %zu seed %llu", i, e->arm, (unsigned long long)e->seed);
        CHECK(strcmp(e->name, al_compare_arm(c, e->arm)->name) == 0, "event %zu names arm %s", i, e->name);
    }
    al_compare *full = c;

    CHECK_SECTION("quiet: no events");
    memset(rec, 0, sizeof *rec);
    c = make(d1, rec, 1);
    CHECK(al_compare_run(c, train, test, &err) == AL_OK && rec->n == 0, "%zu events", rec->n);
    al_compare_free(c);

    CHECK_SECTION("should_stop ends a run after the running job; a re-run completes it exactly");
    memset(rec, 0, sizeof *rec);
    rec->stop_after = 1;
    c = make(d2, rec, 0);
    al_status st = al_compare_run(c, train, test, &err);
    CHECK(st == AL_ERR_INTERRUPTED && strstr(err.message, "1 of 4") && strstr(err.message, d2),
          "stopped after one job: %d %s", st, err.message);
    CHECK(count(rec, AL_PROGRESS_JOB_STARTED) == 1 && rec->ended == 1, "one job ran: %zu started",
          count(rec, AL_PROGRESS_JOB_STARTED));
    al_compare_free(c);
    memset(rec, 0, sizeof *rec);
    c = make(d2, rec, 0);
    CHECK(al_compare_run(c, train, test, &err) == AL_OK, "%s", err.message);
    CHECK(rec->ev[0].done == 1 && count(rec, AL_PROGRESS_JOB_STARTED) == 3, "the re-run ran the other 3 jobs");
    for (size_t arm = 0; arm < 2; arm++)
        for (size_t s = 0; s < 2; s++) {
            const al_job_result *a = al_compare_job(full, arm, s), *b = al_compare_job(c, arm, s);
            CHECK(a->done && b->done && memcmp(a->test_acc, b->test_acc, 2 * sizeof(double)) == 0,
                  "arm %zu seed %zu equals the uninterrupted run's", arm, s);
        }
    al_compare_free(c);
    al_compare_free(full);
    free(rec);
}

/* The message must not name a flag; the field is the one given. */
static void check_field(const al_error *err, al_status got, al_status want, const char *field)
{
    CHECK(got == want && err->field && strcmp(err->field, field) == 0, "want %d '%s', got %d '%s': %s", want, field,
          got, err->field ? err->field : "(none)", err->message);
    CHECK(!strstr(err->message, "--"), "the message names no flag: %s", err->message);
}

static void test_error_fields(const char *root, const al_dataset *train)
{
    CHECK_SECTION("al_error: field set, kept by a prefix, cleared by a plain error");
    al_error err = {0};
    CHECK(al_error_set_field(&err, AL_ERR_INVALID, "train.batch", "batch %d", 0) == AL_ERR_INVALID &&
              strcmp(err.message, "batch 0") == 0 && strcmp(err.field, "train.batch") == 0,
          "%s", err.message);
    al_error_prefix(&err, "ctx: ");
    CHECK(strcmp(err.message, "ctx: batch 0") == 0 && strcmp(err.field, "train.batch") == 0, "%s", err.message);
    al_error_set(&err, AL_ERR_IO, "plain");
    CHECK(err.field == NULL && err.status == AL_ERR_IO, "al_error_set clears the field");
    CHECK(al_error_set_field(NULL, AL_ERR_IO, "x", "y") == AL_ERR_IO, "a NULL err is allowed");

    CHECK_SECTION("training, probe and compare errors name their option fields");
    al_net *net = NULL;
    CHECK(al_net_create("Linear(4, 8), ReLU(), Linear(8, 3)", NULL, &net, &err) == AL_OK, "%s", err.message);
    al_train_options o = al_train_options_default();
    o.batch = 0;
    check_field(&err, al_train(net, train, NULL, &o, NULL, NULL, NULL, &err), AL_ERR_INVALID, "train.batch");
    o = al_train_options_default();
    o.epochs = 0;
    check_field(&err, al_train(net, train, NULL, &o, NULL, NULL, NULL, &err), AL_ERR_INVALID, "train.epochs");
    char file[600], under[700];
    snprintf(file, sizeof file, "%s/file.txt", root);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL, "create %s", file);
    if (f)
        fclose(f);
    snprintf(under, sizeof under, "%s/sub", file);
    o = al_train_options_default();
    o.checkpoint_dir = under;
    check_field(&err, al_train(net, train, NULL, &o, NULL, NULL, NULL, &err), AL_ERR_IO, "train.checkpoint_dir");
    al_probe_options po = al_probe_options_default();
    po.log_path = under;
    al_probe *probe = NULL;
    check_field(&err, al_probe_create(net, &po, &probe, &err), AL_ERR_IO, "probe.log_path");
    al_net_free(net);

    al_compare_factors fa;
    memset(&fa, 0, sizeof fa);
    fa.in = 4, fa.width = 8, fa.classes = 3, fa.acts = acts, fa.n_acts = 2;
    al_compare_options co = al_compare_options_default();
    al_compare *c = NULL;
    check_field(&err, al_compare_create(&fa, &co, &c, &err), AL_ERR_INVALID, "compare.dir");
    co.dir = under;
    co.seeds = 1;
    check_field(&err, al_compare_create(&fa, &co, &c, &err), AL_ERR_INVALID, "compare.seeds");
    co.seeds = 2;
    co.baseline = 7;
    check_field(&err, al_compare_create(&fa, &co, &c, &err), AL_ERR_INVALID, "compare.baseline");
    co.baseline = 0;
    const int bn[2] = {0, 1};
    fa.template_spec = "Linear(4, 3), {act}";
    fa.batchnorm = bn;
    fa.n_batchnorm = 2;
    check_field(&err, al_compare_create(&fa, &co, &c, &err), AL_ERR_INVALID, "factors.template_spec");
    fa.template_spec = NULL;
    fa.n_batchnorm = 0;
    fa.n_acts = 0;
    check_field(&err, al_compare_create(&fa, &co, &c, &err), AL_ERR_INVALID, "factors.acts");
    CHECK(!c, "nothing was created");
}

/* Runs the CLI in dir; its stderr into err.txt. */
static int cli(const char *dir, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >out.txt 2>err.txt", dir, AL_CLI, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65536);
    if (f && text)
        text[fread(text, 1, 65535, f)] = '\0';
    if (f)
        fclose(f);
    return text;
}

static void test_cli(const char *root, const al_dataset *train)
{
    CHECK_SECTION("the CLI prints fields as flags, and compare's progress as before");
    char path[700];
    snprintf(path, sizeof path, "%s/d.csv", root);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "create %s", path);
    if (!f)
        return;
    fprintf(f, "a,b,c,d,label\n");
    const float *x = al_dataset_x(train);
    const int32_t *y = al_dataset_y(train);
    for (size_t i = 0; i < al_dataset_count(train); i++)
        fprintf(f, "%.6f,%.6f,%.6f,%.6f,%d\n", (double)x[4 * i], (double)x[4 * i + 1], (double)x[4 * i + 2],
                (double)x[4 * i + 3], (int)y[i]);
    fclose(f);
    int rc = cli(root, "train --model 'Linear(4, 8), ReLU(), Linear(8, 3)' --train d.csv:label --quiet "
                       "--checkpoint-dir file.txt/ck");
    char *err = slurp(root, "err.txt");
    CHECK(rc == 1 && err && strstr(err, "actlab train: --checkpoint-dir: cannot create the checkpoint directory "
                                        "'file.txt/ck'"),
          "exit %d: %s", rc, err);
    free(err);
    rc = cli(root, "compare --acts ReLU --seeds 2 --epochs 1 --width 8 --jobs 1 --train d.csv:label "
                   "--test d.csv:label --out file.txt/c");
    err = slurp(root, "err.txt");
    CHECK(rc == 1 && err && strstr(err, "actlab compare: --out: cannot create the output directory 'file.txt/c'"),
          "exit %d: %s", rc, err);
    free(err);
    rc = cli(root, "compare --acts ReLU --seeds 2 --epochs 1 --width 8 --jobs 1 --train d.csv:label "
                   "--test d.csv:label --out c");
    err = slurp(root, "err.txt");
    CHECK(rc == 0 && err &&
              strstr(err, "compare: 1 arms x 2 seeds = 2 jobs, 0 already done, 1 worker, results in c\n") &&
              strstr(err, "[1/2] ReLU()                       seed 1: test acc ") &&
              strstr(err, "[2/2] ReLU()                       seed 2: test acc "),
          "exit %d: %s", rc, err);
    free(err);
    rc = cli(root, "compare --acts ReLU --seeds 2 --epochs 1 --width 8 --jobs 1 --train d.csv:label "
                   "--test d.csv:label --out c --quiet");
    err = slurp(root, "err.txt");
    CHECK(rc == 0 && err && err[0] == '\0', "--quiet prints nothing on stderr: %s", err);
    free(err);
}

int main(void)
{
    char root[] = "/tmp/actlab_callbacks_XXXXXX";
    if (!mkdtemp(root))
        return 1;
    al_dataset *train = blobs(120, 1), *test = blobs(60, 2);
    test_progress_and_stop(root, train, test);
    test_error_fields(root, train);
    test_cli(root, train);
    al_dataset_free(train);
    al_dataset_free(test);
    char cleanup[700];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", root);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_callbacks");
}
