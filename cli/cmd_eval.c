/* `actlab eval`: a model file's loss and accuracy (per class, with the
 * confusion matrix) or MSE, MAE and R² on a test set, chosen with the same
 * data flags as `actlab train`, with the standardisation the file stores. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "actlab/train.h"
#include "cli.h"

static const char usage_head[] =
    "usage: actlab eval --weights FILE.safetensors [--model SPEC] (--test DATA | --train DATA | --data fashion-mnist)\n"
    "Evaluates the model on the test rows: with --train DATA, the rows `actlab train` held out of it\n"
    "(give the same --test, --split and --split-seed as for training); with --test DATA, that file.\n"
    "Prints the loss, then for classes the accuracy, the accuracy per class and the confusion\n"
    "matrix (rows: true class, columns: predicted), for real-valued targets MSE, MAE and R².\n"
    "The standardisation a model file stores is applied to the data (and said so).\n"
    "  --loss cross-entropy|mse|bce  the loss (default: the file's, else as train chooses)\n";

/* The width of the class column: the longest name, at least "class". */
static int name_width(const cli_model *m, const al_dataset *data, size_t classes)
{
    int w = 5;
    for (size_t c = 0; c < classes; c++) {
        const char *name = cli_class_name(m, data, (int)c);
        if (name && (int)strlen(name) > w)
            w = (int)strlen(name) < 24 ? (int)strlen(name) : 24;
    }
    return w;
}

static void print_result(const cli_model *m, const al_dataset *data, const al_eval_result *r)
{
    char a[32], b[32], c3[32], d[32];
    printf("%s: %zu examples  loss %s", al_dataset_name(data), r->count, cli_num(r->loss, a, sizeof a));
    if (!isnan(r->accuracy))
        printf("  accuracy %.4f", r->accuracy);
    if (!isnan(r->mse))
        printf("  mse %s  mae %s  r2 %s", cli_num(r->mse, b, sizeof b), cli_num(r->mae, c3, sizeof c3),
               cli_num(r->r2, d, sizeof d));
    printf("\n");
    size_t k_classes = (size_t)r->classes;
    if (!k_classes || !r->confusion)
        return;
    int w = name_width(m, data, k_classes);
    printf("\n%-*s  accuracy  count\n", w, "class");
    for (size_t c = 0; c < k_classes; c++) {
        size_t row = 0;
        for (size_t k = 0; k < k_classes; k++)
            row += r->confusion[c * k_classes + k];
        const char *name = cli_class_name(m, data, (int)c);
        char label[32];
        snprintf(label, sizeof label, "%s", name ? name : "");
        if (!name)
            snprintf(label, sizeof label, "%zu", c);
        if (row)
            printf("%-*.*s  %8.4f  %5zu\n", w, w, label, (double)r->confusion[c * k_classes + c] / (double)row, row);
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
    const char *cmd = "eval", *loss_name = NULL;
    cli_model_args a;
    cli_model_args_init(&a);
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_head, stdout);
            cli_model_usage(stdout);
            fputs("data:\n", stdout);
            cli_data_usage(stdout, CLI_DATA_ALL);
            fputs("  (--val is accepted so that train's command line works; it does not change the test rows)\n",
                  stdout);
            return 0;
        }
        int rc = 0;
        if (cli_model_flag(cmd, &a, argc, argv, &i, &rc)) {
            if (rc)
                return rc;
            continue;
        }
        if (i + 1 >= argc || strcmp(argv[i], "--loss") != 0)
            return cli_usage_error(cmd, "%s '%s'", strncmp(argv[i], "--", 2) == 0 ? "unknown or incomplete option"
                                                                                 : "unexpected argument", argv[i]);
        loss_name = argv[++i];
    }
    int rc = cli_data_check(cmd, &a.data, CLI_NEED_TEST);
    if (rc)
        return rc;
    al_error err = {0};
    al_loss_kind loss = AL_LOSS_CROSS_ENTROPY;
    if (loss_name && al_loss_parse_kind(loss_name, &loss, &err) != AL_OK)
        return cli_usage_error(cmd, "--loss: %s", err.message);
    cli_model m;
    cli_sets s;
    memset(&s, 0, sizeof s);
    al_eval_result r = {0};
    const al_feature_stats *stats;
    if ((rc = cli_open_model_for(cmd, &a, &m, &stats)) != 0)
        return rc;
    if ((rc = cli_load_sets(cmd, &a.data, stats, a.quiet, &s)) != 0)
        goto done;
    if (!loss_name)
        loss = m.meta.has_loss ? m.meta.loss : al_default_loss(s.test, al_net_out_features(m.net));
    if (al_evaluate_loss(m.net, s.test, (size_t)a.batch, loss, &r, &err) != AL_OK) {
        static const cli_flag flags[] = {{"train.loss", "--loss"}, {"train.batch", "--batch"}, {NULL, NULL}};
        rc = cli_fail_flags(cmd, &err, flags);
        goto done;
    }
    print_result(&m, s.test, &r);
done:
    al_eval_result_free(&r);
    cli_model_free(&m);
    cli_sets_free(&s);
    return rc;
}
