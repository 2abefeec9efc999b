/* Safetensors reading and writing: round trips of every dtype at several
 * ranks, a PyTorch-made fixture (scripts/safetensors_roundtrip.py) read with
 * its values checked and rewritten byte for byte, every refusal with a
 * crafted byte image, a truncation and byte-flip sweep that must never crash,
 * and al_tensors_check's listing of mismatches.
 *
 * Usage: test_safetensors [OUT.safetensors]: with an argument, the fixture as
 * rewritten by actlab is also written there, for
 * `scripts/safetensors_roundtrip.py check OUT.safetensors --same-values`. */
#include "actlab/safetensors.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlab/util.h"
#include "check.h"

#ifndef AL_FIXTURES
#define AL_FIXTURES "tests/fixtures"
#endif
#define ST_FIXTURES AL_FIXTURES "/safetensors"

static char tmp_dir[64];

/* An image: 8-byte length of header_len, header_len bytes of header, then
 * data_len bytes of a pattern. Returns the image size. */
static size_t build_raw(unsigned char *buf, size_t cap, uint64_t length_field, const char *header,
                        size_t header_len, size_t data_len)
{
    if (8 + header_len + data_len > cap) {
        fprintf(stderr, "build_raw: image too large for the test buffer\n");
        abort();
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(length_field >> (8 * i));
    memcpy(buf + 8, header, header_len);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + header_len + i] = (unsigned char)(i * 7 + 3);
    return 8 + header_len + data_len;
}

static size_t build(unsigned char *buf, size_t cap, const char *header, size_t data_len)
{
    return build_raw(buf, cap, strlen(header), header, strlen(header), data_len);
}

static int tensors_empty(const al_tensors *t)
{
    return t->count == 0 && t->items == NULL && t->meta_count == 0 && t->meta == NULL;
}

/* Parses a bad image: it must fail with want_status, leave out empty and say
 * want_text. */
static void expect_refusal(const char *name, const void *bytes, size_t size, al_status want_status,
                           const char *want_text)
{
    al_tensors t;
    memset(&t, 0xab, sizeof t); /* garbage: parse must clear it */
    al_error err = {0};
    al_status st = al_safetensors_parse(bytes, size, &t, &err);
    CHECK(st == want_status, "%s: status %d (%s), want %d; message: %s", name, (int)st,
          al_status_name(st), (int)want_status, err.message);
    CHECK(strstr(err.message, want_text) != NULL, "%s: message lacks \"%s\": %s", name, want_text,
          err.message);
    CHECK(tensors_empty(&t), "%s: out not cleared on failure", name);
    if (st == AL_OK)
        al_tensors_free(&t);
}

static void expect_header_refusal(const char *name, const char *header, size_t data_len,
                                  const char *want_text)
{
    static unsigned char buf[1 << 16];
    size_t size = build(buf, sizeof buf, header, data_len);
    expect_refusal(name, buf, size, AL_ERR_FORMAT, want_text);
}

static int read_file_bytes(const char *path, char **data, size_t *size)
{
    al_error err = {0};
    if (al_file_read_all(path, 1 << 24, data, size, &err) != AL_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    return 1;
}

static void fill_pattern(al_array *a, unsigned seed)
{
    unsigned char *p = a->data;
    size_t bytes = a->count * al_dtype_size(a->dtype);
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(i * 37 + seed * 101 + 11);
}

static int same_array(const al_array *a, const al_array *b)
{
    size_t bytes = a->count * al_dtype_size(a->dtype);
    return a->dtype == b->dtype && a->rank == b->rank && a->count == b->count &&
           memcmp(a->shape, b->shape, (size_t)a->rank * sizeof a->shape[0]) == 0 &&
           (bytes == 0 || memcmp(a->data, b->data, bytes) == 0);
}

static int same_tensors(const al_tensors *a, const al_tensors *b)
{
    if (a->count != b->count || a->meta_count != b->meta_count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].name, b->items[i].name) != 0 ||
            !same_array(&a->items[i].array, &b->items[i].array))
            return 0;
    for (size_t i = 0; i < a->meta_count; i++)
        if (strcmp(a->meta[i].key, b->meta[i].key) != 0 ||
            strcmp(a->meta[i].value, b->meta[i].value) != 0)
            return 0;
    return 1;
}

