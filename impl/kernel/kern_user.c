/*
 * The root scheme (":") and the schemes processes serve.
 *
 * open(":NAME") creates scheme NAME, served by the caller; the fd it returns
 * is the scheme's socket. Requests for NAME (from system calls, from rings)
 * queue in the scheme's backlog and are handed to the server either over its
 * kernel -> userspace ring (io_uring dup "scheme:NAME") or, one packet at a
 * time, by reads of its socket: a read returns the request as an SqEntry64
 * (user_data: the kernel's request id), and the server answers by writing a
 * CqEntry64 with the same user_data. A socket read that finds nothing waits:
 * the root scheme is asynchronous (poll_handle), so a read through a
 * userspace -> kernel ring never blocks the kernel. Every request to a
 * served scheme is asynchronous too.
 */
#include <string.h>

#include "impl/kernel/kern_internal.h"
#include "impl/port/check.h"

/* ---- lists of requests ------------------------------------------------------- */

void kern_list_init(struct kern_list *l)
{
    ASSERT(l != NULL);
    l->head = l->tail = KERN_NONE;
}

void kern_list_push(struct kern *k, struct kern_list *l, struct kern_req *r,
                    enum kern_req_place place)
{
    ASSERT(kern_req_check(k, r));
    ASSERT(r->route != KR_FREE);
    ASSERT(r->place == KQ_NONE);
    ASSERT(place != KQ_NONE);
    ASSERT((l->head == KERN_NONE) == (l->tail == KERN_NONE));
    uint32_t idx = (uint32_t)(r - k->reqs);
    r->next = KERN_NONE;
    r->place = place;
    if (l->tail == KERN_NONE)
        l->head = idx;
    else
        k->reqs[l->tail].next = idx;
    l->tail = idx;
    ASSERT(l->head != KERN_NONE && k->reqs[l->tail].next == KERN_NONE);
}

struct kern_req *kern_list_pop(struct kern *k, struct kern_list *l)
{
    ASSERT((l->head == KERN_NONE) == (l->tail == KERN_NONE));
    if (l->head == KERN_NONE)
        return NULL;
    ASSERT(l->head < KERN_REQS_MAX);
    struct kern_req *r = &k->reqs[l->head];
    ASSERT(kern_req_check(k, r));
    ASSERT(r->route != KR_FREE && r->place != KQ_NONE);
    l->head = r->next;
    if (l->head == KERN_NONE)
        l->tail = KERN_NONE;
    r->next = KERN_NONE;
    r->place = KQ_NONE;
    return r;
}

void kern_list_remove(struct kern *k, struct kern_list *l, struct kern_req *r)
{
    ASSERT(kern_req_check(k, r));
    ASSERT(r->place != KQ_NONE); /* it is on a list: this one, by the caller's word */
    uint32_t idx = (uint32_t)(r - k->reqs), prev = KERN_NONE;
    for (uint32_t i = l->head; i != KERN_NONE; prev = i, i = k->reqs[i].next) {
        if (i != idx)
            continue;
        if (prev == KERN_NONE)
            l->head = r->next;
        else
            k->reqs[prev].next = r->next;
        if (l->tail == idx)
            l->tail = prev;
        r->next = KERN_NONE;
        r->place = KQ_NONE;
        ASSERT((l->head == KERN_NONE) == (l->tail == KERN_NONE));
        return;
    }
    ASSERT(false); /* not on the list it was said to be on */
}

static void list_fail(struct kern *k, struct kern_list *l, enum iosim_err e)
{
    struct kern_req *r;
    for (uint32_t guard = 0; guard < KERN_REQS_MAX && (r = kern_list_pop(k, l)) != NULL; guard++)
        kern_req_finish(k, r, kern_err(e));
}

/* ---- served schemes ------------------------------------------------------------- */

struct kern_uscheme *kern_user_find(struct kern *k, const char *name)
{
    struct kern_scheme *s = kern_scheme_find(k, name, strlen(name));
    return s != NULL && s->ops == &kern_user_ops ? s->ctx : NULL;
}

static void uscheme_close(struct kern *k, struct kern_uscheme *u)
{
    list_fail(k, &u->backlog, IOSIM_ESHUTDOWN);
    list_fail(k, &u->readers, IOSIM_ESHUTDOWN);
    list_fail(k, &u->delivered, IOSIM_ESHUTDOWN);
    ASSERT(u->backlog.head == KERN_NONE && u->readers.head == KERN_NONE);
    ASSERT(u->delivered.head == KERN_NONE);
    k->schemes[u->scheme].used = false;
    u->used = false;
}

