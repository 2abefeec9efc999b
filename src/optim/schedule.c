/* Learning-rate schedules in closed form (PyTorch's _get_closed_form_lr), so
 * the rate of any step is known without replaying the steps before it: a
 * resumed run gets exactly the rates the uninterrupted run would have. */
#include "actlab/optim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_FORMS \
    "constant, step:S:G, cosine, cosine:T_MAX, cosine:T_MAX:ETA_MIN, warmup:N,MAIN or warmup:N:F,MAIN"

/* math.pi; M_PI is not in ISO C. */
#define SCHEDULE_PI 3.14159265358979323846

/* LinearLR's default start_factor. */
#define DEFAULT_WARMUP_START_FACTOR (1.0 / 3.0)

al_schedule al_schedule_default(void)
{
    al_schedule s;
    memset(&s, 0, sizeof s);
    s.kind = AL_SCHEDULE_CONSTANT;
    s.step_size = 1;
    s.gamma = 0.1;
    s.t_max = 0;
    s.eta_min = 0.0;
    s.warmup_steps = 0;
    s.warmup_start_factor = DEFAULT_WARMUP_START_FACTOR;
    return s;
}

/* Splits text at ':' into at most max_fields fields (copied into buf).
 * Returns the number of fields, or -1 when there are more. */
static int split_fields(const char *text, size_t len, char *buf, size_t buf_size, char **fields,
                        int max_fields)
{
    if (len >= buf_size)
        len = buf_size - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    int n = 0;
    char *p = buf;
    for (;;) {
        if (n == max_fields)
            return -1;
        fields[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    return n;
}

static int parse_long_field(const char *s, long *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno)
        return 0;
    *out = v;
    return 1;
}

static int parse_double_field(const char *s, double *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* Parses one main schedule (no warm-up) from text[0, len). */
static al_status parse_main(const char *text, size_t len, al_schedule *s, al_error *err)
{
    char buf[256];
    char *f[4];
    int n = split_fields(text, len, buf, sizeof buf, f, 4);
    const char *name = f[0];
    if (strcmp(name, "constant") == 0) {
        if (n != 1)
            return al_error_set(err, AL_ERR_PARSE, "schedule '%.*s': constant takes no arguments",
                                (int)len, text);
        s->kind = AL_SCHEDULE_CONSTANT;
        return AL_OK;
    }
    if (strcmp(name, "step") == 0) {
        if (n != 3)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': step needs step:S:G (step size and gamma)",
                                (int)len, text);
        if (!parse_long_field(f[1], &s->step_size) || s->step_size <= 0)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': step size '%s' must be an integer > 0", (int)len,
                                text, f[1]);
        if (!parse_double_field(f[2], &s->gamma) || s->gamma < 0.0)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': gamma '%s' must be a finite number >= 0",
                                (int)len, text, f[2]);
        s->kind = AL_SCHEDULE_STEP;
        return AL_OK;
    }
    if (strcmp(name, "cosine") == 0) {
        if (n < 1 || n > 3)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': cosine takes at most T_MAX and ETA_MIN", (int)len,
                                text);
        s->t_max = 0;
        s->eta_min = 0.0;
        if (n >= 2 && (!parse_long_field(f[1], &s->t_max) || s->t_max <= 0))
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': T_MAX '%s' must be an integer > 0", (int)len,
                                text, f[1]);
        if (n == 3 && (!parse_double_field(f[2], &s->eta_min) || s->eta_min < 0.0))
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': ETA_MIN '%s' must be a finite number >= 0",
                                (int)len, text, f[2]);
        s->kind = AL_SCHEDULE_COSINE;
        return AL_OK;
    }
    if (strcmp(name, "warmup") == 0)
        return al_error_set(err, AL_ERR_PARSE,
                            "schedule '%.*s': warmup must come first and be followed by ',MAIN' "
                            "(e.g. warmup:500,cosine)",
                            (int)len, text);
    return al_error_set(err, AL_ERR_PARSE, "unknown schedule '%s': expected " SCHEDULE_FORMS, name);
}

