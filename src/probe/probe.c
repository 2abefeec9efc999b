/* Per-layer probes. Every step: f'(x) of each activation layer is computed
 * with the layer's own backward kernel (dy = 1), and each unit keeps the
 * largest |f'| seen since the epoch began (dead: it stayed 0), plus counts of
 * pre-activations exactly on a kink. On a convolution's [C, H, W] output the
 * unit is a channel: its largest |f'| over every position, its kink hits,
 * and at a probe point its sparsity and centring. At a probe point the rest
 * is taken from the same batch, and after the optimizer step the update
 * ratios close the record. Per-unit state is sized at the first step, when
 * the net knows its shapes. */
#include "actlab/probe.h"


#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

typedef struct layer_state {
    int activation;           /* an activation layer: the derivative is tracked */
    size_t channels, positions; /* of the output the state is sized for (0 before it is known) */
    float *max_abs;           /* per channel: max |f'| since the epoch began (activation layers) */
    uint64_t *channel_kinks;  /* per channel: kink hits since the previous record (positions > 1) */
    al_probe_channel *pending; /* per channel: the values of the point being taken */
    al_probe_channel *last_channels; /* per channel: those of last_epoch */
    size_t epoch_rows;        /* samples seen since the epoch began */
    int kinks;
    float kink_at[AL_ACT_MAX_KINKS];
    uint64_t kink_hits, kink_seen, kink_total;
    int param_index[2];       /* into the net's parameter list */
    size_t param_offset[2];   /* where each tensor's values sit in the probe's `before` copy */
    int n_params;
    int has_last_epoch;
    al_probe_record last_epoch; /* a copy: max_records may drop it from the records */
} layer_state;

struct al_probe {
    al_probe_options o;
    int n_layers;
    layer_state *layers;
    FILE *log;                /* unbuffered: each point is one whole write */
    char *log_path;
    float *ones, *deriv;      /* scratch of `scratch` floats */
    size_t scratch;
    float *before;            /* parameter values before the update, at a probe point */
    int pending;              /* statistics taken, waiting for the update */
    al_probe_record *current; /* n_layers records of the pending point */
    /* records[first .. n_records) are kept; with max_records the array holds
     * at most twice that, and the kept ones move to the front when it fills,
     * so dropping the oldest costs one move per max_records records stored */
    al_probe_record *records;
    size_t first, n_records, cap_records;
    /* every kept record's per-channel values, in record order: a record's
     * start at channel_first; they move with the records they belong to */
    al_probe_channel *channel_store;
    size_t n_channels, cap_channels;
};

al_probe_options al_probe_options_default(void)
{
    al_probe_options o;
    memset(&o, 0, sizeof o);
    o.every = 100;
    o.bins = 50;
    o.bin_lo = -0.5;
    o.bin_hi = 2.0;
    return o;
}

void al_probe_free(al_probe *p)
{
    if (!p)
        return;
    for (int i = 0; p->layers && i < p->n_layers; i++) {
        free(p->layers[i].max_abs);
        free(p->layers[i].channel_kinks);
        free(p->layers[i].pending);
        free(p->layers[i].last_channels);
    }
    free(p->channel_store);
    free(p->layers);
    if (p->log)
        fclose(p->log);
    free(p->log_path);
    free(p->ones);
    free(p->deriv);
    free(p->before);
    free(p->current);
    free(p->records);
    free(p);
}

/* Channels and positions per channel of a layer's output. */
static void layout(const al_layer_info *info, size_t *channels, size_t *positions)
{
    int image = info->out_shape.rank >= 2 && info->out_shape.dim[0] > 0;
    *channels = image ? info->out_shape.dim[0] : info->out_features;
    *positions = image ? info->out_features / info->out_shape.dim[0] : 1;
}

/* Sizes an activation layer's per-channel state for the net's current
 * shapes (the first step, or after the net was fitted to other data). */
