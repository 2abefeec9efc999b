/* NPY reading and writing: round trips of every dtype, numpy-made fixtures
 * (scripts/make_npy_fixtures.py), byte-identical rewriting of numpy's files,
 * and every refusal with a crafted byte image. */
#include "actlab/npy.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actlab/util.h"
#include "check.h"

#define NPY_FIXTURES AL_FIXTURES "/npy"

static char tmp_dir[64];

/* An NPY image with the header text exactly as given (no padding added), so
 * the tests control every byte. Returns the image size. */
static size_t build_npy(unsigned char *buf, size_t cap, int major, int minor, const char *header,
                        const void *data, size_t data_len)
{
    size_t hlen = strlen(header);
    size_t prefix = major == 1 ? 10 : 12;
    if (prefix + hlen + data_len > cap) {
        fprintf(stderr, "build_npy: image too large for the test buffer\n");
        abort();
    }
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = (unsigned char)minor;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)((hlen >> 8) & 0xff);
    if (prefix == 12) {
        buf[10] = (unsigned char)((hlen >> 16) & 0xff);
        buf[11] = (unsigned char)((hlen >> 24) & 0xff);
    }
    memcpy(buf + prefix, header, hlen);
    if (data_len)
        memcpy(buf + prefix + hlen, data, data_len);
    return prefix + hlen + data_len;
}

/* Parses a bad image: it must fail with want_status, leave out empty, and say
 * want_text. */
static void expect_refusal(const char *name, const void *bytes, size_t size, al_status want_status,
                           const char *want_text)
{
    al_array a;
    memset(&a, 0xab, sizeof a); /* garbage: parse must clear it */
    al_error err = {0};
    al_status st = al_npy_parse(bytes, size, &a, &err);
    CHECK(st == want_status, "%s: status %d (%s), want %d; message: %s", name, (int)st,
          al_status_name(st), (int)want_status, err.message);
    CHECK(strstr(err.message, want_text) != NULL, "%s: message lacks \"%s\": %s", name, want_text,
          err.message);
    CHECK(a.data == NULL && a.rank == 0 && a.count == 0, "%s: out not cleared on failure", name);
    if (st == AL_OK)
        al_array_free(&a);
}

/* Parses a crafted header over the given data: must fail as said. */
static void expect_header_refusal(const char *name, int major, const char *header, size_t data_len,
                                  al_status want_status, const char *want_text)
{
    static unsigned char buf[4096];
    static const unsigned char zeros[256];
    size_t size = build_npy(buf, sizeof buf, major, 0, header, zeros, data_len);
    expect_refusal(name, buf, size, want_status, want_text);
}

static int read_file_bytes(const char *path, char **data, size_t *size)
{
    al_error err = {0};
    if (al_file_read_all(path, 1 << 20, data, size, &err) != AL_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    return 1;
}

static void fill_pattern(al_array *a)
{
    unsigned char *p = a->data;
    size_t bytes = a->count * al_dtype_size(a->dtype);
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(i * 37 + 11);
}

static void test_round_trip(void)
{
    CHECK_SECTION("round trip of every dtype at ranks 0, 1, 3 and with a zero dimension");
    static const al_dtype dtypes[] = {AL_DTYPE_F32, AL_DTYPE_F64, AL_DTYPE_I32, AL_DTYPE_I64,
                                      AL_DTYPE_U8};
    static const struct {
        int rank;
        size_t shape[3];
    } shapes[] = {{0, {0, 0, 0}}, {1, {7, 0, 0}}, {3, {2, 3, 5}}, {3, {4, 0, 3}}};
    for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            al_error err = {0};
            al_array a, b;
            char path[128];
            snprintf(path, sizeof path, "%s/rt_%zu_%zu.npy", tmp_dir, d, s);
            CHECK(al_array_create(&a, dtypes[d], shapes[s].rank, shapes[s].shape, &err) == AL_OK,
                  "create: %s", err.message);
            if (!a.data)
                continue;
            fill_pattern(&a);
            CHECK(al_npy_write(path, &a, &err) == AL_OK, "write %s: %s", path, err.message);
            CHECK(al_npy_read(path, &b, &err) == AL_OK, "read %s: %s", path, err.message);
            size_t bytes = a.count * al_dtype_size(a.dtype);
            CHECK(b.dtype == a.dtype && b.rank == a.rank && b.count == a.count &&
                      memcmp(b.shape, a.shape, sizeof a.shape) == 0 &&
                      (bytes == 0 || memcmp(a.data, b.data, bytes) == 0),
                  "%s: read back differs (dtype %d rank %d count %zu)", path, (int)b.dtype, b.rank,
                  b.count);
            /* numpy's layout: data starts at a multiple of 64, after a '\n' */
            char *raw = NULL;
            size_t size = 0;
            if (read_file_bytes(path, &raw, &size)) {
                size_t data_offset = 10 + ((size_t)(unsigned char)raw[8] |
                                           (size_t)(unsigned char)raw[9] << 8);
                CHECK(data_offset % 64 == 0 && data_offset + bytes == size &&
                          raw[data_offset - 1] == '\n' && raw[6] == 1 && raw[7] == 0,
                      "%s: header not numpy's 1.0 layout (data at %zu, size %zu)", path,
                      data_offset, size);
                free(raw);
            }
            al_array_free(&a);
            al_array_free(&b);
        }
    }
}

