/* The data module's readers: IDX files (plain and gzip) written here byte by
 * byte, every refusal with a crafted file, NPY datasets (labels and targets),
 * byte features, and Fashion-MNIST itself when the Debian package is there.
 * Splits, standardisation and the batcher: test_data_split.c. */
#include "actlab/data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "actlab/npy.h"
#include "check.h"

static char tmp_dir[64];

/* A path in the test folder; the last 64 stay valid, enough for every test
 * to hold the paths it made. */
static const char *tmp_path(const char *name)
{
    static char path[64][256];
    static int next;
    char *p = path[next++ % 64];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_file(const char *name, const void *bytes, size_t size)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(bytes, 1, size, f) != size)) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    fclose(f);
    return path;
}

static const char *write_gz(const char *name, const void *bytes, size_t size)
{
    const char *path = tmp_path(name);
    gzFile g = gzopen(path, "wb");
    if (!g || (size && gzwrite(g, bytes, (unsigned)size) != (int)size)) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    gzclose(g);
    return path;
}

/* An IDX image: the magic for type and rank, big-endian dims, then data
 * (already big-endian) as given. Returns the size. */
static size_t build_idx(unsigned char *buf, unsigned type, int rank, const uint32_t *dims,
                        const void *data, size_t data_len)
{
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)rank;
    size_t o = 4;
    for (int i = 0; i < rank; i++) {
        buf[o++] = (unsigned char)(dims[i] >> 24);
        buf[o++] = (unsigned char)(dims[i] >> 16);
        buf[o++] = (unsigned char)(dims[i] >> 8);
        buf[o++] = (unsigned char)dims[i];
    }
    if (data_len)
        memcpy(buf + o, data, data_len);
    return o + data_len;
}

/* al_idx_read on path must fail with want_status, name the file and say want_text. */
static void expect_idx_refusal(const char *what, const char *path, al_status want_status,
                               const char *want_text)
{
    al_array a;
    al_error err = {0};
    al_status st = al_idx_read(path, &a, &err);
    CHECK(st == want_status, "%s: status %d (%s), want %d; message: %s", what, (int)st,
          al_status_name(st), (int)want_status, err.message);
    CHECK(strstr(err.message, want_text) != NULL, "%s: message lacks \"%s\": %s", what, want_text,
          err.message);
    CHECK(strstr(err.message, path) != NULL, "%s: message does not name the file: %s", what,
          err.message);
    CHECK(a.data == NULL, "%s: array not empty on failure", what);
    al_array_free(&a);
}

