/* A layer from one module of a spec: its row, its bound arguments and its
 * constructor text (shapes come later, from the net); and the names of the
 * initialisation schemes. */
#include "nn/layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    al_init_scheme scheme;
} schemes[] = {{"pytorch", AL_INIT_PYTORCH},
               {"xavier-uniform", AL_INIT_XAVIER_UNIFORM},
               {"xavier-normal", AL_INIT_XAVIER_NORMAL},
               {"kaiming-uniform", AL_INIT_KAIMING_UNIFORM},
               {"kaiming-normal", AL_INIT_KAIMING_NORMAL},
               {"lecun-normal", AL_INIT_LECUN_NORMAL}};
#define N_SCHEMES (sizeof schemes / sizeof schemes[0])

al_status al_init_scheme_parse(const char *name, al_init_scheme *out, al_error *err)
{
    for (size_t i = 0; i < N_SCHEMES; i++) {
        if (strcmp(name, schemes[i].name) == 0) {
            *out = schemes[i].scheme;
            return AL_OK;
        }
    }
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown init scheme '%s': use pytorch, xavier-uniform, xavier-normal, "
                        "kaiming-uniform, kaiming-normal or lecun-normal", name);
}

const char *al_init_scheme_name(al_init_scheme scheme)
{
    for (size_t i = 0; i < N_SCHEMES; i++)
        if (schemes[i].scheme == scheme)
            return schemes[i].name;
    return "pytorch";
}

static char *module_text(const al_spec *spec, const al_spec_module *m)
{
    /* rebuild "Name(args)" from the source: from the name to its ')' */
    const char *src = spec->source;
    int line = 1;
    const char *p = src;
    while (*p && line < m->line)
        if (*p++ == '\n')
            line++;
    p += m->column - 1;
    const char *end = p;
    int depth = 0;
    while (*end) {
        if (*end == '(')
            depth++;
        else if (*end == ')' && --depth == 0) {
            end++;
            break;
        }
        end++;
    }
    size_t n = (size_t)(end - p);
    char *t = malloc(n + 1);
    if (t) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) /* fold newlines and runs of spaces */
            if (!(p[i] == '\n' || ((p[i] == ' ' || p[i] == '\t') && k && t[k - 1] == ' ')))
                t[k++] = p[i] == '\t' ? ' ' : p[i];
        t[k] = '\0';
    }
    return t;
}

/* Reads one module into a layer: its row, its arguments (shapes come later). */
al_status al_layer_build(const al_spec *spec, const al_spec_module *m, int index, al_layer *l, al_error *err)
{
    memset(l, 0, sizeof *l);
    l->index = index;
    l->module = module_text(spec, m);
    if (!l->module)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory reading the spec");
    l->type = al_layer_type_find(m->name);
    if (!l->type)
        return al_layer_unknown(spec, m, err);
    al_spec_value args[AL_LAYER_MAX_ARGS];
    if (!l->type->is_activation) {
        for (int i = 0; i < l->type->n_args; i++) {
            const al_param_info *a = &l->type->args[i];
            double v = a->required ? NAN : a->default_value;
            args[i].n = a->type == AL_PARAM_INT_PAIR ? (isnan(v) ? 0 : 2) : 1;
            args[i].v[0] = args[i].v[1] = v;
        }
        al_status st = al_spec_bind_values(spec, m, l->type->args, l->type->n_args, args, err);
        if (st != AL_OK)
            return st;
    }
    return l->type->configure ? l->type->configure(l, args, spec, m, err) : AL_OK;
}

