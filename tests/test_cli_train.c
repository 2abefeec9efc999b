/* `actlab train|eval|predict` end to end on small files made here: a run
 * that learns and writes its weights, log and checkpoint; and every bad
 * input named precisely, with no output file left behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "actlab/actlab.h"
#include "check.h"
#include "cli_run.h"

/* x.npy [n, 4] float32, y.npy [n] int32: three separable blobs. */
static void write_blobs(const char *xname, const char *yname, size_t n, int bad_label)
{
    size_t xs[2] = {n, 4}, ys[1] = {n};
    al_array x = {0}, y = {0};
    al_error err = {0};
    al_array_create(&x, AL_DTYPE_F32, 2, xs, &err);
    al_array_create(&y, AL_DTYPE_I32, 1, ys, &err);
    al_rng rng;
    al_rng_seed(&rng, n);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 3);
        ((int32_t *)y.data)[i] = c;
        for (int k = 0; k < 4; k++)
            ((float *)x.data)[i * 4 + (size_t)k] = (float)(al_rng_normal(&rng) * 0.5 + (k == c ? 2 : 0));
    }
    if (bad_label)
        ((int32_t *)y.data)[7] = -1;
    char p[512];
    snprintf(p, sizeof p, "%s/%s", cli_dir, xname);
    CHECK(al_npy_write(p, &x, &err) == AL_OK, "%s", err.message);
    snprintf(p, sizeof p, "%s/%s", cli_dir, yname);
    CHECK(al_npy_write(p, &y, &err) == AL_OK, "%s", err.message);
    al_array_free(&x);
    al_array_free(&y);
}

/* ix.npy [n, 1, 4, 4] float32, iy.npy [n] int32: class c lights quadrant c. */
static void write_images(size_t n)
{
    size_t xs[4] = {n, 1, 4, 4}, ys[1] = {n};
    al_array x = {0}, y = {0};
    al_error err = {0};
    al_array_create(&x, AL_DTYPE_F32, 4, xs, &err);
    al_array_create(&y, AL_DTYPE_I32, 1, ys, &err);
    al_rng rng;
    al_rng_seed(&rng, 5);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % 3;
        ((int32_t *)y.data)[i] = (int32_t)c;
        for (size_t k = 0; k < 16; k++) {
            size_t quadrant = (k / 8) * 2 + (k % 4) / 2;
            ((float *)x.data)[i * 16 + k] = (float)(al_rng_normal(&rng) * 0.3 + (quadrant == c ? 1.5 : 0));
        }
    }
    char p[512];
    snprintf(p, sizeof p, "%s/ix.npy", cli_dir);
    CHECK(al_npy_write(p, &x, &err) == AL_OK, "%s", err.message);
    snprintf(p, sizeof p, "%s/iy.npy", cli_dir);
    CHECK(al_npy_write(p, &y, &err) == AL_OK, "%s", err.message);
    al_array_free(&x);
    al_array_free(&y);
}

#define MODEL "--model 'Linear(4, 8), ReLU(), Linear(8, 3)'"

