/* The model spec parser: a hand-written recursive-descent parser over the
 * text, tracking line and column so that every error (here and in the modules
 * that read a spec later) can point at the exact byte that is wrong.
 *
 * Grammar (docs/spec.md says it for users):
 *   spec   := [ 'Sequential' '(' list ')' ] | list
 *   list   := module (sep module)* [sep]      sep := ',' | newline+
 *   module := IDENT '(' [arg (',' arg)* [',']] ')'
 *   arg    := [IDENT '='] value
 *   value  := number | True | False | None | 'string' | "string"
 * Newlines separate modules only outside parentheses; inside them they are
 * plain whitespace, so a long constructor can be split over lines. */
#include "actlab/spec.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every string and argument array lives here, so freeing a spec
 * is a walk over a few blocks instead of over every module and argument. */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* max_align_t elements keep every allocation aligned */
} arena_block;

#define ARENA_BLOCK_BYTES 4096

static void *arena_alloc(arena_block **head, size_t bytes)
{
    size_t align = alignof(max_align_t);
    if (bytes == 0)
        bytes = 1;
    if (bytes > SIZE_MAX / 2)
        return NULL;
    bytes = (bytes + align - 1) / align * align;
    arena_block *b = *head;
    if (!b || b->cap - b->used < bytes) {
        size_t cap = bytes > ARENA_BLOCK_BYTES ? bytes : ARENA_BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *head;
        b->used = 0;
        b->cap = cap;
        *head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += bytes;
    return p;
}

static void arena_free(arena_block *b)
{
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
}

static char *arena_strndup(arena_block **head, const char *s, size_t n)
{
    char *d = arena_alloc(head, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- error messages */

/* Source lines longer than this are shown as a window around the column, so
 * the caret line always fits in an al_error next to the message. */
#define SHOW_BYTES 120

al_status al_spec_error_at(const al_spec *spec, int line, int column, al_error *err,
                           al_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    /* Format first: the arguments may point into err->message (a caller that
     * re-wraps an earlier error), which is overwritten below. */
    char msg[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char tail[2 * SHOW_BYTES + 32];
    size_t tl = 0;
    const char *src = spec ? spec->source : NULL;
    if (src && line >= 1 && column >= 1) {
        const char *p = src;
        for (int l = 1; l < line && p; l++) {
            p = strchr(p, '\n');
            if (p)
                p++;
        }
        if (p) {
            size_t len = strcspn(p, "\n");
            if (len > 0 && p[len - 1] == '\r')
                len--;
            size_t col0 = (size_t)column - 1; /* byte offset of the caret */
            size_t start = 0, end = len;
            if (len > SHOW_BYTES) {
                start = col0 > SHOW_BYTES / 2 ? col0 - SHOW_BYTES / 2 : 0;
                if (start > len)
                    start = len;
                /* do not start inside a UTF-8 sequence */
                while (start < len && ((unsigned char)p[start] & 0xC0) == 0x80)
                    start++;
                end = start + SHOW_BYTES < len ? start + SHOW_BYTES : len;
                while (end > start && end < len && ((unsigned char)p[end] & 0xC0) == 0x80)
                    end--;
            }
            tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "\n  %s%.*s%s",
                                   start > 0 ? "..." : "", (int)(end - start), p + start,
                                   end < len ? "..." : "");
            tail[tl++] = '\n';
            tail[tl++] = ' ';
            tail[tl++] = ' ';
            if (start > 0)
                for (int k = 0; k < 3; k++)
                    tail[tl++] = ' ';
            /* Tabs copied as tabs and UTF-8 continuation bytes skipped keep
             * the caret under the character in a terminal. */
            size_t stop = col0 < start ? start : col0;
            if (stop > start + SHOW_BYTES + 4)
                stop = start + SHOW_BYTES + 4;
            for (size_t i = start; i < stop; i++) {
                unsigned char c = i < end ? (unsigned char)p[i] : ' ';
                if (c == '\t')
                    tail[tl++] = '\t';
                else if ((c & 0xC0) != 0x80)
                    tail[tl++] = ' ';
            }
            tail[tl++] = '^';
            tail[tl] = '\0';
        }
    }
    tail[tl] = '\0';

    char head[64];
    int hl = snprintf(head, sizeof head, "line %d, column %d: ", line, column);
    size_t budget = sizeof err->message - 1 - (size_t)hl - tl;
    size_t ml = strlen(msg);
    if (ml > budget) { /* keep the caret; shorten the message */
        ml = budget > 3 ? budget - 3 : 0;
        memcpy(msg + ml, "...", 4);
        ml = strlen(msg);
    }
    snprintf(err->message, sizeof err->message, "%s%.*s%s", head, (int)ml, msg, tail);
    err->status = status;
    err->field = NULL;
    return status;
}

/* ---- the parser */

typedef struct place {
    size_t at;
    int line, column;
} place;

typedef struct parser {
    al_spec *spec;
    const char *s;
    place here;
    arena_block **arena;
    al_spec_arg *args; /* scratch for the module being parsed */
    int n_args, cap_args;
    int cap_modules;
    al_error *err;
} parser;

static char cur(const parser *P) { return P->s[P->here.at]; }
static char peek(const parser *P, size_t k) { return P->s[P->here.at + k]; }

static void advance(parser *P)
{
    if (P->s[P->here.at] == '\n') {
        P->here.line++;
        P->here.column = 1;
    } else {
        P->here.column++;
    }
    P->here.at++;
}

static int is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

/* Spaces, tabs and comments, not newlines (they may separate modules). */
static void skip_blank(parser *P)
{
    for (;;) {
        char c = cur(P);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            advance(P);
        } else if (c == '#') {
            while (cur(P) != '\n' && cur(P) != '\0')
                advance(P);
        } else {
            return;
        }
    }
}

/* All whitespace, newlines included. */
static void skip_space(parser *P)
{
    for (;;) {
        skip_blank(P);
        if (cur(P) != '\n')
            return;
        advance(P);
    }
}

static al_status error_at(parser *P, place at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static al_status error_at(parser *P, place at, const char *fmt, ...)
{
    char msg[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return al_spec_error_at(P->spec, at.line, at.column, P->err, AL_ERR_PARSE, "%s", msg);
}

static al_status out_of_memory(parser *P)
{
    return al_error_set(P->err, AL_ERR_NOMEM, "out of memory while parsing the spec");
}

/* Characters that can start or separate a token; anything else is reported
 * as "unexpected character" whatever was expected. */
static int is_known_char(char c)
{
    return is_ident_char(c) || strchr(" \t\r\f\v\n.+-'\"(),=#", c) != NULL;
}

/* Describes what is at the current position, for "found ...". */
static void describe_here(const parser *P, char *buf, size_t size)
{
    const char *p = P->s + P->here.at;
    char c = *p;
    if (c == '\0') {
        snprintf(buf, size, "the end of the spec");
    } else if (c == '\n') {
        snprintf(buf, size, "a newline");
    } else if (c == '\'' || c == '"') {
        snprintf(buf, size, "a string");
    } else if (is_ident_char(c) || c == '.' || ((c == '-' || c == '+') && (is_ident_char(p[1]) || p[1] == '.'))) {
        size_t n = 1;
        while (n < 40 && (is_ident_char(p[n]) || p[n] == '.'))
            n++;
        snprintf(buf, size, "'%.*s%s'", (int)n, p, n == 40 && is_ident_char(p[n]) ? "..." : "");
    } else {
        snprintf(buf, size, "'%c'", c);
    }
}

/* "expected WHAT, found X" at the current position. */
static al_status expected(parser *P, const char *what)
{
    char c = cur(P);
    if (c != '\0' && !is_known_char(c)) {
        if ((unsigned char)c >= 0x80 || (unsigned char)c < 0x20 || c == 0x7F)
            return error_at(P, P->here,
                            "unexpected byte 0x%02X (outside quotes only ASCII is allowed): expected %s",
                            (unsigned)(unsigned char)c, what);
        return error_at(P, P->here, "unexpected character '%c': expected %s", c, what);
    }
    char found[64];
    describe_here(P, found, sizeof found);
    return error_at(P, P->here, "expected %s, found %s", what, found);
}

static size_t ident_length(const char *p)
{
    size_t n = 0;
    if (!is_ident_start(p[0]))
        return 0;
    while (is_ident_char(p[n]))
        n++;
    return n;
}

static int word_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncmp(p, word, n) == 0;
}

static int word_is_nocase(const char *p, size_t n, const char *word)
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

static al_status parse_number(parser *P, al_spec_arg *arg)
{
    place start = P->here;
    const char *p = P->s + start.at;
    size_t n = 0;
    int negative = 0;
    if (p[0] == '+' || p[0] == '-') {
        negative = p[0] == '-';
        n = 1;
    }
    size_t word = ident_length(p + n);
    if (word > 0) {
        int is_inf = word_is_nocase(p + n, word, "inf") || word_is_nocase(p + n, word, "infinity");
        int is_nan = word_is_nocase(p + n, word, "nan");
        if (!is_inf && !is_nan)
            return error_at(P, start, "expected a number after '%c', found '%.*s'", p[0],
                            (int)(word > 40 ? 40 : word), p + n);
        arg->type = AL_SPEC_NUMBER;
        arg->number = is_nan ? NAN : negative ? -INFINITY : INFINITY;
        arg->is_integer = 0;
        for (size_t i = 0; i < n + word; i++)
            advance(P);
        return AL_OK;
    }
    size_t digits = 0;
    int integer = 1;
    while (is_digit(p[n])) {
        n++;
        digits++;
    }
    if (p[n] == '.') {
        integer = 0;
        n++;
        while (is_digit(p[n])) {
            n++;
            digits++;
        }
    }
    /* The longest run that looks like part of this number, for messages. */
    size_t shown = n;
    while (shown < 40 && (is_ident_char(p[shown]) || p[shown] == '.' ||
                          ((p[shown] == '+' || p[shown] == '-') && (p[shown - 1] == 'e' || p[shown - 1] == 'E'))))
        shown++;
    if (digits == 0)
        return error_at(P, start, "malformed number '%.*s': expected digits", (int)shown, p);
    if (p[n] == 'e' || p[n] == 'E') {
        integer = 0;
        size_t e = n + 1;
        if (p[e] == '+' || p[e] == '-')
            e++;
        if (!is_digit(p[e]))
            return error_at(P, start, "malformed number '%.*s': expected digits after the exponent '%c'",
                            (int)shown, p, p[n]);
        while (is_digit(p[e]))
            e++;
        n = e;
    }
    if (is_ident_char(p[n]) || p[n] == '.')
        return error_at(P, start, "malformed number '%.*s'", (int)shown, p);
    int range_error;
    double v = to_double(p, n, &range_error);
    if (range_error < 0)
        return out_of_memory(P);
    if (range_error)
        return error_at(P, start, "number out of range: '%.*s' does not fit in a double",
                        (int)(n > 40 ? 40 : n), p);
    arg->type = AL_SPEC_NUMBER;
    arg->number = v;
    arg->is_integer = integer;
    for (size_t i = 0; i < n; i++)
        advance(P);
    return AL_OK;
}

static al_status parse_string(parser *P, al_spec_arg *arg)
{
    place start = P->here;
    char quote = cur(P);
    size_t end = start.at + 1;
    while (P->s[end] != quote) {
        if (P->s[end] == '\0' || P->s[end] == '\n')
            return error_at(P, start, "unterminated string: expected a closing %c before the end of the %s",
                            quote, P->s[end] == '\0' ? "spec" : "line");
        end += P->s[end] == '\\' && P->s[end + 1] != '\0' && P->s[end + 1] != '\n' ? 2 : 1;
    }
    /* The decoded text is never longer than the quoted one. */
    char *out = arena_alloc(P->arena, end - start.at);
    if (!out)
        return out_of_memory(P);
    size_t len = 0;
    advance(P);
    while (cur(P) != quote) {
        char c = cur(P);
        if (c == '\\') {
            place esc = P->here;
            char e = peek(P, 1);
            char decoded = e == 'n' ? '\n' : (e == '\\' || e == '\'' || e == '"') ? e : 0;
            if (!decoded) {
                if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7F)
                    return error_at(P, esc, "unknown escape in a string: use \\\\, \\', \\\" or \\n");
                return error_at(P, esc, "unknown escape '\\%c' in a string: use \\\\, \\', \\\" or \\n", e);
            }
            out[len++] = decoded;
            advance(P);
            advance(P);
        } else {
            out[len++] = c;
            advance(P);
        }
    }
    advance(P);
    out[len] = '\0';
    arg->type = AL_SPEC_STRING;
    arg->string = out;
    return AL_OK;
}

/* value := number | True | False | None | string. `what` says, for a message,
 * which value was expected ("a value after 'alpha='"). */
static al_status parse_value(parser *P, al_spec_arg *arg, const char *what)
{
    char c = cur(P);
    arg->line = P->here.line;
    arg->column = P->here.column;
    if (c == '\'' || c == '"')
        return parse_string(P, arg);
    if (is_digit(c) || c == '.' || c == '+' || c == '-')
        return parse_number(P, arg);
    size_t n = ident_length(P->s + P->here.at);
    if (n == 0)
        return expected(P, what);
    const char *p = P->s + P->here.at;
    if (word_is(p, n, "True") || word_is(p, n, "False")) {
        arg->type = AL_SPEC_BOOL;
        arg->boolean = p[0] == 'T';
    } else if (word_is(p, n, "None")) {
        arg->type = AL_SPEC_NONE;
    } else if (word_is_nocase(p, n, "inf") || word_is_nocase(p, n, "infinity") ||
               word_is_nocase(p, n, "nan")) {
        return parse_number(P, arg);
    } else {
        int shown = (int)(n > 40 ? 40 : n);
        const char *hint = "";
        char quoted[96];
        if (p[n] == '(') {
            snprintf(quoted, sizeof quoted, " (modules cannot be nested: list %.*s(...) after a comma)",
                     shown, p);
            hint = quoted;
        } else if (word_is_nocase(p, n, "true") || word_is_nocase(p, n, "false") || word_is_nocase(p, n, "none")) {
            hint = " (write True, False and None with a capital letter)";
        } else {
            snprintf(quoted, sizeof quoted, " (a string needs quotes: '%.*s')", shown, p);
            hint = quoted;
        }
        return error_at(P, P->here, "expected %s, found '%.*s'%s", what, shown, p, hint);
    }
    for (size_t i = 0; i < n; i++)
        advance(P);
    return AL_OK;
}

static al_status push_arg(parser *P, const al_spec_arg *arg)
{
    if (P->n_args == P->cap_args) {
        int cap = P->cap_args ? P->cap_args * 2 : 8;
        al_spec_arg *a = realloc(P->args, (size_t)cap * sizeof *a);
        if (!a)
            return out_of_memory(P);
        P->args = a;
        P->cap_args = cap;
    }
    P->args[P->n_args++] = *arg;
    return AL_OK;
}

/* arg := [IDENT '='] value, with the checks that need the earlier arguments. */
static al_status parse_arg(parser *P, const char *module, int *seen_keyword)
{
    al_spec_arg arg;
    memset(&arg, 0, sizeof arg);
    int index = P->n_args + 1;
    place start = P->here;
    char what[160];
    size_t n = ident_length(P->s + start.at);
    if (n > 0) {
        /* An identifier is a keyword only when '=' follows; otherwise it is a
         * value such as True, and the parser goes back to read it as one. */
        for (size_t i = 0; i < n; i++)
            advance(P);
        skip_space(P);
        if (cur(P) == '=') {
            for (int i = 0; i < P->n_args; i++)
                if (P->args[i].key && strlen(P->args[i].key) == n &&
                    strncmp(P->args[i].key, P->s + start.at, n) == 0)
                    return error_at(P, start, "duplicate keyword '%s' in %s: it is given twice (first at line %d, column %d)",
                                    P->args[i].key, module, P->args[i].key_line,
                                    P->args[i].key_column);
            arg.key = arena_strndup(P->arena, P->s + start.at, n);
            if (!arg.key)
                return out_of_memory(P);
            advance(P);
            skip_space(P);
            snprintf(what, sizeof what, "a value after '%s='", arg.key);
            al_status st = parse_value(P, &arg, what);
            if (st != AL_OK)
                return st;
            arg.key_line = start.line;
            arg.key_column = start.column;
            *seen_keyword = 1;
            return push_arg(P, &arg);
        }
        P->here = start;
    }
    if (*seen_keyword) {
        /* Only something that could be a value is a misplaced positional
         * argument; a stray ',' or '$' is reported as what it is. */
        char c = cur(P);
        if (n > 0 || is_digit(c) || c == '.' || c == '+' || c == '-' || c == '\'' || c == '"')
            return error_at(P, start, "positional argument after keyword argument in %s: "
                            "write every positional argument before the first name=value", module);
        snprintf(what, sizeof what, "a keyword argument (name=value) or ')' after argument %d of %s",
                 P->n_args, module);
        return expected(P, what);
    }
    snprintf(what, sizeof what, "a value (a number, True, False, None or a quoted string) "
             "for argument %d of %s", index, module);
    al_status st = parse_value(P, &arg, what);
    if (st != AL_OK)
        return st;
    arg.key_line = arg.line;
    arg.key_column = arg.column;
    return push_arg(P, &arg);
}

/* module := IDENT '(' [args] ')'. The name is read by the caller. */
static al_status parse_module(parser *P, place start, size_t name_len)
{
    al_spec *spec = P->spec;
    if (spec->n_modules == P->cap_modules) {
        int cap = P->cap_modules ? P->cap_modules * 2 : 8;
        al_spec_module *m = realloc(spec->modules, (size_t)cap * sizeof *m);
        if (!m)
            return out_of_memory(P);
        spec->modules = m;
        P->cap_modules = cap;
    }
    al_spec_module *m = &spec->modules[spec->n_modules];
    memset(m, 0, sizeof *m);
    m->line = start.line;
    m->column = start.column;
    m->name = arena_strndup(P->arena, P->s + start.at, name_len);
    if (!m->name)
        return out_of_memory(P);
    spec->n_modules++;

    char what[160];
    skip_blank(P);
    if (cur(P) != '(') {
        snprintf(what, sizeof what, "'(' after %s (a module is written like %s())", m->name, m->name);
        return expected(P, what);
    }
    advance(P);
    P->n_args = 0;
    int seen_keyword = 0;
    skip_space(P);
    if (cur(P) != ')') {
        for (;;) {
            al_status st = parse_arg(P, m->name, &seen_keyword);
            if (st != AL_OK)
                return st;
            skip_space(P);
            if (cur(P) == ')')
                break;
            if (cur(P) != ',') {
                snprintf(what, sizeof what, "')' or ',' after argument %d of %s", P->n_args, m->name);
                return expected(P, what);
            }
            advance(P);
            skip_space(P);
            if (cur(P) == ')')
                break; /* a trailing comma, as Python allows */
        }
    }
    advance(P);
    if (P->n_args > 0) {
        m->args = arena_alloc(P->arena, (size_t)P->n_args * sizeof *m->args);
        if (!m->args)
            return out_of_memory(P);
        memcpy(m->args, P->args, (size_t)P->n_args * sizeof *m->args);
        m->n_args = P->n_args;
    }
    return AL_OK;
}

/* list := module (sep module)* [sep], ending at the end of the text or, inside
 * the Sequential wrapper, at ')' (close != 0). */
static al_status parse_list(parser *P, char close)
{
    skip_space(P);
    if (cur(P) == close || cur(P) == '\0') {
        if (cur(P) != close)
            return expected(P, "a module such as Linear(784, 10) or ')' to close Sequential(");
        return error_at(P, P->here, "the spec is empty: expected a module such as Linear(784, 10)");
    }
    for (;;) {
        place start = P->here;
        size_t n = ident_length(P->s + start.at);
        if (n == 0)
            return expected(P, "a module name such as Linear");
        for (size_t i = 0; i < n; i++)
            advance(P);
        al_status st = parse_module(P, start, n);
        if (st != AL_OK)
            return st;
        const char *name = P->spec->modules[P->spec->n_modules - 1].name;
        skip_blank(P);
        if (cur(P) == close)
            return AL_OK;
        if (cur(P) != ',' && cur(P) != '\n') {
            char what[160];
            snprintf(what, sizeof what, "',' or a newline%s after %s(...)",
                     close ? " or ')'" : "", name);
            return expected(P, what);
        }
        advance(P);
        skip_space(P);
        if (cur(P) == close)
            return AL_OK;
        if (close && cur(P) == '\0')
            return expected(P, "a module or ')' to close Sequential(");
    }
}

static al_status parse_spec(parser *P)
{
    skip_space(P);
    if (cur(P) == '\0')
        return error_at(P, P->here, "the spec is empty: expected a module such as Linear(784, 10)");
    /* PyTorch prints a model as Sequential( ... ): its modules are the list. */
    place start = P->here;
    size_t n = ident_length(P->s + start.at);
    if (word_is(P->s + start.at, n, "Sequential")) {
        for (size_t i = 0; i < n; i++)
            advance(P);
        skip_space(P);
        if (cur(P) == '(') {
            advance(P);
            al_status st = parse_list(P, ')');
            if (st != AL_OK)
                return st;
            advance(P);
            skip_space(P);
            if (cur(P) != '\0')
                return expected(P, "the end of the spec after Sequential(...)");
            return AL_OK;
        }
        P->here = start;
    }
    return parse_list(P, '\0');
}

al_status al_spec_parse(const char *text, al_spec **out, al_error *err)
{
    if (!out)
        return al_error_set(err, AL_ERR_INVALID, "al_spec_parse: out must not be NULL");
    *out = NULL;
    if (!text)
        return al_error_set(err, AL_ERR_INVALID, "al_spec_parse: the spec text is NULL");
    size_t len = strlen(text);
    if (len >= (size_t)INT_MAX)
        return al_error_set(err, AL_ERR_INVALID, "the spec is too long (%zu bytes)", len);
    al_spec *spec = calloc(1, sizeof *spec);
    if (!spec)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory while parsing the spec");
    spec->source = malloc(len + 1);
    if (!spec->source) {
        free(spec);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory while parsing the spec");
    }
    memcpy(spec->source, text, len + 1);

    arena_block *arena = NULL;
    parser P;
    memset(&P, 0, sizeof P);
    P.spec = spec;
    P.s = spec->source;
    P.here.line = 1;
    P.here.column = 1;
    P.arena = &arena;
    P.err = err;
    al_status st = parse_spec(&P);
    free(P.args);
    spec->arena = arena;
    if (st != AL_OK) {
        al_spec_free(spec);
        return st;
    }
    *out = spec;
    return AL_OK;
}

void al_spec_free(al_spec *spec)
{
    if (!spec)
        return;
    arena_free(spec->arena);
    free(spec->modules);
    free(spec->source);
    free(spec);
}
