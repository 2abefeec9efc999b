/* Drawing charts as SVG text: gridlines and ticks, bands under lines,
 * markers, the frame, labels and the legend, then the figure around them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/svg_internal.h"

static void path_point(al_buf *out, int pen_down, double x, double y)
{
    al_buf_printf(out, "%s%.2f %.2f", pen_down ? " L" : " M", x, y);
}

/* One <path> per line; a non-finite point lifts the pen, and a lone point
 * gets a zero-length stroke so that its round cap shows as a dot. */
static void render_line(al_buf *out, const al_chart_frame *f, const al_chart_item *it, const char *clip)
{
    al_buf_printf(out, "<path class=\"al-line\" clip-path=\"url(#%s)\" fill=\"none\" stroke=\"", clip);
    al_html_text(out, it->colour);
    al_buf_printf(out, "\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"");
    size_t run = 0;
    for (size_t k = 0; k < it->n; k++) {
        if (!isfinite(it->xs[k]) || !isfinite(it->a[k])) {
            if (run == 1)
                al_buf_printf(out, " l0 0");
            run = 0;
            continue;
        }
        path_point(out, run > 0, al_chart_px(f, it->xs[k]), al_chart_py(f, it->a[k]));
        run++;
    }
    if (run == 1)
        al_buf_printf(out, " l0 0");
    al_buf_printf(out, "\"/>\n");
}

/* A band as one closed sub-path per finite stretch: along hi, back along lo. */
static void render_band(al_buf *out, const al_chart_frame *f, const al_chart_item *it, const char *clip)
{
    al_buf_printf(out, "<path class=\"al-band\" clip-path=\"url(#%s)\" stroke=\"none\" fill-opacity=\"0.2\" fill=\"", clip);
    al_html_text(out, it->colour);
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
            path_point(out, j > start, al_chart_px(f, it->xs[j]), al_chart_py(f, it->b[j]));
        for (size_t j = k; j-- > start;)
            path_point(out, 1, al_chart_px(f, it->xs[j]), al_chart_py(f, it->a[j]));
        al_buf_printf(out, " Z");
    }
    al_buf_printf(out, "\"/>\n");
}

static void render_legend(al_buf *out, const al_chart *c, const al_chart_frame *f, const al_chart_legend *lg)
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
        const al_chart_item *it = &c->items[i];
        if (it->kind != AL_CHART_LINE || !it->name[0])
            continue;
        double x = lg->below ? x0 + column * (double)(k % lg->per_row) : x0;
        double y = y0 + LEGEND_ROW * (double)(lg->below ? k / lg->per_row : k);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"", x, y,
                      x + LEGEND_SWATCH, y);
        al_html_text(out, it->colour);
        al_buf_printf(out, "\" stroke-width=\"3\" stroke-linecap=\"round\"/>"
                      "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" dominant-baseline=\"central\" fill=\"#222222\">",
                      x + LEGEND_SWATCH + 8, y, LEGEND_FONT);
        al_html_text(out, it->name);
        al_buf_printf(out, "</text>\n");
        k++;
    }
    al_buf_printf(out, "</g>\n");
}

