/* NPY files (NumPy's .npy format, versions 1.0-3.0): little-endian f4, f8,
 * i4, i8, u1 in C order, any rank. Everything else is refused with a message. */
#ifndef ACTLAB_NPY_H
#define ACTLAB_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_NPY_MAX_RANK 16

typedef enum al_dtype {
    AL_DTYPE_F32,
    AL_DTYPE_F64,
    AL_DTYPE_I32,
    AL_DTYPE_I64,
    AL_DTYPE_U8
} al_dtype;

/* An n-dimensional array in memory, C order; owns data. */
typedef struct al_array {
    al_dtype dtype;
    int rank;
    size_t shape[AL_NPY_MAX_RANK];
    size_t count;      /* product of shape (1 for rank 0) */
    void *data;        /* count * al_dtype_size(dtype) bytes */
} al_array;

/* Bytes per element of dtype. */
size_t al_dtype_size(al_dtype dtype);
/* NumPy's descr string of dtype ("<f4"). */
const char *al_dtype_descr(al_dtype dtype);

/* Allocates a zeroed array of the given dtype and shape; refuses absurd sizes. */
al_status al_array_create(al_array *out, al_dtype dtype, int rank, const size_t *shape, al_error *err);
/* Frees the array's data and zeroes it; NULL or an empty array is fine. */
void al_array_free(al_array *a);
/* Writes "[2, 3]" into buf. */
void al_array_shape_text(const al_array *a, char *buf, size_t size);

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
