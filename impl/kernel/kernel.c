/* The kernel core: lock, processes and file tables, schemes, requests, the
 * system-call entry points and the reaper. See kernel.h. */
#include <string.h>

#include "impl/kernel/kern_internal.h"
#include "impl/port/check.h"

int64_t kern_err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

/* ---- the kernel lock ------------------------------------------------------- */

void kern_lock(struct kern *k)
{
    /* Not preemptible while held (as a kernel spinlock): a holder preempted
     * by a priority scheduler would leave every waiter spinning forever.
     * Waiting for it stays preemptible. ACQUIRE: pairs with kern_unlock's
     * RELEASE, so the previous holder's writes to kernel state are visible. */
    for (;;) {
        port_preempt_disable();
        if (port_xchg_u32(&k->lock, 1, PORT_ACQUIRE) == 0) {
            ASSERT(port_peek_u32(&k->lock) == 1);
            return;
        }
        port_preempt_enable();
        while (port_load_u32(&k->lock, PORT_RELAXED) != 0)
            port_spin_hint();
    }
}

void kern_unlock(struct kern *k)
{
    ASSERT(port_peek_u32(&k->lock) == 1);
    ASSERT(kern_check(k)); /* whoever takes the lock next finds the invariants whole */
    port_store_u32(&k->lock, 0, PORT_RELEASE);
    port_preempt_enable();
}

/* ---- processes and file tables ------------------------------------------------ */

struct kern_proc *kern_proc_get(struct kern *k, uint32_t pid, bool create)
{
    ASSERT(k != NULL);
    ASSERT(pid != 0 || !create);
    struct kern_proc *free_slot = NULL;
    for (uint32_t i = 0; i < KERN_PROCS_MAX; i++) {
        if (k->procs[i].pid == pid)
            return &k->procs[i];
        if (k->procs[i].pid == 0 && free_slot == NULL)
            free_slot = &k->procs[i];
    }
    if (!create || free_slot == NULL || pid == 0)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->pid = pid;
    ASSERT(free_slot->fds[0].scheme == NULL);
    return free_slot;
}

struct kern_file *kern_fd_get(struct kern *k, uint32_t pid, uint64_t fd)
{
    struct kern_proc *p = kern_proc_get(k, pid, false);
    if (p == NULL || fd >= KERN_FDS_MAX || p->fds[fd].scheme == NULL)
        return NULL;
    ASSERT(p->fds[fd].scheme >= k->schemes && p->fds[fd].scheme < k->schemes + KERN_SCHEMES_MAX);
    return &p->fds[fd];
}

int64_t kern_fd_alloc(struct kern *k, uint32_t pid, struct kern_scheme *s, uint64_t handle)
{
    ASSERT(s != NULL);
    ASSERT(s >= k->schemes && s < k->schemes + KERN_SCHEMES_MAX);
    struct kern_proc *p = kern_proc_get(k, pid, true);
    if (p == NULL)
        return kern_err(IOSIM_ENOSPC);
    for (uint32_t fd = 0; fd < KERN_FDS_MAX; fd++) {
        if (p->fds[fd].scheme == NULL) {
            p->fds[fd] = (struct kern_file){s, handle};
            ASSERT(kern_fd_get(k, pid, fd) == &p->fds[fd]);
            return fd;
        }
    }
    return kern_err(IOSIM_ENOSPC);
}

void kern_fd_free(struct kern *k, uint32_t pid, uint64_t fd)
{
    struct kern_file *f = kern_fd_get(k, pid, fd);
    if (f != NULL)
        *f = (struct kern_file){0};
    ASSERT(kern_fd_get(k, pid, fd) == NULL);
}

/* ---- schemes --------------------------------------------------------------------- */

