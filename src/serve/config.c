/* A run's configuration: the JSON the page sends, checked field by field
 * against fixed bounds (the server never trusts the page), the model spec it
 * stands for, and the `actlab train` command that trains the same net. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "serve_internal.h"

static const char *const opt_names[] = {"sgd", "momentum", "adam"};
static const char *const reg_names[] = {"none", "l1", "l2"};

sv_config sv_config_default(void)
{
    sv_config c;
    memset(&c, 0, sizeof c);
    c.dataset = AL_SYNTH_CIRCLE;
    c.noise = 0;
    c.train_ratio = 50;
    c.samples = 500;
    c.batch = 10;
    c.seed = 1;
    c.n_features = 2;
    c.features[0] = AL_FEAT_X1;
    c.features[1] = AL_FEAT_X2;
    c.n_hidden = 2;
    c.hidden[0] = 4;
    c.hidden[1] = 2;
    al_act_default(AL_ACT_TANH, &c.act);
    al_act_format(&c.act, c.act_text, sizeof c.act_text);
    c.opt = SV_OPT_SGD;
    c.lr = 0.03;
    c.momentum = 0.9;
    c.reg = SV_REG_NONE;
    c.reg_rate = 0;
    c.init = AL_INIT_PYTORCH;
    c.speed = 5;
    return c;
}

static al_status bad(al_error *err, const char *field, const char *fmt, const char *detail)
{
    char msg[AL_ERROR_MESSAGE_BYTES];
    snprintf(msg, sizeof msg, fmt, detail);
    return al_error_set(err, AL_ERR_INVALID, "%s: %s", field, msg);
}

static al_status get_int(json_t *v, const char *field, long lo, long hi, long *out, al_error *err)
{
    if (!json_is_integer(v))
        return al_error_set(err, AL_ERR_INVALID, "%s: expected an integer in [%ld, %ld]", field, lo, hi);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return al_error_set(err, AL_ERR_INVALID, "%s: %lld is out of range [%ld, %ld]", field,
                            (long long)x, lo, hi);
    *out = (long)x;
    return AL_OK;
}

static al_status get_number(json_t *v, const char *field, double lo, double hi, double *out, al_error *err)
{
    if (!json_is_number(v))
        return al_error_set(err, AL_ERR_INVALID, "%s: expected a number in [%g, %g]", field, lo, hi);
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi)
        return al_error_set(err, AL_ERR_INVALID, "%s: %g is out of range [%g, %g]", field, x, lo, hi);
    *out = x;
    return AL_OK;
}

static al_status get_choice(json_t *v, const char *field, const char *const *names, int n, int *out,
                            al_error *err)
{
    const char *s = json_string_value(v);
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return AL_OK;
        }
    char list[128] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n)
            strncat(list, i + 2 == n ? " or " : ", ", sizeof list - strlen(list) - 1);
    }
    return bad(err, field, "expected one of %s", list);
}

static al_status parse_features(json_t *v, sv_config *c, al_error *err)
{
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > AL_FEAT_COUNT)
        return al_error_set(err, AL_ERR_INVALID, "features: expected a list of 1 to %d feature names",
                            AL_FEAT_COUNT);
    int seen[AL_FEAT_COUNT] = {0};
    c->n_features = 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        al_synth_feature f;
        if (!json_is_string(e) || al_synth_feature_parse(json_string_value(e), &f, err) != AL_OK) {
            if (!json_is_string(e))
                al_error_set(err, AL_ERR_INVALID, "expected a feature name");
            return al_error_prefix(err, "features[%zu]: ", i);
        }
        if (seen[f]++)
            return al_error_set(err, AL_ERR_INVALID, "features: '%s' is listed twice",
                                al_synth_feature_name(f));
        c->features[c->n_features++] = f;
    }
    return AL_OK;
}

static al_status parse_layers(json_t *v, sv_config *c, al_error *err)
{
    int max_layers = c->fashion ? SV_FASHION_MAX_HIDDEN : SV_MAX_HIDDEN;
    int max_units = c->fashion ? SV_FASHION_MAX_UNITS : SV_MAX_UNITS;
    if (!json_is_array(v) || json_array_size(v) > (size_t)max_layers)
        return al_error_set(err, AL_ERR_INVALID, "layers: expected a list of 0 to %d hidden layer sizes",
                            max_layers);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        long units = 0;
        char field[32];
        snprintf(field, sizeof field, "layers[%zu]", i);
        if (get_int(e, field, 1, max_units, &units, err) != AL_OK)
            return AL_ERR_INVALID;
        c->hidden[i] = (int)units;
    }
    c->n_hidden = (int)json_array_size(v);
    return AL_OK;
}

static al_status parse_act(json_t *v, sv_config *c, al_error *err)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= SV_ACT_TEXT)
        return al_error_set(err, AL_ERR_INVALID, "act: expected an activation such as 'ReLU()' of at "
                            "most %d characters", SV_ACT_TEXT - 1);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20)
            return al_error_set(err, AL_ERR_INVALID, "act: control characters are not allowed");
    al_act a;
    if (al_act_parse(s, &a, err) != AL_OK)
        return al_error_prefix(err, "act: ");
    c->act = a;
    /* kept as written (it parsed as exactly one activation), so a link's text comes back unchanged */
    snprintf(c->act_text, sizeof c->act_text, "%s", s);
    return AL_OK;
}

