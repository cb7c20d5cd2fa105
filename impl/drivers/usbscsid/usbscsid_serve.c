/*
 * The disk: scheme (impl/disk/disk_scheme.h) over the device's units. Any
 * process may offer a ring; nothing it sends is trusted: handles, offsets,
 * lengths and addresses are checked before use, and a ring that breaks
 * the protocol is dropped. A request runs to its end before the next one
 * is taken (Bulk-Only Transport runs one command at a time).
 *
 * Buffers: one inside the client's window (carved from usbscsid's usb:
 * window) is handed to xhcid as it is - the controller reads and writes
 * the client's memory; any other is copied once, through the bounce
 * buffer.
 */
#include <string.h>

#include "impl/disk/disk_serve.h"
#include "impl/drivers/usbscsid/usbscsid.h"
#include "impl/port/port.h"
#include "impl/util/num.h"

#define SERVE_ENTRIES 16u
#define COPY_CHUNK 4096u

static int64_t err(enum iosim_err e) { return -(int64_t)iosim_err_errno(e); }

/* ---- requests ------------------------------------------------------------------------------- */

static struct uscsi_unit *unit_of(struct uscsi *s, const struct uscsi_client *c, uint64_t fd)
{
    ASSERT(c->used);
    ASSERT(s->luns <= USCSI_LUNS_MAX);
    return fd < s->luns && (c->open >> fd & 1u) && s->unit[fd].ok ? &s->unit[fd] : NULL;
}

static int64_t do_open(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q)
{
    char path[8] = {0};
    const void *at = q->len > 0 && q->len < sizeof path ? port_user_ptr(q->addr, q->len) : NULL;
    if (at == NULL)
        return err(q->len == 0 || q->len >= sizeof path ? IOSIM_EINVAL : IOSIM_EFAULT);
    port_shm_read(path, at, q->len);
    uint64_t lun = 0;
    if (!num_parse_u64(path, (size_t)q->len, USCSI_LUNS_MAX, &lun))
        return err(IOSIM_EINVAL);
    if (lun >= s->luns || !s->unit[lun].ok)
        return err(IOSIM_ENOENT);
    ASSERT(lun < USCSI_LUNS_MAX); /* a handle is a bit of c->open */
    c->open |= 1u << lun;
    return (int64_t)lun;
}

static int64_t do_info(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q)
{
    struct uscsi_unit *u = unit_of(s, c, q->fd);
    if (u == NULL)
        return err(IOSIM_EBADF);
    if (q->len < sizeof u->info)
        return err(IOSIM_EINVAL);
    ASSERT(u->ok);
    ASSERT(u->info.block_bytes != 0);
    void *at = port_user_ptr(q->addr, sizeof u->info);
    if (at == NULL)
        return err(IOSIM_EFAULT);
    port_shm_write(at, &u->info, sizeof u->info);
    return (int64_t)sizeof u->info;
}

static int64_t do_fmap(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q,
                       uint64_t *extra)
{
    /* the contract's order, the ramdisk's: whose window, its size, then one only */
    if (q->fd != 0)
        return err(IOSIM_EBADF); /* the window is the client's, not a unit's */
    if (q->len == 0 || q->len > DISK_SCHEME_WINDOW_MAX || q->offset != 0)
        return err(IOSIM_EINVAL);
    if (c->has_window)
        return err(IOSIM_EBUSY);
    enum iosim_err e = bufpool_alloc(&s->cpool, (size_t)q->len, 4096, &c->window);
    if (e != IOSIM_OK)
        return err(e == IOSIM_EMSGSIZE ? IOSIM_EINVAL : e);
    (void)bufpool_guard(&s->cpool, &c->window); /* lent to the client until it goes */
    ASSERT(c->window.host != NULL);
    ASSERT(c->window.len_bytes >= q->len);
    c->has_window = true;
    *extra = port_user_addr(c->window.host);
    return (int64_t)q->len;
}

static bool in_window(const struct uscsi_client *c, const uint8_t *p, uint64_t len)
{
    const uint8_t *w = c->window.host;
    ASSERT(!c->has_window || w != NULL);
    return c->has_window && p >= w && len <= c->window.len_bytes &&
           (uint64_t)(p - w) <= c->window.len_bytes - len;
}

static void copy_shared(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    uint8_t b[COPY_CHUNK];
    ASSERT(dst != NULL && src != NULL);
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < COPY_CHUNK ? n - done : COPY_CHUNK;
        port_shm_read(b, src + done, k);
        port_shm_write(dst + done, b, k);
        done += k;
        ASSERT(done <= n);
    }
}

/* One command of the request: up to max_xfer bytes at `lba`. A short
 * answer (a residue) is taken as far as it went; the rest is asked again,
 * a bounded number of times. */