int64_t kern_user_submit(struct kern *k, struct kern_uscheme *u, struct kern_req *r)
{
    ASSERT(u >= k->uschemes && u < k->uschemes + KERN_SCHEMES_MAX);
    ASSERT(kern_req_check(k, r));
    ASSERT(r->place == KQ_NONE);
    if (!u->used)
        return kern_err(IOSIM_ESHUTDOWN);
    r->aux2 = (uint32_t)(u - k->uschemes);
    kern_list_push(k, &u->backlog, r, KQ_BACKLOG);
    kern_user_deliver(k, u);
    return KERN_PENDING;
}

/* The request as the server sees it. */
static struct ring_sqe64 request_sqe(const struct kern *k, const struct kern_req *r)
{
    const struct kern_call *c = &r->call;
    struct ring_sqe64 s = {.opcode = c->op, .fd = c->handle, .len = c->len, .offset = c->offset,
                           .user_data = kern_req_id(k, r), .syscall_flags = (uint32_t)c->flags,
                           .addr = c->buf != NULL ? port_user_addr(c->buf) : 0};
    if (c->op == RING_OP_DUP && (c->flags & URING_DUP_NEW_RING)) {
        /* a secondary ring on offer: the server's new fd, the geometry, and who
         * offers it (the server may serve each client differently: pcid binds
         * a driver's ring to that driver's device) */
        const struct uring_create_info *ci = &k->insts[c->handle].reg.ci;
        s.fd = r->aux;
        s.addr = c->pid;
        s.len = ci->sq_entries;
        s.offset = (uint64_t)ci->cq_entries | (uint64_t)ci->entry_bits << 32;
    } else if (c->op == RING_OP_OPEN || c->op == RING_OP_DUP) {
        s.addr = port_user_addr(c->path); /* kernel memory the server may read */
        s.len = strlen(c->path);
        s.offset = c->op == RING_OP_OPEN ? c->flags : 0;
    }
    return s;
}

/* Over the scheme's kernel -> userspace ring. False when it is full. */
static bool deliver_ring(struct kern *k, struct kern_uscheme *u, struct kern_req *r)
{
    struct kern_inst *inst = &k->insts[u->ring];
    struct ring_sqe64 s = request_sqe(k, r);
    union { struct ring_sqe64 s64; struct ring_sqe32 s32; } e;
    if (inst->reg.ci.entry_bits == URING_ENTRIES_64)
        e.s64 = s;
    else
        e.s32 = (struct ring_sqe32){.opcode = s.opcode, .syscall_flags = s.syscall_flags,
                                    .fd = (uint32_t)s.fd, .len = (uint32_t)s.len,
                                    .user_data = (uint32_t)s.user_data,
                                    .addr = (uint32_t)s.addr, .offset = s.offset};
    if (ring_push(&inst->cons.sq, &e) != IOSIM_OK)
        return false;
    (void)port_wake(&inst->reg.sq_hdr->shared_push_epoch, PORT_WAKE_ALL);
    return true;
}

/* To a socket read waiting for a packet: it finishes with the SqEntry64. */
static void deliver_packet(struct kern *k, struct kern_req *reader, struct kern_req *r)
{
    struct ring_sqe64 s = request_sqe(k, r);
    port_shm_write(reader->call.buf, &s, sizeof s);
    kern_req_finish(k, reader, (int64_t)sizeof s);
}

void kern_user_deliver(struct kern *k, struct kern_uscheme *u)
{
    ASSERT(u >= k->uschemes && u < k->uschemes + KERN_SCHEMES_MAX);
    ASSERT(u->ring == KERN_NONE || u->ring < KERN_INSTS_MAX);
    for (uint32_t guard = 0; guard < KERN_REQS_MAX && u->backlog.head != KERN_NONE; guard++) {
        struct kern_req *r = &k->reqs[u->backlog.head];
        if (u->ring != KERN_NONE) {
            if (!deliver_ring(k, u, r))
                return;
            (void)kern_list_pop(k, &u->backlog);
        } else if (u->readers.head != KERN_NONE) {
            (void)kern_list_pop(k, &u->backlog);
            deliver_packet(k, kern_list_pop(k, &u->readers), r);
        } else {
            return;
        }
        kern_list_push(k, &u->delivered, r, KQ_DELIVERED);
    }
}

