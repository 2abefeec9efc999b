/* leaky-prelu-depth: does a negative slope (Leaky ReLU, PReLU) help more as
 * an MLP gets deeper? Each depth is one comparison run (each arm at its own
 * tuned learning rate and matched init, trained long enough to fit its
 * training rows: the training accuracy reached is reported); the paired
 * differences to ReLU at each depth, and their trend with depth (per seed,
 * the least-squares slope of the difference against log2 depth, tested over
 * the seeds), all in one family. PReLU's learned slope is charted per layer
 * over training. leaky-prelu-depth-conv asks the same of CNNs, with PReLU
 * channel-wise and channel-shared as He et al. (2015) compare them, and adds
 * their statements on the learned coefficients to the family: the first
 * conv layer's above the deeper ones', and (channel-wise) smaller with depth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/stats.h"
#include "study/study_internal.h"

#define MAX_DEPTHS 4

/* Per seed, the least-squares slope of y[k][seed] against x[k]. */
static void trend(const double *x, const double *y, size_t depths, size_t seeds, double *out)
{
    double mx = 0;
    for (size_t k = 0; k < depths; k++)
        mx += x[k] / (double)depths;
    for (size_t s = 0; s < seeds; s++) {
        double my = 0, sxy = 0, sxx = 0;
        for (size_t k = 0; k < depths; k++)
            my += y[k * seeds + s] / (double)depths;
        for (size_t k = 0; k < depths; k++) {
            sxy += (x[k] - mx) * (y[k * seeds + s] - my);
            sxx += (x[k] - mx) * (x[k] - mx);
        }
        out[s] = sxx > 0 ? sxy / sxx : 0;
    }
}

static double metric_train_acc(const al_job_result *r, long epoch, const void *ctx)
{
    (void)ctx;
    return r->train_acc[epoch];
}

