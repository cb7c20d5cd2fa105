/* "null:": the simplest synchronous scheme. Reads return end-of-file,
 * writes swallow everything, fsync succeeds, dup gives another handle. */
#include "impl/kernel/kern_internal.h"

static int64_t null_open(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)k, (void)ctx, (void)c;
    return 0;
}

static int64_t null_ok(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)k, (void)ctx, (void)c;
    return 0;
}

static int64_t null_write(struct kern *k, void *ctx, struct kern_call *c)
{
    (void)k, (void)ctx;
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
