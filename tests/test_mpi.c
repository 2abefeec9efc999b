/* actlab compare and study over MPI, on this machine over loopback: the
 * same comparison run by one process, by 2 ranks and by 4 ranks
 * (oversubscribed) gives the same job files, compare.json and compare.csv
 * apart from the timings; so does a study. Faults: a rank killed mid-run
 * stops the MPI job (Open MPI's default) but every job that finished is on
 * disk, equal to the one-process run's, no worker outlives its rank, and a
 * re-run on another number of ranks skips them and completes with equal
 * results; with mpirun --enable-recovery the others run on and the dead
 * rank's jobs are run by another; a job whose worker is killed is reported
 * failed while the others complete, and a re-run retries it. A rank running
 * another comparison stops the run. Skipped (exit
 * 77) in a build without MPI or without mpirun. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actlab/cluster.h"
#include "actlab/rng.h"
#include "actlab/util.h"
#include "check.h"
#include "mpi_procs.h"

#ifdef __SANITIZE_ADDRESS__
#define SANITIZED 1 /* slower: smaller jobs */
#else
#define SANITIZED 0
#endif

static char root[64];

/* The comparison every run here makes: 2 arms, tuned over 2 learning rates, then 5 seeds each (14 jobs). */
#define COMPARE_ARGS "compare --acts ReLU,Tanh --train data.csv --seeds 5 --batch 32 --depths 2 --tune-lr 0.03,0.1 "
static char sizes[64];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Three Gaussian blobs in 20 features, as a CSV with a header. */
static void write_data(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/data.csv", root);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL, "cannot write %s", p);
    if (!f)
        return;
    for (int k = 0; k < 20; k++)
        fprintf(f, "x%d,", k);
    fprintf(f, "label\n");
    al_rng rng;
    al_rng_seed(&rng, 7);
    for (int i = 0; i < 3000; i++) {
        for (int k = 0; k < 20; k++)
            fprintf(f, "%.4f,", al_rng_normal(&rng) + (k % 3 == i % 3 ? 1.0 : 0.0));
        fprintf(f, "%d\n", i % 3);
    }
    fclose(f);
}

/* Runs a shell command line in root with stdout and stderr to NAME.out / NAME.err; its exit status. */
static int sh(const char *name, const char *line)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s >%s.out 2>%s.err", root, line, name, name);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole of root/NAME (NUL-terminated; free it), or NULL. */
static char *slurp(const char *name)
{
    char p[512], *text = NULL;
    size_t n = 0;
    snprintf(p, sizeof p, "%s/%s", root, name);
    return al_file_read_all(p, 1 << 26, &text, &n, NULL) == AL_OK ? text : NULL;
}

static const char *mpirun_line(char *buf, size_t size, int ranks, const char *extra)
{
    snprintf(buf, size, "'%s' --oversubscribe --bind-to none %s -n %d '%s'", AL_MPIEXEC, extra, ranks, AL_CLI);
    return buf;
}

/* ---- results equal apart from timings ---- */

static void drop_seconds(json_t *j)
{
    if (json_is_object(j)) {
        json_object_del(j, "seconds");
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
            drop_seconds(v);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
            drop_seconds(v);
    }
}

