/* CSV datasets: one example per line, comma-separated numbers, one column
 * holding the class label. Two passes over the file held in memory: the
 * first counts rows and columns so the dataset is allocated once at its exact
 * size, the second parses. Every refusal names the file, line and column in
 * the "file:line:column:" form editors jump to. */
#include "actlab/data.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "base/text.h"

/* the largest CSV read: the whole file is held in memory while parsing */
#define CSV_MAX_BYTES ((size_t)1 << 34)
/* a number longer than this is not a number anyone wrote on purpose */
#define CELL_MAX 128
/* the longest piece of a cell echoed in a message */
#define ECHO_MAX 40

typedef struct cell {
    const char *text;  /* inside the quotes for a quoted cell, "" left doubled */
    size_t len;
    size_t column;     /* 1-based byte column of the cell's start in its line */
} cell;

typedef struct line_view {
    const char *text;
    size_t len;        /* without the newline and a trailing '\r' */
    size_t number;     /* 1-based */
} line_view;

/* Advances *pos over the next line of data[0..size); returns 0 at the end. */
static int next_line(const char *data, size_t size, size_t *pos, size_t *number, line_view *out)
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

static int is_blank(const line_view *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->text[i] != ' ' && l->text[i] != '\t')
            return 0;
    return 1;
}

/* Reads the cell starting at *pos in the line (spaces around it trimmed,
 * quotes removed) and moves *pos past its comma; returns 0 when the line is
 * used up, -1 for an unterminated quote. A line "a,b" has two cells; "a,"
 * has two, the second empty. */
static int next_cell(const line_view *l, size_t *pos, int *done, cell *out)
{
    if (*done)
        return 0;
    size_t i = *pos;
    while (i < l->len && (l->text[i] == ' ' || l->text[i] == '\t'))
        i++;
    out->column = i + 1;
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
        while (i < l->len && l->text[i] != ',')
            i++;  /* text after the closing quote is ignored, as spreadsheets do */
    } else {
        size_t start = i;
        while (i < l->len && l->text[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (l->text[end - 1] == ' ' || l->text[end - 1] == '\t'))
            end--;
        out->text = l->text + start;
        out->len = end - start;
    }
    if (i < l->len)
        *pos = i + 1;
    else
        *done = 1;
    return 1;
}

/* Copies a cell's text into buf (NUL-terminated, "" made "), cut to fit. */
static void cell_copy(const cell *c, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < c->len && o + 1 < size; i++) {
        buf[o++] = c->text[i];
        if (c->text[i] == '"' && i + 1 < c->len && c->text[i + 1] == '"')
            i++;
    }
    buf[o] = '\0';
}

/* The cell for a message ("" made "), made safe to print and cut to
 * ECHO_MAX bytes with "..." (al_echo_text). */
static void cell_echo(const cell *c, char *buf, size_t size)
{
    char text[ECHO_MAX + 2]; /* one byte over ECHO_MAX tells a cut cell */
    cell_copy(c, text, sizeof text);
    al_echo_text(text, strlen(text), ECHO_MAX, buf, size);
}

/* The number of cells in a line, or 0 with *quote_column set for an
 * unterminated quote. */
static size_t count_cells(const line_view *l, size_t *quote_column)
{
    size_t pos = 0, n = 0;
    int done = 0, r;
    cell c;
    while ((r = next_cell(l, &pos, &done, &c)) != 0) {
        if (r < 0) {
            *quote_column = c.column;
            return 0;
        }
        n++;
    }
    return n;
}

/* Parses a whole cell as a finite double (C locale); 0 when it is not one. */
static int parse_number(const cell *c, double *value)
{
    char buf[CELL_MAX];
    if (c->len == 0 || c->len >= sizeof buf)
        return 0;
    cell_copy(c, buf, sizeof buf);
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return 0;
    *value = v;
    return 1;
}

al_csv_options al_csv_options_default(void)
{
    al_csv_options o = {"label", 1, 0};
    return o;
}

