/* Crash safety of `actlab train --checkpoint-dir`: a training process is
 * killed with SIGKILL at seeded random moments, many of them inside a
 * checkpoint write (the test watches the checkpoint folder with inotify and
 * kills just after the writer creates its temporary file) and some inside the
 * final --save write. After every kill the latest checkpoint must load, no
 * more than the one temporary file of the killed writer may be left, and a
 * --save file, if present, must already be the final one; `--resume` then
 * continues, and each completed run's weights must be bit-identical to an
 * uninterrupted run's.
 *
 * ACTLAB_CRASH_KILLS (default 24, at least 20) sets how many kills,
 * ACTLAB_CRASH_SEED (default 1) the plan of kill moments. The moments are
 * drawn from the seed, but where a kill lands also depends on timing, so
 * two runs with one seed kill at the same delays, not at the same steps.
 * ACTLAB_CRASH_VERBOSE=1 prints each run's plan and outcome. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

#define SPEC "Linear(16, 256), ReLU(), Dropout(p=0.1), Linear(256, 256), ReLU(), Linear(256, 4)"
#define EPOCHS 40
#define STR(x) #x
#define XSTR(x) STR(x)
/* kills before a training is let to complete and is compared */
#define KILLS_PER_CYCLE 12
#define CHECKPOINT "checkpoint.safetensors"
#define FINAL "final.safetensors"

static char dir[256], ck_dir[300];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_seconds(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void path_in(char *buf, size_t size, const char *folder, const char *name)
{
    snprintf(buf, size, "%s/%s", folder, name);
}

/* x.npy [512, 16] float32 and y.npy [512] int32: four noisy classes. */
static void write_data(void)
{
    enum { N = 512, F = 16 };
    size_t xs[2] = {N, F}, ys[1] = {N};
    al_array x = {0}, y = {0};
    al_error err = {0};
    al_array_create(&x, AL_DTYPE_F32, 2, xs, &err);
    al_array_create(&y, AL_DTYPE_I32, 1, ys, &err);
    al_rng rng;
    al_rng_seed(&rng, 42);
    for (size_t i = 0; i < N; i++) {
        int c = (int)(i % 4);
        ((int32_t *)y.data)[i] = c;
        for (size_t k = 0; k < F; k++)
            ((float *)x.data)[i * F + k] = (float)(al_rng_normal(&rng) + (k % 4 == (size_t)c ? 1.5 : 0));
    }
    al_array *arrays[2] = {&x, &y};
    const char *names[2] = {"x.npy", "y.npy"};
    for (int i = 0; i < 2; i++) {
        char p[512];
        path_in(p, sizeof p, dir, names[i]);
        CHECK(al_npy_write(p, arrays[i], &err) == AL_OK, "%s", err.message);
        al_array_free(arrays[i]);
    }
}

/* Starts `actlab train` in dir; with resume, through the checkpoint folder. */
static pid_t start_training(int resume, const char *save)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (chdir(dir) != 0)
        _exit(127);
    int out = open("/dev/null", O_WRONLY), err = open("err.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    char *argv[40];
    int n = 0;
    const char *fixed[] = {AL_CLI, "train", "--model", SPEC, "--train", "x.npy,y.npy", "--epochs", XSTR(EPOCHS),
                           "--batch", "64", "--opt", "adamw", "--lr", "0.002", "--weight-decay", "0.01", "--seed", "7",
                           "--threads", "1", "--quiet", "--save", save};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = (char *)fixed[i];
    if (resume) {
        argv[n++] = "--checkpoint-dir";
        argv[n++] = "ck";
        argv[n++] = "--resume";
    }
    argv[n] = NULL;
    execv(AL_CLI, argv);
    _exit(127);
}

static void show_stderr(void)
{
    char p[512], buf[2048];
    path_in(p, sizeof p, dir, "err.txt");
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    fprintf(stderr, "    stderr of the run: %s\n", buf);
}

typedef enum kill_mode { KILL_AT_DELAY, KILL_IN_CHECKPOINT, KILL_IN_SAVE } kill_mode;

typedef struct plan {
    kill_mode mode;
    double delay;   /* KILL_AT_DELAY: seconds after the start */
    int nth;        /* KILL_IN_*: kill at the nth temporary file created */
    double after;   /* ... this many seconds after it appeared */
} plan;

/* A write of target begins: the atomic writer creates "target.tmp.PID"; a
 * writer that wrote target in place would truncate it (IN_MODIFY), which is
 * watched too so that such a writer would be caught mid-write. */
static int is_write_start(const struct inotify_event *e, const char *target)
{
    size_t n = strlen(target);
    if (strncmp(e->name, target, n) != 0)
        return 0;
    if (e->mask & IN_CREATE)
        return strncmp(e->name + n, ".tmp.", 5) == 0;
    return (e->mask & IN_MODIFY) && e->name[n] == '\0';
}

/* Runs child to its end, or kills it as planned. Returns 1 if it was
 * killed, 0 if it exited by itself (*status says how). */
static int run_or_kill(pid_t child, const plan *p, int inotify_fd, int wd_ck, int wd_dir, int *status)
{
    double start = now(), limit = start + 120;
    int seen = 0;
    for (;;) {
        pid_t w = waitpid(child, status, WNOHANG);
        if (w == child)
            return 0;
        int fire = 0;
        if (p->mode == KILL_AT_DELAY) {
            double left = start + p->delay - now();
            if (left <= 0)
                fire = 1;
            else
                sleep_seconds(left < 0.001 ? left : 0.001);
        } else {
            struct pollfd pfd = {inotify_fd, POLLIN, 0};
            if (poll(&pfd, 1, 1) > 0) {
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                ssize_t len = read(inotify_fd, buf, sizeof buf);
                const char *target = p->mode == KILL_IN_CHECKPOINT ? CHECKPOINT : FINAL;
                int wd = p->mode == KILL_IN_CHECKPOINT ? wd_ck : wd_dir;
                for (ssize_t off = 0; off < len;) {
                    const struct inotify_event *e = (const struct inotify_event *)(buf + off);
                    if (e->wd == wd && e->len && is_write_start(e, target) && ++seen == p->nth)
                        fire = 1;
                    off += (ssize_t)(sizeof *e + e->len);
                }
            }
            if (fire)
                sleep_seconds(p->after);
        }
        if (fire || now() > limit) {
            CHECK(!(now() > limit), "a run did not end within 120 s");
            kill(child, SIGKILL);
            waitpid(child, status, 0);
            return WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL;
        }
    }
}

/* Temporary files "NAME.tmp.*" in folder; *of_pid counts those of pid. */
static int count_temps(const char *folder, const char *name, pid_t pid, int *of_pid)
{
    char own[64];
    snprintf(own, sizeof own, "%s.tmp.%ld", name, (long)pid);
    int n = 0;
    *of_pid = 0;
    DIR *d = opendir(folder);
    if (!d)
        return 0;
    struct dirent *e;
    size_t len = strlen(name);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, name, len) != 0 || strncmp(e->d_name + len, ".tmp.", 5) != 0)
            continue;
        n++;
        if (strcmp(e->d_name, own) == 0)
            (*of_pid)++;
    }
    closedir(d);
    return n;
}

