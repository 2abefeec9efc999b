/* `actlab study`: the catalogue of documented experiments, run by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actlab/study.h"
#include "cli.h"

static const char usage[] =
    "usage: actlab study list\n"
    "       actlab study NAME [NAME...] | all [options]\n"
    "Runs documented experiments on activations; each states its question, the published claim\n"
    "it tests and its protocol (fair arms: tuned learning rates, matched inits; paired tests,\n"
    "Holm across the study), runs at a quick budget (all eight: a few minutes on 2 cores) or\n"
    "--full (hours), and answers with a verdict computed from the numbers it produced.\n"
    "`actlab study list` names them. See docs/studies.md.\n"
    "options:\n"
    "  --full              the full budget (at least 10 seeds, all 60000 rows, more epochs, wider\n"
    "                      learning-rate grids): it may take hours, and says so before it starts\n"
    "  --report DIR        write DIR/index.html: a section per study with charts and tables\n"
    "  --out DIR           job results (actlab-study); finished jobs are reused by a re-run\n"
    "  --seeds K           seeds per arm instead of the budget's (at least 2)\n"
    "  --jobs N            worker processes (default: the number of cores)\n"
    "  --quiet             no progress on stderr\n"
    "  --rank-timeout S    under MPI (`mpirun -n N actlab study ...`, docs/cluster.md): with mpirun\n"
    "                      --enable-recovery, a rank silent this long is dead and its jobs go to others (60)\n"
    "data (the studies run on Fashion-MNIST, as their protocols say):\n";

/* The flags of the option fields a library error may name. */
static const cli_flag study_flags[] = {
    {"study.out_dir", "--out"},
    {"study.seeds", "--seeds"},
    {"compare.dir", "--out"},
    {NULL, NULL},
};

static const char *label(al_verdict v)
{
    switch (v) {
    case AL_VERDICT_SUPPORTED: return "Supported";
    case AL_VERDICT_NOT_SUPPORTED: return "Not supported";
    case AL_VERDICT_INCONCLUSIVE: return "Inconclusive";
    default: return "Result";
    }
}

/* Prints text without the report's **bold** and `code` markers, indented. */
static void print_plain(FILE *out, const char *text, const char *indent)
{
    fputs(indent, out);
    for (const char *s = text; *s; s++) {
        if (s[0] == '*' && s[1] == '*') {
            s++;
            continue;
        }
        if (*s == '`')
            continue;
        fputc(*s, out);
        if (*s == '\n' && s[1] != '\n')
            fputs(indent, out);
    }
    fputc('\n', out);
}

/* Creates the folders above dir (mkdir -p of its parent), quietly: a failure
 * shows up in al_report_write's message, which names the folder and why. */
static void make_parents(const char *dir)
{
    char *path = strdup(dir);
    char *slash = path ? strrchr(path, '/') : NULL;
    if (slash && slash != path) {
        *slash = '\0';
        for (char *s = path + 1; *s; s++)
            if (*s == '/') {
                *s = '\0';
                mkdir(path, 0755);
                *s = '/';
            }
        mkdir(path, 0755);
    }
    free(path);
}

static int list(void)
{
    for (size_t i = 0; i < al_study_count(); i++) {
        const al_study *s = al_study_at(i);
        printf("%-22s %s\n", s->name, s->title);
        print_plain(stdout, s->question, "                       ");
        printf("                       quick: %s\n", s->quick);
    }
    printf("\nRun one with `actlab study NAME [--full] [--report DIR]`, or `actlab study all`.\n");
    return 0;
}

