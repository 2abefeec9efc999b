/* Probe records as JSON Lines (through actlab/jsonl.h), and the per-layer
 * summary table. */
#include "actlab/probe.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "actlab/jsonl.h"

/* The record's numbers under their field names, in the order written. */
typedef struct field {
    const char *key;
    size_t offset;
} field;
#define FIELD(name) {#name, offsetof(al_probe_record, name)}
static const field EVERY_LAYER[] = {FIELD(in_mean),  FIELD(in_std),   FIELD(out_mean),
                                    FIELD(out_std),  FIELD(sparsity), FIELD(grad_out_norm)};
static const field ACTIVATION[] = {FIELD(dead),      FIELD(near_dead),  FIELD(deriv_zero),
                                   FIELD(deriv_one), FIELD(deriv_mean), FIELD(saturation)};

static void add_reals(al_json *rec, const al_probe_record *r, const field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        memcpy(&v, (const char *)r + fields[i].offset, sizeof v);
        al_json_add_real(rec, NULL, fields[i].key, v);
    }
}

al_status al_probe_record_json(const al_probe_record *r, const char *module, al_buf *out, al_error *err)
{
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "step", r->step);
    al_json_add_int(&rec, NULL, "epoch", r->epoch);
    al_json_add_bool(&rec, NULL, "epoch_end", r->epoch_end);
    al_json_add_int(&rec, NULL, "layer", r->layer);
    al_json_add_string(&rec, NULL, "module", module);
    al_json_add_string(&rec, NULL, "kind", al_layer_kind_name(r->kind));
    al_json_add_int(&rec, NULL, "units", (long long)r->units);
    al_json_add_int(&rec, NULL, "rows", (long long)r->rows);
    add_reals(&rec, r, EVERY_LAYER, sizeof EVERY_LAYER / sizeof EVERY_LAYER[0]);
    if (r->kind == AL_LAYER_ACTIVATION) {
        add_reals(&rec, r, ACTIVATION, sizeof ACTIVATION / sizeof ACTIVATION[0]);
        al_json_add_int(&rec, NULL, "kinks", r->kinks);
        if (r->kinks > 0) {
            al_json_add_int(&rec, NULL, "kink_hits", (long long)r->kink_hits);
            al_json_add_int(&rec, NULL, "kink_seen", (long long)r->kink_seen);
            al_json_add_int(&rec, NULL, "kink_hits_total", (long long)r->kink_hits_total);
        }
        struct json_t *hist = al_json_add_object(&rec, NULL, "deriv_hist");
        al_json_add_real(&rec, hist, "lo", r->bin_lo);
        al_json_add_real(&rec, hist, "hi", r->bin_hi);
        struct json_t *counts = al_json_add_array(&rec, hist, "counts");
        for (int b = 0; b < r->bins; b++)
            al_json_add_int(&rec, counts, NULL, (long long)r->hist[b]);
        al_json_add_int(&rec, hist, "below", (long long)r->hist_below);
        al_json_add_int(&rec, hist, "above", (long long)r->hist_above);
        al_json_add_int(&rec, hist, "nan", (long long)r->hist_nan);
    }
    if (r->n_params > 0) {
        struct json_t *params = al_json_add_array(&rec, NULL, "params");
        for (int j = 0; j < r->n_params; j++) {
            struct json_t *one = al_json_add_object(&rec, params, NULL);
            al_json_add_string(&rec, one, "name", r->params[j].name);
            al_json_add_real(&rec, one, "grad_norm", r->params[j].grad_norm);
            al_json_add_real(&rec, one, "weight_norm", r->params[j].weight_norm);
            al_json_add_real(&rec, one, "update_ratio", r->params[j].update_ratio);
        }
    }
    if (r->slope_count > 0) {
        struct json_t *slopes = al_json_add_object(&rec, NULL, "slopes");
        al_json_add_int(&rec, slopes, "count", (long long)r->slope_count);
        al_json_add_real(&rec, slopes, "min", r->slope_min);
        al_json_add_real(&rec, slopes, "mean", r->slope_mean);
        al_json_add_real(&rec, slopes, "max", r->slope_max);
        if (r->slope_count <= AL_PROBE_MAX_SLOPES) {
            struct json_t *values = al_json_add_array(&rec, slopes, "values");
            for (size_t k = 0; k < r->slope_count; k++)
                al_json_add_real(&rec, values, NULL, (double)r->slopes[k]);
        }
    }
    return al_json_end(&rec, out, err);
}

/* A percentage or "-" in a fixed width. */
static void pct(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, " %7.2f%%", 100 * v);
    else
        fprintf(out, " %8s", "-");
}

static void val(FILE *out, double v, int width)
{
    if (isfinite(v))
        fprintf(out, " %*.3g", width, v);
    else
        fprintf(out, " %*s", width, "-");
}

void al_probe_print_summary(const al_probe *p, const al_net *net, FILE *out)
{
    const al_probe_record *first = NULL;
    for (int i = 0; i < al_net_layer_count(net) && !first; i++)
        first = al_probe_last_epoch(p, i);
    if (!first) {
        fprintf(out, "probes: no epoch has ended yet, so there is no summary\n");
        return;
    }
    fprintf(out, "probes at the end of epoch %ld (step %ld); dead and near-dead over the whole epoch, the rest "
            "on its last batch:\n", first->epoch, first->step);
    fprintf(out, "%-3s %-24s %8s %8s %8s %9s %9s %8s %8s %8s %10s %9s %9s\n", "#", "module", "dead",
            "near-dead", "sparsity", "out mean", "out std", "f'=0", "f'=1", "saturated", "kink hits",
            "|dL/dy|", "update/w");
    for (int i = 0; i < al_net_layer_count(net); i++) {
        const al_probe_record *r = al_probe_last_epoch(p, i);
        if (!r)
            continue;
        char module[25];
        snprintf(module, sizeof module, "%s", al_net_layer(net, i).module);
        fprintf(out, "%-3d %-24s", i, module);
        pct(out, r->dead);
        pct(out, r->near_dead);
        pct(out, r->sparsity);
        val(out, r->out_mean, 9);
        val(out, r->out_std, 9);
        pct(out, r->deriv_zero);
        pct(out, r->deriv_one);
        pct(out, r->saturation);
        if (r->kind == AL_LAYER_ACTIVATION && r->kinks > 0)
            fprintf(out, " %10llu", (unsigned long long)r->kink_hits_total);
        else
            fprintf(out, " %10s", "-");
        val(out, r->grad_out_norm, 9);
        val(out, r->n_params > 0 ? r->params[0].update_ratio : NAN, 9);
        fputc('\n', out);
    }
}
