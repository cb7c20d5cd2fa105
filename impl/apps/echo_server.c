/*
 * echo_server: serves a scheme whose files remember what was last written
 * to them. Requests come over the scheme's kernel -> userspace ring and over
 * secondary (userspace -> userspace) rings clients offer; the server is the
 * producer of all of them. Arguments: scheme (string, "echo"), entries
 * (ring size, 16). Runs until the kernel shuts its ring down.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define ECHO_FILES 32u
#define ECHO_BYTES 256u
#define ECHO_PEERS 4u
#define ECHO_POLL_NS 5000u   /* how often secondary rings are looked at */

struct echo_file {
    bool used;
    uint32_t len;
    uint8_t data[ECHO_BYTES];
};

struct echo {
    struct iou main;
    struct iou peers[ECHO_PEERS];
    uint32_t peer_count;
    struct echo_file files[ECHO_FILES];
};

static int64_t err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

static int64_t echo_open(struct echo *s)
{
    for (uint32_t h = 0; h < ECHO_FILES; h++) {
        if (!s->files[h].used) {
            s->files[h] = (struct echo_file){.used = true};
            return h;
        }
    }
    return err(IOSIM_ENOSPC);
}

static struct echo_file *file_of(struct echo *s, uint64_t h)
{
    return h < ECHO_FILES && s->files[h].used ? &s->files[h] : NULL;
}

static int64_t echo_rw(struct echo *s, const struct ring_sqe64 *q)
{
    struct echo_file *f = file_of(s, q->fd);
    if (f == NULL)
        return err(IOSIM_EBADF);
    uint32_t n = q->len < ECHO_BYTES ? (uint32_t)q->len : ECHO_BYTES;
    void *user = port_user_ptr(q->addr, n); /* checked: the address came from a peer */
    if (user == NULL)
        return err(IOSIM_EFAULT);
    if (q->opcode == RING_OP_WRITE) {
        port_shm_read(f->data, user, n);
        f->len = n;
        return n;
    }
    n = n < f->len ? n : f->len;
    port_shm_write(user, f->data, n);
    return n;
}

/* A client offers a secondary ring: take it if there is room. */
static int64_t echo_accept(struct echo *s, const struct ring_sqe64 *q)
{
    if (!(q->syscall_flags & URING_DUP_NEW_RING) || s->peer_count == ECHO_PEERS)
        return err(IOSIM_EINVAL);
    struct iou *p = &s->peers[s->peer_count];
    enum iosim_err e = iou_accept_peer(p, (int64_t)q->fd, (uint32_t)q->len,
                                       (uint32_t)q->offset, (uint32_t)(q->offset >> 32));
    if (e != IOSIM_OK)
        return err(e);
    s->peer_count++;
    return 0;
}

static int64_t echo_handle(struct echo *s, const struct ring_sqe64 *q)
{
    switch (q->opcode) {
    case RING_OP_NOP: return 0;
    case RING_OP_OPEN: return echo_open(s);
    case RING_OP_READ:
    case RING_OP_WRITE: return echo_rw(s, q);
    case RING_OP_FSYNC: return file_of(s, q->fd) != NULL ? 0 : err(IOSIM_EBADF);
    case RING_OP_CLOSE:
        if (file_of(s, q->fd) == NULL)
            return err(IOSIM_EBADF);
        s->files[q->fd].used = false;
        return 0;
    case RING_OP_DUP: return echo_accept(s, q);
    default: return err(IOSIM_ENOSYS);
    }
}

/* Serves everything waiting on one ring; false once it is shut down. */
static bool serve(struct echo *s, struct iou *ring)
{
    struct ring_sqe64 q;
    enum iosim_err e;
    while ((e = iou_next_request(ring, &q)) == IOSIM_OK) {
        int64_t st = echo_handle(s, &q);
        (void)iou_reply_wait(ring, q.user_data, st, 0, ECHO_POLL_NS);
    }
    return e == IOSIM_EAGAIN;
}

int32_t app_echo_server(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct echo), 0, &mem) != IOSIM_OK)
        return 2;
    struct echo *s = mem.host; /* zeroed; the process's memory, freed when it ends */
    const char *name = app_arg_str(args, "scheme", "echo");
    uint32_t entries = (uint32_t)app_arg_int(args, "entries", 16);
    int64_t sock = app_scheme_open(name, entries, &s->main);
    if (sock < 0)
        return 2;
    for (;;) {
        uint64_t wait = s->peer_count > 0 ? ECHO_POLL_NS : PORT_WAIT_FOREVER;
        int64_t n = iou_enter(&s->main, 1, wait);
        if (n < 0 && n != err(IOSIM_ETIMEDOUT))
            break;
        if (!serve(s, &s->main))
            break;
        for (uint32_t i = 0; i < s->peer_count; i++) {
            (void)serve(s, &s->peers[i]);
            (void)iou_enter(&s->peers[i], 0, 0); /* tells the client the answers are there */
        }
    }
    iou_close(&s->main);
    (void)port_sys_close((uint64_t)sock);
    return 0;
}
