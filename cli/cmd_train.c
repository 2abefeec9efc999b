/* `actlab train`: options, progress on the terminal, Ctrl-C with a resumable
 * checkpoint, and the final line (plus the probes' summary). */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actlab/train.h"
#include "cli.h"

static const char train_usage[] =
    "usage: actlab train --model SPEC --data fashion-mnist [options]\n"
    "Trains a model written the way PyTorch prints it, e.g.\n"
    "  --model 'Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10)'\n"
    "  --model @model.txt      (read the spec from a file)\n"
    "data:\n"
    "  --data fashion-mnist    the Debian package's files (apt-get install dataset-fashion-mnist)\n"
    "  --train DATA --test DATA  DATA is X.npy,Y.npy | IMAGES.idx[.gz],LABELS.idx[.gz] | FILE.csv[:LABEL]\n"
    "  --standardize           scale features to mean 0, std 1 (statistics of the training set)\n"
    "  --val N                 hold out the last N training rows and report them as the test set\n"
    "model:\n"
    "  --init FILE.safetensors start from these weights (names as PyTorch's state_dict)\n"
    "  --init-scheme NAME      pytorch (default), xavier-uniform, xavier-normal,\n"
    "                          kaiming-uniform, kaiming-normal, lecun-normal\n"
    "optimisation:\n"
    "  --epochs N (10) | --steps N   --batch N (128)\n"
    "  --opt sgd|adam|adamw|rmsprop (sgd)   --lr X   --momentum X   --weight-decay X\n"
    "  --nesterov   --schedule constant|step:S:G|cosine[:T]|warmup:N,MAIN (constant, stepped per batch)\n"
    "  --clip-norm X           clip the global gradient norm\n"
    "  --decay-all             weight decay on PReLU slopes and BatchNorm parameters too\n"
    "  --seed N (0)   --threads N (all cores)   --no-shuffle\n"
    "output:\n"
    "  --save FILE.safetensors  the final weights (PyTorch-loadable)\n"
    "  --checkpoint-dir DIR  --resume   checkpoint each epoch; continue from the last one\n"
    "  --log FILE.jsonl  metrics per epoch   --quiet  no progress\n"
    "probes (docs/probes.md):\n"
    "  --probe                 record per-layer statistics: dead units, sparsity, centring, kink hits,\n"
    "                          derivative histogram, saturation, gradient norms, update ratios, PReLU slopes\n"
    "  --probe-every N (100)   a probe point every N steps, plus each epoch end\n"
    "  --probe-log FILE.jsonl  where the records go (probes.jsonl); a summary table is printed at the end\n"
    "Ctrl-C stops after the current step and saves a checkpoint (to --checkpoint-dir, else\n"
    "actlab-interrupted/), then prints the command that resumes.\n";

typedef struct train_args {
    const char *model, *init, *save, *checkpoint_dir, *log, *probe_log;
    cli_data_args data;
    al_train_options o;
    al_net_options net;
    al_probe_options probe;
    int quiet, resume, probing;
} train_args;

/* The flags of the option fields a library error may name. */
static const cli_flag train_flags[] = {
    {"train.batch", "--batch"},
    {"train.epochs", "--epochs"},
    {"train.seed", "--seed"},
    {"train.checkpoint_dir", "--checkpoint-dir"},
    {"probe.every", "--probe-every"},
    {"probe.log_path", "--probe-log"},
    {NULL, NULL},
};

