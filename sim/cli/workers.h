/*
 * workers.h - worker processes for the commands that run simulations in
 * parallel (`suite`, `fuzz`): one simulation per process, so runs never
 * share state and a crash takes only its own worker. A worker writes
 * fixed-size messages to a pipe; the parent reads them whole.
 *
 *     pid_t pid; int fd;
 *     cli_worker_fork(work, ctx, &pid, &fd);   work(ctx, wfd) runs in the child
 *     struct msg m;
 *     while (cli_read_all(fd, &m, sizeof m)) ...   false: EOF (it ended, or died)
 *
 * Ownership: the parent owns fd (close it) and reaps pid.
 */
#ifndef IOSIM_CLI_WORKERS_H
#define IOSIM_CLI_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The child's whole life: it writes to `fd` and must end with _exit. */
typedef void cli_worker_fn(void *ctx, int fd);

/* Forks a worker running work(ctx, write end); the parent gets its pid
 * and the read end. Output buffers are flushed first, so nothing the
 * parent printed is printed twice. False when pipe or fork failed. */
bool cli_worker_fork(cli_worker_fn *work, void *ctx, pid_t *pid, int *fd);

/* All len bytes, through EINTR and short writes; false when the pipe broke. */
bool cli_write_all(int fd, const void *buf, size_t len);

/* All len bytes; false at end of file or an error before they came. */
bool cli_read_all(int fd, void *buf, size_t len);

#endif /* IOSIM_CLI_WORKERS_H */
