/* n-dimensional arrays in memory (C order) and the size arithmetic every
 * file reader needs: element counts and byte sizes that refuse to overflow. */
#ifndef ACTLAB_ARRAY_H
#define ACTLAB_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AL_ARRAY_MAX_RANK 16

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
    size_t shape[AL_ARRAY_MAX_RANK];
    size_t count;      /* product of shape (1 for rank 0) */
    void *data;        /* count * al_dtype_size(dtype) bytes */
} al_array;

/* Bytes per element of dtype (0 for a value outside the enum). */
size_t al_dtype_size(al_dtype dtype);
/* NumPy's descr string of dtype ("<f4"). */
const char *al_dtype_descr(al_dtype dtype);

/* Allocates a zeroed array of the given dtype and shape (data is never NULL
 * on success); refuses sizes that overflow or exceed the machine's memory. */
al_status al_array_create(al_array *out, al_dtype dtype, int rank, const size_t *shape, al_error *err);
/* Frees the array's data and zeroes it; NULL or an empty array is fine. */
void al_array_free(al_array *a);
/* Writes "[2, 3]" into buf. */
void al_array_shape_text(const al_array *a, char *buf, size_t size);

/* *out = a * b; returns 0 (leaving *out alone) when it would overflow. */
int al_size_mul(size_t a, size_t b, size_t *out);
/* The element count of a shape; returns 0 when it overflows. A zero dimension
 * makes the count 0 however large the others are. */
int al_shape_count(int rank, const size_t *shape, size_t *count);
/* Bytes a shape would take, as a double, for messages about sizes that do
 * not fit in size_t. */
double al_shape_bytes_approx(int rank, const size_t *shape, size_t element_size);
/* "[2, 3]" ("[]" for rank 0); NUL-terminated when size > 0, cut short if it must be. */
void al_shape_text(int rank, const size_t *shape, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
