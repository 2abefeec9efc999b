/* `actlab act list` and `actlab act eval`: the activation table as a user
 * sees it, and activations applied to NPY files. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char act_usage[] =
    "usage: actlab act <list|eval|plot> ...\n"
    "  act list                 every activation: parameters (defaults), kinks and the\n"
    "                           derivative returned there, smooth or not, learnable or not\n"
    "  act eval SPEC --in x.npy --out y.npy [options]\n"
    "  act plot SPEC [SPEC...] --out FILE.svg [--range -4,4]\n";

int cmd_act(int argc, char **argv)
{
    if (argc < 1 || cli_is_help(argv[0])) {
        fputs(act_usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "list") == 0)
        return cmd_act_list(argc - 1, argv + 1);
    if (strcmp(argv[0], "eval") == 0)
        return cmd_act_eval(argc - 1, argv + 1);
    if (strcmp(argv[0], "plot") == 0)
        return cmd_act_plot(argc - 1, argv + 1);
    return cli_usage_error("act", "unknown subcommand '%s': use list, eval or plot", argv[0]);
}

/* "negative_slope=0.01, kink=" for the table; required parameters first,
 * named without a default: "threshold, value (required), kink=". */
static void params_text(const al_act_info *info, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        int required = 0;
        for (int i = 0; i < info->n_params; i++) {
            const al_param_info *p = &info->params[i];
            if (strcmp(p->name, "inplace") == 0 || p->required != (pass == 0))
                continue; /* inplace: accepted for PyTorch compatibility; it changes nothing */
            int w = p->required ? snprintf(buf + used, size - used, "%s%s", used ? ", " : "", p->name)
                                : snprintf(buf + used, size - used, "%s%s=%s", used ? ", " : "", p->name,
                                           p->default_text);
            if (w < 0 || (size_t)w >= size - used)
                return;
            used += (size_t)w;
            required += p->required;
        }
        if (required) {
            int w = snprintf(buf + used, size - used, " (required)");
            if (w < 0 || (size_t)w >= size - used)
                return;
            used += (size_t)w;
        }
    }
    if (info->has_kink)
        snprintf(buf + used, size - used, "%skink=", used ? ", " : "");
}

int cmd_act_list(int argc, char **argv)
{
    if (argc > 0 && cli_is_help(argv[0])) {
        puts("usage: actlab act list\n"
             "Prints every activation actlab knows, with PyTorch's parameter names and\n"
             "defaults, where its kinks are and the derivative returned exactly there\n"
             "(PyTorch's choice; change it with kink=, e.g. ReLU(kink=0.5)), whether it is\n"
             "smooth, whether it has a learned parameter, and the init gain actlab uses.");
        return 0;
    }
    if (argc > 0)
        return cli_usage_error("act list", "unexpected argument '%s'", argv[0]);
    printf("%-12s %-42s %-34s %-6s %-9s %s\n", "NAME", "PARAMETERS (defaults)",
           "KINKS: DERIVATIVE RETURNED THERE", "SMOOTH", "LEARNABLE", "GAIN");
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        const al_act_info *info = al_act_info_of((al_act_id)i);
        char params[160];
        params_text(info, params, sizeof params);
        al_act a;
        al_act_default(info->id, &a);
        char gain[32];
        snprintf(gain, sizeof gain, "%.4g", al_act_gain(&a));
        printf("%-12s %-42s %-34s %-6s %-9s %s\n", info->name, params[0] ? params : "-",
               info->kink_text[0] ? info->kink_text : "-", info->has_kink ? "no" : "yes",
               info->learnable ? "yes" : (info->stochastic ? "random" : "no"), gain);
    }
    printf("\nkink=v sets the derivative returned exactly at every kink (default: PyTorch's,\n"
           "the value from the inactive side). Spec syntax: ELU(alpha=0.5), ReLU(kink=0.5).\n");
    return 0;
}

