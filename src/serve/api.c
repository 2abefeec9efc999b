/* The JSON API under /api/ (docs/playground.md): the activation table, the
 * server's status, creating a run, changing its config, play/pause/step/
 * reset, editing a weight or bias, closing it, its event stream, and its
 * exports. Every body is checked before anything is changed. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define MAX_PENDING_STEPS 1000
#define UNSTREAMED_S 20.0   /* a run whose page never opened its stream is dropped after this */

static enum MHD_Result reply_buf(struct MHD_Connection *c, al_buf *b, const char *type, const char *name)
{
    enum MHD_Result ret = b->failed ? sv_reply_error(c, 503, "out of memory")
                                    : sv_reply(c, MHD_HTTP_OK, type, b->data ? b->data : "", b->len, name);
    al_buf_free(b);
    return ret;
}

/* {} : the request was done */
static enum MHD_Result reply_done(struct MHD_Connection *c)
{
    al_json rec;
    al_json_begin(&rec);
    return sv_reply_json(c, MHD_HTTP_OK, &rec);
}

static enum MHD_Result reply_fail(struct MHD_Connection *c, const al_error *err)
{
    return sv_reply_error(c, sv_status_code(err->status), err->message);
}

/* Drops runs whose page never opened their stream (a burst of creates, a
 * page that died); the caller holds s->lock. Returns the number of runs. */
static int reap_locked(al_server *s, sv_run **dead, int *n_dead)
{
    int alive = 0;
    double now = sv_now();
    for (int i = 0; i < s->o.max_runs; i++) {
        sv_run *r = s->runs[i];
        if (!r)
            continue;
        if (!r->streaming && now - r->created > UNSTREAMED_S && r->refs == 1) {
            s->runs[i] = NULL;
            atomic_store(&r->closed, 1);
            r->refs--;
            dead[(*n_dead)++] = r;
        } else {
            alive++;
        }
    }
    return alive;
}

static void free_runs(sv_run **dead, int n)
{
    for (int i = 0; i < n; i++)
        sv_run_free(dead[i]);
}

/* Counts live runs after reaping stale ones. */
static int live_runs(al_server *s)
{
    sv_run **dead = calloc((size_t)s->o.max_runs, sizeof *dead);
    int n_dead = 0, alive;
    pthread_mutex_lock(&s->lock);
    if (dead) {
        alive = reap_locked(s, dead, &n_dead);
    } else {
        alive = 0;
        for (int i = 0; i < s->o.max_runs; i++)
            alive += s->runs[i] != NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free_runs(dead, n_dead);
    free(dead);
    return alive;
}

static enum MHD_Result create_run(al_server *s, struct MHD_Connection *c, const char *body, size_t len)
{
    if (live_runs(s) >= s->o.max_runs)
        return sv_reply_error(c, 503, "too many runs are open; close a tab and try again");
    sv_run *r = calloc(1, sizeof *r);
    if (!r)
        return sv_reply_error(c, 503, "out of memory");
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&r->wake, &ca);
    pthread_condattr_destroy(&ca);
    r->m.cfg = sv_config_default();
    r->m.fashion = &s->fashion;
    al_error err = {0};
    al_status st = sv_config_parse(body, len, &r->m.cfg, &err);
    if (st == AL_OK)
        st = sv_model_build(&r->m, &err);
    if (st != AL_OK) {
        free_runs(&r, 1);
        return reply_fail(c, &err);
    }
    int slot = -1;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->o.max_runs && slot < 0; i++)
        if (!s->runs[i])
            slot = i;
    if (slot >= 0) {
        snprintf(r->id, sizeof r->id, "%016llx", (unsigned long long)al_rng_u64(&s->rng));
        r->refs = 1;
        r->created = sv_now();
        s->runs[slot] = r;
    }
    pthread_mutex_unlock(&s->lock);
    if (slot < 0) {
        free_runs(&r, 1);
        return sv_reply_error(c, 503, "too many runs are open; close a tab and try again");
    }
    al_json rec;
    al_json_begin(&rec);
    al_json_add_string(&rec, NULL, "id", r->id);
    sv_config_json(&r->m.cfg, &rec, NULL, "config");
    return sv_reply_json(c, MHD_HTTP_OK, &rec);
}

