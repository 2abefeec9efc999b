/* The spec language's scanner: positions with line and column, blanks and
 * comments, identifiers, numbers and strings, and the "expected X, found Y"
 * messages that point at the place. The grammar is in spec.c. */
#include "spec/lexer.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spaces, tabs and comments, not newlines (they may separate modules). */
void al_lex_skip_blank(al_spec_parser *P)
{
    for (;;) {
        char c = al_lex_cur(P);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            al_lex_advance(P);
        } else if (c == '#') {
            while (al_lex_cur(P) != '\n' && al_lex_cur(P) != '\0')
                al_lex_advance(P);
        } else {
            return;
        }
    }
}

/* All whitespace, newlines included. */
void al_lex_skip_space(al_spec_parser *P)
{
    for (;;) {
        al_lex_skip_blank(P);
        if (al_lex_cur(P) != '\n')
            return;
        al_lex_advance(P);
    }
}

al_status al_lex_error_at(al_spec_parser *P, al_spec_place at, const char *fmt, ...)
{
    char msg[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return al_spec_error_at(P->spec, at.line, at.column, P->err, AL_ERR_PARSE, "%s", msg);
}

al_status al_lex_out_of_memory(al_spec_parser *P)
{
    return al_error_set(P->err, AL_ERR_NOMEM, "out of memory while parsing the spec");
}

/* Characters that can start or separate a token; anything else is reported
 * as "unexpected character" whatever was expected. */
static int is_known_char(char c)
{
    return al_lex_is_ident_char(c) || strchr(" \t\r\f\v\n.+-'\"(),=#", c) != NULL;
}

/* Describes what is at the current position, for "found ...". */
static void describe_here(const al_spec_parser *P, char *buf, size_t size)
{
    const char *p = P->s + P->here.at;
    char c = *p;
    if (c == '\0') {
        snprintf(buf, size, "the end of the spec");
    } else if (c == '\n') {
        snprintf(buf, size, "a newline");
    } else if (c == '\'' || c == '"') {
        snprintf(buf, size, "a string");
    } else if (al_lex_is_ident_char(c) || c == '.' ||
               ((c == '-' || c == '+') && (al_lex_is_ident_char(p[1]) || p[1] == '.'))) {
        size_t n = 1;
        while (n < 40 && (al_lex_is_ident_char(p[n]) || p[n] == '.'))
            n++;
        snprintf(buf, size, "'%.*s%s'", (int)n, p, n == 40 && al_lex_is_ident_char(p[n]) ? "..." : "");
    } else {
        snprintf(buf, size, "'%c'", c);
    }
}

/* "expected WHAT, found X" at the current position. */
al_status al_lex_expected(al_spec_parser *P, const char *what)
{
    char c = al_lex_cur(P);
    if (c != '\0' && !is_known_char(c)) {
        if ((unsigned char)c >= 0x80 || (unsigned char)c < 0x20 || c == 0x7F)
            return al_lex_error_at(P, P->here,
                            "unexpected byte 0x%02X (outside quotes only ASCII is allowed): expected %s",
                            (unsigned)(unsigned char)c, what);
        return al_lex_error_at(P, P->here, "unexpected character '%c': expected %s", c, what);
    }
    char found[64];
    describe_here(P, found, sizeof found);
    return al_lex_error_at(P, P->here, "expected %s, found %s", what, found);
}

size_t al_lex_ident_length(const char *p)
{
    size_t n = 0;
    if (!al_lex_is_ident_start(p[0]))
        return 0;
    while (al_lex_is_ident_char(p[n]))
        n++;
    return n;
}

int al_lex_word_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncmp(p, word, n) == 0;
}

int al_lex_word_is_nocase(const char *p, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = p[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != word[i])
            return 0;
    }
    return 1;
}

/* Converts digits with strtod in the "C" notation whatever the locale: an
 * application that called setlocale() may have ',' as the decimal point. */
static double to_double(const char *text, size_t n, int *range_error)
{
    char buf[512];
    char *copy = n < sizeof buf ? buf : malloc(n + 1);
    if (!copy) {
        *range_error = -1;
        return 0;
    }
    memcpy(copy, text, n);
    copy[n] = '\0';
    const char *point = localeconv()->decimal_point;
    if (point && point[0] && point[0] != '.' && point[1] == '\0') {
        char *dot = strchr(copy, '.');
        if (dot)
            *dot = point[0];
    }
    errno = 0;
    double v = strtod(copy, NULL);
    /* Underflow (1e-999) rounds to 0 as Python does; only overflow is refused. */
    *range_error = errno == ERANGE && isinf(v);
    if (copy != buf)
        free(copy);
    return v;
}