static al_status ensure_layer(layer_state *s, const al_layer_info *info, al_error *err)
{
    size_t channels, positions;
    layout(info, &channels, &positions);
    if (channels == s->channels && positions == s->positions)
        return AL_OK;
    free(s->max_abs);
    free(s->channel_kinks);
    free(s->pending);
    free(s->last_channels);
    s->max_abs = calloc(channels ? channels : 1, sizeof *s->max_abs);
    s->channel_kinks = positions > 1 ? calloc(channels, sizeof *s->channel_kinks) : NULL;
    s->pending = positions > 1 ? calloc(channels, sizeof *s->pending) : NULL;
    s->last_channels = positions > 1 ? calloc(channels, sizeof *s->last_channels) : NULL;
    s->channels = s->positions = 0;
    s->epoch_rows = 0;
    s->last_epoch.has_channels = 0; /* the channels it had are gone */
    if (!s->max_abs || (positions > 1 && (!s->channel_kinks || !s->pending || !s->last_channels)))
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the probes of %s", info->module);
    s->channels = channels;
    s->positions = positions;
    return AL_OK;
}

al_status al_probe_create(const al_net *net, const al_probe_options *options, al_probe **out,
                          al_error *err)
{
    *out = NULL;
    al_probe_options o = options ? *options : al_probe_options_default();
    if (o.every < 1) /* tests/test_probe.c matches "--probe-every" in this message */
        return al_error_set_field(err, AL_ERR_INVALID, "probe.every", "the probe interval must be at least 1 "
                                  "step, got %ld (--probe-every N takes N >= 1; epoch ends are always probed)",
                                  o.every);
    if (o.bins < 1 || o.bins > AL_PROBE_MAX_BINS || !(o.bin_lo < o.bin_hi))
        return al_error_set(err, AL_ERR_INVALID, "the derivative histogram needs 1 to %d bins over a "
                            "range lo < hi, got %d bins over [%g, %g)", AL_PROBE_MAX_BINS, o.bins,
                            o.bin_lo, o.bin_hi);
    al_probe *p = calloc(1, sizeof *p);
    if (!p)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory creating probes");
    p->o = o;
    p->o.log_path = NULL; /* the caller's string is not kept */
    p->n_layers = al_net_layer_count(net);
    p->layers = calloc((size_t)p->n_layers, sizeof *p->layers);
    p->current = calloc((size_t)p->n_layers, sizeof *p->current);
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    size_t *offsets = calloc((size_t)np + 1, sizeof *offsets); /* of each tensor in `before` */
    for (int i = 0; offsets && i < np; i++)
        offsets[i + 1] = offsets[i] + params[i].count;
    size_t total = offsets ? offsets[np] : 0;
    p->before = malloc((total ? total : 1) * sizeof(float));
    if (!p->layers || !p->current || !p->before || !offsets) {
        free(offsets);
        al_probe_free(p);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory creating probes");
    }
    for (int i = 0; i < p->n_layers; i++) {
        layer_state *s = &p->layers[i];
        al_layer_info info = al_net_layer(net, i);
        if (info.kind == AL_LAYER_ACTIVATION) {
            s->activation = 1;
            /* a net that does not know its input's size yet is sized at the first step */
            if (info.out_features && ensure_layer(s, &info, err) != AL_OK) {
                free(offsets);
                al_probe_free(p);
                return AL_ERR_NOMEM;
            }
            double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
            s->kinks = al_act_kinks(info.act, where, deriv);
            for (int k = 0; k < s->kinks; k++)
                s->kink_at[k] = (float)where[k];
        }
        for (int k = 0; k < np; k++)
            if (atoi(params[k].name) == info.index && s->n_params < 2) {
                s->param_offset[s->n_params] = offsets[k];
                s->param_index[s->n_params++] = k;
            }
    }
    free(offsets);
    if (options && options->log_path) {
        p->log = fopen(options->log_path, options->append ? "a" : "w");
        p->log_path = strdup(options->log_path);
        if (p->log)
            setvbuf(p->log, NULL, _IONBF, 0);
        if (!p->log || !p->log_path) {
            int e = errno;
            al_probe_free(p);
            return al_error_set_field(err, AL_ERR_IO, "probe.log_path", "cannot write the probe log '%s': %s "
                                      "(choose a writable path)", options->log_path, strerror(e));
        }
    }
    *out = p;
    return AL_OK;
}

