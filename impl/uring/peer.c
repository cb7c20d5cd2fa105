/* A client's secondary ring to a scheme server; see peer.h. */
#include "impl/uring/peer.h"

#include <string.h>

#include "impl/port/port.h"

#define NOTIFY_TAG UINT64_MAX
#define WAIT_GUARD 1000000u  /* enters before an answer is declared lost */

/* One call on the kernel ring, which carries only our own calls, one at a
 * time. */
static enum iosim_err kernel_call(struct iou_peer *p, struct ring_sqe64 *q, int64_t *status)
{
    struct ring_cqe64 cqe;
    enum iosim_err e = iou_submit_wait(&p->k, q);
    if (e != IOSIM_OK)
        return e;
    for (uint32_t g = 0; g < WAIT_GUARD; g++) {
        if (iou_reap(&p->k, &cqe) == IOSIM_OK) {
            if (cqe.user_data != q->user_data)
                continue;
            *status = (int64_t)cqe.status;
            return IOSIM_OK;
        }
        if (iou_enter(&p->k, 1, PORT_WAIT_FOREVER) < 0)
            return IOSIM_ESHUTDOWN;
    }
    return IOSIM_ETIMEDOUT;
}

enum iosim_err iou_peer_notify(struct iou_peer *p)
{
    struct ring_sqe64 q = {.opcode = RING_OP_NOP, .flags = URING_SQE_NOTIFY_PEER,
                           .fd = (uint64_t)p->ring.fd, .user_data = NOTIFY_TAG};
    int64_t st;
    enum iosim_err e = kernel_call(p, &q, &st);
    return e != IOSIM_OK ? e : iosim_err_from_status(st);
}

/* Keeps an answer that came for another request. */
static enum iosim_err stash(struct iou_peer *p, const struct ring_cqe64 *cqe)
{
    for (uint32_t i = 0; i < IOU_PEER_SLOTS_MAX; i++) {
        if (!p->answers[i].done) {
            p->answers[i] = (struct iou_peer_answer){
                .tag = cqe->user_data, .status = (int64_t)cqe->status, .extra = cqe->extra,
                .done = true};
            return IOSIM_OK;
        }
    }
    return IOSIM_EPROTO; /* more answers than we have questions */
}

/* A kept answer: tag's, or the oldest when any. */
static bool stashed(struct iou_peer *p, bool any, uint64_t *tag, int64_t *status,
                    uint64_t *extra)
{
    struct iou_peer_answer *best = NULL;
    for (uint32_t i = 0; i < IOU_PEER_SLOTS_MAX; i++) {
        struct iou_peer_answer *a = &p->answers[i];
        if (a->done && (any ? best == NULL || a->tag < best->tag : a->tag == *tag))
            best = a;
    }
    if (best == NULL)
        return false;
    *tag = best->tag;
    *status = best->status;
    *extra = best->extra;
    best->done = false;
    return true;
}

enum iosim_err iou_peer_push(struct iou_peer *p, struct ring_sqe64 *sqe, uint64_t *tag)
{
    sqe->user_data = p->next_tag++;
    enum iosim_err e = iou_submit_wait(&p->ring, sqe);
    if (e == IOSIM_OK)
        *tag = sqe->user_data;
    return e;
}

enum iosim_err iou_peer_submit(struct iou_peer *p, struct ring_sqe64 *sqe, uint64_t *tag)
{
    enum iosim_err e = iou_peer_push(p, sqe, tag);
    return e == IOSIM_OK ? iou_peer_notify(p) : e;
}

static enum iosim_err wait_for(struct iou_peer *p, bool any, bool block, uint64_t *tag,
                               int64_t *status, uint64_t *extra)
{
    for (uint32_t g = 0; g < WAIT_GUARD; g++) {
        if (stashed(p, any, tag, status, extra))
            return IOSIM_OK;
        struct ring_cqe64 cqe;
        enum iosim_err e = iou_reap(&p->ring, &cqe);
        if (e == IOSIM_OK) {
            if (cqe.user_data >= p->next_tag)
                return IOSIM_EPROTO; /* an answer to a question never asked */
            e = stash(p, &cqe);
            if (e != IOSIM_OK)
                return e;
            continue;
        }
        if (e != IOSIM_EAGAIN || !block)
            return e;
        if (iou_enter(&p->ring, 1, PORT_WAIT_FOREVER) < 0)
            return IOSIM_ESHUTDOWN;
    }
    return IOSIM_ETIMEDOUT;
}

enum iosim_err iou_peer_wait(struct iou_peer *p, uint64_t tag, int64_t *status, uint64_t *extra)
{
    return wait_for(p, false, true, &tag, status, extra);
}

enum iosim_err iou_peer_wait_any(struct iou_peer *p, uint64_t *tag, int64_t *status,
                                 uint64_t *extra)
{
    return wait_for(p, true, true, tag, status, extra);
}

enum iosim_err iou_peer_poll(struct iou_peer *p, uint64_t *tag, int64_t *status, uint64_t *extra)
{
    return wait_for(p, true, false, tag, status, extra);
}

enum iosim_err iou_peer_call(struct iou_peer *p, struct ring_sqe64 sqe, int64_t *status,
                             uint64_t *extra)
{
    uint64_t tag, x = 0;
    int64_t st = 0;
    enum iosim_err e = iou_peer_submit(p, &sqe, &tag);
    if (e == IOSIM_OK)
        e = iou_peer_wait(p, tag, &st, &x);
    if (e != IOSIM_OK)
        return e;
    if (status != NULL)
        *status = st;
    if (extra != NULL)
        *extra = x;
    return iosim_err_from_status(st);
}

enum iosim_err iou_peer_open(struct iou_peer *p, const char *name, char *path, uint32_t slots)
{
    memset(p, 0, sizeof *p);
    p->next_tag = 1;
    p->slots = slots;
    if (slots == 0 || slots > IOU_PEER_SLOTS_MAX)
        return IOSIM_EINVAL;
    enum iosim_err e = iou_create(&p->k, 4, 4, URING_ENTRIES_64);
    if (e != IOSIM_OK)
        return e; /* iou_create let go of what it took */
    e = iou_attach_kernel(&p->k);
    if (e == IOSIM_OK)
        e = iou_create(&p->ring, slots, slots, URING_ENTRIES_64);
    if (e != IOSIM_OK) {
        iou_close(&p->k);
        return e;
    }
    struct ring_sqe64 q;
    iou_prep_peer(&q, &p->ring, path, name, 1);
    int64_t fd;
    e = kernel_call(p, &q, &fd);
    if (e == IOSIM_OK)
        e = iosim_err_from_status(fd);
    if (e == IOSIM_OK)
        e = iou_adopt_peer(&p->ring, fd);
    if (e != IOSIM_OK) { /* a ring not yet attached has no role: close it here */
        iou_close(&p->ring);
        iou_close(&p->k);
    }
    return e;
}

void iou_peer_close(struct iou_peer *p)
{
    if (p->ring.role != IOU_NONE)
        iou_close(&p->ring);
    if (p->k.role != IOU_NONE)
        iou_close(&p->k);
}