/* One field; the mode must already be known (layer bounds depend on it). */
static al_status parse_field(const char *key, json_t *v, sv_config *c, al_error *err)
{
    long n = 0;
    int k = 0;
    al_status st = AL_OK;
    if (strcmp(key, "mode") == 0) {
        static const char *const modes[] = {"2d", "fashion"};
        if ((st = get_choice(v, key, modes, 2, &k, err)) == AL_OK)
            c->fashion = k;
    } else if (strcmp(key, "dataset") == 0) {
        const char *s = json_string_value(v);
        if (!s || al_synth_parse(s, &c->dataset, err) != AL_OK)
            return bad(err, key, "expected %s", "circle, xor, gauss, spiral, plane or multigauss");
    } else if (strcmp(key, "noise") == 0) {
        if ((st = get_int(v, key, 0, 50, &n, err)) == AL_OK)
            c->noise = (int)n;
    } else if (strcmp(key, "train_ratio") == 0) {
        if ((st = get_int(v, key, 10, 90, &n, err)) == AL_OK)
            c->train_ratio = (int)n;
    } else if (strcmp(key, "samples") == 0) {
        if ((st = get_int(v, key, SV_MIN_SAMPLES, SV_MAX_SAMPLES, &n, err)) == AL_OK)
            c->samples = (int)n;
    } else if (strcmp(key, "batch") == 0) {
        if ((st = get_int(v, key, 1, c->fashion ? SV_FASHION_MAX_BATCH : SV_MAX_BATCH, &n, err)) == AL_OK)
            c->batch = (int)n;
    } else if (strcmp(key, "seed") == 0) {
        st = get_int(v, key, 0, SV_MAX_SEED, &c->seed, err);
    } else if (strcmp(key, "features") == 0) {
        st = parse_features(v, c, err);
    } else if (strcmp(key, "layers") == 0) {
        st = parse_layers(v, c, err);
    } else if (strcmp(key, "act") == 0) {
        st = parse_act(v, c, err);
    } else if (strcmp(key, "opt") == 0) {
        if ((st = get_choice(v, key, opt_names, 3, &k, err)) == AL_OK)
            c->opt = (sv_opt)k;
    } else if (strcmp(key, "lr") == 0) {
        st = get_number(v, key, SV_MIN_LR, SV_MAX_LR, &c->lr, err);
    } else if (strcmp(key, "momentum") == 0) {
        st = get_number(v, key, 0, 0.99, &c->momentum, err);
    } else if (strcmp(key, "reg") == 0) {
        if ((st = get_choice(v, key, reg_names, 3, &k, err)) == AL_OK)
            c->reg = (sv_reg)k;
    } else if (strcmp(key, "reg_rate") == 0) {
        st = get_number(v, key, 0, SV_MAX_REG_RATE, &c->reg_rate, err);
    } else if (strcmp(key, "init") == 0) {
        const char *s = json_string_value(v);
        if (!s || al_init_scheme_parse(s, &c->init, err) != AL_OK)
            return bad(err, key, "expected %s", "pytorch, xavier-uniform, xavier-normal, "
                       "kaiming-uniform, kaiming-normal or lecun-normal");
    } else if (strcmp(key, "batchnorm") == 0) {
        if (!json_is_boolean(v))
            return bad(err, key, "expected %s", "true or false");
        c->batchnorm = json_is_true(v);
    } else if (strcmp(key, "speed") == 0) {
        if ((st = get_int(v, key, 1, SV_MAX_SPEED, &n, err)) == AL_OK)
            c->speed = (int)n;
    } else {
        return al_error_set(err, AL_ERR_INVALID, "unknown field '%.64s'", key);
    }
    return st;
}