static void test_round_trip(void)
{
    CHECK_SECTION("round trip: every dtype, ranks 0 to 4, zero-size tensors, metadata");
    static const struct {
        const char *name;
        al_dtype dtype;
        int rank;
        size_t shape[4];
    } specs[] = {
        {"0.weight", AL_DTYPE_F32, 2, {3, 4}},       {"0.bias", AL_DTYPE_F32, 1, {3}},
        {"big.f64", AL_DTYPE_F64, 4, {1, 2, 1, 2}},
        {"1.num_batches_tracked", AL_DTYPE_I64, 0, {0}},
        {"empty", AL_DTYPE_F32, 2, {0, 3}},          {"also.empty", AL_DTYPE_I64, 1, {0}},
        {"ints", AL_DTYPE_I32, 3, {2, 1, 3}},        {"bytes", AL_DTYPE_U8, 1, {7}},
        {"after.odd", AL_DTYPE_F64, 1, {2}},
    };
    size_t n = sizeof specs / sizeof specs[0];
    al_tensors t = {0};
    al_error err = {0};
    for (size_t i = 0; i < n; i++) {
        al_array a;
        CHECK(al_array_create(&a, specs[i].dtype, specs[i].rank, specs[i].shape, &err) == AL_OK,
              "create %s: %s", specs[i].name, err.message);
        fill_pattern(&a, (unsigned)i);
        CHECK(al_tensors_add(&t, specs[i].name, &a, &err) == AL_OK, "add %s: %s", specs[i].name,
              err.message);
        CHECK(a.data == NULL, "add must take the data of %s", specs[i].name);
    }
    CHECK(al_tensors_set_meta(&t, "format", "pt", &err) == AL_OK, "%s", err.message);
    CHECK(al_tensors_set_meta(&t, "note", "na\xc3\xafve \"quoted\"", &err) == AL_OK, "%s",
          err.message);
    CHECK(t.count == n && t.meta_count == 2, "count %zu meta %zu", t.count, t.meta_count);
    CHECK(al_tensors_find(&t, "bytes") != NULL && al_tensors_find(&t, "bytes")->count == 7 &&
              al_tensors_find(&t, "nope") == NULL, "find");
    CHECK(strcmp(al_tensors_get_meta(&t, "format"), "pt") == 0 &&
              al_tensors_get_meta(&t, "missing") == NULL, "get_meta");

    char *image = NULL;
    size_t size = 0;
    CHECK(al_safetensors_encode(&t, &image, &size, &err) == AL_OK, "encode: %s", err.message);
    if (image) {
        uint64_t hlen = 0;
        for (int i = 7; i >= 0; i--)
            hlen = hlen << 8 | (unsigned char)image[i];
        CHECK(hlen % 8 == 0 && 8 + hlen <= size, "header length %llu not a multiple of 8",
              (unsigned long long)hlen);
        CHECK(image[8] == '{' && image[8 + hlen - 1] != '\0', "header starts with '{'");
        /* metadata first, then the tensors in the collection's order */
        const char *meta = strstr(image + 8, "\"__metadata__\"");
        const char *first = strstr(image + 8, "\"0.weight\"");
        const char *last = strstr(image + 8, "\"after.odd\"");
        CHECK(meta && first && last && meta < first && first < last, "header order");
        CHECK(strstr(image + 8, "{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":") != NULL,
              "compact JSON with rank-0 shape []");

        al_tensors back;
        CHECK(al_safetensors_parse(image, size, &back, &err) == AL_OK, "parse: %s", err.message);
        CHECK(same_tensors(&t, &back), "parsed tensors differ from those written");
        CHECK(back.count == n && al_tensors_find(&back, "1.num_batches_tracked") &&
                  al_tensors_find(&back, "1.num_batches_tracked")->rank == 0 &&
                  al_tensors_find(&back, "1.num_batches_tracked")->count == 1,
              "rank-0 tensor read back");
        CHECK(strcmp(al_tensors_get_meta(&back, "note"), "na\xc3\xafve \"quoted\"") == 0,
              "metadata with UTF-8 and quotes read back");

        char *again = NULL;
        size_t again_size = 0;
        CHECK(al_safetensors_encode(&back, &again, &again_size, &err) == AL_OK, "%s", err.message);
        CHECK(again && again_size == size && memcmp(again, image, size) == 0,
              "re-encoding a parsed image changes its bytes");
        free(again);
        al_tensors_free(&back);

        char path[128];
        snprintf(path, sizeof path, "%s/rt.safetensors", tmp_dir);
        CHECK(al_safetensors_write(path, &t, &err) == AL_OK, "write: %s", err.message);
        char *raw = NULL;
        size_t raw_size = 0;
        if (read_file_bytes(path, &raw, &raw_size)) {
            CHECK(raw_size == size && memcmp(raw, image, size) == 0, "file differs from encode");
            free(raw);
        }
        CHECK(al_safetensors_read(path, &back, &err) == AL_OK, "read: %s", err.message);
        CHECK(same_tensors(&t, &back), "read tensors differ from those written");
        al_tensors_free(&back);
        free(image);
    }

    /* an empty collection is a valid file: "{}" padded to 8 bytes */
    al_tensors none = {0}, back;
    CHECK(al_safetensors_encode(&none, &image, &size, &err) == AL_OK && size == 16 &&
              memcmp(image + 8, "{}      ", 8) == 0, "empty collection layout");
    CHECK(al_safetensors_parse(image, size, &back, &err) == AL_OK && back.count == 0,
          "empty collection: %s", err.message);
    al_tensors_free(&back);
    free(image);
    al_tensors_free(&t);
    CHECK(tensors_empty(&t), "free zeroes");
    al_tensors_free(&t); /* twice is fine */
    al_tensors_free(NULL);
}

/* One line of seq_expected.txt checked against the loaded tensors. */
static void check_expected_line(const al_tensors *t, char *line, size_t index)
{
    char *name = strtok(line, " \n");
    char *dtype = strtok(NULL, " \n");
    char *rank_text = strtok(NULL, " \n");
    if (!name || !dtype || !rank_text) {
        CHECK(0, "seq_expected.txt: bad line %zu", index);
        return;
    }
    const al_array *a = al_tensors_find(t, name);
    CHECK(a != NULL, "fixture lacks %s", name);
    if (!a)
        return;
    CHECK(strcmp(al_safetensors_dtype_name(a->dtype), dtype) == 0, "%s: dtype %s, want %s", name,
          al_safetensors_dtype_name(a->dtype), dtype);
    int rank = atoi(rank_text);
    CHECK(a->rank == rank, "%s: rank %d, want %d", name, a->rank, rank);
    if (a->rank != rank)
        return;
    for (int i = 0; i < rank; i++) {
        char *d = strtok(NULL, " \n");
        CHECK(d && a->shape[i] == (size_t)strtoull(d, NULL, 10), "%s: dimension %d", name, i);
    }
    size_t got = 0;
    int ok = 1;
    for (char *v = strtok(NULL, " \n"); v; v = strtok(NULL, " \n"), got++) {
        if (got >= a->count) {
            ok = 0;
            break;
        }
        if (a->dtype == AL_DTYPE_F32)
            ok &= ((const float *)a->data)[got] == strtof(v, NULL);
        else if (a->dtype == AL_DTYPE_I64)
            ok &= ((const int64_t *)a->data)[got] == (int64_t)strtoll(v, NULL, 10);
        else
            ok = 0;
    }
    CHECK(ok && got == a->count, "%s: values differ from PyTorch's (%zu of %zu compared)", name,
          got, a->count);
}

static void test_fixture(const char *out_path)
{
    CHECK_SECTION("PyTorch-made fixture: nn.Sequential(Linear, BatchNorm1d, ReLU, Linear)");
    al_tensors t;
    al_error err = {0};
    CHECK(al_safetensors_read(ST_FIXTURES "/seq.safetensors", &t, &err) == AL_OK, "%s",
          err.message);
    CHECK(t.count == 9, "fixture has %zu tensors, want 9", t.count);
    CHECK(al_tensors_get_meta(&t, "format") && strcmp(al_tensors_get_meta(&t, "format"), "pt") == 0,
          "fixture metadata format=pt");
    /* the reference layout puts the I64 tensor first; the header's order is kept */
    CHECK(t.count > 0 && strcmp(t.items[0].name, "1.num_batches_tracked") == 0,
          "first tensor %s", t.count ? t.items[0].name : "(none)");

    FILE *f = fopen(ST_FIXTURES "/seq_expected.txt", "r");
    CHECK(f != NULL, "cannot open seq_expected.txt");
    size_t lines = 0;
    al_tensors spec = {0};
    if (f) {
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#')
                continue;
            check_expected_line(&t, line, lines++);
        }
        fclose(f);
    }
    CHECK(lines == 9, "seq_expected.txt has %zu tensors", lines);

    /* the model's spec as views without data, in state_dict order */
    static const struct {
        const char *name;
        al_dtype dtype;
        int rank;
        size_t shape[2];
    } model[] = {
        {"0.weight", AL_DTYPE_F32, 2, {3, 4}},     {"0.bias", AL_DTYPE_F32, 1, {3}},
        {"1.weight", AL_DTYPE_F32, 1, {3}},        {"1.bias", AL_DTYPE_F32, 1, {3}},
        {"1.running_mean", AL_DTYPE_F32, 1, {3}},  {"1.running_var", AL_DTYPE_F32, 1, {3}},
        {"1.num_batches_tracked", AL_DTYPE_I64, 0, {0}},
        {"3.weight", AL_DTYPE_F32, 2, {2, 3}},     {"3.bias", AL_DTYPE_F32, 1, {2}},
    };
    for (size_t i = 0; i < sizeof model / sizeof model[0]; i++) {
        al_array view = {0};
        view.dtype = model[i].dtype;
        view.rank = model[i].rank;
        view.count = 1;
        for (int d = 0; d < view.rank; d++) {
            view.shape[d] = model[i].shape[d];
            view.count *= view.shape[d];
        }
        CHECK(al_tensors_add_view(&spec, model[i].name, &view, &err) == AL_OK, "%s", err.message);
    }
    CHECK(al_tensors_check(&spec, &t, NULL, &err) == AL_OK, "fixture vs model: %s", err.message);
    al_tensors_free(&spec);

    /* read and written back, PyTorch's file is unchanged byte for byte */
    char *image = NULL, *orig = NULL;
    size_t size = 0, orig_size = 0;
    CHECK(al_safetensors_encode(&t, &image, &size, &err) == AL_OK, "%s", err.message);
    if (read_file_bytes(ST_FIXTURES "/seq.safetensors", &orig, &orig_size))
        CHECK(image && size == orig_size && memcmp(image, orig, size) == 0,
              "rewritten fixture differs from PyTorch's bytes (%zu vs %zu bytes)", size,
              orig_size);
    free(image);
    if (out_path)
        CHECK(al_safetensors_write(out_path, &t, &err) == AL_OK, "%s", err.message);
    al_tensors_free(&t);

    /* never crash: every truncation is refused, every byte flip is either
     * refused with a message or read consistently */
    if (orig) {
        unsigned char *copy = malloc(orig_size);
        int truncations_refused = 1, flips_sane = 1;
        size_t accepted_flips = 0;
        for (size_t len = 0; copy && len < orig_size; len++) {
            memcpy(copy, orig, len);
            al_tensors u;
            al_error e = {0};
            al_status st = al_safetensors_parse(copy, len, &u, &e);
            truncations_refused &= st == AL_ERR_FORMAT && e.message[0] != '\0';
            al_tensors_free(&u);
        }
        for (size_t i = 0; copy && i < orig_size; i++) {
            static const unsigned char masks[] = {0x01, 0x20, 0x80, 0xff};
            for (size_t m = 0; m < sizeof masks; m++) {
                memcpy(copy, orig, orig_size);
                copy[i] ^= masks[m];
                al_tensors u;
                al_error e = {0};
                al_status st = al_safetensors_parse(copy, orig_size, &u, &e);
                if (st == AL_OK) {
                    accepted_flips++;
                    flips_sane &= u.count <= 9;
                } else {
                    flips_sane &= e.message[0] != '\0' && tensors_empty(&u);
                }
                al_tensors_free(&u);
            }
        }
        CHECK(copy != NULL, "out of memory");
        CHECK(truncations_refused, "a truncated fixture was accepted or refused without a message");
        CHECK(flips_sane, "a byte flip gave an inconsistent result");
        fprintf(stderr, "   %zu of %zu byte flips still parse (data bytes, spaces)\n",
                accepted_flips, orig_size * 4);
        free(copy);
        free(orig);
    }
}

