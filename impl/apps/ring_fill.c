/*
 * ring_fill: drives rings exactly to full and holds them there.
 *
 * role "client" (the consumer of a userspace -> kernel ring of `sq` and
 * `cq` entries): fills the SQ until a push fails, checks it took exactly
 * `sq` entries, enters, and checks the kernel took exactly as many SQEs as
 * the CQ has room for: taken - reaped == min(cq, submitted - reaped), never
 * one more (the rule that makes every completion fit). It then holds the CQ
 * full for `hold` ns at a time while completions, a peer's shutdown or a
 * kill arrive, reaps one CQE, refills the SQ to full and checks again, until
 * `requests` SQEs are answered, each exactly once. With `scheme` "" the
 * SQEs are NOPs (completed at once); otherwise READs of a file of that
 * scheme, which its server completes later. `errors_ok: 1` accepts error
 * completions (a server that was killed); `abandon: 1` closes the first
 * ring while it is full and runs the whole thing again on a fresh one.
 *
 * role "server" (the producer of the kernel -> userspace ring of scheme
 * `scheme`, `sq` and `cq` entries): waits until its SQ is full (or `hold`
 * ns passed), checks it never holds more than `sq`, then answers without
 * entering until the CQ is full and checks that exactly `cq` answers fitted
 * (the kernel empties the CQ at every enter). `stall` ns of sleep with its
 * SQ full lets a scenario kill it there. Serves until its ring shuts down.
 *
 * Exit status: 0 when every check held, 1 at the first that did not, 2 when
 * set-up failed. Everything goes through the port; it knows no simulator.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define FILL_REQUESTS_MAX 1024u
#define FILL_READ_BYTES 64u
#define FILL_SLOTS 32u
#define FILL_OK 0
#define FILL_FAIL 1
#define FILL_SETUP 2

struct fill_mem {
    uint8_t buf[FILL_SLOTS][FILL_READ_BYTES];
    uint8_t seen[FILL_REQUESTS_MAX / 8];
};

struct fill {
    struct fill_mem *m;
    struct iou u;
    uint32_t sq, cq, requests;
    uint64_t hold_ns;
    bool errors_ok;
    int64_t file;            /* -1: NOP mode */
    uint32_t submitted, reaped;
};

/* ---- the client ----------------------------------------------------------- */

static struct ring_sqe64 next_sqe(const struct fill *f)
{
    uint64_t tag = (uint64_t)f->submitted + 1;
    if (f->file < 0)
        return (struct ring_sqe64){.opcode = RING_OP_NOP, .user_data = tag};
    return (struct ring_sqe64){.opcode = RING_OP_READ, .fd = (uint64_t)f->file,
                               .addr = port_user_addr(f->m->buf[tag % FILL_SLOTS]),
                               .len = FILL_READ_BYTES, .offset = tag * FILL_READ_BYTES,
                               .user_data = tag};
}

/* Submits until the SQ refuses or every request is submitted. False when
 * the SQ refused before it was exactly full. */
static bool refill(struct fill *f)
{
    uint32_t sq_used = 0;
    while (f->submitted < f->requests) {
        struct ring_sqe64 q = next_sqe(f);
        enum iosim_err e = iou_submit(&f->u, &q);
        if (e == IOSIM_EAGAIN)
            break;
        if (e != IOSIM_OK)
            return false;
        f->submitted++;
    }
    if (ring_peek_used(f->u.sq_hdr, f->sq, &sq_used) != IOSIM_OK)
        return false;
    return f->submitted == f->requests || sq_used == f->sq;
}

/* After an enter: the kernel took exactly what the CQ has room for. */
static bool taken_ok(struct fill *f)
{
    uint32_t sq_used = 0, cq_used = 0;
    if (ring_peek_used(f->u.sq_hdr, f->sq, &sq_used) != IOSIM_OK ||
        ring_peek_used(f->u.cq_hdr, f->cq, &cq_used) != IOSIM_OK)
        return false;
    uint32_t taken = f->submitted - sq_used;
    uint32_t owed = taken - f->reaped;      /* CQEs waiting or still to come */
    uint32_t want = f->submitted - f->reaped < f->cq ? f->submitted - f->reaped : f->cq;
    return owed == want && cq_used <= owed;
}

