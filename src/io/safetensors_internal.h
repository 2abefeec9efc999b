/* Private to src/io's safetensors code (safetensors.c, tensors.c, tensors_check.c). */
#ifndef ACTLAB_IO_SAFETENSORS_INTERNAL_H
#define ACTLAB_IO_SAFETENSORS_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "actlab/safetensors.h"
#include "base/text.h"

/* the longest piece of a name or of Jansson's text echoed in a message */
#define ECHO_MAX 64
#define SHAPE_TEXT_BYTES (AL_NPY_MAX_RANK * 22 + 3)

/* A name or other text from a file, for a message (al_echo_text): control
 * characters become '?' and text over ECHO_MAX bytes is cut with "...". */
static inline void al_safetensors_echo(const char *s, char *buf, size_t size)
{
    al_echo_text(s, strlen(s), ECHO_MAX, buf, size);
}

/* The reserved name of the metadata map in a safetensors header. */
#define META_KEY "__metadata__"

/* Appends without checking the name: used by the parser, whose names Jansson
 * has already found unique. Takes the array on success (owned = 1). */
al_status al_tensors_push(al_tensors *t, const char *name, al_array *array, int owned, al_error *err);

/* Grows an array of elements of elem_size to hold one more; 0 on failure. */
int al_tensors_grow(void **items, size_t *capacity, size_t count, size_t elem_size);

/* Bytes a shape takes; 0 when it overflows. */
static inline int al_tensors_shape_bytes(int rank, const size_t *shape, size_t esize, size_t *count,
                                         size_t *bytes)
{
    size_t n;
    if (!al_shape_count(rank, shape, &n) || !al_size_mul(n, esize, bytes))
        return 0;
    *count = n;
    return 1;
}

#endif
