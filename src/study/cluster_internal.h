/* Private to the study folder: the messages ranks exchange (cluster.c, the
 * only file that calls MPI) as the compare runner uses them
 * (runner_cluster.c). Sends never wait; receives are polled, so a rank's
 * loop can watch its worker processes between messages and no rank spins
 * in a blocking MPI call. Each message belongs to a round (one batch of
 * jobs): a message of a later round than the receiver's is held back until
 * the receiver gets there. */
#ifndef ACTLAB_STUDY_CLUSTER_INTERNAL_H
#define ACTLAB_STUDY_CLUSTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/cluster.h"

/* One received message: three integer arguments and a text. */
typedef struct al_cluster_msg {
    int from;                 /* the sender's rank */
    int type;
    long round;
    int64_t a, b, c;
    char *text;               /* NUL-terminated payload (owned; "" when none) */
    size_t len;               /* its bytes, the NUL not counted */
} al_cluster_msg;

/* Starts the next round and returns its number (the same on every rank,
 * since every rank runs the same rounds in the same order). */
long al_cluster_begin_round(al_cluster *c);

/* Queues a message to rank `to` (the text, len bytes, is copied; may be
 * NULL). It travels while the caller polls. */
al_status al_cluster_send(al_cluster *c, int to, int type, int64_t a, int64_t b, int64_t arg_c, const char *text,
                          size_t len, al_error *err);

/* Receives one message of this round or an earlier one into *m (free it
 * with al_cluster_msg_free): 1 when there was one, 0 when none, -1 on an MPI
 * failure (err filled). Also moves the queued sends along. */
int al_cluster_poll(al_cluster *c, al_cluster_msg *m, al_error *err);
void al_cluster_msg_free(al_cluster_msg *m);

/* 1 while a send to rank `to` has not completed. */
int al_cluster_sending(al_cluster *c, int to);

/* Takes rank as dead for the rest of the run: its queued sends are
 * abandoned and no one waits for it again. */
void al_cluster_set_dead(al_cluster *c, int rank);
int al_cluster_is_dead(const al_cluster *c, int rank);
/* Records that some rank was lost (on the ranks rank 0 tells): Open MPI
 * 4.1's MPI_Finalize waits for every rank, the dead one too, so
 * al_cluster_free then leaves without it. al_cluster_lost says whether one was. */
void al_cluster_note_loss(al_cluster *c);
int al_cluster_lost(const al_cluster *c);

/* The options' rank timeout, in seconds. */
double al_cluster_timeout(const al_cluster *c);
/* Ranks on this machine (this one included). */
int al_cluster_local_size(const al_cluster *c);

#endif
