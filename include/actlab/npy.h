/* NPY files (NumPy's .npy format, versions 1.0-3.0): little-endian f4, f8,
 * i4, i8, u1 in C order, any rank. Everything else is refused with a message. */
#ifndef ACTLAB_NPY_H
#define ACTLAB_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/array.h"
#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_NPY_MAX_RANK AL_ARRAY_MAX_RANK

/* Reads an NPY file; errors name the file and what is wrong with it. */
al_status al_npy_read(const char *path, al_array *out, al_error *err);
/* Parses an NPY image held in memory (used by al_npy_read and the fuzzer). */
al_status al_npy_parse(const void *bytes, size_t size, al_array *out, al_error *err);
/* Writes a in NPY 1.0 format atomically: a temporary file, fsync, rename. */
al_status al_npy_write(const char *path, const al_array *a, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
