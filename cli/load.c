/* The data flags every command shares (--data, --train, --test, --val,
 * --split, --split-seed, --subset, --standardize and the CSV flags), one
 * parser and one loader, so train, eval, predict, compare and study read
 * the same files the same way, carve the same held-out rows and name the
 * flag the user typed when something is wrong. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* The held-out test share when --train is given without --test. */
#define DEFAULT_TEST_FRACTION 0.2

void cli_data_args_init(cli_data_args *a, unsigned accepted)
{
    memset(a, 0, sizeof *a);
    a->accepted = accepted;
    a->split_seed = 0;
}

static const struct {
    unsigned bit;
    const char *text;
} DATA_HELP[] = {
    {CLI_DATA_DATA, "  --data fashion-mnist|DIR  Fashion-MNIST (apt-get install dataset-fashion-mnist), or a\n"
                      "                          folder with its four files; its test set is the package's\n"},
    {CLI_DATA_TRAIN, "  --train DATA            DATA: FILE.csv[.gz][:LABEL] | X.csv,Y.csv | X.npy,Y.npy |\n"
                      "                          IMAGES.idx[.gz],LABELS.idx[.gz]   (docs/data.md)\n"
                      "                          LABEL: a name, #K or K (0-based index), -1 (the last column);\n"
                      "                          default: the column named 'label', else the last\n"},
    {CLI_DATA_TEST, "  --test DATA|FRACTION|N  the test set: a file, or rows held out of --train (default\n"
                    "                          0.2); 0: none\n"},
    {CLI_DATA_VAL, "  --val FRACTION|N        validation rows held out of the training rows (after the test\n"
                   "                          rows), evaluated each epoch (--early-stop, --keep-best)\n"},
    {CLI_DATA_SPLIT, "  --split random|stratified|tail  how held-out rows are chosen (stratified when the\n"
                     "                          data has class labels of 2 rows or more each, else random)\n"
                     "  --split-seed N (0)      the held-out rows' seed (not --seed's)\n"},
    {CLI_DATA_SUBSET, "  --subset N              use only the first N rows of --train\n"},
    {CLI_DATA_STANDARDIZE, "  --standardize           scale features to mean 0, std 1 with the training rows'\n"
                           "                          per-feature statistics (kept in the saved model)\n"},
    {CLI_DATA_CSV, "  --sep ','|';'|tab|'|'|space  the CSV separator (default: detected)\n"
                   "  --no-header             the first CSV line is data   --skip-rows N  skip N lines first\n"
                   "                          (scikit-learn's count line is detected and read by itself)\n"},
};

void cli_data_usage(FILE *out, unsigned accepted)
{
    for (size_t i = 0; i < sizeof DATA_HELP / sizeof DATA_HELP[0]; i++)
        if (accepted & DATA_HELP[i].bit)
            fputs(DATA_HELP[i].text, out);
}

/* A fraction in (0, 1) or a count >= 1 (0 when allow_zero: none). */
static int parse_amount(const char *cmd, const char *flag, const char *text, int allow_zero, double *fraction,
                        long *count)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    *fraction = 0;
    *count = 0;
    if (errno || end == text || *end || !isfinite(v) || v < 0 || (v == 0 && !allow_zero) ||
        (v >= 1 && v != floor(v)) || v > 1e12)
        return cli_usage_error(cmd, "%s: expected a fraction between 0 and 1 or a number of rows%s, got '%s'", flag,
                               allow_zero ? " (0: none)" : "", text);
    if (v < 1)
        *fraction = v;
    else
        *count = (long)v;
    return 0;
}

/* 1 when text reads as a number (so --test 0.2 is a share, not a file). */
static int is_number(const char *text)
{
    char *end;
    strtod(text, &end);
    return end != text && *end == '\0';
}

