/* The HTTP side of the playground: the server, its table of runs and the
 * event streams (server.c, stream.c, api.c). */
#ifndef ACTLAB_SERVER_INTERNAL_H
#define ACTLAB_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "actlab/rng.h"
#include "serve_internal.h"

/* A browser tab's run: the model plus what the page asked of it. */
typedef struct sv_run {
    char id[17];
    /* guarded by the server's lock */
    int refs;                    /* the table's reference plus one per request using it */
    int streaming;
    atomic_int closed;           /* out of the table: its stream ends */
    double created;
    /* the rest is guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int playing;
    long pending_steps;
    int send_init, changed;      /* an init event is due; a frame is due */
    char error[AL_ERROR_MESSAGE_BYTES]; /* training stopped on this ("" if none) */
    sv_model m;
} sv_run;

struct al_server {
    struct MHD_Daemon *daemon;
    al_serve_options o;
    int port, loopback;
    pthread_mutex_t lock;
    sv_run **runs;               /* max_runs slots */
    int streams;
    long requests;
    atomic_int stopping;
    al_rng rng;                  /* run ids */
    sv_fashion fashion;
};

/* Seconds on the monotonic clock. */
double sv_now(void);

/* Frees a run nobody references any more (its model too). */
void sv_run_free(sv_run *r);
/* The run with this id, with a reference taken (NULL if none). */
sv_run *sv_acquire(al_server *s, const char *id);
/* Drops a reference; the last one frees the run. */
void sv_release(al_server *s, sv_run *r);
/* Takes the run out of the table (its stream ended or it was closed). */
void sv_remove(al_server *s, sv_run *r);

/* Answers with a body (copied) of this type. */
enum MHD_Result sv_reply(struct MHD_Connection *c, unsigned code, const char *type, const char *body,
                         size_t len, const char *filename);
/* Answers with the record (freed) as a compact JSON body (SV_JSON_DIGITS
 * unless the record set its own). */
enum MHD_Result sv_reply_json(struct MHD_Connection *c, unsigned code, al_json *rec);
/* Answers with an error object {"error": message}. */
enum MHD_Result sv_reply_error(struct MHD_Connection *c, unsigned code, const char *message);
/* The HTTP status for a failed call: 400 for bad input, 503 for missing
 * resources (memory, Fashion-MNIST files). */
unsigned sv_status_code(al_status st);

/* GET /api/runs/ID/events: the Server-Sent Events stream that trains the run. */
enum MHD_Result sv_stream_start(al_server *s, struct MHD_Connection *c, sv_run *r);

/* /api/... requests (api.c); body is the whole request body. */
enum MHD_Result sv_api(al_server *s, struct MHD_Connection *c, const char *method, const char *url,
                       const char *body, size_t len);

#endif