al_status sv_config_parse(const char *text, size_t len, sv_config *cfg, al_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return al_error_set(err, AL_ERR_INVALID, "the body is not valid JSON: %s (line %d, column %d)",
                            jerr.text, jerr.line, jerr.column);
    al_status st = AL_OK;
    if (!json_is_object(root))
        st = al_error_set(err, AL_ERR_INVALID, "the body must be a JSON object of config fields");
    sv_config c = *cfg;
    json_t *mode = json_object_get(root, "mode");
    if (st == AL_OK && mode)
        st = parse_field("mode", mode, &c, err);
    /* a mode switch brings that mode's default architecture unless layers are given */
    if (st == AL_OK && c.fashion != cfg->fashion && !json_object_get(root, "layers")) {
        c.n_hidden = 1;
        c.hidden[0] = c.fashion ? 32 : 4;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (st != AL_OK)
            break;
        if (strcmp(key, "mode") != 0)
            st = parse_field(key, v, &c, err);
    }
    json_decref(root);
    if (st != AL_OK)
        return st;
    /* bounds that depend on the mode, checked again when only the mode changed */
    int max_layers = c.fashion ? SV_FASHION_MAX_HIDDEN : SV_MAX_HIDDEN;
    int max_units = c.fashion ? SV_FASHION_MAX_UNITS : SV_MAX_UNITS;
    if (c.n_hidden > max_layers)
        return al_error_set(err, AL_ERR_INVALID, "layers: at most %d hidden layers in this mode", max_layers);
    for (int i = 0; i < c.n_hidden; i++)
        if (c.hidden[i] > max_units)
            return al_error_set(err, AL_ERR_INVALID, "layers[%d]: at most %d units in this mode", i, max_units);
    if (c.batch > (c.fashion ? SV_FASHION_MAX_BATCH : SV_MAX_BATCH))
        return al_error_set(err, AL_ERR_INVALID, "batch: at most %d in this mode",
                            c.fashion ? SV_FASHION_MAX_BATCH : SV_MAX_BATCH);
    c.regression = !c.fashion && al_synth_is_regression(c.dataset);
    *cfg = c;
    return AL_OK;
}

