/*
 * disk_store.h - the bytes of a memory-backed disk (the `ramdisk` app),
 * sparse: 64 KiB pages allocated on first write, so a 1 TiB disk costs only
 * what was written; a page never written reads as zeros.
 *
 * It also models a device's volatile write cache, simply: with the cache
 * on, the first write to a page since the last flush keeps a copy of the
 * page as it was (its durable content) and puts the page on the dirty
 * list; disk_store_flush forgets those copies (everything written is
 * durable), disk_store_power_loss puts them back (everything written since
 * the last flush is lost, whole pages at a time - the granularity of this
 * model, coarser than a real cache's blocks but true to the contract: a
 * write not covered by a completed flush may be lost, one that is stays).
 * When the dirty list is full the cache writes itself back (a flush), as a
 * device's does.
 *
 *     struct disk_store st;
 *     disk_store_init(&st, 1ull << 40, 1024, true);   1 TiB, at most 64 MiB of pages
 *     uint8_t *p; uint32_t n;
 *     disk_store_span(&st, off, len, true, &p, &n);   then copy n bytes to p
 *     disk_store_flush(&st);
 *     disk_store_destroy(&st);
 *
 * A request is moved a span at a time: disk_store_span gives the part of
 * [off, off + len) that lies in one page (n <= len); for a read of a page
 * never written, a shared page of zeros that must not be written.
 *
 * Ownership: caller storage; pages and the index are the port's kernel
 * memory (port_kmem_alloc), given back by disk_store_destroy (a process
 * killed before it leaks them - kernel memory outlives processes). Not
 * thread-safe: one server process owns a store. Iteration is by index, so
 * what it does depends on the requests only.
 */
#ifndef IOSIM_DISK_STORE_H
#define IOSIM_DISK_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"

#define DISK_STORE_PAGE_BYTES (64u * 1024u)
#define DISK_STORE_PAGES_MAX 65536u        /* 4 GiB of written data at most */
#define DISK_STORE_DIRTY_MAX 256u          /* the cache: 16 MiB of pages */

struct disk_store_page {
    uint64_t no;                           /* offset / DISK_STORE_PAGE_BYTES */
    uint8_t *cur;                          /* NULL: a free slot */
    uint8_t *durable;                      /* dirty: a copy of the page at the last flush */
    bool dirty;
};

struct disk_store {
    uint64_t bytes;                        /* the size; offsets are below it */
    uint32_t pages_max, pages;             /* pages allowed, allocated */
    uint32_t slots_mask;                   /* the index: an open-addressing table */
    struct disk_store_page *slots;
    bool cache;                            /* volatile write cache on */
    uint32_t dirty_count;
    uint32_t dirty[DISK_STORE_DIRTY_MAX];  /* slot indices, in the order made dirty */
    uint64_t flushes, write_backs, lost_pages; /* statistics */
};

/* A store of `bytes` (> 0) holding at most `pages_max` (1..DISK_STORE_PAGES_MAX)
 * written pages; EINVAL, ENOMEM. */
enum iosim_err disk_store_init(struct disk_store *s, uint64_t bytes, uint32_t pages_max,
                               bool cache);
void disk_store_destroy(struct disk_store *s);

/* The part of [off, off + len) inside the page of `off`: *p and *n (n >= 1).
 * For a write the page is allocated (ENOSPC when pages_max are) and, with
 * the cache on, made dirty. EINVAL when the range is empty or not inside
 * the store. On error nothing changed. */
enum iosim_err disk_store_span(struct disk_store *s, uint64_t off, uint64_t len, bool write,
                               uint8_t **p, uint32_t *n);

/* Every write so far durable. */
void disk_store_flush(struct disk_store *s);
/* The power goes: every page written since the last flush is as it was then. */
void disk_store_power_loss(struct disk_store *s);

#endif /* IOSIM_DISK_STORE_H */
