/* `actlab gradcheck`: float64 central differences against the analytic
 * backward on one batch, per tensor, with kink straddles counted apart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/gradcheck.h"
#include "cli.h"

static const char gradcheck_usage[] =
    "usage: actlab gradcheck --model SPEC [--init FILE] [--data fashion-mnist | --train X.npy,Y.npy]\n"
    "                        [--input-shape C,H,W] [--batch N] [--samples N] [--seed S] [--eps E]\n"
    "                        [--eval]\n"
    "\n"
    "Checks the model's derivatives in float64: for sampled entries of every parameter\n"
    "tensor and of the input, the analytic gradient of L = sum(output * r) (r a fixed\n"
    "random N(0,1) matrix) against central differences (L(v+eps) - L(v-eps)) / 2eps.\n"
    "\n"
    "  --model SPEC | @FILE    the model, as for train\n"
    "  --init FILE.safetensors check at these weights (default: the seeded initialisation)\n"
    "  --data fashion-mnist    take the batch from the first training rows\n"
    "  --train DATA            X.npy,Y.npy | IMAGES.idx[.gz],LABELS.idx[.gz] | FILE.csv[:LABEL]\n"
    "                          (without data the batch is random N(0,1))\n"
    "  --input-shape C,H,W     one example's shape for the random batch (a model that\n"
    "                          starts with Conv2d needs it when no data is given)\n"
    "  --batch N               rows in the batch (8)\n"
    "  --samples N             entries checked per tensor (20)\n"
    "  --seed S                initialisation, sampled entries and r (0)\n"
    "  --eps E                 the difference step (1e-6)\n"
    "  --eval                  eval mode: BatchNorm running statistics, Dropout off, RReLU\n"
    "                          mean slope (default: training mode, batch statistics)\n"
    "\n"
    "Exit status: 0 all pass, 1 an error away from kinks exceeds tolerance (or a\n"
    "failure), 2 usage errors.\n";

static void print_report(const al_gradcheck_report *r, const al_gradcheck_options *o)
{
    printf("%-28s %-12s %8s %8s %12s %12s  %s\n", "layer", "tensor", "checked", "kinks",
           "max abs err", "max rel err", "status");
    for (int t = 0; t < r->n_tensors; t++) {
        const al_gradcheck_tensor *g = &r->tensors[t];
        char layer[64];
        if (g->layer < 0)
            snprintf(layer, sizeof layer, "(input)");
        else
            snprintf(layer, sizeof layer, "%d %s", g->layer, g->module);
        printf("%-28.28s %-12s %8zu %8zu %12.3e %12.3e  %s\n", layer, g->name, g->checked,
               g->kink_straddles, g->max_abs_err, g->max_rel_err, g->passed ? "ok" : "FAIL");
    }
    printf("tolerance: |analytic - numeric| <= %.3g + %g * max(|analytic|, |numeric|), eps %g\n"
           "(the absolute term includes the float64 rounding of the loss difference; a relative\n"
           "error near 1 on a tiny gradient, e.g. a bias before BatchNorm, is judged by it)\n",
           r->abs_tol_used, o->rel_tol, o->eps);
    if (r->kink_straddles > 0)
        printf("%zu entries whose +-eps window crosses a kink (column 'kinks', not judged): the "
               "numeric derivative averages the two sides, so a large difference there is "
               "expected\n", r->kink_straddles);
    printf("%s\n", r->passed ? "gradcheck passed" : "gradcheck FAILED: see the FAIL rows");
}

int cmd_gradcheck(int argc, char **argv)
{
    const char *cmd = "gradcheck";
    const char *model = NULL, *init = NULL, *data = NULL, *train = NULL, *input_shape = NULL;
    long batch = 8, samples = 20, seed = 0;
    al_gradcheck_options o = al_gradcheck_options_default();
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i];
        if (cli_is_help(f)) {
            fputs(gradcheck_usage, stdout);
            return 0;
        }
        if (strcmp(f, "--eval") == 0) {
            o.eval_mode = 1;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(cmd, "%s needs a value", f);
        const char *v = argv[++i];
        if (strcmp(f, "--model") == 0) model = v;
        else if (strcmp(f, "--init") == 0) init = v;
        else if (strcmp(f, "--data") == 0) data = v;
        else if (strcmp(f, "--train") == 0) train = v;
        else if (strcmp(f, "--input-shape") == 0) input_shape = v;
        else if (strcmp(f, "--batch") == 0) { if (cli_long(cmd, f, v, 1, 4096, &batch)) return 2; }
        else if (strcmp(f, "--samples") == 0) { if (cli_long(cmd, f, v, 1, 1000000, &samples)) return 2; }
        else if (strcmp(f, "--seed") == 0) { if (cli_long(cmd, f, v, 0, 2147483647L, &seed)) return 2; }
        else if (strcmp(f, "--eps") == 0) {
            if (cli_double_above(cmd, f, v, 0, INFINITY, &o.eps))
                return 2;
        } else {
            return cli_usage_error(cmd, "unknown option '%s'", f);
        }
    }
    if (!model)
        return cli_usage_error(cmd, "--model SPEC is required, e.g. --model 'Linear(784, 10)'");
    if (data && train)
        return cli_usage_error(cmd, "--data and --train exclude each other");
    if (data && strcmp(data, "fashion-mnist") != 0)
        return cli_usage_error(cmd, "--data takes 'fashion-mnist'; use --train for files");
    o.samples = (size_t)samples;
    o.seed = (uint64_t)seed;

    al_error err = {0};
    char *owned = NULL;
    const char *text;
    if (cli_model_text(cmd, model, &owned, &text))
        return 1;
    int rc = 1;
    al_net *net = NULL;
    al_dataset *ds = NULL;
    float *x = NULL;
    al_gradcheck_report report = {0};
    al_net_options no = al_net_options_default();
    no.seed = (uint64_t)seed;
    if (input_shape && cli_shape(cmd, "--input-shape", input_shape, &no.input)) {
        rc = 2;
        goto done;
    }
    if (al_net_create(text, &no, &net, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --model: %s\n", cmd, err.message);
        rc = err.status == AL_ERR_INVALID ? 2 : 1;
        goto done;
    }
    if (init && al_net_load(net, init, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --init: %s\n", cmd, err.message);
        goto done;
    }
    size_t in = al_net_in_features(net), rows = (size_t)batch;
    if (data || train) {
        al_status st = data ? al_dataset_load_fashion_mnist(NULL, AL_DATA_TRAIN, &ds, &err)
                            : cli_load_data(train, &ds, &err);
        if (st != AL_OK) {
            fprintf(stderr, "actlab %s: %s: %s\n", cmd, data ? "--data" : "--train", err.message);
            goto done;
        }
        if (al_net_fit_data(net, ds, "the data", &err) != AL_OK) {
            fprintf(stderr, "actlab %s: %s\n", cmd, err.message);
            goto done;
        }
        if (al_dataset_count(ds) < rows)
            rows = al_dataset_count(ds);
        x = malloc(rows * in * sizeof *x);
        if (!x) {
            fprintf(stderr, "actlab %s: out of memory for the batch\n", cmd);
            goto done;
        }
        al_dataset_rows(ds, 0, rows, x);
        printf("batch: the first %zu rows of %s\n", rows, al_dataset_name(ds));
    } else {
        if (!in) {
            fprintf(stderr, "actlab %s: %s takes images of a size the model does not fix: give "
                    "--input-shape C,H,W or data\n", cmd, al_net_layer(net, 0).module);
            rc = 2;
            goto done;
        }
        x = malloc(rows * in * sizeof *x);
        if (!x) {
            fprintf(stderr, "actlab %s: out of memory for the batch\n", cmd);
            goto done;
        }
        al_rng rng;
        al_rng_seed(&rng, (uint64_t)seed ^ 0x9e3779b97f4a7c15ULL);
        for (size_t k = 0; k < rows * in; k++)
            x[k] = (float)al_rng_normal(&rng);
        printf("batch: %zu random N(0,1) rows (no --data given)\n", rows);
    }
    printf("mode: %s; loss: sum(output * r), r fixed N(0,1)\n",
           o.eval_mode ? "eval (running statistics)" : "training (BatchNorm batch statistics)");
    if (al_gradcheck(net, x, rows, &o, &report, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: %s\n", cmd, err.message);
        rc = err.status == AL_ERR_INVALID ? 2 : 1;
        goto done;
    }
    print_report(&report, &o);
    rc = report.passed ? 0 : 1;
done:
    al_gradcheck_report_free(&report);
    free(x);
    al_dataset_free(ds);
    al_net_free(net);
    free(owned);
    return rc;
}
