/* SGD, Adam, AdamW and RMSprop as PyTorch 1.13's single-tensor
 * (foreach=False) implementations compute them (clipping: clip.c).
 *
 * Rounding follows torch: hyper-parameters are Python floats (double); the
 * scalar combinations torch computes in Python (1 - beta1, lr / bias
 * correction, ...) are computed here in double too, and each is rounded to
 * float32 where the tensor kernel receives it. Element arithmetic is float32
 * in torch's operation order, e.g. addcdiv(p, m, d, value=s) is
 * p + (s * m) / d.
 *
 * torch's CPU kernels on AVX2/AVX-512 machines fuse a + alpha * b (add with
 * alpha: vec::fmadd) and a + s * b * c (addcmul, contracted by the compiler)
 * into one rounding; fmaf does the same, which makes every fixture step
 * bit-identical to torch 1.13 (tests/test_optim.c). fmaf is exact on every
 * machine, so results do not depend on the CPU either; the AVX2+FMA clone
 * below only makes it fast (without it fmaf is a libm call). */
#include "actlab/optim.h"

#include <ctype.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "base/share.h"

/* Per-parameter state; which slots are used depends on the kind:
 *   SGD:        a = momentum_buffer
 *   Adam(W):    a = exp_avg, b = exp_avg_sq, c = max_exp_avg_sq
 *   RMSprop:    a = square_avg, b = momentum_buffer, c = grad_avg */
typedef struct param_state {
    float *a, *b, *c;
} param_state;

struct al_optim {
    al_optim_options options;
    size_t n_params;
    al_param_ref *params;     /* copies; names point into `names` */
    param_state *state;
    char *names;              /* parameter names, then state view names */
    float *state_data;        /* every state buffer in one allocation */
    al_param_ref *views;      /* state buffers as named views */
    size_t n_views;
    long steps;
    int use_fma_clone;        /* the CPU has FMA: run the target("avx2,fma") clone */
};

#if defined(__GNUC__) && defined(__x86_64__)
#define OPTIM_HAVE_FMA_CLONE 1
#define OPTIM_INLINE static inline __attribute__((always_inline))
#else
#define OPTIM_HAVE_FMA_CLONE 0
#define OPTIM_INLINE static inline
#endif

static const char *const kind_names[] = {"sgd", "adam", "adamw", "rmsprop"};

al_optim_options al_optim_options_default(void)
{
    al_optim_options o;
    memset(&o, 0, sizeof o);
    o.kind = AL_OPT_SGD;
    o.lr = 1e-2;
    o.momentum = 0.0;
    o.dampening = 0.0;
    o.nesterov = 0;
    o.weight_decay = 0.0;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.eps = 1e-8;
    o.amsgrad = 0;
    o.alpha = 0.99;
    o.centered = 0;
    o.decay_all = 0;
    return o;
}

al_optim_options al_optim_options_for(al_optim_kind kind)
{
    al_optim_options o = al_optim_options_default();
    o.kind = kind;
    switch (kind) {
    case AL_OPT_SGD: o.lr = 1e-2; break;
    case AL_OPT_ADAM: o.lr = 1e-3; break;
    case AL_OPT_ADAMW: o.lr = 1e-3; o.weight_decay = 1e-2; break;
    case AL_OPT_RMSPROP: o.lr = 1e-2; break;
    }
    return o;
}

const char *al_optim_kind_name(al_optim_kind kind)
{
    if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
        return kind_names[kind];
    return "unknown";
}

static int equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

al_status al_optim_parse_kind(const char *name, al_optim_kind *out, al_error *err)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (name && equal_nocase(name, kind_names[i])) {
            *out = (al_optim_kind)i;
            return AL_OK;
        }
    }
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown optimizer '%s': expected one of sgd, adam, adamw, rmsprop",
                        name ? name : "(null)");
}

/* Checks the options PyTorch's constructor for this kind checks, with torch's
 * conditions (written so that NaN fails them too). */
