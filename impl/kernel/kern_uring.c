/*
 * The `io_uring:` scheme: instances (Initial -> Created -> Attached), their
 * regions, the three attach modes, enter, and the kernel's dispatch of SQEs
 * it serves. See uring_abi.h for the ABI and kernel.h for the rules.
 *
 * The kernel never blocks while it dispatches a ring: it takes an SQE only
 * while the CQ has room for the completion of every request it has in
 * flight, so posting a CQE always succeeds, and a request an asynchronous
 * scheme cannot finish now is completed later by whoever finishes it.
 */
#include <string.h>

#include "impl/kernel/kern_internal.h"
#include "impl/port/check.h"
#include "impl/port/trace.h"

static uint32_t inst_index(const struct kern *k, const struct kern_inst *inst)
{
    ASSERT(inst >= k->insts && inst < k->insts + KERN_INSTS_MAX);
    return (uint32_t)(inst - k->insts);
}

struct kern_inst *kern_inst_of(struct kern *k, uint32_t pid, uint64_t fd)
{
    struct kern_file *f = kern_fd_get(k, pid, fd);
    if (f == NULL || f->scheme != &k->schemes[k->uring] || f->handle >= KERN_INSTS_MAX)
        return NULL;
    struct kern_inst *inst = &k->insts[f->handle];
    ASSERT(kern_inst_check(k, inst));
    return inst->state == KI_FREE ? NULL : inst;
}

static struct kern_inst *inst_by_handle(struct kern *k, uint64_t handle)
{
    if (handle >= KERN_INSTS_MAX || k->insts[handle].state == KI_FREE)
        return NULL;
    return &k->insts[handle];
}

/* ---- life cycle ------------------------------------------------------------- */

static int64_t uring_open(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    if (c->path[0] != '\0')
        return kern_err(IOSIM_ENOENT);
    for (uint32_t i = 0; i < KERN_INSTS_MAX; i++) {
        struct kern_inst *inst = &k->insts[i];
        if (inst->state != KI_FREE)
            continue;
        memset(inst, 0, sizeof *inst);
        inst->state = KI_INITIAL;
        inst->owner_pid = c->pid;
        ASSERT(kern_inst_check(k, inst));
        ASSERT(inst->mode == KM_NONE);
        return i;
    }
    return kern_err(IOSIM_ENOSPC);
}

static bool create_info_ok(const struct uring_create_info *ci)
{
    bool pow2 = ci->sq_entries != 0 && (ci->sq_entries & (ci->sq_entries - 1)) == 0 &&
                ci->cq_entries != 0 && (ci->cq_entries & (ci->cq_entries - 1)) == 0;
    return ci->version == URING_ABI_VERSION && ci->flags == 0 && ci->reserved == 0 && pow2 &&
           ci->sq_entries <= URING_ENTRIES_MAX && ci->cq_entries <= URING_ENTRIES_MAX &&
           (ci->entry_bits == URING_ENTRIES_64 || ci->entry_bits == URING_ENTRIES_32);
}

static void regions_free(struct kern_regions *rg)
{
    ASSERT(rg != NULL);
    port_kmem_free(rg->sq_hdr, RING_HEADER_BYTES);
    port_kmem_free(rg->cq_hdr, RING_HEADER_BYTES);
    port_kmem_free(rg->sq_ents, rg->sq_ents_bytes);
    port_kmem_free(rg->cq_ents, rg->cq_ents_bytes);
    memset(rg, 0, sizeof *rg);
}

static enum ring_entry_kind sq_kind(const struct kern_regions *rg)
{
    return rg->ci.entry_bits == URING_ENTRIES_64 ? RING_SQE64 : RING_SQE32;
}

static enum ring_entry_kind cq_kind(const struct kern_regions *rg)
{
    return rg->ci.entry_bits == URING_ENTRIES_64 ? RING_CQE64 : RING_CQE32;
}

