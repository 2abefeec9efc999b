/* actlab study: the verdict functions on fixed synthetic numbers (a
 * significant and a non-significant case each, and the cases seeds cannot
 * decide), the catalogue, and the CLI's list and bad input. No training. */
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

static al_arm_summary arm(double acc, double diff, double lo, double hi, double p_holm)
{
    al_arm_summary s;
    memset(&s, 0, sizeof s);
    s.ok = 5;
    s.acc_mean = acc;
    s.acc_lo = acc - 0.004;
    s.acc_hi = acc + 0.004;
    s.diff = diff;
    s.diff_lo = lo;
    s.diff_hi = hi;
    s.p = p_holm;
    s.p_holm = p_holm;
    s.ttt.seeds = 5;
    s.ttt.reached = 5;
    s.ttt.median_known = 1;
    s.ttt.median_epochs = 3;
    return s;
}

static void test_verdict_arms(void)
{
    CHECK_SECTION("verdict of a comparison");
    const char *names[3] = {"ReLU()", "ELU()", "GELU()"};
    char out[2048];
    /* significant: ELU higher by 1.20 points, p 0.016 after Holm */
    al_arm_summary s[3] = {arm(0.8500, NAN, NAN, NAN, NAN), arm(0.8620, 0.0120, 0.0060, 0.0180, 0.016),
                           arm(0.8510, 0.0010, -0.0040, 0.0060, 0.69)};
    s[0].ttt.median_epochs = 4;
    al_verdict v = al_study_verdict_arms(names, s, 3, 0, 5, 0.85, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "Significant difference") != NULL, "%s", out);
    CHECK(strstr(out, "ELU() higher by 1.20 points") != NULL, "%s", out);
    CHECK(strstr(out, "ELU() 86.20 %") != NULL, "%s", out);
    CHECK(strstr(out, "+1.20 points [+0.60, +1.80], p = 0.016 Holm") != NULL, "%s", out);
    CHECK(strstr(out, "GELU() 85.10 % (+0.10 points [-0.40, +0.60], p = 0.690 Holm)") != NULL, "%s", out);
    CHECK(strstr(out, "Time to 85 % test accuracy") != NULL && strstr(out, "ReLU() 4 epochs") != NULL &&
              strstr(out, "ELU() 3 epochs") != NULL, "%s", out);
    CHECK(strstr(out, "GELU() higher") == NULL, "a non-significant arm is not named as different: %s", out);
    /* a significant arm that is worse says "lower" */
    s[1].diff = -0.0120;
    s[1].diff_lo = -0.0180;
    s[1].diff_hi = -0.0060;
    v = al_study_verdict_arms(names, s, 3, 0, 5, NAN, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED && strstr(out, "ELU() lower by 1.20 points") != NULL, "%s", out);
    CHECK(strstr(out, "Time to") == NULL, "no target, no time to target: %s", out);

    /* not significant over 5 seeds: both p_holm >= 0.05 */
    s[1] = arm(0.8540, 0.0040, -0.0020, 0.0100, 0.31);
    v = al_study_verdict_arms(names, s, 3, 0, 5, NAN, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "**No significant difference** from ReLU() over 5 seeds at p < 0.05 (Holm)") != NULL, "%s", out);
    CHECK(strstr(out, "+0.40 points [-0.20, +1.00], p = 0.310 Holm") != NULL, "%s", out);

    /* 3 seeds can never give p < 0.05 (the smallest is 0.1) */
    v = al_study_verdict_arms(names, s, 3, 0, 3, NAN, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_INCONCLUSIVE, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "Inconclusive") != NULL && strstr(out, "3 seeds") != NULL, "%s", out);

    /* unreached target */
    s[2].ttt.median_known = 0;
    s[2].ttt.reached = 2;
    v = al_study_verdict_arms(names, s, 3, 0, 5, 0.9, 0.05, out, sizeof out);
    CHECK(strstr(out, "GELU() not reached by half the seeds (2/5)") != NULL, "%s", out);

    /* an arm whose seeds all failed is named as such, and the baseline's failures too */
    s[2].ok = 0;
    s[2].acc_mean = s[2].p_holm = NAN;
    s[0].ok = 4;
    v = al_study_verdict_arms(names, s, 3, 0, 5, NAN, 0.05, out, sizeof out);
    CHECK(strstr(out, "GELU(): 5 of 5 seeds failed") != NULL && strstr(out, "ReLU(): 1 of 5 seeds failed") != NULL,
          "%s", out);
    CHECK(strstr(out, "nan") == NULL, "no NaN printed: %s", out);

    CHECK_NEAR(al_study_min_p(5), 2.0 / 252, 1e-15, 1e-12, "min p with 5 seeds");
    CHECK_NEAR(al_study_min_p(3), 0.1, 1e-15, 1e-12, "min p with 3 seeds");
}

