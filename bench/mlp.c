/* MLP training throughput: Linear(784,256), ReLU(), Linear(256,256), ReLU(),
 * Linear(256,10) on Fashion-MNIST, batch 128, shuffled, SGD lr 0.05 momentum
 * 0.9, through al_train, in samples/s with one thread count per process (so
 * the peak RSS is that run's), beside the GEMM-bound limit: 128 samples over
 * the time oneDNN takes, in this process and with these threads, for the
 * very products one training step makes (layers.c's shapes, transposes and
 * betas), timed two ways: whole products threaded by oneDNN, and each thread
 * computing its share of the features in one parallel region as the net's
 * team does; the faster is the limit. bench/run.sh runs it for 1 and 2
 * threads beside PyTorch (bench/torch_mlp.py) and prints the ratios.
 * Targets (issue 14): 1 thread >= 1.6x PyTorch with its best BLAS setting
 * and >= 85 % of the GEMM-bound limit; 2 threads >= 1.8x actlab's own 1-thread
 * figure; peak RSS <= 1/3 of PyTorch's. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "actlab/actlab.h"
#include "base/share.h"

#define SPEC "Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10)"
#define BATCH 128
#define N_GEMMS 8

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One dnnl_sgemm call of a training step, row-major as layers.c makes it;
 * `split` says which dimension a thread's share cuts: 'N' (output features
 * of the forward, input features of dx) or 'M' (rows of dW). */
typedef struct gemm {
    const char *what;
    char ta, tb, split;
    int m, n, k;
    float beta;
    float *a, *b, *c;
    double whole, shared; /* median seconds: threaded by oneDNN, shared by the team */
} gemm;

static gemm make_gemm(const char *what, char ta, char tb, char split, int m, int n, int k, float beta)
{
    gemm g = {what, ta, tb, split, m, n, k, beta, NULL, NULL, NULL, 0, 0};
    g.a = malloc((size_t)m * (size_t)k * sizeof(float));
    g.b = malloc((size_t)k * (size_t)n * sizeof(float));
    g.c = malloc((size_t)m * (size_t)n * sizeof(float));
    if (g.a && g.b && g.c) {
        for (size_t i = 0; i < (size_t)m * (size_t)k; i++)
            g.a[i] = (float)((i * 7919u) % 1000) * 1e-3f - 0.5f;
        for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
            g.b[i] = (float)((i * 104729u) % 1000) * 1e-3f - 0.5f;
        memset(g.c, 0, (size_t)m * (size_t)n * sizeof(float));
    }
    return g;
}

/* Rows [m0, m1) and columns [n0, n1) of C. */
static void run_part(const gemm *g, int m0, int m1, int n0, int n1)
{
    int lda = g->ta == 'N' ? g->k : g->m, ldb = g->tb == 'N' ? g->n : g->k;
    const float *a = g->ta == 'N' ? g->a + (size_t)m0 * (size_t)lda : g->a + m0;
    const float *b = g->tb == 'N' ? g->b + n0 : g->b + (size_t)n0 * (size_t)ldb;
    if (m1 > m0 && n1 > n0)
        dnnl_sgemm(g->ta, g->tb, m1 - m0, n1 - n0, g->k, 1.0f, a, lda, b, ldb, g->beta,
                   g->c + (size_t)m0 * (size_t)g->n + n0, g->n);
}

/* This thread's share of n, as the net cuts features (src/base/share.h). */
static void share(int n, int part, int parts, int *b, int *e)
{
    size_t sb, se;
    al_share((size_t)n, part, parts, &sb, &se);
    *b = (int)sb;
    *e = (int)se;
}