/* 1 when the JSON files a and b are equal without their "seconds" fields. */
static int same_json(const char *a, const char *b)
{
    json_t *x = json_load_file(a, 0, NULL), *y = json_load_file(b, 0, NULL);
    drop_seconds(x);
    drop_seconds(y);
    int same = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

/* A CSV line without its field number `skip` (fields in double quotes may hold commas). */
static void csv_without(const char *line, int skip, char *out, size_t size)
{
    int field = 0, quoted = 0;
    size_t n = 0;
    for (const char *s = line; *s && *s != '\n' && n + 1 < size; s++) {
        if (*s == '"')
            quoted = !quoted;
        if (*s == ',' && !quoted) {
            field++;
            if (field == skip)
                continue;
        }
        if (field != skip)
            out[n++] = *s;
    }
    out[n] = '\0';
}

/* 1 when the CSV files are equal without their "seconds" column. */
static int same_csv(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    if (al_file_read_all(a, 1 << 24, &x, &nx, NULL) != AL_OK || al_file_read_all(b, 1 << 24, &y, &ny, NULL) != AL_OK) {
        free(x);
        return 0;
    }
    int skip = -1, field = 0, same = 1;
    for (const char *s = x; *s && *s != '\n'; s++)
        if (*s == ',')
            field++;
        else if (strncmp(s, "seconds,", 8) == 0 && (s == x || s[-1] == ','))
            skip = field;
    const char *p = x, *q = y;
    while (same && *p && *q) {
        char l1[8192], l2[8192];
        csv_without(p, skip, l1, sizeof l1);
        csv_without(q, skip, l2, sizeof l2);
        same = skip >= 0 && strcmp(l1, l2) == 0;
        p = strchr(p, '\n');
        q = strchr(q, '\n');
        p = p ? p + 1 : "";
        q = q ? q + 1 : "";
    }
    same = same && !*p && !*q;
    free(x);
    free(y);
    return same;
}

/* The job files of ref/SUB that are also in dir/SUB, each checked equal; how many were compared. */
static int same_jobs(const char *ref, const char *dir, const char *sub, int require_all)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", root, ref, sub);
    DIR *d = opendir(path);
    CHECK(d != NULL, "%s has no %s folder", ref, sub);
    if (!d)
        return 0;
    int compared = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char a[1024], b[1024];
        struct stat sb;
        snprintf(a, sizeof a, "%s/%s/%s/%s", root, ref, sub, e->d_name);
        snprintf(b, sizeof b, "%s/%s/%s/%s", root, dir, sub, e->d_name);
        if (stat(b, &sb) != 0) {
            CHECK(!require_all, "%s/%s/%s is missing", dir, sub, e->d_name);
            continue;
        }
        CHECK(same_json(a, b), "%s/%s/%s differs from %s's (timings aside)", dir, sub, e->d_name, ref);
        compared++;
    }
    closedir(d);
    return compared;
}

/* Every result of dir equal to ref's, timings aside: job files, compare.json, compare.csv. */
static void same_results(const char *ref, const char *dir)
{
    int jobs = same_jobs(ref, dir, "jobs", 1), tune = same_jobs(ref, dir, "tune", 1);
    CHECK(jobs == 10 && tune == 4, "%s: %d job files and %d tuning files compared, want 10 and 4", dir, jobs, tune);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/%s/compare.json", root, ref);
    snprintf(b, sizeof b, "%s/%s/compare.json", root, dir);
    CHECK(same_json(a, b), "%s/compare.json differs from %s's (timings aside)", dir, ref);
    snprintf(a, sizeof a, "%s/%s/compare.csv", root, ref);
    snprintf(b, sizeof b, "%s/%s/compare.csv", root, dir);
    CHECK(same_csv(a, b), "%s/compare.csv differs from %s's (the seconds column aside)", dir, ref);
}

/* Job files in dir/jobs and dir/tune. */
static int count_jobs(const char *dir)
{
    int n = 0;
    const char *subs[2] = {"jobs", "tune"};
    for (int i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s/%s", root, dir, subs[i]);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            n += len > 5 && strcmp(e->d_name + len - 5, ".json") == 0;
        }
        if (d)
            closedir(d);
    }
    return n;
}

/* Starts a shell command line in root in the background (stdout, stderr to NAME.out, NAME.err). */
static pid_t start(const char *name, const char *line)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && exec %s >%s.out 2>%s.err", root, line, name, name);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits for a background run: its exit status (-1: killed or over 300 s). */
static int finish(pid_t pid)
{
    int status = 0;
    double until = now() + 300;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            CHECK(0, "a run did not end within 300 s");
            return -1;
        }
        pause_ms(20);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Waits (at most 120 s) until `rank` of the run writing to out has a worker
 * running and, when done_files > 0, that many job files exist; its pid, or 0. */
static long wait_for_rank(const char *out, int rank, int done_files, pid_t run)
{
    double until = now() + 120;
    while (now() < until && waitpid(run, NULL, WNOHANG) == 0) {
        long coordinator;
        if (find_rank(out, rank, &coordinator) > 0 && count_jobs(out) >= done_files)
            return coordinator;
        pause_ms(5);
    }
    return 0;
}

/* Starts the run, kills the process of `rank` (SIGKILL) once it has a worker
 * running and done_files job files exist, and waits for the run's end: its exit status. */
