/* `actlab compare`: one model template under several arms x K seeds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/compare.h"
#include "actlab/report.h"
#include "cli.h"

static const char usage[] =
    "usage: actlab compare --acts LIST [factors] [options]\n"
    "Trains one model under several arms, each over K seeds, in parallel worker processes,\n"
    "and prints per arm: final test accuracy (mean, 95% CI), the difference to the baseline\n"
    "arm paired by seed (paired t CI, exact sign-flip p, Holm, the Holm-adjusted CI and the\n"
    "smallest difference the seeds could detect), best epoch, epochs and seconds to --target,\n"
    "final dead-unit fraction, first/last-layer gradient ratio. Diverged seeds count (worst).\n"
    "Finished jobs are kept in --out DIR under a key of everything that determines them (the\n"
    "data's content included) and reused only by the same experiment.\n"
    "arms (the cartesian product of the lists given):\n"
    "  --acts 'ReLU(),LeakyReLU(),ELU()'  activations (required; '()' may be left out)\n"
    "  --inits pytorch,kaiming-normal      init schemes      --bn off,on   BatchNorm before each activation\n"
    "  --gains scheme,matched,one,he       the gain of the weights feeding each activation: the scheme's\n"
    "                                      (PyTorch's), variance-preserving, 1 (Glorot, LeCun), sqrt(2)\n"
    "  --kinks 0,0.5,1                     kink= for activations that have a kink\n"
    "  --lrs 0.1,0.01                      learning rates    --depths 1,2,4  hidden layers\n"
    "model:\n"
    "  --width N (128)          hidden width of the built-in MLP (input and classes from the data)\n"
    "  --model SPEC             a template instead, with {act} where the activation goes\n"
    "data (as for `actlab train`; accuracy is measured on the test rows):\n";

static const char usage_tail[] =
    "training:\n"
    "  --seeds K (5)  --epochs N (5)  --batch N (128)  --opt sgd|adam|adamw|rmsprop  --lr X (0.05)\n"
    "  --momentum X (0.9 for sgd)  --weight-decay X\n"
    "  --tune-lr GRID           tune each arm's learning rate on a validation split of the training\n"
    "                           rows (--val, default 10%%; --split, --split-seed; the test set is\n"
    "                           never used): 'A,B,C' or 'LO:HI:N'\n"
    "                           (N log-spaced values); every run then trains on the rows left\n"
    "  --tune-seeds K (1)       seeds per learning rate   --tune-shared  one lr for all (the baseline's)\n"
    "output:\n"
    "  --out DIR (actlab-compare)  job results, compare.json and compare.csv\n"
    "  --baseline N|NAME (0)   the arm others are tested against\n"
    "  --target ACC            test accuracy whose time to reach is reported (censored if never)\n"
    "  --jobs N (cores)        worker processes   --report DIR  an HTML report   --quiet\n"
    "MPI (docs/cluster.md): `mpirun -n N actlab compare ...` shares the jobs among N ranks, each\n"
    "running --jobs workers (default: its share of the machine's cores); rank 0 writes the results.\n"
    "  --rank-timeout S (60)   with mpirun --enable-recovery: a rank silent this long is taken as\n"
    "                          dead and its jobs go to the others\n";

#define MAX_ITEMS 64

/* Splits a comma list at parenthesis depth 0 into items (in place). */
static int split(char *text, char **items, int max)
{
    int n = 0, depth = 0;
    char *start = text;
    for (char *s = text;; s++) {
        if (*s == '(')
            depth++;
        else if (*s == ')')
            depth--;
        if ((*s == ',' && depth == 0) || *s == '\0') {
            int end = *s == '\0';
            *s = '\0';
            while (*start == ' ')
                start++;
            if (*start && n < max)
                items[n++] = start;
            if (end)
                break;
            start = s + 1;
        }
    }
    return n;
}

