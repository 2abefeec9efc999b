/* `actlab act plot`: activations and their derivatives as an SVG fit for a
 * slide; kinks are marked with the derivative actlab actually returns there. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/svg.h"
#include "cli.h"

#define MAX_SPECS 8
#define MIN_POINTS 16
#define MAX_POINTS 100000

static const char plot_usage[] =
    "usage: actlab act plot SPEC [SPEC...] --out FILE.svg [--range A,B] [--points N]\n"
    "Draws each activation f(x) (left panel) and its derivative f'(x) (right panel)\n"
    "over [A, B]. On the derivative panel a filled dot marks each kink at the\n"
    "derivative actlab returns exactly there (PyTorch's choice, or kink=), and a\n"
    "hollow circle marks a one-sided limit that is not returned. At most 8 SPECs.\n"
    "example: actlab act plot 'ReLU()' 'ELU(alpha=0.5)' 'GELU()' --out acts.svg\n"
    "options:\n"
    "  --out FILE.svg   where to write the figure (required; written atomically)\n"
    "  --range A,B      the x range: two finite numbers, A < B (default -4,4)\n"
    "  --points N       samples per curve, in [16, 100000] (default 801)\n";

static int parse_range(const char *text, double *lo, double *hi)
{
    char *end;
    errno = 0;
    double a = strtod(text, &end);
    if (errno || end == text || *end != ',')
        return 0;
    const char *second = end + 1;
    double b = strtod(second, &end);
    if (errno || end == second || *end != '\0' || !isfinite(a) || !isfinite(b) || !(a < b) ||
        !isfinite(b - a))
        return 0;
    *lo = a;
    *hi = b;
    return 1;
}

static int out_of_memory(al_error *err)
{
    fprintf(stderr, "actlab act plot: %s\n", err->message[0] ? err->message : "out of memory");
    return 1;
}

int cmd_act_plot(int argc, char **argv)
{
    const char *cmd = "act plot", *out = NULL, *specs[MAX_SPECS];
    int n_specs = 0, points = 801;
    double lo = -4, hi = 4;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(plot_usage, stdout);
            return 0;
        }
        int is_out = strcmp(a, "--out") == 0, is_range = strcmp(a, "--range") == 0;
        if (is_out || is_range || strcmp(a, "--points") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "%s needs a value", a);
            const char *v = argv[++i];
            if (is_out) {
                if (!v[0])
                    return cli_usage_error(cmd, "--out needs a file name");
                out = v;
            } else if (is_range) {
                if (!parse_range(v, &lo, &hi))
                    return cli_usage_error(cmd, "--range takes two finite numbers A,B with A < B "
                                           "(e.g. --range -4,4), got '%s'", v);
            } else {
                long p;
                if (cli_long(cmd, "--points", v, MIN_POINTS, MAX_POINTS, &p))
                    return 2;
                points = (int)p;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else {
            if (n_specs == MAX_SPECS)
                return cli_usage_error(cmd, "at most %d SPECs fit in one plot (got more: '%s'); "
                                       "split them over several plots", MAX_SPECS, a);
            specs[n_specs++] = a;
        }
    }
    if (n_specs == 0)
        return cli_usage_error(cmd, "give at least one SPEC, e.g. 'ReLU()'");
    if (!out)
        return cli_usage_error(cmd, "--out FILE.svg is required");

    al_act acts[MAX_SPECS];
    for (int s = 0; s < n_specs; s++) {
        al_error err = {0};
        if (al_act_parse(specs[s], &acts[s], &err) != AL_OK) {
            fprintf(stderr, "actlab act plot: in SPEC '%s': %s\n", specs[s], err.message);
            return 2;
        }
    }

    al_error err = {0};
    al_chart *fchart = NULL, *dchart = NULL;
    al_act_curve curve = {0};
    al_buf svg = {0};
    int rc = 1;
    /* taller with more SPECs: a crowded legend moves under the plot */
    double height = 480 + 22.0 * n_specs;
    if (al_chart_create("Activation", "x", "f(x)", 680, height, &fchart, &err) != AL_OK ||
        al_chart_create("Derivative (dot: value returned at a kink)", "x", "f'(x)", 680, height, &dchart,
                        &err) != AL_OK ||
        al_chart_set_x_range(fchart, lo, hi, &err) != AL_OK ||
        al_chart_set_x_range(dchart, lo, hi, &err) != AL_OK ||
        al_chart_add_hline(fchart, 0, &err) != AL_OK || al_chart_add_hline(dchart, 0, &err) != AL_OK ||
        (lo < 0 && hi > 0 &&
         (al_chart_add_vline(fchart, 0, &err) != AL_OK || al_chart_add_vline(dchart, 0, &err) != AL_OK))) {
        rc = out_of_memory(&err);
        goto done;
    }
    for (int s = 0; s < n_specs; s++) {
        const al_act *a = &acts[s];
        const char *colour = al_chart_palette((size_t)s);
        char name[160];
        al_act_format(a, name, sizeof name);
        al_act_curve_free(&curve);
        if (al_act_sample_curve(a, lo, hi, (size_t)points, &curve, &err) != AL_OK ||
            al_chart_add_series(fchart, name, curve.n, curve.x, curve.y, colour, &err) != AL_OK ||
            al_chart_add_series(dchart, name, curve.n, curve.x, curve.dy, colour, &err) != AL_OK) {
            rc = out_of_memory(&err);
            goto done;
        }
        for (int k = 0; k < curve.n_kinks; k++) {
            const al_act_curve_kink *c = &curve.kinks[k];
            /* hollow: a one-sided limit the derivative never returns at the kink */
            double limits[2] = {c->dy_left, c->dy_right};
            for (int side = 0; side < 2; side++)
                if (fabs(limits[side] - c->dy) > 1e-6 * fmax(1, fabs(c->dy)) &&
                    (side == 0 || fabs(c->dy_right - c->dy_left) > 1e-6 * fmax(1, fabs(c->dy_left))) &&
                    al_chart_add_marker(dchart, c->x, limits[side], 0, NULL, colour, &err) != AL_OK) {
                    rc = out_of_memory(&err);
                    goto done;
                }
            if (al_chart_add_marker(dchart, c->x, c->dy, 1, NULL, colour, &err) != AL_OK) {
                rc = out_of_memory(&err);
                goto done;
            }
        }
    }
    const al_chart *panels[2] = {fchart, dchart};
    if (al_chart_render_grid(panels, 2, 2, "Activations and their derivatives", &svg, &err) != AL_OK) {
        rc = cli_fail(cmd, &err);
        goto done;
    }
    if (al_file_write_atomic(out, svg.data, svg.len, &err) != AL_OK) {
        fprintf(stderr, "actlab act plot: %s\n", err.message);
        rc = 1;
        goto done;
    }
    rc = 0;
done:
    al_act_curve_free(&curve);
    al_buf_free(&svg);
    al_chart_free(fchart);
    al_chart_free(dchart);
    return rc;
}