/* Rebuilds r's model from cfg; the old model stays when the new one fails. */
static al_status rebuild(sv_run *r, const sv_config *cfg, al_error *err)
{
    sv_model fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.cfg = *cfg;
    fresh.fashion = r->m.fashion;
    al_status st = sv_model_build(&fresh, err);
    if (st != AL_OK)
        return st;
    pthread_mutex_lock(&r->lock);
    sv_model old = r->m;
    r->m = fresh;
    r->playing = 0;
    r->pending_steps = 0;
    r->error[0] = '\0';
    r->send_init = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    sv_model_clear(&old);
    return AL_OK;
}

/* Fields that take effect at the next step without a new model. */
static int only_live_fields_differ(const sv_config *a, const sv_config *b)
{
    sv_config x = *a;
    x.lr = b->lr;
    x.speed = b->speed;
    return memcmp(&x, b, sizeof x) == 0;
}

static enum MHD_Result set_config(struct MHD_Connection *c, sv_run *r, const char *body, size_t len)
{
    pthread_mutex_lock(&r->lock);
    sv_config cfg = r->m.cfg;
    pthread_mutex_unlock(&r->lock);
    sv_config before = cfg;
    al_error err = {0};
    if (sv_config_parse(body, len, &cfg, &err) != AL_OK)
        return reply_fail(c, &err);
    int reset = 0;
    if (only_live_fields_differ(&before, &cfg)) {
        pthread_mutex_lock(&r->lock);
        r->m.cfg.lr = cfg.lr;
        r->m.cfg.speed = cfg.speed;
        pthread_mutex_unlock(&r->lock);
    } else {
        if (rebuild(r, &cfg, &err) != AL_OK)
            return reply_fail(c, &err);
        reset = 1;
    }
    al_json rec;
    al_json_begin(&rec);
    al_json_add_bool(&rec, NULL, "reset", reset);
    return sv_reply_json(c, MHD_HTTP_OK, &rec);
}

static json_t *parse_object(const char *body, size_t len, al_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        al_error_set(err, AL_ERR_INVALID, "the body is not valid JSON: %s", jerr.text);
    else if (!json_is_object(root)) {
        json_decref(root);
        root = NULL;
        al_error_set(err, AL_ERR_INVALID, "the body must be a JSON object");
    }
    return root;
}

/* Checks that root has only the listed keys. */
static int known_keys(json_t *root, const char *const *keys, al_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = strcmp(key, keys[i]) == 0;
        if (!ok) {
            al_error_set(err, AL_ERR_INVALID, "unknown field '%.64s'", key);
            return 0;
        }
    }
    return 1;
}

static enum MHD_Result control(al_server *s, struct MHD_Connection *c, sv_run *r, const char *body, size_t len)
{
    al_error err = {0};
    json_t *root = parse_object(body, len, &err);
    static const char *const keys[] = {"action", "steps", NULL};
    if (!root || !known_keys(root, keys, &err)) {
        json_decref(root);
        return reply_fail(c, &err);
    }
    const char *action = json_string_value(json_object_get(root, "action"));
    json_t *steps_v = json_object_get(root, "steps");
    long steps = 1;
    if (steps_v && (!json_is_integer(steps_v) || json_integer_value(steps_v) < 1 ||
                    json_integer_value(steps_v) > MAX_PENDING_STEPS)) {
        json_decref(root);
        return sv_reply_error(c, 400, "steps: expected an integer in [1, 1000]");
    }
    if (steps_v)
        steps = (long)json_integer_value(steps_v);
    enum MHD_Result ret;
    if (!action) {
        ret = sv_reply_error(c, 400, "action: expected play, pause, step or reset");
    } else if (strcmp(action, "reset") == 0) {
        pthread_mutex_lock(&r->lock);
        sv_config cfg = r->m.cfg;
        pthread_mutex_unlock(&r->lock);
        ret = rebuild(r, &cfg, &err) == AL_OK ? reply_done(c) : reply_fail(c, &err);
    } else if (strcmp(action, "play") == 0 || strcmp(action, "pause") == 0 || strcmp(action, "step") == 0) {
        pthread_mutex_lock(&r->lock);
        if (action[1] == 'l') {
            r->playing = 1;
        } else if (action[1] == 'a') {
            r->playing = 0;
            r->pending_steps = 0;
            r->changed = 1;
        } else {
            r->playing = 0;
            r->pending_steps = r->pending_steps + steps > MAX_PENDING_STEPS ? MAX_PENDING_STEPS
                                                                            : r->pending_steps + steps;
        }
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->lock);
        ret = reply_done(c);
    } else {
        ret = sv_reply_error(c, 400, "action: expected play, pause, step or reset");
    }
    (void)s;
    json_decref(root);
    return ret;
}

