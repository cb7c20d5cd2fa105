/*
 * trace_db.c - the campaign handle: open, close, settings, indexes, and the
 * simulating process's side of the wire to a writer process.
 *
 * A handle writes either through a store of its own (in-process) or
 * through a writer process (sim/trace/trace_writer.c) it talks to over a socket:
 * requests go out as messages; the writer answers each request that wants
 * an answer with one reply, in order, and may slip notices (a run failed)
 * in before a reply. Notices are read whenever the handle sends rows or
 * waits for a reply.
 *
 * A writer that stops answering (its socket closes, or it sends nonsense)
 * is declared dead: the handle shuts the socket, reaps the process, and
 * every live run gets a sticky IOSIM_ESHUTDOWN saying so.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

/* In-process handles open in this process, by file: a writer forked while
 * this process holds a connection to its file would inherit SQLite's
 * bookkeeping of that connection's locks, so such a handle writes
 * in-process instead. */
static struct sim_trace_db *trace_inproc_head;

static bool trace_inproc_has(dev_t dev, ino_t ino)
{
    for (const struct sim_trace_db *d = trace_inproc_head; d != NULL; d = d->inproc_next)
        if (d->dev == dev && d->ino == ino)
            return true;
    return false;
}

static void trace_inproc_remove(struct sim_trace_db *db)
{
    struct sim_trace_db **p = &trace_inproc_head;
    while (*p != NULL && *p != db)
        p = &(*p)->inproc_next;
    if (*p == db)
        *p = db->inproc_next;
}

/* ---- the writer's death ------------------------------------------------------ */

/* Waits for the writer to exit; describes how it did in how. */
static void trace_db_reap(struct sim_trace_db *db, char *how, size_t len)
{
    trace_msg(how, len, "its connection closed");
    if (db->pid <= 0)
        return;
    int status = 0;
    pid_t w;
    do
        w = waitpid(db->pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w == db->pid && WIFSIGNALED(status))
        trace_msg(how, len, "killed by signal %d", WTERMSIG(status));
    else if (w == db->pid && WIFEXITED(status))
        trace_msg(how, len, "exited with status %d", WEXITSTATUS(status));
    db->pid = 0; /* reaped, or not ours to reap (ECHILD) */
}

/* The writer is gone (or is made to go): every live run fails. */
static void trace_db_died(struct sim_trace_db *db)
{
    ASSERT(db->fd >= 0);
    if (db->dead)
        return;
    pid_t pid = db->pid;
    db->dead = true;
    (void)shutdown(db->fd, SHUT_RDWR); /* a writer still running reads EOF, commits, exits */
    char how[64];
    trace_db_reap(db, how, sizeof how);
    trace_msg(db->dead_msg, sizeof db->dead_msg, "trace writer process %d died (%s)", (int)pid,
              how);
    for (struct sim_trace *tr = db->live; tr != NULL; tr = tr->live_next)
        trace_run_fail(tr, IOSIM_ESHUTDOWN, "trace run %lld: %s", (long long)tr->run_id,
                       db->dead_msg);
}

/* ---- the wire ---------------------------------------------------------------- */

/* Without doorbells, sends and receives just block. With them, they never
 * block on the socket: when the socket is full or empty we wait for the
 * writer's doorbell, so the writer's progress wakes us as an ordinary
 * wakeup, not as a "sync" one that would pull us onto its CPU (see
 * trace_writer.c). */
static int trace_db_flags(const struct sim_trace_db *db)
{
    return db->bells[1] >= 0 ? MSG_DONTWAIT : 0;
}

static void trace_db_ring(const struct sim_trace_db *db)
{
    if (db->bells[0] < 0)
        return;
    uint64_t one = 1; /* a full counter (2^64 - 2 rings) is as good as a ring */
    (void)!write(db->bells[0], &one, sizeof one);
}

