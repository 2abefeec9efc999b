/* actlab study: the verdict functions on fixed synthetic results (each
 * wording: differs, no effect that matters, inconclusive at this budget with
 * what could be detected, nothing detectable, identical; Supported, Not
 * supported, mixed, Inconclusive), the seeds a family needs, the closed-form
 * Gaussian moments the studies rely on, the catalogue, and the CLI's list and
 * bad input. No training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "actlab/study.h"
#include "check.h"

/* A comparison as al_stats_family would give it, filled by hand. */
static al_stats_comparison cmp(double mean, double sd, double adj_lo, double adj_hi, double p_holm, double mde)
{
    al_stats_comparison c;
    memset(&c, 0, sizeof c);
    c.n = 10;
    c.mean = mean;
    c.sd = sd;
    c.t_lo = mean - 0.002;
    c.t_hi = mean + 0.002;
    c.p = p_holm / 4;
    c.p_holm = p_holm;
    c.divisor = 4;
    c.adj_lo = adj_lo;
    c.adj_hi = adj_hi;
    c.min_p = 2.0 / 1024;
    c.mde = mde;
    c.significant = p_holm < 0.05;
    return c;
}

static void test_findings(void)
{
    CHECK_SECTION("one comparison in words");
    char out[2048];
    al_stats_comparison differs = cmp(0.006, 0.003, 0.001, 0.011, 0.012, 0.004);
    CHECK(al_study_finding(&differs, 0.01) == AL_FINDING_DIFFERENT, "significant");
    al_study_finding_text("GELU() vs ReLU()", &differs, 0.01, 100, "points", 4, out, sizeof out);
    CHECK(strstr(out, "GELU() vs ReLU(): +0.60 points (Holm-adjusted CI [+0.10, +1.10]; paired t 95 % CI [+0.40, "
                      "+0.80], unadjusted; sign-flip p = 0.003, Holm p = 0.012) — **differs**") != NULL, "%s", out);
    al_stats_comparison none = cmp(0.001, 0.003, -0.004, 0.006, 0.62, 0.0045);
    CHECK(al_study_finding(&none, 0.01) == AL_FINDING_NO_EFFECT, "could have detected 1 point");
    al_study_finding_text("ELU() vs ReLU()", &none, 0.01, 100, "points", 4, out, sizeof out);
    CHECK(strstr(out, "— no difference of 1.00 points or more (could detect >= 0.45 points)") != NULL, "%s", out);
    al_stats_comparison open = cmp(0.002, 0.01, -0.01, 0.014, 0.7, 0.018);
    CHECK(al_study_finding(&open, 0.01) == AL_FINDING_INCONCLUSIVE, "could not");
    al_study_finding_text("SiLU() vs ReLU()", &open, 0.01, 100, "points", 4, out, sizeof out);
    CHECK(strstr(out, "— inconclusive at this budget (could detect >= 1.80 points)") != NULL, "%s", out);
    al_stats_comparison blind = cmp(0.02, 0.01, -INFINITY, INFINITY, 1, INFINITY);
    blind.n = 5;
    blind.min_p = 2.0 / 32;
    al_study_finding_text("SELU() vs ReLU()", &blind, 0.01, 100, "points", 6, out, sizeof out);
    CHECK(strstr(out, "Holm-adjusted CI [-inf, +inf]") != NULL &&
              strstr(out, "inconclusive at this budget (nothing could be detected: 5 seeds give p >= 0.0625, and "
                          "Holm over 6 needs p < 0.00833)") != NULL, "%s", out);
    al_stats_comparison same = cmp(0, 0, 0, 0, 1, 0);
    CHECK(al_study_finding(&same, 0.01) == AL_FINDING_IDENTICAL, "identical");
    al_study_finding_text("kink 1 vs 0", &same, 0.01, 100, "points", 2, out, sizeof out);
    CHECK(strstr(out, "identical in every one of 10 seeds") != NULL, "%s", out);

    CHECK(al_study_seeds_needed(1, 0.05) == 6, "one comparison: 2/64 < 0.05 <= 2/32");
    CHECK(al_study_seeds_needed(6, 0.05) == 8, "six: 2/256 < 0.0083 <= 2/128");
    CHECK(al_study_seeds_needed(20, 0.05) == 10, "twenty: 2/1024 < 0.0025 <= 2/512");
}

