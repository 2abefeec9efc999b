/* Safetensors files: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 * optional "__metadata__": {string: string}}), then the data section, which
 * the tensors must cover exactly, without gaps or overlaps.
 *
 * The parser trusts nothing in the file: the header is parsed by Jansson
 * (duplicate keys refused), every entry is checked, and the offsets are
 * checked against each other and against the bytes present before any tensor
 * is allocated. Since the tensors cover the data section exactly, what is
 * allocated for them is at most the file's own size.
 *
 * The writer lays files out as the reference implementation does (compact
 * JSON, "__metadata__" first, header padded with spaces to a multiple of 8),
 * but keeps the collection's order rather than sorting by dtype and name, so
 * a file read and written back is byte-identical. Like npy.c, this assumes a
 * little-endian host: the tensor bytes are copied as they are. */
#include "actlab/safetensors.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors_internal.h"

/* the largest json_int_t, which Jansson does not define */
#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

static const struct {
    const char *name;
    al_dtype dtype;
} DTYPES[] = {
    {"F32", AL_DTYPE_F32}, {"F64", AL_DTYPE_F64}, {"I32", AL_DTYPE_I32},
    {"I64", AL_DTYPE_I64}, {"U8", AL_DTYPE_U8},
};
#define DTYPES_TEXT "F32, F64, I32, I64 and U8"

/* dtypes the format defines that actlab does not read: named as such in
 * messages, so that "convert it" is distinguished from "corrupt file" */
static const char *const OTHER_DTYPES[] = {
    "BOOL", "I8", "U16", "I16", "F16", "BF16", "U32", "U64", "F8_E4M3", "F8_E5M2",
    "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
};

const char *al_safetensors_dtype_name(al_dtype dtype)
{
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (DTYPES[i].dtype == dtype)
            return DTYPES[i].name;
    return "?";
}

/* ---- small helpers ----------------------------------------------------- */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

/* ---- parsing ----------------------------------------------------------- */

/* One header entry once checked; name points into the JSON tree. */
typedef struct entry {
    const char *name;
    al_dtype dtype;
    int rank;
    size_t shape[AL_NPY_MAX_RANK];
    size_t begin, end;
    size_t header_index; /* position in the header, to break ties when sorting */
} entry;

