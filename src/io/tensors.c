/* The in-memory collection of named tensors and string metadata that the
 * safetensors reader fills and the writer lays out. */
#include "actlab/safetensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors_internal.h"

/* ---- the collection ---------------------------------------------------- */

/* Grows an array of elements of elem_size to hold one more; 0 on failure. */
int al_tensors_grow(void **items, size_t *capacity, size_t count, size_t elem_size)
{
    if (count < *capacity)
        return 1;
    size_t cap = *capacity ? *capacity * 2 : 8;
    size_t bytes = 0;
    if (cap < *capacity || !al_size_mul(cap, elem_size, &bytes))
        return 0;
    void *p = realloc(*items, bytes);
    if (!p)
        return 0;
    *items = p;
    *capacity = cap;
    return 1;
}

al_status al_tensors_push(al_tensors *t, const char *name, al_array *array, int owned, al_error *err)
{
    char shown[ECHO_MAX + 8];
    if (!al_tensors_grow((void **)&t->items, &t->capacity, t->count, sizeof *t->items)) {
        al_safetensors_echo(name, shown, sizeof shown);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory adding tensor '%s' (%zu tensors)",
                            shown, t->count + 1);
    }
    char *copy = strdup(name);
    if (!copy) {
        al_safetensors_echo(name, shown, sizeof shown);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory adding tensor '%s'", shown);
    }
    al_tensor *item = &t->items[t->count++];
    item->name = copy;
    item->array = *array;
    item->owned = owned;
    if (owned)
        memset(array, 0, sizeof *array);
    return AL_OK;
}

/* The name and array rules shared by add and add_view. Data may be NULL:
 * a view with no data describes what a model expects, for al_tensors_check;
 * the writer refuses it. */
static al_status check_new(const al_tensors *t, const char *name, const al_array *a,
                           al_error *err)
{
    if (!t || !name || !a)
        return al_error_set(err, AL_ERR_INVALID, "cannot add a tensor: NULL argument");
    char shown[ECHO_MAX + 8];
    al_safetensors_echo(name, shown, sizeof shown);
    if (name[0] == '\0')
        return al_error_set(err, AL_ERR_INVALID, "cannot add a tensor with an empty name");
    if (strcmp(name, META_KEY) == 0)
        return al_error_set(err, AL_ERR_INVALID, "cannot add a tensor named '" META_KEY
                            "': the format reserves that key for metadata");
    if (al_tensors_find(t, name))
        return al_error_set(err, AL_ERR_INVALID, "cannot add tensor '%s': the name is taken",
                            shown);
    size_t esize = al_dtype_size(a->dtype), count = 0, bytes = 0;
    if (esize == 0)
        return al_error_set(err, AL_ERR_INVALID, "cannot add tensor '%s': unknown dtype code %d",
                            shown, (int)a->dtype);
    if (a->rank < 0 || a->rank > AL_NPY_MAX_RANK)
        return al_error_set(err, AL_ERR_INVALID,
                            "cannot add tensor '%s': rank %d is outside 0 to %d", shown, a->rank,
                            AL_NPY_MAX_RANK);
    if (!al_tensors_shape_bytes(a->rank, a->shape, esize, &count, &bytes) || count != a->count) {
        char text[SHAPE_TEXT_BYTES];
        al_shape_text(a->rank, a->shape, text, sizeof text);
        return al_error_set(err, AL_ERR_INVALID, "cannot add tensor '%s': its count %zu does not "
                            "match its shape %s", shown, a->count, text);
    }
    return AL_OK;
}

al_status al_tensors_add(al_tensors *t, const char *name, al_array *array, al_error *err)
{
    al_status st = check_new(t, name, array, err);
    return st != AL_OK ? st : al_tensors_push(t, name, array, 1, err);
}

al_status al_tensors_add_view(al_tensors *t, const char *name, const al_array *array,
                              al_error *err)
{
    al_status st = check_new(t, name, array, err);
    if (st != AL_OK)
        return st;
    al_array view = *array;
    return al_tensors_push(t, name, &view, 0, err);
}

/* Linear: collections are a net's parameters, tens to hundreds of names. */
const al_array *al_tensors_find(const al_tensors *t, const char *name)
{
    if (!t || !name)
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, name) == 0)
            return &t->items[i].array;
    return NULL;
}

al_status al_tensors_set_meta(al_tensors *t, const char *key, const char *value, al_error *err)
{
    if (!t || !key || !value)
        return al_error_set(err, AL_ERR_INVALID, "cannot set metadata: NULL argument");
    char *v = strdup(value);
    if (!v)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory setting metadata");
    for (size_t i = 0; i < t->meta_count; i++) {
        if (strcmp(t->meta[i].key, key) == 0) {
            free(t->meta[i].value);
            t->meta[i].value = v;
            return AL_OK;
        }
    }
    char *k = strdup(key);
    if (!k || !al_tensors_grow((void **)&t->meta, &t->meta_capacity, t->meta_count, sizeof *t->meta)) {
        free(k);
        free(v);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory setting metadata");
    }
    t->meta[t->meta_count].key = k;
    t->meta[t->meta_count].value = v;
    t->meta_count++;
    return AL_OK;
}

const char *al_tensors_get_meta(const al_tensors *t, const char *key)
{
    if (!t || !key)
        return NULL;
    for (size_t i = 0; i < t->meta_count; i++)
        if (strcmp(t->meta[i].key, key) == 0)
            return t->meta[i].value;
    return NULL;
}

void al_tensors_free(al_tensors *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].name);
        if (t->items[i].owned)
            al_array_free(&t->items[i].array);
    }
    for (size_t i = 0; i < t->meta_count; i++) {
        free(t->meta[i].key);
        free(t->meta[i].value);
    }
    free(t->items);
    free(t->meta);
    memset(t, 0, sizeof *t);
}

al_status al_tensors_add_view_of(al_tensors *t, const char *name, al_dtype dtype, int rank,
                                 const size_t *shape, void *data, al_error *err)
{
    al_array a;
    memset(&a, 0, sizeof a);
    a.dtype = dtype;
    a.rank = rank;
    a.count = 1;
    for (int i = 0; i < rank; i++) {
        a.shape[i] = shape[i];
        a.count *= shape[i];
    }
    a.data = data;
    return al_tensors_add_view(t, name, &a, err);
}
