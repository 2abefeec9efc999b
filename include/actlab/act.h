/* The activation table: every activation actlab knows, its PyTorch name and
 * parameters, its kinks and the derivative returned there, its float32
 * (fast) and float64 (reference) forward and backward passes, and its curve
 * sampled for a plot. */
#ifndef ACTLAB_ACT_H
#define ACTLAB_ACT_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/spec.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_act_id {
    AL_ACT_RELU,
    AL_ACT_RELU6,
    AL_ACT_LEAKY_RELU,
    AL_ACT_PRELU,
    AL_ACT_RRELU,
    AL_ACT_ELU,
    AL_ACT_CELU,
    AL_ACT_SELU,
    AL_ACT_GELU,
    AL_ACT_SILU,
    AL_ACT_MISH,
    AL_ACT_SOFTPLUS,
    AL_ACT_SOFTSIGN,
    AL_ACT_TANH,
    AL_ACT_SIGMOID,
    AL_ACT_HARDTANH,
    AL_ACT_HARDSIGMOID,
    AL_ACT_HARDSWISH,
    AL_ACT_LOGSIGMOID,
    AL_ACT_TANHSHRINK,
    AL_ACT_SOFTSHRINK,
    AL_ACT_HARDSHRINK,
    AL_ACT_THRESHOLD,
    AL_ACT_IDENTITY,
    AL_ACT_COUNT
} al_act_id;

#define AL_ACT_MAX_PARAMS 3
#define AL_ACT_MAX_KINKS 2

/* What the table tells about one activation (its behaviour is behind the
 * functions below). */
typedef struct al_act_info {
    al_act_id id;
    const char *name;          /* PyTorch module name: "LeakyReLU" */
    const char *formula;       /* y, in one line of text */
    const char *derivative;    /* dy/dx, in one line of text */
    const char *kink_text;     /* where the kinks are and what dy/dx is there; "" if smooth */
    int n_params;
    al_param_info params[AL_ACT_MAX_PARAMS];
    int has_kink;              /* accepts kink= */
    int learnable;             /* has a learned parameter (PReLU's slope) */
    int stochastic;            /* random in training (RReLU) */
    int saturating;            /* derivative -> 0 on both sides (tanh, sigmoid, ...) */
    int uses_output;           /* backward reads y rather than x */
} al_act_info;

/* A configured activation: plain data, cheap to copy. */
typedef struct al_act {
    al_act_id id;
    double param[AL_ACT_MAX_PARAMS]; /* values in al_act_info.params order */
    int kink_set;              /* 1 when kink= was given */
    double kink;               /* the derivative returned exactly at every kink, when kink_set */
} al_act;

/* The table entry of id (id < AL_ACT_COUNT), never NULL. */
const al_act_info *al_act_info_of(al_act_id id);

/* Looks a PyTorch module name up (case-sensitive); on failure the error lists
 * the closest names. */
al_status al_act_find(const char *name, al_act_id *out, al_error *err);

/* out = id with every default parameter (required ones are NaN). */
void al_act_default(al_act_id id, al_act *out);

/* Parses one constructor of the spec language ("ELU(alpha=0.5)",
 * "ReLU(kink=0.5)"); errors give the column, the allowed range or the
 * closest names. */
al_status al_act_parse(const char *text, al_act *out, al_error *err);

/* Builds an activation from one parsed module of a spec (the layer parser's
 * entry point); errors point at the offending argument. */
al_status al_act_from_module(const al_spec *spec, const al_spec_module *module, al_act *out,
                             al_error *err);

/* Writes the constructor text of a ("ELU(alpha=0.5)"), listing only
 * parameters that differ from their defaults; returns the length snprintf would. */
int al_act_format(const al_act *a, char *buf, size_t size);

/* The kinks of a: their locations and the derivative returned there (for
 * PReLU, its initial slope; for RReLU, the eval-mode slope). Returns the count. */
int al_act_kinks(const al_act *a, double where[AL_ACT_MAX_KINKS], double deriv[AL_ACT_MAX_KINKS]);

/* The initialisation gain for weights feeding a (PyTorch's calculate_gain
 * where it has one, documented choices otherwise). */
double al_act_gain(const al_act *a);

/* How many learnable values a has for a tensor with `channels` entries in
 * dimension 1 (PReLU: num_parameters; others 0). */
size_t al_act_weight_count(const al_act *a);

/* The initial value of each of a's learned weights (PReLU: init); NaN when a
 * learns none. */
double al_act_init_weight(const al_act *a);

/* The vector instruction set used by the float32 kernels. */
typedef enum al_isa {
    AL_ISA_AUTO = 0,   /* the best the CPU and the build support */
    AL_ISA_GENERIC,
    AL_ISA_AVX2,
    AL_ISA_AVX512
} al_isa;

