/* libFuzzer harness: safetensors images through al_safetensors_parse (the
 * in-memory half of al_safetensors_read); what parses is encoded again,
 * which must succeed and parse back to the same tensors and metadata. */
#include "actlab/safetensors.h"

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Same names, dtypes, shapes, bytes and metadata; aborts otherwise so that
 * libFuzzer keeps the input. */
static void safetensors_check_same(const al_tensors *a, const al_tensors *b)
{
    int same = a->count == b->count && a->meta_count == b->meta_count;
    for (size_t i = 0; same && i < a->count; i++) {
        const al_array *x = &a->items[i].array, *y = &b->items[i].array;
        same = strcmp(a->items[i].name, b->items[i].name) == 0 && x->dtype == y->dtype &&
               x->rank == y->rank && x->count == y->count &&
               memcmp(x->shape, y->shape, (size_t)x->rank * sizeof x->shape[0]) == 0 &&
               memcmp(x->data, y->data, x->count * al_dtype_size(x->dtype)) == 0;
    }
    for (size_t i = 0; same && i < a->meta_count; i++) {
        const char *v = al_tensors_get_meta(b, a->meta[i].key);
        same = v && strcmp(v, a->meta[i].value) == 0;
    }
    if (!same) {
        fprintf(stderr, "fuzz_safetensors: the tensors changed in an encode/parse round trip\n");
        abort();
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    al_tensors t;
    al_error err;
    if (al_safetensors_parse(data, size, &t, &err) != AL_OK)
        return 0;
    char *image = NULL;
    size_t image_size = 0;
    if (al_safetensors_encode(&t, &image, &image_size, &err) != AL_OK) {
        fprintf(stderr, "fuzz_safetensors: a parsed file does not encode: %s\n", err.message);
        abort();
    }
    al_tensors again;
    if (al_safetensors_parse(image, image_size, &again, &err) != AL_OK) {
        fprintf(stderr, "fuzz_safetensors: an encoded file does not parse: %s\n", err.message);
        abort();
    }
    safetensors_check_same(&t, &again);
    al_tensors_free(&again);
    free(image);
    al_tensors_free(&t);
    return 0;
}
