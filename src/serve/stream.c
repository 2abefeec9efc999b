/* A run's event stream. Its connection's thread does the training: while
 * the run plays it takes `speed` optimizer steps (within a time budget),
 * evaluates, and sends a frame, SV_FRAME_HZ times a second; paused, it sleeps
 * until the page asks for something and sends a keep-alive comment every
 * second, which is also how a closed tab is noticed: the write fails,
 * libmicrohttpd frees the response, and the run is removed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_internal.h"

#define STEP_BUDGET_S 0.035   /* training time per frame at most, so frames keep their rate */
#define KEEPALIVE_S 1.0

typedef struct stream {
    al_server *s;
    sv_run *r;
    al_buf out;
    size_t sent;
    double next_frame;
} stream;

static void wait_until(sv_run *r, double when)
{
    double now = sv_now();
    if (when <= now)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec + (when - now);
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - floor(t)) * 1e9);
    pthread_cond_timedwait(&r->wake, &r->lock, &ts);
}

/* One event: its name, its record on one data line, a blank line. An event
 * that cannot be built ends the stream (the page reconnects). */
static void event(stream *st, const char *name, void (*body)(stream *, al_json *))
{
    al_json rec;
    al_json_begin(&rec);
    body(st, &rec);
    al_buf_printf(&st->out, "event: %s\ndata: ", name);
    if (al_json_end(&rec, &st->out, NULL) != AL_OK)
        st->out.failed = 1;
    al_buf_append(&st->out, "\n", 1);
}

static void init_body(stream *st, al_json *rec)
{
    sv_frame_init(&st->r->m, st->r->id, st->r->error, rec);
}

static void frame_body(stream *st, al_json *rec)
{
    sv_frame_update(&st->r->m, st->r->playing, st->r->error, rec);
}

/* Trains for one frame: speed steps while playing, or the steps asked for. */
static void train(sv_run *r)
{
    long n = r->playing ? r->m.cfg.speed : r->pending_steps;
    double t0 = sv_now();
    al_error err = {0};
    for (long i = 0; i < n; i++) {
        if (sv_model_step(&r->m, &err) != AL_OK) {
            snprintf(r->error, sizeof r->error, "%s", err.message);
            r->playing = 0;
            r->pending_steps = 0;
            break;
        }
        if (!r->playing)
            r->pending_steps--;
        if (sv_now() - t0 > STEP_BUDGET_S)
            break;
    }
    sv_model_evaluate(&r->m);
}

/* Fills st->out with the next thing to send; 0 when the stream should end. */
static int produce(stream *st)
{
    sv_run *r = st->r;
    int alive = 1;
    pthread_mutex_lock(&r->lock);
    double keepalive = sv_now() + KEEPALIVE_S;
    for (;;) {
        if (atomic_load(&st->s->stopping) || atomic_load(&r->closed)) {
            alive = 0;
            break;
        }
        if (r->send_init) {
            r->send_init = 0;
            r->changed = 1;
            event(st, "init", init_body);
            break;
        }
        double now = sv_now();
        int training = r->m.net && !r->error[0] && (r->playing || r->pending_steps > 0);
        if (training && now >= st->next_frame) {
            train(r);
            st->next_frame = fmax(st->next_frame + 1.0 / SV_FRAME_HZ, now);
            r->changed = 0;
            event(st, "frame", frame_body);
            break;
        }
        if (r->changed) {
            r->changed = 0;
            event(st, "frame", frame_body);
            break;
        }
        if (now >= keepalive) {
            al_buf_printf(&st->out, ": keep-alive\n\n");
            break;
        }
        wait_until(r, training ? st->next_frame : keepalive);
    }
    pthread_mutex_unlock(&r->lock);
    return alive && !st->out.failed;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *st = cls;
    if (st->sent == st->out.len) {
        st->out.len = 0;
        st->sent = 0;
        if (st->out.data)
            st->out.data[0] = '\0';
        if (!produce(st))
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = st->out.len - st->sent;
    if (n > max)
        n = max;
    memcpy(buf, st->out.data + st->sent, n);
    st->sent += n;
    return (ssize_t)n;
}

static void finished(void *cls)
{
    stream *st = cls;
    al_server *s = st->s;
    pthread_mutex_lock(&s->lock);
    s->streams--;
    st->r->streaming = 0;
    pthread_mutex_unlock(&s->lock);
    sv_remove(s, st->r);      /* a closed tab stops its run */
    sv_release(s, st->r);
    al_buf_free(&st->out);
    free(st);
}

enum MHD_Result sv_stream_start(al_server *s, struct MHD_Connection *c, sv_run *r)
{
    pthread_mutex_lock(&s->lock);
    const char *refuse = NULL;
    unsigned code = 0;
    if (r->streaming) {
        refuse = "this run already has an event stream (one tab, one stream)";
        code = 409;
    } else if (s->streams >= s->o.max_streams) {
        refuse = "too many event streams are open; close a tab";
        code = 503;
    } else {
        r->streaming = 1;
        s->streams++;
    }
    pthread_mutex_unlock(&s->lock);
    if (refuse) {
        sv_release(s, r);
        return sv_reply_error(c, code, refuse);
    }
    stream *st = calloc(1, sizeof *st);
    struct MHD_Response *resp = NULL;
    if (st) {
        st->s = s;
        st->r = r;
        st->next_frame = sv_now();
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, st, finished);
    }
    if (!resp) {
        free(st);
        pthread_mutex_lock(&s->lock);
        s->streams--;
        r->streaming = 0;
        pthread_mutex_unlock(&s->lock);
        sv_release(s, r);
        return MHD_NO;
    }
    pthread_mutex_lock(&r->lock);
    r->send_init = 1;
    pthread_mutex_unlock(&r->lock);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp); /* the stream's reference is dropped in finished() */
    return ret;
}
