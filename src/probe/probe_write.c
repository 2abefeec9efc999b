/* Probe records as JSON Lines, and the per-layer summary table. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "actlab/probe.h"

/* A number, or null when it is not finite (JSON has no NaN). */
static void num(FILE *out, const char *key, double v)
{
    if (isfinite(v))
        fprintf(out, ", \"%s\": %.9g", key, v);
    else
        fprintf(out, ", \"%s\": null", key);
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void al_probe_record_write_json(const al_probe_record *r, const char *module, FILE *out)
{
    fprintf(out, "{\"step\": %ld, \"epoch\": %ld, \"epoch_end\": %s, \"layer\": %d, \"module\": ", r->step,
            r->epoch, r->epoch_end ? "true" : "false", r->layer);
    json_string(out, module);
    fprintf(out, ", \"kind\": \"%s\", \"units\": %zu, \"rows\": %zu", al_layer_kind_name(r->kind), r->units, r->rows);
    num(out, "in_mean", r->in_mean);
    num(out, "in_std", r->in_std);
    num(out, "out_mean", r->out_mean);
    num(out, "out_std", r->out_std);
    num(out, "sparsity", r->sparsity);
    num(out, "grad_out_norm", r->grad_out_norm);
    if (r->kind == AL_LAYER_ACTIVATION) {
        num(out, "dead", r->dead);
        num(out, "near_dead", r->near_dead);
        num(out, "deriv_zero", r->deriv_zero);
        num(out, "deriv_one", r->deriv_one);
        num(out, "deriv_mean", r->deriv_mean);
        num(out, "saturation", r->saturation);
        fprintf(out, ", \"kinks\": %d", r->kinks);
        if (r->kinks > 0)
            fprintf(out, ", \"kink_hits\": %llu, \"kink_seen\": %llu, \"kink_hits_total\": %llu",
                    (unsigned long long)r->kink_hits, (unsigned long long)r->kink_seen,
                    (unsigned long long)r->kink_hits_total);
        fprintf(out, ", \"deriv_hist\": {\"lo\": %.9g, \"hi\": %.9g, \"counts\": [", r->bin_lo, r->bin_hi);
        for (int b = 0; b < r->bins; b++)
            fprintf(out, "%s%llu", b ? ", " : "", (unsigned long long)r->hist[b]);
        fprintf(out, "], \"below\": %llu, \"above\": %llu, \"nan\": %llu}", (unsigned long long)r->hist_below,
                (unsigned long long)r->hist_above, (unsigned long long)r->hist_nan);
    }
    if (r->n_params > 0) {
        fprintf(out, ", \"params\": [");
        for (int j = 0; j < r->n_params; j++) {
            fprintf(out, "%s{\"name\": ", j ? ", " : "");
            json_string(out, r->params[j].name);
            num(out, "grad_norm", r->params[j].grad_norm);
            num(out, "weight_norm", r->params[j].weight_norm);
            num(out, "update_ratio", r->params[j].update_ratio);
            fputc('}', out);
        }
        fputc(']', out);
    }
    if (r->slope_count > 0) {
        fprintf(out, ", \"slopes\": {\"count\": %zu", r->slope_count);
        num(out, "min", r->slope_min);
        num(out, "mean", r->slope_mean);
        num(out, "max", r->slope_max);
        if (r->slope_count <= AL_PROBE_MAX_SLOPES) {
            fprintf(out, ", \"values\": [");
            for (size_t k = 0; k < r->slope_count; k++)
                fprintf(out, "%s%.9g", k ? ", " : "", (double)r->slopes[k]);
            fputc(']', out);
        }
        fputc('}', out);
    }
    fputc('}', out);
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
