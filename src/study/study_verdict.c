/* Verdicts: pure functions from numbers to words, tested on fixed synthetic
 * results (tests/test_study.c). A comparison is read against the smallest
 * effect that matters for the question (`relevant`): significant after Holm
 * ("differs"); not significant although the seeds could have detected that
 * effect ("no difference of that size": the claim is not supported); or not
 * significant and the seeds could not have ("inconclusive at this budget
 * (could detect >= X)"). A study's verdict follows from its comparisons. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "study/study_internal.h"

void study_put(char *out, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *n, size - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

size_t al_study_seeds_needed(size_t m, double alpha)
{
    size_t n = 1;
    while (n < 64 && al_stats_sign_flip_min_p(n) >= alpha / (double)(m ? m : 1))
        n++;
    return n;
}

al_finding al_study_finding(const al_stats_comparison *c, double relevant)
{
    if (c->sd == 0 && c->mean == 0)
        return AL_FINDING_IDENTICAL;
    if (c->significant)
        return AL_FINDING_DIFFERENT;
    return c->mde <= relevant ? AL_FINDING_NO_EFFECT : AL_FINDING_INCONCLUSIVE;
}

/* Decimals for values of a metric whose relevant effect is `relevant` (in
 * printed units): two, or three when that effect is below 0.1. */
static int decimals(double relevant)
{
    return fabs(relevant) < 0.1 ? 3 : 2;
}

/* "+0.60" in the unit's scale; infinite ends as "inf". */
static void value(char *out, size_t size, double v, double scale, int dec)
{
    if (isinf(v))
        snprintf(out, size, "%sinf", v > 0 ? "+" : "-");
    else
        snprintf(out, size, "%+.*f", dec, v * scale);
}

/* "could detect >= 0.45 points" or why nothing could be detected. */
static void detectable(char *out, size_t size, const al_stats_comparison *c, double scale, const char *unit, size_t m,
                       int dec)
{
    if (isinf(c->mde))
        snprintf(out, size, "nothing could be detected: %zu seeds give p >= %.3g, and Holm over %zu needs p < %.3g",
                 c->n, c->min_p, m, AL_STUDY_ALPHA / (double)m);
    else
        snprintf(out, size, "could detect >= %.*f%s%s", dec, c->mde * scale, *unit ? " " : "", unit);
}

void al_study_finding_text(const char *what, const al_stats_comparison *c, double relevant, double scale,
                           const char *unit, size_t m, char *out, size_t size)
{
    size_t n = 0;
    char lo[32], hi[32], tlo[32], thi[32], mean[32], det[192], p[32], ph[32];
    int dec = decimals(relevant * scale);
    value(lo, sizeof lo, c->adj_lo, scale, dec);
    value(hi, sizeof hi, c->adj_hi, scale, dec);
    value(tlo, sizeof tlo, c->t_lo, scale, dec);
    value(thi, sizeof thi, c->t_hi, scale, dec);
    value(mean, sizeof mean, c->mean, scale, dec);
    al_stats_format_p(c->p, p, sizeof p);
    al_stats_format_p(c->p_holm, ph, sizeof ph);
    detectable(det, sizeof det, c, scale, unit, m, dec);
    out[0] = '\0';
    al_finding f = al_study_finding(c, relevant);
    if (f == AL_FINDING_IDENTICAL) {
        study_put(out, size, &n, "%s: identical in every one of %zu seeds (every paired difference is exactly 0)",
                  what, c->n);
        return;
    }
    study_put(out, size, &n, "%s: %s%s%s (Holm-adjusted CI [%s, %s]; paired t 95 %% CI [%s, %s], unadjusted; "
              "sign-flip %s, Holm %s) — ", what, mean, *unit ? " " : "", unit, lo, hi, tlo, thi, p, ph);
    if (f == AL_FINDING_DIFFERENT)
        study_put(out, size, &n, "**differs**");
    else if (f == AL_FINDING_NO_EFFECT)
        study_put(out, size, &n, "no difference of %.*f%s%s or more (%s)", dec, relevant * scale, *unit ? " " : "",
                  unit, det);
    else
        study_put(out, size, &n, "inconclusive at this budget (%s)", det);
}

/* Does comparison c count for (+1), against (-1) or neither (0) its item? */
static int side(const al_claim_item *item, const al_stats_comparison *c)
{
    if (item->direction == 0 || al_study_finding(c, item->relevant) != AL_FINDING_DIFFERENT)
        return 0;
    if (item->direction == 2)
        return 1;
    return (c->mean > 0) == (item->direction > 0) ? 1 : -1;
}

