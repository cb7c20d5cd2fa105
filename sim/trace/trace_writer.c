/*
 * trace_writer.c - the writer process: a fork of the simulating process
 * that owns the campaign file's SQLite connection and writes what it is
 * sent (the protocol is in sim/trace/trace_internal.h; the sending side is
 * sim/trace/trace_db.c).
 *
 * The writer reads messages as they come and writes rows into the open
 * transaction of its store (sim/trace/trace_store.c). Whenever it has caught up
 * (nothing more to read) it commits, so it never holds the file's write
 * lock while waiting for the simulation, and other processes' writers get
 * their turn. At end of file (the handle was closed, or the simulating
 * process died) it commits what it received, closes the file and exits.
 *
 * It exits with _exit (never running the parent's atexit handlers or
 * flushing its stdio buffers), closes every descriptor it inherited but
 * its end of the socket (so it holds no other writer's socket open), and
 * ignores the terminal's SIGINT and SIGHUP: when the user interrupts a
 * run, the simulating process dies and the writer still commits its rows.
 * On Linux it also learns of its parent's death by a signal, in case a
 * fork of the parent keeps the socket open.
 *
 * The doorbells. A send on a socket wakes a reader blocked on it with a
 * "sync" wakeup, and so does a read wake a blocked sender: the scheduler
 * takes it that the waker is about to sleep and puts the woken process on
 * the waker's CPU. Here both go on running, and once on one CPU the two
 * can stay there, taking turns, while another CPU idles: the simulation
 * then runs at the speed of simulation plus writing. So neither side
 * sleeps on the socket's data or space: each side rings an eventfd of the
 * other's (an ordinary wakeup) when it has sent, read or answered, and
 * sleeps on its own, and on the socket only for hangup. Where there is no
 * eventfd, both sleep on the socket.
 *
 * Even so, Linux may keep waking the writer on the CPU the simulating
 * process runs on (its idle-CPU search is skipped when the cache domain
 * looks busy, and two processes that each ran a moment ago are never
 * moved). So each rows message says which CPU its sender is on, and the
 * writer takes that CPU out of its own affinity mask (it never widens it
 * beyond what it inherited, and never empties it).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#include <sys/prctl.h>
#endif

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

#define WRITER_HEAD sizeof(struct trace_wire_head)
/* Receive buffer: several of the simulating process's messages at once. */
#define WRITER_IN_BYTES (256u << 10)
/* No message is longer (its rows' strings are each < 2 GiB). */
#define WRITER_MSG_BYTES_MAX ((uint64_t)1 << 40)

struct writer {
    int fd;
    int bells[2]; /* rung by the parent, rung by us; or -1 */
    cpu_set_t cpus; /* the affinity we inherited */
    bool cpus_known;
    int avoid_cpu;  /* the CPU we keep off, or -1 */
    struct trace_store *store; /* NULL when the file could not be opened */
    enum iosim_err open_err;
    char open_msg[sizeof ((struct trace_wire_reply *)0)->msg];
    unsigned char *in; /* received, not yet handled */
    size_t have, cap;
};

static volatile sig_atomic_t writer_orphaned;

static void writer_on_parent_death(int sig)
{
    (void)sig;
    writer_orphaned = 1;
}

/* ---- replies -------------------------------------------------------------- */

static void writer_ring(const struct writer *w)
{
    if (w->bells[1] < 0)
        return;
    uint64_t one = 1;
    (void)!write(w->bells[1], &one, sizeof one);
}

