/* Private to src/data: one source of bytes, a plain file or a gzip stream
 * (detected by the 1f 8b magic, whatever the name), for the IDX and CSV
 * readers. */
#ifndef ACTLAB_DATA_SOURCE_H
#define ACTLAB_DATA_SOURCE_H

#include <stddef.h>
#include <stdio.h>
#include <zlib.h>

#include "actlab/status.h"

/* deflate cannot expand data more than 1032 times (zlib's FAQ); a gzip file
 * claiming more than that is lying */
#define AL_GZIP_MAX_RATIO 1032u

typedef struct al_source {
    const char *path;
    FILE *plain;
    gzFile gz;
} al_source;

/* Opens path, looks at its first two bytes and keeps it open as the right
 * kind of source; *file_bytes gets its size on disk. */
al_status al_source_open(al_source *s, const char *path, int *is_gzip, size_t *file_bytes,
                         al_error *err);
/* Reads up to n bytes; returns how many, and sets *failed with a message
 * when the stream is broken (as opposed to merely ending). */
size_t al_source_read(al_source *s, void *buf, size_t n, int *failed, al_error *err);
void al_source_close(al_source *s);

/* Reads a whole text file, plain or gzip, into a new NUL-terminated buffer
 * (free() it); refuses more than max_bytes of text, and a file holding a
 * NUL byte (binary, not text). *was_gzip (may be NULL) says which it was. */
al_status al_source_read_text(const char *path, size_t max_bytes, char **data, size_t *size,
                              int *was_gzip, al_error *err);

#endif
