/* Private to the report writer: the page's stylesheet. */
#ifndef ACTLAB_STUDY_REPORT_STYLE_H
#define ACTLAB_STUDY_REPORT_STYLE_H

#include "actlab/util.h"

/* Appends the report's CSS (inline in the page: no external resources). */
void al_report_put_css(al_buf *out);

#endif
