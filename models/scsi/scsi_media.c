/*
 * The medium of a simulated logical unit; see scsi_media.h. Two tables of
 * 64 KiB chunks, found by chunk index with open addressing: the durable
 * medium, and the volatile cache, whose chunks carry a bitmap of the
 * blocks they hold. Reads take a block from the cache when it holds it,
 * else from the medium, else zeros.
 */
#include "models/scsi/scsi_media.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

#define BLOCKS_MAX (1ull << 48)
#define DIRTY_WORDS (SCSI_MEDIA_CHUNK_BYTES / 512u / 64u) /* bits for the smallest block */
#define TABLE_MIN 64u

struct chunk {
    uint64_t index;
    uint8_t *data;                      /* NULL: the slot is empty */
    uint64_t dirty[DIRTY_WORDS];        /* cache only: which blocks it holds */
};

struct table {
    struct chunk *slot;
    uint64_t cap, used;                 /* cap a power of two; used <= cap / 2 */
};

struct error_range {
    uint64_t lba, n;
    uint32_t what;
};

struct scsi_media {
    struct scsi_media_config c;
    uint32_t per_chunk;                 /* blocks a chunk */
    struct table durable, cache;
    struct error_range err[SCSI_MEDIA_ERRORS_MAX];
    uint32_t nerr;
    struct scsi_media_stats st;
};

/* ---- chunk tables ------------------------------------------------------------------------- */

static uint64_t home(const struct table *t, uint64_t index)
{
    return (index * 0x9e3779b97f4a7c15ull) >> 16 & (t->cap - 1);
}

static struct chunk *find(const struct table *t, uint64_t index)
{
    for (uint64_t i = home(t, index), k = 0; t->cap != 0 && k < t->cap; i = (i + 1) & (t->cap - 1), k++) {
        struct chunk *c = &t->slot[i];
        if (c->data == NULL)
            return NULL;
        if (c->index == index)
            return c;
    }
    return NULL;
}

static void table_free(struct table *t)
{
    for (uint64_t i = 0; i < t->cap; i++)
        free(t->slot[i].data);
    free(t->slot);
    *t = (struct table){0};
}

/* Doubles the table, moving every chunk to its slot in the new one. */
static enum iosim_err grow(struct table *t)
{
    struct table n = {.cap = t->cap == 0 ? TABLE_MIN : t->cap * 2, .used = t->used};
    n.slot = calloc(n.cap, sizeof *n.slot);
    if (n.slot == NULL)
        return IOSIM_ENOMEM;
    for (uint64_t i = 0; i < t->cap; i++) {
        if (t->slot[i].data == NULL)
            continue;
        uint64_t j = home(&n, t->slot[i].index);
        while (n.slot[j].data != NULL)
            j = (j + 1) & (n.cap - 1);
        n.slot[j] = t->slot[i];
    }
    free(t->slot);
    *t = n;
    return IOSIM_OK;
}

/* The chunk, made (zeroed) when it is not there yet; NULL: no memory. */
static struct chunk *get(struct table *t, uint64_t index)
{
    struct chunk *c = find(t, index);
    if (c != NULL)
        return c;
    if ((t->used + 1) * 2 > t->cap && grow(t) != IOSIM_OK)
        return NULL;
    uint8_t *data = calloc(1, SCSI_MEDIA_CHUNK_BYTES);
    if (data == NULL)
        return NULL;
    uint64_t i = home(t, index);
    while (t->slot[i].data != NULL)
        i = (i + 1) & (t->cap - 1);
    t->slot[i] = (struct chunk){.index = index, .data = data};
    t->used++;
    return &t->slot[i];
}

static bool held(const struct chunk *c, uint32_t b) { return c->dirty[b / 64] >> (b % 64) & 1u; }
static void hold(struct chunk *c, uint32_t b) { c->dirty[b / 64] |= 1ull << (b % 64); }
static void drop(struct chunk *c, uint32_t b) { c->dirty[b / 64] &= ~(1ull << (b % 64)); }

/* ---- life ----------------------------------------------------------------------------------- */

enum iosim_err scsi_media_create(const struct scsi_media_config *c, struct scsi_media **out)
{
    ASSERT(c != NULL && out != NULL);
    if ((c->block_bytes != 512 && c->block_bytes != 4096) || c->blocks == 0 ||
        c->blocks > BLOCKS_MAX)
        return IOSIM_EINVAL;
    struct scsi_media *m = calloc(1, sizeof *m);
    if (m == NULL)
        return IOSIM_ENOMEM;
    m->c = *c;
    m->per_chunk = SCSI_MEDIA_CHUNK_BYTES / c->block_bytes;
    *out = m;
    return IOSIM_OK;
}

void scsi_media_destroy(struct scsi_media *m)
{
    if (m == NULL)
        return;
    table_free(&m->durable);
    table_free(&m->cache);
    free(m);
}

uint32_t scsi_media_block_bytes(const struct scsi_media *m) { return m->c.block_bytes; }
uint64_t scsi_media_blocks(const struct scsi_media *m) { return m->c.blocks; }

bool scsi_media_write_cache(const struct scsi_media *m) { return m->c.write_cache; }

/* ---- blocks --------------------------------------------------------------------------------- */

static bool in_range(const struct scsi_media *m, uint64_t lba, uint32_t n)
{
    return lba < m->c.blocks && n <= m->c.blocks - lba;
}

static bool broken(const struct scsi_media *m, uint64_t lba, uint32_t what)
{
    for (uint32_t i = 0; i < m->nerr; i++)
        if ((m->err[i].what & what) && lba >= m->err[i].lba && lba - m->err[i].lba < m->err[i].n)
            return true;
    return false;
}

