/* Charts of a comparison that the CLI's report and the studies share. */
#include <math.h>
#include <stdlib.h>

#include "actlab/svg.h"
#include "study/compare_internal.h"

al_status al_compare_tune_chart(const al_compare *c, const char *title, al_chart **out, al_error *err)
{
    *out = NULL;
    size_t L = c->o.n_tune_lrs;
    if (L == 0 || !c->tune_scores)
        return AL_OK;
    al_status st = al_chart_create(title ? title : "Learning-rate tuning (validation split)", "log10 learning rate",
                                   "validation accuracy", 560, 300 + 18 * (double)c->n_arms, out, err);
    double *xs = malloc(L * sizeof *xs), *ys = malloc(L * sizeof *ys);
    if (st == AL_OK && (!xs || !ys))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory for the tuning chart");
    for (size_t arm = 0; st == AL_OK && arm < c->n_arms; arm++) {
        if (isnan(c->tune_scores[arm * L])) /* not tuned: the baseline's rate is shared */
            continue;
        for (size_t l = 0; l < L; l++) {
            xs[l] = log10(c->tune_lrs[l]);
            ys[l] = c->tune_scores[arm * L + l];
        }
        const char *color = al_chart_palette(arm);
        st = al_chart_add_series(*out, c->arms[arm].name, L, xs, ys, color, err);
        for (size_t l = 0; st == AL_OK && l < L; l++)
            if (c->tune_lrs[l] == c->arms[arm].lr)
                st = al_chart_add_marker(*out, xs[l], ys[l], 1, NULL, color, err);
    }
    free(xs);
    free(ys);
    if (st != AL_OK) {
        al_chart_free(*out);
        *out = NULL;
    }
    return st;
}
