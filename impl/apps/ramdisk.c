/*
 * app_ramdisk: serves `disk:` (impl/disk/disk_scheme.h) from memory - the
 * reference server of the contract usbscsid serves over USB, so disk
 * workloads run, and can be compared, without the USB stack.
 *
 * Arguments: scheme (default: the first free of "disk", "disk1", ...),
 * luns (1, up to 16), blocks (131072 a LUN), block_size (512 or 4096),
 * delay (ns each request takes, 0), write_cache (0; 1: writes are volatile
 * until an FSYNC), power_loss_at (ns of simulated time, 0 = never: the
 * writes no completed FSYNC covers are lost then, and serving goes on),
 * write_protect (0), memory (bytes of written data it may hold, 64 MiB,
 * shared out among the LUNs: the store is sparse, so blocks may describe
 * a far larger disk; each LUN has its own store and cache, as SCSI units),
 * until_clients (0: serve until the kernel shuts the scheme down; N: exit
 * once N clients have come and gone).
 *
 * Every client offers its own ring (URING_DUP_NEW_RING on the scheme's
 * ring); nothing it sends is trusted: handles, offsets, lengths and
 * addresses are checked and answered with the contract's errors. Requests
 * are served one at a time, in ring order, each answered before the next
 * is taken (clients in turn, RD_BATCH requests each, so one busy client
 * does not starve the others); a client never has more than its ring's
 * depth outstanding, so EBUSY for too many in flight cannot arise. The server sleeps on its
 * scheme ring's push epoch, which the kernel also moves when a client
 * notifies or leaves its ring (kern_uring.c, wake_server): no polling.
 *
 * Exit status: 2 when it cannot start (bad arguments, no scheme, no
 * memory); otherwise 0.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/disk/disk_serve.h"
#include "impl/disk/disk_store.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"
#include "impl/util/num.h"

#define RD_CLIENTS_MAX 8u
#define RD_HANDLES_MAX 8u          /* units open at once, per client */
#define RD_LUNS_MAX 16u
#define RD_ENTRIES 16u
#define RD_POLL_NS 50000u          /* while the scheme ring's CQ is full */
#define RD_BATCH 8u                /* requests of one client before the next one's turn */
#define RD_COPY_CHUNK 4096u        /* a copied buffer moves this much at a time */

struct rd_client {
    bool used;
    struct iou io;                 /* its ring: we produce the answers */
    struct port_dma window;        /* host NULL until FMAP */
    bool open[RD_HANDLES_MAX];
    uint32_t lun[RD_HANDLES_MAX];
};

struct ramdisk {
    struct iou main;
    int64_t sock;
    char name[DISK_SCHEME_NAME_BYTES];
    uint32_t luns, block_bytes;
    uint64_t blocks, delay_ns, power_loss_ns;
    bool write_protect, write_cache, power_lost;
    uint32_t until_clients, clients_done;
    struct disk_store store[RD_LUNS_MAX]; /* by LUN: each its own cache, as SCSI units */
    struct port_dma bounce;        /* copies of buffers outside a window */
    struct rd_client clients[RD_CLIENTS_MAX];
};

static int64_t err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

/* ---- requests --------------------------------------------------------------------------- */

static int64_t do_open(struct rd_client *c, const struct ramdisk *d, const struct ring_sqe64 *q)
{
    char text[8];
    if (q->len == 0 || q->len >= sizeof text)
        return err(IOSIM_EINVAL);
    const void *user = port_user_ptr(q->addr, (size_t)q->len);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    port_shm_read(text, user, (size_t)q->len);
    uint64_t lun;
    if (!num_parse_u64(text, (size_t)q->len, UINT32_MAX, &lun))
        return err(IOSIM_EINVAL);
    if (lun >= d->luns) /* no such path; ENODEV would say the device went away */
        return err(IOSIM_ENOENT);
    for (uint32_t h = 0; h < RD_HANDLES_MAX; h++) {
        if (!c->open[h]) {
            c->open[h] = true;
            c->lun[h] = (uint32_t)lun;
            return h;
        }
    }
    return err(IOSIM_EBUSY);
}

