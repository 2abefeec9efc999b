/* SVG line charts: building a chart (this file), its layout (svg_layout.c)
 * and drawing it (svg_render.c). Everything is computed here and written as
 * plain SVG (no scripts, no external fonts), so a file opens anywhere,
 * offline, and the same input always gives the same bytes. */
#include "actlab/svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg_internal.h"

/* Okabe & Ito's colour-blind-safe palette; yellow last: it is faint on white. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
#define N_COLOURS (sizeof palette / sizeof palette[0])

const char *al_chart_palette(size_t i)
{
    return palette[i % N_COLOURS];
}

/* Makes room for one more element in a growable array. */
static int grow(void **data, size_t *cap, size_t count, size_t elem)
{
    if (count < *cap)
        return 1;
    size_t n = *cap ? *cap * 2 : 8;
    if (n > SIZE_MAX / elem)
        return 0;
    void *p = realloc(*data, n * elem);
    if (!p)
        return 0;
    *data = p;
    *cap = n;
    return 1;
}

static double *dup_values(const double *v, size_t n)
{
    if (n > SIZE_MAX / sizeof *v)
        return NULL;
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (d && n)
        memcpy(d, v, n * sizeof *d);
    return d;
}

static al_status nomem(al_error *err, const char *what)
{
    return al_error_set(err, AL_ERR_NOMEM, "out of memory adding %s to a chart", what);
}

al_status al_chart_create(const char *title, const char *x_label, const char *y_label,
                          double width, double height, al_chart **out, al_error *err)
{
    *out = NULL;
    if (!(width >= 100 && width <= 10000 && height >= 100 && height <= 10000))
        return al_error_set(err, AL_ERR_INVALID,
                            "chart size %gx%g: width and height must be in [100, 10000] pixels",
                            width, height);
    al_chart *c = calloc(1, sizeof *c);
    if (!c)
        return nomem(err, "a title");
    /* titles, labels and names are optional: NULL is kept as "" */
    c->title = strdup(title ? title : "");
    c->x_label = strdup(x_label ? x_label : "");
    c->y_label = strdup(y_label ? y_label : "");
    c->width = width;
    c->height = height;
    if (!c->title || !c->x_label || !c->y_label) {
        al_chart_free(c);
        return nomem(err, "a title");
    }
    *out = c;
    return AL_OK;
}

void al_chart_free(al_chart *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_items; i++) {
        free(c->items[i].name);
        free(c->items[i].xs);
        free(c->items[i].a);
        free(c->items[i].b);
    }
    for (size_t i = 0; i < c->n_markers; i++)
        free(c->markers[i].label);
    free(c->items);
    free(c->markers);
    free(c->rules);
    free(c->title);
    free(c->x_label);
    free(c->y_label);
    free(c);
}

static al_status check_range(const char *axis, double lo, double hi, al_error *err)
{
    if (!(isfinite(lo) && isfinite(hi) && lo < hi && isfinite(hi - lo)))
        return al_error_set(err, AL_ERR_INVALID,
                            "chart %s range [%g, %g]: needs two finite numbers, lo < hi", axis, lo, hi);
    return AL_OK;
}

al_status al_chart_set_x_range(al_chart *c, double lo, double hi, al_error *err)
{
    if (check_range("x", lo, hi, err) != AL_OK)
        return AL_ERR_INVALID;
    c->x_fixed = 1;
    c->x_lo = lo;
    c->x_hi = hi;
    return AL_OK;
}

al_status al_chart_set_y_range(al_chart *c, double lo, double hi, al_error *err)
{
    if (check_range("y", lo, hi, err) != AL_OK)
        return AL_ERR_INVALID;
    c->y_fixed = 1;
    c->y_lo = lo;
    c->y_hi = hi;
    return AL_OK;
}

static al_status add_item(al_chart *c, al_chart_item_kind kind, const char *name, size_t n, const double *xs,
                          const double *a, const double *b, const char *colour, al_error *err)
{
    const char *what = kind == AL_CHART_LINE ? "a series" : "a band";
    if (n > 0 && (!xs || !a || (kind == AL_CHART_BAND && !b)))
        return al_error_set(err, AL_ERR_INVALID, "%s with %zu points needs its value arrays", what, n);
    if (!grow((void **)&c->items, &c->cap_items, c->n_items, sizeof *c->items))
        return nomem(err, what);
    al_chart_item it;
    memset(&it, 0, sizeof it);
    it.kind = kind;
    it.n = n;
    it.name = strdup(name ? name : "");
    it.xs = dup_values(xs, n);
    it.a = dup_values(a, n);
    it.b = kind == AL_CHART_BAND ? dup_values(b, n) : NULL;
    if (!it.name || !it.xs || !it.a || (kind == AL_CHART_BAND && !it.b)) {
        free(it.name);
        free(it.xs);
        free(it.a);
        free(it.b);
        return nomem(err, what);
    }
    if (colour)
        snprintf(it.colour, sizeof it.colour, "%s", colour);
    else if (kind == AL_CHART_LINE)
        snprintf(it.colour, sizeof it.colour, "%s", al_chart_palette(c->next_colour++));
    else {
        /* a band usually shades the spread of the series just drawn */
        const char *last = NULL;
        for (size_t i = c->n_items; i-- > 0;)
            if (c->items[i].kind == AL_CHART_LINE) {
                last = c->items[i].colour;
                break;
            }
        snprintf(it.colour, sizeof it.colour, "%s", last ? last : al_chart_palette(c->next_colour));
    }
    c->items[c->n_items++] = it;
    return AL_OK;
}

al_status al_chart_add_series(al_chart *c, const char *name, size_t n, const double *xs,
                              const double *ys, const char *colour, al_error *err)
{
    return add_item(c, AL_CHART_LINE, name, n, xs, ys, NULL, colour, err);
}

al_status al_chart_add_band(al_chart *c, size_t n, const double *xs, const double *lo,
                            const double *hi, const char *colour, al_error *err)
{
    return add_item(c, AL_CHART_BAND, NULL, n, xs, lo, hi, colour, err);
}

al_status al_chart_add_marker(al_chart *c, double x, double y, int filled, const char *label,
                              const char *colour, al_error *err)
{
    if (!grow((void **)&c->markers, &c->cap_markers, c->n_markers, sizeof *c->markers))
        return nomem(err, "a marker");
    al_chart_marker *m = &c->markers[c->n_markers];
    m->x = x;
    m->y = y;
    m->filled = filled;
    m->label = strdup(label ? label : "");
    if (!m->label)
        return nomem(err, "a marker");
    snprintf(m->colour, sizeof m->colour, "%s", colour ? colour : "#333333");
    c->n_markers++;
    return AL_OK;
}

static al_status add_rule(al_chart *c, int vertical, double at, al_error *err)
{
    if (!isfinite(at))
        return al_error_set(err, AL_ERR_INVALID, "a reference line needs a finite position, got %g", at);
    if (!grow((void **)&c->rules, &c->cap_rules, c->n_rules, sizeof *c->rules))
        return nomem(err, "a reference line");
    c->rules[c->n_rules].vertical = vertical;
    c->rules[c->n_rules].at = at;
    c->n_rules++;
    return AL_OK;
}

al_status al_chart_add_vline(al_chart *c, double x, al_error *err)
{
    return add_rule(c, 1, x, err);
}

al_status al_chart_add_hline(al_chart *c, double y, al_error *err)
{
    return add_rule(c, 0, y, err);
}
