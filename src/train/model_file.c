/* Model files that remember what a model needs besides its weights: the
 * spec, the loss, the classes and their names, the input standardisation
 * and the epoch the weights are from. All of it is kept as strings in the
 * safetensors "__metadata__" map (safetensors allows nothing else there),
 * so the tensors stay exactly PyTorch's state_dict and
 * load_state_dict(strict=True) takes the file unchanged. */
#include "actlab/train.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

#define MODEL_FORMAT "actlab-model-1"
#define META_MAX 16

/* The metadata entries being written: keys are static, values owned. */
typedef struct meta_list {
    al_tensor_meta items[META_MAX];
    size_t count;
    int failed;
} meta_list;

static void meta_put(meta_list *m, const char *key, char *value)
{
    if (!value || m->count >= META_MAX) {
        free(value);
        m->failed = 1;
        return;
    }
    m->items[m->count].key = (char *)key;
    m->items[m->count++].value = value;
}

static void meta_putf(meta_list *m, const char *key, const char *fmt, long value)
{
    char text[32];
    snprintf(text, sizeof text, fmt, value);
    meta_put(m, key, strdup(text));
}

/* "[0.5, -1.25]": float32 values with the 9 digits that bring them back exactly. */
static char *float_list(const float *v, size_t n)
{
    al_buf b = {0};
    al_buf_printf(&b, "[");
    for (size_t i = 0; i < n; i++)
        al_buf_printf(&b, "%s%.9g", i ? ", " : "", (double)v[i]);
    al_buf_printf(&b, "]");
    if (b.failed) {
        al_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static char *name_list(char *const *names, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    char *text = a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(a);
    return text;
}

al_status al_model_save(const al_net *net, const al_model_meta *meta, const char *path, al_error *err)
{
    meta_list m = {0};
    /* safetensors.torch writes this key; tools that check it find "pt" */
    meta_put(&m, "format", strdup("pt"));
    meta_put(&m, "actlab.format", strdup(MODEL_FORMAT));
    if (meta && meta->spec)
        meta_put(&m, "actlab.spec", strdup(meta->spec));
    if (meta && meta->has_loss)
        meta_put(&m, "actlab.loss", strdup(al_loss_kind_name(meta->loss)));
    if (meta && meta->classes > 0)
        meta_putf(&m, "actlab.classes", "%ld", meta->classes);
    if (meta && meta->n_class_names > 0)
        meta_put(&m, "actlab.class_names", name_list(meta->class_names, meta->n_class_names));
    if (meta && meta->stats.length > 0) {
        const al_feature_stats *s = &meta->stats;
        meta_put(&m, "actlab.standardize", strdup(s->mode == AL_STANDARDIZE_GLOBAL ? "global" : "per-feature"));
        meta_putf(&m, "actlab.features", "%ld", (long)s->features);
        meta_put(&m, "actlab.mean", float_list(s->mean, s->length));
        meta_put(&m, "actlab.std", float_list(s->std, s->length));
    }
    if (meta && meta->epochs > 0)
        meta_putf(&m, "actlab.epochs", "%ld", meta->epochs);
    if (meta && meta->best_epoch > 0)
        meta_putf(&m, "actlab.best_epoch", "%ld", meta->best_epoch);
    if (meta && meta->data)
        meta_put(&m, "actlab.data", strdup(meta->data));
    al_status st = m.failed ? al_error_set(err, AL_ERR_NOMEM, "out of memory writing '%s'", path)
                            : al_net_write(net, path, m.items, m.count, err);
    for (size_t i = 0; i < m.count; i++)
        free(m.items[i].value);
    return st;
}

void al_model_meta_free(al_model_meta *meta)
{
    if (!meta)
        return;
    free(meta->spec);
    for (int i = 0; i < meta->n_class_names; i++)
        free(meta->class_names[i]);
    free(meta->class_names);
    al_feature_stats_free(&meta->stats);
    free(meta->data);
    memset(meta, 0, sizeof *meta);
}

/* A whole number from the metadata; 0 with *ok cleared when malformed. */
static long meta_long(const al_tensors *t, const char *key, long lo, long hi, int *ok)
{
    const char *v = al_tensors_get_meta(t, key);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        *ok = 0;
        return 0;
    }
    return x;
}

/* A JSON array of numbers into a new float array of *n values. */
static float *parse_floats(const char *text, size_t *n)
{
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    float *v = NULL;
    *n = json_is_array(a) ? json_array_size(a) : 0;
    if (*n > 0 && (v = malloc(*n * sizeof *v))) {
        for (size_t i = 0; i < *n; i++) {
            json_t *x = json_array_get(a, i);
            double d = json_number_value(x);
            if (!json_is_number(x) || !isfinite((float)d)) {
                free(v);
                v = NULL;
                break;
            }
            v[i] = (float)d;
        }
    }
    json_decref(a);
    return v;
}

/* The class names of a JSON array of strings. */
static int parse_names(const char *text, al_model_meta *m)
{
    json_t *a = json_loads(text, 0, NULL);
    int ok = json_is_array(a) && json_array_size(a) < (size_t)AL_DATASET_MAX_CLASSES;
    size_t n = ok ? json_array_size(a) : 0;
    if (ok && n > 0) {
        m->class_names = calloc(n, sizeof *m->class_names);
        ok = m->class_names != NULL;
        for (size_t i = 0; ok && i < n; i++) {
            const char *s = json_string_value(json_array_get(a, i));
            ok = s && (m->class_names[i] = strdup(s)) != NULL;
            m->n_class_names = (int)i + (ok ? 1 : 0);
        }
    }
    json_decref(a);
    return ok;
}

static int parse_stats(const al_tensors *t, al_model_meta *m)
{
    const char *mode = al_tensors_get_meta(t, "actlab.standardize");
    int ok = 1;
    if (!mode)
        return 1;
    al_feature_stats *s = &m->stats;
    s->mode = strcmp(mode, "global") == 0 ? AL_STANDARDIZE_GLOBAL : AL_STANDARDIZE_PER_FEATURE;
    s->features = (size_t)meta_long(t, "actlab.features", 1, 1L << 40, &ok);
    size_t n_mean = 0, n_std = 0;
    s->mean = parse_floats(al_tensors_get_meta(t, "actlab.mean"), &n_mean);
    s->std = parse_floats(al_tensors_get_meta(t, "actlab.std"), &n_std);
    s->length = n_mean;
    ok = ok && s->mean && s->std && n_mean == n_std && (strcmp(mode, "global") == 0 || strcmp(mode, "per-feature") == 0) &&
         (n_mean == 1 || n_mean == s->features);
    for (size_t i = 0; ok && i < n_std; i++)
        ok = s->std[i] > 0;
    return ok;
}

/* Fills m from t's metadata; a malformed entry is refused, naming it. */
static al_status parse_meta(const al_tensors *t, const char *path, al_model_meta *m, al_error *err)
{
    memset(m, 0, sizeof *m);
    const char *format = al_tensors_get_meta(t, "actlab.format");
    if (!format)
        return AL_OK;
    const char *bad = NULL;
    int ok = 1;
    m->present = 1;
    const char *v;
    if (strcmp(format, MODEL_FORMAT) != 0)
        bad = "actlab.format";
    if (!bad && (v = al_tensors_get_meta(t, "actlab.spec")) && !(m->spec = strdup(v)))
        bad = "actlab.spec";
    if (!bad && (v = al_tensors_get_meta(t, "actlab.loss"))) {
        m->has_loss = al_loss_parse_kind(v, &m->loss, NULL) == AL_OK;
        if (!m->has_loss)
            bad = "actlab.loss";
    }
    if (!bad && ((m->classes = (int)meta_long(t, "actlab.classes", 1, AL_DATASET_MAX_CLASSES, &ok)), !ok))
        bad = "actlab.classes";
    if (!bad && (v = al_tensors_get_meta(t, "actlab.class_names")) && !parse_names(v, m))
        bad = "actlab.class_names";
    if (!bad && !parse_stats(t, m))
        bad = "actlab.standardize, actlab.mean or actlab.std";
    if (!bad && ((m->epochs = meta_long(t, "actlab.epochs", 1, 1L << 40, &ok)), !ok))
        bad = "actlab.epochs";
    if (!bad && ((m->best_epoch = meta_long(t, "actlab.best_epoch", 1, 1L << 40, &ok)), !ok))
        bad = "actlab.best_epoch";
    if (!bad && (v = al_tensors_get_meta(t, "actlab.data")) && !(m->data = strdup(v)))
        bad = "actlab.data";
    if (!bad)
        return AL_OK;
    al_model_meta_free(m);
    return al_error_set(err, AL_ERR_FORMAT, "'%s': the metadata entry %s is malformed (was the file edited?)",
                        path, bad);
}

al_status al_model_read_meta(const char *path, al_model_meta *out, al_error *err)
{
    memset(out, 0, sizeof *out);
    al_tensors t;
    memset(&t, 0, sizeof t);
    al_status st = al_safetensors_read(path, &t, err);
    if (st == AL_OK)
        st = parse_meta(&t, path, out, err);
    al_tensors_free(&t);
    return st;
}

al_status al_model_load(const char *path, const char *spec, const al_net_options *options, al_net **net,
                        al_model_meta *meta, al_error *err)
{
    *net = NULL;
    al_model_meta local;
    al_model_meta *m = meta ? meta : &local;
    al_tensors t;
    memset(&t, 0, sizeof t);
    memset(m, 0, sizeof *m);
    al_status st = al_safetensors_read(path, &t, err);
    if (st == AL_OK)
        st = parse_meta(&t, path, m, err);
    if (st == AL_OK && !spec && !m->spec)
        st = al_error_set_field(err, AL_ERR_INVALID, "model.spec", "'%s' does not record its model spec (%s): "
                                "give the spec", path, m->present ? "it was saved without one" : "no actlab "
                                "metadata; made by PyTorch?");
    if (st == AL_OK) {
        st = al_net_create(spec ? spec : m->spec, options, net, err);
        if (st != AL_OK && !spec)
            al_error_prefix(err, "the spec recorded in '%s': ", path);
    }
    if (st == AL_OK)
        st = al_net_load_state(*net, &t, path, err);
    al_tensors_free(&t);
    if (st != AL_OK) {
        al_net_free(*net);
        *net = NULL;
        al_model_meta_free(m);
    } else if (!meta) {
        al_model_meta_free(&local);
    }
    return st;
}
