/* Writes the fuzzers' seed corpora: small valid files of every kind each
 * parser reads, made with actlab's own writers where it has one, plus a few
 * invalid ones that stop at interesting checks. Run by fuzz/make_corpus.sh;
 * the output is deterministic, so regenerating it changes nothing unless
 * this file changed.
 *
 * Usage: make_corpus OUT_DIR   (writes OUT_DIR/<harness>/<file>) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "actlab/npy.h"
#include "actlab/safetensors.h"
#include "actlab/train.h"
#include "actlab/util.h"
#include "checkpoint_setup.h"

static const char *out_dir;
static int failures;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, detail);
    failures++;
}

/* OUT_DIR/kind/name into buf, creating OUT_DIR/kind. */
static const char *corpus_path(const char *kind, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", out_dir, kind);
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        fail(buf, strerror(errno));
    snprintf(buf, size, "%s/%s/%s", out_dir, kind, name);
    return buf;
}

static void put(const char *kind, const char *name, const void *bytes, size_t size)
{
    char path[512];
    al_error err;
    if (al_file_write_atomic(corpus_path(kind, name, path, sizeof path), bytes, size, &err) != AL_OK)
        fail(path, err.message);
}

static void put_text(const char *kind, const char *name, const char *text)
{
    put(kind, name, text, strlen(text));
}

/* ---- NPY ---------------------------------------------------------------- */

/* An array of dtype and shape holding a small pattern. */
static al_array pattern_array(al_dtype dtype, int rank, const size_t *shape)
{
    al_array a;
    if (al_array_create(&a, dtype, rank, shape, NULL) != AL_OK) {
        fail("pattern_array", "cannot create");
        exit(1);
    }
    for (size_t i = 0; i < a.count; i++) {
        double v = (double)(i % 5) * 0.5 - 1.0;
        int64_t k = (int64_t)(i % 3);
        switch (dtype) {
        case AL_DTYPE_F32: ((float *)a.data)[i] = (float)v; break;
        case AL_DTYPE_F64: ((double *)a.data)[i] = v; break;
        case AL_DTYPE_I32: ((int32_t *)a.data)[i] = (int32_t)k; break;
        case AL_DTYPE_I64: ((int64_t *)a.data)[i] = k; break;
        case AL_DTYPE_U8: ((uint8_t *)a.data)[i] = (uint8_t)(i * 37); break;
        }
    }
    return a;
}

static void npy_written(const char *name, al_dtype dtype, int rank, const size_t *shape)
{
    char path[512];
    al_error err;
    al_array a = pattern_array(dtype, rank, shape);
    if (al_npy_write(corpus_path("npy", name, path, sizeof path), &a, &err) != AL_OK)
        fail(path, err.message);
    al_array_free(&a);
}

/* An NPY image built by hand: magic, version, header length (2 bytes for
 * 1.0, 4 otherwise), the dict text, then data_len pattern bytes. */
static void npy_crafted(const char *name, int major, const char *dict, size_t data_len)
{
    unsigned char buf[1024];
    size_t prefix = major == 1 ? 10 : 12, dict_len = strlen(dict);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        buf[8 + i] = (unsigned char)(dict_len >> (8 * i));
    memcpy(buf + prefix, dict, dict_len);
    for (size_t i = 0; i < data_len; i++)
        buf[prefix + dict_len + i] = (unsigned char)(i * 11 + 1);
    put("npy", name, buf, prefix + dict_len + data_len);
}