static int run_and_kill(const char *name, const char *line, int rank, int done_files)
{
    pid_t run = start(name, line);
    long victim = wait_for_rank(name, rank, done_files, run);
    CHECK(victim > 0, "%s: rank %d never ran a job after %d had finished", name, rank, done_files);
    if (victim > 0)
        kill((pid_t)victim, SIGKILL);
    return finish(run);
}

/* ---- the checks ---- */

static void equal_to_one_process(void)
{
    CHECK_SECTION("2 and 4 ranks give one process's results");
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "'%s' " COMPARE_ARGS "%s --jobs 2 --out ref", AL_CLI, sizes);
    CHECK(sh("ref", line) == 0, "the one-process run failed: see %s/ref.err", root);
    for (int ranks = 2; ranks <= 4; ranks += 2) {
        char name[16];
        snprintf(name, sizeof name, "n%d", ranks);
        snprintf(line, sizeof line, "%s " COMPARE_ARGS "%s --out %s", mpirun_line(mpi, sizeof mpi, ranks, ""), sizes,
                 name);
        CHECK(sh(name, line) == 0, "mpirun -n %d failed: see %s/%s.err", ranks, root, name);
        same_results("ref", name);
        char *err = slurp(ranks == 2 ? "n2.err" : "n4.err"), *out = slurp(ranks == 2 ? "n2.out" : "n4.out");
        char want[64];
        snprintf(want, sizeof want, "%d MPI ranks", ranks);
        CHECK(err && strstr(err, want), "the plan names the ranks: %s", err ? err : "");
        CHECK(err && strstr(err, "rank 1: "), "rank 1 ran some job: %s", err ? err : "");
        CHECK(out && strstr(out, "| ReLU() | ") && strstr(out, "| Tanh() | "), "rank 0 prints the table once: %s",
              out ? out : "");
        if (out) {
            const char *second = strstr(out, "| arm |");
            CHECK(second && !strstr(second + 1, "| arm |"), "the table is printed once, not once per rank");
        }
        free(err);
        free(out);
    }
}

/* The text without the run times "(12 s)" of the findings (in place). */
static void without_seconds(char *text)
{
    char *w = text;
    for (const char *r = text; r && *r;) {
        const char *d = r + 1;
        while (*r == '(' && *d >= '0' && *d <= '9')
            d++;
        if (*r == '(' && d > r + 1 && strncmp(d, " s)", 3) == 0) {
            r = d + 3;
            continue;
        }
        *w++ = *r++;
    }
    if (text)
        *w = '\0';
}

static void study_equal(void)
{
    CHECK_SECTION("a study over 2 ranks gives one process's findings and files");
    struct stat sb;
    if (stat("/usr/share/datasets/fashion-mnist", &sb) != 0) {
        fprintf(stderr, "   (skipped: no Fashion-MNIST; scripts/deps.sh installs it)\n");
        return;
    }
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "'%s' study kink --seeds 2 --out s1", AL_CLI);
    CHECK(sh("s1", line) == 0, "the one-process study failed: see %s/s1.err", root);
    snprintf(line, sizeof line, "%s study kink --seeds 2 --out s2", mpirun_line(mpi, sizeof mpi, 2, ""));
    CHECK(sh("s2", line) == 0, "the study over 2 ranks failed: see %s/s2.err", root);
    const char *subs[2] = {"common", "narrow"};
    for (int i = 0; i < 2; i++) {
        char a[512], b[512];
        snprintf(a, sizeof a, "s1/kink/%s", subs[i]);
        snprintf(b, sizeof b, "s2/kink/%s", subs[i]);
        CHECK(same_jobs(a, b, "jobs", 1) > 0, "study %s: job files", subs[i]);
        char ja[600], jb[600];
        snprintf(ja, sizeof ja, "%s/%s/compare.json", root, a);
        snprintf(jb, sizeof jb, "%s/%s/compare.json", root, b);
        CHECK(same_json(ja, jb), "study %s: compare.json differs (timings aside)", subs[i]);
    }
    char *x = slurp("s1.out"), *y = slurp("s2.out");
    without_seconds(x);
    without_seconds(y);
    CHECK(x && y && strstr(x, "Findings") && strcmp(x, y) == 0, "the findings differ:\n%s\n---\n%s", x ? x : "",
          y ? y : "");
    free(x);
    free(y);
}

