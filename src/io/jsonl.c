/* JSON Lines through Jansson: the library's one JSON writer. Keys keep their
 * order, separators are ", " and ": " on one line, reals have 17 significant
 * digits (each reads back as the double it was); a compact record has fewer
 * digits and no spaces, chosen per record since Jansson takes the precision
 * per dump. */
#include "actlab/jsonl.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

#define FULL_DIGITS 17

static void begin(al_json *rec, json_t *root)
{
    rec->root = root;
    rec->failed = root == NULL;
    rec->digits = 0;
    rec->compact = 0;
}

void al_json_begin(al_json *rec)
{
    begin(rec, json_object());
}

void al_json_begin_array(al_json *rec)
{
    begin(rec, json_array());
}

void al_json_set_compact(al_json *rec, int digits)
{
    rec->digits = digits < 1 ? 1 : digits > FULL_DIGITS ? FULL_DIGITS : digits;
    rec->compact = 1;
}

void al_json_discard(al_json *rec)
{
    json_decref(rec->root);
    rec->root = NULL;
    rec->failed = 0;
}

/* Puts v (taking it) under key in `in`, or appends it to the array `in`. A
 * NULL v is a failed constructor. */
static void put(al_json *rec, json_t *in, const char *key, json_t *v)
{
    if (rec->failed || !v) {
        json_decref(v);
        rec->failed = 1;
        return;
    }
    json_t *where = in ? in : rec->root;
    /* both calls take v, also when they fail */
    int bad = key ? json_object_set_new(where, key, v) : json_array_append_new(where, v);
    if (bad)
        rec->failed = 1;
}

/* v after put: NULL once the record has failed, as callers must not fill it */
static json_t *put_container(al_json *rec, json_t *in, const char *key, json_t *v)
{
    put(rec, in, key, v);
    return rec->failed ? NULL : v;
}

json_t *al_json_add_object(al_json *rec, json_t *in, const char *key)
{
    return put_container(rec, in, key, rec->failed ? NULL : json_object());
}

json_t *al_json_add_array(al_json *rec, json_t *in, const char *key)
{
    return put_container(rec, in, key, rec->failed ? NULL : json_array());
}

void al_json_add_int(al_json *rec, json_t *in, const char *key, long long value)
{
    put(rec, in, key, rec->failed ? NULL : json_integer((json_int_t)value));
}

void al_json_add_real(al_json *rec, json_t *in, const char *key, double value)
{
    if (rec->failed)
        return;
    put(rec, in, key, isfinite(value) ? json_real(value) : json_null());
}

void al_json_add_bool(al_json *rec, json_t *in, const char *key, int value)
{
    put(rec, in, key, rec->failed ? NULL : json_boolean(value));
}

/* text with each byte that is not part of a UTF-8 character replaced by
 * U+FFFD (Jansson refuses such strings); NULL when out of memory */
static char *valid_utf8(const char *text, size_t len)
{
    char *out = malloc(3 * len + 1); /* U+FFFD is 3 bytes per bad byte */
    if (!out)
        return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = al_utf8_char(s + i, len - i, &cp);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, text + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

void al_json_add_string(al_json *rec, json_t *in, const char *key, const char *text)
{
    if (rec->failed)
        return;
    if (!text)
        text = "";
    size_t len = strlen(text);
    json_t *v = json_stringn(text, len);
    if (!v && len < (SIZE_MAX - 1) / 3) {
        char *clean = valid_utf8(text, len);
        v = clean ? json_string(clean) : NULL;
        free(clean);
    }
    put(rec, in, key, v);
}

al_status al_json_end(al_json *rec, al_buf *out, al_error *err)
{
    int digits = rec->digits ? rec->digits : FULL_DIGITS;
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(digits) | (rec->compact ? JSON_COMPACT : 0);
    char *text = rec->failed ? NULL : json_dumps(rec->root, flags);
    al_json_discard(rec);
    if (!text)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory building a JSON record");
    size_t was = out->len;
    al_buf_append(out, text, strlen(text));
    al_buf_append(out, "\n", 1);
    free(text);
    if (out->failed) {
        out->len = out->data ? was : 0; /* no half record in out either */
        if (out->data)
            out->data[out->len] = '\0';
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing a JSON record");
    }
    return AL_OK;
}

al_status al_jsonl_append(FILE *log, const char *path, al_json *rec, al_error *err)
{
    al_buf line = {0};
    al_status st = al_json_end(rec, &line, err);
    if (st == AL_OK)
        st = al_file_append_whole(log, path, line.data, line.len, err);
    al_buf_free(&line);
    return st;
}
