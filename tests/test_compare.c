/* actlab compare end to end on a tiny synthetic problem: every job runs and
 * is summarised; a parallel run equals a sequential one bit for bit; a re-run
 * skips finished jobs, and any change to what determines a result (the
 * data's content, the split, the model, init, optimiser, every
 * hyperparameter, seeds, epochs, measurements) recomputes it; a diverging arm
 * is counted (worst score, never reaching the target) while the others
 * complete; a comparison where every job fails is an error; the model is
 * checked against the data first; learning-rate tuning never reads the test
 * set; bad input is refused clearly. More in test_compare_key.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actlab/actlab.h"
#include "actlab/compare.h"
#include "check.h"
#include "study/study_internal.h"

static al_dataset *blobs(size_t n, uint64_t seed)
{
    al_dataset *ds = NULL;
    size_t shape[1] = {4};
    al_error err = {0};
    CHECK(al_dataset_create("blobs", n, 1, shape, &ds, &err) == AL_OK, "%s", err.message);
    al_rng rng;
    al_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 3);
        for (size_t k = 0; k < 4; k++)
            al_dataset_x_mut(ds)[i * 4 + k] = (float)(al_rng_normal(&rng) + (k == i % 3 ? 1.5 : 0));
    }
    CHECK(al_dataset_check_labels(ds, 3, &err) == AL_OK, "%s", err.message);
    return ds;
}

static const char *acts[2] = {"ReLU()", "Tanh()"};

static al_compare *make(const char *dir, int jobs, const double *lrs, size_t n_lrs)
{
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    f.in = 4;
    f.width = 8;
    f.classes = 3;
    f.acts = acts;
    f.n_acts = 2;
    f.lrs = lrs;
    f.n_lrs = n_lrs;
    al_compare_options o = al_compare_options_default();
    o.seeds = 3;
    o.epochs = 3;
    o.batch = 16;
    o.optim.lr = 0.1;
    o.jobs = jobs;
    o.dir = dir;
    o.target = 0.6;
    o.quiet = 1;
    al_compare *c = NULL;
    al_error err = {0};
    CHECK(al_compare_create(&f, &o, &c, &err) == AL_OK, "%s", err.message);
    return c;
}

static time_t mtime(const char *dir, const char *name)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/jobs/%s", dir, name);
    return stat(p, &st) == 0 ? st.st_mtime : 0;
}

int main(void)
{
    char root[] = "/tmp/actlab_compare_XXXXXX";
    if (!mkdtemp(root))
        return 1;
    char d1[600], d2[600], d3[600];
    snprintf(d1, sizeof d1, "%s/par", root);
    snprintf(d2, sizeof d2, "%s/seq", root);
    snprintf(d3, sizeof d3, "%s/fail", root);
    al_dataset *train = blobs(240, 1), *test = blobs(90, 2);
    al_error err = {0};

    CHECK_SECTION("two arms x three seeds, in parallel and in sequence");
    al_compare *par = make(d1, 2, NULL, 0), *seq = make(d2, 1, NULL, 0);
    CHECK(par && al_compare_arm_count(par) == 2, "two arms");
    CHECK(al_compare_run(par, train, test, &err) == AL_OK, "%s", err.message);
    CHECK(al_compare_run(seq, train, test, &err) == AL_OK, "%s", err.message);
    for (size_t arm = 0; arm < 2; arm++) {
        const al_arm_summary *S = al_compare_summary(par, arm);
        CHECK(S->ok == 3, "arm %zu: %zu seeds finished", arm, S->ok);
        CHECK(S->acc_lo <= S->acc_mean && S->acc_mean <= S->acc_hi && S->acc_mean > 0.5,
              "arm %zu: accuracy %g in [%g, %g]", arm, S->acc_mean, S->acc_lo, S->acc_hi);
        double mean = 0;
        for (size_t s = 0; s < 3; s++) {
            const al_job_result *a = al_compare_job(par, arm, s), *b = al_compare_job(seq, arm, s);
            CHECK(a->done && b->done && memcmp(a->test_acc, b->test_acc, 3 * sizeof(double)) == 0 &&
                      memcmp(a->train_loss, b->train_loss, 3 * sizeof(double)) == 0,
                  "arm %zu seed %zu: the parallel run equals the sequential one", arm, s);
            mean += a->test_acc[2] / 3;
            CHECK(a->layers == 3 && !isnan(a->act_mean[2 * 3 + 1]) && isnan(a->act_mean[2 * 3 + 0]),
                  "per-layer activation means are recorded for the activation layer only");
        }
        CHECK_NEAR(S->acc_mean, mean, 1e-12, 0, "the summary mean is the mean of the seeds' final accuracies");
        CHECK(S->ttt.seeds == 3, "time to target over 3 seeds");
    }
    const al_arm_summary *base = al_compare_summary(par, 0), *other = al_compare_summary(par, 1);
    CHECK(isnan(base->p) && !isnan(other->p) && other->p > 0 && other->p <= 1, "p only against the baseline");
    CHECK(other->p_holm == other->p, "one comparison: Holm leaves p alone");
    CHECK(other->diff_lo <= other->diff && other->diff <= other->diff_hi, "the difference lies in its CI");
    CHECK_NEAR(other->diff, other->acc_mean - base->acc_mean, 1e-12, 0, "difference of means");
    CHECK(al_compare_write(par, &err) == AL_OK, "%s", err.message);
    char p[700];
    struct stat st;
    snprintf(p, sizeof p, "%s/compare.json", d1);
    CHECK(stat(p, &st) == 0 && st.st_size > 100, "compare.json written");
    snprintf(p, sizeof p, "%s/compare.csv", d1);
    CHECK(stat(p, &st) == 0 && st.st_size > 100, "compare.csv written");

    CHECK_SECTION("a re-run skips finished jobs");
    time_t before = mtime(d1, "a000-s000.json");
    al_compare *again = make(d1, 2, NULL, 0);
    /* make the job files look old, then re-run: they must not be rewritten */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "touch -d '2020-01-01' '%s'/jobs/*.json", d1);
    CHECK(system(cmd) == 0, "touch");
    CHECK(al_compare_run(again, train, test, &err) == AL_OK, "%s", err.message);
    CHECK(before != 0 && mtime(d1, "a000-s000.json") < before, "the job file was not rewritten");
    CHECK(al_compare_summary(again, 1)->acc_mean == other->acc_mean, "and gives the same summary");
    for (size_t arm = 0; arm < 2; arm++)
        for (size_t s = 0; s < 3; s++) {
            const al_job_result *a = al_compare_job(par, arm, s), *b = al_compare_job(again, arm, s);
            CHECK(memcmp(a->test_acc, b->test_acc, 3 * sizeof(double)) == 0 &&
                      memcmp(a->train_loss, b->train_loss, 3 * sizeof(double)) == 0 &&
                      memcmp(a->test_loss, b->test_loss, 3 * sizeof(double)) == 0,
                  "arm %zu seed %zu: the re-run reads back the first run's results, to the bit", arm, s);
        }
    al_compare_free(again);

    CHECK_SECTION("a failing arm is reported, the others complete");
    const double lrs[2] = {0.1, 1e30};
    al_compare *fail = make(d3, 2, lrs, 2);
    CHECK(al_compare_arm_count(fail) == 4, "2 activations x 2 learning rates");
    CHECK(al_compare_run(fail, train, test, &err) == AL_OK, "%s", err.message);
    for (size_t arm = 0; arm < 4; arm++) {
        const al_arm *a = al_compare_arm(fail, arm);
        const al_arm_summary *S = al_compare_summary(fail, arm);
        if (a->lr > 1 && strncmp(a->name, "ReLU", 4) == 0) { /* unbounded: diverges (tanh may not) */
            CHECK(S->ok == 0 && strstr(al_compare_job(fail, arm, 0)->error, "step"),
                  "%s failed with its error: '%s'", a->name, al_compare_job(fail, arm, 0)->error);
        } else if (a->lr < 1)
            CHECK(S->ok == 3, "%s completed", a->name);
    }
    FILE *out = tmpfile();
    al_compare_print_table(fail, out);
    rewind(out);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    CHECK(strstr(text, "3 of 3 seeds diverged") != NULL, "the table reports the divergences: %s", text);
    for (size_t arm = 0; arm < 4; arm++) {
        const al_arm *a = al_compare_arm(fail, arm);
        const al_arm_summary *S = al_compare_summary(fail, arm), *B = al_compare_summary(fail, 0);
        if (!(a->lr > 1 && strncmp(a->name, "ReLU", 4) == 0))
            continue;
        /* diverged seeds count: they score 0 in the paired test and never reach the target */
        CHECK(S->diverged == 3 && S->ok == 0 && S->ttt.seeds == 3 && S->ttt.reached == 0,
              "diverged %zu, ttt over %zu seeds, %zu reached", S->diverged, S->ttt.seeds, S->ttt.reached);
        CHECK_NEAR(S->diff, -B->acc_mean, 1e-12, 0, "the paired difference scores the diverged seeds 0");
        CHECK(isfinite(S->p) && S->p > 0, "and they are tested: p %g", S->p);
    }
    /* a study's verdict text names the arms whose seeds did not train to the end, with counts */
    char notes[2048] = "";
    size_t nn = 0;
    study_run_notes(fail, notes, sizeof notes, &nn);
    size_t named = 0;
    for (size_t arm = 0; arm < 4; arm++) {
        const al_arm *a = al_compare_arm(fail, arm);
        const al_arm_summary *S = al_compare_summary(fail, arm);
        char want[512];
        snprintf(want, sizeof want, "%s: %zu of 3 diverged", a->name, S->diverged);
        if (S->diverged) {
            named++;
            CHECK(strstr(notes, want) != NULL, "the study note names '%s': %s", want, notes);
        } else
            CHECK(strstr(notes, want) == NULL, "an arm without divergences gets no count: %s", notes);
    }
    CHECK(named > 0 && strstr(notes, "each scores 0") != NULL, "%zu arms diverged; note: %s", named, notes);

    CHECK_SECTION("bad input");
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    f.in = 4, f.width = 8, f.classes = 3, f.acts = acts, f.n_acts = 2;
    al_compare_options o = al_compare_options_default();
    o.dir = d1;
    o.seeds = 1;
    al_compare *bad = NULL;
    CHECK(al_compare_create(&f, &o, &bad, &err) == AL_ERR_INVALID && strstr(err.message, "at least 2 seeds"),
          "one seed is refused: %s", err.message);
    o.seeds = 3;
    const char *unknown[1] = {"Relu()"};
    f.acts = unknown;
    f.n_acts = 1;
    CHECK(al_compare_create(&f, &o, &bad, &err) != AL_OK && strstr(err.message, "ReLU"),
          "an unknown activation gets the closest names: %s", err.message);
    f.acts = acts;
    f.n_acts = 2;
    snprintf(p, sizeof p, "%s/compare.csv/out", d1);
    o.dir = p;
    CHECK(al_compare_create(&f, &o, &bad, &err) == AL_OK, "%s", err.message);
    CHECK(al_compare_run(bad, train, test, &err) == AL_ERR_IO && strstr(err.message, p),
          "an unwritable directory is named: %s", err.message);
    al_compare_free(bad);
    snprintf(cmd, sizeof cmd, "'%s' compare --acts ReLU --seeds 1 --data fashion-mnist 2>/dev/null", AL_CLI);
    int rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "CLI: --seeds 1 is a usage error");

    al_compare_free(par);
    al_compare_free(seq);
    al_compare_free(fail);
    al_dataset_free(train);
    al_dataset_free(test);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    return check_summary("test_compare");
}
