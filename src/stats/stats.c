/* Statistics for a handful of seeds. Everything is float64 and written from
 * the formulas (docs/statistics.md): Student's t through the regularized
 * incomplete beta function, whose continued fraction is evaluated by the
 * modified Lentz method; log-gamma from Stirling's series after shifting the
 * argument to >= 10 (lgamma() would write the global signgam). */
#include "actlab/stats.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"

#define LN_SQRT_2PI 0.918938533204672741780329736406
#define SQRT_HALF 0.707106781186547524400844362105
/* The continued fraction converges in O(sqrt(max(a, b))) terms; this is far above. */
#define BETA_CF_MAX_TERMS 1000000
/* Beyond this df the continued fraction loses digits (its rounding error grows
 * like df * 1e-16) and Abramowitz & Stegun 26.7.8 takes over: t is mapped to a
 * normal deviate with an error O(1/df^2), ~1e-10 relative for |t| <= 8. */
#define T_DF_ASYMPTOTIC 1e7

/* ---- descriptive ---------------------------------------------------------- */

double al_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n;
    /* The second pass removes the first one's rounding, so that a constant
     * input gives exactly that constant back. */
    double residual = 0;
    for (size_t i = 0; i < n; i++)
        residual += x[i] - mean;
    return mean + residual / (double)n;
}

/* The sample variance by the corrected two-pass formula; n >= 2. */
static double variance(const double *x, size_t n)
{
    double mean = al_stats_mean(x, n), squares = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        squares += d * d;
        sum += d;
    }
    double v = (squares - sum * sum / (double)n) / (double)(n - 1);
    return v > 0 ? v : 0;
}

double al_stats_sd(const double *x, size_t n)
{
    return n < 2 ? NAN : sqrt(variance(x, n));
}

double al_stats_se(const double *x, size_t n)
{
    return n < 2 ? NAN : sqrt(variance(x, n) / (double)n);
}

/* ---- special functions ---------------------------------------------------- */

/* log Gamma(x) - Stirling's approximation for x >= 10: the asymptotic series
 * sum B_2k / (2k (2k - 1) x^(2k - 1)), seven terms (the next is < 1e-16). */
static double stirling_remainder(double x)
{
    double r = 1 / x, r2 = r * r;
    return r * (1.0 / 12 +
                r2 * (-1.0 / 360 +
                      r2 * (1.0 / 1260 +
                            r2 * (-1.0 / 1680 +
                                  r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 / 156))))));
}

/* log Gamma(x) for x > 0: Gamma(x) = Gamma(x + k) / (x (x + 1) ... (x + k - 1)). */
static double log_gamma(double x)
{
    double product = 1;
    while (x < 10) {
        product *= x;
        x += 1;
    }
    return (x - 0.5) * log(x) - x + LN_SQRT_2PI + stirling_remainder(x) - log(product);
}

/* log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b). For a large
 * argument the Stirling parts are combined by hand: the three log-gammas are
 * huge and nearly cancel. */
static double log_beta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a;
    if (p >= 10) {
        double corr = stirling_remainder(p) + stirling_remainder(q) - stirling_remainder(p + q);
        return LN_SQRT_2PI - 0.5 * log(q) + corr + (p - 0.5) * log(p / (p + q)) +
               q * log1p(-p / (p + q));
    }
    if (q >= 10) {
        double corr = stirling_remainder(q) - stirling_remainder(p + q);
        return log_gamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
    }
    return log_gamma(p) + log_gamma(q) - log_gamma(p + q);
}

/* The continued fraction 1 + d1/(1 + d2/(1 + ...)) of I_x(a, b) (DLMF 8.17.22)
 * by the modified Lentz method: d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
 * d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)). */
static double beta_continued_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double f = 1, c = 1, d = 0, previous = 1;
    for (int j = 1; j <= BETA_CF_MAX_TERMS; j++) {
        double m = (double)(j / 2), term;
        if (j % 2)
            term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        else
            term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1 + term * d;
        if (fabs(d) < tiny)
            d = tiny;
        d = 1 / d;
        c = 1 + term / c;
        if (fabs(c) < tiny)
            c = tiny;
        double delta = c * d;
        f *= delta;
        /* Judged on pairs of steps: where b is small the even terms are tiny
         * and a single step can look converged while the odd ones still move. */
        if (j % 2 == 0 && fabs(delta * previous - 1) <= 2 * DBL_EPSILON)
            break;
        previous = delta;
    }
    return f;
}

