/* The HTML report. Each block is turned into HTML the moment it is added (a
 * chart can be freed right after), into the body of the current section;
 * al_report_render wraps the sections in a page with the contents list, which
 * is why a section keeps its question and first verdict apart as well. The
 * page has no scripts and no external resources: it opens offline, prints,
 * and the same calls always give the same bytes. */
#include "actlab/report.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/html.h"
#include "report/report_style.h"

#define ID_MAX 64

typedef struct section {
    char *id, *heading;
    char *question_html; /* the first question, rendered; NULL when none */
    int has_verdict;
    al_verdict verdict;  /* the first one */
    al_buf body;
} section;

struct al_report {
    char *title;
    al_buf preamble;     /* blocks added before the first section */
    section *sections;
    size_t n_sections, cap_sections;
    size_t n_figures, n_tables;
};

static const char *const verdict_label[] = {"Supported", "Not supported", "Inconclusive", "Result"};
static const char *const verdict_class[] = {"v-supported", "v-not-supported", "v-inconclusive",
                                            "v-info"};
/* check, ballot x, question mark, information source */
static const char *const verdict_icon[] = {"\xe2\x9c\x93", "\xe2\x9c\x97", "?", "i"};

static al_status nomem(al_error *err, const char *what)
{
    return al_error_set(err, AL_ERR_NOMEM, "out of memory adding %s to the report", what);
}

/* ---- building ---- */

al_status al_report_create(const char *title, al_report **out, al_error *err)
{
    *out = NULL;
    if (!title || !title[0])
        return al_error_set(err, AL_ERR_INVALID, "a report needs a title");
    al_report *r = calloc(1, sizeof *r);
    if (!r || !(r->title = strdup(title))) {
        free(r);
        return nomem(err, "the title");
    }
    *out = r;
    return AL_OK;
}

void al_report_free(al_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_sections; i++) {
        free(r->sections[i].id);
        free(r->sections[i].heading);
        free(r->sections[i].question_html);
        al_buf_free(&r->sections[i].body);
    }
    free(r->sections);
    al_buf_free(&r->preamble);
    free(r->title);
    free(r);
}

static al_buf *current(al_report *r)
{
    return r->n_sections ? &r->sections[r->n_sections - 1].body : &r->preamble;
}

/* A failed append leaves the buffer marked; every block checks it once. */
static al_status finish(al_report *r, al_error *err, const char *what)
{
    return current(r)->failed ? nomem(err, what) : AL_OK;
}

