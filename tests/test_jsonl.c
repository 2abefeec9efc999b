/* The JSON Lines writer (src/io/jsonl.c): strings escaped so that Jansson's
 * parser (an independent reader here) gives back the same text, numbers that
 * read back as the same double, key order kept, failures refused whole, and
 * a record appended whole or not at all when the file cannot grow. */
#include "actlab/jsonl.h"

#include <float.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

/* The one line a record gives, without its newline, in buf. */
static int line_of(al_json *rec, char *buf, size_t size)
{
    al_buf out = {0};
    al_error err = {0};
    al_status st = al_json_end(rec, &out, &err);
    int ok = st == AL_OK && out.data && out.len > 0 && out.data[out.len - 1] == '\n' &&
             memchr(out.data, '\n', out.len) == out.data + out.len - 1 && out.len < size;
    CHECK(ok, "one line: status %d (%s), %zu bytes", (int)st, err.message, out.len);
    snprintf(buf, size, "%.*s", ok ? (int)out.len - 1 : 0, ok ? out.data : "");
    al_buf_free(&out);
    return ok;
}

static void test_strings(void)
{
    CHECK_SECTION("strings: escaping and UTF-8");
    const char *hostile = "q\"uote\\back\nline\ttab\x01\x1f del\x7f caf\xc3\xa9 \xe2\x82\xac /";
    al_json rec;
    al_json_begin(&rec);
    al_json_add_string(&rec, NULL, "s", hostile);
    al_json_add_string(&rec, NULL, "bad", "a\xff" "b\xc0\xaf" "c\xe2\x82");
    al_json_add_string(&rec, NULL, "none", NULL);
    char line[512];
    if (!line_of(&rec, line, sizeof line))
        return;
    /* no raw control byte may reach the file: each is an escape */
    int raw_control = 0;
    for (const char *p = line; *p; p++)
        raw_control |= (unsigned char)*p < 0x20;
    CHECK(!raw_control, "no raw control bytes: %s", line);
    CHECK(strstr(line, "\\\"uote\\\\back\\nline\\ttab\\u0001\\u001F") != NULL, "escapes: %s", line);
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    CHECK(j != NULL, "parses: %s (%s)", line, j ? "" : je.text);
    if (!j)
        return;
    CHECK(strcmp(json_string_value(json_object_get(j, "s")), hostile) == 0, "the string reads back");
    /* each byte that is not UTF-8 became U+FFFD, the rest is kept */
    CHECK(strcmp(json_string_value(json_object_get(j, "bad")),
                 "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd") == 0,
          "bad UTF-8 replaced: %s", line);
    CHECK(strcmp(json_string_value(json_object_get(j, "none")), "") == 0, "NULL is \"\"");
    json_decref(j);
}

static void test_numbers(void)
{
    CHECK_SECTION("numbers read back exactly");
    const double reals[] = {0.1, 1.0 / 3, 2.0, -0.0, 1e-300, -2.5e300, DBL_MAX, DBL_MIN, 4.9406564584124654e-324,
                            (double)0.1f, (double)3.14159265f, 6.02214076e23, 0.95};
    const size_t n = sizeof reals / sizeof reals[0];
    al_json rec;
    al_json_begin(&rec);
    json_t *arr = al_json_add_array(&rec, NULL, "reals");
    for (size_t i = 0; i < n; i++)
        al_json_add_real(&rec, arr, NULL, reals[i]);
    al_json_add_real(&rec, NULL, "nan", NAN);
    al_json_add_real(&rec, NULL, "inf", -INFINITY);
    al_json_add_int(&rec, NULL, "big", LLONG_MAX);
    al_json_add_int(&rec, NULL, "neg", -42);
    al_json_add_bool(&rec, NULL, "yes", 1);
    al_json_add_bool(&rec, NULL, "no", 0);
    char line[2048];
    if (!line_of(&rec, line, sizeof line))
        return;
    json_t *j = json_loads(line, 0, NULL);
    CHECK(j != NULL, "parses: %s", line);
    if (!j)
        return;
    json_t *back = json_object_get(j, "reals");
    CHECK(json_array_size(back) == n, "%zu reals", json_array_size(back));
    for (size_t i = 0; i < n && i < json_array_size(back); i++) {
        double v = json_number_value(json_array_get(back, i));
        CHECK(v == reals[i] && signbit(v) == signbit(reals[i]), "real %zu: %.17g read back as %.17g", i,
              reals[i], v);
    }
    /* and by the C library's own reader, from the text */
    const char *p = strstr(line, "[");
    for (size_t i = 0; p && i < n; i++) {
        char *end;
        double v = strtod(p + 1, &end);
        CHECK(v == reals[i], "strtod of real %zu: %.17g, want %.17g", i, v, reals[i]);
        p = strchr(end, ',');
    }
    CHECK(json_is_null(json_object_get(j, "nan")) && json_is_null(json_object_get(j, "inf")),
          "non-finite numbers are null: %s", line);
    CHECK(json_integer_value(json_object_get(j, "big")) == LLONG_MAX &&
              json_integer_value(json_object_get(j, "neg")) == -42, "integers");
    CHECK(json_is_true(json_object_get(j, "yes")) && json_is_false(json_object_get(j, "no")), "booleans");
    json_decref(j);
}