static al_status ensure_scratch(al_probe *p, size_t n, al_error *err)
{
    if (n <= p->scratch)
        return AL_OK;
    float *ones = malloc(n * sizeof(float)), *deriv = malloc(n * sizeof(float));
    if (!ones || !deriv) {
        free(ones);
        free(deriv);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for probe scratch (%zu floats)", n);
    }
    for (size_t i = 0; i < n; i++)
        ones[i] = 1.0f;
    free(p->ones);
    free(p->deriv);
    p->ones = ones;
    p->deriv = deriv;
    p->scratch = n;
    return AL_OK;
}

/* Sum and sum of squares in double, with eight independent accumulators so
 * the additions do not wait on each other (these loops run at every probe
 * point over every layer and every parameter). */
static void sums(const float *x, size_t n, double *sum, double *sum_sq)
{
    double s[8] = {0}, q[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            double v = x[i + (size_t)k];
            s[k] += v;
            q[k] += v * v;
        }
    for (; i < n; i++) {
        s[0] += x[i];
        q[0] += (double)x[i] * x[i];
    }
    *sum = *sum_sq = 0;
    for (int k = 0; k < 8; k++) {
        *sum += s[k];
        *sum_sq += q[k];
    }
}

static void moments(const float *x, size_t n, double *mean, double *std)
{
    if (!x || n == 0) {
        *mean = *std = NAN;
        return;
    }
    double s, q;
    sums(x, n, &s, &q);
    double m = s / (double)n, var = q / (double)n - m * m;
    *mean = m;
    *std = sqrt(var > 0 ? var : 0);
}

static double l2(const float *x, size_t n)
{
    if (!x)
        return NAN;
    double s, q;
    sums(x, n, &s, &q);
    return sqrt(q);
}

/* Every step: max |f'| per unit and kink hits. Written so the compiler
 * vectorises both loops (no fmaxf call, integer counts per row). */
static void accumulate(layer_state *s, const float *x, const float *d, size_t rows, size_t units)
{
    float *m = s->max_abs;
    uint64_t hits = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *dr = d + r * units, *xr = x + r * units;
        for (size_t c = 0; c < units; c++) {
            float a = fabsf(dr[c]);
            m[c] = a > m[c] ? a : m[c];
        }
        for (int k = 0; k < s->kinks; k++) {
            float at = s->kink_at[k];
            uint32_t row_hits = 0;
            for (size_t c = 0; c < units; c++)
                row_hits += xr[c] == at;
            hits += row_hits;
        }
    }
    s->kink_hits += hits;
    s->kink_total += hits;
    s->kink_seen += rows * units;
    s->epoch_rows += rows;
}

/* The same on [rows, C, positions]: a channel's maximum over every position,
 * and its kink hits. */
static void accumulate_channels(layer_state *s, const float *x, const float *d, size_t rows)
{
    const size_t C = s->channels, P = s->positions;
    uint64_t hits = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++) {
            const float *dr = d + (r * C + c) * P, *xr = x + (r * C + c) * P;
            float m = s->max_abs[c];
            for (size_t i = 0; i < P; i++) {
                float a = fabsf(dr[i]);
                m = a > m ? a : m;
            }
            s->max_abs[c] = m;
            uint32_t channel_hits = 0;
            for (int k = 0; k < s->kinks; k++) {
                float at = s->kink_at[k];
                for (size_t i = 0; i < P; i++)
                    channel_hits += xr[i] == at;
            }
            s->channel_kinks[c] += channel_hits;
            hits += channel_hits;
        }
    s->kink_hits += hits;
    s->kink_total += hits;
    s->kink_seen += rows * C * P;
    s->epoch_rows += rows;
}