/* I_x(a, b) and its complement 1 - I_x(a, b) = I_y(b, a), given y = 1 - x and
 * both logarithms computed accurately by the caller. The fraction is summed on
 * the side where it converges fast, so the smaller of the two results keeps
 * its full relative accuracy. */
static void beta_inc_pair(double a, double b, double x, double y, double log_x, double log_y,
                          double *value, double *complement)
{
    double log_front = a * log_x + b * log_y - log_beta(a, b);
    if (x < (a + 1) / (a + b + 2)) {
        *value = exp(log_front) / (a * beta_continued_fraction(a, b, x));
        *complement = 1 - *value;
    } else {
        *complement = exp(log_front) / (b * beta_continued_fraction(b, a, y));
        *value = 1 - *complement;
    }
}

double al_stats_beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1) || isinf(a) || isinf(b))
        return NAN;
    double value, complement;
    beta_inc_pair(a, b, x, 1 - x, log(x), log1p(-x), &value, &complement);
    return value;
}

/* ---- Student's t ---------------------------------------------------------- */

double al_stats_t_p_two_sided(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return 0;
    if (df > T_DF_ASYMPTOTIC) {
        /* z = |t| (1 - v) / sqrt(1 + 2 v t^2), v = 1 / (4 df), written so that
         * t^2 cannot overflow; df = INFINITY gives z = |t|, the normal law. */
        double v = 1 / (4 * df), z;
        if (fabs(t) <= 1) {
            z = fabs(t) * (1 - v) / sqrt(1 + 2 * v * t * t);
        } else {
            double u = 1 / fabs(t);
            z = (1 - v) / sqrt(u * u + 2 * v);
        }
        return erfc(z * SQRT_HALF);
    }
    /* P(|T| >= |t|) = I_x(df/2, 1/2) with x = df / (df + t^2); with r = |t| / sqrt(df),
     * x = 1 / (1 + r^2) and 1 - x = r^2 / (1 + r^2), each without cancellation. */
    double r = fabs(t) / sqrt(df), x, y, log_x, log_y;
    if (r < 1e150) {
        double r2 = r * r;
        x = 1 / (1 + r2);
        y = r2 / (1 + r2);
        log_x = -log1p(r2);
        log_y = log(y);
    } else { /* r^2 (even r) may overflow: x ~ 1/r^2 may underflow, its log does not */
        log_x = -2 * (log(fabs(t)) - 0.5 * log(df));
        x = exp(log_x);
        y = 1;
        log_y = 0;
    }
    double p, complement;
    beta_inc_pair(df / 2, 0.5, x, y, log_x, log_y, &p, &complement);
    return p;
}

double al_stats_t_cdf(double t, double df)
{
    double p = al_stats_t_p_two_sided(t, df);
    if (isnan(p))
        return NAN;
    return t < 0 ? p / 2 : 1 - p / 2;
}

/* The density, for Newton steps: exp(-log B(df/2, 1/2)) / sqrt(df) * (1 + t^2/df)^-(df+1)/2. */
static double t_density(double t, double df)
{
    if (df > T_DF_ASYMPTOTIC) /* near enough for Newton steps */
        return exp(-0.5 * t * t - LN_SQRT_2PI);
    return exp(-log_beta(df / 2, 0.5) - 0.5 * log(df) - (df + 1) / 2 * log1p(t * t / df));
}

/* The t > 0 with P(T > t) = upper, 0 < upper < 1/2. The tail is bracketed by
 * doubling, then Newton steps that leave the bracket fall back to bisection
 * (geometric while the bracket spans orders of magnitude). */
