/* `actlab eval`: loss, accuracy, per-class accuracy and the confusion matrix
 * of a model with its weights on a data set. */
#include <stdio.h>
#include <string.h>

#include "actlab/train.h"
#include "cli.h"

static const char eval_usage[] =
    "usage: actlab eval --model SPEC --weights FILE.safetensors (--data fashion-mnist | --test DATA)\n"
    "Prints the loss, the accuracy, the accuracy per class and the confusion matrix\n"
    "(rows: true class, columns: predicted). DATA as for `actlab train`.\n";

static void print_result(const al_dataset *data, const al_eval_result *r)
{
    printf("%s: %zu examples  loss %.4f  accuracy %.4f\n\nclass  accuracy  count\n", al_dataset_name(data),
           r->count, r->loss, r->accuracy);
    size_t k_classes = (size_t)r->classes;
    for (size_t c = 0; c < k_classes; c++) {
        size_t row = 0;
        for (size_t k = 0; k < k_classes; k++)
            row += r->confusion[c * k_classes + k];
        if (row)
            printf("%5zu  %8.4f  %5zu\n", c, (double)r->confusion[c * k_classes + c] / (double)row, row);
    }
    printf("\nconfusion (rows: true, columns: predicted)\n      ");
    for (size_t k = 0; k < k_classes; k++)
        printf("%6zu", k);
    printf("\n");
    for (size_t c = 0; c < k_classes; c++) {
        printf("%6zu", c);
        for (size_t k = 0; k < k_classes; k++)
            printf("%6zu", r->confusion[c * k_classes + k]);
        printf("\n");
    }
}

int cmd_eval(int argc, char **argv)
{
    const char *cmd = "eval", *model = NULL, *weights = NULL;
    cli_data_args a;
    memset(&a, 0, sizeof a);
    a.train_flag = "--test";
    long batch = 256;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(eval_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--standardize") == 0) { a.standardize = 1; continue; }
        if (i + 1 >= argc || strncmp(argv[i], "--", 2) != 0)
            return cli_usage_error(cmd, "unexpected or incomplete argument '%s'", argv[i]);
        const char *f = argv[i], *v = argv[++i];
        if (strcmp(f, "--model") == 0) model = v;
        else if (strcmp(f, "--weights") == 0) weights = v;
        else if (strcmp(f, "--data") == 0) a.data = v;
        else if (strcmp(f, "--test") == 0) a.train = v; /* loaded as the dataset to evaluate */
        else if (strcmp(f, "--batch") == 0) { if (cli_long(cmd, f, v, 1, 1 << 20, &batch)) return 2; }
        else return cli_usage_error(cmd, "unknown option '%s'", f);
    }
    if (!model || !weights || (!a.data && !a.train))
        return cli_usage_error(cmd, "--model, --weights and --data or --test are required");
    al_error err = {0};
    al_net *net = NULL;
    al_dataset *train = NULL, *test = NULL;
    al_eval_result r = {0};
    int rc = cli_load_model(cmd, model, weights, &net);
    if (rc != 0)
        goto done;
    if ((rc = cli_load_sets(cmd, &a, &train, &test)) != 0)
        goto done;
    const al_dataset *data = a.data ? test : train;
    if (al_evaluate(net, data, (size_t)batch, &r, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    print_result(data, &r);
done:
    al_eval_result_free(&r);
    al_net_free(net);
    al_dataset_free(train);
    al_dataset_free(test);
    return rc;
}