static void test_prefix_refusals(void)
{
    CHECK_SECTION("refusals: length field");
    unsigned char buf[256];
    expect_refusal("empty file", buf, 0, AL_ERR_FORMAT, "too short for the 8-byte header length");
    memset(buf, 0, 7);
    expect_refusal("7 bytes", buf, 7, AL_ERR_FORMAT, "the file is 7 bytes, too short");
    size_t size = build_raw(buf, sizeof buf, (uint64_t)1 << 40, "{}", 2, 0);
    expect_refusal("absurd length", buf, size, AL_ERR_FORMAT,
                   "header length 1099511627776 is absurd");
    size = build_raw(buf, sizeof buf, UINT64_MAX, "{}", 2, 0);
    expect_refusal("length 2^64-1", buf, size, AL_ERR_FORMAT, "is absurd");
    size = build_raw(buf, sizeof buf, 100, "{}      ", 8, 12);
    expect_refusal("length past the end", buf, size, AL_ERR_FORMAT,
                   "header length 100 runs past the end of the file (20 bytes follow");
    size = build_raw(buf, sizeof buf, 0, "", 0, 0);
    expect_refusal("zero length", buf, size, AL_ERR_FORMAT, "invalid JSON header");
    expect_refusal("NULL bytes", NULL, 5, AL_ERR_INVALID, "NULL bytes");
}