uint32_t kern_scheme_add(struct kern *k, const char *name, const struct kern_scheme_ops *ops,
                         void *ctx)
{
    ASSERT(name != NULL && ops != NULL);
    size_t len = strlen(name);
    if (len >= KERN_NAME_MAX || kern_scheme_find(k, name, len) != NULL)
        return KERN_NONE;
    for (uint32_t i = 0; i < KERN_SCHEMES_MAX; i++) {
        struct kern_scheme *s = &k->schemes[i];
        if (s->used)
            continue;
        memcpy(s->name, name, len + 1);
        s->ops = ops;
        s->ctx = ctx;
        s->used = true;
        ASSERT(kern_scheme_find(k, name, len) == s);
        return i;
    }
    return KERN_NONE;
}

struct kern_scheme *kern_scheme_find(struct kern *k, const char *name, size_t len)
{
    ASSERT(name != NULL || len == 0);
    for (uint32_t i = 0; i < KERN_SCHEMES_MAX; i++) {
        struct kern_scheme *s = &k->schemes[i];
        if (s->used && strlen(s->name) == len && memcmp(s->name, name, len) == 0)
            return s;
    }
    return NULL;
}

/* ---- requests -------------------------------------------------------------------- */

struct kern_req *kern_req_alloc(struct kern *k, enum kern_req_route route)
{
    ASSERT(route != KR_FREE);
    for (uint32_t i = 0; i < KERN_REQS_MAX; i++) {
        struct kern_req *r = &k->reqs[i];
        if (r->route != KR_FREE)
            continue;
        uint32_t gen = r->gen + 1;
        memset(r, 0, sizeof *r);
        r->gen = gen & 0xffff;
        r->route = route;
        r->next = KERN_NONE;
        r->inst = KERN_NONE;
        k->stats.requests_pending++;
        ASSERT(kern_req_check(k, r));
        ASSERT(r->place == KQ_NONE && r->on_answer == NULL);
        return r;
    }
    return NULL;
}

uint32_t kern_req_id(const struct kern *k, const struct kern_req *r)
{
    ASSERT(kern_req_check(k, r));
    ASSERT(r->route != KR_FREE && r->gen <= 0xffff);
    return r->gen << 16 | (uint32_t)(r - k->reqs);
}

/* An id a server sent back: only a live request with that generation. */
struct kern_req *kern_req_by_id(struct kern *k, uint64_t id)
{
    uint32_t idx = (uint32_t)(id & 0xffff), gen = (uint32_t)(id >> 16);
    if (id > UINT32_MAX || idx >= KERN_REQS_MAX)
        return NULL;
    struct kern_req *r = &k->reqs[idx];
    ASSERT(kern_req_check(k, r));
    return r->route != KR_FREE && r->gen == gen ? r : NULL;
}

void kern_req_free(struct kern *k, struct kern_req *r)
{
    ASSERT(kern_req_check(k, r));
    ASSERT(r->route != KR_FREE);
    ASSERT(r->place == KQ_NONE); /* off every list */
    ASSERT(k->stats.requests_pending > 0);
    r->route = KR_FREE;
    k->stats.requests_pending--;
}

/* A finished open or dup returns a handle of the scheme: the caller gets a
 * file descriptor for it. */
static int64_t to_caller(struct kern *k, struct kern_req *r, int64_t result)
{
    if (result < 0 || (r->call.op != RING_OP_OPEN && r->call.op != RING_OP_DUP))
        return result;
    return kern_fd_alloc(k, r->call.pid, r->scheme, (uint64_t)result);
}

void kern_req_finish(struct kern *k, struct kern_req *r, int64_t result)
{
    ASSERT(kern_req_check(k, r));
    ASSERT(r->route != KR_FREE);
    ASSERT(result != KERN_PENDING);
    ASSERT(r->place == KQ_NONE); /* taken off its list first, or never queued */
    r->place = KQ_NONE;
    if (r->on_answer != NULL)
        result = r->on_answer(k, r, result);
    switch (r->route) {
    case KR_SYNC:
        r->result = to_caller(k, r, result);
        /* RELEASE: the result is visible to the waiter that sees done_word */
        port_store_u32(&r->done_word, 1, PORT_RELEASE);
        (void)port_wake(&r->done_word, PORT_WAKE_ALL);
        return; /* the waiter frees it */
    case KR_RING:
        r->result = to_caller(k, r, result);
        kern_uring_post(k, r);
        kern_req_free(k, r);
        return;
    case KR_DETACHED:
        kern_req_free(k, r);
        return;
    case KR_FREE:
        break;
    }
}

