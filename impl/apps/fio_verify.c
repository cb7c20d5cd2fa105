/* The fio workload's verify bookkeeping; see fio_verify.h. */
#include "impl/apps/fio_verify.h"

#include <stddef.h>

#include "impl/port/check.h"

void fio_verify_init(struct fio_verify *v, uint64_t offset, uint64_t size, uint32_t bs,
                     bool prefilled, uint32_t *words)
{
    ASSERT(v != NULL && words != NULL && bs != 0);
    ASSERT(size / bs >= 1 && size / bs <= FIO_VERIFY_BLOCKS_MAX);
    uint64_t blocks = size / bs;
    *v = (struct fio_verify){.offset = offset, .blocks = blocks, .bs = bs,
                             .prefilled = prefilled, .acked = words,
                             .issued = words + blocks};
}

static uint64_t block_of(const struct fio_verify *v, uint64_t off)
{
    ASSERT(off >= v->offset && (off - v->offset) % v->bs == 0);
    uint64_t b = (off - v->offset) / v->bs;
    ASSERT(b < v->blocks);
    return b;
}

uint32_t fio_verify_write_start(struct fio_verify *v, uint64_t off)
{
    uint64_t b = block_of(v, off);
    ASSERT(v->issued[b] < UINT32_MAX);
    return ++v->issued[b];
}

void fio_verify_write_done(struct fio_verify *v, uint64_t off, uint32_t gen, bool ok)
{
    uint64_t b = block_of(v, off);
    ASSERT(gen != 0 && gen <= v->issued[b]);
    /* a failed write may have landed or not: issued already admits both */
    if (ok && gen > v->acked[b])
        v->acked[b] = gen;
}

uint32_t fio_verify_read_start(const struct fio_verify *v, uint64_t off)
{
    return v->acked[block_of(v, off)];
}

bool fio_verify_read_ok(const struct fio_verify *v, uint64_t off, uint32_t lo, uint32_t found)
{
    uint64_t b = block_of(v, off);
    ASSERT(lo <= v->issued[b]);
    if (lo == 0 && (v->prefilled ? found != 0 : true))
        return true; /* what the block held before the job: not known, but valid */
    return found >= lo && found <= v->issued[b] && found != 0;
}