static enum iosim_err regions_alloc(struct kern_regions *rg)
{
    ASSERT(create_info_ok(&rg->ci)); /* validated by the caller */
    ASSERT(rg->sq_hdr == NULL && rg->cq_hdr == NULL);
    rg->sq_ents_bytes = (size_t)rg->ci.sq_entries * ring_entry_size(sq_kind(rg));
    rg->cq_ents_bytes = (size_t)rg->ci.cq_entries * ring_entry_size(cq_kind(rg));
    void *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    enum iosim_err e = port_kmem_alloc(RING_HEADER_BYTES, &a);
    if (e == IOSIM_OK)
        e = port_kmem_alloc(RING_HEADER_BYTES, &b);
    if (e == IOSIM_OK)
        e = port_kmem_alloc(rg->sq_ents_bytes, &c);
    if (e == IOSIM_OK)
        e = port_kmem_alloc(rg->cq_ents_bytes, &d);
    rg->sq_hdr = a;
    rg->cq_hdr = b;
    rg->sq_ents = c;
    rg->cq_ents = d;
    if (e == IOSIM_OK)
        e = ring_header_init(rg->sq_hdr, rg->ci.sq_entries);
    if (e == IOSIM_OK)
        e = ring_header_init(rg->cq_hdr, rg->ci.cq_entries);
    if (e != IOSIM_OK)
        regions_free(rg);
    return e;
}

/* Writing the create-info moves Initial to Created. */
static int64_t uring_write(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    struct kern_inst *inst = inst_by_handle(k, c->handle);
    struct uring_create_info ci;
    if (inst == NULL || inst->state != KI_INITIAL || c->len != sizeof ci || c->buf == NULL)
        return kern_err(IOSIM_EINVAL);
    memcpy(&ci, c->buf, sizeof ci);
    if (!create_info_ok(&ci))
        return kern_err(IOSIM_EINVAL);
    inst->reg.ci = ci;
    enum iosim_err e = regions_alloc(&inst->reg);
    if (e != IOSIM_OK)
        return kern_err(e);
    ASSERT(inst->reg.sq_hdr != NULL && inst->reg.cq_hdr != NULL);
    inst->state = KI_CREATED;
    return (int64_t)sizeof ci;
}

static int64_t uring_fmap(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    struct kern_inst *inst = inst_by_handle(k, c->handle);
    if (inst == NULL || (inst->state != KI_CREATED && inst->state != KI_ATTACHED))
        return kern_err(IOSIM_EINVAL);
    struct kern_regions *rg = &inst->reg;
    struct { uint64_t off; void *p; size_t len; } map[] = {
        {URING_OFF_SQ_HEADER, rg->sq_hdr, RING_HEADER_BYTES},
        {URING_OFF_SQ_ENTRIES, rg->sq_ents, rg->sq_ents_bytes},
        {URING_OFF_CQ_HEADER, rg->cq_hdr, RING_HEADER_BYTES},
        {URING_OFF_CQ_ENTRIES, rg->cq_ents, rg->cq_ents_bytes},
    };
    for (size_t i = 0; i < 4; i++) {
        if (map[i].off != c->offset)
            continue;
        if (c->len == 0 || c->len > map[i].len)
            return kern_err(IOSIM_EINVAL);
        c->out_addr = map[i].p;
        return 0;
    }
    return kern_err(IOSIM_EINVAL);
}

/* ---- attaching ------------------------------------------------------------------- */

/* userspace -> kernel: the caller is the consumer, the kernel the producer */
static int64_t attach_kernel(struct kern *k, struct kern_inst *inst, uint32_t pid)
{
    struct kern_regions *rg = &inst->reg;
    struct kern_producer *p = &inst->prod;
    memset(p, 0, sizeof *p);
    if (ring_popper_attach(&p->sq, rg->sq_hdr, rg->sq_ents, rg->ci.sq_entries, sq_kind(rg)) !=
            IOSIM_OK ||
        ring_pusher_attach(&p->cq, rg->cq_hdr, rg->cq_ents, rg->ci.cq_entries, cq_kind(rg)) !=
            IOSIM_OK)
        return kern_err(IOSIM_EPROTO);
    p->consumer_pid = pid;
    inst->mode = KM_U2K;
    inst->state = KI_ATTACHED;
    ASSERT(p->inflight == 0 && !p->broken);
    ASSERT(kern_inst_check(k, inst));
    return inst_index(k, inst);
}