static al_status validate(const al_optim_options *o, al_error *err)
{
    const char *kind = al_optim_kind_name(o->kind);
    if ((unsigned)o->kind > AL_OPT_RMSPROP)
        return al_error_set(err, AL_ERR_INVALID, "unknown optimizer kind %d", (int)o->kind);
    if (!(o->lr >= 0.0))
        return al_error_set(err, AL_ERR_INVALID, "%s: invalid lr %g: must be >= 0", kind, o->lr);
    if (!(o->weight_decay >= 0.0))
        return al_error_set(err, AL_ERR_INVALID, "%s: invalid weight_decay %g: must be >= 0", kind,
                            o->weight_decay);
    if (o->kind == AL_OPT_SGD || o->kind == AL_OPT_RMSPROP) {
        if (!(o->momentum >= 0.0))
            return al_error_set(err, AL_ERR_INVALID, "%s: invalid momentum %g: must be >= 0", kind,
                                o->momentum);
    }
    if (o->kind == AL_OPT_SGD) {
        if (!isfinite(o->dampening))
            return al_error_set(err, AL_ERR_INVALID, "sgd: invalid dampening %g: must be finite",
                                o->dampening);
        if (o->nesterov && (o->momentum <= 0.0 || o->dampening != 0.0))
            return al_error_set(err, AL_ERR_INVALID,
                                "sgd: nesterov needs momentum > 0 and dampening 0 (got momentum %g, "
                                "dampening %g)",
                                o->momentum, o->dampening);
        return AL_OK;
    }
    if (!(o->eps >= 0.0))
        return al_error_set(err, AL_ERR_INVALID, "%s: invalid eps %g: must be >= 0", kind, o->eps);
    if (o->kind == AL_OPT_RMSPROP) {
        if (!(o->alpha >= 0.0))
            return al_error_set(err, AL_ERR_INVALID, "rmsprop: invalid alpha %g: must be >= 0",
                                o->alpha);
        return AL_OK;
    }
    if (!(o->beta1 >= 0.0 && o->beta1 < 1.0))
        return al_error_set(err, AL_ERR_INVALID, "%s: invalid beta1 %g: must be in [0, 1)", kind,
                            o->beta1);
    if (!(o->beta2 >= 0.0 && o->beta2 < 1.0))
        return al_error_set(err, AL_ERR_INVALID, "%s: invalid beta2 %g: must be in [0, 1)", kind,
                            o->beta2);
    return AL_OK;
}

/* The state keys PyTorch uses for this configuration, in slot order a, b, c
 * (NULL for an unused slot). */
static void state_keys(const al_optim_options *o, const char *keys[3])
{
    keys[0] = keys[1] = keys[2] = NULL;
    switch (o->kind) {
    case AL_OPT_SGD:
        if (o->momentum != 0.0)
            keys[0] = "momentum_buffer";
        break;
    case AL_OPT_ADAM:
    case AL_OPT_ADAMW:
        keys[0] = "exp_avg";
        keys[1] = "exp_avg_sq";
        if (o->amsgrad)
            keys[2] = "max_exp_avg_sq";
        break;
    case AL_OPT_RMSPROP:
        keys[0] = "square_avg";
        if (o->momentum > 0.0)
            keys[1] = "momentum_buffer";
        if (o->centered)
            keys[2] = "grad_avg";
        break;
    }
}

