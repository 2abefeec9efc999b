/* SVG line charts. Everything is computed here and written as plain SVG (no
 * scripts, no external fonts), so a file opens anywhere, offline, and the same
 * input always gives the same bytes. */
#include "actlab/svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Okabe & Ito's colour-blind-safe palette; yellow last: it is faint on white. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
#define N_COLOURS (sizeof palette / sizeof palette[0])
#define COLOUR_BYTES 32
#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"
#define TICK_FONT 14.0
#define LABEL_FONT 16.0
#define TITLE_FONT 18.0
#define LEGEND_FONT 14.0
#define FIGURE_TITLE_FONT 22.0
/* Screen coordinates are clamped here: far-off points are clipped anyway, and
 * huge numbers would only bloat the file or overflow a renderer. */
#define COORD_LIMIT 1e6
#define TICK_LEN 5.0

typedef enum item_kind { ITEM_LINE, ITEM_BAND } item_kind;

/* A line (ys in a) or a band (lo in a, hi in b). */
typedef struct item {
    item_kind kind;
    char *name;
    char colour[COLOUR_BYTES];
    size_t n;
    double *xs, *a, *b;
} item;

typedef struct marker {
    double x, y;
    int filled;
    char *label;
    char colour[COLOUR_BYTES];
} marker;

typedef struct rule {
    int vertical;
    double at;
} rule;

struct al_chart {
    char *title, *x_label, *y_label;
    double width, height;
    item *items;
    size_t n_items, cap_items;
    marker *markers;
    size_t n_markers, cap_markers;
    rule *rules;
    size_t n_rules, cap_rules;
    size_t next_colour;
    int x_fixed, y_fixed;
    double x_lo, x_hi, y_lo, y_hi;
};

const char *al_chart_palette(size_t i)
{
    return palette[i % N_COLOURS];
}

static char *dup_text(const char *t)
{
    if (!t)
        t = "";
    size_t n = strlen(t);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, t, n + 1);
    return d;
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
    c->title = dup_text(title);
    c->x_label = dup_text(x_label);
    c->y_label = dup_text(y_label);
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

