/* The compare runner's files: one JSON file per finished job (so a re-run
 * skips it), DIR/compare.json and DIR/compare.csv, and the markdown table. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/cluster.h"
#include "actlab/util.h"
#include "study/compare_internal.h"

void al_compare_job_path(const al_compare *c, const al_job_spec *j, char *buf, size_t size)
{
    if (j->tuning)
        snprintf(buf, size, "%s/tune/a%03zu-l%02zu-s%03zu.json", c->dir, j->arm, j->lr_index, j->seed_index);
    else
        snprintf(buf, size, "%s/jobs/a%03zu-s%03zu.json", c->dir, j->arm, j->seed_index);
}

double al_job_loss_auc(const al_job_result *r)
{
    double sum = 0;
    size_t n = 0, points = (size_t)r->epochs * AL_COMPARE_CURVE_PER_EPOCH;
    for (size_t i = 0; r->curve && i < points; i++)
        if (isfinite(r->curve[i])) {
            sum += r->curve[i];
            n++;
        }
    return n ? sum / (double)n : NAN;
}

double al_job_score(const al_job_result *r)
{
    return r && r->done && r->epochs > 0 && isfinite(r->test_acc[r->epochs - 1]) ? r->test_acc[r->epochs - 1] : 0;
}

/* The arrays of a result, in one table so allocation, JSON and freeing agree. */
typedef struct field {
    const char *name;
    size_t offset;            /* of the double * in al_job_result */
    int shape;                /* 0: epochs; 1: epochs x layers; 2: layers; 3: layers x bins; 4: epochs x curve points */
} field;

#define F(name, shape) {#name, offsetof(al_job_result, name), shape}
static const field fields[] = {
    F(train_loss, 0), F(test_loss, 0), F(test_acc, 0), F(seconds, 0), F(dead, 0), F(train_acc, 0),
    F(inactive, 0), F(silent, 0), F(act_mean, 1), F(grad_norm, 1), F(dead_layer, 1), F(weight_grad, 1), F(slope_mean, 1),
    F(inactive_layer, 1), F(centring_layer, 1), F(hist, 3), F(deriv_zero, 2), F(deriv_one, 2), F(kink_hits, 2),
    F(preacts_seen, 2), F(recovered, 2), F(curve, 4),
};
#undef F
#define N_FIELDS (sizeof fields / sizeof fields[0])

static double **slot(al_job_result *r, size_t i) { return (double **)(void *)((char *)r + fields[i].offset); }

static size_t field_len(const al_job_result *r, size_t i)
{
    size_t E = (size_t)r->epochs, L = (size_t)r->layers;
    switch (fields[i].shape) {
    case 0: return E;
    case 1: return E * L;
    case 2: return L;
    case 4: return E * AL_COMPARE_CURVE_PER_EPOCH;
    default: return L * AL_PROBE_MAX_BINS;
    }
}

al_status al_job_result_alloc(al_job_result *r, long epochs, int layers, al_error *err)
{
    r->epochs = epochs;
    r->layers = layers;
    for (size_t i = 0; i < N_FIELDS; i++) {
        size_t n = field_len(r, i);
        double *v = malloc((n ? n : 1) * sizeof *v);
        if (!v)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for a job's results");
        for (size_t k = 0; k < n; k++)
            v[k] = NAN;
        *slot(r, i) = v;
    }
    return AL_OK;
}

void al_job_result_free(al_job_result *r)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        free(*slot(r, i));
    memset(r, 0, sizeof *r);
}

static json_t *number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *numbers(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, number(v[i]));
    return a;
}

static json_t *job_json(const al_compare *c, int tuning, size_t lr_index, const al_job_result *r)
{
    char *key = malloc(AL_COMPARE_KEY_BYTES);
    if (!key)
        return NULL;
    al_compare_job_key(c, r->arm, r->seed_index, tuning, lr_index, key, AL_COMPARE_KEY_BYTES);
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:b, s:b, s:s, s:I, s:I, s:i, s:f, s:f}", "key", key, "arm",
                          (json_int_t)r->arm, "seed_index", (json_int_t)r->seed_index, "seed", (json_int_t)r->seed,
                          "lr", r->lr, "done", r->done, "diverged", r->diverged, "error", r->error, "epochs",
                          (json_int_t)r->epochs, "layers", (json_int_t)r->layers, "bins", r->bins, "bin_lo",
                          r->bin_lo, "bin_hi", r->bin_hi);
    free(key);
    for (size_t i = 0; j && i < N_FIELDS; i++)
        json_object_set_new(j, fields[i].name, numbers(*slot((al_job_result *)r, i), field_len(r, i)));
    return j;
}

