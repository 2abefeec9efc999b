/* CNN throughput: Conv2d(1,32,5,padding=2), ReLU(), MaxPool2d(2),
 * Conv2d(32,64,5,padding=2), ReLU(), MaxPool2d(2), Flatten(),
 * Linear(3136,1024), ReLU(), Linear(1024,10) on Fashion-MNIST at batch 64:
 * training samples/s (shuffled, SGD lr 0.01 momentum 0.9, through al_train)
 * and inference samples/s (eval-mode forward passes over the test set), one
 * thread count per process so that the peak RSS is that run's; each also
 * by process CPU time, the steadier figure on a busy machine at one thread,
 * and by its median step (training) and median batch (inference), the
 * steadier figure at two threads, where one preempted thread holds up the
 * other at every wait.
 * bench/run.sh runs it for 1 and 2 threads beside PyTorch (bench/torch_cnn.py,
 * the same model, data and recipe) and prints the ratios. Targets (issue 15):
 * training >= 1.2x PyTorch, inference >= 1.3x, peak RSS <= 1/2. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "actlab/actlab.h"

#define SPEC                                                                                            \
    "Conv2d(1, 32, 5, padding=2), ReLU(), MaxPool2d(2), Conv2d(32, 64, 5, padding=2), ReLU(), "         \
    "MaxPool2d(2), Flatten(), Linear(3136, 1024), ReLU(), Linear(1024, 10)"
#define BATCH 64

static double clock_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time, and this process's CPU time: on one thread the CPU time leaves
 * out the time other programs on a busy machine took, so it is the steadier
 * figure there. */
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

typedef struct timing {
    long warmup, total;
    double t_start, t_end, t_last, cpu_start, cpu_end, samples;
    double loss, accuracy;
    double *step_seconds;     /* each timed step's wall time */
    size_t steps_timed;
} timing;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_double);
    return n ? t[n / 2] : 0;
}

static void on_step(const al_train_progress *p, void *context)
{
    timing *tm = context;
    if (p->epoch_end)
        return;
    double t = now();
    if (p->step == tm->warmup) {
        tm->t_start = t;
        tm->cpu_start = cpu_now();
    }
    if (p->step > tm->warmup) {
        tm->samples += BATCH;
        tm->step_seconds[tm->steps_timed++] = t - tm->t_last;
    }
    if (p->step == tm->total) {
        tm->t_end = t;
        tm->cpu_end = cpu_now();
    }
    tm->t_last = t;
    tm->loss = p->loss;
    tm->accuracy = p->accuracy;
}

