/* The terminal lines of a comparison's and a study's progress, printed from
 * the library's progress events. */
#include <stdio.h>

#include "cli.h"

void cli_print_progress(const al_progress_event *ev, void *context)
{
    cli_progress *state = context;
    switch (ev->kind) {
    case AL_PROGRESS_PLAN:
        if (state)
            state->ranks = ev->ranks;
        fprintf(stderr, "%s: %zu arms x %zu %s = %zu jobs, %zu already done, ", ev->tuning ? "tune lr" : "compare",
                ev->arms, ev->seeds, ev->tuning ? "lr x seed runs" : "seeds", ev->jobs, ev->done);
        if (ev->ranks > 1)
            fprintf(stderr, "%d MPI ranks (rank 0: %d worker%s)", ev->ranks, ev->workers, ev->workers > 1 ? "s" : "");
        else
            fprintf(stderr, "%d worker%s", ev->workers, ev->workers > 1 ? "s" : "");
        fprintf(stderr, ", results in %s\n", ev->path);
        break;
    case AL_PROGRESS_RANK_LOST:
        fprintf(stderr, "MPI rank %d lost: %s\n", ev->rank, ev->error);
        break;
    case AL_PROGRESS_LR_CHOSEN:
        fprintf(stderr, "tune lr: %-28s lr %g (validation accuracy %.4f)\n", ev->name, ev->lr, ev->accuracy);
        break;
    case AL_PROGRESS_JOB_STARTED:
        break;
    case AL_PROGRESS_JOB_FINISHED:
    case AL_PROGRESS_JOB_FAILED:
        fprintf(stderr, "[%zu/%zu] ", ev->finished, ev->pending);
        if (state && state->ranks > 1)
            fprintf(stderr, "rank %d: ", ev->rank);
        fprintf(stderr, "%-28s ", ev->name);
        if (ev->tuning)
            fprintf(stderr, "tuning lr %g ", ev->lr);
        fprintf(stderr, "seed %llu: ", (unsigned long long)ev->seed);
        if (ev->kind == AL_PROGRESS_JOB_FINISHED)
            fprintf(stderr, "%s acc %.4f (%.1f s)\n", ev->tuning ? "validation" : "test", ev->accuracy, ev->seconds);
        else
            fprintf(stderr, "FAILED: %s\n", ev->error);
        break;
    case AL_PROGRESS_DATA_LOADING:
        fprintf(stderr, "study: loading %s from %s\n", ev->name, ev->path);
        break;
    }
}