/* Finds the label column among the header's cells, by name or by index. */
static al_status resolve_label(const char *path, const line_view *header, size_t ncols,
                               const char *want, size_t *label_col, al_error *err)
{
    if (header) {
        size_t pos = 0;
        int done = 0;
        cell c;
        char name[256];
        for (size_t k = 0; next_cell(header, &pos, &done, &c) > 0; k++) {
            cell_copy(&c, name, sizeof name);
            if (strcmp(name, want) == 0) {
                *label_col = k;
                return AL_OK;
            }
        }
    }
    size_t digits = strspn(want, "0123456789");
    if (digits > 0 && want[digits] == '\0' && digits < 10) {
        size_t index = (size_t)strtoul(want, NULL, 10);
        if (index >= ncols)
            return al_error_set(err, AL_ERR_INVALID,
                                "label column %zu is out of range: '%s' has %zu columns "
                                "(0 to %zu)", index, path, ncols, ncols - 1);
        *label_col = index;
        return AL_OK;
    }
    if (!header)
        return al_error_set(err, AL_ERR_INVALID,
                            "label column '%s': '%s' has no header, so the label column must "
                            "be a 0-based index", want, path);
    /* collect the header's names for a "did you mean" */
    char *storage = malloc(ncols * 256);
    const char **names = malloc(ncols * sizeof *names);
    char suggestion[256] = "";
    if (storage && names) {
        size_t pos = 0;
        int done = 0;
        cell c;
        for (size_t k = 0; k < ncols && next_cell(header, &pos, &done, &c) > 0; k++) {
            cell_copy(&c, storage + k * 256, 256);
            names[k] = storage + k * 256;
        }
        al_closest_names(want, names, ncols, suggestion, sizeof suggestion);
    }
    free(storage);
    free(names);
    return al_error_set(err, AL_ERR_INVALID,
                        "no column named '%s' in the header of '%s'%s%s", want, path,
                        suggestion[0] ? "; did you mean " : "", suggestion);
}

/* Why a cell was refused (its label or feature value), at file:line:column. */
static al_status refuse_cell(const char *path, const line_view *l, const cell *c, int is_label, int ok,
                             double v, int n_classes, al_error *err)
{
    char echo[ECHO_MAX + 4];
    cell_echo(c, echo, sizeof echo);
    if (is_label && (!ok || !isfinite(v) || v < 0 || v != floor(v)))
        return al_error_at(err, AL_ERR_PARSE, path, l->number, c->column,
                           "label '%s' is not a non-negative integer", echo);
    if (is_label && v >= AL_DATASET_MAX_CLASSES)
        return al_error_at(err, AL_ERR_PARSE, path, l->number, c->column,
                           "label %s: more than the %d classes actlab allows (is this column really a "
                           "class index?)", echo, AL_DATASET_MAX_CLASSES);
    if (is_label)
        return al_error_at(err, AL_ERR_PARSE, path, l->number, c->column,
                           "label %s is not below n_classes %d", echo, n_classes);
    if (!ok)
        return al_error_at(err, AL_ERR_PARSE, path, l->number, c->column, "%s '%s' is not a number",
                           c->len ? "cell" : "empty cell", echo);
    return al_error_at(err, AL_ERR_NUMERIC, path, l->number, c->column,
                       "'%s' is not a finite float32 number", echo);
}

