/* What the libFuzzer harnesses share. Each harness defines its entry point
 * under the name FUZZ_ENTRY: LLVMFuzzerTestOneInput when built for libFuzzer
 * (scripts/fuzz.sh), a name of its own when tests/test_fuzz_replay.c includes
 * every harness into one gcc-built program to replay the committed inputs.
 * Helpers are static inline so that a harness using only some of them builds
 * without unused-function warnings. */
#ifndef ACTLAB_FUZZ_COMMON_H
#define ACTLAB_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlab/data.h"
#include "actlab/npy.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* Room for the names fuzz_temp_file and fuzz_temp_dir make. */
#define FUZZ_PATH_BYTES 128

/* Writes size bytes of data to path (created or truncated); 0 on success. */
static inline int fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        done += (size_t)w;
    }
    return close(fd);
}

/* For readers that take a path: the input as a new file under /tmp, named
 * in path; the caller unlinks it. Returns 0 on success. */
static inline int fuzz_temp_file(const uint8_t *data, size_t size, char path[FUZZ_PATH_BYTES])
{
    snprintf(path, FUZZ_PATH_BYTES, "/tmp/actlab-fuzz-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return fuzz_write_file(path, data, size);
}

/* A new empty folder under /tmp, named in path; the caller removes it. */
static inline int fuzz_temp_dir(char path[FUZZ_PATH_BYTES])
{
    snprintf(path, FUZZ_PATH_BYTES, "/tmp/actlab-fuzz-XXXXXX");
    return mkdtemp(path) ? 0 : -1;
}

/* The input as a NUL-terminated string (cut at its first NUL byte); free() it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        if (size > 0)
            memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

/* Feeds an array a reader produced on to al_dataset_from_arrays, which every
 * file-backed dataset goes through: once as the features (with zero labels)
 * and once as the labels (with one zero feature per example). The helper
 * arrays have shape[0] entries, at most a's element count, so a header that
 * claims many examples of nothing cannot make them large. */
static inline void fuzz_dataset_from_array(const al_array *a)
{
    if (a->rank < 1 || a->count == 0)
        return;
    size_t n = a->shape[0], shape[2] = {n, 1};
    al_array other;
    al_dataset *ds = NULL;
    if (al_array_create(&other, AL_DTYPE_I32, 1, shape, NULL) == AL_OK) {
        if (al_dataset_from_arrays("fuzz", a, "x", &other, "y", 0, &ds, NULL) == AL_OK)
            al_dataset_free(ds);
        al_array_free(&other);
    }
    if (al_array_create(&other, AL_DTYPE_F32, 2, shape, NULL) == AL_OK) {
        if (al_dataset_from_arrays("fuzz", &other, "x", a, "y", 0, &ds, NULL) == AL_OK)
            al_dataset_free(ds);
        al_array_free(&other);
    }
}

#endif
