/* CSV datasets as real files come. The scikit-learn formats (a count line
 * with class names, no header, the label last; gzip; a padded count line
 * with a quoted header and a real-valued target; space-separated features
 * with the target in a file of its own) from the committed fixtures, each
 * compared value by value with the NPY files the generating script wrote
 * beside them (scripts/make_sklearn_fixtures.py); then the label syntax,
 * the separators, headers, skipped lines, gzip, and every refusal with the
 * line, the column's index and name. */
#include "actlab/data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "actlab/npy.h"
#include "check.h"

#define FIX AL_FIXTURES "/sklearn/"

static char tmp_dir[64];

static const char *tmp_path(const char *name)
{
    static char path[16][256];
    static int next;
    char *p = path[next++ % 16];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, strlen(text), f) != strlen(text)) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    fclose(f);
    return path;
}

/* Loads path with options (label column, header mode, separator given). */
static al_dataset *load(const char *path, const char *label, int has_header, char sep, al_csv_info *info,
                        al_error *err)
{
    al_csv_options o = al_csv_options_default();
    o.label_column = label;
    o.has_header = has_header;
    o.separator = sep;
    o.info = info;
    al_dataset *ds = NULL;
    memset(err, 0, sizeof *err);
    if (al_dataset_load_csv(path, &o, &ds, err) != AL_OK)
        return NULL;
    return ds;
}

/* The features (and labels or targets) of ds equal the reference NPY files. */
static void same_as_npy(const char *what, const al_dataset *ds, const char *x_npy, const char *y_npy,
                        const char *t_npy)
{
    al_array x = {0}, y = {0}, t = {0};
    al_error err = {0};
    CHECK(al_npy_read(x_npy, &x, &err) == AL_OK, "%s: %s", what, err.message);
    CHECK(x.rank == 2 && x.shape[0] == al_dataset_count(ds) && x.shape[1] == al_dataset_features(ds),
          "%s: %zu x %zu", what, al_dataset_count(ds), al_dataset_features(ds));
    if (x.data && x.count == al_dataset_count(ds) * al_dataset_features(ds))
        CHECK(memcmp(x.data, al_dataset_x(ds), x.count * sizeof(float)) == 0, "%s: features exactly as numpy", what);
    if (y_npy) {
        CHECK(al_npy_read(y_npy, &y, &err) == AL_OK, "%s: %s", what, err.message);
        CHECK(al_dataset_has_labels(ds) && y.count == al_dataset_count(ds) &&
                  memcmp(y.data, al_dataset_y(ds), y.count * sizeof(int32_t)) == 0, "%s: labels", what);
    }
    if (t_npy) {
        CHECK(al_npy_read(t_npy, &t, &err) == AL_OK, "%s: %s", what, err.message);
        CHECK(al_dataset_target_width(ds) == 1 && t.count == al_dataset_count(ds) &&
                  memcmp(t.data, al_dataset_targets(ds), t.count * sizeof(float)) == 0, "%s: targets", what);
    }
    al_array_free(&x);
    al_array_free(&y);
    al_array_free(&t);
}