static double t_upper_quantile(double upper, double df)
{
    double lo = 0, hi = 1;
    while (al_stats_t_p_two_sided(hi, df) / 2 > upper) {
        lo = hi;
        hi *= 2;
        if (isinf(hi))
            return INFINITY;
    }
    double t = lo > 0 ? sqrt(lo) * sqrt(hi) : 0.5 * hi;
    for (int iter = 0; iter < 400; iter++) {
        double excess = al_stats_t_p_two_sided(t, df) / 2 - upper;
        if (excess == 0)
            return t;
        if (excess > 0)
            lo = t;
        else
            hi = t;
        double next = t + excess / t_density(t, df);
        if (!(next > lo && next < hi))
            next = lo > 0 && hi > 4 * lo ? sqrt(lo) * sqrt(hi) : lo + 0.5 * (hi - lo);
        if (fabs(next - t) <= 4 * DBL_EPSILON * t || hi - lo <= 4 * DBL_EPSILON * hi)
            return next;
        t = next;
    }
    return t;
}

double al_stats_t_quantile(double prob, double df)
{
    if (isnan(prob) || prob < 0 || prob > 1 || !(df > 0))
        return NAN;
    if (prob == 0)
        return -INFINITY;
    if (prob == 1)
        return INFINITY;
    if (prob == 0.5)
        return 0;
    /* 1 - prob is exact for prob in [1/2, 1]; the lower tail is solved as an
     * upper one so that tiny probabilities keep their digits. */
    return prob < 0.5 ? -t_upper_quantile(prob, df) : t_upper_quantile(1 - prob, df);
}

/* ---- intervals and tests -------------------------------------------------- */

static al_status check_values(const double *x, size_t n, const char *what, al_error *err)
{
    if (n > 0 && !x)
        return al_error_set(err, AL_ERR_INVALID, "%s: no values given (NULL) for %zu", what, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return al_error_set(err, AL_ERR_NUMERIC,
                                "%s: value %zu is %g; statistics need finite values", what, i,
                                x[i]);
    return AL_OK;
}

static al_status check_level(double level, al_error *err)
{
    if (!(level > 0 && level < 1))
        return al_error_set(err, AL_ERR_INVALID,
                            "confidence level must be between 0 and 1 (e.g. 0.95), got %g", level);
    return AL_OK;
}

al_status al_stats_mean_ci(const double *x, size_t n, double level, double *mean, double *lo,
                           double *hi, al_error *err)
{
    if (n < 2)
        return al_error_set(err, AL_ERR_INVALID,
                            "need at least 2 seeds for a confidence interval, got %zu", n);
    al_status st = check_level(level, err);
    if (st == AL_OK)
        st = check_values(x, n, "confidence interval", err);
    if (st != AL_OK)
        return st;
    double m = al_stats_mean(x, n);
    double half = t_upper_quantile((1 - level) / 2, (double)(n - 1)) * al_stats_se(x, n);
    if (mean)
        *mean = m;
    if (lo)
        *lo = m - half;
    if (hi)
        *hi = m + half;
    return AL_OK;
}

static int all_equal(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0])
            return 0;
    return 1;
}

al_status al_stats_welch_test(const double *a, size_t na, const double *b, size_t nb,
                              double level, al_stats_welch *out, al_error *err)
{
    if (na < 2 || nb < 2)
        return al_error_set(err, AL_ERR_INVALID,
                            "Welch's test needs at least 2 seeds in each group, got %zu and %zu",
                            na, nb);
    al_status st = check_level(level, err);
    if (st == AL_OK)
        st = check_values(a, na, "Welch's test, first group", err);
    if (st == AL_OK)
        st = check_values(b, nb, "Welch's test, second group", err);
    if (st != AL_OK)
        return st;
    /* A constant group's mean is its value and its variance exactly 0, free of
     * rounding, so that identical constants compare equal below. */
    int const_a = all_equal(a, na), const_b = all_equal(b, nb);
    double mean_a = const_a ? a[0] : al_stats_mean(a, na);
    double mean_b = const_b ? b[0] : al_stats_mean(b, nb);
    double wa = const_a ? 0 : variance(a, na) / (double)na;
    double wb = const_b ? 0 : variance(b, nb) / (double)nb;
    if (!isfinite(wa + wb))
        return al_error_set(err, AL_ERR_NUMERIC,
                            "Welch's test: the values' spread overflows double precision");
    al_stats_welch r;
    r.diff = mean_a - mean_b;
    r.se = sqrt(wa + wb);
    if (!(r.se > 0)) {
        /* No spread at all: the means either coincide (no evidence of a
         * difference) or differ with certainty. */
        r.df = (double)(na + nb - 2);
        r.t = r.diff == 0 ? 0 : copysign(INFINITY, r.diff);
        r.p = r.diff == 0 ? 1 : 0;
        r.lo = r.hi = r.diff;
    } else {
        /* Welch-Satterthwaite, scaled by the larger term so squares cannot underflow. */
        double scale = wa > wb ? wa : wb, u = wa / scale, v = wb / scale;
        r.df = (u + v) * (u + v) / (u * u / (double)(na - 1) + v * v / (double)(nb - 1));
        r.t = r.diff / r.se;
        r.p = al_stats_t_p_two_sided(r.t, r.df);
        double half = t_upper_quantile((1 - level) / 2, r.df) * r.se;
        r.lo = r.diff - half;
        r.hi = r.diff + half;
    }
    if (out)
        *out = r;
    return AL_OK;
}