static void format_seconds(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else
        snprintf(buf, size, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
}

typedef struct progress_ctx {
    int tty, quiet;
    double last_draw;
} progress_ctx;

static void on_progress(const al_train_progress *p, void *context)
{
    progress_ctx *c = context;
    if (c->quiet)
        return;
    char eta[32];
    format_seconds(p->eta_seconds, eta, sizeof eta);
    if (p->epoch_end) {
        if (c->tty)
            fprintf(stderr, "\r\033[K");
        fprintf(stderr, "epoch %ld/%ld  step %ld/%ld  loss %.4f  acc %.4f", p->epoch, p->epochs, p->step,
                p->steps, p->loss, p->accuracy);
        if (!isnan(p->test_accuracy))
            fprintf(stderr, "  test loss %.4f  test acc %.4f", p->test_loss, p->test_accuracy);
        fprintf(stderr, "  %.0f samples/s\n", p->samples_per_second);
        return;
    }
    if (!c->tty || p->seconds - c->last_draw < 0.1)
        return;
    c->last_draw = p->seconds;
    fprintf(stderr, "\r\033[Kepoch %ld/%ld  step %ld/%ld  loss %.4f  acc %.4f  %.0f samples/s  ETA %s",
            p->epoch, p->epochs, p->step, p->steps, p->loss, p->accuracy, p->samples_per_second, eta);
}

/* Checks before training that the folder of an output file exists and can
 * be written, so a long run does not fail only at its end. */
static int check_output_dir(const char *cmd, const char *flag, const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        fprintf(stderr, "actlab %s: out of memory\n", cmd);
        return 1;
    }
    const char *dir = copy;
    char *slash = strrchr(copy, '/');
    if (!slash)
        dir = ".";
    else if (slash == copy)
        copy[1] = '\0';
    else
        *slash = '\0';
    struct stat sb;
    int e = stat(dir, &sb) != 0 ? errno : !S_ISDIR(sb.st_mode) ? ENOTDIR : access(dir, W_OK | X_OK) != 0 ? errno : 0;
    if (e != 0)
        fprintf(stderr, "actlab %s: cannot write %s '%s': %s (the folder '%s'; checked before training: create it "
                "or choose another path)\n", cmd, flag, path, strerror(e), dir);
    free(copy);
    return e != 0;
}

/* Ctrl-C: the one piece of global state, because a signal handler can reach
 * nothing else. The first SIGINT asks the loop to stop after the current
 * step; SA_RESETHAND makes a second one end the process at once. */
static volatile sig_atomic_t interrupt_requested;

static void on_sigint(int sig)
{
    (void)sig;
    interrupt_requested = 1;
}

/* al_train_options.should_stop: the flag on_sigint raises. */
static int stop_on_sigint(void *context)
{
    (void)context;
    return interrupt_requested != 0;
}

static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* Prints the command line that resumes an interrupted run. */
static void print_resume(int argc, char **argv, const char *dir, int has_dir, int has_resume)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:@+";
    fprintf(stderr, "to continue, run:\n  actlab train");
    for (int i = 0; i < argc; i++) {
        const char *v = argv[i];
        if (v[0] && strspn(v, plain) == strlen(v)) {
            fprintf(stderr, " %s", v);
            continue;
        }
        fputs(" '", stderr);
        for (; *v; v++) {
            if (*v == '\'')
                fputs("'\\''", stderr);
            else
                fputc(*v, stderr);
        }
        fputc('\'', stderr);
    }
    if (!has_dir)
        fprintf(stderr, " --checkpoint-dir %s", dir);
    fprintf(stderr, "%s\n", has_resume ? "" : " --resume");
}

/* --threads bounds actlab's OpenMP work, oneDNN's products included. */
static void set_threads(int threads)
{
    if (threads > 0)
        omp_set_num_threads(threads);
}