static void test_json_refusals(void)
{
    CHECK_SECTION("refusals: the JSON header");
    expect_header_refusal("truncated JSON", "{\"a\":", 0, "invalid JSON header at line 1, column");
    expect_header_refusal("error on line 2", "{\n  \"a\": }", 0, "at line 2, column");
    expect_header_refusal("trailing garbage after the JSON", "{} x", 0, "end of file expected");
    expect_header_refusal("a second value after the JSON", "{}{}", 0, "invalid JSON header");
    expect_header_refusal("a bare string", "\"abc\"", 0, "invalid JSON header");
    expect_header_refusal("an array header", "[1, 2]", 0, "the JSON header is an array");
    expect_header_refusal("invalid UTF-8", "{\"\xff\":1}", 0, "invalid JSON header");
    expect_header_refusal("escaped NUL in a name",
                          "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
                          0, "invalid JSON header");
    static unsigned char nul_image[64];
    size_t nul_size = build_raw(nul_image, sizeof nul_image, 4, "{\0} ", 4, 0);
    expect_refusal("raw NUL in the header", nul_image, nul_size, AL_ERR_FORMAT,
                   "invalid JSON header");
    expect_header_refusal("integer too big for JSON",
                          "{\"a\":{\"dtype\":\"U8\",\"shape\":[99999999999999999999],"
                          "\"data_offsets\":[0,0]}}", 0, "invalid JSON header");
    expect_header_refusal("duplicate names",
                          "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                          "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4,
                          "name or key appears twice");
    expect_header_refusal("duplicate key inside an entry",
                          "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[2],"
                          "\"data_offsets\":[0,2]}}", 2, "name or key appears twice");

    /* nesting deeper than Jansson's limit must be refused, not overflow the stack */
    static char deep[20010];
    size_t k = 0;
    deep[k++] = '{';
    memcpy(deep + k, "\"a\":", 4);
    k += 4;
    for (int i = 0; i < 10000; i++)
        deep[k++] = '[';
    deep[k++] = '}';
    deep[k] = '\0';
    expect_header_refusal("deep nesting", deep, 0, "invalid JSON header");
}