static const char eval_usage[] =
    "usage: actlab act eval SPEC --in x.npy --out y.npy [options]\n"
    "Applies the activation SPEC (e.g. 'ELU(alpha=0.5)', 'ReLU(kink=0.5)',\n"
    "'PReLU(num_parameters=4)') to every element of x. float32 input runs the fast\n"
    "kernels, float64 input the float64 reference. Dimension 1 of x is the channel\n"
    "dimension (PReLU's per-channel slopes).\n"
    "options:\n"
    "  --in FILE              input x (.npy, float32 or float64, any shape)\n"
    "  --out FILE             output y = f(x), same dtype and shape\n"
    "  --grad-in FILE         g, same shape as x: also compute dx, the gradient of sum(f(x)*g)\n"
    "  --grad-out FILE        where to write dx (needs --grad-in)\n"
    "  --weight FILE          PReLU slopes (num_parameters values); default: init\n"
    "  --weight-grad-out FILE PReLU: the gradient of sum(f(x)*g) w.r.t. the slopes\n"
    "  --train                training mode (RReLU draws random slopes)\n"
    "  --seed S               RReLU's random stream (default 0)\n"
    "  --threads N            threads for large inputs (default: all cores)\n";

typedef struct eval_opts {
    const char *spec, *in, *out, *grad_in, *grad_out, *weight, *weight_grad_out;
    int train, threads;
    unsigned long long seed;
} eval_opts;

static int parse_eval_args(int argc, char **argv, eval_opts *o)
{
    const char *cmd = "act eval";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (cli_is_help(a)) {
            fputs(eval_usage, stdout);
            return -1;
        }
        if (strcmp(a, "--train") == 0) {
            o->train = 1;
            continue;
        }
        if (strcmp(a, "--in") == 0) slot = &o->in;
        else if (strcmp(a, "--out") == 0) slot = &o->out;
        else if (strcmp(a, "--grad-in") == 0) slot = &o->grad_in;
        else if (strcmp(a, "--grad-out") == 0) slot = &o->grad_out;
        else if (strcmp(a, "--weight") == 0) slot = &o->weight;
        else if (strcmp(a, "--weight-grad-out") == 0) slot = &o->weight_grad_out;
        else if (strcmp(a, "--seed") == 0 || strcmp(a, "--threads") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "%s needs a value", a);
            long v;
            if (a[2] == 't' ? cli_long(cmd, a, argv[i + 1], 1, 1024, &v) : cli_long(cmd, a, argv[i + 1], 0, LONG_MAX, &v))
                return 2;
            if (a[2] == 't')
                o->threads = (int)v;
            else
                o->seed = (uint64_t)v;
            i++;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (!o->spec) {
            o->spec = a;
            continue;
        } else {
            return cli_usage_error(cmd, "unexpected argument '%s' (quote the SPEC if it has spaces)", a);
        }
        if (i + 1 >= argc)
            return cli_usage_error(cmd, "%s needs a file name", a);
        *slot = argv[++i];
    }
    if (!o->spec)
        return cli_usage_error(cmd, "missing SPEC, e.g. 'ReLU()'");
    if (!o->in || !o->out)
        return cli_usage_error(cmd, "--in and --out are required");
    if (!!o->grad_in != !!o->grad_out)
        return cli_usage_error(cmd, "--grad-in and --grad-out go together");
    if (o->weight_grad_out && !o->grad_in)
        return cli_usage_error(cmd, "--weight-grad-out needs --grad-in (the gradient flowing in)");
    return 0;
}

static int fail_at(const char *what, al_error *err)
{
    fprintf(stderr, "actlab act eval: %s%s\n", what, err->message);
    return err->status == AL_ERR_INVALID || err->status == AL_ERR_PARSE ? 2 : 1;
}