enum iosim_err kern_uring_attach_scheme_ring(struct kern *k, struct kern_inst *inst,
                                             uint32_t uscheme)
{
    ASSERT(uscheme < KERN_SCHEMES_MAX);
    ASSERT(inst->state == KI_CREATED);
    struct kern_regions *rg = &inst->reg;
    struct kern_consumer *cons = &inst->cons;
    memset(cons, 0, sizeof *cons);
    if (ring_pusher_attach(&cons->sq, rg->sq_hdr, rg->sq_ents, rg->ci.sq_entries, sq_kind(rg)) !=
            IOSIM_OK ||
        ring_popper_attach(&cons->cq, rg->cq_hdr, rg->cq_ents, rg->ci.cq_entries, cq_kind(rg)) !=
            IOSIM_OK)
        return IOSIM_EPROTO;
    cons->producer_pid = inst->owner_pid;
    cons->scheme = uscheme;
    inst->mode = KM_K2U;
    inst->state = KI_ATTACHED;
    k->uschemes[uscheme].ring = inst_index(k, inst);
    ASSERT(kern_inst_check(k, inst));
    kern_user_deliver(k, &k->uschemes[uscheme]);
    return IOSIM_OK;
}

/* kernel -> userspace: the caller serves its scheme NAME over this ring */
static int64_t attach_scheme(struct kern *k, struct kern_inst *inst, uint32_t pid,
                             const char *name)
{
    struct kern_uscheme *u = kern_user_find(k, name);
    if (u == NULL || u->owner_pid != pid)
        return kern_err(IOSIM_ENOENT);
    if (u->ring != KERN_NONE)
        return kern_err(IOSIM_EBUSY); /* at most one kernel -> userspace ring per scheme */
    enum iosim_err e = kern_uring_attach_scheme_ring(k, inst, (uint32_t)(u - k->uschemes));
    return e == IOSIM_OK ? inst_index(k, inst) : kern_err(e);
}

/* The server answered a secondary-ring offer: on success the instance is
 * userspace -> userspace and the client gets an fd for it. */
static int64_t peer_answered(struct kern *k, struct kern_req *r, int64_t status)
{
    struct kern_inst *inst = inst_by_handle(k, r->call.handle);
    if (inst == NULL || inst->state != KI_CREATED)
        return kern_err(IOSIM_ESHUTDOWN);
    if (status < 0) {
        kern_fd_free(k, inst->peer_pid, r->aux); /* the server's fd for it */
        inst->peer_pid = 0;
        return status;
    }
    inst->mode = KM_U2U;
    inst->state = KI_ATTACHED;
    ASSERT(inst->peer_pid != 0);
    return inst_index(k, inst);
}

/* userspace -> userspace with the server of scheme NAME: offer it the
 * instance (a new fd in the server's table) and wait for its answer. */
static int64_t attach_peer(struct kern *k, struct kern_inst *inst, struct kern_req *r,
                           const char *name)
{
    struct kern_uscheme *u = kern_user_find(k, name);
    if (u == NULL)
        return kern_err(IOSIM_ENOENT);
    if (u->owner_pid == r->call.pid)
        return kern_err(IOSIM_EINVAL);
    int64_t srv_fd = kern_fd_alloc(k, u->owner_pid, &k->schemes[k->uring], inst_index(k, inst));
    if (srv_fd < 0)
        return srv_fd;
    inst->peer_pid = u->owner_pid;
    r->aux = (uint32_t)srv_fd;
    r->on_answer = peer_answered;
    r->call.flags = URING_DUP_NEW_RING;
    return kern_user_submit(k, u, r);
}

static int64_t uring_dup(struct kern *k, struct kern_inst *inst, struct kern_req *r)
{
    const char *s = r->call.path;
    if (inst->state != KI_CREATED || inst->owner_pid != r->call.pid)
        return kern_err(IOSIM_EINVAL); /* Initial, or already attached */
    if (strcmp(s, "kernel") == 0)
        return attach_kernel(k, inst, r->call.pid);
    if (strncmp(s, "scheme:", 7) == 0)
        return attach_scheme(k, inst, r->call.pid, s + 7);
    if (strncmp(s, "peer:", 5) == 0)
        return attach_peer(k, inst, r, s + 5);
    return kern_err(IOSIM_EINVAL);
}

/* ---- closing ------------------------------------------------------------------------ */

static uint32_t fds_on(struct kern *k, uint32_t pid, uint32_t idx)
{
    struct kern_proc *p = kern_proc_get(k, pid, false);
    uint32_t n = 0;
    for (uint32_t fd = 0; p != NULL && fd < KERN_FDS_MAX; fd++)
        n += p->fds[fd].scheme == &k->schemes[k->uring] && p->fds[fd].handle == idx;
    return n;
}

