/* The userspace side of io_uring instances; see uring.h. */
#include "impl/uring/uring.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"

static enum iosim_err from_status(int64_t st)
{
    if (st >= 0)
        return IOSIM_OK;
    for (int e = 1; e < IOSIM_ERR_COUNT; e++)
        if (-(int64_t)iosim_err_errno((enum iosim_err)e) == st)
            return (enum iosim_err)e;
    return IOSIM_EIO;
}

static enum ring_entry_kind sqk(const struct iou *u)
{
    return u->ci.entry_bits == URING_ENTRIES_64 ? RING_SQE64 : RING_SQE32;
}

static enum ring_entry_kind cqk(const struct iou *u)
{
    return u->ci.entry_bits == URING_ENTRIES_64 ? RING_CQE64 : RING_CQE32;
}

static enum iosim_err map_regions(struct iou *u, int64_t fd)
{
    const struct { uint64_t off; uint64_t len; void **out; } m[] = {
        {URING_OFF_SQ_HEADER, RING_HEADER_BYTES, (void **)&u->sq_hdr},
        {URING_OFF_SQ_ENTRIES, (uint64_t)u->ci.sq_entries * ring_entry_size(sqk(u)), &u->sq_ents},
        {URING_OFF_CQ_HEADER, RING_HEADER_BYTES, (void **)&u->cq_hdr},
        {URING_OFF_CQ_ENTRIES, (uint64_t)u->ci.cq_entries * ring_entry_size(cqk(u)), &u->cq_ents},
    };
    for (size_t i = 0; i < 4; i++) {
        int64_t st = port_sys_fmap((uint64_t)fd, m[i].off, m[i].len, 0, m[i].out);
        if (st < 0)
            return from_status(st);
    }
    return IOSIM_OK;
}

enum iosim_err iou_create(struct iou *u, uint32_t sq_entries, uint32_t cq_entries,
                          uint32_t entry_bits)
{
    ASSERT(u != NULL);
    memset(u, 0, sizeof *u);
    u->fd = u->setup_fd = -1;
    int64_t fd = port_sys_open(URING_SCHEME, 0);
    if (fd < 0)
        return from_status(fd);
    u->setup_fd = u->fd = fd;
    u->ci = (struct uring_create_info){.version = URING_ABI_VERSION, .sq_entries = sq_entries,
                                       .cq_entries = cq_entries, .entry_bits = entry_bits};
    int64_t st = port_sys_write((uint64_t)fd, &u->ci, sizeof u->ci);
    enum iosim_err e = st < 0 ? from_status(st) : map_regions(u, fd);
    if (e != IOSIM_OK)
        iou_close(u);
    return e;
}

static enum iosim_err attach_handles(struct iou *u, enum iou_role role)
{
    enum iosim_err e;
    if (role == IOU_CONSUMER) {
        e = ring_pusher_attach(&u->push, u->sq_hdr, u->sq_ents, u->ci.sq_entries, sqk(u));
        if (e == IOSIM_OK)
            e = ring_popper_attach(&u->pop, u->cq_hdr, u->cq_ents, u->ci.cq_entries, cqk(u));
    } else {
        e = ring_popper_attach(&u->pop, u->sq_hdr, u->sq_ents, u->ci.sq_entries, sqk(u));
        if (e == IOSIM_OK)
            e = ring_pusher_attach(&u->push, u->cq_hdr, u->cq_ents, u->ci.cq_entries, cqk(u));
    }
    if (e == IOSIM_OK)
        u->role = role;
    return e;
}

static enum iosim_err attach(struct iou *u, const char *suffix, enum iou_role role)
{
    ASSERT(u->role == IOU_NONE); /* attached once */
    ASSERT(role != IOU_NONE);
    int64_t fd = port_sys_dup((uint64_t)u->setup_fd, suffix);
    if (fd < 0)
        return from_status(fd);
    u->fd = fd;
    return attach_handles(u, role);
}

enum iosim_err iou_attach_kernel(struct iou *u)
{
    return attach(u, "kernel", IOU_CONSUMER);
}

enum iosim_err iou_attach_scheme(struct iou *u, const char *name)
{
    char suffix[64] = "scheme:";
    strncat(suffix, name, sizeof suffix - strlen(suffix) - 1);
    return attach(u, suffix, IOU_PRODUCER);
}

enum iosim_err iou_attach_peer(struct iou *u, const char *name)
{
    char suffix[64] = "peer:";
    strncat(suffix, name, sizeof suffix - strlen(suffix) - 1);
    return attach(u, suffix, IOU_CONSUMER);
}

void iou_prep_peer(struct ring_sqe64 *sqe, const struct iou *secondary, char *path,
                   const char *name, uint64_t user_data)
{
    ASSERT(sqe != NULL && secondary != NULL && path != NULL && name != NULL);
    ASSERT(secondary->setup_fd >= 0);
    size_t n = strlen(name);
    memcpy(path, "peer:", 5);
    memcpy(path + 5, name, n + 1);
    *sqe = (struct ring_sqe64){.opcode = RING_OP_DUP, .fd = (uint64_t)secondary->setup_fd,
                               .addr = port_user_addr(path), .len = 5 + n,
                               .user_data = user_data};
}

