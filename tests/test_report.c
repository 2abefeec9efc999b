/* The HTML report: escaping at every entry point, inline markup, the
 * contents, tables, verdicts, well-formed self-contained HTML5, atomic
 * writing and its errors; then the page in a real browser: headless Chromium
 * renders it to a PNG (its size, its pixels: are the charts drawn?) and dumps
 * the DOM after load, and no console message may appear, with a page that
 * logs an error as the control that the console detector works. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "actlab/report.h"
#include "check.h"

#define BROWSER_TIMEOUT_S 60

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* The page as a string (free() it); NULL and a failed check on error. */
static char *render(const al_report *r)
{
    al_buf b = {0};
    al_error err = {0};
    al_status st = al_report_render(r, &b, &err);
    CHECK(st == AL_OK, "render: %s", err.message);
    if (st != AL_OK) {
        al_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static int is_void_element(const char *name, size_t len)
{
    static const char *const names[] = {"meta", "link", "br", "hr", "img", "input", "col", "wbr"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

/* Every element is closed, in order (HTML void elements and SVG's "/>"
 * excepted); "<!DOCTYPE" is skipped. Enough for our own output. */
static int tags_balanced(const char *html, char *why, size_t why_size)
{
    char stack[64][24];
    int depth = 0;
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *end = strchr(p, '>');
        if (!end) {
            snprintf(why, why_size, "unterminated tag");
            return 0;
        }
        if (p[1] == '!')
            continue;
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " \t\n/>");
        if (len == 0 || len >= sizeof stack[0]) {
            snprintf(why, why_size, "bad tag at '%.30s'", p);
            return 0;
        }
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len || strncmp(stack[depth - 1], name, len)) {
                snprintf(why, why_size, "'</%.*s>' closes '%s'", (int)len, name, depth ? stack[depth - 1] : "");
                return 0;
            }
            depth--;
        } else if (end[-1] != '/' && !is_void_element(name, len)) {
            if (depth == 64)
                return 0;
            memcpy(stack[depth], name, len);
            stack[depth][len] = '\0';
            depth++;
        }
    }
    if (depth != 0)
        snprintf(why, why_size, "'%s' never closed", stack[depth - 1]);
    return depth == 0;
}

/* No two elements share an id (anchors, SVG clip paths). */
static int ids_unique(const char *html, char *why, size_t why_size)
{
    size_t n = count_of(html, " id=\""), k = 0;
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids)
        return 0;
    int ok = 1;
    for (const char *p = strstr(html, " id=\""); p && ok; p = strstr(p + 5, " id=\"")) {
        const char *v = p + 5;
        size_t len = strcspn(v, "\"");
        for (size_t i = 0; i < k && ok; i++)
            if (strncmp(ids[i], v, len) == 0 && ids[i][len] == '"') {
                snprintf(why, why_size, "id \"%.*s\" used twice", (int)len, v);
                ok = 0;
            }
        ids[k++] = v;
    }
    free(ids);
    return ok;
}

/* A new report, or NULL after a failed check. */
static al_report *new_report(const char *title)
{
    al_error err = {0};
    al_report *r = NULL;
    CHECK(al_report_create(title, &r, &err) == AL_OK, "%s", err.message);
    return r;
}

static al_chart *small_chart(const char *title)
{
    al_error err = {0};
    al_chart *c = NULL;
    CHECK(al_chart_create(title, "x", "y", 400, 300, &c, &err) == AL_OK, "%s", err.message);
    if (!c)
        return NULL;
    double xs[3] = {0, 1, 2}, ys[3] = {1, 3, 2};
    CHECK(al_chart_add_series(c, "s", 3, xs, ys, NULL, &err) == AL_OK, "%s", err.message);
    return c;
}

