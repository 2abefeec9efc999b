/* HTML text: escaping (for the page and the SVG charts alike), and the
 * inline markup of the report's prose. */
#include "report/html.h"

#include <stdint.h>
#include <string.h>

#include "base/text.h"

void al_html_escape(al_buf *out, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = al_utf8_char(s + i, len - i, &cp);
        if (n == 0) {
            al_buf_append(out, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        switch (cp) {
        case '&': al_buf_append(out, "&amp;", 5); break;
        case '<': al_buf_append(out, "&lt;", 4); break;
        case '>': al_buf_append(out, "&gt;", 4); break;
        case '"': al_buf_append(out, "&quot;", 6); break;
        case '\'': al_buf_append(out, "&#39;", 5); break;
        default:
            if ((cp >= 0x20 && cp < 0x7F) || cp >= 0xA0 || cp == '\t' || cp == '\n')
                al_buf_append(out, text + i, n);
            break;
        }
        i += n;
    }
}

void al_html_text(al_buf *out, const char *text)
{
    al_html_escape(out, text, strlen(text));
}

/* The first occurrence of the len_n bytes of needle in s[0..len). */
static const char *find_in(const char *s, size_t len, const char *needle, size_t len_n)
{
    for (size_t i = 0; i + len_n <= len; i++)
        if (memcmp(s + i, needle, len_n) == 0)
            return s + i;
    return NULL;
}

void al_html_inline(al_buf *out, const char *s, size_t len)
{
    size_t start = 0, i = 0;
    while (i < len) {
        const char *close = NULL;
        size_t open_len = 0;
        if (s[i] == '`') {
            open_len = 1;
            close = find_in(s + i + 1, len - i - 1, "`", 1);
        } else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
            open_len = 2;
            close = find_in(s + i + 2, len - i - 2, "**", 2);
        }
        if (!close || close == s + i + open_len) {
            i += open_len ? open_len : 1;
            continue;
        }
        al_html_escape(out, s + start, i - start);
        size_t inner = (size_t)(close - (s + i + open_len));
        if (open_len == 1) {
            al_buf_printf(out, "<code>");
            al_html_escape(out, s + i + 1, inner);
            al_buf_printf(out, "</code>");
        } else {
            al_buf_printf(out, "<strong>");
            al_html_inline(out, s + i + 2, inner);
            al_buf_printf(out, "</strong>");
        }
        i += 2 * open_len + inner;
        start = i;
    }
    al_html_escape(out, s + start, len - start);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end of the paragraph starting at s: a line holding only white space,
 * or the end of the text. *next gets where the following one may start. */
static size_t paragraph_end(const char *s, size_t len, size_t *next)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\n')
            continue;
        size_t j = i + 1;
        while (j < len && s[j] != '\n' && is_space(s[j]))
            j++;
        if (j < len && s[j] == '\n') {
            *next = j + 1;
            return i;
        }
    }
    *next = len;
    return len;
}

void al_html_paragraphs(al_buf *out, const char *cls, const char *text)
{
    size_t len = strlen(text), pos = 0;
    while (pos < len) {
        size_t next, end = pos + paragraph_end(text + pos, len - pos, &next);
        next += pos;
        while (pos < end && is_space(text[pos]))
            pos++;
        while (end > pos && is_space(text[end - 1]))
            end--;
        if (end > pos) {
            if (cls)
                al_buf_printf(out, "<p class=\"%s\">", cls);
            else
                al_buf_printf(out, "<p>");
            al_html_inline(out, text + pos, end - pos);
            al_buf_printf(out, "</p>\n");
        }
        pos = next;
    }
}