static void make_npy(void)
{
    size_t s23[2] = {2, 3}, s4[1] = {4}, s3[1] = {3}, s234[3] = {2, 3, 4}, s30[2] = {3, 0},
           s52[3] = {5, 2, 1};
    npy_written("f4_2x3.npy", AL_DTYPE_F32, 2, s23);
    npy_written("f8_scalar.npy", AL_DTYPE_F64, 0, NULL);
    npy_written("i4_4.npy", AL_DTYPE_I32, 1, s4);
    npy_written("i8_3.npy", AL_DTYPE_I64, 1, s3);
    npy_written("u1_2x3x4.npy", AL_DTYPE_U8, 3, s234);
    npy_written("f4_3x0.npy", AL_DTYPE_F32, 2, s30);
    npy_written("f8_5x2x1.npy", AL_DTYPE_F64, 3, s52);
    npy_crafted("v2_i4_2x2.npy", 2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }\n", 16);
    npy_crafted("v3_u1_3.npy", 3, "{\"shape\": (3,), \"descr\": '<u1', 'fortran_order': False}\n", 3);
    npy_crafted("bad_fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", 16);
    npy_crafted("bad_bigendian.npy", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", 8);
    npy_crafted("bad_truncated.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n", 12);
    npy_crafted("bad_trailing.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n", 5);
    npy_crafted("bad_overflow.npy", 1,
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 0);
    npy_crafted("bad_structured.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", 4);
}

/* ---- IDX ---------------------------------------------------------------- */

/* An IDX image: 0 0 type rank, big-endian u32 dims, then data_len bytes. */
static size_t idx_image(unsigned char *buf, unsigned type, int rank, const uint32_t *dims,
                        size_t data_len)
{
    size_t n = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = (unsigned char)type;
    buf[n++] = (unsigned char)rank;
    for (int i = 0; i < rank; i++)
        for (int b = 3; b >= 0; b--)
            buf[n++] = (unsigned char)(dims[i] >> (8 * b));
    for (size_t i = 0; i < data_len; i++)
        buf[n++] = (unsigned char)(i * 29 + 7);
    return n;
}

/* Bytes per value of an IDX type code. */
static size_t idx_value_bytes(unsigned type)
{
    return type == 0x0B ? 2 : type == 0x0C || type == 0x0D ? 4 : type == 0x0E ? 8 : 1;
}

/* An IDX image as a gzip file (zlib writes no name and no time stamp). */
static void put_gzip(const char *name, const unsigned char *bytes, size_t size)
{
    char path[512];
    gzFile f = gzopen(corpus_path("idx", name, path, sizeof path), "wb9");
    if (!f || gzwrite(f, bytes, (unsigned)size) != (int)size || gzclose(f) != Z_OK)
        fail(path, "gzip write failed");
}

static void make_idx(void)
{
    /* data -1: the bytes the dims need; anything else makes a bad file */
    static const struct {
        const char *name;
        unsigned type;
        int rank, gz, data;
        uint32_t dims[5];
    } files[] = {
        {"u8_2x3.idx", 0x08, 2, 0, -1, {2, 3}},
        {"i8_4.idx", 0x09, 1, 0, -1, {4}},
        {"i16_3.idx", 0x0B, 1, 0, -1, {3}},
        {"i32_2x2.idx", 0x0C, 2, 0, -1, {2, 2}},
        {"f32_3.idx", 0x0D, 1, 0, -1, {3}},
        {"f64_2.idx", 0x0E, 1, 0, -1, {2}},
        {"u8_images_2x2x2.idx", 0x08, 3, 0, -1, {2, 2, 2}},
        {"u8_rank4.idx", 0x08, 4, 0, -1, {1, 1, 1, 2}},
        {"u8_images_2x2x2.idx.gz", 0x08, 3, 1, -1, {2, 2, 2}},
        {"u8_labels_5.idx.gz", 0x08, 1, 1, -1, {5}},
        {"f32_3.idx.gz", 0x0D, 1, 1, -1, {3}},
        {"i16_3.idx.gz", 0x0B, 1, 1, -1, {3}},
        {"bad_truncated.idx", 0x08, 2, 0, 4, {2, 3}},
        {"bad_trailing.idx", 0x08, 2, 0, 9, {2, 3}},
        {"bad_rank5.idx", 0x08, 5, 0, 1, {1, 1, 1, 1, 1}},
        {"bad_type.idx", 0x0A, 1, 0, 3, {3}},
        {"bad_huge_claim.idx", 0x08, 3, 0, 16, {60000, 28, 28}},
        {"bad_huge_claim.idx.gz", 0x08, 3, 1, 32, {60000, 28, 28}},
    };
    unsigned char buf[1024];
    size_t n;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t data = (size_t)files[i].data;
        if (files[i].data < 0) {
            data = idx_value_bytes(files[i].type);
            for (int k = 0; k < files[i].rank; k++)
                data *= files[i].dims[k];
        }
        n = idx_image(buf, files[i].type, files[i].rank, files[i].dims, data);
        if (files[i].gz)
            put_gzip(files[i].name, buf, n);
        else
            put("idx", files[i].name, buf, n);
    }
    uint32_t d23[2] = {2, 3};
    n = idx_image(buf, 0x08, 2, d23, 6);
    buf[0] = 0x50;
    put("idx", "bad_magic.idx", buf, n);

    /* a gzip stream cut short: its CRC and length trailer missing */
    char path[512];
    char *bytes = NULL;
    size_t size = 0;
    al_error err;
    buf[0] = 0;
    put_gzip("tmp.gz", buf, n);
    if (al_file_read_all(corpus_path("idx", "tmp.gz", path, sizeof path), 1 << 20, &bytes, &size,
                         &err) != AL_OK) {
        fail(path, err.message);
        return;
    }
    unlink(path);
    put("idx", "bad_truncated.idx.gz", bytes, size - 6);
    free(bytes);
}

/* ---- CSV ---------------------------------------------------------------- */