/* At a probe point: each channel's values on this batch ([rows, C, positions]). */
static void channel_stats(layer_state *s, const float *x, const float *y, size_t rows)
{
    const size_t C = s->channels, P = s->positions;
    for (size_t c = 0; c < C; c++) {
        double in_sum = 0, sum = 0, sum_sq = 0;
        size_t zeros = 0;
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + (r * C + c) * P, *yr = y + (r * C + c) * P;
            double a, b;
            sums(yr, P, &a, &b);
            sum += a;
            sum_sq += b;
            sums(xr, P, &a, &b);
            in_sum += a;
            for (size_t i = 0; i < P; i++)
                zeros += yr[i] == 0.0f;
        }
        double n = (double)(rows * P), mean = sum / n, var = sum_sq / n - mean * mean;
        al_probe_channel *ch = &s->pending[c];
        ch->max_abs_deriv = s->max_abs[c];
        ch->sparsity = (double)zeros / n;
        ch->in_mean = in_sum / n;
        ch->out_mean = mean;
        ch->out_std = sqrt(var > 0 ? var : 0);
        ch->kink_hits = s->channel_kinks[c];
        s->channel_kinks[c] = 0;
    }
}

/* At a probe point: the derivative's distribution on this batch. */
static void derivative_stats(const al_probe *p, al_probe_record *r, const float *d, size_t n, int saturating)
{
    uint64_t zero = 0, one = 0, small = 0;
    double sum = 0, width = (p->o.bin_hi - p->o.bin_lo) / p->o.bins;
    r->bins = p->o.bins;
    r->bin_lo = p->o.bin_lo;
    r->bin_hi = p->o.bin_hi;
    for (size_t i = 0; i < n; i++) {
        float v = d[i];
        zero += v == 0.0f;
        one += v == 1.0f;
        small += fabsf(v) < (float)AL_PROBE_SMALL;
        sum += v;
        if (isnan(v))
            r->hist_nan++;
        else if (v < p->o.bin_lo)
            r->hist_below++;
        else if (v >= p->o.bin_hi)
            r->hist_above++;
        else {
            int b = (int)((v - p->o.bin_lo) / width); /* >= 0 here, so truncation is floor */
            r->hist[b < p->o.bins ? b : p->o.bins - 1]++;
        }
    }
    r->deriv_zero = (double)zero / (double)n;
    r->deriv_one = (double)one / (double)n;
    r->deriv_mean = sum / (double)n;
    r->saturation = saturating ? (double)small / (double)n : NAN;
}

static void unit_fractions(const layer_state *s, al_probe_record *r)
{
    size_t dead = 0, near = 0;
    for (size_t c = 0; c < s->channels; c++) {
        dead += s->max_abs[c] == 0.0f;
        near += s->max_abs[c] < (float)AL_PROBE_SMALL;
    }
    r->dead = (double)dead / (double)s->channels;
    r->near_dead = (double)near / (double)s->channels;
}

al_status al_probe_after_backward(al_probe *p, const al_net *net, long step, long epoch, int epoch_end,
                                  al_error *err)
{
    size_t rows = al_net_batch(net);
    int point = epoch_end || step % p->o.every == 0;
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    for (int i = 0; i < p->n_layers; i++) {
        layer_state *s = &p->layers[i];
        al_layer_info info = al_net_layer(net, i);
        size_t units = info.out_features, n = rows * units;
        const float *x = al_net_layer_input(net, i), *y = al_net_layer_output(net, i);
        al_probe_record *r = &p->current[i];
        if (info.kind == AL_LAYER_ACTIVATION) {
            al_status st = ensure_layer(s, &info, err);
            if (st == AL_OK)
                st = ensure_scratch(p, n, err);
            if (st != AL_OK)
                return st;
            al_net_activation_derivative(net, i, p->ones, p->deriv);
            if (s->positions > 1)
                accumulate_channels(s, x, p->deriv, rows);
            else
                accumulate(s, x, p->deriv, rows, units);
        }
        if (!point)
            continue;
        memset(r, 0, sizeof *r);
        r->step = step;
        r->epoch = epoch;
        r->epoch_end = epoch_end;
        r->layer = i;
        r->kind = info.kind;
        r->units = units;
        r->rows = rows;
        layout(&info, &r->channels, &r->positions);
        moments(x, rows * info.in_features, &r->in_mean, &r->in_std);
        moments(y, n, &r->out_mean, &r->out_std);
        size_t zeros = 0;
        for (size_t k = 0; k < n; k++)
            zeros += y[k] == 0.0f;
        r->sparsity = n ? (double)zeros / (double)n : NAN;
        r->grad_out_norm = l2(al_net_layer_output_grad(net, i), n);
        r->dead = r->near_dead = r->deriv_zero = r->deriv_one = r->deriv_mean = r->saturation = NAN;
        r->slope_min = r->slope_mean = r->slope_max = NAN;
        if (info.kind == AL_LAYER_ACTIVATION) {
            unit_fractions(s, r);
            if (s->positions > 1) {
                channel_stats(s, x, y, rows);
                r->has_channels = 1;
            }
            derivative_stats(p, r, p->deriv, n, al_act_info_of(info.act->id)->saturating);
            r->kinks = s->kinks;
            r->kink_hits = s->kink_hits;
            r->kink_seen = s->kink_seen;
            r->kink_hits_total = s->kink_total;
            s->kink_hits = s->kink_seen = 0;
        }
        r->n_params = s->n_params;
        for (int j = 0; j < s->n_params; j++) {
            const al_param_ref *pr = &params[s->param_index[j]];
            r->params[j].name = pr->name;
            r->params[j].grad_norm = l2(pr->grad, pr->count);
            r->params[j].weight_norm = l2(pr->value, pr->count);
            memcpy(p->before + s->param_offset[j], pr->value, pr->count * sizeof(float));
        }
    }
    p->pending = point;
    return AL_OK;
}

