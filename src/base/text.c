/* Text for messages about files: UTF-8 decoding, hostile text made safe to
 * print, and "where" prefixes with a caret under the place. */
#include "base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t al_utf8_char(const unsigned char *s, size_t left, uint32_t *cp)
{
    if (left == 0)
        return 0;
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len > left)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* C0, DEL and C1: what a terminal may take as a command. */
static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

void al_echo_text(const char *s, size_t len, size_t max, char *buf, size_t size)
{
    if (size < 4) { /* no room for "..." after even one character */
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    size_t limit = len < max ? len : max;
    if (limit + 4 > size)
        limit = size - 4;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < limit) {
        uint32_t cp;
        size_t n = al_utf8_char(u + i, len - i, &cp);
        if (n == 0) {
            buf[o++] = '?';
            i++;
            continue;
        }
        if (i + n > limit)
            break; /* cut before a character, never inside one */
        if (is_control(cp)) {
            buf[o++] = '?';
        } else {
            memcpy(buf + o, s + i, n);
            o += n;
        }
        i += n;
    }
    if (i < len)
        memcpy(buf + o, "...", 4);
    else
        buf[o] = '\0';
}

al_status al_error_at(al_error *err, al_status status, const char *file, size_t line, size_t column,
                      const char *fmt, ...)
{
    if (!err)
        return status;
    /* formatted first: the arguments may point into err->message (a caller
     * that re-wraps an earlier error), which is overwritten below */
    char msg[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int ml = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *out = err->message;
    size_t cap = sizeof err->message;
    int hl;
    if (file)
        hl = column ? snprintf(out, cap, "%s:%zu:%zu: ", file, line, column)
                    : snprintf(out, cap, "%s:%zu: ", file, line);
    else
        hl = column ? snprintf(out, cap, "line %zu, column %zu: ", line, column)
                    : snprintf(out, cap, "line %zu: ", line);
    size_t head = hl < 0 ? 0 : ((size_t)hl < cap ? (size_t)hl : cap - 1);
    size_t room = cap - 1 - head, len = strlen(msg);
    if (ml < 0 || (size_t)ml > len || len > room) { /* cut, and say so */
        size_t keep = room > 3 ? room - 3 : 0;
        memcpy(msg + keep, "...", 4);
        len = keep + 3 <= room ? keep + 3 : room;
    }
    memcpy(out + head, msg, len);
    out[head + len] = '\0';
    err->status = status;
    err->field = NULL;
    return status;
}

/* Source lines longer than this are shown as a window around the column, so
 * the caret line always fits in an al_error next to the message. */
#define SHOW_BYTES 120

void al_error_show_line(al_error *err, const char *line, size_t len, size_t column)
{
    if (!err || !line || column < 1)
        return;
    const unsigned char *p = (const unsigned char *)line;
    size_t col0 = column - 1; /* byte offset of the caret */
    size_t start = 0, end = len;
    if (len > SHOW_BYTES) {
        start = col0 > SHOW_BYTES / 2 ? col0 - SHOW_BYTES / 2 : 0;
        if (start > len)
            start = len;
        /* do not start or end inside a UTF-8 sequence */
        while (start < len && (p[start] & 0xC0) == 0x80)
            start++;
        end = start + SHOW_BYTES < len ? start + SHOW_BYTES : len;
        while (end > start && end < len && (p[end] & 0xC0) == 0x80)
            end--;
    }
    char tail[2 * SHOW_BYTES + 32];
    size_t tl = 0;
    memcpy(tail, start > 0 ? "\n  ..." : "\n  ", start > 0 ? 6 : 3);
    tl = start > 0 ? 6 : 3;
    memcpy(tail + tl, line + start, end - start);
    tl += end - start;
    if (end < len) {
        memcpy(tail + tl, "...", 3);
        tl += 3;
    }
    memcpy(tail + tl, start > 0 ? "\n     " : "\n  ", start > 0 ? 6 : 3);
    tl += start > 0 ? 6 : 3;
    /* Tabs copied as tabs and UTF-8 continuation bytes skipped keep the
     * caret under the character in a terminal. */
    size_t stop = col0 < start ? start : col0;
    if (stop > start + SHOW_BYTES + 4)
        stop = start + SHOW_BYTES + 4;
    for (size_t i = start; i < stop; i++) {
        unsigned char c = i < end ? p[i] : ' ';
        if (c == '\t')
            tail[tl++] = '\t';
        else if ((c & 0xC0) != 0x80)
            tail[tl++] = ' ';
    }
    tail[tl++] = '^';
    tail[tl] = '\0';

    char *msg = err->message;
    size_t cap = sizeof err->message - 1, ml = strnlen(msg, cap);
    if (ml + tl > cap) { /* keep the caret; shorten the message */
        ml = cap - tl > 3 ? cap - tl - 3 : 0;
        memcpy(msg + ml, "...", 3);
        ml += 3;
    }
    memcpy(msg + ml, tail, tl + 1);
}