static void test_claims(void)
{
    CHECK_SECTION("a claim's verdict from fixed results");
    char out[8192];
    al_claim_item items[3] = {{"GELU() vs ReLU(), accuracy", +1, 0.01, 100, "points"},
                              {"SiLU() vs ReLU(), accuracy", +1, 0.01, 100, "points"},
                              {"LeakyReLU() vs ReLU(), accuracy", 0, 0.01, 100, "points"}};
    al_stats_comparison c[3] = {cmp(0.006, 0.003, 0.001, 0.011, 0.012, 0.004), cmp(0.001, 0.003, -0.004, 0.006, 0.62,
                                0.0045), cmp(-0.02, 0.003, -0.03, -0.01, 0.001, 0.004)};
    al_verdict v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED && strstr(out, "**Supported** at p < 0.05 after Holm over 3 comparisons: GELU() "
                                               "vs ReLU(), accuracy higher by 0.60 points.") != NULL, "%s", out);
    CHECK(strstr(out, "LeakyReLU() vs ReLU(), accuracy: -2.00 points") != NULL, "reported items are listed: %s", out);
    /* the claimed direction reversed: the significant one is against it */
    items[0].direction = -1;
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "**Not supported**: the opposite holds") != NULL, "%s", out);
    /* for and against: mixed */
    items[0].direction = +1;
    items[2].direction = +1;
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "**Not supported as stated** (mixed") != NULL, "%s", out);
    /* nothing significant, each could have detected 1 point: not supported */
    items[2].direction = 0;
    c[0] = cmp(0.001, 0.003, -0.004, 0.006, 0.5, 0.004);
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    /* the third, descriptive (direction 0), differs: the wording must not say none does */
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "**Not supported**: none of the 2 comparisons bearing on the "
                                                       "claim differs, and each could have detected") != NULL,
          "%s", out);
    /* with every comparison bearing on the claim */
    items[2].direction = +1;
    c[2] = cmp(0.001, 0.003, -0.004, 0.006, 0.5, 0.004);
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "**Not supported**: no comparison differs, and each could "
                                                       "have detected") != NULL, "%s", out);
    /* one could not: inconclusive, with the largest detectable effect */
    c[1] = cmp(0.004, 0.01, -0.01, 0.02, 0.4, 0.021);
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_INCONCLUSIVE && strstr(out, "**Inconclusive at this budget** (could detect >= 2.10 points; "
                                                      "1.00 points would matter)") != NULL, "%s", out);
    /* too few seeds for anything */
    c[1] = cmp(0.004, 0.01, -INFINITY, INFINITY, 1, INFINITY);
    c[1].n = 5;
    c[1].min_p = 2.0 / 32;
    v = al_study_verdict_claim(items, c, 3, out, sizeof out);
    CHECK(v == AL_VERDICT_INCONCLUSIVE && strstr(out, "nothing could be detected: 5 seeds give p >= 0.0625") != NULL,
          "%s", out);
    CHECK(strstr(out, "nan") == NULL, "no NaN printed: %s", out);
}

static void test_verdict_selu_vanishing(void)
{
    CHECK_SECTION("verdicts on SELU and vanishing gradients");
    const char *inits[3] = {"lecun-normal", "glorot", "kaiming-normal"};
    const int expect[3] = {1, 1, 0};
    const double in_mean[2] = {0, 1}, in_var[2] = {0.5, 1};
    double mean[6] = {0.01, -0.02, 0.02, 0.03, -0.03, -0.03}, var[6] = {1.01, 0.98, 0.99, 1.02, 0.03, 0.03};
    char out[4096];
    al_verdict v = al_study_verdict_selu(inits, 3, expect, in_mean, in_var, 2, mean, var, 64, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "(0, 0.5) → (0.010, 1.010)") != NULL && strstr(out, "After 64 layers") != NULL, "%s", out);
    var[1] = 1.5; /* lecun drifts from the mean-1 input */
    v = al_study_verdict_selu(inits, 3, expect, in_mean, in_var, 2, mean, var, 64, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED, "kind %d: %s", (int)v, out);

    CHECK(al_study_gradient_regime(-3, -2, 10) == AL_GRADIENT_VANISHES, "below -1");
    CHECK(al_study_gradient_regime(1.5, 2, 10) == AL_GRADIENT_EXPLODES, "above +1");
    CHECK(al_study_gradient_regime(-0.5, 0.5, 10) == AL_GRADIENT_STABLE, "inside");
    CHECK(al_study_gradient_regime(-1.5, -0.5, 10) == AL_GRADIENT_UNDETERMINED, "straddles");
    const char *acts[2] = {"Sigmoid()", "ReLU()"};
    const int sat[2] = {1, 0};
    double m[2] = {-7.9, 0.05}, lo[2] = {-8.0, -0.06}, hi[2] = {-7.8, 0.16}, pred[2] = {-7.84, 0};
    v = al_study_verdict_vanishing(acts, sat, m, lo, hi, pred, 2, 10, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED && strstr(out, "**Sigmoid()** -7.90 [-8.00, -7.80] (mean field -7.84): vanishes") !=
          NULL, "%s", out);
    m[0] = 0.6, lo[0] = 0.5, hi[0] = 0.7;
    v = al_study_verdict_vanishing(acts, sat, m, lo, hi, pred, 2, 10, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "Sigmoid() neither vanishes nor explodes (the claim says it "
                                                       "vanishes)") != NULL, "%s", out);
    lo[0] = -1.5;
    v = al_study_verdict_vanishing(acts, sat, m, lo, hi, pred, 2, 10, out, sizeof out);
    CHECK(v == AL_VERDICT_INCONCLUSIVE, "an interval across the threshold: %s", out);
}

