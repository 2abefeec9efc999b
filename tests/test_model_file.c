/* Model files that remember their spec, loss, classes and preprocessing:
 * every field comes back exactly (float32 statistics bit for bit), the
 * tensors stay a plain state_dict (al_net_load, which checks every name,
 * takes the file), a file without the metadata (as PyTorch writes it)
 * still loads when the spec is given and says it has none, and a damaged
 * entry is refused by name. scripts/model_file_check.py checks that
 * PyTorch loads such a file with load_state_dict(strict=True). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/actlab.h"
#include "check.h"

#define SPEC "Linear(3, 5), ReLU(), BatchNorm1d(5), Linear(5, 2)"

int main(void)
{
    char dir[] = "/tmp/actlab_model_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[600], plain[600], bad[600];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    snprintf(plain, sizeof plain, "%s/plain.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    al_error err = {0};
    al_net *net = NULL;
    al_net_options no = al_net_options_default();
    no.seed = 9;
    CHECK(al_net_create(SPEC, &no, &net, &err) == AL_OK, "%s", err.message);

    CHECK_SECTION("every field back exactly");
    float mean[3] = {1.0f / 3.0f, -1e-20f, 3.4e38f}, sd[3] = {0.1f, 7.0f, 1e-30f};
    char *names[2] = {"malignant \"M\"", "b\xc3\xa9nin"}; /* a quote and UTF-8 */
    al_model_meta m;
    memset(&m, 0, sizeof m);
    m.spec = SPEC;
    m.has_loss = 1;
    m.loss = AL_LOSS_BCE_WITH_LOGITS;
    m.classes = 2;
    m.class_names = names;
    m.n_class_names = 2;
    m.stats.mode = AL_STANDARDIZE_PER_FEATURE;
    m.stats.features = 3;
    m.stats.length = 3;
    m.stats.mean = mean;
    m.stats.std = sd;
    m.epochs = 12;
    m.best_epoch = 7;
    m.data = "cancer.csv: train 32 rows";
    CHECK(al_model_save(net, &m, path, &err) == AL_OK, "%s", err.message);
    al_model_meta r;
    CHECK(al_model_read_meta(path, &r, &err) == AL_OK, "%s", err.message);
    CHECK(r.present && r.spec && strcmp(r.spec, SPEC) == 0, "spec");
    CHECK(r.has_loss && r.loss == AL_LOSS_BCE_WITH_LOGITS && r.classes == 2, "loss and classes");
    CHECK(r.n_class_names == 2 && strcmp(r.class_names[0], names[0]) == 0 && strcmp(r.class_names[1], names[1]) == 0,
          "class names, quote and UTF-8 kept");
    CHECK(r.stats.length == 3 && r.stats.features == 3 && r.stats.mode == AL_STANDARDIZE_PER_FEATURE &&
              memcmp(r.stats.mean, mean, sizeof mean) == 0 && memcmp(r.stats.std, sd, sizeof sd) == 0,
          "statistics bit for bit");
    CHECK(r.epochs == 12 && r.best_epoch == 7 && r.data && strcmp(r.data, m.data) == 0, "epochs, best, data");
    al_model_meta_free(&r);
    CHECK(r.spec == NULL && r.stats.mean == NULL, "free zeroes");

    CHECK_SECTION("a plain state_dict underneath");
    al_net *other = NULL;
    no.seed = 10;
    CHECK(al_net_create(SPEC, &no, &other, &err) == AL_OK && al_net_load(other, path, &err) == AL_OK,
          "al_net_load takes the file: %s", err.message);
    al_tensors t;
    memset(&t, 0, sizeof t);
    CHECK(al_safetensors_read(path, &t, &err) == AL_OK && t.count == 9 && al_tensors_find(&t, "2.running_var") &&
              strcmp(al_tensors_get_meta(&t, "format"), "pt") == 0,
          "only the state_dict's 9 tensors; format pt: %s", err.message);
    al_tensors_free(&t);
    al_net *loaded = NULL;
    CHECK(al_model_load(path, NULL, NULL, &loaded, &r, &err) == AL_OK, "built from the recorded spec: %s",
          err.message);
    if (loaded) {
        size_t n1, n2;
        const float *a = al_net_param_block(net, &n1), *b = al_net_param_block(loaded, &n2);
        CHECK(n1 == n2 && memcmp(a, b, n1 * sizeof *a) == 0, "same weights");
    }
    al_net_free(loaded);
    al_model_meta_free(&r);

    CHECK_SECTION("a file without the metadata");
    CHECK(al_net_save(net, plain, &err) == AL_OK, "%s", err.message);
    CHECK(al_model_read_meta(plain, &r, &err) == AL_OK && !r.present && !r.spec && r.stats.length == 0,
          "no metadata: present 0");
    loaded = NULL;
    CHECK(al_model_load(plain, NULL, NULL, &loaded, &r, &err) == AL_ERR_INVALID && err.field &&
              strcmp(err.field, "model.spec") == 0 && strstr(err.message, "does not record its model spec") &&
              !loaded, "no spec anywhere: %s", err.message);
    CHECK(al_model_load(plain, SPEC, NULL, &loaded, &r, &err) == AL_OK && loaded && !r.present,
          "with the spec given it loads: %s", err.message);
    al_net_free(loaded);
    al_model_meta_free(&r);

    CHECK_SECTION("a damaged entry is refused by name");
    memset(&t, 0, sizeof t);
    CHECK(al_safetensors_read(path, &t, &err) == AL_OK, "%s", err.message);
    al_tensors_set_meta(&t, "actlab.mean", "[1, \"x\", 3]", &err);
    CHECK(al_safetensors_write(bad, &t, &err) == AL_OK, "%s", err.message);
    al_tensors_free(&t);
    CHECK(al_model_read_meta(bad, &r, &err) == AL_ERR_FORMAT && strstr(err.message, "actlab.mean"),
          "bad mean: %s", err.message);
    memset(&t, 0, sizeof t);
    al_safetensors_read(path, &t, &err);
    al_tensors_set_meta(&t, "actlab.spec", "Linear(3, 5), Relu()", &err);
    al_safetensors_write(bad, &t, &err);
    al_tensors_free(&t);
    loaded = NULL;
    CHECK(al_model_load(bad, NULL, NULL, &loaded, NULL, &err) != AL_OK && strstr(err.message, "the spec recorded in") &&
              !loaded, "a recorded spec that does not parse: %s", err.message);

    al_net_free(net);
    al_net_free(other);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_summary("test_model_file");
}
