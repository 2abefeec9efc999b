/* The main job's speed: a fixed small comparison run by actlab compare's
 * runner (al_compare_run: one worker process per arm-seed job, one thread
 * each), in arm-seed jobs per hour, with 1 worker and with --jobs workers
 * (default 2), alternated over --rounds rounds; the median of each is
 * reported. The comparison: Linear(784, 256), ACT, Linear(256, 10) for ACT
 * in ReLU, GELU, SiLU, 2 seeds each (6 jobs), 2 epochs of the first 24000
 * Fashion-MNIST training images (batch 128, SGD), tested on the 10000 test
 * images, probes at epoch ends, as `actlab compare` runs it. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _DEFAULT_SOURCE   /* getloadavg */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actlab/actlab.h"

#define TRAIN_ROWS 24000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Seconds for the whole comparison with `workers` worker processes, in a
 * fresh folder (a folder with results would skip its finished jobs). */
static double run_once(const al_dataset *train, const al_dataset *test, int workers, size_t *jobs,
                       double *accuracy, al_error *err)
{
    static const char *const acts[] = {"ReLU()", "GELU()", "SiLU()"};
    char dir[] = "/tmp/actlab_bench_compare_XXXXXX";
    if (!mkdtemp(dir)) {
        al_error_set(err, AL_ERR_IO, "cannot create a folder in /tmp");
        return -1;
    }
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    f.in = 784;
    f.width = 256;
    f.classes = 10;
    f.acts = acts;
    f.n_acts = 3;
    al_compare_options o = al_compare_options_default();
    o.seeds = 2;
    o.epochs = 2;
    o.jobs = workers;
    o.dir = dir;
    o.quiet = 1;
    al_compare *c = NULL;
    double seconds = -1;
    if (al_compare_create(&f, &o, &c, err) == AL_OK) {
        double t0 = now();
        if (al_compare_run(c, train, test, err) == AL_OK) {
            seconds = now() - t0;
            *jobs = al_compare_arm_count(c) * o.seeds;
            *accuracy = al_compare_summary(c, 0)->acc_mean;
        }
    }
    al_compare_free(c);
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench_compare: could not remove %s\n", dir);
    return seconds;
}

int main(int argc, char **argv)
{
    int workers = 2, rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            workers = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_compare [--jobs N] [--rounds R]\n");
            return 2;
        }
    }
    if (workers < 1 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "bench_compare: --jobs must be >= 1 and --rounds 1 to 64\n");
        return 2;
    }
    al_error err = {0};
    al_dataset *all = NULL, *train = NULL, *rest = NULL, *test = NULL;
    if (al_dataset_load_fashion_mnist(NULL, AL_DATA_TRAIN, &all, &err) != AL_OK ||
        al_dataset_split(all, al_dataset_count(all) - TRAIN_ROWS, AL_SPLIT_LAST, 0, &train, &rest, &err) !=
            AL_OK ||
        al_dataset_load_fashion_mnist(NULL, AL_DATA_TEST, &test, &err) != AL_OK) {
        fprintf(stderr, "bench_compare: %s\n", err.message);
        return 1;
    }
    al_dataset_free(all);
    al_dataset_free(rest);
    double one[64], many[64], accuracy = 0;
    size_t jobs = 0;
    for (int r = 0; r < rounds; r++) {
        one[r] = run_once(train, test, 1, &jobs, &accuracy, &err);
        many[r] = one[r] < 0 ? -1 : run_once(train, test, workers, &jobs, &accuracy, &err);
        if (one[r] < 0 || many[r] < 0) {
            fprintf(stderr, "bench_compare: %s\n", err.message);
            return 1;
        }
    }
    qsort(one, (size_t)rounds, sizeof *one, cmp_double);
    qsort(many, (size_t)rounds, sizeof *many, cmp_double);
    double t1 = one[rounds / 2], tn = many[rounds / 2];
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("# actlab compare: Linear(784, 256), {ReLU, GELU, SiLU}, Linear(256, 10); 2 seeds (%zu jobs), 2 epochs "
           "of %d Fashion-MNIST images, batch 128, SGD; median of %d rounds, load average %.2f\n",
           jobs, TRAIN_ROWS, rounds, load[0]);
    printf("# ReLU arm's mean test accuracy %.4f\n", accuracy);
    printf("%-8s %7s %9s %12s %8s\n", "#impl", "workers", "seconds", "jobs/hour", "speedup");
    printf("%-8s %7d %9.2f %12.0f %8s\n", "actlab", 1, t1, 3600.0 * (double)jobs / t1, "1.00x");
    printf("%-8s %7d %9.2f %12.0f %7.2fx\n", "actlab", workers, tn, 3600.0 * (double)jobs / tn, t1 / tn);
    al_dataset_free(train);
    al_dataset_free(test);
    return 0;
}
