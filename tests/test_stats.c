/* Statistics against values printed elsewhere: Student's t table quantiles,
 * closed forms of the t CDF for df = 1, 2, 3 and of I_x(a, b), R's printed
 * t.test outputs, the Wikipedia worked examples (Welch, Holm), permutation
 * p-values counted by hand, and Kaplan-Meier medians worked by hand. Where a
 * value has no printed source (fractional df, far tails) it was computed once
 * with mpmath 1.3.0 at 40 digits (betainc, findroot) and is written here. */
#include "actlab/stats.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

#define PI 3.14159265358979323846

static void test_descriptive(void)
{
    CHECK_SECTION("mean, sd, se");
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9}; /* population sd 2: sum of squares 32 */
    CHECK_NEAR(al_stats_mean(x, 8), 5, 0, 1e-15, "mean");
    CHECK_NEAR(al_stats_sd(x, 8), sqrt(32.0 / 7), 0, 1e-14, "sample sd");
    CHECK_NEAR(al_stats_se(x, 8), sqrt(32.0 / 7 / 8), 0, 1e-14, "se");
    const double c[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    CHECK(al_stats_mean(c, 7) == 0.1, "a constant's mean is the constant: %.17g",
          al_stats_mean(c, 7));
    CHECK(al_stats_sd(c, 7) == 0, "a constant's sd is 0: %g", al_stats_sd(c, 7));
    CHECK(isnan(al_stats_mean(x, 0)), "mean of nothing is NaN");
    CHECK(isnan(al_stats_sd(x, 1)) && isnan(al_stats_se(x, 1)), "sd of one value is NaN");
    /* Large offset, small spread: the two-pass formula keeps the digits. */
    const double big[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    CHECK_NEAR(al_stats_sd(big, 3), 1, 0, 1e-12, "sd with a large offset");
}

static void test_beta_inc(void)
{
    CHECK_SECTION("incomplete beta");
    /* I_x(2, 3) = P(Binomial(4, x) >= 2) = 6x^2(1-x)^2 + 4x^3(1-x) + x^4. */
    CHECK_NEAR(al_stats_beta_inc(2, 3, 0.4), 0.5248, 0, 1e-14, "I_0.4(2, 3)");
    /* I_x(1/2, 1/2) = (2/pi) asin(sqrt(x)), the arcsine distribution. */
    for (double x = 0.05; x < 1; x += 0.1)
        CHECK_NEAR(al_stats_beta_inc(0.5, 0.5, x), 2 / PI * asin(sqrt(x)), 0, 1e-13,
                   "I_%g(1/2, 1/2)", x);
    /* I_x(a, 1) = x^a. */
    CHECK_NEAR(al_stats_beta_inc(3.5, 1, 0.7), pow(0.7, 3.5), 0, 1e-14, "I_x(a, 1)");
    /* mpmath: betainc(500, 600, 0, 0.45, regularized=True) */
    CHECK_NEAR(al_stats_beta_inc(500, 600, 0.45), 0.38169373366483992, 0, 1e-11,
               "I_0.45(500, 600)");
    CHECK(al_stats_beta_inc(2, 3, 0) == 0 && al_stats_beta_inc(2, 3, 1) == 1, "ends");
    CHECK(isnan(al_stats_beta_inc(-1, 3, 0.5)) && isnan(al_stats_beta_inc(2, 3, 1.5)) &&
              isnan(al_stats_beta_inc(2, 3, NAN)),
          "out of range gives NaN");
}

static void test_t_cdf(void)
{
    CHECK_SECTION("t CDF");
    /* Closed forms: df = 1 is Cauchy, df = 2 and 3 are elementary. */
    for (double t = -6; t <= 6; t += 0.37) {
        CHECK_NEAR(al_stats_t_cdf(t, 1), 0.5 + atan(t) / PI, 1e-15, 1e-13, "df 1 at %g", t);
        CHECK_NEAR(al_stats_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)), 1e-15, 1e-13,
                   "df 2 at %g", t);
        double r3 = sqrt(3.0);
        CHECK_NEAR(al_stats_t_cdf(t, 3), 0.5 + (t / (r3 * (1 + t * t / 3)) + atan(t / r3)) / PI,
                   1e-15, 1e-13, "df 3 at %g", t);
    }
    /* Far tails, relative: two-sided p = (2/pi) atan(1/|t|) for df 1 and
     * 2 / (s (s + |t|)), s = sqrt(2 + t^2), for df 2 (no cancellation in either). */
    const double tails[] = {10, 1e3, 1e6, 1e10, 1e200};
    for (int i = 0; i < 5; i++) {
        double t = tails[i], s = sqrt(2 + t * t);
        CHECK_NEAR(al_stats_t_p_two_sided(t, 1), 2 / PI * atan(1 / t), 0, 1e-12, "df 1 p at %g",
                   t);
        CHECK_NEAR(al_stats_t_p_two_sided(-t, 1), 2 / PI * atan(1 / t), 0, 1e-12,
                   "df 1 p at -%g", t);
        if (isfinite(s))
            CHECK_NEAR(al_stats_t_p_two_sided(t, 2), 2 / (s * (s + t)), 0, 1e-12,
                       "df 2 p at %g", t);
    }
    /* Fractional and large df (mpmath, 40 digits). */
    CHECK_NEAR(al_stats_t_cdf(2.5, 2.5), 0.94771501846092231, 0, 1e-12, "cdf(2.5; 2.5)");
    CHECK_NEAR(al_stats_t_p_two_sided(1.5, 3.7), 0.21359816920201353, 0, 1e-12, "p(1.5; 3.7)");
    CHECK_NEAR(al_stats_t_p_two_sided(10, 3), 0.0021283990584141501, 0, 1e-11, "p(10; 3)");
    CHECK_NEAR(al_stats_t_p_two_sided(50, 5.5), 1.5904152436456722e-8, 0, 1e-10, "p(50; 5.5)");
    CHECK_NEAR(al_stats_t_p_two_sided(3, 1e6), 0.0026998625414217971, 0, 1e-10, "p(3; 1e6)");
    CHECK_NEAR(al_stats_t_p_two_sided(0.01, 7), 0.99230031764362177, 0, 1e-13, "p(0.01; 7)");
    /* Beyond df 1e7 (the normal mapping of Abramowitz & Stegun 26.7.8). */
    CHECK_NEAR(al_stats_t_p_two_sided(2, 1e8), 0.045500266595906753, 0, 1e-10, "p(2; 1e8)");
    CHECK_NEAR(al_stats_t_p_two_sided(3, 3e7), 0.0026997982791848788, 0, 1e-10, "p(3; 3e7)");
    /* Far beyond 1e150 / sqrt(df), where t^2 / df overflows: df 0.05's tail
     * is so heavy that P(|T| >= 1e308) is still ~3.5e-16 (x^-df law). */
    CHECK_NEAR(al_stats_t_p_two_sided(1e300, 0.05) / al_stats_t_p_two_sided(1e299, 0.05),
               pow(10, -0.05), 0, 1e-12, "power-law tail");
    CHECK_NEAR(al_stats_t_p_two_sided(0, 7), 1, 0, 1e-15, "p(0) = 1");
    /* The normal limit: P(|Z| >= 1.959963984540054) = 0.05. */
    CHECK_NEAR(al_stats_t_p_two_sided(1.959963984540054, INFINITY), 0.05, 0, 1e-13, "normal");
    CHECK(al_stats_t_p_two_sided(1e200, INFINITY) == 0 && al_stats_t_p_two_sided(1e200, 1e9) == 0 &&
              al_stats_t_p_two_sided(0, 1e9) == 1,
          "huge t, huge df");
    CHECK(al_stats_t_p_two_sided(INFINITY, 4) == 0 && al_stats_t_cdf(-INFINITY, 4) == 0 &&
              al_stats_t_cdf(INFINITY, 4) == 1,
          "infinite t");
    CHECK(isnan(al_stats_t_cdf(1, 0)) && isnan(al_stats_t_cdf(1, -2)) &&
              isnan(al_stats_t_cdf(NAN, 3)) && isnan(al_stats_t_p_two_sided(1, NAN)),
          "bad arguments give NaN");
}