static al_status check_id(const al_report *r, const char *id, al_error *err)
{
    size_t len = strlen(id);
    int ok = len >= 1 && len <= ID_MAX &&
             ((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z'));
    for (size_t i = 0; ok && i < len; i++) {
        char c = id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '_';
    }
    if (!ok) {
        al_error_set(err, AL_ERR_INVALID, "report section id '%.80s': use 1-%d letters, digits, "
                     "'-' or '_', starting with a letter (e.g. 'dead-units')", id, ID_MAX);
        return AL_ERR_INVALID;
    }
    if (strncmp(id, "al-", 3) == 0)
        return al_error_set(err, AL_ERR_INVALID, "report section id '%s': ids starting with 'al-' "
                            "are reserved for the page itself; choose another", id);
    for (size_t i = 0; i < r->n_sections; i++)
        if (strcmp(r->sections[i].id, id) == 0)
            return al_error_set(err, AL_ERR_INVALID, "report section id '%s' is used twice; "
                                "section ids must be unique", id);
    return AL_OK;
}

al_status al_report_section(al_report *r, const char *id, const char *heading, al_error *err)
{
    if (!id || !heading || !heading[0])
        return al_error_set(err, AL_ERR_INVALID, "a report section needs an id and a heading");
    if (check_id(r, id, err) != AL_OK)
        return AL_ERR_INVALID;
    if (r->n_sections == r->cap_sections) {
        size_t cap = r->cap_sections ? 2 * r->cap_sections : 8;
        section *p = realloc(r->sections, cap * sizeof *p);
        if (!p)
            return nomem(err, "a section");
        r->sections = p;
        r->cap_sections = cap;
    }
    section *s = &r->sections[r->n_sections];
    memset(s, 0, sizeof *s);
    s->id = strdup(id);
    s->heading = strdup(heading);
    if (!s->id || !s->heading) {
        free(s->id);
        free(s->heading);
        return nomem(err, "a section");
    }
    r->n_sections++;
    return AL_OK;
}

al_status al_report_subsection(al_report *r, const char *heading, al_error *err)
{
    if (!heading || !heading[0])
        return al_error_set(err, AL_ERR_INVALID, "a report subsection needs a heading");
    al_buf *b = current(r);
    al_buf_printf(b, "<h3>");
    al_html_text(b, heading);
    al_buf_printf(b, "</h3>\n");
    return finish(r, err, "a subsection");
}

static al_status need_text(const char *text, const char *what, al_error *err)
{
    return text ? AL_OK : al_error_set(err, AL_ERR_INVALID, "a report %s needs its text (got NULL)", what);
}

al_status al_report_question(al_report *r, const char *text, al_error *err)
{
    if (need_text(text, "question", err) != AL_OK)
        return AL_ERR_INVALID;
    al_buf *b = current(r);
    al_buf_printf(b, "<p class=\"question\"><span class=\"q-label\">Question</span> ");
    al_html_inline(b, text, strlen(text));
    al_buf_printf(b, "</p>\n");
    if (r->n_sections && !r->sections[r->n_sections - 1].question_html) {
        al_buf q = {0};
        al_html_inline(&q, text, strlen(text));
        if (q.failed) {
            al_buf_free(&q);
            return nomem(err, "a question");
        }
        r->sections[r->n_sections - 1].question_html = q.data ? q.data : strdup("");
        if (!r->sections[r->n_sections - 1].question_html)
            return nomem(err, "a question");
    }
    return finish(r, err, "a question");
}

al_status al_report_paragraph(al_report *r, const char *text, al_error *err)
{
    if (need_text(text, "paragraph", err) != AL_OK)
        return AL_ERR_INVALID;
    al_html_paragraphs(current(r), NULL, text);
    return finish(r, err, "a paragraph");
}

al_status al_report_note(al_report *r, const char *text, al_error *err)
{
    if (need_text(text, "note", err) != AL_OK)
        return AL_ERR_INVALID;
    al_html_paragraphs(current(r), "note", text);
    return finish(r, err, "a note");
}

al_status al_report_verdict(al_report *r, al_verdict kind, const char *text, al_error *err)
{
    if ((unsigned)kind > AL_VERDICT_INFO)
        return al_error_set(err, AL_ERR_INVALID, "report verdict kind %d is not one of AL_VERDICT_*",
                            (int)kind);
    if (need_text(text, "verdict", err) != AL_OK)
        return AL_ERR_INVALID;
    al_buf *b = current(r);
    al_buf_printf(b, "<div class=\"verdict %s\" role=\"note\">\n<p class=\"v-label\"><span class=\"v-icon\" "
                  "aria-hidden=\"true\">%s</span>%s</p>\n", verdict_class[kind], verdict_icon[kind],
                  verdict_label[kind]);
    al_html_paragraphs(b, NULL, text);
    al_buf_printf(b, "</div>\n");
    if (r->n_sections && !r->sections[r->n_sections - 1].has_verdict) {
        r->sections[r->n_sections - 1].has_verdict = 1;
        r->sections[r->n_sections - 1].verdict = kind;
    }
    return finish(r, err, "a verdict");
}

/* Appends SVG markup with the clip-path ids svg.c writes ("al-clip-...")
 * made unique to figure `number`: svg.c derives them from the charts' titles,
 * so two figures of like charts in one page would share ids, and the second
 * would be clipped by the first one's rectangle. Only text inside tags is
 * touched (attribute values never hold a raw '>'), never the charts' labels. */
static void put_svg_scoped(al_buf *b, const char *svg, size_t number)
{
    static const char key[] = "al-clip-";
    int in_tag = 0;
    const char *run = svg;
    for (const char *p = svg; *p; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        else if (in_tag && strncmp(p, key, sizeof key - 1) == 0) {
            p += sizeof key - 1;
            al_buf_append(b, run, (size_t)(p - run));
            al_buf_printf(b, "f%zu-", number);
            run = p;
            p--;
        }
    }
    al_buf_append(b, run, strlen(run));
}

/* A figure around rendered SVG; role and label are put on the <svg> so that
 * a screen reader announces the picture by its caption. */
static void put_figure(al_report *r, const al_buf *svg, const char *caption)
{
    al_buf *b = current(r);
    size_t number = ++r->n_figures;
    al_buf_printf(b, "<figure class=\"fig\">\n<div class=\"svg\">");
    const char *rest = svg->data;
    if (strncmp(rest, "<svg ", 5) == 0) {
        al_buf_printf(b, "<svg role=\"img\" aria-label=\"");
        if (caption[0])
            al_html_text(b, caption);
        else
            al_buf_printf(b, "Figure %zu", number);
        al_buf_printf(b, "\"");
        rest += 4;
    }
    put_svg_scoped(b, rest, number);
    al_buf_printf(b, "</div>\n<figcaption><span class=\"fig-num\">Figure %zu.</span>", number);
    if (caption[0]) {
        al_buf_printf(b, " ");
        al_html_inline(b, caption, strlen(caption));
    }
    al_buf_printf(b, "</figcaption>\n</figure>\n");
}

al_status al_report_chart_grid(al_report *r, const al_chart *const *charts, size_t count,
                               size_t columns, const char *caption, al_error *err)
{
    if (!charts || count == 0)
        return al_error_set(err, AL_ERR_INVALID, "a report figure needs at least one chart");
    for (size_t i = 0; i < count; i++)
        if (!charts[i])
            return al_error_set(err, AL_ERR_INVALID, "report figure: chart %zu of %zu is NULL", i + 1,
                                count);
    al_buf svg = {0};
    al_status st = al_chart_render_grid(charts, count, columns, NULL, &svg, err);
    if (st != AL_OK) {
        al_buf_free(&svg);
        return al_error_prefix(err, "report figure %zu: ", r->n_figures + 1);
    }
    if (svg.failed || !svg.data) {
        al_buf_free(&svg);
        return nomem(err, "a figure");
    }
    put_figure(r, &svg, caption ? caption : "");
    al_buf_free(&svg);
    return finish(r, err, "a figure");
}

al_status al_report_chart(al_report *r, const al_chart *chart, const char *caption, al_error *err)
{
    return al_report_chart_grid(r, &chart, 1, 1, caption, err);
}

/* The class attribute for a cell from its column and cell flags. */
static void put_cell_class(al_buf *b, unsigned col, unsigned cell)
{
    if (!(col & AL_REPORT_COL_NUMERIC) && !cell)
        return;
    const char *names[4] = {NULL, NULL, NULL, NULL};
    size_t k = 0;
    if (col & AL_REPORT_COL_NUMERIC)
        names[k++] = "n";
    if (cell & AL_REPORT_CELL_BEST)
        names[k++] = "best";
    if (cell & AL_REPORT_CELL_MUTED)
        names[k++] = "muted";
    if (cell & AL_REPORT_CELL_BAD)
        names[k++] = "bad";
    if (k == 0)
        return;
    al_buf_printf(b, " class=\"");
    for (size_t i = 0; i < k; i++)
        al_buf_printf(b, "%s%s", i ? " " : "", names[i]);
    al_buf_printf(b, "\"");
}

/* One <tr> of n_cols cells opened with `open` ("td", "th scope=...") and
 * closed with `close`; a NULL cell is empty. */
static void put_row(al_buf *b, const char *open, const char *close, size_t n_cols,
                    const char *const *cells, const unsigned *col_flags, const unsigned *cell_flags)
{
    al_buf_printf(b, "<tr>");
    for (size_t c = 0; c < n_cols; c++) {
        al_buf_printf(b, "<%s", open);
        put_cell_class(b, col_flags ? col_flags[c] : 0, cell_flags ? cell_flags[c] : 0);
        al_buf_printf(b, ">");
        if (cells[c])
            al_html_text(b, cells[c]);
        al_buf_printf(b, "</%s>", close);
    }
    al_buf_printf(b, "</tr>\n");
}

al_status al_report_table(al_report *r, const char *caption, size_t n_cols,
                          const char *const *header, size_t n_rows, const char *const *cells,
                          const unsigned *col_flags, const unsigned *cell_flags, al_error *err)
{
    if (n_cols == 0 || n_cols > 10000)
        return al_error_set(err, AL_ERR_INVALID, "a report table needs 1 to 10000 columns, got %zu", n_cols);
    if (n_rows > SIZE_MAX / n_cols)
        return al_error_set(err, AL_ERR_INVALID, "a report table of %zu x %zu cells is too large",
                            n_rows, n_cols);
    if (n_rows > 0 && !cells)
        return al_error_set(err, AL_ERR_INVALID, "a report table with %zu rows needs its cells", n_rows);
    al_buf *b = current(r);
    size_t number = ++r->n_tables;
    al_buf_printf(b, "<div class=\"table-wrap\">\n<table>\n<caption><span class=\"fig-num\">Table %zu.</span>",
                  number);
    if (caption && caption[0]) {
        al_buf_printf(b, " ");
        al_html_inline(b, caption, strlen(caption));
    }
    al_buf_printf(b, "</caption>\n");
    if (header) {
        al_buf_printf(b, "<thead>");
        put_row(b, "th scope=\"col\"", "th", n_cols, header, col_flags, NULL);
        al_buf_printf(b, "</thead>\n");
    }
    al_buf_printf(b, "<tbody>\n");
    for (size_t row = 0; row < n_rows; row++)
        put_row(b, "td", "td", n_cols, cells + row * n_cols, col_flags,
                cell_flags ? cell_flags + row * n_cols : NULL);
    al_buf_printf(b, "</tbody>\n</table>\n</div>\n");
    return finish(r, err, "a table");
}

al_status al_report_preformatted(al_report *r, const char *text, al_error *err)
{
    if (need_text(text, "preformatted block", err) != AL_OK)
        return AL_ERR_INVALID;
    al_buf *b = current(r);
    /* a newline right after <pre> would be eaten by the HTML parser */
    al_buf_printf(b, "<pre><code>");
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        len--;
    al_html_escape(b, text, len);
    al_buf_printf(b, "</code></pre>\n");
    return finish(r, err, "a preformatted block");
}

/* ---- the page ---- */


static void put_section(al_buf *out, const section *s, size_t number, int with_contents)
{
    al_buf_printf(out, "<section id=\"%s\">\n<h2><span class=\"sec-num\">%zu</span><span>", s->id, number);
    al_html_text(out, s->heading);
    al_buf_printf(out, "</span>");
    if (with_contents)
        al_buf_printf(out, "<a class=\"up\" href=\"#al-contents\">contents \xe2\x86\x91</a>");
    al_buf_printf(out, "</h2>\n");
    if (s->body.data)
        al_buf_append(out, s->body.data, s->body.len);
    al_buf_printf(out, "</section>\n");
}

al_status al_report_render(const al_report *r, al_buf *out, al_error *err)
{
    al_buf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"actlab\">\n<title>");
    al_html_text(out, r->title);
    al_buf_printf(out, "</title>\n<style>\n");
    al_report_put_css(out);
    al_buf_printf(out, "</style>\n</head>\n<body>\n<div class=\"page\">\n"
                  "<header>\n<p class=\"eyebrow\">actlab report</p>\n<h1>");
    al_html_text(out, r->title);
    al_buf_printf(out, "</h1>\n");
    if (r->preamble.data)
        al_buf_append(out, r->preamble.data, r->preamble.len);
    al_buf_printf(out, "</header>\n");
    /* one section needs no list of contents */
    int with_contents = r->n_sections >= 2;
    if (with_contents) {
        al_buf_printf(out, "<nav class=\"toc\" id=\"al-contents\" aria-labelledby=\"al-contents-title\">\n"
                      "<h2 id=\"al-contents-title\">Contents</h2>\n<ol>\n");
        for (size_t i = 0; i < r->n_sections; i++) {
            const section *s = &r->sections[i];
            al_buf_printf(out, "<li><span class=\"toc-num\">%zu</span><a href=\"#%s\">", i + 1, s->id);
            al_html_text(out, s->heading);
            al_buf_printf(out, "</a>");
            if (s->has_verdict)
                al_buf_printf(out, "<span class=\"pill %s\">%s</span>", verdict_class[s->verdict],
                              verdict_label[s->verdict]);
            if (s->question_html)
                al_buf_printf(out, "<span class=\"toc-q\">%s</span>", s->question_html);
            al_buf_printf(out, "</li>\n");
        }
        al_buf_printf(out, "</ol>\n</nav>\n");
    }
    al_buf_printf(out, "<main>\n");
    for (size_t i = 0; i < r->n_sections; i++)
        put_section(out, &r->sections[i], i + 1, with_contents);
    al_buf_printf(out, "</main>\n<footer class=\"foot\">Made by actlab. A self-contained page: no scripts, "
                  "nothing loaded from the network.</footer>\n</div>\n</body>\n</html>\n");
    if (out->failed)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory rendering the report '%s'", r->title);
    return AL_OK;
}

al_status al_report_write(const al_report *r, const char *dir, al_error *err)
{
    if (!dir || !dir[0])
        return al_error_set(err, AL_ERR_INVALID, "the report needs a folder to write to");
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || mkdir(dir, 0777) != 0)
            return al_error_set(err, AL_ERR_IO, "cannot create the report folder '%s': %s; make sure "
                                "its parent folder exists and is writable, or choose another folder",
                                dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return al_error_set(err, AL_ERR_IO, "cannot write the report into '%s': it exists and is not "
                            "a folder; remove it or choose another folder", dir);
    }
    size_t dlen = strlen(dir);
    char *path = malloc(dlen + sizeof "/index.html");
    if (!path)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing the report into '%s'", dir);
    memcpy(path, dir, dlen);
    memcpy(path + dlen, "/index.html", sizeof "/index.html");
    al_buf page = {0};
    al_status status = al_report_render(r, &page, err);
    if (status == AL_OK && al_file_write_atomic(path, page.data, page.len, err) != AL_OK) {
        status = err ? err->status : AL_ERR_IO;
        al_error_prefix(err, "writing the report: ");
        if (err) {
            size_t used = strlen(err->message);
            snprintf(err->message + used, sizeof err->message - used,
                     " (nothing was written; check the free space and permissions of '%s', "
                     "or choose another folder)", dir);
        }
    }
    al_buf_free(&page);
    free(path);
    return status;
}