static bool handle_ok(const struct rd_client *c, uint64_t fd)
{
    return fd < RD_HANDLES_MAX && c->open[fd];
}

static void fill_info(const struct ramdisk *d, uint32_t lun, struct disk_scheme_info *in)
{
    memset(in, 0, sizeof *in); /* every byte defined, padding and string tails too */
    in->blocks = d->blocks;
    in->block_bytes = d->block_bytes;
    in->max_xfer_bytes = DISK_SCHEME_XFER_MAX;
    in->lun = lun;
    in->luns = d->luns;
    in->write_protect = d->write_protect;
    in->write_cache = d->write_cache;
    memcpy(in->vendor, "iosim", sizeof "iosim");
    memcpy(in->product, "ramdisk", sizeof "ramdisk");
    memcpy(in->revision, "1.0", sizeof "1.0");
    memcpy(in->serial, d->name, strlen(d->name));
}

static int64_t do_info(const struct ramdisk *d, const struct rd_client *c,
                       const struct ring_sqe64 *q)
{
    struct disk_scheme_info in;
    if (q->len < sizeof in)
        return err(IOSIM_EINVAL);
    void *user = port_user_ptr(q->addr, sizeof in);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    fill_info(d, c->lun[q->fd], &in);
    port_shm_write(user, &in, sizeof in);
    return (int64_t)sizeof in;
}

static int64_t do_fmap(struct rd_client *c, const struct ring_sqe64 *q, uint64_t *extra)
{
    if (q->fd != 0)
        return err(IOSIM_EBADF);
    if (q->len == 0 || q->len > DISK_SCHEME_WINDOW_MAX || q->offset != 0)
        return err(IOSIM_EINVAL);
    if (c->window.host != NULL)
        return err(IOSIM_EBUSY);
    enum iosim_err e = port_dma_alloc((size_t)q->len, 4096, &c->window);
    if (e != IOSIM_OK)
        return err(e);
    *extra = port_user_addr(c->window.host);
    return (int64_t)q->len;
}

/* Where the buffer [addr, addr + len) is in c's window, or NULL. */
static uint8_t *in_window(const struct rd_client *c, uint64_t addr, uint64_t len)
{
    if (c->window.host == NULL)
        return NULL;
    uint64_t base = port_user_addr(c->window.host);
    if (addr < base || len > c->window.len_bytes || addr - base > c->window.len_bytes - len)
        return NULL;
    return (uint8_t *)c->window.host + (addr - base);
}

/* Copies between the client's buffer and our bounce buffer, both read and
 * written as shared memory: a plain memcpy would read the bounce buffer
 * past this CPU's store buffer (bytes move() just wrote, not yet there)
 * and write it past stores of an earlier request still waiting in it. */
static void copy_shared(uint8_t *dst, const uint8_t *src, uint64_t len)
{
    uint8_t b[RD_COPY_CHUNK];
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < sizeof b ? len - done : sizeof b;
        port_shm_read(b, src + done, (size_t)n);
        port_shm_write(dst + done, b, (size_t)n);
        done += n;
    }
}

/* Moves len bytes between the store at `off` and the shared buffer `user`
 * (the client's window, or our bounce buffer after/before its copy). */
static enum iosim_err move(struct disk_store *st, uint64_t off, uint8_t *user, uint64_t len,
                           bool write)
{
    /* bounded: a span is at least one byte, at most DISK_SCHEME_XFER_MAX of them */
    for (uint64_t done = 0; done < len;) {
        uint8_t *p;
        uint32_t n;
        enum iosim_err e = disk_store_span(st, off + done, len - done, write, &p, &n);
        if (e != IOSIM_OK)
            return e;
        if (write)
            port_shm_read(p, user + done, n);
        else
            port_shm_write(user + done, p, n);
        done += n;
    }
    return IOSIM_OK;
}

