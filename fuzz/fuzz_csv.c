/* libFuzzer harness: CSV datasets through al_dataset_load_csv (a temporary
 * file, since it takes a path), read three times: everything detected (the
 * defaults: separator, scikit-learn's count line, header, the label column
 * named "label" or the last), with a header and the column "label", and
 * without a header with the label in column 0 and two classes declared. The
 * input may be gzip: the reader inflates what starts with 1f 8b. */
#include "actlab/data.h"

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_BYTES];
    if (fuzz_temp_file(data, size, path) != 0)
        return 0;
    al_csv_info info;
    al_csv_options detected = al_csv_options_default(), by_name = detected, by_index = detected;
    detected.info = &info;
    by_name.label_column = "label";
    by_name.has_header = 1;
    by_index.label_column = "#0";
    by_index.has_header = 0;
    by_index.count_line = 0;
    by_index.n_classes = 2;
    const al_csv_options *options[3] = {&detected, &by_name, &by_index};
    for (int i = 0; i < 3; i++) {
        al_dataset *ds = NULL;
        al_error err;
        if (al_dataset_load_csv(path, options[i], &ds, &err) == AL_OK)
            al_dataset_free(ds);
    }
    unlink(path);
    return 0;
}