static void test_t_quantile(void)
{
    CHECK_SECTION("t quantiles");
    /* Two-sided 95 % critical values as printed in t tables (e.g. NIST/SEMATECH
     * e-Handbook 1.3.6.7.2, to the table's 3 decimals; more digits from mpmath). */
    const struct {
        double df, prob, want;
    } table[] = {
        {1, 0.975, 12.706204736174705},   /* table: 12.706 */
        {2, 0.975, 4.3026527297494639},   /* 4.303 */
        {4, 0.975, 2.7764451051977944},   /* 2.776 */
        {10, 0.975, 2.2281388519862747},  /* 2.228 */
        {30, 0.975, 2.0422724563012383},  /* 2.042 */
        {10, 0.995, 3.1692726726169512},  /* 3.169 */
        {2, 0.95, 2.9199855803537257},    /* 2.920 */
        {1, 0.9, 3.0776835371752534},     /* 3.078 */
        {INFINITY, 0.975, 1.9599639845400542}, /* 1.960 */
        {2.5, 0.975, 3.5746548420036832},  /* fractional df: mpmath only */
        {0.5, 0.975, 164.55767348048853},
        {7.031, 0.975, 2.3625124079279342},
        {1e8, 0.975, 1.9599640082627668},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        double got = al_stats_t_quantile(table[i].prob, table[i].df);
        CHECK_NEAR(got, table[i].want, 0, 1e-10, "t_{%g, %g}", table[i].prob, table[i].df);
        CHECK(fabs(got - table[i].want) < 5e-4, "table digits");
        CHECK_NEAR(al_stats_t_quantile(1 - table[i].prob, table[i].df), -table[i].want, 0, 1e-10,
                   "lower tail, df %g", table[i].df);
    }
    /* The brief's values, to the digits given there. */
    CHECK_NEAR(al_stats_t_quantile(0.975, 4), 2.776445105, 1e-9, 0, "t_{0.975, 4}");
    CHECK_NEAR(al_stats_t_quantile(0.975, 1), 12.70620474, 1e-8, 0, "t_{0.975, 1}");
    CHECK_NEAR(al_stats_t_quantile(0.975, 30), 2.042272456, 1e-9, 0, "t_{0.975, 30}");
    CHECK_NEAR(al_stats_t_quantile(0.975, 1e12), 1.959963985, 1e-9, 0, "t_{0.975, 1e12}");
    /* Round trips, into the far tails. */
    const double dfs[] = {0.7, 1, 3, 9.5, 40, 1e5};
    const double probs[] = {1e-12, 1e-6, 0.01, 0.2, 0.49, 0.51, 0.8, 0.999};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++) {
            double t = al_stats_t_quantile(probs[j], dfs[i]);
            double back = probs[j] < 0.5 ? al_stats_t_cdf(t, dfs[i])
                                         : al_stats_t_p_two_sided(t, dfs[i]) / 2;
            double want = probs[j] < 0.5 ? probs[j] : 1 - probs[j];
            CHECK_NEAR(back, want, 0, 1e-10, "round trip p %g df %g", probs[j], dfs[i]);
        }
    CHECK(al_stats_t_quantile(0.5, 3) == 0, "median");
    CHECK(al_stats_t_quantile(1e-50, 0.05) == -INFINITY, "beyond the doubles: %g",
          al_stats_t_quantile(1e-50, 0.05));
    CHECK_NEAR(al_stats_t_quantile(1e-300, 1), -1 / (PI * 1e-300), 0, 1e-10,
               "Cauchy far tail: t ~ -1/(pi p)");
    CHECK(al_stats_t_quantile(0, 3) == -INFINITY && al_stats_t_quantile(1, 3) == INFINITY,
          "ends");
    CHECK(isnan(al_stats_t_quantile(1.2, 3)) && isnan(al_stats_t_quantile(0.9, 0)) &&
              isnan(al_stats_t_quantile(NAN, 3)),
          "bad arguments give NaN");
}

