/* The playground server (`actlab serve`): one page and a small JSON API over
 * HTTP (libmicrohttpd), training in the server on the native kernels, each
 * browser tab's run streamed to it over Server-Sent Events. Every parameter
 * the page sends is validated and bounded; a closed stream stops its run.
 * The API is documented in docs/playground.md. */
#ifndef ACTLAB_SERVE_H
#define ACTLAB_SERVE_H

#include <stddef.h>

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct al_serve_options {
    const char *host;          /* address to listen on: "127.0.0.1" (IPv4 or IPv6 literal) */
    int port;                  /* 8080; 0 picks a free port (see al_server_port) */
    int max_runs;              /* runs alive at once, over all tabs (16) */
    int max_streams;           /* open event streams (16) */
    int max_connections;       /* HTTP connections, each served by its own thread (80) */
    const char *fashion_dir;   /* Fashion-MNIST files; NULL: AL_FASHION_MNIST_DIR */
} al_serve_options;

/* 127.0.0.1:8080, 16 runs, 16 streams, 80 connections. */
al_serve_options al_serve_options_default(void);

typedef struct al_server al_server;

/* Checks the options, binds the address and starts serving in background
 * threads; allocates the server (free it with al_server_stop). */
al_status al_server_start(const al_serve_options *options, al_server **out, al_error *err);
/* The port the server listens on (the chosen one when options.port was 0). */
int al_server_port(const al_server *server);

/* What the server holds right now. */
typedef struct al_server_stats {
    int runs, streams;
    long requests;             /* HTTP requests answered since the start */
} al_server_stats;

al_server_stats al_server_get_stats(al_server *server);

/* Stops every run, closes every connection and frees the server; NULL is fine. */
void al_server_stop(al_server *server);

#ifdef __cplusplus
}
#endif
#endif