static void writer_send(struct writer *w, enum trace_reply_type type, enum iosim_err e,
                        int64_t run_id, uint64_t a, uint64_t b, const char *msg)
{
    struct trace_wire_reply r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.err = (int32_t)e;
    r.run_id = run_id;
    r.a = a;
    r.b = b;
    (void)snprintf(r.msg, sizeof r.msg, "%s", msg != NULL ? msg : "");
    const unsigned char *p = (const unsigned char *)&r;
    size_t len = sizeof r;
    while (len > 0) { /* a failure means the parent is gone: end of file follows */
        ssize_t n = send(w->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
    writer_ring(w);
}

static void writer_reply(struct writer *w, enum iosim_err e, int64_t run_id, const char *msg)
{
    writer_send(w, TRACE_REPLY_DONE, e, run_id, 0, 0, msg);
}

/* Tells the simulating process about runs that failed since last time. */
static void writer_notices(struct writer *w)
{
    int64_t run_id;
    enum iosim_err e;
    char msg[sizeof ((struct trace_wire_reply *)0)->msg];
    while (w->store != NULL && trace_store_next_failure(w->store, &run_id, &e, msg, sizeof msg))
        writer_send(w, TRACE_REPLY_NOTICE, e, run_id, 0, 0, msg);
}

/* ---- requests ------------------------------------------------------------ */

static bool writer_run_begin(struct writer *w, const struct trace_wire_head *h,
                             struct trace_cursor *c)
{
    struct sim_trace_run_info info = {.seed = trace_get_u64(c)};
    info.scenario = trace_get_cstr(c);
    info.scenario_file = trace_get_cstr(c);
    info.policy = trace_get_cstr(c);
    info.build_id = trace_get_cstr(c);
    info.command = trace_get_cstr(c);
    info.clauses = trace_get_cstr(c);
    if (!c->ok || c->p != c->end || h->arg == 0 || h->arg > SIM_TRACE_BATCH_ROWS_MAX)
        return false;
    int64_t run_id = 0;
    char msg[sizeof ((struct trace_wire_reply *)0)->msg] = "";
    enum iosim_err e = w->open_err;
    if (w->store != NULL)
        e = trace_store_run_begin(w->store, &info, (uint32_t)h->arg, &run_id, msg, sizeof msg);
    writer_reply(w, e, run_id, w->store != NULL ? msg : w->open_msg);
    return true;
}

static bool writer_finish(struct writer *w, const struct trace_wire_head *h,
                          struct trace_cursor *c)
{
    uint64_t hash = trace_get_u64(c), rows = trace_get_u64(c);
    struct sim_trace_result res = {.end_time_ps = trace_get_u64(c)};
    res.expectations_passed = trace_get_u32(c);
    res.expectations_failed = trace_get_u32(c);
    res.result = trace_get_cstr(c);
    res.message = trace_get_cstr(c);
    if (!c->ok || c->p != c->end || res.result == NULL)
        return false;
    struct trace_finish fin = {.res = &res, .hash = hash, .rows = rows};
    char msg[sizeof ((struct trace_wire_reply *)0)->msg] = "";
    enum iosim_err e = w->open_err;
    if (w->store != NULL)
        e = trace_store_finish(w->store, h->run_id, &fin, msg, sizeof msg);
    writer_notices(w);
    writer_reply(w, e, h->run_id, w->store != NULL ? msg : w->open_msg);
    return true;
}

static void writer_whole_file(struct writer *w, const struct trace_wire_head *h)
{
    char msg[sizeof ((struct trace_wire_reply *)0)->msg] = "";
    uint64_t hash = 0, rows = 0;
    enum iosim_err e = w->open_err;
    if (w->store != NULL && h->type == TRACE_WIRE_INDEX)
        e = trace_store_index(w->store, msg, sizeof msg);
    else if (w->store != NULL)
        e = trace_store_run_hash(w->store, h->run_id, &hash, &rows, msg, sizeof msg);
    writer_notices(w);
    writer_send(w, TRACE_REPLY_DONE, e, h->run_id, hash, rows,
                w->store != NULL ? msg : w->open_msg);
}

/* Keeps off the CPU the simulating process is on. */
static void writer_avoid(struct writer *w, uint32_t cpu1)
{
    if (cpu1 == 0 || (int)cpu1 - 1 == w->avoid_cpu || !w->cpus_known)
        return;
    int cpu = (int)cpu1 - 1;
    w->avoid_cpu = cpu;
    cpu_set_t set = w->cpus;
    if (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set) && CPU_COUNT(&set) > 1) {
        CPU_CLR(cpu, &set);
        (void)sched_setaffinity(0, sizeof set, &set);
    }
}

/* Handles one message; false when it breaks the protocol. */
static bool writer_handle(struct writer *w, const struct trace_wire_head *h,
                          const unsigned char *payload)
{
    struct trace_cursor c = {.p = payload, .end = payload + h->len, .ok = true};
    switch ((enum trace_wire_type)h->type) {
    case TRACE_WIRE_RUN_BEGIN:
        return writer_run_begin(w, h, &c);
    case TRACE_WIRE_ROWS:
        writer_avoid(w, h->cpu1);
        if (w->store != NULL) {
            trace_store_rows(w->store, h->run_id, h->arg, h->count, payload, (size_t)h->len);
            writer_notices(w);
        }
        return true;
    case TRACE_WIRE_FINISH:
        return writer_finish(w, h, &c);
    case TRACE_WIRE_ABANDON:
        if (w->store != NULL)
            trace_store_abandon(w->store, h->run_id);
        writer_notices(w);
        writer_reply(w, IOSIM_OK, h->run_id, "");
        return true;
    case TRACE_WIRE_BUSY_TIMEOUT:
        if (h->arg > INT_MAX)
            return false;
        if (w->store != NULL)
            trace_store_set_busy_timeout(w->store, (uint32_t)h->arg);
        return true;
    case TRACE_WIRE_INDEX:
    case TRACE_WIRE_RUN_HASH:
        writer_whole_file(w, h);
        return true;
    }
    return false;
}

/* ---- the loop ------------------------------------------------------------- */

/* Handles every whole message received; keeps a partial one at the front
 * and makes room for all of it. False on a protocol error. */
static bool writer_drain(struct writer *w)
{
    size_t at = 0;
    uint64_t next_len = 0;
    while (w->have - at >= WRITER_HEAD) {
        struct trace_wire_head h;
        memcpy(&h, w->in + at, sizeof h);
        if (h.len > WRITER_MSG_BYTES_MAX)
            return false;
        if (w->have - at - WRITER_HEAD < h.len) {
            next_len = h.len;
            break;
        }
        if (!writer_handle(w, &h, w->in + at + WRITER_HEAD))
            return false;
        at += WRITER_HEAD + (size_t)h.len;
    }
    memmove(w->in, w->in + at, w->have - at);
    w->have -= at;
    size_t want = WRITER_HEAD + (size_t)next_len + WRITER_IN_BYTES;
    if (w->cap >= want && w->cap <= 2 * want) /* else: grow, or shrink after a long row */
        return true;
    unsigned char *b = realloc(w->in, want);
    if (b == NULL)
        return false;
    w->in = b;
    w->cap = want;
    return true;
}

/* Waits until the doorbell rings (or, without one, the socket is
 * readable), the socket hangs up, or the parent has died. */
static void writer_wait(const struct writer *w, const sigset_t *waiting_mask)
{
    struct pollfd p[2] = {{.fd = w->fd, .events = w->bells[0] >= 0 ? POLLRDHUP : POLLIN},
                          {.fd = w->bells[0], .events = POLLIN}};
    int n = ppoll(p, w->bells[0] >= 0 ? 2 : 1, NULL, waiting_mask); /* EINTR: looks again */
    uint64_t rings;
    if (n > 0 && (p[1].revents & POLLIN) != 0)
        (void)!read(w->bells[0], &rings, sizeof rings);
}

static void writer_serve(struct writer *w, const sigset_t *waiting_mask)
{
    while (writer_drain(w)) {
        ASSERT(w->cap > w->have);
        ssize_t n = recv(w->fd, w->in + w->have, w->cap - w->have, MSG_DONTWAIT);
        if (n > 0) {
            w->have += (size_t)n;
            writer_ring(w); /* there is room again, should it be waiting for that */
            continue;
        }
        if (n == 0 || (errno != EINTR && !trace_would_block(errno)))
            return; /* end of file: the parent closed the handle or died */
        if (errno == EINTR)
            continue;
        if (w->store != NULL) { /* caught up: let go of the write lock */
            trace_store_commit(w->store);
            writer_notices(w);
        }
        if (writer_orphaned)
            return;
        writer_wait(w, waiting_mask);
    }
}

/* Closes every descriptor from 3 on except the n in keep (n <= 3). */
static void writer_close_others(const int *keep, int n)
{
    unsigned k[3];
    int m = 0;
    for (int i = 0; i < n; i++) /* sorted, without -1s */
        if (keep[i] >= 0) {
            int j = m++;
            for (; j > 0 && k[j - 1] > (unsigned)keep[i]; j--)
                k[j] = k[j - 1];
            k[j] = (unsigned)keep[i];
        }
    unsigned from = 3;
    for (int i = 0; i < m; i++) {
        if (k[i] > from)
            (void)close_range(from, k[i] - 1, 0);
        from = k[i] + 1 > from ? k[i] + 1 : from;
    }
    (void)close_range(from, ~0u, 0);
}

/* Signals and descriptors of a fresh writer; fills the mask to wait with. */
static void writer_detach(int fd, const int bells[2], pid_t parent, sigset_t *waiting_mask)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, death = {.sa_handler = writer_on_parent_death};
    sigemptyset(&ign.sa_mask);
    sigemptyset(&death.sa_mask);
    (void)sigaction(SIGINT, &ign, NULL);
    (void)sigaction(SIGHUP, &ign, NULL);
    (void)sigaction(SIGPIPE, &ign, NULL);
    (void)sigaction(SIGUSR1, &death, NULL); /* no SA_RESTART: ppoll returns EINTR */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    (void)sigprocmask(SIG_BLOCK, &usr1, waiting_mask);
    (void)sigdelset(waiting_mask, SIGUSR1);
#ifdef __linux__
    (void)prctl(PR_SET_PDEATHSIG, SIGUSR1);
#endif
    if (getppid() != parent)
        writer_orphaned = 1;
    const int keep[3] = {fd, bells[0], bells[1]};
    writer_close_others(keep, 3);
}