void sv_config_json(const sv_config *c, al_json *rec, json_t *in, const char *key)
{
    json_t *o = al_json_add_object(rec, in, key);
    al_json_add_string(rec, o, "mode", c->fashion ? "fashion" : "2d");
    al_json_add_string(rec, o, "dataset", al_synth_name(c->dataset));
    al_json_add_int(rec, o, "noise", c->noise);
    al_json_add_int(rec, o, "train_ratio", c->train_ratio);
    al_json_add_int(rec, o, "samples", c->samples);
    al_json_add_int(rec, o, "batch", c->batch);
    al_json_add_int(rec, o, "seed", c->seed);
    json_t *features = al_json_add_array(rec, o, "features");
    for (int i = 0; i < c->n_features; i++)
        al_json_add_string(rec, features, NULL, al_synth_feature_name(c->features[i]));
    json_t *layers = al_json_add_array(rec, o, "layers");
    for (int i = 0; i < c->n_hidden; i++)
        al_json_add_int(rec, layers, NULL, c->hidden[i]);
    al_json_add_string(rec, o, "act", c->act_text);
    al_json_add_string(rec, o, "opt", opt_names[c->opt]);
    al_json_add_real(rec, o, "lr", c->lr);
    al_json_add_real(rec, o, "momentum", c->momentum);
    al_json_add_string(rec, o, "reg", reg_names[c->reg]);
    al_json_add_real(rec, o, "reg_rate", c->reg_rate);
    al_json_add_string(rec, o, "init", al_init_scheme_name(c->init));
    al_json_add_bool(rec, o, "batchnorm", c->batchnorm);
    al_json_add_int(rec, o, "speed", c->speed);
    al_json_add_bool(rec, o, "regression", c->regression);
}

void sv_config_describe(const sv_config *c, al_json *rec)
{
    sv_config_json(c, rec, NULL, "config");
    al_buf spec = {0};
    sv_config_spec(c, &spec);
    if (spec.failed)
        rec->failed = 1;
    else
        al_json_add_string(rec, NULL, "spec", spec.data);
    al_buf_free(&spec);
}

int sv_config_inputs(const sv_config *c)
{
    return c->fashion ? 784 : c->n_features;
}

int sv_config_outputs(const sv_config *c)
{
    return c->fashion ? 10 : c->regression ? 1 : 2;
}

void sv_config_spec(const sv_config *c, al_buf *out)
{
    int in = sv_config_inputs(c);
    for (int i = 0; i < c->n_hidden; i++) {
        al_buf_printf(out, "Linear(%d, %d), ", in, c->hidden[i]);
        if (c->batchnorm)
            al_buf_printf(out, "BatchNorm1d(%d), ", c->hidden[i]);
        al_buf_printf(out, "%s, ", c->act_text);
        in = c->hidden[i];
    }
    al_buf_printf(out, "Linear(%d, %d)", in, sv_config_outputs(c));
}

void sv_config_command(const sv_config *c, long steps, al_buf *out)
{
    if (c->regression) {
        al_buf_printf(out, "# `actlab train` trains classifiers (cross-entropy); this regression run\n"
                      "# (mean squared error) has no equivalent command. Its model:\n# ");
        sv_config_spec(c, out);
        al_buf_printf(out, "\n");
        return;
    }
    if (c->reg == SV_REG_L1 && c->reg_rate > 0)
        al_buf_printf(out, "# L1 regularisation (rate %g) has no `actlab train` flag; the command "
                      "below trains without it.\n", c->reg_rate);
    if (!c->fashion)
        al_buf_printf(out, "# train.csv and test.csv: the run's data (download them beside this file)\n");
    al_buf_printf(out, "actlab train --model '");
    sv_config_spec(c, out);
    al_buf_printf(out, "' \\\n    ");
    if (c->fashion)
        al_buf_printf(out, "--data fashion-mnist");
    else
        al_buf_printf(out, "--train train.csv:label --test test.csv:label");
    al_buf_printf(out, " \\\n    --steps %ld --batch %d --seed %ld --init-scheme %s \\\n    --opt %s --lr %.9g",
                  steps > 0 ? steps : 1, c->batch, c->seed, al_init_scheme_name(c->init),
                  c->opt == SV_OPT_ADAM ? "adam" : "sgd", c->lr);
    if (c->opt == SV_OPT_MOMENTUM)
        al_buf_printf(out, " --momentum %.9g", c->momentum);
    if (c->reg == SV_REG_L2 && c->reg_rate > 0)
        al_buf_printf(out, " --weight-decay %.9g", c->reg_rate);
    al_buf_printf(out, " \\\n    --save weights.safetensors\n");
}
