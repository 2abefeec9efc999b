/* Per-arm summaries of a finished comparison: final accuracy with its
 * interval, best epoch, time to target, dead fraction, gradient ratio, and
 * each arm against the baseline paired by seed (al_stats_family: sign-flip
 * p, Holm, adjusted intervals, minimum detectable effect). Diverged and
 * failed seeds are counted: they score 0 in the tests and never reach the
 * target, so an arm cannot look better by losing its bad seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/compare_internal.h"

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    for (size_t i = 1; i < n; i++) /* insertion sort: n is a seed count */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Final test accuracies of an arm's finished seeds. */
static size_t final_accs(const al_compare *c, size_t arm, double *out)
{
    size_t n = 0;
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (r->done)
            out[n++] = r->test_acc[r->epochs - 1];
    }
    return n;
}

/* Scratch for the summaries, sized once: K seeds, E epochs. */
typedef struct summary_scratch {
    double *a, *b;           /* K values */
    al_stats_ttt *ttt;       /* K seeds */
    double *per_epoch;       /* E epoch durations */
} summary_scratch;

static void summarize_arm(al_compare *c, size_t arm, const summary_scratch *w)
{
    double *buf = w->a, *buf2 = w->b;
    al_arm_summary *S = &c->summaries[arm];
    memset(S, 0, sizeof *S);
    S->acc_mean = S->acc_lo = S->acc_hi = S->best_epoch = S->dead_final = S->grad_ratio = NAN;
    S->seconds = S->diff = S->diff_lo = S->diff_hi = S->p = S->p_holm = NAN;
    S->adj_lo = S->adj_hi = S->mde = S->min_p = S->train_acc = S->loss_auc = S->inactive_final = NAN;
    S->lr = c->arms[arm].lr;
    size_t n = final_accs(c, arm, buf);
    S->ok = n;
    size_t k = 0, n_ratio = 0, n_inactive = 0, n_auc = 0;
    double dead = 0, ratio = 0, secs = 0, train = 0, inactive = 0, auc = 0;
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        size_t E = (size_t)c->o.epochs;
        if (!isnan(c->o.target)) {
            if (r->done) {
                for (size_t e = 0; e < E; e++)
                    w->per_epoch[e] = r->seconds[e] - (e ? r->seconds[e - 1] : 0);
                al_stats_time_to_target(r->test_acc, w->per_epoch, E, c->o.target, AL_STATS_AT_LEAST, &w->ttt[s],
                                        NULL);
            } else { /* never reaches: censored at the whole run, not dropped */
                memset(&w->ttt[s], 0, sizeof w->ttt[s]);
                w->ttt[s].epochs_run = E;
            }
        }
        S->diverged += r->diverged;
        S->failed += !r->done && !r->diverged;
        if (!r->done)
            continue;
        long best = 0;
        for (long e = 1; e < r->epochs; e++)
            if (r->test_acc[e] > r->test_acc[best])
                best = e;
        buf2[k++] = (double)(best + 1);
        dead += r->dead[r->epochs - 1];
        secs += r->seconds[r->epochs - 1];
        train += r->train_acc[r->epochs - 1];
        if (isfinite(r->inactive[r->epochs - 1])) {
            inactive += r->inactive[r->epochs - 1];
            n_inactive++;
        }
        double m = al_job_loss_auc(r);
        if (isfinite(m)) {
            auc += m;
            n_auc++;
        }
        /* first and last layers with parameters, at the final epoch */
        const double *g = r->weight_grad + (size_t)(r->epochs - 1) * (size_t)r->layers;
        int first = -1, last = -1;
        for (int l = 0; l < r->layers; l++)
            if (!isnan(g[l])) {
                if (first < 0)
                    first = l;
                last = l;
            }
        if (first >= 0 && last > first && g[last] > 0) {
            ratio += g[first] / g[last];
            n_ratio++;
        }
    }
    if (!isnan(c->o.target))
        al_stats_ttt_summarize(w->ttt, c->o.seeds, &S->ttt, NULL);
    if (n == 0)
        return;
    if (n >= 2)
        al_stats_mean_ci(buf, n, 0.95, &S->acc_mean, &S->acc_lo, &S->acc_hi, NULL);
    else
        S->acc_mean = buf[0];
    S->best_epoch = median(buf2, k);
    S->dead_final = dead / (double)k;
    S->train_acc = train / (double)k;
    S->inactive_final = n_inactive ? inactive / (double)n_inactive : NAN;
    S->loss_auc = n_auc ? auc / (double)n_auc : NAN;
    S->grad_ratio = n_ratio ? ratio / (double)n_ratio : NAN;
    S->seconds = secs / (double)k;
}

void al_compare_summarize(al_compare *c)
{
    size_t K = c->o.seeds, m = c->n_arms > 0 ? c->n_arms - 1 : 0;
    summary_scratch scratch = {malloc(K * sizeof(double)), malloc(K * sizeof(double)), malloc(K * sizeof(al_stats_ttt)),
                               malloc((size_t)c->o.epochs * sizeof(double))};
    double *diffs = malloc((m + 1) * K * sizeof *diffs);
    const double **rows = malloc((m + 1) * sizeof *rows);
    size_t *counts = malloc((m + 1) * sizeof *counts), *which = malloc((m + 1) * sizeof *which);
    al_stats_comparison *cmp = malloc((m + 1) * sizeof *cmp);
    if (scratch.a && scratch.b && scratch.ttt && scratch.per_epoch && diffs && rows && counts && which && cmp) {
        for (size_t arm = 0; arm < c->n_arms; arm++)
            summarize_arm(c, arm, &scratch);
        size_t base = c->o.baseline, k = 0;
        for (size_t arm = 0; arm < c->n_arms && K >= 2; arm++) {
            if (arm == base)
                continue;
            for (size_t s = 0; s < K; s++)
                diffs[k * K + s] = al_job_score(al_compare_job(c, arm, s)) - al_job_score(al_compare_job(c, base, s));
            rows[k] = diffs + k * K;
            counts[k] = K;
            which[k++] = arm;
        }
        if (k > 0 && al_stats_family(rows, counts, k, 0.05, 0.8, c->o.first_seed, cmp, NULL) == AL_OK)
            for (size_t i = 0; i < k; i++) {
                al_arm_summary *S = &c->summaries[which[i]];
                S->diff = cmp[i].mean;
                S->diff_lo = cmp[i].t_lo;
                S->diff_hi = cmp[i].t_hi;
                S->adj_lo = cmp[i].adj_lo;
                S->adj_hi = cmp[i].adj_hi;
                S->p = cmp[i].p;
                S->p_holm = cmp[i].p_holm;
                S->mde = cmp[i].mde;
                S->min_p = cmp[i].min_p;
            }
    }
    free(scratch.a);
    free(scratch.b);
    free(scratch.ttt);
    free(scratch.per_epoch);
    free(diffs);
    free(rows);
    free(counts);
    free(which);
    free(cmp);
}