/* The absolute form of path: the working folder joined to a relative one
 * (realpath is not in POSIX.1-2008 base, and the browser folds "./" itself). */
static char *absolute_path(const char *path)
{
    size_t plen = strlen(path);
    if (path[0] == '/')
        return strdup(path);
    while (path[0] == '.' && path[1] == '/')
        path += 2, plen -= 2;
    for (size_t cap = 256; cap <= (1u << 20); cap *= 2) {
        char *buf = malloc(cap + plen + 2);
        if (!buf)
            return NULL;
        if (getcwd(buf, cap)) {
            size_t len = strlen(buf);
            if (len > 0 && buf[len - 1] != '/')
                buf[len++] = '/';
            memcpy(buf + len, path, plen + 1);
            return buf;
        }
        free(buf);
        if (errno != ERANGE)
            return NULL;
    }
    return NULL;
}

al_status al_report_url(const char *dir, char *out, size_t size, al_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return al_error_set(err, AL_ERR_IO, "cannot find the report folder '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return al_error_set(err, AL_ERR_IO, "the report folder '%s' is not a folder", dir);
    char *abs = absolute_path(dir);
    if (!abs)
        return al_error_set(err, AL_ERR_IO, "cannot find the report folder '%s': %s", dir, strerror(errno));
    size_t alen = strlen(abs);
    while (alen > 1 && abs[alen - 1] == '/')
        abs[--alen] = '\0';
    al_buf url = {0};
    al_buf_printf(&url, "file://");
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
        unsigned char c = *p;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("/-._~", c) != NULL;
        if (plain)
            al_buf_append(&url, (const char *)p, 1);
        else
            al_buf_printf(&url, "%%%02X", c);
    }
    al_buf_printf(&url, "%sindex.html", alen == 1 ? "" : "/");
    free(abs);
    al_status status = AL_OK;
    if (url.failed)
        status = al_error_set(err, AL_ERR_NOMEM, "out of memory making the report's URL");
    else if (url.len + 1 > size)
        status = al_error_set(err, AL_ERR_INVALID, "the report's URL (%zu bytes) does not fit in %zu bytes",
                              url.len, size);
    else
        memcpy(out, url.data, url.len + 1);
    al_buf_free(&url);
    return status;
}
