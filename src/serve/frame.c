/* The JSON the page receives: the "init" event (config, layer sizes, the data
 * points, the activation and its derivative with the kinks marked), the
 * "frame" event at 10-30 Hz (losses, heatmaps as base64 bytes, weights, dead
 * units, the probes' f' histogram and kink hits), and the activation table. */
#include <math.h>
#include <string.h>

#include "serve_internal.h"

void sv_json_string(al_buf *out, const char *s)
{
    al_buf_append(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            al_buf_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            al_buf_printf(out, "\\u%04x", *p);
        else
            al_buf_append(out, (const char *)p, 1);
    }
    al_buf_append(out, "\"", 1);
}

void sv_json_number(al_buf *out, double x)
{
    if (isfinite(x))
        al_buf_printf(out, "%.6g", x);
    else
        al_buf_append(out, "null", 4);
}

void sv_json_key_string(al_buf *out, const char *key, const char *s)
{
    al_buf_printf(out, ",\"%s\":", key);
    sv_json_string(out, s);
}

void sv_json_key_number(al_buf *out, const char *key, double x)
{
    al_buf_printf(out, ",\"%s\":", key);
    sv_json_number(out, x);
}

static void base64(al_buf *out, const uint8_t *data, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    al_buf_append(out, "\"", 1);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n) v |= data[i + 2];
        char q[4] = {digits[(v >> 18) & 63], digits[(v >> 12) & 63],
                     i + 1 < n ? digits[(v >> 6) & 63] : '=', i + 2 < n ? digits[v & 63] : '='};
        al_buf_append(out, q, 4);
    }
    al_buf_append(out, "\"", 1);
}

/* A value in [-1, 1] as a signed byte (clamped; NaN as 0). */
static uint8_t quantise(double v)
{
    if (!(v == v))
        return 0;
    v = v < -1 ? -1 : v > 1 ? 1 : v;
    return (uint8_t)(int8_t)lrint(v * 127);
}

static void points(al_buf *out, const sv_model *r, size_t from, size_t n)
{
    al_buf_append(out, "[", 1);
    for (size_t i = 0; i < n; i++) {
        const al_synth_point *p = &r->points[from + i];
        al_buf_printf(out, "%s[%.4f,%.4f,%.4f]", i ? "," : "", p->x1, p->x2, p->label);
    }
    al_buf_append(out, "]", 1);
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
static void curve(al_buf *out, const sv_model *r)
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
    const char *names[3] = {"x", "f", "d"};
    const float *cols[3] = {x, y, d};
    al_buf_printf(out, "{\"act\":");
    sv_json_string(out, r->cfg.act_text);
    for (int c = 0; c < 3; c++) {
        al_buf_printf(out, ",\"%s\":[", names[c]);
        for (int i = 0; i < SV_CURVE_POINTS; i++) {
            if (i)
                al_buf_append(out, ",", 1);
            sv_json_number(out, cols[c][i]);
        }
        al_buf_append(out, "]", 1);
    }
    double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
    int nk = al_act_kinks(a, where, deriv);
    al_buf_printf(out, ",\"kinks\":[");
    for (int k = 0; k < nk; k++) {
        double fy, fd;
        al_act_eval_f64(a, where[k], w ? w[0] : deriv[k], &fy, &fd);
        al_buf_printf(out, "%s{\"x\":", k ? "," : "");
        sv_json_number(out, where[k]);
        sv_json_key_number(out, "y", fy);
        sv_json_key_number(out, "d", deriv[k]);
        al_buf_append(out, "}", 1);
    }
    const al_act_info *info = al_act_info_of(a->id);
    al_buf_printf(out, "],\"formula\":");
    sv_json_string(out, info->formula);
    sv_json_key_string(out, "derivative", info->derivative);
    sv_json_key_string(out, "kink_text", info->kink_text);
    al_buf_append(out, "}", 1);
}

