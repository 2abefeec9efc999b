/* Training parity with PyTorch 1.13: MLPs and small CNNs initialised in torch (their
 * state_dicts in tests/fixtures/parity, made by scripts/make_parity_fixtures.py)
 * are trained by actlab for the same steps on the same Fashion-MNIST rows in
 * file order, and every parameter and buffer must end within REL_TOL of
 * torch's final state_dict, relative to the tensor's largest magnitude. The
 * cases (spec, optimizer, steps) are read from cases.txt; ACTLAB_PARITY_VERBOSE=1
 * prints every tensor's error. Without the dataset
 * the test says so and passes: CI installs it with scripts/deps.sh. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/data.h"
#include "actlab/loss.h"
#include "actlab/nn.h"
#include "actlab/optim.h"
#include "actlab/safetensors.h"
#include "check.h"

#ifndef AL_FIXTURES
#define AL_FIXTURES "tests/fixtures"
#endif
#define PARITY_DIR AL_FIXTURES "/parity"

/* max|actlab - torch| / max|torch| per tensor after the whole run */
#define REL_TOL 1e-4

typedef struct parity_case {
    char name[64];
    char spec[512];
    al_optim_options optim;
    long seed, steps, batch, rows;
} parity_case;

/* ---- cases.txt -------------------------------------------------------- */

