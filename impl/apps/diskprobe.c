/*
 * app_diskprobe: a hostile client of `disk:` (impl/disk/disk_scheme.h)
 * that checks a server keeps the contract - the same probe for ramdisk,
 * the reference server, and usbscsid, so the two cannot drift apart.
 *
 * Arguments: disk (the scheme, "disk"), lun (0), wait (ns to wait for the
 * scheme to appear, 10 s).
 *
 * It opens the unit with disk_client, reads its info, and then makes one
 * request at a time through its peer ring, by hand, each one whose answer
 * the contract fixes (bad paths, handles, sizes, offsets, addresses,
 * windows, opcodes), checking the status exactly. Then it shows the
 * server still works: a block written from its window reads back the
 * same into the window (no copy) and into memory of its own (copied), an
 * FSYNC and a CLOSE succeed, and the closed handle is refused. A
 * write-protected unit must refuse the write (EACCES) instead.
 *
 * Every check is a fio_io row (job "diskprobe", op the check's name,
 * status the server's answer), so a failing run says which check failed:
 * the last row.
 *
 * Exit status: 0 when every answer was the contract's, 1 at the first
 * that was not, 2 when it could not set up (no scheme, no unit, no memory).
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/disk/disk_client.h"
#include "impl/port/port.h"
#include "impl/util/strbuf.h"

#define DP_JOB "diskprobe"
#define DP_WINDOW_BYTES (64u << 10)
#define DP_SCRATCH_BYTES 8192u     /* two blocks of the largest size */
#define DP_BAD_FD 1000u            /* above any handle a server gives one client */
#define DP_OPCODE_UNKNOWN 99u

struct dprobe {
    struct disk_client c;
    struct disk_scheme_info info;
    struct port_dma scratch;       /* ours: buffers the server must copy, paths */
    uint8_t *win;                  /* the server's window, once lent */
    uint64_t fd, win_at, scratch_at, nowhere;
    uint64_t bs, cap;              /* the unit's block and byte sizes */
};

/* Requests refused before anything moves, with the contract's answer. */
struct dp_case {
    const char *name;
    struct ring_sqe64 q;
    enum iosim_err want;
};

static int64_t errno_of(enum iosim_err e) { return -(int64_t)iosim_err_errno(e); }

/* One request as it is; the server's status (a transport error as -errno). */
static int64_t raw(struct dprobe *p, struct ring_sqe64 q, uint64_t *extra)
{
    int64_t st = 0;
    enum iosim_err e = iou_peer_call(&p->c.peer, q, &st, extra);
    return e == IOSIM_OK || st < 0 ? st : errno_of(e);
}

static void row(const char *name, const struct ring_sqe64 *q, int64_t status, uint64_t start)
{
    uint64_t now = port_clock_ns();
    struct port_trace_fio_io r = {.job = DP_JOB, .op = name, .offset = q->offset, .len = q->len,
                                  .status = status, .submit_ps = start * 1000u,
                                  .lat_ns = now - start};
    port_trace_fio_io(&r);
}

/* Request q must be answered `want` exactly. */
static bool expect(struct dprobe *p, const char *name, struct ring_sqe64 q, int64_t want)
{
    uint64_t start = port_clock_ns();
    int64_t st = raw(p, q, NULL);
    row(name, &q, st, start);
    return st == want;
}

static bool refused(struct dprobe *p, const struct dp_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!expect(p, cases[i].name, cases[i].q, errno_of(cases[i].want)))
            return false;
    return true;
}

/* ---- the checks ------------------------------------------------------------------------------- */

