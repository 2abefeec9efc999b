/* actlab: the command-line entry point; dispatches to cmd_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "actlab - train neural networks and measure what their activations do\n"
    "\n"
    "usage: actlab <command> [options]\n"
    "       actlab --version | --help\n"
    "\n"
    "commands:\n"
    "  act list                 the activation table: parameters, kinks, derivatives there\n"
    "  act eval SPEC ...        apply an activation (and its backward) to NPY files\n"
    "  act plot SPEC... ...     plot activations and their derivatives as SVG\n"
    "  train --model SPEC ...   train a model (e.g. on --data fashion-mnist)\n"
    "  eval --weights FILE ...  loss and accuracy per class (or MSE, MAE, R²) on test rows\n"
    "  predict --weights FILE ... predicted classes and probabilities for rows of an NPY or CSV file\n"
    "  gradcheck --model SPEC   check the model's derivatives against float64 differences\n"
    "  compare --acts LIST ...  train arms x seeds in parallel; statistics against a baseline\n"
    "  study list | NAME ...    documented experiments with verdicts and an HTML report\n"
    "  serve [--port 8080]      the playground: watch a network learn in the browser\n"
    "\n"
    "Run `actlab <command> --help` for a command's options; `actlab --version` for the version.\n"
    "Environment: ACTLAB_ISA=auto|generic|avx2|avx512 caps the activation kernels'\n"
    "instruction set; ONEDNN_MAX_CPU_ISA (e.g. AVX2) caps oneDNN's matrix products;\n"
    "OMP_NUM_THREADS sets the default thread count (docs/performance.md).\n";

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("actlab 0.1.0 (kernels: %s)\n", al_isa_name(AL_ISA_AUTO));
        return 0;
    }
    if (strcmp(argv[1], "compare") != 0 && strcmp(argv[1], "study") != 0)
        cli_cluster_note(argv[1]);
    if (strcmp(argv[1], "act") == 0)
        return cmd_act(argc - 2, argv + 2);
    if (strcmp(argv[1], "train") == 0)
        return cmd_train(argc - 2, argv + 2);
    if (strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "gradcheck") == 0) return cmd_gradcheck(argc - 2, argv + 2);
    if (strcmp(argv[1], "compare") == 0)
        return cmd_compare(argc - 2, argv + 2);
    if (strcmp(argv[1], "predict") == 0)
        return cmd_predict(argc - 2, argv + 2);
    if (strcmp(argv[1], "study") == 0)
        return cmd_study(argc - 2, argv + 2);
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    fprintf(stderr, "actlab: unknown command '%s'\n\n%s", argv[1], usage);
    return 2;
}