static void list_side(const al_claim_item *items, const al_stats_comparison *c, size_t m, int want, char *out,
                      size_t size, size_t *n)
{
    const char *sep = " ";
    for (size_t i = 0; i < m; i++)
        if (side(&items[i], &c[i]) == want) {
            study_put(out, size, n, "%s%s %s by %.*f%s%s", sep, items[i].what, c[i].mean > 0 ? "higher" : "lower",
                      decimals(items[i].relevant * items[i].scale), fabs(c[i].mean) * items[i].scale,
                      *items[i].unit ? " " : "", items[i].unit);
            sep = "; ";
        }
}

al_verdict al_study_verdict_claim(const al_claim_item *items, const al_stats_comparison *c, size_t m, char *out,
                                  size_t size)
{
    size_t n = 0, favour = 0, against = 0, open = 0;
    size_t widest = m;
    out[0] = '\0';
    if (m == 0) {
        study_put(out, size, &n, "Nothing was compared.");
        return AL_VERDICT_INCONCLUSIVE;
    }
    for (size_t i = 0; i < m; i++) {
        char line[1024];
        al_study_finding_text(items[i].what, &c[i], items[i].relevant, items[i].scale, items[i].unit, m, line,
                              sizeof line);
        study_put(out, size, &n, "%s- %s.", i ? "\n" : "", line);
        int s = side(&items[i], &c[i]);
        favour += s > 0;
        against += s < 0;
        if (items[i].direction != 0 && al_study_finding(&c[i], items[i].relevant) == AL_FINDING_INCONCLUSIVE) {
            open++;
            /* the one furthest from detecting what matters for it */
            if (widest == m || c[i].mde / items[i].relevant > c[widest].mde / items[widest].relevant)
                widest = i;
        }
    }
    study_put(out, size, &n, "\n\n");
    if (favour > 0 && against == 0) {
        study_put(out, size, &n, "**Supported** at p < %g after Holm over %zu comparison%s:", AL_STUDY_ALPHA, m,
                  m == 1 ? "" : "s");
        list_side(items, c, m, 1, out, size, &n);
        study_put(out, size, &n, ".");
        return AL_VERDICT_SUPPORTED;
    }
    if (favour > 0) {
        study_put(out, size, &n, "**Not supported as stated** (mixed, p < %g after Holm over %zu): for the claim:",
                  AL_STUDY_ALPHA, m);
        list_side(items, c, m, 1, out, size, &n);
        study_put(out, size, &n, "; against it:");
        list_side(items, c, m, -1, out, size, &n);
        study_put(out, size, &n, ".");
        return AL_VERDICT_NOT_SUPPORTED;
    }
    if (against > 0) {
        study_put(out, size, &n, "**Not supported**: the opposite holds at p < %g after Holm over %zu:",
                  AL_STUDY_ALPHA, m);
        list_side(items, c, m, -1, out, size, &n);
        study_put(out, size, &n, ".");
        return AL_VERDICT_NOT_SUPPORTED;
    }
    /* comparisons of direction 0 describe; they do not bear on the claim */
    size_t bearing = 0;
    for (size_t i = 0; i < m; i++)
        bearing += items[i].direction != 0;
    char none[128];
    if (bearing == m)
        snprintf(none, sizeof none, "no comparison differs");
    else
        snprintf(none, sizeof none, "none of the %zu comparison%s bearing on the claim differs", bearing,
                 bearing == 1 ? "" : "s");
    if (open == 0) {
        study_put(out, size, &n, "**Not supported**: %s, and each could have detected the "
                  "smallest effect that matters for it.", none);
        return AL_VERDICT_NOT_SUPPORTED;
    }
    const al_claim_item *w = &items[widest];
    if (isinf(c[widest].mde))
        study_put(out, size, &n, "**Inconclusive at this budget** (nothing could be detected: %zu seeds give p >= "
                  "%.3g, above Holm's %.3g; run more seeds, e.g. --full).", c[widest].n, c[widest].min_p,
                  AL_STUDY_ALPHA / (double)m);
    else
        study_put(out, size, &n, "**Inconclusive at this budget** (could detect >= %.*f %s; %.*f %s would matter): "
                  "%s, but %zu could not have shown an effect that matters.",
                  decimals(w->relevant * w->scale), c[widest].mde * w->scale, w->unit,
                  decimals(w->relevant * w->scale), w->relevant * w->scale, w->unit, none, open);
    return AL_VERDICT_INCONCLUSIVE;
}

al_gradient_regime al_study_gradient_regime(double lo, double hi, double factor)
{
    double t = log10(factor);
    if (!(lo <= hi))
        return AL_GRADIENT_UNDETERMINED;
    if (hi < -t)
        return AL_GRADIENT_VANISHES;
    if (lo > t)
        return AL_GRADIENT_EXPLODES;
    if (lo > -t && hi < t)
        return AL_GRADIENT_STABLE;
    return AL_GRADIENT_UNDETERMINED;
}