static al_status add_item(al_chart *c, item_kind kind, const char *name, size_t n, const double *xs,
                          const double *a, const double *b, const char *colour, al_error *err)
{
    const char *what = kind == ITEM_LINE ? "a series" : "a band";
    if (n > 0 && (!xs || !a || (kind == ITEM_BAND && !b)))
        return al_error_set(err, AL_ERR_INVALID, "%s with %zu points needs its value arrays", what, n);
    if (!grow((void **)&c->items, &c->cap_items, c->n_items, sizeof *c->items))
        return nomem(err, what);
    item it;
    memset(&it, 0, sizeof it);
    it.kind = kind;
    it.n = n;
    it.name = dup_text(name);
    it.xs = dup_values(xs, n);
    it.a = dup_values(a, n);
    it.b = kind == ITEM_BAND ? dup_values(b, n) : NULL;
    if (!it.name || !it.xs || !it.a || (kind == ITEM_BAND && !it.b)) {
        free(it.name);
        free(it.xs);
        free(it.a);
        free(it.b);
        return nomem(err, what);
    }
    if (colour)
        snprintf(it.colour, sizeof it.colour, "%s", colour);
    else if (kind == ITEM_LINE)
        snprintf(it.colour, sizeof it.colour, "%s", al_chart_palette(c->next_colour++));
    else {
        /* a band usually shades the spread of the series just drawn */
        const char *last = NULL;
        for (size_t i = c->n_items; i-- > 0;)
            if (c->items[i].kind == ITEM_LINE) {
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
    return add_item(c, ITEM_LINE, name, n, xs, ys, NULL, colour, err);
}

al_status al_chart_add_band(al_chart *c, size_t n, const double *xs, const double *lo,
                            const double *hi, const char *colour, al_error *err)
{
    return add_item(c, ITEM_BAND, NULL, n, xs, lo, hi, colour, err);
}

al_status al_chart_add_marker(al_chart *c, double x, double y, int filled, const char *label,
                              const char *colour, al_error *err)
{
    if (!grow((void **)&c->markers, &c->cap_markers, c->n_markers, sizeof *c->markers))
        return nomem(err, "a marker");
    marker *m = &c->markers[c->n_markers];
    m->x = x;
    m->y = y;
    m->filled = filled;
    m->label = dup_text(label);
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

/* ---- rendering ---- */

/* Text as XML character data or attribute value. Control bytes other than
 * tab and newline are not allowed in XML 1.0, so they are dropped. */
static void put_text(al_buf *out, const char *t)
{
    for (; *t; t++) {
        unsigned char ch = (unsigned char)*t;
        switch (ch) {
        case '&': al_buf_printf(out, "&amp;"); break;
        case '<': al_buf_printf(out, "&lt;"); break;
        case '>': al_buf_printf(out, "&gt;"); break;
        case '"': al_buf_printf(out, "&quot;"); break;
        case '\'': al_buf_printf(out, "&#39;"); break;
        default:
            if (ch >= 0x20 || ch == '\t' || ch == '\n')
                al_buf_append(out, t, 1);
            break;
        }
    }
}

/* Rough rendered width: sans-serif glyphs average ~0.58 em; UTF-8
 * continuation bytes do not start a glyph. */
static double text_width(const char *t, double font_size)
{
    size_t glyphs = 0;
    for (; *t; t++)
        if (((unsigned char)*t & 0xC0) != 0x80)
            glyphs++;
    return (double)glyphs * 0.58 * font_size;
}

/* The 1-2-5 step that cuts [lo, hi] into about `target` intervals. */
static double nice_step(double lo, double hi, int target)
{
    double raw = (hi - lo) / target;
    double mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

#define MAX_TICKS 32

typedef struct ticks {
    int n, decimals;
    double step, v[MAX_TICKS];
} ticks;

static void make_ticks(double lo, double hi, int target, ticks *t)
{
    t->step = nice_step(lo, hi, target);
    t->n = 0;
    double first = ceil(lo / t->step - 1e-9), last = floor(hi / t->step + 1e-9);
    for (double k = first; k <= last && t->n < MAX_TICKS; k++)
        t->v[t->n++] = k == 0 ? 0.0 : k * t->step; /* k == 0: no "-0" */
    int d = (int)ceil(-log10(t->step) - 1e-9);
    t->decimals = d < 0 ? 0 : (d > 12 ? 12 : d);
}

/* A tick label with a true minus sign (U+2212), which reads better than '-'. */
static void tick_label(char *buf, size_t size, double v, int decimals)
{
    char digits[48];
    if (fabs(v) >= 1e7)
        snprintf(digits, sizeof digits, "%g", fabs(v));
    else
        snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
    snprintf(buf, size, "%s%s", v < 0 ? "\xe2\x88\x92" : "", digits);
}

/* The plot area inside a chart cell and the data range it shows. */
typedef struct frame {
    double left, top, width, height;
    double xlo, xhi, ylo, yhi;
} frame;

static double clamp_coord(double v)
{
    return v < -COORD_LIMIT ? -COORD_LIMIT : (v > COORD_LIMIT ? COORD_LIMIT : v);
}

static double px(const frame *f, double x)
{
    return clamp_coord(f->left + (x - f->xlo) / (f->xhi - f->xlo) * f->width);
}

static double py(const frame *f, double y)
{
    return clamp_coord(f->top + (f->yhi - y) / (f->yhi - f->ylo) * f->height);
}

static void widen(double v, double *lo, double *hi)
{
    if (isfinite(v)) {
        *lo = fmin(*lo, v);
        *hi = fmax(*hi, v);
    }
}

/* The data extent: x unpadded (curves meet the frame), y padded by 6%. */
static void data_range(const al_chart *c, frame *f)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < c->n_items; i++) {
        const item *it = &c->items[i];
        for (size_t k = 0; k < it->n; k++) {
            if (!isfinite(it->xs[k]))
                continue;
            if (c->x_fixed && (it->xs[k] < c->x_lo || it->xs[k] > c->x_hi))
                continue; /* what is cut off in x must not stretch y */
            int any = isfinite(it->a[k]) || (it->b && isfinite(it->b[k]));
            if (any)
                widen(it->xs[k], &xlo, &xhi);
            widen(it->a[k], &ylo, &yhi);
            if (it->b)
                widen(it->b[k], &ylo, &yhi);
        }
    }
    for (size_t i = 0; i < c->n_markers; i++)
        if (isfinite(c->markers[i].x) && isfinite(c->markers[i].y)) {
            widen(c->markers[i].x, &xlo, &xhi);
            widen(c->markers[i].y, &ylo, &yhi);
        }
    for (size_t i = 0; i < c->n_rules; i++) {
        if (c->rules[i].vertical)
            widen(c->rules[i].at, &xlo, &xhi);
        else
            widen(c->rules[i].at, &ylo, &yhi);
    }
    if (!(xlo <= xhi))
        xlo = 0, xhi = 1;
    if (!(ylo <= yhi))
        ylo = 0, yhi = 1;
    /* keep spans finite: the tick step and the mapping divide by them */
    xlo = fmax(xlo, -1e307), xhi = fmin(xhi, 1e307);
    ylo = fmax(ylo, -1e307), yhi = fmin(yhi, 1e307);
    if (xhi - xlo <= 1e-12 * fmax(1, fabs(xlo)))
        xlo -= 1, xhi += 1;
    if (yhi - ylo <= 1e-12 * fmax(1, fabs(ylo)))
        ylo -= 1, yhi += 1;
    double pad = 0.06 * (yhi - ylo);
    f->xlo = c->x_fixed ? c->x_lo : xlo;
    f->xhi = c->x_fixed ? c->x_hi : xhi;
    f->ylo = c->y_fixed ? c->y_lo : ylo - pad;
    f->yhi = c->y_fixed ? c->y_hi : yhi + pad;
}

static void path_point(al_buf *out, int pen_down, double x, double y)
{
    al_buf_printf(out, "%s%.2f %.2f", pen_down ? " L" : " M", x, y);
}

/* One <path> per line; a non-finite point lifts the pen, and a lone point
 * gets a zero-length stroke so that its round cap shows as a dot. */
static void render_line(al_buf *out, const frame *f, const item *it, const char *clip)
{
    al_buf_printf(out, "<path class=\"al-line\" clip-path=\"url(#%s)\" fill=\"none\" stroke=\"", clip);
    put_text(out, it->colour);
    al_buf_printf(out, "\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"");
    size_t run = 0;
    for (size_t k = 0; k < it->n; k++) {
        if (!isfinite(it->xs[k]) || !isfinite(it->a[k])) {
            if (run == 1)
                al_buf_printf(out, " l0 0");
            run = 0;
            continue;
        }
        path_point(out, run > 0, px(f, it->xs[k]), py(f, it->a[k]));
        run++;
    }
    if (run == 1)
        al_buf_printf(out, " l0 0");
    al_buf_printf(out, "\"/>\n");
}

/* A band as one closed sub-path per finite stretch: along hi, back along lo. */
static void render_band(al_buf *out, const frame *f, const item *it, const char *clip)
{
    al_buf_printf(out, "<path class=\"al-band\" clip-path=\"url(#%s)\" stroke=\"none\" fill-opacity=\"0.2\" fill=\"", clip);
    put_text(out, it->colour);
    al_buf_printf(out, "\" d=\"");
    size_t k = 0;
    while (k < it->n) {
        while (k < it->n && !(isfinite(it->xs[k]) && isfinite(it->a[k]) && isfinite(it->b[k])))
            k++;
        size_t start = k;
        while (k < it->n && isfinite(it->xs[k]) && isfinite(it->a[k]) && isfinite(it->b[k]))
            k++;
        if (k - start < 2)
            continue;
        for (size_t j = start; j < k; j++)
            path_point(out, j > start, px(f, it->xs[j]), py(f, it->b[j]));
        for (size_t j = k; j-- > start;)
            path_point(out, 1, px(f, it->xs[j]), py(f, it->a[j]));
        al_buf_printf(out, " Z");
    }
    al_buf_printf(out, "\"/>\n");
}

/* How many plotted points fall in a box: the legend goes where it hides least. */
static size_t points_in(const al_chart *c, const frame *f, double x0, double y0, double x1, double y1)
{
    size_t count = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const item *it = &c->items[i];
        for (size_t k = 0; k < it->n; k++) {
            if (!isfinite(it->xs[k]))
                continue;
            double x = px(f, it->xs[k]);
            if (x < x0 || x > x1)
                continue;
            for (int side = 0; side < (it->b ? 2 : 1); side++) {
                double v = side ? it->b[k] : it->a[k];
                double y = isfinite(v) ? py(f, v) : NAN;
                if (y >= y0 && y <= y1)
                    count++;
            }
        }
    }
    return count;
}

#define LEGEND_ROW (LEGEND_FONT + 8)
#define LEGEND_SWATCH 26.0
#define LEGEND_PAD 10.0
#define LEGEND_GAP 24.0

/* Where the legend goes: inside the plot when a corner is free of data, else
 * in rows under it (a legend must never hide a curve). */
typedef struct legend {
    size_t entries, per_row;
    int below;
    double widest, w, h; /* inside: the box */
    double x, y;         /* inside: the box's corner; below: the first row's centre */
} legend;

static void legend_measure(const al_chart *c, legend *lg)
{
    memset(lg, 0, sizeof *lg);
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == ITEM_LINE && c->items[i].name[0]) {
            lg->entries++;
            lg->widest = fmax(lg->widest, text_width(c->items[i].name, LEGEND_FONT));
        }
    lg->w = LEGEND_PAD + LEGEND_SWATCH + 8 + lg->widest + LEGEND_PAD;
    lg->h = LEGEND_PAD + LEGEND_ROW * (double)lg->entries + LEGEND_PAD - 6;
}

/* Picks a data-free corner for the box; 0 when there is none. */
static int legend_inside(const al_chart *c, const frame *f, legend *lg)
{
    const double inset = 10;
    if (lg->w + 2 * inset > f->width || lg->h + 2 * inset > f->height)
        return 0;
    double corners[4][2] = {
        {f->left + inset, f->top + inset},
        {f->left + f->width - inset - lg->w, f->top + inset},
        {f->left + f->width - inset - lg->w, f->top + f->height - inset - lg->h},
        {f->left + inset, f->top + f->height - inset - lg->h},
    };
    for (int i = 0; i < 4; i++)
        if (points_in(c, f, corners[i][0], corners[i][1], corners[i][0] + lg->w, corners[i][1] + lg->h) == 0) {
            lg->x = corners[i][0];
            lg->y = corners[i][1];
            return 1;
        }
    return 0;
}

/* The height the rows under a plot of width plot_width need. */
static double legend_below_height(legend *lg, double plot_width)
{
    double column = LEGEND_SWATCH + 8 + lg->widest + LEGEND_GAP;
    lg->per_row = (size_t)fmax(1, floor((plot_width + LEGEND_GAP) / column));
    if (lg->per_row > lg->entries)
        lg->per_row = lg->entries;
    size_t rows = (lg->entries + lg->per_row - 1) / lg->per_row;
    lg->below = 1;
    return LEGEND_ROW * (double)rows + 10;
}

static void render_legend(al_buf *out, const al_chart *c, const frame *f, const legend *lg)
{
    if (!lg->entries)
        return;
    double column = LEGEND_SWATCH + 8 + lg->widest + LEGEND_GAP;
    double x0 = lg->x, y0 = lg->y;
    al_buf_printf(out, "<g class=\"al-legend\">\n");
    if (!lg->below) {
        al_buf_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"4\" "
                      "fill=\"white\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n", lg->x, lg->y, lg->w, lg->h);
        x0 = lg->x + LEGEND_PAD;
        y0 = lg->y + LEGEND_PAD + LEGEND_FONT * 0.5;
    } else {
        double total = column * (double)lg->per_row - LEGEND_GAP;
        x0 = f->left + fmax(0, (f->width - total) / 2);
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const item *it = &c->items[i];
        if (it->kind != ITEM_LINE || !it->name[0])
            continue;
        double x = lg->below ? x0 + column * (double)(k % lg->per_row) : x0;
        double y = y0 + LEGEND_ROW * (double)(lg->below ? k / lg->per_row : k);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"", x, y,
                      x + LEGEND_SWATCH, y);
        put_text(out, it->colour);
        al_buf_printf(out, "\" stroke-width=\"3\" stroke-linecap=\"round\"/>"
                      "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" dominant-baseline=\"central\" fill=\"#222222\">",
                      x + LEGEND_SWATCH + 8, y, LEGEND_FONT);
        put_text(out, it->name);
        al_buf_printf(out, "</text>\n");
        k++;
    }
    al_buf_printf(out, "</g>\n");
}

