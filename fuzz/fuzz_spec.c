/* libFuzzer harness: the model spec language. The input (cut at its first NUL
 * byte) goes through al_spec_parse, al_act_parse (one activation, as `act
 * eval` reads it; what parses is formatted back) and al_net_create (layers,
 * argument binding, widths). */
#include "actlab/act.h"
#include "actlab/nn.h"
#include "actlab/spec.h"

#include <math.h>

#include "fuzz_common.h"

/* The most floats a net built here may hold: a spec asking for
 * Linear(100000, 100000) is a valid 40 GB request, not a parser bug, and
 * would only trip libFuzzer's memory limit. */
#define SPEC_MAX_FLOATS ((double)(1 << 22))

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* An upper bound on the floats a net from spec allocates: for each module,
 * the product of its integer arguments and tuple items (sizes are integers),
 * weights and their gradients. */
static int spec_is_small(const al_spec *spec)
{
    double floats = 0;
    for (int i = 0; i < spec->n_modules; i++) {
        const al_spec_module *m = &spec->modules[i];
        double product = 1;
        for (int k = 0; k < m->n_args; k++) {
            if (m->args[k].type == AL_SPEC_NUMBER && m->args[k].is_integer &&
                fabs(m->args[k].number) > 1)
                product *= fabs(m->args[k].number);
            for (int j = 0; m->args[k].type == AL_SPEC_TUPLE && j < m->args[k].n_items; j++)
                if (fabs(m->args[k].items[j]) > 1) /* a kernel's (h, w) */
                    product *= fabs(m->args[k].items[j]);
        }
        floats += 4 * product;
    }
    return floats <= SPEC_MAX_FLOATS;
}

/* al_act_format must write what al_act_parse reads back as the same
 * activation; aborts otherwise so that libFuzzer keeps the input. */
static void spec_check_format(const al_act *act)
{
    char formatted[512];
    al_act again;
    al_error err;
    int n = al_act_format(act, formatted, sizeof formatted);
    if (n < 0 || (size_t)n >= sizeof formatted)
        return;
    int same = al_act_parse(formatted, &again, &err) == AL_OK && again.id == act->id &&
               again.kink_set == act->kink_set && (!act->kink_set || again.kink == act->kink);
    for (int i = 0; same && i < al_act_info_of(act->id)->n_params; i++)
        same = again.param[i] == act->param[i] || (isnan(again.param[i]) && isnan(act->param[i]));
    if (!same) {
        fprintf(stderr, "fuzz_spec: '%s' does not parse back to the activation it formats\n",
                formatted);
        abort();
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    al_error err;
    al_spec *spec = NULL;
    int small = 0;
    if (al_spec_parse(text, &spec, &err) == AL_OK) {
        small = spec_is_small(spec);
        al_spec_free(spec);
    }
    al_act act;
    if (al_act_parse(text, &act, &err) == AL_OK) {
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS];
        al_act_kinks(&act, where, deriv);
        spec_check_format(&act);
    }
    al_net *net = NULL;
    if (small && al_net_create(text, NULL, &net, &err) == AL_OK)
        al_net_free(net);
    free(text);
    return 0;
}