#define ENTRY(dtype, shape, offsets)                                                 \
    "{\"dtype\":" dtype ",\"shape\":" shape ",\"data_offsets\":" offsets "}"

static void test_entry_refusals(void)
{
    CHECK_SECTION("refusals: entries, dtypes, shapes, offsets");
    static const struct {
        const char *name, *header;
        size_t data_len;
        const char *want;
    } cases[] = {
        {"entry not an object", "{\"a\":[1]}", 0, "tensor 'a': the entry is an array"},
        {"no dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         "tensor 'a' has no \"dtype\""},
        {"no shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
         "tensor 'a' has no \"shape\""},
        {"no data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
         "tensor 'a' has no \"data_offsets\""},
        {"dtype an integer", "{\"a\":" ENTRY("32", "[1]", "[0,4]") "}", 4,
         "\"dtype\" is an integer; it must be a string"},
        {"unknown dtype", "{\"a\":" ENTRY("\"Q7\"", "[1]", "[0,4]") "}", 4,
         "unknown dtype 'Q7'"},
        {"lowercase dtype", "{\"a\":" ENTRY("\"f32\"", "[1]", "[0,4]") "}", 4,
         "unknown dtype 'f32'"},
        {"unsupported dtype", "{\"a\":" ENTRY("\"F16\"", "[2]", "[0,4]") "}", 4,
         "dtype 'F16' is not supported"},
        {"shape an integer", "{\"a\":" ENTRY("\"F32\"", "4", "[0,4]") "}", 4,
         "\"shape\" is an integer; it must be an array"},
        {"dimension a string", "{\"a\":" ENTRY("\"F32\"", "[\"1\"]", "[0,4]") "}", 4,
         "dimension 0 of \"shape\" is a string"},
        {"dimension a real", "{\"a\":" ENTRY("\"F32\"", "[1, 2.5]", "[0,4]") "}", 4,
         "dimension 1 of \"shape\" is 2.5, not an integer"},
        {"dimension 1.0", "{\"a\":" ENTRY("\"F32\"", "[1.0]", "[0,4]") "}", 4, "not an integer"},
        {"negative dimension", "{\"a\":" ENTRY("\"F32\"", "[-1]", "[0,4]") "}", 4,
         "dimension 0 of \"shape\" is negative (-1)"},
        {"rank 17", "{\"a\":" ENTRY("\"F32\"", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,4]") "}",
         4, "has 17 dimensions, more than actlab's limit of 16"},
        {"absurd shape",
         "{\"a\":" ENTRY("\"F32\"", "[4294967296,4294967296,4294967296]", "[0,4]") "}", 4,
         "shape [4294967296, 4294967296, 4294967296] is absurd"},
        {"offsets a string", "{\"a\":" ENTRY("\"F32\"", "[1]", "\"0-4\"") "}", 4,
         "\"data_offsets\" must be an array [begin, end] of two integers"},
        {"three offsets", "{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4,8]") "}", 4,
         "must be an array [begin, end]"},
        {"negative offset", "{\"a\":" ENTRY("\"F32\"", "[1]", "[-4,0]") "}", 4,
         "the begin of \"data_offsets\" is negative (-4)"},
        {"real offset", "{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4.0]") "}", 4,
         "the end of \"data_offsets\" is 4, not an integer"},
        {"offsets reversed", "{\"a\":" ENTRY("\"U8\"", "[4]", "[4,0]") "}", 4,
         "data_offsets [4, 0] end before they begin"},
        {"offsets past the end", "{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") "}", 4,
         "data_offsets [0, 8] run past the end of the data section, which is 4 bytes"},
        {"huge offsets",
         "{\"a\":" ENTRY("\"U8\"", "[1]", "[9223372036854775806,9223372036854775807]") "}", 4,
         "run past the end of the data section"},
        {"shape and size disagree", "{\"a\":" ENTRY("\"F32\"", "[2]", "[0,4]") "}", 4,
         "tensor 'a': shape [2] of F32 needs 8 bytes, but data_offsets [0, 4] hold 4"},
        {"rank 0 with no bytes", "{\"a\":" ENTRY("\"I64\"", "[]", "[0,0]") "}", 0,
         "shape [] of I64 needs 8 bytes"},
        {"overlap", "{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") ",\"b\":"
         ENTRY("\"F32\"", "[2]", "[4,12]") "}", 12,
         "tensors 'a' (data_offsets [0, 8]) and 'b' ([4, 12]) overlap"},
        {"same range twice", "{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") ",\"b\":"
         ENTRY("\"U8\"", "[4]", "[0,4]") "}", 4, "overlap"},
        {"empty tensor inside another", "{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") ",\"b\":"
         ENTRY("\"F32\"", "[0]", "[4,4]") "}", 8, "overlap"},
        {"gap between tensors", "{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") ",\"b\":"
         ENTRY("\"F32\"", "[1]", "[8,12]") "}", 12,
         "bytes 4 to 8 of the data section belong to no tensor (a gap after 'a' before 'b')"},
        {"gap at the start", "{\"a\":" ENTRY("\"F32\"", "[1]", "[4,8]") "}", 8,
         "bytes 0 to 4 of the data section belong to no tensor (a gap at the start"},
        {"trailing data", "{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 8,
         "4 bytes of trailing data after the last tensor"},
        {"data but no tensors", "{}", 3, "3 bytes of trailing data"},
        {"metadata a string", "{\"__metadata__\":\"x\"}", 0,
         "\"__metadata__\" is a string; it must be an object of strings"},
        {"metadata value an integer", "{\"__metadata__\":{\"k\":1}}", 0,
         "\"__metadata__\" entry 'k' is an integer; metadata values must be strings"},
        {"control characters echoed safely",
         "{\"a\\nb\\u001b[31m\":" ENTRY("\"Q7\"", "[1]", "[0,4]") "}", 4,
         "tensor 'a?b?[31m': unknown dtype"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_header_refusal(cases[i].name, cases[i].header, cases[i].data_len, cases[i].want);
}