/* Paths that name no unit; the path text lives in our scratch memory. */
static bool opens(struct dprobe *p)
{
    char *text = p->scratch.host;
    port_shm_write(text, "x", 1);
    port_shm_write(text + 8, "000000000", 9); /* longer than any LUN's name */
    char past[12];
    struct strbuf sb;
    strbuf_init(&sb, past, sizeof past);
    strbuf_dec(&sb, p->info.luns); /* the first LUN the device does not have */
    port_shm_write(text + 32, past, sb.len);
    uint64_t at = p->scratch_at;
    const struct dp_case cases[] = {
        {"open_not_a_number", {.opcode = RING_OP_OPEN, .addr = at, .len = 1}, IOSIM_EINVAL},
        {"open_empty", {.opcode = RING_OP_OPEN, .addr = at, .len = 0}, IOSIM_EINVAL},
        {"open_too_long", {.opcode = RING_OP_OPEN, .addr = at + 8, .len = 9}, IOSIM_EINVAL},
        {"open_nowhere", {.opcode = RING_OP_OPEN, .addr = p->nowhere, .len = 1}, IOSIM_EFAULT},
        {"open_no_such_lun", {.opcode = RING_OP_OPEN, .addr = at + 32, .len = sb.len},
         IOSIM_ENOENT},
    };
    return refused(p, cases, sizeof cases / sizeof cases[0]);
}

static bool infos(struct dprobe *p)
{
    uint64_t info = DISK_SCHEME_INFO, n = sizeof(struct disk_scheme_info);
    const struct dp_case cases[] = {
        {"info_short", {.opcode = RING_OP_READ, .fd = p->fd, .offset = info,
                        .addr = p->scratch_at, .len = n - 1}, IOSIM_EINVAL},
        {"info_bad_fd", {.opcode = RING_OP_READ, .fd = DP_BAD_FD, .offset = info,
                         .addr = p->scratch_at, .len = n}, IOSIM_EBADF},
        {"info_nowhere", {.opcode = RING_OP_READ, .fd = p->fd, .offset = info,
                          .addr = p->nowhere, .len = n}, IOSIM_EFAULT},
    };
    return refused(p, cases, sizeof cases / sizeof cases[0]);
}

/* Bad windows first (a server may check "one window" before the sizes),
 * then the good one, then a second. */
static bool windows(struct dprobe *p)
{
    const struct dp_case cases[] = {
        {"fmap_empty", {.opcode = RING_OP_FMAP, .len = 0}, IOSIM_EINVAL},
        {"fmap_too_big", {.opcode = RING_OP_FMAP, .len = DISK_SCHEME_WINDOW_MAX + 4096}, IOSIM_EINVAL},
        {"fmap_offset", {.opcode = RING_OP_FMAP, .offset = 4096, .len = DP_WINDOW_BYTES},
         IOSIM_EINVAL},
        {"fmap_not_fd_0", {.opcode = RING_OP_FMAP, .fd = 1, .len = DP_WINDOW_BYTES}, IOSIM_EBADF},
    };
    if (!refused(p, cases, sizeof cases / sizeof cases[0]))
        return false;
    struct ring_sqe64 q = {.opcode = RING_OP_FMAP, .len = DP_WINDOW_BYTES};
    uint64_t start = port_clock_ns(), at = 0;
    int64_t st = raw(p, q, &at);
    row("fmap", &q, st, start);
    p->win = st == (int64_t)q.len ? port_user_ptr(at, DP_WINDOW_BYTES) : NULL;
    if (p->win == NULL)
        return false;
    p->win_at = at;
    return expect(p, "fmap_second", q, errno_of(IOSIM_EBUSY));
}

static bool transfers(struct dprobe *p, uint8_t op, const char *const names[7])
{
    uint64_t fd = p->fd, bs = p->bs, at = p->win_at, last = p->cap - bs;
    const struct dp_case cases[] = {
        {names[0], {.opcode = op, .fd = fd, .offset = bs / 2, .addr = at, .len = bs}, IOSIM_EINVAL},
        {names[1], {.opcode = op, .fd = fd, .offset = 0, .addr = at, .len = 0}, IOSIM_EINVAL},
        {names[2], {.opcode = op, .fd = fd, .offset = 0, .addr = at, .len = bs + bs / 2},
         IOSIM_EINVAL},
        {names[3], {.opcode = op, .fd = fd, .offset = 0, .addr = at,
                    .len = DISK_SCHEME_XFER_MAX + bs}, IOSIM_EINVAL},
        {names[4], {.opcode = op, .fd = fd, .offset = p->cap, .addr = at, .len = bs}, IOSIM_EINVAL},
        {names[5], {.opcode = op, .fd = fd, .offset = last, .addr = at, .len = 2 * bs},
         IOSIM_EINVAL},
        {names[6], {.opcode = op, .fd = DP_BAD_FD, .offset = 0, .addr = at, .len = bs},
         IOSIM_EBADF},
    };
    return refused(p, cases, sizeof cases / sizeof cases[0]);
}

