/* Atomic writes (temporary file in the target's folder, fsync, rename) so a
 * crash never leaves a half-written output; bounded whole-file reads; sizes
 * checked against the machine's memory before they are allocated. */
#include "actlab/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder part of path ("." when there is none) into buf; returns the
 * offset of the file name within path. */
static size_t split_dir(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(buf, size, ".");
        return 0;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    snprintf(buf, size, "%.*s", (int)n, path);
    return (size_t)(slash - path) + 1;
}

/* A writer killed between creating "NAME.tmp.PID" and its rename (SIGKILL,
 * power loss) leaves that file behind. Before writing NAME again, such files
 * are removed when their PID no longer runs; a live writer's file is kept. */
static void remove_stale_temps(const char *path)
{
    char dir[4096];
    size_t base = split_dir(path, dir, sizeof dir);
    const char *name = path + base;
    size_t nlen = strlen(name);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (strncmp(s, name, nlen) != 0 || strncmp(s + nlen, ".tmp.", 5) != 0)
            continue;
        char *end;
        errno = 0;
        long pid = strtol(s + nlen + 5, &end, 10);
        if (errno || *end || end == s + nlen + 5 || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char stale[4096 + 256];
            snprintf(stale, sizeof stale, "%s/%s", dir, s);
            unlink(stale);
        }
    }
    closedir(d);
}

/* Makes a rename durable: the folder's entry is on disk once this returns.
 * Failure is ignored (some file systems cannot fsync a folder); the data
 * itself was already synced. */
static void sync_dir_of(const char *path)
{
    char dir[4096];
    split_dir(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

al_status al_file_write_atomic(const char *path, const void *data, size_t size, al_error *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing '%s'", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    remove_stale_temps(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        al_status st = al_error_set(err, AL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    const char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            free(tmp);
            return al_error_set(err, AL_ERR_IO, "cannot write '%s': %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return al_error_set(err, AL_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return al_error_set(err, AL_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    free(tmp);
    sync_dir_of(path);
    return AL_OK;
}

al_status al_file_open_regular(const char *path, FILE **out, size_t *bytes, al_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return al_error_set(err, AL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return al_error_set(err, AL_ERR_IO, "cannot read '%s': not a regular file", path);
    }
    *out = f;
    *bytes = (size_t)st.st_size;
    return AL_OK;
}

void al_format_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = -1;
    double v = bytes;
    while (v >= 1024 && u + 1 < (int)(sizeof units / sizeof units[0])) {
        v /= 1024;
        u++;
    }
    if (u < 0 || v >= 1024) /* small, or beyond any unit: plain bytes */
        snprintf(buf, size, bytes < 1e15 ? "%.0f bytes" : "%.3g bytes", bytes);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

double al_memory_limit_bytes(const char **source)
{
    const char *why = "of memory this machine has";
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    double limit = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (limit == 0 || (double)rl.rlim_cur < limit)) {
        limit = (double)rl.rlim_cur;
        why = "address-space limit (ulimit -v)";
    }
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (limit == 0 || (double)rl.rlim_cur < limit)) {
        limit = (double)rl.rlim_cur;
        why = "data-size limit (ulimit -d)";
    }
    if (source)
        *source = why;
    return limit;
}

al_status al_memory_check(double bytes, al_error *err, const char *fmt, ...)
{
    /* small requests are left to malloc: the check costs system calls */
    if (bytes < 64.0 * 1024 * 1024)
        return AL_OK;
    const char *source;
    double limit = al_memory_limit_bytes(&source);
    if (limit == 0 || bytes <= limit)
        return AL_OK;
    char what[512], need[32], have[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    al_format_bytes(bytes, need, sizeof need);
    al_format_bytes(limit, have, sizeof have);
    return al_error_set(err, AL_ERR_NOMEM, "%s would need %s (%.0f bytes), more than the %s %s",
                        what, need, bytes, have, source);
}

al_status al_file_read_all(const char *path, size_t max_bytes, char **data, size_t *size,
                           al_error *err)
{
    *data = NULL;
    *size = 0;
    FILE *f;
    size_t n;
    al_status st = al_file_open_regular(path, &f, &n, err);
    if (st != AL_OK)
        return st;
    if (n > max_bytes) {
        fclose(f);
        return al_error_set(err, AL_ERR_NOMEM, "'%s' is %zu bytes, more than the %zu allowed",
                            path, n, max_bytes);
    }
    st = al_memory_check((double)n + 1, err, "reading '%s' whole", path);
    if (st != AL_OK) {
        fclose(f);
        return st;
    }
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        free(buf);
        return al_error_set(err, AL_ERR_IO, "cannot read '%s': short read", path);
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return AL_OK;
}

static void buf_reserve(al_buf *b, size_t extra)
{
    if (b->failed || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void al_buf_append(al_buf *b, const char *s, size_t len)
{
    buf_reserve(b, len);
    if (b->failed)
        return;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void al_buf_printf(al_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    if (b->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void al_buf_free(al_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

size_t al_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return la > lb ? la : lb;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void al_closest_names(const char *name, const char *const *names, size_t count,
                      char *out, size_t out_size)
{
    size_t best[3] = {0, 0, 0}, dist[3] = {(size_t)-1, (size_t)-1, (size_t)-1};
    for (size_t i = 0; i < count; i++) {
        size_t d = al_edit_distance(name, names[i]);
        /* a prefix ("Leaky" -> "LeakyReLU") counts as close */
        size_t ln = strlen(name);
        if (ln >= 3 && d > 1) {
            size_t k = 0;
            while (k < ln && names[i][k] && lower(names[i][k]) == lower(name[k]))
                k++;
            if (k == ln)
                d = 1;
        }
        for (int k = 0; k < 3; k++) {
            if (d < dist[k]) {
                for (int m = 2; m > k; m--) {
                    dist[m] = dist[m - 1];
                    best[m] = best[m - 1];
                }
                dist[k] = d;
                best[k] = i;
                break;
            }
        }
    }
    size_t n = count < 3 ? count : 3;
    out[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < n; k++) {
        const char *sep = k == 0 ? "" : (k + 1 == n ? " or " : ", ");
        int w = snprintf(out + used, out_size - used, "%s'%s'", sep, names[best[k]]);
        if (w < 0 || (size_t)w >= out_size - used)
            break;
        used += (size_t)w;
    }
}

al_status al_file_append_whole(FILE *log, const char *path, const void *data, size_t size, al_error *err)
{
    struct stat sb;
    off_t start = fstat(fileno(log), &sb) == 0 ? sb.st_size : -1;
    if (fwrite(data, 1, size, log) == size && fflush(log) == 0)
        return AL_OK;
    int e = errno;
    if (start >= 0 && ftruncate(fileno(log), start) != 0)
        e = errno;
    clearerr(log);
    return al_error_set(err, AL_ERR_IO, "cannot write the log '%s': %s", path, strerror(e));
}
