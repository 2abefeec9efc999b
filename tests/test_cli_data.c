/* A user's first hour, end to end through the CLI on files in
 * scikit-learn's formats (tests/fixtures/sklearn, made by
 * scripts/make_sklearn_fixtures.py): train, eval and predict agree on the
 * held-out rows with the standardisation stored in the model file; a
 * PyTorch-style file without metadata loads with a note; regression from a
 * CSV reports MSE and R²; a tail split of a class-sorted file warns;
 * messages name the flag that was typed; predict refuses NaN; a failed run
 * leaves nothing behind; a checkpoint refuses a changed optimizer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "check.h"
#include "cli_run.h"

#define FIX AL_FIXTURES "/sklearn/"
#define IRIS_MODEL "--model 'Linear(4, 16), ReLU(), Linear(16, 3)'"

/* The number after needle in text (NaN when absent). */
static double number_after(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    return p ? atof(p + strlen(needle)) : NAN;
}


static void standardisation_round_trip(void)
{
    CHECK_SECTION("train, eval and predict agree, with the stored standardisation");
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --standardize --opt adam --lr 0.02 --epochs 60 "
              "--batch 8 --seed 1 --save iris.safetensors") == 0, "%s", last_err);
    CHECK(strstr(last_err, "scikit-learn count line") && strstr(last_err, "3 classes (setosa, versicolor, virginica)") &&
              strstr(last_err, "7 rows held out of iris_like.csv (stratified, split seed 0)"),
          "what the file is and how it was split: %s", last_err);
    double train_acc = number_after(last_out, "test acc ");
    CHECK(train_acc >= 0.5, "the test rows are learned: %g (%s)", train_acc, last_out);

    CHECK(run("eval --weights iris.safetensors --train " FIX "iris_like.csv") == 0, "%s", last_err);
    CHECK(strstr(last_err, "applying the standardisation stored in the model file"), "says so: %s", last_err);
    CHECK(strstr(last_out, "iris_like.csv (test): 7 examples") && strstr(last_out, "versicolor"),
          "the held-out rows, with class names: %s", last_out);
    double eval_acc = number_after(last_out, "accuracy ");
    CHECK(eval_acc == train_acc, "eval %g = train %g", eval_acc, train_acc);

    CHECK(run("predict --weights iris.safetensors --train " FIX "iris_like.csv") == 0, "%s", last_err);
    double predict_acc = number_after(last_err, "accuracy ");
    CHECK(predict_acc == train_acc, "predict %g = train %g", predict_acc, train_acc);
    CHECK(strstr(last_out, "\tsetosa\t") || strstr(last_out, "\tversicolor\t") || strstr(last_out, "\tvirginica\t"),
          "class names in the predictions: %s", last_out);

    /* the whole file through --in (a label column more than the model takes) and through eval --test */
    CHECK(run("predict --weights iris.safetensors --in " FIX "iris_like.csv --batch 5 --out p.npy") == 0, "%s", last_err);
    CHECK(strstr(last_err, "column #4 is the label"), "the extra column is the label: %s", last_err);
    double all_predict = number_after(last_err, "accuracy ");
    CHECK(run("eval --weights iris.safetensors --test " FIX "iris_like.csv") == 0, "%s", last_err);
    double all_eval = number_after(last_out, "accuracy ");
    CHECK(all_predict == all_eval && !isnan(all_eval), "all 36 rows: predict %g, eval %g", all_predict, all_eval);

    /* eval --standardize once standardised the test rows with their own statistics: now it is the stored ones */
    CHECK(run("eval --weights iris.safetensors --standardize --train " FIX "iris_like.csv") == 0 &&
              number_after(last_out, "accuracy ") == train_acc, "eval --standardize: %s", last_out);

    /* a file without actlab's metadata, as PyTorch writes one: it loads, says so, and needs the spec */
    {
        al_net *net = NULL;
        al_error err = {0};
        char in[600], out[600];
        snprintf(in, sizeof in, "%s/iris.safetensors", cli_dir);
        snprintf(out, sizeof out, "%s/plain.safetensors", cli_dir);
        CHECK(al_model_load(in, NULL, NULL, &net, NULL, &err) == AL_OK && al_net_save(net, out, &err) == AL_OK,
              "%s", err.message);
        al_net_free(net);
    }
    EXPECT_FAIL("eval --weights plain.safetensors --train " FIX "iris_like.csv", 2, "--model");
    CHECK(run("eval " IRIS_MODEL " --weights plain.safetensors --train " FIX "iris_like.csv") == 0, "%s", last_err);
    CHECK(strstr(last_err, "carries no actlab metadata") && strstr(last_err, "give --standardize"), "the note: %s",
          last_err);
    CHECK(run("eval " IRIS_MODEL " --weights plain.safetensors --standardize --train " FIX "iris_like.csv") == 0 &&
              number_after(last_out, "accuracy ") == train_acc,
          "--standardize with the training rows gives training's numbers: %s %s", last_out, last_err);
    EXPECT_FAIL("eval " IRIS_MODEL " --weights plain.safetensors --standardize --test " FIX "iris_like.csv", 2,
                "needs the training rows' statistics");
}

