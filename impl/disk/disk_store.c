/* A sparse, memory-backed disk with a volatile write cache; see disk_store.h. */
#include "impl/disk/disk_store.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"

/* What a page never written reads as: shared, never written. */
static const uint8_t zero_page[DISK_STORE_PAGE_BYTES];

enum iosim_err disk_store_init(struct disk_store *s, uint64_t bytes, uint32_t pages_max,
                               bool cache)
{
    ASSERT(s != NULL);
    memset(s, 0, sizeof *s);
    if (bytes == 0 || pages_max == 0 || pages_max > DISK_STORE_PAGES_MAX)
        return IOSIM_EINVAL;
    uint32_t slots = 1;
    while (slots < 2 * pages_max) /* at most half full: probes stay short */
        slots <<= 1;
    ASSERT((slots & (slots - 1)) == 0); /* a mask finds the slot */
    ASSERT(slots >= 2 * pages_max);
    void *mem;
    enum iosim_err e = port_kmem_alloc((size_t)slots * sizeof *s->slots, &mem);
    if (e != IOSIM_OK)
        return e;
    *s = (struct disk_store){.bytes = bytes, .pages_max = pages_max, .slots_mask = slots - 1,
                             .slots = mem, .cache = cache};
    return IOSIM_OK;
}

void disk_store_destroy(struct disk_store *s)
{
    ASSERT(s != NULL);
    for (uint32_t i = 0; s->slots != NULL && i <= s->slots_mask; i++) {
        port_kmem_free(s->slots[i].cur, DISK_STORE_PAGE_BYTES);
        port_kmem_free(s->slots[i].durable, DISK_STORE_PAGE_BYTES);
    }
    if (s->slots != NULL)
        port_kmem_free(s->slots, (size_t)(s->slots_mask + 1) * sizeof *s->slots);
    memset(s, 0, sizeof *s);
}

/* The slot of page `no`: its own, or the free one where it would go. */
static uint32_t slot_of(const struct disk_store *s, uint64_t no)
{
    uint32_t i = (uint32_t)((no * 0x9e3779b97f4a7c15ull) >> 32) & s->slots_mask;
    ASSERT(s->slots != NULL);
    ASSERT(s->pages <= s->pages_max && s->pages_max <= (s->slots_mask + 1) / 2);
    /* bounded: the table is never more than half full, so a free slot comes */
    for (uint32_t probes = 0; probes <= s->slots_mask; probes++) {
        const struct disk_store_page *pg = &s->slots[i];
        if (pg->cur == NULL || pg->no == no)
            return i;
        i = (i + 1) & s->slots_mask;
    }
    ASSERT(false);
    return 0;
}

/* Before the first write since a flush: what the page holds now is what
 * survives a power loss. */
static enum iosim_err make_dirty(struct disk_store *s, uint32_t slot)
{
    ASSERT(slot <= s->slots_mask);
    struct disk_store_page *pg = &s->slots[slot];
    ASSERT(pg->cur != NULL); /* page_for_write gave it memory */
    if (!s->cache || pg->dirty)
        return IOSIM_OK;
    if (s->dirty_count == DISK_STORE_DIRTY_MAX) {
        disk_store_flush(s); /* the cache is full: it writes itself back */
        s->write_backs++;
    }
    void *copy;
    enum iosim_err e = port_kmem_alloc(DISK_STORE_PAGE_BYTES, &copy);
    if (e != IOSIM_OK)
        return IOSIM_ENOSPC;
    ASSERT(pg->durable == NULL);
    ASSERT(s->dirty_count < DISK_STORE_DIRTY_MAX); /* a full cache was written back above */
    memcpy(copy, pg->cur, DISK_STORE_PAGE_BYTES);
    pg->durable = copy;
    pg->dirty = true;
    s->dirty[s->dirty_count++] = slot;
    return IOSIM_OK;
}

/* Page `no` for writing: found, or allocated (zeros) in its free slot. */
static enum iosim_err page_for_write(struct disk_store *s, uint64_t no, uint32_t *slot)
{
    uint32_t i = slot_of(s, no);
    struct disk_store_page *pg = &s->slots[i];
    ASSERT(pg->cur == NULL || pg->no == no);
    if (pg->cur == NULL) {
        if (s->pages == s->pages_max)
            return IOSIM_ENOSPC;
        void *mem;
        if (port_kmem_alloc(DISK_STORE_PAGE_BYTES, &mem) != IOSIM_OK)
            return IOSIM_ENOSPC;
        *pg = (struct disk_store_page){.no = no, .cur = mem};
        s->pages++;
    }
    *slot = i;
    ASSERT(s->slots[i].cur != NULL && s->slots[i].no == no);
    return IOSIM_OK;
}

enum iosim_err disk_store_span(struct disk_store *s, uint64_t off, uint64_t len, bool write,
                               uint8_t **p, uint32_t *n)
{
    ASSERT(s != NULL);
    ASSERT(p != NULL && n != NULL);
    if (len == 0 || off >= s->bytes || len > s->bytes - off)
        return IOSIM_EINVAL;
    uint64_t no = off / DISK_STORE_PAGE_BYTES;
    uint32_t in = (uint32_t)(off % DISK_STORE_PAGE_BYTES);
    uint32_t room = DISK_STORE_PAGE_BYTES - in;
    *n = len < room ? (uint32_t)len : room;
    ASSERT(*n >= 1 && in + *n <= DISK_STORE_PAGE_BYTES); /* one page at most */
    if (!write) {
        const struct disk_store_page *pg = &s->slots[slot_of(s, no)];
        *p = pg->cur != NULL ? pg->cur + in : (uint8_t *)(uintptr_t)(zero_page + in);
        return IOSIM_OK;
    }
    uint32_t slot;
    enum iosim_err e = page_for_write(s, no, &slot);
    if (e == IOSIM_OK)
        e = make_dirty(s, slot);
    if (e == IOSIM_OK)
        *p = s->slots[slot].cur + in;
    ASSERT(s->pages <= s->pages_max);
    return e;
}

void disk_store_flush(struct disk_store *s)
{
    ASSERT(s != NULL);
    ASSERT(s->dirty_count <= DISK_STORE_DIRTY_MAX);
    for (uint32_t i = 0; i < s->dirty_count; i++) {
        struct disk_store_page *pg = &s->slots[s->dirty[i]];
        ASSERT(pg->dirty && pg->durable != NULL);
        port_kmem_free(pg->durable, DISK_STORE_PAGE_BYTES);
        pg->durable = NULL;
        pg->dirty = false;
    }
    s->dirty_count = 0;
    s->flushes++;
}

void disk_store_power_loss(struct disk_store *s)
{
    ASSERT(s != NULL);
    ASSERT(s->dirty_count <= DISK_STORE_DIRTY_MAX);
    for (uint32_t i = 0; i < s->dirty_count; i++) {
        struct disk_store_page *pg = &s->slots[s->dirty[i]];
        ASSERT(pg->dirty && pg->durable != NULL && pg->cur != NULL);
        memcpy(pg->cur, pg->durable, DISK_STORE_PAGE_BYTES);
        port_kmem_free(pg->durable, DISK_STORE_PAGE_BYTES);
        pg->durable = NULL;
        pg->dirty = false;
        s->lost_pages++;
    }
    s->dirty_count = 0;
}
