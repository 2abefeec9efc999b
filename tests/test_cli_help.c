/* Every flag a command accepts is listed in its --help. The flags are read
 * from the source (each `strcmp(x, "--flag")` in cli/cmd_NAME.c, and the
 * shared data flags in cli/load.c), so a flag added without its help line
 * fails here; a shared data flag a command does not list must be refused
 * by it with a reason. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "actlab/util.h"
#include "check.h"

#define SOURCE AL_FIXTURES "/../../"

static char out[65536], err_text[8192];

/* Runs `actlab ARGS`, keeping stdout in out and stderr in err_text. */
static int run(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/tmp/actlab_help_out.txt 2>/tmp/actlab_help_err.txt", AL_CLI, args);
    int st = system(cmd);
    const char *paths[2] = {"/tmp/actlab_help_out.txt", "/tmp/actlab_help_err.txt"};
    char *bufs[2] = {out, err_text};
    size_t sizes[2] = {sizeof out, sizeof err_text};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        size_t n = f ? fread(bufs[i], 1, sizes[i] - 1, f) : 0;
        bufs[i][n] = '\0';
        if (f)
            fclose(f);
        remove(paths[i]);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The flags compared with strcmp in a source file, in flags[0..*n). */
static void flags_in(const char *file, char flags[][40], int *n, int max)
{
    char path[512], *text = NULL;
    size_t size = 0;
    snprintf(path, sizeof path, SOURCE "%s", file);
    if (al_file_read_all(path, 1 << 22, &text, &size, NULL) != AL_OK) {
        CHECK(0, "cannot read %s", path);
        return;
    }
    regex_t re;
    regcomp(&re, "strcmp\\([^,()]+, \"(--[a-z0-9-]+)\"\\)", REG_EXTENDED);
    regmatch_t m[2];
    *n = 0;
    for (const char *s = text; *n < max && regexec(&re, s, 2, m, 0) == 0; s += m[0].rm_eo) {
        int len = (int)(m[1].rm_eo - m[1].rm_so);
        snprintf(flags[*n], 40, "%.*s", len, s + m[1].rm_so);
        int seen = 0;
        for (int k = 0; k < *n; k++)
            seen |= strcmp(flags[k], flags[*n]) == 0;
        *n += !seen;
    }
    regfree(&re);
    free(text);
}

int main(void)
{
    static const char *const commands[] = {"train", "eval", "predict", "compare", "study", "gradcheck"};
    char data_flags[32][40];
    int n_data = 0;
    flags_in("cli/load.c", data_flags, &n_data, 32);
    CHECK(n_data >= 10, "the shared data flags were found in cli/load.c: %d", n_data);
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        char file[64], args[2048], help[sizeof out];
        snprintf(file, sizeof file, "cli/cmd_%s.c", commands[c]);
        snprintf(args, sizeof args, "%s --help", commands[c]);
        CHECK(run(args) == 0, "`actlab %s` exits 0", args);
        memcpy(help, out, sizeof help);
        char flags[64][40];
        int n = 0;
        flags_in(file, flags, &n, 64);
        CHECK(n > 0, "%s: flags found", file);
        if (strcmp(commands[c], "eval") == 0 || strcmp(commands[c], "predict") == 0) {
            int more = 0; /* the model flags they share (cli/model.c) */
            flags_in("cli/model.c", flags + n, &more, 64 - n);
            n += more;
        }
        for (int i = 0; i < n; i++)
            CHECK(strstr(help, flags[i]) != NULL, "`actlab %s --help` does not list %s, which %s accepts",
                  commands[c], flags[i], file);
        if (strcmp(commands[c], "gradcheck") == 0)
            continue; /* gradcheck reads one batch and takes none of the shared flags */
        for (int i = 0; i < n_data; i++) {
            if (strstr(help, data_flags[i]))
                continue;
            snprintf(args, sizeof args, "%s %s 1", commands[c], data_flags[i]);
            int rc = run(args);
            CHECK(rc == 2 && strstr(err_text, "is not an option of"), "`actlab %s`: a shared flag neither listed nor "
                  "refused (%d): %s", args, rc, err_text);
        }
    }
    CHECK(run("--help") == 0 && strstr(out, "--version"), "--version is in the main --help");
    CHECK(run("--version") == 0 && strstr(out, "actlab "), "--version prints the version");
    return check_summary("test_cli_help");
}
