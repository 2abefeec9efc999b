/* Activation throughput: forward and backward of every activation on 2^24
 * floats, with 1 and 2 threads, in GB/s (forward moves 8 bytes an element:
 * read x, write y; backward 12: read x or y, read dy, write dx), beside the
 * memory copy bandwidth measured in the same run and beside PyTorch's
 * throughput for the same op (bench/torch_act.py, run by bench/run.sh).
 * Target (issue 14), per activation, direction and thread count: >= 1.5x
 * PyTorch, or >= 90 % of ReLU's own throughput (the memory roofline); the
 * `ok` column says which holds. Identity is not comparable: PyTorch's
 * Identity returns its input without copying it.
 * Cache state: before every timed call (copy, forward, backward, here and in
 * torch_act.py) a scratch buffer of twice the last-level cache is read and
 * written, so every figure starts with its operands in memory. Without it a
 * large L3 (480 MiB on some Xeons) holds a backward's x from the forward just
 * timed while its y, written with streaming stores, is in memory: kernels that
 * read x then looked 15 % faster than those reading y, whatever their work. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actlab/actlab.h"

static const char *const specs[] = {
    "ReLU()", "ReLU6()", "LeakyReLU()", "PReLU()", "RReLU()", "ELU()", "CELU()", "SELU()",
    "GELU()", "GELU(approximate='tanh')", "SiLU()", "Mish()", "Softplus()", "Softsign()",
    "Tanh()", "Sigmoid()", "Hardtanh()", "Hardsigmoid()", "Hardswish()", "LogSigmoid()",
    "Tanhshrink()", "Softshrink()", "Hardshrink()", "Threshold(threshold=0.0, value=0.0)",
    "Identity()",
};
#define N_SPECS (sizeof specs / sizeof specs[0])
#define PRELU_ROW 256 /* PReLU runs on [n/256, 256], as in torch_act.py */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct torch_row {
    char spec[256];
    double fwd, bwd;
} torch_row;

/* Reads torch_act.py's output: "# ..." comments, then "spec\tfwd\tbwd". */
static int read_torch(const char *path, torch_row *rows, int max)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    char line[256];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        snprintf(rows[n].spec, sizeof rows[n].spec, "%s", line);
        if (sscanf(tab + 1, "%lf %lf", &rows[n].fwd, &rows[n].bwd) == 2)
            n++;
    }
    fclose(f);
    return n;
}

static const torch_row *find_torch(const torch_row *rows, int n, const char *spec)
{
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].spec, spec) == 0)
            return &rows[i];
    return NULL;
}

/* The last-level cache's size in bytes (sysfs, then sysconf), 0 if unknown. */
static size_t llc_bytes(void)
{
    size_t best = 0;
    for (int i = 0; i < 8; i++) {
        char path[96], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        char *got = fgets(buf, sizeof buf, f);
        fclose(f);
        if (!got)
            continue;
        char *end;
        unsigned long long v = strtoull(buf, &end, 10);
        if (*end == 'K')
            v <<= 10;
        else if (*end == 'M')
            v <<= 20;
        if (v > best)
            best = (size_t)v;
    }
    if (!best) {
        long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
        best = v > 0 ? (size_t)v : 0;
    }
    return best;
}

typedef struct evictor {
    float *buf;
    size_t n;
} evictor;

/* Reads and writes the scratch buffer (normal stores) with `threads` threads. */
static void evict(const evictor *ev, int threads)
{
    if (!ev->buf)
        return;
    float *b = ev->buf;
    long n = (long)ev->n;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long i = 0; i < n; i++)
        b[i] += 1.0f;
}

