/* Activations from text and back: the table's names looked up, one spec
 * constructor bound to a row's parameters ("ELU(alpha=0.5)", "ReLU(kink=0.5)"),
 * and the constructor text of a configured activation. */
#include "act/act_internal.h"

#include <stdio.h>
#include <string.h>

#include "actlab/spec.h"
#include "actlab/util.h"
#include "spec/bind.h"

al_status al_act_find(const char *name, al_act_id *out, al_error *err)
{
    const char *names[AL_ACT_COUNT];
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        names[i] = al_act_info_of((al_act_id)i)->name;
        if (strcmp(name, names[i]) == 0) {
            *out = (al_act_id)i;
            return AL_OK;
        }
    }
    char close[256];
    al_closest_names(name, names, AL_ACT_COUNT, close, sizeof close);
    return al_error_set(err, AL_ERR_INVALID,
                        "unknown activation '%s': did you mean %s? (`actlab act list` shows all)",
                        name, close);
}

void al_act_default(al_act_id id, al_act *out)
{
    const al_act_info *info = al_act_info_of(id);
    memset(out, 0, sizeof *out);
    out->id = info->id;
    for (int i = 0; i < info->n_params; i++)
        out->param[i] = info->params[i].default_value;
}

al_status al_act_from_module(const al_spec *spec, const al_spec_module *m, al_act *out, al_error *err)
{
    al_act_id id = AL_ACT_IDENTITY;
    if (al_act_find(m->name, &id, err) != AL_OK) {
        char msg[AL_ERROR_MESSAGE_BYTES];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID, "%s", msg);
    }
    const al_act_row *row = al_act_row_of(id);
    const al_act_info *info = &row->info;
    al_act_default(id, out);
    al_status st = al_spec_bind(spec, m, info->params, info->n_params, info->has_kink ? "kink" : NULL,
                                out->param, &out->kink_set, &out->kink, err);
    if (st != AL_OK)
        return st;
    /* constraints between parameters, and ones a plain range cannot say */
    const char *why = row->check ? row->check(out->param) : NULL;
    if (why)
        return al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID, "%s: %s", m->name, why);
    return AL_OK;
}

al_status al_act_parse(const char *text, al_act *out, al_error *err)
{
    al_spec *spec = NULL;
    al_status st = al_spec_parse(text, &spec, err);
    if (st != AL_OK)
        return st;
    if (spec->n_modules != 1) {
        const al_spec_module *m = &spec->modules[1];
        st = al_spec_error_at(spec, m->line, m->column, err, AL_ERR_INVALID,
                              "expected one activation, found %d modules", spec->n_modules);
    } else {
        st = al_act_from_module(spec, &spec->modules[0], out, err);
    }
    al_spec_free(spec);
    return st;
}

int al_act_format(const al_act *a, char *buf, size_t size)
{
    const al_act_info *info = al_act_info_of(a->id);
    al_buf b = {0};
    al_buf_printf(&b, "%s(", info->name);
    int n = 0;
    for (int i = 0; i < info->n_params; i++) {
        const al_param_info *p = &info->params[i];
        if (!p->required && a->param[i] == p->default_value)
            continue;
        al_buf_printf(&b, "%s%s=", n++ ? ", " : "", p->name);
        if (p->type == AL_PARAM_CHOICE)
            al_buf_printf(&b, "'%s'", p->choices[(int)a->param[i]]);
        else if (p->type == AL_PARAM_BOOL)
            al_buf_printf(&b, "%s", a->param[i] != 0 ? "True" : "False");
        else if (p->type == AL_PARAM_INT)
            al_buf_printf(&b, "%.0f", a->param[i]);
        else
            al_buf_printf(&b, "%.17g", a->param[i]);
    }
    if (a->kink_set)
        al_buf_printf(&b, "%skink=%.17g", n ? ", " : "", a->kink);
    al_buf_printf(&b, ")");
    int len = b.failed ? -1 : (int)b.len;
    if (size > 0)
        snprintf(buf, size, "%s", b.failed ? "" : b.data);
    al_buf_free(&b);
    return len;
}