/* Splits line at tabs into at most n fields; returns how many. */
static int split_tabs(char *line, char **fields, int n)
{
    int k = 0;
    char *p = line;
    while (k < n) {
        fields[k++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return k;
}

static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return end != text && *end == '\0' && errno == 0;
}

/* "key=value key=value ..." into the optimizer options (kind first). */
static int parse_optim(char *text, al_optim_options *o, const char *where)
{
    int have_kind = 0;
    for (char *tok = strtok(text, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            CHECK(0, "%s: '%s' is not key=value", where, tok);
            return 0;
        }
        *eq = '\0';
        const char *key = tok, *value = eq + 1;
        if (strcmp(key, "kind") == 0) {
            al_optim_kind kind;
            al_error err = {0};
            if (al_optim_parse_kind(value, &kind, &err) != AL_OK) {
                CHECK(0, "%s: %s", where, err.message);
                return 0;
            }
            *o = al_optim_options_for(kind);
            have_kind = 1;
            continue;
        }
        double v;
        if (!have_kind || !parse_number(value, &v)) {
            CHECK(0, "%s: bad optimizer field %s=%s (kind must come first)", where, key, value);
            return 0;
        }
        if (strcmp(key, "lr") == 0) o->lr = v;
        else if (strcmp(key, "momentum") == 0) o->momentum = v;
        else if (strcmp(key, "dampening") == 0) o->dampening = v;
        else if (strcmp(key, "nesterov") == 0) o->nesterov = v != 0;
        else if (strcmp(key, "weight_decay") == 0) o->weight_decay = v;
        else if (strcmp(key, "beta1") == 0) o->beta1 = v;
        else if (strcmp(key, "beta2") == 0) o->beta2 = v;
        else if (strcmp(key, "eps") == 0) o->eps = v;
        else if (strcmp(key, "amsgrad") == 0) o->amsgrad = v != 0;
        else {
            CHECK(0, "%s: unknown optimizer field '%s'", where, key);
            return 0;
        }
    }
    CHECK(have_kind, "%s: no kind= in the optimizer field", where);
    return have_kind;
}

/* "seed=S steps=N batch=B rows=R" */
static int parse_training(char *text, parity_case *c, const char *where)
{
    c->seed = c->steps = c->batch = c->rows = -1;
    for (char *tok = strtok(text, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        double v;
        if (!eq || (*eq = '\0', !parse_number(eq + 1, &v))) {
            CHECK(0, "%s: bad training field '%s'", where, tok);
            return 0;
        }
        if (strcmp(tok, "seed") == 0) c->seed = (long)v;
        else if (strcmp(tok, "steps") == 0) c->steps = (long)v;
        else if (strcmp(tok, "batch") == 0) c->batch = (long)v;
        else if (strcmp(tok, "rows") == 0) c->rows = (long)v;
        else {
            CHECK(0, "%s: unknown training field '%s'", where, tok);
            return 0;
        }
    }
    int ok = c->steps > 0 && c->batch > 0 && c->rows > 0 && c->rows % c->batch == 0;
    CHECK(ok, "%s: steps, batch and rows must be positive, rows a multiple of batch", where);
    return ok;
}

/* Reads every case; returns how many (0 on any error). */
static int read_cases(parity_case *cases, int max)
{
    const char *path = PARITY_DIR "/cases.txt";
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return 0;
    char line[2048];
    int n = 0, line_no = 0, ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        line_no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char where[64];
        snprintf(where, sizeof where, "cases.txt:%d", line_no);
        char *fields[4];
        if (split_tabs(line, fields, 4) != 4 || n == max) {
            CHECK(0, "%s: expected 4 tab-separated fields (and at most %d cases)", where, max);
            ok = 0;
            break;
        }
        parity_case *c = &cases[n];
        memset(c, 0, sizeof *c);
        if (strlen(fields[0]) >= sizeof c->name || strlen(fields[1]) >= sizeof c->spec) {
            CHECK(0, "%s: name or spec too long", where);
            ok = 0;
            break;
        }
        memcpy(c->name, fields[0], strlen(fields[0]) + 1);
        memcpy(c->spec, fields[1], strlen(fields[1]) + 1);
        ok = parse_optim(fields[2], &c->optim, where) && parse_training(fields[3], c, where);
        n++;
    }
    fclose(f);
    CHECK(ok && n > 0, "%s: no usable cases", path);
    return ok ? n : 0;
}

/* ---- state_dicts ------------------------------------------------------ */

/* The F32 tensor for ref in t, checked for dtype and for the shape the
 * net's own state_dict gives it (PyTorch's: Linear [out, in], Conv2d
 * [out, in / groups, kh, kw], vectors [count]); NULL if not usable. */
static const float *find_tensor(const al_tensors *t, al_net *net, const al_param_ref *ref, const char *file)
{
    const al_array *a = al_tensors_find(t, ref->name);
    CHECK(a != NULL, "%s has no tensor '%s'", file, ref->name);
    if (!a)
        return NULL;
    al_tensors shapes = {0};
    al_error err = {0};
    CHECK(al_net_state_dict(net, &shapes, 1, &err) == AL_OK, "%s", err.message);
    const al_array *want = al_tensors_find(&shapes, ref->name);
    int ok = want && a->dtype == AL_DTYPE_F32 && a->rank == want->rank && a->count == ref->count;
    for (int d = 0; ok && d < a->rank; d++)
        ok = a->shape[d] == want->shape[d];
    char got[128], expected[128] = "?";
    al_array_shape_text(a, got, sizeof got);
    if (want)
        al_array_shape_text(want, expected, sizeof expected);
    CHECK(ok, "%s: '%s' is %s %s, the net needs F32 %s", file, ref->name, al_safetensors_dtype_name(a->dtype), got,
          expected);
    al_tensors_free(&shapes);
    return ok ? (const float *)a->data : NULL;
}

/* num_batches_tracked of every BatchNorm layer in t (an I64 scalar). */
static const int64_t *find_batches_tracked(const al_tensors *t, int layer, const char *file)
{
    char name[64];
    snprintf(name, sizeof name, "%d.num_batches_tracked", layer);
    const al_array *a = al_tensors_find(t, name);
    CHECK(a != NULL && a->dtype == AL_DTYPE_I64 && a->count == 1,
          "%s: '%s' missing or not one I64", file, name);
    return a && a->dtype == AL_DTYPE_I64 && a->count == 1 ? (const int64_t *)a->data : NULL;
}

/* Tensors the net has in the state_dict: params, buffers, num_batches_tracked. */
static size_t state_dict_size(al_net *net)
{
    int n_params, n_buffers;
    al_net_params(net, &n_params);
    al_net_buffers(net, &n_buffers);
    size_t n = (size_t)n_params + (size_t)n_buffers;
    for (int i = 0; i < al_net_layer_count(net); i++)
        n += al_net_batches_tracked(net, i) != NULL;
    return n;
}

static int read_state(const char *name, const char *which, al_tensors *t, char *file, size_t size)
{
    snprintf(file, size, PARITY_DIR "/%s.%s.safetensors", name, which);
    al_error err = {0};
    al_status st = al_safetensors_read(file, t, &err);
    CHECK(st == AL_OK, "%s", err.message);
    return st == AL_OK;
}

/* Copies the init state_dict into the net; every name must exist with its shape. */
static int load_init(al_net *net, const char *name)
{
    al_tensors t = {0};
    char file[512];
    if (!read_state(name, "init", &t, file, sizeof file))
        return 0;
    int ok = 1, n;
    const al_param_ref *lists[2];
    int counts[2];
    lists[0] = al_net_params(net, &counts[0]);
    lists[1] = al_net_buffers(net, &counts[1]);
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < counts[l]; i++) {
            const float *src = find_tensor(&t, net, &lists[l][i], file);
            if (src)
                memcpy(lists[l][i].value, src, lists[l][i].count * sizeof(float));
            else
                ok = 0;
        }
    }
    for (int i = 0; i < al_net_layer_count(net); i++) {
        int64_t *tracked = al_net_batches_tracked(net, i);
        if (!tracked)
            continue;
        const int64_t *src = find_batches_tracked(&t, i, file);
        if (src)
            *tracked = *src;
        else
            ok = 0;
    }
    n = (int)state_dict_size(net);
    if (t.count != (size_t)n) {
        CHECK(0, "%s has %zu tensors, the net's state_dict %d", file, t.count, n);
        ok = 0;
    }
    al_tensors_free(&t);
    return ok;
}

