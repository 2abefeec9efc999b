/* JSON Lines (one JSON object per line), the format of the training and
 * probe logs. A record is built as a Jansson object through the calls below,
 * serialised by Jansson (so every string is escaped the one right way), and
 * appended to its log as one whole line or not at all. */
#ifndef ACTLAB_JSONL_H
#define ACTLAB_JSONL_H

#include <stdio.h>

#include "actlab/status.h"
#include "actlab/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Jansson's value type (include <jansson.h> to work on one directly). */
struct json_t;

/* A record under construction. Like al_buf, a failed allocation is sticky:
 * the calls after it do nothing, and the record is refused when written. */
typedef struct al_json {
    struct json_t *root; /* the record's top level: an object, or an array */
    int failed;
    int digits;          /* significant digits of reals; 0: 17 */
    int compact;         /* 1: no space after ',' and ':' */
} al_json;

/* Starts a record: an empty object. Call it on a new al_json or one that has
 * been written or discarded. */
void al_json_begin(al_json *rec);
/* Starts a record whose top level is an array: add to it with in NULL and
 * key NULL. */
void al_json_begin_array(al_json *rec);
/* Makes the record compact, for records sent often rather than logged (the
 * playground's frames): reals with `digits` significant digits (1..17, 0.1
 * with 6 writes as 0.1) and no space after ',' and ':'. */
void al_json_set_compact(al_json *rec, int digits);

/* Each al_json_add_* puts a value into the object `in` under key (keys keep
 * the order they were added in), or, with key NULL, appends it to the array
 * `in`. in NULL means the record's top level. */

/* A new object or array (in turn to fill); NULL after a failure. */
struct json_t *al_json_add_object(al_json *rec, struct json_t *in, const char *key);
struct json_t *al_json_add_array(al_json *rec, struct json_t *in, const char *key);
/* An integer. */
void al_json_add_int(al_json *rec, struct json_t *in, const char *key, long long value);
/* A number, written with 17 significant digits so that it reads back as the
 * same double (fewer after al_json_set_compact); null when it is not finite
 * (JSON has no NaN or infinity). */
void al_json_add_real(al_json *rec, struct json_t *in, const char *key, double value);
/* true or false. */
void al_json_add_bool(al_json *rec, struct json_t *in, const char *key, int value);
/* A string (NULL: ""); bytes that are not UTF-8 become U+FFFD. */
void al_json_add_string(al_json *rec, struct json_t *in, const char *key, const char *text);

/* Appends the record to out as one line: '{"key": value, ...}' and '\n'
 * ('{"key":value,...}' when compact).
 * Frees the record either way; fails (AL_ERR_NOMEM) after a failed call. */
al_status al_json_end(al_json *rec, al_buf *out, al_error *err);
/* Frees the record unwritten; a zeroed one is fine. */
void al_json_discard(al_json *rec);

/* al_json_end, then the line appended to the log in one write
 * (al_file_append_whole): a failed write leaves no half record behind, and
 * the error names path. Frees the record either way. */
al_status al_jsonl_append(FILE *log, const char *path, al_json *rec, al_error *err);

#ifdef __cplusplus
}
#endif
#endif
