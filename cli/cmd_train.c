/* `actlab train`: options, progress on the terminal, Ctrl-C with a resumable
 * checkpoint, the model file with what it needs to be used again (spec,
 * classes, preprocessing), and the final line (plus the probes' summary). A
 * failed run leaves no empty file or folder behind. */
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

static const char usage_head[] =
    "usage: actlab train --model SPEC (--data fashion-mnist | --train DATA) [options]\n"
    "Trains a model written the way PyTorch prints it, e.g.\n"
    "  --model 'Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10)'\n"
    "  --model @model.txt      (read the spec from a file)\n"
    "data:\n";

static const char usage_tail[] =
    "model:\n"
    "  --init FILE.safetensors start from these weights (names as PyTorch's state_dict)\n"
    "  --init-scheme NAME      pytorch (default), xavier-uniform, xavier-normal,\n"
    "                          kaiming-uniform, kaiming-normal, lecun-normal\n"
    "  --loss cross-entropy|mse|bce  (default: mse for real-valued targets, bce for one output\n"
    "                          and labels 0/1, else cross-entropy)\n"
    "optimisation:\n"
    "  --epochs N (10) | --steps N   --batch N (128)\n"
    "  --opt sgd|adam|adamw|rmsprop (sgd)   --lr X   --momentum X   --weight-decay X\n"
    "  --nesterov   --schedule constant|step:S:G|cosine[:T]|warmup:N,MAIN (constant, stepped per batch)\n"
    "  --clip-norm X           clip the global gradient norm\n"
    "  --decay-all             weight decay on PReLU slopes and BatchNorm parameters too\n"
    "  --divergence X (1e4)    stop when a step's loss exceeds X times the first step's (0: only\n"
    "                          a non-finite loss stops)\n"
    "  --early-stop N          stop after N epochs without a better validation metric (needs --val)\n"
    "  --keep-best             end with the best validation epoch's weights (needs --val)\n"
    "  --seed N (0)   --threads N (all cores)   --no-shuffle\n"
    "output:\n"
    "  --save FILE.safetensors  the final weights (PyTorch-loadable), with the spec, loss, classes\n"
    "                          and standardisation in its metadata for eval and predict\n"
    "  --checkpoint-dir DIR  --resume   checkpoint each epoch; continue from the last one\n"
    "  --log FILE.jsonl  metrics per epoch   --quiet  no progress\n"
    "probes (docs/probes.md):\n"
    "  --probe                 record per-layer statistics: dead units, sparsity, centring, kink hits,\n"
    "                          derivative histogram, saturation, gradient norms, update ratios, PReLU slopes\n"
    "  --probe-every N (100)   a probe point every N steps, plus each epoch end\n"
    "  --probe-log FILE.jsonl  where the records go (default: beside --save as NAME.probes.jsonl,\n"
    "                          else in --checkpoint-dir, else probes.jsonl)\n"
    "Ctrl-C stops after the current step and saves a checkpoint (to --checkpoint-dir, else\n"
    "actlab-interrupted/), then prints the command that resumes.\n";