static void rank_killed(void)
{
    CHECK_SECTION("a rank killed mid-run: the job stops, finished jobs are on disk, a re-run on 4 ranks completes");
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "%s " COMPARE_ARGS "%s --out killed", mpirun_line(mpi, sizeof mpi, 2, ""), sizes);
    int rc = run_and_kill("killed", line, 1, 2);
    CHECK(rc != 0, "mpirun reports the dead rank with a non-zero exit status");
    char *err = slurp("killed.err");
    CHECK(err && strstr(err, "Every job that finished is saved in killed"), "rank 0 says where the jobs are: %s",
          err ? err : "");
    CHECK(err && strstr(err, "exited on signal 9"), "mpirun names the killed rank: %s", err ? err : "");
    free(err);
    int saved = count_jobs("killed");
    CHECK(saved >= 2 && saved < 14, "%d of 14 job files saved before the kill", saved);
    same_jobs("ref", "killed", "jobs", 0);
    same_jobs("ref", "killed", "tune", 0);
    double until = now() + 10;
    while (survivors("killed") > 0 && now() < until)
        pause_ms(20);
    CHECK(survivors("killed") == 0, "%d processes of the killed run outlive it", survivors("killed"));

    snprintf(line, sizeof line, "%s " COMPARE_ARGS "%s --out killed", mpirun_line(mpi, sizeof mpi, 4, ""), sizes);
    CHECK(sh("resumed", line) == 0, "the re-run on 4 ranks failed: see %s/resumed.err", root);
    err = slurp("resumed.err");
    int tune_done = -1, jobs_done = -1;
    const char *t = err ? strstr(err, "tune lr: 2 arms x 2 lr x seed runs = 4 jobs, ") : NULL;
    const char *c = err ? strstr(err, "compare: 2 arms x 5 seeds = 10 jobs, ") : NULL;
    if (t)
        sscanf(t + strlen("tune lr: 2 arms x 2 lr x seed runs = 4 jobs, "), "%d", &tune_done);
    if (c)
        sscanf(c + strlen("compare: 2 arms x 5 seeds = 10 jobs, "), "%d", &jobs_done);
    CHECK(tune_done >= 0 && jobs_done >= 0 && tune_done + jobs_done == saved,
          "the re-run skips the %d saved jobs (it found %d + %d): %s", saved, tune_done, jobs_done, err ? err : "");
    free(err);
    same_results("ref", "killed");
}

static void rank_recovered(void)
{
    CHECK_SECTION("with --enable-recovery a dead rank's jobs are run by the others");
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "%s " COMPARE_ARGS "%s --rank-timeout 2 --out recovered",
             mpirun_line(mpi, sizeof mpi, 3, "--enable-recovery"), sizes);
    int rc = run_and_kill("recovered", line, 2, 0);
    char *err = slurp("recovered.err");
    CHECK(rc == 0, "the run goes on to the end without rank 2 (exit %d): %s", rc, err ? err : "");
    CHECK(err && strstr(err, "MPI rank 2 lost: no word from rank 2 for 2 s"), "rank 0 says rank 2 is lost: %s",
          err ? err : "");
    free(err);
    same_results("ref", "recovered");
}

static void job_killed(void)
{
    CHECK_SECTION("a job whose worker is killed is reported failed; the others complete; a re-run retries it");
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "%s " COMPARE_ARGS "%s --out failjob", mpirun_line(mpi, sizeof mpi, 2, ""), sizes);
    pid_t run = start("failjob", line);
    long worker = 0, old = -1;
    double until = now() + 120;
    /* a final job (so that the tuning still chooses the same rates), and a worker that has just started one:
     * the one running when the count changes may be the one that has just saved its job */
    while (!worker && now() < until && waitpid(run, NULL, WNOHANG) == 0) {
        if (old < 0 && count_jobs("failjob") >= 5)
            old = worker_of("failjob", 1);
        else if (old >= 0) {
            long w = worker_of("failjob", 1);
            worker = w != old ? w : 0;
        }
        pause_ms(2);
    }
    CHECK(worker > 0, "no worker of rank 1 ran a final job");
    if (worker > 0)
        kill((pid_t)worker, SIGKILL);
    int rc = finish(run);
    char *err = slurp("failjob.err"), *out = slurp("failjob.out");
    CHECK(rc == 0, "the comparison completes (exit %d): %s", rc, err ? err : "");
    CHECK(err && strstr(err, "FAILED: the worker was killed by signal 9"), "the job is reported failed: %s",
          err ? err : "");
    CHECK(out && strstr(out, "4/5"), "one arm has 4 of 5 seeds: %s", out ? out : "");
    free(err);
    free(out);
    /* (a worker killed between saving its job and exiting leaves its job saved: reported failed, not retried) */
    int saved = count_jobs("failjob");
    CHECK(saved == 13 || saved == 14, "the 13 other jobs are saved (%d)", saved);
    snprintf(line, sizeof line, "'%s' " COMPARE_ARGS "%s --out failjob", AL_CLI, sizes);
    CHECK(sh("retried", line) == 0, "the re-run failed: see %s/retried.err", root);
    err = slurp("retried.err");
    char want[64];
    snprintf(want, sizeof want, "10 jobs, %d already done", saved - 4);
    CHECK(err && strstr(err, want), "the re-run retries only the failed job (%s): %s", want, err ? err : "");
    free(err);
    same_results("ref", "failjob");
}