/* A CSV field in double quotes (RFC 4180): quotes doubled, line breaks as spaces. */
static void csv_quoted(al_buf *csv, const char *text)
{
    al_buf_append(csv, "\"", 1);
    for (const char *t = text; *t; t++)
        al_buf_append(csv, *t == '"' ? "\"\"" : (*t == '\n' || *t == '\r') ? " " : t, *t == '"' ? 2 : 1);
    al_buf_append(csv, "\"", 1);
}

/* Numbers at 17 significant digits: a job read back equals the job written. */
static al_status write_json(const char *path, json_t *j, al_error *err)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing '%s'", path);
    al_status st = al_file_write_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

al_status al_compare_job_save(const al_compare *c, const al_job_spec *j, const al_job_result *r, al_error *err)
{
    char path[4200];
    al_compare_job_path(c, j, path, sizeof path);
    return write_json(path, job_json(c, j->tuning, j->lr_index, r), err);
}

/* Reads a job's JSON (a job file's) into r when its key is this job's and it
 * finished or diverged; 0 otherwise (r freed). Takes j's reference. */
static int job_from_json(const al_compare *c, const al_job_spec *spec, json_t *j, al_job_result *r)
{
    char *key = malloc(AL_COMPARE_KEY_BYTES);
    if (!j || !key) {
        json_decref(j);
        free(key);
        return 0;
    }
    al_compare_job_key(c, spec->arm, spec->seed_index, spec->tuning, spec->lr_index, key, AL_COMPARE_KEY_BYTES);
    const char *k = json_string_value(json_object_get(j, "key"));
    json_int_t epochs = json_integer_value(json_object_get(j, "epochs"));
    json_int_t layers = json_integer_value(json_object_get(j, "layers"));
    int done = json_is_true(json_object_get(j, "done")), diverged = json_is_true(json_object_get(j, "diverged"));
    int ok = k && strcmp(k, key) == 0 && (done || diverged) && epochs == c->o.epochs && layers > 0 &&
             layers <= 100000;
    free(key);
    al_job_result_free(r);
    if (ok && al_job_result_alloc(r, (long)epochs, (int)layers, NULL) != AL_OK)
        ok = 0;
    for (size_t i = 0; ok && i < N_FIELDS; i++) {
        json_t *a = json_object_get(j, fields[i].name);
        size_t n = field_len(r, i);
        if (!json_is_array(a) || json_array_size(a) != n) {
            ok = 0;
            break;
        }
        double *v = *slot(r, i);
        for (size_t e = 0; e < n; e++) {
            json_t *x = json_array_get(a, e);
            v[e] = json_is_number(x) ? json_number_value(x) : NAN;
        }
    }
    if (ok) {
        r->arm = spec->arm;
        r->seed_index = spec->seed_index;
        r->seed = spec->seed;
        r->lr = spec->lr;
        r->done = done;
        r->diverged = diverged;
        snprintf(r->error, sizeof r->error, "%s", json_string_value(json_object_get(j, "error")) ?
                 json_string_value(json_object_get(j, "error")) : "");
        r->bins = (int)json_integer_value(json_object_get(j, "bins"));
        r->bin_lo = json_number_value(json_object_get(j, "bin_lo"));
        r->bin_hi = json_number_value(json_object_get(j, "bin_hi"));
        if (r->bins < 0 || r->bins > AL_PROBE_MAX_BINS)
            r->bins = 0;
    } else
        al_job_result_free(r);
    json_decref(j);
    return ok;
}

int al_compare_job_load(const al_compare *c, const al_job_spec *spec, al_job_result *r)
{
    char path[4200];
    al_compare_job_path(c, spec, path, sizeof path);
    return job_from_json(c, spec, json_load_file(path, 0, NULL), r);
}

