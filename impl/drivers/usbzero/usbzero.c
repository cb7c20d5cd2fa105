/*
 * app_usbzero: the class driver of gadget zero (Linux's g_zero, vendor
 * 0525:a4a0), started by xhcid for it. It reads `bytes` from the bulk IN
 * endpoint in requests of `len` bytes, `depth` of them in flight, each a
 * guarded slice of a buffer pool over its usb: DMA window - the controller
 * writes straight into it - and checks every byte against gadget zero's
 * source stream (byte i of the stream is i % 63, usbtest's "mod63"); then
 * writes `out` bytes of the same pattern to bulk OUT (the sink checks them).
 *
 * A request that ends with ENODEV (the device was pulled out) gives its
 * slice back: xhcid answers so only once the controller is done with the
 * device. A ring that breaks (xhcid died) forfeits every slice in flight:
 * nobody can say the controller will not write them. `gone_ok: 1` makes a
 * detach an expected end (exit 0) rather than a failure - once xhcid has
 * also said so through the detach request it posts at the start.
 *
 * A stall or a transaction error xhcid gave up on (EPIPE, EIO) is taken
 * up to `errors` times: xhcid has mended the endpoint and the stream did
 * not advance, so the same bytes are asked again.
 *
 * With `reset: 1` it then resets bulk IN through usb: (the host's toggle
 * and the device's halt) and reads `len` more, checked against the same
 * stream.
 *
 * With `probe: 1` it first makes every other usb: request, and hostile
 * ones, checking each answer (usbzero_probe.c).
 *
 * Arguments: usb (given by xhcid), bytes (1 MiB), len (64 KiB), depth (4),
 * check (1), out (0), gone_ok (0), errors (0), reset (0), probe (0). Exit status: 0 when every byte arrived
 * and matched, 1 at the first wrong thing, 2 when set-up failed.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/usbzero/usbzero.h"
#include "impl/port/port.h"

static bool pattern_ok(const struct bufpool_slice *s, uint64_t at, uint32_t n)
{
    uint8_t b[UZ_CHECK_CHUNK];
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < sizeof b ? n - done : (uint32_t)sizeof b;
        port_shm_read(b, (const uint8_t *)s->host + done, k);
        for (uint32_t i = 0; i < k; i++)
            if (b[i] != (uint8_t)((at + done + i) % 63u))
                return false;
        done += k;
    }
    return true;
}

static void fill_pattern(const struct bufpool_slice *s, uint64_t at, uint32_t n)
{
    uint8_t b[UZ_CHECK_CHUNK];
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < sizeof b ? n - done : (uint32_t)sizeof b;
        for (uint32_t i = 0; i < k; i++)
            b[i] = (uint8_t)((at + done + i) % 63u);
        port_shm_write((uint8_t *)s->host + done, b, k);
        done += k;
    }
}

/* Fills free request slots while bytes remain, with one wake-up of xhcid
 * for the lot. (Skipping it while requests are out would race: one of
 * them may have been answered, and xhcid gone to sleep, just before the
 * push.) */
static bool submit_more(struct uz *z, uint8_t opcode, uint8_t ep)
{
    bool pushed = false;
    for (uint32_t i = 0; i < z->depth && z->asked < z->want; i++) {
        struct uz_req *r = &z->req[i];
        if (r->busy)
            continue;
        uint32_t n = z->want - z->asked < z->len ? (uint32_t)(z->want - z->asked) : z->len;
        if (bufpool_alloc(&z->pool, n, 64, &r->s) != IOSIM_OK ||
            bufpool_guard(&z->pool, &r->s) != IOSIM_OK)
            return false;
        if (opcode == RING_OP_WRITE)
            fill_pattern(&r->s, z->asked, n);
        if (usb_client_push(&z->c, opcode, ep, r->s.host, n, &r->tag) != IOSIM_OK)
            return false;
        r->busy = true;
        z->asked += n;
        pushed = true;
    }
    return !pushed || usb_client_notify(&z->c) == IOSIM_OK;
}

static struct uz_req *req_of(struct uz *z, uint64_t tag)
{
    for (uint32_t i = 0; i < z->depth; i++)
        if (z->req[i].busy && z->req[i].tag == tag)
            return &z->req[i];
    return NULL;
}

/* A stall (EPIPE) or transaction errors past xhcid's retries (EIO): the
 * endpoint was mended and nothing of the request reached the stream. */
static bool retryable(int64_t st)
{
    return st == -(int64_t)iosim_err_errno(IOSIM_EPIPE) ||
           st == -(int64_t)iosim_err_errno(IOSIM_EIO);
}

/* One answer (waiting for it, or only one already there): the data
 * checked, the slice back to the pool. */
static bool take_one(struct uz *z, bool in, bool wait, bool *none)
{
    uint64_t tag;
    int64_t st;
    enum iosim_err e = wait ? usb_client_wait_any(&z->c, &tag, &st)
                            : usb_client_poll(&z->c, &tag, &st);
    *none = e == IOSIM_EAGAIN && !wait;
    if (*none)
        return true;
    if (e != IOSIM_OK) {
        z->broken = true;
        return false;
    }
    if (tag == z->detach_tag && z->detach_tag != 0) {
        z->detached = st == 0; /* told: the device is gone */
        return true;
    }
    struct uz_req *r = req_of(z, tag);
    if (r == NULL)
        return false;
    bool ok = st >= 0 && (uint64_t)st == r->s.len_bytes;
    if (ok && in && z->check)
        ok = pattern_ok(&r->s, z->got, (uint32_t)st);
    if (retryable(st) && z->errors < z->errors_max) {
        z->errors++; /* xhcid mended the endpoint: the same bytes are asked again */
        z->asked -= r->s.len_bytes;
        ok = true;
    }
    z->gone = z->gone || st == -(int64_t)iosim_err_errno(IOSIM_ENODEV);
    z->got += st > 0 ? (uint64_t)st : 0;
    r->busy = false;
    (void)bufpool_unguard(&z->pool, &r->s); /* xhcid answered: the controller is done with it */
    (void)bufpool_free(&z->pool, &r->s);
    return ok;
}

