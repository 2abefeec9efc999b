/* IDX files (LeCun's MNIST format, also Fashion-MNIST's): two zero bytes, a
 * type code, the rank, rank big-endian u32 dimensions, then the values
 * big-endian in C order. Files may be gzip-compressed (zlib reads them).
 * Nothing in the file is trusted: the data size is computed from the header
 * and checked against what the file can hold before anything is allocated,
 * and exactly that many bytes are read, so a hostile header costs at most a
 * bounded multiple of the file's own size. */
#include "actlab/data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actlab/util.h"
#include "data/source.h"

#define IDX_MAX_RANK 4

typedef struct idx_type {
    unsigned code;
    const char *name;
    size_t file_bytes;   /* bytes per value in the file */
    al_dtype dtype;      /* what it becomes in memory */
} idx_type;

static const idx_type IDX_TYPES[] = {
    {0x08, "unsigned byte", 1, AL_DTYPE_U8}, {0x09, "signed byte", 1, AL_DTYPE_I32},
    {0x0B, "short", 2, AL_DTYPE_I32},        {0x0C, "int", 4, AL_DTYPE_I32},
    {0x0D, "float", 4, AL_DTYPE_F32},        {0x0E, "double", 8, AL_DTYPE_F64},
};

static const idx_type *find_type(unsigned code)
{
    for (size_t i = 0; i < sizeof IDX_TYPES / sizeof IDX_TYPES[0]; i++)
        if (IDX_TYPES[i].code == code)
            return &IDX_TYPES[i];
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Turns the raw big-endian values at the start of a->data into native
 * values of a->dtype in place. Elements grow (1 or 2 bytes -> 4) so the loop
 * runs from the last element down: element i's new slot only covers old
 * elements at or after i, which have already been converted. */
static void decode_in_place(al_array *a, const idx_type *t)
{
    unsigned char *raw = a->data;
    size_t n = a->count;
    for (size_t k = n; k > 0; k--) {
        size_t i = k - 1;
        const unsigned char *p = raw + i * t->file_bytes;
        switch (t->code) {
        case 0x08: break; /* bytes are already in place */
        case 0x09: {
            int32_t v = (int8_t)p[0];
            memcpy(raw + i * 4, &v, 4);
            break;
        }
        case 0x0B: {
            int32_t v = (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
            memcpy(raw + i * 4, &v, 4);
            break;
        }
        case 0x0C:
        case 0x0D: {
            uint32_t u = be32(p);
            memcpy(raw + i * 4, &u, 4);
            break;
        }
        case 0x0E: {
            uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
            memcpy(raw + i * 8, &u, 8);
            break;
        }
        default: break;
        }
    }
}

static void dims_text(int rank, const size_t *dims, char *buf, size_t size)
{
    al_array tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.rank = rank;
    for (int i = 0; i < rank; i++)
        tmp.shape[i] = dims[i];
    al_array_shape_text(&tmp, buf, size);
}

static al_status read_idx(al_source *s, const char *path, int is_gzip, size_t file_bytes,
                          al_array *out, al_error *err)
{
    const char *how = is_gzip ? " (after gzip decompression)" : "";
    unsigned char head[4 + 4 * IDX_MAX_RANK];
    int failed;
    size_t got = al_source_read(s, head, 4, &failed, err);
    if (failed)
        return err ? err->status : AL_ERR_FORMAT;
    if (got < 4)
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': truncated header: %zu bytes%s, an IDX file starts with "
                            "4 magic bytes", path, got, how);
    if (head[0] != 0 || head[1] != 0)
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': bad magic %02x %02x %02x %02x%s: not an IDX file "
                            "(it starts with two zero bytes, a type code and the rank)",
                            path, head[0], head[1], head[2], head[3], how);
    const idx_type *t = find_type(head[2]);
    if (!t)
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': unsupported type code 0x%02X: IDX types are 0x08 "
                            "(u8), 0x09 (i8), 0x0B (i16), 0x0C (i32), 0x0D (f32), 0x0E (f64)",
                            path, head[2]);
    int rank = head[3];
    if (rank < 1 || rank > IDX_MAX_RANK)
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': rank %d: actlab reads IDX files of rank 1 to %d",
                            path, rank, IDX_MAX_RANK);
    size_t dim_bytes = 4 * (size_t)rank;
    got = al_source_read(s, head + 4, dim_bytes, &failed, err);
    if (failed)
        return err ? err->status : AL_ERR_FORMAT;
    if (got < dim_bytes)
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': truncated header: rank %d needs %zu bytes of "
                            "dimensions, the file has %zu%s", path, rank, dim_bytes, got, how);
    size_t dims[IDX_MAX_RANK];
    size_t count = 1;
    int overflow = 0;
    double approx = (double)t->file_bytes;
    for (int i = 0; i < rank; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        approx *= (double)dims[i];
        if (dims[i] != 0 && count > SIZE_MAX / dims[i])
            overflow = 1;
        else
            count *= dims[i];
    }
    char text[IDX_MAX_RANK * 12 + 4];
    dims_text(rank, dims, text, sizeof text);
    if (approx == 0.0)
        count = 0, overflow = 0;
    size_t data_bytes = 0;
    if (overflow || count > SIZE_MAX / 8 || approx > (double)PTRDIFF_MAX)
        return al_error_set(err, AL_ERR_NOMEM,
                            "reading '%s': dims overflow: %s of %s would need %.4g bytes",
                            path, text, t->name, approx);
    data_bytes = count * t->file_bytes;
    size_t header_bytes = 4 + dim_bytes;
    if (!is_gzip) {
        /* a plain file's size says exactly whether the data is all there */
        size_t left = file_bytes - header_bytes;
        if (left < data_bytes)
            return al_error_set(err, AL_ERR_FORMAT,
                                "reading '%s': truncated data: %s of %s needs %zu bytes, only "
                                "%zu follow the header", path, text, t->name, data_bytes, left);
        if (left > data_bytes)
            return al_error_set(err, AL_ERR_FORMAT,
                                "reading '%s': %zu bytes of trailing data: %s of %s needs %zu "
                                "bytes, %zu follow the header", path, left - data_bytes, text,
                                t->name, data_bytes, left);
    } else if ((double)data_bytes > (double)AL_GZIP_MAX_RATIO * (double)file_bytes + 1024.0) {
        return al_error_set(err, AL_ERR_FORMAT,
                            "reading '%s': the header claims %s of %s, %zu bytes, but a gzip "
                            "file of %zu bytes cannot hold more than %.4g: corrupt or truncated",
                            path, text, t->name, data_bytes, file_bytes,
                            (double)AL_GZIP_MAX_RATIO * (double)file_bytes);
    }
    al_status st = al_array_create(out, t->dtype, rank, dims, err);
    if (st != AL_OK)
        return al_error_prefix(err, "reading '%s': ", path);
    got = al_source_read(s, out->data, data_bytes, &failed, err);
    if (!failed && got == data_bytes) {
        /* one more byte must not be there; for gzip this also makes zlib
         * check the stream's CRC and length trailer */
        unsigned char extra;
        size_t more = al_source_read(s, &extra, 1, &failed, err);
        if (!failed && more > 0)
            st = al_error_set(err, AL_ERR_FORMAT,
                              "reading '%s': trailing data%s: %s of %s needs %zu bytes but more "
                              "follow", path, how, text, t->name, data_bytes);
    } else if (!failed) {
        st = al_error_set(err, AL_ERR_FORMAT,
                          "reading '%s': truncated data%s: %s of %s needs %zu bytes, only %zu "
                          "follow the header", path, how, text, t->name, data_bytes, got);
    }
    if (failed && st == AL_OK)
        st = err ? err->status : AL_ERR_FORMAT;
    if (st != AL_OK) {
        al_array_free(out);
        return st;
    }
    decode_in_place(out, t);
    return AL_OK;
}

