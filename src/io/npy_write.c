/* Writing NPY files: the header laid out exactly as numpy 1.24's np.save
 * does, so a file round-tripped through actlab is byte-identical to numpy's. */
#include "actlab/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "io/npy_format.h"

/* numpy aligns the data to 64 bytes; the header is padded to reach it */
#define NPY_ALIGN 64
/* numpy leaves room for the first axis to grow to this many digits */
#define NPY_GROWTH_DIGITS 21

/* The header numpy 1.24 writes for a C-order array: the dict, spaces left for
 * the first axis to grow (np.save's GROWTH_AXIS_MAX_DIGITS), then spaces and
 * a newline up to the next multiple of 64 bytes (numpy adds 64 when already
 * aligned). Returns its length, magic and length bytes included, or 0 if buf
 * is too small. */
static size_t format_header(const al_array *a, char *buf, size_t size)
{
    char dict[AL_NPY_MAX_RANK * 22 + 128];
    size_t used = 0;
    int w = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     al_dtype_descr(a->dtype));
    if (w < 0 || (size_t)w >= sizeof dict)
        return 0;
    used = (size_t)w;
    for (int i = 0; i < a->rank; i++) {
        /* Python's repr of a tuple: "(3,)" for one element, "(2, 3)" otherwise */
        const char *sep = a->rank == 1 ? "," : (i + 1 < a->rank ? ", " : "");
        w = snprintf(dict + used, sizeof dict - used, "%zu%s", a->shape[i], sep);
        if (w < 0 || (size_t)w >= sizeof dict - used)
            return 0;
        used += (size_t)w;
    }
    w = snprintf(dict + used, sizeof dict - used, "), }");
    if (w < 0 || (size_t)w >= sizeof dict - used)
        return 0;
    used += (size_t)w;
    if (a->rank > 0) {
        char digits[32];
        int nd = snprintf(digits, sizeof digits, "%zu", a->shape[0]);
        size_t growth = nd > 0 && nd < NPY_GROWTH_DIGITS ? (size_t)(NPY_GROWTH_DIGITS - nd) : 0;
        if (used + growth >= sizeof dict)
            return 0;
        memset(dict + used, ' ', growth);
        used += growth;
    }
    size_t text_len = used + 1; /* the dict and its newline */
    size_t pad = NPY_ALIGN - (10 + text_len) % NPY_ALIGN;
    size_t header_len = text_len + pad;
    if (header_len > 0xffff || 10 + header_len > size)
        return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_BYTES);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(header_len & 0xff);
    buf[9] = (char)(header_len >> 8);
    memcpy(buf + 10, dict, used);
    memset(buf + 10 + used, ' ', pad);
    buf[10 + header_len - 1] = '\n';
    return 10 + header_len;
}

al_status al_npy_write(const char *path, const al_array *a, al_error *err)
{
    size_t esize = al_dtype_size(a->dtype);
    if (esize == 0)
        return al_error_set(err, AL_ERR_INVALID, "cannot write '%s': unknown dtype code %d", path,
                            (int)a->dtype);
    if (a->rank < 0 || a->rank > AL_NPY_MAX_RANK)
        return al_error_set(err, AL_ERR_INVALID, "cannot write '%s': rank %d is outside 0 to %d",
                            path, a->rank, AL_NPY_MAX_RANK);
    size_t count = 0, data_bytes = 0;
    char text[AL_NPY_MAX_RANK * 22 + 3];
    al_shape_text(a->rank, a->shape, text, sizeof text);
    if (!al_shape_count(a->rank, a->shape, &count) || count != a->count ||
        !al_size_mul(count, esize, &data_bytes))
        return al_error_set(err, AL_ERR_INVALID,
                            "cannot write '%s': the array's count %zu does not match its shape %s",
                            path, a->count, text);
    if (data_bytes > 0 && !a->data)
        return al_error_set(err, AL_ERR_INVALID, "cannot write '%s': the %s array has no data",
                            path, text);
    char header[1024];
    size_t header_bytes = format_header(a, header, sizeof header);
    if (header_bytes == 0) /* cannot happen within AL_NPY_MAX_RANK; kept as a guard */
        return al_error_set(err, AL_ERR_INVALID, "cannot write '%s': the NPY header for shape %s "
                            "does not fit", path, text);
    if (data_bytes > SIZE_MAX - header_bytes)
        return al_error_set(err, AL_ERR_NOMEM, "cannot write '%s': %zu bytes of data is too much",
                            path, data_bytes);
    /* al_file_write_atomic takes one buffer, so header and data are joined;
     * this costs one copy of the data */
    size_t total = header_bytes + data_bytes;
    char *image = malloc(total);
    if (!image)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing '%s' (%zu bytes)", path,
                            total);
    memcpy(image, header, header_bytes);
    if (data_bytes > 0)
        memcpy(image + header_bytes, a->data, data_bytes);
    al_status st = al_file_write_atomic(path, image, total, err);
    free(image);
    return st;
}
