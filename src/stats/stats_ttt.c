/* Statistics, second part: time to a target with censoring (Kaplan-Meier
 * medians over seeds) and the text formats of intervals, p-values and
 * times (docs/statistics.md). */
#include "actlab/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- time to target ------------------------------------------------------- */

al_status al_stats_time_to_target(const double *values, const double *seconds_per_epoch,
                                  size_t epochs, double target, al_stats_direction direction,
                                  al_stats_ttt *out, al_error *err)
{
    if (epochs > 0 && !values)
        return al_error_set(err, AL_ERR_INVALID, "time to target: no values given (NULL)");
    if (isnan(target))
        return al_error_set(err, AL_ERR_INVALID, "time to target: the target is NaN");
    if (direction != AL_STATS_AT_LEAST && direction != AL_STATS_AT_MOST)
        return al_error_set(err, AL_ERR_INVALID, "time to target: unknown direction %d",
                            (int)direction);
    al_stats_ttt r = {0};
    r.epochs_run = epochs;
    r.has_seconds = seconds_per_epoch != NULL;
    double elapsed = 0;
    for (size_t i = 0; i < epochs; i++) {
        if (seconds_per_epoch) {
            if (!(seconds_per_epoch[i] >= 0) || isinf(seconds_per_epoch[i]))
                return al_error_set(err, AL_ERR_NUMERIC,
                                    "time to target: epoch %zu took %g seconds; need a finite "
                                    "value >= 0",
                                    i + 1, seconds_per_epoch[i]);
            elapsed += seconds_per_epoch[i];
        }
        /* Written so that NaN (a diverged run) never reaches. */
        int hit = direction == AL_STATS_AT_LEAST ? values[i] >= target : values[i] <= target;
        if (hit && !r.reached) {
            r.reached = 1;
            r.epoch = i + 1;
            r.seconds = elapsed;
        }
    }
    r.seconds_run = elapsed;
    if (out)
        *out = r;
    return AL_OK;
}

static double ttt_time(const al_stats_ttt *s, int use_seconds)
{
    if (use_seconds)
        return s->reached ? s->seconds : s->seconds_run;
    return (double)(s->reached ? s->epoch : s->epochs_run);
}

/* The Kaplan-Meier median: the first event time where the survival curve
 * ("not reached yet") falls below 1/2; where it sits exactly at 1/2, the
 * midpoint to the next event time, as the ordinary median of an even count.
 * Censored seeds leave the risk set after their last epoch, having not
 * reached. Returns 0 (median unknown) when the curve never gets there; *median
 * is then the longest observed time, a lower bound. O(k^2), k is small. */
static int km_median(const al_stats_ttt *seeds, size_t k, int use_seconds, double *median)
{
    const double tol = 1e-12;
    double survival = 1, previous = -INFINITY, at_half = 0, longest = 0;
    int on_half = 0;
    for (size_t i = 0; i < k; i++)
        longest = fmax(longest, ttt_time(&seeds[i], use_seconds));
    for (;;) {
        double t = INFINITY;
        for (size_t i = 0; i < k; i++) {
            double ti = ttt_time(&seeds[i], use_seconds);
            if (seeds[i].reached && ti > previous && ti < t)
                t = ti;
        }
        if (isinf(t))
            break;
        if (on_half) {
            *median = 0.5 * (at_half + t);
            return 1;
        }
        size_t at_risk = 0, events = 0;
        for (size_t i = 0; i < k; i++) {
            double ti = ttt_time(&seeds[i], use_seconds);
            at_risk += ti >= t;
            events += seeds[i].reached && ti == t;
        }
        survival *= 1 - (double)events / (double)at_risk;
        if (survival < 0.5 - tol) {
            *median = t;
            return 1;
        }
        if (survival <= 0.5 + tol) {
            on_half = 1;
            at_half = t;
        }
        previous = t;
    }
    *median = longest;
    return 0;
}

