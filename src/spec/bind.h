/* Binds a spec module's arguments to a list of parameter descriptions
 * (al_param_info): positional and keyword arguments, types, ranges, required
 * ones, duplicates, unknown names. Shared by the activation table and layers. */
#ifndef ACTLAB_SPEC_BIND_H
#define ACTLAB_SPEC_BIND_H

#include "actlab/spec.h"

/* One bound argument: n numbers (1 for a plain value; 2 for a pair, an
 * integer n given as (n, n); 0 for None), each in v. */
typedef struct al_spec_value {
    int n;
    double v[AL_SPEC_MAX_ITEMS];
} al_spec_value;

/* values[] starts with the defaults and receives the arguments. extra_key,
 * when not NULL, is one more keyword-only number accepted beyond params
 * (the activations' `kink`): *extra_given and *extra_value receive it. */
al_status al_spec_bind(const al_spec *spec, const al_spec_module *m, const al_param_info *params,
                       int n_params, const char *extra_key, double *values, int *extra_given,
                       double *extra_value, al_error *err);

/* The same for parameter lists with pairs and tuples (layers): values[]
 * starts with the defaults (n = 1, or 2 for a pair; a NaN default of a pair
 * means None, n = 0) and receives the arguments. */
al_status al_spec_bind_values(const al_spec *spec, const al_spec_module *m, const al_param_info *params,
                              int n_params, al_spec_value *values, al_error *err);

#endif
