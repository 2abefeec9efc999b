/* Status codes and error messages. Every fallible actlab call returns an
 * al_status and, when given an al_error, writes there what failed and what to do. */
#ifndef ACTLAB_STATUS_H
#define ACTLAB_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum al_status {
    AL_OK = 0,
    AL_ERR_INVALID,   /* a bad argument or option value */
    AL_ERR_PARSE,     /* a malformed spec or text input */
    AL_ERR_FORMAT,    /* a malformed or unsupported file */
    AL_ERR_IO,        /* a file could not be opened, read or written */
    AL_ERR_NOMEM,     /* an allocation failed or would be absurdly large */
    AL_ERR_SHAPE,     /* tensors whose shapes do not fit together */
    AL_ERR_NUMERIC,   /* a non-finite value where one is not allowed */
    AL_ERR_INTERRUPTED /* stopped on request (SIGINT); state was saved where possible */
} al_status;

#define AL_ERROR_MESSAGE_BYTES 1024

/* The message of the last failure, owned by the caller (no global state).
 * When the failure is about one option, field names it as
 * "<options struct>.<member>" ("train.batch", "probe.every",
 * "compare.dir"): a static string a front end maps to its own spelling of
 * that option (the CLI to a flag); the message names the option in words. */
typedef struct al_error {
    al_status status;
    const char *field;   /* NULL when no single option is at fault */
    char message[AL_ERROR_MESSAGE_BYTES];
} al_error;

/* Records a printf-style message in err (which may be NULL), clears its
 * field and returns status. */
al_status al_error_set(al_error *err, al_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As al_error_set, and names the option field at fault (a static string,
 * see al_error). */
al_status al_error_set_field(al_error *err, al_status status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefixes err's message with a printf-style context ("reading x.npy: ..."). */
al_status al_error_prefix(al_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short name for a status ("invalid argument", "I/O error", ...). */
const char *al_status_name(al_status status);

#ifdef __cplusplus
}
#endif
#endif
