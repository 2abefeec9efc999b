/* Several processes, possibly on several machines, sharing the jobs of a
 * comparison or a study through MPI (Open MPI's mpirun, Slurm's srun). Each
 * process (rank) runs the same program on the same data; rank 0 hands out
 * the jobs one at a time as ranks ask for them, receives every result, saves
 * it and sends all of them back, so that every rank goes on with the same
 * numbers and rank 0 writes the same files as one process would. A process
 * not started by an MPI launcher gets no cluster and runs alone, as before.
 * See docs/cluster.md. */
#ifndef ACTLAB_CLUSTER_H
#define ACTLAB_CLUSTER_H

#include "actlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct al_cluster al_cluster;

typedef struct al_cluster_options {
    /* A rank that holds jobs and sends no sign of life for this long is taken
     * as dead: its jobs go to the other ranks (60 s). Only reachable when the
     * launcher lets the others run on after a rank dies (Open MPI's
     * --enable-recovery); by default mpirun stops the whole job instead. */
    double rank_timeout_s;
} al_cluster_options;

/* rank_timeout_s 60. */
al_cluster_options al_cluster_options_default(void);

/* 1 when this actlab was built with MPI. */
int al_cluster_supported(void);

/* The number of ranks an MPI launcher started, read from the environment it
 * sets (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's, PMI's); 0 when not started
 * by one. *rank (may be NULL) gets this process's rank. Needs no MPI. */
int al_cluster_launched(int *rank);

/* Joins the MPI job when an MPI launcher started this process (*out NULL
 * otherwise: one process, nothing changes). Fails when the launcher started
 * several ranks but this build has no MPI (each would run everything alone).
 * options may be NULL (the defaults). Allocates; al_cluster_free leaves MPI.
 * Call it once per process. */
al_status al_cluster_start(const al_cluster_options *options, al_cluster **out, al_error *err);

/* This process's rank, 0 .. size - 1 (0 for NULL). */
int al_cluster_rank(const al_cluster *c);
/* The number of ranks (1 for NULL). */
int al_cluster_size(const al_cluster *c);

/* Leaves the MPI job (after the sends still under way); NULL is a no-op.
 * Every rank calls it at its end. */
void al_cluster_free(al_cluster *c);

#ifdef __cplusplus
}
#endif
#endif