static void other_comparison(void)
{
    CHECK_SECTION("a rank running another comparison stops the run, named");
    char line[4096];
    /* two programs in one MPI job: rank 1 with one seed less */
    snprintf(line, sizeof line, "'%s' --oversubscribe --bind-to none -n 1 '%s' " COMPARE_ARGS "%s --out other : "
             "-n 1 '%s' compare --acts ReLU,Tanh --train data.csv --seeds 4 --batch 32 --depths 2 --tune-lr 0.03,0.1 "
             "%s --out other", AL_MPIEXEC, AL_CLI, sizes, AL_CLI, sizes);
    CHECK(sh("other", line) != 0, "the run fails");
    char *err = slurp("other.err");
    CHECK(err && strstr(err, "rank 1 runs another comparison than rank 0"), "naming rank 1: %s", err ? err : "");
    free(err);
}

static void other_commands(void)
{
    CHECK_SECTION("commands that do not share work say that each rank runs all of it");
    char line[2048], mpi[1024];
    snprintf(line, sizeof line, "%s act list", mpirun_line(mpi, sizeof mpi, 2, ""));
    CHECK(sh("act", line) == 0, "`act list` runs under 2 ranks");
    char *err = slurp("act.err"), *out = slurp("act.out");
    CHECK(err && strstr(err, "only `actlab compare` and `actlab study` share their work among ranks"),
          "and says so: %s", err ? err : "");
    const char *first = err ? strstr(err, "share their work") : NULL;
    CHECK(first && !strstr(first + 1, "share their work"), "once, on rank 0: %s", err ? err : "");
    CHECK(out && strstr(out, "ReLU"), "each rank lists the activations: %s", out ? out : "");
    free(err);
    free(out);
}

int main(void)
{
    struct stat sb;
    if (!al_cluster_supported() || !*AL_MPIEXEC || stat(AL_MPIEXEC, &sb) != 0) {
        printf("test_mpi: skipped: %s\n", al_cluster_supported() ? "no mpirun found when configured"
                                                                 : "this build has no MPI (configure found no Open MPI; "
                                                                   "scripts/deps.sh installs libopenmpi-dev)");
        return 77;
    }
    snprintf(root, sizeof root, "/tmp/actlab_mpi_XXXXXX");
    if (!mkdtemp(root))
        return 1;
    /* Open MPI as root (containers), its shared-memory transport without the single-copy mechanism that
     * needs ptrace rights containers often lack, and no warnings about either */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    if (SANITIZED) {
        /* what Open MPI keeps until exit is not actlab's leak (tests/lsan_mpi.supp); whole stacks and its
         * plugins kept loaded so that the suppressions see whose allocation it is */
        static char asan[1024];
        const char *given = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof asan, "%s%sfast_unwind_on_malloc=0", given ? given : "", given && *given ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
        setenv("LSAN_OPTIONS", "suppressions=" AL_LSAN_SUPPRESSIONS ":print_suppressions=0", 1);
        setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 1);
    }
    snprintf(sizes, sizeof sizes, "--width %d --epochs %d", SANITIZED ? 128 : 384, SANITIZED ? 6 : 12);
    write_data();
    equal_to_one_process();
    study_equal();
    rank_killed();
    rank_recovered();
    job_killed();
    other_comparison();
    other_commands();
    int failed = CHECK_STATE->failures;
    if (!failed) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", root);
    } else
        fprintf(stderr, "the runs' files are in %s\n", root);
    return check_summary("test_mpi");
}