static void test_idx_good(void)
{
    CHECK_SECTION("idx: reading every type, plain and gzip");
    unsigned char buf[256];
    const unsigned char pixels[12] = {0, 255, 51, 102, 1, 2, 3, 4, 200, 100, 50, 25};
    const uint32_t idims[3] = {3, 2, 2};
    size_t n = build_idx(buf, 0x08, 3, idims, pixels, sizeof pixels);
    const char *plain = write_file("img.idx", buf, n);
    const char *gz = write_gz("img.idx.gz", buf, n);
    const unsigned char labels[3] = {2, 0, 4};
    const uint32_t ldims[1] = {3};
    n = build_idx(buf, 0x08, 1, ldims, labels, sizeof labels);
    const char *lab = write_file("lab.idx", buf, n);
    const char *labgz = write_gz("lab.idx.gz", buf, n);

    for (int pass = 0; pass < 2; pass++) {
        const char *ipath = pass ? gz : plain, *lpath = pass ? labgz : lab;
        al_array a;
        al_error err = {0};
        al_status st = al_idx_read(ipath, &a, &err);
        CHECK(st == AL_OK, "read %s: %s", ipath, err.message);
        if (st == AL_OK) {
            CHECK(a.dtype == AL_DTYPE_U8 && a.rank == 3 && a.shape[0] == 3 && a.shape[1] == 2 &&
                      a.shape[2] == 2 && a.count == 12, "%s: wrong array", ipath);
            CHECK(memcmp(a.data, pixels, 12) == 0, "%s: wrong bytes", ipath);
            al_array_free(&a);
        }
        al_dataset *ds = NULL;
        st = al_dataset_load_idx_pair(ipath, lpath, 0, &ds, &err);
        CHECK(st == AL_OK, "pair %s: %s", ipath, err.message);
        if (st != AL_OK)
            continue;
        CHECK(al_dataset_count(ds) == 3 && al_dataset_features(ds) == 4, "pair shape");
        const size_t *fs = al_dataset_feature_shape(ds);
        CHECK(al_dataset_feature_rank(ds) == 3 && fs[0] == 1 && fs[1] == 2 && fs[2] == 2,
              "a rank-3 image file gives [1, H, W]");
        CHECK(al_dataset_classes(ds) == 5, "n_classes = max label + 1, got %d",
              al_dataset_classes(ds));
        const float *x = al_dataset_x(ds);
        for (int i = 0; i < 12; i++)
            CHECK_NEAR(x[i], pixels[i] / 255.0, 1e-7, 0, "pixel %d scaled by 1/255", i);
        CHECK(x[1] == 1.0f && x[0] == 0.0f, "255 -> 1 exactly, 0 -> 0");
        CHECK(al_dataset_y(ds)[0] == 2 && al_dataset_y(ds)[2] == 4, "labels");
        CHECK(strcmp(al_dataset_name(ds), pass ? "img.idx.gz" : "img.idx") == 0, "name %s",
              al_dataset_name(ds));
        al_dataset_free(ds);
        st = al_dataset_load_idx_pair(ipath, lpath, 10, &ds, &err);
        CHECK(st == AL_OK && al_dataset_classes(ds) == 10, "given n_classes kept");
        al_dataset_free(ds);
    }

    /* the other types, big-endian in the file */
    const unsigned char i8[3] = {0x80, 0xff, 0x7f};            /* -128, -1, 127 */
    const unsigned char i16[4] = {0xff, 0xfe, 0x01, 0x2c};     /* -2, 300 */
    const unsigned char i32[4] = {0xff, 0xff, 0xff, 0xf9};     /* -7 */
    const unsigned char f32[4] = {0x3f, 0xc0, 0x00, 0x00};     /* 1.5f */
    const unsigned char f64[8] = {0xc0, 0x02, 0, 0, 0, 0, 0, 0}; /* -2.25 */
    uint32_t d[1] = {3};
    al_array a;
    al_error err = {0};
    n = build_idx(buf, 0x09, 1, d, i8, 3);
    CHECK(al_idx_read(write_file("i8.idx", buf, n), &a, &err) == AL_OK, "i8: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_I32 && ((int32_t *)a.data)[0] == -128 &&
              ((int32_t *)a.data)[1] == -1 && ((int32_t *)a.data)[2] == 127, "i8 values");
    al_array_free(&a);
    d[0] = 2;
    n = build_idx(buf, 0x0B, 1, d, i16, 4);
    CHECK(al_idx_read(write_file("i16.idx", buf, n), &a, &err) == AL_OK, "i16: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_I32 && ((int32_t *)a.data)[0] == -2 && ((int32_t *)a.data)[1] == 300,
          "i16 values");
    al_array_free(&a);
    d[0] = 1;
    n = build_idx(buf, 0x0C, 1, d, i32, 4);
    CHECK(al_idx_read(write_file("i32.idx", buf, n), &a, &err) == AL_OK, "i32: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_I32 && ((int32_t *)a.data)[0] == -7, "i32 value");
    al_array_free(&a);
    n = build_idx(buf, 0x0D, 1, d, f32, 4);
    CHECK(al_idx_read(write_file("f32.idx", buf, n), &a, &err) == AL_OK, "f32: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_F32 && ((float *)a.data)[0] == 1.5f, "f32 value");
    al_array_free(&a);
    n = build_idx(buf, 0x0E, 1, d, f64, 8);
    CHECK(al_idx_read(write_file("f64.idx", buf, n), &a, &err) == AL_OK, "f64: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_F64 && ((double *)a.data)[0] == -2.25, "f64 value");
    al_array_free(&a);
}

static void test_idx_bad(void)
{
    CHECK_SECTION("idx: refusals");
    unsigned char buf[512];
    unsigned char data[64];
    memset(data, 7, sizeof data);
    const uint32_t dims2[2] = {2, 3};
    size_t n;

    expect_idx_refusal("missing", tmp_path("no-such-file.idx"), AL_ERR_IO, "cannot open");
    expect_idx_refusal("empty", write_file("empty.idx", "", 0), AL_ERR_FORMAT, "truncated header");
    expect_idx_refusal("short magic", write_file("short.idx", "\0\0\x08", 3), AL_ERR_FORMAT,
                       "truncated header");
    n = build_idx(buf, 0x08, 2, dims2, data, 6);
    buf[0] = 1;
    expect_idx_refusal("bad magic", write_file("magic.idx", buf, n), AL_ERR_FORMAT, "bad magic");
    expect_idx_refusal("png", write_file("png.idx", "\x89PNG\r\n\x1a\n", 8), AL_ERR_FORMAT,
                       "bad magic 89 50 4e 47");
    n = build_idx(buf, 0x0A, 2, dims2, data, 6);
    expect_idx_refusal("type 0x0A", write_file("type.idx", buf, n), AL_ERR_FORMAT,
                       "unsupported type code 0x0A");
    n = build_idx(buf, 0x08, 0, dims2, data, 6);
    expect_idx_refusal("rank 0", write_file("rank0.idx", buf, n), AL_ERR_FORMAT, "rank 0");
    const uint32_t dims5[5] = {1, 1, 1, 1, 1};
    n = build_idx(buf, 0x08, 5, dims5, data, 1);
    expect_idx_refusal("rank 5", write_file("rank5.idx", buf, n), AL_ERR_FORMAT, "rank 5");
    n = build_idx(buf, 0x08, 3, (const uint32_t[]){2, 3, 4}, NULL, 0);
    expect_idx_refusal("dims cut", write_file("dims.idx", buf, n - 3), AL_ERR_FORMAT,
                       "truncated header");
    n = build_idx(buf, 0x08, 2, dims2, data, 5);
    expect_idx_refusal("truncated", write_file("trunc.idx", buf, n), AL_ERR_FORMAT,
                       "truncated data: [2, 3] of unsigned byte needs 6 bytes, only 5");
    n = build_idx(buf, 0x0C, 2, dims2, data, 23);
    expect_idx_refusal("truncated i32", write_file("trunc32.idx", buf, n), AL_ERR_FORMAT,
                       "needs 24 bytes, only 23");
    n = build_idx(buf, 0x08, 2, dims2, data, 8);
    expect_idx_refusal("trailing", write_file("trail.idx", buf, n), AL_ERR_FORMAT,
                       "2 bytes of trailing data");
    const uint32_t huge[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    n = build_idx(buf, 0x08, 4, huge, NULL, 0);
    expect_idx_refusal("overflow", write_file("overflow.idx", buf, n), AL_ERR_NOMEM,
                       "dims overflow");
    /* a plain file claiming 60000x28x28 but holding 6 bytes: refused from the
     * file size, nothing allocated */
    n = build_idx(buf, 0x08, 3, (const uint32_t[]){60000, 28, 28}, data, 6);
    expect_idx_refusal("absurd plain", write_file("absurd.idx", buf, n), AL_ERR_FORMAT,
                       "needs 47040000 bytes, only 6");

    /* gzip: the size is unknown until decompressed, so the ratio bound and
     * the reads themselves must catch lies */
    n = build_idx(buf, 0x0D, 3, (const uint32_t[]){100000, 1000, 1000}, data, 6);
    expect_idx_refusal("absurd gzip", write_gz("absurd.idx.gz", buf, n), AL_ERR_FORMAT,
                       "cannot hold more than");
    n = build_idx(buf, 0x08, 2, dims2, data, 5);
    expect_idx_refusal("gzip truncated data", write_gz("trunc.idx.gz", buf, n), AL_ERR_FORMAT,
                       "truncated data (after gzip decompression)");
    n = build_idx(buf, 0x08, 2, dims2, data, 9);
    expect_idx_refusal("gzip trailing", write_gz("trail.idx.gz", buf, n), AL_ERR_FORMAT,
                       "trailing data");
    n = build_idx(buf, 0x08, 2, dims2, data, 6);
    buf[0] = 0x42;
    expect_idx_refusal("gzip bad magic", write_gz("magic.idx.gz", buf, n), AL_ERR_FORMAT,
                       "bad magic 42 00 08 02 (after gzip decompression)");

    /* a real gzip file cut short, and one with its CRC damaged */
    unsigned char big[4096];
    for (size_t i = 0; i < 4000; i++)
        big[i] = (unsigned char)(i * 7919u >> 3);
    n = build_idx(buf, 0x08, 2, (const uint32_t[]){40, 100}, NULL, 0);
    unsigned char img[4096 + 16];
    memcpy(img, buf, n);
    memcpy(img + n, big, 4000);
    const char *good = write_gz("good.idx.gz", img, n + 4000);
    char *gzbytes = NULL;
    FILE *f = fopen(good, "rb");
    long gzsize = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        gzsize = ftell(f);
        rewind(f);
        gzbytes = malloc((size_t)gzsize);
        if (gzbytes && fread(gzbytes, 1, (size_t)gzsize, f) != (size_t)gzsize)
            gzsize = 0;
        fclose(f);
    }
    CHECK(gzbytes && gzsize > 20, "could not reread the gzip file");
    if (gzbytes && gzsize > 20) {
        al_array a;
        al_error err = {0};
        CHECK(al_idx_read(good, &a, &err) == AL_OK, "intact gzip: %s", err.message);
        al_array_free(&a);
        expect_idx_refusal("gzip cut in the trailer",
                           write_file("cut1.idx.gz", gzbytes, (size_t)gzsize - 4), AL_ERR_FORMAT,
                           "gzip");
        expect_idx_refusal("gzip cut in the data",
                           write_file("cut2.idx.gz", gzbytes, (size_t)gzsize / 2), AL_ERR_FORMAT,
                           "gzip");
        gzbytes[gzsize - 6] ^= 0x55; /* inside the CRC32 */
        expect_idx_refusal("gzip bad crc", write_file("crc.idx.gz", gzbytes, (size_t)gzsize),
                           AL_ERR_FORMAT, "corrupt gzip data");
        free(gzbytes);
    }

    /* pairs */
    al_dataset *ds = NULL;
    al_error err = {0};
    n = build_idx(buf, 0x08, 2, dims2, data, 6);
    const char *img2 = write_file("pair-img.idx", buf, n);
    n = build_idx(buf, 0x08, 1, (const uint32_t[]){3}, "\1\2\3", 3);
    const char *lab3 = write_file("pair-lab3.idx", buf, n);
    al_status st = al_dataset_load_idx_pair(img2, lab3, 0, &ds, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "has 2 examples") &&
              strstr(err.message, "has 3 labels"), "count mismatch: %s", err.message);
    CHECK(ds == NULL, "no dataset on failure");
    n = build_idx(buf, 0x08, 1, (const uint32_t[]){2}, "\1\x0c", 2);
    const char *lab2 = write_file("pair-lab2.idx", buf, n);
    st = al_dataset_load_idx_pair(img2, lab2, 10, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "label 12 at row 1 is not below n_classes 10")
              && strstr(err.message, lab2), "label range: %s", err.message);
    n = build_idx(buf, 0x0D, 1, (const uint32_t[]){2}, "\0\0\0\0\0\0\0\0", 8);
    st = al_dataset_load_idx_pair(img2, write_file("pair-labf.idx", buf, n), 0, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "labels must be an integer IDX type"),
          "float labels: %s", err.message);
    n = build_idx(buf, 0x09, 1, (const uint32_t[]){2}, "\1\xff", 2);
    st = al_dataset_load_idx_pair(img2, write_file("pair-labneg.idx", buf, n), 0, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "label -1 at row 1 is negative"),
          "negative label: %s", err.message);
    n = build_idx(buf, 0x08, 1, (const uint32_t[]){2}, "\1\2", 2);
    st = al_dataset_load_idx_pair(write_file("pair-img1.idx", buf, n), lab2, 0, &ds, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "features must have 2 to"),
          "rank-1 images: %s", err.message);
    st = al_dataset_load_idx_pair(img2, tmp_path("nothing.idx"), 0, &ds, &err);
    CHECK(st == AL_ERR_IO && strstr(err.message, "nothing.idx"), "missing labels: %s",
          err.message);
}