static void usage_exit(void)
{
    fprintf(stderr, "usage: bench_cnn [--threads T] [--steps N] [--warmup W] [--infer-passes P] [--data DIR]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int threads = 1, passes = 2;
    long steps = 300, warmup = 10;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage_exit();
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atol(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atol(argv[++i]);
        else if (strcmp(argv[i], "--infer-passes") == 0)
            passes = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0)
            dir = argv[++i];
        else
            usage_exit();
    }
    if (threads < 1 || steps < 1 || warmup < 1 || passes < 1)
        usage_exit();
    omp_set_num_threads(threads);

    al_error err = {0};
    al_dataset *train = NULL, *test = NULL;
    al_net *net = NULL;
    if (al_dataset_load_fashion_mnist(dir, AL_DATA_TRAIN, &train, &err) != AL_OK ||
        al_dataset_load_fashion_mnist(dir, AL_DATA_TEST, &test, &err) != AL_OK) {
        fprintf(stderr, "bench_cnn: %s\n", err.message);
        return 1;
    }
    al_net_options no = al_net_options_default();
    no.threads = threads;
    if (al_net_create(SPEC, &no, &net, &err) != AL_OK) {
        fprintf(stderr, "bench_cnn: %s\n", err.message);
        return 1;
    }
    al_train_options o = al_train_options_default();
    o.batch = BATCH;
    o.steps = warmup + steps;
    o.shuffle = 1;
    o.optim.lr = 0.01;
    o.optim.momentum = 0.9;
    timing tm;
    memset(&tm, 0, sizeof tm);
    tm.warmup = warmup;
    tm.total = warmup + steps;
    size_t batches = ((size_t)al_dataset_count(test) + BATCH - 1) / BATCH * (size_t)passes;
    tm.step_seconds = malloc((size_t)steps * sizeof *tm.step_seconds);
    double *batch_seconds = malloc(batches * sizeof *batch_seconds);
    if (!tm.step_seconds || !batch_seconds) {
        fprintf(stderr, "bench_cnn: out of memory\n");
        return 1;
    }
    if (al_train(net, train, NULL, &o, on_step, &tm, NULL, &err) != AL_OK) {
        fprintf(stderr, "bench_cnn: %s\n", err.message);
        return 1;
    }
    double train_sps = tm.samples / (tm.t_end - tm.t_start), train_cpu = tm.samples / (tm.cpu_end - tm.cpu_start);
    double train_median = BATCH / median(tm.step_seconds, tm.steps_timed);

    /* inference: eval-mode forward passes over the test set, batch 64, after
     * one warm-up batch; each batch's bytes become floats as it is read */
    size_t n = al_dataset_count(test), f = al_dataset_features(test);
    float *x = malloc(BATCH * f * sizeof *x);
    if (!x) {
        fprintf(stderr, "bench_cnn: out of memory\n");
        return 1;
    }
    al_dataset_rows(test, 0, BATCH, x);
    if (al_net_fit_data(net, test, "the test data", &err) != AL_OK || !al_net_forward(net, x, BATCH, 0, 0)) {
        fprintf(stderr, "bench_cnn: %s\n", err.message);
        return 1;
    }
    double t0 = now(), c0 = cpu_now(), checksum = 0;
    size_t full = 0; /* batches of BATCH rows timed */
    for (int pass = 0; pass < passes; pass++)
        for (size_t start = 0; start < n; start += BATCH) {
            size_t rows = n - start < BATCH ? n - start : BATCH;
            double b0 = now();
            al_dataset_rows(test, start, rows, x);
            const float *y = al_net_forward(net, x, rows, 0, 0);
            if (!y) {
                fprintf(stderr, "bench_cnn: the forward pass failed\n");
                return 1;
            }
            if (rows == BATCH)
                batch_seconds[full++] = now() - b0;
            checksum += y[0];
        }
    double infer_sps = (double)(n * (size_t)passes) / (now() - t0);
    double infer_cpu = (double)(n * (size_t)passes) / (cpu_now() - c0);
    double infer_median = BATCH / median(batch_seconds, full);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mib = (double)ru.ru_maxrss / 1024.0;
    printf("# actlab CNN: %s\n", SPEC);
    printf("# Fashion-MNIST, batch %d; training: %ld steps timed after %ld warm-up, shuffled, SGD lr 0.01 "
           "momentum 0.9; inference: %d pass(es) over the %zu test images; %d thread%s; activation kernels %s\n",
           BATCH, steps, warmup, passes, n, threads, threads > 1 ? "s" : "", al_isa_name(AL_ISA_AUTO));
    printf("# running loss %.4f, accuracy %.4f at the last step; output checksum %.4g\n", tm.loss, tm.accuracy,
           checksum);
    printf("# samples/s by wall time, peak RSS, samples/s by process CPU time (all threads' together), then by "
           "the median step and batch\n");
    printf("%-8s %7s %11s %11s %12s %11s %11s %11s %11s\n", "#impl", "threads", "train/s", "infer/s",
           "peak_RSS_MiB", "train/cpu-s", "infer/cpu-s", "train_med/s", "infer_med/s");
    printf("%-8s %7d %11.0f %11.0f %12.1f %11.0f %11.0f %11.0f %11.0f\n", "actlab", threads, train_sps, infer_sps,
           rss_mib, train_cpu, infer_cpu, train_median, infer_median);
    free(tm.step_seconds);
    free(batch_seconds);
    free(x);
    al_net_free(net);
    al_dataset_free(train);
    al_dataset_free(test);
    return 0;
}