al_status al_optim_create(const al_optim_options *options, const al_param_ref *params,
                          size_t n_params, al_optim **out, al_error *err)
{
    *out = NULL;
    if (!options)
        return al_error_set(err, AL_ERR_INVALID, "optimizer options are NULL");
    al_status st = validate(options, err);
    if (st != AL_OK)
        return st;
    if (n_params == 0 || !params)
        return al_error_set(err, AL_ERR_INVALID, "%s: got an empty parameter list",
                            al_optim_kind_name(options->kind));

    const char *keys[3];
    state_keys(options, keys);
    size_t slots = 0, key_bytes = 0;
    for (int k = 0; k < 3; k++) {
        if (keys[k]) {
            slots++;
            key_bytes += strlen(keys[k]) + 2; /* '.' and NUL */
        }
    }

    /* Totals first, with overflow checks, so everything is allocated once. */
    size_t total_count = 0, name_bytes = 0;
    for (size_t i = 0; i < n_params; i++) {
        const al_param_ref *p = &params[i];
        const char *name = p->name ? p->name : "";
        if (p->count && (!p->value || !p->grad))
            return al_error_set(err, AL_ERR_INVALID, "%s: parameter %zu ('%s') has no %s",
                                al_optim_kind_name(options->kind), i, name,
                                p->value ? "grad" : "value");
        if (p->count > SIZE_MAX / sizeof(float) / 4 - total_count)
            return al_error_set(err, AL_ERR_NOMEM, "%s: parameters too large",
                                al_optim_kind_name(options->kind));
        total_count += p->count;
        size_t len = strlen(name);
        name_bytes += (len + 1) + slots * len + key_bytes;
    }

    /* state beyond the machine's memory is refused with its size, before allocating */
    al_status fits = al_memory_check((double)slots * (double)total_count * sizeof(float), err,
                                     "%s's state (%zu buffer%s of %zu floats)", al_optim_kind_name(options->kind),
                                     slots, slots == 1 ? "" : "s", total_count);
    if (fits != AL_OK)
        return fits;
    al_optim *opt = calloc(1, sizeof *opt);
    if (!opt)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory creating the optimizer");
    opt->options = *options;
    opt->n_params = n_params;
    opt->n_views = slots * n_params;
    opt->params = calloc(n_params, sizeof *opt->params);
    opt->state = calloc(n_params, sizeof *opt->state);
    opt->names = malloc(name_bytes ? name_bytes : 1);
    opt->views = calloc(opt->n_views ? opt->n_views : 1, sizeof *opt->views);
    /* Zeroed state is torch's initial state for every buffer it zero-inits;
     * SGD's momentum buffer is instead set from the first step's gradient. */
    size_t state_floats = slots * total_count;
    opt->state_data = calloc(state_floats ? state_floats : 1, sizeof(float));
    if (!opt->params || !opt->state || !opt->names || !opt->views || !opt->state_data) {
        al_optim_free(opt);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory allocating optimizer state (%zu floats)",
                            slots * total_count);
    }

    char *name_cursor = opt->names;
    float *data_cursor = opt->state_data;
    size_t view = 0;
    for (size_t i = 0; i < n_params; i++) {
        const char *name = params[i].name ? params[i].name : "";
        size_t len = strlen(name);
        opt->params[i] = params[i];
        memcpy(name_cursor, name, len + 1);
        opt->params[i].name = name_cursor;
        name_cursor += len + 1;
        float **slot_ptr[3] = {&opt->state[i].a, &opt->state[i].b, &opt->state[i].c};
        for (int k = 0; k < 3; k++) {
            if (!keys[k])
                continue;
            *slot_ptr[k] = data_cursor;
            size_t klen = strlen(keys[k]);
            memcpy(name_cursor, name, len);
            name_cursor[len] = '.';
            memcpy(name_cursor + len + 1, keys[k], klen + 1);
            opt->views[view].name = name_cursor;
            opt->views[view].value = data_cursor;
            opt->views[view].grad = NULL;
            opt->views[view].count = params[i].count;
            opt->views[view].no_decay = params[i].no_decay;
            view++;
            name_cursor += len + 1 + klen + 1;
            data_cursor += params[i].count;
        }
    }
#if OPTIM_HAVE_FMA_CLONE
    opt->use_fma_clone = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    *out = opt;
    return AL_OK;
}

void al_optim_free(al_optim *opt)
{
    if (!opt)
        return;
    free(opt->params);
    free(opt->state);
    free(opt->names);
    free(opt->views);
    free(opt->state_data);
    free(opt);
}

