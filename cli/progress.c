/* The terminal lines of a comparison's and a study's progress, printed from
 * the library's progress events. */
#include <stdio.h>

#include "cli.h"

void cli_print_progress(const al_progress_event *ev, void *context)
{
    (void)context;
    switch (ev->kind) {
    case AL_PROGRESS_PLAN:
        fprintf(stderr, "%s: %zu arms x %zu %s = %zu jobs, %zu already done, %d worker%s, results in %s\n",
                ev->tuning ? "tune lr" : "compare", ev->arms, ev->seeds, ev->tuning ? "lr x seed runs" : "seeds",
                ev->jobs, ev->done, ev->workers, ev->workers > 1 ? "s" : "", ev->path);
        break;
    case AL_PROGRESS_LR_CHOSEN:
        fprintf(stderr, "tune lr: %-28s lr %g (validation accuracy %.4f)\n", ev->name, ev->lr, ev->accuracy);
        break;
    case AL_PROGRESS_JOB_STARTED:
        break;
    case AL_PROGRESS_JOB_FINISHED:
    case AL_PROGRESS_JOB_FAILED:
        fprintf(stderr, "[%zu/%zu] %-28s ", ev->finished, ev->pending, ev->name);
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
