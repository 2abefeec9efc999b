/* A batch of compare jobs shared among MPI ranks (cluster.h). Every rank
 * runs the same program on the same data, so every rank reaches the same
 * batches in the same order: each batch is one round. In a round rank 0
 * hands out jobs one at a time as ranks ask for them (a rank asks once per
 * free worker, and again with each result), runs jobs itself in its own
 * workers, saves every result in its folder and, when all are in, sends the
 * lot back to every rank, so that all go on with the same numbers.
 *
 * Jobs run in worker processes as without MPI (runner.c): a job that
 * crashes or fails is reported failed and the others go on. A rank that
 * holds jobs sends a heartbeat; one silent for the rank timeout is taken as
 * dead and its jobs go back to the queue (only reachable when the launcher
 * lets the others run on: by default Open MPI stops the whole job when a
 * rank dies, and every job that finished is already in a job file for the
 * re-run). A rank's comparison must be rank 0's: the ranks compare a hash of
 * every job key (data, model, options) when they join a round. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "study/cluster_internal.h"
#include "study/compare_internal.h"

enum {
    MSG_READY = 1, /* rank -> 0: joined the round; a, b: fingerprint; c: its workers (as many job requests) */
    MSG_JOB,       /* 0 -> rank: run job a */
    MSG_RESULT,    /* rank -> 0: job a's text (b 1: finished or diverged; 0: failed, text is why); c 1: wants another */
    MSG_HEARTBEAT, /* rank -> 0: still there */
    MSG_DONE,      /* 0 -> rank: the round is over; a: its status; b: 1 once a rank was lost; text: message
                    * NUL, then each job's text NUL */
    MSG_EXPEL      /* 0 -> rank: taken as dead, its jobs went to others; text: why */
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void nap(void)
{
    struct timespec pause = {0, 5000000};
    nanosleep(&pause, NULL);
}

/* How often a rank in a round says it is alive. */
static double heartbeat_every(const al_cluster *cl)
{
    double h = al_cluster_timeout(cl) / 6;
    return h < 0.05 ? 0.05 : h > 10 ? 10 : h;
}

/* What every rank must agree on: the jobs of the round, by their keys. */
static void fingerprint(const al_compare *c, const al_job_spec *specs, size_t total, int tuning, uint64_t fp[2])
{
    fp[0] = 0x452821E638D01377ULL;
    fp[1] = 0xBE5466CF34E90C6CULL;
    uint64_t head[2] = {total, (uint64_t)tuning};
    al_compare_hash(fp, head, sizeof head);
    char *key = malloc(AL_COMPARE_KEY_BYTES);
    for (size_t i = 0; key && i < total; i++) {
        const al_job_spec *j = &specs[i];
        al_compare_job_key(c, j->arm, j->seed_index, j->tuning, j->lr_index, key, AL_COMPARE_KEY_BYTES);
        al_compare_hash(fp, key, strlen(key));
    }
    free(key);
}

/* ---- rank 0 ---- */

typedef struct peer {
    int joined;       /* its READY for this round came */
    size_t waiting;   /* its requests not yet answered with a job */
    size_t held;      /* jobs it is running */
    double heard;     /* when its last message came */
    int told;         /* the round's end was sent to it */
    int other;        /* it runs another comparison: it is told so instead of the results */
} peer;

typedef struct lead_state {
    al_compare *c;
    al_cluster *cl;
    al_job_spec *specs;
    size_t total, pending, finished;
    int tuning, workers, stopping;
    uint64_t fp[2];
    peer *peers;
    int *owner;               /* per spec: the rank running it, or -1 */
    unsigned char *done;      /* per spec: its result is final */
    pid_t *pids;              /* per spec: its local worker */
    size_t running;           /* local workers */
    size_t *queue, head, tail; /* jobs to hand out, in [head, tail) of 2 * total slots */
    al_status fatal;          /* an error that ends the round for every rank */
    al_error *err;
} lead_state;

static int queue_pop(lead_state *s, size_t *k)
{
    while (s->head < s->tail) {
        size_t j = s->queue[s->head++];
        if (!s->done[j]) {
            *k = j;
            return 1;
        }
    }
    return 0;
}

