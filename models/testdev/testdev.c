/* The iosim test device; see testdev.h and testdev_regs.h. */
#include "models/testdev/testdev.h"

#include <stdio.h>
#include <stdlib.h>

#include "impl/port/check.h"
#include "models/testdev/testdev_regs.h"
#include "sim/machine/dev.h"
#include "sim/trace/trace.h"

struct testdev {
    char name[48];
    struct testdev_config cfg;
    struct sim_machine *m;
    uint32_t region;
    /* registers */
    uint32_t scratch, status, ctrl, len, done_count, error_code, copied;
    uint64_t src, dst;
    /* the running command */
    uint64_t cmd_src, cmd_dst;
    uint32_t cmd_len;
    sim_time_ps ps_per_chunk;
};

void testdev_config_default(struct testdev_config *cfg)
{
    ASSERT(cfg != NULL);
    *cfg = (struct testdev_config){
        .name = "testdev",
        .mmio_base = 0xfe000000u,
        .irq_line = 5,
        .read_req_ps = 400 * SIM_NS,
        .read_resp_ps = 400 * SIM_NS,
        .write_ps = 400 * SIM_NS,
        .setup_ps = 1 * SIM_US,
        .bytes_per_s = 1000000000u, /* 1 GB/s */
    };
}

static void note(struct testdev *d, const char *what, uint64_t off)
{
    struct sim_trace *tr = sim_dev_trace(d->m);
    if (tr == NULL)
        return;
    char msg[96];
    snprintf(msg, sizeof msg, "%s at offset 0x%llx", what, (unsigned long long)off);
    sim_trace_log(tr, sim_dev_now(d->m), -1, d->name, msg);
}

static void finish(struct testdev *d, uint32_t err)
{
    d->status &= ~TESTDEV_STATUS_BUSY;
    if (err == TESTDEV_ERR_NONE) {
        d->status |= TESTDEV_STATUS_DONE;
        d->done_count++;
    } else {
        d->status |= TESTDEV_STATUS_ERROR;
        d->error_code = err;
    }
    if (d->ctrl & TESTDEV_CTRL_IRQ_EN)
        sim_dev_irq_raise(d->m, d->cfg.irq_line, d->name);
}

static uint32_t dma_error_code(enum iosim_err e)
{
    return e == IOSIM_EACCES ? TESTDEV_ERR_REFUSED
         : e == IOSIM_EFAULT ? TESTDEV_ERR_RANGE : TESTDEV_ERR_BUS;
}

/* One DMA burst: read a chunk from the source, write it to the target. */
static void burst(void *ctx, uint64_t arg)
{
    struct testdev *d = ctx;
    (void)arg;
    uint8_t buf[TESTDEV_CHUNK_BYTES];
    uint32_t n = d->cmd_len - d->copied;
    if (n > TESTDEV_CHUNK_BYTES)
        n = TESTDEV_CHUNK_BYTES;
    enum iosim_err e = sim_dev_dma_read(d->m, d->name, d->cmd_src + d->copied, buf, n);
    if (e == IOSIM_OK)
        e = sim_dev_dma_write(d->m, d->name, d->cmd_dst + d->copied, buf, n);
    if (e != IOSIM_OK) {
        finish(d, dma_error_code(e));
        return;
    }
    d->copied += n;
    if (d->copied == d->cmd_len)
        finish(d, TESTDEV_ERR_NONE);
    else
        (void)sim_dev_after(d->m, d->ps_per_chunk, burst, d, 0, NULL);
}

static void start(struct testdev *d)
{
    if (d->status & TESTDEV_STATUS_BUSY) {
        d->status |= TESTDEV_STATUS_ERROR;
        d->error_code = TESTDEV_ERR_BUSY;
        return;
    }
    d->status |= TESTDEV_STATUS_BUSY;
    d->copied = 0;
    if (d->len == 0 || d->len > TESTDEV_LEN_MAX) {
        finish(d, TESTDEV_ERR_LEN);
        return;
    }
    d->cmd_src = d->src;
    d->cmd_dst = d->dst;
    d->cmd_len = d->len;
    (void)sim_dev_after(d->m, d->cfg.setup_ps, burst, d, 0, NULL);
}

