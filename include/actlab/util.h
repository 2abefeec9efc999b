/* Small shared utilities: atomic file writes, whole-file reads, memory
 * checks before large allocations, a growable text buffer, and "did you
 * mean" suggestions. */
#ifndef ACTLAB_UTIL_H
#define ACTLAB_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes size bytes to path through a temporary file in the same folder,
 * fsync and rename: path holds either its old content or all of the new. */
al_status al_file_write_atomic(const char *path, const void *data, size_t size, al_error *err);
/* Appends one whole record to an (unbuffered) log stream: on a failed write
 * (full disk, file-size limit) the file is cut back to where it was, so it
 * never ends in half a record; the error names path and the reason. */
al_status al_file_append_whole(FILE *log, const char *path, const void *data, size_t size, al_error *err);

/* Opens path for reading if it is a regular file; *bytes gets its size. */
al_status al_file_open_regular(const char *path, FILE **out, size_t *bytes, al_error *err);

/* Reads a whole file into a new buffer (free() it); refuses files larger than
 * max_bytes. A NUL byte is appended (not counted in size) for text parsers. */
al_status al_file_read_all(const char *path, size_t max_bytes, char **data, size_t *size,
                           al_error *err);

/* "812 bytes", "1.5 KiB", "37.3 GiB": bytes in binary units, into buf. */
void al_format_bytes(double bytes, char *buf, size_t size);

/* The most memory one process can expect: the machine's RAM, lowered by
 * RLIMIT_AS or RLIMIT_DATA when they are set (0 when unknown). *source, if
 * given, gets a phrase naming which limit it is ("of memory this machine
 * has", "address-space limit (ulimit -v)", ...). */
double al_memory_limit_bytes(const char **source);

/* Refuses (AL_ERR_NOMEM), before anything is allocated, a need of `bytes`
 * beyond al_memory_limit_bytes, with a message that starts with the
 * printf-style description of what needs it and says how much: "X would
 * need 37.3 GiB (N bytes), more than the 23.4 GiB of memory this machine
 * has". Sizes under 64 MiB always pass. */
al_status al_memory_check(double bytes, al_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A growable, always NUL-terminated text buffer. Zero-initialise to start. */
typedef struct al_buf {
    char *data;
    size_t len, cap;
    int failed;        /* set when an allocation failed; later appends are ignored */
} al_buf;

/* Appends printf-style text. */
void al_buf_printf(al_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends len bytes. */
void al_buf_append(al_buf *b, const char *s, size_t len);
/* Frees the buffer's memory and zeroes it. */
void al_buf_free(al_buf *b);

/* Levenshtein distance between a and b, ignoring ASCII case. */
size_t al_edit_distance(const char *a, const char *b);

/* Writes up to three of names closest to name as "'A', 'B' or 'C'" into out. */
void al_closest_names(const char *name, const char *const *names, size_t count,
                      char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
