/* `actlab serve`: the playground, a local web page that trains a network in
 * this process and shows it learning (docs/playground.md). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "actlab/serve.h"
#include "cli.h"

static const char serve_usage[] =
    "usage: actlab serve [--port 8080] [--host 127.0.0.1] [--max-runs 16]\n"
    "Serves the playground: open the printed address in a browser. Each tab trains its own\n"
    "run here (2-D datasets or Fashion-MNIST) and receives it live; closing the tab stops it.\n"
    "  --port N         port to listen on (0: any free port; the address printed says which)\n"
    "  --host ADDR      address to listen on (an IP address; 127.0.0.1 keeps it to this machine)\n"
    "  --max-runs N     runs alive at once over all tabs (16; a compare view uses two)\n"
    "Ctrl-C stops the server.\n";

int cmd_serve(int argc, char **argv)
{
    al_serve_options o = al_serve_options_default();
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i];
        if (cli_is_help(f)) {
            fputs(serve_usage, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            return cli_usage_error("serve", "%s needs a value", f);
        const char *v = argv[++i];
        long n = 0;
        int rc = 0;
        if (strcmp(f, "--port") == 0) {
            rc = cli_long("serve", f, v, 0, 65535, &n);
            o.port = (int)n;
        } else if (strcmp(f, "--host") == 0) {
            o.host = v;
        } else if (strcmp(f, "--max-runs") == 0) {
            rc = cli_long("serve", f, v, 1, 256, &n);
            o.max_runs = (int)n;
        } else {
            return cli_usage_error("serve", "unknown option '%s'", f);
        }
        if (rc)
            return rc;
    }
    o.max_streams = o.max_runs;
    o.max_connections = 4 * o.max_runs + 16;
    /* the server's threads inherit this mask, so only sigwait below sees the signals */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    al_server *server;
    al_error err = {0};
    if (al_server_start(&o, &server, &err) != AL_OK)
        return cli_fail("serve", &err);
    int v6 = strchr(o.host, ':') != NULL;
    printf("actlab serve: open http://%s%s%s:%d/ in a browser (Ctrl-C stops)\n", v6 ? "[" : "", o.host,
           v6 ? "]" : "", al_server_port(server));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    al_server_stats st = al_server_get_stats(server);
    al_server_stop(server);
    fprintf(stderr, "actlab serve: stopped (%ld requests served)\n", st.requests);
    return 0;
}