al_status al_lex_number(al_spec_parser *P, al_spec_arg *arg)
{
    al_spec_place start = P->here;
    const char *p = P->s + start.at;
    size_t n = 0;
    int negative = 0;
    if (p[0] == '+' || p[0] == '-') {
        negative = p[0] == '-';
        n = 1;
    }
    size_t word = al_lex_ident_length(p + n);
    if (word > 0) {
        int is_inf = al_lex_word_is_nocase(p + n, word, "inf") ||
                     al_lex_word_is_nocase(p + n, word, "infinity");
        int is_nan = al_lex_word_is_nocase(p + n, word, "nan");
        if (!is_inf && !is_nan)
            return al_lex_error_at(P, start, "expected a number after '%c', found '%.*s'", p[0],
                            (int)(word > 40 ? 40 : word), p + n);
        arg->type = AL_SPEC_NUMBER;
        arg->number = is_nan ? NAN : negative ? -INFINITY : INFINITY;
        arg->is_integer = 0;
        for (size_t i = 0; i < n + word; i++)
            al_lex_advance(P);
        return AL_OK;
    }
    size_t digits = 0;
    int integer = 1;
    while (al_lex_is_digit(p[n])) {
        n++;
        digits++;
    }
    if (p[n] == '.') {
        integer = 0;
        n++;
        while (al_lex_is_digit(p[n])) {
            n++;
            digits++;
        }
    }
    /* The longest run that looks like part of this number, for messages. */
    size_t shown = n;
    while (shown < 40 && (al_lex_is_ident_char(p[shown]) || p[shown] == '.' ||
                          ((p[shown] == '+' || p[shown] == '-') && (p[shown - 1] == 'e' || p[shown - 1] == 'E'))))
        shown++;
    if (digits == 0)
        return al_lex_error_at(P, start, "malformed number '%.*s': expected digits", (int)shown, p);
    if (p[n] == 'e' || p[n] == 'E') {
        integer = 0;
        size_t e = n + 1;
        if (p[e] == '+' || p[e] == '-')
            e++;
        if (!al_lex_is_digit(p[e]))
            return al_lex_error_at(P, start, "malformed number '%.*s': expected digits after the exponent '%c'",
                            (int)shown, p, p[n]);
        while (al_lex_is_digit(p[e]))
            e++;
        n = e;
    }
    if (al_lex_is_ident_char(p[n]) || p[n] == '.')
        return al_lex_error_at(P, start, "malformed number '%.*s'", (int)shown, p);
    int range_error;
    double v = to_double(p, n, &range_error);
    if (range_error < 0)
        return al_lex_out_of_memory(P);
    if (range_error)
        return al_lex_error_at(P, start, "number out of range: '%.*s' does not fit in a double",
                        (int)(n > 40 ? 40 : n), p);
    arg->type = AL_SPEC_NUMBER;
    arg->number = v;
    arg->is_integer = integer;
    for (size_t i = 0; i < n; i++)
        al_lex_advance(P);
    return AL_OK;
}

al_status al_lex_string(al_spec_parser *P, al_spec_arg *arg)
{
    al_spec_place start = P->here;
    char quote = al_lex_cur(P);
    size_t end = start.at + 1;
    while (P->s[end] != quote) {
        if (P->s[end] == '\0' || P->s[end] == '\n')
            return al_lex_error_at(P, start, "unterminated string: expected a closing %c before the end of the %s",
                            quote, P->s[end] == '\0' ? "spec" : "line");
        end += P->s[end] == '\\' && P->s[end + 1] != '\0' && P->s[end + 1] != '\n' ? 2 : 1;
    }
    /* The decoded text is never longer than the quoted one. */
    char *out = al_spec_arena_alloc(P->arena, end - start.at);
    if (!out)
        return al_lex_out_of_memory(P);
    size_t len = 0;
    al_lex_advance(P);
    while (al_lex_cur(P) != quote) {
        char c = al_lex_cur(P);
        if (c == '\\') {
            al_spec_place esc = P->here;
            char e = al_lex_peek(P, 1);
            char decoded = e == 'n' ? '\n' : (e == '\\' || e == '\'' || e == '"') ? e : 0;
            if (!decoded) {
                if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7F)
                    return al_lex_error_at(P, esc, "unknown escape in a string: use \\\\, \\', \\\" or \\n");
                return al_lex_error_at(P, esc, "unknown escape '\\%c' in a string: use \\\\, \\', \\\" or \\n", e);
            }
            out[len++] = decoded;
            al_lex_advance(P);
            al_lex_advance(P);
        } else {
            out[len++] = c;
            al_lex_advance(P);
        }
    }
    al_lex_advance(P);
    out[len] = '\0';
    arg->type = AL_SPEC_STRING;
    arg->string = out;
    return AL_OK;
}

