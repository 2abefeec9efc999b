/* What a run can be saved as: its weights (safetensors, PyTorch's names),
 * its log (JSON Lines, one record per epoch end, thinned to at most
 * SV_LOG_CAP records), its data (CSV that `actlab train --train` reads) and
 * the `actlab train` command that trains the same net. */
#include <stdlib.h>
#include <string.h>

#include "actlab/safetensors.h"
#include "serve_internal.h"

void sv_log_free(sv_log *log)
{
    free(log->lines);
    log->lines = NULL;
    log->len = log->cap = log->count = 0;
}

/* Keeps every second record (the 2nd, 4th, ...) so the kept ones stay
 * evenly spaced at twice the stride. */
static void thin(sv_log *log)
{
    size_t in = 0, out = 0, k = 0;
    while (in < log->len) {
        char *nl = memchr(log->lines + in, '\n', log->len - in);
        size_t n = (size_t)(nl - (log->lines + in)) + 1;
        if (k++ % 2 == 1) {
            memmove(log->lines + out, log->lines + in, n);
            out += n;
        }
        in += n;
    }
    log->len = out;
    log->count /= 2;
    log->stride *= 2;
}

void sv_log_record(sv_model *r)
{
    sv_log *log = &r->log;
    al_buf b = {0};
    al_buf_printf(&b, "{\"step\":%ld,\"epoch\":%ld,\"train_loss\":", r->step, r->epoch);
    sv_json_number(&b, r->train_loss);
    al_buf_printf(&b, ",\"test_loss\":");
    sv_json_number(&b, r->test_loss);
    if (!r->cfg.regression) {
        al_buf_printf(&b, ",\"train_accuracy\":");
        sv_json_number(&b, r->train_acc);
        al_buf_printf(&b, ",\"test_accuracy\":");
        sv_json_number(&b, r->test_acc);
    }
    al_buf_printf(&b, ",\"layers\":[");
    for (int l = 0; l < r->n_layers_view; l++) {
        const sv_layer_view *v = &r->layers[l];
        int dead = 0;
        for (int u = 0; u < v->units; u++)
            dead += v->dead[u];
        al_buf_printf(&b, "%s{\"module\":%d,\"units\":%d,\"dead\":%d,\"kink_hits_total\":%llu}", l ? "," : "",
                      v->act_index, v->units, dead, (unsigned long long)v->kink_hits_total);
    }
    al_buf_printf(&b, "]}\n");
    if (!b.failed) {
        if (log->len + b.len > log->cap) {
            size_t cap = log->cap ? 2 * log->cap : 4096;
            while (cap < log->len + b.len)
                cap *= 2;
            char *grown = realloc(log->lines, cap);
            if (grown) {
                log->lines = grown;
                log->cap = cap;
            }
        }
        if (log->len + b.len <= log->cap) {
            memcpy(log->lines + log->len, b.data, b.len);
            log->len += b.len;
            if (++log->count >= SV_LOG_CAP)
                thin(log);
        }
    }
    al_buf_free(&b);
}

void sv_export_log(const sv_model *r, const char *id, al_buf *out)
{
    al_buf_printf(out, "{\"run\":\"%s\",", id);
    sv_config_describe(&r->cfg, out);
    al_buf_printf(out, ",\"log_every_epochs\":%ld}\n", r->log.stride);
    if (r->log.len)
        al_buf_append(out, r->log.lines, r->log.len);
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