al_status al_stats_ttt_summarize(const al_stats_ttt *seeds, size_t k, al_stats_ttt_summary *out,
                                 al_error *err)
{
    if (k == 0 || !seeds)
        return al_error_set(err, AL_ERR_INVALID, "time to target: no seeds to summarise");
    al_stats_ttt_summary s = {0};
    s.seeds = k;
    s.has_seconds = 1;
    for (size_t i = 0; i < k; i++) {
        const al_stats_ttt *t = &seeds[i];
        if (t->reached && (t->epoch < 1 || t->epoch > t->epochs_run))
            return al_error_set(err, AL_ERR_INVALID,
                                "time to target: seed %zu reached at epoch %zu of %zu", i,
                                t->epoch, t->epochs_run);
        s.has_seconds &= t->has_seconds;
        if (!t->reached)
            continue;
        if (s.reached == 0 || t->epoch < s.min_epochs)
            s.min_epochs = t->epoch;
        if (s.reached == 0 || t->epoch > s.max_epochs)
            s.max_epochs = t->epoch;
        if (s.reached == 0 || t->seconds < s.min_seconds)
            s.min_seconds = t->seconds;
        if (s.reached == 0 || t->seconds > s.max_seconds)
            s.max_seconds = t->seconds;
        s.reached++;
    }
    s.median_known = km_median(seeds, k, 0, &s.median_epochs);
    if (s.has_seconds) {
        s.median_seconds_known = km_median(seeds, k, 1, &s.median_seconds);
    } else {
        s.min_seconds = s.max_seconds = 0;
    }
    if (out)
        *out = s;
    return AL_OK;
}

/* ---- formatting ----------------------------------------------------------- */

void al_stats_format_mean_ci(double mean, double half_width, int decimals, char *out,
                             size_t out_size)
{
    if (!out || out_size == 0)
        return;
    if (!isfinite(mean)) {
        snprintf(out, out_size, "n/a");
        return;
    }
    if (decimals < 0) {
        /* Two significant digits of the half-width fix the decimals. */
        decimals = 4;
        if (isfinite(half_width) && half_width > 0)
            decimals = 1 - (int)floor(log10(half_width));
        decimals = decimals < 0 ? 0 : decimals > 10 ? 10 : decimals;
    }
    if (!isfinite(half_width))
        snprintf(out, out_size, "%.*f ± n/a", decimals, mean);
    else
        snprintf(out, out_size, "%.*f ± %.*f", decimals, mean, decimals, half_width);
}

void al_stats_format_p(double p, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return;
    if (isnan(p))
        snprintf(out, out_size, "p = n/a");
    else if (p < 0.001)
        snprintf(out, out_size, "p < 0.001");
    else
        snprintf(out, out_size, "p = %.3f", p);
}

/* Seconds with 3 significant digits, without an exponent. */
static void format_seconds(double s, char *out, size_t out_size)
{
    if (s >= 1000)
        snprintf(out, out_size, "%.0f", s);
    else
        snprintf(out, out_size, "%.3g", s);
}

void al_stats_format_ttt(const al_stats_ttt_summary *summary, int seconds, char *out,
                         size_t out_size)
{
    if (!out || out_size == 0)
        return;
    if (!summary) {
        snprintf(out, out_size, "n/a");
        return;
    }
    const al_stats_ttt_summary *s = summary;
    int known = seconds ? s->median_seconds_known : s->median_known;
    if (seconds && !s->has_seconds) {
        snprintf(out, out_size, "n/a");
        return;
    }
    if (!known) {
        snprintf(out, out_size, "censored (%zu/%zu reached)", s->reached, s->seeds);
        return;
    }
    char median[32], lo[32], hi[32], tail[64] = "";
    if (seconds) {
        format_seconds(s->median_seconds, median, sizeof median);
        format_seconds(s->min_seconds, lo, sizeof lo);
        format_seconds(s->max_seconds, hi, sizeof hi);
    } else {
        snprintf(median, sizeof median, "%.1f", s->median_epochs);
        snprintf(lo, sizeof lo, "%zu", s->min_epochs);
        snprintf(hi, sizeof hi, "%zu", s->max_epochs);
    }
    if (s->reached < s->seeds)
        snprintf(tail, sizeof tail, " (%zu/%zu reached)", s->reached, s->seeds);
    snprintf(out, out_size, "%s%s [%s–%s]%s", median, seconds ? " s" : "", lo, hi, tail);
}