static void test_accepted_edges(void)
{
    CHECK_SECTION("accepted: whitespace, key order, empty tensors sharing an offset, extra keys");
    unsigned char buf[1024];
    al_tensors t;
    al_error err = {0};
    /* b's data comes first; empty tensors at 0 and at the end; an unknown key */
    const char *header =
        " \n{\"a\":{\"shape\":[2],\"data_offsets\":[4,12],\"dtype\":\"F32\",\"note\":[1]},"
        "\"e1\":" ENTRY("\"F32\"", "[0,5]", "[0,0]") ","
        "\"e2\":" ENTRY("\"U8\"", "[0]", "[0,0]") ","
        "\"b\":" ENTRY("\"I32\"", "[1]", "[0,4]") ","
        "\"e3\":" ENTRY("\"F64\"", "[3,0]", "[12,12]") "}\n   ";
    size_t size = build(buf, sizeof buf, header, 12);
    CHECK(al_safetensors_parse(buf, size, &t, &err) == AL_OK, "%s", err.message);
    CHECK(t.count == 5 && strcmp(t.items[0].name, "a") == 0 && strcmp(t.items[3].name, "b") == 0,
          "header order kept");
    const al_array *a = al_tensors_find(&t, "a"), *b = al_tensors_find(&t, "b");
    CHECK(a && b && memcmp(a->data, buf + size - 8, 8) == 0 &&
              memcmp(b->data, buf + size - 12, 4) == 0,
          "data taken from data_offsets, not from header order");
    const al_array *e1 = al_tensors_find(&t, "e1");
    CHECK(e1 && e1->rank == 2 && e1->count == 0 && e1->shape[1] == 5, "zero-size [0, 5]");
    al_tensors_free(&t);
}

