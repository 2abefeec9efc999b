/* The playground server end to end over loopback: `actlab serve --port 0`
 * runs as a child process and is driven through raw sockets. Pages and the
 * activation table; bad parameters of every kind answered 400 with a message
 * (and 403/413/415 for the wrong host, size or type); a run streamed over SSE
 * at 10-30 Hz that learns XOR; a unit killed by construction reported dead;
 * the exports, with the exported `actlab train` command reproducing the
 * weights bit for bit; a closed stream stopping its run; the run limit; and a
 * burst of requests, bounded in count and time, after which the server still
 * answers and its resident memory has stayed flat. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actlab/act.h"
#include "actlab/safetensors.h"
#include "check.h"
#include "http_client.h"

static pid_t server;

static json_t *json_of(const response *r)
{
    return r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
}

/* A POST or GET that must fail with code and a message containing want. */
static void expect_error(const char *what, const char *path, const char *body, int code, const char *want)
{
    response r = body ? post(path, body) : get(path);
    json_t *j = json_of(&r);
    const char *msg = json_string_value(json_object_get(j, "error"));
    CHECK(r.status == code, "%s: status %d, want %d (%s)", what, r.status, code, r.body ? r.body : "");
    CHECK(msg && strstr(msg, want), "%s: message '%s' should mention '%s'", what, msg ? msg : "(none)", want);
    json_decref(j);
    free(r.body);
}

static char *create_run(const char *config)
{
    response r = post("/api/runs", config);
    json_t *j = json_of(&r);
    const char *id = json_string_value(json_object_get(j, "id"));
    char *out = id ? strdup(id) : NULL;
    CHECK(r.status == 200 && out, "create %s: %d %s", config, r.status, r.body ? r.body : "");
    json_decref(j);
    free(r.body);
    return out;
}

static int control(const char *id, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/api/runs/%s/control", id);
    response r = post(path, body);
    free(r.body);
    return r.status;
}

/* Waits for a frame satisfying min_step (and returns it). */
static json_t *frame_at(sse *s, long min_step, double timeout_s)
{
    double end = now_s() + timeout_s;
    char name[32];
    json_t *d;
    while (now_s() < end && sse_next(s, end - now_s(), name, &d)) {
        if (strcmp(name, "frame") == 0 && json_integer_value(json_object_get(d, "step")) >= min_step)
            return d;
        json_decref(d);
    }
    return NULL;
}

static long rss_kib(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)server);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int status_field(const char *field)
{
    response r = get("/api/status");
    json_t *j = json_of(&r);
    int v = (int)json_integer_value(json_object_get(j, field));
    json_decref(j);
    free(r.body);
    return r.status == 200 ? v : -1;
}