static enum MHD_Result edit(struct MHD_Connection *c, sv_run *r, const char *body, size_t len)
{
    al_error err = {0};
    json_t *root = parse_object(body, len, &err);
    static const char *const keys[] = {"layer", "unit", "from", "weight", "bias", NULL};
    if (!root || !known_keys(root, keys, &err)) {
        json_decref(root);
        return reply_fail(c, &err);
    }
    json_t *layer = json_object_get(root, "layer"), *unit = json_object_get(root, "unit");
    json_t *from = json_object_get(root, "from"), *weight = json_object_get(root, "weight");
    json_t *bias = json_object_get(root, "bias");
    enum MHD_Result ret;
    if (!json_is_integer(layer) || !json_is_integer(unit) || json_integer_value(layer) < 1 ||
        json_integer_value(layer) > 64 || json_integer_value(unit) < 0 || json_integer_value(unit) > 1024)
        ret = sv_reply_error(c, 400, "layer (1-based Linear layer) and unit (0-based) must be small integers");
    else if (!!weight == !!bias || (weight && !json_is_number(weight)) || (bias && !json_is_number(bias)))
        ret = sv_reply_error(c, 400, "give either weight (with from) or bias, as a number");
    else if (weight && (!json_is_integer(from) || json_integer_value(from) < 0 || json_integer_value(from) > 1024))
        ret = sv_reply_error(c, 400, "from: the 0-based input unit of the weight");
    else {
        pthread_mutex_lock(&r->lock);
        al_status st = sv_model_edit(&r->m, (int)json_integer_value(layer), (int)json_integer_value(unit),
                                     weight ? (int)json_integer_value(from) : -1,
                                     json_number_value(weight ? weight : bias), &err);
        if (st == AL_OK) {
            r->changed = 1;
            pthread_cond_broadcast(&r->wake);
        }
        pthread_mutex_unlock(&r->lock);
        ret = st == AL_OK ? reply_done(c) : reply_fail(c, &err);
    }
    json_decref(root);
    return ret;
}

static enum MHD_Result export(struct MHD_Connection *c, sv_run *r, const char *what)
{
    al_buf b = {0};
    pthread_mutex_lock(&r->lock);
    enum MHD_Result ret;
    if (strcmp(what, "weights.safetensors") == 0) {
        char *bytes;
        size_t size;
        al_error err = {0};
        al_status st = sv_export_weights(&r->m, &bytes, &size, &err);
        pthread_mutex_unlock(&r->lock);
        if (st != AL_OK)
            return reply_fail(c, &err);
        ret = sv_reply(c, 200, "application/octet-stream", bytes, size, "weights.safetensors");
        free(bytes);
        return ret;
    }
    const char *type = "text/plain; charset=utf-8";
    if (strcmp(what, "log.jsonl") == 0) {
        if (sv_export_log(&r->m, r->id, &b) != AL_OK)
            b.failed = 1;
        type = "application/x-ndjson";
    } else if (strcmp(what, "command.txt") == 0) {
        sv_export_command(&r->m, &b);
    } else if ((strcmp(what, "train.csv") == 0 || strcmp(what, "test.csv") == 0) && !r->m.cfg.fashion) {
        sv_export_csv(&r->m, what[1] == 'e', &b);
        type = "text/csv";
    } else {
        pthread_mutex_unlock(&r->lock);
        return sv_reply_error(c, 404, "exports: weights.safetensors, log.jsonl, command.txt, train.csv, test.csv");
    }
    pthread_mutex_unlock(&r->lock);
    return reply_buf(c, &b, type, what);
}