/* The contract's checks of a READ or WRITE; 0 when it may go ahead. */
static int64_t rw_check(const struct ramdisk *d, const struct rd_client *c,
                        const struct ring_sqe64 *q)
{
    uint64_t lun_bytes = d->blocks * d->block_bytes;
    if (!handle_ok(c, q->fd))
        return err(IOSIM_EBADF);
    if (q->len == 0 || q->len > DISK_SCHEME_XFER_MAX || q->len % d->block_bytes != 0 ||
        q->offset % d->block_bytes != 0 || q->offset > lun_bytes || q->len > lun_bytes - q->offset)
        return err(IOSIM_EINVAL);
    if (q->opcode == RING_OP_WRITE && d->write_protect)
        return err(IOSIM_EACCES);
    return 0;
}

static int64_t do_rw(struct ramdisk *d, struct rd_client *c, const struct ring_sqe64 *q)
{
    if (q->opcode == RING_OP_READ && q->offset == DISK_SCHEME_INFO)
        return handle_ok(c, q->fd) ? do_info(d, c, q) : err(IOSIM_EBADF);
    int64_t st = rw_check(d, c, q);
    if (st != 0)
        return st;
    bool write = q->opcode == RING_OP_WRITE;
    struct disk_store *store = &d->store[c->lun[q->fd]];
    uint8_t *win = in_window(c, q->addr, q->len);
    uint8_t *user = win != NULL ? win : port_user_ptr(q->addr, (size_t)q->len);
    if (user == NULL)
        return err(IOSIM_EFAULT);
    enum iosim_err e;
    if (win != NULL) { /* the device moves it in place */
        e = move(store, q->offset, win, q->len, write);
    } else if (write) { /* one copy, through our own DMA memory */
        copy_shared(d->bounce.host, user, q->len);
        e = move(store, q->offset, d->bounce.host, q->len, true);
    } else {
        e = move(store, q->offset, d->bounce.host, q->len, false);
        if (e == IOSIM_OK)
            copy_shared(user, d->bounce.host, q->len);
    }
    return e == IOSIM_OK ? (int64_t)q->len : err(IOSIM_EIO);
}

static int64_t handle(struct ramdisk *d, struct rd_client *c, const struct ring_sqe64 *q,
                      uint64_t *extra)
{
    switch (q->opcode) {
    case RING_OP_OPEN: return do_open(c, d, q);
    case RING_OP_READ:
    case RING_OP_WRITE: return do_rw(d, c, q);
    case RING_OP_FMAP: return do_fmap(c, q, extra);
    case RING_OP_FSYNC:
        if (!handle_ok(c, q->fd))
            return err(IOSIM_EBADF);
        disk_store_flush(&d->store[c->lun[q->fd]]); /* SYNCHRONIZE CACHE of the unit */
        return 0;
    case RING_OP_CLOSE:
        if (!handle_ok(c, q->fd))
            return err(IOSIM_EBADF);
        c->open[q->fd] = false;
        return 0;
    default: return err(IOSIM_ENOSYS);
    }
}

/* ---- rings -------------------------------------------------------------------------------- */

/* A client offers its ring (the kernel says who it is). */
static int64_t accept_ring(struct ramdisk *d, const struct ring_sqe64 *q)
{
    if (!(q->syscall_flags & URING_DUP_NEW_RING))
        return err(IOSIM_EACCES);
    for (uint32_t i = 0; i < RD_CLIENTS_MAX; i++) {
        struct rd_client *c = &d->clients[i];
        if (c->used)
            continue;
        memset(c, 0, sizeof *c);
        enum iosim_err e = iou_accept_peer(&c->io, (int64_t)q->fd, (uint32_t)q->len,
                                           (uint32_t)q->offset, (uint32_t)(q->offset >> 32));
        if (e != IOSIM_OK)
            return err(e);
        c->used = true;
        return 0;
    }
    return err(IOSIM_EBUSY);
}

