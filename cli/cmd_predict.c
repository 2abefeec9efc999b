/* `actlab predict`: class probabilities of a model with its weights for the
 * rows of an NPY file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char predict_usage[] =
    "usage: actlab predict --model SPEC --weights FILE.safetensors --in X.npy [--out P.npy]\n"
    "Prints the predicted class and its probability for each row of X (float32 or\n"
    "float64, [N, features]); --out writes all class probabilities [N, classes].\n";

/* Softmax of each row of logits into p; prints each row's best class. */
static void print_softmax(const float *logits, size_t rows, size_t classes, float *p)
{
    for (size_t r = 0; r < rows; r++) {
        const float *z = logits + r * classes;
        float m = z[0];
        for (size_t c = 1; c < classes; c++)
            m = z[c] > m ? z[c] : m;
        double s = 0;
        for (size_t c = 0; c < classes; c++)
            s += exp((double)(z[c] - m));
        size_t best = 0;
        for (size_t c = 0; c < classes; c++) {
            p[r * classes + c] = (float)(exp((double)(z[c] - m)) / s);
            if (p[r * classes + c] > p[r * classes + best])
                best = c;
        }
        printf("%zu\t%zu\t%.4f\n", r, best, (double)p[r * classes + best]);
    }
}

int cmd_predict(int argc, char **argv)
{
    const char *cmd = "predict", *model = NULL, *weights = NULL, *in = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(predict_usage, stdout);
            return 0;
        }
        if (i + 1 >= argc || strncmp(argv[i], "--", 2) != 0)
            return cli_usage_error(cmd, "unexpected or incomplete argument '%s'", argv[i]);
        const char *f = argv[i], *v = argv[++i];
        if (strcmp(f, "--model") == 0) model = v;
        else if (strcmp(f, "--weights") == 0) weights = v;
        else if (strcmp(f, "--in") == 0) in = v;
        else if (strcmp(f, "--out") == 0) out = v;
        else return cli_usage_error(cmd, "unknown option '%s'", f);
    }
    if (!model || !weights || !in)
        return cli_usage_error(cmd, "--model, --weights and --in are required");
    al_error err = {0};
    al_net *net = NULL;
    al_array x = {0}, probs = {0};
    float *xf = NULL;
    int rc = cli_load_model(cmd, model, weights, &net);
    if (rc != 0)
        goto done;
    rc = 1;
    if (al_npy_read(in, &x, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    size_t rows = x.rank >= 1 ? x.shape[0] : 0, feats = rows ? x.count / rows : 0;
    if ((x.dtype != AL_DTYPE_F32 && x.dtype != AL_DTYPE_F64) || x.rank < 2 || feats != al_net_in_features(net)) {
        char shape[128];
        al_array_shape_text(&x, shape, sizeof shape);
        fprintf(stderr, "actlab predict: '%s' is %s %s; the model takes float32 or float64 [N, %zu]\n", in,
                al_dtype_descr(x.dtype), shape, al_net_in_features(net));
        goto done;
    }
    size_t classes = al_net_out_features(net), pshape[2] = {rows, classes};
    xf = malloc(x.count * sizeof(float));
    if (!xf || al_array_create(&probs, AL_DTYPE_F32, 2, pshape, &err) != AL_OK) {
        fprintf(stderr, "actlab predict: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < x.count; i++)
        xf[i] = x.dtype == AL_DTYPE_F32 ? ((float *)x.data)[i] : (float)((double *)x.data)[i];
    if (al_net_prepare(net, rows, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    const float *logits = al_net_forward(net, xf, rows, 0, 0);
    if (!logits) {
        fprintf(stderr, "actlab predict: out of memory in the forward pass\n");
        goto done;
    }
    print_softmax(logits, rows, classes, probs.data);
    if (out && al_npy_write(out, &probs, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    rc = 0;
done:
    al_net_free(net);
    al_array_free(&x);
    al_array_free(&probs);
    free(xf);
    return rc;
}
