/* Dispatch of the float32 activation passes: resolves an al_act into kernel
 * constants, picks the ISA, splits large tensors across OpenMP threads, and
 * handles PReLU's per-channel slopes and slope gradient (the one learnable
 * row; a second would need its own per-channel path here).
 *
 * Determinism: every element's result depends only on its own inputs (RReLU's
 * slope on (seed, index)), and PReLU's slope gradient is summed in double in
 * a fixed block order, so results do not depend on the thread count. */
#include "act/act_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* Below this many elements (1 MiB of floats) one thread is faster than waking
 * a team, and in training a team would fight OpenBLAS's threads for the cores. */
#define PARALLEL_MIN 262144
/* Outputs larger than this bypass the caches (non-temporal stores). */
#define STREAM_MIN_BYTES ((size_t)16 << 20)
/* Fixed partition for the shared PReLU slope gradient: thread-count independent. */
#define SLOPE_BLOCKS 64

al_isa al_isa_best(void)
{
#ifdef AL_HAVE_AVX512
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        return AL_ISA_AVX512;
#endif
#ifdef AL_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return AL_ISA_AVX2;
#endif
    return AL_ISA_GENERIC;
}

const char *al_isa_name(al_isa isa)
{
    switch (isa == AL_ISA_AUTO ? al_isa_best() : isa) {
    case AL_ISA_AVX512: return "avx512";
    case AL_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

al_status al_isa_parse(const char *name, al_isa *out, al_error *err)
{
    al_isa isa;
    if (strcmp(name, "auto") == 0)
        isa = AL_ISA_AUTO;
    else if (strcmp(name, "generic") == 0)
        isa = AL_ISA_GENERIC;
    else if (strcmp(name, "avx2") == 0)
        isa = AL_ISA_AVX2;
    else if (strcmp(name, "avx512") == 0)
        isa = AL_ISA_AVX512;
    else
        return al_error_set(err, AL_ERR_INVALID,
                            "unknown ISA '%s': use auto, generic, avx2 or avx512", name);
    if (isa > al_isa_best())
        return al_error_set(err, AL_ERR_INVALID,
                            "ISA '%s' is not available: this CPU and build support up to %s",
                            name, al_isa_name(AL_ISA_AUTO));
    *out = isa;
    return AL_OK;
}

static const al_kernels *kernels_for(al_isa isa)
{
    al_isa best = al_isa_best();
    if (isa == AL_ISA_AUTO || isa > best)
        isa = best;
#ifdef AL_HAVE_AVX512
    if (isa == AL_ISA_AVX512)
        return &al_kernels_avx512;
#endif
#ifdef AL_HAVE_AVX2
    if (isa == AL_ISA_AVX2)
        return &al_kernels_avx2;
#endif
    return &al_kernels_generic;
}

al_act_run al_act_run_default(void)
{
    al_act_run run;
    memset(&run, 0, sizeof run);
    run.channels = 1;
    run.inner = 1;
    return run;
}

/* Kernel constants for a from its row; weight is the shared learned weight
 * (PReLU's slope; unused otherwise). */
static al_kconst resolve(const al_act *a, const al_act_run *run, float weight, size_t n_out)
{
    const al_act_row *row = al_act_row_of(a->id);
    al_kconst k;
    memset(&k, 0, sizeof k);
    k.kernel = row->kernel;
    if (row->resolve)
        row->resolve(a->param, run, weight, &k);
    if (a->kink_set) {
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        int nk = al_act_kinks(a, where, deriv);
        if (nk > 0) {
            k.kink_set = 1;
            k.kink = (float)a->kink;
            k.kink0 = (float)where[0];
            k.kink1 = (float)where[nk > 1 ? 1 : 0];
        }
    }
    k.stream = n_out * sizeof(float) >= STREAM_MIN_BYTES;
    return k;
}

static int team_size(const al_act_run *run, size_t n)
{
    if (n < PARALLEL_MIN)
        return 1;
    int t = run->threads > 0 ? run->threads : omp_get_max_threads();
    size_t most = n / (PARALLEL_MIN / 2);
    return (size_t)t > most ? (int)most : t;
}

/* This thread's share of [0, n), cut at multiples of 64 elements. */
static void share(size_t n, int tid, int nt, size_t *b, size_t *e)
{
    size_t blocks = (n + 63) / 64;
    size_t lo = blocks * (size_t)tid / (size_t)nt, hi = blocks * (size_t)(tid + 1) / (size_t)nt;
    *b = lo * 64 < n ? lo * 64 : n;
    *e = hi * 64 < n ? hi * 64 : n;
}

static void run_forward(const al_kernels *kern, const al_kconst *k, const al_act_run *run, size_t n,
                        const float *x, float *y)
{
    al_kforward forward = kern->pairs[k->kernel].forward;
    int nt = team_size(run, n);
    if (nt <= 1) {
        forward(k, 0, n, x, y);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t b, e;
        share(n, omp_get_thread_num(), omp_get_num_threads(), &b, &e);
        forward(k, b, e, x, y);
    }
}

static void run_backward(const al_kernels *kern, const al_kconst *k, const al_act_run *run,
                         size_t n, const float *x, const float *y, const float *dy, float *dx)
{
    al_kbackward backward = kern->pairs[k->kernel].backward;
    int nt = team_size(run, n);
    if (nt <= 1) {
        backward(k, 0, n, x, y, dy, dx);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t b, e;
        share(n, omp_get_thread_num(), omp_get_num_threads(), &b, &e);
        backward(k, b, e, x, y, dy, dx);
    }
}

/* PReLU with one slope per channel: rows of `inner` elements share a slope. */
static void prelu_channels(const al_act *a, const al_act_run *run, size_t n, const float *x,
                           const float *y_or_dy, float *out, const float *weight, int backward)
{
    int kink_set = a->kink_set;
    float kink = (float)a->kink;
    size_t c_n = run->channels, inner = run->inner, rows = n / inner;
    int nt = team_size(run, n);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t r = 0; r < rows; r++) {
        float w = weight[r % c_n];
        float w0 = kink_set ? kink : w; /* the derivative exactly at x = 0 */
        const float *xr = x + r * inner;
        const float *vr = y_or_dy + r * inner;
        float *o = out + r * inner;
        if (backward)
            for (size_t j = 0; j < inner; j++)
                o[j] = xr[j] > 0 ? vr[j] : (xr[j] == 0 ? w0 : w) * vr[j];
        else
            for (size_t j = 0; j < inner; j++)
                o[j] = xr[j] > 0 ? xr[j] : w * xr[j];
    }
}

/* dweight[c] += sum over channel c of (x > 0 ? 0 : x*dy), in double over a
 * fixed partition, so the sum does not depend on the thread count. */
static void prelu_slope_grad(const al_act_run *run, size_t n, const float *x, const float *dy,
                             size_t nw, float *dweight)
{
    al_kslope_sum slope_sum = kernels_for(run->isa)->slope_sum;
    int nt = team_size(run, n);
    if (nw > 1) {
        size_t c_n = run->channels, inner = run->inner, rows = n / inner;
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t c = 0; c < c_n; c++) {
            double s = 0;
            for (size_t r = c; r < rows; r += c_n)
                s += slope_sum(x + r * inner, dy + r * inner, inner);
            dweight[c] += (float)s;
        }
        return;
    }
    double part[SLOPE_BLOCKS];
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int blk = 0; blk < SLOPE_BLOCKS; blk++) {
        size_t b = n * (size_t)blk / SLOPE_BLOCKS, e = n * (size_t)(blk + 1) / SLOPE_BLOCKS;
        part[blk] = slope_sum(x + b, dy + b, e - b);
    }
    double total = 0;
    for (int blk = 0; blk < SLOPE_BLOCKS; blk++)
        total += part[blk];
    dweight[0] += (float)total;
}

