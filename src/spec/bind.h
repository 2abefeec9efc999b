/* Binds a spec module's arguments to a list of parameter descriptions
 * (al_param_info): positional and keyword arguments, types, ranges, required
 * ones, duplicates, unknown names. Shared by the activation table and layers. */
#ifndef ACTLAB_SPEC_BIND_H
#define ACTLAB_SPEC_BIND_H

#include "actlab/spec.h"

/* values[] starts with the defaults and receives the arguments. extra_key,
 * when not NULL, is one more keyword-only number accepted beyond params
 * (the activations' `kink`): *extra_given and *extra_value receive it. */
al_status al_spec_bind(const al_spec *spec, const al_spec_module *m, const al_param_info *params,
                       int n_params, const char *extra_key, double *values, int *extra_given,
                       double *extra_value, al_error *err);

#endif