int cmd_study(int argc, char **argv)
{
    const char *cmd = "study";
    if (argc < 1)
        return cli_usage_error(cmd, "name a study, `all` or `list`");
    al_study_options o = al_study_options_default();
    const char *report_dir = NULL;
    double rank_timeout = 0;
    const al_study **chosen = calloc(al_study_count() * (size_t)(argc + 1), sizeof *chosen);
    size_t n = 0;
    int rc = 0, want_list = 0;
    cli_data_args data_args;
    cli_data_args_init(&data_args, CLI_DATA_DATA);
    if (!chosen) {
        fprintf(stderr, "actlab study: out of memory\n");
        return 1;
    }
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            cli_data_usage(stdout, CLI_DATA_DATA);
            free(chosen);
            return 0;
        }
        if (cli_data_flag(cmd, &data_args, argc, argv, &i, &rc))
            continue;
        if (strcmp(a, "--full") == 0) {
            o.full = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = 1;
        } else if (strncmp(a, "--", 2) == 0) {
            if (i + 1 >= argc) {
                rc = cli_usage_error(cmd, "%s needs a value", a);
                break;
            }
            const char *v = argv[++i];
            long x;
            if (strcmp(a, "--report") == 0)
                report_dir = v;
            else if (strcmp(a, "--out") == 0)
                o.out_dir = v;
            else if (strcmp(a, "--seeds") == 0) {
                if ((rc = cli_long(cmd, a, v, 2, 1000, &x)) == 0)
                    o.seeds = (size_t)x;
            } else if (strcmp(a, "--jobs") == 0) {
                if ((rc = cli_long(cmd, a, v, 1, 1000, &x)) == 0)
                    o.jobs = (int)x;
            } else if (strcmp(a, "--rank-timeout") == 0) {
                rc = cli_double_above(cmd, a, v, 0, 1e9, &rank_timeout);
            } else
                rc = cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (strcmp(a, "list") == 0) {
            want_list = 1;
        } else if (strcmp(a, "all") == 0) {
            for (size_t k = 0; k < al_study_count(); k++)
                chosen[n++] = al_study_at(k);
        } else {
            al_error err = {0};
            const al_study *s = al_study_find(a, &err);
            if (!s) {
                fprintf(stderr, "actlab study: %s\n", err.message);
                rc = 2;
            } else
                chosen[n++] = s;
        }
    }
    if (rc == 0 && want_list) {
        free(chosen);
        return n ? cli_usage_error(cmd, "`list` takes no study names") : list();
    }
    if (rc == 0 && n == 0)
        rc = cli_usage_error(cmd, "name a study (see `actlab study list`) or `all`");
    if (rc) {
        free(chosen);
        return rc;
    }
    /* --data fashion-mnist is the package's folder, as for train; a folder is taken as it is */
    if (data_args.data && strcmp(data_args.data, "fashion-mnist") != 0) {
        struct stat sb;
        if (stat(data_args.data, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            free(chosen);
            return cli_usage_error(cmd, "--data takes 'fashion-mnist' or a folder holding its files, got '%s'",
                                   data_args.data);
        }
        o.data_dir = data_args.data;
    }
    /* with MPI every rank runs the studies (each comparison's jobs shared among them); rank 0 alone
     * prints and writes */
    al_cluster *cluster = NULL;
    if ((rc = cli_cluster_start(cmd, rank_timeout, &cluster)) != 0) {
        free(chosen);
        return rc;
    }
    int root = al_cluster_rank(cluster) == 0;
    o.cluster = cluster;
    o.quiet = o.quiet || !root;
    if (!root)
        report_dir = NULL;
    cli_cluster_on_stop(cmd, cluster, o.out_dir);
    al_error err = {0};
    al_report *report = NULL;
    /* the report folder is checked by writing a placeholder page before any training */
    if (report_dir) {
        al_status st = al_report_create("actlab studies", &report, &err);
        if (st == AL_OK)
            st = al_report_note(report, "The studies are running; this page is replaced when they finish.", &err);
        make_parents(report_dir);
        if (st == AL_OK)
            st = al_report_write(report, report_dir, &err);
        al_report_free(report);
        report = NULL;
        if (st == AL_OK)
            st = al_report_create("actlab studies", &report, &err);
        if (st == AL_OK) {
            char note[512];
            snprintf(note, sizeof note,
                     "%s budget on Fashion-MNIST (standardised). Verdicts are computed from the numbers below: arms "
                     "at their own tuned learning rates and matched inits, paired by seed, exact sign-flip tests "
                     "at p < %g with Holm across each study's comparisons. Job results: `%s`.",
                     o.full ? "Full" : "Quick", AL_STUDY_ALPHA, o.out_dir);
            st = al_report_note(report, note, &err);
        }
        if (st != AL_OK) {
            al_report_free(report);
            free(chosen);
            al_cluster_free(cluster);
            return cli_fail(cmd, &err);
        }
    }
    if (o.full && !o.quiet)
        fprintf(stderr, "actlab study: the full budget trains %zu stud%s on all 60000 training rows with at least 10 "
                "seeds per arm, more epochs and a 7-point learning-rate grid: it may take hours on 2 cores. Finished "
                "jobs are kept in %s, so an interrupted run continues where it stopped.\n", n, n == 1 ? "y" : "ies",
                o.out_dir);
    cli_progress shown = {0};
    o.progress = cli_print_progress;
    o.progress_context = &shown;
    al_study_data *data = NULL;
    if (al_study_data_create(o.data_dir, &data, &err) != AL_OK) {
        al_report_free(report);
        free(chosen);
        al_cluster_free(cluster);
        return cli_fail(cmd, &err);
    }
    al_study_result *results = calloc(n, sizeof *results);
    int *ok = calloc(n, sizeof *ok);
    if (!results || !ok) {
        fprintf(stderr, "actlab study: out of memory\n");
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!o.quiet)
            fprintf(stderr, "== study %zu/%zu: %s (%s budget)\n", i + 1, n, chosen[i]->name, o.full ? "full" : "quick");
        al_error e = {0};
        if (al_study_run(chosen[i], &o, data, report, &results[i], &e) == AL_OK) {
            ok[i] = 1;
            if (!o.quiet)
                fprintf(stderr, "== %s done in %.0f s: %s\n", chosen[i]->name, results[i].seconds,
                        label(results[i].kind));
        } else {
            cli_print_error(cmd, &e, study_flags);
            if (report) /* keep the report's record of what failed */
                al_report_verdict(report, AL_VERDICT_INCONCLUSIVE, e.message, NULL);
        }
    }
    if (results && ok && !root) {
        for (size_t i = 0; i < n; i++)
            rc = ok[i] ? rc : 1;
    } else if (results && ok) {
        printf("\nFindings (%s budget):\n", o.full ? "full" : "quick");
        for (size_t i = 0; i < n; i++) {
            if (!ok[i]) {
                printf("\n%s: FAILED (see the message above)\n", chosen[i]->name);
                rc = 1;
                continue;
            }
            printf("\n%s [%s] (%.0f s)\n", chosen[i]->name, label(results[i].kind), results[i].seconds);
            print_plain(stdout, results[i].verdict, "  ");
        }
    }
    if (report) {
        char url[4200];
        if (al_report_write(report, report_dir, &err) != AL_OK)
            rc = cli_fail(cmd, &err);
        else if (al_report_url(report_dir, url, sizeof url, &err) == AL_OK)
            printf("\nreport: %s\n", url);
    }
    al_report_free(report);
    al_study_data_free(data);
    free(results);
    free(ok);
    free(chosen);
    al_cluster_free(cluster);
    return rc;
}
