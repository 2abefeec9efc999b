/* Argument binding for spec modules; every message points at the argument. */
#include "spec/bind.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int param_index(const al_param_info *params, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(params[i].name, key) == 0)
            return i;
    return -1;
}

static void range_text(const al_param_info *p, char *buf, size_t size)
{
    if (p->type == AL_PARAM_BOOL) {
        snprintf(buf, size, "True or False");
    } else if (p->type == AL_PARAM_CHOICE) {
        size_t used = 0;
        buf[0] = '\0';
        for (int k = 0; p->choices[k]; k++) {
            int w = snprintf(buf + used, size - used, "%s'%s'", k ? " or " : "", p->choices[k]);
            if (w < 0 || (size_t)w >= size - used)
                break;
            used += (size_t)w;
        }
    } else if (p->type == AL_PARAM_INT_PAIR || p->type == AL_PARAM_INT_TUPLE) {
        snprintf(buf, size, "%s of integers in [%g, %g]%s", p->type == AL_PARAM_INT_PAIR ?
                 "an integer or a pair (h, w)" : "a tuple", p->min, p->max,
                 p->type == AL_PARAM_INT_PAIR && isnan(p->default_value) ? ", or None" : "");
    } else if (isinf(p->min) && isinf(p->max)) {
        snprintf(buf, size, "any finite %s", p->type == AL_PARAM_INT ? "integer" : "number");
    } else if (isinf(p->max)) {
        snprintf(buf, size, "%s %s %g", p->type == AL_PARAM_INT ? "an integer" : "a number",
                 p->min_open ? ">" : ">=", p->min);
    } else {
        snprintf(buf, size, "%s in %c%g, %g%c", p->type == AL_PARAM_INT ? "an integer" : "a number",
                 p->min_open ? '(' : '[', p->min, p->max, p->max_open ? ')' : ']');
    }
}

static int in_range(const al_param_info *p, double v)
{
    return isfinite(v) && (p->min_open ? v > p->min : v >= p->min) && (p->max_open ? v < p->max : v <= p->max);
}

/* A pair or tuple argument: every item an integer in range. */
static al_status set_items(const al_spec *spec, const al_spec_module *m, const al_spec_arg *arg,
                           const al_param_info *p, const char *range, al_spec_value *out, al_error *err)
{
    int pair = p->type == AL_PARAM_INT_PAIR;
    if (pair && arg->type == AL_SPEC_NONE && isnan(p->default_value)) {
        out->n = 0;
        return AL_OK;
    }
    if (arg->type == AL_SPEC_NUMBER && pair && arg->is_integer) {
        out->n = 2;
        out->v[0] = out->v[1] = arg->number;
    } else if (arg->type == AL_SPEC_TUPLE && arg->items_integer && (!pair || arg->n_items == 2)) {
        out->n = arg->n_items;
        memcpy(out->v, arg->items, (size_t)arg->n_items * sizeof *arg->items);
    } else {
        return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                "%s(%s=...) takes %s", m->name, p->name, range);
    }
    for (int k = 0; k < out->n; k++)
        if (!in_range(p, out->v[k]))
            return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                    "%s(%s=...) is out of range: %g; %s takes %s", m->name, p->name,
                                    out->v[k], p->name, range);
    return AL_OK;
}

/* Checks one argument against its description and stores it. */
static al_status set_param(const al_spec *spec, const al_spec_module *m, const al_spec_arg *arg,
                           const al_param_info *p, al_spec_value *out, al_error *err)
{
    char range[160];
    range_text(p, range, sizeof range);
    out->n = 1;
    switch (p->type) {
    case AL_PARAM_BOOL:
        if (arg->type != AL_SPEC_BOOL)
            return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                    "%s(%s=...) takes True or False", m->name, p->name);
        out->v[0] = arg->boolean;
        return AL_OK;
    case AL_PARAM_CHOICE:
        if (arg->type == AL_SPEC_STRING)
            for (int k = 0; p->choices[k]; k++)
                if (strcmp(arg->string, p->choices[k]) == 0) {
                    out->v[0] = k;
                    return AL_OK;
                }
        return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                "%s(%s=...) takes %s", m->name, p->name, range);
    case AL_PARAM_INT_PAIR:
    case AL_PARAM_INT_TUPLE:
        return set_items(spec, m, arg, p, range, out, err);
    case AL_PARAM_INT:
    case AL_PARAM_FLOAT:
        break;
    }
    if (arg->type != AL_SPEC_NUMBER || (p->type == AL_PARAM_INT && !arg->is_integer))
        return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                "%s(%s=...) takes %s", m->name, p->name, range);
    double v = arg->number;
    if (!in_range(p, v))
        return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                "%s(%s=%g) is out of range: %s takes %s", m->name, p->name, v,
                                p->name, range);
    out->v[0] = v;
    return AL_OK;
}

