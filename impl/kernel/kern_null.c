/* "null:": the simplest synchronous scheme. Reads return end-of-file,
 * writes swallow everything, fsync succeeds, dup gives another handle. */
#include "impl/kernel/kern_internal.h"
#include "impl/port/check.h"

static int64_t null_open(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    ASSERT(k != NULL && c != NULL);
    ASSERT(c->op == RING_OP_OPEN || c->op == RING_OP_DUP);
    return 0;
}

static int64_t null_ok(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    ASSERT(k != NULL && c != NULL);
    ASSERT(c->op == RING_OP_CLOSE || c->op == RING_OP_READ || c->op == RING_OP_FSYNC);
    return 0;
}

static int64_t null_write(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)ctx;
    ASSERT(k != NULL && c != NULL);
    ASSERT(c->op == RING_OP_WRITE);
    return c->len > INT64_MAX ? INT64_MAX : (int64_t)c->len;
}

const struct kern_scheme_ops kern_null_ops = {
    .open = null_open,
    .close = null_ok,
    .read = null_ok,
    .write = null_write,
    .fsync = null_ok,
    .dup = null_open,
};