const al_optim_options *al_optim_get_options(const al_optim *opt)
{
    return &opt->options;
}

long al_optim_step_count(const al_optim *opt)
{
    return opt->steps;
}

size_t al_optim_state_count(const al_optim *opt)
{
    return opt->n_views;
}

al_param_ref al_optim_state_view(const al_optim *opt, size_t index)
{
    if (index < opt->n_views)
        return opt->views[index];
    al_param_ref none = {NULL, NULL, NULL, 0, 0};
    return none;
}

al_status al_optim_state_import(al_optim *opt, const char *name, const float *data, size_t count,
                                al_error *err)
{
    for (size_t i = 0; i < opt->n_views; i++) {
        if (strcmp(opt->views[i].name, name) != 0)
            continue;
        if (count != opt->views[i].count)
            return al_error_set(err, AL_ERR_SHAPE,
                                "optimizer state '%s' has %zu values, this optimizer expects %zu",
                                name, count, opt->views[i].count);
        if (count)
            memcpy(opt->views[i].value, data, count * sizeof(float));
        return AL_OK;
    }
    return al_error_set(err, AL_ERR_INVALID,
                        "optimizer state '%s' does not belong to this %s optimizer (check the "
                        "optimizer kind and its momentum/amsgrad/centered options)",
                        name, al_optim_kind_name(opt->options.kind));
}

al_status al_optim_set_step_count(al_optim *opt, long steps, al_error *err)
{
    if (steps < 0)
        return al_error_set(err, AL_ERR_INVALID, "optimizer step count %ld is negative", steps);
    opt->steps = steps;
    return AL_OK;
}

/* The weight decay this tensor gets: none for no_decay tensors unless asked. */
OPTIM_INLINE double decay_for(const al_optim *opt, const al_param_ref *p)
{
    return (p->no_decay && !opt->options.decay_all) ? 0.0 : opt->options.weight_decay;
}

/* Each step function updates elements [begin, end) of one parameter. */
OPTIM_INLINE void sgd_step(const al_optim *opt, const al_param_ref *p, float *buf, double lr, size_t begin,
                           size_t end)
{
    const al_optim_options *o = &opt->options;
    const double wd = decay_for(opt, p);
    const float wd_f = (float)wd;
    const float momentum_f = (float)o->momentum;
    const float one_minus_dampening_f = (float)(1.0 - o->dampening);
    const float neg_lr_f = (float)(-lr);
    const int use_momentum = o->momentum != 0.0;
    const int first = opt->steps == 0; /* torch: momentum_buffer is None */
    float *restrict value = p->value;
    const float *restrict grad = p->grad;
    for (size_t i = begin; i < end; i++) {
        float d = grad[i];
        if (wd != 0.0)
            d = fmaf(wd_f, value[i], d);
        if (use_momentum) {
            float b;
            if (first) {
                b = d;
            } else {
                b = buf[i] * momentum_f;
                b = fmaf(one_minus_dampening_f, d, b);
            }
            buf[i] = b;
            d = o->nesterov ? fmaf(momentum_f, b, d) : b;
        }
        value[i] = fmaf(neg_lr_f, d, value[i]);
    }
}

/* The Adam(W) update of elements [0, n). amsgrad is a constant at each call
 * site, so each loop is compiled without the other's branch: reading
 * max_sq under a mask when it is NULL made the vectorised loop take a
 * microcode assist per element (a 10x slowdown). */
typedef struct adam_consts {
    float decay_factor, wd, beta1, beta2, one_minus_beta1, one_minus_beta2, eps, bc2_sqrt, neg_step_size;
    int decoupled, coupled_decay;
} adam_consts;

