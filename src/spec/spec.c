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

#include <limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "spec/lexer.h"

/* ---- arena: every string and argument array lives here, so freeing a spec
 * is a walk over a few blocks instead of over every module and argument. */

struct al_spec_arena {
    struct al_spec_arena *next;
    size_t used, cap;
    max_align_t data[]; /* max_align_t elements keep every allocation aligned */
};

#define ARENA_BLOCK_BYTES 4096

void *al_spec_arena_alloc(al_spec_arena **head, size_t bytes)
{
    size_t align = alignof(max_align_t);
    if (bytes == 0)
        bytes = 1;
    if (bytes > SIZE_MAX / 2)
        return NULL;
    bytes = (bytes + align - 1) / align * align;
    al_spec_arena *b = *head;
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

static void arena_free(al_spec_arena *b)
{
    while (b) {
        al_spec_arena *next = b->next;
        free(b);
        b = next;
    }
}

char *al_spec_arena_strndup(al_spec_arena **head, const char *s, size_t n)
{
    char *d = al_spec_arena_alloc(head, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- error messages */

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
    al_error_at(err, status, NULL, line > 0 ? (size_t)line : 0, column > 0 ? (size_t)column : 0, "%s",
                msg);
    const char *p = spec && line >= 1 && column >= 1 ? spec->source : NULL;
    for (int l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (p) {
        size_t len = strcspn(p, "\n");
        if (len > 0 && p[len - 1] == '\r')
            len--;
        al_error_show_line(err, p, len, (size_t)column);
    }
    return status;
}

/* ---- the grammar (tokens come from lexer.c) */

/* value := number | True | False | None | string. `what` says, for a message,
 * which value was expected ("a value after 'alpha='"). */
static al_status parse_value(al_spec_parser *P, al_spec_arg *arg, const char *what)
{
    char c = al_lex_cur(P);
    arg->line = P->here.line;
    arg->column = P->here.column;
    if (c == '\'' || c == '"')
        return al_lex_string(P, arg);
    if (al_lex_is_digit(c) || c == '.' || c == '+' || c == '-')
        return al_lex_number(P, arg);
    size_t n = al_lex_ident_length(P->s + P->here.at);
    if (n == 0)
        return al_lex_expected(P, what);
    const char *p = P->s + P->here.at;
    if (al_lex_word_is(p, n, "True") || al_lex_word_is(p, n, "False")) {
        arg->type = AL_SPEC_BOOL;
        arg->boolean = p[0] == 'T';
    } else if (al_lex_word_is(p, n, "None")) {
        arg->type = AL_SPEC_NONE;
    } else if (al_lex_word_is_nocase(p, n, "inf") || al_lex_word_is_nocase(p, n, "infinity") ||
               al_lex_word_is_nocase(p, n, "nan")) {
        return al_lex_number(P, arg);
    } else {
        int shown = (int)(n > 40 ? 40 : n);
        const char *hint = "";
        char quoted[96];
        if (p[n] == '(') {
            snprintf(quoted, sizeof quoted, " (modules cannot be nested: list %.*s(...) after a comma)",
                     shown, p);
            hint = quoted;
        } else if (al_lex_word_is_nocase(p, n, "true") || al_lex_word_is_nocase(p, n, "false") ||
                   al_lex_word_is_nocase(p, n, "none")) {
            hint = " (write True, False and None with a capital letter)";
        } else {
            snprintf(quoted, sizeof quoted, " (a string needs quotes: '%.*s')", shown, p);
            hint = quoted;
        }
        return al_lex_error_at(P, P->here, "expected %s, found '%.*s'%s", what, shown, p, hint);
    }
    for (size_t i = 0; i < n; i++)
        al_lex_advance(P);
    return AL_OK;
}

static al_status push_arg(al_spec_parser *P, const al_spec_arg *arg)
{
    if (P->n_args == P->cap_args) {
        int cap = P->cap_args ? P->cap_args * 2 : 8;
        al_spec_arg *a = realloc(P->args, (size_t)cap * sizeof *a);
        if (!a)
            return al_lex_out_of_memory(P);
        P->args = a;
        P->cap_args = cap;
    }
    P->args[P->n_args++] = *arg;
    return AL_OK;
}

/* arg := [IDENT '='] value, with the checks that need the earlier arguments. */
static al_status parse_arg(al_spec_parser *P, const char *module, int *seen_keyword)
{
    al_spec_arg arg;
    memset(&arg, 0, sizeof arg);
    int index = P->n_args + 1;
    al_spec_place start = P->here;
    char what[160];
    size_t n = al_lex_ident_length(P->s + start.at);
    if (n > 0) {
        /* An identifier is a keyword only when '=' follows; otherwise it is a
         * value such as True, and the parser goes back to read it as one. */
        for (size_t i = 0; i < n; i++)
            al_lex_advance(P);
        al_lex_skip_space(P);
        if (al_lex_cur(P) == '=') {
            for (int i = 0; i < P->n_args; i++)
                if (P->args[i].key && strlen(P->args[i].key) == n &&
                    strncmp(P->args[i].key, P->s + start.at, n) == 0)
                    return al_lex_error_at(P, start, "duplicate keyword '%s' in %s: it is given twice (first at line %d, column %d)",
                                    P->args[i].key, module, P->args[i].key_line,
                                    P->args[i].key_column);
            arg.key = al_spec_arena_strndup(P->arena, P->s + start.at, n);
            if (!arg.key)
                return al_lex_out_of_memory(P);
            al_lex_advance(P);
            al_lex_skip_space(P);
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
        char c = al_lex_cur(P);
        if (n > 0 || al_lex_is_digit(c) || c == '.' || c == '+' || c == '-' || c == '\'' || c == '"')
            return al_lex_error_at(P, start, "positional argument after keyword argument in %s: "
                            "write every positional argument before the first name=value", module);
        snprintf(what, sizeof what, "a keyword argument (name=value) or ')' after argument %d of %s",
                 P->n_args, module);
        return al_lex_expected(P, what);
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
static al_status parse_module(al_spec_parser *P, al_spec_place start, size_t name_len)
{
    al_spec *spec = P->spec;
    if (spec->n_modules == P->cap_modules) {
        int cap = P->cap_modules ? P->cap_modules * 2 : 8;
        al_spec_module *m = realloc(spec->modules, (size_t)cap * sizeof *m);
        if (!m)
            return al_lex_out_of_memory(P);
        spec->modules = m;
        P->cap_modules = cap;
    }
    al_spec_module *m = &spec->modules[spec->n_modules];
    memset(m, 0, sizeof *m);
    m->line = start.line;
    m->column = start.column;
    m->name = al_spec_arena_strndup(P->arena, P->s + start.at, name_len);
    if (!m->name)
        return al_lex_out_of_memory(P);
    spec->n_modules++;

    char what[160];
    al_lex_skip_blank(P);
    if (al_lex_cur(P) != '(') {
        snprintf(what, sizeof what, "'(' after %s (a module is written like %s())", m->name, m->name);
        return al_lex_expected(P, what);
    }
    al_lex_advance(P);
    P->n_args = 0;
    int seen_keyword = 0;
    al_lex_skip_space(P);
    if (al_lex_cur(P) != ')') {
        for (;;) {
            al_status st = parse_arg(P, m->name, &seen_keyword);
            if (st != AL_OK)
                return st;
            al_lex_skip_space(P);
            if (al_lex_cur(P) == ')')
                break;
            if (al_lex_cur(P) != ',') {
                snprintf(what, sizeof what, "')' or ',' after argument %d of %s", P->n_args, m->name);
                return al_lex_expected(P, what);
            }
            al_lex_advance(P);
            al_lex_skip_space(P);
            if (al_lex_cur(P) == ')')
                break; /* a trailing comma, as Python allows */
        }
    }
    al_lex_advance(P);
    if (P->n_args > 0) {
        m->args = al_spec_arena_alloc(P->arena, (size_t)P->n_args * sizeof *m->args);
        if (!m->args)
            return al_lex_out_of_memory(P);
        memcpy(m->args, P->args, (size_t)P->n_args * sizeof *m->args);
        m->n_args = P->n_args;
    }
    return AL_OK;
}

/* list := module (sep module)* [sep], ending at the end of the text or, inside
 * the Sequential wrapper, at ')' (close != 0). */
static al_status parse_list(al_spec_parser *P, char close)
{
    al_lex_skip_space(P);
    if (al_lex_cur(P) == close || al_lex_cur(P) == '\0') {
        if (al_lex_cur(P) != close)
            return al_lex_expected(P, "a module such as Linear(784, 10) or ')' to close Sequential(");
        return al_lex_error_at(P, P->here, "the spec is empty: expected a module such as Linear(784, 10)");
    }
    for (;;) {
        al_spec_place start = P->here;
        size_t n = al_lex_ident_length(P->s + start.at);
        if (n == 0)
            return al_lex_expected(P, "a module name such as Linear");
        for (size_t i = 0; i < n; i++)
            al_lex_advance(P);
        al_status st = parse_module(P, start, n);
        if (st != AL_OK)
            return st;
        const char *name = P->spec->modules[P->spec->n_modules - 1].name;
        al_lex_skip_blank(P);
        if (al_lex_cur(P) == close)
            return AL_OK;
        if (al_lex_cur(P) != ',' && al_lex_cur(P) != '\n') {
            char what[160];
            snprintf(what, sizeof what, "',' or a newline%s after %s(...)",
                     close ? " or ')'" : "", name);
            return al_lex_expected(P, what);
        }
        al_lex_advance(P);
        al_lex_skip_space(P);
        if (al_lex_cur(P) == close)
            return AL_OK;
        if (close && al_lex_cur(P) == '\0')
            return al_lex_expected(P, "a module or ')' to close Sequential(");
    }
}

static al_status parse_spec(al_spec_parser *P)
{
    al_lex_skip_space(P);
    if (al_lex_cur(P) == '\0')
        return al_lex_error_at(P, P->here, "the spec is empty: expected a module such as Linear(784, 10)");
    /* PyTorch prints a model as Sequential( ... ): its modules are the list. */
    al_spec_place start = P->here;
    size_t n = al_lex_ident_length(P->s + start.at);
    if (al_lex_word_is(P->s + start.at, n, "Sequential")) {
        for (size_t i = 0; i < n; i++)
            al_lex_advance(P);
        al_lex_skip_space(P);
        if (al_lex_cur(P) == '(') {
            al_lex_advance(P);
            al_status st = parse_list(P, ')');
            if (st != AL_OK)
                return st;
            al_lex_advance(P);
            al_lex_skip_space(P);
            if (al_lex_cur(P) != '\0')
                return al_lex_expected(P, "the end of the spec after Sequential(...)");
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
    spec->source = strdup(text);
    if (!spec->source) {
        free(spec);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory while parsing the spec");
    }

    al_spec_arena *arena = NULL;
    al_spec_parser P;
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
