/* libFuzzer harness: checkpoints and model files. The input is written as
 * DIR/checkpoint.safetensors and read twice into a small fixed net
 * (checkpoint_setup.h): by al_net_load, as a model file, and by al_train
 * resuming from DIR, as a checkpoint (model, "optim.*" Adam state and the
 * metadata that says where training stands). */
#include "actlab/nn.h"
#include "actlab/safetensors.h"
#include "actlab/train.h"

#include <unistd.h>

#include "checkpoint_setup.h"
#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char dir[FUZZ_PATH_BYTES], path[FUZZ_PATH_BYTES + 32], leftover[FUZZ_PATH_BYTES + 64];
    if (fuzz_temp_dir(dir) != 0)
        return 0;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    al_dataset *ds = checkpoint_dataset();
    al_net *net = NULL;
    if (ds && fuzz_write_file(path, data, size) == 0 &&
        al_net_create(CHECKPOINT_SPEC, NULL, &net, NULL) == AL_OK) {
        al_error err;
        al_net_load(net, path, &err);
        al_train_options o = checkpoint_options(dir, 1);
        al_train(net, ds, NULL, &o, NULL, NULL, NULL, &err);
    }
    al_net_free(net);
    al_dataset_free(ds);
    /* the file, and the temporary one of a checkpoint write that failed */
    unlink(path);
    snprintf(leftover, sizeof leftover, "%s.tmp.%ld", path, (long)getpid());
    unlink(leftover);
    rmdir(dir);
    return 0;
}