static const char *npy_file(const char *name, al_dtype dtype, int rank, const size_t *shape,
                            const void *values)
{
    al_array a;
    al_error err = {0};
    const char *path = tmp_path(name);
    if (al_array_create(&a, dtype, rank, shape, &err) != AL_OK) {
        fprintf(stderr, "%s\n", err.message);
        abort();
    }
    memcpy(a.data, values, a.count * al_dtype_size(dtype));
    if (al_npy_write(path, &a, &err) != AL_OK) {
        fprintf(stderr, "%s\n", err.message);
        abort();
    }
    al_array_free(&a);
    return path;
}

static void test_npy_pair(void)
{
    CHECK_SECTION("npy pair");
    const float xf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int64_t y8[4] = {1, 0, 3, 1};
    const char *x = npy_file("x.npy", AL_DTYPE_F32, 2, (const size_t[]){4, 2}, xf);
    const char *y = npy_file("y.npy", AL_DTYPE_I64, 1, (const size_t[]){4}, y8);
    al_dataset *ds = NULL;
    al_error err = {0};
    al_status st = al_dataset_load_npy(x, y, 0, &ds, &err);
    CHECK(st == AL_OK, "f4 + i8: %s", err.message);
    if (ds) {
        CHECK(al_dataset_count(ds) == 4 && al_dataset_features(ds) == 2 &&
                  al_dataset_classes(ds) == 4, "shape");
        CHECK(memcmp(al_dataset_x(ds), xf, sizeof xf) == 0, "x copied exactly");
        CHECK(al_dataset_y(ds)[2] == 3, "y");
        CHECK(strcmp(al_dataset_name(ds), "x.npy") == 0, "name");
    }
    al_dataset_free(ds);

    const unsigned char xu[8] = {0, 255, 51, 0, 0, 0, 0, 102};
    const unsigned char yu[2] = {0, 1};
    const int32_t y4[2] = {1, 1};
    const double xd[2] = {0.25, -1e10};
    const char *xu_path = npy_file("xu.npy", AL_DTYPE_U8, 3, (const size_t[]){2, 2, 2}, xu);
    st = al_dataset_load_npy(xu_path, npy_file("yu.npy", AL_DTYPE_U8, 1, (const size_t[]){2}, yu),
                             0, &ds, &err);
    CHECK(st == AL_OK, "u1 + u1: %s", err.message);
    if (ds) {
        const size_t *fs = al_dataset_feature_shape(ds);
        CHECK(al_dataset_feature_rank(ds) == 3 && fs[0] == 1 && fs[1] == 2 && fs[2] == 2,
              "[N, H, W] gives [1, H, W]");
        CHECK(al_dataset_x(ds)[1] == 1.0f && al_dataset_x(ds)[2] == 0.2f &&
                  al_dataset_x(ds)[7] == 0.4f, "u8 scaled");
    }
    al_dataset_free(ds);
    const char *y4_path = npy_file("y4.npy", AL_DTYPE_I32, 1, (const size_t[]){2}, y4);
    st = al_dataset_load_npy(npy_file("xd.npy", AL_DTYPE_F64, 2, (const size_t[]){2, 1}, xd),
                             y4_path, 0, &ds, &err);
    CHECK(st == AL_OK && al_dataset_x(ds)[0] == 0.25f && al_dataset_x(ds)[1] == -1e10f,
          "f8 + i4: %s", err.message);
    al_dataset_free(ds);

    ds = NULL;
    const int32_t xi[2] = {1, 2};
    st = al_dataset_load_npy(npy_file("xi.npy", AL_DTYPE_I32, 2, (const size_t[]){2, 1}, xi),
                             y4_path, 0, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "features must be float32, float64 or uint8"),
          "int x: %s", err.message);
    st = al_dataset_load_npy(x, y4_path, 0, &ds, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "has 4 examples") &&
              strstr(err.message, "has 2 labels"), "count mismatch: %s", err.message);
    /* float y: regression targets, [N] or [N, T]; no class labels */
    const float yf[4] = {0.5f, -1, 2.25f, 1e3f};
    st = al_dataset_load_npy(x, npy_file("yf.npy", AL_DTYPE_F32, 1, (const size_t[]){4}, yf), 0,
                             &ds, &err);
    CHECK(st == AL_OK, "float y: %s", err.message);
    if (ds) {
        CHECK(!al_dataset_has_labels(ds) && al_dataset_classes(ds) == 0, "targets are not labels");
        CHECK(al_dataset_target_width(ds) == 1 && memcmp(al_dataset_targets(ds), yf, sizeof yf) == 0,
              "targets copied exactly");
    }
    al_dataset_free(ds);
    const double yd2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    st = al_dataset_load_npy(x, npy_file("yd2.npy", AL_DTYPE_F64, 2, (const size_t[]){4, 2}, yd2), 0,
                             &ds, &err);
    CHECK(st == AL_OK && al_dataset_target_width(ds) == 2 && al_dataset_targets(ds)[5] == 6.0f,
          "float64 [N, 2] targets: %s", err.message);
    al_dataset_free(ds);
    const float ynan[4] = {0, NAN, 0, 0};
    ds = NULL;
    st = al_dataset_load_npy(x, npy_file("ynan.npy", AL_DTYPE_F32, 1, (const size_t[]){4}, ynan), 0,
                             &ds, &err);
    CHECK(st == AL_ERR_NUMERIC && strstr(err.message, "row 1") && ds == NULL, "nan target: %s",
          err.message);

    st = al_dataset_load_npy(x, npy_file("y2.npy", AL_DTYPE_I64, 2, (const size_t[]){4, 1}, y8), 0,
                             &ds, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "labels must have 1 dimension"),
          "rank-2 y: %s", err.message);
    st = al_dataset_load_npy(npy_file("x1.npy", AL_DTYPE_F32, 1, (const size_t[]){4}, xf), y, 0,
                             &ds, &err);
    CHECK(st == AL_ERR_SHAPE && strstr(err.message, "features must have 2 to"),
          "rank-1 x: %s", err.message);
    const int64_t yneg[4] = {0, 1, -5, 0};
    st = al_dataset_load_npy(x, npy_file("yneg.npy", AL_DTYPE_I64, 1, (const size_t[]){4}, yneg),
                             0, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "label -5 at row 2 is negative"),
          "negative y: %s", err.message);
    st = al_dataset_load_npy(x, y, 3, &ds, &err);
    CHECK(st == AL_ERR_FORMAT && strstr(err.message, "label 3 at row 2 is not below n_classes 3"),
          "y over n_classes: %s", err.message);
    const float xnan[2] = {1, NAN};
    st = al_dataset_load_npy(npy_file("xnan.npy", AL_DTYPE_F32, 2, (const size_t[]){2, 1}, xnan),
                             y4_path, 0, &ds, &err);
    CHECK(st == AL_ERR_NUMERIC && strstr(err.message, "row 1, feature 0 is nan"),
          "nan x: %s", err.message);
    CHECK(ds == NULL, "no dataset after failures");
}

