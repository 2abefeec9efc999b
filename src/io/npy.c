/* Reading NPY files (NumPy's .npy, versions 1.0-3.0; npy_write.c writes
 * them). The parser trusts nothing in the file: every length is checked
 * against the bytes actually present before it is used, and the data size is
 * checked against the file before anything is allocated, so a hostile file
 * costs at most its own size in memory. */
#include "actlab/npy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "base/text.h"
#include "io/npy_format.h"

/* the longest piece of file text echoed in a message */
#define ECHO_MAX 40

/* The descr strings actlab accepts. '<u1' is not what numpy writes for uint8
 * ('|u1': byte order is moot for one byte) but it means the same. */
static const struct {
    const char *descr;
    al_dtype dtype;
} ACCEPTED[] = {
    {"<f4", AL_DTYPE_F32}, {"<f8", AL_DTYPE_F64}, {"<i4", AL_DTYPE_I32},
    {"<i8", AL_DTYPE_I64}, {"|u1", AL_DTYPE_U8},  {"<u1", AL_DTYPE_U8},
};
#define ACCEPTED_TEXT "'<f4', '<f8', '<i4', '<i8' and '|u1' (or '<u1')"

/* The header text being parsed: a Python dict literal, not NUL-terminated. */
typedef struct header_parser {
    const char *text;
    size_t len, pos;
    size_t file_offset; /* where text starts in the file, for messages */
    al_error *err;
} header_parser;