static al_status malformed(al_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static al_status malformed(al_error *err, const char *fmt, ...)
{
    char what[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return al_error_set(err, AL_ERR_FORMAT, "malformed safetensors file: %s", what);
}

/* A JSON value that must be a non-negative integer; what names it in messages. */
static al_status get_size(const json_t *v, const char *shown, const char *what, size_t *out,
                          al_error *err)
{
    if (!json_is_integer(v)) {
        if (json_is_real(v))
            return malformed(err, "tensor '%s': %s is %g, not an integer", shown, what,
                             json_real_value(v));
        return malformed(err, "tensor '%s': %s is %s; it must be a non-negative integer", shown,
                         what, json_type_name(v));
    }
    json_int_t i = json_integer_value(v);
    if (i < 0)
        return malformed(err, "tensor '%s': %s is negative (%" JSON_INTEGER_FORMAT ")", shown,
                         what, i);
    if ((unsigned long long)i > SIZE_MAX)
        return malformed(err, "tensor '%s': %s (%" JSON_INTEGER_FORMAT ") is too large", shown,
                         what, i);
    *out = (size_t)i;
    return AL_OK;
}

static al_status parse_dtype(const json_t *v, const char *shown, al_dtype *dtype, al_error *err)
{
    if (!v)
        return malformed(err, "tensor '%s' has no \"dtype\"", shown);
    if (!json_is_string(v))
        return malformed(err, "tensor '%s': \"dtype\" is %s; it must be a string such as \"F32\"",
                         shown, json_type_name(v));
    const char *s = json_string_value(v);
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (strcmp(s, DTYPES[i].name) == 0) {
            *dtype = DTYPES[i].dtype;
            return AL_OK;
        }
    }
    char name[ECHO_MAX + 8];
    al_safetensors_echo(s, name, sizeof name);
    for (size_t i = 0; i < sizeof OTHER_DTYPES / sizeof OTHER_DTYPES[0]; i++)
        if (strcmp(s, OTHER_DTYPES[i]) == 0)
            return malformed(err, "tensor '%s': dtype '%s' is not supported: actlab reads "
                             DTYPES_TEXT " (convert it, e.g. with tensor.float())", shown, name);
    return malformed(err, "tensor '%s': unknown dtype '%s' (actlab reads " DTYPES_TEXT ")",
                     shown, name);
}

/* Checks one header entry against itself and the data section's length. */
static al_status parse_entry(const char *name, const json_t *v, size_t data_len, entry *e,
                             al_error *err)
{
    char shown[ECHO_MAX + 8];
    al_safetensors_echo(name, shown, sizeof shown);
    e->name = name;
    if (!json_is_object(v))
        return malformed(err, "tensor '%s': the entry is %s; it must be an object with \"dtype\", "
                         "\"shape\" and \"data_offsets\"", shown, json_type_name(v));
    al_status st = parse_dtype(json_object_get(v, "dtype"), shown, &e->dtype, err);
    if (st != AL_OK)
        return st;

    const json_t *shape = json_object_get(v, "shape");
    if (!shape)
        return malformed(err, "tensor '%s' has no \"shape\"", shown);
    if (!json_is_array(shape))
        return malformed(err, "tensor '%s': \"shape\" is %s; it must be an array of dimensions",
                         shown, json_type_name(shape));
    if (json_array_size(shape) > AL_NPY_MAX_RANK)
        return malformed(err, "tensor '%s': \"shape\" has %zu dimensions, more than actlab's "
                         "limit of %d", shown, json_array_size(shape), AL_NPY_MAX_RANK);
    e->rank = (int)json_array_size(shape);
    for (int i = 0; i < e->rank; i++) {
        char what[48];
        snprintf(what, sizeof what, "dimension %d of \"shape\"", i);
        st = get_size(json_array_get(shape, (size_t)i), shown, what, &e->shape[i], err);
        if (st != AL_OK)
            return st;
    }

    const json_t *offsets = json_object_get(v, "data_offsets");
    if (!offsets)
        return malformed(err, "tensor '%s' has no \"data_offsets\"", shown);
    if (!json_is_array(offsets) || json_array_size(offsets) != 2)
        return malformed(err, "tensor '%s': \"data_offsets\" must be an array [begin, end] of "
                         "two integers", shown);
    st = get_size(json_array_get(offsets, 0), shown, "the begin of \"data_offsets\"", &e->begin,
                  err);
    if (st == AL_OK)
        st = get_size(json_array_get(offsets, 1), shown, "the end of \"data_offsets\"", &e->end,
                      err);
    if (st != AL_OK)
        return st;
    if (e->end < e->begin)
        return malformed(err, "tensor '%s': data_offsets [%zu, %zu] end before they begin", shown,
                         e->begin, e->end);
    if (e->end > data_len)
        return malformed(err, "tensor '%s': data_offsets [%zu, %zu] run past the end of the data "
                         "section, which is %zu bytes", shown, e->begin, e->end, data_len);

    char text[SHAPE_TEXT_BYTES];
    al_shape_text(e->rank, e->shape, text, sizeof text);
    size_t count = 0, bytes = 0;
    if (!al_tensors_shape_bytes(e->rank, e->shape, al_dtype_size(e->dtype), &count, &bytes)) {
        double need = (double)al_dtype_size(e->dtype);
        for (int i = 0; i < e->rank; i++)
            need *= (double)e->shape[i];
        return malformed(err, "tensor '%s': shape %s is absurd: as %s it would need %.4g bytes, "
                         "but data_offsets [%zu, %zu] hold %zu", shown, text,
                         al_safetensors_dtype_name(e->dtype), need, e->begin, e->end,
                         e->end - e->begin);
    }
    if (bytes != e->end - e->begin)
        return malformed(err, "tensor '%s': shape %s of %s needs %zu bytes, but data_offsets "
                         "[%zu, %zu] hold %zu", shown, text, al_safetensors_dtype_name(e->dtype),
                         bytes, e->begin, e->end, e->end - e->begin);
    return AL_OK;
}

static al_status parse_meta(const json_t *v, al_tensors *out, al_error *err)
{
    if (!json_is_object(v))
        return malformed(err, "\"" META_KEY "\" is %s; it must be an object of strings",
                         json_type_name(v));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        char shown[ECHO_MAX + 8];
        al_safetensors_echo(key, shown, sizeof shown);
        if (!json_is_string(value))
            return malformed(err, "\"" META_KEY "\" entry '%s' is %s; metadata values must be "
                             "strings", shown, json_type_name(value));
        al_status st = al_tensors_set_meta(out, key, json_string_value(value), err);
        if (st != AL_OK)
            return st;
    }
    return AL_OK;
}

