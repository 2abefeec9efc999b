/* An activation's curve for a plot: the one sampler `actlab act plot` and the
 * studies share. Kinks get a break with a sample on each side, so a jump in f
 * or f' (Threshold, ReLU's derivative) is drawn as a jump, not as a steep
 * segment, and the values at and around each kink come with the curve. */
#include "act/act_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The kinks strictly inside (lo, hi), increasing, without repeats. */
static int kinks_inside(const al_act *a, double lo, double hi, double where[AL_ACT_MAX_KINKS])
{
    double w[AL_ACT_MAX_KINKS], d[AL_ACT_MAX_KINKS];
    int n = al_act_kinks(a, w, d), kept = 0;
    for (int i = 0; i < n; i++) {
        int repeat = 0;
        for (int j = 0; j < kept; j++)
            repeat |= where[j] == w[i];
        if (!(w[i] > lo && w[i] < hi) || repeat)
            continue;
        where[kept] = w[i];
        for (int j = kept; j > 0 && where[j] < where[j - 1]; j--) {
            double t = where[j];
            where[j] = where[j - 1];
            where[j - 1] = t;
        }
        kept++;
    }
    return kept;
}

/* The sample positions: the grid over [lo, hi], and at each kink k the points
 * k - tiny, NaN, k + tiny in place of any grid point within tiny of k.
 * Returns the count (at most points + 3 per kink). */
static size_t sample_positions(double lo, double hi, size_t points, const double *kinks, int nk,
                               double tiny, double *xs)
{
    double step = (hi - lo) / (double)(points - 1);
    size_t n = 0;
    int next = 0;
    for (size_t i = 0; i < points; i++) {
        double x = i == points - 1 ? hi : lo + step * (double)i;
        while (next < nk && kinks[next] - tiny <= x) {
            xs[n++] = kinks[next] - tiny;
            xs[n++] = NAN;
            xs[n++] = kinks[next] + tiny;
            next++;
        }
        int near_kink = 0;
        for (int k = 0; k < nk; k++)
            near_kink |= fabs(x - kinks[k]) <= tiny;
        if (!near_kink)
            xs[n++] = x;
    }
    return n;
}

al_status al_act_sample_curve(const al_act *a, double lo, double hi, size_t points, al_act_curve *out,
                              al_error *err)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(lo) || !isfinite(hi) || !(lo < hi) || !isfinite(hi - lo))
        return al_error_set(err, AL_ERR_INVALID, "curve range [%g, %g]: need finite lo < hi", lo, hi);
    if (points < 2 || points > SIZE_MAX / sizeof(double) - 3 * AL_ACT_MAX_KINKS)
        return al_error_set(err, AL_ERR_INVALID, "curve points %zu: need at least 2", points);
    size_t cap = points + 3 * AL_ACT_MAX_KINKS;
    out->x = malloc(cap * sizeof *out->x);
    out->y = malloc(cap * sizeof *out->y);
    out->dy = malloc(cap * sizeof *out->dy);
    if (!out->x || !out->y || !out->dy) {
        al_act_curve_free(out);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory sampling a curve of %zu points", points);
    }
    /* far below a pixel, yet far above double rounding at the kink */
    double tiny = (hi - lo) * 1e-9;
    /* eval mode: the learned weight at its initial value, RReLU at its mean (NaN) */
    double slope = al_act_init_weight(a);
    double where[AL_ACT_MAX_KINKS];
    out->n_kinks = kinks_inside(a, lo, hi, where);
    out->n = sample_positions(lo, hi, points, where, out->n_kinks, tiny, out->x);
    for (size_t i = 0; i < out->n; i++) {
        if (isnan(out->x[i]))
            out->y[i] = out->dy[i] = NAN;
        else
            al_act_eval_f64(a, out->x[i], slope, &out->y[i], &out->dy[i]);
    }
    for (int k = 0; k < out->n_kinks; k++) {
        al_act_curve_kink *c = &out->kinks[k];
        c->x = where[k];
        al_act_eval_f64(a, c->x, slope, &c->y, &c->dy);
        al_act_eval_f64(a, c->x - tiny, slope, &c->y_left, &c->dy_left);
        al_act_eval_f64(a, c->x + tiny, slope, &c->y_right, &c->dy_right);
    }
    return AL_OK;
}

void al_act_curve_free(al_act_curve *curve)
{
    free(curve->x);
    free(curve->y);
    free(curve->dy);
    memset(curve, 0, sizeof *curve);
}