/* C(n, k), or cap + 1 as soon as it exceeds cap. */
static uint64_t binomial_capped(size_t n, size_t k, uint64_t cap)
{
    if (k > n - k)
        k = n - k;
    uint64_t c = 1;
    for (size_t i = 0; i < k; i++) {
        if (c > UINT64_MAX / (n - i))
            return cap + 1;
        c = c * (n - i) / (i + 1); /* exact: this is C(n, i + 1) */
        if (c > cap)
            return cap + 1;
    }
    return c;
}

/* The split's mean(a) - mean(b) from the sum of the smaller group's k values. */
typedef struct split_stat {
    double total;
    size_t na, nb;
    int small_is_a;
} split_stat;

static double split_diff(const split_stat *s, double small_sum)
{
    double sum_a = s->small_is_a ? small_sum : s->total - small_sum;
    return sum_a / (double)s->na - (s->total - sum_a) / (double)s->nb;
}

static double sum_first(const double *x, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += x[i];
    return s;
}

al_status al_stats_permutation_test(const double *a, size_t na, const double *b, size_t nb,
                                    uint64_t seed, al_stats_perm *out, al_error *err)
{
    if (na < 1 || nb < 1)
        return al_error_set(err, AL_ERR_INVALID,
                            "the permutation test needs at least 1 value in each group, got %zu "
                            "and %zu",
                            na, nb);
    al_status st = check_values(a, na, "permutation test, first group", err);
    if (st == AL_OK)
        st = check_values(b, nb, "permutation test, second group", err);
    if (st != AL_OK)
        return st;
    size_t n = na + nb;
    if (n < na || n > SIZE_MAX / sizeof(double))
        return al_error_set(err, AL_ERR_NOMEM, "permutation test: too many values");
    split_stat stat = {0, na, nb, na <= nb};
    size_t k = stat.small_is_a ? na : nb;
    /* The smaller group first: the first k-subset enumerated is then the observed split. */
    double *pooled = malloc(n * sizeof *pooled);
    size_t *chosen = malloc(k * sizeof *chosen);
    if (!pooled || !chosen) {
        free(pooled);
        free(chosen);
        return al_error_set(err, AL_ERR_NOMEM, "permutation test: out of memory for %zu values",
                            n);
    }
    memcpy(pooled, stat.small_is_a ? a : b, k * sizeof *pooled);
    memcpy(pooled + k, stat.small_is_a ? b : a, (n - k) * sizeof *pooled);
    double max_abs = 0;
    for (size_t i = 0; i < n; i++) {
        stat.total += pooled[i];
        max_abs = fmax(max_abs, fabs(pooled[i]));
    }
    double observed = fabs(split_diff(&stat, sum_first(pooled, k)));
    /* Equal differences reached by sums in another order differ by rounding:
     * count them as ties (a relative 1e-9, plus the sums' rounding bound). */
    double threshold = observed - (1e-9 * observed + 16 * (double)n * DBL_EPSILON * max_abs);

    al_stats_perm r = {0};
    r.diff = al_stats_mean(a, na) - al_stats_mean(b, nb);
    uint64_t splits = binomial_capped(n, k, AL_STATS_PERM_EXACT_MAX);
    if (splits <= AL_STATS_PERM_EXACT_MAX) {
        r.exact = 1;
        for (size_t i = 0; i < k; i++)
            chosen[i] = i;
        for (;;) {
            double s = 0;
            for (size_t i = 0; i < k; i++)
                s += pooled[chosen[i]];
            r.splits++;
            r.extreme += fabs(split_diff(&stat, s)) >= threshold;
            /* The next k-subset in lexicographic order. */
            size_t j = k;
            while (j > 0 && chosen[j - 1] == n - k + (j - 1))
                j--;
            if (j == 0)
                break;
            chosen[j - 1]++;
            for (size_t i = j; i < k; i++)
                chosen[i] = chosen[i - 1] + 1;
        }
    } else {
        /* Each draw: a partial Fisher-Yates shuffle puts a uniform random
         * k-subset in front. The observed split counts as one more draw, which
         * keeps p a valid p-value (never 0). */
        al_rng rng;
        al_rng_seed(&rng, seed);
        r.splits = 1;
        r.extreme = 1;
        for (uint64_t draw = 0; draw < AL_STATS_PERM_DRAWS; draw++) {
            for (size_t i = 0; i < k; i++) {
                size_t j = i + (size_t)al_rng_below(&rng, (uint64_t)(n - i));
                double keep = pooled[i];
                pooled[i] = pooled[j];
                pooled[j] = keep;
            }
            r.splits++;
            r.extreme += fabs(split_diff(&stat, sum_first(pooled, k))) >= threshold;
        }
    }
    r.p = (double)r.extreme / (double)r.splits;
    free(pooled);
    free(chosen);
    if (out)
        *out = r;
    return AL_OK;
}

