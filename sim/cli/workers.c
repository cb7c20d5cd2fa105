/* Worker processes for parallel commands; see workers.h. */
#include "sim/cli/workers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_worker_fork(cli_worker_fn *work, void *ctx, pid_t *pid, int *fd)
{
    int p[2];
    if (pipe(p) != 0)
        return false;
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (child == 0) {
        close(p[0]);
        work(ctx, p[1]);
        _exit(0); /* work should not return; if it does, nothing more runs here */
    }
    close(p[1]);
    *pid = child;
    *fd = p[0];
    return true;
}

bool cli_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool cli_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

/* ---- why a worker died ------------------------------------------------------------ */

#define CAPTURE_TAIL_BYTES 65536

int cli_capture_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/iosim-worker-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0)
        (void)unlink(path); /* lives as long as the descriptors do */
    return fd;
}

void cli_capture_attach(int fd)
{
    if (fd < 0)
        return;
    fflush(stderr);
    (void)dup2(fd, STDERR_FILENO);
    close(fd);
}

/* A line that says why: an assertion, a sanitizer, iosim's own message. */
static bool telling(const char *line)
{
    return strstr(line, "Assertion `") != NULL || strstr(line, "ERROR: ") != NULL ||
           strstr(line, "runtime error:") != NULL || strncmp(line, "iosim: ", 7) == 0 ||
           strstr(line, "touches the simulated machine") != NULL;
}

void cli_capture_reason(int fd, char *out, size_t cap)
{
    static char buf[CAPTURE_TAIL_BYTES + 1];
    out[0] = '\0';
    off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (end <= 0 || cap == 0)
        return;
    off_t from = end > CAPTURE_TAIL_BYTES ? end - CAPTURE_TAIL_BYTES : 0;
    ssize_t n = pread(fd, buf, (size_t)(end - from), from);
    if (n <= 0)
        return;
    buf[n] = '\0';
    const char *best = NULL, *last = NULL;
    size_t best_len = 0, last_len = 0;
    for (char *line = buf; *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (nl != NULL)
            *nl = '\0';
        if (len > 0) {
            last = line, last_len = len;
            if (telling(line))
                best = line, best_len = len;
        }
        line += len + (nl != NULL);
    }
    if (best == NULL)
        best = last, best_len = last_len;
    if (best != NULL)
        snprintf(out, cap, "%.*s", (int)(best_len < cap ? best_len : cap - 1), best);
}

void cli_capture_release(int fd)
{
    if (fd < 0)
        return;
    char buf[4096];
    off_t at = 0;
    ssize_t n;
    fflush(stderr);
    while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
        if (!cli_write_all(STDERR_FILENO, buf, (size_t)n))
            break;
        at += n;
    }
    close(fd);
}