static bool reads_and_writes(struct dprobe *p)
{
    static const char *const reads[7] = {"read_unaligned", "read_empty", "read_partial_block",
                                         "read_too_long", "read_at_end", "read_past_end",
                                         "read_bad_fd"};
    static const char *const writes[7] = {"write_unaligned", "write_empty",
                                          "write_partial_block", "write_too_long",
                                          "write_at_end", "write_past_end", "write_bad_fd"};
    uint64_t fd = p->fd, bs = p->bs;
    /* an offset whose end wraps around: a server adding offset + len overflows */
    uint64_t wrap = UINT64_MAX - bs + 1;
    const struct dp_case more[] = {
        {"write_wraps", {.opcode = RING_OP_WRITE, .fd = fd, .offset = wrap, .addr = p->win_at,
                         .len = bs}, IOSIM_EINVAL},
        {"read_nowhere", {.opcode = RING_OP_READ, .fd = fd, .addr = p->nowhere, .len = bs},
         IOSIM_EFAULT},
        {"write_nowhere", {.opcode = RING_OP_WRITE, .fd = fd, .addr = p->nowhere, .len = bs},
         p->info.write_protect ? IOSIM_EACCES : IOSIM_EFAULT},
    };
    return transfers(p, RING_OP_READ, reads) && transfers(p, RING_OP_WRITE, writes) &&
           refused(p, more, sizeof more / sizeof more[0]);
}

static bool others(struct dprobe *p)
{
    uint64_t fd = p->fd;
    const struct dp_case cases[] = {
        {"op_nop", {.opcode = RING_OP_NOP, .fd = fd}, IOSIM_ENOSYS},
        {"op_funmap", {.opcode = RING_OP_FUNMAP, .addr = p->win_at, .len = 4096}, IOSIM_ENOSYS},
        {"op_dup", {.opcode = RING_OP_DUP, .fd = fd}, IOSIM_ENOSYS},
        {"op_unknown", {.opcode = DP_OPCODE_UNKNOWN, .fd = fd}, IOSIM_ENOSYS},
        {"fsync_bad_fd", {.opcode = RING_OP_FSYNC, .fd = DP_BAD_FD}, IOSIM_EBADF},
        {"close_bad_fd", {.opcode = RING_OP_CLOSE, .fd = DP_BAD_FD}, IOSIM_EBADF},
    };
    return refused(p, cases, sizeof cases / sizeof cases[0]);
}

/* ---- the server still works ----------------------------------------------------------------- */

static uint8_t pattern(uint64_t i) { return (uint8_t)(i * 13u + 0x5au); }

/* How many of the block's bytes at `got` are the pattern (all: bs). */
static int64_t matching(const struct dprobe *p, const uint8_t *got)
{
    uint8_t b[64];
    for (uint64_t at = 0; at < p->bs; at += sizeof b) {
        port_shm_read(b, got + at, sizeof b);
        for (uint64_t i = 0; i < sizeof b; i++)
            if (b[i] != pattern(at + i))
                return (int64_t)(at + i);
    }
    return (int64_t)p->bs;
}

/* A READ of the last block into `buf`, which must then hold the pattern. */
static bool read_back(struct dprobe *p, const char *name, const char *cmp, uint8_t *buf)
{
    struct ring_sqe64 q = {.opcode = RING_OP_READ, .fd = p->fd, .offset = p->cap - p->bs,
                           .addr = port_user_addr(buf), .len = p->bs};
    port_shm_write(buf, &(uint8_t[64]){0}, 64); /* stale bytes must not pass for read ones */
    if (!expect(p, name, q, (int64_t)p->bs))
        return false;
    uint64_t start = port_clock_ns();
    int64_t same = matching(p, buf);
    row(cmp, &q, same, start);
    return same == (int64_t)p->bs;
}

/* The last block: the pattern written from the window (a write-protected
 * unit refuses it; its block reads whatever it holds), read back. */