static enum iosim_err rw_chunk(struct uscsi *s, uint32_t lun, bool write, uint64_t lba,
                               uint8_t *user, uint32_t n, bool direct)
{
    struct uscsi_unit *u = &s->unit[lun];
    uint32_t bs = u->info.block_bytes;
    uint32_t shorts = 0;
    ASSERT(lun < s->luns && u->ok);
    ASSERT(bs == 512 || bs == 4096);
    ASSERT(n > 0 && n % bs == 0);
    ASSERT(direct || n <= s->max_xfer); /* the bounce buffer holds max_xfer bytes */
    for (uint32_t done = 0; done < n;) {
        uint8_t *buf = direct ? user + done : s->bounce;
        uint32_t k = n - done;
        if (write && !direct)
            copy_shared(buf, user + done, k);
        struct uscsi_cmd c = {.lun = lun, .buf = buf, .len = k};
        uscsi_cdb_rw(&c, write, u->use16, lba + done / bs, k / bs);
        enum iosim_err e = uscsi_command(s, &c);
        if (e != IOSIM_OK)
            return e;
        ASSERT(c.residue <= k); /* bounded by what was asked */
        uint32_t good = (k - c.residue) / bs * bs; /* whole blocks the device moved */
        ASSERT(good <= k && good % bs == 0);
        if (!write && !direct)
            copy_shared(user + done, buf, good);
        done += good;
        ASSERT(done <= n);
        if (good < k && ++shorts > USCSI_RETRIES)
            return IOSIM_EIO;
    }
    return IOSIM_OK;
}

static int64_t do_rw(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q)
{
    struct uscsi_unit *u = unit_of(s, c, q->fd);
    if (u == NULL)
        return err(IOSIM_EBADF);
    uint32_t bs = u->info.block_bytes;
    uint64_t cap = u->info.blocks * bs;
    if (q->len == 0 || q->len > DISK_SCHEME_XFER_MAX || q->len % bs != 0 || q->offset % bs != 0 ||
        q->offset >= cap || q->len > cap - q->offset)
        return err(IOSIM_EINVAL);
    bool write = q->opcode == RING_OP_WRITE;
    if (write && u->info.write_protect)
        return err(IOSIM_EACCES);
    uint8_t *user = port_user_ptr(q->addr, q->len);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    bool direct = in_window(c, user, q->len);
    ASSERT(bs == 512 || bs == 4096);
    ASSERT(s->max_xfer != 0 && s->max_xfer % bs == 0); /* every command whole blocks */
    for (uint32_t done = 0; done < q->len;) {
        uint32_t n = q->len - done < s->max_xfer ? (uint32_t)q->len - done : s->max_xfer;
        enum iosim_err e = rw_chunk(s, (uint32_t)q->fd, write, (q->offset + done) / bs,
                                    user + done, n, direct);
        if (e != IOSIM_OK)
            return err(e);
        done += n;
        ASSERT(done <= q->len); /* the last command takes what is left */
    }
    return (int64_t)q->len;
}

static int64_t do_fsync(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q)
{
    if (unit_of(s, c, q->fd) == NULL)
        return err(IOSIM_EBADF);
    enum iosim_err e = uscsi_sync(s, (uint32_t)q->fd);
    return e == IOSIM_OK ? 0 : err(e);
}

static int64_t handle(struct uscsi *s, struct uscsi_client *c, const struct ring_sqe64 *q,
                      uint64_t *extra)
{
    ASSERT(c->used && c->ring);
    ASSERT(extra != NULL);
    if (s->gone && q->opcode != RING_OP_CLOSE)
        return err(IOSIM_ENODEV);
    switch (q->opcode) {
    case RING_OP_OPEN: return do_open(s, c, q);
    case RING_OP_CLOSE:
        if (unit_of(s, c, q->fd) == NULL)
            return err(IOSIM_EBADF);
        c->open &= ~(1u << q->fd);
        return 0;
    case RING_OP_FMAP: return do_fmap(s, c, q, extra);
    case RING_OP_READ:
        return q->offset == DISK_SCHEME_INFO ? do_info(s, c, q) : do_rw(s, c, q);
    case RING_OP_WRITE: return do_rw(s, c, q);
    case RING_OP_FSYNC: return do_fsync(s, c, q);
    default: return err(IOSIM_ENOSYS);
    }
}

/* ---- rings ---------------------------------------------------------------------------------- */

static void client_gone(struct uscsi *s, struct uscsi_client *c)
{
    ASSERT(c->used);
    ASSERT(c >= s->clients && c < s->clients + USCSI_CLIENTS_MAX);
    if (c->ring)
        iou_close(&c->io);
    if (c->has_window) { /* nothing of it is on the controller: requests run to their end */
        (void)bufpool_free(&s->cpool, &c->window);
        (void)bufpool_unguard(&s->cpool, &c->window);
    }
    *c = (struct uscsi_client){0};
    s->clients_done++;
    ASSERT(!c->used && !c->has_window);
}