static void finish(lead_state *s, size_t k, int rank)
{
    s->done[k] = 1;
    s->finished++;
    const al_job_spec *j = &s->specs[k];
    al_progress_event ev = al_compare_job_event(s->c, j->result->done ? AL_PROGRESS_JOB_FINISHED
                                                                       : AL_PROGRESS_JOB_FAILED,
                                                j, s->finished, s->pending, rank);
    al_compare_report(s->c, &ev);
}

static void fail_round(lead_state *s, al_status st)
{
    if (s->fatal == AL_OK)
        s->fatal = st;
    s->stopping = 1;
}

static void started(lead_state *s, size_t k, int rank)
{
    al_progress_event ev = al_compare_job_event(s->c, AL_PROGRESS_JOB_STARTED, &s->specs[k], s->finished,
                                                s->pending, rank);
    al_compare_report(s->c, &ev);
}

/* Hands out what can be handed out: to this rank's free workers, then to the requests waiting. */
static int hand_out(lead_state *s)
{
    int busy = 0;
    size_t k;
    while (!s->stopping && s->running < (size_t)s->workers && queue_pop(s, &k)) {
        started(s, k, 0);
        pid_t pid = al_compare_fork_job(s->c, &s->specs[k], s->err);
        if (pid < 0) {
            s->queue[--s->head] = k;
            fail_round(s, s->err->status);
            return 1;
        }
        s->pids[k] = pid;
        s->owner[k] = 0;
        s->running++;
        busy = 1;
    }
    for (int r = 1; r < al_cluster_size(s->cl); r++) {
        peer *p = &s->peers[r];
        while (!s->stopping && p->waiting > 0 && !al_cluster_is_dead(s->cl, r) && queue_pop(s, &k)) {
            if (al_cluster_send(s->cl, r, MSG_JOB, (int64_t)k, 0, 0, NULL, 0, s->err) != AL_OK) {
                s->queue[--s->head] = k;
                fail_round(s, s->err->status);
                return 1;
            }
            p->waiting--;
            p->held++;
            s->owner[k] = r;
            started(s, k, r);
            busy = 1;
        }
    }
    return busy;
}

static int reap(lead_state *s)
{
    int busy = 0, status;
    pid_t pid;
    while (s->running > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
        size_t k = al_compare_reaped(s->pids, s->total, pid);
        if (k == s->total)
            continue;
        s->owner[k] = -1;
        s->running--;
        busy = 1;
        if (!s->done[k]) {
            al_compare_job_ended(s->c, &s->specs[k], status);
            finish(s, k, 0);
        }
    }
    return busy;
}

/* A result from rank `from`: taken when the job is still open (a job is
 * deterministic, so a result from a rank taken for dead is as good), and
 * saved here unless the folder already holds it (a shared one does). */
static void take_result(lead_state *s, const al_cluster_msg *m)
{
    size_t k = (size_t)m->a;
    const al_job_spec *j = &s->specs[k];
    if (m->b == 1) {
        al_job_result on_disk;
        memset(&on_disk, 0, sizeof on_disk);
        al_error e = {0};
        if (al_compare_job_parse(s->c, j, m->text, j->result) != 1) {
            char why[160];
            snprintf(why, sizeof why, "rank %d sent a result that does not read as this job's", m->from);
            al_compare_job_fail(s->c, j, why);
        } else if (!al_compare_job_load(s->c, j, &on_disk) && al_compare_job_save(s->c, j, j->result, &e) != AL_OK) {
            char why[sizeof j->result->error];
            snprintf(why, sizeof why, "finished on rank %d but not saved by rank 0: %.400s", m->from, e.message);
            al_compare_job_fail(s->c, j, why);
        }
        al_job_result_free(&on_disk);
    } else
        al_compare_job_fail(s->c, j, m->text);
    finish(s, k, m->from);
}

static al_status other_error(al_error *err, int rank)
{
    return al_error_set(err, AL_ERR_INVALID, "rank %d runs another comparison than rank 0 (a different job list: "
                        "its data, model or options differ); every rank must run the same command on the same data",
                        rank);
}