static void read_block(struct scsi_media *m, uint64_t lba, uint8_t *out)
{
    uint64_t index = lba / m->per_chunk;
    uint32_t b = (uint32_t)(lba % m->per_chunk);
    size_t at = (size_t)b * m->c.block_bytes;
    const struct chunk *c = find(&m->cache, index);
    if (c == NULL || !held(c, b))
        c = find(&m->durable, index);
    if (c != NULL)
        memcpy(out, c->data + at, m->c.block_bytes);
    else
        memset(out, 0, m->c.block_bytes);
}

enum iosim_err scsi_media_read(struct scsi_media *m, uint64_t lba, uint32_t n, void *out,
                               uint64_t *bad)
{
    ASSERT(m != NULL && (out != NULL || n == 0) && bad != NULL);
    if (!in_range(m, lba, n))
        return IOSIM_ERANGE;
    for (uint32_t i = 0; i < n; i++) {
        if (broken(m, lba + i, SCSI_MEDIA_ERR_READ)) {
            *bad = lba + i;
            return IOSIM_EIO;
        }
        read_block(m, lba + i, (uint8_t *)out + (size_t)i * m->c.block_bytes);
    }
    return IOSIM_OK;
}

/* One block into the cache, or durable (and no longer shadowed by an
 * older cached copy). */
static enum iosim_err write_block(struct scsi_media *m, uint64_t lba, const uint8_t *in,
                                  bool durable)
{
    uint64_t index = lba / m->per_chunk;
    uint32_t b = (uint32_t)(lba % m->per_chunk);
    size_t at = (size_t)b * m->c.block_bytes;
    struct chunk *c = get(durable ? &m->durable : &m->cache, index);
    if (c == NULL)
        return IOSIM_ENOMEM;
    memcpy(c->data + at, in, m->c.block_bytes);
    struct chunk *k = durable ? find(&m->cache, index) : c;
    if (durable && k != NULL && held(k, b)) {
        drop(k, b);
        m->st.blocks_dirty--;
    } else if (!durable && !held(k, b)) {
        hold(k, b);
        m->st.blocks_dirty++;
    }
    return IOSIM_OK;
}

enum iosim_err scsi_media_write(struct scsi_media *m, uint64_t lba, uint32_t n, const void *in,
                                bool fua, uint64_t *bad)
{
    ASSERT(m != NULL && (in != NULL || n == 0) && bad != NULL);
    if (!in_range(m, lba, n))
        return IOSIM_ERANGE;
    bool durable = fua || !m->c.write_cache;
    for (uint32_t i = 0; i < n; i++) {
        if (broken(m, lba + i, SCSI_MEDIA_ERR_WRITE)) {
            *bad = lba + i;
            return IOSIM_EIO;
        }
        enum iosim_err e =
            write_block(m, lba + i, (const uint8_t *)in + (size_t)i * m->c.block_bytes, durable);
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

static bool all_zero(const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

enum iosim_err scsi_media_load(struct scsi_media *m, uint64_t lba, uint32_t n, const void *in)
{
    ASSERT(m != NULL && (in != NULL || n == 0));
    if (!in_range(m, lba, n))
        return IOSIM_ERANGE;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *b = (const uint8_t *)in + (size_t)i * m->c.block_bytes;
        uint64_t index = (lba + i) / m->per_chunk;
        size_t at = (size_t)((lba + i) % m->per_chunk) * m->c.block_bytes;
        /* zeros need writing only over a chunk that holds data already */
        bool zero = all_zero(b, m->c.block_bytes);
        struct chunk *c = zero ? find(&m->durable, index) : get(&m->durable, index);
        if (c == NULL && !zero)
            return IOSIM_ENOMEM;
        if (c != NULL)
            memcpy(c->data + at, b, m->c.block_bytes);
    }
    return IOSIM_OK;
}

enum iosim_err scsi_media_flush(struct scsi_media *m)
{
    ASSERT(m != NULL);
    m->st.flushes++;
    for (uint64_t s = 0; s < m->cache.cap; s++) {
        const struct chunk *c = &m->cache.slot[s];
        for (uint32_t b = 0; c->data != NULL && b < m->per_chunk; b++) {
            if (!held(c, b))
                continue;
            struct chunk *d = get(&m->durable, c->index);
            if (d == NULL)
                return IOSIM_ENOMEM; /* the cache keeps what is not durable yet */
            size_t at = (size_t)b * m->c.block_bytes;
            memcpy(d->data + at, c->data + at, m->c.block_bytes);
        }
    }
    table_free(&m->cache);
    m->st.blocks_dirty = 0;
    return IOSIM_OK;
}

void scsi_media_power_loss(struct scsi_media *m)
{
    ASSERT(m != NULL);
    m->st.power_losses++;
    m->st.blocks_lost += m->st.blocks_dirty;
    m->st.blocks_dirty = 0;
    table_free(&m->cache);
}

enum iosim_err scsi_media_add_error(struct scsi_media *m, uint64_t lba, uint64_t n, uint32_t what)
{
    ASSERT(m != NULL);
    if (what == 0 || (what & ~(SCSI_MEDIA_ERR_READ | SCSI_MEDIA_ERR_WRITE)) != 0 || n == 0)
        return IOSIM_EINVAL;
    if (lba >= m->c.blocks || n > m->c.blocks - lba)
        return IOSIM_ERANGE;
    if (m->nerr == SCSI_MEDIA_ERRORS_MAX)
        return IOSIM_ENOSPC;
    m->err[m->nerr++] = (struct error_range){.lba = lba, .n = n, .what = what};
    return IOSIM_OK;
}

void scsi_media_stats_get(const struct scsi_media *m, struct scsi_media_stats *out)
{
    ASSERT(m != NULL && out != NULL);
    *out = m->st;
    out->chunks_durable = m->durable.used;
    out->chunks_cached = m->cache.used;
}