static int same_tensors(const al_tensors *a, const al_tensors *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const al_array *x = &a->items[i].array, *y = al_tensors_find(b, a->items[i].name);
        if (!y || x->dtype != y->dtype || x->count != y->count ||
            memcmp(x->data, y->data, x->count * al_dtype_size(x->dtype)) != 0)
            return 0;
    }
    return 1;
}

/* The checkpoint, if there is one, reads, is an actlab checkpoint, loads
 * into the model, and is not older than the last one seen. */
static void check_checkpoint(long *last_epoch)
{
    char p[512];
    path_in(p, sizeof p, ck_dir, CHECKPOINT);
    struct stat sb;
    if (stat(p, &sb) != 0) {
        CHECK(*last_epoch == 0, "the checkpoint of epoch %ld disappeared", *last_epoch);
        return;
    }
    al_tensors t = {0};
    al_error err = {0};
    CHECK(al_safetensors_read(p, &t, &err) == AL_OK, "the checkpoint does not read: %s", err.message);
    const char *format = al_tensors_get_meta(&t, "format"), *epoch = al_tensors_get_meta(&t, "epoch");
    CHECK(format && strcmp(format, "actlab-checkpoint-1") == 0 && epoch, "checkpoint metadata");
    long e = epoch ? atol(epoch) : -1;
    CHECK(e >= *last_epoch && e >= 1, "checkpoint epoch %ld after %ld", e, *last_epoch);
    *last_epoch = e;
    al_tensors_free(&t);
    al_net *net = NULL;
    CHECK(al_net_create(SPEC, NULL, &net, &err) == AL_OK, "%s", err.message);
    CHECK(net && al_net_load(net, p, &err) == AL_OK, "the checkpoint does not load: %s", err.message);
    al_net_free(net);
}