/* Everything about a chart's cell that is decided before drawing. */
typedef struct layout {
    frame f;
    ticks xt, yt;
    legend lg;
    double below; /* height of the legend rows under the plot; 0 when inside */
} layout;

/* Places the plot area, ticks and legend of c in the cell at (x0, y0);
 * force_below puts a legend under the plot even where a corner is free, so
 * that the panels of one row keep the same plot height. */
static al_status layout_chart(const al_chart *c, double x0, double y0, int force_below, layout *L,
                              al_error *err)
{
    frame *f = &L->f;
    data_range(c, f);
    make_ticks(f->xlo, f->xhi, 5, &L->xt);
    make_ticks(f->ylo, f->yhi, 6, &L->yt);
    char label[64];
    double widest = 0;
    for (int i = 0; i < L->yt.n; i++) {
        tick_label(label, sizeof label, L->yt.v[i], L->yt.decimals);
        widest = fmax(widest, text_width(label, TICK_FONT));
    }
    double top = y0 + (c->title[0] ? TITLE_FONT + 22 : 14);
    double left = x0 + 12 + (c->y_label[0] ? LABEL_FONT + 10 : 0) + widest + TICK_LEN + 6;
    double bottom = TICK_LEN + 6 + TICK_FONT + (c->x_label[0] ? 12 + LABEL_FONT : 0) + 16;
    f->left = left;
    f->top = top;
    f->width = x0 + c->width - 24 - left;
    f->height = y0 + c->height - bottom - top;
    legend_measure(c, &L->lg);
    L->below = 0;
    if (L->lg.entries && f->width >= 40 && f->height >= 40 &&
        (force_below || !legend_inside(c, f, &L->lg))) {
        L->below = legend_below_height(&L->lg, f->width);
        f->height -= L->below;
        L->lg.y = y0 + c->height - L->below + 6 + LEGEND_ROW / 2;
    }
    if (f->width < 40 || f->height < 40)
        return al_error_set(err, AL_ERR_INVALID, "chart '%s' at %gx%g pixels leaves no room to plot",
                            c->title, c->width, c->height);
    return AL_OK;
}