static void test_read_errors(void)
{
    CHECK_SECTION("read and write errors name the file");
    al_tensors t;
    al_error err = {0};
    CHECK(al_safetensors_read(ST_FIXTURES "/no-such.safetensors", &t, &err) == AL_ERR_IO &&
              strstr(err.message, "no-such.safetensors") != NULL, "missing file: %s", err.message);
    CHECK(tensors_empty(&t), "missing file: out cleared");

    char path[128];
    snprintf(path, sizeof path, "%s/bad.safetensors", tmp_dir);
    unsigned char buf[64];
    size_t size = build(buf, sizeof buf, "{\"a\":5}", 0);
    al_error werr = {0};
    CHECK(al_file_write_atomic(path, buf, size, &werr) == AL_OK, "%s", werr.message);
    CHECK(al_safetensors_read(path, &t, &err) == AL_ERR_FORMAT &&
              strstr(err.message, "reading '") == err.message &&
              strstr(err.message, "bad.safetensors': malformed safetensors file: tensor 'a'"),
          "malformed file: %s", err.message);

    al_tensors one = {0};
    al_array view = {0};
    view.dtype = AL_DTYPE_F32;
    view.rank = 1;
    view.shape[0] = 3;
    view.count = 3; /* and no data */
    CHECK(al_tensors_add_view(&one, "w", &view, &err) == AL_OK, "%s", err.message);
    CHECK(al_safetensors_write(path, &one, &err) == AL_ERR_INVALID &&
              strstr(err.message, "tensor 'w': it has no data") != NULL &&
              strstr(err.message, "writing '") == err.message, "no data: %s", err.message);
    al_tensors_free(&one);

    float values[2] = {1.5f, -2.0f};
    view.shape[0] = 2;
    view.count = 2;
    view.data = values;
    CHECK(al_tensors_add_view(&one, "w", &view, &err) == AL_OK, "%s", err.message);
    snprintf(path, sizeof path, "%s/no-such-dir/x.safetensors", tmp_dir);
    CHECK(al_safetensors_write(path, &one, &err) == AL_ERR_IO &&
              strstr(err.message, "no-such-dir") != NULL, "missing dir: %s", err.message);
    snprintf(path, sizeof path, "%s/view.safetensors", tmp_dir);
    CHECK(al_safetensors_write(path, &one, &err) == AL_OK, "view write: %s", err.message);
    al_tensors_free(&one); /* a view's data is not freed: values is on the stack */
    CHECK(al_safetensors_read(path, &t, &err) == AL_OK && t.count == 1 &&
              memcmp(al_tensors_find(&t, "w")->data, values, sizeof values) == 0,
          "view read back: %s", err.message);
    al_tensors_free(&t);

    al_array u8;
    size_t shape1[1] = {1};
    CHECK(al_array_create(&u8, AL_DTYPE_U8, 1, shape1, &err) == AL_OK, "%s", err.message);
    CHECK(al_tensors_add(&one, "bad\xff", &u8, &err) == AL_OK, "%s", err.message);
    CHECK(al_safetensors_write(path, &one, &err) == AL_ERR_INVALID &&
              strstr(err.message, "not valid UTF-8") != NULL, "invalid UTF-8 name: %s",
          err.message);
    al_tensors_free(&one);
}

static void test_add_rules(void)
{
    CHECK_SECTION("al_tensors_add refusals");
    al_tensors t = {0};
    al_error err = {0};
    al_array a;
    size_t shape[1] = {2};
    CHECK(al_array_create(&a, AL_DTYPE_F32, 1, shape, &err) == AL_OK, "%s", err.message);
    CHECK(al_tensors_add(&t, "", &a, &err) == AL_ERR_INVALID && strstr(err.message, "empty name"),
          "empty name: %s", err.message);
    CHECK(al_tensors_add(&t, "__metadata__", &a, &err) == AL_ERR_INVALID &&
              strstr(err.message, "reserves"), "reserved name: %s", err.message);
    CHECK(a.data != NULL, "a refused add leaves the data with the caller");
    al_array bad = a;
    bad.count = 3;
    CHECK(al_tensors_add_view(&t, "x", &bad, &err) == AL_ERR_INVALID &&
              strstr(err.message, "count 3 does not match its shape [2]"),
          "count: %s", err.message);
    bad = a;
    bad.dtype = (al_dtype)99;
    CHECK(al_tensors_add_view(&t, "x", &bad, &err) == AL_ERR_INVALID &&
              strstr(err.message, "unknown dtype code 99"), "dtype: %s", err.message);
    CHECK(al_tensors_add(&t, "x", &a, &err) == AL_OK, "%s", err.message);
    al_array b;
    CHECK(al_array_create(&b, AL_DTYPE_F32, 1, shape, &err) == AL_OK, "%s", err.message);
    CHECK(al_tensors_add(&t, "x", &b, &err) == AL_ERR_INVALID &&
              strstr(err.message, "tensor 'x': the name is taken"), "duplicate: %s", err.message);
    al_array_free(&b);
    CHECK(al_tensors_set_meta(&t, "k", "1", &err) == AL_OK &&
              al_tensors_set_meta(&t, "k", "2", &err) == AL_OK && t.meta_count == 1 &&
              strcmp(al_tensors_get_meta(&t, "k"), "2") == 0, "set_meta replaces");
    al_tensors_free(&t);
}

static al_array shape_view(al_dtype dtype, int rank, size_t d0, size_t d1)
{
    al_array v = {0};
    v.dtype = dtype;
    v.rank = rank;
    v.shape[0] = d0;
    v.shape[1] = d1;
    v.count = rank == 0 ? 1 : rank == 1 ? d0 : d0 * d1;
    return v;
}