static int by_offset(const void *pa, const void *pb)
{
    const entry *a = *(const entry *const *)pa, *b = *(const entry *const *)pb;
    if (a->begin != b->begin)
        return a->begin < b->begin ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->header_index < b->header_index ? -1 : (a->header_index > b->header_index);
}

/* The tensors must tile the data section: sorted by offset, each begins
 * where the previous one ended, and the last ends at the end. */
static al_status check_coverage(entry *entries, size_t n, size_t data_len, al_error *err)
{
    entry **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory checking %zu tensors", n);
    for (size_t i = 0; i < n; i++)
        order[i] = &entries[i];
    qsort(order, n, sizeof *order, by_offset);
    size_t cursor = 0;
    const entry *prev = NULL;
    al_status st = AL_OK;
    char a[ECHO_MAX + 8], b[ECHO_MAX + 8];
    for (size_t i = 0; i < n && st == AL_OK; i++) {
        const entry *e = order[i];
        if (e->begin < cursor) {
            al_safetensors_echo(prev->name, a, sizeof a);
            al_safetensors_echo(e->name, b, sizeof b);
            st = malformed(err, "tensors '%s' (data_offsets [%zu, %zu]) and '%s' ([%zu, %zu]) "
                           "overlap", a, prev->begin, prev->end, b, e->begin, e->end);
        } else if (e->begin > cursor) {
            al_safetensors_echo(e->name, b, sizeof b);
            if (prev)
                al_safetensors_echo(prev->name, a, sizeof a);
            st = malformed(err, "bytes %zu to %zu of the data section belong to no tensor (a gap "
                           "%s%s%s before '%s'); the tensors must cover it exactly", cursor,
                           e->begin, prev ? "after '" : "at the start", prev ? a : "",
                           prev ? "'" : "", b);
        }
        cursor = e->end;
        prev = e;
    }
    if (st == AL_OK && cursor < data_len)
        st = malformed(err, "%zu bytes of trailing data after the last tensor (the data section "
                       "is %zu bytes, the tensors cover %zu)", data_len - cursor, data_len, cursor);
    free(order);
    return st;
}

/* Everything after the JSON is parsed; root must be an object. */
static al_status parse_tree(json_t *root, const unsigned char *data, size_t data_len,
                            al_tensors *out, al_error *err)
{
    /* grown one checked entry at a time, so a header of many bad keys costs
     * nothing here; each good one is backed by at least ~50 header bytes */
    entry *entries = NULL;
    size_t count = 0, capacity = 0;
    al_status st = AL_OK;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, META_KEY) == 0) {
            st = parse_meta(value, out, err);
        } else if (!al_tensors_grow((void **)&entries, &capacity, count, sizeof *entries)) {
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory reading %zu header entries",
                              count + 1);
        } else {
            entries[count].header_index = count;
            st = parse_entry(key, value, data_len, &entries[count], err);
            count++;
        }
        if (st != AL_OK)
            break;
    }
    if (st == AL_OK)
        st = check_coverage(entries, count, data_len, err);
    /* only now, with every size checked against the file, is data allocated */
    for (size_t i = 0; i < count && st == AL_OK; i++) {
        const entry *e = &entries[i];
        al_array a;
        st = al_array_create(&a, e->dtype, e->rank, e->shape, err);
        if (st != AL_OK)
            break;
        if (e->end > e->begin)
            memcpy(a.data, data + e->begin, e->end - e->begin);
        st = al_tensors_push(out, e->name, &a, 1, err);
        if (st != AL_OK)
            al_array_free(&a);
    }
    free(entries);
    return st;
}

