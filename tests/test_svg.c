/* The SVG chart builder: broken lines at non-finite points, escaping, 1-2-5
 * ticks, well-formed output, argument checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/svg.h"
#include "check.h"

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* "nan" printed by printf, not the "nan" inside "dominant-baseline". */
static int has_nan_text(const char *svg)
{
    return count_of(svg, "nan") + count_of(svg, "NaN") != count_of(svg, "dominant");
}

/* The d attribute of the first <path class="al-line"...>, copied into buf. */
static int first_line_path(const char *svg, char *buf, size_t size)
{
    const char *p = strstr(svg, "class=\"al-line\"");
    if (!p || !(p = strstr(p, " d=\"")))
        return 0;
    p += 4;
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= size)
        return 0;
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = '\0';
    return 1;
}

/* Every '<' opens a tag or closes one; elements that are not self-closing
 * must be closed in order. A small stack check, enough for our output. */
static int tags_balanced(const char *svg)
{
    char stack[64][24];
    int depth = 0;
    for (const char *p = strchr(svg, '<'); p; p = strchr(p + 1, '<')) {
        const char *end = strchr(p, '>');
        if (!end)
            return 0;
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " \t\n/>");
        if (len == 0 || len >= sizeof stack[0])
            return 0;
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len || strncmp(stack[depth - 1], name, len))
                return 0;
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 64)
                return 0;
            memcpy(stack[depth], name, len);
            stack[depth][len] = '\0';
            depth++;
        }
    }
    return depth == 0;
}