void al_act_forward_f32(const al_act *a, const al_act_run *run, size_t n,
                        const float *x, float *y, const float *weight)
{
    if (al_act_weight_count(a) > 1) {
        prelu_channels(a, run, n, x, x, y, weight, 0);
        return;
    }
    float shared = al_act_info_of(a->id)->learnable ? weight[0] : 0.0f;
    al_kconst k = resolve(a, run, shared, n);
    run_forward(kernels_for(run->isa), &k, run, n, x, y);
}

void al_act_backward_f32(const al_act *a, const al_act_run *run, size_t n,
                         const float *x, const float *y, const float *dy,
                         float *dx, const float *weight, float *dweight)
{
    int learnable = al_act_info_of(a->id)->learnable;
    if (learnable) {
        size_t nw = al_act_weight_count(a);
        /* the slope gradient reads dy, so it goes first: dx may alias dy */
        if (dweight)
            prelu_slope_grad(run, n, x, dy, nw, dweight);
        if (nw > 1) {
            prelu_channels(a, run, n, x, dy, dx, weight, 1);
            return;
        }
    }
    float shared = learnable ? weight[0] : 0.0f;
    al_kconst k = resolve(a, run, shared, n);
    run_backward(kernels_for(run->isa), &k, run, n, x, y, dy, dx);
}