static void detach_ring_requests(struct kern *k, uint32_t idx)
{
    ASSERT(idx < KERN_INSTS_MAX);
    for (uint32_t i = 0; i < KERN_REQS_MAX; i++)
        if (k->reqs[i].route == KR_RING && k->reqs[i].inst == idx)
            k->reqs[i].route = KR_DETACHED;
}

/* A userspace -> userspace ring's side left. The kernel holds no handle
 * of it, so it moves epochs it does not own: safe only because the side
 * that stays never stores that epoch again to wake anyone (its pushes fail
 * on POPPER_DOWN; nobody sleeps on a pop epoch). */
static void set_status(struct ring_header *hdr, uint32_t bits)
{
    ASSERT(hdr != NULL);
    ASSERT(bits != 0 && (bits & ~(RING_STATUS_PUSHER_DOWN | RING_STATUS_POPPER_DOWN)) == 0);
    (void)port_fetch_or_u32(&hdr->shared_status, bits, PORT_RELEASE);
    (void)port_fetch_add_u32(&hdr->shared_push_epoch, 1, PORT_RELEASE);
    (void)port_fetch_add_u32(&hdr->shared_pop_epoch, 1, PORT_RELEASE);
    (void)port_wake(&hdr->shared_push_epoch, PORT_WAKE_ALL);
    (void)port_wake(&hdr->shared_pop_epoch, PORT_WAKE_ALL);
}

/* A server sleeps on its scheme's ring, not on its secondaries: what
 * happens on a secondary (a NOTIFY_PEER, its peer leaving) wakes the
 * scheme rings `pid` serves too. */
static void wake_server(struct kern *k, uint32_t pid)
{
    for (uint32_t i = 0; i < KERN_INSTS_MAX; i++) {
        struct kern_inst *in = &k->insts[i];
        if (in->state != KI_ATTACHED || in->mode != KM_K2U || in->cons.producer_pid != pid)
            continue;
        /* moved, not only woken: a server between its last look and its
         * sleep must not sleep through it (its sleep compares the word).
         * Moved through the kernel's pusher, the word's one writer: a
         * fetch_add beside it would leave the pusher's local epoch behind,
         * its next push would store a value the word already had (3, then
         * 2, then 3 again) and a server that read 3 would sleep through
         * both (ring.h, "Own indices and own epochs") */
        ring_pusher_notify(&in->cons.sq);
        (void)port_wake(&in->reg.sq_hdr->shared_push_epoch, PORT_WAKE_ALL);
    }
}

/* The side `pid` let go of the instance: shut its opposite ring down, so the
 * other side drains what is left and then sees "shut down". */
static void shut_side(struct kern *k, struct kern_inst *inst, uint32_t pid)
{
    ASSERT(inst->state == KI_ATTACHED);
    ASSERT(kern_inst_check(k, inst));
    struct kern_regions *rg = &inst->reg;
    switch (inst->mode) {
    case KM_U2K:
        detach_ring_requests(k, inst_index(k, inst));
        ring_pusher_shutdown(&inst->prod.cq);
        ring_popper_shutdown(&inst->prod.sq);
        return;
    case KM_K2U:
        kern_user_ring_gone(k, &k->uschemes[inst->cons.scheme]);
        ring_pusher_shutdown(&inst->cons.sq);
        ring_popper_shutdown(&inst->cons.cq);
        return;
    case KM_U2U:
        if (pid == inst->owner_pid) { /* the consumer: pushes SQEs, pops CQEs */
            set_status(rg->sq_hdr, RING_STATUS_PUSHER_DOWN);
            set_status(rg->cq_hdr, RING_STATUS_POPPER_DOWN);
        } else {
            set_status(rg->sq_hdr, RING_STATUS_POPPER_DOWN);
            set_status(rg->cq_hdr, RING_STATUS_PUSHER_DOWN);
        }
        wake_server(k, pid == inst->owner_pid ? inst->peer_pid : inst->owner_pid);
        return;
    case KM_NONE:
        return;
    }
}

