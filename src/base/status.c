/* Error messages live in the caller's al_error, never in a global. */
#include "actlab/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_message(al_error *err, al_status status, const char *field, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    err->status = status;
    err->field = field;
}

al_status al_error_set(al_error *err, al_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_message(err, status, NULL, fmt, ap);
        va_end(ap);
    }
    return status;
}

al_status al_error_set_field(al_error *err, al_status status, const char *field, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_message(err, status, field, fmt, ap);
        va_end(ap);
    }
    return status;
}

al_status al_error_prefix(al_error *err, const char *fmt, ...)
{
    if (!err)
        return AL_OK;
    char prefix[AL_ERROR_MESSAGE_BYTES];
    char old[AL_ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    size_t lp = strnlen(prefix, sizeof prefix - 1), lo = strnlen(old, sizeof old - 1);
    if (lp + lo > sizeof err->message - 1)
        lo = sizeof err->message - 1 - lp; /* truncate the tail, keep the context */
    memcpy(err->message, prefix, lp);
    memcpy(err->message + lp, old, lo);
    err->message[lp + lo] = '\0';
    return err->status;
}

const char *al_status_name(al_status status)
{
    switch (status) {
    case AL_OK: return "ok";
    case AL_ERR_INVALID: return "invalid argument";
    case AL_ERR_PARSE: return "parse error";
    case AL_ERR_FORMAT: return "bad file format";
    case AL_ERR_IO: return "I/O error";
    case AL_ERR_NOMEM: return "out of memory";
    case AL_ERR_SHAPE: return "shape mismatch";
    case AL_ERR_NUMERIC: return "numerical error";
    case AL_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}
