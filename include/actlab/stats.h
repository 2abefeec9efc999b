/* Statistics for comparing runs over a few seeds: means with t intervals,
 * Student's t distribution (any real df > 0), Welch's test, an exact
 * permutation test, Holm's correction, paired comparisons (t, exact
 * sign-flip, intervals consistent with Holm, minimum detectable effects) and
 * time-to-target with censoring.
 * Formulas and choices: docs/statistics.md. */
#ifndef ACTLAB_STATS_H
#define ACTLAB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- descriptive --------------------------------------------------------- */

/* The arithmetic mean of x[0..n-1] (two-pass, corrected); NaN when n is 0. */
double al_stats_mean(const double *x, size_t n);
/* The sample standard deviation, divisor n - 1; NaN when n < 2. */
double al_stats_sd(const double *x, size_t n);
/* The standard error of the mean, sd / sqrt(n); NaN when n < 2. */
double al_stats_se(const double *x, size_t n);

/* ---- distributions ------------------------------------------------------- */

/* The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1
 * (continued fraction, ~1e-12 relative); NaN for arguments out of range. */
double al_stats_beta_inc(double a, double b, double x);
/* P(T <= t) for Student's t with df > 0 degrees of freedom (df may be
 * fractional; df = INFINITY is the standard normal); NaN for a bad df.
 * ~1e-11 relative (for df > 1e7, where an O(1/df^2) normal mapping is used,
 * while P >= 1e-15). */
double al_stats_t_cdf(double t, double df);
/* The two-sided p-value P(|T| >= |t|), accurate in the far tail too. */
double al_stats_t_p_two_sided(double t, double df);
/* The quantile: the t with P(T <= t) = prob, prob in [0, 1] (0 and 1 give
 * -/+INFINITY), found by a bracketed Newton-bisection on the CDF. */
double al_stats_t_quantile(double prob, double df);

/* ---- intervals and tests ------------------------------------------------- */

/* The mean of x and its two-sided t interval at level (e.g. 0.95):
 * mean +- t_{(1+level)/2, n-1} * sd / sqrt(n). Needs n >= 2 finite values. */
al_status al_stats_mean_ci(const double *x, size_t n, double level, double *mean, double *lo,
                           double *hi, al_error *err);

/* Welch's unequal-variance t test of mean(a) - mean(b). */
typedef struct al_stats_welch {
    double diff;      /* mean(a) - mean(b) */
    double se;        /* sqrt(var_a / na + var_b / nb) */
    double lo, hi;    /* the interval for diff at the requested level */
    double df;        /* Welch-Satterthwaite degrees of freedom */
    double t;         /* diff / se; +-INFINITY when se is 0 and diff is not */
    double p;         /* two-sided */
} al_stats_welch;

/* Welch's test at confidence level for the interval; na, nb >= 2. Both groups
 * constant: se = 0, df = na + nb - 2, and p = 1 (equal) or 0 (different). */
al_status al_stats_welch_test(const double *a, size_t na, const double *b, size_t nb,
                              double level, al_stats_welch *out, al_error *err);

/* Splits enumerated exactly up to this count; beyond it, Monte Carlo. */
#define AL_STATS_PERM_EXACT_MAX 1000000u
/* Random splits drawn when the exact enumeration would be too long. */
#define AL_STATS_PERM_DRAWS 100000u

/* A two-sample permutation test on the difference of means. */
typedef struct al_stats_perm {
    double diff;       /* observed mean(a) - mean(b) */
    double p;          /* two-sided: extreme / splits (the observed split counts) */
    uint64_t splits;   /* C(na + nb, na) when exact, else AL_STATS_PERM_DRAWS + 1 */
    uint64_t extreme;  /* splits with |diff| >= |observed| (ties within a relative 1e-9) */
    int exact;         /* 1: every split enumerated; 0: Monte Carlo from seed */
} al_stats_perm;

/* Permutation test of a against b (na, nb >= 1, finite values): exact when
 * C(na + nb, na) <= AL_STATS_PERM_EXACT_MAX, else seeded Monte Carlo. */
al_status al_stats_permutation_test(const double *a, size_t na, const double *b, size_t nb,
                                    uint64_t seed, al_stats_perm *out, al_error *err);