static int64_t uring_close(struct kern *k, struct kern_inst *inst, uint32_t pid)
{
    uint32_t idx = inst_index(k, inst);
    if (fds_on(k, pid, idx) > 0)
        return 0; /* the process still holds it through another fd */
    if (inst->state == KI_ATTACHED)
        shut_side(k, inst, pid);
    bool owner_left = fds_on(k, inst->owner_pid, idx) == 0;
    bool peer_left = inst->peer_pid == 0 || fds_on(k, inst->peer_pid, idx) == 0;
    if (owner_left && peer_left) {
        regions_free(&inst->reg);
        inst->state = KI_FREE;
        ASSERT(inst->reg.sq_hdr == NULL); /* nothing left to reach through it */
    }
    return 0;
}

/* ---- the scheme's entry points ---------------------------------------------------------- */

/* Every io_uring call is immediate except a secondary-ring attach, which
 * waits for the server: hence an asynchronous scheme. */
static int64_t uring_poll(struct kern *k, void *ctx, struct kern_req *r)
{
    struct kern_call *c = &r->call;
    if (c->op == RING_OP_OPEN)
        return uring_open(k, ctx, c);
    struct kern_inst *inst = inst_by_handle(k, c->handle);
    if (inst == NULL)
        return kern_err(IOSIM_EBADF);
    switch (c->op) {
    case RING_OP_WRITE: return uring_write(k, ctx, c);
    case RING_OP_FMAP: return uring_fmap(k, ctx, c);
    case RING_OP_DUP: return uring_dup(k, inst, r);
    case RING_OP_CLOSE: return uring_close(k, inst, c->pid);
    case RING_OP_FSYNC: return 0;
    default: return kern_err(IOSIM_EINVAL);
    }
}

const struct kern_scheme_ops kern_uring_ops = {
    .poll_handle = uring_poll,
};

/* ---- serving a userspace -> kernel ring ------------------------------------------------------ */

static void sqe_widen(const struct kern_regions *rg, const void *raw, struct ring_sqe64 *out)
{
    ASSERT(raw != NULL && out != NULL);
    ASSERT(rg->ci.entry_bits == URING_ENTRIES_64 || rg->ci.entry_bits == URING_ENTRIES_32);
    if (rg->ci.entry_bits == URING_ENTRIES_64) {
        memcpy(out, raw, sizeof *out);
        return;
    }
    const struct ring_sqe32 *s = raw;
    *out = (struct ring_sqe64){.opcode = s->opcode, .flags = s->flags, .priority = s->priority,
                               .syscall_flags = s->syscall_flags, .fd = s->fd, .len = s->len,
                               .user_data = s->user_data, .addr = s->addr, .offset = s->offset};
}

void kern_uring_post(struct kern *k, struct kern_req *r)
{
    ASSERT(r->route == KR_RING);
    struct kern_inst *inst = inst_by_handle(k, r->inst);
    if (inst == NULL || inst->mode != KM_U2K)
        return;
    struct kern_producer *p = &inst->prod;
    ASSERT(kern_inst_check(k, inst));
    ASSERT(p->inflight > 0); /* this completion was owed */
    p->inflight--;
    uint64_t extra = r->call.op == RING_OP_FMAP && r->result >= 0
                         ? port_user_addr(r->call.out_addr) : 0;
    union { struct ring_cqe64 c64; struct ring_cqe32 c32; } cqe;
    if (inst->reg.ci.entry_bits == URING_ENTRIES_64)
        cqe.c64 = (struct ring_cqe64){.user_data = r->user_data, .status = (uint64_t)r->result,
                                      .extra = extra};
    else
        cqe.c32 = (struct ring_cqe32){.user_data = (uint32_t)r->user_data,
                                      .status = (uint32_t)r->result, .extra = (uint32_t)extra};
    enum iosim_err e = ring_push(&p->cq, &cqe);
    if (e == IOSIM_EAGAIN) {
        /* room was reserved, so a full CQ here means the kernel took an SQE
         * whose completion could not fit: a kernel bug, made visible (a
         * `cq_overflow` ring_op row) for scenarios to count, never silent */
        k->stats.cq_overflows++;
        port_trace_ring(inst->reg.cq_hdr, "cq", "cq_overflow", p->cq.head_seen, p->cq.tail, 1,
                        -(int32_t)iosim_err_errno(e));
    }
    if (e != IOSIM_OK) {
        p->broken = true; /* only a broken or shut ring (or the bug above) refuses */
        return;
    }
    k->stats.cqes_posted++;
    ASSERT(k->stats.cqes_posted <= k->stats.sqes_dispatched);
    (void)port_wake(&inst->reg.cq_hdr->shared_push_epoch, PORT_WAKE_ALL);
}

