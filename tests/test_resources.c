/* Resource errors end a command with a clear message and leave no partial
 * file: a full disk (a file-size limit, and a small tmpfs when running as
 * root where mounting works), an unwritable path, and absurd sizes, which
 * are refused before anything is allocated with the size they would need.
 * Each command runs in a child with an alarm: a hang or a crash fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

static char dir[256];
static char last_err[8192];

typedef struct limits {
    rlim_t file_bytes;     /* RLIMIT_FSIZE, 0 for none */
    rlim_t address_bytes;  /* RLIMIT_AS, 0 for none */
} limits;

/* Runs `actlab ARGS` in dir under the limits, SIGXFSZ ignored (so that
 * writes past the limit fail with EFBIG instead of killing), stderr kept in
 * last_err. Returns the exit status, or -SIGNAL if a signal ended it. */
static int run_limited(limits lim, const char *args)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1000;
    pid_t pid = fork();
    if (pid == 0) {
        /* stderr goes to a pipe, which the file-size limit does not cover */
        close(pipefd[0]);
        int null_fd = open("/dev/null", O_WRONLY);
        if (chdir(dir) != 0 || null_fd < 0 || dup2(null_fd, 1) < 0 || dup2(pipefd[1], 2) < 0)
            _exit(127);
        signal(SIGXFSZ, SIG_IGN);
        if (lim.file_bytes) {
            struct rlimit rl = {lim.file_bytes, lim.file_bytes};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (lim.address_bytes) {
            struct rlimit rl = {lim.address_bytes, lim.address_bytes};
            if (setrlimit(RLIMIT_AS, &rl) != 0)
                _exit(126);
        }
        alarm(60); /* kept across exec: a hang ends with SIGALRM */
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "exec '%s' %s", AL_CLI, args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    size_t n = 0;
    ssize_t got;
    while ((got = read(pipefd[0], last_err + n, sizeof last_err - 1 - n)) > 0)
        n += (size_t)got;
    last_err[n] = '\0';
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int run(const char *args)
{
    limits none = {0, 0};
    return run_limited(none, args);
}

static int exists(const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* Names in folder (relative to dir) other than "." and ".."; 0 if it is missing. */
static int entries(const char *folder)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, folder);
    DIR *d = opendir(p);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            fprintf(stderr, "    %s/%s is there\n", folder, e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

static void write_file(const char *name, const void *bytes, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite(bytes, 1, n, f) == n, "writing %s", p);
    if (f)
        fclose(f);
}

/* Writes a to dir/name and frees it. */
static void save_npy(const char *name, al_array *a)
{
    char p[512];
    al_error err = {0};
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK(al_npy_write(p, a, &err) == AL_OK, "%s", err.message);
    al_array_free(a);
}

/* x [n, 4] float32 and y [n] int32, three classes. */
static void write_data(const char *xname, const char *yname, size_t n)
{
    size_t xs[2] = {n, 4}, ys[1] = {n};
    al_array x = {0}, y = {0};
    al_error err = {0};
    al_array_create(&x, AL_DTYPE_F32, 2, xs, &err);
    al_array_create(&y, AL_DTYPE_I32, 1, ys, &err);
    for (size_t i = 0; i < n; i++) {
        ((int32_t *)y.data)[i] = (int32_t)(i % 3);
        for (size_t k = 0; k < 4; k++)
            ((float *)x.data)[i * 4 + k] = (float)((i * 7 + k * 3) % 11) / 11.0f + (k == i % 3 ? 1.0f : 0.0f);
    }
    save_npy(xname, &x);
    save_npy(yname, &y);
}

/* A failure: non-zero exit (not a signal), and stderr has both needles. */
#define EXPECT_REFUSED(rc_expr, args, needle1, needle2)                                            \
    do {                                                                                           \
        struct timespec a_, b_;                                                                    \
        clock_gettime(CLOCK_MONOTONIC, &a_);                                                       \
        int rc_ = (rc_expr);                                                                       \
        clock_gettime(CLOCK_MONOTONIC, &b_);                                                       \
        double s_ = (double)(b_.tv_sec - a_.tv_sec) + 1e-9 * (double)(b_.tv_nsec - a_.tv_nsec);    \
        CHECK(rc_ > 0, "`actlab %s` exited %d (negative: killed by that signal): %s", args, rc_,   \
              last_err);                                                                           \
        CHECK(strstr(last_err, needle1) && strstr(last_err, needle2),                              \
              "`actlab %s`: stderr lacks '%s' or '%s': %s", args, needle1, needle2, last_err);     \
        CHECK(s_ < 20, "`actlab %s` took %.1f s", args, s_);                                       \
        fprintf(stderr, "  %-60.60s -> %s", args, last_err);                                       \
    } while (0)

#define MODEL "--model 'Linear(4, 256), ReLU(), Linear(256, 3)'"
#define DATA "--train x.npy,y.npy --quiet --threads 1"

/* The limit is below every output written here but above the messages. */
static void full_disk_by_file_size_limit(void)
{
    CHECK_SECTION("full disk: RLIMIT_FSIZE 4096 bytes");
    limits lim = {4096, 0};
    char mk[600];
    snprintf(mk, sizeof mk, "mkdir -p '%s/fs'", dir);
    CHECK(system(mk) == 0, "%s", mk);
    EXPECT_REFUSED(run_limited(lim, "train " MODEL " " DATA " --epochs 1 --save fs/m.safetensors"),
                   "train --save fs/m.safetensors", "'fs/m.safetensors'", "File too large");
    EXPECT_REFUSED(run_limited(lim, "train " MODEL " " DATA " --epochs 1 --checkpoint-dir fs/ck"),
                   "train --checkpoint-dir fs/ck", "'fs/ck/checkpoint.safetensors'", "File too large");
    CHECK(entries("fs/ck") == 0, "the checkpoint folder is empty");
    EXPECT_REFUSED(run_limited(lim, "act eval 'ELU()' --in x.npy --out fs/y.npy"), "act eval --out fs/y.npy",
                   "'fs/y.npy'", "File too large");
    EXPECT_REFUSED(run_limited(lim, "predict " MODEL " --weights m.safetensors --in x2.npy --out fs/p.npy"),
                   "predict --out fs/p.npy", "'fs/p.npy'", "File too large");
    CHECK(!exists("fs/m.safetensors") && !exists("fs/y.npy") && !exists("fs/p.npy"), "no output written");
    /* the log is written as training goes: a record that does not fit ends
     * the run, and the log keeps only whole records */
    EXPECT_REFUSED(run_limited(lim, "train " MODEL " " DATA " --epochs 100 --log fs/m.jsonl"),
                   "train --log fs/m.jsonl", "'fs/m.jsonl'", "File too large");
    char p[512];
    snprintf(p, sizeof p, "%s/fs/m.jsonl", dir);
    char *log = NULL;
    size_t n = 0;
    if (al_file_read_all(p, 1 << 20, &log, &n, NULL) == AL_OK) {
        CHECK(n == 0 || log[n - 1] == '\n', "the log ends in a partial record (%zu bytes)", n);
        free(log);
        snprintf(p, sizeof p, "%s/fs/m.jsonl", dir);
        unlink(p);
    }
    CHECK(entries("fs") == 0, "nothing is left in fs/, not even an empty checkpoint folder");
}

/* A tmpfs of 16 KiB: writes fail with ENOSPC. Needs root and mount(2). */
static void full_disk_by_tmpfs(void)
{
    CHECK_SECTION("full disk: a 16 KiB tmpfs");
    char mnt[512];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    CHECK(mkdir(mnt, 0755) == 0, "mkdir %s", mnt);
    if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=16k") != 0) {
        fprintf(stderr, "  skipped: mounting a tmpfs needs root (%s)\n", strerror(errno));
        rmdir(mnt);
        return;
    }
    /* 8195 parameters: 33 KB of weights */
    const char *big = "--model 'Linear(4, 1024), ReLU(), Linear(1024, 3)'";
    char args[512];
    snprintf(args, sizeof args, "train %s " DATA " --epochs 1 --save small/m.safetensors", big);
    EXPECT_REFUSED(run(args), args, "'small/m.safetensors'", "No space left on device");
    snprintf(args, sizeof args, "train %s " DATA " --epochs 1 --checkpoint-dir small/ck", big);
    EXPECT_REFUSED(run(args), args, "'small/ck/checkpoint.safetensors'", "No space left on device");
    CHECK(entries("small/ck") == 0 && !exists("small/ck"), "no checkpoint folder is left");
    EXPECT_REFUSED(run("act eval 'ELU()' --in x2.npy --out small/y.npy"), "act eval --out small/y.npy",
                   "'small/y.npy'", "No space left on device");
    EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 400 --log small/m.jsonl"), "train --log small/m.jsonl",
                   "'small/m.jsonl'", "No space left on device");
    snprintf(args, sizeof args, "%s/small/m.jsonl", dir);
    unlink(args);
    CHECK(entries("small") == 0, "nothing is left on the tmpfs");
    CHECK(umount2(mnt, MNT_DETACH) == 0, "umount %s: %s", mnt, strerror(errno));
    rmdir(mnt);
}

