/* The JSON the page receives, built through actlab/jsonl.h: the "init" event
 * (config, layer sizes, the data points, the activation and its derivative
 * with the kinks marked), the "frame" event at 10-30 Hz (losses, heatmaps as
 * base64 bytes, weights, dead units, the probes' f' histogram and kink hits),
 * and the activation table. All are compact records: events with
 * SV_JSON_DIGITS (the frames' numbers are only drawn: SV_FRAME_DIGITS). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

/* data as a base64 string under key */
static void add_base64(al_json *rec, json_t *in, const char *key, const uint8_t *data, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *text = malloc(4 * ((n + 2) / 3) + 1);
    if (!text) {
        rec->failed = 1;
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n) v |= data[i + 2];
        text[o++] = digits[(v >> 18) & 63];
        text[o++] = digits[(v >> 12) & 63];
        text[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        text[o++] = i + 2 < n ? digits[v & 63] : '=';
    }
    text[o] = '\0';
    al_json_add_string(rec, in, key, text);
    free(text);
}

/* A value in [-1, 1] as a signed byte (clamped; NaN as 0). */
static uint8_t quantise(double v)
{
    if (!(v == v))
        return 0;
    v = v < -1 ? -1 : v > 1 ? 1 : v;
    return (uint8_t)(int8_t)lrint(v * 127);
}

/* [x1, x2, label] of n points, to 4 decimals (enough to draw; keeps the
 * event short) */
static void add_points(al_json *rec, const char *key, const sv_model *r, size_t from, size_t n)
{
    json_t *list = al_json_add_array(rec, NULL, key);
    for (size_t i = 0; i < n && list; i++) {
        const al_synth_point *p = &r->points[from + i];
        const double xyz[3] = {p->x1, p->x2, p->label};
        json_t *point = al_json_add_array(rec, list, NULL);
        for (int k = 0; k < 3; k++)
            al_json_add_real(rec, point, NULL, round(xyz[k] * 1e4) / 1e4);
    }
}

static void add_floats(al_json *rec, json_t *in, const char *key, const float *v, size_t n)
{
    json_t *list = al_json_add_array(rec, in, key);
    for (size_t i = 0; i < n && list; i++)
        al_json_add_real(rec, list, NULL, v[i]);
}

/* The learned weight of activation layer `layer` (PReLU's slopes), or NULL. */
static const float *act_weight(const al_net *net, int layer)
{
    char name[32];
    snprintf(name, sizeof name, "%d.weight", layer);
    int np;
    const al_param_ref *p = al_net_params(net, &np);
    for (int i = 0; i < np; i++)
        if (strcmp(p[i].name, name) == 0)
            return p[i].value;
    return NULL;
}

/* f and f' of the run's activation on [-4, 4] through the float32 passes,
 * with the slopes the first hidden layer holds now, and the kinks. */
static void add_curve(al_json *rec, const sv_model *r)
{
    float x[SV_CURVE_POINTS], y[SV_CURVE_POINTS], ones[SV_CURVE_POINTS], d[SV_CURVE_POINTS];
    for (int i = 0; i < SV_CURVE_POINTS; i++) {
        x[i] = (float)(i - SV_CURVE_POINTS / 2) / 20.0f;
        ones[i] = 1.0f;
    }
    const al_act *a = &r->cfg.act;
    const float *w = r->n_layers_view ? act_weight(r->net, r->layers[0].act_index) : NULL;
    al_act_run run = al_act_run_default();
    run.threads = 1;
    al_act_forward_f32(a, &run, SV_CURVE_POINTS, x, y, w);
    al_act_backward_f32(a, &run, SV_CURVE_POINTS, x, y, ones, d, w, NULL);
    json_t *curve = al_json_add_object(rec, NULL, "curve");
    al_json_add_string(rec, curve, "act", r->cfg.act_text);
    add_floats(rec, curve, "x", x, SV_CURVE_POINTS);
    add_floats(rec, curve, "f", y, SV_CURVE_POINTS);
    add_floats(rec, curve, "d", d, SV_CURVE_POINTS);
    double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
    int nk = al_act_kinks(a, where, deriv);
    json_t *kinks = al_json_add_array(rec, curve, "kinks");
    for (int k = 0; k < nk; k++) {
        double fy, fd;
        al_act_eval_f64(a, where[k], w ? w[0] : deriv[k], &fy, &fd);
        json_t *kink = al_json_add_object(rec, kinks, NULL);
        al_json_add_real(rec, kink, "x", where[k]);
        al_json_add_real(rec, kink, "y", fy);
        al_json_add_real(rec, kink, "d", deriv[k]);
    }
    const al_act_info *info = al_act_info_of(a->id);
    al_json_add_string(rec, curve, "formula", info->formula);
    al_json_add_string(rec, curve, "derivative", info->derivative);
    al_json_add_string(rec, curve, "kink_text", info->kink_text);
}

