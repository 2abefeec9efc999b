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

/* ---- load.c: data sets and models from arguments ---- */

/* Loads X.npy,Y.npy | IMAGES,LABELS (IDX) | FILE.csv[:LABEL]. */
al_status cli_load_data(const char *spec, al_dataset **out, al_error *err);

/* The data flags train and eval share. */
typedef struct cli_data_args {
    const char *data;          /* --data fashion-mnist */
    const char *train, *test;  /* DATA of --train and --test */
    const char *train_flag;    /* the flag that named train, for messages (NULL: "--train") */
    long val;                  /* --val N: the last N training rows become the test set (0: off) */
    int standardize;           /* --standardize: per-feature, with the training set's statistics */
} cli_data_args;

/* Fills train and test (NULL when not given) as a describes; on failure
 * prints why and returns the exit status (0 when it worked). */
int cli_load_sets(const char *cmd, const cli_data_args *a, al_dataset **train, al_dataset **test);

/* The text of --model: arg itself, or the contents of FILE for @FILE (then
 * *owned holds it, for the caller to free). Returns 0, or 1 after printing
 * why the file could not be read. */
int cli_model_text(const char *cmd, const char *arg, char **owned, const char **text);

/* Builds the net of --model and loads --weights into it; returns the exit
 * status (0 when both worked) after printing what failed. */
int cli_load_model(const char *cmd, const char *model, const char *weights, al_net **net);

/* ---- progress.c ---- */

/* Prints a comparison's or a study's progress events to stderr as
 * "compare: 2 arms x 5 seeds = ...", "[3/10] ReLU() seed 2: test acc ...",
 * "study: loading Fashion-MNIST from DIR" (an al_progress_fn; context unused). */
void cli_print_progress(const al_progress_event *event, void *context);

#endif