/* Squared L2 distance, with independent accumulators as in sums(). */
static double distance_sq(const float *a, const float *b, size_t n)
{
    double q[8] = {0}, total = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            double d = (double)a[i + (size_t)k] - b[i + (size_t)k];
            q[k] += d * d;
        }
    for (; i < n; i++)
        q[0] += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    for (int k = 0; k < 8; k++)
        total += q[k];
    return total;
}

static void slope_stats(const al_param_ref *w, al_probe_record *r)
{
    r->slope_count = w->count;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (size_t k = 0; k < w->count; k++) {
        lo = fmin(lo, w->value[k]);
        hi = fmax(hi, w->value[k]);
        sum += w->value[k];
        if (k < AL_PROBE_MAX_SLOPES)
            r->slopes[k] = w->value[k];
    }
    r->slope_min = lo;
    r->slope_max = hi;
    r->slope_mean = w->count ? sum / (double)w->count : NAN;
}

/* Drops the records before `first` and their per-channel values, moving
 * the kept ones to the front (once per max_records records stored). */
static void compact(al_probe *p)
{
    size_t drop = p->n_channels; /* the channels of the dropped records */
    for (size_t k = p->first; k < p->n_records; k++)
        if (p->records[k].has_channels) {
            drop = p->records[k].channel_first;
            break;
        }
    p->n_records -= p->first;
    memmove(p->records, p->records + p->first, p->n_records * sizeof *p->records);
    p->first = 0;
    if (drop == 0)
        return;
    p->n_channels -= drop;
    memmove(p->channel_store, p->channel_store + drop, p->n_channels * sizeof *p->channel_store);
    for (size_t k = 0; k < p->n_records; k++)
        if (p->records[k].has_channels)
            p->records[k].channel_first -= drop;
}

/* Keeps r (and its per-channel values, from its layer's pending ones). */
static al_status store(al_probe *p, al_probe_record *r, const layer_state *s, al_error *err)
{
    size_t max = p->o.max_records;
    if (max && p->n_records - p->first == max)
        p->first++; /* the oldest kept record is dropped */
    if (p->n_records == p->cap_records && p->first > 0)
        compact(p);
    if (p->n_records == p->cap_records) { /* all kept: fewer than max_records, or no cap */
        size_t cap = p->cap_records ? 2 * p->cap_records : 64;
        if (max && cap > 2 * max)
            cap = 2 * max;
        al_probe_record *grown = realloc(p->records, cap * sizeof *grown);
        if (!grown)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory keeping probe records (%zu)", cap);
        p->records = grown;
        p->cap_records = cap;
    }
    if (r->has_channels) {
        if (p->n_channels + s->channels > p->cap_channels) {
            size_t cap = p->cap_channels ? 2 * p->cap_channels : 256;
            while (cap < p->n_channels + s->channels)
                cap *= 2;
            al_probe_channel *grown = realloc(p->channel_store, cap * sizeof *grown);
            if (!grown)
                return al_error_set(err, AL_ERR_NOMEM, "out of memory keeping probe records (%zu channels)",
                                    cap);
            p->channel_store = grown;
            p->cap_channels = cap;
        }
        r->channel_first = p->n_channels;
        memcpy(p->channel_store + p->n_channels, s->pending, s->channels * sizeof *s->pending);
        p->n_channels += s->channels;
    }
    p->records[p->n_records++] = *r;
    return AL_OK;
}