char *al_compare_job_text(const al_compare *c, const al_job_spec *j, const al_job_result *r)
{
    json_t *doc = r->done || r->diverged ? job_json(c, j->tuning, j->lr_index, r)
                  : r->error[0]          ? json_pack("{s:s}", "failed", r->error)
                                         : NULL;
    if (!doc && !r->done && !r->diverged && !r->error[0])
        return strdup("");
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(doc);
    return text;
}

int al_compare_job_parse(const al_compare *c, const al_job_spec *j, const char *text, al_job_result *r)
{
    al_job_result_free(r);
    if (!*text)
        return 0;
    json_t *doc = json_loads(text, 0, NULL);
    const char *failed = json_string_value(json_object_get(doc, "failed"));
    if (failed) {
        al_compare_job_fail(c, j, failed);
        json_decref(doc);
        return 0;
    }
    return doc ? (job_from_json(c, j, doc, r) ? 1 : -1) : -1;
}

/* ---- the results ---- */

static void fmt(char *buf, size_t size, const char *f, double v)
{
    if (isfinite(v))
        snprintf(buf, size, f, v);
    else
        snprintf(buf, size, "n/a");
}

/* The first failed or diverged seed's error of an arm ("" if none). */
static const char *arm_error(const al_compare *c, size_t arm)
{
    for (size_t s = 0; s < c->o.seeds; s++) {
        const al_job_result *r = al_compare_job(c, arm, s);
        if (!r->done)
            return r->error[0] ? r->error : "not run";
    }
    return "";
}

/* "[-0.0012, +0.0034]", with an infinite side as "inf". */
static void interval(char *buf, size_t size, double lo, double hi)
{
    if (isinf(lo) && isinf(hi))
        snprintf(buf, size, "(-inf, +inf)");
    else
        snprintf(buf, size, "[%+.4f, %+.4f]", lo, hi);
}