static double max_rel_error(const float *got, const float *want, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= diff)) /* NaN propagates as the worst error */
            diff = d;
        if (fabs((double)want[i]) > scale)
            scale = fabs((double)want[i]);
    }
    return scale > 0 ? diff / scale : diff;
}

/* Compares every param and buffer with torch's final state_dict; returns the
 * worst relative error and names the tensor. */
static double compare_final(al_net *net, const parity_case *c, char *worst, size_t worst_size,
                            long steps_taken)
{
    al_tensors t = {0};
    char file[512];
    double worst_err = 0;
    snprintf(worst, worst_size, "(none)");
    if (!read_state(c->name, "final", &t, file, sizeof file))
        return INFINITY;
    const al_param_ref *lists[2];
    int counts[2];
    lists[0] = al_net_params(net, &counts[0]);
    lists[1] = al_net_buffers(net, &counts[1]);
    for (int l = 0; l < 2; l++) {
        for (int i = 0; i < counts[l]; i++) {
            const al_param_ref *ref = &lists[l][i];
            const float *want = find_tensor(&t, net, ref, file);
            double e = want ? max_rel_error(ref->value, want, ref->count) : INFINITY;
            CHECK(e <= REL_TOL, "%s: '%s' differs from torch by %.3g relative (tolerance %g)",
                  c->name, ref->name, e, REL_TOL);
            if (getenv("ACTLAB_PARITY_VERBOSE")) /* every tensor's error, for a report */
                fprintf(stderr, "  %-24s %.3g\n", ref->name, e);
            if (!(e <= worst_err)) {
                worst_err = e;
                snprintf(worst, worst_size, "%s", ref->name);
            }
        }
    }
    for (int i = 0; i < al_net_layer_count(net); i++) {
        int64_t *tracked = al_net_batches_tracked(net, i);
        if (!tracked)
            continue;
        const int64_t *want = find_batches_tracked(&t, i, file);
        CHECK(want && *tracked == *want && *tracked == steps_taken,
              "%s: %d.num_batches_tracked is %" PRId64 ", torch has %" PRId64, c->name, i,
              *tracked, want ? *want : (int64_t)-1);
    }
    CHECK(t.count == state_dict_size(net), "%s has %zu tensors, the net's state_dict %zu", file,
          t.count, state_dict_size(net));
    al_tensors_free(&t);
    return worst_err;
}