static void test_check(void)
{
    CHECK_SECTION("al_tensors_check lists every mismatch");
    al_tensors model = {0}, file = {0};
    al_error err = {0};
    al_array v;
    v = shape_view(AL_DTYPE_F32, 2, 128, 784);
    al_tensors_add_view(&model, "0.weight", &v, &err);
    v = shape_view(AL_DTYPE_F32, 1, 128, 0);
    al_tensors_add_view(&model, "0.bias", &v, &err);
    v = shape_view(AL_DTYPE_I64, 0, 0, 0);
    al_tensors_add_view(&model, "1.num_batches_tracked", &v, &err);
    v = shape_view(AL_DTYPE_F32, 2, 10, 128);
    al_tensors_add_view(&model, "2.weight", &v, &err);
    v = shape_view(AL_DTYPE_F32, 1, 10, 0);
    al_tensors_add_view(&model, "2.bias", &v, &err);

    v = shape_view(AL_DTYPE_F32, 1, 10, 0);
    al_tensors_add_view(&file, "2.bias", &v, &err);
    v = shape_view(AL_DTYPE_F32, 2, 256, 784);
    al_tensors_add_view(&file, "0.weight", &v, &err);
    v = shape_view(AL_DTYPE_F32, 1, 128, 0);
    al_tensors_add_view(&file, "0.bias", &v, &err);
    v = shape_view(AL_DTYPE_I32, 0, 0, 0);
    al_tensors_add_view(&file, "1.num_batches_tracked", &v, &err);
    v = shape_view(AL_DTYPE_F64, 1, 3, 0);
    al_tensors_add_view(&file, "extra.weight", &v, &err);
    CHECK(model.count == 5 && file.count == 5, "views added: %s", err.message);

    CHECK(al_tensors_check(&model, &model, NULL, &err) == AL_OK, "model vs itself");
    al_buf report = {0};
    al_status st = al_tensors_check(&model, &file, &report, &err);
    CHECK(st == AL_ERR_SHAPE, "status %d", (int)st);
    static const char *const wants[] = {
        "4 mismatches between the file and the model: ",
        "0.weight: file has [256, 784], model needs [128, 784]",
        "1.num_batches_tracked: file has I32, model needs I64",
        "2.weight: missing from the file (model needs F32 [10, 128])",
        "extra.weight: in the file but not in the model",
    };
    for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++) {
        CHECK(strstr(err.message, wants[i]) != NULL, "message lacks \"%s\": %s", wants[i],
              err.message);
        if (i > 0)
            CHECK(report.data && strstr(report.data, wants[i]) != NULL, "report lacks \"%s\"",
                  wants[i]);
    }
    /* model order first, then the file's extras */
    CHECK(strstr(err.message, "0.weight:") < strstr(err.message, "2.weight:") &&
              strstr(err.message, "2.weight:") < strstr(err.message, "extra.weight:"),
          "order: %s", err.message);
    size_t lines = 0;
    for (size_t i = 0; report.data && i < report.len; i++)
        lines += report.data[i] == '\n';
    CHECK(lines == 4, "report has %zu lines", lines);
    al_buf_free(&report);

    /* dtype and shape both differ */
    al_tensors one = {0};
    v = shape_view(AL_DTYPE_F64, 1, 2, 0);
    al_tensors_add_view(&one, "0.bias", &v, &err);
    al_tensors small = {0};
    v = shape_view(AL_DTYPE_F32, 1, 128, 0);
    al_tensors_add_view(&small, "0.bias", &v, &err);
    CHECK(al_tensors_check(&small, &one, NULL, &err) == AL_ERR_SHAPE &&
              strstr(err.message, "1 mismatch between the file and the model: 0.bias: file has "
                                  "F64 [2], model needs F32 [128]"), "both: %s", err.message);
    al_tensors_free(&one);
    al_tensors_free(&small);

    /* more mismatches than the message holds: it says how many are left out */
    al_tensors many = {0}, empty = {0};
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "%d.weight", i);
        v = shape_view(AL_DTYPE_F32, 2, 3, 3);
        al_tensors_add_view(&many, name, &v, &err);
    }
    CHECK(al_tensors_check(&many, &empty, &report, &err) == AL_ERR_SHAPE &&
              strstr(err.message, "200 mismatches") && strstr(err.message, " more") &&
              strlen(err.message) < AL_ERROR_MESSAGE_BYTES - 100,
          "many: %s", err.message);
    lines = 0;
    for (size_t i = 0; report.data && i < report.len; i++)
        lines += report.data[i] == '\n';
    CHECK(lines == 200, "the report lists all 200, got %zu", lines);
    al_buf_free(&report);
    al_tensors_free(&many);
    al_tensors_free(&model);
    al_tensors_free(&file);
}

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        CHECK(strstr(e->d_name, ".tmp.") == NULL, "temporary file left behind: %s", e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmp_dir);
}

int main(int argc, char **argv)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/actlab_test_safetensors_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_fixture(argc > 1 ? argv[1] : NULL);
    test_prefix_refusals();
    test_json_refusals();
    test_entry_refusals();
    test_accepted_edges();
    test_read_errors();
    test_add_rules();
    test_check();
    remove_tmp_dir();
    return check_summary("test_safetensors");
}