/* A comma list of numbers for flag (at most MAX_ITEMS). */
static int parse_doubles(const char *flag, char *text, double *out, size_t *n)
{
    char *items[MAX_ITEMS];
    int k = split(text, items, MAX_ITEMS);
    for (int i = 0; i < k; i++)
        if (cli_double("compare", flag, items[i], -INFINITY, INFINITY, &out[i]))
            return 2;
    *n = (size_t)k;
    return k > 0 ? 0 : cli_usage_error("compare", "%s needs at least one value", flag);
}

/* --tune-lr: 'A,B,C', or 'LO:HI:N' for N log-spaced values from LO to HI. */
static int parse_grid(char *text, double *out, size_t *n)
{
    const char *cmd = "compare";
    if (strchr(text, ':')) {
        char *parts[3], *save = NULL;
        int k = 0;
        for (char *t = strtok_r(text, ":", &save); t && k < 3; t = strtok_r(NULL, ":", &save))
            parts[k++] = t;
        double lo, hi;
        long count;
        if (k != 3)
            return cli_usage_error(cmd, "--tune-lr takes 'A,B,C' or 'LO:HI:N', e.g. '0.001:1:5'");
        if (cli_double_above(cmd, "--tune-lr", parts[0], 0, INFINITY, &lo) ||
            cli_double_above(cmd, "--tune-lr", parts[1], 0, INFINITY, &hi) ||
            cli_long(cmd, "--tune-lr", parts[2], 1, MAX_ITEMS, &count))
            return 2;
        for (long i = 0; i < count; i++)
            out[i] = count == 1 ? lo : lo * pow(hi / lo, (double)i / (double)(count - 1));
        *n = (size_t)count;
        return 0;
    }
    return parse_doubles("--tune-lr", text, out, n);
}

/* The flags of the option fields a library error may name. */
static const cli_flag compare_flags[] = {
    {"compare.dir", "--out"},
    {"compare.seeds", "--seeds"},
    {"compare.epochs", "--epochs"},
    {"compare.batch", "--batch"},
    {"compare.baseline", "--baseline"},
    {"factors.acts", "--acts"},
    {"factors.template_spec", "--model"},
    {"compare.tune_lrs", "--tune-lr"},
    {"compare.tune_seeds", "--tune-seeds"},
    {NULL, NULL},
};

typedef struct compare_args {
    char *acts_text, *acts_items[MAX_ITEMS], act_buf[MAX_ITEMS][256];
    const char *acts[MAX_ITEMS];
    al_init_scheme inits[MAX_ITEMS];
    al_gain_rule gains[MAX_ITEMS];
    int bn[MAX_ITEMS], depths[MAX_ITEMS];
    double kinks[MAX_ITEMS], lrs[MAX_ITEMS], tune_lrs[MAX_ITEMS];
    const char *report, *baseline;
    long width;
    cli_data_args data;
} compare_args;

/* compare takes every shared data flag; --val and --split set the validation
 * split that --tune-lr carves inside compare (its job keys cover them) */
#define COMPARE_DATA CLI_DATA_ALL

/* A chart of mean test accuracy per epoch with 95 % bands, one series per arm. */
static al_status curves_chart(const al_compare *c, long epochs, size_t seeds, al_chart **out, al_error *err)
{
    al_status st = al_chart_create("Test accuracy by epoch (mean, 95% CI over seeds)", "epoch", "test accuracy",
                                   720, 400, out, err);
    size_t E = (size_t)epochs;
    double *xs = malloc(4 * E * sizeof *xs), *v = malloc(seeds * sizeof *v);
    double *mean = xs ? xs + E : NULL, *lo = xs ? xs + 2 * E : NULL, *hi = xs ? xs + 3 * E : NULL;
    if (st == AL_OK && (!xs || !v))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory for the learning-curve chart");
    for (size_t arm = 0; st == AL_OK && arm < al_compare_arm_count(c); arm++) {
        for (size_t e = 0; e < E; e++) {
            size_t n = 0;
            for (size_t s = 0; s < seeds; s++) {
                const al_job_result *r = al_compare_job(c, arm, s);
                if (r->done)
                    v[n++] = r->test_acc[e];
            }
            xs[e] = (double)(e + 1);
            mean[e] = lo[e] = hi[e] = NAN;
            if (n >= 2)
                al_stats_mean_ci(v, n, 0.95, &mean[e], &lo[e], &hi[e], NULL);
            else if (n == 1)
                mean[e] = lo[e] = hi[e] = v[0];
        }
        st = al_chart_add_band(*out, E, xs, lo, hi, al_chart_palette(arm), err);
        if (st == AL_OK)
            st = al_chart_add_series(*out, al_compare_arm(c, arm)->name, E, xs, mean, al_chart_palette(arm), err);
    }
    free(xs);
    free(v);
    return st;
}