/* Closed forms under z ~ N(0, 1): E[ReLU] = 1/sqrt(2 pi), E[ReLU^2] = 1/2;
 * ELU(alpha): E = 1/sqrt(2 pi) + alpha (e^(1/2) Phi(-1) - 1/2),
 * E[f^2] = 1/2 + alpha^2 (e^2 Phi(-2) - 2 e^(1/2) Phi(-1) + 1/2); SELU =
 * lambda ELU(alpha) with its constants: mean 0 and second moment 1 (its
 * defining fixed point); sigmoid' <= 1/4 with equality at 0. */
static void test_prelu_he(void)
{
    CHECK_SECTION("PReLU's coefficients against He et al. (2015)");
    char out[4096];
    const double cw[4] = {0.52, 0.31, 0.24, 0.18}, cs[4] = {0.61, 0.12, 0.2, 0.09};
    /* first layer above the deeper ones in both forms, and the channel-wise trend down: as they report */
    al_stats_comparison first_cw = cmp(0.27, 0.05, 0.2, 0.34, 0.002, 0.04);
    al_stats_comparison first_cs = cmp(0.47, 0.06, 0.38, 0.56, 0.002, 0.05);
    al_stats_comparison trend_cw = cmp(-0.1, 0.02, -0.13, -0.07, 0.002, 0.008);
    al_study_prelu_he_text(cw, cs, 4, 1, &first_cw, &first_cs, &trend_cw, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "the first conv layer learned 0.681 (channel-shared) and 0.596 (channel-wise, mean over "
                      "channels), \"significantly greater than 0\"") != NULL &&
              strstr(out, "\"for the channel-wise version, the deeper conv layers in general have smaller "
                          "coefficients\"") != NULL, "their statements, quoted: %s", out);
    CHECK(strstr(out, "channel-wise (mean over channels): 0.520, 0.310, 0.240, 0.180.") != NULL &&
              strstr(out, "channel-shared: 0.610, 0.120, 0.200, 0.090.") != NULL, "the learned values: %s", out);
    CHECK(strstr(out, "First layer minus the deeper layers' mean, channel-wise: +0.270, **as they report**.") != NULL &&
              strstr(out, "channel-shared: +0.470, **as they report**.") != NULL &&
              strstr(out, "(least-squares slope): -0.100 per layer, **as they report**.") != NULL, "%s", out);
    CHECK(strstr(out, "not conv layers") == NULL, "conv layers: %s", out);
    /* the trend up, significantly: the opposite; the shared form could have shown 0.05 and did not */
    trend_cw = cmp(0.06, 0.02, 0.03, 0.09, 0.01, 0.008);
    first_cs = cmp(0.01, 0.03, -0.02, 0.04, 0.6, 0.03);
    al_study_prelu_he_text(cw, cs, 4, 1, &first_cw, &first_cs, &trend_cw, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "(least-squares slope): +0.060 per layer, **the opposite of their report**.") != NULL, "%s", out);
    CHECK(strstr(out, "channel-shared: +0.010, **not as they report** (no difference of 0.050 or more).") != NULL,
          "%s", out);
    /* too few seeds to tell: undecided, with what could be detected */
    first_cw = cmp(0.2, 0.3, -0.1, 0.5, 0.3, 0.31);
    al_study_prelu_he_text(cw, cs, 4, 1, &first_cw, NULL, NULL, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "channel-wise: +0.200, **undecided at this budget** (could detect >= 0.310).") != NULL &&
              strstr(out, "least-squares") == NULL, "untested points are left out: %s", out);
    first_cw = cmp(0.2, 0.3, -INFINITY, INFINITY, 1, INFINITY);
    al_study_prelu_he_text(cw, cs, 4, 1, &first_cw, NULL, NULL, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "**undecided at this budget** (nothing could be detected with 10 seeds)") != NULL, "%s", out);
    /* coefficients that barely left 0.25: too little training to test where they settle */
    const double still[4] = {0.27, 0.262, 0.263, 0.231};
    first_cw = cmp(0.008, 0.01, -0.003, 0.016, 0.1, 0.012);
    trend_cw = cmp(0.0, 0.001, -0.001, 0.001, 1, 0.001);
    first_cs = cmp(0.47, 0.06, 0.38, 0.56, 0.002, 0.05);
    al_study_prelu_he_text(still, cs, 4, 1, &first_cw, &first_cs, &trend_cw, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "channel-wise: +0.008, **undecided at this budget**: the layers' mean coefficients moved at "
                      "most 0.020 from their initial 0.25, too little training to show where they settle.") != NULL &&
              strstr(out, "(least-squares slope): +0.000 per layer, **undecided at this budget**: the layers' mean "
                          "coefficients moved at most 0.020") != NULL &&
              strstr(out, "channel-shared: +0.470, **as they report**.") != NULL &&
              strstr(out, "not as they report") == NULL, "%s", out);
    /* an MLP: numbers only, and why their statements do not apply directly */
    al_study_prelu_he_text(NULL, cs, 4, 0, NULL, NULL, NULL, 0.05, 0.01, out, sizeof out);
    CHECK(strstr(out, "These layers are not conv layers") != NULL && strstr(out, "channel-wise (mean") == NULL &&
              strstr(out, "The first layer's 0.610 is above the deeper layers' mean 0.137.") != NULL &&
              strstr(out, "as they report") == NULL, "%s", out);
    CHECK(strstr(out, "nan") == NULL, "no NaN printed: %s", out);
}

