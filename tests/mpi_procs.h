/* The processes of an `mpirun ... actlab ... --out DIR` run, found in /proc
 * for test_mpi: a rank's own process (its parent is the launcher) and its
 * worker processes (children of that one). Linux only, as the tests are. */
#ifndef ACTLAB_TEST_MPI_PROCS_H
#define ACTLAB_TEST_MPI_PROCS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads /proc/PID/FILE (NULs kept) into buf; its length, or 0. */
static size_t proc_file(long pid, const char *file, char *buf, size_t size)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%ld/%s", pid, file);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return n;
}

/* 1 when pid is an actlab process (not mpirun) of the run writing to out. */
static int of_run(long pid, const char *out)
{
    char cmd[8192];
    size_t n = proc_file(pid, "cmdline", cmd, sizeof cmd);
    int dir = 0;
    for (size_t i = 0; i < n; i += strlen(cmd + i) + 1)
        dir |= strcmp(cmd + i, out) == 0;
    return n > 0 && strcmp(cmd, AL_CLI) == 0 && dir;
}

static long parent_of(long pid)
{
    char stat[1024];
    if (!proc_file(pid, "stat", stat, sizeof stat))
        return -1;
    const char *close = strrchr(stat, ')');
    long ppid = -1;
    char state;
    if (close && sscanf(close + 1, " %c %ld", &state, &ppid) == 2)
        return ppid;
    return -1;
}

static int rank_of(long pid)
{
    char env[65536];
    size_t n = proc_file(pid, "environ", env, sizeof env);
    for (size_t i = 0; i < n; i += strlen(env + i) + 1)
        if (strncmp(env + i, "OMPI_COMM_WORLD_RANK=", 21) == 0)
            return atoi(env + i + 21);
    return -1;
}

/* The processes of the run writing to out: rank `rank`'s own (its parent is
 * the launcher) into *coordinator, and how many worker processes it has. */
static int find_rank(const char *out, int rank, long *coordinator)
{
    long pids[256];
    int n = 0, workers = 0;
    *coordinator = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < 256) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && of_run(pid, out))
            pids[n++] = pid;
    }
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++)
        if (rank_of(pids[i]) == rank && !of_run(parent_of(pids[i]), out))
            *coordinator = pids[i];
    for (int i = 0; i < n && *coordinator; i++)
        workers += parent_of(pids[i]) == *coordinator;
    return workers;
}

/* Processes of the run writing to out still alive. */
static int survivors(const char *out)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && of_run(pid, out)) {
            char stat[1024];
            const char *close = proc_file(pid, "stat", stat, sizeof stat) ? strrchr(stat, ')') : NULL;
            n += close && close[2] != 'Z';
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* A worker process of rank `rank` of the run writing to out (0: none). */
static long worker_of(const char *out, int rank)
{
    long coordinator;
    if (find_rank(out, rank, &coordinator) == 0)
        return 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    long found = 0;
    while (d && (e = readdir(d)) != NULL && !found) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && parent_of(pid) == coordinator && of_run(pid, out))
            found = pid;
    }
    if (d)
        closedir(d);
    return found;
}

#endif