/* Parses the data lines into ds; rows and columns were counted already. */
static al_status parse_rows(const char *path, const char *data, size_t size, size_t start,
                            size_t first_line, size_t ncols, size_t label_col,
                            const line_view *header, int n_classes, al_dataset *ds,
                            al_error *err)
{
    float *x = al_dataset_x_mut(ds);
    int32_t *y = al_dataset_y_mut(ds);
    size_t features = ncols - 1, pos = start, number = first_line, row = 0;
    line_view l;
    while (next_line(data, size, &pos, &number, &l)) {
        if (is_blank(&l))
            continue;
        size_t quote_col = 0, n = count_cells(&l, &quote_col);
        if (n == 0)
            return al_error_at(err, AL_ERR_PARSE, path, l.number, quote_col, "unterminated quote");
        if (n != ncols)
            return al_error_at(err, AL_ERR_PARSE, path, l.number, 0,
                               "ragged row: %zu fields, but the %s has %zu", n,
                               header ? "header" : "first row", ncols);
        size_t cpos = 0, f = 0;
        int done = 0;
        cell c;
        for (size_t k = 0; next_cell(&l, &cpos, &done, &c) > 0; k++) {
            double v = 0;
            int ok = parse_number(&c, &v);
            if (k == label_col) {
                if (!ok || !(v >= 0 && v == floor(v) && v < AL_DATASET_MAX_CLASSES) ||
                    (n_classes > 0 && v >= n_classes))
                    return refuse_cell(path, &l, &c, 1, ok, v, n_classes, err);
                y[row] = (int32_t)v;
            } else {
                if (!ok || !isfinite((float)v))
                    return refuse_cell(path, &l, &c, 0, ok, v, n_classes, err);
                x[row * features + f++] = (float)v;
            }
        }
        row++;
    }
    return AL_OK;
}

al_status al_dataset_load_csv(const char *path, const al_csv_options *options, al_dataset **out,
                              al_error *err)
{
    *out = NULL;
    al_csv_options opt = options ? *options : al_csv_options_default();
    if (!opt.label_column || !opt.label_column[0])
        return al_error_set(err, AL_ERR_INVALID, "reading '%s': no label column given", path);
    if (opt.n_classes < 0 || opt.n_classes > AL_DATASET_MAX_CLASSES)
        return al_error_set(err, AL_ERR_INVALID, "reading '%s': n_classes %d is out of range",
                            path, opt.n_classes);
    char *data;
    size_t size;
    al_status st = al_file_read_all(path, CSV_MAX_BYTES, &data, &size, err);
    if (st != AL_OK)
        return st;
    size_t pos = 0, number = 0;
    /* spreadsheets put a UTF-8 byte order mark in front */
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    line_view first, l, *header = NULL;
    int have_first = 0;
    while (next_line(data, size, &pos, &number, &first))
        if (!is_blank(&first)) {
            have_first = 1;
            break;
        }
    if (!have_first) {
        free(data);
        return al_error_set(err, AL_ERR_FORMAT, "'%s' is empty: no header and no rows", path);
    }
    size_t quote_col = 0, ncols = count_cells(&first, &quote_col);
    if (ncols == 0) {
        free(data);
        return al_error_at(err, AL_ERR_PARSE, path, first.number, quote_col, "unterminated quote");
    }
    /* the data starts after the header, or at the first line itself */
    size_t data_pos = pos, data_line = number;
    if (opt.has_header) {
        header = &first;
    } else {
        data_pos = (size_t)(first.text - data);
        data_line = first.number - 1;
    }
    size_t rows = 0, scan = data_pos, scan_line = data_line;
    while (next_line(data, size, &scan, &scan_line, &l))
        if (!is_blank(&l))
            rows++;
    if (rows == 0) {
        free(data);
        return al_error_set(err, AL_ERR_FORMAT, "'%s' has a header but no data rows", path);
    }
    if (ncols < 2) {
        free(data);
        return al_error_set(err, AL_ERR_FORMAT,
                            "'%s' has one column: it needs a label column and at least one "
                            "feature column (is the separator a comma?)", path);
    }
    size_t label_col = 0;
    st = resolve_label(path, header, ncols, opt.label_column, &label_col, err);
    al_dataset *ds = NULL;
    if (st == AL_OK) {
        const char *slash = strrchr(path, '/');
        size_t shape[1] = {ncols - 1};
        st = al_dataset_create(slash ? slash + 1 : path, rows, 1, shape, &ds, err);
    }
    if (st == AL_OK)
        st = parse_rows(path, data, size, data_pos, data_line, ncols, label_col, header,
                        opt.n_classes, ds, err);
    if (st == AL_OK)
        st = al_dataset_check_labels(ds, opt.n_classes, err);
    free(data);
    if (st != AL_OK) {
        al_dataset_free(ds);
        return st;
    }
    *out = ds;
    return AL_OK;
}