al_status al_idx_read(const char *path, al_array *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    al_source s;
    int is_gzip = 0;
    size_t file_bytes = 0;
    al_status st = al_source_open(&s, path, &is_gzip, &file_bytes, err);
    if (st != AL_OK)
        return st;
    st = read_idx(&s, path, is_gzip, file_bytes, out, err);
    al_source_close(&s);
    return st;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

al_status al_dataset_load_idx_pair(const char *images_path, const char *labels_path,
                                   int n_classes, al_dataset **out, al_error *err)
{
    *out = NULL;
    al_array x, y;
    al_status st = al_idx_read(images_path, &x, err);
    if (st != AL_OK)
        return st;
    st = al_idx_read(labels_path, &y, err);
    if (st != AL_OK) {
        al_array_free(&x);
        return st;
    }
    if (y.dtype != AL_DTYPE_U8 && y.dtype != AL_DTYPE_I32)
        st = al_error_set(err, AL_ERR_FORMAT,
                          "'%s': labels must be an integer IDX type (0x08, 0x09, 0x0B, 0x0C), "
                          "not floating point", labels_path);
    else
        st = al_dataset_from_arrays(base_name(images_path), &x, images_path, &y, labels_path,
                                    n_classes, out, err);
    al_array_free(&x);
    al_array_free(&y);
    return st;
}

/* path = dir/name(.gz), preferring the Debian package's compressed files;
 * returns 0 when neither exists. */
static int find_file(const char *dir, const char *name, char *path, size_t size)
{
    struct stat st;
    snprintf(path, size, "%s/%s.gz", dir, name);
    if (stat(path, &st) == 0)
        return 1;
    snprintf(path, size, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

al_status al_dataset_load_fashion_mnist(const char *dir, al_data_subset subset,
                                        al_dataset **out, al_error *err)
{
    *out = NULL;
    if (!dir)
        dir = AL_FASHION_MNIST_DIR;
    if (subset != AL_DATA_TRAIN && subset != AL_DATA_TEST)
        return al_error_set(err, AL_ERR_INVALID, "unknown Fashion-MNIST subset %d", (int)subset);
    const char *prefix = subset == AL_DATA_TRAIN ? "train" : "t10k";
    char names[2][32];
    snprintf(names[0], sizeof names[0], "%s-images-idx3-ubyte", prefix);
    snprintf(names[1], sizeof names[1], "%s-labels-idx1-ubyte", prefix);
    size_t size = strlen(dir) + 48;
    char *images = malloc(size), *labels = malloc(size);
    if (!images || !labels) {
        free(images);
        free(labels);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory loading Fashion-MNIST");
    }
    al_status st = AL_OK;
    for (int i = 0; i < 2 && st == AL_OK; i++)
        if (!find_file(dir, names[i], i == 0 ? images : labels, size))
            st = al_error_set(err, AL_ERR_IO,
                              "Fashion-MNIST not found in %s: apt-get install "
                              "dataset-fashion-mnist (no %s.gz there)", dir, names[i]);
    /* Fashion-MNIST has 10 classes whatever labels a subset happens to hold */
    if (st == AL_OK)
        st = al_dataset_load_idx_pair(images, labels, 10, out, err);
    free(images);
    free(labels);
    if (st == AL_OK) {
        size_t want = subset == AL_DATA_TRAIN ? 60000 : 10000;
        const size_t *shape = al_dataset_feature_shape(*out);
        if (al_dataset_count(*out) != want || al_dataset_feature_rank(*out) != 3 ||
            shape[1] != 28 || shape[2] != 28) {
            al_dataset_free(*out);
            *out = NULL;
            return al_error_set(err, AL_ERR_FORMAT,
                                "Fashion-MNIST in %s is not the expected %zu images of 28x28: "
                                "reinstall dataset-fashion-mnist", dir, want);
        }
        al_dataset_set_name(*out, subset == AL_DATA_TRAIN ? "fashion-mnist-train"
                                                          : "fashion-mnist-test");
        /* the class names of Zalando's README, in label order */
        static const char *const class_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
        st = al_dataset_set_class_names(*out, class_names, 10, err);
        if (st != AL_OK) {
            al_dataset_free(*out);
            *out = NULL;
        }
    }
    return st;
}