void sv_frame_init(const sv_model *r, const char *id, const char *error, al_json *rec)
{
    al_json_set_compact(rec, SV_JSON_DIGITS);
    al_json_add_string(rec, NULL, "id", id);
    sv_config_describe(&r->cfg, rec);
    al_json_add_int(rec, NULL, "inputs", sv_config_inputs(&r->cfg));
    al_json_add_int(rec, NULL, "outputs", sv_config_outputs(&r->cfg));
    al_json_add_int(rec, NULL, "grid", SV_GRID);
    al_json_add_int(rec, NULL, "unit_grid", SV_UNIT_GRID);
    al_json_add_real(rec, NULL, "domain", SV_DOMAIN);
    al_json_add_int(rec, NULL, "n_train", (long long)r->n_train);
    al_json_add_int(rec, NULL, "n_test", (long long)r->n_test);
    al_json_add_int(rec, NULL, "per_epoch", r->per_epoch);
    json_t *layers = al_json_add_array(rec, NULL, "layers");
    for (int l = 0; l < r->n_layers_view; l++)
        al_json_add_int(rec, layers, NULL, r->layers[l].units);
    if (r->points) {
        add_points(rec, "train", r, 0, r->n_train);
        add_points(rec, "test", r, r->n_train, r->n_test);
    }
    if (r->net)
        add_curve(rec, r);
    al_json_add_string(rec, NULL, "error", error);
}

/* Forward pass over the grid; the output heatmap and every hidden unit's. */
static void add_heatmaps(sv_model *r, al_json *rec)
{
    const size_t g2 = (size_t)SV_GRID * SV_GRID, u2 = (size_t)SV_UNIT_GRID * SV_UNIT_GRID;
    const float *o = al_net_forward(r->net, r->grid_x, g2, 0, 0);
    uint8_t bytes[SV_GRID * SV_GRID];
    for (size_t g = 0; g < g2; g++)
        bytes[g] = quantise(r->cfg.regression ? o[g] : tanh(0.5 * ((double)o[2 * g + 1] - o[2 * g])));
    add_base64(rec, NULL, "out", bytes, g2);
    size_t total = 0;
    for (int l = 0; l < r->n_layers_view; l++)
        total += (size_t)r->layers[l].units * u2;
    uint8_t units[SV_MAX_HIDDEN * SV_MAX_UNITS * SV_UNIT_GRID * SV_UNIT_GRID];
    if (total > sizeof units)
        return;
    size_t at = 0;
    for (int l = 0; l < r->n_layers_view; l++) {
        size_t n = (size_t)r->layers[l].units;
        const float *y = al_net_layer_output(r->net, r->layers[l].act_index);
        for (size_t u = 0; u < n; u++)
            for (size_t i = 0; i < SV_UNIT_GRID; i++)
                for (size_t j = 0; j < SV_UNIT_GRID; j++) {
                    size_t g = (2 * i) * SV_GRID + 2 * j;
                    units[at++] = quantise(y ? y[g * n + u] : 0);
                }
    }
    add_base64(rec, NULL, "units", units, at);
}

/* "weights" and "biases": one list per Linear layer. */
static void add_weights(const sv_model *r, al_json *rec)
{
    int np;
    const al_param_ref *p = al_net_params(r->net, &np);
    const char *kinds[2] = {"weights", "biases"};
    for (int want = 0; want < 2; want++) {
        json_t *lists = al_json_add_array(rec, NULL, kinds[want]);
        for (int l = 0; l < al_net_layer_count(r->net); l++) {
            al_layer_info li = al_net_layer(r->net, l);
            if (li.kind != AL_LAYER_LINEAR)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%d.%s", li.index, want ? "bias" : "weight");
            for (int k = 0; k < np; k++)
                if (strcmp(p[k].name, name) == 0)
                    add_floats(rec, lists, NULL, p[k].value, p[k].count);
        }
    }
}