int cli_data_flag(const char *cmd, cli_data_args *a, int argc, char **argv, int *i, int *rc)
{
    const char *f = argv[*i];
    unsigned bit = 0;
    int takes_value = 1;
    if (strcmp(f, "--data") == 0) bit = CLI_DATA_DATA;
    else if (strcmp(f, "--train") == 0) bit = CLI_DATA_TRAIN;
    else if (strcmp(f, "--test") == 0) bit = CLI_DATA_TEST;
    else if (strcmp(f, "--val") == 0) bit = CLI_DATA_VAL;
    else if (strcmp(f, "--split") == 0 || strcmp(f, "--split-seed") == 0) bit = CLI_DATA_SPLIT;
    else if (strcmp(f, "--subset") == 0) bit = CLI_DATA_SUBSET;
    else if (strcmp(f, "--standardize") == 0) { bit = CLI_DATA_STANDARDIZE; takes_value = 0; }
    else if (strcmp(f, "--no-header") == 0) { bit = CLI_DATA_CSV; takes_value = 0; }
    else if (strcmp(f, "--sep") == 0 || strcmp(f, "--skip-rows") == 0) bit = CLI_DATA_CSV;
    else return 0;
    *rc = 0;
    if (!(a->accepted & bit)) {
        *rc = cli_usage_error(cmd, "%s is not an option of `actlab %s`%s", f, cmd,
                              strcmp(cmd, "study") == 0 ? ": the studies run on Fashion-MNIST as their protocols "
                                                          "say (--data picks its folder)"
                                                        : "");
        return 1;
    }
    if (!takes_value) {
        if (strcmp(f, "--standardize") == 0)
            a->standardize = 1;
        else
            a->no_header = 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        *rc = cli_usage_error(cmd, "%s needs a value", f);
        return 1;
    }
    const char *v = argv[++*i];
    if (strcmp(f, "--data") == 0) a->data = v;
    else if (strcmp(f, "--train") == 0) a->train = v;
    else if (strcmp(f, "--test") == 0) {
        a->test = v;
        if (is_number(v))
            *rc = parse_amount(cmd, f, v, 1, &a->test_fraction, &a->test_count);
        a->test_is_amount = is_number(v);
        a->no_test = a->test_is_amount && a->test_fraction == 0 && a->test_count == 0;
    } else if (strcmp(f, "--val") == 0) *rc = parse_amount(cmd, f, v, 0, &a->val_fraction, &a->val_count);
    else if (strcmp(f, "--split") == 0) {
        al_error err = {0};
        a->split_given = 1;
        if (al_split_mode_parse(v, &a->split, &err) != AL_OK)
            *rc = cli_usage_error(cmd, "--split: %s", err.message);
    } else if (strcmp(f, "--split-seed") == 0) *rc = cli_long(cmd, f, v, 0, 2147483647L, &a->split_seed);
    else if (strcmp(f, "--subset") == 0) *rc = cli_long(cmd, f, v, 1, 1L << 40, &a->subset);
    else if (strcmp(f, "--skip-rows") == 0) *rc = cli_long(cmd, f, v, 0, 1000000, &a->skip_rows);
    else if (strcmp(f, "--sep") == 0) {
        static const struct { const char *name; char sep; } SEPS[] = {
            {",", ','}, {"comma", ','}, {";", ';'}, {"semicolon", ';'}, {"tab", '\t'}, {"\t", '\t'},
            {"\\t", '\t'}, {"|", '|'}, {"pipe", '|'}, {"space", ' '}, {" ", ' '}, {"blanks", ' '},
        };
        a->sep = 0;
        for (size_t k = 0; k < sizeof SEPS / sizeof SEPS[0]; k++)
            if (strcmp(v, SEPS[k].name) == 0)
                a->sep = SEPS[k].sep;
        if (!a->sep)
            *rc = cli_usage_error(cmd, "--sep: expected ',', ';', tab, '|' or space, got '%s'", v);
    }
    return 1;
}

