/* Safetensors files (the format of Hugging Face's `safetensors`): named
 * little-endian tensors in C order behind a JSON header. actlab writes its
 * checkpoints in it with PyTorch's nn.Sequential state_dict names ("0.weight",
 * "1.running_mean", ...), so the files load into PyTorch unchanged. */
#ifndef ACTLAB_SAFETENSORS_H
#define ACTLAB_SAFETENSORS_H

#include <stddef.h>

#include "actlab/npy.h"
#include "actlab/status.h"
#include "actlab/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest JSON header accepted, as in the reference implementation: a
 * longer one is refused before anything is parsed. */
#define AL_SAFETENSORS_MAX_HEADER_BYTES 100000000u

/* One named tensor. A view (owned == 0) borrows its data, which must outlive
 * the collection: it lets a net's parameters be written without a copy. */
typedef struct al_tensor {
    char *name;
    al_array array;
    int owned;
} al_tensor;

/* A "__metadata__" entry: free-form strings kept with the tensors. */
typedef struct al_tensor_meta {
    char *key;
    char *value;
} al_tensor_meta;

/* An ordered collection of uniquely named tensors plus string metadata.
 * Zero-initialise it (al_tensors t = {0}) and release it with al_tensors_free. */
typedef struct al_tensors {
    al_tensor *items;
    size_t count, capacity;
    al_tensor_meta *meta;
    size_t meta_count, meta_capacity;
} al_tensors;

/* Appends array under name and takes its data: on success *array is zeroed
 * and the collection frees the data; on failure the caller keeps it. Refuses
 * an empty or duplicate name and "__metadata__". */
al_status al_tensors_add(al_tensors *t, const char *name, al_array *array, al_error *err);
/* Appends a view of array (data not copied, not freed); same name rules. */
al_status al_tensors_add_view(al_tensors *t, const char *name, const al_array *array,
                              al_error *err);
/* Appends a view of data with the given dtype and shape (data may be NULL:
 * a description of what is expected, for al_tensors_check). */
al_status al_tensors_add_view_of(al_tensors *t, const char *name, al_dtype dtype, int rank,
                                 const size_t *shape, void *data, al_error *err);
/* The tensor named name, or NULL. */
const al_array *al_tensors_find(const al_tensors *t, const char *name);
/* Sets (or replaces) a metadata entry; written as the "__metadata__" map. */
al_status al_tensors_set_meta(al_tensors *t, const char *key, const char *value, al_error *err);
/* The metadata value for key, or NULL. */
const char *al_tensors_get_meta(const al_tensors *t, const char *key);
/* Frees the names, owned data and metadata, and zeroes t; NULL is fine. */
void al_tensors_free(al_tensors *t);

/* The safetensors name of dtype ("F32", "I64", ...), or "?" for an unknown code. */
const char *al_safetensors_dtype_name(al_dtype dtype);

/* Parses a safetensors image held in memory (used by al_safetensors_read and
 * the fuzzer). out is overwritten, and left empty on failure; the message
 * says what is wrong and where. Nothing is allocated beyond a small multiple
 * of size. */
al_status al_safetensors_parse(const void *bytes, size_t size, al_tensors *out, al_error *err);
/* Reads a safetensors file; errors name the file. */
al_status al_safetensors_read(const char *path, al_tensors *out, al_error *err);

/* Lays t out as a safetensors image in a new buffer (free() it): header with
 * "__metadata__" first when there is any, then the tensors in t's order, data
 * in the same order, header padded with spaces to a multiple of 8 bytes. */
al_status al_safetensors_encode(const al_tensors *t, char **bytes, size_t *size, al_error *err);
/* Writes t to path atomically (temporary file, fsync, rename). */
al_status al_safetensors_write(const char *path, const al_tensors *t, al_error *err);

/* Checks loaded against expected (only names, dtypes and shapes are read
 * from expected, so views with no data will do). Every mismatch (missing,
 * unexpected, wrong dtype or shape) is listed in one AL_ERR_SHAPE message,
 * with "... and N more" when they do not all fit; report, when not NULL,
 * receives the full list, one mismatch per line. */
al_status al_tensors_check(const al_tensors *expected, const al_tensors *loaded, al_buf *report,
                           al_error *err);

#ifdef __cplusplus
}
#endif
#endif