typedef struct train_args {
    const char *model, *init, *save, *checkpoint_dir, *log, *probe_log, *loss;
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
    {"train.loss", "--loss"},
    {"train.optim", "--opt"},
    {"train.validation", "--val"},
    {"train.log_path", "--log"},
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

/* " NAME loss X acc Y" or " NAME loss X r2 Y" for one evaluated set. */
static void print_set(FILE *out, const char *name, double loss, double accuracy, double r2)
{
    char a[32], b[32];
    if (isnan(loss))
        return;
    fprintf(out, "  %s loss %s", name, cli_num(loss, a, sizeof a));
    if (!isnan(accuracy))
        fprintf(out, "  %s acc %.4f", name, accuracy);
    else if (!isnan(r2))
        fprintf(out, "  %s r2 %s", name, cli_num(r2, b, sizeof b));
}

static void on_progress(const al_train_progress *p, void *context)
{
    progress_ctx *c = context;
    if (c->quiet)
        return;
    char eta[32], loss[32];
    format_seconds(p->eta_seconds, eta, sizeof eta);
    cli_num(p->loss, loss, sizeof loss);
    if (p->epoch_end) {
        if (c->tty)
            fprintf(stderr, "\r\033[K");
        fprintf(stderr, "epoch %ld/%ld  step %ld/%ld  loss %s", p->epoch, p->epochs, p->step, p->steps, loss);
        if (!isnan(p->accuracy))
            fprintf(stderr, "  acc %.4f", p->accuracy);
        print_set(stderr, "val", p->val_loss, p->val_accuracy, p->val_r2);
        print_set(stderr, "test", p->test_loss, p->test_accuracy, p->test_r2);
        fprintf(stderr, "  %.0f samples/s", p->samples_per_second);
        if (p->stopped_early)
            fprintf(stderr, "  (early stop: no better validation epoch since %ld)", p->best_epoch);
        fprintf(stderr, "\n");
        return;
    }
    if (!c->tty || p->seconds - c->last_draw < 0.1)
        return;
    c->last_draw = p->seconds;
    fprintf(stderr, "\r\033[Kepoch %ld/%ld  step %ld/%ld  loss %s  %.0f samples/s  ETA %s", p->epoch, p->epochs,
            p->step, p->steps, loss, p->samples_per_second, eta);
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

/* Prints one word of a command line, quoted for a POSIX shell when it must be. */
static void print_word(const char *v)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:@+";
    if (v[0] && strspn(v, plain) == strlen(v)) {
        fprintf(stderr, " %s", v);
        return;
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

/* Prints the command line that resumes an interrupted run, starting with
 * the program as it was invoked (program). */
static void print_resume(const char *program, int argc, char **argv, const char *dir, int has_dir, int has_resume)
{
    fprintf(stderr, "to continue, run:\n ");
    print_word(program);
    print_word("train");
    for (int i = 0; i < argc; i++)
        print_word(argv[i]);
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

/* The outputs a run may create, and whether they existed before it: on a
 * failure those it created are removed when they hold nothing. */
typedef struct outputs {
    const char *paths[4];
    int existed[4], is_dir[4];
    int count;
} created_outputs;

static void note_output(created_outputs *w, const char *path, int is_dir)
{
    struct stat sb;
    if (!path || w->count >= 4)
        return;
    w->paths[w->count] = path;
    w->existed[w->count] = stat(path, &sb) == 0;
    w->is_dir[w->count++] = is_dir;
}

static void remove_empty_outputs(const created_outputs *w)
{
    struct stat sb;
    for (int i = 0; i < w->count; i++) {
        if (w->existed[i] || stat(w->paths[i], &sb) != 0)
            continue;
        if (w->is_dir[i])
            rmdir(w->paths[i]); /* fails, as it should, when it holds a checkpoint */
        else if (sb.st_size == 0)
            unlink(w->paths[i]);
    }
}

/* The default probe log: NAME.probes.jsonl beside --save, else in
 * --checkpoint-dir, else probes.jsonl here. */
static const char *probe_log_path(const train_args *a, char *buf, size_t size)
{
    if (a->save) {
        size_t len = strlen(a->save);
        const char *dot = strrchr(a->save, '.'), *slash = strrchr(a->save, '/');
        if (dot && (!slash || dot > slash))
            len = (size_t)(dot - a->save);
        snprintf(buf, size, "%.*s.probes.jsonl", (int)len, a->save);
    } else if (a->checkpoint_dir) {
        snprintf(buf, size, "%s/probes.jsonl", a->checkpoint_dir);
    } else {
        snprintf(buf, size, "probes.jsonl");
    }
    return buf;
}

/* Parses one option of train's own (not a data flag); returns 0, or the
 * exit status of a usage error. num gets --lr, --momentum, --weight-decay. */
static int parse_option(const char *cmd, train_args *a, int argc, char **argv, int *i, double *num, long *threads,
                        const char **opt_name, const char **schedule)
{
    const char *f = argv[*i];
    if (strcmp(f, "--no-shuffle") == 0) { a->o.shuffle = 0; return 0; }
    if (strcmp(f, "--resume") == 0) { a->resume = 1; return 0; }
    if (strcmp(f, "--quiet") == 0) { a->quiet = 1; return 0; }
    if (strcmp(f, "--nesterov") == 0) { a->o.optim.nesterov = 1; return 0; }
    if (strcmp(f, "--decay-all") == 0) { a->o.optim.decay_all = 1; return 0; }
    if (strcmp(f, "--probe") == 0) { a->probing = 1; return 0; }
    if (strcmp(f, "--keep-best") == 0) { a->o.keep_best = 1; return 0; }
    if (strncmp(f, "--", 2) != 0)
        return cli_usage_error(cmd, "unexpected argument '%s'", f);
    if (*i + 1 >= argc)
        return cli_usage_error(cmd, "%s needs a value", f);
    const char *v = argv[++*i];
    long x = 0;
    int rc = 0;
    if (strcmp(f, "--model") == 0) a->model = v;
    else if (strcmp(f, "--init") == 0) a->init = v;
    else if (strcmp(f, "--save") == 0) a->save = v;
    else if (strcmp(f, "--checkpoint-dir") == 0) a->checkpoint_dir = v;
    else if (strcmp(f, "--log") == 0) a->log = v;
    else if (strcmp(f, "--loss") == 0) a->loss = v;
    else if (strcmp(f, "--probe-log") == 0) { a->probe_log = v; a->probing = 1; }
    else if (strcmp(f, "--probe-every") == 0) {
        rc = cli_long(cmd, f, v, 1, 1000000000, &x);
        a->probe.every = x;
        a->probing = 1;
    }
    else if (strcmp(f, "--opt") == 0) *opt_name = v;
    else if (strcmp(f, "--schedule") == 0) *schedule = v;
    else if (strcmp(f, "--init-scheme") == 0) {
        al_error err = {0};
        if (al_init_scheme_parse(v, &a->net.init, &err) != AL_OK)
            return cli_usage_error(cmd, "--init-scheme: %s", err.message);
    } else if (strcmp(f, "--epochs") == 0) { rc = cli_long(cmd, f, v, 1, 1000000, &x); a->o.epochs = x; }
    else if (strcmp(f, "--steps") == 0) { rc = cli_long(cmd, f, v, 1, 1000000000, &x); a->o.steps = x; }
    else if (strcmp(f, "--batch") == 0) { rc = cli_long(cmd, f, v, 1, 1 << 20, &x); a->o.batch = (size_t)x; }
    else if (strcmp(f, "--early-stop") == 0) { rc = cli_long(cmd, f, v, 1, 1000000, &x); a->o.early_stop = x; }
    else if (strcmp(f, "--seed") == 0) {
        rc = cli_long(cmd, f, v, 0, 2147483647L, &x);
        a->o.seed = a->net.seed = (uint64_t)x;
    }
    else if (strcmp(f, "--threads") == 0) rc = cli_long(cmd, f, v, 1, 1024, threads);
    else if (strcmp(f, "--lr") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &num[0]);
    else if (strcmp(f, "--momentum") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &num[1]);
    else if (strcmp(f, "--weight-decay") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &num[2]);
    else if (strcmp(f, "--clip-norm") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &a->o.clip_norm);
    else if (strcmp(f, "--divergence") == 0) rc = cli_double(cmd, f, v, 0, INFINITY, &a->o.divergence_factor);
    else return cli_usage_error(cmd, "unknown option '%s'", f);
    return rc;
}

/* The optimiser options from the flags: PyTorch's defaults for the kind,
 * SGD at lr 0.01 (torch has no default there), then what was given. */
static int set_optimizer(const char *cmd, train_args *a, const char *opt_name, const double *num)
{
    al_error err = {0};
    al_optim_kind kind = AL_OPT_SGD;
    if (opt_name && al_optim_parse_kind(opt_name, &kind, &err) != AL_OK)
        return cli_usage_error(cmd, "--opt: %s", err.message);
    int nesterov = a->o.optim.nesterov, decay_all = a->o.optim.decay_all;
    a->o.optim = al_optim_options_for(kind);
    if (kind == AL_OPT_SGD)
        a->o.optim.lr = 0.01;
    if (!isnan(num[0])) a->o.optim.lr = num[0];
    if (!isnan(num[1])) a->o.optim.momentum = num[1];
    if (!isnan(num[2])) a->o.optim.weight_decay = num[2];
    a->o.optim.nesterov = nesterov;
    a->o.optim.decay_all = decay_all;
    return 0;
}

/* The loss: --loss, else the one that suits the data, said aloud. */
static int choose_loss(const char *cmd, train_args *a, const al_dataset *train, size_t outputs)
{
    if (a->loss) {
        al_error err = {0};
        if (al_loss_parse_kind(a->loss, &a->o.loss, &err) != AL_OK)
            return cli_usage_error(cmd, "--loss: %s", err.message);
        return 0;
    }
    a->o.loss = al_default_loss(train, outputs);
    if (!a->quiet && a->o.loss != AL_LOSS_CROSS_ENTROPY)
        fprintf(stderr, "loss: %s (%s; --loss to choose)\n", al_loss_kind_name(a->o.loss),
                !al_dataset_has_labels(train) ? "the targets are real numbers"
                : a->o.loss == AL_LOSS_BCE_WITH_LOGITS ? "one output and labels 0/1"
                                                       : "one output and labels that are not 0/1");
    return 0;
}

/* Writes --save: the weights and what eval and predict need to use them. */
static int save_model(const char *cmd, const train_args *a, const char *spec, al_net *net, const cli_sets *s,
                      const al_train_progress *last)
{
    al_model_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.spec = (char *)spec;
    meta.has_loss = 1;
    meta.loss = a->o.loss;
    meta.classes = al_dataset_has_labels(s->train) ? al_dataset_classes(s->train) : 0;
    int n_names = al_dataset_class_name_count(s->train);
    char **names = n_names ? calloc((size_t)n_names, sizeof *names) : NULL;
    for (int k = 0; names && k < n_names; k++)
        names[k] = (char *)al_dataset_class_name(s->train, k);
    meta.class_names = names;
    meta.n_class_names = names ? n_names : 0;
    if (s->standardized)
        meta.stats = s->stats;
    meta.epochs = last->epoch;
    meta.best_epoch = last->restored_best ? last->best_epoch : 0;
    char data[1024];
    snprintf(data, sizeof data, "%s: train %zu rows%s%s%s%s", a->data.data ? "fashion-mnist" : a->data.train,
             al_dataset_count(s->train), s->val ? "; validation " : "", s->val ? s->val_desc : "",
             s->test ? "; test " : "", s->test ? s->test_desc : "");
    meta.data = data;
    al_error err = {0};
    al_status st = al_model_save(net, &meta, a->save, &err);
    free(names);
    return st == AL_OK ? 0 : cli_fail_flags(cmd, &err, train_flags);
}

static void print_final(const al_train_progress *last)
{
    char loss[32];
    printf("final: epoch %ld  step %ld  train loss %s", last->epoch, last->step, cli_num(last->loss, loss, sizeof loss));
    if (!isnan(last->accuracy))
        printf("  train acc %.4f", last->accuracy);
    print_set(stdout, "val", last->val_loss, last->val_accuracy, last->val_r2);
    print_set(stdout, "test", last->test_loss, last->test_accuracy, last->test_r2);
    printf("  (%.3g s)", last->seconds);
    if (last->restored_best)
        printf("  [weights of epoch %ld, the best on validation]", last->best_epoch);
    printf("\n");
}

int cmd_train(int argc, char **argv)
{
    const char *cmd = "train";
    train_args a;
    memset(&a, 0, sizeof a);
    a.o = al_train_options_default();
    a.net = al_net_options_default();
    a.probe = al_probe_options_default();
    cli_data_args_init(&a.data, CLI_DATA_ALL);
    const char *opt_name = NULL, *schedule = NULL;
    double num[3] = {NAN, NAN, NAN}; /* --lr, --momentum, --weight-decay */
    long threads = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_head, stdout);
            cli_data_usage(stdout, CLI_DATA_ALL);
            fputs(usage_tail, stdout);
            return 0;
        }
        int rc = 0;
        if (!cli_data_flag(cmd, &a.data, argc, argv, &i, &rc))
            rc = parse_option(cmd, &a, argc, argv, &i, num, &threads, &opt_name, &schedule);
        if (rc)
            return rc;
    }
    if (!a.model)
        return cli_usage_error(cmd, "--model SPEC is required, e.g. --model 'Linear(784, 10)'");
    int rc = cli_data_check(cmd, &a.data, CLI_NEED_TRAIN);
    if (rc)
        return rc;
    if (a.resume && !a.checkpoint_dir)
        return cli_usage_error(cmd, "--resume needs --checkpoint-dir DIR");
    if ((a.o.early_stop > 0 || a.o.keep_best) && !a.data.val_fraction && !a.data.val_count)
        return cli_usage_error(cmd, "%s watches the validation rows: add --val FRACTION (e.g. --val 0.1)",
                               a.o.early_stop > 0 ? "--early-stop" : "--keep-best");
    if ((rc = set_optimizer(cmd, &a, opt_name, num)) != 0)
        return rc;
    al_error err = {0};
    if (schedule && al_schedule_parse(schedule, &a.o.schedule, &err) != AL_OK)
        return cli_usage_error(cmd, "--schedule: %s", err.message);
    a.o.checkpoint_dir = a.checkpoint_dir;
    a.o.resume = a.resume;
    a.o.log_path = a.log;
    a.net.threads = (int)threads;
    set_threads((int)threads);
    char probe_default[4200];
    if (a.probing && !a.probe_log)
        a.probe_log = probe_log_path(&a, probe_default, sizeof probe_default);
    const char *checked[3][2] = {{"--save", a.save}, {"--log", a.log}, {"--probe-log", a.probing ? a.probe_log : NULL}};
    for (int k = 0; k < 3; k++)
        if (checked[k][1] && check_output_dir(cmd, checked[k][0], checked[k][1]))
            return 1;
    char *owned = NULL;
    const char *spec;
    if (cli_model_text(cmd, a.model, &owned, &spec))
        return 1;
    al_net *net = NULL;
    cli_sets s;
    memset(&s, 0, sizeof s);
    al_probe *probe = NULL;
    created_outputs created = {0};
    note_output(&created, a.log, 0);
    note_output(&created, a.probing ? a.probe_log : NULL, 0);
    note_output(&created, a.checkpoint_dir, 1);
    note_output(&created, a.checkpoint_dir ? NULL : "actlab-interrupted", 1);
    rc = 1;
    if (al_net_create(spec, &a.net, &net, &err) != AL_OK) {
        fprintf(stderr, "actlab train: --model: %s\n", err.message);
        rc = 2;
        goto done;
    }
    if (a.init && al_net_load(net, a.init, &err) != AL_OK) {
        fprintf(stderr, "actlab train: --init: %s\n", err.message);
        goto done;
    }
    if ((rc = cli_load_sets(cmd, &a.data, NULL, a.quiet, &s)) != 0)
        goto done;
    if ((rc = choose_loss(cmd, &a, s.train, al_net_out_features(net))) != 0)
        goto done;
    rc = 1;
    a.o.validation = s.val;
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
        fprintf(stderr, "training %s on %s (%zu examples, %zu features%s): %s lr %g, batch %zu, loss %s\n",
                a.model[0] == '@' ? a.model : "the model", al_dataset_name(s.train), al_dataset_count(s.train),
                al_dataset_features(s.train), al_dataset_has_labels(s.train) ? ", classes" : ", real-valued targets",
                al_optim_kind_name(a.o.optim.kind), a.o.optim.lr, a.o.batch, al_loss_kind_name(a.o.loss));
    al_train_progress last;
    al_status st = al_train(net, s.train, s.test, &a.o, on_progress, &pc, &last, &err);
    signal(SIGINT, SIG_DFL);
    if (st != AL_OK) {
        if (pc.tty && !a.quiet)
            fprintf(stderr, "\n");
        if (st == AL_ERR_INTERRUPTED) {
            cli_print_error(cmd, &err, train_flags);
            /* main passes argv + 2: argv[-2] is the program as invoked */
            if (strstr(err.message, "the checkpoint is in"))
                print_resume(argv[-2], argc, argv, a.o.interrupt_dir, a.checkpoint_dir != NULL, a.resume);
            rc = 130;
        } else if (st == AL_ERR_NUMERIC) { /* divergence: the message advises these two options */
            fprintf(stderr, "actlab %s: %s (--lr, --clip-norm)\n", cmd, err.message);
            rc = 1;
        } else
            rc = cli_fail_flags(cmd, &err, train_flags);
        goto done;
    }
    if (a.save && (rc = save_model(cmd, &a, spec, net, &s, &last)) != 0)
        goto done;
    print_final(&last);
    if (probe)
        al_probe_print_summary(probe, net, stdout);
    rc = 0;
done:
    al_probe_free(probe);
    if (rc != 0 && rc != 130)
        remove_empty_outputs(&created);
    al_net_free(net);
    cli_sets_free(&s);
    free(owned);
    return rc;
}