static void add_probe(al_json *rec, json_t *layer, const al_probe_record *p)
{
    json_t *o = al_json_add_object(rec, layer, "probe");
    al_json_add_int(rec, o, "step", p->step);
    al_json_add_real(rec, o, "epoch_dead", p->dead);
    al_json_add_real(rec, o, "near_dead", p->near_dead);
    al_json_add_real(rec, o, "deriv_zero", p->deriv_zero);
    al_json_add_int(rec, o, "kinks", p->kinks);
    al_json_add_int(rec, o, "kink_hits", (long long)p->kink_hits);
    al_json_add_int(rec, o, "kink_seen", (long long)p->kink_seen);
    al_json_add_real(rec, o, "lo", p->bin_lo);
    al_json_add_real(rec, o, "hi", p->bin_hi);
    al_json_add_int(rec, o, "below", (long long)p->hist_below);
    al_json_add_int(rec, o, "above", (long long)p->hist_above);
    json_t *hist = al_json_add_array(rec, o, "hist");
    for (int b = 0; b < p->bins && b < AL_PROBE_MAX_BINS; b++)
        al_json_add_int(rec, hist, NULL, (long long)p->hist[b]);
}

void sv_frame_update(sv_model *r, int playing, const char *error, al_json *rec)
{
    al_json_set_compact(rec, SV_FRAME_DIGITS);
    al_json_add_int(rec, NULL, "step", r->step);
    al_json_add_int(rec, NULL, "epoch", r->epoch);
    al_json_add_bool(rec, NULL, "playing", playing);
    al_json_add_real(rec, NULL, "train_loss", r->train_loss);
    al_json_add_real(rec, NULL, "test_loss", r->test_loss);
    al_json_add_real(rec, NULL, "train_acc", r->train_acc);
    al_json_add_real(rec, NULL, "test_acc", r->test_acc);
    al_json_add_string(rec, NULL, "error", error);
    if (!r->net)
        return;
    json_t *layers = al_json_add_array(rec, NULL, "layers");
    for (int l = 0; l < r->n_layers_view; l++) {
        const sv_layer_view *v = &r->layers[l];
        const al_probe_record *p = sv_model_probe(r, l);
        json_t *layer = al_json_add_object(rec, layers, NULL);
        al_json_add_int(rec, layer, "units", v->units);
        json_t *dead = al_json_add_array(rec, layer, "dead");
        for (int u = 0; u < v->units; u++)
            al_json_add_int(rec, dead, NULL, v->dead[u]);
        al_json_add_real(rec, layer, "dead_fraction", (double)sv_dead_count(v) / v->units);
        al_json_add_int(rec, layer, "kink_hits_total", p ? (long long)p->kink_hits_total : 0);
        if (p)
            add_probe(rec, layer, p);
    }
    if (!r->cfg.fashion) {
        add_weights(r, rec);
        add_heatmaps(r, rec);
    }
}

static const char *type_name(al_param_type t)
{
    return t == AL_PARAM_FLOAT ? "float" : t == AL_PARAM_INT ? "int" : t == AL_PARAM_BOOL ? "bool" : "choice";
}

void sv_frame_activations(al_json *rec)
{
    al_json_set_compact(rec, 17); /* the table's values exactly: RReLU's upper bound is 1/3 */
    for (int id = 0; id < AL_ACT_COUNT; id++) {
        const al_act_info *a = al_act_info_of((al_act_id)id);
        json_t *o = al_json_add_object(rec, NULL, NULL);
        al_json_add_string(rec, o, "name", a->name);
        al_json_add_string(rec, o, "formula", a->formula);
        al_json_add_string(rec, o, "derivative", a->derivative);
        al_json_add_string(rec, o, "kink_text", a->kink_text);
        al_json_add_bool(rec, o, "has_kink", a->has_kink);
        al_json_add_bool(rec, o, "learnable", a->learnable);
        al_json_add_bool(rec, o, "stochastic", a->stochastic);
        json_t *params = al_json_add_array(rec, o, "params");
        for (int k = 0; k < a->n_params; k++) {
            const al_param_info *p = &a->params[k];
            json_t *po = al_json_add_object(rec, params, NULL);
            al_json_add_string(rec, po, "name", p->name);
            al_json_add_string(rec, po, "type", type_name(p->type));
            al_json_add_bool(rec, po, "required", p->required);
            al_json_add_real(rec, po, "default", p->default_value);
            al_json_add_real(rec, po, "min", p->min);
            al_json_add_real(rec, po, "max", p->max);
            al_json_add_string(rec, po, "default_text", p->default_text);
            json_t *choices = al_json_add_array(rec, po, "choices");
            for (int c = 0; p->choices && p->choices[c]; c++)
                al_json_add_string(rec, choices, NULL, p->choices[c]);
        }
    }
}
