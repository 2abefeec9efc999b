/* Dispatch of the float32 activation passes: resolves an al_act into kernel
 * constants, picks the ISA, splits large tensors across OpenMP threads, and
 * handles PReLU's per-channel slopes and slope gradient (the one learnable
 * row; a second would need its own per-channel path here).
 *
 * Determinism: every element's result depends only on its own inputs (RReLU's
 * slope on (seed, index)), and PReLU's slope gradient is summed in double in
 * a fixed block order, so results do not depend on the thread count.
 *
 * A run with row_length set computes a block (columns [col_begin, col_end)
 * of every row) on the calling thread: a net's team shares a layer that way. */
#include "act/act_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* Below this many elements (1 MiB of floats) one thread is faster than waking
 * a team. */
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

void al_erf_f32(al_isa isa, const float *x, float *y, size_t n) { kernels_for(isa)->erf(x, y, n); }
void al_exp_f32(al_isa isa, const float *x, float *y, size_t n) { kernels_for(isa)->exp(x, y, n); }

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
    k.stream = !run->row_length && n_out * sizeof(float) >= STREAM_MIN_BYTES;
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

/* The elements of a run, as spans of one row each in block mode (the
 * columns [col_begin, col_end) of every row) or one span [0, n). */
typedef struct spans {
    size_t count, stride, first, length;
} spans;

static spans spans_of(const al_act_run *run, size_t n)
{
    spans s = {1, 0, 0, n};
    if (run->row_length) {
        s.count = n / run->row_length;
        s.stride = run->row_length;
        s.first = run->col_begin;
        s.length = run->col_end > run->col_begin ? run->col_end - run->col_begin : 0;
    }
    return s;
}

/* PReLU with one slope per channel (element i's channel: (i / inner) % channels).
 * For [N, C] tensors (inner 1) rows are cut into chunks of channels; the
 * gradient of each slope is summed in double over the rows in order, so it
 * does not depend on how the channels are shared between threads. */
#define CHANNEL_CHUNK 256

static void prelu_row_forward(const float *x, float *y, const float *w, size_t m)
{
    for (size_t j = 0; j < m; j++)
        y[j] = x[j] > 0 ? x[j] : w[j] * x[j];
}

static void prelu_row_backward(const float *x, const float *dy, float *dx, const float *w, size_t m,
                               int kink_set, float kink, double *slope)
{
    for (size_t j = 0; j < m; j++) {
        float g = dy[j];
        if (slope)
            slope[j] += x[j] > 0 ? 0.0 : (double)x[j] * (double)g;
        dx[j] = x[j] > 0 ? g : (kink_set && x[j] == 0 ? kink : w[j]) * g;
    }
}

/* Channels [c0, c1) of a [rows, channels] tensor (inner 1), one chunk. */
static void prelu_chunk(const al_act *a, size_t rows, size_t c_n, size_t c0, size_t c1, const float *x,
                        const float *dy, float *out, const float *weight, float *dweight, int backward)
{
    double slope[CHANNEL_CHUNK];
    memset(slope, 0, sizeof slope);
    for (size_t r = 0; r < rows; r++) {
        size_t at = r * c_n + c0;
        if (backward)
            prelu_row_backward(x + at, dy + at, out + at, weight + c0, c1 - c0, a->kink_set, (float)a->kink,
                               dweight ? slope : NULL);
        else
            prelu_row_forward(x + at, out + at, weight + c0, c1 - c0);
    }
    for (size_t c = c0; dweight && c < c1; c++)
        dweight[c] += (float)slope[c - c0];
}

/* Channel c of a tensor with inner > 1: its segments of `inner` elements. */
static void prelu_channel(const al_act *a, const al_kernels *kern, const al_act_run *run, size_t n, size_t c,
                          const float *x, const float *dy, float *out, const float *weight, float *dweight,
                          int backward)
{
    size_t inner = run->inner, c_n = run->channels;
    al_kconst k = resolve(a, run, weight[c], n);
    double slope = 0;
    for (size_t at = c * inner; at < n; at += c_n * inner) {
        if (!backward)
            kern->pairs[k.kernel].forward(&k, at, at + inner, x, out);
        else if (dweight)
            slope += kern->prelu_backward(&k, at, at + inner, x, dy, out);
        else
            kern->pairs[k.kernel].backward(&k, at, at + inner, x, NULL, dy, out);
    }
    if (dweight)
        dweight[c] += (float)slope;
}