/* The PReLU arm's slope of layer l at epoch e, mean over finished seeds. */
static double slope_at(const al_compare *c, size_t arm, int l, long e)
{
    double sum = 0;
    size_t n = 0;
    for (size_t s = 0; al_compare_job(c, arm, s); s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        double v = r->done ? r->slope_mean[(size_t)e * (size_t)r->layers + (size_t)l] : NAN;
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

/* What differs between the MLP and the convolutional variant. */
typedef struct depth_variant {
    const char *const *acts;      /* ReLU first */
    size_t n_acts;
    int cw, cs;                   /* the PReLU arms, channel-wise and channel-shared (-1: none) */
    const int *quick_depths, *full_depths;
    size_t n_quick, n_full;
    size_t rows;                  /* quick training rows */
    long quick_epochs, full_epochs;
    const double *grid;           /* the quick learning-rate grid (4 values) */
    int conv;                     /* 1: CNNs of `depth` 3x3 conv layers (cnn_width channels), He's statements tested */
    size_t width, full_width;
    size_t batch;                 /* 0: the fair options' */
    const char *layer_word;       /* "hidden layers", "conv layers" */
} depth_variant;

/* He et al.'s claims tested per seed on arm's learned coefficients at the
 * last epoch: the first layer's minus the deeper layers' mean, and the
 * least-squares slope of the coefficient against the layer's place (a
 * failed seed, or one with fewer than two PReLU layers, gives 0 to both). */
static void he_diffs(const al_compare *c, size_t arm, long epoch, size_t seeds, double *first, double *slope)
{
    for (size_t s = 0; s < seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        double v[AL_COMPARE_MAX_LAYERS];
        size_t k = 0;
        for (int l = 0; r && r->done && l < r->layers && k < AL_COMPARE_MAX_LAYERS; l++) {
            double x = r->slope_mean[(size_t)(epoch - 1) * (size_t)r->layers + (size_t)l];
            if (isfinite(x))
                v[k++] = x;
        }
        first[s] = slope[s] = 0;
        if (k < 2)
            continue;
        double rest = 0, mx = (double)(k - 1) / 2, my = 0, sxy = 0, sxx = 0;
        for (size_t i = 1; i < k; i++)
            rest += v[i] / (double)(k - 1);
        for (size_t i = 0; i < k; i++)
            my += v[i] / (double)k;
        for (size_t i = 0; i < k; i++) {
            sxy += ((double)i - mx) * (v[i] - my);
            sxx += ((double)i - mx) * ((double)i - mx);
        }
        first[s] = v[0] - rest;
        slope[s] = sxy / sxx;
    }
}

/* The arm's mean coefficient per PReLU layer at the last epoch (over seeds); returns how many layers. */
static size_t layer_slopes(const al_compare *c, size_t arm, long epochs, double *out, size_t max)
{
    const al_job_result *r0 = al_compare_job(c, arm, 0);
    size_t k = 0;
    for (int l = 0; r0 && l < r0->layers && k < max; l++) {
        double v = slope_at(c, arm, l, epochs - 1);
        int prelu = 0; /* a PReLU layer has a slope in some finished seed at some epoch */
        for (long e = 0; e < epochs && !prelu; e++)
            prelu = isfinite(slope_at(c, arm, l, e));
        if (prelu)
            out[k++] = v;
    }
    return k;
}

/* PReLU's slope per layer over training at the deepest depth, for one arm. */
static al_status slopes_chart(al_study_env *env, const al_compare *c, size_t arm, long epochs, int depth,
                              const char *which, al_error *err)
{
    al_chart *chart = NULL;
    char title[96];
    snprintf(title, sizeof title, "PReLU%s slope by layer over training", which);
    al_status st = al_chart_create(title, "epoch", "slope (mean over seeds)", 620, 360, &chart, err);
    const al_job_result *r0 = st == AL_OK ? al_compare_job(c, arm, 0) : NULL;
    for (int l = 0, shown = 0; st == AL_OK && r0 && l < r0->layers; l++) {
        if (!isfinite(slope_at(c, arm, l, 0)))
            continue;
        double xs[256], ys[256];
        long E = epochs < 255 ? epochs : 255;
        xs[0] = 0;
        ys[0] = 0.25;
        for (long e = 0; e < E; e++) {
            xs[e + 1] = (double)(e + 1);
            ys[e + 1] = slope_at(c, arm, l, e);
        }
        char name[32];
        snprintf(name, sizeof name, "layer %d", shown + 1);
        st = al_chart_add_series(chart, name, (size_t)E + 1, xs, ys, al_chart_palette((size_t)shown++), err);
    }
    if (st == AL_OK) {
        char caption[256];
        snprintf(caption, sizeof caption, "The slope each of PReLU%s's %d layers learns (mean of its slopes, then "
                 "over the seeds) at each epoch end, from its initial 0.25.", which, depth);
        return study_chart(env, chart, caption, err);
    }
    al_chart_free(chart);
    return st;
}

static al_status depth_study(al_study_env *env, al_study_result *res, const depth_variant *v, al_error *err)
{
    const char *const *acts = v->acts;
    const size_t A = v->n_acts;
    const int *depth_list = STUDY_PICK(env, v->quick_depths, v->full_depths);
    size_t n_depths = STUDY_PICK(env, v->n_quick, v->n_full);
    size_t m = (A - 1) * (n_depths + 1) + (v->conv ? 3 : 0), seeds = study_seeds(env, m);
    long epochs = STUDY_PICK(env, v->quick_epochs, v->full_epochs);
    al_compare *runs[MAX_DEPTHS] = {NULL};
    al_status st = AL_OK;
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        al_compare_factors f = study_mlp_factors(acts, A, &depth_list[k], STUDY_PICK(env, v->width, v->full_width));
        char *spec = NULL;
        if (v->conv) {
            al_cnn_options co = al_cnn_options_default();
            co.width = STUDY_PICK(env, v->width, v->full_width);
            co.blocks = depth_list[k];
            co.pool_every = 1;
            co.max_pools = 2; /* 28 -> 14 -> 7, then the deeper layers at 7x7 */
            co.head = 4;
            st = al_cnn_spec(&co, "{act}", &spec, err);
            f.template_spec = spec;
        }
        study_matched_init(&f);
        al_compare_options o = study_fair_options(env, seeds, epochs, v->grid, 4);
        if (v->batch)
            o.batch = v->batch;
        char sub[32];
        snprintf(sub, sizeof sub, "depth%d", depth_list[k]);
        if (st == AL_OK)
            st = study_compare(env, sub, &f, &o, STUDY_PICK(env, v->rows, 0), &runs[k], err);
        free(spec);
    }
    study_work w;
    al_status ws = study_work_init(&w, seeds, err);
    double *slopes = malloc(2 * (seeds + 1) * sizeof *slopes);
    if (st == AL_OK)
        st = ws != AL_OK ? ws : slopes ? AL_OK : al_error_set(err, AL_ERR_NOMEM, "out of memory");
    double x[MAX_DEPTHS];
    for (size_t k = 0; k < n_depths; k++)
        x[k] = log2((double)depth_list[k]);
    for (size_t a = 1; st == AL_OK && a < A; a++) {
        for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
            char what[160];
            snprintf(what, sizeof what, "%s vs ReLU() at %d %s, test accuracy", acts[a], depth_list[k], v->layer_word);
            study_diffs(runs[k], a, runs[k], 0, study_score_acc, 0, w.d + k * seeds);
            st = study_family_add(&w.fam, what, w.d + k * seeds, 0, 0.01, 100, "points", NULL, err);
        }
        char what[160];
        snprintf(what, sizeof what, "%s vs ReLU(): trend of the difference per doubling of depth", acts[a]);
        trend(x, w.d, n_depths, seeds, slopes);
        if (st == AL_OK)
            st = study_family_add(&w.fam, what, slopes, +1, 0.005, 100, "points per doubling", NULL, err);
    }
    /* He et al.'s statements on the coefficients, at the deepest depth */
    size_t deep = n_depths - 1, he_at = w.fam.m;
    for (int i = 0; st == AL_OK && v->conv && i < 2; i++) {
        size_t arm = (size_t)(i == 0 ? v->cw : v->cs);
        char what[160];
        he_diffs(runs[deep], arm, epochs, seeds, slopes, slopes + seeds);
        snprintf(what, sizeof what, "%s at %d conv layers: first layer's coefficient minus the deeper layers' mean",
                 acts[arm], depth_list[deep]);
        /* counted in the family, judged against He et al. beside the verdict (al_study_prelu_he_text) */
        st = study_family_add(&w.fam, what, slopes, 0, 0.05, 1, "", NULL, err);
        if (st == AL_OK && i == 0) {
            snprintf(what, sizeof what, "%s at %d conv layers: coefficient per layer of depth (least-squares slope)",
                     acts[arm], depth_list[deep]);
            st = study_family_add(&w.fam, what, slopes + seeds, 0, 0.01, 1, "per layer", NULL, err);
        }
    }
    if (st == AL_OK)
        st = study_family_analyse(&w.fam, err);
    if (st == AL_OK) {
        size_t n = 0;
        al_verdict kind = study_family_verdict(&w.fam, w.claims, STUDY_VERDICT_BYTES);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "Training accuracy reached (last epoch's running mean; mean over "
                  "seeds):");
        for (size_t k = 0; k < n_depths; k++)
            for (size_t a = 0; a < A; a++)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s %d %s %s %.1f %%", k || a ? "," : "", depth_list[k],
                          v->conv ? "conv" : "layers", acts[a], 100 * al_compare_summary(runs[k], a)->train_acc);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, ".");
        for (size_t k = 0; k < n_depths; k++) {
            char note[1024];
            size_t nn = 0;
            note[0] = '\0';
            study_run_notes(runs[k], note, sizeof note, &nn);
            if (nn)
                study_put(w.text, STUDY_VERDICT_BYTES, &n, " At %d %s:%s", depth_list[k], v->layer_word, note);
        }
        study_put(w.text, STUDY_VERDICT_BYTES, &n, " The claim is the trend: a negative slope helps more as depth "
                  "grows%s.\n\n%s\n\n", v->conv ? " (the learned coefficients are set against He et al.'s report "
                  "below)" : "", w.claims);
        double cw[AL_COMPARE_MAX_LAYERS], cs[AL_COMPARE_MAX_LAYERS];
        size_t layers = layer_slopes(runs[deep], (size_t)v->cs, epochs, cs, AL_COMPARE_MAX_LAYERS);
        if (v->cw >= 0)
            layers = layer_slopes(runs[deep], (size_t)v->cw, epochs, cw, layers);
        char he[2048];
        const al_stats_comparison *out = w.fam.out;
        al_study_prelu_he_text(v->cw >= 0 ? cw : NULL, cs, layers, v->conv, v->conv ? &out[he_at] : NULL,
                               v->conv ? &out[he_at + 2] : NULL, v->conv ? &out[he_at + 1] : NULL, 0.05, 0.01, he,
                               sizeof he);
        study_put(w.text, STUDY_VERDICT_BYTES, &n, "%s (At %d %s.)", he, depth_list[deep], v->layer_word);
        st = study_verdict(env, res, kind, w.text, err);
    }
    if (st == AL_OK)
        st = study_family_table(env, &w.fam, "All comparisons (every depth and both trends), one family, Holm over "
                                "all; a failed seed scores 0 accuracy (and 0 for the coefficient comparisons).", err);
    al_chart *curves[MAX_DEPTHS] = {NULL};
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        char title[64];
        snprintf(title, sizeof title, "%d %s", depth_list[k], v->layer_word);
        st = study_epochs_chart(runs[k], NULL, A, epochs, seeds, metric_train_acc, NULL, title, "training accuracy",
                                &curves[k], err);
    }
    if (st == AL_OK)
        st = study_grid(env, curves, n_depths, 2, "Training accuracy by epoch at each depth (the running mean over "
                        "each epoch; each arm at its tuned learning rate; mean over seeds, 95 % bands): how far "
                        "each arm got in fitting its training rows.", err);
    else
        for (size_t k = 0; k < n_depths; k++)
            al_chart_free(curves[k]);
    if (st == AL_OK && v->cw >= 0)
        st = slopes_chart(env, runs[deep], (size_t)v->cw, epochs, depth_list[deep], " (channel-wise)", err);
    if (st == AL_OK)
        st = slopes_chart(env, runs[deep], (size_t)v->cs, epochs, depth_list[deep], v->conv ? " (channel-shared)" : "",
                          err);
    for (size_t k = 0; st == AL_OK && k < n_depths; k++) {
        char caption[128];
        snprintf(caption, sizeof caption, "%d %s, per arm at its tuned learning rate.", depth_list[k], v->layer_word);
        st = study_arms_table(env, runs[k], caption, err);
    }
    for (size_t k = 0; k < n_depths; k++)
        al_compare_free(runs[k]);
    study_work_free(&w);
    free(slopes);
    return st;
}