int cli_data_check(const char *cmd, const cli_data_args *a, int need)
{
    int test_file = a->test && !a->test_is_amount;
    if (!a->data && !a->train && !(need == CLI_NEED_TEST && test_file))
        return cli_usage_error(cmd, need == CLI_NEED_TEST ? "give --test DATA, --train DATA (its held-out rows) or "
                                                            "--data fashion-mnist"
                                                          : "give --data fashion-mnist or --train DATA");
    if (a->data && a->train)
        return cli_usage_error(cmd, "--data and --train exclude each other");
    if (a->data && a->test)
        return cli_usage_error(cmd, "--data %s brings its own test set: --test goes with --train", a->data);
    if (!a->train && a->test && a->test_is_amount)
        return cli_usage_error(cmd, "--test %s holds rows out of --train: give --train DATA", a->test);
    if (need == CLI_NEED_TEST && a->no_test)
        return cli_usage_error(cmd, "--test 0: `actlab %s` measures a test set; give a file or a share to hold out",
                               cmd);
    return 0;
}

/* ---- loading ---- */

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncmp(s + len - n, suffix, n) == 0;
}

static int is_npy(const char *s) { return ends_with(s, strlen(s), ".npy"); }

/* 1 for the names of a table of text (plain or gzip). */
static int is_text_name(const char *s, size_t len)
{
    if (ends_with(s, len, ".gz"))
        len -= 3;
    static const char *const EXT[] = {".csv", ".CSV", ".tsv", ".TSV", ".txt", ".data", ".dat"};
    for (size_t k = 0; k < sizeof EXT / sizeof EXT[0]; k++)
        if (ends_with(s, len, EXT[k]))
            return 1;
    return 0;
}

al_csv_options cli_csv_options(const cli_data_args *a)
{
    al_csv_options o = al_csv_options_default();
    if (a) {
        if (a->no_header)
            o.has_header = 0;
        o.skip_rows = (size_t)a->skip_rows;
        o.separator = a->sep;
    }
    return o;
}

/* Splits "FILE:LABEL" when FILE (the text before the last ':') names a
 * table; *label is NULL when there is no label part. */
static void split_label(char *buf, const char **label)
{
    *label = NULL;
    struct stat st;
    if (stat(buf, &st) == 0)
        return; /* the whole text is a file: a ':' in its name is its own */
    char *colon = strrchr(buf, ':');
    if (colon && is_text_name(buf, (size_t)(colon - buf))) {
        *colon = '\0';
        *label = colon + 1;
    }
}

static al_status load_data(char *buf, const char *spec, const al_csv_options *csv, al_dataset **out,
                           al_error *err)
{
    char *comma = strchr(buf, ',');
    if (comma) {
        *comma = '\0';
        const char *x = buf, *y = comma + 1;
        if (is_npy(x) && is_npy(y))
            return al_dataset_load_npy(x, y, 0, out, err);
        if (is_text_name(x, strlen(x)) && is_text_name(y, strlen(y)))
            return al_dataset_load_csv_pair(x, y, csv, out, err);
        if (is_npy(x) || is_npy(y) || is_text_name(x, strlen(x)) || is_text_name(y, strlen(y)))
            return al_error_set(err, AL_ERR_INVALID, "'%s': a pair is two NPY files, two CSV files or two IDX "
                                "files", spec);
        return al_dataset_load_idx_pair(x, y, 0, out, err);
    }
    al_csv_options o = *csv;
    split_label(buf, &o.label_column);
    if (is_npy(buf))
        return al_error_set(err, AL_ERR_INVALID, "'%s': an NPY file of features needs its labels: give "
                            "X.npy,Y.npy", spec);
    if (!is_text_name(buf, strlen(buf)) && ends_with(buf, strlen(buf), "ubyte.gz"))
        return al_error_set(err, AL_ERR_INVALID, "'%s': IDX images need their labels: give IMAGES,LABELS", spec);
    return al_dataset_load_csv(buf, &o, out, err);
}

