/* The terminal lines of a comparison's and a study's progress, printed from
 * the library's progress events. */
#include <stdio.h>

#include "cli.h"

void cli_print_progress(const al_progress_event *ev, void *context)
{
    (void)context;
    switch (ev->kind) {
    case AL_PROGRESS_PLAN:
        fprintf(stderr, "compare: %zu arms x %zu seeds = %zu jobs, %zu already done, %d worker%s, results in %s\n",
                ev->arms, ev->seeds, ev->jobs, ev->done, ev->workers, ev->workers > 1 ? "s" : "", ev->path);
        break;
    case AL_PROGRESS_JOB_STARTED:
        break;
    case AL_PROGRESS_JOB_FINISHED:
    case AL_PROGRESS_JOB_FAILED:
        fprintf(stderr, "[%zu/%zu] %-28s seed %llu: ", ev->finished, ev->pending, ev->name,
                (unsigned long long)ev->seed);
        if (ev->kind == AL_PROGRESS_JOB_FINISHED)
            fprintf(stderr, "test acc %.4f (%.1f s)\n", ev->accuracy, ev->seconds);
        else
            fprintf(stderr, "FAILED: %s\n", ev->error);
        break;
    case AL_PROGRESS_DATA_LOADING:
        fprintf(stderr, "study: loading %s from %s\n", ev->name, ev->path);
        break;
    }
}