static void test_fashion_mnist(void)
{
    CHECK_SECTION("fashion-mnist");
    al_dataset *ds = NULL;
    al_error err = {0};
    al_status st = al_dataset_load_fashion_mnist(tmp_dir, AL_DATA_TRAIN, &ds, &err);
    char want[256];
    snprintf(want, sizeof want,
             "Fashion-MNIST not found in %s: apt-get install dataset-fashion-mnist", tmp_dir);
    CHECK(st == AL_ERR_IO && strstr(err.message, want), "absent: %s", err.message);
    struct stat sb;
    if (stat(AL_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", &sb) != 0) {
        fprintf(stderr, "   (%s not installed: skipped)\n", AL_FASHION_MNIST_DIR);
        return;
    }
    for (int part = 0; part < 2; part++) {
        st = al_dataset_load_fashion_mnist(NULL, part ? AL_DATA_TEST : AL_DATA_TRAIN, &ds, &err);
        CHECK(st == AL_OK, "load: %s", err.message);
        if (st != AL_OK)
            continue;
        size_t count = al_dataset_count(ds);
        CHECK(count == (part ? 10000u : 60000u), "count %zu", count);
        CHECK(al_dataset_features(ds) == 784 && al_dataset_classes(ds) == 10, "784 x 10");
        CHECK(al_dataset_class_name(ds, 9) && strcmp(al_dataset_class_name(ds, 9), "Ankle boot") == 0,
              "class names");
        const size_t *fs = al_dataset_feature_shape(ds);
        CHECK(al_dataset_feature_rank(ds) == 3 && fs[0] == 1 && fs[1] == 28 && fs[2] == 28,
              "[1, 28, 28]");
        CHECK(strcmp(al_dataset_name(ds), part ? "fashion-mnist-test" : "fashion-mnist-train") ==
                  0, "name %s", al_dataset_name(ds));
        const float *x = al_dataset_x(ds);
        float lo = 1, hi = 0;
        for (size_t i = 0; i < count * 784; i++) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
        CHECK(lo == 0.0f && hi == 1.0f, "pixels in [0, 1], both ends reached: %g %g", lo, hi);
        /* Read independently with
         *   zcat train-labels-idx1-ubyte.gz | od -A d -t u1 -j 8 -N 5   -> 9 0 0 3 0
         *   zcat t10k-labels-idx1-ubyte.gz  | od -A d -t u1 -j 8 -N 5   -> 9 2 1 1 6
         * and the first training image's byte sum with
         *   zcat train-images-idx3-ubyte.gz | od -A d -t u1 -j 16 -N 784 | awk ... -> 76247 */
        const int32_t *y = al_dataset_y(ds);
        if (part == 0) {
            CHECK(y[0] == 9 && y[1] == 0 && y[2] == 0 && y[3] == 3 && y[4] == 0,
                  "first train labels 9 0 0 3 0");
            double sum = 0;
            for (size_t i = 0; i < 784; i++)
                sum += x[i] * 255.0;
            CHECK_NEAR(sum, 76247.0, 0.05, 0, "first image's byte sum");
        } else {
            CHECK(y[0] == 9 && y[1] == 2 && y[2] == 1 && y[3] == 1 && y[4] == 6,
                  "first test labels 9 2 1 1 6");
        }
        al_dataset_free(ds);
    }
}

/* A u8 source stays bytes: rows read as floats, gathered batches, the lazy
 * float matrix, splits and standardisation all give what converting the
 * whole matrix up front gave, b / 255 rounded once, for every byte value. */
static void test_bytes(void)
{
    CHECK_SECTION("byte features");
    enum { ROWS = 300, F = 256 };
    unsigned char *xu = malloc(ROWS * F);
    int32_t yv[ROWS];
    CHECK(xu != NULL, "allocation");
    if (!xu)
        return;
    for (size_t i = 0; i < ROWS * F; i++)
        xu[i] = (unsigned char)((i * 37 + i / F) & 255);
    for (int i = 0; i < ROWS; i++)
        yv[i] = i % 3;
    const char *xp = npy_file("xb.npy", AL_DTYPE_U8, 2, (const size_t[]){ROWS, F}, xu);
    const char *yp = npy_file("yb.npy", AL_DTYPE_I32, 1, (const size_t[]){ROWS}, yv);
    al_dataset *ds = NULL;
    al_error err = {0};
    CHECK(al_dataset_load_npy(xp, yp, 0, &ds, &err) == AL_OK, "%s", err.message);
    if (!ds) {
        free(xu);
        return;
    }
    CHECK(al_dataset_bytes(ds) != NULL && memcmp(al_dataset_bytes(ds), xu, ROWS * F) == 0,
          "the bytes are kept as they were");
    float *rows = malloc(ROWS * F * sizeof *rows), *batch = malloc(ROWS * F * sizeof *batch);
    size_t *idx = malloc(ROWS * sizeof *idx);
    CHECK(rows && batch && idx, "allocation");
    if (rows && batch && idx) {
        al_dataset_rows(ds, 0, ROWS, rows);
        size_t bad = 0;
        for (size_t i = 0; i < ROWS * F; i++)
            bad += rows[i] != (float)(xu[i] / 255.0);
        CHECK(bad == 0, "%zu of %d converted values are not b/255 rounded once", bad, ROWS * F);
        for (size_t i = 0; i < ROWS; i++)
            idx[i] = (i * 7) % ROWS;
        al_dataset_gather(ds, idx, ROWS, batch);
        bad = 0;
        for (size_t i = 0; i < ROWS; i++)
            bad += memcmp(batch + i * F, rows + idx[i] * F, F * sizeof *rows) != 0;
        CHECK(bad == 0, "gathered rows differ from the rows read in order (%zu)", bad);
        const float *x = al_dataset_x(ds);
        CHECK(x && memcmp(x, rows, ROWS * F * sizeof *rows) == 0, "al_dataset_x's floats");
        CHECK(al_dataset_x(ds) == x, "al_dataset_x converts once");
        al_dataset *train = NULL, *val = NULL;
        CHECK(al_dataset_split(ds, 100, AL_SPLIT_LAST, 0, &train, &val, &err) == AL_OK, "%s", err.message);
        if (train && val) {
            CHECK(al_dataset_bytes(train) && al_dataset_bytes(val), "split parts stay bytes");
            al_dataset_rows(val, 0, 100, batch);
            CHECK(memcmp(batch, rows + 200 * F, 100 * F * sizeof *rows) == 0, "validation rows");
            al_feature_stats stats;
            CHECK(al_feature_stats_compute(train, AL_STANDARDIZE_GLOBAL, &stats, &err) == AL_OK, "%s",
                  err.message);
            double sum = 0;
            for (size_t i = 0; i < 200 * F; i++)
                sum += rows[i];
            CHECK_NEAR(stats.mean[0], sum / (200.0 * F), 1e-6, 1e-6, "mean of the byte features");
            CHECK(al_dataset_standardize(train, &stats, &err) == AL_OK, "%s", err.message);
            CHECK(al_dataset_bytes(train) == NULL && al_dataset_x(train) != NULL, "standardised: floats");
            CHECK_NEAR(al_dataset_x(train)[5], (rows[5] - stats.mean[0]) / stats.std[0], 1e-6, 1e-6,
                       "standardised value");
            al_feature_stats_free(&stats);
        }
        al_dataset_free(train);
        al_dataset_free(val);
    }
    free(rows);
    free(batch);
    free(idx);
    free(xu);
    al_dataset_free(ds);
}

/* Removes the files the test wrote, then the folder. */
static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/actlab_test_data_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_idx_good();
    test_idx_bad();
    test_npy_pair();
    test_bytes();
    test_fashion_mnist();
    cleanup();
    return check_summary("test_data");
}