void kern_user_answer(struct kern *k, struct kern_uscheme *u, uint64_t user_data, int64_t status)
{
    ASSERT(u >= k->uschemes && u < k->uschemes + KERN_SCHEMES_MAX);
    struct kern_req *r = kern_req_by_id(k, user_data);
    if (r == NULL || r->place != KQ_DELIVERED || r->aux2 != (uint32_t)(u - k->uschemes))
        return; /* an answer to nothing we asked: ignore it, as a kernel must */
    kern_list_remove(k, &u->delivered, r);
    kern_req_finish(k, r, status == KERN_PENDING ? kern_err(IOSIM_EPROTO) : status);
}

void kern_user_ring_gone(struct kern *k, struct kern_uscheme *u)
{
    ASSERT(u >= k->uschemes && u < k->uschemes + KERN_SCHEMES_MAX);
    u->ring = KERN_NONE;
    list_fail(k, &u->delivered, IOSIM_ESHUTDOWN);
}

void kern_user_proc_gone(struct kern *k, uint32_t pid)
{
    for (uint32_t i = 0; i < KERN_SCHEMES_MAX; i++)
        if (k->uschemes[i].used && k->uschemes[i].owner_pid == pid)
            uscheme_close(k, &k->uschemes[i]);
}

/* Every request to a served scheme waits for its server. */
static int64_t user_poll(struct kern *k, void *ctx, struct kern_req *r)
{
    return kern_user_submit(k, ctx, r);
}

const struct kern_scheme_ops kern_user_ops = {
    .poll_handle = user_poll,
};

/* ---- the root scheme ------------------------------------------------------------------------- */

static int64_t root_create(struct kern *k, struct kern_call *c)
{
    if (c->path[0] == '\0' || strlen(c->path) >= KERN_NAME_MAX || strchr(c->path, ':') != NULL)
        return kern_err(IOSIM_EINVAL);
    if (kern_scheme_find(k, c->path, strlen(c->path)) != NULL)
        return kern_err(IOSIM_EEXIST);
    for (uint32_t i = 0; i < KERN_SCHEMES_MAX; i++) {
        struct kern_uscheme *u = &k->uschemes[i];
        if (u->used)
            continue;
        uint32_t s = kern_scheme_add(k, c->path, &kern_user_ops, u);
        if (s == KERN_NONE)
            return kern_err(IOSIM_ENOSPC);
        *u = (struct kern_uscheme){.used = true, .owner_pid = c->pid, .scheme = s,
                                   .ring = KERN_NONE};
        kern_list_init(&u->backlog);
        kern_list_init(&u->readers);
        kern_list_init(&u->delivered);
        return i;
    }
    return kern_err(IOSIM_ENOSPC);
}

static struct kern_uscheme *socket_of(struct kern *k, const struct kern_call *c)
{
    if (c->handle >= KERN_SCHEMES_MAX || !k->uschemes[c->handle].used ||
        k->uschemes[c->handle].owner_pid != c->pid)
        return NULL;
    return &k->uschemes[c->handle];
}

/* A packet read: a request if one waits, else the read waits. */
static int64_t socket_read(struct kern *k, struct kern_uscheme *u, struct kern_req *r)
{
    if (r->call.len < sizeof(struct ring_sqe64) || r->call.buf == NULL)
        return kern_err(IOSIM_EINVAL);
    kern_list_push(k, &u->readers, r, KQ_READERS);
    r->aux2 = (uint32_t)(u - k->uschemes);
    kern_user_deliver(k, u);
    return KERN_PENDING; /* delivered at once or later: finished by deliver_packet */
}

/* A packet write: the server's answer, a CqEntry64. */
static int64_t socket_write(struct kern *k, struct kern_uscheme *u, struct kern_call *c)
{
    struct ring_cqe64 cqe;
    if (c->len != sizeof cqe || c->buf == NULL)
        return kern_err(IOSIM_EINVAL);
    port_shm_read(&cqe, c->buf, sizeof cqe);
    kern_user_answer(k, u, cqe.user_data, (int64_t)cqe.status);
    return (int64_t)sizeof cqe;
}

static int64_t root_poll(struct kern *k, void *ctx, struct kern_req *r)
{
    (void)ctx;
    struct kern_call *c = &r->call;
    if (c->op == RING_OP_OPEN)
        return root_create(k, c);
    struct kern_uscheme *u = socket_of(k, c);
    if (u == NULL)
        return kern_err(IOSIM_EBADF);
    switch (c->op) {
    case RING_OP_READ: return socket_read(k, u, r);
    case RING_OP_WRITE: return socket_write(k, u, c);
    case RING_OP_CLOSE: uscheme_close(k, u); return 0;
    case RING_OP_FSYNC: return 0;
    default: return kern_err(IOSIM_EINVAL);
    }
}

const struct kern_scheme_ops kern_root_ops = {
    .poll_handle = root_poll,
};