/* Every answer that is there, at least one: slots are refilled in one go. */
static bool take(struct uz *z, bool in)
{
    bool none = false;
    bool ok = take_one(z, in, true, &none);
    while (ok && !none)
        ok = take_one(z, in, false, &none);
    return ok;
}

static bool busy(const struct uz *z)
{
    for (uint32_t i = 0; i < z->depth; i++)
        if (z->req[i].busy)
            return true;
    return false;
}

/* Moves z->want bytes through `ep`; false at the first wrong thing. */
static bool stream(struct uz *z, uint8_t opcode, uint8_t ep)
{
    bool ok = true;
    while (ok && (z->asked < z->want || busy(z))) {
        ok = submit_more(z, opcode, ep) && take(z, opcode == RING_OP_READ);
    }
    while (busy(z) && !z->broken) /* after a failure: collect what is still out */
        (void)take(z, false);
    return ok;
}

/* Slices still lent when the ring broke can never be given back. */
static void forfeit_all(struct uz *z)
{
    for (uint32_t i = 0; i < z->depth; i++) {
        if (z->req[i].busy) {
            (void)bufpool_forfeit(&z->pool, &z->req[i].s);
            (void)bufpool_free(&z->pool, &z->req[i].s);
            z->req[i].busy = false;
        }
    }
}

static enum iosim_err pool_over_window(struct uz *z, uint64_t bytes)
{
    void *win;
    enum iosim_err e = usb_client_window(&z->c, bytes, &win);
    if (e != IOSIM_OK)
        return e;
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.size_max = z->len;
    o.align_max = 64;
    o.boundary = z->len <= UZ_BOUNDARY ? UZ_BOUNDARY : 0;
    o.slices_max = 4 * UZ_DEPTH_MAX;
    o.chunks_max = 1;
    o.name = "usbzero";
    e = bufpool_init(&z->pool, &o);
    z->pool_up = e == IOSIM_OK;
    uint32_t chunk;
    return e == IOSIM_OK ? bufpool_chunk_add(&z->pool, win, (size_t)bytes, z->c.window_addr, NULL,
                                             NULL, &chunk)
                         : e;
}

/* With gone_ok: a request that xhcid answers when the device goes. */
static bool ask_detach(struct uz *z)
{
    struct ring_sqe64 q = {.opcode = RING_OP_READ, .fd = (uint64_t)z->c.handle,
                           .offset = USB_SCHEME_DETACH};
    return iou_peer_submit(&z->c.peer, &q, &z->detach_tag) == IOSIM_OK;
}

/* The device went: the detach answer is on its way, if not already here. */
static void wait_detach(struct uz *z)
{
    bool none = false;
    while (!z->detached && !z->broken && take_one(z, false, true, &none))
        ;
}

static int32_t run(struct uz *z, void *args)
{
    z->depth = (uint32_t)app_arg_int(args, "depth", 4);
    z->len = (uint32_t)app_arg_int(args, "len", 65536);
    z->check = app_arg_int(args, "check", 1) != 0;
    z->errors_max = (uint32_t)app_arg_int(args, "errors", 0);
    if (z->depth == 0 || z->depth > UZ_DEPTH_MAX || z->len == 0 || z->len > USB_SCHEME_XFER_MAX)
        return 2;
    if (usb_client_open(&z->c, app_arg_str(args, "usb", "")) != IOSIM_OK ||
        pool_over_window(z, (uint64_t)z->depth * z->len + UZ_BOUNDARY) != IOSIM_OK)
        return 2;
    bool gone_ok = app_arg_int(args, "gone_ok", 0) != 0;
    if (gone_ok && !ask_detach(z))
        return 2;
    if (app_arg_int(args, "probe", 0) != 0 && !usbzero_probe(z))
        return 1;
    z->want = (uint64_t)app_arg_int(args, "bytes", 1 << 20);
    bool ok = stream(z, RING_OP_READ, UZ_EP_BULK_IN);
    if (ok && app_arg_int(args, "reset", 0) != 0) {
        /* both ends of bulk IN reset; the stream goes on where it was */
        ok = usb_client_reset(&z->c, UZ_EP_BULK_IN) == IOSIM_OK;
        z->want += z->len;
        ok = ok && stream(z, RING_OP_READ, UZ_EP_BULK_IN);
    }
    uint64_t out = (uint64_t)app_arg_int(args, "out", 0);
    if (ok && out > 0) {
        z->want = out;
        z->asked = z->got = 0;
        ok = stream(z, RING_OP_WRITE, UZ_EP_BULK_OUT);
    }
    if (z->broken)
        forfeit_all(z);
    if (!ok && z->gone && gone_ok)
        wait_detach(z);
    return ok || (z->gone && gone_ok && z->detached) ? 0 : 1;
}

int32_t app_usbzero(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct uz), 0, &mem) != IOSIM_OK)
        return 2;
    struct uz *z = mem.host; /* zeroed */
    int32_t st = run(z, args);
    if (z->pool_up)
        bufpool_destroy(&z->pool);
    usb_client_close(&z->c);
    port_dma_free(&mem);
    return st;
}