/* The ISA that AL_ISA_AUTO resolves to on this CPU and build. */
al_isa al_isa_best(void);
/* "generic", "avx2", "avx512" (AL_ISA_AUTO gives the resolved name). */
const char *al_isa_name(al_isa isa);
/* Parses an ISA name ("auto", "generic", "avx2", "avx512"); fails when this
 * build or CPU cannot run it. */
al_status al_isa_parse(const char *name, al_isa *out, al_error *err);

/* Everything a pass needs besides the data. Fill with al_act_run_default(). */
typedef struct al_act_run {
    size_t channels;     /* size of dimension 1 (PReLU per-channel slopes); 1 if rank < 2 */
    size_t inner;        /* product of the dimensions after 1; 1 for a [N, C] tensor */
    int training;        /* RReLU: random slopes when set, mean slope otherwise */
    uint64_t seed;       /* RReLU: slopes are a hash of (seed, offset + element index) */
    uint64_t offset;
    int threads;         /* OpenMP threads for large tensors; 0 = OpenMP's default */
    al_isa isa;          /* AL_ISA_AUTO unless forced */
    /* Block mode, for a thread computing its share of a tensor: when
     * row_length > 0 the n elements are rows of row_length and only columns
     * [col_begin, col_end) of each row are computed (PReLU's slope gradient:
     * their part of it), on the calling thread. Per-channel PReLU needs
     * inner 1 and row_length == channels here. */
    size_t row_length, col_begin, col_end;
} al_act_run;

/* channels = inner = 1, eval mode, seed 0, default threads, AL_ISA_AUTO, whole tensor. */
al_act_run al_act_run_default(void);

/* y = f(x) for n elements, float32. weight: PReLU slopes (1 or channels
 * values), NULL otherwise. x and y may alias. */
void al_act_forward_f32(const al_act *a, const al_act_run *run, size_t n,
                        const float *x, float *y, const float *weight);

/* dx = f'(x) * dy for n elements, float32; y = f(x) must be given when
 * info->uses_output (else may be NULL). When dweight is non-NULL, PReLU adds
 * the slope gradient to it (1 or channels values). dx may alias dy. */
void al_act_backward_f32(const al_act *a, const al_act_run *run, size_t n,
                         const float *x, const float *y, const float *dy,
                         float *dx, const float *weight, float *dweight);

/* The float64 reference forward: straightforward scalar code. */
void al_act_forward_f64(const al_act *a, const al_act_run *run, size_t n,
                        const double *x, double *y, const double *weight);

/* The float64 reference backward (same contract as al_act_backward_f32). */
void al_act_backward_f64(const al_act *a, const al_act_run *run, size_t n,
                         const double *x, const double *y, const double *dy,
                         double *dx, const double *weight, double *dweight);

/* One element of the float64 reference: y = f(x) and d = f'(x); slope is
 * PReLU's weight or RReLU's sampled slope (NaN: eval mode, the mean slope),
 * ignored otherwise. */
void al_act_eval_f64(const al_act *a, double x, double slope, double *y, double *d);

/* One kink of a sampled curve: where it is, what the reference returns
 * exactly there, and the values just left and right of it. */
typedef struct al_act_curve_kink {
    double x;
    double y, dy;              /* f and f' at exactly x (dy: PyTorch's choice, or kink=) */
    double y_left, y_right;    /* f just left and right of x (they differ where f jumps) */
    double dy_left, dy_right;  /* f' just left and right of x: its one-sided limits */
} al_act_curve_kink;

/* An activation's curve f and f' over [lo, hi] for a plot, through the
 * float64 reference in eval mode (RReLU at its mean slope, PReLU at its
 * initial slope). */
typedef struct al_act_curve {
    size_t n;                  /* samples in x, y, dy */
    double *x, *y, *dy;        /* x increasing; x = y = dy = NaN marks a break (lift the pen) */
    int n_kinks;               /* the kinks strictly inside (lo, hi), increasing */
    al_act_curve_kink kinks[AL_ACT_MAX_KINKS];
} al_act_curve;

/* Samples a's curve: `points` evenly spaced x over [lo, hi], and at each kink
 * k inside, k - h, a break, k + h (h = (hi - lo) * 1e-9, far below a pixel)
 * in place of any grid point within h of k, so that a jump in f or f' is
 * drawn as a jump and each side ends at its one-sided limit. Needs finite
 * lo < hi and points >= 2. Allocates: free with al_act_curve_free. */
al_status al_act_sample_curve(const al_act *a, double lo, double hi, size_t points, al_act_curve *out,
                              al_error *err);

/* Frees what al_act_sample_curve allocated (a zeroed curve is fine). */
void al_act_curve_free(al_act_curve *curve);

#ifdef __cplusplus
}
#endif
#endif
