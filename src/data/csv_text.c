/* The text layer of the CSV reader: lines, cells, numbers and the
 * separator, with nothing allocated (cells point into the file's text). */
#include "data/csv_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

/* a number longer than this is not a number anyone wrote on purpose */
#define CELL_MAX 128
/* the longest piece of a cell echoed in a message */
#define ECHO_MAX 40

int csv_next_line(const char *data, size_t size, size_t *pos, size_t *number, csv_line *out)
{
    if (*pos >= size)
        return 0;
    const char *start = data + *pos;
    const char *nl = memchr(start, '\n', size - *pos);
    size_t len = nl ? (size_t)(nl - start) : size - *pos;
    *pos += len + (nl ? 1 : 0);
    (*number)++;
    if (len > 0 && start[len - 1] == '\r')
        len--;
    out->text = start;
    out->len = len;
    out->number = *number;
    return 1;
}

static int is_blank_char(char c) { return c == ' ' || c == '\t'; }

int csv_is_blank(const csv_line *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (!is_blank_char(l->text[i]))
            return 0;
    return 1;
}

void csv_cells_start(csv_cells *it, const csv_line *l, char sep)
{
    it->line = l;
    it->sep = sep;
    it->pos = 0;
    it->done = 0;
}

/* 1 when c ends a cell: the separator, or a blank when blanks separate. */
static int ends_cell(const csv_cells *it, char c)
{
    return it->sep == CSV_BLANKS ? is_blank_char(c) : c == it->sep;
}

int csv_next_cell(csv_cells *it, csv_cell *out)
{
    const csv_line *l = it->line;
    if (it->done)
        return 0;
    size_t i = it->pos;
    /* a tab separator is not a blank to skip */
    while (i < l->len && is_blank_char(l->text[i]) && !(it->sep == '\t' && l->text[i] == '\t'))
        i++;
    if (it->sep == CSV_BLANKS && i >= l->len) {
        it->done = 1;
        return 0;
    }
    if (i < l->len && l->text[i] == '"') {
        size_t start = ++i;
        for (;;) {
            if (i >= l->len)
                return -1;
            if (l->text[i] == '"') {
                if (i + 1 < l->len && l->text[i + 1] == '"') {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        out->text = l->text + start;
        out->len = i - start;
        i++;
        while (i < l->len && !ends_cell(it, l->text[i]))
            i++;  /* text after the closing quote is ignored, as spreadsheets do */
    } else {
        size_t start = i;
        while (i < l->len && !ends_cell(it, l->text[i]))
            i++;
        size_t end = i;
        while (end > start && is_blank_char(l->text[end - 1]))
            end--;
        out->text = l->text + start;
        out->len = end - start;
    }
    if (it->sep == CSV_BLANKS) {
        while (i < l->len && is_blank_char(l->text[i]))
            i++;
        it->pos = i;
        it->done = i >= l->len;
    } else if (i < l->len) {
        it->pos = i + 1;
    } else {
        it->done = 1;
    }
    return 1;
}

size_t csv_count_cells(const csv_line *l, char sep, int *bad_quote)
{
    csv_cells it;
    csv_cell c;
    size_t n = 0;
    int r;
    *bad_quote = 0;
    csv_cells_start(&it, l, sep);
    while ((r = csv_next_cell(&it, &c)) != 0) {
        if (r < 0) {
            *bad_quote = 1;
            return 0;
        }
        n++;
    }
    return n;
}

void csv_cell_copy(const csv_cell *c, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < c->len && o + 1 < size; i++) {
        buf[o++] = c->text[i];
        if (c->text[i] == '"' && i + 1 < c->len && c->text[i + 1] == '"')
            i++;
    }
    buf[o] = '\0';
}

void csv_cell_echo(const csv_cell *c, char *buf, size_t size)
{
    char text[ECHO_MAX + 2]; /* one byte over ECHO_MAX tells a cut cell */
    csv_cell_copy(c, text, sizeof text);
    al_echo_text(text, strlen(text), ECHO_MAX, buf, size);
}

int csv_parse_number(const csv_cell *c, double *value)
{
    char buf[CELL_MAX];
    if (c->len == 0 || c->len >= sizeof buf)
        return 0;
    csv_cell_copy(c, buf, sizeof buf);
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return 0;
    *value = v;
    return 1;
}

int csv_is_count(const csv_cell *c, size_t *value)
{
    if (c->len == 0 || c->len > 15)
        return 0;
    size_t v = 0;
    for (size_t i = 0; i < c->len; i++) {
        if (c->text[i] < '0' || c->text[i] > '9')
            return 0;
        v = v * 10 + (size_t)(c->text[i] - '0');
    }
    *value = v;
    return 1;
}

static const char CANDIDATES[] = {',', '\t', ';', '|', CSV_BLANKS};

/* 1 when sep splits lines[from..n) all into the same number (> 1) of cells. */
static int splits_evenly(const csv_line *lines, size_t from, size_t n, char sep)
{
    size_t want = 0;
    for (size_t i = from; i < n; i++) {
        int bad = 0;
        size_t k = csv_count_cells(&lines[i], sep, &bad);
        if (bad || k < 2 || (want && k != want))
            return 0;
        want = k;
    }
    return want > 1;
}

char csv_guess_separator(const csv_line *lines, size_t n)
{
    /* the first line may be a header or scikit-learn's count line, whose
     * cells do not line up with the data's */
    size_t from = n > 1 ? 1 : 0;
    for (size_t k = 0; k < sizeof CANDIDATES; k++)
        if (splits_evenly(lines, from, n, CANDIDATES[k]))
            return CANDIDATES[k];
    return ',';
}

char csv_separator_in(const csv_line *l, char sep)
{
    for (size_t k = 0; k < sizeof CANDIDATES; k++) {
        int bad = 0;
        if (CANDIDATES[k] != sep && csv_count_cells(l, CANDIDATES[k], &bad) > 1)
            return CANDIDATES[k];
    }
    return 0;
}

const char *csv_separator_name(char sep)
{
    switch (sep) {
    case ',': return "','";
    case '\t': return "tab";
    case ';': return "';'";
    case '|': return "'|'";
    case CSV_BLANKS: return "blanks";
    default: return "?";
    }
}
