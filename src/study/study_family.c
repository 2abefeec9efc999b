/* A study's comparisons as one family: per-seed scores (failed seeds
 * counted at the worst), paired differences, Holm across everything the
 * study compares, the claim's verdict, and the tables that show them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

static double last(const double *v, long epochs)
{
    return epochs > 0 ? v[epochs - 1] : NAN;
}

double study_score_acc(const al_job_result *r)
{
    return r->done ? last(r->test_acc, r->epochs) : NAN;
}

double study_score_inactive(const al_job_result *r)
{
    return r->done ? last(r->inactive, r->epochs) : NAN;
}

double study_score_silent(const al_job_result *r)
{
    return r->done ? last(r->silent, r->epochs) : NAN;
}

double study_score_train_acc(const al_job_result *r)
{
    return r->done ? last(r->train_acc, r->epochs) : NAN;
}

double study_score_auc(const al_job_result *r)
{
    return r->done ? al_job_loss_auc(r) : NAN;
}

void study_diffs(const al_compare *a, size_t arm, const al_compare *b, size_t base, study_score score,
                 double failed, double *out)
{
    size_t seeds = 0;
    while (al_compare_job(a, arm, seeds))
        seeds++;
    for (size_t s = 0; s < seeds; s++) {
        const al_job_result *ra = al_compare_job(a, arm, s), *rb = al_compare_job(b, base, s);
        double x = rb ? score(ra) : NAN, y = rb ? score(rb) : NAN;
        out[s] = (isfinite(x) ? x : failed) - (isfinite(y) ? y : failed);
    }
}

double study_worst_high(const al_compare *c, study_score score)
{
    double worst = -INFINITY;
    for (size_t arm = 0; arm < al_compare_arm_count(c); arm++)
        for (size_t s = 0; al_compare_job(c, arm, s); s++) {
            double v = score(al_compare_job(c, arm, s));
            if (isfinite(v) && v > worst)
                worst = v;
        }
    return isfinite(worst) ? worst : 0;
}

al_status study_family_init(study_family *f, size_t seeds, al_error *err)
{
    memset(f, 0, sizeof *f);
    f->seeds = seeds;
    if (seeds < 2)
        return al_error_set_field(err, AL_ERR_INVALID, "study.seeds", "a study needs at least 2 seeds, got %zu",
                                  seeds);
    return AL_OK;
}

al_status study_family_add(study_family *f, const char *what, const double *diffs, int direction, double relevant,
                           double scale, const char *unit, size_t *index, al_error *err)
{
    if (f->m == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        double *d = realloc(f->diffs, cap * f->seeds * sizeof *d);
        if (d)
            f->diffs = d;
        al_claim_item *it = realloc(f->items, cap * sizeof *it);
        if (it)
            f->items = it;
        char(*w)[160] = realloc(f->what, cap * sizeof *w);
        if (w)
            f->what = w;
        if (!d || !it || !w)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for a study's comparisons");
        f->cap = cap;
    }
    size_t i = f->m++;
    memcpy(f->diffs + i * f->seeds, diffs, f->seeds * sizeof *diffs);
    snprintf(f->what[i], sizeof f->what[i], "%s", what);
    f->items[i] = (al_claim_item){NULL, direction, relevant, scale, unit};
    if (index)
        *index = i;
    return AL_OK;
}

al_status study_family_analyse(study_family *f, al_error *err)
{
    const double **rows = malloc((f->m + 1) * sizeof *rows);
    size_t *n = malloc((f->m + 1) * sizeof *n);
    free(f->out);
    f->out = malloc((f->m + 1) * sizeof *f->out);
    al_status st = rows && n && f->out ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AL_OK && i < f->m; i++) {
        rows[i] = f->diffs + i * f->seeds;
        n[i] = f->seeds;
        f->items[i].what = f->what[i]; /* the names are stable now that nothing is added */
    }
    if (st == AL_OK)
        st = al_stats_family(rows, n, f->m, AL_STUDY_ALPHA, 0.8, 1, f->out, err);
    free(rows);
    free(n);
    return st;
}

void study_family_free(study_family *f)
{
    free(f->diffs);
    free(f->items);
    free(f->what);
    free(f->out);
    memset(f, 0, sizeof *f);
}

al_status study_work_init(study_work *w, size_t seeds, al_error *err)
{
    memset(w, 0, sizeof *w);
    w->text = malloc(STUDY_VERDICT_BYTES);
    w->claims = malloc(STUDY_VERDICT_BYTES);
    w->d = malloc(4 * (seeds + 1) * sizeof *w->d);
    if (!w->text || !w->claims || !w->d)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    w->text[0] = w->claims[0] = '\0';
    return study_family_init(&w->fam, seeds, err);
}

void study_work_free(study_work *w)
{
    free(w->text);
    free(w->claims);
    free(w->d);
    study_family_free(&w->fam);
    memset(w, 0, sizeof *w);
}

al_verdict study_family_verdict(const study_family *f, char *out, size_t size)
{
    return al_study_verdict_claim(f->items, f->out, f->m, out, size);
}

static void interval(char *cell, double lo, double hi, double scale)
{
    if (isinf(lo) || isinf(hi))
        snprintf(cell, STUDY_CELL, "(-inf, +inf)");
    else
        snprintf(cell, STUDY_CELL, "[%+.2f, %+.2f]", lo * scale, hi * scale);
}