static void handle(lead_state *s, const al_cluster_msg *m, long round)
{
    if (m->from <= 0 || m->from >= al_cluster_size(s->cl) || m->round != round)
        return; /* a message of a round already over */
    peer *p = &s->peers[m->from];
    int dead = al_cluster_is_dead(s->cl, m->from);
    p->heard = now_seconds();
    if (m->type == MSG_READY && !dead) {
        p->joined = 1;
        if ((uint64_t)m->a != s->fp[0] || (uint64_t)m->b != s->fp[1]) {
            p->other = 1;
            if (!s->stopping) { /* the round is still on: it ends, for all, with this error */
                other_error(s->err, m->from);
                fail_round(s, AL_ERR_INVALID);
            }
        } else
            p->waiting += m->c > 0 ? (size_t)m->c : 0;
    } else if (m->type == MSG_RESULT && m->a >= 0 && (size_t)m->a < s->total) {
        size_t k = (size_t)m->a;
        if (s->owner[k] == m->from) {
            s->owner[k] = -1;
            p->held--;
        }
        if (m->c && !dead)
            p->waiting++;
        if (!s->done[k])
            take_result(s, m);
    }
}

/* A rank that fell silent: taken as dead, its jobs back to the front of the queue. */
static void lose(lead_state *s, int r)
{
    peer *p = &s->peers[r];
    char why[256];
    snprintf(why, sizeof why, "no word from rank %d for %.0f s; taken as dead, its %zu running job%s go%s to the "
             "other ranks", r, al_cluster_timeout(s->cl), p->held, p->held == 1 ? "" : "s", p->held == 1 ? "es" : "");
    al_cluster_set_dead(s->cl, r);
    al_cluster_send(s->cl, r, MSG_EXPEL, 0, 0, 0, why, strlen(why) + 1, NULL);
    for (size_t k = 0; k < s->total; k++)
        if (s->owner[k] == r && !s->done[k]) {
            s->owner[k] = -1;
            s->queue[--s->head] = k;
        }
    p->held = p->waiting = 0;
    al_progress_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = AL_PROGRESS_RANK_LOST;
    ev.rank = r;
    ev.error = why;
    al_compare_report(s->c, &ev);
}

/* Polls messages and checks the silent ranks: 1 when something happened. */
static int listen(lead_state *s, long round)
{
    int busy = 0;
    al_cluster_msg m;
    int got;
    while ((got = al_cluster_poll(s->cl, &m, s->err)) == 1) {
        handle(s, &m, round);
        al_cluster_msg_free(&m);
        busy = 1;
    }
    if (got < 0)
        fail_round(s, s->err->status);
    double now = now_seconds();
    for (int r = 1; r < al_cluster_size(s->cl); r++) {
        peer *p = &s->peers[r];
        /* a rank is watched from its joining the round until it has the round's end */
        int in_round = p->joined && (!p->told || al_cluster_sending(s->cl, r));
        if (in_round && !al_cluster_is_dead(s->cl, r) && now - p->heard > al_cluster_timeout(s->cl)) {
            lose(s, r);
            busy = 1;
        }
    }
    return busy;
}

/* The round's end for every rank: status, message, then every job's text. */
static al_status done_message(lead_state *s, al_status status, al_buf *b)
{
    const char *message = status != AL_OK ? s->err->message : "";
    al_buf_append(b, message, strlen(message) + 1);
    for (size_t k = 0; k < s->total; k++) {
        char *text = al_compare_job_text(s->c, &s->specs[k], s->specs[k].result);
        if (!text)
            return al_error_set(s->err, AL_ERR_NOMEM, "out of memory");
        al_buf_append(b, text, strlen(text) + 1);
        free(text);
    }
    return b->failed ? al_error_set(s->err, AL_ERR_NOMEM, "out of memory") : AL_OK;
}