static bool cqe_ok(struct fill *f, const struct ring_cqe64 *c)
{
    uint64_t tag = c->user_data;
    if (tag == 0 || tag > f->submitted)
        return false;                       /* an answer to nothing we asked */
    uint8_t bit = (uint8_t)(1u << ((tag - 1) % 8));
    uint8_t *byte = &f->m->seen[(tag - 1) / 8];
    if (*byte & bit)
        return false;                       /* answered twice */
    *byte |= bit;
    int64_t st = (int64_t)c->status;
    if (st < 0)
        return f->errors_ok;
    return st == (f->file < 0 ? 0 : (int64_t)FILL_READ_BYTES);
}

/* One hold: nobody reaps for hold_ns while completions arrive; the kernel
 * is entered (it must take nothing more while the CQ is owed full); then
 * one CQE is reaped. */
static int32_t hold_and_reap(struct fill *f)
{
    port_sleep_ns(f->hold_ns);
    if (iou_enter(&f->u, 0, 0) < 0 || !taken_ok(f))
        return FILL_FAIL;
    struct ring_cqe64 c;
    for (uint32_t guard = 0; guard < 100000; guard++) {
        enum iosim_err e = iou_reap(&f->u, &c);
        if (e == IOSIM_OK) {
            f->reaped++;
            return cqe_ok(f, &c) ? FILL_OK : FILL_FAIL;
        }
        if (e != IOSIM_EAGAIN || iou_enter(&f->u, 1, PORT_WAIT_FOREVER) < 0)
            return FILL_FAIL;
    }
    return FILL_FAIL;
}

/* Fills, then holds full and advances one completion at a time. With
 * `abandon`, closes the ring after the first hold, full and owed. */
static int32_t client_ring(struct fill *f, bool abandon)
{
    f->submitted = f->reaped = 0;
    memset(f->m->seen, 0, sizeof f->m->seen);
    if (iou_create(&f->u, f->sq, f->cq, URING_ENTRIES_64) != IOSIM_OK ||
        iou_attach_kernel(&f->u) != IOSIM_OK)
        return FILL_SETUP;
    int32_t st = FILL_OK;
    for (uint32_t guard = 0; st == FILL_OK && f->reaped < f->requests && guard < 4 * FILL_REQUESTS_MAX;
         guard++) {
        if (!refill(f) || iou_enter(&f->u, 0, 0) < 0 || !taken_ok(f))
            st = FILL_FAIL;
        else if (!refill(f)) /* the kernel made room: the SQ full again */
            st = FILL_FAIL;
        else
            st = hold_and_reap(f);
        if (abandon)
            break;
    }
    if (st == FILL_OK && !abandon && f->reaped != f->requests)
        st = FILL_FAIL;
    iou_close(&f->u);
    return st;
}

static int32_t client(struct fill *f, const char *scheme, bool abandon)
{
    f->file = -1;
    if (scheme[0] != '\0') {
        char path[48];
        size_t n = strlen(scheme);
        if (n + 3 > sizeof path)
            return FILL_SETUP;
        memcpy(path, scheme, n);
        memcpy(path + n, ":f", 3);
        f->file = port_sys_open(path, 0);
        if (f->file < 0)
            return FILL_SETUP;
    }
    int32_t st = abandon ? client_ring(f, true) : FILL_OK;
    if (st == FILL_OK)
        st = client_ring(f, false);
    if (f->file >= 0)
        (void)port_sys_close((uint64_t)f->file);
    return st;
}

/* ---- the server ----------------------------------------------------------- */

