/* CSV datasets as real files come: plain or gzip, any of the usual
 * separators, a header or none, scikit-learn's count line, the label column
 * anywhere. The file is read whole (csv_text.c splits it); a first pass
 * finds the layout (separator, count line, header, rows, columns) so the
 * dataset is allocated once at its exact size, the second parses. Every
 * refusal names the file and line ("PATH:LINE:" as editors read it) and the
 * column by index and header name. */
#include "actlab/data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"
#include "base/text.h"
#include "data/csv_text.h"
#include "data/source.h"

/* the largest CSV read: the whole text is held in memory while parsing */
#define CSV_MAX_BYTES ((size_t)1 << 34)
/* lines looked at to guess the separator */
#define SAMPLE_LINES 32
/* bytes kept of a column or class name */
#define NAME_BYTES 128

typedef char name_t[NAME_BYTES];

/* A file read whole, and its layout. */
typedef struct csv_table {
    const char *path;
    char *text;
    size_t size;
    char sep;
    int count_line;          /* the first line was "N,F,names..." */
    name_t *class_names;     /* from the count line; n_class_names of them */
    int n_class_names;
    name_t *names;           /* the header's column names (NULL: no header) */
    size_t data_pos, data_line; /* where the data lines start, the line number before */
    size_t rows, ncols;
} csv_table;

al_csv_options al_csv_options_default(void)
{
    al_csv_options o;
    memset(&o, 0, sizeof o);
    o.has_header = -1;
    o.count_line = -1;
    return o;
}

static void table_free(csv_table *t)
{
    free(t->text);
    free(t->class_names);
    free(t->names);
    memset(t, 0, sizeof *t);
}

/* 1 when some cell of the line is neither empty nor a number: a header. */
static int has_text_cell(const csv_line *l, char sep)
{
    csv_cells it;
    csv_cell c;
    double v;
    csv_cells_start(&it, l, sep);
    while (csv_next_cell(&it, &c) > 0)
        if (c.len > 0 && !csv_parse_number(&c, &v))
            return 1;
    return 0;
}

/* Counts the non-blank lines from pos on. */
static size_t count_rows(const csv_table *t, size_t pos, size_t number)
{
    csv_line l;
    size_t rows = 0;
    while (csv_next_line(t->text, t->size, &pos, &number, &l))
        rows += !csv_is_blank(&l);
    return rows;
}

/* The next non-blank line from *pos (advancing it); 0 when there is none. */
static int next_content_line(const csv_table *t, size_t *pos, size_t *number, csv_line *out)
{
    while (csv_next_line(t->text, t->size, pos, number, out))
        if (!csv_is_blank(out))
            return 1;
    return 0;
}

/* Copies the cells of a line into names[0..n) (allocated). */
static al_status line_names(const csv_table *t, const csv_line *l, size_t skip, name_t **out, int *n,
                            al_error *err)
{
    int bad = 0;
    size_t cells = csv_count_cells(l, t->sep, &bad);
    *out = calloc(cells ? cells : 1, sizeof **out);
    if (!*out)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory reading the names in '%s'", t->path);
    csv_cells it;
    csv_cell c;
    int k = 0;
    csv_cells_start(&it, l, t->sep);
    for (size_t i = 0; csv_next_cell(&it, &c) > 0; i++)
        if (i >= skip)
            csv_cell_copy(&c, (*out)[k++], NAME_BYTES);
    *n = k;
    return AL_OK;
}

/* scikit-learn's first line: "N,F" then class names or empty cells. It is
 * taken as one (in detect mode) only when N and F match the file and the
 * line could not be a data row (it has names, empty cells or another
 * number of cells). */
static int is_count_line(const csv_table *t, const csv_line *l, size_t rows, size_t ncols, int no_label,
                         int forced, size_t *n_out, size_t *f_out)
{
    csv_cells it;
    csv_cell c;
    size_t n = 0, f = 0, cells = 0;
    int odd = 0;
    csv_cells_start(&it, l, t->sep);
    for (; csv_next_cell(&it, &c) > 0; cells++) {
        double x;
        if (cells == 0 && !csv_is_count(&c, &n))
            return 0;
        if (cells == 1 && !csv_is_count(&c, &f))
            return 0;
        if (cells >= 2 && (c.len == 0 || !csv_parse_number(&c, &x)))
            odd = 1;
    }
    *n_out = n;
    *f_out = f;
    if (cells < 2)
        return 0;
    if (forced)
        return 1;
    /* without a label column the count line still counts the file's label as not a feature */
    int f_fits = f == ncols - 1 || (no_label && f == ncols);
    return n == rows && f_fits && (odd || cells != ncols);
}