void al_compare_print_table(const al_compare *c, FILE *out)
{
    int target = !isnan(c->o.target);
    fprintf(out, "| arm | lr | seeds ok | test acc (95%% CI) | vs %s, paired (95%% t CI) | Holm-adjusted CI | "
            "p (Holm) | could detect | best epoch |", c->arms[c->o.baseline].name);
    if (target)
        fprintf(out, " epochs to %.3g | s to %.3g |", c->o.target, c->o.target);
    fprintf(out, " dead | grad first/last | s/run |\n|---|---|---|---|---|---|---|---|---|");
    if (target)
        fprintf(out, "---|---|");
    fprintf(out, "---|---|---|\n");
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        const al_arm_summary *S = &c->summaries[arm];
        char acc[96], diff[96], adj[96], p[64], mde[48], best[32], dead[32], ratio[32], secs[32];
        if (S->ok >= 2)
            snprintf(acc, sizeof acc, "%.4f [%.4f, %.4f]", S->acc_mean, S->acc_lo, S->acc_hi);
        else
            fmt(acc, sizeof acc, "%.4f", S->acc_mean);
        snprintf(diff, sizeof diff, "-");
        snprintf(adj, sizeof adj, "-");
        snprintf(p, sizeof p, "-");
        snprintf(mde, sizeof mde, "-");
        if (arm == c->o.baseline)
            snprintf(diff, sizeof diff, "baseline");
        else if (isfinite(S->diff)) {
            snprintf(diff, sizeof diff, "%+.4f [%+.4f, %+.4f]", S->diff, S->diff_lo, S->diff_hi);
            interval(adj, sizeof adj, S->adj_lo, S->adj_hi);
            snprintf(p, sizeof p, "%.3g (%.3g)", S->p, S->p_holm);
            if (isinf(S->mde))
                snprintf(mde, sizeof mde, "nothing (min p %.3g)", S->min_p);
            else
                snprintf(mde, sizeof mde, ">= %.4f", S->mde);
        }
        fmt(best, sizeof best, "%.1f", S->best_epoch);
        fmt(dead, sizeof dead, "%.3f", S->dead_final);
        fmt(ratio, sizeof ratio, "%.3g", S->grad_ratio);
        fmt(secs, sizeof secs, "%.1f", S->seconds);
        fprintf(out, "| %s | %.3g | %zu/%zu | %s | %s | %s | %s | %s | %s |", c->arms[arm].name, S->lr, S->ok,
                c->o.seeds, acc, diff, adj, p, mde, best);
        if (target) {
            char e[96], sec[96];
            al_stats_format_ttt(&S->ttt, 0, e, sizeof e);
            al_stats_format_ttt(&S->ttt, 1, sec, sizeof sec);
            fprintf(out, " %s | %s |", S->ttt.seeds ? e : "n/a", S->ttt.seeds ? sec : "n/a");
        }
        fprintf(out, " %s | %s | %s |\n", dead, ratio, secs);
    }
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        const char *e = arm_error(c, arm);
        const al_arm_summary *S = &c->summaries[arm];
        if (*e)
            fprintf(out, "\n%s: %zu of %zu seeds diverged and %zu failed (each scores 0, the worst, in the tests; "
                    "never reaches the target): %s", c->arms[arm].name, S->diverged, c->o.seeds, S->failed, e);
    }
    if (c->o.n_tune_lrs > 0) {
        fprintf(out, "\n\nLearning rate tuned %s on a validation split of %zu training rows (mean validation "
                "accuracy over %zu seed%s; the test set is not used):\n", c->o.tune_shared ? "once, on the baseline"
                : "per arm", c->val_rows, c->o.tune_seeds, c->o.tune_seeds == 1 ? "" : "s");
        for (size_t arm = 0; arm < c->n_arms; arm++) {
            fprintf(out, "  %s:", c->arms[arm].name);
            for (size_t l = 0; l < c->o.n_tune_lrs; l++)
                fprintf(out, " lr %g -> %.4f%s", c->tune_lrs[l], c->tune_scores[arm * c->o.n_tune_lrs + l],
                        c->tune_lrs[l] == c->arms[arm].lr ? " (chosen)" : "");
            fprintf(out, "%s\n", al_compare_tune_at_edge(c, arm) ? "  [at the grid's edge: a better rate may lie "
                    "outside it]" : "");
        }
    }
    fprintf(out, "\nPaired by seed (a seed gives every arm the same initial draw and batch order): mean difference "
            "of final test accuracy with its paired t 95%% CI (not adjusted); p: exact sign-flip test over the "
            "seeds, (Holm) adjusted across %zu comparisons; Holm-adjusted CI: the sign-flip test inverted at the "
            "level Holm tests that comparison at, so it excludes 0 exactly when p (Holm) < 0.05; could detect: the "
            "smallest difference detectable with 80%% power at 0.05/%zu from the observed spread (nothing: %zu "
            "seeds cannot reach p < 0.05/%zu at all).\n", c->n_arms > 1 ? c->n_arms - 1 : 0,
            c->n_arms > 1 ? c->n_arms - 1 : 1, c->o.seeds, c->n_arms > 1 ? c->n_arms - 1 : 1);
}