/* The indices of p in increasing order, ties by index (insertion sort: m is
 * the number of comparisons, small). */
static void holm_order(const double *p, size_t m, size_t *order)
{
    for (size_t i = 0; i < m; i++) {
        size_t j = i;
        while (j > 0 && p[order[j - 1]] > p[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

al_status al_stats_holm(const double *p, size_t m, double *adjusted, al_error *err)
{
    if (m == 0)
        return AL_OK;
    if (!p || !adjusted)
        return al_error_set(err, AL_ERR_INVALID, "Holm adjustment: NULL p-values or output");
    for (size_t i = 0; i < m; i++)
        if (!(p[i] >= 0 && p[i] <= 1))
            return al_error_set(err, AL_ERR_INVALID,
                                "Holm adjustment: p-value %zu is %g, not in [0, 1]", i, p[i]);
    if (m > SIZE_MAX / sizeof(size_t))
        return al_error_set(err, AL_ERR_NOMEM, "Holm adjustment: %zu p-values is too many", m);
    size_t *order = malloc(m * sizeof *order);
    if (!order)
        return al_error_set(err, AL_ERR_NOMEM, "Holm adjustment: out of memory for %zu p-values",
                            m);
    holm_order(p, m, order);
    /* The r-th smallest (0-based) is scaled by m - r; the running maximum makes
     * the adjusted values monotone in p. p[i] is read before adjusted[i] is
     * written, and each index once, so the two may alias. */
    double running = 0;
    for (size_t r = 0; r < m; r++) {
        size_t i = order[r];
        double v = fmin(1, (double)(m - r) * p[i]);
        running = fmax(running, v);
        adjusted[i] = running;
    }
    free(order);
    return AL_OK;
}

al_status al_stats_holm_divisors(const double *p, size_t m, double alpha, double *divisor, al_error *err)
{
    if (m == 0)
        return AL_OK;
    double *adjusted = malloc(m * sizeof *adjusted);
    size_t *order = malloc(m * sizeof *order);
    al_status st = adjusted && order ? al_stats_holm(p, m, adjusted, err)
                                     : al_error_set(err, AL_ERR_NOMEM, "Holm's divisors: out of memory");
    if (st == AL_OK) {
        holm_order(p, m, order);
        /* rank r (0-based) is tested at alpha / (m - r) while every smaller p
         * was rejected; the first that is not stops the procedure, and it and
         * all after it are judged at that step's alpha / (m - R) */
        size_t rejected = 0;
        while (rejected < m && p[order[rejected]] * (double)(m - rejected) < alpha)
            rejected++;
        for (size_t r = 0; r < m; r++)
            divisor[order[r]] = (double)(m - (r < rejected ? r : rejected));
    }
    free(adjusted);
    free(order);
    return st;
}