/* The scheme's own ring: only ring offers; false once it is shut down. */
static bool serve_main(struct ramdisk *d)
{
    struct ring_sqe64 q;
    enum iosim_err e;
    uint32_t served = 0;
    while ((e = iou_next_request(&d->main, &q)) == IOSIM_OK) {
        int64_t st = q.opcode == RING_OP_DUP ? accept_ring(d, &q) : err(IOSIM_EACCES);
        (void)iou_reply_wait(&d->main, q.user_data, st, 0, RD_POLL_NS);
        served++;
    }
    if (served > 0)
        (void)iou_enter(&d->main, 0, 0); /* the kernel takes the answers on */
    return e == IOSIM_EAGAIN;
}

/* A client that left (or broke its ring): its ring and window go. */
static void client_gone(struct ramdisk *d, struct rd_client *c)
{
    iou_close(&c->io);
    port_dma_free(&c->window);
    c->used = false;
    d->clients_done++;
}

/* Up to RD_BATCH of a client's requests; true when it may have more. */
static bool serve_client(struct ramdisk *d, struct rd_client *c)
{
    struct ring_sqe64 q;
    enum iosim_err e = IOSIM_EAGAIN;
    uint32_t unsent = 0, served = 0;
    while (served < RD_BATCH && (e = iou_next_request(&c->io, &q)) == IOSIM_OK) {
        served++;
        uint64_t extra = 0;
        if (d->delay_ns > 0)
            port_sleep_ns(d->delay_ns); /* the medium's time */
        int64_t st = handle(d, c, &q, &extra);
        if (iou_reply(&c->io, q.user_data, st, extra) != IOSIM_OK) {
            e = IOSIM_EPROTO; /* its CQ is full or broken: it does not take its answers */
            break;
        }
        unsent++;
        if (d->delay_ns > 0) { /* each answer when it is ready, not with the batch */
            (void)iou_enter(&c->io, 0, 0);
            unsent = 0;
        }
    }
    if (unsent > 0)
        (void)iou_enter(&c->io, 0, 0); /* tells the client its answers are there */
    if (e != IOSIM_EAGAIN && e != IOSIM_OK)
        client_gone(d, c);
    return e == IOSIM_OK;
}

static uint32_t clients_live(const struct ramdisk *d)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < RD_CLIENTS_MAX; i++)
        n += d->clients[i].used;
    return n;
}

/* ---- set-up and the loop ------------------------------------------------------------------- */

/* Scheme `want`, or the first free of "disk", "disk1", ... */
static enum iosim_err open_scheme(struct ramdisk *d, const char *want)
{
    return disk_serve_open(want, RD_ENTRIES, &d->main, d->name, &d->sock);
}

static bool read_args(struct ramdisk *d, void *args)
{
    int64_t luns = app_arg_int(args, "luns", 1), bs = app_arg_int(args, "block_size", 512);
    int64_t blocks = app_arg_int(args, "blocks", 131072);
    int64_t delay = app_arg_int(args, "delay", 0), loss = app_arg_int(args, "power_loss_at", 0);
    if (luns < 1 || luns > RD_LUNS_MAX || (bs != 512 && bs != 4096) || blocks < 1 ||
        delay < 0 || loss < 0)
        return false;
    if ((uint64_t)blocks > UINT64_MAX / (uint64_t)bs)
        return false; /* a LUN's bytes must fit its store's offsets */
    *d = (struct ramdisk){.sock = -1, .luns = (uint32_t)luns, .block_bytes = (uint32_t)bs,
                          .blocks = (uint64_t)blocks, .delay_ns = (uint64_t)delay,
                          .power_loss_ns = (uint64_t)loss,
                          .write_protect = app_arg_int(args, "write_protect", 0) != 0,
                          .write_cache = app_arg_int(args, "write_cache", 0) != 0,
                          .until_clients = (uint32_t)app_arg_int(args, "until_clients", 0)};
    return true;
}