static void splits_and_losses(void)
{
    CHECK_SECTION("splits, regression, losses");
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --split tail --epochs 1") == 0, "%s", last_err);
    CHECK(strstr(last_err, "warning: the test rows (the last 7 of iris_like.csv) all have class 2 (virginica)"),
          "a tail split of a class-sorted file warns: %s", last_err);
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --val 0.2 --test 0.25 --split random --split-seed 4 "
              "--epochs 3 --early-stop 2 --keep-best --save kb.safetensors") == 0, "%s", last_err);
    CHECK(strstr(last_err, "validation: 5 rows held out") && strstr(last_err, "test: 9 rows held out") &&
              strstr(last_out, "val acc"), "--val and --test as shares: %s %s", last_err, last_out);

    CHECK(run("train --model 'Linear(3, 1)' --train " FIX "boston_like.csv --opt adam --lr 0.1 --epochs 150 --batch 8 "
              "--save reg.safetensors") == 0, "%s", last_err);
    CHECK(strstr(last_err, "loss: mse (the targets are real numbers") && strstr(last_err, "label column #3 'MEDV'"),
          "regression chosen and said: %s", last_err);
    double test_mse = number_after(last_out, "test loss "), test_r2 = number_after(last_out, "test r2 ");
    CHECK(test_r2 > 0.99, "a linear target is fitted: r2 %g (%s)", test_r2, last_out);
    CHECK(run("eval --weights reg.safetensors --train " FIX "boston_like.csv") == 0, "%s", last_err);
    CHECK(fabs(number_after(last_out, "mse ") - test_mse) <= 1e-4 * test_mse &&
              fabs(number_after(last_out, "r2 ") - test_r2) < 1e-4 && strstr(last_out, "mae "),
          "eval's mse and r2 are training's: %s", last_out);
    CHECK(run("predict --weights reg.safetensors --in " FIX "boston_like.csv --quiet") == 0 &&
              strstr(last_out, "39\t"), "predict prints each row's output: %s", last_err);

    CHECK(run("train --model 'Linear(3, 1)' --train " FIX "diabetes_like_data.csv.gz," FIX "diabetes_like_target.csv.gz "
              "--standardize --loss mse --opt adam --lr 0.1 --epochs 20") == 0 && strstr(last_out, "test r2"),
          "a features file and a target file: %s", last_err);
    CHECK(run("train --model 'Linear(8, 4)' --train " FIX "digits_like.csv.gz:-1 --epochs 2 --quiet") == 0,
          "gzip and a label from the end: %s", last_err);
    EXPECT_FAIL("train --model 'Linear(8, 4)' --train " FIX "digits_like.csv.gz:#0 --epochs 1", 1,
                "has 16 classes but the model has 4 outputs");
    CHECK(run("train --model 'Linear(5, 1)' --train " FIX "cancer_like.csv --epochs 2") == 0 &&
              strstr(last_err, "loss: bce-with-logits (one output and labels 0/1"), "one output, two classes: bce: %s", last_err);
    EXPECT_FAIL("train --model 'Linear(5, 1)' --train " FIX "cancer_like.csv --loss ce", 2, "--loss");
}

