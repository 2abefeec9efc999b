/* The model spec language: a comma- or newline-separated list of PyTorch
 * module constructors, `Linear(784, 256), ReLU(), ELU(alpha=0.5)`. */
#ifndef ACTLAB_SPEC_H
#define ACTLAB_SPEC_H

#include <stddef.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_spec_type {
    AL_SPEC_NUMBER,   /* 3, -0.5, 1e-3, inf, nan */
    AL_SPEC_BOOL,     /* True, False */
    AL_SPEC_STRING,   /* 'tanh' or "tanh" */
    AL_SPEC_NONE,     /* None */
    AL_SPEC_TUPLE     /* (5, 5) or [5, 5]: numbers, at most AL_SPEC_MAX_ITEMS */
} al_spec_type;

/* The most numbers a tuple argument may hold (Unflatten's [C, H, W] needs 3). */
#define AL_SPEC_MAX_ITEMS 4

/* One argument: positional when key is NULL. */
typedef struct al_spec_arg {
    const char *key;
    al_spec_type type;
    double number;
    int is_integer;    /* the number was written without '.', exponent, inf or nan */
    int boolean;
    const char *string;
    int n_items;       /* AL_SPEC_TUPLE: how many numbers (1 for `(5,)`) */
    double items[AL_SPEC_MAX_ITEMS];
    int items_integer; /* every item was written as an integer */
    int line, column;  /* where the value starts, 1-based */
    int key_line, key_column; /* where the key starts (= value's when positional) */
} al_spec_arg;

/* One constructor. */
typedef struct al_spec_module {
    const char *name;
    int line, column;
    int n_args;
    al_spec_arg *args;
} al_spec_module;

/* A parsed spec; owns every string it points to. */
typedef struct al_spec {
    int n_modules;
    al_spec_module *modules;
    char *source;      /* a copy of the text, for error messages */
    void *arena;       /* internal storage */
} al_spec;

/* The type of one constructor argument a module accepts. */
typedef enum al_param_type {
    AL_PARAM_FLOAT,
    AL_PARAM_INT,
    AL_PARAM_BOOL,
    AL_PARAM_CHOICE,  /* a string from a fixed list; the value is its index */
    AL_PARAM_INT_PAIR, /* an integer n, meaning (n, n), or a pair (h, w), as PyTorch's _pair;
                        * with a NaN default it also takes None */
    AL_PARAM_INT_TUPLE /* a tuple of 1 to AL_SPEC_MAX_ITEMS integers */
} al_param_type;

/* One constructor argument, as PyTorch names it. */
typedef struct al_param_info {
    const char *name;
    al_param_type type;
    int required;              /* 1: no default (Threshold's two arguments) */
    double default_value;      /* CHOICE: index into choices */
    double min, max;           /* allowed range, inclusive unless *_open (each item of a tuple) */
    int min_open, max_open;
    const char *const *choices; /* CHOICE only: NULL-terminated */
    const char *default_text;  /* as written in `act list` ("0.01", "'none'") */
} al_param_info;

/* Parses text into a new spec; errors give line, column, what was expected
 * and the line with a caret under the column. */
al_status al_spec_parse(const char *text, al_spec **out, al_error *err);
/* Frees a spec; NULL is fine. */
void al_spec_free(al_spec *spec);
/* Records an error at (line, column) of spec's source, with the source line
 * and a caret, then the printf-style message; returns status. */
al_status al_spec_error_at(const al_spec *spec, int line, int column, al_error *err,
                           al_status status, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#ifdef __cplusplus
}
#endif
#endif