static enum iosim_err set_up(struct ramdisk *d, void *args)
{
    if (!read_args(d, args))
        return IOSIM_EINVAL;
    int64_t memory = app_arg_int(args, "memory", 64 << 20);
    int64_t pages = memory / DISK_STORE_PAGE_BYTES / d->luns; /* shared out among the LUNs */
    if (pages < 1 || pages > (int64_t)DISK_STORE_PAGES_MAX)
        return IOSIM_EINVAL;
    enum iosim_err e = IOSIM_OK;
    for (uint32_t l = 0; l < d->luns && e == IOSIM_OK; l++)
        e = disk_store_init(&d->store[l], d->blocks * d->block_bytes, (uint32_t)pages,
                            d->write_cache);
    if (e == IOSIM_OK)
        e = port_dma_alloc(DISK_SCHEME_XFER_MAX, 4096, &d->bounce);
    return e == IOSIM_OK ? open_scheme(d, app_arg_str(args, "scheme", NULL)) : e;
}

/* The power goes once its time has come; how long to sleep until then. */
static uint64_t power(struct ramdisk *d)
{
    if (d->power_loss_ns == 0 || d->power_lost)
        return PORT_WAIT_FOREVER;
    uint64_t now = port_clock_ns();
    if (now < d->power_loss_ns)
        return d->power_loss_ns - now;
    for (uint32_t l = 0; l < d->luns; l++)
        disk_store_power_loss(&d->store[l]);
    d->power_lost = true;
    return PORT_WAIT_FOREVER;
}

static void run(struct ramdisk *d)
{
    for (;;) {
        /* the kernel moves this word for an offer on the scheme's ring and
         * for anything on a client's ring (a notify, the client leaving) */
        port_atomic_u32 *word = &d->main.sq_hdr->shared_push_epoch;
        uint32_t seen = port_load_u32(word, PORT_ACQUIRE);
        (void)power(d);
        if (!serve_main(d))
            return;
        bool more = false;
        for (uint32_t i = 0; i < RD_CLIENTS_MAX; i++)
            if (d->clients[i].used)
                more = serve_client(d, &d->clients[i]) || more;
        if (d->until_clients > 0 && d->clients_done >= d->until_clients && clients_live(d) == 0)
            return;
        if (more)
            continue; /* a client was cut short so the others get their turn */
        enum iosim_err e = port_wait_u32(word, seen, power(d));
        if (e != IOSIM_OK && e != IOSIM_ETIMEDOUT)
            return;
    }
}

static void tear_down(struct ramdisk *d)
{
    for (uint32_t i = 0; i < RD_CLIENTS_MAX; i++) {
        if (d->clients[i].used) {
            iou_close(&d->clients[i].io);
            port_dma_free(&d->clients[i].window);
        }
    }
    if (d->main.role != IOU_NONE)
        iou_close(&d->main);
    if (d->sock >= 0)
        (void)port_sys_close((uint64_t)d->sock);
    port_dma_free(&d->bounce);
    for (uint32_t l = 0; l < RD_LUNS_MAX; l++)
        disk_store_destroy(&d->store[l]); /* kernel memory: it would outlive us */
}

int32_t app_ramdisk(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct ramdisk), 0, &mem) != IOSIM_OK)
        return 2;
    struct ramdisk *d = mem.host; /* zeroed; the process's memory, freed when it ends */
    d->sock = -1;
    enum iosim_err e = set_up(d, args);
    if (e == IOSIM_OK)
        run(d);
    tear_down(d);
    port_dma_free(&mem);
    return e == IOSIM_OK ? 0 : 2;
}