/* Waits for the writer's doorbell, or for the socket to hang up. */
static void trace_db_wait(const struct sim_trace_db *db)
{
    ASSERT(db->bells[1] >= 0);
    struct pollfd p[2] = {{.fd = db->bells[1], .events = POLLIN},
                          {.fd = db->fd, .events = POLLRDHUP}};
    uint64_t rings;
    if (poll(p, 2, -1) > 0 && (p[0].revents & POLLIN) != 0)
        (void)!read(db->bells[1], &rings, sizeof rings);
}

enum iosim_err trace_db_send(struct sim_trace_db *db, const void *p, size_t len)
{
    ASSERT(db != NULL && db->fd >= 0);
    ASSERT(p != NULL && len > 0);
    const unsigned char *b = p;
    while (len > 0 && !db->dead) {
        ssize_t n = send(db->fd, b, len, MSG_NOSIGNAL | trace_db_flags(db));
        if (n > 0) {
            b += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && trace_would_block(errno) && db->bells[1] >= 0) {
            trace_db_ring(db); /* it may be asleep, with what we sent so far unread */
            trace_db_wait(db);
            (void)trace_db_recv(db, false, NULL); /* it may be waiting for us to read */
        } else {
            trace_db_died(db);
        }
    }
    if (db->dead)
        return IOSIM_ESHUTDOWN;
    trace_db_ring(db);
    return IOSIM_OK;
}

static void trace_db_notice(struct sim_trace_db *db, const struct trace_wire_reply *r)
{
    for (struct sim_trace *tr = db->live; tr != NULL; tr = tr->live_next)
        if (tr->run_id == r->run_id)
            trace_run_fail(tr, (enum iosim_err)r->err, "%s", r->msg);
}

/* Handles one whole message in db->in; true when it is the awaited reply. */
static bool trace_db_take(struct sim_trace_db *db, bool block, struct trace_wire_reply *out)
{
    struct trace_wire_reply r = db->in;
    db->in_have = 0;
    r.msg[sizeof r.msg - 1] = '\0';
    if (r.err < 0 || r.err >= (int32_t)IOSIM_ERR_COUNT)
        r.err = IOSIM_EPROTO;
    if (r.type == TRACE_REPLY_NOTICE) {
        if (r.err != IOSIM_OK)
            trace_db_notice(db, &r);
        return false;
    }
    if (r.type == TRACE_REPLY_DONE && block) {
        *out = r;
        return true;
    }
    if (db->pid > 0)
        (void)kill(db->pid, SIGKILL); /* it talks nonsense: stop it */
    trace_db_died(db);
    return false;
}

enum iosim_err trace_db_recv(struct sim_trace_db *db, bool block, struct trace_wire_reply *out)
{
    ASSERT(db != NULL && db->fd >= 0);
    ASSERT(!block || out != NULL);
    while (!db->dead) {
        ssize_t n = recv(db->fd, (char *)&db->in + db->in_have, sizeof db->in - db->in_have,
                         block ? trace_db_flags(db) : MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && trace_would_block(errno)) {
            if (!block)
                return IOSIM_EAGAIN;
            if (db->bells[1] >= 0) {
                trace_db_wait(db);
                continue;
            }
        }
        if (n <= 0) {
            trace_db_died(db);
            break;
        }
        db->in_have += (size_t)n;
        ASSERT(db->in_have <= sizeof db->in);
        if (db->in_have == sizeof db->in && trace_db_take(db, block, out))
            return IOSIM_OK;
    }
    return IOSIM_ESHUTDOWN;
}