static void unwritable_paths(void)
{
    CHECK_SECTION("unwritable paths");
    write_file("file.txt", "a file, not a folder\n", 21);
    EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 1 --save file.txt/m.safetensors"),
                   "train --save file.txt/m.safetensors", "'file.txt/m.safetensors'", "Not a directory");
    EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 1 --save nodir/m.safetensors"),
                   "train --save nodir/m.safetensors", "'nodir/m.safetensors'", "No such file or directory");
    EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 1 --checkpoint-dir file.txt/ck"),
                   "train --checkpoint-dir file.txt/ck", "'file.txt/ck'", "Not a directory");
    EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 1 --log file.txt/m.jsonl"),
                   "train --log file.txt/m.jsonl", "'file.txt/m.jsonl'", "Not a directory");
    EXPECT_REFUSED(run("act eval 'ReLU()' --in x.npy --out file.txt/y.npy"), "act eval --out file.txt/y.npy",
                   "'file.txt/y.npy'", "Not a directory");
    EXPECT_REFUSED(run("predict " MODEL " --weights m.safetensors --in x.npy --out file.txt/p.npy"),
                   "predict --out file.txt/p.npy", "'file.txt/p.npy'", "Not a directory");
    if (geteuid() != 0) { /* root writes into read-only folders */
        char p[512];
        snprintf(p, sizeof p, "%s/ro", dir);
        CHECK(mkdir(p, 0555) == 0, "mkdir %s", p);
        EXPECT_REFUSED(run("train " MODEL " " DATA " --epochs 1 --save ro/m.safetensors"),
                       "train --save ro/m.safetensors", "'ro/m.safetensors'", "Permission denied");
        CHECK(entries("ro") == 0, "nothing in the read-only folder");
    }
    CHECK(!exists("nodir"), "no folder was created");
}

