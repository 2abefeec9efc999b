/* What the commands load from their arguments: data sets (DATA as the
 * usages describe it), the model text of --model, and a model with its
 * weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Reads one DATA argument in buf (a copy the function may cut). */
static al_status load_data(char *buf, const char *spec, al_dataset **out, al_error *err)
{
    char *comma = strchr(buf, ',');
    size_t len = strlen(buf);
    if (comma) {
        *comma = '\0';
        const char *a = buf, *b = comma + 1;
        size_t la = strlen(a);
        if (la > 4 && strcmp(a + la - 4, ".npy") == 0)
            return al_dataset_load_npy(a, b, 0, out, err);
        return al_dataset_load_idx_pair(a, b, 0, out, err);
    }
    char *colon = strrchr(buf, ':');
    if (len > 4 && (strstr(buf, ".csv") || strstr(buf, ".CSV"))) {
        al_csv_options co = al_csv_options_default();
        if (colon && colon > strstr(buf, ".csv")) {
            *colon = '\0';
            co.label_column = colon + 1;
        }
        return al_dataset_load_csv(buf, &co, out, err);
    }
    return al_error_set(err, AL_ERR_INVALID, "cannot tell the format of '%s': give X.npy,Y.npy, "
                        "IMAGES,LABELS (IDX) or FILE.csv[:LABEL]", spec);
}

al_status cli_load_data(const char *spec, al_dataset **out, al_error *err)
{
    char *buf = strdup(spec);
    if (!buf)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_status st = load_data(buf, spec, out, err);
    free(buf);
    return st;
}

int cli_load_sets(const char *cmd, const cli_data_args *a, al_dataset **train, al_dataset **test)
{
    al_error err = {0};
    *train = *test = NULL;
    if (a->data) {
        if (strcmp(a->data, "fashion-mnist") != 0)
            return cli_usage_error(cmd, "--data takes 'fashion-mnist'; use --train/--test for files");
        if (al_dataset_load_fashion_mnist(NULL, AL_DATA_TRAIN, train, &err) != AL_OK ||
            al_dataset_load_fashion_mnist(NULL, AL_DATA_TEST, test, &err) != AL_OK)
            return cli_fail(cmd, &err);
    } else {
        if (cli_load_data(a->train, train, &err) != AL_OK) {
            fprintf(stderr, "actlab %s: %s %s: %s\n", cmd, a->train_flag ? a->train_flag : "--train", a->train,
                    err.message);
            return 1;
        }
        if (a->test && cli_load_data(a->test, test, &err) != AL_OK) {
            fprintf(stderr, "actlab %s: --test %s: %s\n", cmd, a->test, err.message);
            return 1;
        }
    }
    if (a->val > 0) {
        al_dataset *tr = NULL, *va = NULL;
        if (al_dataset_split(*train, (size_t)a->val, AL_SPLIT_LAST, 0, &tr, &va, &err) != AL_OK) {
            fprintf(stderr, "actlab %s: --val %ld: %s\n", cmd, a->val, err.message);
            return 1;
        }
        al_dataset_free(*train);
        al_dataset_free(*test);
        *train = tr;
        *test = va;
    }
    if (a->standardize) {
        al_feature_stats stats;
        if (al_feature_stats_compute(*train, AL_STANDARDIZE_PER_FEATURE, &stats, &err) != AL_OK ||
            al_dataset_standardize(*train, &stats, &err) != AL_OK ||
            (*test && al_dataset_standardize(*test, &stats, &err) != AL_OK)) {
            al_feature_stats_free(&stats);
            return cli_fail(cmd, &err);
        }
        al_feature_stats_free(&stats);
    }
    return 0;
}

int cli_model_text(const char *cmd, const char *arg, char **owned, const char **text)
{
    *owned = NULL;
    *text = arg;
    if (arg[0] != '@')
        return 0;
    size_t size;
    al_error err = {0};
    if (al_file_read_all(arg + 1, 1 << 20, owned, &size, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --model %s: %s\n", cmd, arg, err.message);
        return 1;
    }
    *text = *owned;
    return 0;
}

int cli_load_model(const char *cmd, const char *model, const char *weights, al_net **net)
{
    char *owned = NULL;
    const char *spec;
    *net = NULL;
    if (cli_model_text(cmd, model, &owned, &spec))
        return 1;
    al_error err = {0};
    int rc = 0;
    if (al_net_create(spec, NULL, net, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --model: %s\n", cmd, err.message);
        rc = 2;
    } else if (al_net_load(*net, weights, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --weights: %s\n", cmd, err.message);
        al_net_free(*net);
        *net = NULL;
        rc = 1;
    }
    free(owned);
    return rc;
}
