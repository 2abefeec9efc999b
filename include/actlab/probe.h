/* Probes: what every layer does while a net trains. Cheap per-unit
 * accumulators run on every step (dead units, kink hits); the full
 * statistics (centring, sparsity, derivative histogram, gradient norms,
 * update ratios, PReLU slopes) are taken every N steps and at each epoch end.
 * Each probe point gives one record per layer, kept in memory and written as
 * JSON Lines (schema: docs/probes.md). */
#ifndef ACTLAB_PROBE_H
#define ACTLAB_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "actlab/nn.h"
#include "actlab/status.h"
#include "actlab/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_PROBE_MAX_BINS 64
#define AL_PROBE_MAX_SLOPES 16  /* PReLU slopes listed one by one up to this many */
#define AL_PROBE_SMALL 1e-3     /* |f'| below this counts as near-dead / saturated */

typedef struct al_probe_options {
    long every;               /* a probe point every N optimizer steps (100), plus each epoch end */
    int bins;                 /* derivative histogram bins (50), at most AL_PROBE_MAX_BINS */
    double bin_lo, bin_hi;    /* its range of f' ([-0.5, 2.0)); values outside are counted apart */
    const char *log_path;     /* JSON Lines output; NULL: records are only kept in memory */
    int append;               /* 1: append to log_path (a resumed run) instead of replacing it */
    size_t max_records;       /* records kept in memory (0: all): past it the oldest are dropped
                                 (the log still gets every record) */
} al_probe_options;

/* One parameter tensor of a layer at a probe point. */
typedef struct al_probe_param {
    const char *name;         /* "0.weight" (owned by the net) */
    double grad_norm;         /* L2 norm of dLoss/dparam on the probed batch (before clipping) */
    double weight_norm;       /* L2 norm of the values before the update */
    double update_ratio;      /* ||w_after - w_before|| / ||w_before|| (NaN when ||w_before|| = 0) */
} al_probe_param;

/* One channel of a convolutional activation layer ([C, H, W] output) at a
 * probe point: the per-unit quantities, with a channel as the unit. */
typedef struct al_probe_channel {
    double max_abs_deriv;     /* largest |f'| at any position of any sample since the epoch began (0: dead) */
    double sparsity;          /* fraction of the channel's outputs exactly 0 on the probed batch */
    double in_mean;           /* mean pre-activation on the probed batch */
    double out_mean, out_std; /* centring of the channel's outputs on the probed batch */
    uint64_t kink_hits;       /* pre-activations exactly on a kink since the previous record */
} al_probe_channel;

/* One layer at one probe point. Fields that do not apply are NaN (or 0 counts). */
typedef struct al_probe_record {
    long step, epoch;         /* optimizer steps done (1-based), 1-based epoch */
    int epoch_end;            /* 1 when this point closes an epoch */
    int layer;
    al_layer_kind kind;
    size_t units, rows;       /* out features; rows in the probed batch */
    size_t channels, positions; /* units = channels x positions: [C, H, W] outputs give C and H*W,
                               * others units and 1. Dead and near-dead count channels */
    /* every layer, on the probed batch */
    double in_mean, in_std;   /* the layer's input: the pre-activation for an activation layer */
    double out_mean, out_std;
    double sparsity;          /* fraction of output values exactly 0 */
    double grad_out_norm;     /* L2 norm of dLoss/dOutput (the loss is a batch mean) */
    /* activation layers: over every sample since the epoch began */
    double dead;              /* fraction of channels (units of a dense layer) with f' = 0 at
                               * every position of every sample */
    double near_dead;         /* fraction with |f'| < 1e-3 everywhere (includes dead) */
    int kinks;                /* how many kinks the activation has (0: smooth; kink fields unused) */
    uint64_t kink_hits;       /* pre-activations exactly on a kink since the previous record */
    uint64_t kink_seen;       /* pre-activations seen since the previous record */
    uint64_t kink_hits_total; /* since the probe was created */
    /* activation layers, on the probed batch */
    double deriv_zero, deriv_one; /* fractions of f' exactly 0 and exactly 1 */
    double saturation;        /* fraction with |f'| < 1e-3; NaN unless the activation saturates */
    double deriv_mean;
    int bins;
    double bin_lo, bin_hi;
    uint64_t hist[AL_PROBE_MAX_BINS];
    uint64_t hist_below, hist_above, hist_nan;
    /* parameter tensors of this layer (Linear, BatchNorm1d, PReLU) */
    int n_params;
    al_probe_param params[2];
    /* PReLU: its slopes after the update */
    size_t slope_count;
    double slope_min, slope_mean, slope_max;
    float slopes[AL_PROBE_MAX_SLOPES]; /* all of them when slope_count <= AL_PROBE_MAX_SLOPES */
    /* activation layers with positions > 1: `channels` entries, read with al_probe_channels */
    size_t channel_first;     /* where they start in the probe's channel store */
    int has_channels;
} al_probe_record;