/* Draws chart c into the cell at (x0, y0) as laid out in L. */
static void render_chart(const al_chart *c, al_buf *out, double x0, double y0, const al_chart_layout *L,
                         const char *clip)
{
    const al_chart_frame f = L->f;
    const al_chart_ticks xt = L->xt, yt = L->yt;
    const double tick_len = TICK_LEN, below = L->below;
    char label[64];
    al_buf_printf(out, "<g class=\"al-chart\">\n<clipPath id=\"%s\"><rect x=\"%.2f\" y=\"%.2f\" "
                  "width=\"%.2f\" height=\"%.2f\"/></clipPath>\n", clip, f.left, f.top, f.width, f.height);
    /* gridlines and tick labels */
    for (int i = 0; i < xt.n; i++) {
        double x = al_chart_px(&f, xt.v[i]);
        al_chart_tick_label(label, sizeof label, xt.v[i], xt.decimals);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>"
                      "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555555\"/>"
                      "<text class=\"al-tick\" x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"middle\" "
                      "fill=\"#444444\">%s</text>\n",
                      x, f.top, x, f.top + f.height, x, f.top + f.height, x, f.top + f.height + tick_len,
                      x, f.top + f.height + tick_len + 4 + TICK_FONT, TICK_FONT, label);
    }
    for (int i = 0; i < yt.n; i++) {
        double y = al_chart_py(&f, yt.v[i]);
        al_chart_tick_label(label, sizeof label, yt.v[i], yt.decimals);
        al_buf_printf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>"
                      "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555555\"/>"
                      "<text class=\"al-tick\" x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"end\" "
                      "dominant-baseline=\"central\" fill=\"#444444\">%s</text>\n",
                      f.left, y, f.left + f.width, y, f.left - tick_len, y, f.left, y,
                      f.left - tick_len - 4, y, TICK_FONT, label);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        const al_chart_rule *r = &c->rules[i];
        double x1 = r->vertical ? al_chart_px(&f, r->at) : f.left, x2 = r->vertical ? x1 : f.left + f.width;
        double y1 = r->vertical ? f.top : al_chart_py(&f, r->at), y2 = r->vertical ? f.top + f.height : y1;
        al_buf_printf(out, "<line class=\"al-rule\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                      "stroke=\"#888888\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\" clip-path=\"url(#%s)\"/>\n",
                      x1, y1, x2, y2, clip);
    }
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == AL_CHART_BAND)
            render_band(out, &f, &c->items[i], clip);
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].kind == AL_CHART_LINE)
            render_line(out, &f, &c->items[i], clip);
    for (size_t i = 0; i < c->n_markers; i++) {
        const al_chart_marker *m = &c->markers[i];
        if (!isfinite(m->x) || !isfinite(m->y) || m->x < f.xlo || m->x > f.xhi || m->y < f.ylo ||
            m->y > f.yhi)
            continue;
        double x = al_chart_px(&f, m->x), y = al_chart_py(&f, m->y);
        al_buf_printf(out, "<circle class=\"al-marker\" cx=\"%.2f\" cy=\"%.2f\" r=\"%s\" stroke-width=\"%s\" fill=\"",
                      x, y, m->filled ? "5" : "4.5", m->filled ? "1.5" : "2");
        al_html_text(out, m->filled ? m->colour : "white");
        al_buf_printf(out, "\" stroke=\"");
        al_html_text(out, m->filled ? "white" : m->colour);
        al_buf_printf(out, "\"/>\n");
        if (m->label[0]) {
            al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" fill=\"", x + 8, y - 8, TICK_FONT - 1);
            al_html_text(out, m->colour);
            al_buf_printf(out, "\">");
            al_html_text(out, m->label);
            al_buf_printf(out, "</text>\n");
        }
    }
    /* the frame is drawn last so that lines running along an edge stay crisp */
    al_buf_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                  "stroke=\"#555555\"/>\n", f.left, f.top, f.width, f.height);
    if (c->x_label[0]) {
        al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"middle\" fill=\"#222222\">",
                      f.left + f.width / 2, y0 + c->height - 16 - below, LABEL_FONT);
        al_html_text(out, c->x_label);
        al_buf_printf(out, "</text>\n");
    }
    if (c->y_label[0]) {
        al_buf_printf(out, "<text transform=\"translate(%.2f,%.2f) rotate(-90)\" font-size=\"%g\" "
                      "text-anchor=\"middle\" dominant-baseline=\"central\" fill=\"#222222\">",
                      x0 + 12 + LABEL_FONT / 2, f.top + f.height / 2, LABEL_FONT);
        al_html_text(out, c->y_label);
        al_buf_printf(out, "</text>\n");
    }
    if (c->title[0]) {
        al_buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" font-weight=\"bold\" "
                      "text-anchor=\"middle\" fill=\"#222222\">", f.left + f.width / 2, y0 + TITLE_FONT + 8,
                      TITLE_FONT);
        al_html_text(out, c->title);
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
        al_html_text(out, title);
        al_buf_printf(out, "</text>\n");
    }
    al_chart_layout *L = malloc(count * sizeof *L);
    if (!L)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory laying out %zu charts", count);
    al_status st = AL_OK;
    for (size_t row = 0; row < rows && st == AL_OK; row++) {
        size_t first = row * columns, end = first + columns < count ? first + columns : count;
        double y0 = head + cell_h * (double)row;
        int any_below = 0;
        for (size_t i = first; i < end && st == AL_OK; i++) {
            st = al_chart_place(charts[i], cell_w * (double)(i - first), y0, 0, &L[i], err);
            any_below |= st == AL_OK && L[i].below > 0;
        }
        /* one panel's legend went under its plot: the others follow, so plot heights line up */
        for (size_t i = first; i < end && st == AL_OK && any_below; i++)
            if (L[i].lg.entries && L[i].below == 0)
                st = al_chart_place(charts[i], cell_w * (double)(i - first), y0, 1, &L[i], err);
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
