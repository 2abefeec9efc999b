/* Private to the library: text for messages about files. The parsers (npy,
 * safetensors, csv, the spec language) and the writers of text formats (HTML,
 * JSON Lines) share one UTF-8 decoder, one way to copy hostile file text into
 * a message, and one way to say where in a file something is wrong. */
#ifndef ACTLAB_BASE_TEXT_H
#define ACTLAB_BASE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "actlab/status.h"

/* The length (1-4) of the valid UTF-8 sequence at s, of which left bytes may
 * be read, and its code point in *cp; 0 for a malformed, truncated, overlong
 * or surrogate sequence. */
size_t al_utf8_char(const unsigned char *s, size_t left, uint32_t *cp);

/* Copies file text (len bytes of s) into buf for a message, so that a hostile
 * file cannot garble a terminal: control characters (C0, DEL and C1) and
 * bytes that are not UTF-8 become '?'. Text longer than max bytes is cut at a
 * character boundary and ends in "...". buf always ends in a NUL; with
 * size >= max + 4 nothing but the cut shortens the text. */
void al_echo_text(const char *s, size_t len, size_t max, char *buf, size_t size);

/* Records "file:line:column: message" in err (NULL is fine) and returns
 * status; with file NULL the place reads "line L, column C: ", and column 0
 * leaves the column out. The printf-style arguments may point into err's own
 * message. A message that does not fit is cut and ends in "...". */
al_status al_error_at(al_error *err, al_status status, const char *file, size_t line, size_t column,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Appends the source line (line_len bytes, without its newline) to err's
 * message with a caret under byte `column` (1-based): "\n  <line>\n  ^".
 * The line is shown as it is (a tab in it gives a tab before the caret, so
 * the caret stays under its character); a long line is shown as a window
 * around the column. The message is shortened, never the caret, to fit. */
void al_error_show_line(al_error *err, const char *line, size_t line_len, size_t column);

#endif