static void test_sklearn_formats(void)
{
    CHECK_SECTION("scikit-learn's formats, as they ship");
    al_csv_info info;
    al_error err;
    al_dataset *ds = load(FIX "iris_like.csv", NULL, -1, 0, &info, &err);
    CHECK(ds != NULL, "iris_like: %s", err.message);
    if (ds) {
        same_as_npy("iris_like", ds, FIX "iris_like_x.npy", FIX "iris_like_y.npy", NULL);
        CHECK(info.count_line && !info.has_header && info.separator == ',' && info.separator_detected,
              "count line, no header, ','");
        CHECK(info.label_index == 4 && info.label_default && info.labels && !info.targets, "label: the last");
        CHECK(al_dataset_classes(ds) == 3 && al_dataset_class_name_count(ds) == 3 &&
                  strcmp(al_dataset_class_name(ds, 1), "versicolor") == 0, "class names from the count line");
        CHECK(strcmp(al_dataset_name(ds), "iris_like.csv") == 0, "name");
    }
    al_dataset_free(ds);

    ds = load(FIX "cancer_like.csv", NULL, -1, 0, &info, &err);
    CHECK(ds != NULL, "cancer_like: %s", err.message);
    if (ds) {
        same_as_npy("cancer_like", ds, FIX "cancer_like_x.npy", FIX "cancer_like_y.npy", NULL);
        CHECK(al_dataset_classes(ds) == 2 && strcmp(al_dataset_class_name(ds, 0), "malignant") == 0, "two classes");
    }
    al_dataset_free(ds);

    ds = load(FIX "digits_like.csv.gz", NULL, -1, 0, &info, &err);
    CHECK(ds != NULL, "digits_like.csv.gz: %s", err.message);
    if (ds) {
        same_as_npy("digits_like", ds, FIX "digits_like_x.npy", FIX "digits_like_y.npy", NULL);
        CHECK(!info.count_line && !info.has_header && info.rows == 60 && info.columns == 9, "no count line");
        CHECK(al_dataset_class_name_count(ds) == 0 && al_dataset_classes(ds) == 4, "4 classes, no names");
    }
    al_dataset_free(ds);

    ds = load(FIX "boston_like.csv", NULL, -1, 0, &info, &err);
    CHECK(ds != NULL, "boston_like: %s", err.message);
    if (ds) {
        same_as_npy("boston_like", ds, FIX "boston_like_x.npy", NULL, FIX "boston_like_t.npy");
        CHECK(info.count_line && info.has_header && strcmp(info.label_name, "MEDV") == 0, "count line and header");
        CHECK(!al_dataset_has_labels(ds) && info.targets && al_dataset_classes(ds) == 0,
              "a real-valued target, not classes");
    }
    al_dataset_free(ds);

    al_csv_options o = al_csv_options_default();
    ds = NULL;
    CHECK(al_dataset_load_csv_pair(FIX "diabetes_like_data.csv.gz", FIX "diabetes_like_target.csv.gz", &o, &ds,
                                   &err) == AL_OK, "diabetes pair: %s", err.message);
    if (ds)
        same_as_npy("diabetes_like", ds, FIX "diabetes_like_x.npy", NULL, FIX "diabetes_like_t.npy");
    al_dataset_free(ds);
    ds = NULL;
    CHECK(al_dataset_load_csv_pair(FIX "diabetes_like_data.csv.gz", FIX "iris_like.csv", &o, &ds, &err) ==
              AL_ERR_SHAPE && strstr(err.message, "30 rows") && strstr(err.message, "36") && !ds,
          "pair counts differ: %s", err.message);
}