al_status al_schedule_parse(const char *text, al_schedule *out, al_error *err)
{
    al_schedule s = al_schedule_default();
    if (!text || !*text)
        return al_error_set(err, AL_ERR_PARSE, "empty schedule: expected " SCHEDULE_FORMS);
    if (strlen(text) > 200)
        return al_error_set(err, AL_ERR_PARSE, "schedule '%.40s...' is too long", text);
    const char *main_text = text;
    if (strncmp(text, "warmup", 6) == 0 && (text[6] == ':' || text[6] == ',' || !text[6])) {
        const char *comma = strchr(text, ',');
        if (!comma || !comma[1])
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%s': warmup needs a main schedule after a comma "
                                "(e.g. warmup:500,cosine)",
                                text);
        char buf[256];
        char *f[4];
        int n = split_fields(text, (size_t)(comma - text), buf, sizeof buf, f, 4);
        if (n < 2 || n > 3)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': warmup needs warmup:N or warmup:N:F",
                                (int)(comma - text), text);
        if (!parse_long_field(f[1], &s.warmup_steps) || s.warmup_steps <= 0)
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': warm-up steps '%s' must be an integer > 0",
                                (int)(comma - text), text, f[1]);
        if (n == 3 && (!parse_double_field(f[2], &s.warmup_start_factor) ||
                       s.warmup_start_factor < 0.0 || s.warmup_start_factor > 1.0))
            return al_error_set(err, AL_ERR_PARSE,
                                "schedule '%.*s': start factor '%s' must be a number in [0, 1]",
                                (int)(comma - text), text, f[2]);
        main_text = comma + 1;
    }
    if (strchr(main_text, ','))
        return al_error_set(err, AL_ERR_PARSE,
                            "schedule '%s': only one main schedule may follow a warmup", text);
    al_status st = parse_main(main_text, strlen(main_text), &s, err);
    if (st != AL_OK)
        return st;
    *out = s;
    return AL_OK;
}

al_status al_schedule_resolve(al_schedule *s, long total_steps, al_error *err)
{
    if (s->warmup_steps > 0 && total_steps <= s->warmup_steps)
        return al_error_set(err, AL_ERR_INVALID,
                            "the run has %ld steps, not more than the schedule's %ld warm-up steps",
                            total_steps, s->warmup_steps);
    if (s->kind == AL_SCHEDULE_COSINE && s->t_max == 0) {
        long t_max = total_steps - s->warmup_steps;
        if (t_max <= 0)
            return al_error_set(err, AL_ERR_INVALID,
                                "cosine schedule: the run has %ld steps, none left for T_max",
                                total_steps);
        s->t_max = t_max;
    }
    return AL_OK;
}

double al_schedule_lr(const al_schedule *s, double base_lr, long step)
{
    if (step < 0)
        step = 0;
    if (s->warmup_steps > 0) {
        if (step < s->warmup_steps) {
            /* LinearLR, end_factor 1: start + (end - start) * min(step, N) / N */
            double f = s->warmup_start_factor + (1.0 - s->warmup_start_factor) * (double)step /
                                                    (double)s->warmup_steps;
            return base_lr * f;
        }
        step -= s->warmup_steps; /* SequentialLR restarts the main schedule at 0 */
    }
    switch (s->kind) {
    case AL_SCHEDULE_CONSTANT:
        return base_lr;
    case AL_SCHEDULE_STEP:
        if (s->step_size <= 0)
            return base_lr;
        return base_lr * pow(s->gamma, (double)(step / s->step_size));
    case AL_SCHEDULE_COSINE:
        if (s->t_max <= 0) /* unresolved: constant rather than a division by zero */
            return base_lr;
        /* Past T_max the closed form goes on along the cosine, as torch's does. */
        return s->eta_min + (base_lr - s->eta_min) *
                                (1.0 + cos(SCHEDULE_PI * (double)step / (double)s->t_max)) / 2.0;
    }
    return base_lr;
}

void al_schedule_format(const al_schedule *s, char *buf, size_t size)
{
    char main_text[96];
    switch (s->kind) {
    case AL_SCHEDULE_STEP:
        snprintf(main_text, sizeof main_text, "step:%ld:%.17g", s->step_size, s->gamma);
        break;
    case AL_SCHEDULE_COSINE:
        if (s->t_max == 0)
            snprintf(main_text, sizeof main_text, "cosine");
        else if (s->eta_min == 0.0)
            snprintf(main_text, sizeof main_text, "cosine:%ld", s->t_max);
        else
            snprintf(main_text, sizeof main_text, "cosine:%ld:%.17g", s->t_max, s->eta_min);
        break;
    case AL_SCHEDULE_CONSTANT:
    default:
        snprintf(main_text, sizeof main_text, "constant");
        break;
    }
    if (s->warmup_steps > 0)
        snprintf(buf, size, "warmup:%ld:%.17g,%s", s->warmup_steps, s->warmup_start_factor,
                 main_text);
    else
        snprintf(buf, size, "%s", main_text);
}