OPTIM_INLINE void adam_loop(const adam_consts *k, size_t n, float *restrict value, const float *restrict grad,
                            float *restrict exp_avg, float *restrict exp_avg_sq, float *restrict max_sq,
                            const int amsgrad)
{
    for (size_t i = 0; i < n; i++) {
        float v = value[i];
        if (k->decoupled)
            v = v * k->decay_factor; /* torch multiplies by 1 too when wd is 0: exact */
        float g = grad[i];
        if (k->coupled_decay)
            g = fmaf(k->wd, v, g);
        float m = exp_avg[i] * k->beta1;
        m = fmaf(k->one_minus_beta1, g, m);
        float sq = exp_avg_sq[i] * k->beta2;
        sq = fmaf(k->one_minus_beta2 * g, g, sq);
        exp_avg[i] = m;
        exp_avg_sq[i] = sq;
        if (amsgrad) {
            float mx = max_sq[i];
            if (isnan(sq) || sq > mx) /* torch.maximum propagates NaN */
                mx = sq;
            max_sq[i] = mx;
            sq = mx;
        }
        float denom = sqrtf(sq) / k->bc2_sqrt + k->eps;
        value[i] = v + k->neg_step_size * m / denom;
    }
}

/* Adam and AdamW (decoupled = 1). step is the 1-based step being taken. */
OPTIM_INLINE void adam_step(const al_optim *opt, const al_param_ref *p, const param_state *s, double lr,
                      long step, int decoupled, size_t b, size_t e)
{
    const al_optim_options *o = &opt->options;
    const double wd = decay_for(opt, p);
    const double bias_correction1 = 1.0 - pow(o->beta1, (double)step);
    const double bias_correction2 = 1.0 - pow(o->beta2, (double)step);
    const double step_size = lr / bias_correction1;
    adam_consts k;
    k.bc2_sqrt = (float)sqrt(bias_correction2);
    k.neg_step_size = (float)(-step_size);
    k.beta1 = (float)o->beta1;
    k.beta2 = (float)o->beta2;
    k.one_minus_beta1 = (float)(1.0 - o->beta1);
    k.one_minus_beta2 = (float)(1.0 - o->beta2);
    k.eps = (float)o->eps;
    k.wd = (float)wd;
    k.decay_factor = (float)(1.0 - lr * wd);
    k.decoupled = decoupled;
    k.coupled_decay = !decoupled && wd != 0.0;
    if (o->amsgrad)
        adam_loop(&k, e - b, p->value + b, p->grad + b, s->a + b, s->b + b, s->c + b, 1);
    else
        adam_loop(&k, e - b, p->value + b, p->grad + b, s->a + b, s->b + b, NULL, 0);
}

/* The RMSprop update; centered and use_momentum are constants at each call
 * site so no loop reads a buffer that does not exist (see adam_loop). */
typedef struct rmsprop_consts {
    float wd, alpha, one_minus_alpha, eps, momentum, neg_lr;
    int decay;
} rmsprop_consts;

OPTIM_INLINE void rmsprop_loop(const rmsprop_consts *k, size_t n, float *restrict value, const float *restrict grad,
                               float *restrict square_avg, float *restrict buf, float *restrict grad_avg,
                               const int centered, const int use_momentum)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (k->decay)
            g = fmaf(k->wd, value[i], g);
        float sq = square_avg[i] * k->alpha;
        sq = fmaf(k->one_minus_alpha * g, g, sq);
        square_avg[i] = sq;
        float avg;
        if (centered) {
            float ga = grad_avg[i] * k->alpha;
            ga = fmaf(k->one_minus_alpha, g, ga);
            grad_avg[i] = ga;
            avg = sqrtf(fmaf(-1.0f * ga, ga, sq));
        } else {
            avg = sqrtf(sq);
        }
        avg = avg + k->eps;
        if (use_momentum) {
            float b = buf[i] * k->momentum;
            b = b + g / avg;
            buf[i] = b;
            value[i] = fmaf(k->neg_lr, b, value[i]);
        } else {
            value[i] = value[i] + k->neg_lr * g / avg;
        }
    }
}