static void test_gaussian_moments(void)
{
    CHECK_SECTION("closed-form Gaussian moments");
    const double pi = 3.14159265358979323846;
    al_act relu, elu, selu, sigmoid;
    al_act_parse("ReLU()", &relu, NULL);
    al_act_parse("ELU(alpha=0.7)", &elu, NULL);
    al_act_parse("SELU()", &selu, NULL);
    al_act_parse("Sigmoid()", &sigmoid, NULL);
    al_gauss_moments m;
    al_error err = {0};
    CHECK(al_gauss_moments_of(&relu, 0, 1, &m, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(m.mean, 1 / sqrt(2 * pi), 1e-10, 0, "E[ReLU(z)]");
    CHECK_NEAR(m.second, 0.5, 1e-10, 0, "E[ReLU(z)^2]");
    CHECK_NEAR(m.deriv_mean, 0.5, 1e-10, 0, "E[ReLU'(z)]");
    double phi1 = 0.5 * erfc(1 / sqrt(2.0)), phi2 = 0.5 * erfc(2 / sqrt(2.0)), a = 0.7;
    CHECK(al_gauss_moments_of(&elu, 0, 1, &m, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(m.mean, 1 / sqrt(2 * pi) + a * (exp(0.5) * phi1 - 0.5), 1e-10, 0, "E[ELU(z)]");
    CHECK_NEAR(m.second, 0.5 + a * a * (exp(2.0) * phi2 - 2 * exp(0.5) * phi1 + 0.5), 1e-10, 0, "E[ELU(z)^2]");
    CHECK(al_gauss_moments_of(&selu, 0, 1, &m, &err) == AL_OK, "%s", err.message);
    double lambda = 1.0507009873554805, alpha = 1.6732632423543772;
    double elu_mean = 1 / sqrt(2 * pi) + alpha * (exp(0.5) * phi1 - 0.5);
    double elu_second = 0.5 + alpha * alpha * (exp(2.0) * phi2 - 2 * exp(0.5) * phi1 + 0.5);
    CHECK_NEAR(m.mean, lambda * elu_mean, 1e-10, 0, "E[SELU(z)] (closed form)");
    CHECK_NEAR(m.second, lambda * lambda * elu_second, 1e-10, 0, "E[SELU(z)^2] (closed form)");
    CHECK_NEAR(m.mean, 0, 1e-6, 0, "SELU's fixed point: mean 0");
    CHECK_NEAR(m.second, 1, 1e-6, 0, "SELU's fixed point: second moment 1");
    /* a shifted, scaled Gaussian: E[ReLU(x)], x ~ N(mu, s^2) = mu Phi(mu/s) + s phi(mu/s) */
    double mu = 0.3, s = 1.7;
    CHECK(al_gauss_moments_of(&relu, mu, s * s, &m, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(m.mean, mu * 0.5 * erfc(-mu / s / sqrt(2.0)) + s * exp(-0.5 * mu * mu / (s * s)) / sqrt(2 * pi), 1e-10,
               0, "E[ReLU(x)], x ~ N(0.3, 1.7^2)");
    double top = 0, y, d;
    for (int i = -4000; i <= 4000; i++) {
        al_act_eval_f64(&sigmoid, i * 0.005, 0, &y, &d);
        top = fmax(top, d);
    }
    al_act_eval_f64(&sigmoid, 0, 0, &y, &d);
    CHECK(top <= 0.25 && d == 0.25, "sigmoid' <= 1/4 (max %.17g), equal at 0", top);
    CHECK(al_gauss_moments_of(&relu, 0, 0, &m, &err) == AL_ERR_INVALID, "variance 0 refused");
}

static void test_catalogue(void)
{
    CHECK_SECTION("catalogue");
    CHECK(al_study_count() == 10, "%zu studies", al_study_count());
    for (size_t i = 0; i < al_study_count(); i++) {
        const al_study *s = al_study_at(i);
        CHECK(s->name && s->question && s->protocol && s->quick && s->full && s->run, "study %zu complete", i);
        CHECK(s->published && strchr(s->published, '"') && strstr(s->published, "("),
              "%s names its published claim, quoted, with its source", s->name);
        CHECK(al_study_find(s->name, NULL) == s, "find %s", s->name);
    }
    al_error err = {0};
    CHECK(al_study_find("dead-unit", &err) == NULL, "unknown");
    CHECK(strstr(err.message, "'dead-units'") != NULL, "%s", err.message);
}

/* Runs the CLI with args in dir; returns its exit status; stdout/stderr into files there. */
static int cli(const char *dir, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >stdout.txt 2>stderr.txt", dir, AL_CLI, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *data = NULL;
    size_t n = 0;
    if (al_file_read_all(path, 1 << 20, &data, &n, NULL) != AL_OK)
        return strdup("");
    return data;
}

static void test_cli(void)
{
    CHECK_SECTION("cli");
    char dir[] = "/tmp/actlab-test-study-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    static const char *const names[10] = {"consistency", "kink", "dead-units", "dead-units-conv", "smoothness",
                                          "leaky-prelu-depth", "leaky-prelu-depth-conv", "zero-centering", "vanishing",
                                          "selu-fixed-point"};
    int rc = cli(dir, "study list");
    char *out = slurp(dir, "stdout.txt");
    CHECK(rc == 0, "study list exit %d", rc);
    for (int i = 0; i < 10; i++)
        CHECK(strstr(out, names[i]) != NULL, "list names %s", names[i]);
    free(out);

    rc = cli(dir, "study smothness");
    char *errs = slurp(dir, "stderr.txt");
    CHECK(rc == 2, "unknown study exit %d", rc);
    CHECK(strstr(errs, "no study 'smothness'") != NULL && strstr(errs, "'smoothness'") != NULL, "%s", errs);
    free(errs);

    rc = cli(dir, "study");
    CHECK(rc == 2, "no name exit %d", rc);
    rc = cli(dir, "study kink --seeds 1");
    CHECK(rc == 2, "--seeds 1 exit %d", rc);

    /* a report folder under a regular file: refused before any training (no job folder appears) */
    char path[4096];
    snprintf(path, sizeof path, "%s/file.txt", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "create %s", path);
    if (f)
        fclose(f);
    rc = cli(dir, "study kink --report file.txt/report --out jobs");
    errs = slurp(dir, "stderr.txt");
    CHECK(rc != 0, "unwritable report exit %d", rc);
    CHECK(strstr(errs, "file.txt/report") != NULL, "message names the folder: %s", errs);
    CHECK(strstr(errs, "loading Fashion-MNIST") == NULL && strstr(errs, "== study") == NULL,
          "nothing ran: %s", errs);
    snprintf(path, sizeof path, "%s/jobs", dir);
    struct stat st;
    CHECK(stat(path, &st) != 0, "no job folder was made");
    free(errs);

    char cleanup[4200];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    CHECK(system(cleanup) == 0, "cleanup");
}

int main(void)
{
    test_findings();
    test_claims();
    test_verdict_selu_vanishing();
    test_prelu_he();
    test_gaussian_moments();
    test_catalogue();
    test_cli();
    return check_summary("test_study");
}
