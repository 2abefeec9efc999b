/* n-dimensional arrays and overflow-checked size arithmetic. */
#include "actlab/array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

size_t al_dtype_size(al_dtype dtype)
{
    switch (dtype) {
    case AL_DTYPE_F32: return 4;
    case AL_DTYPE_F64: return 8;
    case AL_DTYPE_I32: return 4;
    case AL_DTYPE_I64: return 8;
    case AL_DTYPE_U8: return 1;
    }
    return 0; /* an out-of-range enum value: callers treat 0 as invalid */
}

const char *al_dtype_descr(al_dtype dtype)
{
    switch (dtype) {
    case AL_DTYPE_F32: return "<f4";
    case AL_DTYPE_F64: return "<f8";
    case AL_DTYPE_I32: return "<i4";
    case AL_DTYPE_I64: return "<i8";
    case AL_DTYPE_U8: return "|u1";
    }
    return "?";
}

int al_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

int al_shape_count(int rank, const size_t *shape, size_t *count)
{
    for (int i = 0; i < rank; i++) {
        if (shape[i] == 0) {
            *count = 0;
            return 1;
        }
    }
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        if (!al_size_mul(n, shape[i], &n))
            return 0;
    *count = n;
    return 1;
}

double al_shape_bytes_approx(int rank, const size_t *shape, size_t element_size)
{
    double bytes = (double)element_size;
    for (int i = 0; i < rank; i++)
        bytes *= (double)shape[i];
    return bytes;
}

void al_shape_text(int rank, const size_t *shape, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    int w = snprintf(buf, size, "[");
    if (w < 0 || (size_t)w >= size)
        return;
    size_t used = (size_t)w;
    for (int i = 0; i < rank; i++) {
        w = snprintf(buf + used, size - used, "%s%zu", i == 0 ? "" : ", ", shape[i]);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
    snprintf(buf + used, size - used, "]");
}

void al_array_shape_text(const al_array *a, char *buf, size_t size)
{
    al_shape_text(a->rank, a->shape, buf, size);
}

al_status al_array_create(al_array *out, al_dtype dtype, int rank, const size_t *shape, al_error *err)
{
    memset(out, 0, sizeof *out);
    size_t esize = al_dtype_size(dtype);
    if (esize == 0)
        return al_error_set(err, AL_ERR_INVALID, "cannot create an array: unknown dtype code %d",
                            (int)dtype);
    if (rank < 0 || rank > AL_ARRAY_MAX_RANK)
        return al_error_set(err, AL_ERR_INVALID,
                            "cannot create an array of rank %d: the rank must be 0 to %d", rank,
                            AL_ARRAY_MAX_RANK);
    if (rank > 0 && !shape)
        return al_error_set(err, AL_ERR_INVALID, "cannot create an array of rank %d: no shape given",
                            rank);
    size_t count = 0, bytes = 0;
    char text[AL_ARRAY_MAX_RANK * 22 + 3];
    /* objects larger than PTRDIFF_MAX break pointer arithmetic, so they are
     * refused along with sizes that overflow */
    if (!al_shape_count(rank, shape, &count) || !al_size_mul(count, esize, &bytes) ||
        bytes > (size_t)PTRDIFF_MAX) {
        al_shape_text(rank, shape, text, sizeof text);
        return al_error_set(err, AL_ERR_NOMEM,
                            "cannot create a %s array of shape %s: it would need %.4g bytes, "
                            "more than this machine can address",
                            al_dtype_descr(dtype), text, al_shape_bytes_approx(rank, shape, esize));
    }
    al_shape_text(rank, shape, text, sizeof text);
    al_status st = al_memory_check((double)bytes, err, "a %s array of shape %s",
                                   al_dtype_descr(dtype), text);
    if (st != AL_OK)
        return st;
    /* one byte for an empty array, so that data is never NULL on success */
    void *data = calloc(bytes ? bytes : 1, 1);
    if (!data)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory: a %s array of shape %s needs %zu bytes",
                            al_dtype_descr(dtype), text, bytes);
    out->dtype = dtype;
    out->rank = rank;
    for (int i = 0; i < rank; i++)
        out->shape[i] = shape[i];
    out->count = count;
    out->data = data;
    return AL_OK;
}

void al_array_free(al_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}
