/* The fixed model, data and training options the checkpoint harness resumes
 * with; fuzz/make_corpus.c trains with the same ones to write the seeds, so
 * that a seed resumes cleanly and every mutation starts from a valid file. */
#ifndef ACTLAB_FUZZ_CHECKPOINT_SETUP_H
#define ACTLAB_FUZZ_CHECKPOINT_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/data.h"
#include "actlab/train.h"

#define CHECKPOINT_SPEC "Linear(4, 3), ReLU(), BatchNorm1d(3), Linear(3, 2)"
#define CHECKPOINT_ROWS 4
#define CHECKPOINT_FEATURES 4

/* Four examples of four features, two classes; NULL when memory runs out. */
static inline al_dataset *checkpoint_dataset(void)
{
    size_t shape[1] = {CHECKPOINT_FEATURES};
    al_dataset *ds = NULL;
    if (al_dataset_create("fuzz", CHECKPOINT_ROWS, 1, shape, &ds, NULL) != AL_OK)
        return NULL;
    float *x = al_dataset_x_mut(ds);
    int32_t *y = al_dataset_y_mut(ds);
    for (size_t i = 0; i < CHECKPOINT_ROWS * CHECKPOINT_FEATURES; i++)
        x[i] = (float)(i % 7) * 0.25f - 0.75f;
    for (size_t i = 0; i < CHECKPOINT_ROWS; i++)
        y[i] = (int32_t)(i % 2);
    if (al_dataset_check_labels(ds, 2, NULL) != AL_OK) {
        al_dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* Adam (it has state to save), one step in all, one batch per epoch,
 * checkpoints in dir; resume as given. */
static inline al_train_options checkpoint_options(const char *dir, int resume)
{
    al_train_options o = al_train_options_default();
    o.batch = CHECKPOINT_ROWS;
    o.steps = 1;
    o.optim = al_optim_options_for(AL_OPT_ADAM);
    o.checkpoint_dir = dir;
    o.resume = resume;
    return o;
}

#endif
