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

/* Why a worker died. The parent opens a capture file for each worker
 * before forking it (an unlinked temporary file: -1 when none could be
 * made, and everything below then does nothing); the worker sends its
 * stderr there; when the worker dies the parent reads the telling line - a
 * failed ASSERT (`file:line: func: Assertion `cond' failed.`), a sanitizer's
 * `ERROR:` or `runtime error:` line, iosim's own abort message, else the
 * last line written - and then copies what was captured to its own stderr,
 * so nothing a worker printed is lost, and closes the file.
 *
 *     int cap = cli_capture_open();            parent, before cli_worker_fork
 *     cli_capture_attach(cap);                 in the worker, first thing
 *     cli_capture_reason(cap, why, sizeof why); parent, after it died ("" if nothing)
 *     cli_capture_release(cap);                parent: echo and close */
int cli_capture_open(void);
void cli_capture_attach(int fd);
void cli_capture_reason(int fd, char *out, size_t cap);
void cli_capture_release(int fd);

#endif /* IOSIM_CLI_WORKERS_H */