static void run_shared(const gemm *g, int tid, int nt)
{
    int b, e;
    if (g->split == 'M') {
        share(g->m, tid, nt, &b, &e);
        run_part(g, b, e, 0, g->n);
    } else {
        share(g->n, tid, nt, &b, &e);
        run_part(g, 0, g->m, b, e);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

/* Times the step's products in step order, `repeat` times after a warm-up,
 * and keeps each call's median (a step runs them interleaved, so caches see
 * what they see in training): whole calls threaded by oneDNN, then each call
 * shared by a team of `threads` that waits after it, as the net waits before
 * a Linear layer. Returns 0 when out of memory. */
static int time_gemms(gemm *g, int repeat, int threads)
{
    double *t = malloc((size_t)N_GEMMS * (size_t)repeat * sizeof(double));
    if (!t)
        return 0;
    for (int r = -5; r < repeat; r++)
        for (int i = 0; i < N_GEMMS; i++) {
            double t0 = now();
            run_part(&g[i], 0, g[i].m, 0, g[i].n);
            if (r >= 0)
                t[i * repeat + r] = now() - t0;
        }
    for (int i = 0; i < N_GEMMS; i++)
        g[i].whole = median(t + i * repeat, repeat);
#pragma omp parallel num_threads(threads)
    {
        omp_set_num_threads(1);
        for (int r = -5; r < repeat; r++)
            for (int i = 0; i < N_GEMMS; i++) {
                double t0 = now();
                run_shared(&g[i], omp_get_thread_num(), omp_get_num_threads());
#pragma omp barrier
#pragma omp master
                if (r >= 0)
                    t[i * repeat + r] = now() - t0;
            }
    }
    for (int i = 0; i < N_GEMMS; i++)
        g[i].shared = median(t + i * repeat, repeat);
    free(t);
    return 1;
}

typedef struct timing {
    long warmup, total;
    size_t count;
    double t_start, t_end, t_last;
    double samples;          /* rows trained after the warm-up */
    double loss, accuracy;   /* running means of the last epoch */
    double *step_seconds;    /* each timed full step's wall time */
    size_t steps_timed;
} timing;

static void on_step(const al_train_progress *p, void *context)
{
    timing *tm = context;
    if (p->epoch_end)
        return;
    double t = now();
    if (p->step == tm->warmup)
        tm->t_start = t;
    if (p->step > tm->warmup) {
        size_t first = (size_t)(p->batch_in_epoch - 1) * BATCH;
        size_t rows = tm->count - first < BATCH ? tm->count - first : BATCH;
        tm->samples += (double)rows;
        if (rows == BATCH)
            tm->step_seconds[tm->steps_timed++] = t - tm->t_last;
    }
    if (p->step == tm->total)
        tm->t_end = t;
    tm->t_last = t;
    tm->loss = p->loss;
    tm->accuracy = p->accuracy;
}

/* oneDNN's name for the instruction set its kernels use. */
static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "all";
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_mlp [--threads T] [--steps N] [--warmup W] [--repeat R] [--data DIR]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int threads = 1, repeat = 200;
    long steps = 938, warmup = 20; /* 938 = 2 epochs of 469 batches */
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atol(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0)
            dir = argv[++i];
        else
            return usage();
    }
    if (threads < 1 || steps < 1 || warmup < 0 || repeat < 1) {
        fprintf(stderr, "bench_mlp: --threads, --steps and --repeat must be >= 1, --warmup >= 0\n");
        return 2;
    }
    omp_set_num_threads(threads);

    al_error err = {0};
    al_dataset *train = NULL;
    al_net *net = NULL;
    if (al_dataset_load_fashion_mnist(dir, AL_DATA_TRAIN, &train, &err) != AL_OK) {
        fprintf(stderr, "bench_mlp: %s\n", err.message);
        return 1;
    }
    al_net_options no = al_net_options_default();
    no.threads = threads;
    if (al_net_create(SPEC, &no, &net, &err) != AL_OK) {
        fprintf(stderr, "bench_mlp: %s\n", err.message);
        al_dataset_free(train);
        return 1;
    }
    al_train_options o = al_train_options_default();
    o.batch = BATCH;
    o.steps = warmup + steps;
    o.shuffle = 1;
    o.optim.lr = 0.05;
    o.optim.momentum = 0.9;
    timing tm = {warmup, warmup + steps, al_dataset_count(train), 0, 0, 0, 0, 0, 0, NULL, 0};
    tm.step_seconds = malloc((size_t)steps * sizeof *tm.step_seconds);
    if (!tm.step_seconds) {
        fprintf(stderr, "bench_mlp: out of memory\n");
        return 1;
    }
    double t0 = now();
    if (al_train(net, train, NULL, &o, on_step, &tm, NULL, &err) != AL_OK) {
        fprintf(stderr, "bench_mlp: %s\n", err.message);
        al_net_free(net);
        al_dataset_free(train);
        return 1;
    }
    if (warmup == 0)
        tm.t_start = t0;
    double sps = tm.samples / (tm.t_end - tm.t_start);
    /* the median step: what a quiet machine gives, when other processes
     * preempt some steps (the mean above counts every stall) */
    double median_sps = tm.steps_timed ? BATCH / median(tm.step_seconds, (int)tm.steps_timed) : 0;
    /* read before the GEMM timing allocates its matrices */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mib = (double)ru.ru_maxrss / 1024.0;

    /* the step's products as layers.c makes them: the forward adds onto the
     * bias (beta 1), the training step writes the weight gradients (beta 0),
     * and the first layer's dx is not computed (the input needs no gradient,
     * in PyTorch either) */
    gemm g[N_GEMMS] = {
        make_gemm("fwd 0  x W^T  [128,784]x[256,784]^T", 'N', 'T', 'N', 128, 256, 784, 1),
        make_gemm("fwd 2  x W^T  [128,256]x[256,256]^T", 'N', 'T', 'N', 128, 256, 256, 1),
        make_gemm("fwd 4  x W^T  [128,256]x[10,256]^T", 'N', 'T', 'N', 128, 10, 256, 1),
        make_gemm("bwd 4  dW = dy^T x  [10,128]x[128,256]", 'T', 'N', 'M', 10, 256, 128, 0),
        make_gemm("bwd 4  dx = dy W  [128,10]x[10,256]", 'N', 'N', 'N', 128, 256, 10, 0),
        make_gemm("bwd 2  dW = dy^T x  [256,128]x[128,256]", 'T', 'N', 'M', 256, 256, 128, 0),
        make_gemm("bwd 2  dx = dy W  [128,256]x[256,256]", 'N', 'N', 'N', 128, 256, 256, 0),
        make_gemm("bwd 0  dW = dy^T x  [256,128]x[128,784]", 'T', 'N', 'M', 256, 784, 128, 0),
    };
    int ok = 1;
    for (int i = 0; i < N_GEMMS; i++)
        ok = ok && g[i].a && g[i].b && g[i].c;
    if (!ok || !time_gemms(g, repeat, threads)) {
        fprintf(stderr, "bench_mlp: out of memory for the GEMM timing\n");
        return 1;
    }
    double whole = 0, shared = 0, flops = 0;
    for (int i = 0; i < N_GEMMS; i++) {
        whole += g[i].whole;
        shared += g[i].shared;
        flops += 2.0 * g[i].m * g[i].n * g[i].k;
    }
    double best = whole < shared ? whole : shared, limit = BATCH / best;

    const dnnl_version_t *v = dnnl_version();
    const char *cap = getenv("ONEDNN_MAX_CPU_ISA");
    printf("# actlab MLP training: %s\n", SPEC);
    printf("# Fashion-MNIST train (%zu), batch %d shuffled, SGD lr 0.05 momentum 0.9; %ld steps timed after "
           "%ld warm-up; %d thread%s\n", tm.count, BATCH, steps, warmup, threads, threads > 1 ? "s" : "");
    printf("# kernels: oneDNN %d.%d.%d dnnl_sgemm, ISA %s (ONEDNN_MAX_CPU_ISA=%s); activations %s\n",
           v->major, v->minor, v->patch, isa_name(dnnl_get_effective_cpu_isa()), cap ? cap : "unset",
           al_isa_name(AL_ISA_AUTO));
    printf("# last epoch's running loss %.4f, accuracy %.4f\n", tm.loss, tm.accuracy);
    printf("# median step: %.1f us, %.0f samples/s (mean %.0f)\n", 1e6 * BATCH / median_sps, median_sps, sps);
    printf("# products of one step, median of %d, %d thread%s: oneDNN-threaded | shared by the team\n", repeat,
           threads, threads > 1 ? "s" : "");
    for (int i = 0; i < N_GEMMS; i++)
        printf("#   %-42s %8.1f us %6.1f GFLOP/s | %8.1f us %6.1f GFLOP/s\n", g[i].what, 1e6 * g[i].whole,
               2.0 * g[i].m * g[i].n * g[i].k / g[i].whole / 1e9, 1e6 * g[i].shared,
               2.0 * g[i].m * g[i].n * g[i].k / g[i].shared / 1e9);
    printf("#   %-42s %8.1f us %6.1f GFLOP/s | %8.1f us %6.1f GFLOP/s (%.3f MFLOP per sample)\n", "all",
           1e6 * whole, flops / whole / 1e9, 1e6 * shared, flops / shared / 1e9, flops / BATCH / 1e6);
    printf("%-8s %7s %11s %13s %7s %12s %13s\n", "#impl", "threads", "samples/s", "GEMM-bound/s", "%limit",
           "peak_RSS_MiB", "median_step/s");
    printf("%-8s %7d %11.0f %13.0f %6.1f%% %12.1f %13.0f\n", "actlab", threads, sps, limit, 100 * sps / limit,
           rss_mib, median_sps);
    for (int i = 0; i < N_GEMMS; i++) {
        free(g[i].a);
        free(g[i].b);
        free(g[i].c);
    }
    free(tm.step_seconds);
    al_net_free(net);
    al_dataset_free(train);
    return 0;
}