static void start_server(void)
{
    int out[2];
    if (pipe(out) != 0)
        return;
    server = fork();
    if (server == 0) {
        /* under AddressSanitizer freed memory waits in a quarantine (256 MiB), which
         * would read as growth; without it RSS measures what the server keeps */
        char asan[512];
        const char *have = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof asan, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0", have ? have : "",
                 have && *have ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
        /* one malloc arena: with one per connection thread, freed memory sits in
         * whichever arena freed it and RSS wanders by megabytes either way */
        setenv("MALLOC_ARENA_MAX", "1", 1);
        dup2(out[1], 1);
        close(out[0]);
        execl(AL_CLI, AL_CLI, "serve", "--port", "0", "--max-runs", "6", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[256] = "";
    FILE *f = fdopen(out[0], "r");
    if (f && fgets(line, sizeof line, f)) {
        char *colon = strstr(line, "127.0.0.1:");
        if (colon)
            port = atoi(colon + 10);
    }
    if (f)
        fclose(f);
    CHECK(port > 0, "the server printed its address: '%s'", line);
}

static void test_pages(void)
{
    CHECK_SECTION("pages and the activation table");
    response r = get("/");
    CHECK(r.status == 200 && r.body && strstr(r.body, "actlab playground"), "GET / serves the page");
    free(r.body);
    const char *files[] = {"/app.js", "/run.js", "/draw.js", "/style.css"};
    for (int i = 0; i < 4; i++) {
        r = get(files[i]);
        CHECK(r.status == 200 && r.len > 100, "GET %s", files[i]);
        free(r.body);
    }
    expect_error("unknown page", "/../etc/passwd", NULL, 404, "no such");
    r = get("/api/activations");
    json_t *j = json_of(&r);
    CHECK(json_array_size(j) == AL_ACT_COUNT, "every activation is listed: %zu", json_array_size(j));
    for (int i = 0; i < AL_ACT_COUNT && (size_t)i < json_array_size(j); i++) {
        const al_act_info *info = al_act_info_of((al_act_id)i);
        json_t *e = json_array_get(j, (size_t)i);
        CHECK(strcmp(json_string_value(json_object_get(e, "name")), info->name) == 0, "name %d", i);
        CHECK(json_is_true(json_object_get(e, "has_kink")) == !!info->has_kink, "%s kink flag", info->name);
        CHECK(json_array_size(json_object_get(e, "params")) == (size_t)info->n_params, "%s params", info->name);
    }
    json_decref(j);
    free(r.body);
    /* the config comes back as sent: values typed with up to 9 digits, text with quotes */
    r = post("/api/runs", "{\"lr\":0.0123,\"momentum\":0.3,\"act\":\"GELU(approximate='tanh')\"}");
    j = json_of(&r);
    json_t *cfg = json_object_get(j, "config");
    CHECK(r.status == 200 && json_real_value(json_object_get(cfg, "lr")) == 0.0123 &&
              json_real_value(json_object_get(cfg, "momentum")) == 0.3 &&
              strcmp(json_string_value(json_object_get(cfg, "act")), "GELU(approximate='tanh')") == 0,
          "the config reads back: %s", r.body ? r.body : "");
    const char *id = json_string_value(json_object_get(j, "id"));
    char close[128];
    snprintf(close, sizeof close, "/api/runs/%s/close", id ? id : "none");
    response c = post(close, "{}");
    CHECK(c.status == 200, "close");
    free(c.body);
    json_decref(j);
    free(r.body);
}

static void test_bad_input(void)
{
    CHECK_SECTION("bad parameters: 400 with a message");
    static const char *const cases[][3] = {
        {"seven hidden layers", "{\"layers\":[1,1,1,1,1,1,1]}", "layers"},
        {"nine units", "{\"layers\":[9]}", "layers[0]"},
        {"zero units", "{\"layers\":[4,0]}", "layers[1]"},
        {"units as text", "{\"layers\":[\"4\"]}", "layers[0]"},
        {"learning rate too high", "{\"lr\":100}", "lr"},
        {"negative learning rate", "{\"lr\":-0.1}", "lr"},
        {"learning rate as text", "{\"lr\":\"0.1\"}", "lr"},
        {"batch 0", "{\"batch\":0}", "batch"},
        {"batch too large", "{\"batch\":100000}", "batch"},
        {"too few points", "{\"samples\":10}", "samples"},
        {"too many points", "{\"samples\":1000000}", "samples"},
        {"noise 60", "{\"noise\":60}", "noise"},
        {"train ratio 95", "{\"train_ratio\":95}", "train_ratio"},
        {"negative seed", "{\"seed\":-1}", "seed"},
        {"no features", "{\"features\":[]}", "features"},
        {"unknown feature", "{\"features\":[\"x3\"]}", "x3"},
        {"a feature twice", "{\"features\":[\"x1\",\"x1\"]}", "twice"},
        {"unknown dataset", "{\"dataset\":\"moons\"}", "dataset"},
        {"unknown activation", "{\"act\":\"Swish()\"}", "act"},
        {"broken activation", "{\"act\":\"ELU(alpha=\"}", "act"},
        {"parameter out of range", "{\"act\":\"Softshrink(lambd=-1)\"}", "lambd"},
        {"activation too long", "{\"act\":\"ReLU(                                                                                                                                                                         )\"}", "act"},
        {"PReLU slopes that do not fit", "{\"act\":\"PReLU(num_parameters=3)\",\"layers\":[4]}", "PReLU"},
        {"unknown optimizer", "{\"opt\":\"lbfgs\"}", "opt"},
        {"regularisation rate", "{\"reg_rate\":11}", "reg_rate"},
        {"unknown init", "{\"init\":\"zeros\"}", "init"},
        {"speed 0", "{\"speed\":0}", "speed"},
        {"batchnorm as number", "{\"batchnorm\":1}", "batchnorm"},
        {"unknown field", "{\"layerz\":[2]}", "layerz"},
        {"a field named with quotes and control characters", "{\"a\\\"b\\\\c\\nd\\u0001\":1}", "'a\"b\\c\nd\x01'"},
        {"duplicate field", "{\"lr\":0.1,\"lr\":0.2}", "JSON"},
        {"not JSON", "layers=2", "JSON"},
        {"not an object", "[1,2]", "object"},
        {"Fashion-MNIST units", "{\"mode\":\"fashion\",\"layers\":[200]}", "layers[0]"},
        {"unknown mode", "{\"mode\":\"3d\"}", "mode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i][0], "/api/runs", cases[i][1], 400, cases[i][2]);
    char big[20000];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    expect_error("a 20 kB body", "/api/runs", big, 413, "16 KiB");
    response r = request("POST", "/api/runs", "{}", "Host: 127.0.0.1\r\nContent-Type: text/plain\r\n");
    CHECK(r.status == 415, "a POST without the JSON type is refused: %d", r.status);
    free(r.body);
    r = request("GET", "/api/status", NULL, "Host: attacker.example\r\n");
    CHECK(r.status == 403, "another site's Host is refused: %d", r.status);
    free(r.body);
    r = request("DELETE", "/api/status", NULL, NULL);
    CHECK(r.status == 405, "DELETE is refused: %d", r.status);
    free(r.body);
    expect_error("unknown run", "/api/runs/0123456789abcdef/control", "{\"action\":\"play\"}", 404, "no such run");
    char *id = create_run("{\"dataset\":\"xor\"}");
    if (!id)
        return;
    char path[128];
    snprintf(path, sizeof path, "/api/runs/%s/control", id);
    expect_error("unknown action", path, "{\"action\":\"jump\"}", 400, "action");
    expect_error("too many steps", path, "{\"action\":\"step\",\"steps\":5000}", 400, "steps");
    snprintf(path, sizeof path, "/api/runs/%s/edit", id);
    expect_error("edit an absent unit", path, "{\"layer\":1,\"unit\":4,\"bias\":1}", 400, "unit");
    expect_error("edit an absent layer", path, "{\"layer\":9,\"unit\":0,\"bias\":1}", 400, "layer");
    expect_error("edit to a huge value", path, "{\"layer\":1,\"unit\":0,\"bias\":1e9}", 400, "value");
    expect_error("edit both", path, "{\"layer\":1,\"unit\":0,\"bias\":1,\"weight\":2,\"from\":0}", 400, "either");
    snprintf(path, sizeof path, "/api/runs/%s/config", id);
    expect_error("a bad config change", path, "{\"layers\":[1,2,3,4,5,6,7]}", 400, "layers");
    snprintf(path, sizeof path, "/api/runs/%s/export/secrets.txt", id);
    expect_error("unknown export", path, NULL, 404, "exports");
    snprintf(path, sizeof path, "/api/runs/%s/close", id);
    response c = post(path, "{}");
    CHECK(c.status == 200, "close");
    free(c.body);
    free(id);
}

static int write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* The exported command, run in dir, must give the exported weights exactly. */
static void check_equivalent_command(const char *id, const char *dir)
{
    char path[256], file[512];
    const char *names[3] = {"train.csv", "test.csv", "command.txt"};
    response parts[3];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/api/runs/%s/export/%s", id, names[i]);
        parts[i] = get(path);
        snprintf(file, sizeof file, "%s/%s", dir, names[i]);
        CHECK(parts[i].status == 200 && write_file(file, parts[i].body, parts[i].len) == 0, "export %s", names[i]);
    }
    snprintf(path, sizeof path, "/api/runs/%s/export/weights.safetensors", id);
    response w = get(path);
    CHECK(w.status == 200, "export weights");
    al_tensors served = {0}, trained = {0};
    al_error err = {0};
    CHECK(al_safetensors_parse(w.body, w.len, &served, &err) == AL_OK, "the served weights parse: %s", err.message);
    const al_array *w0 = al_tensors_find(&served, "0.weight");
    CHECK(w0 && w0->rank == 2 && w0->shape[0] == 8 && w0->shape[1] == 2, "0.weight is [8, 2] (PyTorch's layout)");
    /* the command, with this build's actlab for `actlab` and the comments dropped */
    const char *cmd = parts[2].body ? strstr(parts[2].body, "actlab train") : NULL;
    CHECK(cmd && strstr(cmd, "--steps 37") && strstr(cmd, "--opt sgd") && strstr(cmd, "--seed 3"),
          "the command names the steps, optimiser and seed: %s", parts[2].body ? parts[2].body : "");
    if (cmd) {
        char shell[4096];
        snprintf(shell, sizeof shell, "cd '%s' && '%s' %s", dir, AL_CLI, cmd + strlen("actlab "));
        for (char *p = shell; *p; p++)   /* line continuations and the final newline */
            if (*p == '\n' || (*p == '\\' && p[1] == '\n'))
                *p = ' ';
        strncat(shell, " > train.log 2>&1", sizeof shell - strlen(shell) - 1);
        CHECK(system(shell) == 0, "the exported command runs: %s", shell);
        snprintf(file, sizeof file, "%s/weights.safetensors", dir);
        CHECK(al_safetensors_read(file, &trained, &err) == AL_OK, "actlab train saved weights: %s", err.message);
        int compared = 0;
        for (size_t i = 0; i < served.count; i++) {
            const al_array *a = &served.items[i].array, *b = al_tensors_find(&trained, served.items[i].name);
            size_t bytes = a->count * al_dtype_size(a->dtype);
            CHECK(b && b->count == a->count && memcmp(a->data, b->data, bytes) == 0,
                  "%s: the served and the retrained weights are bit-identical", served.items[i].name);
            compared++;
        }
        CHECK(compared == 6, "three Linear layers compared (%d tensors)", compared);
    }
    al_tensors_free(&served);
    al_tensors_free(&trained);
    free(w.body);
    for (int i = 0; i < 3; i++)
        free(parts[i].body);
}

static void test_run(const char *dir)
{
    CHECK_SECTION("a run: stream rate, learning, a killed unit, exports");
    char *id = create_run("{\"dataset\":\"xor\",\"act\":\"ReLU()\",\"layers\":[8,8],\"lr\":0.1,\"seed\":3,"
                          "\"batch\":10,\"speed\":5}");
    if (!id)
        return;
    sse s;
    CHECK(sse_open(&s, id) == 0, "open the stream");
    char name[32];
    json_t *init = NULL;
    CHECK(sse_next(&s, 5, name, &init) && strcmp(name, "init") == 0, "the stream starts with init");
    json_t *train = json_object_get(init, "train");
    CHECK(json_array_size(train) == 250, "500 points, half for training: %zu", json_array_size(train));
    int bad = 0;   /* noise 0: every label is sign(x1 x2) */
    for (size_t i = 0; i < json_array_size(train); i++) {
        json_t *p = json_array_get(train, i);
        double x = json_real_value(json_array_get(p, 0)), y = json_real_value(json_array_get(p, 1));
        bad += (x * y >= 0 ? 1.0 : -1.0) != json_number_value(json_array_get(p, 2));
    }
    CHECK(bad == 0, "%d XOR labels differ from sign(x1 x2)", bad);
    json_t *kinks = json_object_get(json_object_get(init, "curve"), "kinks");
    CHECK(json_array_size(kinks) == 1 && json_number_value(json_object_get(json_array_get(kinks, 0), "d")) == 0,
          "ReLU's kink at 0 with f' = 0 there");
    json_decref(init);
    json_t *first = frame_at(&s, 0, 5);
    double loss0 = first ? json_number_value(json_object_get(first, "test_loss")) : 0;
    json_decref(first);

    /* the equivalent command first, from a paused run at step 37 */
    CHECK(control(id, "{\"action\":\"step\",\"steps\":37}") == 200, "step 37");
    json_t *at37 = frame_at(&s, 37, 10);
    CHECK(at37 && json_integer_value(json_object_get(at37, "step")) == 37, "37 steps taken");
    json_decref(at37);
    check_equivalent_command(id, dir);

    CHECK(control(id, "{\"action\":\"play\"}") == 200, "play");
    double t0 = now_s(), t_first = 0, t_last = 0;
    int frames = 0;
    json_t *d = NULL, *last = NULL;
    while (now_s() - t0 < 3.0 && sse_next(&s, 3.0, name, &d)) {
        if (strcmp(name, "frame") == 0) {
            if (!frames)
                t_first = now_s();
            t_last = now_s();
            frames++;
            json_decref(last);
            last = d;
        } else {
            json_decref(d);
        }
    }
    double rate = frames > 1 ? (frames - 1) / (t_last - t_first) : 0;
    fprintf(stderr, "   SSE update rate while playing: %.1f frames/s (%d frames)\n", rate, frames);
    CHECK(rate >= 10 && rate <= 30, "updates at 10-30 Hz: %.1f", rate);
    long steps = last ? (long)json_integer_value(json_object_get(last, "step")) : 0;
    double loss = last ? json_number_value(json_object_get(last, "test_loss")) : 1e9;
    fprintf(stderr, "   XOR test loss %.4f at step 0, %.4f at step %ld\n", loss0, loss, steps);
    CHECK(loss < 0.5 * loss0, "the run learns: test loss %g -> %g", loss0, loss);
    const char *out = json_string_value(json_object_get(last, "out"));
    CHECK(out && strlen(out) == 4 * ((50 * 50 + 2) / 3), "the output heatmap: 50 x 50 bytes in base64");
    json_decref(last);
    CHECK(control(id, "{\"action\":\"pause\"}") == 200, "pause");

    /* kill unit 0 of hidden layer 1: a bias of -50 keeps its ReLU input below 0 on [-6, 6]^2 */
    char path[128];
    snprintf(path, sizeof path, "/api/runs/%s/edit", id);
    response e = post(path, "{\"layer\":1,\"unit\":0,\"bias\":-50}");
    CHECK(e.status == 200, "edit: %s", e.body ? e.body : "");
    free(e.body);
    json_t *after = NULL;
    for (int tries = 0; tries < 20 && !after; tries++) {
        json_t *f = frame_at(&s, 0, 2);
        json_t *dead = json_object_get(json_array_get(json_object_get(f, "layers"), 0), "dead");
        if (json_integer_value(json_array_get(dead, 0)) == 1)
            after = f;
        else
            json_decref(f);
    }
    CHECK(after != NULL, "the killed unit is reported dead");
    json_decref(after);

    snprintf(path, sizeof path, "/api/runs/%s/export/log.jsonl", id);
    response lg = get(path);
    int lines = 0, parsed = 0;
    for (char *line = lg.body; line && *line; lines++) {
        char *nl = strchr(line, '\n');
        json_t *j = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL);
        parsed += j != NULL;
        json_decref(j);
        line = nl ? nl + 1 : NULL;
    }
    CHECK(lg.status == 200 && lines >= 3 && parsed == lines, "the log is JSON Lines: %d of %d parse", parsed, lines);
    free(lg.body);
    int before = status_field("runs");
    sse_close(&s);   /* the tab closes: its run must stop and go */
    int gone = 0;
    for (int i = 0; i < 40 && !gone; i++) {
        sleep_ms(100);
        gone = status_field("runs") == before - 1 && status_field("streams") == 0;
    }
    CHECK(gone, "closing the stream removed the run");
    free(id);
}

static void test_limits(void)
{
    CHECK_SECTION("limits: runs and streams");
    char *ids[7] = {0};
    for (int i = 0; i < 6; i++)
        ids[i] = create_run("{}");
    expect_error("a seventh run", "/api/runs", "{}", 503, "too many runs");
    if (ids[0]) {
        sse a, b;
        sse_open(&a, ids[0]);
        char name[32];
        json_t *d = NULL;
        CHECK(sse_next(&a, 5, name, &d), "the first stream opens");
        json_decref(d);
        sse_open(&b, ids[0]);
        CHECK(!sse_next(&b, 2, name, &d) && strstr(b.buf, "409"), "a second stream for one run is refused");
        sse_close(&b);
        sse_close(&a);
    }
    for (int i = 1; i < 6; i++) {
        if (!ids[i])
            continue;
        char path[128];
        snprintf(path, sizeof path, "/api/runs/%s/close", ids[i]);
        response r = post(path, "{}");
        free(r.body);
    }
    for (int i = 0; i < 6; i++)
        free(ids[i]);
    for (int i = 0; i < 30 && status_field("runs") != 0; i++)
        sleep_ms(100);
    CHECK(status_field("runs") == 0, "every run closed");
}

/* Requests of every kind, count- and time-bounded. Returns how many got an answer. */
static int burst(int count, double max_s)
{
    double end = now_s() + max_s;
    int answered = 0;
    for (int i = 0; i < count && now_s() < end; i++) {
        response r;
        switch (i % 6) {
        case 0: r = get("/api/status"); break;
        case 1: r = post("/api/runs", "{\"layers\":[99]}"); break;
        case 2: r = get("/app.js"); break;
        case 3: r = post("/api/runs", "not json"); break;
        case 4: {
            char *id = create_run("{\"dataset\":\"spiral\",\"layers\":[8,8,8,8,8,8]}");
            if (id) {
                char path[128];
                snprintf(path, sizeof path, "/api/runs/%s/export/weights.safetensors", id);
                response w = get(path);
                free(w.body);
                snprintf(path, sizeof path, "/api/runs/%s/close", id);
                w = post(path, "{}");
                free(w.body);
                free(id);
            }
            r = get("/api/activations");
            break;
        }
        default: r = get("/nothing-here"); break;
        }
        answered += r.status > 0;
        free(r.body);
    }
    return answered;
}

/* RSS once the server is idle (no runs, no streams, connection threads gone):
 * the least of three readings 100 ms apart, so a thread's stack or a run
 * being freed at that instant does not count as growth. */
static long idle_rss_kib(void)
{
    for (int i = 0; i < 50 && (status_field("runs") != 0 || status_field("streams") != 0); i++)
        sleep_ms(100);
    long least = -1;
    for (int i = 0; i < 3; i++) {
        sleep_ms(100);
        long r = rss_kib();
        if (least < 0 || (r >= 0 && r < least))
            least = r;
    }
    return least;
}

static void test_burst(void)
{
    CHECK_SECTION("a burst of requests: the server stays up, its memory flat");
    int warm = burst(600, 30);
    long before = idle_rss_kib();
    double t0 = now_s();
    int answered = burst(1800, 60);
    double took = now_s() - t0;
    long after = idle_rss_kib();
    fprintf(stderr, "   %d requests in %.1f s (after %d warm-up requests); server RSS when idle %ld KiB before, "
            "%ld KiB after (%+ld KiB)\n", answered, took, warm, before, after, after - before);
    CHECK(answered == 1800, "every request answered: %d", answered);
#ifdef __SANITIZE_ADDRESS__
    /* AddressSanitizer's own bookkeeping grows with every thread created (one per
     * connection here), about 300 bytes each; in this build LeakSanitizer checks
     * the server instead, when it exits at the end (its exit status is checked) */
    CHECK(before > 0 && after > 0, "RSS read");
#else
    /* 1 MiB over 1800 requests: a leak of 600 bytes per request would show */
    CHECK(before > 0 && after - before < 1024, "RSS stays flat: %ld -> %ld KiB", before, after);
#endif
    CHECK(status_field("runs") == 0 && status_field("requests") > 2400, "the server still answers");
}

static void test_fashion(void)
{
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &st) != 0) {
        fprintf(stderr, "-- Fashion-MNIST: not installed (scripts/deps.sh installs it); skipped\n");
        return;
    }
    CHECK_SECTION("Fashion-MNIST mode");
    char *id = create_run("{\"mode\":\"fashion\",\"layers\":[16],\"batch\":32,\"lr\":0.1}");
    if (!id)
        return;
    sse s;
    sse_open(&s, id);
    control(id, "{\"action\":\"step\",\"steps\":60}");
    json_t *f = frame_at(&s, 60, 60);
    json_t *layer = json_array_get(json_object_get(f, "layers"), 0);
    CHECK(f && json_array_size(json_object_get(layer, "dead")) == 16, "a frame with 16 units' dead flags");
    CHECK(json_object_get(layer, "probe") && json_array_size(json_object_get(json_object_get(layer, "probe"), "hist")) == 50,
          "the probe's f' histogram (50 bins)");
    CHECK(json_number_value(json_object_get(f, "test_acc")) > 0.3, "60 steps learn something: test accuracy %g",
          json_number_value(json_object_get(f, "test_acc")));
    json_decref(f);
    sse_close(&s);
    free(id);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/actlab_serve_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    start_server();
    if (port <= 0)
        return check_summary("test_serve");
    test_pages();
    test_bad_input();
    test_run(dir);
    test_limits();
    test_burst();
    test_fashion();
    kill(server, SIGTERM);
    int status = 0;
    double t0 = now_s();
    while (waitpid(server, &status, WNOHANG) == 0 && now_s() - t0 < 20)
        sleep_ms(50);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server stops cleanly on SIGTERM (status %d)", status);
    char cleanup[256];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    if (system(cleanup) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_serve");
}