static const char *regime_name(al_gradient_regime r)
{
    switch (r) {
    case AL_GRADIENT_VANISHES: return "vanishes";
    case AL_GRADIENT_EXPLODES: return "explodes";
    case AL_GRADIENT_STABLE: return "neither vanishes nor explodes";
    default: return "undetermined (its interval straddles a threshold)";
    }
}

al_verdict al_study_verdict_vanishing(const char *const *names, const int *saturating, const double *log_mean,
                                      const double *log_lo, const double *log_hi, const double *predicted,
                                      size_t count, double factor, char *out, size_t size)
{
    size_t n = 0;
    int as_claimed = 1, against = 0;
    out[0] = '\0';
    study_put(out, size, &n, "log10 of the gradient at the first over the last hidden layer (95 %% t CI over init "
              "seeds; a factor %g either way is the threshold):", factor);
    for (size_t i = 0; i < count; i++) {
        al_gradient_regime r = al_study_gradient_regime(log_lo[i], log_hi[i], factor);
        study_put(out, size, &n, "%s **%s** %.2f [%.2f, %.2f]", i ? ";" : "", names[i], log_mean[i], log_lo[i],
                  log_hi[i]);
        if (predicted && isfinite(predicted[i]))
            study_put(out, size, &n, " (mean field %.2f)", predicted[i]);
        study_put(out, size, &n, ": %s", regime_name(r));
        al_gradient_regime want = saturating[i] ? AL_GRADIENT_VANISHES : AL_GRADIENT_STABLE;
        if (r != want)
            as_claimed = 0;
        if (r != want && r != AL_GRADIENT_UNDETERMINED)
            against = 1;
    }
    study_put(out, size, &n, ".\n\n");
    if (as_claimed) {
        study_put(out, size, &n, "**Supported**: the gradient vanishes toward the input for every saturating "
                  "activation and for none of the others.");
        return AL_VERDICT_SUPPORTED;
    }
    study_put(out, size, &n, against ? "**Not supported as stated**:" : "**Inconclusive**:");
    for (size_t i = 0; i < count; i++) {
        al_gradient_regime r = al_study_gradient_regime(log_lo[i], log_hi[i], factor);
        al_gradient_regime want = saturating[i] ? AL_GRADIENT_VANISHES : AL_GRADIENT_STABLE;
        if (r != want)
            study_put(out, size, &n, " %s %s (the claim says it %s).", names[i], regime_name(r), regime_name(want));
    }
    return against ? AL_VERDICT_NOT_SUPPORTED : AL_VERDICT_INCONCLUSIVE;
}

al_verdict al_study_verdict_selu(const char *const *inits, size_t n_inits, const int *expect_hold,
                                 const double *in_mean, const double *in_var, size_t n_inputs, const double *mean,
                                 const double *var, size_t layers, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    int expected_hold = 1, others_drift = 1;
    study_put(out, size, &n, "After %zu layers, (mean, variance) by input (mean, variance):", layers);
    for (size_t i = 0; i < n_inits; i++) {
        int holds = 1;
        study_put(out, size, &n, "%s **%s**", i ? ";" : "", inits[i]);
        for (size_t v = 0; v < n_inputs; v++) {
            double mu = mean[i * n_inputs + v], s2 = var[i * n_inputs + v];
            study_put(out, size, &n, "%s (%g, %g) → (%.3f, %.3f)", v ? "," : "", in_mean[v], in_var[v], mu, s2);
            if (!(fabs(mu) <= 0.1 && fabs(s2 - 1) <= 0.2))
                holds = 0;
        }
        if (expect_hold[i])
            expected_hold &= holds;
        else if (holds)
            others_drift = 0;
    }
    study_put(out, size, &n, ".\n\n");
    if (expected_hold && others_drift) {
        study_put(out, size, &n, "**Supported**: with weights of variance 1/fan_in (");
        for (size_t i = 0, k = 0; i < n_inits; i++)
            if (expect_hold[i])
                study_put(out, size, &n, "%s%s", k++ ? ", " : "", inits[i]);
        study_put(out, size, &n, ") SELU ends within |mean| ≤ 0.1 and |variance − 1| ≤ 0.2 from every input; every "
                  "other init leaves that band.");
        return AL_VERDICT_SUPPORTED;
    }
    if (!expected_hold)
        study_put(out, size, &n, "**Not supported**: with weights of variance 1/fan_in SELU leaves |mean| ≤ 0.1, "
                  "|variance − 1| ≤ 0.2 for some input.");
    else
        study_put(out, size, &n, "**Not supported as stated**: the LeCun variance holds the fixed point, but so does "
                  "an init with another variance.");
    return AL_VERDICT_NOT_SUPPORTED;
}

