/* Helpers the studies share: data, comparisons, and report blocks that are
 * skipped when no report is being written. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actlab/stats.h"
#include "actlab/util.h"
#include "study/study_internal.h"

size_t study_seeds(const al_study_env *env, size_t m)
{
    if (env->o.seeds)
        return env->o.seeds;
    size_t needed = al_study_seeds_needed(m, AL_STUDY_ALPHA);
    return env->o.full ? (needed + 2 > 10 ? needed + 2 : 10) : needed + 1;
}

/* Loads Fashion-MNIST once and standardises both sets with the training
 * set's global mean and deviation. */
static al_status load_all(al_study_data *d, const al_study_options *o, al_error *err)
{
    if (d->train)
        return AL_OK;
    if (o->progress && !o->quiet) {
        al_progress_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = AL_PROGRESS_DATA_LOADING;
        ev.name = "Fashion-MNIST";
        ev.path = d->dir;
        o->progress(&ev, o->progress_context);
    }
    al_status st = al_dataset_load_fashion_mnist(d->dir, AL_DATA_TRAIN, &d->train, err);
    if (st == AL_OK)
        st = al_dataset_load_fashion_mnist(d->dir, AL_DATA_TEST, &d->test, err);
    al_feature_stats fs;
    memset(&fs, 0, sizeof fs);
    if (st == AL_OK)
        st = al_feature_stats_compute(d->train, AL_STANDARDIZE_GLOBAL, &fs, err);
    if (st == AL_OK)
        st = al_dataset_standardize(d->train, &fs, err);
    if (st == AL_OK)
        st = al_dataset_standardize(d->test, &fs, err);
    al_feature_stats_free(&fs);
    if (st != AL_OK) {
        al_dataset_free(d->train);
        al_dataset_free(d->test);
        d->train = d->test = NULL;
    }
    return st;
}

al_status study_load(al_study_env *env, size_t rows, al_dataset **train, const al_dataset **test, al_error *err)
{
    *train = NULL;
    al_status st = load_all(env->data, &env->o, err);
    if (st != AL_OK)
        return st;
    if (test)
        *test = env->data->test;
    size_t count = al_dataset_count(env->data->train);
    if (rows == 0 || rows >= count)
        rows = count - 1; /* a split needs one held-out row; one row fewer changes nothing */
    al_dataset *rest = NULL;
    st = al_dataset_split(env->data->train, count - rows, AL_SPLIT_LAST, 0, train, &rest, err);
    al_dataset_free(rest);
    return st;
}

al_compare_factors study_mlp_factors(const char *const *acts, size_t n_acts, const int *depth, size_t width)
{
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    f.acts = acts;
    f.n_acts = n_acts;
    f.depths = depth;
    f.n_depths = 1;
    f.width = width;
    return f;
}

al_compare_options study_fair_options(const al_study_env *env, size_t seeds, long epochs, const double *grid,
                                      size_t n_grid)
{
    static const double full_grid[7] = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1};
    al_compare_options o = al_compare_options_default();
    o.seeds = seeds;
    o.epochs = epochs;
    o.tune_lrs = env->o.full ? full_grid : grid;
    o.n_tune_lrs = env->o.full ? 7 : n_grid;
    o.tune_seeds = env->o.full ? 3 : 2;
    o.test_at_end = 1;
    return o;
}

void study_matched_init(al_compare_factors *f)
{
    static const al_init_scheme kaiming = AL_INIT_KAIMING_NORMAL;
    static const al_gain_rule matched = AL_GAIN_MATCHED;
    f->inits = &kaiming;
    f->n_inits = 1;
    f->gains = &matched;
    f->n_gains = 1;
}