void sv_frame_init(const sv_model *r, const char *id, const char *error, al_buf *out)
{
    al_buf_printf(out, "{\"id\":\"%s\",", id);
    sv_config_describe(&r->cfg, out);
    al_buf_printf(out, ",\"inputs\":%d,\"outputs\":%d,\"grid\":%d,\"unit_grid\":%d,\"domain\":%g,"
                  "\"n_train\":%zu,\"n_test\":%zu,\"per_epoch\":%ld,\"layers\":[",
                  sv_config_inputs(&r->cfg), sv_config_outputs(&r->cfg), SV_GRID, SV_UNIT_GRID, SV_DOMAIN,
                  r->n_train, r->n_test, r->per_epoch);
    for (int l = 0; l < r->n_layers_view; l++)
        al_buf_printf(out, "%s%d", l ? "," : "", r->layers[l].units);
    al_buf_append(out, "]", 1);
    if (r->points) {
        al_buf_printf(out, ",\"train\":");
        points(out, r, 0, r->n_train);
        al_buf_printf(out, ",\"test\":");
        points(out, r, r->n_train, r->n_test);
    }
    if (r->net) {
        al_buf_printf(out, ",\"curve\":");
        curve(out, r);
    }
    sv_json_key_string(out, "error", error);
    al_buf_append(out, "}", 1);
}

/* Forward pass over the grid; the output heatmap and every hidden unit's. */
static void heatmaps(sv_model *r, al_buf *out)
{
    const size_t g2 = (size_t)SV_GRID * SV_GRID, u2 = (size_t)SV_UNIT_GRID * SV_UNIT_GRID;
    const float *o = al_net_forward(r->net, r->grid_x, g2, 0, 0);
    uint8_t bytes[SV_GRID * SV_GRID];
    for (size_t g = 0; g < g2; g++)
        bytes[g] = quantise(r->cfg.regression ? o[g] : tanh(0.5 * ((double)o[2 * g + 1] - o[2 * g])));
    al_buf_printf(out, ",\"out\":");
    base64(out, bytes, g2);
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
    al_buf_printf(out, ",\"units\":");
    base64(out, units, at);
}

static void weights(const sv_model *r, al_buf *out)
{
    int np;
    const al_param_ref *p = al_net_params(r->net, &np);
    const char *kinds[2] = {"weights", "biases"};
    for (int want = 0; want < 2; want++) {
        al_buf_printf(out, ",\"%s\":[", kinds[want]);
        int first = 1;
        for (int l = 0; l < al_net_layer_count(r->net); l++) {
            al_layer_info li = al_net_layer(r->net, l);
            if (li.kind != AL_LAYER_LINEAR)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%d.%s", li.index, want ? "bias" : "weight");
            for (int k = 0; k < np; k++) {
                if (strcmp(p[k].name, name) != 0)
                    continue;
                al_buf_printf(out, "%s[", first ? "" : ",");
                first = 0;
                for (size_t i = 0; i < p[k].count; i++) {
                    if (i)
                        al_buf_append(out, ",", 1);
                    sv_json_number(out, p[k].value[i]);
                }
                al_buf_append(out, "]", 1);
            }
        }
        al_buf_append(out, "]", 1);
    }
}

static void probe_json(const sv_layer_view *v, al_buf *out)
{
    const al_probe_record *p = &v->last;
    al_buf_printf(out, ",\"probe\":{\"step\":%ld,\"epoch_dead\":", p->step);
    sv_json_number(out, p->dead);
    sv_json_key_number(out, "near_dead", p->near_dead);
    sv_json_key_number(out, "deriv_zero", p->deriv_zero);
    al_buf_printf(out, ",\"kinks\":%d,\"kink_hits\":%llu,\"kink_seen\":%llu,\"lo\":", p->kinks,
                  (unsigned long long)p->kink_hits, (unsigned long long)p->kink_seen);
    sv_json_number(out, p->bin_lo);
    sv_json_key_number(out, "hi", p->bin_hi);
    al_buf_printf(out, ",\"below\":%llu,\"above\":%llu,\"hist\":[", (unsigned long long)p->hist_below,
                  (unsigned long long)p->hist_above);
    for (int b = 0; b < p->bins && b < AL_PROBE_MAX_BINS; b++)
        al_buf_printf(out, "%s%llu", b ? "," : "", (unsigned long long)p->hist[b]);
    al_buf_printf(out, "]}");
}

