/* A small SVG line-chart builder: lines, shaded bands, point markers and
 * dashed reference lines on linear axes with 1-2-5 ticks, a legend and a
 * colour-blind-safe palette. It draws `act plot` and the study report's charts. */
#ifndef ACTLAB_SVG_H
#define ACTLAB_SVG_H

#include <stddef.h>

#include "actlab/status.h"
#include "actlab/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One chart: opaque, built with the al_chart_add_* calls, then rendered. */
typedef struct al_chart al_chart;

/* The i-th colour of the Okabe-Ito palette ("#0072B2", ...); cycles after 8. */
const char *al_chart_palette(size_t i);

/* A new empty chart of width x height pixels (each in [100, 10000]); title and
 * labels may be NULL or "". Free it with al_chart_free. */
al_status al_chart_create(const char *title, const char *x_label, const char *y_label,
                          double width, double height, al_chart **out, al_error *err);

/* Frees the chart; NULL is a no-op. */
void al_chart_free(al_chart *chart);

/* Fixes an axis range (lo < hi, both finite) instead of fitting the data;
 * what falls outside is clipped. */
al_status al_chart_set_x_range(al_chart *chart, double lo, double hi, al_error *err);
al_status al_chart_set_y_range(al_chart *chart, double lo, double hi, al_error *err);

/* Adds a polyline through (xs[i], ys[i]) (copied). A non-finite x or y breaks
 * the line. color NULL takes the next palette colour; name NULL or "" keeps the
 * series out of the legend. */
al_status al_chart_add_series(al_chart *chart, const char *name, size_t n, const double *xs,
                              const double *ys, const char *color, al_error *err);

/* Adds a translucent band between lo[i] and hi[i] (a confidence band), drawn
 * under the lines; non-finite values break it. color NULL: the colour of the
 * series added last (the next palette colour if there is none). */
al_status al_chart_add_band(al_chart *chart, size_t n, const double *xs, const double *lo,
                            const double *hi, const char *color, al_error *err);

/* Adds a point marker: a filled dot (filled = 1) or a hollow circle, with an
 * optional short label beside it. color NULL: dark grey. */
al_status al_chart_add_marker(al_chart *chart, double x, double y, int filled, const char *label,
                              const char *color, al_error *err);

/* Adds a dashed grey reference line across the plot at x (vline) or y (hline),
 * e.g. the zero axes; the value is kept in view. */
al_status al_chart_add_vline(al_chart *chart, double x, al_error *err);
al_status al_chart_add_hline(al_chart *chart, double y, al_error *err);

/* Appends a standalone <svg> document of the chart to out. */
al_status al_chart_render(const al_chart *chart, al_buf *out, al_error *err);

/* Appends one <svg> with count charts laid out in rows of `columns` (0: one
 * row), under an optional overall title (NULL or ""). */
al_status al_chart_render_grid(const al_chart *const *charts, size_t count, size_t columns,
                               const char *title, al_buf *out, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