static const float F4_2X3[6] = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};

static void test_fixtures(void)
{
    CHECK_SECTION("numpy-made fixtures");
    al_error err = {0};
    al_array a;

    CHECK(al_npy_read(NPY_FIXTURES "/f4_2x3.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_F32 && a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3 &&
              a.count == 6, "f4_2x3: dtype %d rank %d", (int)a.dtype, a.rank);
    if (a.data && a.count == 6)
        CHECK(memcmp(a.data, F4_2X3, sizeof F4_2X3) == 0, "f4_2x3 values");
    al_array_free(&a);

    static const double f8[5] = {0.1, -2.5, 1e300, -0.0, 5e-324};
    CHECK(al_npy_read(NPY_FIXTURES "/f8_5.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_F64 && a.rank == 1 && a.shape[0] == 5 && a.count == 5, "f8_5 shape");
    if (a.data && a.count == 5)
        CHECK(memcmp(a.data, f8, sizeof f8) == 0, "f8_5 values (incl. -0.0 and a denormal)");
    al_array_free(&a);

    static const int32_t i4[4] = {INT32_MIN, 0, INT32_MAX, 7};
    CHECK(al_npy_read(NPY_FIXTURES "/i4_4.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_I32 && a.rank == 1 && a.count == 4, "i4_4 shape");
    if (a.data && a.count == 4)
        CHECK(memcmp(a.data, i4, sizeof i4) == 0, "i4_4 values");
    al_array_free(&a);

    static const int64_t i8[3] = {INT64_MIN, INT64_C(1) << 40, -1};
    CHECK(al_npy_read(NPY_FIXTURES "/i8_3.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_I64 && a.rank == 1 && a.count == 3, "i8_3 shape");
    if (a.data && a.count == 3)
        CHECK(memcmp(a.data, i8, sizeof i8) == 0, "i8_3 values");
    al_array_free(&a);

    CHECK(al_npy_read(NPY_FIXTURES "/u1_2x3x4.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_U8 && a.rank == 3 && a.shape[0] == 2 && a.shape[1] == 3 &&
              a.shape[2] == 4 && a.count == 24, "u1_2x3x4 shape");
    if (a.data && a.count == 24) {
        int ok = 1;
        for (size_t i = 0; i < 24; i++)
            ok &= ((unsigned char *)a.data)[i] == (unsigned char)(i * 10 % 256);
        CHECK(ok, "u1_2x3x4 values");
    }
    al_array_free(&a);

    CHECK(al_npy_read(NPY_FIXTURES "/f8_scalar.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_F64 && a.rank == 0 && a.count == 1, "f8_scalar: rank %d count %zu",
          a.rank, a.count);
    if (a.data && a.count == 1)
        CHECK(((double *)a.data)[0] == 3.25, "f8_scalar value");
    al_array_free(&a);

    CHECK(al_npy_read(NPY_FIXTURES "/f4_3x0.npy", &a, &err) == AL_OK, "%s", err.message);
    CHECK(a.dtype == AL_DTYPE_F32 && a.rank == 2 && a.shape[0] == 3 && a.shape[1] == 0 &&
              a.count == 0 && a.data != NULL, "f4_3x0: rank %d count %zu", a.rank, a.count);
    al_array_free(&a);

    static const int32_t v2[3] = {1, 2, 3};
    CHECK(al_npy_read(NPY_FIXTURES "/i4_v2.npy", &a, &err) == AL_OK, "v2.0: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_I32 && a.rank == 1 && a.count == 3, "i4_v2 shape");
    if (a.data && a.count == 3)
        CHECK(memcmp(a.data, v2, sizeof v2) == 0, "i4_v2 values");
    al_array_free(&a);

    static const float v3[2] = {1.5f, -1.5f};
    CHECK(al_npy_read(NPY_FIXTURES "/f4_v3.npy", &a, &err) == AL_OK, "v3.0: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_F32 && a.rank == 1 && a.count == 2, "f4_v3 shape");
    if (a.data && a.count == 2)
        CHECK(memcmp(a.data, v3, sizeof v3) == 0, "f4_v3 values");
    al_array_free(&a);

    /* the refused fixtures, through al_npy_read so the message names the file */
    CHECK(al_npy_read(NPY_FIXTURES "/f4_fortran.npy", &a, &err) == AL_ERR_FORMAT, "fortran read");
    CHECK(strstr(err.message, "f4_fortran.npy") && strstr(err.message, "fortran_order is True") &&
              strstr(err.message, "ascontiguousarray"), "fortran message: %s", err.message);
    CHECK(a.data == NULL, "fortran: nothing returned");
    CHECK(al_npy_read(NPY_FIXTURES "/f4_bigendian.npy", &a, &err) == AL_ERR_FORMAT, "big-endian");
    CHECK(strstr(err.message, "f4_bigendian.npy") && strstr(err.message, "big-endian") &&
              strstr(err.message, "'>f4'") && strstr(err.message, "astype('<f4')"),
          "big-endian message: %s", err.message);
    CHECK(a.data == NULL, "big-endian: nothing returned");
}

static void test_numpy_identical(void)
{
    CHECK_SECTION("rewriting numpy's 1.0 files gives the same bytes");
    static const char *const names[] = {"f4_2x3", "f8_5", "i4_4", "i8_3", "u1_2x3x4",
                                        "f8_scalar", "f4_3x0"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char in[512], out[128];
        snprintf(in, sizeof in, "%s/%s.npy", NPY_FIXTURES, names[i]);
        snprintf(out, sizeof out, "%s/copy_%s.npy", tmp_dir, names[i]);
        al_error err = {0};
        al_array a;
        if (al_npy_read(in, &a, &err) != AL_OK) {
            CHECK(0, "%s", err.message);
            continue;
        }
        CHECK(al_npy_write(out, &a, &err) == AL_OK, "%s", err.message);
        al_array_free(&a);
        char *want = NULL, *got = NULL;
        size_t want_size = 0, got_size = 0;
        if (read_file_bytes(in, &want, &want_size) && read_file_bytes(out, &got, &got_size))
            CHECK(want_size == got_size && memcmp(want, got, want_size) == 0,
                  "%s: actlab's file (%zu bytes) differs from numpy's (%zu bytes)", names[i],
                  got_size, want_size);
        free(want);
        free(got);
    }
}

static void test_versions(void)
{
    CHECK_SECTION("crafted 2.0 and 3.0 headers, keys in any order, double quotes");
    static unsigned char buf[1024];
    static const int32_t data[2] = {5, -6};
    const char *header = "{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}\n";
    for (int major = 1; major <= 3; major++) {
        size_t size = build_npy(buf, sizeof buf, major, 0, header, data, sizeof data);
        al_error err = {0};
        al_array a;
        CHECK(al_npy_parse(buf, size, &a, &err) == AL_OK, "version %d.0: %s", major, err.message);
        CHECK(a.dtype == AL_DTYPE_I32 && a.rank == 1 && a.count == 2 && a.data &&
                  memcmp(a.data, data, sizeof data) == 0, "version %d.0 content", major);
        al_array_free(&a);
    }
    /* liberal but valid Python: double quotes, no trailing comma, tabs,
     * '<u1', a Python 2 "L" suffix, a trailing comma inside the tuple */
    static const unsigned char bytes6[6] = {1, 2, 3, 4, 5, 6};
    size_t size = build_npy(buf, sizeof buf, 1, 0,
                            "{\"descr\":\"<u1\",\t\"fortran_order\" : False,\"shape\":(2L, 3,)}",
                            bytes6, sizeof bytes6);
    al_error err = {0};
    al_array a;
    CHECK(al_npy_parse(buf, size, &a, &err) == AL_OK, "liberal header: %s", err.message);
    CHECK(a.dtype == AL_DTYPE_U8 && a.rank == 2 && a.shape[0] == 2 && a.shape[1] == 3,
          "liberal header shape");
    al_array_free(&a);
}

static void test_refusals(void)
{
    CHECK_SECTION("every refusal, with crafted images");
    static unsigned char buf[4096];
    static const float four[4] = {1, 2, 3, 4};
    const char *ok_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n";

    /* magic and prefix */
    expect_refusal("empty", "", 0, AL_ERR_FORMAT, "empty");
    expect_refusal("bad magic", "GIF89a-not-npy", 14, AL_ERR_FORMAT, "magic");
    expect_refusal("npz", "PK\x03\x04 zip", 8, AL_ERR_FORMAT, "zip");
    expect_refusal("magic cut", "\x93NUM", 4, AL_ERR_FORMAT, "truncated");
    expect_refusal("no version", "\x93NUMPY\x01", 7, AL_ERR_FORMAT, "truncated");
    expect_refusal("v1 no length", "\x93NUMPY\x01\x00\x10", 9, AL_ERR_FORMAT, "truncated");
    expect_refusal("v2 short length", "\x93NUMPY\x02\x00\x10\x00\x00", 11, AL_ERR_FORMAT,
                   "truncated");
    size_t size = build_npy(buf, sizeof buf, 1, 0, ok_header, four, sizeof four);
    buf[6] = 4;
    expect_refusal("version 4.0", buf, size, AL_ERR_FORMAT, "version 4.0");
    buf[6] = 0;
    expect_refusal("version 0.0", buf, size, AL_ERR_FORMAT, "version 0.0");
    buf[6] = 1;
    buf[7] = 1;
    expect_refusal("version 1.1", buf, size, AL_ERR_FORMAT, "version 1.1");
    buf[7] = 0;
    buf[8] = 0xff; /* the header length now runs past the end */
    expect_refusal("header past end", buf, size, AL_ERR_FORMAT, "runs past the end");
    size = build_npy(buf, sizeof buf, 2, 0, ok_header, four, sizeof four);
    buf[11] = 0x80; /* a 2 GiB header length in a tiny file */
    expect_refusal("v2 header past end", buf, size, AL_ERR_FORMAT, "runs past the end");

    /* the dict */
    expect_header_refusal("not a dict", 1, "['descr', '<f4']\n", 16, AL_ERR_FORMAT, "'{'");
    expect_header_refusal("empty header", 1, "", 16, AL_ERR_FORMAT, "'{'");
    expect_header_refusal("missing shape", 1, "{'descr': '<f4', 'fortran_order': False}\n", 16,
                          AL_ERR_FORMAT, "lacks the key 'shape'");
    expect_header_refusal("missing descr", 1, "{'fortran_order': False, 'shape': (4,)}\n", 16,
                          AL_ERR_FORMAT, "lacks the key 'descr'");
    expect_header_refusal("missing fortran_order", 1, "{'descr': '<f4', 'shape': (4,)}\n", 16,
                          AL_ERR_FORMAT, "lacks the key 'fortran_order'");
    expect_header_refusal("unknown key", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}",
                          16, AL_ERR_FORMAT, "unknown key 'extra'");
    expect_header_refusal("duplicate key", 1,
                          "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}",
                          16, AL_ERR_FORMAT, "appears twice");
    expect_header_refusal("unquoted key", 1, "{descr: '<f4'}", 16, AL_ERR_FORMAT,
                          "expected a key");
    expect_header_refusal("missing colon", 1,
                          "{'descr' '<f4', 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "expected ':' after the key 'descr', found a quote");
    expect_header_refusal("missing comma", 1,
                          "{'descr': '<f4' 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "expected ',' or '}'");
    expect_header_refusal("unterminated dict", 1, "{'descr': '<f4', 'fortran_order': False, ",
                          16, AL_ERR_FORMAT, "unterminated dict");
    expect_header_refusal("unterminated dict after value", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)", 16,
                          AL_ERR_FORMAT, "unterminated dict");
    expect_header_refusal("unterminated string", 1, "{'descr': '<f4, 'fortran_order': False}",
                          16, AL_ERR_FORMAT, "expected ',' or '}'");
    expect_header_refusal("string cut by the end", 1, "{'descr': '<f4", 16, AL_ERR_FORMAT,
                          "unterminated string");
    expect_header_refusal("junk after dict", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} x\n", 16,
                          AL_ERR_FORMAT, "after the dict's closing '}'");
    /* NUL padding: strlen would stop at it, so the image is patched */
    size = build_npy(buf, sizeof buf, 1, 0, "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (4,)} \n", four, sizeof four);
    buf[10 + 55] = '\0';
    expect_refusal("NUL padding", buf, size, AL_ERR_FORMAT, "byte 0x00 after the dict");
    expect_header_refusal("fortran_order not bool", 1,
                          "{'descr': '<f4', 'fortran_order': 0, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "True or False, found 0");
    expect_header_refusal("fortran_order Truest", 1,
                          "{'descr': '<f4', 'fortran_order': Truest, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "True or False");
    expect_header_refusal("structured dtype", 1,
                          "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "structured");
    expect_header_refusal("descr not a string", 1,
                          "{'descr': 4, 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "expected the dtype");

    /* the shape */
    expect_header_refusal("shape list", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': [4]}",
                          16, AL_ERR_FORMAT, "list");
    expect_header_refusal("shape not tuple", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4)}", 16,
                          AL_ERR_FORMAT, "not a tuple");
    expect_header_refusal("shape unterminated", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 1", 16,
                          AL_ERR_FORMAT, "unterminated shape");
    expect_header_refusal("shape bad element", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4, x)}", 16,
                          AL_ERR_FORMAT, "expected a dimension");
    expect_header_refusal("shape float", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4.0,)}", 16,
                          AL_ERR_FORMAT, "expected ',' or ')'");
    expect_header_refusal("negative dim", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", 16,
                          AL_ERR_FORMAT, "negative dimension -3");
    expect_header_refusal("overflowing dim", 1,
                          "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (99999999999999999999999,)}", 16,
                          AL_ERR_FORMAT, "overflows");
    expect_header_refusal("rank 17", 1,
                          "{'descr': '<u1', 'fortran_order': False, "
                          "'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}", 1,
                          AL_ERR_FORMAT, "more than 16 dimensions");
    /* element count overflows size_t: an absurd size, AL_ERR_NOMEM like
     * al_array_create's refusals */
    expect_header_refusal("absurd shape", 1,
                          "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (4294967296, 4294967296)}", 16, AL_ERR_NOMEM, "absurd shape");
    /* count fits but count * 8 does not */
    expect_header_refusal("absurd bytes", 1,
                          "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (3000000000000000000,)}", 16, AL_ERR_NOMEM, "absurd shape");
    /* fits in memory in principle, but the file does not hold it: refused
     * before anything is allocated (ASan would report a huge allocation) */
    expect_header_refusal("huge but not absurd", 1,
                          "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1000000000000,)}", 16, AL_ERR_FORMAT, "truncated data");
    expect_header_refusal("zero dim beside huge ones", 1,
                          "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (0, 18446744073709551615, 18446744073709551615)}", 4,
                          AL_ERR_FORMAT, "4 trailing bytes");

    /* what the header says about the data */
    expect_header_refusal("fortran", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (4,)}",
                          16, AL_ERR_FORMAT, "fortran_order is True");
    expect_header_refusal("big-endian f8", 1,
                          "{'descr': '>f8', 'fortran_order': False, 'shape': (2,)}", 16,
                          AL_ERR_FORMAT, "big-endian dtype '>f8'");
    expect_header_refusal("big-endian f2", 1,
                          "{'descr': '>f2', 'fortran_order': False, 'shape': (8,)}", 16,
                          AL_ERR_FORMAT, "big-endian");
    expect_header_refusal("float16", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (8,)}",
                          16, AL_ERR_FORMAT, "unsupported dtype '<f2'");
    expect_header_refusal("float16 lists accepted", 1,
                          "{'descr': '<f2', 'fortran_order': False, 'shape': (8,)}", 16,
                          AL_ERR_FORMAT, "'<f4', '<f8', '<i4', '<i8' and '|u1'");
    expect_header_refusal("bool", 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (16,)}",
                          16, AL_ERR_FORMAT, "unsupported dtype '|b1'");
    expect_header_refusal("native order", 1,
                          "{'descr': '=f4', 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "unsupported dtype '=f4'");
    expect_header_refusal("unprintable descr", 1,
                          "{'descr': '\x01\x7f', 'fortran_order': False, 'shape': (4,)}", 16,
                          AL_ERR_FORMAT, "unsupported dtype '?" "?'");
    expect_header_refusal("truncated data", 1, ok_header, 15, AL_ERR_FORMAT,
                          "needs 16 bytes but only 15");
    expect_header_refusal("trailing bytes", 1, ok_header, 17, AL_ERR_FORMAT, "1 trailing byte after");
    expect_header_refusal("rank 0 without data", 1,
                          "{'descr': '<f8', 'fortran_order': False, 'shape': ()}", 0,
                          AL_ERR_FORMAT, "truncated data");

    /* messages locate syntax errors by file offset */
    expect_header_refusal("located", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, x)}",
                          16, AL_ERR_FORMAT, "at byte 64");
}

/* Every prefix of a valid file and many single-byte changes: never a crash
 * (ASan/UBSan watch the reads), and whatever parses is consistent. */
static void test_mutations(void)
{
    CHECK_SECTION("truncations and byte mutations");
    char *image = NULL;
    size_t size = 0;
    if (!read_file_bytes(NPY_FIXTURES "/u1_2x3x4.npy", &image, &size)) {
        CHECK(0, "cannot read the fixture");
        return;
    }
    size_t refused = 0;
    for (size_t n = 0; n < size; n++) {
        al_array a;
        al_error err = {0};
        /* a copy of exactly n bytes so that ASan sees any read past the end */
        unsigned char *cut = malloc(n ? n : 1);
        if (!cut)
            break;
        memcpy(cut, image, n);
        if (al_npy_parse(cut, n, &a, &err) != AL_OK)
            refused++;
        al_array_free(&a);
        free(cut);
    }
    CHECK(refused == size, "%zu of %zu truncations refused", refused, size);

    static const unsigned char values[] = {0x00, 0xff, 0x80, '(', ')', ',', '\'', '"', '9', ' ',
                                           '-', '}', '{', ':', '\n', '\\', 'L', '<', '>'};
    size_t accepted = 0, consistent = 0;
    unsigned char *copy = malloc(size);
    for (size_t i = 0; copy && i < size; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(copy, image, size);
            copy[i] = values[v];
            al_array a;
            al_error err = {0};
            if (al_npy_parse(copy, size, &a, &err) == AL_OK) {
                accepted++;
                consistent += a.data != NULL && a.count * al_dtype_size(a.dtype) < size;
            } else {
                consistent += err.message[0] != '\0' ? 1 : 0;
            }
            al_array_free(&a);
        }
    }
    CHECK(copy != NULL, "out of memory");
    CHECK(consistent == size * sizeof values, "%zu of %zu mutations consistent (%zu accepted)",
          consistent, size * sizeof values, accepted);
    free(copy);
    free(image);
}

static void test_array_and_files(void)
{
    CHECK_SECTION("arrays, missing files, unwritable paths");
    al_error err = {0};
    al_array a;

    size_t absurd[2] = {SIZE_MAX / 2, 4};
    CHECK(al_array_create(&a, AL_DTYPE_F32, 2, absurd, &err) == AL_ERR_NOMEM, "absurd create");
    CHECK(strstr(err.message, "bytes") && strstr(err.message, "would need"), "absurd: %s",
          err.message);
    CHECK(a.data == NULL, "absurd create leaves nothing");
    size_t too_big[1] = {SIZE_MAX / 4};
    CHECK(al_array_create(&a, AL_DTYPE_F64, 1, too_big, &err) == AL_ERR_NOMEM,
          "count * size overflow");
    size_t past_ptrdiff[1] = {(size_t)PTRDIFF_MAX / 4 + 1};
    CHECK(al_array_create(&a, AL_DTYPE_F32, 1, past_ptrdiff, &err) == AL_ERR_NOMEM,
          "past PTRDIFF_MAX");
    size_t empty_huge[3] = {SIZE_MAX, 0, SIZE_MAX};
    CHECK(al_array_create(&a, AL_DTYPE_F64, 3, empty_huge, &err) == AL_OK && a.count == 0 &&
              a.data != NULL, "zero dim beside huge ones: %s", err.message);
    al_array_free(&a);
    size_t one[1] = {1};
    CHECK(al_array_create(&a, AL_DTYPE_F32, AL_NPY_MAX_RANK + 1, one, &err) == AL_ERR_INVALID,
          "rank 17");
    CHECK(al_array_create(&a, AL_DTYPE_F32, -1, one, &err) == AL_ERR_INVALID, "rank -1");
    CHECK(al_array_create(&a, (al_dtype)99, 1, one, &err) == AL_ERR_INVALID, "bad dtype");
    al_array_free(&a);
    al_array_free(NULL);

    size_t shape[2] = {2, 3};
    char text[64];
    CHECK(al_array_create(&a, AL_DTYPE_U8, 2, shape, &err) == AL_OK, "%s", err.message);
    al_array_shape_text(&a, text, sizeof text);
    CHECK(strcmp(text, "[2, 3]") == 0, "shape text %s", text);
    al_array_shape_text(&a, text, 4);
    CHECK(strlen(text) < 4, "shape text truncated: %s", text);
    al_array_free(&a);
    CHECK(al_array_create(&a, AL_DTYPE_F64, 0, NULL, &err) == AL_OK && a.count == 1, "rank 0");
    al_array_shape_text(&a, text, sizeof text);
    CHECK(strcmp(text, "[]") == 0, "rank 0 shape text %s", text);
    CHECK(al_dtype_size(AL_DTYPE_I64) == 8 && strcmp(al_dtype_descr(AL_DTYPE_U8), "|u1") == 0,
          "dtype table");

    /* a missing file */
    al_array b;
    CHECK(al_npy_read("/nonexistent-actlab-dir/x.npy", &b, &err) == AL_ERR_IO, "missing file");
    CHECK(strstr(err.message, "/nonexistent-actlab-dir/x.npy") != NULL, "missing: %s",
          err.message);

    /* an unwritable path: nothing may be left behind */
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "%s/no-such-dir", tmp_dir);
    snprintf(path, sizeof path, "%s/out.npy", dir);
    CHECK(al_npy_write(path, &a, &err) == AL_ERR_IO, "write to missing dir");
    CHECK(strstr(err.message, "out.npy") != NULL, "unwritable: %s", err.message);
    struct stat st;
    CHECK(stat(path, &st) != 0 && stat(dir, &st) != 0, "a file or folder was left behind");

    /* inconsistent arrays are refused, not written */
    snprintf(path, sizeof path, "%s/bad.npy", tmp_dir);
    al_array bad = a;
    bad.count = 2;
    CHECK(al_npy_write(path, &bad, &err) == AL_ERR_INVALID && strstr(err.message, "count"),
          "count mismatch: %s", err.message);
    bad = a;
    bad.data = NULL;
    CHECK(al_npy_write(path, &bad, &err) == AL_ERR_INVALID, "no data");
    bad = a;
    bad.rank = AL_NPY_MAX_RANK + 1;
    CHECK(al_npy_write(path, &bad, &err) == AL_ERR_INVALID, "rank 17 write");
    bad = a;
    bad.dtype = (al_dtype)-1;
    CHECK(al_npy_write(path, &bad, &err) == AL_ERR_INVALID, "bad dtype write");
    CHECK(stat(path, &st) != 0, "a refused write left a file");
    al_array_free(&a);

    /* the largest header: 16 dimensions of 20 digits still fits NPY 1.0 */
    al_array big = {0};
    big.dtype = AL_DTYPE_U8;
    big.rank = AL_NPY_MAX_RANK;
    for (int i = 0; i < AL_NPY_MAX_RANK; i++)
        big.shape[i] = i == 0 ? 0 : SIZE_MAX;
    snprintf(path, sizeof path, "%s/wide.npy", tmp_dir);
    CHECK(al_npy_write(path, &big, &err) == AL_OK, "16 huge dims: %s", err.message);
    CHECK(al_npy_read(path, &b, &err) == AL_OK && b.rank == AL_NPY_MAX_RANK &&
              b.shape[AL_NPY_MAX_RANK - 1] == SIZE_MAX && b.count == 0,
          "16 huge dims read back: %s", err.message);
    al_array_free(&b);
}

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        CHECK(strstr(e->d_name, ".tmp.") == NULL, "temporary file left behind: %s", e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmp_dir);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/actlab_test_npy_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_fixtures();
    test_numpy_identical();
    test_versions();
    test_refusals();
    test_mutations();
    test_array_and_files();
    remove_tmp_dir();
    return check_summary("test_npy");
}