/* Copies a path or suffix the consumer passed by address. */
static int64_t copy_user_string(const struct ring_sqe64 *sqe, char *out)
{
    ASSERT(sqe != NULL && out != NULL);
    const void *src = sqe->len < KERN_PATH_MAX ? port_user_ptr(sqe->addr, (size_t)sqe->len) : NULL;
    if (src == NULL)
        return kern_err(IOSIM_EFAULT);
    port_shm_read(out, src, (size_t)sqe->len);
    out[sqe->len] = '\0';
    return 0;
}

/* Builds the call of one SQE: its scheme and arguments, in the consumer's
 * file table. Returns 0 or a negative errno for the CQE. */
static int64_t sqe_call(struct kern *k, uint32_t pid, const struct ring_sqe64 *sqe,
                        struct kern_req *r)
{
    ASSERT(pid != 0);
    ASSERT(kern_req_check(k, r));
    struct kern_call *c = &r->call;
    *c = (struct kern_call){.pid = pid, .op = sqe->opcode, .fd = KERN_NONE, .len = sqe->len,
                            .offset = sqe->offset, .flags = sqe->syscall_flags};
    if (sqe->opcode == RING_OP_OPEN) {
        char full[KERN_PATH_MAX];
        int64_t e = copy_user_string(sqe, full);
        const char *colon = e == 0 ? strchr(full, ':') : NULL;
        if (colon == NULL)
            return e != 0 ? e : kern_err(IOSIM_ENOENT);
        r->scheme = kern_scheme_find(k, full, (size_t)(colon - full));
        memmove(c->path, colon + 1, strlen(colon + 1) + 1);
        return r->scheme != NULL ? 0 : kern_err(IOSIM_ENOENT);
    }
    if (sqe->opcode >= RING_OP_COUNT)
        return kern_err(IOSIM_EINVAL);
    if (sqe->opcode == RING_OP_READ || sqe->opcode == RING_OP_WRITE) {
        c->buf = port_user_ptr(sqe->addr, (size_t)sqe->len);
        if (c->buf == NULL)
            return kern_err(IOSIM_EFAULT);
    }
    if (sqe->opcode == RING_OP_DUP) {
        int64_t e = copy_user_string(sqe, c->path);
        if (e != 0)
            return e;
    }
    struct kern_file *f = sqe->fd < KERN_FDS_MAX ? kern_fd_get(k, pid, sqe->fd) : NULL;
    if (f == NULL)
        return kern_err(IOSIM_EBADF);
    c->fd = (uint32_t)sqe->fd;
    c->handle = f->handle;
    r->scheme = f->scheme;
    ASSERT(r->scheme != NULL);
    if (sqe->opcode == RING_OP_CLOSE)
        kern_fd_free(k, pid, sqe->fd);
    return 0;
}

/* A NOP with URING_SQE_NOTIFY_PEER on a userspace -> userspace instance fd
 * wakes its peer: how a secondary ring is woken through this ring. The peer
 * may sleep on the secondary's epochs or, as a server does, on the ring of
 * its scheme: both are woken. */
static int64_t nop(struct kern *k, uint32_t pid, const struct ring_sqe64 *sqe)
{
    if (!(sqe->flags & URING_SQE_NOTIFY_PEER))
        return 0;
    struct kern_inst *sec = kern_inst_of(k, pid, sqe->fd);
    if (sec == NULL || sec->mode != KM_U2U)
        return kern_err(IOSIM_EBADF);
    uint32_t other = pid == sec->owner_pid ? sec->peer_pid : sec->owner_pid;
    (void)port_wake(&sec->reg.sq_hdr->shared_push_epoch, PORT_WAKE_ALL);
    (void)port_wake(&sec->reg.cq_hdr->shared_push_epoch, PORT_WAKE_ALL);
    wake_server(k, other);
    return 0;
}

/* Mappings are the kernel's memory handed out by address (both ports have
 * one address space): unmapping checks the range and has nothing to undo. */
static int64_t unmap(const struct ring_sqe64 *sqe)
{
    return port_user_ptr(sqe->addr, (size_t)sqe->len) != NULL && sqe->len != 0
               ? 0 : kern_err(IOSIM_EINVAL);
}