static void test_layout(void)
{
    CHECK_SECTION("key order, nesting, separators");
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "z", 1);
    al_json_add_int(&rec, NULL, "a", 2);
    json_t *o = al_json_add_object(&rec, NULL, "m");
    al_json_add_string(&rec, o, "k", "v");
    json_t *list = al_json_add_array(&rec, o, "list");
    al_json_add_int(&rec, list, NULL, 3);
    json_t *inner = al_json_add_object(&rec, list, NULL);
    al_json_add_bool(&rec, inner, "t", 1);
    al_json_add_real(&rec, NULL, "x", 0.5);
    char line[256];
    if (line_of(&rec, line, sizeof line))
        CHECK(strcmp(line, "{\"z\": 1, \"a\": 2, \"m\": {\"k\": \"v\", \"list\": [3, {\"t\": true}]}, \"x\": 0.5}") == 0,
              "[%s]", line);
    /* a record whose top level is an array */
    al_json_begin_array(&rec);
    al_json_add_int(&rec, NULL, NULL, 1);
    json_t *obj = al_json_add_object(&rec, NULL, NULL);
    al_json_add_string(&rec, obj, "k", "v");
    if (line_of(&rec, line, sizeof line))
        CHECK(strcmp(line, "[1, {\"k\": \"v\"}]") == 0, "[%s]", line);
    al_json_begin_array(&rec);
    al_json_add_int(&rec, NULL, "key", 1); /* a key into an array: refused */
    CHECK(rec.failed, "a key at an array's top level is refused");
    al_json_discard(&rec);
    /* two records into one buffer: two lines (how the probe writes a point) */
    al_buf out = {0};
    for (int i = 0; i < 2; i++) {
        al_json_begin(&rec);
        al_json_add_int(&rec, NULL, "i", i);
        CHECK(al_json_end(&rec, &out, NULL) == AL_OK, "record %d", i);
    }
    CHECK(out.data && strcmp(out.data, "{\"i\": 0}\n{\"i\": 1}\n") == 0, "[%s]", out.data ? out.data : "");
    al_buf_free(&out);
}

/* A compact record: each real as the C library's "%.*g" gives it at that
 * many digits (read back by strtod), no spaces, still one line; a record
 * after it is full precision again. */
static void test_compact(void)
{
    CHECK_SECTION("compact records: fewer digits, no spaces");
    const double reals[] = {0.1, 1.0 / 3, 123456789.0, 1e-7, -2.5, 2.0, (double)0.1f, 6.02214076e23};
    const size_t n = sizeof reals / sizeof reals[0];
    const int digits[] = {6, 9, 1, 40};
    for (size_t t = 0; t < sizeof digits / sizeof digits[0]; t++) {
        int want_digits = digits[t] > 17 ? 17 : digits[t];
        al_json rec;
        al_json_begin(&rec);
        al_json_set_compact(&rec, digits[t]);
        json_t *arr = al_json_add_array(&rec, NULL, "r");
        for (size_t i = 0; i < n; i++)
            al_json_add_real(&rec, arr, NULL, reals[i]);
        al_json_add_real(&rec, arr, NULL, NAN);
        al_json_add_string(&rec, NULL, "s", "a, b: c");
        al_json_add_int(&rec, NULL, "i", 3);
        char line[1024];
        if (!line_of(&rec, line, sizeof line))
            return;
        CHECK(strncmp(line, "{\"r\":[", 6) == 0 && strstr(line, "null],\"s\":\"a, b: c\",\"i\":3}") != NULL,
              "%d digits: no spaces outside strings: %s", digits[t], line);
        const char *p = line + 5;
        for (size_t i = 0; i < n; i++) {
            char *end;
            double v = strtod(p + 1, &end);
            char ref[64];
            snprintf(ref, sizeof ref, "%.*g", want_digits, reals[i]);
            CHECK(end > p + 1 && v == strtod(ref, NULL), "%d digits: real %zu is %.*s, want %s", digits[t], i,
                  (int)(end - p - 1), p + 1, ref);
            CHECK((size_t)(end - p - 1) <= strlen(ref) + 2, "%d digits: real %zu as short as %s: %.*s", digits[t],
                  i, ref, (int)(end - p - 1), p + 1);
            p = end;
        }
        json_t *j = json_loads(line, 0, NULL);
        CHECK(j && json_array_size(json_object_get(j, "r")) == n + 1, "%d digits: parses: %s", digits[t], line);
        json_decref(j);
    }
    al_json rec;
    al_json_begin(&rec);
    al_json_add_real(&rec, NULL, "x", 0.1);
    char line[128];
    if (line_of(&rec, line, sizeof line))
        CHECK(strcmp(line, "{\"x\": 0.10000000000000001}") == 0, "begin restores full precision: %s", line);
}