static int64_t answer(const struct ring_sqe64 *q)
{
    switch (q->opcode) {
    case RING_OP_OPEN: return 0;
    case RING_OP_CLOSE: return 0;
    case RING_OP_READ: return q->len <= FILL_READ_BYTES ? (int64_t)q->len
                                                       : -(int64_t)iosim_err_errno(IOSIM_EINVAL);
    default: return -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
    }
}

/* Answers what waits without entering: the CQ (emptied by the kernel at
 * our last enter) must take exactly cq answers before it refuses one. */
static int32_t serve_all(struct fill *f)
{
    uint32_t fitted = 0;
    struct ring_sqe64 q;
    enum iosim_err e;
    while ((e = iou_next_request(&f->u, &q)) == IOSIM_OK) {
        int64_t st = answer(&q);
        e = iou_reply(&f->u, q.user_data, st, 0);
        if (e == IOSIM_EAGAIN) {
            if (fitted != f->cq)
                return FILL_FAIL;
            e = iou_reply_wait(&f->u, q.user_data, st, 0, f->hold_ns);
            fitted = 0;
        }
        if (e != IOSIM_OK)
            return e == IOSIM_ESHUTDOWN ? FILL_OK : FILL_FAIL;
        fitted++;
    }
    return e == IOSIM_EAGAIN || e == IOSIM_ESHUTDOWN ? FILL_OK : FILL_FAIL;
}

static int32_t server(struct fill *f, const char *scheme, uint64_t stall_ns)
{
    char path[48] = ":";
    size_t len = strlen(scheme);
    if (len + 2 > sizeof path)
        return FILL_SETUP;
    memcpy(path + 1, scheme, len + 1);
    int64_t sock = port_sys_open(path, 0);
    if (sock < 0 || iou_create(&f->u, f->sq, f->cq, URING_ENTRIES_64) != IOSIM_OK ||
        iou_attach_scheme(&f->u, scheme) != IOSIM_OK)
        return FILL_SETUP;
    int32_t st = FILL_OK;
    while (st == FILL_OK) {
        int64_t n = iou_enter(&f->u, f->sq, f->hold_ns);
        if (n < 0 && n != -(int64_t)iosim_err_errno(IOSIM_ETIMEDOUT))
            break;
        uint32_t used = 0;
        if (ring_peek_used(f->u.sq_hdr, f->sq, &used) != IOSIM_OK || used > f->sq)
            st = FILL_FAIL;
        else if (n == (int64_t)f->sq && stall_ns > 0)
            port_sleep_ns(stall_ns); /* held full: a kill may land here */
        if (st == FILL_OK)
            st = serve_all(f);
        if (st == FILL_OK && iou_enter(&f->u, 0, 0) < 0)
            break;
    }
    iou_close(&f->u);
    (void)port_sys_close((uint64_t)sock);
    return st;
}

int32_t app_ring_fill(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct fill_mem), 0, &mem) != IOSIM_OK)
        return FILL_SETUP;
    struct fill f = {.m = mem.host,
                     .sq = (uint32_t)app_arg_int(args, "sq", 8),
                     .cq = (uint32_t)app_arg_int(args, "cq", 4),
                     .requests = (uint32_t)app_arg_int(args, "requests", 32),
                     .hold_ns = (uint64_t)app_arg_int(args, "hold", 20000),
                     .errors_ok = app_arg_int(args, "errors_ok", 0) != 0};
    if (f.requests == 0 || f.requests > FILL_REQUESTS_MAX || f.sq == 0 || f.cq == 0 ||
        f.sq > URING_ENTRIES_MAX || f.cq > URING_ENTRIES_MAX)
        return FILL_SETUP;
    const char *role = app_arg_str(args, "role", "client");
    const char *scheme = app_arg_str(args, "scheme", "");
    if (strcmp(role, "server") == 0)
        return scheme[0] != '\0' ? server(&f, scheme, (uint64_t)app_arg_int(args, "stall", 0))
                                 : FILL_SETUP;
    if (strcmp(role, "client") != 0)
        return FILL_SETUP;
    return client(&f, scheme, app_arg_int(args, "abandon", 0) != 0);
}