static void prelu_channels(const al_act *a, const al_act_run *run, size_t n, const float *x, const float *dy,
                           float *out, const float *weight, float *dweight, int backward)
{
    size_t c_n = run->channels, inner = run->inner;
    int nt = run->row_length ? 1 : team_size(run, n);
    if (inner > 1) {
        const al_kernels *kern = kernels_for(run->isa);
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t c = 0; c < c_n; c++)
            prelu_channel(a, kern, run, n, c, x, dy, out, weight, dweight, backward);
        return;
    }
    /* block mode (the caller keeps row_length == channels): the block's channels */
    size_t c0 = run->row_length ? run->col_begin : 0, c1 = run->row_length ? run->col_end : c_n;
    size_t chunks = c1 > c0 ? (c1 - c0 + CHANNEL_CHUNK - 1) / CHANNEL_CHUNK : 0;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t ch = 0; ch < chunks; ch++) {
        size_t b = c0 + ch * CHANNEL_CHUNK, e = b + CHANNEL_CHUNK < c1 ? b + CHANNEL_CHUNK : c1;
        prelu_chunk(a, n / c_n, c_n, b, e, x, dy, out, weight, dweight, backward);
    }
}

/* PReLU with one slope: dx and the slope gradient in one pass, summed in
 * double over a fixed partition (thread-count independent). */
static void prelu_shared_backward(const al_kernels *kern, const al_kconst *k, const al_act_run *run, size_t n,
                                  const float *x, const float *dy, float *dx, float *dweight)
{
    spans s = spans_of(run, n);
    if (run->row_length) {
        double total = 0;
        for (size_t r = 0; r < s.count; r++)
            total += kern->prelu_backward(k, r * s.stride + s.first, r * s.stride + s.first + s.length, x, dy, dx);
        dweight[0] += (float)total;
        return;
    }
    double part[SLOPE_BLOCKS];
    int nt = team_size(run, n);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int blk = 0; blk < SLOPE_BLOCKS; blk++) {
        size_t b = n * (size_t)blk / SLOPE_BLOCKS, e = n * (size_t)(blk + 1) / SLOPE_BLOCKS;
        part[blk] = kern->prelu_backward(k, b, e, x, dy, dx);
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
        prelu_channels(a, run, n, x, NULL, y, weight, NULL, 0);
        return;
    }
    float shared = al_act_info_of(a->id)->learnable ? weight[0] : 0.0f;
    al_kconst k = resolve(a, run, shared, n);
    const al_kernels *kern = kernels_for(run->isa);
    if (!run->row_length) {
        run_forward(kern, &k, run, n, x, y);
        return;
    }
    spans s = spans_of(run, n);
    for (size_t r = 0; r < s.count; r++)
        kern->pairs[k.kernel].forward(&k, r * s.stride + s.first, r * s.stride + s.first + s.length, x, y);
}

void al_act_backward_f32(const al_act *a, const al_act_run *run, size_t n,
                         const float *x, const float *y, const float *dy,
                         float *dx, const float *weight, float *dweight)
{
    int learnable = al_act_info_of(a->id)->learnable;
    if (learnable && al_act_weight_count(a) > 1) {
        prelu_channels(a, run, n, x, dy, dx, weight, dweight, 1);
        return;
    }
    float shared = learnable ? weight[0] : 0.0f;
    al_kconst k = resolve(a, run, shared, n);
    const al_kernels *kern = kernels_for(run->isa);
    if (learnable && dweight) {
        prelu_shared_backward(kern, &k, run, n, x, dy, dx, dweight);
        return;
    }
    if (!run->row_length) {
        run_backward(kern, &k, run, n, x, y, dy, dx);
        return;
    }
    spans s = spans_of(run, n);
    for (size_t r = 0; r < s.count; r++)
        kern->pairs[k.kernel].backward(&k, r * s.stride + s.first, r * s.stride + s.first + s.length, x, y, dy,
                                       dx);
}
