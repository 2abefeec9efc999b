/* The HTML report of `actlab compare` and `actlab study --report DIR`: one
 * self-contained DIR/index.html (inline CSS and SVG, no scripts, no network)
 * built block by block: sections with their question and verdict, prose,
 * charts from svg.h, tables and preformatted text. See docs/report.md. */
#ifndef ACTLAB_REPORT_H
#define ACTLAB_REPORT_H

#include <stddef.h>

#include "actlab/status.h"
#include "actlab/svg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A report being built: opaque; blocks are appended in reading order. */
typedef struct al_report al_report;

/* The answer a verdict box gives; each is colour-coded and labelled in words
 * ("Supported", "Not supported", "Inconclusive", "Result"). */
typedef enum al_verdict {
    AL_VERDICT_SUPPORTED,
    AL_VERDICT_NOT_SUPPORTED,
    AL_VERDICT_INCONCLUSIVE,
    AL_VERDICT_INFO
} al_verdict;

/* Table column flags (al_report_table's col_flags). */
#define AL_REPORT_COL_NUMERIC 1u   /* right-aligned, digits of equal width */

/* Table cell flags (al_report_table's cell_flags), combinable. */
#define AL_REPORT_CELL_BEST 1u     /* bold: e.g. the best value of a column */
#define AL_REPORT_CELL_MUTED 2u    /* grey: censored, not reached, not run */
#define AL_REPORT_CELL_BAD 4u      /* red: failed, diverged */

/* Text passed to the calls below is UTF-8 and always escaped. Where a call
 * says "inline markup", **bold** and `code` are recognised (an unclosed
 * marker stays literal) and a blank line starts a new paragraph. */

/* A new, empty report titled title (required, inline markup not applied).
 * Free it with al_report_free. */
al_status al_report_create(const char *title, al_report **out, al_error *err);

/* Frees the report; NULL is a no-op. */
void al_report_free(al_report *r);

/* Starts a numbered section, listed in the contents with its question and
 * first verdict. id: 1-64 of [A-Za-z0-9_-], starting with a letter, unique,
 * not starting with "al-" (reserved); it is the anchor (index.html#id).
 * Blocks added before the first section go under the title. */
al_status al_report_section(al_report *r, const char *id, const char *heading, al_error *err);

/* A subheading inside the current section (not listed in the contents). */
al_status al_report_subsection(al_report *r, const char *heading, al_error *err);

/* The question the current section answers, shown under its heading and in
 * the contents (inline markup). */
al_status al_report_question(al_report *r, const char *text, al_error *err);

/* A paragraph of prose (inline markup). */
al_status al_report_paragraph(al_report *r, const char *text, al_error *err);

/* A highlighted answer box of the given kind (inline markup); the first one
 * of a section is also shown beside it in the contents. */
al_status al_report_verdict(al_report *r, al_verdict kind, const char *text, al_error *err);

/* A numbered figure: the chart rendered inline now (the chart may be freed
 * afterwards), with an optional caption (NULL or "", inline markup). */
al_status al_report_chart(al_report *r, const al_chart *chart, const char *caption, al_error *err);

/* A numbered figure of count charts in rows of `columns` (0: one row), drawn
 * by al_chart_render_grid as one picture, with an optional caption. */
al_status al_report_chart_grid(al_report *r, const al_chart *const *charts, size_t count,
                               size_t columns, const char *caption, al_error *err);

/* A numbered table of n_rows x n_cols cells, row-major (a NULL cell is empty;
 * cells and header are plain text, no markup). header: n_cols names or NULL;
 * col_flags: n_cols AL_REPORT_COL_* or NULL; cell_flags: n_rows * n_cols
 * AL_REPORT_CELL_* or NULL; caption optional (inline markup). */
al_status al_report_table(al_report *r, const char *caption, size_t n_cols,
                          const char *const *header, size_t n_rows, const char *const *cells,
                          const unsigned *col_flags, const unsigned *cell_flags, al_error *err);

/* Text shown verbatim in a monospace box: command lines, a protocol. */
al_status al_report_preformatted(al_report *r, const char *text, al_error *err);

/* A small grey note: provenance, caveats (inline markup). */
al_status al_report_note(al_report *r, const char *text, al_error *err);

/* Appends the whole page (an HTML5 document) to out. */
al_status al_report_render(const al_report *r, al_buf *out, al_error *err);

/* Writes dir/index.html atomically, creating dir (one level) if missing. */
al_status al_report_write(const al_report *r, const char *dir, al_error *err);

/* The file:// URL of dir/index.html (absolute, percent-encoded) into out, for
 * the user to open; dir must exist. */
al_status al_report_url(const char *dir, char *out, size_t size, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
