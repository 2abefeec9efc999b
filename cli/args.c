/* What every command shares on its command line: reading numbers from flag
 * values, and printing errors, with a library error's option field shown
 * as the flag the user typed. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "actlab %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(run `actlab %s --help` for usage)\n", cmd);
    return 2;
}

static int exit_status(const al_error *err)
{
    return err->status == AL_ERR_INVALID || err->status == AL_ERR_PARSE ? 2 : 1;
}

/* The flag of err's field in flags, or NULL. */
static const char *flag_of(const al_error *err, const cli_flag *flags)
{
    for (size_t i = 0; err->field && flags && flags[i].field; i++)
        if (strcmp(flags[i].field, err->field) == 0)
            return flags[i].flag;
    return NULL;
}

void cli_print_error(const char *cmd, const al_error *err, const cli_flag *flags)
{
    const char *flag = flag_of(err, flags);
    if (flag && !strstr(err->message, flag)) /* a message may already name it */
        fprintf(stderr, "actlab %s: %s: %s\n", cmd, flag, err->message);
    else
        fprintf(stderr, "actlab %s: %s\n", cmd, err->message);
}

int cli_fail_flags(const char *cmd, const al_error *err, const cli_flag *flags)
{
    cli_print_error(cmd, err, flags);
    return exit_status(err);
}

int cli_fail(const char *cmd, const al_error *err)
{
    return cli_fail_flags(cmd, err, NULL);
}

int cli_long(const char *cmd, const char *flag, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(text, &end, 10);
    if (errno || end == text || *end || x < lo || x > hi)
        return cli_usage_error(cmd, "%s: expected a whole number from %ld to %ld, got '%s'", flag, lo, hi, text);
    *out = x;
    return 0;
}

int cli_shape(const char *cmd, const char *flag, const char *text, al_shape *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (errno || end == p || x < 1 || x > 1000000000L || out->rank == AL_SHAPE_MAX_RANK)
            break;
        out->dim[out->rank++] = (size_t)x;
        if (*end == '\0')
            return 0;
        if (*end != ',')
            break;
        p = end + 1;
    }
    return cli_usage_error(cmd, "%s: expected 1 to %d positive whole numbers separated by commas (C,H,W), "
                           "got '%s'", flag, AL_SHAPE_MAX_RANK, text);
}

/* A finite number within [lo, hi] ((lo, hi] when lo_open). */
static int parse_double(const char *cmd, const char *flag, const char *text, double lo, int lo_open, double hi,
                        double *out)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (!errno && end != text && !*end && isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi) {
        *out = x;
        return 0;
    }
    char range[96] = "";
    const char *from = lo_open ? ">" : ">=";
    if (isfinite(lo) && isfinite(hi))
        snprintf(range, sizeof range, " %s %g and <= %g", from, lo, hi);
    else if (isfinite(lo))
        snprintf(range, sizeof range, " %s %g", from, lo);
    else if (isfinite(hi))
        snprintf(range, sizeof range, " <= %g", hi);
    return cli_usage_error(cmd, "%s: expected a number%s, got '%s'", flag, range, text);
}

int cli_double(const char *cmd, const char *flag, const char *text, double lo, double hi, double *out)
{
    return parse_double(cmd, flag, text, lo, 0, hi, out);
}

int cli_double_above(const char *cmd, const char *flag, const char *text, double lo, double hi, double *out)
{
    return parse_double(cmd, flag, text, lo, 1, hi, out);
}
