/* Model files for eval and predict: the net with its weights, built from
 * --model or from the spec the file records, and what the file says about
 * its input (the stored standardisation) and its classes (their names). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Option fields a model file's errors may name. */
static const cli_flag model_flags[] = {
    {"model.spec", "--model"},
    {NULL, NULL},
};

void cli_model_args_init(cli_model_args *a)
{
    memset(a, 0, sizeof *a);
    a->batch = 256;
    cli_data_args_init(&a->data, CLI_DATA_ALL);
}

int cli_model_flag(const char *cmd, cli_model_args *a, int argc, char **argv, int *i, int *rc)
{
    const char *f = argv[*i];
    *rc = 0;
    if (cli_data_flag(cmd, &a->data, argc, argv, i, rc))
        return 1;
    if (strcmp(f, "--quiet") == 0) {
        a->quiet = 1;
        return 1;
    }
    if (strcmp(f, "--model") != 0 && strcmp(f, "--weights") != 0 && strcmp(f, "--batch") != 0)
        return 0;
    if (*i + 1 >= argc) {
        *rc = cli_usage_error(cmd, "%s needs a value", f);
        return 1;
    }
    const char *v = argv[++*i];
    if (strcmp(f, "--model") == 0)
        a->model = v;
    else if (strcmp(f, "--weights") == 0)
        a->weights = v;
    else
        *rc = cli_long(cmd, f, v, 1, 1 << 20, &a->batch);
    return 1;
}

void cli_model_usage(FILE *out)
{
    fputs("  --weights FILE          the model file (actlab's, or a PyTorch state_dict)\n"
          "  --model SPEC | @FILE    the model; optional when the file records it (actlab train --save)\n"
          "  --batch N (256)         rows per forward pass   --quiet  no notes on stderr\n", out);
}

int cli_open_model_for(const char *cmd, const cli_model_args *a, cli_model *m, const al_feature_stats **stats)
{
    *stats = NULL;
    memset(m, 0, sizeof *m);
    if (!a->weights)
        return cli_usage_error(cmd, "--weights FILE.safetensors is required");
    int rc = cli_open_model(cmd, a->model, a->weights, a->quiet, m);
    if (rc == 0)
        *stats = cli_model_stats(cmd, m, &a->data, a->quiet, &rc);
    if (rc != 0)
        cli_model_free(m);
    return rc;
}

int cli_open_model(const char *cmd, const char *model, const char *weights, int quiet, cli_model *m)
{
    memset(m, 0, sizeof *m);
    char *owned = NULL;
    const char *spec = NULL;
    if (model && cli_model_text(cmd, model, &owned, &spec))
        return 1;
    al_error err = {0};
    int rc = 0;
    if (al_model_load(weights, spec, NULL, &m->net, &m->meta, &err) != AL_OK) {
        /* a spec that does not parse is the user's typing; a file that does not fit is the file's */
        if (err.field)
            rc = cli_fail_flags(cmd, &err, model_flags);
        else if (spec && err.status == AL_ERR_PARSE)
            rc = (fprintf(stderr, "actlab %s: --model: %s\n", cmd, err.message), 2);
        else
            rc = (fprintf(stderr, "actlab %s: --weights %s: %s\n", cmd, weights, err.message), 1);
    } else if (!quiet && !m->meta.present) {
        fprintf(stderr, "note: %s carries no actlab metadata (made by PyTorch?): no stored preprocessing or class "
                "names\n", weights);
    } else if (!quiet && !model) {
        fprintf(stderr, "model: %s (recorded in %s)\n", m->meta.spec, weights);
    }
    free(owned);
    return rc;
}

void cli_model_free(cli_model *m)
{
    al_net_free(m->net);
    al_model_meta_free(&m->meta);
    memset(m, 0, sizeof *m);
}

const al_feature_stats *cli_model_stats(const char *cmd, const cli_model *m, const cli_data_args *a, int quiet,
                                        int *rc)
{
    (void)cmd;
    *rc = 0;
    const al_feature_stats *s = &m->meta.stats;
    if (s->length > 0) {
        if (!quiet)
            fprintf(stderr, "applying the standardisation stored in the model file (%s mean and std of the "
                    "training rows, %zu features)\n", s->mode == AL_STANDARDIZE_GLOBAL ? "global" : "per-feature",
                    s->features);
        return s;
    }
    if (!quiet && a->standardize)
        fprintf(stderr, "the model file stores no standardisation: --standardize uses the training rows' "
                "statistics\n");
    else if (!quiet && !m->meta.present)
        fprintf(stderr, "note: the input is used as it is; if the model was trained on standardised input, give "
                "--standardize with --train DATA as for training\n");
    return NULL;
}

const char *cli_class_name(const cli_model *m, const al_dataset *data, int k)
{
    if (k >= 0 && k < m->meta.n_class_names)
        return m->meta.class_names[k];
    return data ? al_dataset_class_name(data, k) : NULL;
}
