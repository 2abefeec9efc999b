/* Bytes from a file, plain or gzip (zlib reads it): the IDX reader pulls
 * exactly the bytes its header calls for; the CSV reader takes the whole
 * text, growing its buffer as the stream inflates, within a bound the
 * caller sets and deflate's own expansion limit. */
#include "data/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

/* gzread takes an unsigned length; read in pieces well below it */
#define GZ_CHUNK ((size_t)1 << 30)

/* zlib's message without the "path: " it puts in front (ours names the file). */
static const char *gz_message(gzFile gz, const char *path, int *code)
{
    const char *msg = gzerror(gz, code);
    size_t len = strlen(path);
    if (strncmp(msg, path, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
        msg += len + 2;
    return msg;
}

size_t al_source_read(al_source *s, void *buf, size_t n, int *failed, al_error *err)
{
    *failed = 0;
    size_t got = 0;
    unsigned char *p = buf;
    if (s->plain) {
        got = fread(p, 1, n, s->plain);
        if (got < n && ferror(s->plain)) {
            *failed = 1;
            al_error_set(err, AL_ERR_IO, "reading '%s': %s", s->path, strerror(errno));
        }
        return got;
    }
    while (got < n) {
        size_t want = n - got < GZ_CHUNK ? n - got : GZ_CHUNK;
        int r = gzread(s->gz, p + got, (unsigned)want);
        if (r < 0 || (r == 0 && !gzeof(s->gz))) {
            int code = 0;
            const char *msg = gz_message(s->gz, s->path, &code);
            *failed = 1;
            al_error_set(err, code == Z_ERRNO ? AL_ERR_IO : AL_ERR_FORMAT,
                         "reading '%s': corrupt gzip data: %s", s->path,
                         code == Z_ERRNO ? strerror(errno) : msg);
            return got;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    /* zlib reports a stream cut short as Z_BUF_ERROR only after the reads */
    int code = 0;
    const char *msg = gz_message(s->gz, s->path, &code);
    if (code != Z_OK && code != Z_BUF_ERROR) {
        *failed = 1;
        al_error_set(err, AL_ERR_FORMAT, "reading '%s': corrupt gzip data: %s", s->path, msg);
    } else if (code == Z_BUF_ERROR) {
        *failed = 1;
        al_error_set(err, AL_ERR_FORMAT,
                     "reading '%s': truncated gzip stream (%s): the file was cut short",
                     s->path, msg);
    }
    return got;
}

void al_source_close(al_source *s)
{
    if (s->plain)
        fclose(s->plain);
    if (s->gz)
        gzclose(s->gz);
    s->plain = NULL;
    s->gz = NULL;
}

al_status al_source_open(al_source *s, const char *path, int *is_gzip, size_t *file_bytes,
                         al_error *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    FILE *f;
    al_status st = al_file_open_regular(path, &f, file_bytes, err);
    if (st != AL_OK)
        return st;
    unsigned char magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    *is_gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (!*is_gzip) {
        rewind(f);
        s->plain = f;
        return AL_OK;
    }
    fclose(f);
    s->gz = gzopen(path, "rb");
    if (!s->gz)
        return al_error_set(err, AL_ERR_IO, "cannot open '%s': %s", path,
                            errno ? strerror(errno) : "out of memory");
    return AL_OK;
}

al_status al_source_read_text(const char *path, size_t max_bytes, char **data, size_t *size,
                              int *was_gzip, al_error *err)
{
    *data = NULL;
    *size = 0;
    al_source s;
    int gz = 0;
    size_t file_bytes = 0;
    al_status st = al_source_open(&s, path, &gz, &file_bytes, err);
    if (st != AL_OK)
        return st;
    if (was_gzip)
        *was_gzip = gz;
    char *buf = NULL;
    size_t len = 0;
    if (!gz) {
        al_source_close(&s);
        st = al_file_read_all(path, max_bytes, &buf, &len, err);
    } else {
        /* inflate in growing pieces: the size is only known at the end */
        size_t cap = 0, limit = max_bytes;
        double ratio_limit = (double)AL_GZIP_MAX_RATIO * (double)file_bytes + 1024.0;
        if ((double)limit > ratio_limit)
            limit = (size_t)ratio_limit;
        for (;;) {
            if (len == cap) {
                size_t want = cap ? cap * 2 : ((size_t)1 << 16);
                if (want > limit + 1)
                    want = limit + 1;
                if (want <= cap) {
                    st = al_error_set(err, AL_ERR_NOMEM, "'%s' inflates to more than the %zu bytes of text "
                                      "allowed", path, max_bytes);
                    break;
                }
                st = al_memory_check((double)want + 1, err, "reading '%s' (gzip) whole", path);
                char *grown = st == AL_OK ? realloc(buf, want + 1) : NULL;
                if (st == AL_OK && !grown)
                    st = al_error_set(err, AL_ERR_NOMEM, "out of memory reading '%s'", path);
                if (st != AL_OK)
                    break;
                buf = grown;
                cap = want;
            }
            int failed = 0;
            size_t got = al_source_read(&s, buf + len, cap - len, &failed, err);
            if (failed) {
                st = err ? err->status : AL_ERR_FORMAT;
                break;
            }
            len += got;
            if (len < cap)
                break; /* the stream ended */
        }
        al_source_close(&s);
        if (st == AL_OK)
            buf[len] = '\0';
    }
    if (st == AL_OK && memchr(buf, '\0', len))
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' is not a text file (it holds a NUL byte at offset %zu%s)",
                          path, (size_t)((const char *)memchr(buf, '\0', len) - buf), gz ? " after gzip decompression" : "");
    if (st != AL_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *size = len;
    return AL_OK;
}
