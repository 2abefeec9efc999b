/* Chart layout: the data range, 1-2-5 ticks, the plot area inside a chart's
 * cell, and where the legend goes (inside when a corner is free of data). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/svg_internal.h"

/* Rough rendered width: sans-serif glyphs average ~0.58 em; UTF-8
 * continuation bytes do not start a glyph. */
double al_chart_text_width(const char *t, double font_size)
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


static void make_ticks(double lo, double hi, int target, al_chart_ticks *t)
{
    t->step = nice_step(lo, hi, target);
    t->n = 0;
    double first = ceil(lo / t->step - 1e-9), last = floor(hi / t->step + 1e-9);
    for (double k = first; k <= last && t->n < MAX_TICKS; k++)
        t->v[t->n++] = k == 0 ? 0.0 : k * t->step; /* k == 0: no "-0" */
    int d = (int)ceil(-log10(t->step) - 1e-9);
    t->decimals = d < 0 ? 0 : (d > 12 ? 12 : d);
}

void al_chart_tick_label(char *buf, size_t size, double v, int decimals)
{
    char digits[48];
    if (fabs(v) >= 1e7)
        snprintf(digits, sizeof digits, "%g", fabs(v));
    else
        snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
    snprintf(buf, size, "%s%s", v < 0 ? "\xe2\x88\x92" : "", digits);
}



static void widen(double v, double *lo, double *hi)
{
    if (isfinite(v)) {
        *lo = fmin(*lo, v);
        *hi = fmax(*hi, v);
    }
}

/* The data extent: x unpadded (curves meet the frame), y padded by 6%. */
static void data_range(const al_chart *c, al_chart_frame *f)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < c->n_items; i++) {
        const al_chart_item *it = &c->items[i];
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

/* How many plotted points fall in a box: the legend goes where it hides least. */
static size_t points_in(const al_chart *c, const al_chart_frame *f, double x0, double y0, double x1, double y1)
{
    size_t count = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const al_chart_item *it = &c->items[i];
        for (size_t k = 0; k < it->n; k++) {
            if (!isfinite(it->xs[k]))
                continue;
            double x = al_chart_px(f, it->xs[k]);
            if (x < x0 || x > x1)
                continue;
            for (int side = 0; side < (it->b ? 2 : 1); side++) {
                double v = side ? it->b[k] : it->a[k];
                double y = isfinite(v) ? al_chart_py(f, v) : NAN;
                if (y >= y0 && y <= y1)
                    count++;
            }
        }
    }
    return count;
}


static void legend_measure(const al_chart *c, al_chart_legend *lg)
{
    memset(lg, 0, sizeof *lg);
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == AL_CHART_LINE && c->items[i].name[0]) {
            lg->entries++;
            lg->widest = fmax(lg->widest, al_chart_text_width(c->items[i].name, LEGEND_FONT));
        }
    lg->w = LEGEND_PAD + LEGEND_SWATCH + 8 + lg->widest + LEGEND_PAD;
    lg->h = LEGEND_PAD + LEGEND_ROW * (double)lg->entries + LEGEND_PAD - 6;
}

/* Picks a data-free corner for the box; 0 when there is none. */
static int legend_inside(const al_chart *c, const al_chart_frame *f, al_chart_legend *lg)
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
static double legend_below_height(al_chart_legend *lg, double plot_width)
{
    double column = LEGEND_SWATCH + 8 + lg->widest + LEGEND_GAP;
    lg->per_row = (size_t)fmax(1, floor((plot_width + LEGEND_GAP) / column));
    if (lg->per_row > lg->entries)
        lg->per_row = lg->entries;
    size_t rows = (lg->entries + lg->per_row - 1) / lg->per_row;
    lg->below = 1;
    return LEGEND_ROW * (double)rows + 10;
}

al_status al_chart_place(const al_chart *c, double x0, double y0, int force_below, al_chart_layout *L,
                         al_error *err)
{
    al_chart_frame *f = &L->f;
    data_range(c, f);
    make_ticks(f->xlo, f->xhi, 5, &L->xt);
    make_ticks(f->ylo, f->yhi, 6, &L->yt);
    char label[64];
    double widest = 0;
    for (int i = 0; i < L->yt.n; i++) {
        al_chart_tick_label(label, sizeof label, L->yt.v[i], L->yt.decimals);
        widest = fmax(widest, al_chart_text_width(label, TICK_FONT));
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