int64_t kern_call_op(struct kern *k, struct kern_scheme *s, struct kern_call *c)
{
    int64_t (*const fns[])(struct kern *, void *, struct kern_call *) = {
        [RING_OP_OPEN] = s->ops->open, [RING_OP_CLOSE] = s->ops->close,
        [RING_OP_READ] = s->ops->read, [RING_OP_WRITE] = s->ops->write,
        [RING_OP_FSYNC] = s->ops->fsync, [RING_OP_FMAP] = s->ops->fmap,
        [RING_OP_FUNMAP] = s->ops->funmap, [RING_OP_DUP] = s->ops->dup,
    };
    if (c->op >= RING_OP_COUNT || c->op == RING_OP_NOP || fns[c->op] == NULL)
        return kern_err(IOSIM_ENOSYS);
    return fns[c->op](k, s->ctx, c);
}

/* Runs one call on a scheme for a system call: asynchronous schemes may make
 * the caller wait, without the lock, until the request is finished. */
int64_t kern_call_sync(struct kern *k, struct kern_scheme *s, struct kern_call *c)
{
    if (s->ops->poll_handle == NULL) {
        int64_t r = kern_call_op(k, s, c);
        return (r >= 0 && (c->op == RING_OP_OPEN || c->op == RING_OP_DUP))
                   ? kern_fd_alloc(k, c->pid, s, (uint64_t)r) : r;
    }
    struct kern_req *r = kern_req_alloc(k, KR_SYNC);
    if (r == NULL)
        return kern_err(IOSIM_EAGAIN);
    r->scheme = s;
    r->call = *c;
    int64_t res = s->ops->poll_handle(k, s->ctx, r);
    if (res != KERN_PENDING)
        kern_req_finish(k, r, res);
    while (port_load_u32(&r->done_word, PORT_ACQUIRE) == 0) {
        kern_unlock(k);
        enum iosim_err w = port_wait_u32(&r->done_word, 0, PORT_WAIT_FOREVER);
        kern_lock(k);
        if (w == IOSIM_ECANCELED && port_load_u32(&r->done_word, PORT_ACQUIRE) == 0) {
            r->route = KR_DETACHED; /* interrupted: whoever finishes it frees it */
            return kern_err(IOSIM_ECANCELED);
        }
    }
    res = r->result;
    c->out_addr = r->call.out_addr;
    kern_req_free(k, r);
    return res;
}

/* ---- system calls ------------------------------------------------------------------ */

static uint32_t caller(void)
{
    int64_t pid = port_sys_getpid();
    return pid > 0 && pid <= UINT32_MAX ? (uint32_t)pid : 0;
}

/* "name:rest" -> the scheme and rest copied into c->path. */
static int64_t resolve(struct kern *k, const char *path, struct kern_call *c,
                       struct kern_scheme **s)
{
    const char *colon = strchr(path, ':');
    if (colon == NULL)
        return kern_err(IOSIM_ENOENT);
    size_t rest = strlen(colon + 1);
    if (rest >= KERN_PATH_MAX)
        return kern_err(IOSIM_ERANGE);
    *s = kern_scheme_find(k, path, (size_t)(colon - path));
    if (*s == NULL)
        return kern_err(IOSIM_ENOENT);
    memcpy(c->path, colon + 1, rest + 1);
    return 0;
}

static int64_t sys_open(void *ctx, const char *path, uint64_t flags)
{
    struct kern *k = ctx;
    struct kern_call c = {.pid = caller(), .op = RING_OP_OPEN, .fd = KERN_NONE, .flags = flags};
    struct kern_scheme *s = NULL;
    kern_lock(k);
    k->stats.syscalls++;
    int64_t r = resolve(k, path, &c, &s);
    if (r == 0)
        r = kern_call_sync(k, s, &c);
    kern_unlock(k);
    return r;
}

