/* `actlab act list|eval` end to end: runs the built CLI on NPY files made
 * here, checks results against values computed independently in this file,
 * and checks every bad-input path (message, exit code, no output left). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actlab/actlab.h"
#include "check.h"

static char dir[256];
static char last_err[8192];

/* Runs `actlab ARGS` (ARGS already quoted), keeps stderr, returns the exit status. */
static int run(const char *args)
{
    char cmd[2048], errpath[300];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >stdout.txt 2>'%s'", dir, AL_CLI, args, errpath);
    int st = system(cmd);
    FILE *f = fopen(errpath, "r");
    size_t n = f ? fread(last_err, 1, sizeof last_err - 1, f) : 0;
    last_err[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

static void write_array(const char *name, al_dtype dtype, int rank, const size_t *shape, const double *v)
{
    al_array a = {0};
    al_error err = {0};
    CHECK(al_array_create(&a, dtype, rank, shape, &err) == AL_OK, "%s", err.message);
    for (size_t i = 0; i < a.count; i++) {
        if (dtype == AL_DTYPE_F32)
            ((float *)a.data)[i] = (float)v[i];
        else if (dtype == AL_DTYPE_F64)
            ((double *)a.data)[i] = v[i];
        else if (dtype == AL_DTYPE_I32)
            ((int *)a.data)[i] = (int)v[i];
    }
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK(al_npy_write(p, &a, &err) == AL_OK, "%s", err.message);
    al_array_free(&a);
}

static double read_value(const char *name, size_t i, al_array *keep)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    al_error err = {0};
    al_array a = {0};
    if (al_npy_read(p, &a, &err) != AL_OK) {
        CHECK(0, "%s", err.message);
        return NAN;
    }
    double v = a.dtype == AL_DTYPE_F32 ? (double)((float *)a.data)[i] : ((double *)a.data)[i];
    if (keep)
        *keep = a;
    else
        al_array_free(&a);
    return v;
}

#define EXPECT_FAIL(args, code, needle)                                                  \
    do {                                                                                 \
        int rc_ = run(args);                                                             \
        CHECK(rc_ == (code), "`actlab %s` exited %d, want %d; stderr: %s", args, rc_, code, last_err); \
        CHECK(strstr(last_err, needle) != NULL, "`actlab %s`: stderr lacks '%s': %s", args, needle, last_err); \
    } while (0)

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/actlab_cli_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* act list */
    CHECK(run("act list") == 0, "act list: %s", last_err);
    {
        char p[512], *out = NULL;
        size_t n = 0;
        snprintf(p, sizeof p, "%s/stdout.txt", dir);
        CHECK(al_file_read_all(p, 1 << 20, &out, &n, NULL) == AL_OK, "read stdout");
        for (int i = 0; out && i < AL_ACT_COUNT; i++)
            CHECK(strstr(out, al_act_info_of((al_act_id)i)->name) != NULL, "act list lacks %s",
                  al_act_info_of((al_act_id)i)->name);
        CHECK(out && strstr(out, "negative_slope=0.01") && strstr(out, "-0.5 at x = -3"),
              "act list lacks defaults or kink values");
        free(out);
    }

    /* eval, float32 and float64: ELU(alpha=0.5) by hand */
    double xv[12] = {-3, -1, -0.5, 0, 0.25, 1, 2, -2, 0, 5, -0.1, 0.1};
    double gv[12] = {1, 2, -1, 1, 0.5, 1, 1, 3, -2, 1, 1, 1};
    size_t shape[2] = {4, 3};
    write_array("x32.npy", AL_DTYPE_F32, 2, shape, xv);
    write_array("g32.npy", AL_DTYPE_F32, 2, shape, gv);
    write_array("x64.npy", AL_DTYPE_F64, 2, shape, xv);
    write_array("g64.npy", AL_DTYPE_F64, 2, shape, gv);
    const char *types[2] = {"32", "64"};
    for (int t = 0; t < 2; t++) {
        char args[512];
        snprintf(args, sizeof args, "act eval 'ELU(alpha=0.5)' --in x%s.npy --out y%s.npy "
                 "--grad-in g%s.npy --grad-out dx%s.npy", types[t], types[t], types[t], types[t]);
        CHECK(run(args) == 0, "%s: %s", args, last_err);
        char yname[32], dname[32];
        snprintf(yname, sizeof yname, "y%s.npy", types[t]);
        snprintf(dname, sizeof dname, "dx%s.npy", types[t]);
        al_array y = {0};
        read_value(yname, 0, &y);
        CHECK(y.dtype == (t ? AL_DTYPE_F64 : AL_DTYPE_F32) && y.rank == 2 && y.shape[0] == 4 &&
              y.shape[1] == 3, "dtype and shape follow the input");
        al_array_free(&y);
        for (size_t i = 0; i < 12; i++) {
            double want_y = xv[i] > 0 ? xv[i] : 0.5 * expm1(xv[i]);
            double want_d = (xv[i] > 0 ? 1.0 : 0.5 * exp(xv[i])) * gv[i];
            double tol = t ? 1e-15 : 1e-6;
            CHECK_NEAR(read_value(yname, i, NULL), want_y, tol, tol, "ELU y[%zu] f%s", i, types[t]);
            CHECK_NEAR(read_value(dname, i, NULL), want_d, tol, tol, "ELU dx[%zu] f%s", i, types[t]);
        }
    }
    /* kink=0.5 through the CLI */
    CHECK(run("act eval 'ReLU(kink=0.5)' --in x64.npy --out r.npy --grad-in g64.npy --grad-out dr.npy") == 0,
          "%s", last_err);
    CHECK_NEAR(read_value("dr.npy", 3, NULL), 0.5 * gv[3], 0, 0, "ReLU(kink=0.5)'(0)");
    CHECK_NEAR(read_value("dr.npy", 4, NULL), gv[4], 0, 0, "ReLU(kink=0.5)'(0.25)");

    /* PReLU per channel: dw[c] = sum over x <= 0 of x*g */
    double wv[3] = {0.1, 0.2, 0.3};
    size_t wshape[1] = {3};
    write_array("w64.npy", AL_DTYPE_F64, 1, wshape, wv);
    CHECK(run("act eval 'PReLU(num_parameters=3)' --in x64.npy --out py.npy --grad-in g64.npy "
              "--grad-out pdx.npy --weight w64.npy --weight-grad-out pdw.npy") == 0, "%s", last_err);
    for (int c = 0; c < 3; c++) {
        double want = 0;
        for (int r = 0; r < 4; r++) {
            double xi = xv[r * 3 + c];
            want += xi > 0 ? 0 : xi * gv[r * 3 + c];
        }
        CHECK_NEAR(read_value("pdw.npy", (size_t)c, NULL), want, 1e-15, 1e-15, "PReLU dw[%d]", c);
    }
    CHECK_NEAR(read_value("py.npy", 1, NULL), -1 * 0.2, 1e-15, 0, "PReLU channel 1 slope");

    /* RReLU --train: reproducible with a seed, different with another */
    CHECK(run("act eval 'RReLU()' --in x64.npy --out r1.npy --train --seed 5") == 0, "%s", last_err);
    CHECK(run("act eval 'RReLU()' --in x64.npy --out r2.npy --train --seed 5") == 0, "%s", last_err);
    CHECK(run("act eval 'RReLU()' --in x64.npy --out r3.npy --train --seed 6") == 0, "%s", last_err);
    CHECK(read_value("r1.npy", 0, NULL) == read_value("r2.npy", 0, NULL), "same seed, same slope");
    CHECK(read_value("r1.npy", 0, NULL) != read_value("r3.npy", 0, NULL), "other seed, other slope");
    double r = read_value("r1.npy", 0, NULL) / -3.0;
    CHECK(r >= 1.0 / 8 && r <= 1.0 / 3, "RReLU slope %g in [1/8, 1/3]", r);

    /* bad input: message, exit code, and no output file */
    EXPECT_FAIL("act eval 'Relu()' --in x32.npy --out bad.npy", 2, "did you mean 'ReLU'");
    EXPECT_FAIL("act eval 'ELU(alpha=x)' --in x32.npy --out bad.npy", 2, "column");
    EXPECT_FAIL("act eval 'Softshrink(lambd=-1)' --in x32.npy --out bad.npy", 2, ">= 0");
    EXPECT_FAIL("act eval 'ReLU(' --in x32.npy --out bad.npy", 2, "line 1");
    EXPECT_FAIL("act eval 'ReLU()' --in missing.npy --out bad.npy", 1, "missing.npy");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out no/such/dir/y.npy", 1, "no/such/dir/y.npy");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --grad-in g64.npy --grad-out bd.npy", 1, "must match");
    size_t s3[1] = {3};
    write_array("g3.npy", AL_DTYPE_F32, 1, s3, gv);
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --grad-in g3.npy --grad-out bd.npy", 1, "[3]");
    write_array("i32.npy", AL_DTYPE_I32, 1, s3, gv);
    EXPECT_FAIL("act eval 'ReLU()' --in i32.npy --out bad.npy", 1, "float32 or float64");
    EXPECT_FAIL("act eval 'PReLU(num_parameters=5)' --in x32.npy --out bad.npy", 1, "must be 5");
    EXPECT_FAIL("act eval 'PReLU(num_parameters=3)' --in x32.npy --out bad.npy --weight w64.npy", 1, "needs");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --weight w64.npy", 2, "PReLU");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --grad-out bd.npy", 2, "go together");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy", 2, "--out");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --seed -1", 2, "--seed");
    EXPECT_FAIL("act eval 'ReLU()' --in x32.npy --out bad.npy --bogus", 2, "unknown option");
    EXPECT_FAIL("act frobnicate", 2, "unknown subcommand");
    {
        char p[512];
        snprintf(p, sizeof p, "%s/notnpy.npy", dir);
        FILE *f = fopen(p, "w");
        if (f) {
            fputs("this is not an npy file", f);
            fclose(f);
        }
    }
    EXPECT_FAIL("act eval 'ReLU()' --in notnpy.npy --out bad.npy", 1, "notnpy.npy");
    CHECK(!exists("bad.npy") && !exists("bd.npy"), "a failed eval left an output file");
    CHECK(run("act eval --help") == 0, "--help exits 0");

    char cleanup[300];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    CHECK(system(cleanup) == 0, "cleanup");
    return check_summary("test_cli_act");
}
