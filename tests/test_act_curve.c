/* The curve sampler (act plot's and the studies'): every sample is the
 * float64 reference's value in eval mode; each kink inside the range is
 * present, exactly, with a break and a sample on each side; the values at
 * and around a kink are the reference's; RReLU is drawn at its mean slope and
 * PReLU at its initial one (not as ReLU); bad ranges are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "act_check.h"
#include "check.h"

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Every activation at its defaults (required parameters 0.5) and a few with
 * parameters, on ranges that hold all, some or none of the kinks. */
static void test_samples_are_the_reference(void)
{
    static const char *const extra[] = {"Hardtanh(min_val=-2, max_val=3)", "Softshrink(lambd=0)",
                                        "ReLU(kink=0.5)", "Hardswish(kink=0)", "PReLU(init=-0.3)",
                                        "RReLU(lower=0.1, upper=0.5)", "Threshold(1, -1)", "ELU(alpha=2)"};
    static const double ranges[][2] = {{-7, 7}, {-4, 0.25}, {0.5, 2}, {-1, 1}};
    size_t n_specs = AL_ACT_COUNT + sizeof extra / sizeof extra[0];
    for (size_t s = 0; s < n_specs; s++) {
        al_act a;
        if (s < AL_ACT_COUNT) {
            al_act_default((al_act_id)s, &a);
            const al_act_info *info = al_act_info_of(a.id);
            for (int p = 0; p < info->n_params; p++)
                if (info->params[p].required)
                    a.param[p] = 0.5;
        } else {
            a = parse_or_die(extra[s - AL_ACT_COUNT]);
        }
        char name[128];
        al_act_format(&a, name, sizeof name);
        /* eval mode: PReLU's slope is its init, RReLU's NaN (its mean) */
        double slope = al_act_info_of(a.id)->learnable ? a.param[1] : NAN;
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            double lo = ranges[r][0], hi = ranges[r][1], tiny = (hi - lo) * 1e-9;
            size_t points = 97 + 10 * r;
            al_act_curve c;
            al_error err = {0};
            CHECK(al_act_sample_curve(&a, lo, hi, points, &c, &err) == AL_OK, "%s: %s", name, err.message);
            /* the kinks strictly inside, increasing */
            double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
            int nk = al_act_kinks(&a, where, deriv), inside = 0;
            for (int k = 0; k < nk; k++) {
                int repeat = 0;
                for (int j = 0; j < k; j++)
                    repeat |= where[j] == where[k];
                inside += where[k] > lo && where[k] < hi && !repeat;
            }
            CHECK(c.n_kinks == inside, "%s on [%g, %g]: %d kinks, want %d", name, lo, hi, c.n_kinks, inside);
            for (int k = 0; k < c.n_kinks; k++) {
                const al_act_curve_kink *q = &c.kinks[k];
                int listed = 0;
                for (int j = 0; j < nk; j++)
                    listed |= where[j] == q->x && deriv[j] == q->dy;
                CHECK(listed, "%s: kink at %g (f' %g) is not the table's", name, q->x, q->dy);
                CHECK(k == 0 || c.kinks[k - 1].x < q->x, "%s: kinks out of order", name);
                double y, d;
                al_act_eval_f64(&a, q->x, slope, &y, &d);
                CHECK(same(q->y, y) && same(q->dy, d), "%s: f, f' at the kink %g", name, q->x);
                al_act_eval_f64(&a, q->x - tiny, slope, &y, &d);
                CHECK(same(q->y_left, y) && same(q->dy_left, d), "%s: left of the kink %g", name, q->x);
                al_act_eval_f64(&a, q->x + tiny, slope, &y, &d);
                CHECK(same(q->y_right, y) && same(q->dy_right, d), "%s: right of the kink %g", name, q->x);
                /* the break: k - tiny, NaN, k + tiny, in that order */
                int found = 0;
                for (size_t i = 1; i + 1 < c.n; i++)
                    found |= isnan(c.x[i]) && c.x[i - 1] == q->x - tiny && c.x[i + 1] == q->x + tiny;
                CHECK(found, "%s on [%g, %g]: no break at the kink %g", name, lo, hi, q->x);
            }
            /* the grid, less what fell within tiny of a kink, plus 3 per kink */
            size_t breaks = 0, bad = 0;
            double last = -INFINITY;
            for (size_t i = 0; i < c.n; i++) {
                if (isnan(c.x[i])) {
                    breaks++;
                    bad += !isnan(c.y[i]) || !isnan(c.dy[i]);
                    continue;
                }
                double y, d;
                al_act_eval_f64(&a, c.x[i], slope, &y, &d);
                bad += !same(c.y[i], y) || !same(c.dy[i], d) || !(c.x[i] > last);
                last = c.x[i];
            }
            CHECK(bad == 0, "%s on [%g, %g]: %zu samples are not the reference's, or out of order", name, lo, hi, bad);
            CHECK(breaks == (size_t)c.n_kinks, "%s: %zu breaks for %d kinks", name, breaks, c.n_kinks);
            CHECK(c.n >= points && c.n <= points + 3 * (size_t)c.n_kinks, "%s: %zu samples from %zu points", name,
                  c.n, points);
            CHECK(c.x[0] == lo && c.x[c.n - 1] == hi, "%s: the curve spans [%g, %g]", name, c.x[0], c.x[c.n - 1]);
            al_act_curve_free(&c);
            CHECK(c.x == NULL && c.n == 0, "free clears the curve");
        }
    }
}