al_status al_safetensors_parse(const void *bytes, size_t size, al_tensors *out, al_error *err)
{
    if (!out)
        return al_error_set(err, AL_ERR_INVALID, "al_safetensors_parse: NULL output");
    memset(out, 0, sizeof *out);
    if (!bytes && size > 0)
        return al_error_set(err, AL_ERR_INVALID, "al_safetensors_parse: NULL bytes");
    const unsigned char *p = bytes;
    if (size < 8)
        return malformed(err, "the file is %zu bytes, too short for the 8-byte header length "
                         "that starts a safetensors file", size);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = header_len << 8 | p[i];
    if (header_len > AL_SAFETENSORS_MAX_HEADER_BYTES)
        return malformed(err, "header length %llu is absurd (the limit is %u bytes): this is not "
                         "a safetensors file, or a corrupt one", (unsigned long long)header_len,
                         AL_SAFETENSORS_MAX_HEADER_BYTES);
    if (header_len > size - 8)
        return malformed(err, "header length %llu runs past the end of the file (%zu bytes "
                         "follow the length): the file is truncated",
                         (unsigned long long)header_len, size - 8);
    size_t hlen = (size_t)header_len;

    json_error_t jerr;
    json_t *root = json_loadb((const char *)p + 8, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char text[ECHO_MAX + 8];
        al_safetensors_echo(jerr.text, text, sizeof text);
        /* position counts from the header's start; the file offset is what a
         * hex dump shows */
        long long at = jerr.position >= 0 ? 8LL + jerr.position : -1;
        /* Jansson would otherwise keep the last of two equal names silently */
        const char *hint = json_error_code(&jerr) == json_error_duplicate_key
                               ? " (a tensor name or key appears twice; each must be unique)" : "";
        return malformed(err, "invalid JSON header at line %d, column %d (byte %lld of the "
                         "file): %s%s", jerr.line, jerr.column, at, text, hint);
    }
    al_status st;
    if (!json_is_object(root))
        st = malformed(err, "the JSON header is %s; it must be an object mapping tensor names to "
                       "{\"dtype\", \"shape\", \"data_offsets\"}", json_type_name(root));
    else
        st = parse_tree(root, p + 8 + hlen, size - 8 - hlen, out, err);
    json_decref(root);
    if (st != AL_OK)
        al_tensors_free(out);
    return st;
}

al_status al_safetensors_read(const char *path, al_tensors *out, al_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    char *bytes = NULL;
    size_t size = 0;
    /* any size the memory holds (SIZE_MAX - 1 leaves room for the NUL) */
    al_status st = al_file_read_all(path, SIZE_MAX - 1, &bytes, &size, err);
    if (st != AL_OK)
        return st; /* the message already names the file */
    st = al_safetensors_parse(bytes, size, out, err);
    free(bytes);
    if (st != AL_OK)
        al_error_prefix(err, "reading '%s': ", path);
    return st;
}

/* ---- writing ----------------------------------------------------------- */

/* Adds name -> value to obj, taking value; 0 when value is NULL (a failed
 * json_* constructor) or the key is not valid UTF-8. */
static int set_new(json_t *obj, const char *name, json_t *value)
{
    return value && json_object_set_new(obj, name, value) == 0;
}

