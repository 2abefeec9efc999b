/* Model files: a net's parameters and buffers under PyTorch's nn.Sequential
 * state_dict names and layouts, so that a file moves between actlab and
 * PyTorch unchanged. */
#include "nn/layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

al_status al_net_state_dict(al_net *net, al_tensors *t, int shapes_only, al_error *err)
{
    int n;
    const al_state_entry *e = al_net_state_entries(net, &n);
    for (int i = 0; i < n; i++) {
        al_status st = al_tensors_add_view_of(t, e[i].name, e[i].dtype, e[i].shape.rank, e[i].shape.dim,
                                              shapes_only ? NULL : e[i].data, err);
        if (st != AL_OK)
            return st;
    }
    return AL_OK;
}

al_status al_net_write(const al_net *net_const, const char *path, const al_tensor_meta *meta, size_t n_meta,
                       al_error *err)
{
    al_net *net = (al_net *)net_const; /* views only read */
    al_tensors t;
    memset(&t, 0, sizeof t);
    al_status st = al_net_state_dict(net, &t, 0, err);
    for (size_t i = 0; st == AL_OK && i < n_meta; i++)
        st = al_tensors_set_meta(&t, meta[i].key, meta[i].value, err);
    if (st == AL_OK)
        st = al_safetensors_write(path, &t, err);
    al_tensors_free(&t);
    return st;
}

al_status al_net_save(const al_net *net, const char *path, al_error *err)
{
    return al_net_write(net, path, NULL, 0, err);
}

/* A checkpoint's entries that are not the model's: the optimizer state and
 * the best epoch's weights. */
static int is_extra_state(const char *name)
{
    return strncmp(name, "optim.", 6) == 0 || strncmp(name, "best.", 5) == 0;
}

al_status al_net_load_state(al_net *net, const al_tensors *loaded, const char *path, al_error *err)
{
    al_tensors expected, target;
    memset(&expected, 0, sizeof expected);
    memset(&target, 0, sizeof target);
    al_status st = al_net_state_dict(net, &expected, 1, err);
    if (st == AL_OK)
        st = al_net_state_dict(net, &target, 0, err);
    if (st == AL_OK) {
        /* the file may hold more (a checkpoint's optimizer state and best
         * weights): compare only model names */
        al_tensors model_part;
        memset(&model_part, 0, sizeof model_part);
        for (size_t i = 0; st == AL_OK && i < loaded->count; i++)
            if (!is_extra_state(loaded->items[i].name))
                st = al_tensors_add_view(&model_part, loaded->items[i].name, &loaded->items[i].array, err);
        if (st == AL_OK)
            st = al_tensors_check(&expected, &model_part, NULL, err);
        if (st != AL_OK)
            al_error_prefix(err, "'%s' does not fit the model: ", path);
        al_tensors_free(&model_part);
    }
    for (size_t i = 0; st == AL_OK && i < target.count; i++) {
        const al_array *src = al_tensors_find(loaded, target.items[i].name);
        memcpy(target.items[i].array.data, src->data, src->count * al_dtype_size(src->dtype));
    }
    al_tensors_free(&expected);
    al_tensors_free(&target);
    return st;
}

al_status al_net_load(al_net *net, const char *path, al_error *err)
{
    al_tensors loaded;
    memset(&loaded, 0, sizeof loaded);
    al_status st = al_safetensors_read(path, &loaded, err);
    if (st == AL_OK)
        st = al_net_load_state(net, &loaded, path, err);
    al_tensors_free(&loaded);
    return st;
}