static enum MHD_Result status(al_server *s, struct MHD_Connection *c)
{
    int runs = live_runs(s);
    al_server_stats st = al_server_get_stats(s);
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "runs", runs);
    al_json_add_int(&rec, NULL, "streams", st.streams);
    al_json_add_int(&rec, NULL, "requests", st.requests);
    al_json_add_int(&rec, NULL, "max_runs", s->o.max_runs);
    al_json_add_int(&rec, NULL, "max_streams", s->o.max_streams);
    json_t *limits = al_json_add_object(&rec, NULL, "limits");
    al_json_add_int(&rec, limits, "hidden_layers", SV_MAX_HIDDEN);
    al_json_add_int(&rec, limits, "units", SV_MAX_UNITS);
    al_json_add_int(&rec, limits, "fashion_hidden_layers", SV_FASHION_MAX_HIDDEN);
    al_json_add_int(&rec, limits, "fashion_units", SV_FASHION_MAX_UNITS);
    json_t *samples = al_json_add_array(&rec, limits, "samples");
    al_json_add_int(&rec, samples, NULL, SV_MIN_SAMPLES);
    al_json_add_int(&rec, samples, NULL, SV_MAX_SAMPLES);
    al_json_add_int(&rec, limits, "batch", SV_MAX_BATCH);
    al_json_add_int(&rec, limits, "fashion_batch", SV_FASHION_MAX_BATCH);
    json_t *lr = al_json_add_array(&rec, limits, "lr");
    al_json_add_real(&rec, lr, NULL, SV_MIN_LR);
    al_json_add_real(&rec, lr, NULL, SV_MAX_LR);
    al_json_add_real(&rec, limits, "reg_rate", SV_MAX_REG_RATE);
    al_json_add_int(&rec, limits, "speed", SV_MAX_SPEED);
    al_json_add_int(&rec, limits, "frame_hz", SV_FRAME_HZ);
    return sv_reply_json(c, MHD_HTTP_OK, &rec);
}

/* /api/runs/ID/REST: splits the id (16 hex digits) from the rest. */
static int run_path(const char *url, char id[17], const char **rest)
{
    const char *p = url + strlen("/api/runs/");
    for (int i = 0; i < 16; i++) {
        char ch = p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return 0;
        id[i] = ch;
    }
    id[16] = '\0';
    if (p[16] != '/')
        return 0;
    *rest = p + 17;
    return 1;
}

static int is_json(struct MHD_Connection *c)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return type && strncmp(type, "application/json", 16) == 0;
}

enum MHD_Result sv_api(al_server *s, struct MHD_Connection *c, const char *method, const char *url,
                       const char *body, size_t len)
{
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (!get && !post)
        return sv_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "the API takes GET and POST");
    /* a JSON content type keeps other sites' pages out: they cannot send one without CORS */
    if (post && !is_json(c))
        return sv_reply_error(c, 415, "POST bodies must be sent as Content-Type: application/json");
    if (strcmp(url, "/api/activations") == 0 && get) {
        al_json rec;
        al_json_begin_array(&rec);
        sv_frame_activations(&rec);
        return sv_reply_json(c, MHD_HTTP_OK, &rec);
    }
    if (strcmp(url, "/api/status") == 0 && get)
        return status(s, c);
    if (strcmp(url, "/api/runs") == 0 && post)
        return create_run(s, c, body, len);
    char id[17];
    const char *rest;
    if (strncmp(url, "/api/runs/", 10) != 0 || !run_path(url, id, &rest))
        return sv_reply_error(c, 404, "no such API path (see docs/playground.md)");
    sv_run *r = sv_acquire(s, id);
    if (!r)
        return sv_reply_error(c, 404, "no such run (it ended when its page closed)");
    enum MHD_Result ret;
    if (get && strcmp(rest, "events") == 0)
        return sv_stream_start(s, c, r); /* keeps the reference */
    if (post && strcmp(rest, "config") == 0)
        ret = set_config(c, r, body, len);
    else if (post && strcmp(rest, "control") == 0)
        ret = control(s, c, r, body, len);
    else if (post && strcmp(rest, "edit") == 0)
        ret = edit(c, r, body, len);
    else if (post && strcmp(rest, "close") == 0) {
        sv_remove(s, r);
        ret = reply_done(c);
    } else if (get && strncmp(rest, "export/", 7) == 0)
        ret = export(c, r, rest + 7);
    else
        ret = sv_reply_error(c, 404, "no such API path (see docs/playground.md)");
    sv_release(s, r);
    return ret;
}
