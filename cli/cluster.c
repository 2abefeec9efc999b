/* MPI in the command line: compare and study join the MPI job when a
 * launcher started them (mpirun, srun); rank 0 says what to do when the
 * launcher stops the job; other commands say that each rank does all of
 * their work (which a script may want: one training per rank). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The handler's message, written before the handler is installed (a signal
 * handler can only reach file-scope data). */
static char stop_message[4600];
static size_t stop_length;

static void on_stop(int sig)
{
    ssize_t written = write(STDERR_FILENO, stop_message, stop_length);
    (void)written;
    signal(sig, SIG_DFL);
    raise(sig);
}

int cli_cluster_start(const char *cmd, double rank_timeout_s, al_cluster **out)
{
    al_cluster_options o = al_cluster_options_default();
    if (rank_timeout_s > 0)
        o.rank_timeout_s = rank_timeout_s;
    al_error err = {0};
    if (al_cluster_start(&o, out, &err) == AL_OK)
        return 0;
    int rank = 0;
    al_cluster_launched(&rank);
    return rank == 0 ? cli_fail(cmd, &err) : (err.status == AL_ERR_INVALID ? 2 : 1);
}

void cli_cluster_on_stop(const char *cmd, const al_cluster *c, const char *dir)
{
    if (al_cluster_size(c) < 2 || al_cluster_rank(c) != 0)
        return;
    snprintf(stop_message, sizeof stop_message, "actlab %s: the MPI job is being stopped (mpirun stops every rank "
             "when one of them dies, or the job was cancelled). Every job that finished is saved in %s: run the same "
             "command again, with any number of ranks, to continue from there.\n", cmd, dir);
    stop_length = strlen(stop_message);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_cluster_note(const char *cmd)
{
    int rank = 0, ranks = al_cluster_launched(&rank);
    if (ranks > 1 && rank == 0)
        fprintf(stderr, "actlab %s: note: started as one of %d MPI ranks; only `actlab compare` and `actlab study` "
                "share their work among ranks, so each rank runs this whole command on its own\n", cmd, ranks);
}
