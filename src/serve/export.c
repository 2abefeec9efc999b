/* What a run can be saved as: its weights (safetensors, PyTorch's names),
 * its log (JSON Lines, one record per epoch end, thinned to at most
 * SV_LOG_CAP records), its data (CSV that `actlab train --train` reads) and
 * the `actlab train` command that trains the same net. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/safetensors.h"
#include "serve_internal.h"

void sv_log_free(sv_log *log)
{
    al_buf_free(&log->lines);
    log->count = 0;
}

/* Keeps every second record (the 2nd, 4th, ...) so the kept ones stay
 * evenly spaced at twice the stride. */
static void thin(sv_log *log)
{
    char *lines = log->lines.data;
    size_t in = 0, out = 0, k = 0, len = log->lines.len;
    while (in < len) {
        char *nl = memchr(lines + in, '\n', len - in);
        size_t n = (size_t)(nl - (lines + in)) + 1;
        if (k++ % 2 == 1) {
            memmove(lines + out, lines + in, n);
            out += n;
        }
        in += n;
    }
    log->lines.len = out;
    lines[out] = '\0';
    log->count /= 2;
    log->stride *= 2;
}

void sv_log_record(sv_model *r)
{
    sv_log *log = &r->log;
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "step", r->step);
    al_json_add_int(&rec, NULL, "epoch", r->epoch);
    al_json_add_real(&rec, NULL, "train_loss", r->train_loss);
    al_json_add_real(&rec, NULL, "test_loss", r->test_loss);
    if (!r->cfg.regression) {
        al_json_add_real(&rec, NULL, "train_accuracy", r->train_acc);
        al_json_add_real(&rec, NULL, "test_accuracy", r->test_acc);
    }
    json_t *layers = al_json_add_array(&rec, NULL, "layers");
    for (int l = 0; l < r->n_layers_view; l++) {
        const sv_layer_view *v = &r->layers[l];
        const al_probe_record *p = sv_model_probe(r, l);
        json_t *layer = al_json_add_object(&rec, layers, NULL);
        al_json_add_int(&rec, layer, "module", v->act_index);
        al_json_add_int(&rec, layer, "units", v->units);
        al_json_add_int(&rec, layer, "dead", sv_dead_count(v));
        al_json_add_int(&rec, layer, "kink_hits_total", p ? (long long)p->kink_hits_total : 0);
    }
    if (al_json_end(&rec, &log->lines, NULL) != AL_OK) {
        /* out of memory: the record is left out (the lines stay whole) and a later one may fit */
        log->lines.failed = 0;
        return;
    }
    if (++log->count >= SV_LOG_CAP)
        thin(log);
}

al_status sv_export_log(const sv_model *r, const char *id, al_buf *out)
{
    al_json rec;
    al_json_begin(&rec);
    al_json_add_string(&rec, NULL, "run", id);
    sv_config_describe(&r->cfg, &rec);
    al_json_add_int(&rec, NULL, "log_every_epochs", r->log.stride);
    al_status st = al_json_end(&rec, out, NULL);
    if (st == AL_OK && r->log.lines.len)
        al_buf_append(out, r->log.lines.data, r->log.lines.len);
    return st == AL_OK && out->failed ? AL_ERR_NOMEM : st;
}

al_status sv_export_weights(sv_model *r, char **bytes, size_t *size, al_error *err)
{
    *bytes = NULL;
    *size = 0;
    if (!r->net)
        return al_error_set(err, AL_ERR_INVALID, "the run has no model");
    al_tensors t = {0};
    al_buf spec = {0};
    sv_config_spec(&r->cfg, &spec);
    char step[32];
    snprintf(step, sizeof step, "%ld", r->step);
    al_status st = al_net_state_dict(r->net, &t, 0, err);
    if (st == AL_OK)
        st = al_tensors_set_meta(&t, "model", spec.failed ? "" : spec.data, err);
    if (st == AL_OK)
        st = al_tensors_set_meta(&t, "step", step, err);
    if (st == AL_OK)
        st = al_safetensors_encode(&t, bytes, size, err);
    al_tensors_free(&t);
    al_buf_free(&spec);
    return st;
}

void sv_export_csv(const sv_model *r, int test, al_buf *out)
{
    const al_dataset *ds = test ? r->test : r->train;
    if (!ds || !r->points)
        return;
    for (int k = 0; k < r->cfg.n_features; k++)
        al_buf_printf(out, "%s,", al_synth_feature_name(r->cfg.features[k]));
    al_buf_printf(out, "%s\n", r->cfg.regression ? "target" : "label");
    size_t n = al_dataset_count(ds), f = al_dataset_features(ds);
    const float *x = al_dataset_x(ds);
    const int32_t *y = al_dataset_y(ds);
    for (size_t i = 0; i < n && !out->failed; i++) {
        for (size_t k = 0; k < f; k++)
            al_buf_printf(out, "%.9g,", (double)x[i * f + k]);
        if (r->cfg.regression)
            al_buf_printf(out, "%.9g\n", r->points[(test ? r->n_train : 0) + i].label);
        else
            al_buf_printf(out, "%d\n", (int)y[i]);
    }
}

void sv_export_command(const sv_model *r, al_buf *out)
{
    sv_config_command(&r->cfg, r->step, out);
}