/* Waits for every live rank to join the round and sends each how it ended. */
static al_status end_round(lead_state *s, long round, al_status status)
{
    al_buf b = {0};
    al_status built = done_message(s, status, &b);
    if (built != AL_OK)
        status = built;
    int size = al_cluster_size(s->cl);
    for (;;) {
        int waiting = 0, busy = 0;
        for (int r = 1; r < size; r++) {
            peer *p = &s->peers[r];
            if (al_cluster_is_dead(s->cl, r))
                continue;
            if (!p->joined)
                waiting = 1;
            else if (!p->told) {
                al_status st = AL_ERR_NOMEM;
                if (p->other) {
                    al_error e = {0};
                    other_error(&e, r);
                    st = al_cluster_send(s->cl, r, MSG_DONE, AL_ERR_INVALID, 0, 0, e.message, strlen(e.message) + 1,
                                         s->err);
                } else if (built == AL_OK)
                    st = al_cluster_send(s->cl, r, MSG_DONE, status, al_cluster_lost(s->cl), 0, b.data, b.len,
                                         s->err);
                if (st != AL_OK) /* the rank cannot be told the results: it is lost to the run */
                    al_cluster_set_dead(s->cl, r);
                p->told = 1;
                busy = 1;
            } else if (al_cluster_sending(s->cl, r))
                waiting = 1;
        }
        if (!waiting)
            break;
        /* results still arriving (from ranks taken for dead, or duplicates) change nothing now */
        s->stopping = 1;
        busy |= listen(s, round);
        if (!busy)
            nap();
    }
    al_buf_free(&b);
    return status;
}

static al_status lead(lead_state *s, long round)
{
    al_progress_event plan = al_compare_plan_event(s->c, s->total, s->pending, s->workers, s->tuning);
    al_compare_report(s->c, &plan);
    while (s->finished < s->pending) {
        size_t in_flight = s->running;
        for (int r = 1; r < al_cluster_size(s->cl); r++)
            in_flight += s->peers[r].held;
        if (!s->stopping && al_compare_stop_requested(s->c))
            s->stopping = 1;
        if (s->stopping && in_flight == 0)
            break;
        int busy = hand_out(s);
        busy |= reap(s);
        busy |= listen(s, round);
        if (!busy)
            nap();
    }
    al_status st = s->fatal;
    if (st == AL_OK && s->finished < s->pending)
        st = al_compare_stopped(s->c, s->total - s->pending + s->finished, s->total, s->tuning, s->err);
    return end_round(s, round, st);
}

static al_status run_lead(al_compare *c, al_job_spec *specs, size_t total, const size_t *todo, size_t pending,
                          int tuning, long round, al_error *err)
{
    lead_state s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.cl = c->o.cluster;
    s.specs = specs;
    s.total = total;
    s.pending = pending;
    s.tuning = tuning;
    s.workers = al_compare_workers(c);
    s.err = err;
    fingerprint(c, specs, total, tuning, s.fp);
    s.peers = calloc((size_t)al_cluster_size(s.cl), sizeof *s.peers);
    s.owner = malloc((total + 1) * sizeof *s.owner);
    s.done = calloc(total + 1, 1);
    s.pids = calloc(total + 1, sizeof *s.pids);
    s.queue = malloc((2 * total + 1) * sizeof *s.queue);
    al_status st = AL_OK;
    if (!s.peers || !s.owner || !s.done || !s.pids || !s.queue)
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    if (st == AL_OK) {
        for (size_t k = 0; k < total; k++) {
            s.owner[k] = -1;
            s.done[k] = 1;
        }
        s.head = s.tail = total;
        for (size_t i = 0; i < pending; i++) {
            s.done[todo[i]] = 0;
            s.queue[s.tail++] = todo[i];
        }
        double now = now_seconds();
        for (int r = 0; r < al_cluster_size(s.cl); r++)
            s.peers[r].heard = now;
        st = lead(&s, round);
    }
    for (size_t k = 0; s.pids && k < total; k++)
        if (s.pids[k] > 0) {
            int status;
            waitpid(s.pids[k], &status, 0);
        }
    free(s.peers);
    free(s.owner);
    free(s.done);
    free(s.pids);
    free(s.queue);
    return st;
}

/* ---- the other ranks ---- */

/* Every job's result from rank 0's end-of-round message. */
static al_status read_done(al_compare *c, al_job_spec *specs, size_t total, const al_cluster_msg *m, al_error *err)
{
    const char *p = m->text, *end = m->text + m->len;
    al_status status = (al_status)m->a;
    if (status != AL_OK) /* the results are not used: the run ends with rank 0's error */
        return al_error_set(err, status, "%s", p);
    p += strlen(p) + 1;
    for (size_t k = 0; k < total; k++) {
        if (p >= end)
            return al_error_set(err, AL_ERR_FORMAT, "rank 0's results end after %zu of %zu jobs", k, total);
        if (al_compare_job_parse(c, &specs[k], p, specs[k].result) < 0)
            return al_error_set(err, AL_ERR_FORMAT, "rank 0's result of job %zu does not read", k);
        p += strlen(p) + 1;
    }
    return AL_OK;
}