static json_t *size_array(const size_t *values, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (values[i] > (size_t)JSON_INT_MAX ||
            json_array_append_new(a, json_integer((json_int_t)values[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* The header as a JSON tree, and the data section's length. */
static al_status build_header(const al_tensors *t, json_t **header, size_t *data_len,
                              al_error *err)
{
    json_t *root = json_object();
    if (!root)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building the safetensors header");
    al_status st = AL_OK;
    if (t->meta_count > 0) {
        json_t *meta = json_object();
        int ok = set_new(root, META_KEY, meta);
        for (size_t i = 0; ok && i < t->meta_count; i++)
            ok = set_new(meta, t->meta[i].key, json_string(t->meta[i].value));
        if (!ok)
            st = al_error_set(err, AL_ERR_INVALID, "cannot write the metadata: a key or value is "
                              "not valid UTF-8 (or memory ran out)");
    }
    size_t offset = 0;
    for (size_t i = 0; i < t->count && st == AL_OK; i++) {
        const al_tensor *item = &t->items[i];
        const al_array *a = &item->array;
        char shown[ECHO_MAX + 8];
        al_safetensors_echo(item->name, shown, sizeof shown);
        size_t esize = al_dtype_size(a->dtype), count = 0, bytes = 0;
        if (esize == 0 || a->rank < 0 || a->rank > AL_NPY_MAX_RANK ||
            !al_tensors_shape_bytes(a->rank, a->shape, esize, &count, &bytes) || count != a->count) {
            st = al_error_set(err, AL_ERR_INVALID, "cannot write tensor '%s': its dtype, rank, "
                              "shape and count do not agree", shown);
            break;
        }
        if (bytes > 0 && !a->data) {
            st = al_error_set(err, AL_ERR_INVALID, "cannot write tensor '%s': it has no data",
                              shown);
            break;
        }
        if (bytes > SIZE_MAX - offset) {
            st = al_error_set(err, AL_ERR_NOMEM, "cannot write tensor '%s': the data section "
                              "would exceed the address space", shown);
            break;
        }
        size_t range[2] = {offset, offset + bytes};
        json_t *e = json_object();
        int ok = set_new(root, item->name, e) &&
                 set_new(e, "dtype", json_string(al_safetensors_dtype_name(a->dtype))) &&
                 set_new(e, "shape", size_array(a->shape, (size_t)a->rank)) &&
                 set_new(e, "data_offsets", size_array(range, 2));
        if (!ok)
            st = al_error_set(err, AL_ERR_INVALID, "cannot write tensor '%s': its name is not "
                              "valid UTF-8 (or memory ran out)", shown);
        offset += bytes;
    }
    if (st != AL_OK) {
        json_decref(root);
        return st;
    }
    *header = root;
    *data_len = offset;
    return AL_OK;
}

al_status al_safetensors_encode(const al_tensors *t, char **bytes, size_t *size, al_error *err)
{
    if (!t || !bytes || !size)
        return al_error_set(err, AL_ERR_INVALID, "al_safetensors_encode: NULL argument");
    *bytes = NULL;
    *size = 0;
    json_t *header = NULL;
    size_t data_len = 0;
    al_status st = build_header(t, &header, &data_len, err);
    if (st != AL_OK)
        return st;
    size_t json_len = json_dumpb(header, NULL, 0, JSON_COMPACT);
    /* padded with spaces, as the reference writer does, so the data section
     * starts 8-byte aligned in the file */
    size_t padded = json_len + (8 - json_len % 8) % 8;
    if (json_len == 0 || padded > AL_SAFETENSORS_MAX_HEADER_BYTES ||
        data_len > SIZE_MAX - 8 - padded) {
        json_decref(header);
        return al_error_set(err, AL_ERR_INVALID, "cannot write %zu tensors: the header (%zu bytes) "
                            "or the data (%zu bytes) is too large", t->count, json_len, data_len);
    }
    size_t total = 8 + padded + data_len;
    char *image = malloc(total);
    if (!image) {
        json_decref(header);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory laying out %zu bytes of safetensors",
                            total);
    }
    size_t dumped = json_dumpb(header, image + 8, json_len, JSON_COMPACT);
    json_decref(header);
    if (dumped != json_len) { /* cannot happen for an unchanged tree; kept as a guard */
        free(image);
        return al_error_set(err, AL_ERR_INVALID, "the safetensors header changed size while "
                            "being written");
    }
    for (int i = 0; i < 8; i++)
        image[i] = (char)(unsigned char)((uint64_t)padded >> (8 * i));
    memset(image + 8 + json_len, ' ', padded - json_len);
    char *data = image + 8 + padded;
    for (size_t i = 0; i < t->count; i++) {
        const al_array *a = &t->items[i].array;
        size_t n = a->count * al_dtype_size(a->dtype); /* checked in build_header */
        if (n > 0)
            memcpy(data, a->data, n);
        data += n;
    }
    *bytes = image;
    *size = total;
    return AL_OK;
}

al_status al_safetensors_write(const char *path, const al_tensors *t, al_error *err)
{
    char *image = NULL;
    size_t size = 0;
    al_status st = al_safetensors_encode(t, &image, &size, err);
    if (st == AL_OK)
        st = al_file_write_atomic(path, image, size, err);
    else
        al_error_prefix(err, "writing '%s': ", path);
    free(image);
    return st;
}
