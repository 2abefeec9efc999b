/* The actlab command-line tool: one cmd_*.c per subcommand. Each command
 * takes the arguments after its name, prints errors to stderr as
 * "actlab <cmd>: <message>" and returns the process exit status. */
#ifndef ACTLAB_CLI_H
#define ACTLAB_CLI_H

#include "actlab/actlab.h"

/* `actlab act list|eval|plot ...` */
int cmd_act(int argc, char **argv);
/* `actlab act list` */
int cmd_act_list(int argc, char **argv);
/* `actlab act eval SPEC --in x.npy --out y.npy ...` */
int cmd_act_eval(int argc, char **argv);
/* `actlab act plot SPEC [SPEC...] --out FILE.svg [--range -4,4]` */
int cmd_act_plot(int argc, char **argv);

/* `actlab train ...` */
int cmd_train(int argc, char **argv);
/* `actlab eval ...` */
int cmd_eval(int argc, char **argv);
/* `actlab predict ...` */
int cmd_predict(int argc, char **argv);
/* `actlab gradcheck --model SPEC ...` */
int cmd_gradcheck(int argc, char **argv);

/* `actlab compare --acts LIST ...` */
int cmd_compare(int argc, char **argv);
/* `actlab study list | NAME... [--full] [--report DIR]` */
int cmd_study(int argc, char **argv);

/* `actlab serve [--port N] [--host ADDR]`: the playground */
int cmd_serve(int argc, char **argv);

/* ---- args.c: numbers from flag values, errors ---- */

/* Reads a whole number in [lo, hi] from the value of flag into *out; else
 * prints "actlab CMD: FLAG: expected a whole number from LO to HI, got
 * 'TEXT'" and returns 2 (0 when it worked). */
int cli_long(const char *cmd, const char *flag, const char *text, long lo, long hi, long *out);
/* One example's shape "C,H,W" (1 to AL_SHAPE_MAX_RANK positive whole
 * numbers) into *out; a usage error otherwise, as cli_long. */
int cli_shape(const char *cmd, const char *flag, const char *text, al_shape *out);
/* A finite number in [lo, hi] (either may be infinite), as cli_long. */
int cli_double(const char *cmd, const char *flag, const char *text, double lo, double hi, double *out);
/* A finite number in (lo, hi], as cli_long. */
int cli_double_above(const char *cmd, const char *flag, const char *text, double lo, double hi, double *out);

/* One command's spelling of a library option field (al_error.field):
 * {"train.batch", "--batch"}; a table ends with {NULL, NULL}. */
typedef struct cli_flag {
    const char *field;
    const char *flag;
} cli_flag;

/* Prints "actlab <cmd>: [FLAG: ]<message>" for err to stderr: FLAG when
 * flags (may be NULL) maps err's field and the message does not name it. */
void cli_print_error(const char *cmd, const al_error *err, const cli_flag *flags);
/* Prints err as cli_print_error does and returns the exit status: 2 for
 * usage errors (AL_ERR_INVALID, AL_ERR_PARSE), else 1. */
int cli_fail_flags(const char *cmd, const al_error *err, const cli_flag *flags);
/* cli_fail_flags with no table. */
int cli_fail(const char *cmd, const al_error *err);

/* Prints a printf-style usage error for cmd and a hint to run --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when arg is -h or --help. */
int cli_is_help(const char *arg);

/* ---- load.c: the data flags every command shares ---- */

/* Which shared data flags a command takes (cli_data_args.accepted). */
#define CLI_DATA_DATA 0x01u        /* --data */
#define CLI_DATA_TRAIN 0x80u       /* --train */
#define CLI_DATA_TEST 0x02u        /* --test */
#define CLI_DATA_VAL 0x04u         /* --val */
#define CLI_DATA_SPLIT 0x08u       /* --split, --split-seed */
#define CLI_DATA_SUBSET 0x10u      /* --subset */
#define CLI_DATA_STANDARDIZE 0x20u /* --standardize */
#define CLI_DATA_CSV 0x40u         /* --sep, --no-header, --skip-rows */
#define CLI_DATA_ALL 0xffu

typedef struct cli_data_args {
    unsigned accepted;            /* CLI_DATA_* */
    const char *data;             /* --data fashion-mnist | DIR */
    const char *train;            /* --train DATA */
    const char *test;             /* --test DATA | FRACTION | N, as typed */
    int test_is_amount;           /* --test was a share or a row count */
    double test_fraction;         /* --test 0.2 */
    long test_count;              /* --test 30 */
    int no_test;                  /* --test 0 */
    double val_fraction;          /* --val 0.1 */
    long val_count;               /* --val 30 */
    al_split_mode split;          /* --split (when split_given) */
    int split_given;
    long split_seed;              /* --split-seed (0) */
    long subset;                  /* --subset N (0: all rows) */
    int standardize;              /* --standardize */
    int no_header;                /* --no-header */
    long skip_rows;               /* --skip-rows N */
    char sep;                     /* --sep (0: detected) */
} cli_data_args;

/* Zeroes a and sets the flags the command accepts. */
void cli_data_args_init(cli_data_args *a, unsigned accepted);
/* When argv[*i] is a shared data flag: consumes it (and its value, moving
 * *i), sets *rc (0, or the exit status after printing a usage error) and
 * returns 1. Returns 0 for any other argument. A data flag the command does
 * not take is refused with a reason. */
int cli_data_flag(const char *cmd, cli_data_args *a, int argc, char **argv, int *i, int *rc);
/* Prints the help lines of the accepted data flags. */
void cli_data_usage(FILE *out, unsigned accepted);