static al_status parse_fail(header_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports a header syntax error at the current position, given as an offset
 * in the file (what a hex dump of it shows). */
static al_status parse_fail(header_parser *p, const char *fmt, ...)
{
    char what[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return al_error_set(p->err, AL_ERR_FORMAT, "malformed NPY header at byte %zu: %s",
                        p->file_offset + p->pos, what);
}

/* What sits at the current position, for "found ..." in messages. */
static void found_text(const header_parser *p, char *buf, size_t size)
{
    if (p->pos >= p->len) {
        snprintf(buf, size, "the end of the header");
        return;
    }
    unsigned char c = (unsigned char)p->text[p->pos];
    if (c == '\'')
        snprintf(buf, size, "a quote (')");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_space(header_parser *p)
{
    while (p->pos < p->len && is_space(p->text[p->pos]))
        p->pos++;
}

static int at(const header_parser *p, char c)
{
    return p->pos < p->len && p->text[p->pos] == c;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_ident_char(char c)
{
    return is_digit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A quoted Python string; start and len span its content (escapes are left
 * as they are: no legitimate key or descr contains one, and a backslash only
 * needs to keep an escaped quote from ending the string). */
static al_status parse_string(header_parser *p, const char *what, size_t *start, size_t *len)
{
    char found[32];
    if (!at(p, '\'') && !at(p, '"')) {
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected %s (a quoted string), found %s", what, found);
    }
    char quote = p->text[p->pos];
    size_t open = p->pos;
    p->pos++;
    *start = p->pos;
    while (p->pos < p->len && p->text[p->pos] != quote && p->text[p->pos] != '\n') {
        if (p->text[p->pos] == '\\' && p->pos + 1 < p->len)
            p->pos++;
        p->pos++;
    }
    if (p->pos >= p->len || p->text[p->pos] != quote) {
        p->pos = open;
        return parse_fail(p, "unterminated string (%s): no closing %c before the end of the line",
                          what, quote);
    }
    *len = p->pos - *start;
    p->pos++;
    return AL_OK;
}

static al_status parse_bool(header_parser *p, int *value)
{
    static const char *const words[2] = {"False", "True"};
    for (int v = 0; v < 2; v++) {
        size_t n = strlen(words[v]);
        if (p->len - p->pos >= n && memcmp(p->text + p->pos, words[v], n) == 0 &&
            (p->pos + n == p->len || !is_ident_char(p->text[p->pos + n]))) {
            p->pos += n;
            *value = v;
            return AL_OK;
        }
    }
    size_t end = p->pos;
    while (end < p->len && end - p->pos < ECHO_MAX && !is_space(p->text[end]) &&
           p->text[end] != ',' && p->text[end] != '}')
        end++;
    char found[ECHO_MAX + 8];
    if (end == p->pos)
        found_text(p, found, sizeof found);
    else
        al_echo_text(p->text + p->pos, end - p->pos, ECHO_MAX, found, sizeof found);
    return parse_fail(p, "'fortran_order' must be True or False, found %s", found);
}

/* One dimension: a non-negative decimal integer (Python 2's "3L" allowed,
 * as numpy still reads files written by it). */
static al_status parse_dim(header_parser *p, size_t *dim)
{
    char found[ECHO_MAX + 8];
    size_t start = p->pos;
    if (at(p, '-')) {
        size_t end = p->pos + 1;
        while (end < p->len && is_digit(p->text[end]))
            end++;
        al_echo_text(p->text + start, end - start, ECHO_MAX, found, sizeof found);
        return parse_fail(p, "negative dimension %s in 'shape'", found);
    }
    if (p->pos >= p->len || !is_digit(p->text[p->pos])) {
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected a dimension (a non-negative integer) in 'shape', found %s",
                          found);
    }
    size_t value = 0;
    int overflow = 0;
    while (p->pos < p->len && is_digit(p->text[p->pos])) {
        size_t d = (size_t)(p->text[p->pos] - '0');
        if (value > (SIZE_MAX - d) / 10)
            overflow = 1;
        else
            value = value * 10 + d;
        p->pos++;
    }
    if (overflow) {
        al_echo_text(p->text + start, p->pos - start, ECHO_MAX, found, sizeof found);
        p->pos = start;
        return parse_fail(p, "dimension %s in 'shape' overflows (the largest is %zu)", found,
                          (size_t)SIZE_MAX);
    }
    if (at(p, 'L'))
        p->pos++;
    *dim = value;
    return AL_OK;
}

/* A Python tuple of dimensions: "()", "(3,)", "(2, 3)", "(2, 3,)". */
static al_status parse_shape(header_parser *p, int *rank, size_t *shape)
{
    char found[32];
    if (at(p, '[')) {
        return parse_fail(p, "'shape' is a list; it must be a tuple such as (2, 3)");
    }
    if (!at(p, '(')) {
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected the shape tuple '(' after 'shape', found %s", found);
    }
    size_t open = p->pos;
    p->pos++;
    *rank = 0;
    skip_space(p);
    if (at(p, ')')) {
        p->pos++;
        return AL_OK;
    }
    for (;;) {
        skip_space(p);
        size_t dim_pos = p->pos;
        size_t dim = 0;
        al_status st = parse_dim(p, &dim);
        if (st != AL_OK)
            return st;
        if (*rank == AL_NPY_MAX_RANK) {
            p->pos = dim_pos;
            return parse_fail(p, "'shape' has more than %d dimensions, actlab's limit "
                              "(AL_NPY_MAX_RANK)", AL_NPY_MAX_RANK);
        }
        shape[(*rank)++] = dim;
        skip_space(p);
        if (at(p, ',')) {
            p->pos++;
            skip_space(p);
            if (at(p, ')')) {
                p->pos++;
                return AL_OK;
            }
            continue;
        }
        if (at(p, ')')) {
            if (*rank == 1) {
                p->pos = open;
                return parse_fail(p, "'shape' is (%zu), which is not a tuple: a 1-D shape is "
                                  "written (%zu,)", shape[0], shape[0]);
            }
            p->pos++;
            return AL_OK;
        }
        if (p->pos >= p->len) {
            p->pos = open;
            return parse_fail(p, "unterminated shape tuple: the header ends before its ')'");
        }
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected ',' or ')' in the shape tuple, found %s", found);
    }
}

/* What the header dict says. */
typedef struct npy_header {
    size_t descr_start, descr_len; /* span of the descr string in the text */
    int fortran_order;
    int rank;
    size_t shape[AL_NPY_MAX_RANK];
} npy_header;

enum { KEY_DESCR, KEY_FORTRAN, KEY_SHAPE, KEY_COUNT };
static const char *const KEY_NAMES[KEY_COUNT] = {"descr", "fortran_order", "shape"};

static al_status parse_value(header_parser *p, int key, npy_header *h)
{
    switch (key) {
    case KEY_DESCR:
        if (at(p, '['))
            return parse_fail(p, "'descr' is a list of fields (a structured dtype); actlab reads "
                              "plain arrays of " ACCEPTED_TEXT " only");
        return parse_string(p, "the dtype after 'descr'", &h->descr_start, &h->descr_len);
    case KEY_FORTRAN:
        return parse_bool(p, &h->fortran_order);
    default:
        return parse_shape(p, &h->rank, h->shape);
    }
}

/* The header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
 * with the keys in any order, then only whitespace padding. */
static al_status parse_dict(header_parser *p, npy_header *h)
{
    char found[32];
    int seen[KEY_COUNT] = {0, 0, 0};
    skip_space(p);
    if (!at(p, '{')) {
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected a Python dict starting with '{', found %s", found);
    }
    size_t open = p->pos;
    p->pos++;
    for (;;) {
        skip_space(p);
        if (p->pos >= p->len)
            break;
        if (at(p, '}'))
            break;
        size_t key_pos = p->pos, key_start = 0, key_len = 0;
        al_status st = parse_string(p, "a key", &key_start, &key_len);
        if (st != AL_OK)
            return st;
        int key = -1;
        for (int k = 0; k < KEY_COUNT; k++)
            if (strlen(KEY_NAMES[k]) == key_len &&
                memcmp(p->text + key_start, KEY_NAMES[k], key_len) == 0)
                key = k;
        if (key < 0) {
            char name[ECHO_MAX + 8];
            al_echo_text(p->text + key_start, key_len, ECHO_MAX, name, sizeof name);
            p->pos = key_pos;
            return parse_fail(p, "unknown key '%s': an NPY header has exactly 'descr', "
                              "'fortran_order' and 'shape'", name);
        }
        if (seen[key]) {
            p->pos = key_pos;
            return parse_fail(p, "key '%s' appears twice", KEY_NAMES[key]);
        }
        seen[key] = 1;
        skip_space(p);
        if (!at(p, ':')) {
            found_text(p, found, sizeof found);
            return parse_fail(p, "expected ':' after the key '%s', found %s", KEY_NAMES[key], found);
        }
        p->pos++;
        skip_space(p);
        st = parse_value(p, key, h);
        if (st != AL_OK)
            return st;
        skip_space(p);
        if (at(p, ',')) {
            p->pos++;
            continue;
        }
        if (at(p, '}') || p->pos >= p->len)
            break;
        found_text(p, found, sizeof found);
        return parse_fail(p, "expected ',' or '}' after the value of '%s', found %s",
                          KEY_NAMES[key], found);
    }
    if (p->pos >= p->len) {
        p->pos = open;
        return parse_fail(p, "unterminated dict: the header ends before its closing '}'");
    }
    p->pos++;
    skip_space(p);
    if (p->pos < p->len) {
        found_text(p, found, sizeof found);
        return parse_fail(p, "unexpected %s after the dict's closing '}' (only space padding and "
                          "a newline may follow it)", found);
    }
    for (int k = 0; k < KEY_COUNT; k++) {
        if (!seen[k]) {
            p->pos = open;
            return parse_fail(p, "the header dict lacks the key '%s' (it needs 'descr', "
                              "'fortran_order' and 'shape')", KEY_NAMES[k]);
        }
    }
    return AL_OK;
}

/* Maps descr to a dtype, or explains why it cannot. */
static al_status resolve_dtype(const char *descr, size_t len, al_dtype *dtype, al_error *err)
{
    for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++) {
        if (strlen(ACCEPTED[i].descr) == len && memcmp(descr, ACCEPTED[i].descr, len) == 0) {
            *dtype = ACCEPTED[i].dtype;
            return AL_OK;
        }
    }
    char shown[ECHO_MAX + 8];
    al_echo_text(descr, len, ECHO_MAX, shown, sizeof shown);
    if (len >= 1 && descr[0] == '>') {
        /* a type actlab knows, stored big-endian: say how to convert it */
        for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++) {
            if (len == 3 && memcmp(descr + 1, ACCEPTED[i].descr + 1, 2) == 0)
                return al_error_set(err, AL_ERR_FORMAT,
                                    "big-endian dtype '%s': actlab reads little-endian data "
                                    "only; convert with a.astype('%s')",
                                    shown, al_dtype_descr(ACCEPTED[i].dtype));
        }
        return al_error_set(err, AL_ERR_FORMAT,
                            "unsupported big-endian dtype '%s': actlab reads " ACCEPTED_TEXT, shown);
    }
    return al_error_set(err, AL_ERR_FORMAT,
                        "unsupported dtype '%s': actlab reads " ACCEPTED_TEXT
                        "; convert with a.astype(...)", shown);
}

/* Describes the first bytes of a file that is not NPY. */
static void describe_start(const unsigned char *b, size_t size, char *buf, size_t bufsize)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < size && i < NPY_MAGIC_BYTES; i++) {
        int w = (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' && b[i] != '"')
                    ? snprintf(buf + used, bufsize - used, "%c", b[i])
                    : snprintf(buf + used, bufsize - used, "\\x%02x", b[i]);
        if (w < 0 || (size_t)w >= bufsize - used)
            return;
        used += (size_t)w;
    }
}

al_status al_npy_parse(const void *bytes, size_t size, al_array *out, al_error *err)
{
    const unsigned char *b = bytes;
    memset(out, 0, sizeof *out);
    if (size == 0 || !b)
        return al_error_set(err, AL_ERR_FORMAT,
                            "truncated NPY header: the file is empty, where an NPY file starts "
                            "with \"\\x93NUMPY\"");
    if (size < NPY_MAGIC_BYTES || memcmp(b, NPY_MAGIC, NPY_MAGIC_BYTES) != 0) {
        if (size < NPY_MAGIC_BYTES && memcmp(b, NPY_MAGIC, size) == 0)
            return al_error_set(err, AL_ERR_FORMAT,
                                "truncated NPY header: the file has %zu bytes, it ends inside "
                                "the magic string \"\\x93NUMPY\"", size);
        char start[NPY_MAGIC_BYTES * 4 + 1];
        describe_start(b, size, start, sizeof start);
        return al_error_set(err, AL_ERR_FORMAT,
                            "not an NPY file: bad magic: it starts with \"%s\" where an NPY file "
                            "starts with \"\\x93NUMPY\"%s",
                            start,
                            size >= 2 && b[0] == 'P' && b[1] == 'K'
                                ? " (this looks like a zip archive, e.g. an .npz: extract its "
                                  ".npy members first)"
                                : "");
    }
    if (size < 8)
        return al_error_set(err, AL_ERR_FORMAT,
                            "truncated NPY header: the file has %zu bytes, it ends before the "
                            "version bytes", size);
    unsigned major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return al_error_set(err, AL_ERR_FORMAT,
                            "unsupported NPY format version %u.%u: actlab reads versions 1.0, 2.0 "
                            "and 3.0", major, minor);
    /* 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4 (3.0 only
     * changes the header's encoding to UTF-8, which the ASCII parse covers) */
    size_t prefix = major == 1 ? 10 : 12;
    if (size < prefix)
        return al_error_set(err, AL_ERR_FORMAT,
                            "truncated NPY header: version %u.0 needs %zu bytes before the header "
                            "text, the file has %zu", major, prefix, size);
    size_t header_len = (size_t)b[8] | (size_t)b[9] << 8;
    if (major > 1)
        header_len |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
    if (header_len > size - prefix)
        return al_error_set(err, AL_ERR_FORMAT,
                            "truncated NPY header: the header length %zu runs past the end of the "
                            "file (only %zu bytes follow the %zu-byte prefix)",
                            header_len, size - prefix, prefix);

    header_parser p = {(const char *)b + prefix, header_len, 0, prefix, err};
    npy_header h;
    memset(&h, 0, sizeof h);
    al_status st = parse_dict(&p, &h);
    if (st != AL_OK)
        return st;
    if (h.fortran_order)
        return al_error_set(err, AL_ERR_FORMAT,
                            "fortran_order is True: actlab reads C order only; save with "
                            "np.save(path, np.ascontiguousarray(a))");
    al_dtype dtype = AL_DTYPE_F32;
    st = resolve_dtype(p.text + h.descr_start, h.descr_len, &dtype, err);
    if (st != AL_OK)
        return st;

    size_t esize = al_dtype_size(dtype);
    size_t data_offset = prefix + header_len;
    size_t left = size - data_offset;
    size_t count = 0, data_bytes = 0;
    char text[AL_NPY_MAX_RANK * 22 + 3];
    al_shape_text(h.rank, h.shape, text, sizeof text);
    /* checked against what the file holds before anything is allocated, so a
     * lying header cannot ask for more memory than the file's own size; a size
     * that overflows is AL_ERR_NOMEM, as al_array_create reports it */
    if (!al_shape_count(h.rank, h.shape, &count) || !al_size_mul(count, esize, &data_bytes))
        return al_error_set(err, AL_ERR_NOMEM,
                            "absurd shape %s of '%s': it would need %.4g bytes, far more than the "
                            "%zu bytes the file holds after its header",
                            text, al_dtype_descr(dtype), al_shape_bytes_approx(h.rank, h.shape, esize),
                            left);
    if (data_bytes > left)
        return al_error_set(err, AL_ERR_FORMAT,
                            "truncated data: shape %s of '%s' needs %zu bytes but only %zu follow "
                            "the header", text, al_dtype_descr(dtype), data_bytes, left);
    if (data_bytes < left)
        return al_error_set(err, AL_ERR_FORMAT,
                            "%zu trailing byte%s after the data: shape %s of '%s' needs %zu bytes "
                            "but %zu follow the header", left - data_bytes,
                            left - data_bytes == 1 ? "" : "s", text,
                            al_dtype_descr(dtype), data_bytes, left);
    st = al_array_create(out, dtype, h.rank, h.shape, err);
    if (st != AL_OK)
        return st;
    if (data_bytes > 0)
        memcpy(out->data, b + data_offset, data_bytes);
    return AL_OK;
}

al_status al_npy_read(const char *path, al_array *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    char *bytes = NULL;
    size_t size = 0;
    /* no cap beyond the file's size: al_npy_parse allocates only what the file
     * itself holds (SIZE_MAX - 1 leaves room for the terminating NUL) */
    al_status st = al_file_read_all(path, SIZE_MAX - 1, &bytes, &size, err);
    if (st != AL_OK)
        return st; /* the message already names the file */
    st = al_npy_parse(bytes, size, out, err);
    free(bytes);
    if (st != AL_OK)
        al_error_prefix(err, "reading '%s': ", path);
    return st;
}
