/* libFuzzer harness: NPY images through al_npy_parse (the in-memory half of
 * al_npy_read), then whatever parses through al_dataset_from_arrays as
 * features and as labels, as al_dataset_load_npy would. */
#include "actlab/npy.h"

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    al_array a;
    al_error err;
    if (al_npy_parse(data, size, &a, &err) != AL_OK)
        return 0;
    fuzz_dataset_from_array(&a);
    al_array_free(&a);
    return 0;
}
