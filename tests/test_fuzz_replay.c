/* Replays every committed fuzzer input (the seeds in fuzz/corpus/<harness>/
 * and the inputs that once crashed, in fuzz/regress/<harness>/) through the
 * harnesses' own code, built here by gcc: under `make test`'s ASan+UBSan
 * build a crash or leak found once stays fixed. Each harness is included with
 * its entry point renamed, so the harness and its replay cannot drift apart.
 * docs/fuzzing.md says how an input gets here. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actlab/util.h"
#include "check.h"

#define FUZZ_ENTRY fuzz_npy_entry
#include "../fuzz/fuzz_npy.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_idx_entry
#include "../fuzz/fuzz_idx.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_csv_entry
#include "../fuzz/fuzz_csv.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_safetensors_entry
#include "../fuzz/fuzz_safetensors.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_spec_entry
#include "../fuzz/fuzz_spec.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_checkpoint_entry
#include "../fuzz/fuzz_checkpoint.c"
#undef FUZZ_ENTRY

#ifndef AL_FIXTURES
#define AL_FIXTURES "tests/fixtures"
#endif

typedef int (*fuzz_entry)(const uint8_t *data, size_t size);

static const struct {
    const char *name; /* fuzz/fuzz_<name>.c, fuzz/corpus/<name>/, fuzz/regress/<name>/ */
    fuzz_entry entry;
} HARNESSES[] = {
    {"npy", fuzz_npy_entry},
    {"idx", fuzz_idx_entry},
    {"csv", fuzz_csv_entry},
    {"safetensors", fuzz_safetensors_entry},
    {"spec", fuzz_spec_entry},
    {"checkpoint", fuzz_checkpoint_entry},
};

/* The repository root: AL_FIXTURES is <root>/tests/fixtures. */
static void repo_root(char *buf, size_t size)
{
    static const char suffix[] = "/tests/fixtures";
    snprintf(buf, size, "%s", AL_FIXTURES);
    size_t n = strlen(buf), k = sizeof suffix - 1;
    if (n >= k && strcmp(buf + n - k, suffix) == 0)
        buf[n - k] = '\0';
    else
        snprintf(buf, size, ".");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs every regular file of dir through entry, in name order (so a failure
 * reproduces the same way); returns how many. A missing dir holds none. */
static size_t replay_dir(const char *dir, fuzz_entry entry)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    size_t replayed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        char *bytes = NULL;
        size_t size = 0;
        al_error err;
        if (al_file_read_all(path, (size_t)1 << 24, &bytes, &size, &err) != AL_OK) {
            CHECK(0, "cannot read %s: %s", path, err.message);
            continue;
        }
        int r = entry((const uint8_t *)bytes, size);
        CHECK(r == 0, "%s: the harness returned %d", path, r);
        free(bytes);
        replayed++;
    }
    free(names);
    return replayed;
}

int main(void)
{
    char root[768], dir[1024];
    repo_root(root, sizeof root);
    for (size_t i = 0; i < sizeof HARNESSES / sizeof HARNESSES[0]; i++) {
        snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root, HARNESSES[i].name);
        size_t seeds = replay_dir(dir, HARNESSES[i].entry);
        snprintf(dir, sizeof dir, "%s/fuzz/regress/%s", root, HARNESSES[i].name);
        size_t regress = replay_dir(dir, HARNESSES[i].entry);
        CHECK(seeds > 0, "no seed inputs in %s/fuzz/corpus/%s", root, HARNESSES[i].name);
        fprintf(stderr, "%-12s %3zu seeds, %3zu regression inputs replayed\n", HARNESSES[i].name,
                seeds, regress);
    }
    return check_summary("test_fuzz_replay");
}