int cmd_train(int argc, char **argv)
{
    const char *cmd = "train";
    train_args a;
    memset(&a, 0, sizeof a);
    a.o = al_train_options_default();
    a.net = al_net_options_default();
    a.probe = al_probe_options_default();
    a.probe_log = "probes.jsonl";
    const char *opt_name = NULL;
    double lr = NAN, momentum = NAN, wd = NAN, clip = 0;
    int nesterov = 0, decay_all = 0;
    long threads = 0;
    const char *schedule = NULL;
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i];
        if (cli_is_help(f)) {
            fputs(train_usage, stdout);
            return 0;
        }
        if (strcmp(f, "--no-shuffle") == 0) { a.o.shuffle = 0; continue; }
        if (strcmp(f, "--resume") == 0) { a.resume = 1; continue; }
        if (strcmp(f, "--quiet") == 0) { a.quiet = 1; continue; }
        if (strcmp(f, "--standardize") == 0) { a.data.standardize = 1; continue; }
        if (strcmp(f, "--nesterov") == 0) { nesterov = 1; continue; }
        if (strcmp(f, "--decay-all") == 0) { decay_all = 1; continue; }
        if (strcmp(f, "--probe") == 0) { a.probing = 1; continue; }
        if (strncmp(f, "--", 2) != 0)
            return cli_usage_error(cmd, "unexpected argument '%s'", f);
        if (i + 1 >= argc)
            return cli_usage_error(cmd, "%s needs a value", f);
        const char *v = argv[++i];
        long x;
        int rc = 0;
        if (strcmp(f, "--model") == 0) a.model = v;
        else if (strcmp(f, "--data") == 0) a.data.data = v;
        else if (strcmp(f, "--train") == 0) a.data.train = v;
        else if (strcmp(f, "--test") == 0) a.data.test = v;
        else if (strcmp(f, "--init") == 0) a.init = v;
        else if (strcmp(f, "--save") == 0) a.save = v;
        else if (strcmp(f, "--checkpoint-dir") == 0) a.checkpoint_dir = v;
        else if (strcmp(f, "--log") == 0) a.log = v;
        else if (strcmp(f, "--probe-log") == 0) { a.probe_log = v; a.probing = 1; }
        else if (strcmp(f, "--probe-every") == 0) {
            rc = cli_long(cmd, f, v, 1, 1000000000, &x);
            a.probe.every = x;
            a.probing = 1;
        }
        else if (strcmp(f, "--opt") == 0) opt_name = v;
        else if (strcmp(f, "--schedule") == 0) schedule = v;
        else if (strcmp(f, "--init-scheme") == 0) {
            al_error err = {0};
            if (al_init_scheme_parse(v, &a.net.init, &err) != AL_OK)
                return cli_usage_error(cmd, "--init-scheme: %s", err.message);
        } else if (strcmp(f, "--epochs") == 0) { rc = cli_long(cmd, f, v, 1, 1000000, &x); a.o.epochs = x; }
        else if (strcmp(f, "--steps") == 0) { rc = cli_long(cmd, f, v, 1, 1000000000, &x); a.o.steps = x; }
        else if (strcmp(f, "--batch") == 0) { rc = cli_long(cmd, f, v, 1, 1 << 20, &x); a.o.batch = (size_t)x; }
        else if (strcmp(f, "--seed") == 0) { rc = cli_long(cmd, f, v, 0, 2147483647L, &x); a.o.seed = (uint64_t)x; a.net.seed = (uint64_t)x; }
        else if (strcmp(f, "--threads") == 0) { rc = cli_long(cmd, f, v, 1, 1024, &threads); }
        else if (strcmp(f, "--val") == 0) { rc = cli_long(cmd, f, v, 1, 100000000, &a.data.val); }
        else if (strcmp(f, "--lr") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &lr);
        else if (strcmp(f, "--momentum") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &momentum);
        else if (strcmp(f, "--weight-decay") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &wd);
        else if (strcmp(f, "--clip-norm") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &clip);
        else return cli_usage_error(cmd, "unknown option '%s'", f);
        if (rc)
            return rc;
    }
    if (!a.model)
        return cli_usage_error(cmd, "--model SPEC is required, e.g. --model 'Linear(784, 10)'");
    if (!a.data.data && !a.data.train)
        return cli_usage_error(cmd, "give --data fashion-mnist or --train DATA [--test DATA]");
    if (a.data.data && (a.data.train || a.data.test))
        return cli_usage_error(cmd, "--data and --train/--test exclude each other");
    if (a.resume && !a.checkpoint_dir)
        return cli_usage_error(cmd, "--resume needs --checkpoint-dir DIR");
    al_error err = {0};
    al_optim_kind kind = AL_OPT_SGD;
    if (opt_name && al_optim_parse_kind(opt_name, &kind, &err) != AL_OK)
        return cli_usage_error(cmd, "--opt: %s", err.message);
    a.o.optim = al_optim_options_for(kind);
    if (kind == AL_OPT_SGD)
        a.o.optim.lr = 0.01;
    if (!isnan(lr)) a.o.optim.lr = lr;
    if (!isnan(momentum)) a.o.optim.momentum = momentum;
    if (!isnan(wd)) a.o.optim.weight_decay = wd;
    a.o.optim.nesterov = nesterov;
    a.o.optim.decay_all = decay_all;
    a.o.clip_norm = clip;
    if (schedule && al_schedule_parse(schedule, &a.o.schedule, &err) != AL_OK)
        return cli_usage_error(cmd, "--schedule: %s", err.message);
    a.o.checkpoint_dir = a.checkpoint_dir;
    a.o.resume = a.resume;
    a.o.log_path = a.log;
    a.net.threads = (int)threads;
    set_threads((int)threads);

    if (a.save && check_output_dir(cmd, "--save", a.save))
        return 1;
    char *owned = NULL;
    const char *spec;
    if (cli_model_text(cmd, a.model, &owned, &spec))
        return 1;
    al_net *net = NULL;
    al_dataset *train = NULL, *test = NULL;
    al_probe *probe = NULL;
    int rc = 1;
    if (al_net_create(spec, &a.net, &net, &err) != AL_OK) {
        fprintf(stderr, "actlab train: --model: %s\n", err.message);
        rc = 2;
        goto done;
    }
    if (a.init && al_net_load(net, a.init, &err) != AL_OK) {
        fprintf(stderr, "actlab train: --init: %s\n", err.message);
        goto done;
    }
    if ((rc = cli_load_sets(cmd, &a.data, &train, &test)) != 0)
        goto done;
    rc = 1;
    if (a.probing) {
        a.probe.log_path = a.probe_log;
        a.probe.append = a.resume;
        if (al_probe_create(net, &a.probe, &probe, &err) != AL_OK) {
            rc = cli_fail_flags(cmd, &err, train_flags);
            goto done;
        }
        a.o.probe = probe;
        if (!a.quiet)
            fprintf(stderr, "probes every %ld steps and at each epoch end -> %s\n", a.probe.every, a.probe_log);
    }
    interrupt_requested = 0;
    a.o.should_stop = stop_on_sigint;
    a.o.interrupt_dir = "actlab-interrupted";
    catch_sigint();
    progress_ctx pc = {isatty(2), a.quiet, -1};
    if (!a.quiet)
        fprintf(stderr, "training %s on %s (%zu examples, %zu features, %d classes): %s lr %g, batch %zu\n",
                a.model[0] == '@' ? a.model : "the model", al_dataset_name(train), al_dataset_count(train),
                al_dataset_features(train), al_dataset_classes(train), al_optim_kind_name(kind),
                a.o.optim.lr, a.o.batch);
    al_train_progress last;
    al_status st = al_train(net, train, test, &a.o, on_progress, &pc, &last, &err);
    signal(SIGINT, SIG_DFL);
    if (st != AL_OK) {
        if (pc.tty && !a.quiet)
            fprintf(stderr, "\n");
        if (st == AL_ERR_INTERRUPTED) {
            cli_print_error(cmd, &err, train_flags);
            if (strstr(err.message, "the checkpoint is in"))
                print_resume(argc, argv, a.o.interrupt_dir, a.checkpoint_dir != NULL, a.resume);
            rc = 130;
        } else if (st == AL_ERR_NUMERIC) { /* divergence: the message advises these two options */
            fprintf(stderr, "actlab %s: %s (--lr, --clip-norm)\n", cmd, err.message);
            rc = 1;
        } else
            rc = cli_fail_flags(cmd, &err, train_flags);
        goto done;
    }
    if (a.save && al_net_save(net, a.save, &err) != AL_OK) {
        rc = cli_fail_flags(cmd, &err, train_flags);
        goto done;
    }
    printf("final: epoch %ld  step %ld  train loss %.4f  train acc %.4f", last.epoch, last.step, last.loss,
           last.accuracy);
    if (!isnan(last.test_accuracy))
        printf("  test loss %.4f  test acc %.4f", last.test_loss, last.test_accuracy);
    printf("  (%.1f s)\n", last.seconds);
    if (probe)
        al_probe_print_summary(probe, net, stdout);
    rc = 0;
done:
    al_probe_free(probe);
    al_net_free(net);
    al_dataset_free(train);
    al_dataset_free(test);
    free(owned);
    return rc;
}