static bool still_works(struct dprobe *p)
{
    uint8_t b[64];
    for (uint64_t at = 0; at < p->bs; at += sizeof b) {
        for (uint64_t i = 0; i < sizeof b; i++)
            b[i] = pattern(at + i);
        port_shm_write(p->win + at, b, sizeof b);
    }
    struct ring_sqe64 w = {.opcode = RING_OP_WRITE, .fd = p->fd, .offset = p->cap - p->bs,
                           .addr = p->win_at, .len = p->bs};
    if (p->info.write_protect)
        return expect(p, "write_protected", w, errno_of(IOSIM_EACCES)) &&
               expect(p, "read_protected", (struct ring_sqe64){.opcode = RING_OP_READ,
                                                               .fd = p->fd, .addr = p->win_at,
                                                               .len = p->bs},
                      (int64_t)p->bs);
    return expect(p, "write", w, (int64_t)p->bs) &&
           read_back(p, "read_window", "read_window_same", p->win + p->bs) &&
           read_back(p, "read_copied", "read_copied_same", p->scratch.host);
}

/* FSYNC and CLOSE succeed; the closed handle is refused from then on. */
static bool ends_well(struct dprobe *p)
{
    uint64_t fd = p->fd;
    if (!expect(p, "fsync", (struct ring_sqe64){.opcode = RING_OP_FSYNC, .fd = fd}, 0) ||
        !expect(p, "close", (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = fd}, 0))
        return false;
    p->c.handle = -1; /* closed: disk_client_close must not close it again */
    const struct dp_case cases[] = {
        {"read_closed", {.opcode = RING_OP_READ, .fd = fd, .addr = p->win_at, .len = p->bs},
         IOSIM_EBADF},
        {"info_closed", {.opcode = RING_OP_READ, .fd = fd, .offset = DISK_SCHEME_INFO,
                         .addr = p->scratch_at, .len = sizeof(struct disk_scheme_info)},
         IOSIM_EBADF},
        {"fsync_closed", {.opcode = RING_OP_FSYNC, .fd = fd}, IOSIM_EBADF},
        {"close_closed", {.opcode = RING_OP_CLOSE, .fd = fd}, IOSIM_EBADF},
    };
    return refused(p, cases, sizeof cases / sizeof cases[0]);
}

/* ---- set-up ------------------------------------------------------------------------------------ */

static bool set_up(struct dprobe *p, const struct app_args *a)
{
    static uint8_t outside[64]; /* not memory a process may hand over: never a user address */
    int64_t lun = app_arg_int(a, "lun", 0), wait = app_arg_int(a, "wait", 10000000000);
    if (lun < 0 || lun > UINT32_MAX || wait < 0 ||
        disk_client_open(&p->c, app_arg_str(a, "disk", DISK_SCHEME_NAME), (uint32_t)lun,
                         (uint64_t)wait) != IOSIM_OK)
        return false;
    if (disk_client_info(&p->c, &p->info) != IOSIM_OK ||
        port_dma_alloc(DP_SCRATCH_BYTES, 4096, &p->scratch) != IOSIM_OK)
        return false;
    p->fd = (uint64_t)p->c.handle;
    p->bs = p->info.block_bytes;
    p->cap = p->info.blocks * p->bs;
    p->scratch_at = port_user_addr(p->scratch.host);
    p->nowhere = port_user_addr(outside);
    /* the checks need two blocks of window and scratch, and two blocks of unit */
    return (p->bs == 512 || p->bs == 4096) && p->info.blocks >= 2 &&
           p->info.blocks <= UINT64_MAX / p->bs;
}

int32_t app_diskprobe(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct dprobe), 0, &mem) != IOSIM_OK)
        return 2;
    struct dprobe *p = mem.host; /* zeroed; disk_client_open sets up the rest */
    p->c.handle = -1;            /* nothing open for disk_client_close to close yet */
    int32_t rc = 2;
    if (set_up(p, args))
        rc = opens(p) && infos(p) && windows(p) && reads_and_writes(p) && others(p) &&
                     still_works(p) && ends_well(p)
                 ? 0
                 : 1;
    disk_client_close(&p->c); /* the server sees its client go */
    port_dma_free(&p->scratch);
    port_dma_free(&mem);
    return rc;
}