int main(void)
{
    const char *env = getenv("ACTLAB_CRASH_KILLS");
    int want_kills = env ? atoi(env) : 24;
    if (want_kills < 20)
        want_kills = 20;
    env = getenv("ACTLAB_CRASH_SEED");
    unsigned long seed = env ? strtoul(env, NULL, 10) : 1;
    snprintf(dir, sizeof dir, "/tmp/actlab_crash_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    path_in(ck_dir, sizeof ck_dir, dir, "ck");
    write_data();

    /* the uninterrupted run, timed to scale the kill moments */
    double t0 = now();
    int status = 0;
    pid_t child = start_training(0, "reference.safetensors");
    waitpid(child, &status, 0);
    double reference_seconds = now() - t0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the uninterrupted run failed");
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        show_stderr();
    al_tensors reference = {0};
    al_error err = {0};
    char ref_path[512], final_path[512];
    path_in(ref_path, sizeof ref_path, dir, "reference.safetensors");
    path_in(final_path, sizeof final_path, dir, FINAL);
    CHECK(al_safetensors_read(ref_path, &reference, &err) == AL_OK, "%s", err.message);

    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(fd >= 0, "inotify_init1: %s", strerror(errno));
    al_rng rng;
    al_rng_seed(&rng, seed);
    int kills = 0, in_checkpoint = 0, in_save = 0, cycles = 0, runs = 0;
    while (fd >= 0 && kills < want_kills && CHECK_STATE->failures == 0) {
        /* one cycle: from nothing, kill and resume until a run completes */
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", ck_dir, final_path);
        CHECK(system(cmd) == 0, "%s", cmd);
        CHECK(mkdir(ck_dir, 0755) == 0, "mkdir %s", ck_dir);
        uint32_t mask = IN_CREATE | IN_MODIFY;
        int wd_ck = inotify_add_watch(fd, ck_dir, mask), wd_dir = inotify_add_watch(fd, dir, mask);
        long last_epoch = 0;
        int done = 0, save_tried = 0, kills_before = kills;
        for (int r = 0; !done && r < 200 && CHECK_STATE->failures == 0; r++) {
            plan p = {KILL_AT_DELAY, 0, 0, 0};
            uint64_t pick = al_rng_below(&rng, 10);
            int finishing = kills >= want_kills || kills - kills_before >= KILLS_PER_CYCLE;
            if ((finishing || last_epoch >= EPOCHS - 4) && !save_tried) {
                /* once per cycle, kill while --save writes the final weights */
                save_tried = 1;
                p.mode = KILL_IN_SAVE;
                p.nth = 1;
                p.after = al_rng_uniform(&rng) * 0.001;
            } else if (finishing) {
                p.delay = 1e9; /* enough kills: let it complete */
            } else if (pick < 4) {
                p.mode = KILL_IN_CHECKPOINT;
                p.nth = 1 + (int)al_rng_below(&rng, 6);
                /* a third at once, the rest up to 2 ms in (an fsync takes ms) */
                p.after = al_rng_below(&rng, 3) == 0 ? 0 : al_rng_uniform(&rng) * 0.002;
            } else {
                p.delay = al_rng_uniform(&rng) * 0.4 * reference_seconds;
            }
            char drain[4096];
            while (read(fd, drain, sizeof drain) > 0)
                ;
            child = start_training(1, FINAL);
            runs++;
            int killed = run_or_kill(child, &p, fd, wd_ck, wd_dir, &status);
            if (getenv("ACTLAB_CRASH_VERBOSE"))
                fprintf(stderr, "run %d: mode %d, nth %d, delay %.3f s: killed %d (checkpoint of epoch "
                        "%ld before it)\n", runs, (int)p.mode, p.nth, p.delay, killed, last_epoch);
            int ck_own = 0, save_own = 0;
            int ck_temps = count_temps(ck_dir, CHECKPOINT, child, &ck_own);
            int save_temps = count_temps(dir, FINAL, child, &save_own);
            if (killed) {
                kills++;
                in_checkpoint += ck_own;
                in_save += save_own;
            } else {
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run %d ended with status %d", runs, status);
                if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                    show_stderr();
                done = 1;
            }
            /* a writer removes the temporaries of dead writers before it
             * writes, so at most the last killed writer's own is left */
            CHECK(ck_temps <= 1 && save_temps <= 1, "%d checkpoint and %d --save temporaries left",
                  ck_temps, save_temps);
            check_checkpoint(&last_epoch);
            struct stat sb;
            if (stat(final_path, &sb) == 0) {
                /* the --save file exists only once complete: it is the final one */
                al_tensors final = {0};
                CHECK(al_safetensors_read(final_path, &final, &err) == AL_OK, "%s", err.message);
                CHECK(same_tensors(&final, &reference),
                      "cycle %d: the weights after resuming differ from the uninterrupted run's", cycles + 1);
                al_tensors_free(&final);
            } else {
                CHECK(!done, "a completed run left no --save file");
            }
        }
        CHECK(done, "cycle %d did not complete", cycles + 1);
        int own = 0;
        CHECK(count_temps(dir, FINAL, 0, &own) == 0, "a --save temporary outlived the completed run");
        inotify_rm_watch(fd, wd_ck);
        inotify_rm_watch(fd, wd_dir);
        cycles++;
    }
    if (fd >= 0)
        close(fd);
    fprintf(stderr, "crash: seed %lu, uninterrupted run %.2f s; %d kills in %d runs over %d resumed trainings, "
            "%d landed inside a checkpoint write and %d inside the --save write\n",
            seed, reference_seconds, kills, runs, cycles, in_checkpoint, in_save);
    CHECK(kills >= want_kills, "only %d kills", kills);
    CHECK(in_checkpoint >= 3, "only %d kills landed inside a checkpoint write", in_checkpoint);
    al_tensors_free(&reference);
    char cleanup[300];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_crash");
}