/* Finds separator, count line, header, rows and columns. */
static al_status find_layout(csv_table *t, const al_csv_options *o, al_csv_info *info, al_error *err)
{
    size_t pos = 0, number = 0;
    csv_line l;
    /* spreadsheets put a UTF-8 byte order mark in front */
    if (t->size >= 3 && memcmp(t->text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (size_t k = 0; k < o->skip_rows && csv_next_line(t->text, t->size, &pos, &number, &l); k++)
        info->skipped_lines++;
    csv_line sample[SAMPLE_LINES];
    size_t n_sample = 0, scan = pos, scan_number = number;
    while (n_sample < SAMPLE_LINES && next_content_line(t, &scan, &scan_number, &sample[n_sample]))
        n_sample++;
    if (n_sample == 0)
        return al_error_set(err, AL_ERR_FORMAT, "'%s' is empty: no header and no rows%s", t->path,
                            o->skip_rows ? " (after the skipped lines)" : "");
    t->sep = o->separator ? o->separator : csv_guess_separator(sample, n_sample);
    info->separator = t->sep;
    info->separator_detected = !o->separator;
    for (size_t i = 0; i < n_sample; i++) {
        int bad = 0;
        csv_count_cells(&sample[i], t->sep, &bad);
        if (bad)
            return al_error_at(err, AL_ERR_PARSE, t->path, sample[i].number, 0, "unterminated quote");
    }
    /* the lines after a count line: an optional header, then data */
    size_t after = 0; /* index in sample of the line after the count line */
    size_t rows_after_first = count_rows(t, (size_t)(sample[0].text - t->text), sample[0].number - 1) - 1;
    if (o->count_line != 0 && n_sample > 1) {
        int header_next = o->has_header == 1 || (o->has_header < 0 && has_text_cell(&sample[1], t->sep));
        size_t data_idx = header_next ? 2 : 1;
        int bad = 0;
        size_t ncols = header_next ? csv_count_cells(&sample[1], t->sep, &bad)
                                   : csv_count_cells(&sample[data_idx < n_sample ? data_idx : 1], t->sep, &bad);
        size_t n = 0, f = 0;
        if (is_count_line(t, &sample[0], rows_after_first - (size_t)header_next, ncols, o->no_label,
                          o->count_line == 1, &n, &f)) {
            size_t rows = rows_after_first - (size_t)header_next, features = ncols - 1;
            if (o->no_label && f == ncols)
                features = ncols;
            if (n != rows || f != features)
                return al_error_at(err, AL_ERR_FORMAT, t->path, sample[0].number, 0, "the count line says %zu rows "
                                   "of %zu features, but the file has %zu rows of %zu", n, f, rows, features);
            t->count_line = 1;
            after = 1;
            al_status st = line_names(t, &sample[0], 2, &t->class_names, &t->n_class_names, err);
            if (st != AL_OK)
                return st;
            /* boston_house_prices.csv pads its count line with empty cells */
            while (t->n_class_names > 0 && t->class_names[t->n_class_names - 1][0] == '\0')
                t->n_class_names--;
        } else if (o->count_line == 1) {
            return al_error_at(err, AL_ERR_FORMAT, t->path, sample[0].number, 0, "not a count line "
                               "(\"ROWS,FEATURES[,class names...]\")");
        }
    } else if (o->count_line == 1) {
        return al_error_set(err, AL_ERR_FORMAT, "'%s': a count line needs rows after it", t->path);
    }
    info->count_line = t->count_line;
    const csv_line *head = after < n_sample ? &sample[after] : NULL;
    int header = head && (o->has_header == 1 || (o->has_header < 0 && has_text_cell(head, t->sep)));
    info->has_header = header;
    if (header) {
        int n = 0;
        al_status st = line_names(t, head, 0, &t->names, &n, err);
        if (st != AL_OK)
            return st;
    }
    size_t first_data = after + (size_t)header;
    t->rows = rows_after_first + 1 - first_data;
    if (first_data < n_sample) {
        t->data_pos = (size_t)(sample[first_data].text - t->text);
        t->data_line = sample[first_data].number - 1;
    } else {
        t->data_pos = t->size;
    }
    int bad = 0;
    t->ncols = header ? csv_count_cells(head, t->sep, &bad)
                      : csv_count_cells(&sample[first_data < n_sample ? first_data : 0], t->sep, &bad);
    info->rows = t->rows;
    info->columns = t->ncols;
    if (t->rows == 0)
        return al_error_set(err, AL_ERR_FORMAT, "'%s' has %s but no data rows", t->path,
                            header ? "a header" : "a count line");
    return AL_OK;
}

static al_status table_open(csv_table *t, const char *path, const al_csv_options *o, al_csv_info *info,
                            al_error *err)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    al_status st = al_source_read_text(path, CSV_MAX_BYTES, &t->text, &t->size, NULL, err);
    if (st == AL_OK)
        st = find_layout(t, o, info, err);
    if (st != AL_OK)
        table_free(t);
    return st;
}

/* "#2 'petal length'" or "#2": a column as messages name it. */
static void column_text(const csv_table *t, size_t k, char *buf, size_t size)
{
    if (t->names && k < t->ncols && t->names[k][0])
        snprintf(buf, size, "#%zu '%s'", k, t->names[k]);
    else
        snprintf(buf, size, "#%zu", k);
}

/* The index of the header column named name, or -1. */
static long find_name(const csv_table *t, const char *name)
{
    for (size_t k = 0; t->names && k < t->ncols; k++)
        if (strcmp(t->names[k], name) == 0)
            return (long)k;
    return -1;
}

/* Reads "K" or "-K" as a whole number; 0 when it is not one. */
static int read_index(const char *s, long *out)
{
    const char *digits = s[0] == '-' ? s + 1 : s;
    size_t n = strspn(digits, "0123456789");
    if (n == 0 || n > 9 || digits[n] != '\0')
        return 0;
    *out = strtol(s, NULL, 10);
    return 1;
}

static al_status no_such_name(const csv_table *t, const char *want, al_error *err)
{
    if (!t->names)
        return al_error_set(err, AL_ERR_INVALID, "label column '%s': '%s' has no header, so give the column "
                            "by index (#0 is the first, -1 the last)", want, t->path);
    const char **list = malloc(t->ncols * sizeof *list);
    char suggestion[256] = "";
    if (list) {
        for (size_t k = 0; k < t->ncols; k++)
            list[k] = t->names[k];
        al_closest_names(want, list, t->ncols, suggestion, sizeof suggestion);
        free(list);
    }
    return al_error_set(err, AL_ERR_INVALID, "no column named '%s' in the header of '%s'%s%s", want, t->path,
                        suggestion[0] ? "; did you mean " : "", suggestion);
}

/* The label column of al_csv_options.label_column's syntax. */
static al_status resolve_label(const csv_table *t, const char *want, size_t *col, int *by_default, al_error *err)
{
    long n = (long)t->ncols, k;
    *by_default = !want || !want[0];
    if (*by_default) {
        k = find_name(t, "label");
        *col = k >= 0 ? (size_t)k : t->ncols - 1;
        return AL_OK;
    }
    size_t len = strlen(want);
    if (len >= 2 && want[0] == '"' && want[len - 1] == '"') {
        char name[NAME_BYTES];
        snprintf(name, sizeof name, "%.*s", (int)(len - 2), want + 1);
        k = find_name(t, name);
        if (k < 0)
            return no_such_name(t, name, err);
        *col = (size_t)k;
        return AL_OK;
    }
    int hash = want[0] == '#';
    if (read_index(want + hash, &k)) {
        long index = k < 0 ? n + k : k;
        long named = hash || k < 0 ? -1 : find_name(t, want);
        if ((index < 0 || index >= n) && named >= 0) {
            *col = (size_t)named; /* no such index: the column of that name */
            return AL_OK;
        }
        if (index < 0 || index >= n)
            return al_error_set(err, AL_ERR_INVALID, "label column %s is out of range: '%s' has %ld columns "
                                "(#0 to #%ld, or -1 to -%ld from the end)", want, t->path, n, n - 1, n);
        if (named >= 0 && named != index)
            return al_error_set(err, AL_ERR_INVALID, "label column %s is ambiguous in '%s': column #%ld is named "
                                "'%s'; write #%s for the index or '\"%s\"' for the name", want, t->path,
                                named, want, want, want);
        *col = (size_t)index;
        return AL_OK;
    }
    k = find_name(t, want);
    if (k < 0)
        return no_such_name(t, want, err);
    *col = (size_t)k;
    return AL_OK;
}

/* Why a row has the wrong number of cells, with a guess at the separator
 * when it is one cell where the header has several. */
static al_status ragged(const csv_table *t, const csv_line *l, size_t n, al_error *err)
{
    char hint[96] = "";
    char other = n == 1 ? csv_separator_in(l, t->sep) : 0;
    if (other)
        snprintf(hint, sizeof hint, ": is the separator %s? (--sep %s)", csv_separator_name(other),
                 other == '\t' ? "tab" : other == CSV_BLANKS ? "space" : (char[2]){other, 0});
    return al_error_at(err, AL_ERR_PARSE, t->path, l->number, 0, "%zu field%s, but the %s has %zu (separator %s)%s",
                       n, n == 1 ? "" : "s", t->names ? "header" : "first row", t->ncols, csv_separator_name(t->sep),
                       hint);
}

/* Parses the data rows: column label_col (or none when label_col is
 * ncols) into labels[row], the others into x. A non-zero n_classes makes
 * every label a class index below it. */
static al_status parse_rows(const csv_table *t, size_t label_col, int n_classes, float *x, float *labels,
                            al_error *err)
{
    size_t pos = t->data_pos, number = t->data_line, row = 0;
    size_t features = label_col < t->ncols ? t->ncols - 1 : t->ncols;
    csv_line l;
    char echo[48], col[NAME_BYTES + 16];
    while (row < t->rows && next_content_line(t, &pos, &number, &l)) {
        int bad = 0;
        size_t n = csv_count_cells(&l, t->sep, &bad);
        if (bad)
            return al_error_at(err, AL_ERR_PARSE, t->path, l.number, 0, "unterminated quote");
        if (n != t->ncols)
            return ragged(t, &l, n, err);
        csv_cells it;
        csv_cell c;
        size_t f = 0;
        csv_cells_start(&it, &l, t->sep);
        for (size_t k = 0; csv_next_cell(&it, &c) > 0; k++) {
            double v = 0;
            int ok = csv_parse_number(&c, &v);
            int is_label = k == label_col;
            if (!ok || !isfinite((float)v) ||
                (is_label && n_classes > 0 && !(v >= 0 && v < n_classes && v == floor(v)))) {
                csv_cell_echo(&c, echo, sizeof echo);
                column_text(t, k, col, sizeof col);
                const char *what = is_label ? "label" : c.len ? "cell" : "empty cell";
                if (!ok)
                    return al_error_at(err, AL_ERR_PARSE, t->path, l.number, 0, "column %s: %s '%s' is not a number",
                                       col, what, echo);
                if (!isfinite((float)v))
                    return al_error_at(err, AL_ERR_NUMERIC, t->path, l.number, 0, "column %s: %s '%s' is not a "
                                       "finite float32 number", col, what, echo);
                return al_error_at(err, AL_ERR_PARSE, t->path, l.number, 0, "column %s: label '%s' is not a class "
                                   "index (a whole number from 0 to %d)", col, echo, n_classes - 1);
            }
            if (is_label)
                labels[row] = (float)v;
            else
                x[row * features + f++] = (float)v;
        }
        row++;
    }
    return AL_OK;
}

/* Sets labels (when every value is a class index) and targets from the
 * label column's values, and the class names of a count line. */
static al_status set_labels(al_dataset *ds, const csv_table *t, const float *values, int n_classes,
                            al_csv_info *info, al_error *err)
{
    size_t n = al_dataset_count(ds);
    int all_classes = 1;
    for (size_t i = 0; i < n && all_classes; i++)
        all_classes = values[i] >= 0 && values[i] == floorf(values[i]) && values[i] < AL_DATASET_MAX_CLASSES;
    al_status st = al_dataset_set_targets(ds, values, 1, err);
    if (st == AL_OK && all_classes) {
        int32_t *y = al_dataset_y_mut(ds);
        for (size_t i = 0; i < n; i++)
            y[i] = (int32_t)values[i];
        st = al_dataset_check_labels(ds, n_classes, err);
        if (st == AL_OK && t->n_class_names > 0) {
            const char **names = malloc((size_t)t->n_class_names * sizeof *names);
            if (!names)
                return al_error_set(err, AL_ERR_NOMEM, "out of memory for class names");
            for (int k = 0; k < t->n_class_names; k++)
                names[k] = t->class_names[k];
            st = al_dataset_set_class_names(ds, names, t->n_class_names, err);
            free(names);
        }
    }
    info->labels = all_classes && st == AL_OK;
    info->targets = !all_classes;
    return st;
}

/* The dataset's name: the file name without its folders. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

al_status al_dataset_load_csv(const char *path, const al_csv_options *options, al_dataset **out, al_error *err)
{
    *out = NULL;
    al_csv_options o = options ? *options : al_csv_options_default();
    al_csv_info local, *info = o.info ? o.info : &local;
    memset(info, 0, sizeof *info);
    info->label_index = -1;
    if (o.n_classes < 0 || o.n_classes > AL_DATASET_MAX_CLASSES)
        return al_error_set(err, AL_ERR_INVALID, "reading '%s': n_classes %d is out of range", path, o.n_classes);
    csv_table t;
    al_status st = table_open(&t, path, &o, info, err);
    if (st != AL_OK)
        return st;
    size_t label_col = t.ncols;
    int by_default = 0;
    if (!o.no_label && t.ncols < 2)
        st = al_error_set(err, AL_ERR_FORMAT, "'%s' has one column (separator %s): it needs a label column and at "
                          "least one feature column%s", path, csv_separator_name(t.sep),
                          info->separator_detected ? "; give the separator with --sep if it is another" : "");
    if (st == AL_OK && !o.no_label)
        st = resolve_label(&t, o.label_column, &label_col, &by_default, err);
    if (st == AL_OK && label_col < t.ncols) {
        info->label_index = (long)label_col;
        info->label_default = by_default;
        if (t.names)
            snprintf(info->label_name, sizeof info->label_name, "%s", t.names[label_col]);
    }
    int n_classes = o.n_classes ? o.n_classes : t.n_class_names;
    al_dataset *ds = NULL;
    float *values = NULL;
    if (st == AL_OK) {
        size_t shape[1] = {label_col < t.ncols ? t.ncols - 1 : t.ncols};
        st = al_dataset_create(base_name(path), t.rows, 1, shape, &ds, err);
    }
    if (st == AL_OK && label_col < t.ncols && !(values = malloc(t.rows * sizeof *values)))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory reading '%s'", path);
    if (st == AL_OK)
        st = parse_rows(&t, label_col, n_classes, al_dataset_x_mut(ds), values, err);
    if (st == AL_OK && values)
        st = set_labels(ds, &t, values, n_classes, info, err);
    else if (st == AL_OK)
        al_dataset_set_no_labels(ds);
    free(values);
    table_free(&t);
    if (st != AL_OK) {
        al_dataset_free(ds);
        return st;
    }
    *out = ds;
    return AL_OK;
}

al_status al_dataset_load_csv_pair(const char *x_path, const char *y_path, const al_csv_options *options,
                                   al_dataset **out, al_error *err)
{
    *out = NULL;
    al_csv_options o = options ? *options : al_csv_options_default();
    o.label_column = NULL;
    o.no_label = 1;
    al_csv_info *info = o.info;
    o.info = NULL;
    al_dataset *x = NULL, *y = NULL;
    al_status st = al_dataset_load_csv(x_path, &o, &x, err);
    if (st == AL_OK)
        st = al_dataset_load_csv(y_path, &o, &y, err);
    if (st == AL_OK && al_dataset_count(x) != al_dataset_count(y))
        st = al_error_set(err, AL_ERR_SHAPE, "'%s' has %zu rows but '%s' has %zu: the counts must match", x_path,
                          al_dataset_count(x), y_path, al_dataset_count(y));
    if (st == AL_OK) {
        /* y's columns are the targets; one column of class indices gives labels too */
        const float *v = al_dataset_x(y);
        size_t n = al_dataset_count(y), w = al_dataset_features(y);
        int all_classes = w == 1;
        for (size_t i = 0; i < n && all_classes; i++)
            all_classes = v[i] >= 0 && v[i] == floorf(v[i]) && v[i] < AL_DATASET_MAX_CLASSES;
        st = al_dataset_set_targets(x, v, w, err);
        if (st == AL_OK && all_classes) {
            for (size_t i = 0; i < n; i++)
                al_dataset_y_mut(x)[i] = (int32_t)v[i];
            st = al_dataset_check_labels(x, o.n_classes, err);
        }
        if (info) {
            /* a pair has no one layout to describe: rows stays 0 */
            memset(info, 0, sizeof *info);
            info->columns = al_dataset_features(x) + w;
            info->label_index = -1;
            info->labels = all_classes;
            info->targets = !all_classes;
        }
    }
    al_dataset_free(y);
    if (st != AL_OK) {
        al_dataset_free(x);
        return st;
    }
    *out = x;
    return AL_OK;
}