int main(void)
{
    snprintf(cli_dir, sizeof cli_dir, "/tmp/actlab_clitrain_XXXXXX");
    if (!mkdtemp(cli_dir))
        return 1;
    write_blobs("x.npy", "y.npy", 300, 0);
    write_blobs("tx.npy", "ty.npy", 90, 0);
    write_blobs("bx.npy", "by.npy", 30, 1);

    CHECK(run("train " MODEL " --train x.npy,y.npy --test tx.npy,ty.npy --epochs 5 --batch 16 --lr 0.1 "
              "--momentum 0.9 --save m.safetensors --log m.jsonl --checkpoint-dir ck") == 0, "%s", last_err);
    CHECK(strstr(last_out, "test acc") != NULL, "final line: %s", last_out);
    double acc = 0;
    const char *t = strstr(last_out, "test acc ");
    if (t)
        acc = atof(t + 9);
    CHECK(acc > 0.9, "the blobs are learned: test acc %g", acc);
    CHECK(exists("m.safetensors") && exists("m.jsonl") && exists("ck/checkpoint.safetensors"), "outputs written");
    CHECK(run("eval " MODEL " --weights m.safetensors --test tx.npy,ty.npy") == 0, "%s", last_err);
    CHECK(strstr(last_out, "confusion") != NULL && strstr(last_out, "accuracy"), "eval output: %s", last_out);
    CHECK(run("predict " MODEL " --weights m.safetensors --in tx.npy --out p.npy") == 0, "%s", last_err);
    {
        al_array p = {0};
        al_error err = {0};
        char path[512];
        snprintf(path, sizeof path, "%s/p.npy", cli_dir);
        CHECK(al_npy_read(path, &p, &err) == AL_OK && p.rank == 2 && p.shape[0] == 90 && p.shape[1] == 3,
              "probabilities [90, 3]");
        double s = 0;
        for (int c = 0; p.data && c < 3; c++)
            s += ((float *)p.data)[c];
        CHECK(fabs(s - 1) < 1e-5, "probabilities sum to 1: %g", s);
        al_array_free(&p);
    }

    /* resume: stop after 2 of 4 epochs, continue, and get the same bytes */
    CHECK(run("train " MODEL " --train x.npy,y.npy --epochs 4 --batch 16 --lr 0.1 --momentum 0.9 "
              "--seed 3 --save full.safetensors") == 0, "%s", last_err);
    CHECK(run("train " MODEL " --train x.npy,y.npy --steps 38 --batch 16 --lr 0.1 --momentum 0.9 "
              "--seed 3 --checkpoint-dir rk") == 0, "%s", last_err);
    CHECK(run("train " MODEL " --train x.npy,y.npy --epochs 4 --batch 16 --lr 0.1 --momentum 0.9 "
              "--seed 3 --checkpoint-dir rk --resume --save resumed.safetensors") == 0, "%s", last_err);
    {
        char *a = NULL, *b = NULL, p1[512], p2[512];
        size_t na = 0, nb = 0;
        snprintf(p1, sizeof p1, "%s/full.safetensors", cli_dir);
        snprintf(p2, sizeof p2, "%s/resumed.safetensors", cli_dir);
        al_file_read_all(p1, 1 << 20, &a, &na, NULL);
        al_file_read_all(p2, 1 << 20, &b, &nb, NULL);
        CHECK(a && b && na == nb && memcmp(a, b, na) == 0, "resumed weights are byte-identical");
        free(a);
        free(b);
    }

    /* probes: the log and the summary table */
    CHECK(run("train " MODEL " --train x.npy,y.npy --epochs 2 --batch 16 --lr 0.1 --probe --probe-every 5 "
              "--probe-log pr.jsonl") == 0, "%s", last_err);
    CHECK(strstr(last_out, "near-dead") && strstr(last_out, "ReLU()") && strstr(last_out, "end of epoch 2"),
          "the summary table is printed: %s", last_out);
    {
        char p[512], *text = NULL;
        size_t n = 0, lines = 0;
        snprintf(p, sizeof p, "%s/pr.jsonl", cli_dir);
        al_file_read_all(p, 1 << 22, &text, &n, NULL);
        for (size_t i = 0; text && i < n; i++)
            lines += text[i] == '\n';
        /* 240 training rows (60 are held out as the test rows): 15 steps
         * per epoch: points 5 10 15 | 20 25 30 -> 6 points x 3 layers */
        CHECK(lines == 18, "probe log lines: %zu", lines);
        free(text);
    }

    /* Ctrl-C: a checkpoint, exit 130, and the command that resumes */
    {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "cd '%s' && { '%s' train " MODEL " --train x.npy,y.npy --epochs 100000 --batch 16 "
                 "--quiet >int_out.txt 2>int_err.txt & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo $? >int_rc.txt; }",
                 cli_dir, AL_CLI);
        CHECK(system(cmd) == 0, "the interrupt script ran");
        char p[512], *text = NULL;
        size_t n = 0;
        snprintf(p, sizeof p, "%s/int_rc.txt", cli_dir);
        al_file_read_all(p, 64, &text, &n, NULL);
        CHECK(text && atoi(text) == 130, "interrupted run exits 130: %s", text ? text : "?");
        free(text);
        text = NULL;
        snprintf(p, sizeof p, "%s/int_err.txt", cli_dir);
        al_file_read_all(p, 1 << 16, &text, &n, NULL);
        CHECK(text && strstr(text, "interrupted after step") &&
                  strstr(text, "--checkpoint-dir actlab-interrupted --resume"),
              "the message says how to resume: %s", text ? text : "?");
        char program[600];
        snprintf(program, sizeof program, "to continue, run:\n  %s train --model", AL_CLI);
        CHECK(text && strstr(text, program), "the resume command starts with the program as invoked: %s",
              text ? text : "?");
        free(text);
        CHECK(exists("actlab-interrupted/checkpoint.safetensors"), "the checkpoint was saved");
        /* the checkpoint loads and training continues from it (or has nothing left to do) */
        CHECK(run("train " MODEL " --train x.npy,y.npy --epochs 200 --batch 16 --checkpoint-dir actlab-interrupted "
                  "--resume --save after.safetensors") == 0, "resuming the interrupted run: %s", last_err);
    }

    /* bad input: each message names the flag, the sizes or the row */
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --probe-every 0", 2, "--probe-every");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --probe-log m.jsonl/p.jsonl", 1, "m.jsonl/p.jsonl");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --lr -1", 2, "--lr");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --batch 0", 2, "--batch");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --epochs x", 2, "--epochs");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --opt sgdd", 2, "--opt");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --schedule cosin", 2, "--schedule");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --init-scheme he", 2, "--init-scheme");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --bogus 1", 2, "unknown option");
    EXPECT_FAIL("train --train x.npy,y.npy", 2, "--model");
    EXPECT_FAIL("train " MODEL, 2, "--data");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --resume", 2, "--checkpoint-dir");
    EXPECT_FAIL("train --model 'Linear(4, 8), ReLU(), Linear(16, 3)' --train x.npy,y.npy", 2, "line 1, column");
    EXPECT_FAIL("train --model 'Linear(4, 8),\n Relu()' --train x.npy,y.npy", 2, "^");
    EXPECT_FAIL("train --model 'Linear(5, 8), ReLU(), Linear(8, 3)' --train x.npy,y.npy", 1, "has 4 features");
    EXPECT_FAIL("train --model 'Linear(5, 8), ReLU(), Linear(8, 3)' --train x.npy,y.npy", 1, "takes 5");
    EXPECT_FAIL("train " MODEL " --train bx.npy,by.npy", 1, "row");
    EXPECT_FAIL("train " MODEL " --train missing.npy,y.npy", 1, "missing.npy");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --init nothere.safetensors", 1, "nothere.safetensors");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --epochs 1 --save no/dir/m.safetensors", 1, "no/dir/m.safetensors");
    EXPECT_FAIL("train " MODEL " --train x.npy,y.npy --lr 1e30 --epochs 1 --save diverged.safetensors", 1, "step ");
    EXPECT_FAIL("eval --model 'Linear(4, 5), ReLU(), Linear(5, 3)' --weights m.safetensors --test tx.npy,ty.npy", 1, "[5, 4]");
    EXPECT_FAIL("predict " MODEL " --weights m.safetensors --in y.npy", 1, "float32 or float64");
    CHECK(!exists("diverged.safetensors"), "a failed run left its --save file");

    /* images [N, 1, 4, 4] from NPY into a convolutional model, and the same model refusing flat rows */
#define CNN "--model 'Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(16, 3)'"
    write_images(240);
    CHECK(run("train " CNN " --train ix.npy,iy.npy --val 60 --epochs 8 --batch 16 --lr 0.1 --momentum 0.9 "
              "--save c.safetensors --probe --probe-log cp.jsonl") == 0, "%s", last_err);
    const char *cnn_acc = strstr(last_out, "test acc ");
    CHECK(cnn_acc && atof(cnn_acc + 9) > 0.9, "the CNN learns the quadrants: %s", last_out);
    CHECK(run("predict " CNN " --weights c.safetensors --in ix.npy --out cp.npy") == 0, "%s", last_err);
    CHECK(run("eval " CNN " --weights c.safetensors --test ix.npy,iy.npy") == 0, "%s", last_err);
    EXPECT_FAIL("train " CNN " --train x.npy,y.npy --epochs 1", 1, "Conv2d(1, 4, 3, padding=1) (module 0) takes images");
    EXPECT_FAIL("predict " CNN " --weights c.safetensors --in x.npy", 1, "takes images [C, H, W]");
    CHECK(run("train --help") == 0 && strstr(last_out, "--checkpoint-dir"), "train --help");

    char cleanup[300];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", cli_dir);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_cli_train");
}