/* The calls on an open file: look the fd up, run the call on its scheme. */
static int64_t fd_call(struct kern *k, struct kern_call *c)
{
    kern_lock(k);
    k->stats.syscalls++;
    struct kern_file *f = kern_fd_get(k, c->pid, c->fd);
    int64_t r = kern_err(IOSIM_EBADF);
    if (f != NULL) {
        struct kern_scheme *s = f->scheme;
        c->handle = f->handle;
        if (c->op == RING_OP_CLOSE)
            kern_fd_free(k, c->pid, c->fd);
        r = kern_call_sync(k, s, c);
    }
    kern_unlock(k);
    return r;
}

static int64_t sys_close(void *ctx, uint64_t fd)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_CLOSE, .fd = (uint32_t)fd};
    return fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
}

static int64_t sys_read(void *ctx, uint64_t fd, void *buf, uint64_t len)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_READ, .fd = (uint32_t)fd, .buf = buf,
                          .len = len};
    return fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
}

static int64_t sys_write(void *ctx, uint64_t fd, const void *buf, uint64_t len)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_WRITE, .fd = (uint32_t)fd,
                          .buf = (void *)(uintptr_t)buf, .len = len};
    return fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
}

static int64_t sys_dup(void *ctx, uint64_t fd, const char *suffix)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_DUP, .fd = (uint32_t)fd};
    size_t n = suffix != NULL ? strlen(suffix) : 0;
    if (n >= KERN_PATH_MAX)
        return kern_err(IOSIM_ERANGE);
    memcpy(c.path, suffix != NULL ? suffix : "", n + 1);
    return fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
}

static int64_t sys_fsync(void *ctx, uint64_t fd)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_FSYNC, .fd = (uint32_t)fd};
    return fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
}

static int64_t sys_fmap(void *ctx, uint64_t fd, uint64_t offset, uint64_t len, uint64_t flags,
                        void **out_addr)
{
    struct kern_call c = {.pid = caller(), .op = RING_OP_FMAP, .fd = (uint32_t)fd,
                          .offset = offset, .len = len, .flags = flags};
    int64_t r = fd < KERN_FDS_MAX ? fd_call(ctx, &c) : kern_err(IOSIM_EBADF);
    if (r >= 0 && out_addr != NULL)
        *out_addr = c.out_addr;
    return r;
}

static int64_t sys_funmap(void *ctx, void *addr, uint64_t len)
{
    (void)ctx;
    (void)len;
    /* mappings are the kernel's own memory, handed out by pointer: nothing
     * to undo per process (both ports share one address space) */
    return addr != NULL ? 0 : kern_err(IOSIM_EINVAL);
}

static int64_t sys_enter(void *ctx, uint64_t fd, uint64_t min, uint64_t timeout_ns)
{
    struct kern *k = ctx;
    uint32_t pid = caller();
    kern_lock(k);
    k->stats.syscalls++;
    int64_t r = kern_uring_enter(k, pid, fd, min, timeout_ns); /* unlocks to wait */
    kern_unlock(k);
    return r;
}

/* A process ended. Called from wherever the port learns it (the simulator's
 * engine, a native thread's exit): it only queues the pid and wakes
 * kern_main, which releases what the process held under the lock. */
static void sys_exit(void *ctx, uint32_t pid)
{
    struct kern *k = ctx;
    uint32_t slot = port_fetch_add_u32(&k->exit_tail, 1, PORT_ACQ_REL);
    /* RELEASE: kern_main's ACQUIRE load of the slot sees the pid whole */
    port_store_u32(&k->exits[slot % KERN_EXITS_MAX], pid, PORT_RELEASE);
    (void)port_fetch_add_u32(&k->work_word, 1, PORT_RELEASE);
    (void)port_wake(&k->work_word, PORT_WAKE_ALL);
}

void kern_port_ops(struct kern *k, struct port_kernel_ops *ops)
{
    *ops = (struct port_kernel_ops){
        .ctx = k, .open = sys_open, .close = sys_close, .read = sys_read,
        .write = sys_write, .dup = sys_dup, .fsync = sys_fsync, .fmap = sys_fmap,
        .funmap = sys_funmap, .enter = sys_enter, .exit = sys_exit,
    };
}