static void test_gap_escape_ticks(void)
{
    CHECK_SECTION("NaN gap, escaping, ticks");
    al_error err = {0};
    al_chart *c = NULL;
    CHECK(al_chart_create("a <b> & 'c'", "x & y", "f\"(x)", 640, 480, &c, &err) == AL_OK, "%s", err.message);
    if (!c)
        return;
    double xs[9], ys[9];
    for (int i = 0; i < 9; i++) {
        xs[i] = -4 + i;
        ys[i] = 100 + 25 * i;
    }
    ys[4] = NAN;
    CHECK(al_chart_set_x_range(c, -4, 4, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_series(c, "line <1> & co", 9, xs, ys, NULL, &err) == AL_OK, "%s", err.message);
    double inf_y[3] = {INFINITY, 150, -INFINITY}, inf_x[3] = {-1, 0, 1};
    CHECK(al_chart_add_series(c, NULL, 3, inf_x, inf_y, "#123456", &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_band(c, 9, xs, ys, ys, NULL, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_marker(c, 0, 200, 0, "kink & <here>", NULL, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_vline(c, 0, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_hline(c, 150, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_add_hline(c, NAN, &err) == AL_ERR_INVALID, "a NaN reference line is refused");

    al_buf out = {0};
    CHECK(al_chart_render(c, &out, &err) == AL_OK, "%s", err.message);
    CHECK(!out.failed && out.data, "rendered");
    if (!out.data) {
        al_chart_free(c);
        return;
    }
    const char *svg = out.data;

    char d[4096];
    CHECK(first_line_path(svg, d, sizeof d), "the series has a path");
    CHECK(count_of(d, "M") == 2, "a NaN splits the line in two segments: %s", d);
    CHECK(count_of(d, "L") == 6, "4 + 4 points: 3 + 3 line-tos: %s", d);
    CHECK(count_of(svg, "class=\"al-line\"") == 2, "one path per series");
    CHECK(strstr(svg, "l0 0") != NULL, "a lone finite point is drawn as a dot");

    CHECK(!has_nan_text(svg), "no NaN coordinates");
    CHECK(strstr(svg, "inf") == NULL && strstr(svg, "Inf") == NULL, "no infinite coordinates");

    CHECK(strstr(svg, ">a &lt;b&gt; &amp; &#39;c&#39;</text>") != NULL, "title escaped");
    CHECK(strstr(svg, ">x &amp; y</text>") != NULL, "x label escaped");
    CHECK(strstr(svg, ">f&quot;(x)</text>") != NULL, "y label escaped");
    CHECK(strstr(svg, ">line &lt;1&gt; &amp; co</text>") != NULL, "legend escaped");
    CHECK(strstr(svg, ">kink &amp; &lt;here&gt;</text>") != NULL, "marker label escaped");
    CHECK(strstr(svg, "<b>") == NULL && strstr(svg, "<1>") == NULL, "no raw markup from text");

    /* x in [-4, 4]: ticks every 2; minus signs are U+2212 */
    CHECK(strstr(svg, ">\xe2\x88\x92" "4</text>") != NULL, "tick -4");
    CHECK(strstr(svg, ">\xe2\x88\x92" "2</text>") != NULL, "tick -2");
    CHECK(strstr(svg, ">0</text>") != NULL, "tick 0");
    CHECK(strstr(svg, ">2</text>") != NULL, "tick 2");
    CHECK(strstr(svg, ">4</text>") != NULL, "tick 4");
    CHECK(strstr(svg, ">\xe2\x88\x92" "3</text>") == NULL && strstr(svg, ">1</text>") == NULL &&
              strstr(svg, ">3</text>") == NULL, "no ticks at odd values");
    /* y data in [100, 300] (padded): ticks every 50 */
    CHECK(strstr(svg, ">100</text>") != NULL && strstr(svg, ">150</text>") != NULL &&
              strstr(svg, ">300</text>") != NULL, "y ticks at multiples of 50");
    CHECK(strstr(svg, ">125</text>") == NULL, "no y tick at 125");

    CHECK(count_of(svg, "<svg") == 1 && count_of(svg, "</svg>") == 1, "one svg element");
    CHECK(strstr(svg, "viewBox=\"0 0 640 480\"") != NULL, "viewBox");
    CHECK(tags_balanced(svg), "tags balanced");
    CHECK(count_of(svg, "stroke-dasharray") == 2, "two dashed reference lines");
    CHECK(count_of(svg, "class=\"al-band\"") == 1, "one band");
    CHECK(count_of(svg, "class=\"al-marker\"") == 1, "one marker");
    CHECK(strstr(svg, "#0072B2") != NULL, "the first palette colour by default");

    al_buf_free(&out);
    al_chart_free(c);
}

static void test_grid_and_ticks(void)
{
    CHECK_SECTION("grid, small ranges");
    al_error err = {0};
    al_chart *a = NULL, *b = NULL;
    CHECK(al_chart_create("left", "x", "y", 500, 400, &a, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_create("right", "x", "y", 500, 400, &b, &err) == AL_OK, "%s", err.message);
    if (!a || !b) {
        al_chart_free(a);
        al_chart_free(b);
        return;
    }
    double xs[3] = {0, 0.5, 1}, ys[3] = {0, 0.25, 1};
    CHECK(al_chart_add_series(a, "s", 3, xs, ys, NULL, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_set_y_range(b, 0, 1, &err) == AL_OK, "%s", err.message);
    CHECK(al_chart_set_y_range(b, 1, 1, &err) == AL_ERR_INVALID, "lo < hi is required");
    CHECK(al_chart_set_x_range(b, 0, INFINITY, &err) == AL_ERR_INVALID, "finite range required");
    const al_chart *both[2] = {a, b};
    al_buf out = {0};
    CHECK(al_chart_render_grid(both, 2, 2, "Two <panels>", &out, &err) == AL_OK, "%s", err.message);
    if (out.data) {
        CHECK(count_of(out.data, "<svg") == 1 && count_of(out.data, "</svg>") == 1, "one svg");
        CHECK(count_of(out.data, "class=\"al-chart\"") == 2, "two panels");
        CHECK(strstr(out.data, "viewBox=\"0 0 1000 ") != NULL, "side by side");
        CHECK(strstr(out.data, ">Two &lt;panels&gt;</text>") != NULL, "figure title escaped");
        CHECK(strstr(out.data, ">0.2</text>") != NULL && strstr(out.data, ">0.4</text>") != NULL,
              "ticks every 0.2 on [0, 1]");
        CHECK(tags_balanced(out.data), "tags balanced");
        CHECK(!has_nan_text(out.data), "an empty chart has no NaN");
    }
    al_buf_free(&out);

    al_chart *tiny = NULL;
    CHECK(al_chart_create("t", "", "", 50, 400, &tiny, &err) == AL_ERR_INVALID && !tiny,
          "a too-small chart is refused");
    CHECK(strstr(err.message, "[100, 10000]") != NULL, "message says the range: %s", err.message);
    al_chart_free(a);
    al_chart_free(b);
    al_chart_free(NULL);
    CHECK(strcmp(al_chart_palette(0), "#0072B2") == 0 && strcmp(al_chart_palette(8), "#0072B2") == 0,
          "the palette cycles");
}

int main(void)
{
    test_gap_escape_ticks();
    test_grid_and_ticks();
    return check_summary("test_svg");
}
