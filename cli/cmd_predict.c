/* `actlab predict`: a model file's predictions for rows of an NPY or CSV
 * file (or the test rows the data flags pick, as for eval), with the
 * standardisation the file stores applied, class names when it has them,
 * and the accuracy when the rows come with labels. Input that is not
 * finite is refused, as train and eval refuse it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_head[] =
    "usage: actlab predict --weights FILE.safetensors [--model SPEC] (--in INPUT | --test DATA | --train DATA)\n"
    "Prints one line per row: its index, the predicted class, the class name when the model file\n"
    "has names, and the probability (for real-valued targets: the outputs). With labels in the\n"
    "input it also prints the accuracy (stderr). The standardisation the file stores is applied.\n"
    "  --in INPUT              X.npy ([N, features], float32 or float64), FILE.csv[.gz] (every\n"
    "                          column a feature, or one more: the label, as for train), or\n"
    "                          FILE.csv[.gz]:LABEL, X.npy,Y.npy, ... (DATA as for train)\n"
    "  --out P.npy             all probabilities (or outputs) [N, outputs], float32\n";

/* X.npy alone: features without labels, as a dataset; non-finite values
 * are refused (row and feature named). */
static int load_npy_features(const char *cmd, const char *path, al_dataset **out)
{
    al_array x = {0};
    al_error err = {0};
    *out = NULL;
    if (al_npy_read(path, &x, &err) != AL_OK)
        return cli_fail(cmd, &err);
    int rc = 1;
    size_t rows = x.rank >= 1 ? x.shape[0] : 0, feats = rows ? x.count / rows : 0;
    if ((x.dtype != AL_DTYPE_F32 && x.dtype != AL_DTYPE_F64) || x.rank < 2 || rows == 0 || feats == 0) {
        char shape[128];
        al_array_shape_text(&x, shape, sizeof shape);
        fprintf(stderr, "actlab %s: --in '%s' is %s %s; predict takes float32 or float64 [N, features]\n", cmd, path,
                al_dtype_descr(x.dtype), shape);
        goto done;
    }
    /* each example keeps its shape ([C, H, W] for a convolutional model) */
    if (al_dataset_create(path, rows, x.rank - 1, x.shape + 1, out, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    al_dataset_set_no_labels(*out);
    float *dst = al_dataset_x_mut(*out);
    for (size_t i = 0; i < x.count; i++) {
        double v = x.dtype == AL_DTYPE_F32 ? ((float *)x.data)[i] : ((double *)x.data)[i];
        if (!isfinite((float)v)) {
            fprintf(stderr, "actlab %s: --in '%s': row %zu, feature %zu is %s: the input must be finite (as for "
                    "train and eval)\n", cmd, path, i / feats, i % feats, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
            al_dataset_free(*out);
            *out = NULL;
            goto done;
        }
        dst[i] = (float)v;
    }
    rc = 0;
done:
    al_array_free(&x);
    return rc;
}

/* --in: X.npy, a CSV as train reads it (its label column, when it has
 * one more column than the model takes, gives the accuracy), a CSV of
 * features only, or any DATA as train reads it. */
static int load_input(const char *cmd, const char *in, const cli_data_args *a, size_t features, int quiet,
                      al_dataset **out)
{
    al_error err = {0};
    size_t len = strlen(in);
    if (!strchr(in, ',') && len > 4 && strcmp(in + len - 4, ".npy") == 0)
        return load_npy_features(cmd, in, out);
    al_csv_options csv = cli_csv_options(a);
    al_csv_info info;
    csv.info = &info;
    al_status st = cli_load_data_with(in, &csv, out, &err);
    int labelled = st == AL_OK && al_dataset_features(*out) == features;
    if (labelled && !quiet && info.label_index >= 0)
        fprintf(stderr, "%s: %zu columns for a model of %zu features: column #%ld%s%s%s is the label\n", in,
                features + 1, features, info.label_index, info.label_name[0] ? " '" : "", info.label_name,
                info.label_name[0] ? "'" : "");
    if (!labelled && !strchr(in, ',') && (st != AL_OK || al_dataset_features(*out) + 1 == features)) {
        /* as many columns as the model takes: all of them are features */
        al_dataset *all = NULL;
        csv.no_label = 1;
        al_error again = {0};
        if (cli_load_data_with(in, &csv, &all, &again) == AL_OK) {
            al_dataset_free(*out);
            *out = all;
            st = AL_OK;
        } else if (st != AL_OK) {
            err = again;
        }
    }
    if (st != AL_OK) {
        fprintf(stderr, "actlab %s: --in %s: %s\n", cmd, in, err.message);
        return err.status == AL_ERR_INVALID ? 2 : 1;
    }
    return 0;
}

/* Probabilities (softmax, or sigmoid for one output of a BCE model) or raw
 * outputs (MSE) of each row into p; prints a line per row. */
static void print_rows(const cli_model *m, const al_dataset *data, al_loss_kind loss, const float *out, size_t start,
                       size_t rows, size_t outputs, float *p, size_t *correct)
{
    for (size_t r = 0; r < rows; r++) {
        const float *z = out + r * outputs;
        float *q = p + (start + r) * outputs;
        size_t best = 0;
        if (loss == AL_LOSS_MSE) {
            memcpy(q, z, outputs * sizeof *q);
            printf("%zu", start + r);
            for (size_t c = 0; c < outputs; c++)
                printf("\t%.6g", (double)z[c]);
            printf("\n");
            continue;
        }
        if (loss == AL_LOSS_BCE_WITH_LOGITS) {
            for (size_t c = 0; c < outputs; c++)
                q[c] = (float)(1.0 / (1.0 + exp(-(double)z[c])));
        } else {
            double mx = z[0], s = 0;
            for (size_t c = 1; c < outputs; c++)
                mx = z[c] > mx ? z[c] : mx;
            for (size_t c = 0; c < outputs; c++)
                s += exp((double)z[c] - mx);
            for (size_t c = 0; c < outputs; c++)
                q[c] = (float)(exp((double)z[c] - mx) / s);
        }
        for (size_t c = 1; c < outputs; c++)
            if (q[c] > q[best])
                best = c;
        double prob = q[best];
        if (outputs == 1) { /* one logit: class 1 when its probability is above 1/2 */
            best = q[0] > 0.5f;
            prob = best ? q[0] : 1.0 - q[0];
        }
        const char *name = cli_class_name(m, data, (int)best);
        printf("%zu\t%zu\t%s%s%.4f\n", start + r, best, name ? name : "", name ? "\t" : "", prob);
        if (al_dataset_has_labels(data))
            *correct += (int32_t)best == al_dataset_y(data)[start + r];
    }
}

int cmd_predict(int argc, char **argv)
{
    const char *cmd = "predict", *in = NULL, *out = NULL;
    cli_model_args a;
    cli_model_args_init(&a);
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_head, stdout);
            cli_model_usage(stdout);
            fputs("data (instead of --in: the test rows, chosen as for eval):\n", stdout);
            cli_data_usage(stdout, CLI_DATA_ALL);
            return 0;
        }
        int rc = 0;
        if (cli_model_flag(cmd, &a, argc, argv, &i, &rc)) {
            if (rc)
                return rc;
            continue;
        }
        const char *f = argv[i];
        if (i + 1 >= argc || (strcmp(f, "--in") != 0 && strcmp(f, "--out") != 0))
            return cli_usage_error(cmd, "%s '%s'", strncmp(f, "--", 2) == 0 ? "unknown or incomplete option"
                                                                           : "unexpected argument", f);
        if (strcmp(f, "--in") == 0)
            in = argv[++i];
        else
            out = argv[++i];
    }
    if (in && (a.data.data || a.data.train || a.data.test))
        return cli_usage_error(cmd, "--in and --train/--test/--data exclude each other");
    int rc = in ? 0 : cli_data_check(cmd, &a.data, CLI_NEED_TEST);
    if (rc)
        return rc;
    al_error err = {0};
    cli_model m;
    cli_sets s;
    memset(&s, 0, sizeof s);
    al_array probs = {0};
    float *x = NULL;
    const al_feature_stats *stats;
    if ((rc = cli_open_model_for(cmd, &a, &m, &stats)) != 0)
        return rc;
    size_t features = al_net_in_features(m.net), outputs = al_net_out_features(m.net);
    if (in) {
        rc = load_input(cmd, in, &a.data, features, a.quiet, &s.test);
        if (rc == 0 && stats && al_dataset_standardize(s.test, stats, &err) != AL_OK)
            rc = cli_fail(cmd, &err);
    } else {
        rc = cli_load_sets(cmd, &a.data, stats, a.quiet, &s);
    }
    if (rc != 0)
        goto done;
    rc = 1;
    const al_dataset *data = s.test;
    if (al_net_fit_data(m.net, data, in ? "--in" : "the test data", &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    features = al_net_in_features(m.net);
    size_t rows = al_dataset_count(data), pshape[2] = {rows, outputs};
    if (al_dataset_features(data) != features) {
        fprintf(stderr, "actlab %s: %s has %zu features per row; the model takes %zu\n", cmd, al_dataset_name(data),
                al_dataset_features(data), features);
        goto done;
    }
    if (al_array_create(&probs, AL_DTYPE_F32, 2, pshape, &err) != AL_OK ||
        al_net_prepare(m.net, (size_t)a.batch, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    x = malloc((size_t)a.batch * features * sizeof *x);
    if (!x) {
        fprintf(stderr, "actlab %s: out of memory for batches of %ld rows\n", cmd, a.batch);
        goto done;
    }
    al_loss_kind loss = m.meta.has_loss ? m.meta.loss
                                        : outputs == 1 ? AL_LOSS_BCE_WITH_LOGITS : AL_LOSS_CROSS_ENTROPY;
    size_t correct = 0;
    for (size_t start = 0; start < rows; start += (size_t)a.batch) {
        size_t n = rows - start < (size_t)a.batch ? rows - start : (size_t)a.batch;
        al_dataset_rows(data, start, n, x);
        const float *y = al_net_forward(m.net, x, n, 0, 0);
        if (!y) {
            fprintf(stderr, "actlab %s: out of memory in the forward pass\n", cmd);
            goto done;
        }
        print_rows(&m, data, loss, y, start, n, outputs, probs.data, &correct);
    }
    if (al_dataset_has_labels(data) && loss != AL_LOSS_MSE)
        fprintf(stderr, "accuracy %.4f (%zu of %zu rows of %s)\n", (double)correct / (double)rows, correct, rows,
                al_dataset_name(data));
    if (out && al_npy_write(out, &probs, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    rc = 0;
done:
    free(x);
    cli_model_free(&m);
    cli_sets_free(&s);
    al_array_free(&probs);
    return rc;
}