/* What a command needs of the data flags (cli_data_check). */
#define CLI_NEED_TRAIN 1   /* --data or --train (train, compare) */
#define CLI_NEED_TEST 2    /* a test set: --data, --train (rows held out) or --test FILE (eval, predict) */
/* Checks the data flags against each other; prints and returns 2 on a
 * usage error, else 0. */
int cli_data_check(const char *cmd, const cli_data_args *a, int need);

/* The CSV options of the flags (a may be NULL: everything detected). */
al_csv_options cli_csv_options(const cli_data_args *a);
/* Loads one DATA argument: FILE[:LABEL] (CSV, plain or gzip), X.csv,Y.csv,
 * X.npy,Y.npy or IMAGES,LABELS (IDX); csv may be NULL (defaults). */
al_status cli_load_data_with(const char *spec, const al_csv_options *csv, al_dataset **out, al_error *err);
/* cli_load_data_with with the CSV defaults. */
al_status cli_load_data(const char *spec, al_dataset **out, al_error *err);

/* The data sets of a command: train, validation and test rows (each may
 * be NULL), and the standardisation applied to all of them. */
typedef struct cli_sets {
    al_dataset *train, *val, *test;
    al_feature_stats stats;       /* computed here (length 0 when given or not standardised) */
    int standardized;
    char test_desc[320];          /* "30 rows held out of iris.csv (stratified, split seed 0)" */
    char val_desc[320];
} cli_sets;

/* Loads the sets as a describes (files, held-out rows, --subset), prints
 * what each file turned out to be and how it was split (unless quiet),
 * and standardises all of them with given (a model's stored statistics)
 * or, with --standardize, the training rows' own. Prints why and returns
 * the exit status on failure (0 when it worked). Free with cli_sets_free. */
int cli_load_sets(const char *cmd, const cli_data_args *a, const al_feature_stats *given, int quiet, cli_sets *s);
void cli_sets_free(cli_sets *s);

/* The text of --model: arg itself, or the contents of FILE for @FILE (then
 * *owned holds it, for the caller to free). Returns 0, or 1 after printing
 * why the file could not be read. */
int cli_model_text(const char *cmd, const char *arg, char **owned, const char **text);

/* ---- model.c: model files for eval and predict ---- */

typedef struct cli_model {
    al_net *net;
    al_model_meta meta;
} cli_model;

/* The flags eval and predict share: the data flags, and the model's. */
typedef struct cli_model_args {
    const char *model, *weights; /* --model (optional), --weights */
    long batch;                  /* --batch (256) */
    int quiet;                   /* --quiet */
    cli_data_args data;
} cli_model_args;

void cli_model_args_init(cli_model_args *a);
/* When argv[*i] is one of the shared flags: consumes it (moving *i), sets
 * *rc (0, or the exit status after a usage error) and returns 1; else 0. */
int cli_model_flag(const char *cmd, cli_model_args *a, int argc, char **argv, int *i, int *rc);
/* Prints the help lines of --weights, --model, --batch and --quiet. */
void cli_model_usage(FILE *out);

/* Loads --weights with the spec of --model (NULL: the one the file
 * records); prints what failed, or a note for a file without actlab's
 * metadata (unless quiet), and returns the exit status (0 when it worked). */
int cli_open_model(const char *cmd, const char *model, const char *weights, int quiet, cli_model *m);
/* cli_open_model for a's flags (--weights required), then cli_model_stats:
 * *stats is the standardisation to apply (NULL: none). Returns the exit
 * status (0 when it worked; then free m with cli_model_free). */
int cli_open_model_for(const char *cmd, const cli_model_args *a, cli_model *m, const al_feature_stats **stats);
void cli_model_free(cli_model *m);
/* The stored standardisation to apply (NULL: none), after checking the
 * --standardize flag against the file; prints a note saying which is applied
 * (unless quiet). Returns the exit status through *rc (0 when fine). */
const al_feature_stats *cli_model_stats(const char *cmd, const cli_model *m, const cli_data_args *a, int quiet,
                                        int *rc);
/* The name of class k for output: the model's, else the data's, else NULL. */
const char *cli_class_name(const cli_model *m, const al_dataset *data, int k);

/* ---- format.c: numbers in messages ---- */

/* "nan" for every NaN, "%.4f" for ordinary values, "%.4g" for huge or tiny
 * ones (a diverged loss of 3e36 is not printed with 37 digits). */
const char *cli_num(double v, char *buf, size_t size);

/* ---- progress.c ---- */

/* What the progress lines remember between events (zero-initialise). */
typedef struct cli_progress {
    int ranks;                    /* from the last PLAN: MPI ranks sharing the jobs */
} cli_progress;

/* Prints a comparison's or a study's progress events to stderr as
 * "compare: 2 arms x 5 seeds = ...", "[3/10] ReLU() seed 2: test acc ...",
 * "study: loading Fashion-MNIST from DIR" (an al_progress_fn; context: a
 * cli_progress, or NULL). With several MPI ranks a job's line names its rank. */
void cli_print_progress(const al_progress_event *event, void *context);

/* ---- cluster.c: MPI ---- */

/* Joins the MPI job when a launcher started this process (*out NULL
 * otherwise); rank_timeout_s 0: the default. Prints why it cannot (on rank 0
 * only) and returns the exit status; 0 when it worked. */
int cli_cluster_start(const char *cmd, double rank_timeout_s, al_cluster **out);
/* On rank 0 of several: when the launcher stops the job (SIGTERM), says that
 * the finished jobs are in dir and a re-run continues. */
void cli_cluster_on_stop(const char *cmd, const al_cluster *c, const char *dir);
/* For commands that do not share work: when started as several MPI ranks,
 * says on rank 0 that each rank runs the whole command. */
void cli_cluster_note(const char *cmd);

#endif
