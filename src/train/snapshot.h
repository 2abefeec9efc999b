/* Private to src/train: a copy of a net's whole state (parameters and
 * buffers), for keeping the best epoch's weights. */
#ifndef ACTLAB_TRAIN_SNAPSHOT_H
#define ACTLAB_TRAIN_SNAPSHOT_H

#include <stddef.h>

#include "actlab/nn.h"
#include "actlab/safetensors.h"

typedef struct al_snapshot {
    al_tensors views;      /* the net's state_dict, as views into the net */
    unsigned char *data;   /* a copy of every entry, one after another */
    size_t bytes;
    int taken;             /* 1 once data holds a state */
} al_snapshot;

/* Allocates room for net's state (nothing is copied yet). */
al_status al_snapshot_init(al_snapshot *s, al_net *net, al_error *err);
void al_snapshot_take(al_snapshot *s);
/* Copies the snapshot back into the net it was made for. */
void al_snapshot_restore(const al_snapshot *s);
/* Appends views of the copy to t as "best.<name>" (names kept in names,
 * which must hold s->views.count entries and outlive t). */
al_status al_snapshot_add_views(al_snapshot *s, al_tensors *t, char (*names)[96], al_error *err);
/* Takes a snapshot from loaded's "best.<name>" tensors; 0 when they are not there. */
int al_snapshot_import(al_snapshot *s, const al_tensors *loaded);
void al_snapshot_free(al_snapshot *s);

#endif
