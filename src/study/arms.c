/* Arms from factors: the cartesian product of the factor lists
 * (activations outermost), each arm with its name and full model spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "study/compare_internal.h"

#define MAX_ARMS 4096

/* The activation text of one arm: act with kink= applied when it has a kink. */
static al_status act_text(const char *act, int use_kink, double kink, char *out, size_t size, int *has_kink,
                          al_error *err)
{
    al_act a;
    al_status st = al_act_parse(act, &a, err);
    if (st != AL_OK)
        return al_error_prefix(err, "activation '%s': ", act), st;
    *has_kink = al_act_info_of(a.id)->has_kink;
    if (use_kink && *has_kink) {
        a.kink_set = 1;
        a.kink = kink;
    }
    al_act_format(&a, out, size);
    return AL_OK;
}

static al_status build_spec(const al_compare_factors *f, const char *act, int bn, int depth, al_buf *b,
                            al_error *err)
{
    if (f->template_spec) {
        for (const char *s = f->template_spec; *s;) {
            const char *hit = strstr(s, "{act}");
            if (!hit) {
                al_buf_append(b, s, strlen(s));
                break;
            }
            al_buf_append(b, s, (size_t)(hit - s));
            al_buf_append(b, act, strlen(act));
            s = hit + 5;
        }
        return AL_OK;
    }
    if (f->in == 0 || f->width == 0 || f->classes == 0 || depth < 1)
        return al_error_set(err, AL_ERR_INVALID, "an MLP needs input, width and class counts and a depth "
                            ">= 1 (got %zu, %zu, %zu, depth %d)", f->in, f->width, f->classes, depth);
    for (int d = 0; d < depth; d++) {
        al_buf_printf(b, "Linear(%zu, %zu), ", d == 0 ? f->in : f->width, f->width);
        if (bn)
            al_buf_printf(b, "BatchNorm1d(%zu), ", f->width);
        al_buf_printf(b, "%s, ", act);
    }
    al_buf_printf(b, "Linear(%zu, %zu)", f->width, f->classes);
    return AL_OK;
}

static al_status add_arm(al_compare *c, size_t cap, const char *name, const char *spec, al_init_scheme init,
                         al_gain_rule gain, double lr, al_error *err)
{
    if (c->n_arms == cap)
        return al_error_set(err, AL_ERR_INVALID, "too many arms");
    al_net *net = NULL;
    al_status st = al_net_create(spec, NULL, &net, err);
    al_net_free(net);
    if (st != AL_OK)
        return al_error_prefix(err, "arm '%s': ", name), st;
    al_arm *a = &c->arms[c->n_arms];
    a->spec = strdup(spec);
    if (!a->spec)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for arm '%s'", name);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->init = init;
    a->gain = gain;
    a->lr = lr;
    c->n_arms++;
    return AL_OK;
}

al_status al_compare_build_arms(al_compare *c, const al_compare_factors *f, al_error *err)
{
    static const al_init_scheme default_init = AL_INIT_PYTORCH;
    static const al_gain_rule default_gain = AL_GAIN_SCHEME;
    static const int default_bn = 0, default_depth = 1;
    double default_lr = c->o.optim.lr;
    const al_init_scheme *inits = f->n_inits ? f->inits : &default_init;
    const al_gain_rule *gains = f->n_gains ? f->gains : &default_gain;
    size_t n_gains = f->n_gains ? f->n_gains : 1;
    const int *bns = f->n_batchnorm ? f->batchnorm : &default_bn;
    const int *depths = f->n_depths ? f->depths : &default_depth;
    const double *lrs = f->n_lrs ? f->lrs : &default_lr;
    size_t n_inits = f->n_inits ? f->n_inits : 1, n_bn = f->n_batchnorm ? f->n_batchnorm : 1;
    size_t n_depths = f->n_depths ? f->n_depths : 1, n_lrs = f->n_lrs ? f->n_lrs : 1;
    size_t n_kinks = f->n_kinks ? f->n_kinks : 1;
    if (f->template_spec && (f->n_batchnorm > 1 || f->n_depths > 1))
        return al_error_set_field(err, AL_ERR_INVALID, "factors.template_spec", "BatchNorm and depth factors "
                                  "need the built-in MLP, not a model template");
    size_t cap = f->n_acts * n_inits * n_gains * n_bn * n_kinks * n_lrs * n_depths;
    if (cap > MAX_ARMS)
        return al_error_set(err, AL_ERR_INVALID, "%zu arms is too many (at most %d)", cap, MAX_ARMS);
    c->arms = calloc(cap, sizeof *c->arms);
    if (!c->arms)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_status st = AL_OK;
    for (size_t ia = 0; st == AL_OK && ia < f->n_acts; ia++)
        for (size_t ik = 0; st == AL_OK && ik < n_kinks; ik++)
            for (size_t ii = 0; st == AL_OK && ii < n_inits * n_gains; ii++)
                for (size_t ib = 0; st == AL_OK && ib < n_bn; ib++)
                    for (size_t il = 0; st == AL_OK && il < n_lrs; il++)
                        for (size_t id = 0; st == AL_OK && id < n_depths; id++) {
                            al_init_scheme init = inits[ii / n_gains];
                            al_gain_rule gain = gains[ii % n_gains];
                            char act[256], name[256];
                            int has_kink = 0;
                            st = act_text(f->acts[ia], f->n_kinks > 0, f->n_kinks ? f->kinks[ik] : 0, act,
                                          sizeof act, &has_kink, err);
                            if (st != AL_OK || (!has_kink && ik > 0))
                                continue; /* kink values only multiply activations that have one */
                            int n = snprintf(name, sizeof name, "%s", act);
                            if (n_inits > 1)
                                n += snprintf(name + n, sizeof name - (size_t)n, " %s",
                                              al_init_scheme_name(init));
                            if (n_gains > 1 || gain != AL_GAIN_SCHEME)
                                n += snprintf(name + n, sizeof name - (size_t)n, " gain %s", al_gain_rule_name(gain));
                            if (n_bn > 1 || bns[ib])
                                n += snprintf(name + n, sizeof name - (size_t)n, bns[ib] ? " +BN" : " no BN");
                            if (n_lrs > 1)
                                n += snprintf(name + n, sizeof name - (size_t)n, " lr=%g", lrs[il]);
                            if (n_depths > 1)
                                snprintf(name + n, sizeof name - (size_t)n, " depth=%d", depths[id]);
                            al_buf spec = {0};
                            st = build_spec(f, act, bns[ib], depths[id], &spec, err);
                            if (st == AL_OK && !spec.data)
                                st = al_error_set(err, AL_ERR_NOMEM, "out of memory building a spec");
                            if (st == AL_OK)
                                st = add_arm(c, cap, name, spec.data, init, gain, lrs[il], err);
                            al_buf_free(&spec);
                        }
    return st;
}
