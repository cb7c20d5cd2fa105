/* A capture's disk requests as a workload; see replay.h. */
#include "sim/capture/replay.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/scsi.h"
#include "sim/capture/linktype.h"

static char op_of(uint8_t opcode)
{
    switch (opcode) {
    case SCSI_OP_READ_10:
    case SCSI_OP_READ_16: return 'r';
    case SCSI_OP_WRITE_10:
    case SCSI_OP_WRITE_16: return 'w';
    case SCSI_OP_SYNC_CACHE_10:
    case SCSI_OP_SYNC_CACHE_16: return 'f';
    default: return 0;
    }
}

/* The device with the most commands, the first such in the capture (a
 * capture holds a handful of devices: a short table, one pass). */
#define REPLAY_DEVS 128u

static void busiest(const struct cap_scsi *sc, uint16_t *bus, uint8_t *dev)
{
    struct replay_dev { uint16_t bus; uint8_t dev; size_t count; } d[REPLAY_DEVS];
    size_t nd = 0, best = 0;
    for (size_t i = 0; i < sc->n; i++) {
        size_t k = 0;
        while (k < nd && (d[k].bus != sc->c[i].bus || d[k].dev != sc->c[i].dev))
            k++;
        if (k == nd && nd == REPLAY_DEVS)
            continue; /* past 128 devices: the rest are not candidates */
        if (k == nd)
            d[nd++] = (struct replay_dev){.bus = sc->c[i].bus, .dev = sc->c[i].dev};
        d[k].count++;
    }
    for (size_t k = 0; k < nd; k++)
        if (d[k].count > best) {
            best = d[k].count;
            *bus = d[k].bus;
            *dev = d[k].dev;
        }
}

static void count_other(struct cap_replay *r, uint8_t opcode)
{
    for (size_t i = 0; i < r->nother; i++)
        if (r->other[i].opcode == opcode) {
            r->other[i].count++;
            return;
        }
    ASSERT(r->nother < sizeof r->other / sizeof r->other[0]); /* one per opcode at most */
    r->other[r->nother++] = (struct cap_replay_other){.opcode = opcode, .count = 1};
}

/* A read or write that moves data, and a flush: what disk: can ask (a
 * command past 2^48 blocks is past any device the simulator makes). */
static bool replayable(const struct cap_scsi_cmd *c, char op)
{
    if (op == 'f')
        return true;
    return op != 0 && c->blocks > 0 && c->len > 0 && c->len % c->blocks == 0 &&
           c->lba < CAP_REPLAY_LBA_MAX && c->blocks <= CAP_REPLAY_LBA_MAX - c->lba;
}

static enum iosim_err add(struct cap_replay *r, const struct cap_scsi_cmd *c, char op,
                          uint64_t think_ns)
{
    if (!cap_grow((void **)&r->io, &r->cap, r->n, 1, sizeof *r->io))
        return IOSIM_ENOMEM;
    r->io[r->n++] = (struct cap_replay_io){
        .op = op, .opcode = c->opcode, .lba = op == 'f' ? 0 : c->lba,
        .blocks = op == 'f' ? 0 : c->blocks, .think_ns = think_ns,
        .latency_ns = c->end_ns - c->start_ns, .status = c->status};
    if (op != 'f') {
        if (r->block_bytes == 0)
            r->block_bytes = c->len / c->blocks;
        uint64_t end = c->lba + c->blocks;
        r->end_lba = end > r->end_lba ? end : r->end_lba;
    }
    return IOSIM_OK;
}

/* A capacity of `blocks` of `bytes` in blocks of `unit`, bounded as the
 * replayed commands are (0: none). */
static uint64_t capacity_in(uint64_t blocks, uint32_t bytes, uint32_t unit)
{
    if (blocks == 0 || bytes == 0)
        return 0;
    uint64_t max = CAP_REPLAY_LBA_MAX;
    if (bytes >= unit) {
        uint64_t k = bytes / unit;
        return blocks > max / k ? max : blocks * k;
    }
    uint64_t b = blocks / (unit / bytes);
    return b > max ? max : b;
}

enum iosim_err cap_replay_build(const struct cap_scsi *sc, int bus, int dev,
                                struct cap_replay *out)
{
    ASSERT(sc != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    if (bus == CAP_REPLAY_ANY)
        busiest(sc, &out->bus, &out->dev);
    else {
        out->bus = (uint16_t)bus;
        out->dev = (uint8_t)dev;
    }
    uint64_t first = 0, last_end = 0, cap_blocks = 0;
    uint32_t cap_bytes = 0;
    bool any = false;
    for (size_t i = 0; i < sc->n; i++) {
        const struct cap_scsi_cmd *c = &sc->c[i];
        if (c->bus != out->bus || c->dev != out->dev)
            continue;
        if (!any)
            first = c->start_ns;
        any = true;
        out->commands++;
        out->span_ns = c->end_ns - first;
        if (c->capacity_blocks != 0 && strcmp(c->status, "good") == 0) {
            cap_blocks = c->capacity_blocks;
            cap_bytes = c->capacity_block_bytes;
        }
        char op = op_of(c->opcode);
        if (!replayable(c, op)) {
            count_other(out, c->opcode);
            continue;
        }
        uint64_t think = out->n == 0 || c->start_ns < last_end ? 0 : c->start_ns - last_end;
        if (add(out, c, op, think) != IOSIM_OK) {
            cap_replay_free(out);
            return IOSIM_ENOMEM;
        }
        last_end = c->end_ns;
    }
    if (out->block_bytes == 0)
        out->block_bytes = cap_bytes != 0 ? cap_bytes : 512;
    out->capacity_blocks = capacity_in(cap_blocks, cap_bytes, out->block_bytes);
    return any ? IOSIM_OK : IOSIM_ENOENT;
}

void cap_replay_free(struct cap_replay *r)
{
    free(r->io);
    memset(r, 0, sizeof *r);
}
