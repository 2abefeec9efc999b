/* Paired designs: every seed gives each arm the same initial weights and
 * batch order, so arms are compared through the per-seed differences
 * d_i = arm_i - baseline_i. The paired t test and interval, the exact
 * sign-flip permutation test and the interval got by inverting it, the
 * minimum detectable effect, and a whole family at once (Holm's divisors,
 * the level each comparison is tested at, are in stats.c beside Holm). Formulas:
 * docs/statistics.md ("Paired comparisons"). */
#include "actlab/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"

/* Bisection steps for an interval bound: the bracket halves each time. */
#define BOUND_STEPS 200

static al_status check_diffs(const double *d, size_t n, size_t least, const char *what, al_error *err)
{
    if (n < least)
        return al_error_set(err, AL_ERR_INVALID, "%s needs at least %zu paired seeds, got %zu", what, least, n);
    if (!d)
        return al_error_set(err, AL_ERR_INVALID, "%s: no differences given (NULL)", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d[i]))
            return al_error_set(err, AL_ERR_NUMERIC, "%s: difference %zu is %g; statistics need finite values "
                                "(score a failed seed before differencing)", what, i, d[i]);
    return AL_OK;
}

al_status al_stats_paired_t_test(const double *d, size_t n, double level, al_stats_paired_t *out, al_error *err)
{
    al_status st = check_diffs(d, n, 2, "the paired t test", err);
    if (st != AL_OK)
        return st;
    if (!(level > 0 && level < 1))
        return al_error_set(err, AL_ERR_INVALID, "confidence level must be between 0 and 1 (e.g. 0.95), got %g",
                            level);
    al_stats_paired_t r;
    memset(&r, 0, sizeof r);
    r.n = n;
    r.df = (double)(n - 1);
    int constant = 1;
    for (size_t i = 1; i < n; i++)
        constant &= d[i] == d[0];
    r.mean = constant ? d[0] : al_stats_mean(d, n);
    r.sd = constant ? 0 : al_stats_sd(d, n);
    r.se = r.sd / sqrt((double)n);
    if (!(r.se > 0)) {
        /* every seed moved by the same amount: no evidence of a difference
         * when it is 0, certainty when it is not */
        r.t = r.mean == 0 ? 0 : copysign(INFINITY, r.mean);
        r.p = r.mean == 0 ? 1 : 0;
        r.lo = r.hi = r.mean;
    } else {
        r.t = r.mean / r.se;
        r.p = al_stats_t_p_two_sided(r.t, r.df);
        double half = al_stats_t_quantile(0.5 + level / 2, r.df) * r.se;
        r.lo = r.mean - half;
        r.hi = r.mean + half;
    }
    if (out)
        *out = r;
    return AL_OK;
}

/* ---- the sign-flip test ---- */

/* Counts the sign patterns s whose |sum s_i e_i| reaches |sum e_i| (the
 * observed pattern, all +, included): every pattern by a Gray code when n <=
 * AL_STATS_SIGN_FLIP_EXACT_MAX, else the observed one plus AL_STATS_PERM_DRAWS
 * patterns drawn from seed (the same ones at every call, so that the count is
 * monotone in a shift of e and the interval below is exact for them). */