int cmd_act_eval(int argc, char **argv)
{
    eval_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse_eval_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    al_error err = {0};
    al_act act;
    if (al_act_parse(o.spec, &act, &err) != AL_OK)
        return fail_at("in SPEC: ", &err);
    const al_act_info *info = al_act_info_of(act.id);
    if (o.weight && !info->learnable)
        return cli_usage_error("act eval", "--weight is for PReLU; %s has no learned parameter", info->name);
    if (o.weight_grad_out && !info->learnable)
        return cli_usage_error("act eval", "--weight-grad-out is for PReLU; %s has no learned parameter", info->name);

    al_array x = {0}, g = {0}, w = {0}, y = {0}, dx = {0}, dw = {0};
    rc = 1;
    if (al_npy_read(o.in, &x, &err) != AL_OK) {
        rc = fail_at("", &err);
        goto done;
    }
    if (x.dtype != AL_DTYPE_F32 && x.dtype != AL_DTYPE_F64) {
        fprintf(stderr, "actlab act eval: '%s' holds %s; act eval takes float32 or float64 (<f4, <f8)\n",
                o.in, al_dtype_descr(x.dtype));
        goto done;
    }
    char xs[128], os[128];
    al_array_shape_text(&x, xs, sizeof xs);
    al_act_run run = al_act_run_default();
    run.channels = x.rank >= 2 ? x.shape[1] : 1;
    run.inner = 1;
    for (int d = 2; d < x.rank; d++)
        run.inner *= x.shape[d];
    run.training = o.train;
    run.seed = o.seed;
    run.threads = o.threads;
    const char *isa = getenv("ACTLAB_ISA");
    if (isa && *isa && al_isa_parse(isa, &run.isa, &err) != AL_OK) {
        rc = fail_at("ACTLAB_ISA: ", &err);
        goto done;
    }
    if (o.grad_in) {
        if (al_npy_read(o.grad_in, &g, &err) != AL_OK) {
            rc = fail_at("", &err);
            goto done;
        }
        al_array_shape_text(&g, os, sizeof os);
        if (g.dtype != x.dtype || g.rank != x.rank || memcmp(g.shape, x.shape, sizeof(size_t) * (size_t)x.rank)) {
            fprintf(stderr, "actlab act eval: --grad-in '%s' is %s %s but --in '%s' is %s %s: they must match\n",
                    o.grad_in, al_dtype_descr(g.dtype), os, o.in, al_dtype_descr(x.dtype), xs);
            goto done;
        }
    }
    size_t nw = al_act_weight_count(&act);
    if (info->learnable) {
        if (nw > 1 && nw != run.channels) {
            fprintf(stderr, "actlab act eval: %s has %zu slopes but the input '%s' is %s: dimension 1 "
                    "(channels) must be %zu, or use num_parameters=1\n", info->name, nw, o.in, xs, nw);
            goto done;
        }
        size_t wshape[1] = {nw};
        if (o.weight) {
            if (al_npy_read(o.weight, &w, &err) != AL_OK) {
                rc = fail_at("", &err);
                goto done;
            }
            al_array_shape_text(&w, os, sizeof os);
            if (w.dtype != x.dtype || w.count != nw || w.rank > 1) {
                fprintf(stderr, "actlab act eval: --weight '%s' is %s %s; %s needs %s [%zu] (num_parameters "
                        "slopes, the dtype of the input)\n", o.weight, al_dtype_descr(w.dtype), os,
                        info->name, al_dtype_descr(x.dtype), nw);
                goto done;
            }
        } else {
            if (al_array_create(&w, x.dtype, 1, wshape, &err) != AL_OK) {
                rc = fail_at("", &err);
                goto done;
            }
            for (size_t i = 0; i < nw; i++) {
                if (x.dtype == AL_DTYPE_F32)
                    ((float *)w.data)[i] = (float)al_act_init_weight(&act);
                else
                    ((double *)w.data)[i] = al_act_init_weight(&act);
            }
        }
        if (o.weight_grad_out && al_array_create(&dw, x.dtype, 1, wshape, &err) != AL_OK) {
            rc = fail_at("", &err);
            goto done;
        }
    }
    if (al_array_create(&y, x.dtype, x.rank, x.shape, &err) != AL_OK ||
        (o.grad_in && al_array_create(&dx, x.dtype, x.rank, x.shape, &err) != AL_OK)) {
        rc = fail_at("", &err);
        goto done;
    }
    if (x.dtype == AL_DTYPE_F32) {
        al_act_forward_f32(&act, &run, x.count, x.data, y.data, w.data);
        if (o.grad_in)
            al_act_backward_f32(&act, &run, x.count, x.data, y.data, g.data, dx.data, w.data, dw.data);
    } else {
        al_act_forward_f64(&act, &run, x.count, x.data, y.data, w.data);
        if (o.grad_in)
            al_act_backward_f64(&act, &run, x.count, x.data, y.data, g.data, dx.data, w.data, dw.data);
    }
    if (al_npy_write(o.out, &y, &err) != AL_OK ||
        (o.grad_out && al_npy_write(o.grad_out, &dx, &err) != AL_OK) ||
        (o.weight_grad_out && al_npy_write(o.weight_grad_out, &dw, &err) != AL_OK)) {
        rc = fail_at("", &err);
        goto done;
    }
    rc = 0;
done:
    al_array_free(&x);
    al_array_free(&g);
    al_array_free(&w);
    al_array_free(&y);
    al_array_free(&dx);
    al_array_free(&dw);
    return rc;
}