/* Holm-Bonferroni step-down adjustment of m p-values in [0, 1]; adjusted may
 * alias p. Adjusted values keep the order of p, are monotone and capped at 1. */
al_status al_stats_holm(const double *p, size_t m, double *adjusted, al_error *err);

/* ---- paired comparisons (stats_paired.c) ---------------------------------- */

/* When every seed gives each arm the same initial weights and batch order,
 * arms are compared through the per-seed differences d_i (arm - baseline). */

/* The paired t test of mean(d) = 0 and its two-sided interval. */
typedef struct al_stats_paired_t {
    size_t n;          /* pairs */
    double mean, sd;   /* of the differences (sd: divisor n - 1) */
    double se;         /* sd / sqrt(n) */
    double t, df;      /* mean / se, n - 1 */
    double p;          /* two-sided */
    double lo, hi;     /* mean -+ t_{(1+level)/2, n-1} se */
} al_stats_paired_t;

/* The paired t test on n >= 2 finite differences at confidence level (for
 * the interval). Constant differences: se = 0 and p = 1 (all 0) or 0 (all
 * the same non-zero value), interval [mean, mean]. */
al_status al_stats_paired_t_test(const double *d, size_t n, double level, al_stats_paired_t *out,
                                 al_error *err);

/* Up to this many pairs the sign-flip test enumerates all 2^n patterns;
 * beyond, AL_STATS_PERM_DRAWS patterns drawn from a seed. */
#define AL_STATS_SIGN_FLIP_EXACT_MAX 20

/* The sign-flip permutation test of mean(d) = 0: under the null hypothesis
 * each difference is as likely to have the other sign (the arms' labels are
 * exchangeable within a seed). */
typedef struct al_stats_sign_flip {
    double mean;        /* the observed mean difference */
    double p;           /* two-sided: extreme / patterns (the observed pattern counts) */
    uint64_t patterns;  /* 2^n when exact, else AL_STATS_PERM_DRAWS + 1 */
    uint64_t extreme;   /* patterns with |sum s_i d_i| >= |sum d_i| (ties within a relative 1e-9) */
    int exact;          /* 1: every pattern enumerated */
} al_stats_sign_flip;

/* The sign-flip test of n >= 1 finite differences (exact for n <=
 * AL_STATS_SIGN_FLIP_EXACT_MAX, else Monte Carlo from seed). */
al_status al_stats_sign_flip_test(const double *d, size_t n, uint64_t seed, al_stats_sign_flip *out,
                                  al_error *err);
/* The smallest p the exact sign-flip test can give with n non-zero
 * differences: 2 / 2^n (complete separation). */
double al_stats_sign_flip_min_p(size_t n);
/* The interval that inverts the sign-flip test: every shift delta that the
 * test of d - delta does not reject at level alpha (p >= alpha), so that it
 * excludes 0 exactly when the test's p is below alpha. [-inf, inf] when
 * alpha is at or below the smallest p n differences can give. */
al_status al_stats_sign_flip_interval(const double *d, size_t n, double alpha, uint64_t seed, double *lo,
                                      double *hi, al_error *err);

/* Holm's step-down procedure at level alpha, as the level each of m
 * p-values is tested at: divisor[i] = m - r for the r-th smallest (0-based)
 * while Holm rejects, and m - R for the rest once it stops after R
 * rejections. p[i] * divisor[i] < alpha exactly when al_stats_holm's
 * adjusted p is below alpha. */
al_status al_stats_holm_divisors(const double *p, size_t m, double alpha, double *divisor, al_error *err);

/* The minimum detectable effect of a paired t test at two-sided level alpha
 * with the given power, from the SD of the differences:
 * (t_{1-alpha/2, n-1} + t_{power, n-1}) sd / sqrt(n). NaN for n < 2. */
double al_stats_paired_mde(double sd, size_t n, double alpha, double power);