static void count_patterns(const double *e, size_t n, uint64_t seed, uint64_t *extreme, uint64_t *patterns)
{
    double observed = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        observed += e[i];
        scale += fabs(e[i]);
    }
    /* Equal sums reached in another order differ by rounding, and the Gray
     * code's running sum drifts by at most 2^(n+1) eps scale: both far below
     * a relative 1e-9, so closer sums are ties. */
    double threshold = fabs(observed) - 1e-9 * scale;
    uint64_t hits = 0, total = 0;
    if (n <= AL_STATS_SIGN_FLIP_EXACT_MAX) {
        double sum = observed;
        double sign[AL_STATS_SIGN_FLIP_EXACT_MAX];
        for (size_t i = 0; i < n; i++)
            sign[i] = 1;
        uint64_t count = (uint64_t)1 << n;
        hits = fabs(sum) >= threshold;
        for (uint64_t k = 1; k < count; k++) {
            int j = __builtin_ctzll(k); /* the bit that changes from pattern k - 1 to k */
            sum -= 2 * sign[j] * e[j];
            sign[j] = -sign[j];
            hits += fabs(sum) >= threshold;
        }
        total = count;
    } else {
        al_rng rng;
        al_rng_seed(&rng, seed);
        hits = 1;
        total = 1;
        for (uint64_t draw = 0; draw < AL_STATS_PERM_DRAWS; draw++) {
            double sum = 0;
            for (size_t i = 0; i < n; i += 64) {
                uint64_t bits = al_rng_u64(&rng);
                for (size_t b = 0; b < 64 && i + b < n; b++)
                    sum += (bits >> b & 1) ? e[i + b] : -e[i + b];
            }
            hits += fabs(sum) >= threshold;
            total++;
        }
    }
    *extreme = hits;
    *patterns = total;
}

al_status al_stats_sign_flip_test(const double *d, size_t n, uint64_t seed, al_stats_sign_flip *out,
                                  al_error *err)
{
    al_status st = check_diffs(d, n, 1, "the sign-flip test", err);
    if (st != AL_OK)
        return st;
    al_stats_sign_flip r;
    memset(&r, 0, sizeof r);
    r.mean = al_stats_mean(d, n);
    r.exact = n <= AL_STATS_SIGN_FLIP_EXACT_MAX;
    count_patterns(d, n, seed, &r.extreme, &r.patterns);
    r.p = (double)r.extreme / (double)r.patterns;
    if (out)
        *out = r;
    return AL_OK;
}

double al_stats_sign_flip_min_p(size_t n)
{
    if (n == 0)
        return 1;
    return n >= 1000 ? 0 : fmin(1, 2 * ldexp(1, -(int)n));
}

/* p of the sign-flip test of d - delta, with e as scratch. */
static double shifted_p(const double *d, size_t n, double delta, uint64_t seed, double *e)
{
    for (size_t i = 0; i < n; i++)
        e[i] = d[i] - delta;
    uint64_t extreme, patterns;
    count_patterns(e, n, seed, &extreme, &patterns);
    return (double)extreme / (double)patterns;
}

/* The bound of {delta : p(d - delta) >= alpha} on the side `direction`
 * (+1 above the mean, -1 below): for delta beyond the mean each pattern's
 * indicator is monotone in delta (its |sum| grows slower than the observed
 * one's), so p is monotone there and bisection finds the crossing. */
static double bound(const double *d, size_t n, double mean, double spread, double alpha, int direction,
                    uint64_t seed, double *e)
{
    double inside = mean, step = spread > 0 ? spread : fmax(fabs(mean), 1.0);
    double outside = mean + direction * step;
    for (int i = 0; shifted_p(d, n, outside, seed, e) >= alpha; i++) {
        if (i > 1000)
            return direction > 0 ? INFINITY : -INFINITY;
        inside = outside;
        step *= 2;
        outside = mean + direction * step;
    }
    for (int i = 0; i < BOUND_STEPS; i++) {
        double mid = inside + (outside - inside) / 2;
        if (mid == inside || mid == outside)
            break;
        if (shifted_p(d, n, mid, seed, e) >= alpha)
            inside = mid;
        else
            outside = mid;
    }
    return inside;
}

