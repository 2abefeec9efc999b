/* libFuzzer harness: IDX files, plain or gzip (al_idx_read tells them apart
 * by the 1f 8b magic, so both kinds of seed are in the corpus), written to a
 * temporary file since the reader takes a path; then whatever parses through
 * al_dataset_from_arrays, as al_dataset_load_idx_pair would. */
#include "actlab/data.h"

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_BYTES];
    if (fuzz_temp_file(data, size, path) != 0)
        return 0;
    al_array a;
    al_error err;
    if (al_idx_read(path, &a, &err) == AL_OK) {
        fuzz_dataset_from_array(&a);
        al_array_free(&a);
    }
    unlink(path);
    return 0;
}
