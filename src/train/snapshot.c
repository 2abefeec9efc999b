/* Snapshots of a net's state: one block holding a copy of every
 * state_dict entry, taken and restored by plain copies. */
#include "train/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

al_status al_snapshot_init(al_snapshot *s, al_net *net, al_error *err)
{
    memset(s, 0, sizeof *s);
    al_status st = al_net_state_dict(net, &s->views, 0, err);
    for (size_t i = 0; i < s->views.count; i++)
        s->bytes += s->views.items[i].array.count * al_dtype_size(s->views.items[i].array.dtype);
    if (st == AL_OK && !(s->data = malloc(s->bytes ? s->bytes : 1)))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory keeping the best weights (%zu bytes)", s->bytes);
    if (st != AL_OK)
        al_snapshot_free(s);
    return st;
}

/* Copies between the net and the block, one entry after another. */
static void copy_all(const al_snapshot *s, int to_block)
{
    size_t at = 0;
    for (size_t i = 0; i < s->views.count; i++) {
        const al_array *a = &s->views.items[i].array;
        size_t n = a->count * al_dtype_size(a->dtype);
        if (to_block)
            memcpy(s->data + at, a->data, n);
        else
            memcpy(a->data, s->data + at, n);
        at += n;
    }
}

void al_snapshot_take(al_snapshot *s)
{
    copy_all(s, 1);
    s->taken = 1;
}

void al_snapshot_restore(const al_snapshot *s)
{
    if (s->taken)
        copy_all(s, 0);
}

al_status al_snapshot_add_views(al_snapshot *s, al_tensors *t, char (*names)[96], al_error *err)
{
    size_t at = 0;
    for (size_t i = 0; i < s->views.count; i++) {
        const al_array *a = &s->views.items[i].array;
        snprintf(names[i], 96, "best.%s", s->views.items[i].name);
        al_status st = al_tensors_add_view_of(t, names[i], a->dtype, a->rank, a->shape, s->data + at, err);
        if (st != AL_OK)
            return st;
        at += a->count * al_dtype_size(a->dtype);
    }
    return AL_OK;
}

int al_snapshot_import(al_snapshot *s, const al_tensors *loaded)
{
    size_t at = 0;
    char name[96];
    for (size_t i = 0; i < s->views.count; i++) {
        const al_array *a = &s->views.items[i].array;
        snprintf(name, sizeof name, "best.%s", s->views.items[i].name);
        const al_array *b = al_tensors_find(loaded, name);
        size_t n = a->count * al_dtype_size(a->dtype);
        if (!b || b->dtype != a->dtype || b->count != a->count) {
            s->taken = 0;
            return 0;
        }
        memcpy(s->data + at, b->data, n);
        at += n;
    }
    s->taken = 1;
    return 1;
}

void al_snapshot_free(al_snapshot *s)
{
    al_tensors_free(&s->views);
    free(s->data);
    memset(s, 0, sizeof *s);
}
