/* The playground's HTTP server (libmicrohttpd, a thread per connection so
 * that an event stream may block between frames): static files embedded at
 * build time, the table of runs with reference counts, and the checks every
 * request passes (Host header on loopback, body size, JSON content type). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server_internal.h"

al_serve_options al_serve_options_default(void)
{
    al_serve_options o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = 8080;
    o.max_runs = 16;
    o.max_streams = 16;
    o.max_connections = 80;
    return o;
}

double sv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sv_run_free(sv_run *r)
{
    sv_model_clear(&r->m);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    free(r);
}

sv_run *sv_acquire(al_server *s, const char *id)
{
    sv_run *found = NULL;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->o.max_runs; i++)
        if (s->runs[i] && strcmp(s->runs[i]->id, id) == 0 && !atomic_load(&s->runs[i]->closed)) {
            found = s->runs[i];
            found->refs++;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void sv_release(al_server *s, sv_run *r)
{
    pthread_mutex_lock(&s->lock);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (last)
        sv_run_free(r);
}

/* Takes r out of the table; the caller holds s->lock. Returns 1 when the
 * table's reference was the last one (the caller frees r). */
static int remove_locked(al_server *s, sv_run *r)
{
    for (int i = 0; i < s->o.max_runs; i++)
        if (s->runs[i] == r) {
            s->runs[i] = NULL;
            atomic_store(&r->closed, 1);
            return --r->refs == 0;
        }
    return 0;
}

void sv_remove(al_server *s, sv_run *r)
{
    pthread_mutex_lock(&s->lock);
    int last = remove_locked(s, r);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    if (last)
        sv_run_free(r);
}

unsigned sv_status_code(al_status st)
{
    switch (st) {
    case AL_ERR_INVALID: case AL_ERR_PARSE: case AL_ERR_SHAPE: case AL_ERR_NUMERIC: return 400;
    default: return 503;
    }
}

enum MHD_Result sv_reply(struct MHD_Connection *c, unsigned code, const char *type, const char *body,
                         size_t len, const char *filename)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (filename) {
        char disp[128];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(resp, "Content-Disposition", disp);
    }
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result sv_reply_json(struct MHD_Connection *c, unsigned code, al_json *rec)
{
    al_buf b = {0};
    static const char no_memory[] = "out of memory\n";
    if (!rec->compact)
        al_json_set_compact(rec, SV_JSON_DIGITS);
    enum MHD_Result ret = al_json_end(rec, &b, NULL) == AL_OK
                              ? sv_reply(c, code, "application/json", b.data, b.len, NULL)
                              : sv_reply(c, 503, "text/plain; charset=utf-8", no_memory, sizeof no_memory - 1, NULL);
    al_buf_free(&b);
    return ret;
}

enum MHD_Result sv_reply_error(struct MHD_Connection *c, unsigned code, const char *message)
{
    al_json rec;
    al_json_begin(&rec);
    al_json_add_string(&rec, NULL, "error", message);
    return sv_reply_json(c, code, &rec);
}

/* Only names this machine uses for loopback are accepted while the server
 * listens on loopback: another site's page, rebound to 127.0.0.1 by DNS,
 * sends its own name and is refused. */
static int host_allowed(const al_server *s, const char *host)
{
    if (!s->loopback)
        return 1;
    if (!host)
        return 0;
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(host, names[i], n) == 0 && (host[n] == '\0' || host[n] == ':'))
            return 1;
    }
    return 0;
}

static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    for (size_t i = 0; i < sv_asset_count; i++)
        if (strcmp(sv_assets[i].path, url) == 0) {
            struct MHD_Response *resp = MHD_create_response_from_buffer(
                sv_assets[i].size, (void *)sv_assets[i].data, MHD_RESPMEM_PERSISTENT);
            if (!resp)
                return MHD_NO;
            MHD_add_response_header(resp, "Content-Type", sv_assets[i].mime);
            MHD_add_response_header(resp, "Cache-Control", "no-cache");
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
            MHD_add_response_header(resp, "Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'");
            enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
            MHD_destroy_response(resp);
            return ret;
        }
    return sv_reply_error(c, MHD_HTTP_NOT_FOUND, "no such page");
}