static int64_t accept_ring(struct uscsi *s, const struct ring_sqe64 *q)
{
    if (!(q->syscall_flags & URING_DUP_NEW_RING))
        return err(IOSIM_EACCES);
    for (uint32_t i = 0; i < USCSI_CLIENTS_MAX; i++) {
        struct uscsi_client *c = &s->clients[i];
        if (c->used)
            continue;
        enum iosim_err e = iou_accept_peer(&c->io, (int64_t)q->fd, (uint32_t)q->len,
                                           (uint32_t)q->offset, (uint32_t)(q->offset >> 32));
        if (e != IOSIM_OK)
            return err(e);
        *c = (struct uscsi_client){.used = true, .ring = true, .pid = (int64_t)q->addr, .io = c->io};
        ASSERT(c->open == 0 && !c->has_window); /* a new client holds nothing yet */
        return 0;
    }
    return err(IOSIM_EBUSY);
}

static bool serve_main(struct uscsi *s)
{
    struct ring_sqe64 q;
    enum iosim_err e;
    uint32_t served = 0;
    ASSERT(s->serving);
    ASSERT(s->sock >= 0);
    while ((e = iou_next_request(&s->main, &q)) == IOSIM_OK) {
        int64_t st = q.opcode == RING_OP_DUP ? accept_ring(s, &q) : err(IOSIM_EACCES);
        if (iou_reply(&s->main, q.user_data, st, 0) != IOSIM_OK)
            return false;
        served++;
    }
    if (served > 0)
        (void)iou_enter(&s->main, 0, 0);
    return e == IOSIM_EAGAIN;
}

/* One request of the client, if there is one; false when none was. */
static bool serve_one(struct uscsi *s, struct uscsi_client *c)
{
    struct ring_sqe64 q;
    ASSERT(c->used && c->ring);
    enum iosim_err e = iou_next_request(&c->io, &q);
    if (e == IOSIM_EAGAIN)
        return false;
    if (e != IOSIM_OK) {
        client_gone(s, c); /* it closed its ring, or broke it */
        return false;
    }
    uint64_t extra = 0;
    int64_t st = handle(s, c, &q, &extra);
    if (iou_reply(&c->io, q.user_data, st, extra) != IOSIM_OK) {
        client_gone(s, c); /* its CQ is full or broken: it does not read its answers */
        return false;
    }
    (void)iou_enter(&c->io, 0, 0); /* the answer reaches it now, not after the next command */
    return true;
}

bool uscsi_serve(struct uscsi *s)
{
    ASSERT(s != NULL);
    if (!s->serving)
        return false;
    if (!serve_main(s)) {
        s->serving = false;
        return false;
    }
    /* round robin, a request per client per turn: one client's queue does
     * not starve the others; the device going ends it (uscsi_serve_drain) */
    for (bool more = true; more && !s->gone && !s->dead;) {
        more = false;
        for (uint32_t i = 0; i < USCSI_CLIENTS_MAX; i++)
            if (s->clients[i].used && serve_one(s, &s->clients[i]))
                more = true;
    }
    return true;
}

void uscsi_serve_drain(struct uscsi *s)
{
    ASSERT(s->gone || s->dead); /* only a device that went is drained */
    if (!s->serving || !serve_main(s))
        return;
    for (uint32_t i = 0; i < USCSI_CLIENTS_MAX; i++)
        for (uint32_t k = 0; k < DISK_SCHEME_INFLIGHT_MAX && s->clients[i].used; k++)
            if (!serve_one(s, &s->clients[i]))
                break;
}

port_atomic_u32 *uscsi_serve_word(struct uscsi *s)
{
    ASSERT(s->serving && s->main.sq_hdr != NULL);
    return &s->main.sq_hdr->shared_push_epoch;
}

void uscsi_serve_close(struct uscsi *s)
{
    for (uint32_t i = 0; i < USCSI_CLIENTS_MAX; i++)
        if (s->clients[i].used)
            client_gone(s, &s->clients[i]);
    if (s->serving) {
        iou_close(&s->main);
        (void)port_sys_close((uint64_t)s->sock);
        s->serving = false;
    }
    ASSERT(!s->serving);
}

/* The scheme's name: `name`, or the first free of "disk", "disk1", ... */
enum iosim_err uscsi_serve_open(struct uscsi *s, const char *name)
{
    ASSERT(!s->serving);
    enum iosim_err e = disk_serve_open(name, SERVE_ENTRIES, &s->main, s->scheme, &s->sock);
    ASSERT(e != IOSIM_OK || s->sock >= 0);
    s->serving = e == IOSIM_OK;
    return e;
}