al_status cli_load_data_with(const char *spec, const al_csv_options *csv, al_dataset **out, al_error *err)
{
    char *buf = strdup(spec);
    if (!buf)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    al_csv_options o = csv ? *csv : al_csv_options_default();
    al_status st = load_data(buf, spec, &o, out, err);
    free(buf);
    return st;
}

al_status cli_load_data(const char *spec, al_dataset **out, al_error *err)
{
    return cli_load_data_with(spec, NULL, out, err);
}

/* "setosa, versicolor, virginica" (the first few), or "". */
static void class_list(const al_dataset *ds, char *buf, size_t size)
{
    int n = al_dataset_class_name_count(ds), shown = n < 6 ? n : 6;
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < shown && o < size; k++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", k ? ", " : "", al_dataset_class_name(ds, k));
    if (n > shown && o < size)
        snprintf(buf + o, size - o, ", ...");
}

/* What a CSV file turned out to be, for the note a command prints. */
static void describe_csv(const al_csv_info *info, const al_dataset *ds, char *buf, size_t size)
{
    char names[256];
    class_list(ds, names, sizeof names);
    int n = snprintf(buf, size, "%zu rows, %zu features", al_dataset_count(ds), al_dataset_features(ds));
    if (al_dataset_has_labels(ds))
        n += snprintf(buf + n, size - (size_t)n, ", %d classes%s%s%s%s", al_dataset_classes(ds), names[0] ? " (" : "",
                      names, names[0] ? ")" : "",
                      /* diabetes' target is whole numbers: say what else it may be */
                      (size_t)al_dataset_classes(ds) * 4 > al_dataset_count(ds) ? " or a whole-number target" : "");
    else if (al_dataset_target_width(ds))
        n += snprintf(buf + n, size - (size_t)n, ", real-valued target%s", al_dataset_target_width(ds) > 1 ? "s" : "");
    if (info->rows == 0)
        return; /* a pair: the files' own layout is not summarised */
    n += snprintf(buf + n, size - (size_t)n, "; %s%s, separator %s%s", info->count_line ? "scikit-learn count line, " : "",
                  info->has_header ? "header" : "no header",
                  info->separator == ' ' ? "blanks" : info->separator == '\t' ? "tab" : (char[4]){'\'', info->separator, '\'', 0},
                  info->separator_detected ? " (detected)" : "");
    if (info->label_index >= 0)
        snprintf(buf + n, size - (size_t)n, ", label column #%ld%s%s%s%s", info->label_index,
                 info->label_name[0] ? " '" : "", info->label_name, info->label_name[0] ? "'" : "",
                 info->label_default ? (info->label_name[0] && strcmp(info->label_name, "label") == 0 ? "" : " (the last)")
                                     : "");
}