/* Text from each entry point carries its own tag, which must come out escaped. */
static void test_escaping(void)
{
    CHECK_SECTION("escaping at every entry point");
    al_error err = {0};
    al_report *r = new_report("T<t0>&\"'");
    if (!r)
        return;
    al_chart *c = small_chart("C<c1>");
    const al_chart *grid[2] = {c, c};
    const char *header[2] = {"H<hd1>", "H\"2"};
    const char *cells[2] = {"D<d1>&", NULL};
    CHECK(al_report_note(r, "N<n0>", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_section(r, "one", "S<s1>&", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_question(r, "Q<q1>?", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_paragraph(r, "P<p1> & \"quoted\" 'single'", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_verdict(r, AL_VERDICT_SUPPORTED, "V<v1>", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_subsection(r, "U<u1>", &err) == AL_OK, "%s", err.message);
    CHECK(c && al_report_chart(r, c, "F<f1>\"", &err) == AL_OK, "%s", err.message);
    CHECK(c && al_report_chart_grid(r, grid, 2, 2, "G<g1>", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_table(r, "T<tc1>", 2, header, 1, cells, NULL, NULL, &err) == AL_OK, "%s", err.message);
    CHECK(al_report_preformatted(r, "actlab --x '<pre1>' && echo \"ok\"\n", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_note(r, "N<n1>", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_section(r, "two", "S<s2>", &err) == AL_OK, "%s", err.message);
    al_chart_free(c);
    char *html = render(r);
    if (html) {
        static const char *const tags[] = {"t0", "c1", "hd1", "d1", "n0", "s1", "q1", "p1", "v1",
                                           "u1", "f1", "g1", "tc1", "pre1", "n1", "s2"};
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
            char raw[16], esc[32];
            size_t len = strcspn(tags[i], ">");
            snprintf(raw, sizeof raw, "<%.*s>", (int)len, tags[i]);
            snprintf(esc, sizeof esc, "&lt;%.*s&gt;", (int)len, tags[i]);
            CHECK(!strstr(html, raw), "raw %s in the page", raw);
            CHECK(strstr(html, esc), "escaped %s missing", esc);
        }
        CHECK(strstr(html, "<title>T&lt;t0&gt;&amp;&quot;&#39;</title>"), "title escaped");
        CHECK(strstr(html, "P&lt;p1&gt; &amp; &quot;quoted&quot; &#39;single&#39;"), "paragraph escaped");
        CHECK(strstr(html, "<td>D&lt;d1&gt;&amp;</td><td></td>"), "cells escaped, NULL cell empty");
        CHECK(strstr(html, ">H&quot;2</th>"), "header escaped");
        CHECK(strstr(html, "aria-label=\"F&lt;f1&gt;&quot;\""), "caption escaped in the svg's label");
        CHECK(strstr(html, "&#39;&lt;pre1&gt;&#39; &amp;&amp; echo &quot;ok&quot;</code></pre>"),
              "preformatted escaped, trailing newline dropped");
        CHECK(count_of(html, "<svg") == 2, "one <svg> per figure, got %zu", count_of(html, "<svg"));
        char why[128] = "";
        CHECK(tags_balanced(html, why, sizeof why), "tags: %s", why);
    }
    free(html);
    al_report_free(r);
}

static void test_markup_and_text(void)
{
    CHECK_SECTION("inline markup, paragraphs, UTF-8");
    al_error err = {0};
    al_report *r = new_report("markup");
    if (!r)
        return;
    al_report_paragraph(r, "m1 **bold <b>** and `a<b && c` then **`code` in bold**", &err);
    al_report_paragraph(r, "m2 unclosed **bold and `tick", &err);
    al_report_paragraph(r, "m5 empty **** end", &err);
    al_report_paragraph(r, "m6 empty `` end", &err);
    al_report_paragraph(r, "m3 `**not bold**` end", &err);
    al_report_paragraph(r, "first para\nsame para\n  \t\nsecond para\n\n\n", &err);
    al_report_paragraph(r, "m4 bad \xff byte, control \x01 gone, tab\tkept, \xc2\xb5 and \xe2\x88\x92 kept, "
                        "overlong \xc0\xaf, C1 \xc2\x85 gone", &err);
    al_report_paragraph(r, "", &err);
    char *html = render(r);
    if (html) {
        CHECK(strstr(html, "<p>m1 <strong>bold &lt;b&gt;</strong> and <code>a&lt;b &amp;&amp; c</code> then "
                     "<strong><code>code</code> in bold</strong></p>"), "bold and code");
        CHECK(strstr(html, "<p>m2 unclosed **bold and `tick</p>"), "unclosed markers literal");
        CHECK(strstr(html, "<p>m5 empty **** end</p>") && strstr(html, "<p>m6 empty `` end</p>"),
              "empty markers literal");
        CHECK(strstr(html, "<p>m3 <code>**not bold**</code> end</p>"), "code is verbatim");
        CHECK(strstr(html, "<p>first para\nsame para</p>\n<p>second para</p>\n"), "blank line splits");
        CHECK(strstr(html, "m4 bad \xef\xbf\xbd byte, control  gone, tab\tkept, \xc2\xb5 and \xe2\x88\x92 kept, "
                     "overlong \xef\xbf\xbd\xef\xbf\xbd, C1  gone"), "UTF-8 cleaned");
        CHECK(!strstr(html, "<p></p>"), "no empty paragraph");
    }
    free(html);
    al_report_free(r);
}

static void test_structure(void)
{
    CHECK_SECTION("page, contents, verdicts, tables");
    al_error err = {0};
    al_report *r = new_report("Structure");
    if (!r)
        return;
    static const char *const ids[] = {"learning", "dead-units", "grad_norm", "A1"};
    for (int k = 0; k < 4; k++) {
        char heading[32];
        snprintf(heading, sizeof heading, "Heading %d", k + 1);
        CHECK(al_report_section(r, ids[k], heading, &err) == AL_OK, "%s", err.message);
        if (k < 3) {
            al_report_question(r, k == 0 ? "Does **ELU** learn faster?" : "Another question", &err);
            al_report_verdict(r, (al_verdict)k, "an answer", &err);
            al_report_verdict(r, AL_VERDICT_INFO, "a second one, not in the contents", &err);
        }
    }
    al_report_verdict(r, AL_VERDICT_INFO, "info", &err);
    const char *header[4] = {"arm", "accuracy", "epochs to 85%", "note"};
    const char *cells[12] = {"ReLU", "0.871", "4.2", "", "ELU", "0.884", "3.1", NULL, "tanh", "0.812",
                             "not reached", "2 of 5 diverged"};
    unsigned col_flags[4] = {0, AL_REPORT_COL_NUMERIC, AL_REPORT_COL_NUMERIC, 0};
    unsigned cell_flags[12] = {0};
    cell_flags[5] = AL_REPORT_CELL_BEST;
    cell_flags[6] = AL_REPORT_CELL_BEST;
    cell_flags[10] = AL_REPORT_CELL_MUTED;
    cell_flags[11] = AL_REPORT_CELL_BAD | AL_REPORT_CELL_MUTED;
    CHECK(al_report_table(r, "Three arms", 4, header, 3, cells, col_flags, cell_flags, &err) == AL_OK, "%s",
          err.message);
    CHECK(al_report_table(r, NULL, 2, NULL, 1, cells, NULL, NULL, &err) == AL_OK, "%s", err.message);
    /* the same chart twice: svg.c gives both the same clip ids, the report must not */
    al_chart *c = small_chart("same");
    CHECK(c && al_report_chart(r, c, "first", &err) == AL_OK, "%s", err.message);
    CHECK(c && al_report_chart(r, c, "second", &err) == AL_OK, "%s", err.message);
    al_chart_free(c);
    char *html = render(r);
    if (html) {
        CHECK(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", 62) == 0,
              "doctype, lang, charset first");
        CHECK(strstr(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), "viewport");
        CHECK(strstr(html, "<title>Structure</title>"), "title");
        CHECK(!strstr(html, "<script") && !strstr(html, " src=") && !strstr(html, "<link"), "nothing external");
        CHECK(count_of(html, "http") == count_of(html, "http://www.w3.org/2000/svg"), "no URLs but the SVG namespace");
        for (int k = 0; k < 4; k++) {
            char href[64], sec[64];
            snprintf(href, sizeof href, "<a href=\"#%s\">Heading %d</a>", ids[k], k + 1);
            snprintf(sec, sizeof sec, "<section id=\"%s\">", ids[k]);
            CHECK(strstr(html, href), "contents entry %s", href);
            CHECK(strstr(html, sec), "section %s", sec);
            CHECK(strstr(html, href) < strstr(html, sec), "contents before the sections");
        }
        CHECK(count_of(html, "<li>") == 4, "4 contents entries, got %zu", count_of(html, "<li>"));
        CHECK(strstr(html, "<span class=\"toc-q\">Does <strong>ELU</strong> learn faster?</span>"), "question in contents");
        CHECK(strstr(html, "<span class=\"pill v-supported\">Supported</span>"), "pill 1");
        CHECK(strstr(html, "<span class=\"pill v-not-supported\">Not supported</span>"), "pill 2");
        CHECK(strstr(html, "<span class=\"pill v-inconclusive\">Inconclusive</span>"), "pill 3");
        CHECK(strstr(html, "<span class=\"pill v-info\">Result</span>"), "pill 4");
        CHECK(count_of(html, "class=\"pill") == 4, "only first verdicts in the contents");
        CHECK(count_of(html, "class=\"verdict ") == 7, "7 verdict boxes");
        static const char *const labels[] = {"Supported", "Not supported", "Inconclusive", "Result"};
        for (int k = 0; k < 4; k++) {
            char label[64];
            snprintf(label, sizeof label, "</span>%s</p>", labels[k]);
            CHECK(strstr(html, label), "verdict label %s in words", labels[k]);
        }
        /* the first table: header row + 3 rows of 4 cells */
        const char *t = strstr(html, "<table>"), *te = t ? strstr(t, "</table>") : NULL;
        CHECK(t && te, "table present");
        if (t && te) {
            size_t n = (size_t)(te - t);
            char *one = malloc(n + 1);
            if (one) {
                memcpy(one, t, n);
                one[n] = '\0';
                CHECK(count_of(one, "<tr>") == 4, "rows %zu", count_of(one, "<tr>"));
                CHECK(count_of(one, "<th scope=\"col\"") == 4, "header cells");
                CHECK(count_of(one, "<td") == 12, "cells %zu", count_of(one, "<td"));
                CHECK(strstr(one, "<caption><span class=\"fig-num\">Table 1.</span> Three arms</caption>"), "caption");
                CHECK(strstr(one, "<th scope=\"col\" class=\"n\">accuracy</th>"), "numeric header");
                CHECK(strstr(one, "<td class=\"n best\">0.884</td>"), "best cell");
                CHECK(strstr(one, "<td class=\"n muted\">not reached</td>"), "muted cell");
                CHECK(strstr(one, "<td class=\"muted bad\">2 of 5 diverged</td>"), "bad cell");
                CHECK(strstr(one, "<td></td></tr>"), "NULL cell");
                free(one);
            }
        }
        CHECK(strstr(html, "<span class=\"fig-num\">Table 2.</span></caption>\n<tbody>"), "table without header");
        char why[128] = "";
        CHECK(count_of(html, "clip-path=\"url(#al-clip-f2-") == 1, "clip ids scoped to their figure");
        CHECK(ids_unique(html, why, sizeof why), "%s", why);
        CHECK(tags_balanced(html, why, sizeof why), "tags: %s", why);
        char *again = render(r);
        CHECK(again && strcmp(again, html) == 0, "same calls, same bytes");
        free(again);
    }
    free(html);
    al_report_free(r);
}

static void test_bad_arguments(void)
{
    CHECK_SECTION("bad arguments");
    al_error err = {0};
    al_report *r = NULL;
    CHECK(al_report_create("", &r, &err) == AL_ERR_INVALID && !r, "empty title");
    CHECK(al_report_create("ok", &r, &err) == AL_OK, "%s", err.message);
    if (!r)
        return;
    static const char *const bad_ids[] = {"", "1abc", "a b", "a\"b", "x<y", "al-contents", "ünï",
                                          "a12345678901234567890123456789012345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        err.message[0] = '\0';
        CHECK(al_report_section(r, bad_ids[i], "h", &err) == AL_ERR_INVALID, "id '%s' refused", bad_ids[i]);
        CHECK(strstr(err.message, "id '"), "message names the id: %s", err.message);
    }
    CHECK(al_report_section(r, "ok", "h", &err) == AL_OK, "%s", err.message);
    CHECK(al_report_section(r, "ok", "h2", &err) == AL_ERR_INVALID && strstr(err.message, "'ok' is used twice"),
          "duplicate id: %s", err.message);
    CHECK(al_report_section(r, "x", "", &err) == AL_ERR_INVALID, "empty heading");
    CHECK(al_report_paragraph(r, NULL, &err) == AL_ERR_INVALID, "NULL text");
    CHECK(al_report_verdict(r, (al_verdict)7, "x", &err) == AL_ERR_INVALID && strstr(err.message, "kind 7"),
          "bad verdict kind: %s", err.message);
    const char *cells[2] = {"a", "b"};
    CHECK(al_report_table(r, "t", 0, NULL, 1, cells, NULL, NULL, &err) == AL_ERR_INVALID, "no columns");
    CHECK(al_report_table(r, "t", 2, NULL, 3, NULL, NULL, NULL, &err) == AL_ERR_INVALID, "no cells");
    CHECK(al_report_table(r, "t", 2, NULL, SIZE_MAX / 2 + 1, cells, NULL, NULL, &err) == AL_ERR_INVALID, "huge");
    CHECK(al_report_chart(r, NULL, "x", &err) == AL_ERR_INVALID, "NULL chart");
    CHECK(al_report_chart_grid(r, NULL, 0, 0, "x", &err) == AL_ERR_INVALID, "no charts");
    al_report_free(r);
    al_report_free(NULL);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_write(const char *tmp)
{
    CHECK_SECTION("writing");
    al_error err = {0};
    al_report *r = new_report("Write test");
    if (!r)
        return;
    al_report_paragraph(r, "hello", &err);
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/with space", tmp);
    CHECK(al_report_write(r, dir, &err) == AL_OK, "%s", err.message);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *data = NULL, *html = render(r);
    size_t size = 0;
    CHECK(al_file_read_all(path, 1 << 20, &data, &size, &err) == AL_OK, "%s", err.message);
    CHECK(data && html && strcmp(data, html) == 0, "the file is the rendered page");
    free(data);
    free(html);
    CHECK(al_report_write(r, dir, &err) == AL_OK, "overwrite: %s", err.message);

    char url[1024];
    CHECK(al_report_url(dir, url, sizeof url, &err) == AL_OK, "%s", err.message);
    CHECK(strncmp(url, "file:///", 8) == 0 && strstr(url, "/with%20space/index.html"), "url %s", url);
    CHECK(al_report_url(dir, url, 10, &err) == AL_ERR_INVALID, "url too long for its buffer");
    snprintf(path, sizeof path, "%s/missing", tmp);
    CHECK(al_report_url(path, url, sizeof url, &err) == AL_ERR_IO && strstr(err.message, "missing"),
          "url of a missing folder: %s", err.message);

    /* a folder under a regular file cannot be made, even by root */
    snprintf(path, sizeof path, "%s/file.txt", tmp);
    CHECK(al_file_write_atomic(path, "x", 1, &err) == AL_OK, "%s", err.message);
    snprintf(dir, sizeof dir, "%s/file.txt/report", tmp);
    err.message[0] = '\0';
    CHECK(al_report_write(r, dir, &err) == AL_ERR_IO, "unwritable folder refused");
    CHECK(strstr(err.message, dir) && strstr(err.message, "cannot create the report folder") &&
          strstr(err.message, "Not a directory") && strstr(err.message, "choose another folder"),
          "clear message: %s", err.message);
    snprintf(path, sizeof path, "%s/index.html", dir);
    CHECK(!file_exists(path) && !file_exists(dir), "nothing written");
    /* the folder is a regular file */
    snprintf(dir, sizeof dir, "%s/file.txt", tmp);
    CHECK(al_report_write(r, dir, &err) == AL_ERR_IO && strstr(err.message, "is not a folder"),
          "file as folder: %s", err.message);
    /* only one level is created */
    snprintf(dir, sizeof dir, "%s/a/b", tmp);
    CHECK(al_report_write(r, dir, &err) == AL_ERR_IO && strstr(err.message, "parent folder"),
          "two levels: %s", err.message);
    CHECK(al_report_write(r, "", &err) == AL_ERR_INVALID, "empty folder name");
    al_report_free(r);
}

/* ---- a real browser ---- */

/* Runs argv with stdout and stderr into files, in its own process group, so
 * that Chromium and its helpers can all be killed after timeout_s. Returns
 * the exit status, or -1 (failed to start / killed, *timed_out set). */
static int run_logged(char *const argv[], const char *out_path, const char *err_path, int timeout_s,
                      int *timed_out)
{
    *timed_out = 0;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    int status = 0, lost = 0;
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (long waited_ms = 0;; waited_ms += 50) {
        /* WNOWAIT: the exited child stays a zombie, so its group id cannot be
         * reused before the helpers left in the group are killed */
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno != EINTR) {
            lost = 1;
            break;
        }
        if (info.si_pid == pid)
            break;
        if (waited_ms >= 1000L * timeout_s) {
            *timed_out = 1;
            break;
        }
        nanosleep(&tick, NULL);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (*timed_out || lost)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int find_browser(char *out, size_t size)
{
    const char *env = getenv("ACTLAB_CHROMIUM");
    if (env && env[0]) {
        snprintf(out, size, "%s", env);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    static const char *const names[] = {"chromium", "chromium-browser"};
    for (size_t k = 0; k < 2 && path; k++) {
        for (const char *p = path; *p;) {
            size_t len = strcspn(p, ":");
            snprintf(out, size, "%.*s/%s", (int)len, len ? p : ".", names[k]);
            if (access(out, X_OK) == 0)
                return 1;
            p += len + (p[len] == ':');
        }
    }
    return 0;
}

/* Chromium with --enable-logging=stderr logs each console message of a page
 * as one line
 *     [pid:tid:MMDD/HHMMSS.us:INFO:CONSOLE:12] "text", source: file:///x.html (12)
 * (older builds write "CONSOLE(12)]"), at INFO whatever the message's level,
 * uncaught exceptions included. The report has no scripts, so any such line
 * is a failure. Returns how many there are and copies them to found. */
static size_t console_lines(const char *log, al_buf *found)
{
    size_t n = 0;
    for (const char *line = log; *line;) {
        size_t len = strcspn(line, "\n");
        const char *c = NULL;
        for (const char *p = line; (p = strstr(p, ":CONSOLE")) && p < line + len; p++)
            if (p[8] == ':' || p[8] == '(') {
                c = p;
                break;
            }
        if (c && strstr(c, "] \"") && strstr(c, "] \"") < line + len) {
            n++;
            al_buf_printf(found, "    %.*s\n", (int)len, line);
        }
        line += len + (line[len] == '\n');
    }
    return n;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct image {
    uint32_t width, height, channels;
    unsigned char *pixels; /* rows of width * channels bytes, filters undone */
} image;

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

/* Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). */
static int png_decode(const unsigned char *d, size_t size, image *img, char *why, size_t why_size)
{
    memset(img, 0, sizeof *img);
    if (size < 33 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0) {
        snprintf(why, why_size, "not a PNG (signature or IHDR missing)");
        return 0;
    }
    img->width = be32(d + 16);
    img->height = be32(d + 20);
    if (d[24] != 8 || (d[25] != 2 && d[25] != 6) || d[28] != 0 || img->width == 0 || img->height == 0 ||
        img->width > 20000 || img->height > 20000) {
        snprintf(why, why_size, "unexpected PNG: %ux%u, depth %d, colour type %d, interlace %d",
                 img->width, img->height, d[24], d[25], d[28]);
        return 0;
    }
    img->channels = d[25] == 2 ? 3 : 4;
    al_buf idat = {0};
    for (size_t pos = 8; pos + 12 <= size;) {
        uint32_t len = be32(d + pos);
        if (len > size - pos - 12)
            break;
        if (memcmp(d + pos + 4, "IDAT", 4) == 0)
            al_buf_append(&idat, (const char *)d + pos + 8, len);
        pos += 12 + (size_t)len;
    }
    size_t stride = (size_t)img->width * img->channels;
    uLongf raw_size = (uLongf)((stride + 1) * img->height);
    unsigned char *raw = malloc(raw_size);
    int ok = raw && !idat.failed && idat.len > 0 &&
             uncompress(raw, &raw_size, (const Bytef *)idat.data, (uLong)idat.len) == Z_OK &&
             raw_size == (stride + 1) * img->height;
    al_buf_free(&idat);
    img->pixels = ok ? malloc(stride * img->height) : NULL;
    if (!ok || !img->pixels) {
        snprintf(why, why_size, "PNG image data does not inflate to %ux%u pixels", img->width, img->height);
        free(raw);
        free(img->pixels);
        img->pixels = NULL;
        return 0;
    }
    size_t bpp = img->channels;
    for (size_t y = 0; y < img->height; y++) {
        const unsigned char *src = raw + y * (stride + 1) + 1;
        unsigned char *row = img->pixels + y * stride, *up = y ? row - stride : NULL;
        int filter = src[-1];
        for (size_t x = 0; x < stride; x++) {
            int a = x >= bpp ? row[x - bpp] : 0, b = up ? up[x] : 0, c = up && x >= bpp ? up[x - bpp] : 0;
            int pred = filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2
                     : filter == 4 ? paeth(a, b, c) : 0;
            row[x] = (unsigned char)(src[x] + pred);
        }
        if (filter > 4) {
            snprintf(why, why_size, "PNG row %zu has filter %d", y, filter);
            free(raw);
            return 0;
        }
    }
    free(raw);
    return 1;
}

/* How many pixels are within tol of the colour #rrggbb. */
static size_t pixels_near(const image *img, unsigned rgb, int tol)
{
    int r = (int)(rgb >> 16), g = (int)(rgb >> 8 & 0xFF), b = (int)(rgb & 0xFF);
    size_t n = 0;
    for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
        const unsigned char *p = img->pixels + i * img->channels;
        n += abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
    }
    return n;
}

/* Synthetic study numbers, shaped like the real thing. */
static double sigmoid_curve(double epoch, double rate, double top)
{
    return top - (top - 0.1) * exp(-rate * epoch);
}

static al_status add_arm(al_chart *c, const char *name, double rate, double top, double spread,
                         al_error *err)
{
    double xs[41], mean[41], lo[41], hi[41];
    for (int i = 0; i < 41; i++) {
        xs[i] = i * 0.25;
        mean[i] = sigmoid_curve(xs[i], rate, top);
        double half = spread * (0.4 + exp(-0.5 * xs[i]));
        lo[i] = mean[i] - half;
        hi[i] = mean[i] + half;
    }
    al_status st = al_chart_add_series(c, name, 41, xs, mean, NULL, err);
    return st ? st : al_chart_add_band(c, 41, xs, lo, hi, NULL, err);
}

/* A report like `actlab compare` writes, with 4 figures (5 charts). */
static al_report *demo_report(size_t *n_svg, al_error *err)
{
    al_report *r = NULL;
    al_chart *acc = NULL, *dead = NULL, *grad = NULL, *f = NULL, *df = NULL, *hist = NULL;
    if (al_report_create("ReLU, ELU and GELU on Fashion-MNIST", &r, err) != AL_OK)
        return NULL;
    al_status st = AL_OK;
#define TRY(call) if (st == AL_OK) st = (call)
    TRY(al_report_note(r, "MLP `Linear(784, 256), act, Linear(256, 256), act, Linear(256, 10)` \xc2\xb7 "
                       "SGD, momentum 0.9, lr 0.05 \xc2\xb7 3 arms \xc3\x97 5 seeds \xc2\xb7 "
                       "synthetic numbers from the test suite", err));
    TRY(al_report_section(r, "learning", "Learning speed", err));
    TRY(al_report_question(r, "Does **ELU** reach 85 % test accuracy in fewer epochs than **ReLU**?", err));
    TRY(al_report_verdict(r, AL_VERDICT_SUPPORTED, "ELU reached 85 % after **3.1 epochs** (95 % CI 2.8\xe2\x80\x93"
                          "3.4), ReLU after 4.2 (3.9\xe2\x80\x93" "4.6); Welch p = 0.004, Holm-adjusted 0.012.", err));
    TRY(al_chart_create("Test accuracy", "epoch", "accuracy", 900, 400, &acc, err));
    TRY(add_arm(acc, "ReLU", 0.55, 0.872, 0.022, err));
    TRY(add_arm(acc, "ELU", 0.75, 0.884, 0.018, err));
    TRY(add_arm(acc, "GELU", 0.68, 0.880, 0.025, err));
    TRY(al_chart_add_hline(acc, 0.85, err));
    TRY(al_report_chart(r, acc, "Mean test accuracy over 5 seeds; bands are 95 % t intervals. "
                        "The dashed line is the 85 % target.", err));
    const char *header[5] = {"arm", "final accuracy", "95 % CI", "epochs to 85 %", "runs"};
    const char *cells[15] = {"ReLU", "0.872", "0.866\xe2\x80\x93" "0.878", "4.2", "5 of 5",
                             "ELU",  "0.884", "0.879\xe2\x80\x93" "0.889", "3.1", "5 of 5",
                             "tanh", "0.843", "0.821\xe2\x80\x93" "0.865", "not reached", "1 diverged"};
    unsigned cols[5] = {0, AL_REPORT_COL_NUMERIC, AL_REPORT_COL_NUMERIC, AL_REPORT_COL_NUMERIC,
                        AL_REPORT_COL_NUMERIC};
    unsigned flags[15] = {0};
    flags[6] = flags[8] = AL_REPORT_CELL_BEST;
    flags[13] = AL_REPORT_CELL_MUTED;
    flags[14] = AL_REPORT_CELL_BAD;
    TRY(al_report_table(r, "Per arm, over 5 seeds. **Bold**: best; grey: target not reached.", 5, header,
                        3, cells, cols, flags, err));

    TRY(al_report_section(r, "dead-units", "Dead units and gradient flow", err));
    TRY(al_report_question(r, "Do more ReLU units die at lr 0.05 than ELU units?", err));
    TRY(al_report_verdict(r, AL_VERDICT_INCONCLUSIVE, "ReLU ends with 9 % dead units in layer 1 against 0 % "
                          "for ELU, but 5 seeds leave the interval wide (p = 0.08).", err));
    TRY(al_chart_create("Dead-unit fraction (ReLU)", "epoch", "fraction dead", 480, 340, &dead, err));
    TRY(al_chart_create("Gradient norm by layer", "epoch", "\xe2\x80\x96g\xe2\x80\x96", 480, 340, &grad, err));
    double xs[41], y1[41], y2[41], g1[41], g2[41], g3[41];
    for (int i = 0; i < 41; i++) {
        xs[i] = i * 0.25;
        y1[i] = 0.09 * (1 - exp(-0.8 * xs[i]));
        y2[i] = 0.04 * (1 - exp(-0.5 * xs[i]));
        g1[i] = 0.4 + 1.2 * exp(-0.6 * xs[i]);
        g2[i] = 0.3 + 0.8 * exp(-0.5 * xs[i]);
        g3[i] = 0.2 + 0.5 * exp(-0.4 * xs[i]);
    }
    TRY(al_chart_add_series(dead, "layer 1", 41, xs, y1, NULL, err));
    TRY(al_chart_add_series(dead, "layer 2", 41, xs, y2, NULL, err));
    TRY(al_chart_add_series(grad, "layer 0", 41, xs, g1, NULL, err));
    TRY(al_chart_add_series(grad, "layer 2", 41, xs, g2, NULL, err));
    TRY(al_chart_add_series(grad, "layer 4", 41, xs, g3, NULL, err));
    const al_chart *pair[2] = {dead, grad};
    TRY(al_report_chart_grid(r, pair, 2, 2, "Left: units that output 0 for every example of a probe batch. "
                             "Right: L2 norm of each Linear layer's weight gradient.", err));

    TRY(al_report_section(r, "shapes", "The activations and their derivatives", err));
    TRY(al_report_question(r, "Where do the derivatives of the three arms fall during training?", err));
    TRY(al_report_verdict(r, AL_VERDICT_INFO, "Most of ReLU's derivatives are exactly 0 or 1; ELU's and "
                          "GELU's spread between them.", err));
    TRY(al_chart_create("Activation", "x", "f(x)", 480, 340, &f, err));
    TRY(al_chart_create("Derivative", "x", "f\xe2\x80\xb2(x)", 480, 340, &df, err));
    double ax[161], fr[161], fe[161], fg[161], dr[161], de[161], dg[161];
    for (int i = 0; i < 161; i++) {
        double x = -4 + i * 0.05, cdf = 0.5 * (1 + erf(x / sqrt(2.0)));
        ax[i] = x;
        fr[i] = x > 0 ? x : 0;
        fe[i] = x > 0 ? x : exp(x) - 1;
        fg[i] = x * cdf;
        dr[i] = x > 0 ? 1 : 0;
        de[i] = x > 0 ? 1 : exp(x);
        dg[i] = cdf + x * exp(-0.5 * x * x) / sqrt(2 * 3.14159265358979323846);
    }
    TRY(al_chart_add_series(f, "ReLU", 161, ax, fr, NULL, err));
    TRY(al_chart_add_series(f, "ELU", 161, ax, fe, NULL, err));
    TRY(al_chart_add_series(f, "GELU", 161, ax, fg, NULL, err));
    TRY(al_chart_add_series(df, "ReLU", 161, ax, dr, NULL, err));
    TRY(al_chart_add_series(df, "ELU", 161, ax, de, NULL, err));
    TRY(al_chart_add_series(df, "GELU", 161, ax, dg, NULL, err));
    const al_chart *shapes[2] = {f, df};
    TRY(al_report_chart_grid(r, shapes, 2, 2, "The three activations on [\xe2\x88\x92" "4, 4].", err));
    /* a histogram as a filled step outline: a band from 0 to the bin count */
    TRY(al_chart_create("Derivatives seen in layer 1 (ELU), last epoch", "f\xe2\x80\xb2(x)", "share of units",
                        900, 320, &hist, err));
    double hx[40], hlo[40], hhi[40];
    for (int b = 0; b < 20; b++) {
        double centre = (b + 0.5) / 20, share = 0.02 + 0.12 * exp(-30 * (centre - 0.8) * (centre - 0.8));
        hx[2 * b] = b / 20.0;
        hx[2 * b + 1] = (b + 1) / 20.0;
        hlo[2 * b] = hlo[2 * b + 1] = 0;
        hhi[2 * b] = hhi[2 * b + 1] = share;
    }
    TRY(al_chart_add_series(hist, "", 40, hx, hhi, al_chart_palette(2), err));
    TRY(al_chart_add_band(hist, 40, hx, hlo, hhi, NULL, err));
    TRY(al_report_chart(r, hist, "Histogram of f\xe2\x80\xb2 over a probe batch, 20 bins.", err));
    TRY(al_report_subsection(r, "Protocol", err));
    TRY(al_report_preformatted(r, "actlab compare --model 'Linear(784, 256), {act}, Linear(256, 256), {act}, "
                               "Linear(256, 10)' \\\n    --act 'ReLU()' 'ELU()' 'GELU()' --seeds 5 --epochs 10 "
                               "--report out/\n", err));
    TRY(al_report_note(r, "Each arm ran with the same 5 seeds, data order and initial weights.", err));
#undef TRY
    al_chart_free(acc);
    al_chart_free(dead);
    al_chart_free(grad);
    al_chart_free(f);
    al_chart_free(df);
    al_chart_free(hist);
    if (st != AL_OK) {
        al_report_free(r);
        return NULL;
    }
    *n_svg = 4;
    return r;
}

static char *read_text(const char *path)
{
    char *data = NULL;
    size_t size = 0;
    al_error err = {0};
    if (al_file_read_all(path, 64u << 20, &data, &size, &err) != AL_OK)
        return NULL;
    return data;
}

/* One headless run; its stdout and stderr are kept in tmp/name.out, .err. */
static int browse(const char *exe, const char *tmp, const char *name, const char *action, const char *url,
                  char **out, char **log)
{
    char profile[600], out_path[600], err_path[600];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile-%s", tmp, name);
    snprintf(out_path, sizeof out_path, "%s/%s.out", tmp, name);
    snprintf(err_path, sizeof err_path, "%s/%s.err", tmp, name);
    char *argv[] = {(char *)exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                    "--force-device-scale-factor=1", profile, "--window-size=1280,2000",
                    "--virtual-time-budget=3000", "--enable-logging=stderr", "--v=0", (char *)action,
                    (char *)url, NULL};
    int timed_out = 0;
    int rc = run_logged(argv, out_path, err_path, BROWSER_TIMEOUT_S, &timed_out);
    CHECK(!timed_out, "%s: Chromium did not finish within %d s (killed); its log: %s", name,
          BROWSER_TIMEOUT_S, err_path);
    CHECK(rc == 0, "%s: Chromium exited with status %d; its log: %s", name, rc, err_path);
    *out = read_text(out_path);
    *log = read_text(err_path);
    CHECK(*out && *log, "%s: cannot read Chromium's output %s", name, out_path);
    return rc == 0 && *out && *log;
}

static void test_browser(const char *tmp)
{
    CHECK_SECTION("headless Chromium");
    char exe[1024];
    const char *chosen = getenv("ACTLAB_CHROMIUM");
    if (!find_browser(exe, sizeof exe)) {
        if (chosen && chosen[0]) {
            CHECK(0, "ACTLAB_CHROMIUM='%s' is not an executable file; unset it to use chromium from PATH",
                  chosen);
            return;
        }
        const char *skip = getenv("ACTLAB_SKIP_BROWSER");
        if (skip && strcmp(skip, "1") == 0) {
            fprintf(stderr, "SKIP: no chromium on PATH (ACTLAB_SKIP_BROWSER=1)\n");
            return;
        }
        CHECK(0, "no 'chromium' or 'chromium-browser' on PATH: the report is tested in a real browser. "
              "Run scripts/deps.sh test (make test does), or set ACTLAB_SKIP_BROWSER=1 to skip this part");
        return;
    }
    al_error err = {0};
    size_t n_svg = 0;
    al_report *r = demo_report(&n_svg, &err);
    CHECK(r, "demo report: %s", err.message);
    if (!r)
        return;
    /* kept where a person can open it: the test's folder (the build folder under ctest) */
    const char *dir = getenv("ACTLAB_REPORT_TEST_DIR");
    if (!dir || !dir[0])
        dir = "test_report_out";
    char url[1200], png[1100], shot_arg[1200];
    CHECK(al_report_write(r, dir, &err) == AL_OK, "%s", err.message);
    al_report_free(r);
    if (al_report_url(dir, url, sizeof url, &err) != AL_OK) {
        CHECK(0, "%s", err.message);
        return;
    }
    snprintf(png, sizeof png, "%s/page.png", dir);
    remove(png);
    snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", png);

    char *out = NULL, *log = NULL;
    al_buf found = {0};
    if (browse(exe, tmp, "screenshot", shot_arg, url, &out, &log)) {
        CHECK(console_lines(log, &found) == 0, "console messages while rendering the report:\n%s",
              found.data ? found.data : "");
        char *data = NULL;
        size_t size = 0;
        CHECK(al_file_read_all(png, 64u << 20, &data, &size, &err) == AL_OK, "screenshot: %s", err.message);
        CHECK(size > 40000, "screenshot %s is only %zu bytes", png, size);
        image img;
        char why[160] = "";
        if (data && png_decode((const unsigned char *)data, size, &img, why, sizeof why)) {
            CHECK(img.width == 1280 && img.height == 2000, "screenshot is %ux%u, want 1280x2000", img.width,
                  img.height);
            /* the first chart's curves in the Okabe-Ito blue, vermillion and green */
            size_t blue = pixels_near(&img, 0x0072B2, 12), orange = pixels_near(&img, 0xD55E00, 12),
                   green = pixels_near(&img, 0x009E73, 12), white = pixels_near(&img, 0xFFFFFF, 0);
            CHECK(blue > 1000 && orange > 1000 && green > 1000,
                  "chart lines missing from the screenshot: %zu blue, %zu orange, %zu green pixels", blue,
                  orange, green);
            CHECK(white < (size_t)img.width * img.height * 97 / 100, "the screenshot is nearly blank");
            fprintf(stderr, "screenshot %s: %ux%u, %zu bytes, %zu/%zu/%zu chart-coloured pixels\n", png,
                    img.width, img.height, size, blue, orange, green);
            free(img.pixels);
        } else {
            CHECK(0, "screenshot %s: %s", png, why);
        }
        free(data);
    }
    free(out);
    free(log);
    al_buf_free(&found);

    if (browse(exe, tmp, "dom", "--dump-dom", url, &out, &log)) {
        found = (al_buf){0};
        CHECK(console_lines(log, &found) == 0, "console messages while loading the report:\n%s",
              found.data ? found.data : "");
        al_buf_free(&found);
        CHECK(count_of(out, "<svg") == n_svg, "the DOM has %zu <svg> elements, want %zu", count_of(out, "<svg"),
              n_svg);
        CHECK(count_of(out, "<section") == 3 && count_of(out, "<table") == 1 &&
              count_of(out, "class=\"verdict ") == 3 && strstr(out, "id=\"al-contents\""),
              "the DOM lacks sections, the table, verdicts or the contents");
    }
    free(out);
    free(log);

    /* the control: a page that logs an error must be caught by console_lines */
    char control[600], control_url[1200];
    snprintf(control, sizeof control, "%s/control.html", tmp);
    const char *page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>c</title></head>"
                       "<body><p>control</p><script>console.error('actlab-negative-control')</script>"
                       "</body></html>\n";
    CHECK(al_file_write_atomic(control, page, strlen(page), &err) == AL_OK, "%s", err.message);
    snprintf(control_url, sizeof control_url, "file://%s", control);
    if (browse(exe, tmp, "control", "--dump-dom", control_url, &out, &log)) {
        found = (al_buf){0};
        size_t n = console_lines(log, &found);
        CHECK(n == 1 && found.data && strstr(found.data, "actlab-negative-control"),
              "the console detector missed a deliberate console.error (found %zu lines: %s); has "
              "Chromium's log format changed? See %s/control.err", n, found.data ? found.data : "", tmp);
        al_buf_free(&found);
    }
    free(out);
    free(log);
    fprintf(stderr, "report: %s\n", url);
}

int main(void)
{
    char tmp[] = "/tmp/actlab-report-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_escaping();
    test_markup_and_text();
    test_structure();
    test_bad_arguments();
    test_write(tmp);
    test_browser(tmp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_summary("test_report");
}