al_status al_compare_write(const al_compare *c, al_error *err)
{
    if (al_cluster_rank(c->o.cluster) != 0) /* rank 0 writes; every rank holds the same results */
        return AL_OK;
    json_t *root = json_object(), *arms = json_array();
    if (!root || !arms) {
        json_decref(root);
        json_decref(arms);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    json_object_set_new(root, "seeds", json_integer((json_int_t)c->o.seeds));
    json_object_set_new(root, "epochs", json_integer(c->o.epochs));
    json_object_set_new(root, "baseline", json_integer((json_int_t)c->o.baseline));
    json_object_set_new(root, "target", number(c->o.target));
    json_object_set_new(root, "data", json_pack("{s:s, s:s, s:s, s:I}", "train", c->train_hash, "test",
                                                c->test_hash, "validation", c->val_hash,
                                                "validation_rows", (json_int_t)c->val_rows));
    al_buf csv = {0};
    al_buf_printf(&csv, "arm,spec,init,gain,lr,seeds_ok,seeds_diverged,seeds_failed,seeds,acc_mean,acc_lo,acc_hi,"
                  "diff,diff_lo,diff_hi,adj_lo,adj_hi,p,p_holm,mde,best_epoch,target_reached,target_epochs_median,"
                  "dead_final,inactive_final,train_acc,loss_auc,grad_ratio,seconds,error\n");
    for (size_t arm = 0; arm < c->n_arms; arm++) {
        const al_arm *a = &c->arms[arm];
        const al_arm_summary *S = &c->summaries[arm];
        json_t *jobs = json_array(), *tune = json_array();
        for (size_t s = 0; s < c->o.seeds; s++) {
            const al_job_result *r = al_compare_job(c, arm, s);
            json_t *j = r->done || r->diverged ? job_json(c, 0, 0, r)
                                               : json_pack("{s:I, s:b, s:s}", "seed", (json_int_t)r->seed, "done",
                                                           0, "error", r->error);
            json_array_append_new(jobs, j);
        }
        for (size_t l = 0; l < c->o.n_tune_lrs; l++)
            json_array_append_new(tune, json_pack("{s:f, s:o}", "lr", c->tune_lrs[l], "validation_accuracy",
                                                  number(c->tune_scores[arm * c->o.n_tune_lrs + l])));
        json_t *summary = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                                    "s:o, s:o, s:o, s:o, s:o, s:o}", "ok", (json_int_t)S->ok, "diverged",
                                    (json_int_t)S->diverged, "failed", (json_int_t)S->failed, "acc_mean",
                                    number(S->acc_mean), "acc_lo", number(S->acc_lo), "acc_hi", number(S->acc_hi),
                                    "diff", number(S->diff), "diff_lo", number(S->diff_lo), "diff_hi",
                                    number(S->diff_hi), "adj_lo", number(S->adj_lo), "adj_hi", number(S->adj_hi),
                                    "p", number(S->p), "p_holm", number(S->p_holm), "mde", number(S->mde),
                                    "best_epoch", number(S->best_epoch), "dead_final", number(S->dead_final),
                                    "inactive_final", number(S->inactive_final), "train_acc", number(S->train_acc),
                                    "loss_auc", number(S->loss_auc), "grad_ratio", number(S->grad_ratio), "seconds",
                                    number(S->seconds));
        if (summary && !isnan(c->o.target)) {
            json_object_set_new(summary, "target_reached", json_integer((json_int_t)S->ttt.reached));
            json_object_set_new(summary, "target_epochs_median",
                                S->ttt.median_known ? number(S->ttt.median_epochs) : json_null());
        }
        json_array_append_new(arms, json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o}", "name", a->name, "spec",
                                              a->spec, "init", al_init_scheme_name(a->init), "gain",
                                              al_gain_rule_name(a->gain), "lr", a->lr, "tuning", tune, "summary",
                                              summary ? summary : json_null(), "jobs", jobs));
        const char *e = arm_error(c, arm);
        csv_quoted(&csv, a->name);
        al_buf_append(&csv, ",", 1);
        csv_quoted(&csv, a->spec);
        al_buf_printf(&csv, ",%s,%s,%.9g,%zu,%zu,%zu,%zu,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,"
                      "%.9g,%.9g,%.9g,%zu,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,",
                      al_init_scheme_name(a->init), al_gain_rule_name(a->gain), a->lr, S->ok, S->diverged,
                      S->failed, c->o.seeds, S->acc_mean, S->acc_lo, S->acc_hi, S->diff, S->diff_lo, S->diff_hi,
                      S->adj_lo, S->adj_hi, S->p, S->p_holm, S->mde, S->best_epoch, S->ttt.reached,
                      S->ttt.median_known ? S->ttt.median_epochs : NAN, S->dead_final, S->inactive_final,
                      S->train_acc, S->loss_auc, S->grad_ratio, S->seconds);
        csv_quoted(&csv, e);
        al_buf_append(&csv, "\n", 1);
    }
    json_object_set_new(root, "arms", arms);
    char path[4200];
    snprintf(path, sizeof path, "%s/compare.json", c->dir);
    al_status st = write_json(path, root, err);
    snprintf(path, sizeof path, "%s/compare.csv", c->dir);
    if (st == AL_OK)
        st = csv.data ? al_file_write_atomic(path, csv.data, csv.len, err)
                      : al_error_set(err, AL_ERR_NOMEM, "out of memory writing '%s'", path);
    al_buf_free(&csv);
    return st;
}