typedef struct al_probe al_probe;

/* every 100, 50 bins over [-0.5, 2.0), no log, every record kept. */
al_probe_options al_probe_options_default(void);

/* Creates a probe set for net (opening the log, so an unwritable path fails
 * here, before any training). */
al_status al_probe_create(const al_net *net, const al_probe_options *options, al_probe **out,
                          al_error *err);
/* Closes the log and frees everything; NULL is fine. */
void al_probe_free(al_probe *probe);

/* Call after al_net_backward and before clipping and the optimizer step.
 * step: optimizer steps done once this one completes (1-based); epoch is
 * 1-based; epoch_end: this is the epoch's last step. Updates the per-step
 * accumulators and, at a probe point, takes the statistics of this batch. */
al_status al_probe_after_backward(al_probe *probe, const al_net *net, long step, long epoch,
                                  int epoch_end, al_error *err);
/* Call after the optimizer step. At a probe point this computes the update
 * ratios, stores and writes the records, and at an epoch end resets the
 * per-epoch accumulators. */
al_status al_probe_after_update(al_probe *probe, const al_net *net, al_error *err);

/* The records kept, oldest first (probe points x layers): every record so
 * far, or the latest max_records; owned by the probe, valid until the next
 * al_probe_after_update. */
const al_probe_record *al_probe_records(const al_probe *probe, size_t *count);
/* The latest epoch-end record of layer `layer` (NULL before the first epoch
 * end), also when max_records has dropped it from the records. */
const al_probe_record *al_probe_last_epoch(const al_probe *probe, int layer);
/* The per-channel values of a record of this probe (r->channels of them), or
 * NULL when it has none (layers other than activations on [C, H, W]);
 * owned by the probe. */
const al_probe_channel *al_probe_channels(const al_probe *probe, const al_probe_record *r);

/* Which units of activation layer `layer` are dead so far this epoch:
 * dead[u] = 1 when unit u had f' = 0 on every sample since the epoch began
 * (the units the record's `dead` fraction counts), else 0; units must be
 * the layer's width. *rows (may be NULL) gets the samples seen this epoch;
 * with none yet (right after an epoch end) no unit is marked. AL_ERR_INVALID
 * for a layer that is not an activation or a wrong width. */
al_status al_probe_dead_mask(const al_probe *probe, int layer, uint8_t *dead, size_t units, size_t *rows,
                             al_error *err);

/* Appends one record to out as a JSON object on one line, newline included
 * (docs/probes.md lists the keys), with its per-channel values when
 * channels is not NULL; fails only when memory runs out. */
al_status al_probe_record_json(const al_probe_record *r, const al_probe_channel *channels, const char *module,
                               al_buf *out, al_error *err);
/* Prints the per-layer summary table of the latest epoch end. */
void al_probe_print_summary(const al_probe *probe, const al_net *net, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
