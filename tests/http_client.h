/* A small HTTP/1.0 client over loopback for tests/test_serve.c: one request
 * per connection, and a Server-Sent Events reader (HTTP/1.0, so the stream
 * comes without chunked framing). Set `port` before the first request. */
#ifndef ACTLAB_TEST_HTTP_CLIENT_H
#define ACTLAB_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The first blank line ("\n\n") in buf[0..len), or NULL. */
static char *find_blank_line(char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return buf + i;
    return NULL;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        data += w;
        n -= (size_t)w;
    }
}

typedef struct response {
    int status;
    char *body;        /* NUL-terminated */
    size_t len;
} response;

/* One HTTP/1.0 request; headers may be NULL (then JSON for a body). */
static response request(const char *method, const char *path, const char *body, const char *headers)
{
    response r = {0, NULL, 0};
    int fd = connect_server();
    if (fd < 0)
        return r;
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    snprintf(head, sizeof head, "%s %s HTTP/1.0\r\n%sContent-Length: %zu\r\n\r\n", method, path,
             headers ? headers : "Host: 127.0.0.1\r\nContent-Type: application/json\r\n", blen);
    send_all(fd, head, strlen(head));
    if (body)
        send_all(fd, body, blen);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &r.status) != 1 || !sep) {
        free(buf);
        r.status = 0;
        return r;
    }
    size_t skip = (size_t)(sep + 4 - buf);
    memmove(buf, buf + skip, len - skip + 1);
    r.body = buf;
    r.len = len - skip;
    return r;
}

static response post(const char *path, const char *body) { return request("POST", path, body, NULL); }
static response get(const char *path) { return request("GET", path, NULL, NULL); }

/* ---- the event stream (HTTP/1.0, so no chunked framing) ---- */
typedef struct sse {
    int fd;
    char *buf;
    size_t len, cap;
} sse;

static int sse_open(sse *s, const char *id)
{
    memset(s, 0, sizeof *s);
    s->fd = connect_server();
    if (s->fd < 0)
        return -1;
    char head[256];
    snprintf(head, sizeof head, "GET /api/runs/%s/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", id);
    send_all(s->fd, head, strlen(head));
    s->cap = 1 << 20;
    s->buf = malloc(s->cap);
    return 0;
}

static void sse_close(sse *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    s->fd = -1;
    s->buf = NULL;
}

/* The next event within timeout_s: its name and data (JSON, to decref), or 0. */
static int sse_next(sse *s, double timeout_s, char name[32], json_t **data)
{
    double end = now_s() + timeout_s;
    for (;;) {
        char *sep = find_blank_line(s->buf, s->len);
        if (sep) {
            size_t n = (size_t)(sep - s->buf) + 2;
            *sep = '\0';
            char *ev = strstr(s->buf, "event: "), *dt = strstr(s->buf, "data: ");
            int got = 0;
            if (ev && dt) {
                sscanf(ev + 7, "%31[^\n]", name);
                *data = json_loads(dt + 6, 0, NULL);
                got = 1;
            }
            memmove(s->buf, s->buf + n, s->len - n);
            s->len -= n;
            if (got)
                return 1;
            continue;
        }
        double left = end - now_s();
        struct pollfd p = {s->fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            return 0;
        if (s->len == s->cap)
            return 0;
        ssize_t r = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
        if (r <= 0)
            return 0;
        s->len += (size_t)r;
    }
}

#endif