/* The result of job k, finished in this rank's worker, to rank 0 (and a request for another unless stopping). */
static al_status send_result(al_compare *c, const al_job_spec *j, size_t k, int ok, int more, al_error *err)
{
    al_cluster *cl = c->o.cluster;
    char *text = ok ? al_compare_job_text(c, j, j->result) : strdup(j->result->error);
    if (!text)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_status st = al_cluster_send(cl, 0, MSG_RESULT, (int64_t)k, ok, more, text, strlen(text), err);
    free(text);
    return st;
}

static al_status run_follow(al_compare *c, al_job_spec *specs, size_t total, int tuning, long round, al_error *err)
{
    al_cluster *cl = c->o.cluster;
    int workers = al_compare_workers(c);
    uint64_t fp[2];
    fingerprint(c, specs, total, tuning, fp);
    pid_t *pids = calloc(total + 1, sizeof *pids);
    if (!pids)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    size_t running = 0;
    int stopping = 0, over = 0;
    al_status st = al_cluster_send(cl, 0, MSG_READY, (int64_t)fp[0], (int64_t)fp[1], workers, NULL, 0, err);
    double beat = now_seconds(), every = heartbeat_every(cl);
    while (st == AL_OK && !over) {
        int busy = 0, status;
        stopping = stopping || al_compare_stop_requested(c);
        pid_t pid;
        while (st == AL_OK && running > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
            size_t k = al_compare_reaped(pids, total, pid);
            if (k == total)
                continue;
            running--;
            int ok = al_compare_job_ended(c, &specs[k], status);
            st = send_result(c, &specs[k], k, ok, !stopping, err);
            busy = 1;
        }
        al_cluster_msg m;
        int got;
        while (st == AL_OK && !over && (got = al_cluster_poll(cl, &m, err)) != 0) {
            if (got < 0) {
                st = err->status;
                break;
            }
            busy = 1;
            if (m.from != 0 || m.round != round) {
                al_cluster_msg_free(&m);
                continue;
            }
            if (m.type == MSG_JOB && m.a >= 0 && (size_t)m.a < total && pids[m.a] == 0) {
                al_error e = {0};
                pid_t w = al_compare_fork_job(c, &specs[m.a], &e);
                if (w > 0) {
                    pids[m.a] = w;
                    running++;
                } else {
                    char why[sizeof specs[0].result->error];
                    snprintf(why, sizeof why, "rank %d: %.400s", al_cluster_rank(cl), e.message);
                    al_compare_job_fail(c, &specs[m.a], why);
                    st = send_result(c, &specs[m.a], (size_t)m.a, 0, 0, err);
                }
            } else if (m.type == MSG_DONE) {
                if (m.b)
                    al_cluster_note_loss(cl);
                st = read_done(c, specs, total, &m, err);
                over = 1;
            } else if (m.type == MSG_EXPEL) {
                al_cluster_note_loss(cl);
                st = al_error_set(err, AL_ERR_IO, "rank %d: rank 0 stopped waiting for this rank (%s)",
                                  al_cluster_rank(cl), m.text);
                over = 1;
            }
            al_cluster_msg_free(&m);
        }
        if (st == AL_OK && !over && now_seconds() - beat >= every) {
            st = al_cluster_send(cl, 0, MSG_HEARTBEAT, 0, 0, 0, NULL, 0, err);
            beat = now_seconds();
        }
        if (!busy)
            nap();
    }
    /* on an error or when taken for dead, this rank's jobs are someone else's now */
    for (size_t k = 0; k < total; k++)
        if (pids[k] > 0) {
            kill(pids[k], SIGKILL);
            waitpid(pids[k], NULL, 0);
        }
    free(pids);
    return st;
}

al_status al_compare_run_cluster(al_compare *c, al_job_spec *specs, size_t total, const size_t *todo, size_t pending,
                                 int tuning, al_error *err)
{
    long round = al_cluster_begin_round(c->o.cluster);
    if (al_cluster_rank(c->o.cluster) == 0)
        return run_lead(c, specs, total, todo, pending, tuning, round, err);
    return run_follow(c, specs, total, tuning, round, err);
}