/* f' on x < 0, from the curve */
static double negative_side_slope(const char *spec)
{
    al_act a = parse_or_die(spec);
    al_act_curve c;
    CHECK(al_act_sample_curve(&a, -2, 2, 41, &c, NULL) == AL_OK, "%s sampled", spec);
    double d = NAN;
    for (size_t i = 0; i < c.n; i++)
        if (c.x[i] == -1)
            d = c.dy[i];
    CHECK(c.n_kinks == 1 && c.kinks[0].x == 0, "%s: one kink, at 0", spec);
    al_act_curve_free(&c);
    return d;
}

static void test_not_plotted_as_relu(void)
{
    /* RReLU in eval: the mean slope, (lower + upper)/2; not ReLU's 0 */
    CHECK_NEAR(negative_side_slope("RReLU()"), (1.0 / 8 + 1.0 / 3) / 2, 1e-15, 0, "RReLU's curve");
    CHECK_NEAR(negative_side_slope("RReLU(lower=0.1, upper=0.5)"), 0.3, 1e-15, 0, "RReLU's curve");
    /* PReLU: its initial slope */
    CHECK_NEAR(negative_side_slope("PReLU()"), 0.25, 0, 0, "PReLU's curve");
    CHECK_NEAR(negative_side_slope("PReLU(init=-0.3)"), -0.3, 0, 0, "PReLU's curve");
    CHECK_NEAR(negative_side_slope("ReLU()"), 0, 0, 0, "ReLU's curve");
}

/* The one-sided values show what jumps: Threshold's f, ReLU's and
 * Hardswish's f' (hand values from the formulas). */
static void test_jumps(void)
{
    al_act a = parse_or_die("Threshold(1, -1)");
    al_act_curve c;
    CHECK(al_act_sample_curve(&a, -3, 3, 61, &c, NULL) == AL_OK && c.n_kinks == 1, "Threshold sampled");
    CHECK(c.kinks[0].x == 1 && c.kinks[0].y == -1 && c.kinks[0].y_left == -1, "Threshold: f = value up to 1");
    CHECK_NEAR(c.kinks[0].y_right, 1, 1e-8, 0, "Threshold: f = x just right of 1");
    CHECK(c.kinks[0].dy_left == 0 && c.kinks[0].dy_right == 1 && c.kinks[0].dy == 0, "Threshold: f' 0 | 1");
    al_act_curve_free(&c);

    a = parse_or_die("Hardswish()");
    CHECK(al_act_sample_curve(&a, -4, 4, 81, &c, NULL) == AL_OK && c.n_kinks == 2, "Hardswish sampled");
    CHECK(c.kinks[0].x == -3 && c.kinks[0].dy == -0.5 && c.kinks[0].dy_left == 0, "Hardswish at -3");
    CHECK_NEAR(c.kinks[0].dy_right, -0.5, 1e-8, 0, "Hardswish just right of -3");
    CHECK(c.kinks[1].x == 3 && c.kinks[1].dy == 1.5 && c.kinks[1].dy_right == 1, "Hardswish at 3");
    CHECK_NEAR(c.kinks[1].dy_left, 1.5, 1e-8, 0, "Hardswish just left of 3");
    al_act_curve_free(&c);

    a = parse_or_die("ReLU(kink=0.5)");
    CHECK(al_act_sample_curve(&a, -1, 1, 20, &c, NULL) == AL_OK && c.n_kinks == 1, "ReLU(kink=0.5) sampled");
    CHECK(c.kinks[0].dy == 0.5 && c.kinks[0].dy_left == 0 && c.kinks[0].dy_right == 1, "ReLU(kink=0.5) at 0");
    al_act_curve_free(&c);

    /* a kink on the range's edge is not inside it */
    a = parse_or_die("ReLU()");
    CHECK(al_act_sample_curve(&a, 0, 1, 11, &c, NULL) == AL_OK && c.n_kinks == 0 && c.n == 11, "ReLU on [0, 1]");
    al_act_curve_free(&c);
    a = parse_or_die("GELU()");
    CHECK(al_act_sample_curve(&a, -1, 1, 11, &c, NULL) == AL_OK && c.n_kinks == 0 && c.n == 11, "GELU: smooth");
    al_act_curve_free(&c);
}

static void test_refused(void)
{
    al_act a = parse_or_die("ReLU()");
    al_act_curve c;
    static const double bad[][2] = {{1, 1}, {2, 1}, {NAN, 1}, {-INFINITY, 1}, {0, INFINITY}, {-1e308, 1e308}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        al_error err = {0};
        CHECK(al_act_sample_curve(&a, bad[i][0], bad[i][1], 10, &c, &err) == AL_ERR_INVALID &&
                  strstr(err.message, "lo < hi") && c.x == NULL,
              "range [%g, %g] refused: '%s'", bad[i][0], bad[i][1], err.message);
    }
    al_error err = {0};
    CHECK(al_act_sample_curve(&a, -1, 1, 1, &c, &err) == AL_ERR_INVALID && strstr(err.message, "at least 2"),
          "one point refused: '%s'", err.message);
    al_act_curve_free(&c);
}

int main(void)
{
    CHECK_SECTION("samples");
    test_samples_are_the_reference();
    CHECK_SECTION("RReLU and PReLU");
    test_not_plotted_as_relu();
    CHECK_SECTION("jumps");
    test_jumps();
    CHECK_SECTION("refused");
    test_refused();
    return check_summary("test_act_curve");
}