/* ---- the reaper, life cycle ---------------------------------------------------------- */

static void reap(struct kern *k, uint32_t pid)
{
    kern_uring_proc_gone(k, pid);
    kern_user_proc_gone(k, pid);
    struct kern_proc *p = kern_proc_get(k, pid, false);
    if (p != NULL) {
        for (uint32_t fd = 0; fd < KERN_FDS_MAX; fd++) {
            struct kern_file f = p->fds[fd];
            if (f.scheme == NULL)
                continue;
            p->fds[fd] = (struct kern_file){0};
            struct kern_call c = {.pid = pid, .op = RING_OP_CLOSE, .fd = fd, .handle = f.handle};
            if (f.scheme->ops->poll_handle == NULL) {
                if (f.scheme->ops->close != NULL)
                    (void)f.scheme->ops->close(k, f.scheme->ctx, &c);
                continue;
            }
            struct kern_req *r = kern_req_alloc(k, KR_DETACHED);
            if (r == NULL)
                continue;
            r->scheme = f.scheme;
            r->call = c;
            int64_t res = f.scheme->ops->poll_handle(k, f.scheme->ctx, r);
            if (res != KERN_PENDING)
                kern_req_finish(k, r, res);
        }
        p->pid = 0;
    }
    k->stats.processes_reaped++;
}

int32_t kern_main(void *arg)
{
    struct kern *k = arg;
    for (;;) {
        uint32_t seen = port_load_u32(&k->work_word, PORT_ACQUIRE);
        kern_lock(k);
        uint32_t tail = port_load_u32(&k->exit_tail, PORT_ACQUIRE);
        while (k->exit_head != tail) {
            port_atomic_u32 *slot = &k->exits[k->exit_head % KERN_EXITS_MAX];
            uint32_t pid;
            while ((pid = port_load_u32(slot, PORT_ACQUIRE)) == 0)
                port_spin_hint(); /* the producer is between its two stores */
            port_store_u32(slot, 0, PORT_RELAXED);
            k->exit_head++;
            reap(k, pid);
        }
        kern_unlock(k);
        if (port_load_u32(&k->stopping, PORT_ACQUIRE) != 0)
            return 0;
        (void)port_wait_u32(&k->work_word, seen, PORT_WAIT_FOREVER);
    }
}

void kern_stop(struct kern *k)
{
    port_store_u32(&k->stopping, 1, PORT_RELEASE);
    (void)port_fetch_add_u32(&k->work_word, 1, PORT_RELEASE);
    (void)port_wake(&k->work_word, PORT_WAKE_ALL);
}

enum iosim_err kern_create(struct kern **out)
{
    ASSERT(out != NULL);
    void *mem;
    enum iosim_err e = port_kmem_alloc(sizeof(struct kern), &mem);
    if (e != IOSIM_OK)
        return e;
    struct kern *k = mem; /* zeroed by port_kmem_alloc */
    k->root = kern_scheme_add(k, "", &kern_root_ops, k);
    k->null = kern_scheme_add(k, "null", &kern_null_ops, k);
    k->uring = kern_scheme_add(k, "io_uring", &kern_uring_ops, k);
    ASSERT(k->root != KERN_NONE && k->null != KERN_NONE && k->uring != KERN_NONE);
    *out = k;
    return IOSIM_OK;
}

void kern_destroy(struct kern *k)
{
    if (k == NULL)
        return;
    for (uint32_t i = 0; i < KERN_INSTS_MAX; i++) {
        struct kern_regions *rg = &k->insts[i].reg;
        port_kmem_free(rg->sq_hdr, RING_HEADER_BYTES);
        port_kmem_free(rg->cq_hdr, RING_HEADER_BYTES);
        port_kmem_free(rg->sq_ents, rg->sq_ents_bytes);
        port_kmem_free(rg->cq_ents, rg->cq_ents_bytes);
    }
    port_kmem_free(k, sizeof *k);
}

void kern_stats(struct kern *k, struct kern_stats *out)
{
    kern_lock(k);
    *out = k->stats;
    kern_unlock(k);
}
