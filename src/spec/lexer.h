/* Private to src/spec: the parser's state and the scanner (lexer.c) that the
 * grammar (spec.c) reads tokens through. The parser works on the spec's own
 * copy of the text, NUL-terminated, so looking one byte ahead is always safe. */
#ifndef ACTLAB_SPEC_LEXER_H
#define ACTLAB_SPEC_LEXER_H

#include <stddef.h>

#include "actlab/spec.h"

/* A spec's strings and argument arrays (spec.c): freed all at once. */
typedef struct al_spec_arena al_spec_arena;
/* bytes from the arena at *head, aligned for any type; NULL when out of memory */
void *al_spec_arena_alloc(al_spec_arena **head, size_t bytes);
/* a NUL-terminated copy of n bytes of s in the arena; NULL when out of memory */
char *al_spec_arena_strndup(al_spec_arena **head, const char *s, size_t n);

/* A position in the text: byte offset, 1-based line and byte column. */
typedef struct al_spec_place {
    size_t at;
    int line, column;
} al_spec_place;

typedef struct al_spec_parser {
    al_spec *spec;
    const char *s;     /* spec->source */
    al_spec_place here;
    al_spec_arena **arena;
    al_spec_arg *args; /* scratch for the module being parsed */
    int n_args, cap_args;
    int cap_modules;
    al_error *err;
} al_spec_parser;

static inline char al_lex_cur(const al_spec_parser *P) { return P->s[P->here.at]; }
static inline char al_lex_peek(const al_spec_parser *P, size_t k) { return P->s[P->here.at + k]; }
static inline int al_lex_is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
static inline int al_lex_is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int al_lex_is_ident_char(char c) { return al_lex_is_ident_start(c) || al_lex_is_digit(c); }

/* Moves one byte on, counting lines and columns. */
static inline void al_lex_advance(al_spec_parser *P)
{
    if (P->s[P->here.at] == '\n') {
        P->here.line++;
        P->here.column = 1;
    } else {
        P->here.column++;
    }
    P->here.at++;
}

/* Skips spaces, tabs and comments, not newlines (they may separate modules). */
void al_lex_skip_blank(al_spec_parser *P);
/* Skips all whitespace and comments, newlines included. */
void al_lex_skip_space(al_spec_parser *P);

/* A parse error at `at`, with the line and a caret (al_spec_error_at). */
al_status al_lex_error_at(al_spec_parser *P, al_spec_place at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
al_status al_lex_out_of_memory(al_spec_parser *P);
/* "expected WHAT, found X" at the current position. */
al_status al_lex_expected(al_spec_parser *P, const char *what);

/* The length of the identifier at p (0 when none starts there). */
size_t al_lex_ident_length(const char *p);
/* Whether the n bytes at p are word (exactly / ignoring ASCII case). */
int al_lex_word_is(const char *p, size_t n, const char *word);
int al_lex_word_is_nocase(const char *p, size_t n, const char *word);

/* A number (3, -0.5, 1e-3, inf, nan) or a quoted string (escapes decoded,
 * kept in the arena) at the current position, into arg; moves past it. */
al_status al_lex_number(al_spec_parser *P, al_spec_arg *arg);
al_status al_lex_string(al_spec_parser *P, al_spec_arg *arg);

#endif