static _Noreturn void writer_main(int fd, const int bells[2], pid_t parent, const char *path,
                                  uint32_t busy_ms)
{
    sigset_t waiting_mask;
    writer_detach(fd, bells, parent, &waiting_mask);
    struct writer w = {.fd = fd, .bells = {bells[0], bells[1]}, .cap = WRITER_IN_BYTES,
                       .avoid_cpu = -1};
    w.cpus_known = sched_getaffinity(0, sizeof w.cpus, &w.cpus) == 0;
    w.in = malloc(w.cap);
    sqlite3 *sql = NULL;
    w.open_err = trace_schema_open(path, busy_ms, &sql, w.open_msg, sizeof w.open_msg);
    if (w.open_err == IOSIM_OK)
        w.open_err = trace_store_open(sql, busy_ms, &w.store);
    if (w.open_err == IOSIM_OK && w.in == NULL)
        w.open_err = IOSIM_ENOMEM;
    if (w.open_err != IOSIM_OK && w.open_msg[0] == '\0')
        trace_msg(w.open_msg, sizeof w.open_msg, "%s: cannot set up writing: %s", path,
                  iosim_err_text(w.open_err));
    writer_reply(&w, w.open_err, 0, w.open_msg); /* open waits for this */
    if (w.open_err == IOSIM_OK)
        writer_serve(&w, &waiting_mask);
    trace_store_close(w.store); /* commits what was received */
    free(w.in);
    _exit(0);
}