al_status study_leaky_prelu_depth(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const acts[3] = {"ReLU()", "LeakyReLU()", "PReLU()"};
    static const int quick_depths[3] = {2, 8, 16}, full_depths[4] = {2, 4, 8, 16};
    static const double grid[4] = {0.003, 0.01, 0.03, 0.1};
    depth_variant v = {acts, 3, -1, 2, quick_depths, full_depths, 3, 4, 4000, 10, 30, grid, 0, 64, 128, 0,
                       "hidden layers"};
    return depth_study(env, res, &v, err);
}

/* CNNs of `depth` 3x3 convolutions of 16 channels (32 full), batch 32: four
 * times the steps of batch 128 for about the same work, so that the slopes
 * have steps to learn in. */
al_status study_leaky_prelu_depth_conv(al_study_env *env, al_study_result *res, al_error *err)
{
    static const char *const quick_acts[4] = {"ReLU()", "LeakyReLU()", "PReLU(num_parameters=16)", "PReLU()"};
    static const char *const full_acts[4] = {"ReLU()", "LeakyReLU()", "PReLU(num_parameters=32)", "PReLU()"};
    static const int quick_depths[3] = {2, 4, 8}, full_depths[4] = {2, 4, 8, 16};
    static const double grid[4] = {0.003, 0.01, 0.03, 0.1};
    depth_variant v = {STUDY_PICK(env, quick_acts, full_acts), 4, 2, 3, quick_depths, full_depths, 3, 4, 4000, 4,
                       20, grid, 1, 16, 32, 32, "conv layers"};
    return depth_study(env, res, &v, err);
}
