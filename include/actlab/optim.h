/* Optimizers (SGD, Adam, AdamW, RMSprop) with PyTorch 1.13's update rules,
 * learning-rate schedules, and gradient clipping by global L2 norm.
 *
 * The update arithmetic is float32 in the order of PyTorch's single-tensor
 * (foreach=False) implementations, with every Python-float hyper-parameter
 * rounded to float32 where PyTorch rounds it, so a step agrees with torch to
 * about one ulp per operation (torch's vectorised kernels fuse some
 * multiply-adds; actlab does not, to stay portable). See docs/optim.md. */
#ifndef ACTLAB_OPTIM_H
#define ACTLAB_OPTIM_H

#include <stddef.h>

#include "actlab/nn.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_optim_kind {
    AL_OPT_SGD,
    AL_OPT_ADAM,
    AL_OPT_ADAMW,
    AL_OPT_RMSPROP
} al_optim_kind;

typedef struct al_optim_options {
    al_optim_kind kind;
    double lr;            /* base learning rate (schedules scale it; al_optim_step takes the actual one) */
    double momentum;      /* SGD and RMSprop */
    double dampening;     /* SGD */
    int nesterov;         /* SGD; needs momentum > 0 and dampening 0 */
    double weight_decay;  /* L2 added to the gradient; decoupled for AdamW */
    double beta1, beta2;  /* Adam, AdamW */
    double eps;           /* Adam, AdamW, RMSprop */
    int amsgrad;          /* Adam, AdamW */
    double alpha;         /* RMSprop smoothing constant */
    int centered;         /* RMSprop */
    int decay_all;        /* also decay tensors marked no_decay */
} al_optim_options;

/* SGD with PyTorch's defaults for the other kinds' fields: lr 0.01, momentum 0,
 * betas (0.9, 0.999), eps 1e-8, alpha 0.99, no weight decay. */
al_optim_options al_optim_options_default(void);
/* PyTorch's constructor defaults for kind: Adam lr 1e-3; AdamW lr 1e-3 and
 * weight_decay 1e-2; RMSprop lr 1e-2; SGD lr 1e-2 (torch has none). */
al_optim_options al_optim_options_for(al_optim_kind kind);

/* Parses "sgd", "adam", "adamw" or "rmsprop" (any case). */
al_status al_optim_parse_kind(const char *name, al_optim_kind *out, al_error *err);
/* The kind's name as al_optim_parse_kind takes it. */
const char *al_optim_kind_name(al_optim_kind kind);

typedef struct al_optim al_optim;

/* Validates options as PyTorch's constructors do (errors name the option) and
 * allocates all state once. params is copied (names too); the tensors it
 * points to must outlive the optimizer. Fields a kind does not use are ignored. */
al_status al_optim_create(const al_optim_options *options, const al_param_ref *params,
                          size_t n_params, al_optim **out, al_error *err);
/* Frees the optimizer and its state; NULL is fine. */
void al_optim_free(al_optim *opt);

/* The options the optimizer was created with. */
const al_optim_options *al_optim_get_options(const al_optim *opt);

/* One update of every parameter from its grad with learning rate lr (the
 * schedule's value for this step). Refuses a negative or non-finite lr. */
al_status al_optim_step(al_optim *opt, double lr, al_error *err);

/* Steps taken so far (PyTorch's state["step"]; also decides whether SGD's
 * momentum buffer exists yet). */
long al_optim_step_count(const al_optim *opt);

/* Optimizer state for checkpoints: al_optim_state_count buffers, each a view
 * named "<param>.<torch state key>" ("0.weight.momentum_buffer",
 * "0.weight.exp_avg", "0.weight.exp_avg_sq", "0.weight.max_exp_avg_sq",
 * "0.weight.square_avg", "0.weight.grad_avg") whose value points into the
 * optimizer (grad NULL). Save them with the step count; restore with
 * al_optim_state_import and al_optim_set_step_count to resume bit-identically. */
size_t al_optim_state_count(const al_optim *opt);
al_param_ref al_optim_state_view(const al_optim *opt, size_t index);
/* Copies a saved buffer back by name; refuses unknown names and wrong counts. */
al_status al_optim_state_import(al_optim *opt, const char *name, const float *data, size_t count,
                                al_error *err);
/* Sets the step count of a resumed run; refuses negative counts. */
al_status al_optim_set_step_count(al_optim *opt, long steps, al_error *err);

/* Scales every grad so that their global L2 norm is at most max_norm, as
 * torch.nn.utils.clip_grad_norm_: the norm is summed in double and the grads
 * are multiplied by max_norm / (norm + 1e-6) when that is below 1. Returns the
 * norm before clipping. A non-finite norm leaves the grads untouched (torch
 * would turn them into NaN) so the caller can skip the step and report it. */
double al_clip_grad_norm(const al_param_ref *params, size_t n_params, double max_norm);
/* The same with the gradients' sum of squares already known (a net's
 * training-step backward computes it: al_net_grad_sum_squares). */
double al_clip_grad_norm_given(const al_param_ref *params, size_t n_params, double max_norm, double sum_squares);

/* Learning-rate schedules, pure functions of the step so a resumed run gets
 * exactly the same rates. Syntax of al_schedule_parse:
 *   constant                  base_lr every step
 *   step:S:G                  base_lr * G^floor(step / S)          (StepLR)
 *   cosine                    CosineAnnealingLR with T_max = the run's steps
 *   cosine:T                  ... with T_max = T
 *   cosine:T:ETA_MIN          ... and eta_min = ETA_MIN (an absolute rate)
 *   warmup:N,MAIN             linear warm-up over N steps from 1/3 of the
 *                             rate (LinearLR's default), then MAIN counting
 *                             from 0 (SequentialLR); MAIN is one of the above
 *   warmup:N:F,MAIN           ... starting from factor F in [0, 1]
 * "cosine" without T needs al_schedule_resolve (T_max = total steps - N). */
typedef enum al_schedule_kind {
    AL_SCHEDULE_CONSTANT,
    AL_SCHEDULE_STEP,
    AL_SCHEDULE_COSINE
} al_schedule_kind;

typedef struct al_schedule {
    al_schedule_kind kind;          /* the main schedule, after any warm-up */
    long step_size;                 /* step: S */
    double gamma;                   /* step: G */
    long t_max;                     /* cosine: T_max; 0 = set by al_schedule_resolve */
    double eta_min;                 /* cosine: the lowest rate */
    long warmup_steps;              /* 0 = no warm-up */
    double warmup_start_factor;     /* the warm-up's first factor of base_lr */
} al_schedule;

/* A constant schedule without warm-up. */
al_schedule al_schedule_default(void);
/* Parses the syntax above; errors quote the bad part and list the forms. */
al_status al_schedule_parse(const char *text, al_schedule *out, al_error *err);
/* Fills a cosine T_max left at 0 with total_steps - warmup_steps; refuses
 * runs too short for their warm-up. */
al_status al_schedule_resolve(al_schedule *s, long total_steps, al_error *err);
/* The learning rate for 0-based step `step`. */
double al_schedule_lr(const al_schedule *s, double base_lr, long step);
/* Writes the schedule back in al_schedule_parse's syntax (for logs and metrics). */
void al_schedule_format(const al_schedule *s, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
