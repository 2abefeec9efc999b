/* The MPI job: joining it, and messages between ranks. This is the one file
 * that calls MPI; built without MPI (ACTLAB_HAVE_MPI unset) it knows only
 * whether a launcher started the process, so that it can say why it cannot
 * share the work. Every send is non-blocking and every receive polled (see
 * cluster_internal.h); MPI errors are returned, not fatal, so that a rank
 * can report what failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "study/cluster_internal.h"

#ifdef ACTLAB_HAVE_MPI
#include <limits.h>
#include <mpi.h>
#endif

al_cluster_options al_cluster_options_default(void)
{
    al_cluster_options o;
    memset(&o, 0, sizeof o);
    o.rank_timeout_s = 60;
    return o;
}

int al_cluster_supported(void)
{
#ifdef ACTLAB_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

/* A whole number from the environment, or -1. */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return *end == '\0' && x >= 0 ? x : -1;
}

int al_cluster_launched(int *rank)
{
    /* Open MPI's mpirun, then MPICH's and Slurm's PMI, then PMIx (srun --mpi=pmix) */
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    static const char *const ranks[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    long size = -1;
    for (int i = 0; sizes[i] && size < 0; i++)
        size = env_long(sizes[i]);
    if (size < 0 && env_long("PMIX_RANK") >= 0) {
        size = env_long("SLURM_STEP_NUM_TASKS");
        if (size < 0)
            size = env_long("SLURM_NTASKS");
    }
    if (size <= 0)
        return 0;
    long r = -1;
    for (int i = 0; i < 3 && r < 0; i++)
        r = env_long(ranks[i]);
    if (rank)
        *rank = r >= 0 && r < size ? (int)r : 0;
    return size > INT32_MAX ? INT32_MAX : (int)size;
}

#ifndef ACTLAB_HAVE_MPI

al_status al_cluster_start(const al_cluster_options *options, al_cluster **out, al_error *err)
{
    (void)options;
    *out = NULL;
    int n = al_cluster_launched(NULL);
    if (n > 1)
        return al_error_set(err, AL_ERR_INVALID, "started as one of %d MPI ranks, but this actlab was built without "
                            "MPI (no Open MPI found when it was configured), so every rank would run all the jobs on "
                            "its own; install libopenmpi-dev and rebuild, or run it without mpirun/srun", n);
    return AL_OK;
}

int al_cluster_rank(const al_cluster *c) { (void)c; return 0; }
int al_cluster_size(const al_cluster *c) { (void)c; return 1; }
void al_cluster_free(al_cluster *c) { (void)c; }

/* Without MPI no cluster exists, so the rest is never reached. */
long al_cluster_begin_round(al_cluster *c) { (void)c; return 0; }

al_status al_cluster_send(al_cluster *c, int to, int type, int64_t a, int64_t b, int64_t arg_c, const char *text,
                          size_t len, al_error *err)
{
    (void)c, (void)to, (void)type, (void)a, (void)b, (void)arg_c, (void)text, (void)len;
    return al_error_set(err, AL_ERR_INVALID, "this actlab was built without MPI");
}

int al_cluster_poll(al_cluster *c, al_cluster_msg *m, al_error *err)
{
    (void)c;
    memset(m, 0, sizeof *m);
    al_error_set(err, AL_ERR_INVALID, "this actlab was built without MPI");
    return -1;
}

void al_cluster_msg_free(al_cluster_msg *m) { free(m->text), memset(m, 0, sizeof *m); }
int al_cluster_sending(al_cluster *c, int to) { (void)c, (void)to; return 0; }
void al_cluster_set_dead(al_cluster *c, int rank) { (void)c, (void)rank; }
int al_cluster_is_dead(const al_cluster *c, int rank) { (void)c, (void)rank; return 0; }
void al_cluster_note_loss(al_cluster *c) { (void)c; }
int al_cluster_lost(const al_cluster *c) { (void)c; return 0; }
double al_cluster_timeout(const al_cluster *c) { (void)c; return 60; }
int al_cluster_local_size(const al_cluster *c) { (void)c; return 1; }

#else

#define TAG 4242
#define HEADER 5 /* int64 words: type, round, a, b, c */

typedef struct pending_send {
    MPI_Request request;
    int to;
    unsigned char *buf;
} pending_send;

struct al_cluster {
    int rank, size, local_size, owns_mpi;
    int lost;                  /* some rank was lost: MPI_Finalize would wait for it forever */
    double timeout;
    long round;
    unsigned char *dead;       /* per rank */
    pending_send *sends;
    size_t n_sends, cap_sends;
    al_cluster_msg *later;     /* received ahead of their round, in arrival order */
    size_t n_later, cap_later;
};

static al_status mpi_error(al_error *err, int code, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(code, text, &n) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", code);
    return al_error_set(err, AL_ERR_IO, "MPI: %s failed: %s", what, text);
}

al_status al_cluster_start(const al_cluster_options *options, al_cluster **out, al_error *err)
{
    *out = NULL;
    if (al_cluster_launched(NULL) == 0)
        return AL_OK;
    al_cluster_options o = options ? *options : al_cluster_options_default();
    if (!(o.rank_timeout_s > 0))
        return al_error_set_field(err, AL_ERR_INVALID, "cluster.rank_timeout_s", "the rank timeout must be above 0 "
                                  "seconds, got %g", o.rank_timeout_s);
    al_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    c->timeout = o.rank_timeout_s;
    int ready = 0, provided = 0, rc = MPI_Initialized(&ready);
    if (rc == MPI_SUCCESS && !ready) {
        /* worker threads (OpenMP) may run, but only this thread calls MPI */
        rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        c->owns_mpi = rc == MPI_SUCCESS;
    }
    if (rc != MPI_SUCCESS) {
        free(c);
        return al_error_set(err, AL_ERR_IO, "MPI could not start (MPI_Init failed with code %d)", rc);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    MPI_Comm local;
    c->local_size = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_size(local, &c->local_size);
        MPI_Comm_free(&local);
    }
    c->dead = calloc((size_t)c->size, 1);
    if (!c->dead) {
        al_cluster_free(c);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return AL_OK;
}

int al_cluster_rank(const al_cluster *c) { return c ? c->rank : 0; }
int al_cluster_size(const al_cluster *c) { return c ? c->size : 1; }
double al_cluster_timeout(const al_cluster *c) { return c->timeout; }
int al_cluster_local_size(const al_cluster *c) { return c->local_size; }
long al_cluster_begin_round(al_cluster *c) { return ++c->round; }
int al_cluster_is_dead(const al_cluster *c, int rank) { return rank >= 0 && rank < c->size && c->dead[rank]; }
void al_cluster_note_loss(al_cluster *c) { c->lost = 1; }
int al_cluster_lost(const al_cluster *c) { return c->lost; }

void al_cluster_msg_free(al_cluster_msg *m)
{
    free(m->text);
    memset(m, 0, sizeof *m);
}

/* Completed sends are released (in order, so a rank's messages stay in sequence in the list). */
static void progress_sends(al_cluster *c)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->n_sends; i++) {
        int done = 0;
        if (MPI_Test(&c->sends[i].request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            done = 1; /* a failed send is over too: the receiver's timeout notices what is missing */
        if (done)
            free(c->sends[i].buf);
        else
            c->sends[kept++] = c->sends[i];
    }
    c->n_sends = kept;
}

static void drop_send(pending_send *s)
{
    /* a message to a dead rank can never be received: cancel it so that MPI lets go of it */
    MPI_Cancel(&s->request);
    MPI_Request_free(&s->request);
    free(s->buf);
}

void al_cluster_set_dead(al_cluster *c, int rank)
{
    if (rank < 0 || rank >= c->size)
        return;
    c->dead[rank] = 1;
    c->lost = 1;
    size_t kept = 0;
    for (size_t i = 0; i < c->n_sends; i++) {
        if (c->sends[i].to == rank)
            drop_send(&c->sends[i]);
        else
            c->sends[kept++] = c->sends[i];
    }
    c->n_sends = kept;
}

int al_cluster_sending(al_cluster *c, int to)
{
    progress_sends(c);
    for (size_t i = 0; i < c->n_sends; i++)
        if (c->sends[i].to == to)
            return 1;
    return 0;
}

al_status al_cluster_send(al_cluster *c, int to, int type, int64_t a, int64_t b, int64_t arg_c, const char *text,
                          size_t len, al_error *err)
{
    size_t bytes = HEADER * sizeof(int64_t) + len;
    if (bytes > INT_MAX)
        return al_error_set(err, AL_ERR_NOMEM, "a message of %zu bytes to rank %d is too large for MPI", bytes, to);
    if (c->n_sends == c->cap_sends) {
        size_t cap = c->cap_sends ? 2 * c->cap_sends : 16;
        pending_send *grown = realloc(c->sends, cap * sizeof *grown);
        if (!grown)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory");
        c->sends = grown;
        c->cap_sends = cap;
    }
    unsigned char *buf = malloc(bytes);
    if (!buf)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory for a message of %zu bytes", bytes);
    int64_t head[HEADER] = {type, c->round, a, b, arg_c};
    memcpy(buf, head, sizeof head);
    if (len)
        memcpy(buf + sizeof head, text, len);
    pending_send *s = &c->sends[c->n_sends];
    int rc = MPI_Isend(buf, (int)bytes, MPI_BYTE, to, TAG, MPI_COMM_WORLD, &s->request);
    if (rc != MPI_SUCCESS) {
        free(buf);
        return mpi_error(err, rc, "sending to another rank");
    }
    s->to = to;
    s->buf = buf;
    c->n_sends++;
    progress_sends(c);
    return AL_OK;
}

static int defer(al_cluster *c, al_cluster_msg *m)
{
    if (c->n_later == c->cap_later) {
        size_t cap = c->cap_later ? 2 * c->cap_later : 8;
        al_cluster_msg *grown = realloc(c->later, cap * sizeof *grown);
        if (!grown)
            return 0;
        c->later = grown;
        c->cap_later = cap;
    }
    c->later[c->n_later++] = *m;
    memset(m, 0, sizeof *m);
    return 1;
}

int al_cluster_poll(al_cluster *c, al_cluster_msg *m, al_error *err)
{
    memset(m, 0, sizeof *m);
    progress_sends(c);
    for (size_t i = 0; i < c->n_later; i++)
        if (c->later[i].round <= c->round) {
            *m = c->later[i];
            memmove(&c->later[i], &c->later[i + 1], (c->n_later - i - 1) * sizeof *c->later);
            c->n_later--;
            return 1;
        }
    for (;;) {
        int flag = 0, count = 0;
        MPI_Status status;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, TAG, MPI_COMM_WORLD, &flag, &status);
        if (rc != MPI_SUCCESS)
            return mpi_error(err, rc, "waiting for messages"), -1;
        if (!flag)
            return 0;
        MPI_Get_count(&status, MPI_BYTE, &count);
        size_t bytes = count > 0 ? (size_t)count : 0;
        unsigned char *buf = malloc(bytes + 1);
        if (!buf)
            return al_error_set(err, AL_ERR_NOMEM, "out of memory for a message of %zu bytes", bytes), -1;
        rc = MPI_Recv(buf, count, MPI_BYTE, status.MPI_SOURCE, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || bytes < HEADER * sizeof(int64_t)) {
            free(buf);
            if (rc != MPI_SUCCESS)
                return mpi_error(err, rc, "receiving a message"), -1;
            continue; /* not one of ours */
        }
        int64_t head[HEADER];
        memcpy(head, buf, sizeof head);
        m->from = status.MPI_SOURCE;
        m->type = (int)head[0];
        m->round = (long)head[1];
        m->a = head[2];
        m->b = head[3];
        m->c = head[4];
        m->len = bytes - sizeof head;
        memmove(buf, buf + sizeof head, m->len);
        buf[m->len] = '\0';
        m->text = (char *)buf;
        if (m->round <= c->round)
            return 1;
        if (!defer(c, m)) {
            al_cluster_msg_free(m);
            return al_error_set(err, AL_ERR_NOMEM, "out of memory"), -1;
        }
    }
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void al_cluster_free(al_cluster *c)
{
    if (!c)
        return;
    /* let the last messages go (a receiver that is gone is given up after the timeout); whatever
     * arrives meanwhile is taken and dropped, so that a rank sending to this one is not held up */
    double until = now_seconds() + c->timeout;
    while (c->n_sends > 0 && now_seconds() < until) {
        al_cluster_msg m;
        if (al_cluster_poll(c, &m, NULL) == 1)
            al_cluster_msg_free(&m);
        else {
            struct timespec pause = {0, 2000000};
            nanosleep(&pause, NULL);
        }
    }
    for (size_t i = 0; i < c->n_sends; i++)
        drop_send(&c->sends[i]);
    for (size_t i = 0; i < c->n_later; i++)
        al_cluster_msg_free(&c->later[i]);
    /* after a rank was lost MPI_Finalize (a fence over every rank in Open MPI 4.1) would never return; the
     * launcher that let the others run on (--enable-recovery) lets them leave without it */
    if (c->owns_mpi && !c->lost)
        MPI_Finalize();
    free(c->sends);
    free(c->later);
    free(c->dead);
    free(c);
}

#endif
