/*
 * disk_scheme.h - the `disk:` scheme: a block device as a process sees it.
 * Served by usbscsid for each USB mass-storage device (one scheme per
 * device, every LUN of it) and by the `ramdisk` app from memory; spoken by
 * disk_client.h (the fio workload uses it).
 *
 * A client reaches the server over a userspace -> userspace ring it offers
 * to the scheme through its kernel ring (impl/uring/peer.h); any process
 * may. The scheme's name is "disk" for the first server, "disk1", "disk2"
 * ... for the next ones (the first name free when the server starts).
 *
 * Requests are SqEntry64s; user_data comes back in the CQE; status is a
 * result or a negative errno.
 *
 *   OPEN   addr/len: the LUN in decimal ("0")   -> a handle; ENOENT for a
 *          LUN the device does not have
 *   READ   fd, offset DISK_SCHEME_INFO, addr, len >= sizeof(struct
 *          disk_scheme_info)                    -> sizeof, the info in addr
 *   FMAP   fd 0, len (<= DISK_SCHEME_WINDOW_MAX); once a client: a window
 *          of the server's DMA memory          -> len; CQE extra: its address
 *   READ / WRITE fd, offset: bytes into the LUN, addr/len: the buffer.
 *          offset and len are multiples of the block size, len in
 *          1..DISK_SCHEME_XFER_MAX, the range inside the LUN. A buffer in the
 *          client's window moves without a copy (the device reads and writes
 *          it); any other buffer is copied once, through the server's own
 *          DMA memory.                          -> bytes moved (all of len)
 *   FSYNC  fd: every write acknowledged before it is durable once it
 *          completes (SYNCHRONIZE CACHE)       -> 0
 *   CLOSE  fd                                   -> 0
 *
 * Durability: a WRITE's completion says the device took the data; it may
 * still be in the device's volatile cache. A write acknowledged before an
 * FSYNC that completed survives power loss. A block being written when the
 * power goes reads back as the old data or the new, never anything else.
 *
 * Errors: EINVAL (alignment, range, sizes, offsets, a path that is no
 * number), ENOENT (a LUN the device does not have), EBADF, EFAULT (a buffer
 * a client may not hand over), EACCES (a write to a write-protected unit),
 * EIO (the medium failed, or the device after the server's retries
 * and resets), ENODEV (the device went away; every later request too),
 * EBUSY (a second window, more than DISK_SCHEME_INFLIGHT_MAX requests),
 * ENOSYS (other opcodes).
 */
#ifndef IOSIM_DISK_SCHEME_H
#define IOSIM_DISK_SCHEME_H

#include <stdint.h>

#define DISK_SCHEME_NAME "disk"
#define DISK_SCHEME_NAME_BYTES 16u             /* "disk" + a number, NUL-terminated */

#define DISK_SCHEME_INFO (1ull << 63)          /* READ offset: the unit's info */
#define DISK_SCHEME_XFER_MAX (1u << 20)        /* one request: at most 1 MiB */
#define DISK_SCHEME_WINDOW_MAX (4ull << 20)
#define DISK_SCHEME_INFLIGHT_MAX 64u           /* requests of one client at once */

/* What the server knows of one LUN. Every byte defined. */
struct disk_scheme_info {
    uint64_t blocks;              /* capacity in logical blocks */
    uint32_t block_bytes;         /* 512 or 4096 */
    uint32_t max_xfer_bytes;      /* the largest transfer the device takes at once */
    uint32_t lun, luns;           /* this unit; units of the device */
    uint8_t write_protect, write_cache, removable, reserved;
    char vendor[12];              /* INQUIRY's T10 vendor, trimmed, NUL-terminated */
    char product[20];             /* its product identification */
    char revision[8];
    char serial[36];              /* VPD page 80h, or "" */
};

_Static_assert(sizeof(struct disk_scheme_info) == 8 + 4 * 4 + 4 + 12 + 20 + 8 + 36,
               "disk_scheme_info layout");

#endif /* IOSIM_DISK_SCHEME_H */