OPTIM_INLINE void rmsprop_step(const al_optim *opt, const al_param_ref *p, const param_state *s,
                         double lr, size_t b, size_t e)
{
    const al_optim_options *o = &opt->options;
    const double wd = decay_for(opt, p);
    rmsprop_consts k;
    k.wd = (float)wd;
    k.decay = wd != 0.0;
    k.alpha = (float)o->alpha;
    k.one_minus_alpha = (float)(1.0 - o->alpha);
    k.eps = (float)o->eps;
    k.momentum = (float)o->momentum;
    k.neg_lr = (float)(-lr);
    const int use_momentum = o->momentum > 0.0;
    float *v = p->value + b, *sq = s->a + b;
    const float *g = p->grad + b;
    size_t n = e - b;
    if (o->centered && use_momentum)
        rmsprop_loop(&k, n, v, g, sq, s->b + b, s->c + b, 1, 1);
    else if (o->centered)
        rmsprop_loop(&k, n, v, g, sq, NULL, s->c + b, 1, 0);
    else if (use_momentum)
        rmsprop_loop(&k, n, v, g, sq, s->b + b, NULL, 0, 1);
    else
        rmsprop_loop(&k, n, v, g, sq, NULL, NULL, 0, 0);
}

/* This thread's part of every parameter (al_share: the rows whose gradients
 * it computed in the net's backward). */
OPTIM_INLINE void step_part(al_optim *opt, double lr, long step, int part, int parts)
{
    for (size_t i = 0; i < opt->n_params; i++) {
        const al_param_ref *p = &opt->params[i];
        const param_state *s = &opt->state[i];
        size_t b, e;
        al_share(p->count, part, parts, &b, &e);
        if (e <= b)
            continue;
        switch (opt->options.kind) {
        case AL_OPT_SGD: sgd_step(opt, p, s->a, lr, b, e); break;
        case AL_OPT_ADAM: adam_step(opt, p, s, lr, step, 0, b, e); break;
        case AL_OPT_ADAMW: adam_step(opt, p, s, lr, step, 1, b, e); break;
        case AL_OPT_RMSPROP: rmsprop_step(opt, p, s, lr, b, e); break;
        }
    }
}

static void step_part_portable(al_optim *opt, double lr, long step, int part, int parts)
{
    step_part(opt, lr, step, part, parts);
}

#if OPTIM_HAVE_FMA_CLONE
__attribute__((target("avx2,fma"))) static void step_part_fma(al_optim *opt, double lr, long step, int part,
                                                               int parts)
{
    step_part(opt, lr, step, part, parts);
}
#endif

/* Fewer elements than this are updated by one thread. */
#define TEAM_MIN_ELEMENTS 65536

/* The team: OpenMP's thread count, one thread for a small model. Every
 * element's update depends only on its own values, so the result does not
 * depend on the team. */
static int team_for(const al_optim *opt)
{
    size_t total = 0;
    for (size_t i = 0; i < opt->n_params; i++)
        total += opt->params[i].count;
    return total < TEAM_MIN_ELEMENTS ? 1 : omp_get_max_threads();
}

al_status al_optim_step(al_optim *opt, double lr, al_error *err)
{
    if (!(lr >= 0.0) || !isfinite(lr))
        return al_error_set(err, AL_ERR_INVALID, "%s step: learning rate %g must be finite and >= 0",
                            al_optim_kind_name(opt->options.kind), lr);
    const long step = opt->steps + 1; /* torch increments state["step"] first */
#pragma omp parallel num_threads(team_for(opt))
    {
        int part = omp_get_thread_num(), parts = omp_get_num_threads();
#if OPTIM_HAVE_FMA_CLONE
        if (opt->use_fma_clone)
            step_part_fma(opt, lr, step, part, parts);
        else
            step_part_portable(opt, lr, step, part, parts);
#else
        step_part_portable(opt, lr, step, part, parts);
#endif
    }
    opt->steps = step;
    return AL_OK;
}
