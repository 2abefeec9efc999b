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

/* Loads X.npy,Y.npy | IMAGES,LABELS (IDX) | FILE.csv[:LABEL]. */
al_status cli_load_data(const char *spec, al_dataset **out, al_error *err);

/* Prints "actlab <cmd>: <message>" for err to stderr and returns 1 (or 2 for
 * usage errors, AL_ERR_INVALID). */
int cli_fail(const char *cmd, const al_error *err);

/* Prints a printf-style usage error for cmd and a hint to run --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when arg is -h or --help. */
int cli_is_help(const char *arg);

#endif
