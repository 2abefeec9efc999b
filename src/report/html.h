/* Private to src/report: text made safe for HTML and SVG (both are markup
 * read by the same rules here), and the inline markup of the report's prose,
 * shared by the page (report.c) and the charts (svg_render.c). */
#ifndef ACTLAB_REPORT_HTML_H
#define ACTLAB_REPORT_HTML_H

#include <stddef.h>

#include "actlab/util.h"

/* len bytes of UTF-8 text as character data or an attribute value: & < > " '
 * become references, malformed UTF-8 becomes U+FFFD, and control characters
 * (not allowed in HTML, nor in XML 1.0) other than tab and newline are
 * dropped. */
void al_html_escape(al_buf *out, const char *text, size_t len);
/* al_html_escape of a NUL-terminated string. */
void al_html_text(al_buf *out, const char *text);
/* Escaped text with **bold** and `code`; an unclosed or empty marker stays
 * literal. Code is verbatim (no bold inside); bold may hold code. */
void al_html_inline(al_buf *out, const char *text, size_t len);
/* Text with inline markup as one <p> (with class cls unless NULL) per
 * paragraph; paragraphs are separated by a line holding only white space. */
void al_html_paragraphs(al_buf *out, const char *cls, const char *text);

#endif