/* Binds into values (one per parameter); extra_key as al_spec_bind says. */
static al_status bind(const al_spec *spec, const al_spec_module *m, const al_param_info *params, int n_params,
                      const char *extra_key, al_spec_value *values, int *extra_given, double *extra_value,
                      al_error *err)
{
    int seen[16] = {0};
    int positional = 0;
    for (int i = 0; i < m->n_args; i++) {
        const al_spec_arg *arg = &m->args[i];
        int idx;
        if (!arg->key) {
            idx = positional++;
            if (idx >= n_params)
                return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                        "%s takes %d positional argument%s, got more", m->name,
                                        n_params, n_params == 1 ? "" : "s");
        } else if (extra_key && strcmp(arg->key, extra_key) == 0) {
            if (arg->type != AL_SPEC_NUMBER || !isfinite(arg->number))
                return al_spec_error_at(spec, arg->line, arg->column, err, AL_ERR_INVALID,
                                        "%s(%s=...) takes a finite number: the derivative "
                                        "returned exactly at the kink", m->name, extra_key);
            *extra_given = 1;
            *extra_value = arg->number;
            continue;
        } else {
            idx = param_index(params, n_params, arg->key);
            if (idx < 0) {
                char allowed[256];
                size_t used = 0;
                allowed[0] = '\0';
                for (int k = 0; k <= n_params; k++) {
                    const char *name = k < n_params ? params[k].name : extra_key;
                    if (!name)
                        continue;
                    int w = snprintf(allowed + used, sizeof allowed - used, "%s%s", used ? ", " : "", name);
                    if (w > 0 && (size_t)w < sizeof allowed - used)
                        used += (size_t)w;
                }
                return al_spec_error_at(spec, arg->key_line, arg->key_column, err, AL_ERR_INVALID,
                                        "%s has no parameter '%s'; it takes: %s", m->name, arg->key,
                                        used ? allowed : "no arguments");
            }
        }
        if (idx >= 16 || seen[idx])
            return al_spec_error_at(spec, arg->key_line, arg->key_column, err, AL_ERR_INVALID,
                                    "%s: '%s' is given twice", m->name, params[idx].name);
        seen[idx] = 1;
        al_status st = set_param(spec, m, arg, &params[idx], &values[idx], err);
        if (st != AL_OK)
            return st;
    }
    for (int i = 0; i < n_params; i++)
        if (params[i].required && !seen[i])
            return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID,
                                    "%s needs '%s'", m->name, params[i].name);
    return AL_OK;
}

al_status al_spec_bind_values(const al_spec *spec, const al_spec_module *m, const al_param_info *params,
                              int n_params, al_spec_value *values, al_error *err)
{
    return bind(spec, m, params, n_params, NULL, values, NULL, NULL, err);
}

al_status al_spec_bind(const al_spec *spec, const al_spec_module *m, const al_param_info *params,
                       int n_params, const char *extra_key, double *values, int *extra_given,
                       double *extra_value, al_error *err)
{
    al_spec_value bound[16];
    if (n_params > 16)
        return al_error_set(err, AL_ERR_INVALID, "%s has more parameters than the binder takes", m->name);
    for (int i = 0; i < n_params; i++) {
        bound[i].n = 1;
        bound[i].v[0] = values[i];
    }
    al_status st = bind(spec, m, params, n_params, extra_key, bound, extra_given, extra_value, err);
    for (int i = 0; st == AL_OK && i < n_params; i++)
        values[i] = bound[i].v[0];
    return st;
}