enum iosim_err trace_db_call(struct sim_trace_db *db, const void *p, size_t len,
                             struct trace_wire_reply *out)
{
    ASSERT(db != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    enum iosim_err e = trace_db_send(db, p, len);
    return e == IOSIM_OK ? trace_db_recv(db, true, out) : e;
}

/* ---- open and close ----------------------------------------------------------- */

static bool trace_env_in_process(void)
{
    const char *v = getenv("IOSIM_TRACE_INPROCESS");
    return v != NULL && strcmp(v, "1") == 0;
}

/* In-process: the schema checks, then a store on that connection. */
static enum iosim_err trace_db_open_local(struct sim_trace_db *db, const char *path, char *msg,
                                          size_t msg_len)
{
    sqlite3 *sql = NULL;
    enum iosim_err e = trace_schema_open(path, db->busy_timeout_ms, &sql, msg, msg_len);
    if (e == IOSIM_OK && (e = trace_store_open(sql, db->busy_timeout_ms, &db->store)) != IOSIM_OK)
        trace_msg(msg, msg_len, "%s: cannot set up writing: %s", path, iosim_err_text(e));
    struct stat sb;
    if (e == IOSIM_OK && stat(path, &sb) == 0) {
        db->dev = sb.st_dev;
        db->ino = sb.st_ino;
        db->inproc_next = trace_inproc_head;
        trace_inproc_head = db;
    }
    return e;
}

/* Writer process: it does the schema checks and answers with their
 * outcome before anything else. */
static enum iosim_err trace_db_open_remote(struct sim_trace_db *db, const char *path, char *msg,
                                           size_t msg_len)
{
    enum iosim_err e = trace_writer_start(path, db->busy_timeout_ms, &db->fd, db->bells,
                                          &db->pid, msg, msg_len);
    if (e != IOSIM_OK)
        return e;
    struct trace_wire_reply rep;
    e = trace_db_recv(db, true, &rep);
    if (e != IOSIM_OK)
        trace_msg(msg, msg_len, "%s: %s", path, db->dead_msg);
    else if ((e = (enum iosim_err)rep.err) != IOSIM_OK)
        trace_msg(msg, msg_len, "%s", rep.msg);
    return e;
}

/* Whether to write in-process although a writer process was asked for:
 * the process holds one of our in-process connections to the same file
 * (a fork would inherit SQLite's bookkeeping of its locks), or the file is
 * not one a second process can open. */
static bool trace_db_must_be_local(const char *path)
{
    if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return true;
    struct stat sb;
    return stat(path, &sb) == 0 && trace_inproc_has(sb.st_dev, sb.st_ino);
}

/* Stops the writer (or closes the store) and frees db. */
static void trace_db_free(struct sim_trace_db *db)
{
    if (db->store != NULL) {
        trace_inproc_remove(db);
        trace_store_close(db->store);
    } else if (db->fd >= 0) {
        /* end of file for the writer; it commits, closes the file and exits */
        (void)shutdown(db->fd, SHUT_WR);
        char rest[sizeof db->in];
        ssize_t n;
        do /* until its end closes: it never waits on us to exit */
            n = recv(db->fd, rest, sizeof rest, 0);
        while (n > 0 || (n < 0 && errno == EINTR));
        /* (a blocking wait here is the end: where it runs next is moot) */
        char how[64];
        trace_db_reap(db, how, sizeof how);
        (void)close(db->fd);
        for (int i = 0; i < 2; i++)
            if (db->bells[i] >= 0)
                (void)close(db->bells[i]);
    }
    free(db);
}

enum iosim_err sim_trace_db_open_opts(const char *path, const struct sim_trace_db_opts *opts,
                                      struct sim_trace_db **out, char *msg, size_t msg_len)
{
    ASSERT(path != NULL);
    ASSERT(out != NULL);
    *out = NULL;
    trace_msg(msg, msg_len, "%s", "");
    struct sim_trace_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        trace_msg(msg, msg_len, "%s: out of memory", path);
        return IOSIM_ENOMEM;
    }
    db->fd = -1;
    db->bells[0] = db->bells[1] = -1;
    db->batch_rows = SIM_TRACE_BATCH_ROWS_DEFAULT;
    db->busy_timeout_ms = SIM_TRACE_BUSY_TIMEOUT_MS_DEFAULT;
    bool local = (opts != NULL && opts->in_process) || trace_env_in_process() ||
                 trace_db_must_be_local(path);
    enum iosim_err e = local ? trace_db_open_local(db, path, msg, msg_len)
                             : trace_db_open_remote(db, path, msg, msg_len);
    if (e != IOSIM_OK) {
        trace_db_free(db);
        return e;
    }
    ASSERT((db->store != NULL) != (db->fd >= 0));
    trace_tables_freeze(); /* the file and a writer know the tables registered so far */
    *out = db;
    return IOSIM_OK;
}