static al_status write_report(const al_compare *c, const al_compare_options *o, const char *dir, al_error *err)
{
    al_report *r = NULL;
    al_chart *chart = NULL;
    al_status st = al_report_create("actlab compare", &r, err);
    if (st == AL_OK)
        st = al_report_section(r, "compare", "Comparison", err);
    /* the table, from the same numbers as the terminal's */
    size_t n = al_compare_arm_count(c), cols = 6;
    const char *header[6] = {"arm", "lr, seeds ok", "test accuracy (95% CI)", "vs baseline, paired (t 95% CI; Holm CI)",
                             "p (Holm)", "dead"};
    char (*cells)[300] = calloc(n * cols, sizeof *cells);
    const char **ptrs = calloc(n * cols, sizeof *ptrs);
    if (st == AL_OK && (!cells || !ptrs))
        st = al_error_set(err, AL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AL_OK && i < n; i++) {
        const al_arm_summary *S = al_compare_summary(c, i);
        char(*row)[300] = cells + i * cols;
        snprintf(row[0], 300, "%s", al_compare_arm(c, i)->name);
        snprintf(row[1], 300, "%.3g, %zu/%zu", S->lr, S->ok, o->seeds);
        snprintf(row[2], 300, "%.4f [%.4f, %.4f]", S->acc_mean, S->acc_lo, S->acc_hi);
        if (i == o->baseline)
            snprintf(row[3], 300, "baseline");
        else
            snprintf(row[3], 300, "%+.4f [%+.4f, %+.4f]; [%+.4f, %+.4f]", S->diff, S->diff_lo, S->diff_hi, S->adj_lo,
                     S->adj_hi);
        snprintf(row[4], 300, isfinite(S->p) ? "%.3g (%.3g)" : "-", S->p, S->p_holm);
        snprintf(row[5], 300, "%.3f", S->dead_final);
        for (size_t k = 0; k < cols; k++)
            ptrs[i * cols + k] = row[k];
    }
    if (st == AL_OK)
        st = al_report_table(r, "Per arm, over the seeds", cols, header, n, ptrs, NULL, NULL, err);
    if (st == AL_OK)
        st = curves_chart(c, o->epochs, o->seeds, &chart, err);
    if (st == AL_OK)
        st = al_report_chart(r, chart, "Learning curves: mean test accuracy with 95% confidence bands", err);
    al_chart *tuning = NULL;
    if (st == AL_OK)
        st = al_compare_tune_chart(c, NULL, &tuning, err);
    if (st == AL_OK && tuning)
        st = al_report_chart(r, tuning, "Each arm's learning-rate curve: mean validation accuracy on the split carved "
                             "from the training rows; the dot is the chosen lr. The test set was not used.", err);
    al_chart_free(tuning);
    if (st == AL_OK)
        st = al_report_write(r, dir, err);
    al_chart_free(chart);
    free(cells);
    free(ptrs);
    al_report_free(r);
    return st;
}