/* Draws chart c into the cell at (x0, y0) as laid out in L. */
static void render_chart(const al_chart *c, al_buf *out, double x0, double y0, const layout *L,
                         const char *clip)
{
    const frame f = L->f;
    const ticks xt = L->xt, yt = L->yt;
    const double tick_len = TICK_LEN, below = L->below;
    char label[64];
    al_buf_printf(out, "<g class=\"al-chart\">\n<clipPath id=\"%s\"><rect x=\"%.2f\" y=\"%.2f\" "
                  "width=\"%.2f\" height=\"%.2f\"/></clipPath>\n", clip, f.left, f.top, f.width, f.height);
    /* gridlines and tick labels */
    for (int i = 0; i < xt.n; i++) {
        double x = px(&f, xt.v[i]);
        tick_label(label, sizeof label, xt.v[i], xt.decimals);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>"
                      "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555555\"/>"
                      "<text class=\"al-tick\" x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"middle\" "
                      "fill=\"#444444\">%s</text>\n",
                      x, f.top, x, f.top + f.height, x, f.top + f.height, x, f.top + f.height + tick_len,
                      x, f.top + f.height + tick_len + 4 + TICK_FONT, TICK_FONT, label);
    }
    for (int i = 0; i < yt.n; i++) {
        double y = py(&f, yt.v[i]);
        tick_label(label, sizeof label, yt.v[i], yt.decimals);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>"
                      "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555555\"/>"
                      "<text class=\"al-tick\" x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"end\" "
                      "dominant-baseline=\"central\" fill=\"#444444\">%s</text>\n",
                      f.left, y, f.left + f.width, y, f.left - tick_len, y, f.left, y,
                      f.left - tick_len - 4, y, TICK_FONT, label);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        const rule *r = &c->rules[i];
        double x1 = r->vertical ? px(&f, r->at) : f.left, x2 = r->vertical ? x1 : f.left + f.width;
        double y1 = r->vertical ? f.top : py(&f, r->at), y2 = r->vertical ? f.top + f.height : y1;
        al_buf_printf(out, "<line class=\"al-rule\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                      "stroke=\"#888888\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\" clip-path=\"url(#%s)\"/>\n",
                      x1, y1, x2, y2, clip);
    }
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == ITEM_BAND)
            render_band(out, &f, &c->items[i], clip);
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == ITEM_LINE)
            render_line(out, &f, &c->items[i], clip);
    for (size_t i = 0; i < c->n_markers; i++) {
        const marker *m = &c->markers[i];
        if (!isfinite(m->x) || !isfinite(m->y) || m->x < f.xlo || m->x > f.xhi || m->y < f.ylo ||
            m->y > f.yhi)
            continue;
        double x = px(&f, m->x), y = py(&f, m->y);
        al_buf_printf(out, "<circle class=\"al-marker\" cx=\"%.2f\" cy=\"%.2f\" r=\"%s\" stroke-width=\"%s\" fill=\"",
                      x, y, m->filled ? "5" : "4.5", m->filled ? "1.5" : "2");
        put_text(out, m->filled ? m->colour : "white");
        al_buf_printf(out, "\" stroke=\"");
        put_text(out, m->filled ? "white" : m->colour);
        al_buf_printf(out, "\"/>\n");
        if (m->label[0]) {
            al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" fill=\"", x + 8, y - 8, TICK_FONT - 1);
            put_text(out, m->colour);
            al_buf_printf(out, "\">");
            put_text(out, m->label);
            al_buf_printf(out, "</text>\n");
        }
    }
    /* the frame is drawn last so that lines running along an edge stay crisp */
    al_buf_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                  "stroke=\"#555555\"/>\n", f.left, f.top, f.width, f.height);
    if (c->x_label[0]) {
        al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"middle\" fill=\"#222222\">",
                      f.left + f.width / 2, y0 + c->height - 16 - below, LABEL_FONT);
        put_text(out, c->x_label);
        al_buf_printf(out, "</text>\n");
    }
    if (c->y_label[0]) {
        al_buf_printf(out, "<text transform=\"translate(%.2f,%.2f) rotate(-90)\" font-size=\"%g\" "
                      "text-anchor=\"middle\" dominant-baseline=\"central\" fill=\"#222222\">",
                      x0 + 12 + LABEL_FONT / 2, f.top + f.height / 2, LABEL_FONT);
        put_text(out, c->y_label);
        al_buf_printf(out, "</text>\n");
    }
    if (c->title[0]) {
        al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" font-weight=\"bold\" "
                      "text-anchor=\"middle\" fill=\"#222222\">", f.left + f.width / 2, y0 + TITLE_FONT + 8,
                      TITLE_FONT);
        put_text(out, c->title);
        al_buf_printf(out, "</text>\n");
    }
    render_legend(out, c, &f, &L->lg);
    al_buf_printf(out, "</g>\n");
}