static uint64_t reg_read(void *ctx, uint64_t off, unsigned size)
{
    struct testdev *d = ctx;
    if (size == 8 && (off == TESTDEV_REG_SRC_LO || off == TESTDEV_REG_DST_LO))
        return off == TESTDEV_REG_SRC_LO ? d->src : d->dst;
    switch (off) {
    case TESTDEV_REG_ID: return TESTDEV_ID_VALUE;
    case TESTDEV_REG_SCRATCH: return d->scratch;
    case TESTDEV_REG_STATUS: return d->status;
    case TESTDEV_REG_CTRL: return d->ctrl & TESTDEV_CTRL_IRQ_EN;
    case TESTDEV_REG_SRC_LO: return (uint32_t)d->src;
    case TESTDEV_REG_SRC_HI: return (uint32_t)(d->src >> 32);
    case TESTDEV_REG_DST_LO: return (uint32_t)d->dst;
    case TESTDEV_REG_DST_HI: return (uint32_t)(d->dst >> 32);
    case TESTDEV_REG_LEN: return d->len;
    case TESTDEV_REG_DONE_COUNT: return d->done_count;
    case TESTDEV_REG_ERROR_CODE: return d->error_code;
    case TESTDEV_REG_COPIED: return d->copied;
    default:
        note(d, "read of an unimplemented register", off);
        return 0;
    }
}

static void set_lo(uint64_t *r, uint64_t v) { *r = (*r & ~0xffffffffull) | (uint32_t)v; }
static void set_hi(uint64_t *r, uint64_t v) { *r = (*r & 0xffffffffull) | (v << 32); }

static void reg_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct testdev *d = ctx;
    if (size == 8 && (off == TESTDEV_REG_SRC_LO || off == TESTDEV_REG_DST_LO)) {
        *(off == TESTDEV_REG_SRC_LO ? &d->src : &d->dst) = v;
        return;
    }
    switch (off) {
    case TESTDEV_REG_SCRATCH: d->scratch = (uint32_t)v; break;
    case TESTDEV_REG_STATUS: d->status &= ~((uint32_t)v & TESTDEV_STATUS_W1C); break;
    case TESTDEV_REG_CTRL:
        d->ctrl = (uint32_t)v & TESTDEV_CTRL_IRQ_EN;
        if (v & TESTDEV_CTRL_START)
            start(d);
        break;
    case TESTDEV_REG_SRC_LO: set_lo(&d->src, v); break;
    case TESTDEV_REG_SRC_HI: set_hi(&d->src, v); break;
    case TESTDEV_REG_DST_LO: set_lo(&d->dst, v); break;
    case TESTDEV_REG_DST_HI: set_hi(&d->dst, v); break;
    case TESTDEV_REG_LEN: d->len = (uint32_t)v; break;
    case TESTDEV_REG_ID: case TESTDEV_REG_DONE_COUNT: case TESTDEV_REG_ERROR_CODE:
    case TESTDEV_REG_COPIED:
        note(d, "write to a read-only register", off);
        break;
    default:
        note(d, "write to an unimplemented register", off);
        break;
    }
}

static const struct sim_mmio_ops testdev_ops = {reg_read, reg_write};

enum iosim_err testdev_create(struct sim_machine *m, const struct testdev_config *cfg,
                              struct testdev **out)
{
    ASSERT(m != NULL && cfg != NULL && out != NULL);
    if (cfg->bytes_per_s == 0 || cfg->name == NULL)
        return IOSIM_EINVAL;
    struct testdev *d = calloc(1, sizeof *d);
    if (d == NULL)
        return IOSIM_ENOMEM;
    snprintf(d->name, sizeof d->name, "%s", cfg->name);
    d->cfg = *cfg;
    d->cfg.name = d->name;
    d->m = m;
    /* time for one burst; at least 1 ps so bursts are distinct events */
    d->ps_per_chunk = (sim_time_ps)(SIM_S / cfg->bytes_per_s) * TESTDEV_CHUNK_BYTES;
    if (d->ps_per_chunk == 0)
        d->ps_per_chunk = 1;
    struct sim_mmio_region r = {
        .name = d->name, .base = cfg->mmio_base, .len = TESTDEV_MMIO_SIZE, .ops = &testdev_ops,
        .ctx = d, .read_req_ps = cfg->read_req_ps, .read_resp_ps = cfg->read_resp_ps,
        .write_ps = cfg->write_ps, .enabled = true,
    };
    enum iosim_err e = sim_dev_mmio_add(m, &r, &d->region);
    if (e != IOSIM_OK) {
        free(d);
        return e;
    }
    *out = d;
    return IOSIM_OK;
}

void testdev_destroy(struct testdev *dev)
{
    free(dev);
}