/* An 8-byte little-endian length, the JSON header, then data_bytes zeros. */
static void write_safetensors(const char *name, const char *header, size_t data_bytes)
{
    size_t hl = strlen(header), n = 8 + hl + data_bytes;
    unsigned char *b = calloc(1, n);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + 8, header, hl);
    write_file(name, b, n);
    free(b);
}

static void absurd_sizes(void)
{
    CHECK_SECTION("absurd sizes: refused before allocating, with the size needed");
    EXPECT_REFUSED(run("train " MODEL " " DATA " --batch 1000000000000"), "train --batch 1000000000000",
                   "--batch", "1048576");
    EXPECT_REFUSED(run("train --model 'Linear(4, 1000000), ReLU(), Linear(1000000, 3)' " DATA " --batch 1048576"),
                   "train wide model --batch 1048576", "batch size 1048576", "would need 15.3 TiB");
    EXPECT_REFUSED(run("train --model 'Linear(100000000, 100000000)' " DATA),
                   "train --model 'Linear(100000000, 100000000)'", "Linear(100000000, 100000000)",
                   "would need 71.1 PiB (80000000800000000 bytes)");
    EXPECT_REFUSED(run("predict --model 'Linear(4, 1000000), ReLU(), Linear(1000000, 1000000)' --weights "
                       "m.safetensors --in x.npy"),
                   "predict --model 'Linear(4, 1000000), ..., Linear(1000000, 1000000)'",
                   "most of them in Linear(1000000, 1000000)", "would need 7.3 TiB");

    /* headers that claim far more than their file holds */
    char npy[256];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (10000000000000, 4), }";
    size_t len = strlen(dict) + 1, pad = (64 - (10 + len) % 64) % 64;
    memcpy(npy, "\x93NUMPY\x01\x00", 8);
    npy[8] = (char)(len + pad);
    npy[9] = 0;
    memcpy(npy + 10, dict, len - 1);
    memset(npy + 10 + len - 1, ' ', pad);
    npy[10 + len + pad - 1] = '\n';
    memset(npy + 10 + len + pad, 0, 4);
    write_file("huge.npy", npy, 10 + len + pad + 4);
    EXPECT_REFUSED(run("train " MODEL " --train huge.npy,y.npy"), "train --train huge.npy,y.npy",
                   "'huge.npy'", "needs 160000000000000 bytes");
    EXPECT_REFUSED(run("act eval 'ReLU()' --in huge.npy --out o.npy"), "act eval --in huge.npy",
                   "'huge.npy'", "needs 160000000000000 bytes");
    const unsigned char idx[] = {0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 2, 3};
    write_file("huge.idx", idx, sizeof idx);
    const unsigned char lab[] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2};
    write_file("lab.idx", lab, sizeof lab);
    EXPECT_REFUSED(run("train " MODEL " --train huge.idx,lab.idx"), "train --train huge.idx,lab.idx",
                   "'huge.idx'", "needs 281474976710656 bytes");
    const unsigned char idx2[] = {0, 0, 0x0e, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
    write_file("overflow.idx", idx2, sizeof idx2);
    EXPECT_REFUSED(run("train " MODEL " --train overflow.idx,lab.idx"), "train --train overflow.idx,lab.idx",
                   "'overflow.idx'", "would need 6.338e+29 bytes");
    write_safetensors("huge.safetensors",
                      "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[100000000000,100000000000],"
                      "\"data_offsets\":[0,4]}}", 4);
    EXPECT_REFUSED(run("eval --model 'Linear(4, 3)' --weights huge.safetensors --test x.npy,y.npy"),
                   "eval --weights huge.safetensors", "'huge.safetensors'", "would need 4e+22 bytes");
    EXPECT_REFUSED(run("train --model 'Linear(4, 3)' " DATA " --init huge.safetensors"),
                   "train --init huge.safetensors", "'huge.safetensors'", "would need 4e+22 bytes");

    /* a limit below the machine's memory is named as the limit */
    if (!UNDER_ASAN) { /* ASan reserves terabytes of address space */
        limits lim = {0, (rlim_t)2 << 30};
        EXPECT_REFUSED(run_limited(lim, "train --model 'Linear(4, 20000), ReLU(), Linear(20000, 20000)' " DATA),
                       "train under ulimit -v 2 GiB", "would need 3.0 GiB",
                       "more than the 2.0 GiB address-space limit (ulimit -v)");
    }

    /* the library calls themselves */
    al_error err = {0};
    al_array a;
    size_t shape[1] = {(size_t)1 << 42};
    CHECK(al_array_create(&a, AL_DTYPE_F32, 1, shape, &err) == AL_ERR_NOMEM && a.data == NULL &&
              strstr(err.message, "would need 16.0 TiB (17592186044416 bytes)"),
          "a 16 TiB array: %s", err.message);
    CHECK(al_memory_check(1e30, &err, "a test of %d", 1) == AL_ERR_NOMEM &&
              strstr(err.message, "a test of 1 would need 1e+30 bytes"), "%s", err.message);
    CHECK(al_memory_check(1 << 20, &err, "a MiB") == AL_OK, "a MiB passes");
    char text[32];
    al_format_bytes(100, text, sizeof text);
    CHECK(strcmp(text, "100 bytes") == 0, "%s", text);
    al_format_bytes(1536, text, sizeof text);
    CHECK(strcmp(text, "1.5 KiB") == 0, "%s", text);
    al_format_bytes(3.0 * (1 << 30), text, sizeof text);
    CHECK(strcmp(text, "3.0 GiB") == 0, "%s", text);
    al_format_bytes(5e21, text, sizeof text);
    CHECK(strcmp(text, "5e+21 bytes") == 0, "%s", text);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/actlab_resources_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    write_data("x.npy", "y.npy", 300);
    write_data("x2.npy", "y2.npy", 2000);
    CHECK(run("train " MODEL " " DATA " --epochs 1 --save m.safetensors") == 0, "%s", last_err);

    full_disk_by_file_size_limit();
    full_disk_by_tmpfs();
    unwritable_paths();
    absurd_sizes();

    char cleanup[300];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_resources");
}