static void make_csv(void)
{
    put_text("csv", "header.csv", "x1,x2,label\n0.5,1,0\n-1e-3,2.5,1\n3,-4.25,1\n");
    put_text("csv", "label_first.csv", "label,a,b,c\n1,0.1,0.2,0.3\n0,1e2,-2,0\n");
    put_text("csv", "no_header.csv", "1,0.5,2\n0,3,4\n1,-1,0.25\n");
    put_text("csv", "quoted_crlf_bom.csv",
             "\xEF\xBB\xBF\"x\",\"y \"\"q\"\"\",label\r\n\"1.5\", 2 ,1\r\n\r\n 0,\"-3\",0\r\n");
    put_text("csv", "blank_lines.csv", "\n\nf,label\n\n1,0\n  \t\n2,1\n");
    put_text("csv", "bad_ragged.csv", "a,b,label\n1,2,0\n1,0\n");
    put_text("csv", "bad_quote.csv", "a,label\n\"1,0\n");
    put_text("csv", "sklearn_count_line.csv", "3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n4.7,3.2,1\n");
    put_text("csv", "sklearn_padded.csv", "2,2,,\n\"A\",\"B\",\"Y\"\n1,2,24.5\n3,4,21.6\n");
    put_text("csv", "blanks.txt", "59 2 32.1\n48 1 21.6\n");
    put_text("csv", "semicolons.csv", "a;b;label\n1;2;0\n3;4;1\n");
    put_text("csv", "bad_label.csv", "a,label\n1,1.5\n");
    put_text("csv", "bad_nan.csv", "a,label\nnan,0\n1e39,1\n");
    put_text("csv", "bad_big_label.csv", "a,label\n1,99999999\n");
    put_text("csv", "bad_one_column.csv", "label\n1\n0\n");
    put_text("csv", "bad_header_only.csv", "a,b,label\n");
}

/* ---- safetensors -------------------------------------------------------- */

static void add_pattern(al_tensors *t, const char *name, al_dtype dtype, int rank,
                        const size_t *shape)
{
    al_array a = pattern_array(dtype, rank, shape);
    al_error err;
    if (al_tensors_add(t, name, &a, &err) != AL_OK) {
        fail(name, err.message);
        al_array_free(&a);
    }
}

static void put_tensors(const char *kind, const char *name, const al_tensors *t)
{
    char *bytes = NULL;
    size_t size = 0;
    al_error err;
    if (al_safetensors_encode(t, &bytes, &size, &err) != AL_OK)
        fail(name, err.message);
    else
        put(kind, name, bytes, size);
    free(bytes);
}

/* A safetensors image with header text as it is, then data_len pattern bytes. */
static void safetensors_crafted(const char *name, const char *header, size_t data_len)
{
    unsigned char buf[1024];
    size_t hlen = strlen(header);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, header, hlen);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + hlen + i] = (unsigned char)(i * 13 + 5);
    put("safetensors", name, buf, 8 + hlen + data_len);
}