/* PReLU's initial coefficient (He et al.'s and the activation table's). */
#define PRELU_START 0.25

/* The largest distance of a layer's mean coefficient from PRELU_START. */
static double moved(const double *v, size_t layers)
{
    double most = 0;
    for (size_t l = 0; v && l < layers; l++)
        most = fmax(most, fabs(v[l] - PRELU_START));
    return most;
}

/* How one tested point of He et al.'s stands: the claim expects `direction`;
 * `still` is how far the arm's coefficients moved when that is less than
 * the point's relevant effect (then training was too short to test it), or
 * a negative number. */
static void he_point(const char *what, const al_stats_comparison *c, int direction, double relevant, double still,
                     const char *unit, char *out, size_t size, size_t *n)
{
    if (!c)
        return;
    study_put(out, size, n, " %s: %+.3f%s%s, ", what, c->mean, *unit ? " " : "", unit);
    if (still >= 0) {
        study_put(out, size, n, "**undecided at this budget**: the layers' mean coefficients moved at most %.3f from "
                  "their initial %.2f, too little training to show where they settle.", still, PRELU_START);
        return;
    }
    switch (al_study_finding(c, relevant)) {
    case AL_FINDING_DIFFERENT:
        study_put(out, size, n, "%s", (c->mean > 0) == (direction > 0) ? "**as they report**"
                                                                        : "**the opposite of their report**");
        break;
    case AL_FINDING_NO_EFFECT:
        study_put(out, size, n, "**not as they report** (no difference of %.3f%s%s or more)", relevant,
                  *unit ? " " : "", unit);
        break;
    case AL_FINDING_IDENTICAL:
        study_put(out, size, n, "**not as they report** (identical in every seed)");
        break;
    default:
        if (isinf(c->mde))
            study_put(out, size, n, "**undecided at this budget** (nothing could be detected with %zu seeds)", c->n);
        else
            study_put(out, size, n, "**undecided at this budget** (could detect >= %.3f%s%s)", c->mde,
                      *unit ? " " : "", unit);
    }
    study_put(out, size, n, ".");
}

static void coefficients(const char *name, const double *v, size_t layers, char *out, size_t size, size_t *n)
{
    if (!v)
        return;
    study_put(out, size, n, " %s:", name);
    for (size_t l = 0; l < layers; l++)
        study_put(out, size, n, "%s %.3f", l ? "," : "", v[l]);
    study_put(out, size, n, ".");
}

void al_study_prelu_he_text(const double *cw, const double *cs, size_t layers, int conv,
                            const al_stats_comparison *first_cw, const al_stats_comparison *first_cs,
                            const al_stats_comparison *trend_cw, double relevant_first, double relevant_trend,
                            char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    study_put(out, size, &n, "Published: He et al. (2015) introduced PReLU as improving \"model fitting with nearly "
              "zero extra computational cost and little overfitting risk\". In their Table 1 (a 14-layer ImageNet "
              "CNN, coefficients starting at 0.25) the first conv layer learned 0.681 (channel-shared) and 0.596 "
              "(channel-wise, mean over channels), \"significantly greater than 0\", and \"for the channel-wise "
              "version, the deeper conv layers in general have smaller coefficients\".");
    if (!conv)
        study_put(out, size, &n, " These layers are not conv layers, and one coefficient per layer is their "
                  "channel-shared form, so their statements do not apply directly.");
    study_put(out, size, &n, " Learned here, by layer (mean over seeds, from 0.25):");
    coefficients("channel-wise (mean over channels)", cw, layers, out, size, &n);
    coefficients("channel-shared", cs, layers, out, size, &n);
    if (!conv && cs && layers > 1) {
        double deeper = 0;
        for (size_t l = 1; l < layers; l++)
            deeper += cs[l] / (double)(layers - 1);
        study_put(out, size, &n, " The first layer's %.3f is %s the deeper layers' mean %.3f.", cs[0],
                  cs[0] > deeper ? "above" : cs[0] < deeper ? "below" : "equal to", deeper);
    }
    double cw_moved = moved(cw, layers), cs_moved = moved(cs, layers);
    double cw_still = cw_moved < relevant_first ? cw_moved : -1, cs_still = cs_moved < relevant_first ? cs_moved : -1;
    he_point("First layer minus the deeper layers' mean, channel-wise", first_cw, +1, relevant_first, cw_still, "",
             out, size, &n);
    he_point("First layer minus the deeper layers' mean, channel-shared", first_cs, +1, relevant_first, cs_still, "",
             out, size, &n);
    he_point("Channel-wise coefficient per layer of depth (least-squares slope)", trend_cw, -1, relevant_trend,
             cw_still, "per layer", out, size, &n);
}