static void messages(void)
{
    CHECK_SECTION("messages name the flag that was typed");
    EXPECT_FAIL("eval --weights iris.safetensors --test nothere.csv", 1, "actlab eval: --test nothere.csv:");
    EXPECT_FAIL("predict --weights iris.safetensors --test nothere.csv", 1, "--test nothere.csv");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --sep ';'", 1, "has one column (separator ';')");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --split strat", 2, "--split");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --val 1.5", 2, "--val");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --early-stop 3", 2, "--val");
    EXPECT_FAIL("train --model 'Linear(3, 1)' --train " FIX "boston_like.csv:MEDX", 2, "did you mean 'MEDV'");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv:species", 2, "has no header, so give the column by index");
    EXPECT_FAIL("train " IRIS_MODEL " --data " FIX "iris_like.csv", 2, "--data takes 'fashion-mnist' or a folder");
    EXPECT_FAIL("compare --acts ReLU --train " FIX "iris_like.csv --test 0", 2, "--test 0");
    EXPECT_FAIL("compare --acts ReLU --train " FIX "iris_like.csv --val 0.1", 2, "give --tune-lr GRID too");
    EXPECT_FAIL("study dead-units --train " FIX "iris_like.csv", 2, "not an option of `actlab study`");
    EXPECT_FAIL("study dead-units --data nowhere", 2, "--data takes 'fashion-mnist' or a folder");
    CHECK(run("study list --data fashion-mnist") == 0, "study takes --data fashion-mnist: %s", last_err);
    {
        FILE *f;
        char p[512];
        snprintf(p, sizeof p, "%s/ragged.csv", cli_dir);
        f = fopen(p, "w");
        fputs("a,b,c,d,label\n1,2,3,4,0\n5,6,7,8,1\n1;2;3;4;0\n", f);
        fclose(f);
    }
    EXPECT_FAIL("train --model 'Linear(4, 2)' --train ragged.csv", 1,
                "ragged.csv:4: 1 field, but the header has 5 (separator ','): is the separator ';'?");
    CHECK(run("--help") == 0 && strstr(last_out, "--version"), "--version in --help");
    {
        char p[512];
        snprintf(p, sizeof p, "%s/features.csv", cli_dir);
        FILE *f = fopen(p, "w");
        fputs("a,b,c,d\n0.1,0.2,0.3,1000\n-0.1,0.9,2.2,1200\n", f);
        fclose(f);
    }
    CHECK(run("predict --weights iris.safetensors --in features.csv --quiet") == 0 &&
              strstr(last_out, "0\t") && strstr(last_out, "1\t") && !strstr(last_err, "accuracy"),
          "a CSV of features only: predictions, no accuracy: %s %s", last_out, last_err);
    CHECK(run("compare --acts 'ReLU(),Tanh()' --train " FIX "iris_like.csv --standardize --seeds 2 --epochs 2 --jobs 1 "
              "--out cmp --quiet") == 0 && strstr(last_out, "| Tanh() | 0.05 | 2/2 |"),
          "compare on a CSV, its test rows held out: %s", last_err);
    CHECK(run("compare --acts 'ReLU(),Tanh()' --train " FIX "iris_like.csv --standardize --seeds 2 --epochs 2 --jobs 1 "
              "--tune-lr 0.01,0.1 --val 12 --split stratified --split-seed 3 --out cmp_val --quiet") == 0 &&
              strstr(last_out, "| Tanh() |"),
          "compare --tune-lr with --val and --split: %s", last_err);
    {
        /* the validation split is part of every job's key: a different --val is a new experiment */
        char p[512];
        snprintf(p, sizeof p, "%s/cmp_val/compare.json", cli_dir);
        char *json = NULL;
        size_t size = 0;
        al_error e = {0};
        CHECK(al_file_read_all(p, 1 << 24, &json, &size, &e) == AL_OK && strstr(json, "\"validation_rows\":12") &&
                  strstr(json, "(validation 12 rows, stratified split, seed 3)"),
              "compare.json records the validation split: %s", json ? json : e.message);
        free(json);
    }

    CHECK_SECTION("predict refuses what is not finite");
    {
        al_array x = {0};
        al_error err = {0};
        size_t shape[2] = {2, 4};
        al_array_create(&x, AL_DTYPE_F64, 2, shape, &err);
        ((double *)x.data)[5] = NAN;
        char p[512];
        snprintf(p, sizeof p, "%s/nan.npy", cli_dir);
        CHECK(al_npy_write(p, &x, &err) == AL_OK, "%s", err.message);
        al_array_free(&x);
    }
    EXPECT_FAIL("predict --weights iris.safetensors --in nan.npy", 1, "row 1, feature 1 is nan");
    CHECK(strlen(last_out) == 0, "nothing predicted: %s", last_out);
}

static void leftovers_and_resume(void)
{
    CHECK_SECTION("a failed run leaves nothing behind");
    EXPECT_FAIL("train " IRIS_MODEL " --train missing.csv --save out.safetensors --log run.jsonl --checkpoint-dir ck "
                "--probe", 1, "missing.csv");
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --lr 1e9 --batch 4 --save out.safetensors --log "
                "run.jsonl --checkpoint-dir ck --probe", 1, "training diverged");
    CHECK(!exists("out.safetensors") && !exists("run.jsonl") && !exists("ck") && !exists("out.probes.jsonl") &&
              !exists("probes.jsonl"), "no model, log, checkpoint folder or probe log");
    CHECK(strstr(last_err, "more than 1e+04 times the first step's") && !strstr(last_err, "-nan"),
          "the divergence message: %s", last_err);
    mkdir(cli_dir, 0755);
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --epochs 1 --probe --save sub.safetensors") == 0,
          "%s", last_err);
    CHECK(exists("sub.probes.jsonl") && !exists("probes.jsonl"), "--probe writes beside --save");

    CHECK_SECTION("a checkpoint refuses another optimizer");
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --steps 3 --batch 8 --lr 0.1 --checkpoint-dir rk")
              == 0, "%s", last_err);
    EXPECT_FAIL("train " IRIS_MODEL " --train " FIX "iris_like.csv --epochs 2 --batch 8 --opt adam --checkpoint-dir rk "
                "--resume", 2, "--opt: ");
    CHECK(strstr(last_err, "was written with sgd lr 0.1") && strstr(last_err, "this run asks for adam lr 0.001"),
          "both named: %s", last_err);
    CHECK(run("train " IRIS_MODEL " --train " FIX "iris_like.csv --epochs 2 --batch 8 --lr 0.1 --checkpoint-dir rk "
              "--resume") == 0, "the same optimizer resumes: %s", last_err);
}

int main(void)
{
    snprintf(cli_dir, sizeof cli_dir, "/tmp/actlab_clidata_XXXXXX");
    if (!mkdtemp(cli_dir))
        return 1;
    standardisation_round_trip();
    splits_and_losses();
    messages();
    leftovers_and_resume();
    char cleanup[300];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", cli_dir);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_cli_data");
}