al_status study_family_table(al_study_env *env, const study_family *f, const char *caption, al_error *err)
{
    static const char *const header[7] = {"comparison", "mean difference", "paired t 95% CI (unadjusted)",
                                          "Holm-adjusted CI", "p (Holm)", "could detect", "finding"};
    char(*cells)[STUDY_CELL] = calloc(f->m * 7 + 1, sizeof *cells);
    if (!cells)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < f->m; i++) {
        const al_stats_comparison *c = &f->out[i];
        const al_claim_item *it = &f->items[i];
        char(*row)[STUDY_CELL] = cells + i * 7;
        snprintf(row[0], STUDY_CELL, "%s", f->what[i]);
        snprintf(row[1], STUDY_CELL, "%+.2f %s", c->mean * it->scale, it->unit);
        interval(row[2], c->t_lo, c->t_hi, it->scale);
        interval(row[3], c->adj_lo, c->adj_hi, it->scale);
        snprintf(row[4], STUDY_CELL, "%.3g (%.3g)", c->p, c->p_holm);
        if (isinf(c->mde))
            snprintf(row[5], STUDY_CELL, "nothing (min p %.3g)", c->min_p);
        else
            snprintf(row[5], STUDY_CELL, ">= %.2f", c->mde * it->scale);
        static const char *const names[4] = {"differs", "no effect that matters", "inconclusive", "identical"};
        snprintf(row[6], STUDY_CELL, "%s", names[al_study_finding(c, it->relevant)]);
    }
    al_status st = study_table(env, caption, 7, header, f->m, cells, err);
    free(cells);
    return st;
}

al_status study_arms_table(al_study_env *env, const al_compare *c, const char *caption, al_error *err)
{
    size_t n = al_compare_arm_count(c), cols = 9, seeds = 0;
    while (al_compare_job(c, 0, seeds))
        seeds++;
    static const char *const header[9] = {"arm", "lr", "seeds ok", "test accuracy (95% CI)", "train accuracy",
                                          "vs baseline (paired t CI)", "p (Holm, this comparison)",
                                          "epochs to target", "s/run"};
    char(*cells)[STUDY_CELL] = calloc(n * cols, sizeof *cells);
    if (!cells)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const al_arm_summary *S = al_compare_summary(c, i);
        char(*row)[STUDY_CELL] = cells + i * cols;
        snprintf(row[0], STUDY_CELL, "%s", al_compare_arm(c, i)->name);
        snprintf(row[1], STUDY_CELL, "%.3g%s", S->lr, al_compare_tune_at_edge(c, i) ? " (grid edge)" : "");
        snprintf(row[2], STUDY_CELL, "%zu/%zu%s", S->ok, seeds, S->diverged ? " (diverged: scored 0)" : "");
        snprintf(row[3], STUDY_CELL, "%.2f%% [%.2f, %.2f]", 100 * S->acc_mean, 100 * S->acc_lo, 100 * S->acc_hi);
        snprintf(row[4], STUDY_CELL, "%.2f%%", 100 * S->train_acc);
        if (i == 0)
            snprintf(row[5], STUDY_CELL, "baseline");
        else
            snprintf(row[5], STUDY_CELL, "%+.2f [%+.2f, %+.2f]", 100 * S->diff, 100 * S->diff_lo, 100 * S->diff_hi);
        snprintf(row[6], STUDY_CELL, i == 0 ? "-" : "%.3g (%.3g)", S->p, S->p_holm);
        if (S->ttt.seeds)
            al_stats_format_ttt(&S->ttt, 0, row[7], STUDY_CELL);
        else
            snprintf(row[7], STUDY_CELL, "-");
        snprintf(row[8], STUDY_CELL, "%.1f", S->seconds);
    }
    al_status st = study_table(env, caption, cols, header, n, cells, err);
    free(cells);
    return st;
}

void study_run_notes(const al_compare *c, char *out, size_t size, size_t *n)
{
    const char *sep = " Learning rates chosen at the edge of the grid (a better one may lie outside it):";
    for (size_t a = 0; a < al_compare_arm_count(c); a++)
        if (al_compare_tune_at_edge(c, a)) {
            study_put(out, size, n, "%s %s (lr %g)", sep, al_compare_arm(c, a)->name, al_compare_arm(c, a)->lr);
            sep = ",";
        }
    if (*sep == ',')
        study_put(out, size, n, ".");
    sep = " Seeds that did not train to the end (each scores 0, the worst, in the paired tests):";
    for (size_t a = 0; a < al_compare_arm_count(c); a++) {
        const al_arm_summary *S = al_compare_summary(c, a);
        size_t seeds = S->ok + S->diverged + S->failed;
        if (!S->diverged && !S->failed)
            continue;
        study_put(out, size, n, "%s %s:", sep, al_compare_arm(c, a)->name);
        if (S->diverged)
            study_put(out, size, n, " %zu of %zu diverged", S->diverged, seeds);
        if (S->failed)
            study_put(out, size, n, "%s %zu of %zu failed", S->diverged ? "," : "", S->failed, seeds);
        sep = ";";
    }
    if (*sep == ';')
        study_put(out, size, n, ".");
}

al_status study_tune_chart(al_study_env *env, const al_compare *c, const char *title, al_error *err)
{
    al_chart *chart = NULL;
    al_status st = al_compare_tune_chart(c, title, &chart, err);
    if (st != AL_OK || !chart)
        return st;
    return study_chart(env, chart, "Each arm's learning-rate curve: mean validation accuracy on the split carved "
                       "from the training rows (the dot: the rate chosen). The test set was not used for it.", err);
}