static void dispatch(struct kern *k, struct kern_inst *inst, const struct ring_sqe64 *sqe)
{
    ASSERT(inst->mode == KM_U2K && inst->state == KI_ATTACHED);
    ASSERT(inst->prod.inflight < inst->reg.ci.cq_entries); /* its completion will fit */
    struct kern_producer *p = &inst->prod;
    struct kern_req *r = kern_req_alloc(k, KR_RING);
    k->stats.sqes_dispatched++;
    p->inflight++;
    if (r == NULL) { /* out of request slots: answer at once, room was reserved */
        struct kern_req tmp = {.route = KR_RING, .inst = inst_index(k, inst),
                               .user_data = sqe->user_data, .result = kern_err(IOSIM_EAGAIN)};
        kern_uring_post(k, &tmp);
        return;
    }
    r->inst = inst_index(k, inst);
    r->user_data = sqe->user_data;
    bool immediate = sqe->opcode == RING_OP_NOP || sqe->opcode == RING_OP_FUNMAP;
    int64_t res = sqe->opcode == RING_OP_NOP ? nop(k, p->consumer_pid, sqe)
                : sqe->opcode == RING_OP_FUNMAP ? unmap(sqe)
                                                : sqe_call(k, p->consumer_pid, sqe, r);
    ASSERT(res == 0 || res < 0 || immediate);
    if (res == 0 && !immediate)
        res = r->scheme->ops->poll_handle != NULL ? r->scheme->ops->poll_handle(k, r->scheme->ctx, r)
                                                  : kern_call_op(k, r->scheme, &r->call);
    if (res != KERN_PENDING)
        kern_req_finish(k, r, res);
}

/* Takes SQEs while every completion is sure to fit in the CQ. */
static enum iosim_err pump_u2k(struct kern *k, struct kern_inst *inst)
{
    ASSERT(inst->mode == KM_U2K);
    ASSERT(kern_inst_check(k, inst));
    struct kern_producer *p = &inst->prod;
    for (uint32_t guard = 0; guard < URING_ENTRIES_MAX; guard++) {
        uint32_t space;
        enum iosim_err e = ring_push_space(&p->cq, &space);
        if (e != IOSIM_OK || p->broken)
            return e == IOSIM_ESHUTDOWN ? IOSIM_OK : IOSIM_EPROTO;
        ASSERT(space <= inst->reg.ci.cq_entries);
        if (space <= p->inflight)
            return IOSIM_OK;
        ASSERT(p->inflight < space); /* the rule: take one only if its CQE fits */
        uint8_t raw[64];
        e = ring_pop(&p->sq, raw);
        if (e == IOSIM_EAGAIN || e == IOSIM_ESHUTDOWN)
            return IOSIM_OK;
        if (e != IOSIM_OK)
            return e;
        struct ring_sqe64 sqe;
        sqe_widen(&inst->reg, raw, &sqe);
        dispatch(k, inst, &sqe);
        ASSERT(p->inflight <= inst->reg.ci.cq_entries);
    }
    return IOSIM_OK;
}

/* ---- enter ----------------------------------------------------------------------------------- */

/* Kernel -> userspace: take the server's answers, hand it queued requests. */
static enum iosim_err pump_k2u(struct kern *k, struct kern_inst *inst)
{
    ASSERT(inst->mode == KM_K2U);
    ASSERT(kern_inst_check(k, inst));
    struct kern_consumer *cons = &inst->cons;
    struct kern_uscheme *u = &k->uschemes[cons->scheme];
    for (uint32_t guard = 0; guard < URING_ENTRIES_MAX; guard++) {
        union { struct ring_cqe64 c64; struct ring_cqe32 c32; } cqe;
        enum iosim_err e = ring_pop(&cons->cq, &cqe);
        if (e == IOSIM_EAGAIN || e == IOSIM_ESHUTDOWN)
            break;
        if (e != IOSIM_OK)
            return e;
        bool wide = inst->reg.ci.entry_bits == URING_ENTRIES_64;
        uint64_t id = wide ? cqe.c64.user_data : cqe.c32.user_data;
        int64_t st = wide ? (int64_t)cqe.c64.status : (int32_t)cqe.c32.status;
        kern_user_answer(k, u, id, st);
    }
    kern_user_deliver(k, u);
    return IOSIM_OK;
}