/* One comparison of a family (all the comparisons of one study). */
typedef struct al_stats_comparison {
    size_t n;               /* pairs (seeds) */
    double mean, sd;        /* of the paired differences: the effect and its spread */
    double t_lo, t_hi;      /* paired t interval at 1 - alpha, not adjusted for the family */
    double p_t;             /* paired t p-value, not adjusted */
    double p;               /* exact sign-flip p, not adjusted */
    double p_holm;          /* the sign-flip p, Holm-adjusted across the family */
    double divisor;         /* Holm's divisor k: this comparison is tested at alpha / k */
    double adj_lo, adj_hi;  /* the sign-flip interval at alpha / k: excludes 0 iff p_holm < alpha */
    double min_p;           /* the smallest p n seeds can give: 2 / 2^n */
    double mde;             /* the smallest mean difference detectable at alpha / m with `power`
                             * (al_stats_paired_mde with the observed sd); INFINITY when
                             * min_p >= alpha / m: no outcome could be significant */
    int significant;        /* p_holm < alpha */
} al_stats_comparison;

/* Analyses m comparisons as one family: diffs[i] holds n[i] >= 2 finite
 * paired differences. Sign-flip p-values, Holm across all m, intervals
 * adjusted the same way, minimum detectable effects. out has m entries. */
al_status al_stats_family(const double *const *diffs, const size_t *n, size_t m, double alpha, double power,
                          uint64_t seed, al_stats_comparison *out, al_error *err);

/* ---- time to target ------------------------------------------------------ */

typedef enum al_stats_direction {
    AL_STATS_AT_LEAST,   /* reached when value >= target (accuracy) */
    AL_STATS_AT_MOST     /* reached when value <= target (loss) */
} al_stats_direction;

/* One seed's time to target; unreached seeds are censored at the run's end. */
typedef struct al_stats_ttt {
    int reached;         /* 1 if some epoch reached the target */
    size_t epoch;        /* the first such epoch, 1-based; 0 when censored */
    size_t epochs_run;   /* epochs observed: the censoring time */
    int has_seconds;     /* 1 when seconds per epoch were given */
    double seconds;      /* wall time to the end of `epoch` (0 when censored) */
    double seconds_run;  /* wall time of the whole run: the censoring time in seconds */
} al_stats_ttt;

/* Scans values[i] (the metric after epoch i + 1) for the first epoch that
 * reaches target; seconds_per_epoch may be NULL. NaN values never reach. */
al_status al_stats_time_to_target(const double *values, const double *seconds_per_epoch,
                                  size_t epochs, double target, al_stats_direction direction,
                                  al_stats_ttt *out, al_error *err);

/* Time to target over K seeds: Kaplan-Meier medians, which count censored
 * seeds as "later than their last epoch" instead of dropping them. */
typedef struct al_stats_ttt_summary {
    size_t seeds, reached;
    int median_known;       /* 0: half or more never reached; the median is censored */
    double median_epochs;   /* KM median when known, else the longest run (a lower bound) */
    size_t min_epochs, max_epochs;  /* range among seeds that reached (0 when none) */
    int has_seconds;        /* every seed had seconds */
    int median_seconds_known;
    double median_seconds;  /* as median_epochs, on the seconds scale */
    double min_seconds, max_seconds;
} al_stats_ttt_summary;

/* Summarises k >= 1 seeds' times to target. */
al_status al_stats_ttt_summarize(const al_stats_ttt *seeds, size_t k, al_stats_ttt_summary *out,
                                 al_error *err);

/* ---- formatting (UTF-8; "±" and "–" are 2 and 3 bytes, 1 column each) -- */

/* "0.9123 ± 0.0042": decimals >= 0 fixed, < 0 chosen to show the half-width
 * to 2 significant digits. Non-finite values print as "n/a". */
void al_stats_format_mean_ci(double mean, double half_width, int decimals, char *out,
                             size_t out_size);
/* "p = 0.032", "p < 0.001", "p = 1.000"; "p = n/a" for NaN. */
void al_stats_format_p(double p, char *out, size_t out_size);
/* Epochs (seconds = 0) or seconds (1) to target: "4 [3–6]", "4.5 [3–6]
 * (4/5 reached)", "censored (2/5 reached)"; the bracket is the reached seeds' range. */
void al_stats_format_ttt(const al_stats_ttt_summary *summary, int seconds, char *out,
                         size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