static void make_safetensors(void)
{
    size_t s23[2] = {2, 3}, s4[1] = {4}, s0[1] = {0}, s212[3] = {2, 1, 2};
    al_tensors t = {0};
    add_pattern(&t, "weight", AL_DTYPE_F32, 2, s23);
    put_tensors("safetensors", "one_f32.safetensors", &t);
    al_tensors_free(&t);

    add_pattern(&t, "0.weight", AL_DTYPE_F32, 2, s23);
    add_pattern(&t, "0.bias", AL_DTYPE_F64, 1, s4);
    add_pattern(&t, "1.num_batches_tracked", AL_DTYPE_I64, 0, NULL);
    add_pattern(&t, "ids", AL_DTYPE_I32, 3, s212);
    add_pattern(&t, "bytes", AL_DTYPE_U8, 1, s4);
    add_pattern(&t, "empty", AL_DTYPE_F32, 1, s0);
    al_tensors_set_meta(&t, "format", "pt", NULL);
    al_tensors_set_meta(&t, "note", "caf\xC3\xA9", NULL);
    put_tensors("safetensors", "all_dtypes_meta.safetensors", &t);
    al_tensors_free(&t);

    safetensors_crafted("only_meta.safetensors", "{\"__metadata__\":{\"a\":\"b\"}}", 0);
    safetensors_crafted("unsorted_offsets.safetensors",
                        "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
                        "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 4);
    safetensors_crafted("bad_overlap.safetensors",
                        "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                        "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4);
    safetensors_crafted("bad_gap.safetensors",
                        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
    safetensors_crafted("bad_duplicate.safetensors",
                        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                        "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
    safetensors_crafted("bad_dtype.safetensors",
                        "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    safetensors_crafted("bad_shape.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
    safetensors_crafted("bad_absurd.safetensors",
                        "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                        "\"data_offsets\":[0,8]}}", 8);
    safetensors_crafted("bad_meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0);
    unsigned char longer[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    put("safetensors", "bad_length.safetensors", longer, 10);
}

/* ---- the spec language -------------------------------------------------- */

static void make_spec(void)
{
    static const char *const specs[][2] = {
        {"mlp.txt", "Linear(784, 256), ReLU(), Linear(256, 10)"},
        {"sequential.txt", "Sequential(\n  Linear(4, 3, bias=False),\n  ELU(alpha=0.5),\n"
                           "  Linear(3, 2),\n)"},
        {"newlines_comments.txt", "# a comment\nLinear(8, 8)  # width\nBatchNorm1d(8, eps=1e-3, "
                                  "momentum=0.2, affine=True)\nDropout(p=0.25)\n\nLinear(8, 2)\n"},
        {"activations.txt", "Linear(3, 3), LeakyReLU(negative_slope=0.2), GELU(approximate='tanh'), "
                            "SiLU(), Mish(), Softplus(beta=2, threshold=10), Hardtanh(-2, 3), "
                            "Threshold(0.5, -2), RReLU(0.1, 0.3), CELU(alpha=2.0), SELU(), Tanh(), "
                            "Sigmoid(), Hardsigmoid(), Hardswish(), LogSigmoid(), Tanhshrink(), "
                            "Softshrink(lambd=1), Hardshrink(1.5), Softsign(), ReLU6(), Identity()"},
        {"prelu.txt", "Linear(4, 3), PReLU(num_parameters=3, init=0.1), Flatten(), Linear(3, 1)"},
        {"kink.txt", "ReLU(kink=0.5)"},
        {"act_elu.txt", "ELU(alpha=0.5)"},
        {"act_gelu.txt", "GELU(approximate=\"none\")"},
        {"numbers.txt", "Linear(2, 2), LeakyReLU(1e-3), ELU(alpha=+.5), Threshold(-inf, nan)"},
        {"bad_unterminated.txt", "GELU(approximate='tanh)"},
        {"bad_nested.txt", "Linear(4, ReLU())"},
        {"bad_unknown.txt", "Linear(4, 4), Relu()"},
        {"bad_positional.txt", "Linear(in_features=4, 3)"},
        {"bad_duplicate.txt", "ELU(alpha=1, alpha=2)"},
        {"bad_width.txt", "Linear(4, 3), Linear(4, 2)"},
        {"bad_range.txt", "Linear(1e999, 2)"},
        {"bad_escape.txt", "GELU(approximate='\\x')"},
        {"bad_empty_sequential.txt", "Sequential()"},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        put_text("spec", specs[i][0], specs[i][1]);
}

/* ---- checkpoints and model files ---------------------------------------- */

static void save_model(const char *spec, const char *name)
{
    char path[512];
    al_error err;
    al_net *net = NULL;
    if (al_net_create(spec, NULL, &net, &err) != AL_OK ||
        al_net_save(net, corpus_path("checkpoint", name, path, sizeof path), &err) != AL_OK)
        fail(name, err.message);
    al_net_free(net);
}

static void make_checkpoint(void)
{
    save_model(CHECKPOINT_SPEC, "model.safetensors");
    save_model("Linear(4, 2)", "other_model.safetensors");

    /* one step of training writes DIR/checkpoint.safetensors */
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/checkpoint.tmp", out_dir);
    snprintf(file, sizeof file, "%s/checkpoint.safetensors", dir);
    al_error err;
    al_net *net = NULL;
    al_dataset *ds = checkpoint_dataset();
    al_train_options o = checkpoint_options(dir, 0);
    if (!ds || al_net_create(CHECKPOINT_SPEC, NULL, &net, &err) != AL_OK ||
        al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err) != AL_OK) {
        fail("training a checkpoint", err.message);
    } else {
        al_tensors t;
        if (al_safetensors_read(file, &t, &err) != AL_OK) {
            fail(file, err.message);
        } else {
            put_tensors("checkpoint", "checkpoint.safetensors", &t);
            /* written with another batch size: resuming must refuse it */
            al_tensors_set_meta(&t, "batch", "8", NULL);
            put_tensors("checkpoint", "checkpoint_batch8.safetensors", &t);
            al_tensors_free(&t);
        }
    }
    unlink(file);
    rmdir(dir);
    al_net_free(net);
    al_dataset_free(ds);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fail(out_dir, strerror(errno));
        return 1;
    }
    make_npy();
    make_idx();
    make_csv();
    make_safetensors();
    make_spec();
    make_checkpoint();
    return failures ? 1 : 0;
}
