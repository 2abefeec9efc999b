/* A comparison: its options, creation (arms.c expands the factors), the
 * results' accessors. The runner is runner.c, the statistics summary.c and
 * the files compare_io.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/compare_internal.h"

al_compare_options al_compare_options_default(void)
{
    al_compare_options o;
    memset(&o, 0, sizeof o);
    o.seeds = 5;
    o.first_seed = 1;
    o.epochs = 5;
    o.batch = 128;
    o.optim = al_optim_options_for(AL_OPT_SGD);
    o.optim.lr = 0.05;
    o.optim.momentum = 0.9;
    o.target = NAN;
    o.tune_seeds = 1;
    o.tune_first_seed = 1001;
    o.val_fraction = 0.1;
    o.split_mode = AL_SPLIT_RANDOM;
    o.split_seed = 1;
    return o;
}

void al_compare_free(al_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->arms && i < c->n_arms; i++)
        free(c->arms[i].spec);
    for (size_t i = 0; c->jobs && i < c->n_arms * c->o.seeds; i++)
        al_job_result_free(&c->jobs[i]);
    for (size_t i = 0; c->tune_jobs && i < c->n_arms * c->o.n_tune_lrs * c->o.tune_seeds; i++)
        al_job_result_free(&c->tune_jobs[i]);
    free(c->tune_jobs);
    free(c->tune_scores);
    free(c->tune_lrs);
    free(c->arms);
    free(c->jobs);
    free(c->summaries);
    free(c->dir);
    free(c);
}

size_t al_compare_arm_count(const al_compare *c) { return c->n_arms; }
const al_arm *al_compare_arm(const al_compare *c, size_t i) { return i < c->n_arms ? &c->arms[i] : NULL; }

const al_job_result *al_compare_job(const al_compare *c, size_t arm, size_t s)
{
    return arm < c->n_arms && s < c->o.seeds ? &c->jobs[arm * c->o.seeds + s] : NULL;
}

const al_arm_summary *al_compare_summary(const al_compare *c, size_t arm)
{
    return arm < c->n_arms && c->summaries ? &c->summaries[arm] : NULL;
}

const al_job_result *al_compare_tune_job(const al_compare *c, size_t arm, size_t lr_index, size_t tune_seed)
{
    size_t L = c->o.n_tune_lrs, T = c->o.tune_seeds;
    if (!c->tune_jobs || arm >= c->n_arms || lr_index >= L || tune_seed >= T)
        return NULL;
    return &c->tune_jobs[(arm * L + lr_index) * T + tune_seed];
}

size_t al_compare_tune_count(const al_compare *c) { return c->o.n_tune_lrs; }

double al_compare_tune_lr(const al_compare *c, size_t l) { return l < c->o.n_tune_lrs ? c->tune_lrs[l] : NAN; }

int al_compare_tune_at_edge(const al_compare *c, size_t arm)
{
    size_t L = c->o.n_tune_lrs;
    return L >= 2 && arm < c->n_arms && (c->arms[arm].lr == c->tune_lrs[0] || c->arms[arm].lr == c->tune_lrs[L - 1]);
}

double al_compare_tune_score(const al_compare *c, size_t arm, size_t lr_index)
{
    if (!c->tune_scores || arm >= c->n_arms || lr_index >= c->o.n_tune_lrs)
        return NAN;
    return c->tune_scores[arm * c->o.n_tune_lrs + lr_index];
}

static al_status check_options(const al_compare_options *o, const al_compare_factors *f, al_error *err)
{
    if (!o->dir || !*o->dir)
        return al_error_set_field(err, AL_ERR_INVALID, "compare.dir", "a comparison needs an output directory");
    if (o->seeds < 2)
        return al_error_set_field(err, AL_ERR_INVALID, "compare.seeds", "a comparison needs at least 2 seeds for "
                                  "its statistics (confidence intervals and tests), got %zu", o->seeds);
    if (o->epochs < 1)
        return al_error_set_field(err, AL_ERR_INVALID, "compare.epochs", "the epoch count must be at least 1");
    if (o->batch < 1)
        return al_error_set_field(err, AL_ERR_INVALID, "compare.batch", "the batch size must be at least 1");
    if (f->n_acts == 0)
        return al_error_set_field(err, AL_ERR_INVALID, "factors.acts", "a comparison needs at least one "
                                  "activation");
    for (size_t i = 0; i < o->n_tune_lrs; i++)
        if (!(o->tune_lrs[i] > 0) || !isfinite(o->tune_lrs[i]))
            return al_error_set_field(err, AL_ERR_INVALID, "compare.tune_lrs", "a learning rate to tune over must "
                                      "be a finite number above 0, got %g", o->tune_lrs[i]);
    if (o->n_tune_lrs > 0 && o->tune_seeds < 1)
        return al_error_set_field(err, AL_ERR_INVALID, "compare.tune_seeds", "tuning needs at least 1 seed");
    if (o->n_tune_lrs > 0 && !o->val_count && !(o->val_fraction > 0 && o->val_fraction < 1))
        return al_error_set_field(err, AL_ERR_INVALID, "compare.val", "the validation fraction for tuning must lie "
                                  "between 0 and 1, got %g", o->val_fraction);
    return AL_OK;
}

al_status al_compare_create(const al_compare_factors *f, const al_compare_options *options, al_compare **out,
                            al_error *err)
{
    *out = NULL;
    al_compare_options o = options ? *options : al_compare_options_default();
    al_status st = check_options(&o, f, err);
    if (st != AL_OK)
        return st;
    al_compare *c = calloc(1, sizeof *c);
    if (!c)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    c->o = o;
    c->dir = strdup(o.dir);
    if (!c->dir) {
        al_compare_free(c);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    c->o.dir = c->dir;
    if (o.n_tune_lrs > 0) { /* a sorted copy: ties between lrs go to the smaller one */
        c->tune_lrs = malloc(o.n_tune_lrs * sizeof *c->tune_lrs);
        if (!c->tune_lrs) {
            al_compare_free(c);
            return al_error_set(err, AL_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < o.n_tune_lrs; i++) {
            size_t j = i;
            for (; j > 0 && c->tune_lrs[j - 1] > o.tune_lrs[i]; j--)
                c->tune_lrs[j] = c->tune_lrs[j - 1];
            c->tune_lrs[j] = o.tune_lrs[i];
        }
        c->o.tune_lrs = c->tune_lrs;
    }
    st = al_compare_build_arms(c, f, err);
    if (st == AL_OK && o.baseline >= c->n_arms)
        st = al_error_set_field(err, AL_ERR_INVALID, "compare.baseline", "the baseline arm %zu does not exist "
                                "(there are %zu arms)", o.baseline, c->n_arms);
    if (st == AL_OK) {
        c->jobs = calloc(c->n_arms * o.seeds, sizeof *c->jobs);
        c->summaries = calloc(c->n_arms, sizeof *c->summaries);
        if (o.n_tune_lrs > 0) {
            c->tune_jobs = calloc(c->n_arms * o.n_tune_lrs * o.tune_seeds, sizeof *c->tune_jobs);
            c->tune_scores = calloc(c->n_arms * o.n_tune_lrs, sizeof *c->tune_scores);
        }
        if (!c->jobs || !c->summaries || (o.n_tune_lrs > 0 && (!c->tune_jobs || !c->tune_scores)))
            st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    if (st != AL_OK) {
        al_compare_free(c);
        return st;
    }
    *out = c;
    return AL_OK;
}