/* Loads one DATA argument of flag; prints the failure. */
static int load_one(const char *cmd, const cli_data_args *a, const char *flag, const char *spec, al_dataset **out,
                    int quiet)
{
    al_error err = {0};
    al_csv_info info;
    memset(&info, 0, sizeof info);
    al_csv_options csv = cli_csv_options(a);
    csv.info = &info;
    if (cli_load_data_with(spec, &csv, out, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: %s %s: %s\n", cmd, flag, spec, err.message);
        return err.status == AL_ERR_INVALID ? 2 : 1;
    }
    if (!quiet && (info.rows || al_dataset_target_width(*out))) {
        char text[640];
        describe_csv(&info, *out, text, sizeof text);
        fprintf(stderr, "%s: %s\n", al_dataset_name(*out), text);
    }
    return 0;
}

/* The default split: stratified when every class has two rows or more (a
 * class of one row cannot be shared between two parts), else random. */
static al_split_mode default_split(const al_dataset *ds)
{
    if (!al_dataset_has_labels(ds))
        return AL_SPLIT_RANDOM;
    size_t classes = (size_t)al_dataset_classes(ds), *per = calloc(classes, sizeof *per);
    al_split_mode mode = per ? AL_SPLIT_STRATIFIED : AL_SPLIT_RANDOM;
    for (size_t i = 0; per && i < al_dataset_count(ds); i++)
        per[al_dataset_y(ds)[i]]++;
    for (size_t c = 0; per && c < classes; c++)
        if (per[c] == 1)
            mode = AL_SPLIT_RANDOM;
    free(per);
    return mode;
}

/* Carves k rows of *from into *held (the rest stays in *from); names both
 * parts; warns when a tail split holds a single class. */
static int carve(const char *cmd, const cli_data_args *a, const char *flag, const char *part, double fraction, long count,
                 al_dataset **from, al_dataset **held, char *desc, size_t desc_size)
{
    size_t n = al_dataset_count(*from);
    size_t k = count > 0 ? (size_t)count : al_split_count(n, fraction);
    if (k == 0 || k >= n) {
        fprintf(stderr, "actlab %s: %s: cannot hold out %zu of the %zu rows of %s\n", cmd, flag, k, n,
                al_dataset_name(*from));
        return 2;
    }
    al_split_mode mode = a->split_given ? a->split : default_split(*from);
    al_dataset *rest = NULL, *out = NULL;
    al_error err = {0};
    if (al_dataset_split(*from, k, mode, (uint64_t)a->split_seed, &rest, &out, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: %s: %s\n", cmd, a->split_given ? "--split" : flag, err.message);
        return 2;
    }
    char name[AL_DATASET_NAME_BYTES];
    const char *base = al_dataset_name(*from);
    size_t base_len = strcspn(base, " ");
    snprintf(name, sizeof name, "%.*s (%s)", (int)base_len, base, part);
    al_dataset_set_name(out, name);
    snprintf(name, sizeof name, "%.*s (train)", (int)base_len, base);
    al_dataset_set_name(rest, name);
    if (mode == AL_SPLIT_STRATIFIED || mode == AL_SPLIT_RANDOM)
        snprintf(desc, desc_size, "%zu rows held out of %.*s (%s, split seed %ld)", k, (int)base_len, base,
                 al_split_mode_name(mode), a->split_seed);
    else
        snprintf(desc, desc_size, "the last %zu rows of %.*s (tail split)", k, (int)base_len, base);
    if (mode == AL_SPLIT_LAST && al_dataset_classes_present(*from) > 1 && al_dataset_classes_present(out) == 1) {
        int c = al_dataset_y(out)[0];
        const char *cname = al_dataset_class_name(out, c);
        fprintf(stderr, "actlab %s: warning: the %s rows (the last %zu of %.*s) all have class %d%s%s%s: the file is "
                "sorted by class; use --split stratified or random\n", cmd, part, k, (int)base_len, base, c,
                cname ? " (" : "", cname ? cname : "", cname ? ")" : "");
    }
    al_dataset_free(*from);
    *from = rest;
    *held = out;
    return 0;
}

/* Keeps the first n rows (--subset). */
static int keep_first(const char *cmd, long n, al_dataset **ds)
{
    if (n <= 0 || (size_t)n >= al_dataset_count(*ds))
        return 0;
    al_dataset *head = NULL, *rest = NULL;
    al_error err = {0};
    if (al_dataset_split(*ds, al_dataset_count(*ds) - (size_t)n, AL_SPLIT_LAST, 0, &head, &rest, &err) != AL_OK)
        return cli_fail(cmd, &err);
    al_dataset_set_name(head, al_dataset_name(*ds));
    al_dataset_free(rest);
    al_dataset_free(*ds);
    *ds = head;
    return 0;
}

static int load_fashion(const char *cmd, const char *data, al_dataset **train, al_dataset **test)
{
    al_error err = {0};
    struct stat st;
    const char *dir = strcmp(data, "fashion-mnist") == 0 ? NULL : data;
    if (dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return cli_usage_error(cmd, "--data takes 'fashion-mnist' or a folder holding its files, got '%s' (files go "
                               "in --train)", data);
    if (al_dataset_load_fashion_mnist(dir, AL_DATA_TRAIN, train, &err) != AL_OK ||
        al_dataset_load_fashion_mnist(dir, AL_DATA_TEST, test, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --data %s: %s\n", cmd, data, err.message);
        return 1;
    }
    return 0;
}

void cli_sets_free(cli_sets *s)
{
    al_dataset_free(s->train);
    al_dataset_free(s->val);
    al_dataset_free(s->test);
    al_feature_stats_free(&s->stats);
    memset(s, 0, sizeof *s);
}

int cli_load_sets(const char *cmd, const cli_data_args *a, const al_feature_stats *given, int quiet, cli_sets *s)
{
    memset(s, 0, sizeof *s);
    int rc = 0;
    if (a->data) {
        rc = load_fashion(cmd, a->data, &s->train, &s->test);
        snprintf(s->test_desc, sizeof s->test_desc, "the Fashion-MNIST test set");
    } else if (!a->train) {
        /* eval and predict: a test file alone */
        rc = load_one(cmd, a, "--test", a->test, &s->test, quiet);
        snprintf(s->test_desc, sizeof s->test_desc, "%s", a->test);
    } else {
        rc = load_one(cmd, a, "--train", a->train, &s->train, quiet);
        if (rc == 0)
            rc = keep_first(cmd, a->subset, &s->train);
        if (rc == 0 && a->test && !a->test_is_amount) {
            rc = load_one(cmd, a, "--test", a->test, &s->test, quiet);
            snprintf(s->test_desc, sizeof s->test_desc, "%s", a->test);
        } else if (rc == 0 && !a->no_test) {
            double fraction = a->test ? a->test_fraction : DEFAULT_TEST_FRACTION;
            rc = carve(cmd, a, "--test", "test", fraction, a->test ? a->test_count : 0, &s->train, &s->test,
                       s->test_desc, sizeof s->test_desc);
        }
    }
    if (rc == 0 && (a->val_fraction > 0 || a->val_count > 0))
        rc = carve(cmd, a, "--val", "validation", a->val_fraction, a->val_count, &s->train, &s->val, s->val_desc,
                   sizeof s->val_desc);
    if (rc == 0 && !quiet && s->train && (s->test || s->val) && !a->data)
        fprintf(stderr, "data: train %zu rows%s%s%s%s\n", al_dataset_count(s->train), s->val ? "; validation: " : "",
                s->val ? s->val_desc : "", s->test ? "; test: " : "", s->test ? s->test_desc : "");
    al_error err = {0};
    if (rc == 0 && !given && a->standardize && !s->train) {
        fprintf(stderr, "actlab %s: --standardize needs the training rows' statistics: give --train DATA as for "
                "training (a test set's own statistics would change its numbers)\n", cmd);
        rc = 2;
    }
    if (rc == 0 && (given || a->standardize)) {
        al_dataset *sets[3] = {s->train, s->val, s->test};
        if (given) {
            s->standardized = 1;
        } else if (al_feature_stats_compute(s->train, AL_STANDARDIZE_PER_FEATURE, &s->stats, &err) == AL_OK) {
            s->standardized = 1;
            given = &s->stats;
        }
        for (int k = 0; s->standardized && k < 3; k++)
            if (sets[k] && al_dataset_standardize(sets[k], given, &err) != AL_OK) {
                s->standardized = 0;
                break;
            }
        if (!s->standardized)
            rc = cli_fail(cmd, &err);
    }
    if (rc != 0)
        cli_sets_free(s);
    return rc;
}

/* ---- model text ---- */

int cli_model_text(const char *cmd, const char *arg, char **owned, const char **text)
{
    *owned = NULL;
    *text = arg;
    if (arg[0] != '@')
        return 0;
    size_t size;
    al_error err = {0};
    if (al_file_read_all(arg + 1, 1 << 20, owned, &size, &err) != AL_OK) {
        fprintf(stderr, "actlab %s: --model %s: %s\n", cmd, arg, err.message);
        return 1;
    }
    *text = *owned;
    return 0;
}