static double copy_gbps(float *dst, const float *src, size_t n, int threads, int repeat, const evictor *ev)
{
    double best = INFINITY;
    for (int r = 0; r <= repeat; r++) {
        evict(ev, threads);
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            int tid = omp_get_thread_num(), nt = omp_get_num_threads();
            size_t b = n * (size_t)tid / (size_t)nt, e = n * (size_t)(tid + 1) / (size_t)nt;
            memcpy(dst + b, src + b, (e - b) * sizeof(float));
        }
        double t = now() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    return 8.0 * (double)n / best / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)1 << 24;
    int repeat = 5;
    const char *torch_path[3] = {NULL, NULL, NULL};
    long evict_mib = -1; /* -1: twice the last-level cache; 0: none */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--evict-mib") == 0 && i + 1 < argc)
            evict_mib = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--torch1") == 0 && i + 1 < argc)
            torch_path[1] = argv[++i];
        else if (strcmp(argv[i], "--torch2") == 0 && i + 1 < argc)
            torch_path[2] = argv[++i];
        else {
            fprintf(stderr, "usage: bench_act [--n N] [--repeat R] [--evict-mib M] [--torch1 FILE] [--torch2 FILE]\n");
            return 2;
        }
    }
    if (n < PRELU_ROW || repeat < 1) {
        fprintf(stderr, "bench_act: --n must be >= %d and --repeat >= 1\n", PRELU_ROW);
        return 2;
    }
    n -= n % PRELU_ROW;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes), *dy = aligned_alloc(64, bytes),
          *dx = aligned_alloc(64, bytes);
    if (!x || !y || !dy || !dx) {
        fprintf(stderr, "bench_act: cannot allocate 4 x %zu bytes\n", bytes);
        return 1;
    }
    evictor ev = {NULL, 0};
    size_t llc = llc_bytes();
    size_t ev_bytes = evict_mib >= 0 ? (size_t)evict_mib << 20 : 2 * llc;
    if (ev_bytes) {
        ev.n = ev_bytes / sizeof(float);
        ev.buf = aligned_alloc(64, (ev.n * sizeof(float) + 63) / 64 * 64);
        if (!ev.buf) {
            fprintf(stderr, "bench_act: cannot allocate the %zu MiB eviction buffer (--evict-mib 0 runs without)\n",
                    ev_bytes >> 20);
            return 1;
        }
        memset(ev.buf, 0, ev.n * sizeof(float));
    }
    al_rng rng;
    al_rng_seed(&rng, 1);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)al_rng_normal(&rng);
        dy[i] = (float)al_rng_normal(&rng);
        y[i] = dx[i] = 0.0f;
    }
    torch_row torch[3][64];
    int n_torch[3] = {0, read_torch(torch_path[1], torch[1], 64), read_torch(torch_path[2], torch[2], 64)};

    printf("# actlab activation benchmark: n = %zu floats, best of %d, kernels %s\n", n, repeat,
           al_isa_name(AL_ISA_AUTO));
    printf("# GB/s: forward 8 bytes/element, backward 12; copy = memcpy, 8 bytes/element\n");
    printf("# before each timed call %zu MiB are read and written (last-level cache %zu MiB), so operands start in memory\n",
           ev.n * sizeof(float) >> 20, llc >> 20);
    if (!n_torch[1] && !n_torch[2])
        printf("# PyTorch columns empty: no torch results (apt-get install python3-torch)\n");
    int misses = 0;
    char missed[4096] = "";
    for (int threads = 1; threads <= 2; threads++) {
        double copy = copy_gbps(y, x, n, threads, repeat, &ev), relu_fwd = 0, relu_bwd = 0;
        printf("\n## %d thread%s: copy bandwidth %.1f GB/s\n", threads, threads > 1 ? "s" : "", copy);
        printf("%-36s %8s %5s %7s %6s %3s | %8s %5s %7s %6s %3s\n", "activation", "fwd GB/s", "%copy", "torch",
               "ratio", "ok", "bwd GB/s", "%copy", "torch", "ratio", "ok");
        for (size_t s = 0; s < N_SPECS; s++) {
            al_act a;
            al_error err = {0};
            if (al_act_parse(specs[s], &a, &err) != AL_OK) {
                fprintf(stderr, "bench_act: %s\n", err.message);
                return 1;
            }
            al_act_run run = al_act_run_default();
            run.threads = threads;
            if (al_act_info_of(a.id)->learnable)
                run.channels = PRELU_ROW;
            float w = 0.25f, dw = 0.0f;
            double best_f = INFINITY, best_b = INFINITY;
            for (int r = 0; r <= repeat; r++) {
                evict(&ev, threads);
                double t0 = now();
                al_act_forward_f32(&a, &run, n, x, y, &w);
                double t1 = now();
                evict(&ev, threads);
                double t2 = now();
                al_act_backward_f32(&a, &run, n, x, y, dy, dx, &w, &dw);
                double t3 = now();
                if (r > 0) {
                    best_f = fmin(best_f, t1 - t0);
                    best_b = fmin(best_b, t3 - t2);
                }
            }
            double fwd = 8.0 * (double)n / best_f / 1e9, bwd = 12.0 * (double)n / best_b / 1e9;
            if (s == 0) {
                relu_fwd = fwd;
                relu_bwd = bwd;
            }
            const torch_row *t = find_torch(torch[threads], n_torch[threads], specs[s]);
            int comparable = strcmp(specs[s], "Identity()") != 0;
            char tf[16] = "-", rf[16] = "-", tb[16] = "-", rb[16] = "-";
            const char *okf = "-", *okb = "-";
            if (t && comparable) {
                snprintf(tf, sizeof tf, "%.1f", t->fwd);
                snprintf(rf, sizeof rf, "%.2fx", fwd / t->fwd);
                snprintf(tb, sizeof tb, "%.1f", t->bwd);
                snprintf(rb, sizeof rb, "%.2fx", bwd / t->bwd);
                int pass_f = fwd >= 1.5 * t->fwd || fwd >= 0.9 * relu_fwd;
                int pass_b = bwd >= 1.5 * t->bwd || bwd >= 0.9 * relu_bwd;
                okf = pass_f ? "yes" : "NO";
                okb = pass_b ? "yes" : "NO";
                for (int d = 0; d < 2; d++)
                    if (!(d ? pass_b : pass_f)) {
                        misses++;
                        size_t used = strlen(missed);
                        snprintf(missed + used, sizeof missed - used, "%s%s %s (%d thread%s)", used ? ", " : "",
                                 specs[s], d ? "bwd" : "fwd", threads, threads > 1 ? "s" : "");
                    }
            } else if (t) {
                snprintf(rf, sizeof rf, "n/c");
                snprintf(rb, sizeof rb, "n/c");
            }
            printf("%-36s %8.1f %4.0f%% %7s %6s %3s | %8.1f %4.0f%% %7s %6s %3s\n", specs[s], fwd, 100 * fwd / copy,
                   tf, rf, okf, bwd, 100 * bwd / copy, tb, rb, okb);
        }
    }
    if (n_torch[1] || n_torch[2]) {
        printf("\n# ok: >= 1.5x PyTorch or >= 90%% of ReLU's throughput (same direction and threads); n/c: not "
               "comparable (PyTorch's Identity copies nothing)\n");
        printf("# %d of %d forward/backward figures miss the target%s%s\n", misses, 4 * ((int)N_SPECS - 1),
               misses ? ": " : "", missed);
    }
    free(x);
    free(y);
    free(dy);
    free(dx);
    free(ev.buf);
    return 0;
}