/* ---- one case --------------------------------------------------------- */

static void run_case(const parity_case *c, const al_dataset *ds)
{
    CHECK_SECTION(c->name);
    al_error err = {0};
    al_net *net = NULL;
    al_net_options no = al_net_options_default();
    no.seed = (uint64_t)c->seed;
    al_status st = al_net_create(c->spec, &no, &net, &err);
    if (st == AL_OK) /* a convolution takes the images as they are, [1, 28, 28] */
        st = al_net_fit_input(net, al_dataset_feature_rank(ds), al_dataset_feature_shape(ds), &err);
    CHECK(st == AL_OK, "%s: spec '%s': %s", c->name, c->spec, err.message);
    if (st != AL_OK) {
        al_net_free(net);
        return;
    }
    size_t in = al_net_in_features(net), classes = al_net_out_features(net);
    size_t batch = (size_t)c->batch, rows = (size_t)c->rows;
    CHECK(in == al_dataset_features(ds) && rows <= al_dataset_count(ds) &&
              (int)classes == al_dataset_classes(ds),
          "%s: net %zu -> %zu does not fit the dataset (%zu features, %d classes)", c->name, in,
          classes, al_dataset_features(ds), al_dataset_classes(ds));
    al_optim *opt = NULL;
    float *dlogits = malloc(batch * classes * sizeof(float));
    int n_params;
    const al_param_ref *params = al_net_params(net, &n_params);
    if (!dlogits || in != al_dataset_features(ds) || rows > al_dataset_count(ds) ||
        !load_init(net, c->name))
        goto done;
    st = al_optim_create(&c->optim, params, (size_t)n_params, &opt, &err);
    CHECK(st == AL_OK, "%s: al_optim_create: %s", c->name, err.message);
    if (st != AL_OK || al_net_prepare(net, batch, &err) != AL_OK)
        goto done;

    const float *x = al_dataset_x(ds);
    const int32_t *y = al_dataset_y(ds);
    double first_loss = 0, loss = 0;
    long step;
    for (step = 0; step < c->steps; step++) {
        size_t begin = ((size_t)step * batch) % rows;
        al_net_zero_grad(net);
        const float *logits = al_net_forward(net, x + begin * in, batch, 1, (uint64_t)step);
        st = logits ? al_loss_cross_entropy(logits, y + begin, batch, classes, dlogits, &loss, NULL,
                                            &err)
                    : AL_ERR_NOMEM;
        if (st != AL_OK)
            break;
        if (step == 0)
            first_loss = loss;
        al_net_backward(net, dlogits, NULL);
        st = al_optim_step(opt, c->optim.lr, &err);
        if (st != AL_OK)
            break;
    }
    CHECK(st == AL_OK, "%s: step %ld: %s", c->name, step, err.message);
    if (st != AL_OK)
        goto done;
    char worst[64];
    double e = compare_final(net, c, worst, sizeof worst, c->steps);
    fprintf(stderr, "%-28s loss %.4f -> %.4f  max relative error %.3g (%s)\n", c->name,
            first_loss, loss, e, worst);
done:
    al_optim_free(opt);
    free(dlogits);
    al_net_free(net);
}

int main(void)
{
    parity_case cases[32];
    int n = read_cases(cases, 32);
    if (n == 0)
        return check_summary("test_parity");
    al_dataset *ds = NULL;
    al_error err = {0};
    if (al_dataset_load_fashion_mnist(NULL, AL_DATA_TRAIN, &ds, &err) != AL_OK) {
        fprintf(stderr, "test_parity: skipped, Fashion-MNIST is not installed (%s); "
                        "scripts/deps.sh installs it\n", err.message);
        return 0;
    }
    for (int i = 0; i < n; i++)
        run_case(&cases[i], ds);
    al_dataset_free(ds);
    return check_summary("test_parity");
}