static void test_verdict_dead(void)
{
    CHECK_SECTION("verdict on dead units");
    const char *names[3] = {"ReLU()", "LeakyReLU()", "ELU()"};
    /* ReLU loses 6-8 % in every seed, the others none: significant (p = 2/252 each, Holm 0.016) */
    double dead[15] = {0.06, 0.07, 0.08, 0.065, 0.075, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    char out[2048];
    al_verdict v = al_study_verdict_dead(names, dead, 3, 5, 0, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "ReLU() 7.0 %") != NULL && strstr(out, "LeakyReLU() 0.0 %") != NULL, "%s", out);
    CHECK(strstr(out, "p = 0.016") != NULL, "%s", out);
    /* ELU as bad as ReLU: not significant against it */
    for (int s = 0; s < 5; s++)
        dead[10 + s] = dead[s];
    v = al_study_verdict_dead(names, dead, 3, 5, 0, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "ELU() p = 1.000") != NULL, "%s", out);
    /* almost nothing dies */
    for (int s = 0; s < 15; s++)
        dead[s] = s < 5 ? 0.001 : 0;
    v = al_study_verdict_dead(names, dead, 3, 5, 0, 0.05, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "Few ReLU units died") != NULL, "%s", out);
}

static void test_verdict_selu_vanishing(void)
{
    CHECK_SECTION("verdicts on SELU and vanishing gradients");
    const char *inits[2] = {"lecun-normal", "kaiming-normal"};
    const double vars[2] = {0.5, 2};
    double mean[4] = {0.01, -0.02, -0.03, -0.03}, var[4] = {1.01, 0.98, 0.03, 0.03};
    char out[2048];
    al_verdict v = al_study_verdict_selu(inits, 2, 0, vars, 2, mean, var, 64, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED, "kind %d: %s", (int)v, out);
    CHECK(strstr(out, "0.5 → (0.010, 1.010)") != NULL && strstr(out, "After 64 layers") != NULL, "%s", out);
    var[1] = 1.5; /* lecun drifts from input variance 2 */
    v = al_study_verdict_selu(inits, 2, 0, vars, 2, mean, var, 64, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED, "kind %d: %s", (int)v, out);

    const char *acts[2] = {"Sigmoid()", "ReLU()"};
    const int sat[2] = {1, 0};
    double ratio[2] = {1e-6, 0.8};
    v = al_study_verdict_vanishing(acts, sat, ratio, 2, 21, out, sizeof out);
    CHECK(v == AL_VERDICT_SUPPORTED && strstr(out, "Sigmoid() 1e-06") != NULL, "%s", out);
    ratio[0] = 0.5;
    v = al_study_verdict_vanishing(acts, sat, ratio, 2, 21, out, sizeof out);
    CHECK(v == AL_VERDICT_NOT_SUPPORTED && strstr(out, "Sigmoid() keeps 0.5") != NULL, "%s", out);
}

static void test_catalogue(void)
{
    CHECK_SECTION("catalogue");
    CHECK(al_study_count() == 8, "%zu studies", al_study_count());
    for (size_t i = 0; i < al_study_count(); i++) {
        const al_study *s = al_study_at(i);
        CHECK(s->name && s->question && s->protocol && s->quick && s->full && s->run, "study %zu complete", i);
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
    static const char *const names[8] = {"consistency", "kink", "dead-units", "smoothness", "leaky-prelu-depth",
                                         "zero-centering", "vanishing", "selu-fixed-point"};
    int rc = cli(dir, "study list");
    char *out = slurp(dir, "stdout.txt");
    CHECK(rc == 0, "study list exit %d", rc);
    for (int i = 0; i < 8; i++)
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
    test_verdict_arms();
    test_verdict_dead();
    test_verdict_selu_vanishing();
    test_catalogue();
    test_cli();
    return check_summary("test_study");
}
