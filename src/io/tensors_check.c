/* al_tensors_check: a loaded state_dict against the one a model expects,
 * every missing, unexpected and mismatched tensor listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/safetensors.h"
#include "io/safetensors_internal.h"

/* ---- checking against a model ------------------------------------------ */

static int by_name(const void *pa, const void *pb)
{
    return strcmp((*(const al_tensor *const *)pa)->name, (*(const al_tensor *const *)pb)->name);
}

/* Tensors of t sorted by name, for lookups in O(log n): a hostile file may
 * hold very many names. */
static const al_tensor **sorted_by_name(const al_tensors *t)
{
    const al_tensor **s = malloc((t->count ? t->count : 1) * sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        s[i] = &t->items[i];
    qsort(s, t->count, sizeof *s, by_name);
    return s;
}

static const al_array *lookup(const al_tensor **sorted, size_t n, const char *name)
{
    al_tensor key = {0};
    key.name = (char *)name;
    const al_tensor *pkey = &key;
    const al_tensor **hit = bsearch(&pkey, sorted, n, sizeof *sorted, by_name);
    return hit ? &(*hit)->array : NULL;
}

/* "F32 [3, 4]" or only the part that differs from other. */
static void describe(const al_array *a, const al_array *other, char *buf, size_t size)
{
    char text[SHAPE_TEXT_BYTES];
    al_array_shape_text(a, text, sizeof text);
    int same_dtype = a->dtype == other->dtype;
    int same_shape = a->rank == other->rank &&
                     memcmp(a->shape, other->shape, (size_t)a->rank * sizeof a->shape[0]) == 0;
    if (same_shape)
        snprintf(buf, size, "%s", al_safetensors_dtype_name(a->dtype));
    else if (same_dtype)
        snprintf(buf, size, "%s", text);
    else
        snprintf(buf, size, "%s %s", al_safetensors_dtype_name(a->dtype), text);
}

al_status al_tensors_check(const al_tensors *expected, const al_tensors *loaded, al_buf *report,
                           al_error *err)
{
    if (!expected || !loaded)
        return al_error_set(err, AL_ERR_INVALID, "al_tensors_check: NULL argument");
    const al_tensor **exp_sorted = sorted_by_name(expected);
    const al_tensor **got_sorted = sorted_by_name(loaded);
    if (!exp_sorted || !got_sorted) {
        free(exp_sorted);
        free(got_sorted);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory checking %zu tensors",
                            loaded->count);
    }
    /* each mismatch is one line of list; the message takes as many as fit */
    al_buf list = {0};
    size_t mismatches = 0;
    char name[ECHO_MAX + 8], have[SHAPE_TEXT_BYTES + 8], need[SHAPE_TEXT_BYTES + 8];
    for (size_t i = 0; i < expected->count; i++) {
        const al_tensor *e = &expected->items[i];
        const al_array *got = lookup(got_sorted, loaded->count, e->name);
        al_safetensors_echo(e->name, name, sizeof name);
        if (!got) {
            al_array_shape_text(&e->array, need, sizeof need);
            al_buf_printf(&list, "%s: missing from the file (model needs %s %s)\n", name,
                          al_safetensors_dtype_name(e->array.dtype), need);
            mismatches++;
        } else if (got->dtype != e->array.dtype || got->rank != e->array.rank ||
                   memcmp(got->shape, e->array.shape, (size_t)got->rank * sizeof got->shape[0])) {
            describe(got, &e->array, have, sizeof have);
            describe(&e->array, got, need, sizeof need);
            al_buf_printf(&list, "%s: file has %s, model needs %s\n", name, have, need);
            mismatches++;
        }
    }
    for (size_t i = 0; i < loaded->count; i++) {
        const al_tensor *g = &loaded->items[i];
        if (!lookup(exp_sorted, expected->count, g->name)) {
            al_safetensors_echo(g->name, name, sizeof name);
            al_buf_printf(&list, "%s: in the file but not in the model\n", name);
            mismatches++;
        }
    }
    free(exp_sorted);
    free(got_sorted);
    if (list.failed) {
        al_buf_free(&list);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory listing %zu mismatches", mismatches);
    }
    if (mismatches == 0) {
        al_buf_free(&list);
        return AL_OK;
    }
    if (report)
        al_buf_append(report, list.data, list.len);

    char msg[AL_ERROR_MESSAGE_BYTES];
    /* room kept for " ... and N more" and for a caller's "reading 'x': " */
    const size_t limit = sizeof msg - 200;
    int w = snprintf(msg, sizeof msg, "%zu mismatch%s between the file and the model: ", mismatches,
                     mismatches == 1 ? "" : "es");
    size_t used = w > 0 ? (size_t)w : 0, shown = 0;
    for (const char *line = list.data; *line; shown++) {
        const char *end = strchr(line, '\n');
        size_t len = (size_t)(end - line), sep = shown ? 2 : 0;
        if (used + sep + len > limit)
            break;
        memcpy(msg + used, "; ", sep);
        memcpy(msg + used + sep, line, len);
        used += sep + len;
        line = end + 1;
    }
    msg[used] = '\0';
    if (shown < mismatches)
        snprintf(msg + used, sizeof msg - used, " ... and %zu more", mismatches - shown);
    al_buf_free(&list);
    return al_error_set(err, AL_ERR_SHAPE, "%s", msg);
}