enum iosim_err sim_trace_db_open(const char *path, struct sim_trace_db **out, char *msg,
                                 size_t msg_len)
{
    return sim_trace_db_open_opts(path, NULL, out, msg, msg_len);
}

void sim_trace_db_close(struct sim_trace_db *db)
{
    if (db == NULL)
        return;
    ASSERT(db->runs_open == 0 && db->live == NULL && "fini every run before closing its db");
    trace_db_free(db);
}

/* ---- settings and whole-file calls ---------------------------------------------- */

enum iosim_err sim_trace_db_set_batch_rows(struct sim_trace_db *db, uint32_t rows)
{
    ASSERT(db != NULL);
    if (rows == 0 || rows > SIM_TRACE_BATCH_ROWS_MAX)
        return IOSIM_EINVAL;
    db->batch_rows = rows;
    return IOSIM_OK;
}

enum iosim_err sim_trace_db_set_busy_timeout(struct sim_trace_db *db, uint32_t timeout_ms)
{
    ASSERT(db != NULL);
    if (timeout_ms > INT_MAX)
        return IOSIM_EINVAL;
    db->busy_timeout_ms = timeout_ms;
    if (db->store != NULL) {
        trace_store_set_busy_timeout(db->store, timeout_ms);
    } else if (!db->dead) {
        struct trace_wire_head h = {.type = TRACE_WIRE_BUSY_TIMEOUT, .arg = timeout_ms};
        (void)trace_db_send(db, &h, sizeof h); /* a dead writer is reported by its runs */
    }
    return IOSIM_OK;
}

/* A request with no payload to the writer, and its reply. */
static enum iosim_err trace_db_ask(struct sim_trace_db *db, enum trace_wire_type type,
                                   int64_t run_id, struct trace_wire_reply *rep, char *msg,
                                   size_t msg_len)
{
    struct trace_wire_head h = {.type = type, .run_id = run_id};
    enum iosim_err e = db->dead ? IOSIM_ESHUTDOWN : trace_db_call(db, &h, sizeof h, rep);
    if (e != IOSIM_OK) {
        trace_msg(msg, msg_len, "%s", db->dead_msg);
        return e;
    }
    if (rep->err != IOSIM_OK)
        trace_msg(msg, msg_len, "%s", rep->msg);
    return (enum iosim_err)rep->err;
}

enum iosim_err sim_trace_db_index(struct sim_trace_db *db, char *msg, size_t msg_len)
{
    ASSERT(db != NULL);
    trace_msg(msg, msg_len, "%s", "");
    if (db->store != NULL)
        return trace_store_index(db->store, msg, msg_len);
    struct trace_wire_reply rep;
    return trace_db_ask(db, TRACE_WIRE_INDEX, 0, &rep, msg, msg_len);
}

enum iosim_err sim_trace_db_run_hash(struct sim_trace_db *db, int64_t run_id, uint64_t *hash_out,
                                     uint64_t *rows_out, char *msg, size_t msg_len)
{
    ASSERT(db != NULL && hash_out != NULL);
    trace_msg(msg, msg_len, "%s", "");
    if (db->store != NULL)
        return trace_store_run_hash(db->store, run_id, hash_out, rows_out, msg, msg_len);
    struct trace_wire_reply rep;
    enum iosim_err e = trace_db_ask(db, TRACE_WIRE_RUN_HASH, run_id, &rep, msg, msg_len);
    if (e == IOSIM_OK) {
        *hash_out = rep.a;
        if (rows_out != NULL)
            *rows_out = rep.b;
    }
    return e;
}

pid_t sim_trace_db_writer_pid(const struct sim_trace_db *db)
{
    ASSERT(db != NULL);
    return db->store != NULL ? 0 : db->pid;
}