int cmd_compare(int argc, char **argv)
{
    const char *cmd = "compare";
    static compare_args a; /* large; one per process */
    memset(&a, 0, sizeof a);
    al_compare_options o = al_compare_options_default();
    al_compare_factors f;
    memset(&f, 0, sizeof f);
    o.dir = "actlab-compare";
    a.width = 128;
    cli_data_args_init(&a.data, COMPARE_DATA);
    const char *opt_name = NULL;
    double lr = NAN, momentum = NAN, wd = NAN, rank_timeout = 0;
    for (int i = 0; i < argc; i++) {
        const char *flag = argv[i];
        if (cli_is_help(flag)) {
            fputs(usage, stdout);
            cli_data_usage(stdout, COMPARE_DATA);
            fputs(usage_tail, stdout);
            return 0;
        }
        int drc = 0;
        if (cli_data_flag(cmd, &a.data, argc, argv, &i, &drc)) {
            if (drc)
                return drc;
            continue;
        }
        if (strcmp(flag, "--quiet") == 0) { o.quiet = 1; continue; }
        if (strcmp(flag, "--tune-shared") == 0) { o.tune_shared = 1; continue; }
        if (strncmp(flag, "--", 2) != 0)
            return cli_usage_error(cmd, "unexpected argument '%s'", flag);
        if (i + 1 >= argc)
            return cli_usage_error(cmd, "%s needs a value", flag);
        char *v = argv[++i];
        long x = 0;
        int rc = 0;
        if (strcmp(flag, "--acts") == 0) {
            f.n_acts = (size_t)split(v, a.acts_items, MAX_ITEMS);
            for (size_t k = 0; k < f.n_acts; k++) {
                snprintf(a.act_buf[k], sizeof a.act_buf[k], strchr(a.acts_items[k], '(') ? "%s" : "%s()",
                         a.acts_items[k]);
                a.acts[k] = a.act_buf[k];
            }
            f.acts = a.acts;
        } else if (strcmp(flag, "--inits") == 0) {
            char *items[MAX_ITEMS];
            int k = split(v, items, MAX_ITEMS);
            for (int j = 0; j < k; j++) {
                al_error err = {0};
                if (al_init_scheme_parse(items[j], &a.inits[j], &err) != AL_OK)
                    return cli_usage_error(cmd, "--inits: %s", err.message);
            }
            f.inits = a.inits;
            f.n_inits = (size_t)k;
        } else if (strcmp(flag, "--gains") == 0) {
            char *items[MAX_ITEMS];
            int k = split(v, items, MAX_ITEMS);
            static const al_gain_rule rules[4] = {AL_GAIN_SCHEME, AL_GAIN_MATCHED, AL_GAIN_ONE, AL_GAIN_HE};
            for (int j = 0; j < k; j++) {
                int found = -1;
                for (int r = 0; r < 4; r++)
                    if (strcmp(items[j], al_gain_rule_name(rules[r])) == 0)
                        found = r;
                if (found < 0)
                    return cli_usage_error(cmd, "--gains takes scheme, matched, one or he, got '%s'", items[j]);
                a.gains[j] = rules[found];
            }
            f.gains = a.gains;
            f.n_gains = (size_t)k;
        } else if (strcmp(flag, "--tune-lr") == 0) {
            rc = parse_grid(v, a.tune_lrs, &o.n_tune_lrs);
            o.tune_lrs = a.tune_lrs;
        } else if (strcmp(flag, "--tune-seeds") == 0) {
            rc = cli_long(cmd, flag, v, 1, 100, &x);
            o.tune_seeds = (size_t)x;
        } else if (strcmp(flag, "--bn") == 0) {
            char *items[MAX_ITEMS];
            int k = split(v, items, MAX_ITEMS);
            for (int j = 0; j < k; j++) {
                if (strcmp(items[j], "on") && strcmp(items[j], "off"))
                    return cli_usage_error(cmd, "--bn takes 'off', 'on' or 'off,on', got '%s'", items[j]);
                a.bn[j] = strcmp(items[j], "on") == 0;
            }
            f.batchnorm = a.bn;
            f.n_batchnorm = (size_t)k;
        } else if (strcmp(flag, "--kinks") == 0) {
            rc = parse_doubles(flag, v, a.kinks, &f.n_kinks);
            f.kinks = a.kinks;
        } else if (strcmp(flag, "--lrs") == 0) {
            rc = parse_doubles(flag, v, a.lrs, &f.n_lrs);
            f.lrs = a.lrs;
        } else if (strcmp(flag, "--depths") == 0) {
            char *items[MAX_ITEMS];
            int k = split(v, items, MAX_ITEMS);
            for (int j = 0; j < k; j++) {
                long depth;
                if (cli_long(cmd, flag, items[j], 1, 256, &depth))
                    return 2;
                a.depths[j] = (int)depth;
            }
            if (k == 0)
                return cli_usage_error(cmd, "%s needs at least one value", flag);
            f.depths = a.depths;
            f.n_depths = (size_t)k;
        } else if (strcmp(flag, "--model") == 0) f.template_spec = v;
        else if (strcmp(flag, "--out") == 0) o.dir = v;
        else if (strcmp(flag, "--report") == 0) a.report = v;
        else if (strcmp(flag, "--baseline") == 0) a.baseline = v;
        else if (strcmp(flag, "--opt") == 0) opt_name = v;
        else if (strcmp(flag, "--width") == 0) rc = cli_long(cmd, flag, v, 1, 1 << 20, &a.width);
        else if (strcmp(flag, "--seeds") == 0) { rc = cli_long(cmd, flag, v, 2, 1000, &x); o.seeds = (size_t)x; }
        else if (strcmp(flag, "--epochs") == 0) { rc = cli_long(cmd, flag, v, 1, 100000, &x); o.epochs = x; }
        else if (strcmp(flag, "--batch") == 0) { rc = cli_long(cmd, flag, v, 1, 1 << 20, &x); o.batch = (size_t)x; }
        else if (strcmp(flag, "--jobs") == 0) { rc = cli_long(cmd, flag, v, 1, 1024, &x); o.jobs = (int)x; }
        else if (strcmp(flag, "--lr") == 0) rc = cli_double(cmd, flag, v, -INFINITY, INFINITY, &lr);
        else if (strcmp(flag, "--momentum") == 0) rc = cli_double(cmd, flag, v, -INFINITY, INFINITY, &momentum);
        else if (strcmp(flag, "--weight-decay") == 0) rc = cli_double(cmd, flag, v, -INFINITY, INFINITY, &wd);
        else if (strcmp(flag, "--target") == 0) rc = cli_double_above(cmd, flag, v, 0, 1, &o.target);
        else if (strcmp(flag, "--rank-timeout") == 0) rc = cli_double_above(cmd, flag, v, 0, 1e9, &rank_timeout);
        else
            return cli_usage_error(cmd, "unknown option '%s'", flag);
        if (rc)
            return rc;
    }
    if (f.n_acts == 0)
        return cli_usage_error(cmd, "--acts LIST is required, e.g. --acts 'ReLU(),LeakyReLU(),ELU()'");
    int drc = cli_data_check(cmd, &a.data, CLI_NEED_TRAIN);
    if (drc == 0 && a.data.no_test)
        drc = cli_usage_error(cmd, "--test 0: compare measures a test set; give a file or a share to hold out");
    if (drc)
        return drc;
    if (a.data.val_fraction > 0 || a.data.val_count > 0) {
        if (o.n_tune_lrs == 0)
            return cli_usage_error(cmd, "--val sets the validation split that --tune-lr tunes on; give "
                                   "--tune-lr GRID too (accuracy is measured on the test rows)");
        o.val_fraction = a.data.val_fraction;
        o.val_count = (size_t)a.data.val_count;
        a.data.val_fraction = 0; /* carved by compare itself, not by the loader */
        a.data.val_count = 0;
    }
    if (a.data.split_given)
        o.split_mode = a.data.split;
    if (a.data.split_given || a.data.split_seed != 0)
        o.split_seed = (uint64_t)a.data.split_seed;
    al_error err = {0};
    for (size_t k = 0; k < f.n_acts; k++) { /* before the data load, which takes seconds */
        al_act check;
        if (al_act_parse(f.acts[k], &check, &err) != AL_OK)
            return cli_usage_error(cmd, "--acts '%s': %s", f.acts[k], err.message);
    }
    al_optim_kind kind = AL_OPT_SGD;
    if (opt_name && al_optim_parse_kind(opt_name, &kind, &err) != AL_OK)
        return cli_usage_error(cmd, "--opt: %s", err.message);
    if (opt_name) {
        o.optim = al_optim_options_for(kind);
        if (kind == AL_OPT_SGD) {
            o.optim.lr = 0.05;
            o.optim.momentum = 0.9;
        }
    }
    if (!isnan(lr)) o.optim.lr = lr;
    if (!isnan(momentum)) o.optim.momentum = momentum;
    if (!isnan(wd)) o.optim.weight_decay = wd;
    cli_progress shown = {0};
    o.progress = cli_print_progress;
    o.progress_context = &shown;
    /* with MPI every rank loads the data and runs the comparison; rank 0 alone prints and writes */
    al_cluster *cluster = NULL;
    int rc = cli_cluster_start(cmd, rank_timeout, &cluster);
    if (rc)
        return rc;
    int root = al_cluster_rank(cluster) == 0;
    o.cluster = cluster;
    o.quiet = o.quiet || !root;
    if (!root)
        a.report = NULL;
    cli_cluster_on_stop(cmd, cluster, o.dir);
    cli_sets sets;
    rc = cli_load_sets(cmd, &a.data, NULL, o.quiet, &sets);
    al_dataset *train = sets.train, *test = sets.test;
    al_compare *c = NULL;
    if (rc == 0) {
        f.in = al_dataset_features(train);
        f.width = (size_t)a.width;
        f.classes = (size_t)al_dataset_classes(train);
        if (al_compare_create(&f, &o, &c, &err) != AL_OK)
            rc = cli_fail_flags(cmd, &err, compare_flags);
    }
    if (rc == 0 && a.baseline) {
        char *end;
        long b = strtol(a.baseline, &end, 10);
        size_t found = al_compare_arm_count(c);
        if (*end == '\0' && end != a.baseline && b >= 0)
            found = (size_t)b;
        else
            for (size_t i = 0; i < al_compare_arm_count(c); i++)
                if (strcmp(al_compare_arm(c, i)->name, a.baseline) == 0)
                    found = i;
        if (found >= al_compare_arm_count(c)) {
            if (root) {
                fprintf(stderr, "actlab compare: --baseline '%s' is not an arm; the arms are:\n", a.baseline);
                for (size_t i = 0; i < al_compare_arm_count(c); i++)
                    fprintf(stderr, "  %zu: %s\n", i, al_compare_arm(c, i)->name);
            }
            rc = 2;
        } else {
            /* recreate with the baseline set (arms are cheap to build) */
            al_compare_free(c);
            c = NULL;
            o.baseline = found;
            if (al_compare_create(&f, &o, &c, &err) != AL_OK)
                rc = cli_fail_flags(cmd, &err, compare_flags);
        }
    }
    if (rc == 0 && al_compare_run(c, train, test, &err) != AL_OK)
        rc = cli_fail_flags(cmd, &err, compare_flags);
    if (rc == 0 && root) {
        al_compare_print_table(c, stdout);
        if (al_compare_write(c, &err) != AL_OK)
            rc = cli_fail_flags(cmd, &err, compare_flags);
        else if (!o.quiet)
            fprintf(stderr, "results: %s/compare.json and %s/compare.csv\n", o.dir, o.dir);
    }
    if (rc == 0 && a.report) {
        char url[4200];
        if (write_report(c, &o, a.report, &err) != AL_OK)
            rc = cli_fail_flags(cmd, &err, compare_flags);
        else if (al_report_url(a.report, url, sizeof url, &err) == AL_OK)
            fprintf(stderr, "report: %s\n", url);
    }
    al_compare_free(c);
    cli_sets_free(&sets);
    al_cluster_free(cluster);
    return rc;
}