/* R's `sleep` data set (Cushny and Peebles, 1905), the t.test help page's example. */
static const double sleep1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
static const double sleep2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

static void test_mean_ci(void)
{
    CHECK_SECTION("mean and t interval");
    al_error err = {0};
    double mean = 0, lo = 0, hi = 0;
    /* R: t.test(sleep$extra[1:10]) prints t = 1.3257, df = 9, p-value = 0.2176,
     * 95 percent confidence interval -0.5297804 2.0297804, mean 0.75. */
    CHECK(al_stats_mean_ci(sleep1, 10, 0.95, &mean, &lo, &hi, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(mean, 0.75, 1e-15, 0, "mean");
    CHECK_NEAR(lo, -0.5297804, 5e-8, 0, "R's lower bound");
    CHECK_NEAR(hi, 2.0297804, 5e-8, 0, "R's upper bound");
    CHECK_NEAR(lo, -0.52978041352623256, 0, 1e-11, "lower bound (mpmath)");
    CHECK_NEAR(0.75 / al_stats_se(sleep1, 10), 1.3257, 5e-5, 0, "R's t");
    CHECK_NEAR(al_stats_t_p_two_sided(0.75 / al_stats_se(sleep1, 10), 9), 0.2176, 5e-5, 0,
               "R's p");
    /* {2,4,4,4,5,5,7,9}: 5 +- t_{0.975,7} sqrt(32/7/8) (mpmath). */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    CHECK(al_stats_mean_ci(x, 8, 0.95, &mean, &lo, &hi, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(lo, 3.2125120817637891, 0, 1e-12, "lower");
    CHECK_NEAR(hi, 6.7874879182362109, 0, 1e-12, "upper");
    /* Two values: the widest case, t_{0.975,1} * |x1 - x0| / 2. */
    const double two[] = {0.90, 0.92};
    CHECK(al_stats_mean_ci(two, 2, 0.95, &mean, &lo, &hi, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(hi - mean, 12.706204736174705 * 0.01, 0, 1e-10, "n = 2 half-width");

    CHECK(al_stats_mean_ci(x, 1, 0.95, &mean, &lo, &hi, &err) == AL_ERR_INVALID, "n = 1");
    CHECK(strcmp(err.message, "need at least 2 seeds for a confidence interval, got 1") == 0,
          "message: %s", err.message);
    CHECK(al_stats_mean_ci(x, 0, 0.95, &mean, &lo, &hi, &err) == AL_ERR_INVALID, "n = 0");
    CHECK(al_stats_mean_ci(x, 8, 1.0, &mean, &lo, &hi, &err) == AL_ERR_INVALID &&
              strstr(err.message, "level"),
          "level 1: %s", err.message);
    CHECK(al_stats_mean_ci(x, 8, 95, &mean, &lo, &hi, &err) == AL_ERR_INVALID, "level 95");
    const double bad[] = {1, NAN, 3};
    CHECK(al_stats_mean_ci(bad, 3, 0.95, &mean, &lo, &hi, &err) == AL_ERR_NUMERIC &&
              strstr(err.message, "value 1"),
          "NaN value: %s", err.message);
}

static void check_welch(const double *a, size_t na, const double *b, size_t nb,
                        const double *want /* diff se df t p lo hi */, const char *name)
{
    al_stats_welch w;
    al_error err = {0};
    CHECK(al_stats_welch_test(a, na, b, nb, 0.95, &w, &err) == AL_OK, "%s: %s", name,
          err.message);
    const double got[] = {w.diff, w.se, w.df, w.t, w.p, w.lo, w.hi};
    const char *what[] = {"diff", "se", "df", "t", "p", "lo", "hi"};
    for (int i = 0; i < 7; i++)
        CHECK_NEAR(got[i], want[i], 1e-13, 1e-10, "%s: %s", name, what[i]);
}

static void test_welch(void)
{
    CHECK_SECTION("Welch's t test");
    al_stats_welch w;
    al_error err = {0};
    /* R: t.test(extra ~ group, data = sleep) prints t = -1.8608, df = 17.776,
     * p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832. */
    CHECK(al_stats_welch_test(sleep1, 10, sleep2, 10, 0.95, &w, &err) == AL_OK, "%s",
          err.message);
    CHECK_NEAR(w.t, -1.8608, 5e-5, 0, "sleep t");
    CHECK_NEAR(w.df, 17.776, 5e-4, 0, "sleep df");
    CHECK_NEAR(w.p, 0.07939, 5e-6, 0, "sleep p");
    CHECK_NEAR(w.lo, -3.3654832, 5e-8, 0, "sleep lo");
    CHECK_NEAR(w.hi, 0.2054832, 5e-8, 0, "sleep hi");
    const double sleep_full[] = {-1.58, 0.84909101723876196, 17.77647351617849,
                                 -1.8608134674868531, 0.079394140187358138,
                                 -3.365483230711711, 0.20548323071171097};
    check_welch(sleep1, 10, sleep2, 10, sleep_full, "sleep (mpmath)");

    /* R: t.test(ts1, ts2) as printed in a Cross Validated answer: t = -1.8325,
     * df = 17.9, p-value = 0.08356, CI -2.1469104 0.1469104. */
    const double ts1[] = {11, 9, 10, 11, 10, 12, 9, 11, 12, 9};
    const double ts2[] = {11, 13, 10, 13, 12, 9, 11, 12, 12, 11};
    CHECK(al_stats_welch_test(ts1, 10, ts2, 10, 0.95, &w, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(w.t, -1.8325, 5e-5, 0, "ts t");
    CHECK_NEAR(w.df, 17.9, 5e-2, 0, "ts df");
    CHECK_NEAR(w.p, 0.08356, 5e-6, 0, "ts p");
    CHECK_NEAR(w.lo, -2.1469104, 5e-8, 0, "ts lo");
    CHECK_NEAR(w.hi, 0.1469104, 5e-8, 0, "ts hi");

    /* Wikipedia, "Student's t-test", worked example (unequal variances): the
     * screws. se ~ 0.04849, df ~ 7.031, t ~ 1.959, two-tailed p = 0.09077. */
    const double s1[] = {30.02, 29.99, 30.11, 29.97, 30.01, 29.99};
    const double s2[] = {29.89, 29.93, 29.72, 29.98, 30.02, 29.98};
    const double screws[] = {0.095, 0.048493985881412828, 7.0305599598843143,
                             1.9590058081081015, 0.090773324285666888,
                             -0.019569089646042089, 0.20956908964604209};
    CHECK(al_stats_welch_test(s1, 6, s2, 6, 0.95, &w, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(w.se, 0.04849, 5e-6, 0, "screws se");
    CHECK_NEAR(w.df, 7.031, 5e-4, 0, "screws df");
    CHECK_NEAR(w.t, 1.959, 5e-4, 0, "screws t");
    CHECK_NEAR(w.p, 0.09077, 5e-6, 0, "screws p");
    check_welch(s1, 6, s2, 6, screws, "screws (mpmath)");

    /* Swapping the groups negates the difference and keeps p. */
    al_stats_welch swapped;
    CHECK(al_stats_welch_test(s2, 6, s1, 6, 0.95, &swapped, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(swapped.diff, -w.diff, 1e-15, 0, "swap diff");
    CHECK_NEAR(swapped.lo, -w.hi, 1e-14, 0, "swap interval");
    CHECK_NEAR(swapped.p, w.p, 0, 1e-14, "swap p");

    /* Zero variance. */
    const double c1[] = {0.9, 0.9, 0.9}, c2[] = {0.9, 0.9, 0.9, 0.9, 0.9};
    const double c3[] = {0.8, 0.8, 0.8, 0.8};
    CHECK(al_stats_welch_test(c1, 3, c2, 5, 0.95, &w, &err) == AL_OK, "%s", err.message);
    CHECK(w.p == 1 && w.t == 0 && w.diff == 0 && w.lo == 0 && w.hi == 0 && w.df == 6,
          "identical constants: p %g t %g df %g", w.p, w.t, w.df);
    CHECK(al_stats_welch_test(c1, 3, c3, 4, 0.95, &w, &err) == AL_OK, "%s", err.message);
    CHECK(w.p == 0 && isinf(w.t) && w.t > 0 && !isnan(w.lo) && !isnan(w.df),
          "different constants: p %g t %g", w.p, w.t);
    CHECK_NEAR(w.diff, 0.1, 1e-15, 0, "different constants' diff");
    /* One constant group: df is the other group's n - 1. */
    CHECK(al_stats_welch_test(c1, 3, s1, 6, 0.95, &w, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(w.df, 5, 0, 1e-12, "df of one varying group");
    CHECK(isfinite(w.p) && isfinite(w.lo), "finite");

    CHECK(al_stats_welch_test(s1, 1, s2, 6, 0.95, &w, &err) == AL_ERR_INVALID &&
              strstr(err.message, "at least 2"),
          "n = 1: %s", err.message);
    const double huge[] = {1e200, -1e200};
    CHECK(al_stats_welch_test(s1, 6, huge, 2, 0.95, &w, &err) == AL_ERR_NUMERIC,
          "overflowing variance");
    const double inf_value[] = {1, INFINITY};
    CHECK(al_stats_welch_test(s1, 6, inf_value, 2, 0.95, &w, &err) == AL_ERR_NUMERIC,
          "infinite value");
}

static void test_permutation(void)
{
    CHECK_SECTION("permutation test");
    al_stats_perm r;
    al_error err = {0};
    /* {1,2,3} vs {4,5,6}: of C(6,3) = 20 splits only the observed one and its
     * mirror reach |diff| = 3: p = 2/20. */
    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    CHECK(al_stats_permutation_test(a, 3, b, 3, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.exact && r.splits == 20 && r.extreme == 2, "splits %llu extreme %llu",
          (unsigned long long)r.splits, (unsigned long long)r.extreme);
    CHECK_NEAR(r.p, 0.1, 0, 1e-15, "p");
    CHECK_NEAR(r.diff, -3, 0, 1e-15, "diff");
    /* The same in tenths: the mirror split's difference is rounded otherwise
     * and must still count as a tie. */
    const double at[] = {0.1, 0.2, 0.3}, bt[] = {0.4, 0.5, 0.6};
    CHECK(al_stats_permutation_test(at, 3, bt, 3, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(r.p, 0.1, 0, 1e-15, "p with float ties");
    /* {1,2} vs {3,4}: the differences of the 6 splits are -2,-1,0,0,1,2: p = 2/6. */
    const double a2[] = {1, 2}, b2[] = {3, 4};
    CHECK(al_stats_permutation_test(a2, 2, b2, 2, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(r.p, 1.0 / 3, 0, 1e-15, "p of {1,2} vs {3,4}");
    /* {1} vs {2,3,4}: 1-3 = -2, 2-8/3, 3-7/3, 4-2 = 2: p = 2/4; and the larger
     * group first gives the same p with the sign of diff flipped. */
    const double one[] = {1}, three[] = {2, 3, 4};
    CHECK(al_stats_permutation_test(one, 1, three, 3, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.splits == 4 && r.extreme == 2, "unequal sizes: %llu of %llu",
          (unsigned long long)r.extreme, (unsigned long long)r.splits);
    CHECK(al_stats_permutation_test(three, 3, one, 1, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.splits == 4 && r.extreme == 2 && r.diff == 2, "larger group first");
    /* No difference at all: every split ties, p = 1. */
    CHECK(al_stats_permutation_test(a, 3, a, 3, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.p == 1, "identical groups: p %g", r.p);

    /* Two 1s among n zeros, split k/k, both 1s in the first group: the splits
     * as extreme are those keeping both 1s together, 2 C(n-2, k-2) / C(n, k) =
     * 2 k (k-1) / (n (n-1)). n = 20: exact enumeration of 184756 splits. */
    double x[26] = {0};
    x[0] = x[1] = 1;
    CHECK(al_stats_permutation_test(x, 10, x + 10, 10, 0, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.exact && r.splits == 184756, "C(20, 10) splits: %llu", (unsigned long long)r.splits);
    CHECK_NEAR(r.p, 2.0 * 10 * 9 / (20 * 19), 0, 1e-12, "exact p, 20 values");
    /* n = 26: C(26, 13) = 10400600 > the exact limit, Monte Carlo with 1e5
     * draws: standard error sqrt(p(1-p)/1e5) ~ 0.0016. */
    CHECK(al_stats_permutation_test(x, 13, x + 13, 13, 42, &r, &err) == AL_OK, "%s",
          err.message);
    CHECK(!r.exact && r.splits == AL_STATS_PERM_DRAWS + 1, "Monte Carlo splits %llu",
          (unsigned long long)r.splits);
    CHECK_NEAR(r.p, 2.0 * 13 * 12 / (26 * 25), 0.008, 0, "Monte Carlo p, 26 values");
    al_stats_perm again;
    CHECK(al_stats_permutation_test(x, 13, x + 13, 13, 42, &again, &err) == AL_OK, "%s",
          err.message);
    CHECK(again.extreme == r.extreme, "the same seed gives the same p");
    /* Completely separated groups of 13: only 2 of 10400600 splits are as
     * extreme, so p is (1 + hits) / (1e5 + 1) with very few hits. */
    double sep[26];
    for (int i = 0; i < 26; i++)
        sep[i] = i;
    CHECK(al_stats_permutation_test(sep, 13, sep + 13, 13, 7, &r, &err) == AL_OK, "%s",
          err.message);
    CHECK(r.p > 0 && r.p <= 3.0 / (AL_STATS_PERM_DRAWS + 1), "separated: p %g", r.p);

    CHECK(al_stats_permutation_test(a, 0, b, 3, 0, &r, &err) == AL_ERR_INVALID, "empty group");
    const double nan_value[] = {1, NAN};
    CHECK(al_stats_permutation_test(nan_value, 2, b, 3, 0, &r, &err) == AL_ERR_NUMERIC,
          "NaN value");
}

static void test_holm(void)
{
    CHECK_SECTION("Holm");
    al_error err = {0};
    /* Wikipedia, "Holm-Bonferroni method", example: p = 0.01, 0.04, 0.03, 0.005;
     * sorted 0.005, 0.01, 0.03, 0.04 are scaled by 4, 3, 2, 1 to 0.02, 0.03,
     * 0.06, 0.04 -> running maximum 0.02, 0.03, 0.06, 0.06. */
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    const double want[] = {0.03, 0.06, 0.06, 0.02};
    double adj[4];
    CHECK(al_stats_holm(p, 4, adj, &err) == AL_OK, "%s", err.message);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(adj[i], want[i], 0, 1e-15, "Wikipedia example %d", i);
    /* Monotone: the third is raised to the second's 0.04. */
    double q[] = {0.01, 0.02, 0.025};
    CHECK(al_stats_holm(q, 3, q, &err) == AL_OK, "%s", err.message); /* in place */
    CHECK_NEAR(q[0], 0.03, 0, 1e-15, "q0");
    CHECK_NEAR(q[1], 0.04, 0, 1e-15, "q1");
    CHECK_NEAR(q[2], 0.04, 0, 1e-15, "q2 monotone");
    /* Capped at 1; ties get the same value; one p-value is unchanged. */
    const double big[] = {0.6, 0.5, 0.5};
    CHECK(al_stats_holm(big, 3, adj, &err) == AL_OK, "%s", err.message);
    CHECK(adj[0] == 1 && adj[1] == 1 && adj[2] == 1, "cap: %g %g %g", adj[0], adj[1], adj[2]);
    const double ties[] = {0.01, 0.01, 0.2};
    CHECK(al_stats_holm(ties, 3, adj, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(adj[0], 0.03, 0, 1e-15, "tie 0");
    CHECK_NEAR(adj[1], 0.03, 0, 1e-15, "tie 1");
    CHECK_NEAR(adj[2], 0.2, 0, 1e-15, "after ties");
    const double single = 0.037;
    CHECK(al_stats_holm(&single, 1, adj, &err) == AL_OK && adj[0] == 0.037, "m = 1");
    CHECK(al_stats_holm(p, 0, adj, &err) == AL_OK, "m = 0");
    const double bad[] = {0.2, 1.5};
    CHECK(al_stats_holm(bad, 2, adj, &err) == AL_ERR_INVALID && strstr(err.message, "1.5"),
          "p > 1: %s", err.message);
    const double nan_p[] = {NAN};
    CHECK(al_stats_holm(nan_p, 1, adj, &err) == AL_ERR_INVALID, "NaN p");
}

/* A seed whose accuracy first reaches 0.9 at `epoch` (0: never) of `run`. */
static al_stats_ttt seed_reaching(size_t epoch, size_t run)
{
    double values[64];
    for (size_t i = 0; i < run; i++)
        values[i] = epoch && i + 1 >= epoch ? 0.95 : 0.5;
    al_stats_ttt t;
    al_error err = {0};
    CHECK(al_stats_time_to_target(values, NULL, run, 0.9, AL_STATS_AT_LEAST, &t, &err) == AL_OK,
          "%s", err.message);
    return t;
}

static void test_time_to_target(void)
{
    CHECK_SECTION("time to target");
    al_error err = {0};
    al_stats_ttt t;
    /* Loss down to 0.5, with NaN (a diverged epoch) on the way: epoch 4. */
    const double loss[] = {2.0, 1.0, NAN, 0.5, 0.4, 0.6};
    const double secs[] = {1.5, 1.0, 1.0, 1.25, 1.0, 1.0};
    CHECK(al_stats_time_to_target(loss, secs, 6, 0.5, AL_STATS_AT_MOST, &t, &err) == AL_OK, "%s",
          err.message);
    CHECK(t.reached && t.epoch == 4 && t.epochs_run == 6, "loss reached at %zu", t.epoch);
    CHECK(t.has_seconds && t.seconds == 4.75 && t.seconds_run == 6.75, "seconds %g of %g",
          t.seconds, t.seconds_run);
    CHECK(al_stats_time_to_target(loss, NULL, 6, 0.3, AL_STATS_AT_MOST, &t, &err) == AL_OK &&
              !t.reached && t.epoch == 0 && t.epochs_run == 6 && !t.has_seconds,
          "censored");
    const double nan_curve[] = {NAN, NAN};
    CHECK(al_stats_time_to_target(nan_curve, NULL, 2, 0.9, AL_STATS_AT_LEAST, &t, &err) == AL_OK &&
              !t.reached,
          "NaN never reaches");
    const double neg[] = {1, -1};
    CHECK(al_stats_time_to_target(loss, neg, 2, 0.5, AL_STATS_AT_MOST, &t, &err) ==
              AL_ERR_NUMERIC,
          "negative seconds");
    CHECK(al_stats_time_to_target(loss, NULL, 2, NAN, AL_STATS_AT_MOST, &t, &err) ==
              AL_ERR_INVALID,
          "NaN target");

    al_stats_ttt_summary s;
    char text[96];
    /* All reached at 3, 4, 4, 5, 6: the ordinary median 4. */
    al_stats_ttt all[] = {seed_reaching(4, 10), seed_reaching(3, 10), seed_reaching(6, 10),
                          seed_reaching(4, 10), seed_reaching(5, 10)};
    CHECK(al_stats_ttt_summarize(all, 5, &s, &err) == AL_OK, "%s", err.message);
    CHECK(s.median_known && s.median_epochs == 4 && s.reached == 5 && s.min_epochs == 3 &&
              s.max_epochs == 6,
          "all reached: median %g", s.median_epochs);
    al_stats_format_ttt(&s, 0, text, sizeof text);
    CHECK(strcmp(text, "4.0 [3–6]") == 0, "text: %s", text);
    al_stats_format_ttt(&s, 1, text, sizeof text);
    CHECK(strcmp(text, "n/a") == 0, "no seconds: %s", text);
    /* Even count, no censoring: KM gives the midpoint, as the ordinary median. */
    CHECK(al_stats_ttt_summarize(all, 4, &s, &err) == AL_OK && s.median_known &&
              s.median_epochs == 4,
          "{4,3,6,4}: median 4, got %g", s.median_epochs);
    al_stats_ttt even[] = {seed_reaching(3, 10), seed_reaching(4, 10), seed_reaching(5, 10),
                           seed_reaching(6, 10)};
    CHECK(al_stats_ttt_summarize(even, 4, &s, &err) == AL_OK && s.median_epochs == 4.5,
          "{3,4,5,6}: median %g", s.median_epochs);
    /* None reached. */
    al_stats_ttt none[] = {seed_reaching(0, 10), seed_reaching(0, 10), seed_reaching(0, 10)};
    CHECK(al_stats_ttt_summarize(none, 3, &s, &err) == AL_OK, "%s", err.message);
    CHECK(!s.median_known && s.reached == 0 && s.median_epochs == 10, "none reached");
    al_stats_format_ttt(&s, 0, text, sizeof text);
    CHECK(strcmp(text, "censored (0/3 reached)") == 0, "text: %s", text);
    /* Mixed, 3 of 5 reached at 2, 5, 7: S = 4/5, 3/5, 2/5 -> median 7. */
    al_stats_ttt mixed[] = {seed_reaching(5, 10), seed_reaching(0, 10), seed_reaching(2, 10),
                            seed_reaching(7, 10), seed_reaching(0, 10)};
    CHECK(al_stats_ttt_summarize(mixed, 5, &s, &err) == AL_OK, "%s", err.message);
    CHECK(s.median_known && s.median_epochs == 7 && s.reached == 3, "mixed: median %g",
          s.median_epochs);
    al_stats_format_ttt(&s, 0, text, sizeof text);
    CHECK(strcmp(text, "7.0 [2–7] (3/5 reached)") == 0, "text: %s", text);
    /* 2 of 5 reached: the median is censored. */
    mixed[2] = seed_reaching(0, 10);
    CHECK(al_stats_ttt_summarize(mixed, 5, &s, &err) == AL_OK, "%s", err.message);
    CHECK(!s.median_known && s.reached == 2, "2 of 5");
    al_stats_format_ttt(&s, 0, text, sizeof text);
    CHECK(strcmp(text, "censored (2/5 reached)") == 0, "text: %s", text);
    /* Exactly half reached and the rest never: the curve rests at 1/2 with no
     * later event, so the median is not known (ordinary median (5 + inf)/2). */
    al_stats_ttt half[] = {seed_reaching(3, 10), seed_reaching(5, 10), seed_reaching(0, 10),
                           seed_reaching(0, 10)};
    CHECK(al_stats_ttt_summarize(half, 4, &s, &err) == AL_OK && !s.median_known,
          "half reached: known %d, %g", s.median_known, s.median_epochs);
    /* Runs stopped early are censored at their own end (by hand): events at 4,
     * 5, 6, two runs stopped after epoch 1. At 4, 3 at risk: S = 2/3; at 5:
     * S = 1/3 -> median 5 (counting the stopped runs as "never" would give 6). */
    al_stats_ttt early[] = {seed_reaching(0, 1), seed_reaching(4, 10), seed_reaching(0, 1),
                            seed_reaching(6, 10), seed_reaching(5, 10)};
    CHECK(al_stats_ttt_summarize(early, 5, &s, &err) == AL_OK && s.median_known &&
              s.median_epochs == 5,
          "early-stopped runs: median %g", s.median_epochs);

    /* Seconds: each seed's own epoch times. */
    const double acc[] = {0.5, 0.8, 0.91, 0.93};
    const double fast[] = {2, 2, 2, 2}, slow[] = {4, 4, 4, 4}, mid[] = {3, 3, 3, 3};
    al_stats_ttt timed[3];
    CHECK(al_stats_time_to_target(acc, fast, 4, 0.9, AL_STATS_AT_LEAST, &timed[0], &err) ==
                  AL_OK &&
              al_stats_time_to_target(acc, slow, 4, 0.9, AL_STATS_AT_LEAST, &timed[1], &err) ==
                  AL_OK &&
              al_stats_time_to_target(acc, mid, 4, 0.9, AL_STATS_AT_LEAST, &timed[2], &err) ==
                  AL_OK,
          "%s", err.message);
    CHECK(al_stats_ttt_summarize(timed, 3, &s, &err) == AL_OK, "%s", err.message);
    CHECK(s.has_seconds && s.median_seconds_known && s.median_seconds == 9 &&
              s.min_seconds == 6 && s.max_seconds == 12,
          "seconds median %g [%g, %g]", s.median_seconds, s.min_seconds, s.max_seconds);
    al_stats_format_ttt(&s, 1, text, sizeof text);
    CHECK(strcmp(text, "9 s [6–12]") == 0, "text: %s", text);

    al_stats_ttt broken = seed_reaching(3, 10);
    broken.epoch = 11;
    CHECK(al_stats_ttt_summarize(&broken, 1, &s, &err) == AL_ERR_INVALID, "epoch after the run");
    CHECK(al_stats_ttt_summarize(all, 0, &s, &err) == AL_ERR_INVALID, "no seeds");
}

static void test_format(void)
{
    CHECK_SECTION("formatting");
    char text[64];
    al_stats_format_mean_ci(0.91234, 0.00421, -1, text, sizeof text);
    CHECK(strcmp(text, "0.9123 ± 0.0042") == 0, "auto decimals: %s", text);
    al_stats_format_mean_ci(0.91234, 0.0421, -1, text, sizeof text);
    CHECK(strcmp(text, "0.912 ± 0.042") == 0, "auto decimals: %s", text);
    al_stats_format_mean_ci(123.4, 42, -1, text, sizeof text);
    CHECK(strcmp(text, "123 ± 42") == 0, "auto decimals: %s", text);
    al_stats_format_mean_ci(0.5, 0.25, 2, text, sizeof text);
    CHECK(strcmp(text, "0.50 ± 0.25") == 0, "fixed decimals: %s", text);
    al_stats_format_mean_ci(0.5, NAN, 2, text, sizeof text);
    CHECK(strcmp(text, "0.50 ± n/a") == 0, "no interval: %s", text);
    al_stats_format_mean_ci(NAN, 0.1, 2, text, sizeof text);
    CHECK(strcmp(text, "n/a") == 0, "no mean: %s", text);
    al_stats_format_p(0.0321, text, sizeof text);
    CHECK(strcmp(text, "p = 0.032") == 0, "%s", text);
    al_stats_format_p(0.00099, text, sizeof text);
    CHECK(strcmp(text, "p < 0.001") == 0, "%s", text);
    al_stats_format_p(0, text, sizeof text);
    CHECK(strcmp(text, "p < 0.001") == 0, "%s", text);
    al_stats_format_p(1, text, sizeof text);
    CHECK(strcmp(text, "p = 1.000") == 0, "%s", text);
    al_stats_format_p(NAN, text, sizeof text);
    CHECK(strcmp(text, "p = n/a") == 0, "%s", text);
    char tiny[6];
    al_stats_format_p(0.5, tiny, sizeof tiny);
    CHECK(strcmp(tiny, "p = 0") == 0, "truncated safely: %s", tiny);
}

int main(void)
{
    test_descriptive();
    test_beta_inc();
    test_t_cdf();
    test_t_quantile();
    test_mean_ci();
    test_welch();
    test_permutation();
    test_holm();
    test_time_to_target();
    test_format();
    return check_summary("test_stats");
}
