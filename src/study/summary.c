/* Per-arm summaries of a finished comparison: final accuracy with its
 * interval, best epoch, time to target, dead fraction, gradient ratio, and
 * each arm against the baseline (Welch interval, permutation p, Holm). */
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
    size_t n = final_accs(c, arm, buf);
    S->ok = n;
    if (n == 0)
        return;
    if (n >= 2)
        al_stats_mean_ci(buf, n, 0.95, &S->acc_mean, &S->acc_lo, &S->acc_hi, NULL);
    else
        S->acc_mean = buf[0];
    size_t k = 0;
    double dead = 0, ratio = 0, secs = 0;
    size_t n_ratio = 0;
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (!r->done)
            continue;
        long best = 0;
        for (long e = 1; e < r->epochs; e++)
            if (r->test_acc[e] > r->test_acc[best])
                best = e;
        buf2[k] = (double)(best + 1);
        dead += r->dead[r->epochs - 1];
        secs += r->seconds[r->epochs - 1];
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
        if (!isnan(c->o.target)) {
            size_t E = (size_t)r->epochs;
            for (size_t e = 0; e < E; e++)
                w->per_epoch[e] = r->seconds[e] - (e ? r->seconds[e - 1] : 0);
            al_stats_time_to_target(r->test_acc, w->per_epoch, E, c->o.target, AL_STATS_AT_LEAST, &w->ttt[k],
                                    NULL);
        }
        k++;
    }
    S->best_epoch = median(buf2, k);
    S->dead_final = dead / (double)k;
    S->grad_ratio = n_ratio ? ratio / (double)n_ratio : NAN;
    S->seconds = secs / (double)k;
    if (!isnan(c->o.target))
        al_stats_ttt_summarize(w->ttt, k, &S->ttt, NULL);
}

void al_compare_summarize(al_compare *c)
{
    size_t K = c->o.seeds;
    summary_scratch scratch = {malloc(K * sizeof(double)), malloc(K * sizeof(double)), malloc(K * sizeof(al_stats_ttt)),
                         malloc((size_t)c->o.epochs * sizeof(double))};
    double *a = scratch.a, *b = scratch.b, *p = malloc(c->n_arms * sizeof *p);
    size_t *which = malloc(c->n_arms * sizeof *which);
    if (!a || !b || !scratch.ttt || !scratch.per_epoch || !p || !which) {
        free(a);
        free(b);
        free(scratch.ttt);
        free(scratch.per_epoch);
        free(p);
        free(which);
        return;
    }
    for (size_t arm = 0; arm < c->n_arms; arm++)
        summarize_arm(c, arm, &scratch);
    size_t base = c->o.baseline, m = 0;
    size_t nb = final_accs(c, base, b);
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        al_arm_summary *S = &c->summaries[arm];
        size_t na = final_accs(c, arm, a);
        if (arm == base || na < 2 || nb < 2)
            continue;
        al_stats_welch w;
        al_stats_perm perm;
        if (al_stats_welch_test(a, na, b, nb, 0.95, &w, NULL) == AL_OK) {
            S->diff = w.diff;
            S->diff_lo = w.lo;
            S->diff_hi = w.hi;
        }
        if (al_stats_permutation_test(a, na, b, nb, c->o.first_seed, &perm, NULL) == AL_OK) {
            S->p = perm.p;
            p[m] = perm.p;
            which[m++] = arm;
        }
    }
    if (m > 0 && al_stats_holm(p, m, p, NULL) == AL_OK)
        for (size_t i = 0; i < m; i++)
            c->summaries[which[i]].p_holm = p[i];
    free(scratch.ttt);
    free(scratch.per_epoch);
    free(a);
    free(b);
    free(p);
    free(which);
}
