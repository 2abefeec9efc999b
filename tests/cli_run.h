/* Running the actlab program from a CLI test: each test binary includes
 * this once. run() executes `actlab ARGS` in the test's folder (cli_dir,
 * set by the test) and keeps stdout and stderr; EXPECT_FAIL checks the
 * exit status and a piece of stderr. */
#ifndef ACTLAB_TEST_CLI_RUN_H
#define ACTLAB_TEST_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"

static char cli_dir[256];
static char last_err[16384], last_out[16384];

/* Runs `actlab ARGS` in cli_dir; returns its exit status (-1: killed). */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >out.txt 2>err.txt", cli_dir, AL_CLI, args);
    int st = system(cmd);
    const char *names[2] = {"err.txt", "out.txt"};
    char *bufs[2] = {last_err, last_out};
    for (int i = 0; i < 2; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", cli_dir, names[i]);
        FILE *f = fopen(p, "r");
        size_t n = f ? fread(bufs[i], 1, sizeof last_err - 1, f) : 0;
        bufs[i][n] = '\0';
        if (f)
            fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* 1 when cli_dir/name exists. */
static int exists(const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", cli_dir, name);
    return stat(p, &st) == 0;
}

#define EXPECT_FAIL(args, code, needle)                                                                       \
    do {                                                                                                       \
        int rc_ = run(args);                                                                                   \
        CHECK(rc_ == (code), "`actlab %s` exited %d, want %d: %s", args, rc_, code, last_err);                \
        CHECK(strstr(last_err, needle) != NULL, "`actlab %s`: stderr lacks '%s': %s", args, needle, last_err); \
    } while (0)

#endif