enum iosim_err iou_adopt_peer(struct iou *u, int64_t attached_fd)
{
    ASSERT(u->role == IOU_NONE);
    if (attached_fd < 0)
        return from_status(attached_fd);
    u->fd = attached_fd;
    return attach_handles(u, IOU_CONSUMER);
}

enum iosim_err iou_accept_peer(struct iou *u, int64_t fd, uint32_t sq_entries,
                               uint32_t cq_entries, uint32_t entry_bits)
{
    ASSERT(u != NULL);
    memset(u, 0, sizeof *u);
    u->fd = u->setup_fd = fd;
    u->ci = (struct uring_create_info){.version = URING_ABI_VERSION, .sq_entries = sq_entries,
                                       .cq_entries = cq_entries, .entry_bits = entry_bits};
    enum iosim_err e = map_regions(u, fd);
    return e == IOSIM_OK ? attach_handles(u, IOU_PRODUCER) : e;
}

/* ---- entries, in the 64-bit layouts at the edge --------------------------- */

static void sqe_narrow(const struct ring_sqe64 *s, struct ring_sqe32 *out)
{
    *out = (struct ring_sqe32){.opcode = s->opcode, .flags = s->flags, .priority = s->priority,
                               .syscall_flags = s->syscall_flags, .fd = (uint32_t)s->fd,
                               .len = (uint32_t)s->len, .user_data = (uint32_t)s->user_data,
                               .addr = (uint32_t)s->addr, .offset = s->offset};
}

static void sqe_widen(const struct ring_sqe32 *s, struct ring_sqe64 *out)
{
    *out = (struct ring_sqe64){.opcode = s->opcode, .flags = s->flags, .priority = s->priority,
                               .syscall_flags = s->syscall_flags, .fd = s->fd, .len = s->len,
                               .user_data = s->user_data, .addr = s->addr, .offset = s->offset};
}

enum iosim_err iou_submit(struct iou *u, const struct ring_sqe64 *sqe)
{
    ASSERT(u->role == IOU_CONSUMER);
    ASSERT(sqe != NULL);
    if (u->ci.entry_bits == URING_ENTRIES_64)
        return ring_push(&u->push, sqe);
    struct ring_sqe32 s;
    sqe_narrow(sqe, &s);
    return ring_push(&u->push, &s);
}

enum iosim_err iou_reap(struct iou *u, struct ring_cqe64 *cqe)
{
    ASSERT(u->role == IOU_CONSUMER);
    ASSERT(cqe != NULL);
    if (u->ci.entry_bits == URING_ENTRIES_64)
        return ring_pop(&u->pop, cqe);
    struct ring_cqe32 c;
    enum iosim_err e = ring_pop(&u->pop, &c);
    if (e == IOSIM_OK)
        *cqe = (struct ring_cqe64){.user_data = c.user_data, .status = (uint64_t)(int64_t)(int32_t)c.status,
                                   .flags = c.flags, .extra = c.extra};
    return e;
}

enum iosim_err iou_submit_wait(struct iou *u, const struct ring_sqe64 *sqe)
{
    enum iosim_err e;
    while ((e = iou_submit(u, sqe)) == IOSIM_EAGAIN)
        (void)iou_enter(u, 1, PORT_WAIT_FOREVER);
    return e;
}

enum iosim_err iou_next_request(struct iou *u, struct ring_sqe64 *sqe)
{
    ASSERT(u->role == IOU_PRODUCER);
    if (u->ci.entry_bits == URING_ENTRIES_64)
        return ring_pop(&u->pop, sqe);
    struct ring_sqe32 s;
    enum iosim_err e = ring_pop(&u->pop, &s);
    if (e == IOSIM_OK)
        sqe_widen(&s, sqe);
    return e;
}

enum iosim_err iou_reply(struct iou *u, uint64_t user_data, int64_t status, uint64_t extra)
{
    ASSERT(u->role == IOU_PRODUCER);
    if (u->ci.entry_bits == URING_ENTRIES_64) {
        struct ring_cqe64 c = {.user_data = user_data, .status = (uint64_t)status, .extra = extra};
        return ring_push(&u->push, &c);
    }
    struct ring_cqe32 c = {.user_data = (uint32_t)user_data, .status = (uint32_t)status,
                           .extra = (uint32_t)extra};
    return ring_push(&u->push, &c);
}

int64_t iou_enter(struct iou *u, uint64_t min, uint64_t timeout_ns)
{
    return port_sys_enter((uint64_t)u->fd, min, timeout_ns);
}

void iou_close(struct iou *u)
{
    if (u->fd >= 0 && u->fd != u->setup_fd)
        (void)port_sys_close((uint64_t)u->fd);
    if (u->setup_fd >= 0)
        (void)port_sys_close((uint64_t)u->setup_fd);
    u->fd = u->setup_fd = -1;
    u->role = IOU_NONE;
}

enum iosim_err iou_reply_wait(struct iou *u, uint64_t user_data, int64_t status, uint64_t extra,
                              uint64_t poll_ns)
{
    enum iosim_err e;
    while ((e = iou_reply(u, user_data, status, extra)) == IOSIM_EAGAIN)
        (void)iou_enter(u, 0, poll_ns);
    return e;
}
