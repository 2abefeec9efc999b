/* Private to src/data: the text layer of the CSV reader. Lines (without
 * their "\n" or "\r\n"), cells (separated by one character, or by runs of
 * blanks; double quotes with "" inside), numbers in the C locale, and the
 * separator guessed from a sample of lines. */
#ifndef ACTLAB_DATA_CSV_TEXT_H
#define ACTLAB_DATA_CSV_TEXT_H

#include <stddef.h>

/* ' ' as a separator means runs of spaces and tabs (awk's fields). */
#define CSV_BLANKS ' '

typedef struct csv_line {
    const char *text;
    size_t len;        /* without the newline and a trailing '\r' */
    size_t number;     /* 1-based line number in the file */
} csv_line;

typedef struct csv_cell {
    const char *text;  /* inside the quotes for a quoted cell, "" left doubled */
    size_t len;
} csv_cell;

/* Advances *pos over the next line of data[0..size) (counting *number);
 * returns 0 at the end. */
int csv_next_line(const char *data, size_t size, size_t *pos, size_t *number, csv_line *out);
/* 1 when the line holds only spaces and tabs. */
int csv_is_blank(const csv_line *l);

/* Walks the cells of one line. */
typedef struct csv_cells {
    const csv_line *line;
    char sep;
    size_t pos;
    int done;
} csv_cells;

void csv_cells_start(csv_cells *it, const csv_line *l, char sep);
/* The next cell (spaces around it trimmed, quotes removed): 1, or 0 when
 * the line is used up, or -1 for an unterminated quote. "a,b" has two cells
 * and "a," two, the second empty (with blanks as the separator, blanks at
 * either end make no cell). */
int csv_next_cell(csv_cells *it, csv_cell *out);
/* The number of cells in the line; 0 (and *bad_quote 1) for an
 * unterminated quote. */
size_t csv_count_cells(const csv_line *l, char sep, int *bad_quote);

/* Copies a cell's text into buf (NUL-terminated, "" made "), cut to fit. */
void csv_cell_copy(const csv_cell *c, char *buf, size_t size);
/* The cell for a message ("" made "), made safe to print and cut with
 * "..." when long (al_echo_text); buf holds at least 48 bytes. */
void csv_cell_echo(const csv_cell *c, char *buf, size_t size);
/* Parses a whole cell as a double (C locale, strtod's syntax); 0 when it
 * is not a number. */
int csv_parse_number(const csv_cell *c, double *value);
/* 1 when the cell is a whole number written with digits only ("150"). */
int csv_is_count(const csv_cell *c, size_t *value);

/* The separator of lines[0..n): the first of , TAB ; | that splits every
 * line after the first (all of them when n is 1) into the same number (> 1)
 * of cells; else blanks when they do; else ','. */
char csv_guess_separator(const csv_line *lines, size_t n);
/* The separator a one-field line seems to use ("is the separator ';'?"), or 0. */
char csv_separator_in(const csv_line *l, char sep);
/* "','", "tab", "';'", "'|'", "blanks" */
const char *csv_separator_name(char sep);

#endif