void sv_frame_update(sv_model *r, int playing, const char *error, al_buf *out)
{
    al_buf_printf(out, "{\"step\":%ld,\"epoch\":%ld,\"playing\":%s,\"train_loss\":", r->step, r->epoch,
                  playing ? "true" : "false");
    sv_json_number(out, r->train_loss);
    sv_json_key_number(out, "test_loss", r->test_loss);
    sv_json_key_number(out, "train_acc", r->train_acc);
    sv_json_key_number(out, "test_acc", r->test_acc);
    sv_json_key_string(out, "error", error);
    if (!r->net) {
        al_buf_append(out, "}", 1);
        return;
    }
    al_buf_printf(out, ",\"layers\":[");
    for (int l = 0; l < r->n_layers_view; l++) {
        const sv_layer_view *v = &r->layers[l];
        int dead = 0;
        al_buf_printf(out, "%s{\"units\":%d,\"dead\":[", l ? "," : "", v->units);
        for (int u = 0; u < v->units; u++) {
            al_buf_printf(out, "%s%d", u ? "," : "", v->dead[u]);
            dead += v->dead[u];
        }
        al_buf_printf(out, "],\"dead_fraction\":");
        sv_json_number(out, (double)dead / v->units);
        al_buf_printf(out, ",\"kink_hits_total\":%llu", (unsigned long long)v->kink_hits_total);
        if (v->have_record)
            probe_json(v, out);
        al_buf_append(out, "}", 1);
    }
    al_buf_append(out, "]", 1);
    if (!r->cfg.fashion) {
        weights(r, out);
        heatmaps(r, out);
    }
    al_buf_append(out, "}", 1);
}

static const char *type_name(al_param_type t)
{
    return t == AL_PARAM_FLOAT ? "float" : t == AL_PARAM_INT ? "int" : t == AL_PARAM_BOOL ? "bool" : "choice";
}

void sv_frame_activations(al_buf *out)
{
    al_buf_append(out, "[", 1);
    for (int id = 0; id < AL_ACT_COUNT; id++) {
        const al_act_info *a = al_act_info_of((al_act_id)id);
        al_buf_printf(out, "%s{\"name\":", id ? "," : "");
        sv_json_string(out, a->name);
        sv_json_key_string(out, "formula", a->formula);
        sv_json_key_string(out, "derivative", a->derivative);
        sv_json_key_string(out, "kink_text", a->kink_text);
        al_buf_printf(out, ",\"has_kink\":%s,\"learnable\":%s,\"stochastic\":%s,\"params\":[",
                      a->has_kink ? "true" : "false", a->learnable ? "true" : "false",
                      a->stochastic ? "true" : "false");
        for (int k = 0; k < a->n_params; k++) {
            const al_param_info *p = &a->params[k];
            al_buf_printf(out, "%s{\"name\":", k ? "," : "");
            sv_json_string(out, p->name);
            al_buf_printf(out, ",\"type\":\"%s\",\"required\":%s,\"default\":", type_name(p->type),
                          p->required ? "true" : "false");
            sv_json_number(out, p->default_value);
            sv_json_key_number(out, "min", p->min);
            sv_json_key_number(out, "max", p->max);
            sv_json_key_string(out, "default_text", p->default_text ? p->default_text : "");
            al_buf_printf(out, ",\"choices\":[");
            for (int c = 0; p->choices && p->choices[c]; c++) {
                if (c)
                    al_buf_append(out, ",", 1);
                sv_json_string(out, p->choices[c]);
            }
            al_buf_printf(out, "]}");
        }
        al_buf_printf(out, "]}");
    }
    al_buf_append(out, "]", 1);
}