static void test_failures(void)
{
    CHECK_SECTION("a failed call refuses the record");
    al_json rec;
    al_json_begin(&rec);
    al_json_add_int(&rec, NULL, "ok", 1);
    json_t *arr = al_json_add_array(&rec, NULL, "arr");
    al_json_add_int(&rec, arr, "key", 2); /* a key into an array: refused */
    CHECK(rec.failed, "the failure is recorded");
    CHECK(al_json_add_object(&rec, NULL, "later") == NULL, "no container after a failure");
    al_buf out = {0};
    al_buf_printf(&out, "before\n");
    al_error err = {0};
    CHECK(al_json_end(&rec, &out, &err) == AL_ERR_NOMEM && err.status == AL_ERR_NOMEM, "refused: %s",
          err.message);
    CHECK(strcmp(out.data, "before\n") == 0, "nothing appended: [%s]", out.data);
    CHECK(rec.root == NULL && !rec.failed, "the record is freed and reset");
    al_buf_free(&out);
    al_json zero = {0};
    al_json_discard(&zero);
    al_json_begin(&rec);
    al_json_add_string(&rec, NULL, "s", "x");
    al_json_discard(&rec);
    CHECK(rec.root == NULL, "discarded");
}

/* With the file-size limit at 100 bytes, records of 33 bytes: three fit
 * whole, the fourth does not, and must leave nothing of itself behind. */
static void test_append_whole(void)
{
    CHECK_SECTION("append whole or not at all");
    char path[] = "/tmp/actlab-test-jsonl-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temporary file");
    if (fd < 0)
        return;
    close(fd);
    FILE *log = fopen(path, "w");
    CHECK(log != NULL, "open %s", path);
    if (!log)
        return;
    setvbuf(log, NULL, _IONBF, 0);
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    struct rlimit small = old;
    small.rlim_cur = 100;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    int limited = setrlimit(RLIMIT_FSIZE, &small) == 0;
    CHECK(limited, "file-size limit set");
    al_status st = AL_OK;
    int written = 0;
    al_error err = {0};
    for (int i = 0; i < 10 && st == AL_OK; i++) {
        al_json rec;
        al_json_begin(&rec);
        al_json_add_string(&rec, NULL, "record", "0123456789");
        al_json_add_int(&rec, NULL, "n", i); /* 32 bytes and a newline */
        st = al_jsonl_append(log, path, &rec, &err);
        written += st == AL_OK;
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    fclose(log);
    CHECK(limited && st == AL_ERR_IO && written == 3, "three records fit, then %d: %s", (int)st, err.message);
    CHECK(strstr(err.message, path) != NULL && strstr(err.message, "File too large") != NULL,
          "the error names the file and the reason: %s", err.message);
    char text[256] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    CHECK(n == 99 && text[n - 1] == '\n', "the file holds three whole lines (%zu bytes): %s", n, text);
    int lines = 0;
    for (char *p = text; *p; lines++) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        json_t *j = json_loads(p, 0, NULL);
        CHECK(j && json_integer_value(json_object_get(j, "n")) == lines, "line %d parses: %s", lines, p);
        json_decref(j);
        p = nl + 1;
    }
    CHECK(lines == 3, "%d lines", lines);
    unlink(path);
}

int main(void)
{
    test_strings();
    test_numbers();
    test_layout();
    test_compact();
    test_failures();
    test_append_whole();
    return check_summary("test_jsonl");
}