/* FNV-1a over the charts' titles: clip-path ids that differ between figures
 * (so several can sit inline in one HTML page) yet repeat run to run. */
static uint32_t figure_hash(const al_chart *const *charts, size_t count, const char *title)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i <= count; i++) {
        const char *t = i < count ? charts[i]->title : (title ? title : "");
        for (; *t; t++)
            h = (h ^ (unsigned char)*t) * 16777619u;
        h = (h ^ (uint32_t)(i < count ? charts[i]->n_items : 0)) * 16777619u;
    }
    return h;
}

al_status al_chart_render_grid(const al_chart *const *charts, size_t count, size_t columns,
                               const char *title, al_buf *out, al_error *err)
{
    if (count == 0)
        return al_error_set(err, AL_ERR_INVALID, "a figure needs at least one chart");
    if (columns == 0 || columns > count)
        columns = count;
    size_t rows = (count + columns - 1) / columns;
    double cell_w = 0, cell_h = 0;
    for (size_t i = 0; i < count; i++) {
        cell_w = fmax(cell_w, charts[i]->width);
        cell_h = fmax(cell_h, charts[i]->height);
    }
    int has_title = title && title[0];
    double head = has_title ? FIGURE_TITLE_FONT + 24 : 0;
    double w = cell_w * (double)columns, h = head + cell_h * (double)rows;
    al_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", w, h, w, h, FONT);
    if (has_title) {
        al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" font-weight=\"bold\" "
                      "text-anchor=\"middle\" fill=\"#111111\">", w / 2, FIGURE_TITLE_FONT + 12,
                      FIGURE_TITLE_FONT);
        put_text(out, title);
        al_buf_printf(out, "</text>\n");
    }
    layout *L = malloc(count * sizeof *L);
    if (!L)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory laying out %zu charts", count);
    al_status st = AL_OK;
    for (size_t row = 0; row < rows && st == AL_OK; row++) {
        size_t first = row * columns, end = first + columns < count ? first + columns : count;
        double y0 = head + cell_h * (double)row;
        int any_below = 0;
        for (size_t i = first; i < end && st == AL_OK; i++) {
            st = layout_chart(charts[i], cell_w * (double)(i - first), y0, 0, &L[i], err);
            any_below |= st == AL_OK && L[i].below > 0;
        }
        /* one panel's legend went under its plot: the others follow, so plot heights line up */
        for (size_t i = first; i < end && st == AL_OK && any_below; i++)
            if (L[i].lg.entries && L[i].below == 0)
                st = layout_chart(charts[i], cell_w * (double)(i - first), y0, 1, &L[i], err);
    }
    if (st != AL_OK) {
        free(L);
        return st;
    }
    uint32_t hash = figure_hash(charts, count, title);
    for (size_t i = 0; i < count; i++) {
        char clip[40];
        snprintf(clip, sizeof clip, "al-clip-%08x-%zu", (unsigned)hash, i);
        render_chart(charts[i], out, cell_w * (double)(i % columns), head + cell_h * (double)(i / columns),
                     &L[i], clip);
    }
    free(L);
    al_buf_printf(out, "</svg>\n");
    if (out->failed)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory rendering an SVG chart");
    return AL_OK;
}

al_status al_chart_render(const al_chart *chart, al_buf *out, al_error *err)
{
    return al_chart_render_grid(&chart, 1, 1, NULL, out, err);
}