al_status al_stats_sign_flip_interval(const double *d, size_t n, double alpha, uint64_t seed, double *lo,
                                      double *hi, al_error *err)
{
    al_status st = check_diffs(d, n, 1, "the sign-flip interval", err);
    if (st != AL_OK)
        return st;
    if (!(alpha > 0 && alpha < 1))
        return al_error_set(err, AL_ERR_INVALID, "the sign-flip interval's alpha must be between 0 and 1, got %g",
                            alpha);
    /* Far from the mean only the all-equal patterns reach the observed sum:
     * p falls to 2 / 2^n (exact; 1 / (draws + 1) drawn) and never below, so at
     * a smaller alpha no shift is rejected and the interval is the whole line. */
    double floor_p = n <= AL_STATS_SIGN_FLIP_EXACT_MAX ? al_stats_sign_flip_min_p(n)
                                                       : 1.0 / (1.0 + AL_STATS_PERM_DRAWS);
    if (alpha <= floor_p) {
        *lo = -INFINITY;
        *hi = INFINITY;
        return AL_OK;
    }
    double *e = malloc(n * sizeof *e);
    if (!e)
        return al_error_set(err, AL_ERR_NOMEM, "the sign-flip interval: out of memory for %zu values", n);
    double mean = al_stats_mean(d, n), spread = 0;
    for (size_t i = 0; i < n; i++)
        spread = fmax(spread, fabs(d[i] - mean));
    *lo = bound(d, n, mean, spread, alpha, -1, seed, e);
    *hi = bound(d, n, mean, spread, alpha, +1, seed, e);
    free(e);
    return AL_OK;
}

/* ---- power, a family ---- */

double al_stats_paired_mde(double sd, size_t n, double alpha, double power)
{
    if (n < 2 || !(sd >= 0) || !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
        return NAN;
    double df = (double)(n - 1);
    return (al_stats_t_quantile(1 - alpha / 2, df) + al_stats_t_quantile(power, df)) * sd / sqrt((double)n);
}

al_status al_stats_family(const double *const *diffs, const size_t *n, size_t m, double alpha, double power,
                          uint64_t seed, al_stats_comparison *out, al_error *err)
{
    if (m == 0)
        return AL_OK;
    if (!(alpha > 0 && alpha < 1))
        return al_error_set(err, AL_ERR_INVALID, "a family's alpha must be between 0 and 1, got %g", alpha);
    double *p = malloc(m * sizeof *p), *divisor = malloc(m * sizeof *divisor), *holm = malloc(m * sizeof *holm);
    al_status st = p && divisor && holm ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "a family: out of memory");
    for (size_t i = 0; st == AL_OK && i < m; i++) {
        al_stats_comparison *c = &out[i];
        memset(c, 0, sizeof *c);
        c->n = n[i];
        al_stats_paired_t t;
        al_stats_sign_flip s;
        st = al_stats_paired_t_test(diffs[i], n[i], 1 - alpha, &t, err);
        if (st == AL_OK)
            st = al_stats_sign_flip_test(diffs[i], n[i], seed, &s, err);
        if (st != AL_OK) {
            al_error_prefix(err, "comparison %zu of %zu: ", i + 1, m);
            break;
        }
        c->mean = t.mean;
        c->sd = t.sd;
        c->t_lo = t.lo;
        c->t_hi = t.hi;
        c->p_t = t.p;
        c->p = p[i] = s.p;
        c->min_p = al_stats_sign_flip_min_p(n[i]);
        /* the smallest effect the family could declare: none when even complete
         * separation stays above Holm's first step, alpha / m */
        c->mde = c->min_p >= alpha / (double)m ? INFINITY : al_stats_paired_mde(t.sd, n[i], alpha / (double)m, power);
    }
    if (st == AL_OK)
        st = al_stats_holm(p, m, holm, err);
    if (st == AL_OK)
        st = al_stats_holm_divisors(p, m, alpha, divisor, err);
    for (size_t i = 0; st == AL_OK && i < m; i++) {
        al_stats_comparison *c = &out[i];
        c->p_holm = holm[i];
        c->divisor = divisor[i];
        c->significant = holm[i] < alpha;
        st = al_stats_sign_flip_interval(diffs[i], n[i], alpha / divisor[i], seed, &c->adj_lo, &c->adj_hi, err);
    }
    free(p);
    free(divisor);
    free(holm);
    return st;
}