al_status al_probe_after_update(al_probe *p, const al_net *net, al_error *err)
{
    if (!p->pending)
        return AL_OK;
    p->pending = 0;
    int np;
    const al_param_ref *params = al_net_params(net, &np);
    al_buf lines = {0}; /* the point's records, one line per layer */
    for (int i = 0; i < p->n_layers; i++) {
        layer_state *s = &p->layers[i];
        al_probe_record *r = &p->current[i];
        for (int j = 0; j < s->n_params; j++) {
            const al_param_ref *pr = &params[s->param_index[j]];
            double diff = distance_sq(pr->value, p->before + s->param_offset[j], pr->count);
            double w = r->params[j].weight_norm;
            r->params[j].update_ratio = w > 0 ? sqrt(diff) / w : NAN;
        }
        al_layer_info info = al_net_layer(net, i);
        if (info.kind == AL_LAYER_ACTIVATION && al_act_info_of(info.act->id)->learnable && s->n_params == 1)
            slope_stats(&params[s->param_index[0]], r);
        al_status st = store(p, r, s, err);
        if (st == AL_OK && r->epoch_end) {
            s->last_epoch = *r;
            s->has_last_epoch = 1;
            if (r->has_channels)
                memcpy(s->last_channels, s->pending, s->channels * sizeof *s->pending);
            s->epoch_rows = 0;
            if (s->max_abs)
                memset(s->max_abs, 0, s->channels * sizeof(float));
        }
        if (st == AL_OK && p->log)
            st = al_probe_record_json(r, al_probe_channels(p, r), info.module, &lines, err);
        if (st != AL_OK) {
            al_buf_free(&lines);
            return st;
        }
    }
    if (!p->log || lines.len == 0)
        return AL_OK;
    /* the point's records go out in one write, or not at all */
    al_status st = al_file_append_whole(p->log, p->log_path, lines.data, lines.len, err);
    al_buf_free(&lines);
    return st;
}

const al_probe_record *al_probe_records(const al_probe *p, size_t *count)
{
    *count = p->n_records - p->first;
    return p->records ? p->records + p->first : NULL;
}

const al_probe_channel *al_probe_channels(const al_probe *p, const al_probe_record *r)
{
    if (!r->has_channels)
        return NULL;
    const layer_state *s = r->layer >= 0 && r->layer < p->n_layers ? &p->layers[r->layer] : NULL;
    if (s && r == &s->last_epoch)
        return s->last_channels; /* the copy outlives the records max_records drops */
    return p->channel_store + r->channel_first;
}

const al_probe_record *al_probe_last_epoch(const al_probe *p, int layer)
{
    if (layer < 0 || layer >= p->n_layers || !p->layers[layer].has_last_epoch)
        return NULL;
    return &p->layers[layer].last_epoch;
}

al_status al_probe_dead_mask(const al_probe *p, int layer, uint8_t *dead, size_t units, size_t *rows,
                             al_error *err)
{
    if (layer < 0 || layer >= p->n_layers || !p->layers[layer].activation)
        return al_error_set(err, AL_ERR_INVALID, "layer %d is not an activation layer of the probed net "
                            "(it has %d layers)", layer, p->n_layers);
    const layer_state *s = &p->layers[layer];
    if (units != s->channels || !s->max_abs)
        return al_error_set(err, AL_ERR_INVALID, "layer %d has %zu units (channels of an image), not %zu", layer,
                            s->channels, units);
    for (size_t u = 0; u < units; u++)
        dead[u] = s->epoch_rows > 0 && s->max_abs[u] == 0.0f;
    if (rows)
        *rows = s->epoch_rows;
    return AL_OK;
}