static void test_label_column(void)
{
    CHECK_SECTION("the label column");
    const char *named = write_text("named.csv", "4,label,x\n1,0,7\n2,1,8\n3,1,9\n");
    struct {
        const char *want;
        long index;
    } ok[] = {
        {NULL, 1},      /* the default: the column named label */
        {"label", 1},
        {"#0", 0},      /* an index, though a column is named 4 */
        {"\"4\"", 0},   /* the column named 4 */
        {"4", 0},       /* no index 4: the column named 4 */
        {"-1", 2},
        {"#-3", 0},
        {"2", 2},       /* a bare index no column is named after */
        {"x", 2},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        al_csv_info info;
        al_error err;
        al_dataset *ds = load(named, ok[i].want, -1, 0, &info, &err);
        CHECK(ds && info.label_index == ok[i].index, "label '%s': index %ld, want %ld (%s)",
              ok[i].want ? ok[i].want : "(default)", info.label_index, ok[i].index, err.message);
        al_dataset_free(ds);
    }
    const char *plain = write_text("plain.csv", "1,2,0\n3,4,1\n");
    al_csv_info info;
    al_error err;
    al_dataset *ds = load(plain, NULL, -1, 0, &info, &err);
    CHECK(ds && info.label_index == 2 && !info.has_header && al_dataset_y(ds)[1] == 1, "no header: the last");
    al_dataset_free(ds);
    ds = load(plain, "0", -1, 0, &info, &err);
    CHECK(ds && al_dataset_y(ds)[1] == 3 && al_dataset_x(ds)[2] == 4.0f, "no header, index 0");
    al_dataset_free(ds);

    struct {
        const char *path, *want, *text;
    } bad[] = {
        {named, "lable", "did you mean 'label'"},
        {named, "#3", "out of range"},
        {named, "-4", "out of range"},
        {named, "\"y\"", "no column named 'y'"},
        {plain, "label", "has no header, so give the column by index"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ds = load(bad[i].path, bad[i].want, -1, 0, &info, &err);
        CHECK(!ds && err.status == AL_ERR_INVALID && strstr(err.message, bad[i].text), "label '%s': %s",
              bad[i].want, err.message);
        al_dataset_free(ds);
    }
    /* a column named 1 that is not index 1: "1" must say which it means */
    const char *one = write_text("one.csv", "a,b,1\n5,6,0\n");
    ds = load(one, "1", -1, 0, &info, &err);
    CHECK(!ds && strstr(err.message, "ambiguous") && strstr(err.message, "#1") && strstr(err.message, "\"1\""),
          "ambiguous: %s", err.message);
}

static void test_layout(void)
{
    CHECK_SECTION("separators, headers, skipped lines, gzip");
    struct {
        const char *name, *text;
        char sep;
        int header;
    } files[] = {
        {"semi.csv", "a;b;label\n1;2;0\n3;4;1\n", ';', 1},
        {"tab.tsv", "a\tb\tlabel\n1\t2\t0\n3\t4\t1\n", '\t', 1},
        {"blank.txt", "  1   2  0\n3 4 1  \n", ' ', 0},
        {"pipe.csv", "a|b|label\n1|2|0\n3|4|1\n", '|', 1},
        {"quoted.csv", "\xEF\xBB\xBF\"a, b\",\"c\",\"label\"\r\n\"1\",2,0\r\n\r\n3,\"4\",1\r\n", ',', 1},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        al_csv_info info;
        al_error err;
        al_dataset *ds = load(write_text(files[i].name, files[i].text), NULL, -1, 0, &info, &err);
        CHECK(ds && info.separator == files[i].sep && info.has_header == files[i].header &&
                  al_dataset_count(ds) == 2 && al_dataset_features(ds) == 2, "%s: %s", files[i].name, err.message);
        if (ds && i != 0)
            CHECK(al_dataset_x(ds)[0] == 1.0f && al_dataset_x(ds)[3] == 4.0f && al_dataset_y(ds)[1] == 1,
                  "%s: values", files[i].name);
        al_dataset_free(ds);
    }
    al_csv_info info;
    al_error err;
    /* a decimal comma does not make ',' the separator, and "1,5" is not a
     * number in the C locale */
    al_dataset *ds = load(write_text("comma.csv", "a;b;label\n1,5;2;0\n3;4;1\n"), NULL, -1, 0, &info, &err);
    CHECK(!ds && strstr(err.message, "comma.csv:2: column #0 'a': cell '1,5' is not a number"), "decimal comma: %s",
          err.message);
    /* --no-header: a first line of text is then a row, and refused as one */
    const char *head = write_text("head.csv", "x,label\n1,0\n");
    ds = load(head, NULL, 0, 0, &info, &err);
    CHECK(!ds && strstr(err.message, "head.csv:1: column #0: cell 'x' is not a number"), "no header: %s",
          err.message);
    /* a numeric first line taken as a header when told so */
    ds = load(write_text("numhead.csv", "7,8\n1,0\n2,1\n"), "\"8\"", 1, 0, &info, &err);
    CHECK(ds && al_dataset_count(ds) == 2 && al_dataset_y(ds)[1] == 1, "forced header: %s", err.message);
    al_dataset_free(ds);
    /* skip_rows: lines before the table */
    al_csv_options o = al_csv_options_default();
    o.skip_rows = 2;
    o.info = &info;
    ds = NULL;
    CHECK(al_dataset_load_csv(write_text("skip.csv", "# made by hand\nversion 2\na,label\n1,0\n"), &o, &ds, &err) ==
              AL_OK && info.skipped_lines == 2 && info.has_header && al_dataset_count(ds) == 1,
          "skip_rows: %s", err.message);
    al_dataset_free(ds);
    /* a line that looks like a count line but does not match the file is a row */
    ds = load(write_text("count.csv", "5,1\n1,0\n2,1\n"), NULL, -1, 0, &info, &err);
    CHECK(ds && !info.count_line && !info.has_header && al_dataset_count(ds) == 3, "a wrong count line is a row");
    al_dataset_free(ds);
    o = al_csv_options_default();
    o.count_line = 1;
    ds = NULL;
    CHECK(al_dataset_load_csv(tmp_path("count.csv"), &o, &ds, &err) == AL_ERR_FORMAT &&
              strstr(err.message, "count line says 5 rows of 1 features, but the file has 2 rows"),
          "forced count line: %s", err.message);
    /* gzip whatever the name; a corrupt stream is named as such */
    const char *text = "a,label\n0.5,1\n1.5,0\n";
    const char *gz = tmp_path("zipped.data");
    gzFile g = gzopen(gz, "wb");
    gzwrite(g, text, (unsigned)strlen(text));
    gzclose(g);
    ds = load(gz, NULL, -1, 0, &info, &err);
    CHECK(ds && al_dataset_x(ds)[1] == 1.5f && al_dataset_y(ds)[0] == 1, "gzip by its magic: %s", err.message);
    al_dataset_free(ds);
    FILE *f = fopen(gz, "r+b");
    fseek(f, 20, SEEK_SET);
    fputc('X', f);
    fclose(f);
    ds = load(gz, NULL, -1, 0, &info, &err);
    CHECK(!ds && strstr(err.message, "gzip"), "corrupt gzip: %s", err.message);
    ds = load(write_text("bin.csv", "a,label\n1\0,0\n"), NULL, -1, 0, &info, &err);
    ds = NULL;
    {
        const char bytes[] = {'1', ',', '0', '\n', '\0', '\x93', 'N', 'U', 'M', 'P', 'Y'};
        f = fopen(tmp_path("bin.csv"), "wb");
        fwrite(bytes, 1, sizeof bytes, f);
        fclose(f);
        ds = load(tmp_path("bin.csv"), NULL, -1, 0, &info, &err);
        CHECK(!ds && err.status == AL_ERR_FORMAT && strstr(err.message, "not a text file"), "binary: %s",
              err.message);
    }
}

/* load must fail with status, and the message must hold text. */
static void refused(const char *what, const char *file_text, const char *label, int n_classes, al_status status,
                    const char *text)
{
    al_csv_options o = al_csv_options_default();
    o.label_column = label;
    o.n_classes = n_classes;
    al_dataset *ds = NULL;
    al_error err = {0};
    al_status st = al_dataset_load_csv(write_text("bad.csv", file_text), &o, &ds, &err);
    CHECK(st == status && ds == NULL, "%s: status %d (%s), want %d: %s", what, (int)st, al_status_name(st),
          (int)status, err.message);
    CHECK(strstr(err.message, text) != NULL, "%s: message lacks \"%s\": %s", what, text, err.message);
    al_dataset_free(ds);
}

static void test_refusals(void)
{
    CHECK_SECTION("refusals name the line and the column");
    refused("empty", "", NULL, 0, AL_ERR_FORMAT, "is empty");
    refused("blank only", "\n  \n", NULL, 0, AL_ERR_FORMAT, "is empty");
    refused("header only", "a,label\n", NULL, 0, AL_ERR_FORMAT, "has a header but no data rows");
    refused("one column", "label\n1\n", NULL, 0, AL_ERR_FORMAT, "has one column (separator ',')");
    refused("ragged short", "a,b,label\n1,2,0\n3,4\n", NULL, 0, AL_ERR_PARSE,
            "bad.csv:3: 2 fields, but the header has 3");
    refused("ragged long", "a,label\n1,2\n\n3,1,4\n", NULL, 0, AL_ERR_PARSE, "bad.csv:4: 3 fields");
    /* a row with one field in a comma file that uses ';' there: the separator is suggested */
    refused("one field", "a,b,c,d,label\n1,2,3,4,0\n5,6,7,8,1\n1;2;3;4;0\n", NULL, 0, AL_ERR_PARSE,
            "bad.csv:4: 1 field, but the header has 5 (separator ','): is the separator ';'? (--sep ;)");
    refused("not a number", "a,b,label\n1,2,0\n1, abc ,0\n", NULL, 0, AL_ERR_PARSE,
            "bad.csv:3: column #1 'b': cell 'abc' is not a number");
    refused("number with junk", "a,label\n1.5x,0\n", NULL, 0, AL_ERR_PARSE,
            "bad.csv:2: column #0 'a': cell '1.5x' is not a number");
    refused("empty cell", "a,b,label\n1,,0\n", NULL, 0, AL_ERR_PARSE, "bad.csv:2: column #1 'b': empty cell ''");
    refused("nan", "a,label\nnan,0\n", NULL, 0, AL_ERR_NUMERIC, "bad.csv:2: column #0 'a': cell 'nan' is not a finite");
    refused("too big for float", "a,label\n1e39,0\n", NULL, 0, AL_ERR_NUMERIC, "not a finite float32");
    refused("text label", "a,label\n1,cat\n", NULL, 0, AL_ERR_PARSE, "column #1 'label': label 'cat' is not a number");
    refused("label over n_classes", "a,label\n1,3\n", NULL, 3, AL_ERR_PARSE,
            "bad.csv:2: column #1 'label': label '3' is not a class index (a whole number from 0 to 2)");
    refused("negative label with classes", "a,label\n1,0\n2,-1\n", NULL, 3, AL_ERR_PARSE, "bad.csv:3: column #1");
    refused("over the count line's classes", "3,1,x,y\n1,0\n2,1\n3,2\n", NULL, 0, AL_ERR_PARSE,
            "bad.csv:4: column #1: label '2' is not a class index (a whole number from 0 to 1)");
    refused("unterminated quote", "a,label\n\"1,0\n", NULL, 0, AL_ERR_PARSE, "bad.csv:2: unterminated quote");
    refused("echo of a long cell", "a,label\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,0\n", NULL, 0,
            AL_ERR_PARSE, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...");
    /* without given classes, labels that are not class indices are targets */
    al_dataset *ds = NULL;
    al_error err = {0};
    al_csv_options o = al_csv_options_default();
    CHECK(al_dataset_load_csv(write_text("reg.csv", "a,y\n1,-1\n2,1.5\n"), &o, &ds, &err) == AL_OK &&
              !al_dataset_has_labels(ds) && al_dataset_targets(ds)[0] == -1.0f && al_dataset_targets(ds)[1] == 1.5f,
          "targets: %s", err.message);
    al_dataset_free(ds);
    ds = NULL;
    CHECK(al_dataset_load_csv(tmp_path("missing.csv"), NULL, &ds, &err) == AL_ERR_IO && strstr(err.message, "missing.csv"),
          "missing file: %s", err.message);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/actlab_test_csv_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_sklearn_formats();
    test_label_column();
    test_layout();
    test_refusals();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    return check_summary("test_csv");
}
