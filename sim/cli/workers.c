/* Worker processes for parallel commands; see workers.h. */
#include "sim/cli/workers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
