/* Private to the SVG charts: the chart as built (svg.c), its layout
 * (svg_layout.c: ranges, ticks, where the legend goes) and the drawing that
 * turns both into SVG text (svg_render.c). */
#ifndef ACTLAB_REPORT_SVG_INTERNAL_H
#define ACTLAB_REPORT_SVG_INTERNAL_H

#include <stddef.h>

#include "actlab/svg.h"

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

typedef enum al_chart_item_kind { AL_CHART_LINE, AL_CHART_BAND } al_chart_item_kind;

/* A line (ys in a) or a band (lo in a, hi in b). */
typedef struct al_chart_item {
    al_chart_item_kind kind;
    char *name;
    char colour[COLOUR_BYTES];
    size_t n;
    double *xs, *a, *b;
} al_chart_item;

typedef struct al_chart_marker {
    double x, y;
    int filled;
    char *label;
    char colour[COLOUR_BYTES];
} al_chart_marker;

typedef struct al_chart_rule {
    int vertical;
    double at;
} al_chart_rule;

struct al_chart {
    char *title, *x_label, *y_label;
    double width, height;
    al_chart_item *items;
    size_t n_items, cap_items;
    al_chart_marker *markers;
    size_t n_markers, cap_markers;
    al_chart_rule *rules;
    size_t n_rules, cap_rules;
    size_t next_colour;
    int x_fixed, y_fixed;
    double x_lo, x_hi, y_lo, y_hi;
};

/* ---- layout (svg_layout.c) ---- */

#define MAX_TICKS 32

typedef struct al_chart_ticks {
    int n, decimals;
    double step, v[MAX_TICKS];
} al_chart_ticks;

/* The plot area inside a chart cell and the data range it shows. */
typedef struct al_chart_frame {
    double left, top, width, height;
    double xlo, xhi, ylo, yhi;
} al_chart_frame;

#define LEGEND_ROW (LEGEND_FONT + 8)
#define LEGEND_SWATCH 26.0
#define LEGEND_PAD 10.0
#define LEGEND_GAP 24.0

/* Where the legend goes: inside the plot when a corner is free of data, else
 * in rows under it (a legend must never hide a curve). */
typedef struct al_chart_legend {
    size_t entries, per_row;
    int below;
    double widest, w, h; /* inside: the box */
    double x, y;         /* inside: the box's corner; below: the first row's centre */
} al_chart_legend;

/* Everything about a chart's cell that is decided before drawing. */
typedef struct al_chart_layout {
    al_chart_frame f;
    al_chart_ticks xt, yt;
    al_chart_legend lg;
    double below; /* height of the legend rows under the plot; 0 when inside */
} al_chart_layout;

static inline double al_chart_clamp(double v)
{
    return v < -COORD_LIMIT ? -COORD_LIMIT : (v > COORD_LIMIT ? COORD_LIMIT : v);
}

static inline double al_chart_px(const al_chart_frame *f, double x)
{
    return al_chart_clamp(f->left + (x - f->xlo) / (f->xhi - f->xlo) * f->width);
}

static inline double al_chart_py(const al_chart_frame *f, double y)
{
    return al_chart_clamp(f->top + (f->yhi - y) / (f->yhi - f->ylo) * f->height);
}

/* Rough rendered width of text at font_size pixels. */
double al_chart_text_width(const char *t, double font_size);
/* A tick label with a true minus sign (U+2212), which reads better than '-'. */
void al_chart_tick_label(char *buf, size_t size, double v, int decimals);
/* Places the plot area, ticks and legend of c in the cell at (x0, y0);
 * force_below puts a legend under the plot even where a corner is free, so
 * that the panels of one row keep the same plot height. */
al_status al_chart_place(const al_chart *c, double x0, double y0, int force_below, al_chart_layout *L,
                         al_error *err);

#endif