/* Two eventfds, or none. */
static void writer_bells(int bells[2])
{
    bells[0] = bells[1] = -1;
#ifdef __linux__
    bells[0] = eventfd(0, EFD_CLOEXEC);
    bells[1] = bells[0] >= 0 ? eventfd(0, EFD_CLOEXEC) : -1;
    if (bells[1] < 0 && bells[0] >= 0) {
        (void)close(bells[0]);
        bells[0] = -1;
    }
#endif
}

enum iosim_err trace_writer_start(const char *path, uint32_t busy_timeout_ms, int *fd_out,
                                  int bells_out[2], pid_t *pid_out, char *msg, size_t msg_len)
{
    ASSERT(path != NULL && fd_out != NULL && bells_out != NULL && pid_out != NULL);
    ASSERT(busy_timeout_ms <= INT_MAX);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        trace_msg(msg, msg_len, "%s: cannot start the trace writer: socketpair: %s", path,
                  strerror(errno));
        return IOSIM_EIO;
    }
    int bells[2];
    writer_bells(bells);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        (void)close(sv[0]);
        writer_main(sv[1], bells, parent, path, busy_timeout_ms);
    }
    (void)close(sv[1]);
    if (pid < 0) {
        trace_msg(msg, msg_len, "%s: cannot start the trace writer: fork: %s", path,
                  strerror(errno));
        (void)close(sv[0]);
        for (int i = 0; i < 2; i++)
            if (bells[i] >= 0)
                (void)close(bells[i]);
        return IOSIM_EIO;
    }
    *fd_out = sv[0];
    bells_out[0] = bells[0];
    bells_out[1] = bells[1];
    *pid_out = pid;
    return IOSIM_OK;
}
