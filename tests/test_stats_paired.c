/* Paired statistics against independent values: R's printed t.test(paired =
 * TRUE) output for the sleep data, and scipy / brute force for the rest
 * (tests/fixtures/stats/paired.inc, made by scripts/make_stats_fixtures.py:
 * the t test with scipy.stats, the sign-flip p by enumerating every pattern
 * in Python, its interval from a closed form over subset means, Holm by its
 * definition, the power at the minimum detectable effect from the
 * noncentral t). Properties checked directly: an interval excludes 0 exactly
 * when its test rejects, and a simulation reaches the stated power. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/rng.h"
#include "actlab/stats.h"
#include "check.h"
#include "fixtures/stats/paired.inc"

#define N_FIXTURES (sizeof paired_fixtures / sizeof paired_fixtures[0])

static double scale_of(const paired_fixture *f)
{
    double s = 0;
    for (size_t i = 0; i < f->n; i++)
        s = fmax(s, fabs(f->d[i]));
    return s;
}

static void test_paired_t(void)
{
    CHECK_SECTION("paired t");
    /* R: t.test(extra ~ group, data = sleep, paired = TRUE) prints
     * t = -4.0621, df = 9, p-value = 0.002833, 95 percent CI -2.4598858 -0.7001142,
     * mean difference -1.58 */
    al_stats_paired_t t;
    al_error err = {0};
    const paired_fixture *sleep = &paired_fixtures[0];
    CHECK(al_stats_paired_t_test(sleep->d, sleep->n, 0.95, &t, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(t.t, -4.0621, 5e-5, 0, "sleep t");
    CHECK(t.df == 9, "df %g", t.df);
    CHECK_NEAR(t.p, 0.002833, 5e-7, 0, "sleep p");
    CHECK_NEAR(t.lo, -2.4598858, 5e-8, 0, "sleep lower");
    CHECK_NEAR(t.hi, -0.7001142, 5e-8, 0, "sleep upper");
    CHECK_NEAR(t.mean, -1.58, 1e-12, 0, "sleep mean");
    for (size_t i = 0; i < N_FIXTURES; i++) {
        const paired_fixture *f = &paired_fixtures[i];
        CHECK(al_stats_paired_t_test(f->d, f->n, 0.95, &t, &err) == AL_OK, "%s", err.message);
        CHECK_NEAR(t.t, f->t, 0, 1e-10, "%s: t", f->name);
        CHECK_NEAR(t.p, f->p_t, 0, 1e-9, "%s: p", f->name);
        CHECK_NEAR(t.lo, f->t_lo, 1e-12 * scale_of(f), 1e-10, "%s: lower", f->name);
        CHECK_NEAR(t.hi, f->t_hi, 1e-12 * scale_of(f), 1e-10, "%s: upper", f->name);
    }
    const double same[4] = {0.01, 0.01, 0.01, 0.01}, zeros[3] = {0, 0, 0};
    CHECK(al_stats_paired_t_test(same, 4, 0.95, &t, NULL) == AL_OK && t.p == 0 && t.lo == 0.01 && t.hi == 0.01,
          "constant non-zero differences: p %g [%g, %g]", t.p, t.lo, t.hi);
    CHECK(al_stats_paired_t_test(zeros, 3, 0.95, &t, NULL) == AL_OK && t.p == 1 && t.lo == 0 && t.hi == 0,
          "all-zero differences: p %g", t.p);
    const double bad[2] = {1, NAN};
    CHECK(al_stats_paired_t_test(bad, 2, 0.95, &t, &err) == AL_ERR_NUMERIC && strstr(err.message, "difference 1"),
          "NaN refused: %s", err.message);
    CHECK(al_stats_paired_t_test(same, 1, 0.95, &t, &err) == AL_ERR_INVALID, "one pair refused");
}

static void test_sign_flip(void)
{
    CHECK_SECTION("sign-flip test and its interval");
    al_error err = {0};
    for (size_t i = 0; i < N_FIXTURES; i++) {
        const paired_fixture *f = &paired_fixtures[i];
        al_stats_sign_flip s;
        CHECK(al_stats_sign_flip_test(f->d, f->n, 1, &s, &err) == AL_OK, "%s", err.message);
        CHECK(s.exact && s.patterns == (uint64_t)1 << f->n, "%s: exact over 2^%zu", f->name, f->n);
        CHECK_NEAR(s.p, f->p_flip, 1e-15, 0, "%s: p (brute force)", f->name);
        double lo, hi, tol = 1e-8 * scale_of(f);
        CHECK(al_stats_sign_flip_interval(f->d, f->n, 0.05, 1, &lo, &hi, &err) == AL_OK, "%s", err.message);
        CHECK_NEAR(lo, f->lo05, tol, 0, "%s: lower at 0.05", f->name);
        CHECK_NEAR(hi, f->hi05, tol, 0, "%s: upper at 0.05", f->name);
        CHECK(al_stats_sign_flip_interval(f->d, f->n, 0.01, 1, &lo, &hi, &err) == AL_OK, "%s", err.message);
        CHECK_NEAR(lo, f->lo01, tol, 0, "%s: lower at 0.01", f->name);
        CHECK_NEAR(hi, f->hi01, tol, 0, "%s: upper at 0.01", f->name);
        /* the interval never contradicts the test, at any level */
        const double levels[6] = {0.2, 0.1, 0.05, 0.02, 0.01, 0.005};
        for (int k = 0; k < 6; k++) {
            al_stats_sign_flip_interval(f->d, f->n, levels[k], 1, &lo, &hi, NULL);
            int excludes = lo > 0 || hi < 0;
            CHECK(excludes == (s.p < levels[k]), "%s at %g: p %g, interval [%g, %g]", f->name, levels[k], s.p, lo,
                  hi);
        }
    }
    CHECK_NEAR(al_stats_sign_flip_min_p(5), 1.0 / 16, 0, 1e-15, "2/2^5");
    CHECK_NEAR(al_stats_sign_flip_min_p(10), 1.0 / 512, 0, 1e-15, "2/2^10");
    /* all differences of one sign: complete separation gives exactly the minimum */
    const double up[6] = {0.1, 0.3, 0.2, 0.5, 0.4, 0.6};
    al_stats_sign_flip s;
    CHECK(al_stats_sign_flip_test(up, 6, 1, &s, NULL) == AL_OK && s.p == al_stats_sign_flip_min_p(6),
          "complete separation: p %g", s.p);

    /* beyond 20 pairs, Monte Carlo: +-1 differences have a binomial answer.
     * 15 of 22 positive: observed sum 8, p = P(B >= 15) + P(B <= 7), B ~ Bin(22, 1/2) */
    double d[22];
    for (int i = 0; i < 22; i++)
        d[i] = i < 15 ? 1 : -1;
    double tail = 0, c = 1; /* C(22, k) */
    for (int k = 0; k <= 22; k++) {
        if (k <= 7 || k >= 15)
            tail += c;
        c = c * (22 - k) / (k + 1);
    }
    double want = tail / 4194304.0;
    CHECK(al_stats_sign_flip_test(d, 22, 3, &s, &err) == AL_OK && !s.exact, "%s", err.message);
    double se = sqrt(want * (1 - want) / AL_STATS_PERM_DRAWS);
    CHECK_NEAR(s.p, want, 4 * se, 0, "Monte Carlo p against the binomial tail");
    double lo, hi;
    CHECK(al_stats_sign_flip_interval(d, 22, 0.05, 3, &lo, &hi, &err) == AL_OK, "%s", err.message);
    CHECK((lo > 0 || hi < 0) == (s.p < 0.05), "Monte Carlo interval agrees with its test: p %g [%g, %g]", s.p, lo, hi);
}

static void test_family(void)
{
    CHECK_SECTION("a family: Holm, adjusted intervals, minimum detectable effects");
    const double *diffs[N_FIXTURES];
    size_t n[N_FIXTURES];
    for (size_t i = 0; i < N_FIXTURES; i++) {
        diffs[i] = paired_fixtures[i].d;
        n[i] = paired_fixtures[i].n;
    }
    al_stats_comparison out[N_FIXTURES];
    al_error err = {0};
    CHECK(al_stats_family(diffs, n, N_FIXTURES, 0.05, 0.8, 1, out, &err) == AL_OK, "%s", err.message);
    double p[N_FIXTURES], divisor[N_FIXTURES];
    for (size_t i = 0; i < N_FIXTURES; i++) {
        const paired_fixture *f = &paired_fixtures[i];
        const al_stats_comparison *c = &out[i];
        p[i] = c->p;
        CHECK_NEAR(c->p, f->p_flip, 1e-15, 0, "%s: raw p", f->name);
        CHECK_NEAR(c->p_holm, family_p_holm[i], 1e-15, 1e-12, "%s: Holm", f->name);
        CHECK(c->divisor == family_divisor[i], "%s: divisor %g, want %g", f->name, c->divisor, family_divisor[i]);
        double tol = 1e-8 * scale_of(f);
        CHECK_NEAR(c->adj_lo, family_interval[2 * i], tol, 0, "%s: adjusted lower", f->name);
        CHECK_NEAR(c->adj_hi, family_interval[2 * i + 1], tol, 0, "%s: adjusted upper", f->name);
        CHECK((c->adj_lo > 0 || c->adj_hi < 0) == c->significant && c->significant == (c->p_holm < 0.05),
              "%s: interval [%g, %g] and p_Holm %g agree", f->name, c->adj_lo, c->adj_hi, c->p_holm);
        CHECK_NEAR(c->mde, family_mde[i], 0, 1e-9, "%s: minimum detectable effect", f->name);
        CHECK_NEAR(c->t_lo, f->t_lo, 1e-12 * scale_of(f), 1e-10, "%s: unadjusted t interval", f->name);
        CHECK_NEAR(c->min_p, al_stats_sign_flip_min_p(f->n), 0, 1e-15, "%s: min p", f->name);
    }
    CHECK(al_stats_holm_divisors(p, N_FIXTURES, 0.05, divisor, &err) == AL_OK, "%s", err.message);
    for (size_t i = 0; i < N_FIXTURES; i++)
        CHECK(divisor[i] == family_divisor[i], "divisor %zu", i);
    /* the printed-interval complaint of issue 12: a Welch-style unadjusted
     * interval away from 0 beside "no significant difference" cannot happen:
     * the sleep data are significant alone, yet not at Holm over 6 with 5 seeds */
    CHECK(!out[1].significant && isinf(out[1].mde) && isinf(out[1].adj_lo),
          "5 seeds in a family of 6 can show nothing: mde %g", out[1].mde);
}

static void test_power(void)
{
    CHECK_SECTION("minimum detectable effect and its power");
    for (size_t n = 2; n <= 12; n++)
        CHECK_NEAR(al_stats_paired_mde(1, n, 0.05, 0.8), mde_unit_sd[n - 2], 0, 1e-10, "n %zu", n);
    CHECK_NEAR(al_stats_paired_mde(0.02, 10, 0.05, 0.8), 0.02 * mde_unit_sd[8], 0, 1e-10, "scales with sd");
    CHECK(isnan(al_stats_paired_mde(1, 1, 0.05, 0.8)), "one pair: NaN");
    /* simulate: true mean difference = the MDE, sd 1, n 10; the t test rejects
     * at 0.05 in about power_at_mde_10 (0.799) of the draws */
    al_rng rng;
    al_rng_seed(&rng, 12);
    double delta = al_stats_paired_mde(1, 10, 0.05, 0.8), d[10];
    int draws = 20000, rejected = 0;
    for (int k = 0; k < draws; k++) {
        for (int i = 0; i < 10; i++)
            d[i] = delta + al_rng_normal(&rng);
        al_stats_paired_t t;
        al_stats_paired_t_test(d, 10, 0.95, &t, NULL);
        rejected += t.p < 0.05;
    }
    double rate = (double)rejected / draws, se = sqrt(power_at_mde_10 * (1 - power_at_mde_10) / draws);
    CHECK_NEAR(rate, power_at_mde_10, 4 * se, 0, "simulated power at the MDE");
}

int main(void)
{
    test_paired_t();
    test_sign_flip();
    test_family();
    test_power();
    return check_summary("test_stats_paired");
}