al_status study_compare(al_study_env *env, const char *sub, al_compare_factors *f, al_compare_options *o,
                        size_t rows, al_compare **out, al_error *err)
{
    *out = NULL;
    char dir[4096];
    /* out_dir and out_dir/NAME first: al_compare_run makes only the last level */
    snprintf(dir, sizeof dir, "%s", env->o.out_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return al_error_set_field(err, AL_ERR_IO, "study.out_dir", "cannot create the study output directory "
                                  "'%s': %s (choose another)", dir, strerror(errno));
    snprintf(dir, sizeof dir, "%s/%s", env->o.out_dir, env->study->name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return al_error_set(err, AL_ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
    snprintf(dir, sizeof dir, "%s/%s/%s", env->o.out_dir, env->study->name, sub);
    al_dataset *train = NULL;
    const al_dataset *test = NULL;
    al_status st = study_load(env, rows, &train, &test, err);
    if (st != AL_OK)
        return st;
    f->in = al_dataset_features(train);
    f->classes = (size_t)al_dataset_classes(train);
    o->dir = dir;
    o->jobs = env->o.jobs;
    o->quiet = env->o.quiet;
    o->progress = env->o.progress;
    o->progress_context = env->o.progress_context;
    o->should_stop = env->o.should_stop;
    o->stop_context = env->o.stop_context;
    o->cluster = env->o.cluster;
    st = al_compare_create(f, o, out, err);
    if (st == AL_OK)
        st = al_compare_run(*out, train, test, err);
    if (st == AL_OK) /* DIR/compare.json and .csv: every number behind the verdict */
        st = al_compare_write(*out, err);
    if (st != AL_OK) {
        al_compare_free(*out);
        *out = NULL;
    }
    al_dataset_free(train);
    env->runs++;
    return st;
}

/* ---- report blocks ---- */

al_status study_verdict(al_study_env *env, al_study_result *result, al_verdict kind, const char *text, al_error *err)
{
    result->kind = kind;
    snprintf(result->verdict, sizeof result->verdict, "%s", text);
    return env->report ? al_report_verdict(env->report, kind, text, err) : AL_OK;
}

al_status study_paragraph(al_study_env *env, const char *text, al_error *err)
{
    return env->report ? al_report_paragraph(env->report, text, err) : AL_OK;
}

al_status study_note(al_study_env *env, const char *text, al_error *err)
{
    return env->report ? al_report_note(env->report, text, err) : AL_OK;
}

al_status study_chart(al_study_env *env, al_chart *chart, const char *caption, al_error *err)
{
    al_status st = env->report && chart ? al_report_chart(env->report, chart, caption, err) : AL_OK;
    al_chart_free(chart);
    return st;
}

al_status study_grid(al_study_env *env, al_chart **charts, size_t count, size_t columns, const char *caption,
                     al_error *err)
{
    al_status st = AL_OK;
    if (env->report)
        st = al_report_chart_grid(env->report, (const al_chart *const *)charts, count, columns, caption, err);
    for (size_t i = 0; i < count; i++)
        al_chart_free(charts[i]);
    return st;
}

al_status study_table(al_study_env *env, const char *caption, size_t cols, const char *const *header, size_t rows,
                      char (*cells)[STUDY_CELL], al_error *err)
{
    if (!env->report)
        return AL_OK;
    const char **ptrs = calloc(rows * cols + 1, sizeof *ptrs);
    unsigned *flags = calloc(cols + 1, sizeof *flags);
    if (!ptrs || !flags) {
        free(ptrs);
        free(flags);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < rows * cols; i++)
        ptrs[i] = cells[i];
    for (size_t k = 1; k < cols; k++)
        flags[k] = AL_REPORT_COL_NUMERIC;
    al_status st = al_report_table(env->report, caption, cols, header, rows, ptrs, flags, NULL, err);
    free(ptrs);
    free(flags);
    return st;
}

/* ---- charts ---- */

double study_metric_acc(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->test_acc[epoch];
}

double study_metric_train_acc(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->train_acc[epoch];
}

double study_metric_dead(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->dead[epoch];
}

al_status study_epochs_chart(const al_compare *c, const size_t *arms, size_t n, long epochs, size_t seeds,
                             study_metric metric, const void *ctx, const char *title, const char *y_label,
                             al_chart **out, al_error *err)
{
    /* the legend takes a line per arm: room for it */
    al_status st = al_chart_create(title, "epoch", y_label, 560, 300 + 18 * (double)n, out, err);
    size_t E = (size_t)epochs;
    double *xs = malloc(E * sizeof *xs), *mean = malloc(E * sizeof *mean);
    double *lo = malloc(E * sizeof *lo), *hi = malloc(E * sizeof *hi), *v = malloc((seeds + 1) * sizeof *v);
    if (st == AL_OK && (!xs || !mean || !lo || !hi || !v))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AL_OK && i < n; i++) {
        size_t arm = arms ? arms[i] : i;
        for (size_t e = 0; e < E; e++) {
            size_t k = 0;
            for (size_t s = 0; s < seeds; s++) {
                const al_job_result *r = al_compare_job(c, arm, s);
                if (r && r->done && (long)e < r->epochs) {
                    double x = metric(r, (long)e, ctx);
                    if (isfinite(x))
                        v[k++] = x;
                }
            }
            xs[e] = (double)(e + 1);
            mean[e] = lo[e] = hi[e] = NAN;
            if (k >= 2)
                al_stats_mean_ci(v, k, 0.95, &mean[e], &lo[e], &hi[e], NULL);
            else if (k == 1)
                mean[e] = lo[e] = hi[e] = v[0];
        }
        const char *color = al_chart_palette(i);
        st = al_chart_add_band(*out, E, xs, lo, hi, color, err);
        if (st == AL_OK)
            st = al_chart_add_series(*out, al_compare_arm(c, arm)->name, E, xs, mean, color, err);
    }
    free(xs), free(mean), free(lo), free(hi), free(v);
    if (st != AL_OK) {
        al_chart_free(*out);
        *out = NULL;
    }
    return st;
}

void study_arm_names(const al_compare *c, const char **names, size_t max)
{
    for (size_t i = 0; i < al_compare_arm_count(c) && i < max; i++)
        names[i] = al_compare_arm(c, i)->name;
}

al_status study_act_plot(al_study_env *env, const char *const *acts, size_t n, double lo, double hi,
                         const char *caption, al_error *err)
{
    if (!env->report)
        return AL_OK;
    enum { POINTS = 321 };
    al_chart *charts[2] = {NULL, NULL};
    al_status st = al_chart_create("f(x)", "x", "f(x)", 480, 320, &charts[0], err);
    if (st == AL_OK)
        st = al_chart_create("f'(x)", "x", "f'(x)", 480, 320, &charts[1], err);
    for (size_t i = 0; st == AL_OK && i < n; i++) {
        al_act a;
        al_act_curve curve = {0};
        st = al_act_parse(acts[i], &a, err);
        if (st == AL_OK)
            st = al_act_sample_curve(&a, lo, hi, POINTS, &curve, err);
        if (st == AL_OK)
            st = al_chart_add_series(charts[0], acts[i], curve.n, curve.x, curve.y, al_chart_palette(i), err);
        if (st == AL_OK)
            st = al_chart_add_series(charts[1], acts[i], curve.n, curve.x, curve.dy, al_chart_palette(i), err);
        al_act_curve_free(&curve);
    }
    for (int k = 0; st == AL_OK && k < 2; k++) {
        st = al_chart_add_hline(charts[k], 0, err);
        if (st == AL_OK)
            st = al_chart_add_vline(charts[k], 0, err);
    }
    if (st == AL_OK)
        return study_grid(env, charts, 2, 2, caption, err);
    al_chart_free(charts[0]);
    al_chart_free(charts[1]);
    return st;
}