/* How many entries wait for `pid` on this instance, and the epoch word that
 * moves when more arrive; the kernel first does its own part of the work. */
static int64_t enter_step(struct kern *k, struct kern_inst *inst, uint32_t pid,
                          port_atomic_u32 **word, uint32_t *seen)
{
    ASSERT(inst->state == KI_ATTACHED);
    ASSERT(word != NULL && seen != NULL);
    struct kern_regions *rg = &inst->reg;
    bool consumer = inst->mode != KM_K2U ? pid == inst->owner_pid : false;
    if (inst->mode == KM_U2K && pid != inst->prod.consumer_pid)
        return kern_err(IOSIM_EPERM);
    if (inst->mode == KM_K2U && pid != inst->cons.producer_pid)
        return kern_err(IOSIM_EPERM);
    /* what the caller waits for: CQEs as a consumer, SQEs as a producer */
    struct ring_header *hdr = consumer ? rg->cq_hdr : rg->sq_hdr;
    uint32_t count = consumer ? rg->ci.cq_entries : rg->ci.sq_entries;
    *word = &hdr->shared_push_epoch;
    *seen = port_load_u32(*word, PORT_ACQUIRE); /* before looking: no lost wake-up */
    enum iosim_err e = IOSIM_OK;
    if (inst->mode == KM_U2K)
        e = pump_u2k(k, inst);
    else if (inst->mode == KM_K2U)
        e = pump_k2u(k, inst);
    else /* userspace -> userspace: the kernel only notifies the other side */
        (void)port_wake(consumer ? &rg->sq_hdr->shared_push_epoch : &rg->cq_hdr->shared_push_epoch,
                        PORT_WAKE_ALL);
    uint32_t used = 0;
    if (e == IOSIM_OK)
        e = ring_peek_used(hdr, count, &used);
    if (e != IOSIM_OK) {
        k->stats.broken_rings++;
        return kern_err(IOSIM_EPROTO);
    }
    ASSERT(used <= count);
    return used;
}

int64_t kern_uring_enter(struct kern *k, uint32_t pid, uint64_t fd, uint64_t min,
                         uint64_t timeout_ns)
{
    struct kern_inst *inst = kern_inst_of(k, pid, fd);
    if (inst == NULL)
        return kern_err(IOSIM_EBADF);
    if (inst->state != KI_ATTACHED)
        return kern_err(IOSIM_EINVAL);
    uint64_t start = port_clock_ns();
    for (;;) {
        port_atomic_u32 *word = NULL;
        uint32_t seen = 0;
        int64_t ready = enter_step(k, inst, pid, &word, &seen);
        if (ready < 0 || (uint64_t)ready >= min)
            return ready;
        uint32_t status = ring_status(word == &inst->reg.cq_hdr->shared_push_epoch
                                          ? inst->reg.cq_hdr : inst->reg.sq_hdr);
        if (status & (RING_STATUS_PUSHER_DOWN | RING_STATUS_BROKEN))
            return ready; /* nothing more will come */
        uint64_t waited = port_clock_ns() - start;
        if (timeout_ns != PORT_WAIT_FOREVER && waited >= timeout_ns)
            return kern_err(IOSIM_ETIMEDOUT);
        kern_unlock(k);
        enum iosim_err w = port_wait_u32(word, seen, timeout_ns == PORT_WAIT_FOREVER
                                                         ? PORT_WAIT_FOREVER : timeout_ns - waited);
        kern_lock(k);
        if (w == IOSIM_ECANCELED)
            return kern_err(IOSIM_ECANCELED); /* interrupted: the caller is being ended */
        if (inst->state != KI_ATTACHED)
            return kern_err(IOSIM_ESHUTDOWN);
    }
}

/* A process ended: requests it was waiting on have nobody to answer. */
void kern_uring_proc_gone(struct kern *k, uint32_t pid)
{
    ASSERT(pid != 0);
    for (uint32_t i = 0; i < KERN_REQS_MAX; i++) {
        struct kern_req *r = &k->reqs[i];
        if (r->route == KR_SYNC && r->call.pid == pid) {
            if (port_load_u32(&r->done_word, PORT_ACQUIRE) != 0 && r->place == KQ_NONE)
                kern_req_free(k, r);
            else
                r->route = KR_DETACHED;
        }
    }
}