typedef struct request {
    char *body;
    size_t len;
    int too_large;
} request;

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    al_server *s = cls;
    request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->too_large && req->len + *upload_size <= SV_MAX_BODY) {
            char *grown = realloc(req->body, req->len + *upload_size + 1);
            if (!grown)
                return MHD_NO;
            req->body = grown;
            memcpy(req->body + req->len, upload, *upload_size);
            req->len += *upload_size;
            req->body[req->len] = '\0';
        } else {
            req->too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    if (!host_allowed(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
        return sv_reply_error(c, MHD_HTTP_FORBIDDEN, "the Host header must name this machine "
                              "(127.0.0.1, localhost or [::1])");
    if (req->too_large)
        return sv_reply_error(c, 413, "the request body is larger than 16 KiB");
    if (strncmp(url, "/api/", 5) == 0)
        return sv_api(s, c, method, url, req->body ? req->body : "", req->len);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return sv_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "pages are only read (GET)");
    return serve_asset(c, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

static al_status parse_host(al_server *s, struct sockaddr_storage *addr, al_error *err)
{
    const char *host = s->o.host;
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)s->o.port);
        s->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return AL_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)s->o.port);
        s->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return AL_OK;
    }
    return al_error_set(err, AL_ERR_INVALID, "host '%s' is not an IP address (e.g. 127.0.0.1 or ::1)",
                        s->o.host);
}

al_status al_server_start(const al_serve_options *options, al_server **out, al_error *err)
{
    *out = NULL;
    al_serve_options o = options ? *options : al_serve_options_default();
    if (!o.host)
        o.host = "127.0.0.1";
    if (o.port < 0 || o.port > 65535)
        return al_error_set(err, AL_ERR_INVALID, "port must be in [0, 65535], got %d", o.port);
    if (o.max_runs < 1 || o.max_runs > 1024 || o.max_streams < 1 || o.max_streams > 1024 ||
        o.max_connections < 4 || o.max_connections > 4096)
        return al_error_set(err, AL_ERR_INVALID, "max_runs and max_streams must be in [1, 1024] and "
                            "max_connections in [4, 4096]");
    al_server *s = calloc(1, sizeof *s);
    if (!s || !(s->runs = calloc((size_t)o.max_runs, sizeof *s->runs))) {
        free(s);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for the server");
    }
    s->o = o;
    s->fashion.dir = o.fashion_dir;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->fashion.lock, NULL);
    al_rng_seed(&s->rng, (uint64_t)time(NULL) ^ al_mix64((uint64_t)(uintptr_t)s));
    struct sockaddr_storage addr;
    al_status st = parse_host(s, &addr, err);
    if (st == AL_OK) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
        if (addr.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        s->daemon = MHD_start_daemon(flags, (uint16_t)o.port, NULL, NULL, handle, s,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)o.max_connections,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o.max_connections,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                     MHD_OPTION_END);
        if (!s->daemon)
            st = al_error_set(err, AL_ERR_IO, "cannot listen on %s port %d (is it in use?)", o.host, o.port);
    }
    if (st != AL_OK) {
        al_server_stop(s);
        return st;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o.port;
    *out = s;
    return AL_OK;
}

int al_server_port(const al_server *s)
{
    return s->port;
}

al_server_stats al_server_get_stats(al_server *s)
{
    al_server_stats st = {0, 0, 0};
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->o.max_runs; i++)
        st.runs += s->runs[i] != NULL;
    st.streams = s->streams;
    st.requests = s->requests;
    pthread_mutex_unlock(&s->lock);
    return st;
}

void al_server_stop(al_server *s)
{
    if (!s)
        return;
    /* wake every stream so that its thread ends before the daemon joins it */
    atomic_store(&s->stopping, 1);
    pthread_mutex_lock(&s->lock); /* lock order: the server's, then a run's */
    for (int i = 0; i < s->o.max_runs; i++) {
        sv_run *r = s->runs[i];
        if (!r)
            continue;
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&s->lock);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    for (int i = 0; i < s->o.max_runs; i++)
        if (s->runs[i]) {
            sv_run *r = s->runs[i];
            pthread_mutex_lock(&s->lock);
            int last = remove_locked(s, r);
            pthread_mutex_unlock(&s->lock);
            if (last)
                sv_run_free(r);
        }
    al_dataset_free(s->fashion.train);
    al_dataset_free(s->fashion.test);
    pthread_mutex_destroy(&s->fashion.lock);
    pthread_mutex_destroy(&s->lock);
    free(s->runs);
    free(s);
}
