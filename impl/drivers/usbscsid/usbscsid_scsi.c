/*
 * SCSI over the Bulk-Only transport: CDBs, the sense after a CHECK
 * CONDITION, retries, and bringing a logical unit up.
 *
 * The bring-up sequence (docs/usbscsid.md compares it with Linux's
 * usb-storage + sd): INQUIRY (36 bytes), TEST UNIT READY until the unit
 * is ready (unit attentions taken; NOT READY / BECOMING READY waited out),
 * READ CAPACITY(10) and, when it says 0xFFFFFFFF, READ CAPACITY(16);
 * MODE SENSE(6) of all pages for write protection, MODE SENSE(6) of the
 * caching page for the write cache, INQUIRY VPD 80h for the serial.
 */
#include <string.h>

#include "impl/drivers/usbscsid/usbscsid.h"
#include "impl/port/port.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"

static uint64_t be(const uint8_t *b, uint32_t n)
{
    uint64_t v = 0;
    ASSERT(b != NULL);
    ASSERT(n <= 8); /* a big-endian field fits 64 bits */
    for (uint32_t i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

static void put_be(uint8_t *b, uint32_t n, uint64_t v)
{
    ASSERT(b != NULL);
    ASSERT(n >= 1 && n <= 8);
    for (uint32_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

const char *uscsi_op_name(uint8_t op)
{
    return scsi_op_name(op);
}

/* The LBA and blocks of a command that has them, for the trace. */
static void rw_fields(const struct uscsi_cmd *c, uint64_t *lba, uint32_t *blocks)
{
    ASSERT(c != NULL && lba != NULL && blocks != NULL);
    ASSERT(c->cdb_len <= sizeof c->cdb);
    *lba = 0;
    *blocks = 0;
    switch (c->cdb[SCSI_CDB_OPCODE]) {
    case SCSI_OP_READ_10:
    case SCSI_OP_WRITE_10:
    case SCSI_OP_SYNC_CACHE_10:
        *lba = be(c->cdb + SCSI_RW10_LBA, SCSI_RW10_LBA_BYTES);
        *blocks = (uint32_t)be(c->cdb + SCSI_RW10_BLOCKS, SCSI_RW10_BLOCKS_BYTES);
        return;
    case SCSI_OP_READ_16:
    case SCSI_OP_WRITE_16:
        *lba = be(c->cdb + SCSI_RW16_LBA, SCSI_RW16_LBA_BYTES);
        *blocks = (uint32_t)be(c->cdb + SCSI_RW16_BLOCKS, SCSI_RW16_BLOCKS_BYTES);
        return;
    default: return;
    }
}

static void trace(const struct uscsi_cmd *c)
{
    ASSERT(c->outcome != NULL); /* every way out of uscsi_bot_run names one */
    ASSERT(c->residue <= (c->dir == USCSI_NONE ? 0 : c->len));
    struct port_trace_scsi_cmd t = {
        .lun = c->lun, .tag = c->tag, .op = uscsi_op_name(c->cdb[SCSI_CDB_OPCODE]),
        .opcode = c->cdb[SCSI_CDB_OPCODE],
        .dir = c->dir == USCSI_IN ? "in" : c->dir == USCSI_OUT ? "out" : "none",
        .len = c->dir == USCSI_NONE ? 0 : c->len, .residue = c->residue, .status = c->outcome,
        .sense_key = c->sense_key, .asc = c->asc, .ascq = c->ascq,
        .start_ps = c->start_ns * 1000u, .end_ps = port_clock_ns() * 1000u};
    rw_fields(c, &t.lba, &t.blocks);
    port_trace_scsi_cmd(&t);
}

/* ---- sense ---------------------------------------------------------------------------------- */

/* REQUEST SENSE (fixed format, 18 bytes) into c's sense fields; a
 * descriptor-format answer is read too. False when none came. */
static bool request_sense(struct uscsi *s, struct uscsi_cmd *c)
{
    struct uscsi_cmd r = {.lun = c->lun, .cdb_len = SCSI_CDB6_BYTES, .dir = USCSI_IN,
                          .buf = s->win + USCSI_SENSE_OFF, .len = SCSI_SENSE_FIXED_BYTES};
    r.cdb[SCSI_CDB_OPCODE] = SCSI_OP_REQUEST_SENSE;
    r.cdb[SCSI_REQUEST_SENSE_ALLOC_LENGTH] = SCSI_SENSE_FIXED_BYTES;
    enum iosim_err e = uscsi_bot_run(s, &r);
    trace(&r);
    ASSERT(r.residue <= r.len);
    uint32_t got = r.len - r.residue;
    if (e != IOSIM_OK || r.csw_status != USB_BOT_CSW_STATUS_PASSED || got < 8)
        return false;
    ASSERT(got <= SCSI_SENSE_FIXED_BYTES && got <= USCSI_SENSE_BYTES);
    uint8_t b[SCSI_SENSE_FIXED_BYTES] = {0};
    port_shm_read(b, r.buf, got < sizeof b ? got : sizeof b);
    uint8_t code = b[SCSI_SENSE_RESPONSE] & SCSI_SENSE_RESPONSE_MASK;
    if (code >= SCSI_SENSE_DESC_CURRENT) {
        c->sense_key = b[SCSI_SENSE_DESC_KEY] & SCSI_SENSE_KEY_MASK;
        c->asc = b[SCSI_SENSE_DESC_ASC];
        c->ascq = b[SCSI_SENSE_DESC_ASCQ];
    } else {
        c->sense_key = b[SCSI_SENSE_FIXED_KEY] & SCSI_SENSE_KEY_MASK;
        c->asc = got > SCSI_SENSE_FIXED_ASC ? b[SCSI_SENSE_FIXED_ASC] : 0;
        c->ascq = got > SCSI_SENSE_FIXED_ASCQ ? b[SCSI_SENSE_FIXED_ASCQ] : 0;
    }
    return true;
}

enum iosim_err uscsi_sense_error(const struct uscsi_cmd *c)
{
    uint16_t code = (uint16_t)(c->asc << 8 | c->ascq);
    ASSERT(c != NULL);
    ASSERT(c->sense_key <= SCSI_SENSE_KEY_MASK); /* masked when it was read */
    switch (c->sense_key) {
    case SCSI_SENSE_KEY_NO_SENSE:
    case SCSI_SENSE_KEY_RECOVERED_ERROR: return IOSIM_OK;
    case SCSI_SENSE_KEY_DATA_PROTECT: return IOSIM_EACCES;
    case SCSI_SENSE_KEY_ILLEGAL_REQUEST: return IOSIM_EINVAL;
    case SCSI_SENSE_KEY_NOT_READY:
        return SCSI_ASC_OF(code) == SCSI_ASC_OF(SCSI_ASC_MEDIUM_NOT_PRESENT) ? IOSIM_ENODEV
                                                                            : IOSIM_EIO;
    default: return IOSIM_EIO;
    }
}

bool uscsi_sense_retry(const struct uscsi_cmd *c)
{
    ASSERT(c->sense_key <= SCSI_SENSE_KEY_MASK);
    return c->sense_key == SCSI_SENSE_KEY_UNIT_ATTENTION ||
           c->sense_key == SCSI_SENSE_KEY_ABORTED_COMMAND;
}

enum iosim_err uscsi_command(struct uscsi *s, struct uscsi_cmd *c)
{
    enum iosim_err e = IOSIM_EIO;
    ASSERT(c != NULL);
    ASSERT(c->cdb_len >= 1 && c->cdb_len <= sizeof c->cdb);
    for (uint32_t attempt = 0; attempt <= USCSI_RETRIES; attempt++) {
        e = uscsi_bot_run(s, c);
        if (e == IOSIM_OK && c->csw_status != USB_BOT_CSW_STATUS_PASSED) {
            bool sensed = request_sense(s, c);
            trace(c);
            if (sensed && uscsi_sense_retry(c))
                continue;
            return sensed ? uscsi_sense_error(c) : IOSIM_EIO;
        }
        trace(c);
        if (e != IOSIM_EPROTO)
            return e;
    }
    if (e == IOSIM_EPROTO) /* every try broke the transport, a reset after each: offline */
        s->dead = true;
    return e == IOSIM_EPROTO ? IOSIM_EIO : e;
}

/* ---- CDBs ----------------------------------------------------------------------------------- */

void uscsi_cdb_rw(struct uscsi_cmd *c, bool write, bool use16, uint64_t lba, uint32_t blocks)
{
    ASSERT(blocks >= 1); /* a transfer of nothing is no READ or WRITE here */
    ASSERT(use16 || lba <= UINT32_MAX); /* READ(10) reaches 2^32 blocks: use16 past that */
    ASSERT(use16 || blocks <= UINT16_MAX);
    memset(c->cdb, 0, sizeof c->cdb);
    c->dir = write ? USCSI_OUT : USCSI_IN;
    if (use16) {
        c->cdb[SCSI_CDB_OPCODE] = write ? SCSI_OP_WRITE_16 : SCSI_OP_READ_16;
        put_be(c->cdb + SCSI_RW16_LBA, SCSI_RW16_LBA_BYTES, lba);
        put_be(c->cdb + SCSI_RW16_BLOCKS, SCSI_RW16_BLOCKS_BYTES, blocks);
        c->cdb_len = SCSI_CDB16_BYTES;
        return;
    }
    c->cdb[SCSI_CDB_OPCODE] = write ? SCSI_OP_WRITE_10 : SCSI_OP_READ_10;
    put_be(c->cdb + SCSI_RW10_LBA, SCSI_RW10_LBA_BYTES, lba);
    put_be(c->cdb + SCSI_RW10_BLOCKS, SCSI_RW10_BLOCKS_BYTES, blocks);
    c->cdb_len = SCSI_CDB10_BYTES;
}

/* A command reading `len` bytes into the scratch data area. */
static struct uscsi_cmd small_in(struct uscsi *s, uint32_t lun, uint8_t op, uint8_t cdb_len,
                                 uint32_t len)
{
    ASSERT(len <= USCSI_DATA_BYTES); /* the scratch data area */
    ASSERT(lun < USCSI_LUNS_MAX);
    struct uscsi_cmd c = {.lun = lun, .cdb_len = cdb_len, .dir = USCSI_IN,
                          .buf = s->win + USCSI_DATA_OFF, .len = len};
    c.cdb[SCSI_CDB_OPCODE] = op;
    return c;
}

/* Runs c and copies what came (at most `cap` bytes) into out: the bytes. */
static enum iosim_err fetch(struct uscsi *s, struct uscsi_cmd *c, uint8_t *out, uint32_t cap,
                            uint32_t *got)
{
    memset(out, 0, cap);
    enum iosim_err e = uscsi_command(s, c);
    ASSERT(c->residue <= c->len);
    uint32_t n = c->len - c->residue;
    *got = n < cap ? n : cap;
    ASSERT(*got <= cap);
    if (e == IOSIM_OK)
        port_shm_read(out, c->buf, *got);
    return e;
}

/* ---- bringing a unit up --------------------------------------------------------------------- */

/* Copies a space-padded ASCII field, trimmed and NUL-terminated. */
static void ascii(char *dst, uint32_t cap, const uint8_t *src, uint32_t n)
{
    uint32_t k = 0;
    ASSERT(dst != NULL && src != NULL);
    ASSERT(cap > 0);
    for (uint32_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
    while (k > 0 && dst[k - 1] == ' ')
        k--;
    ASSERT(k < cap);
    dst[k] = '\0';
}

static enum iosim_err inquiry(struct uscsi *s, uint32_t lun, struct disk_scheme_info *in)
{
    struct uscsi_cmd c = small_in(s, lun, SCSI_OP_INQUIRY, SCSI_CDB6_BYTES, SCSI_INQ_STD_BYTES);
    c.cdb[SCSI_INQUIRY_ALLOC_LENGTH + 1] = SCSI_INQ_STD_BYTES;
    uint8_t b[SCSI_INQ_STD_BYTES];
    uint32_t got;
    enum iosim_err e = fetch(s, &c, b, sizeof b, &got);
    if (e != IOSIM_OK)
        return e;
    ASSERT(got <= sizeof b);
    uint8_t q = (b[SCSI_INQ_PERIPHERAL] & SCSI_INQ_QUALIFIER_MASK) >> SCSI_INQ_QUALIFIER_SHIFT;
    if (got < SCSI_INQ_REVISION || q != SCSI_INQ_QUALIFIER_CONNECTED ||
        (b[SCSI_INQ_PERIPHERAL] & SCSI_INQ_TYPE_MASK) != SCSI_INQ_TYPE_DISK)
        return IOSIM_ENODEV; /* no disk at this LUN */
    in->removable = (b[SCSI_INQ_RMB_BYTE] & SCSI_INQ_RMB) != 0;
    ascii(in->vendor, sizeof in->vendor, b + SCSI_INQ_VENDOR, SCSI_INQ_VENDOR_BYTES);
    ascii(in->product, sizeof in->product, b + SCSI_INQ_PRODUCT, SCSI_INQ_PRODUCT_BYTES);
    ascii(in->revision, sizeof in->revision, b + SCSI_INQ_REVISION,
          got - SCSI_INQ_REVISION < SCSI_INQ_REVISION_BYTES ? got - SCSI_INQ_REVISION
                                                            : SCSI_INQ_REVISION_BYTES);
    return IOSIM_OK;
}

/* TEST UNIT READY until it passes: unit attentions are retried inside
 * uscsi_command; NOT READY (becoming ready) is waited out for a while. */
static enum iosim_err until_ready(struct uscsi *s, uint32_t lun)
{
    enum iosim_err e = IOSIM_EIO;
    ASSERT(lun < s->luns);
    for (uint32_t i = 0; i < USCSI_NOT_READY_TRIES; i++) {
        struct uscsi_cmd c = {.lun = lun, .cdb_len = SCSI_CDB6_BYTES, .dir = USCSI_NONE};
        c.cdb[SCSI_CDB_OPCODE] = SCSI_OP_TEST_UNIT_READY;
        e = uscsi_command(s, &c);
        bool becoming = c.sense_key == SCSI_SENSE_KEY_NOT_READY &&
                        c.asc == SCSI_ASC_OF(SCSI_ASC_BECOMING_READY);
        if (e == IOSIM_OK || !becoming || s->gone || s->dead)
            return e;
        port_sleep_ns(USCSI_NOT_READY_WAIT_NS);
    }
    return e;
}

static enum iosim_err capacity(struct uscsi *s, uint32_t lun, struct uscsi_unit *u)
{
    struct uscsi_cmd c = small_in(s, lun, SCSI_OP_READ_CAPACITY_10, SCSI_CDB10_BYTES,
                                  SCSI_RC10_DATA_BYTES);
    uint8_t b[SCSI_RC16_DATA_BYTES];
    uint32_t got;
    enum iosim_err e = fetch(s, &c, b, SCSI_RC10_DATA_BYTES, &got);
    if (e != IOSIM_OK || got < SCSI_RC10_DATA_BYTES)
        return e != IOSIM_OK ? e : IOSIM_EPROTO;
    uint64_t last = be(b + SCSI_RC10_LAST_LBA, SCSI_RC10_LAST_LBA_BYTES);
    uint32_t bs = (uint32_t)be(b + SCSI_RC10_BLOCK_LENGTH, SCSI_RC10_BLOCK_LENGTH_BYTES);
    if (last == SCSI_RC10_LBA_USE_16) {
        c = small_in(s, lun, SCSI_OP_SERVICE_ACTION_IN_16, SCSI_CDB16_BYTES, SCSI_RC16_DATA_BYTES);
        c.cdb[SCSI_SAI_SERVICE_ACTION] = SCSI_SAI_READ_CAPACITY_16;
        put_be(c.cdb + SCSI_READ_CAPACITY_16_ALLOC_LENGTH, SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES,
               SCSI_RC16_DATA_BYTES);
        e = fetch(s, &c, b, sizeof b, &got);
        if (e != IOSIM_OK || got < SCSI_RC16_BLOCK_LENGTH + SCSI_RC16_BLOCK_LENGTH_BYTES)
            return e != IOSIM_OK ? e : IOSIM_EPROTO;
        last = be(b + SCSI_RC16_LAST_LBA, SCSI_RC16_LAST_LBA_BYTES);
        bs = (uint32_t)be(b + SCSI_RC16_BLOCK_LENGTH, SCSI_RC16_BLOCK_LENGTH_BYTES);
        u->use16 = true;
    }
    if ((bs != 512 && bs != 4096) || last >= (DISK_SCHEME_INFO / bs) - 1)
        return IOSIM_EPROTO; /* a block size disk: does not serve, or an absurd capacity */
    u->info.blocks = last + 1;
    u->info.block_bytes = bs;
    ASSERT(u->info.blocks >= 1);
    ASSERT(u->info.blocks <= DISK_SCHEME_INFO / bs); /* its bytes fit the offsets */
    u->use16 = u->use16 || last > UINT32_MAX;
    return IOSIM_OK;
}

/* MODE SENSE(6) of a page: the device-specific byte and the page's byte
 * `at` (0 when it is not there). Failing is no error: many devices do. */
static void mode_sense(struct uscsi *s, uint32_t lun, uint8_t page, uint32_t at, uint8_t *dev,
                       uint8_t *val)
{
    struct uscsi_cmd c = small_in(s, lun, SCSI_OP_MODE_SENSE_6, SCSI_CDB6_BYTES, 192);
    c.cdb[SCSI_MODE_SENSE_PAGE] = page;
    c.cdb[SCSI_MODE_SENSE6_ALLOC_LENGTH] = 192; /* Linux's sd asks this much first */
    uint8_t b[192];
    uint32_t got;
    *dev = *val = 0;
    ASSERT(at < sizeof b);
    ASSERT(lun < s->luns);
    if (fetch(s, &c, b, sizeof b, &got) != IOSIM_OK || got < SCSI_MODE6_HEADER_BYTES)
        return;
    *dev = b[SCSI_MODE6_DEVICE_SPECIFIC];
    uint32_t p = SCSI_MODE6_HEADER_BYTES + b[SCSI_MODE6_BD_LENGTH];
    if (p + at < got && (b[p] & 0x3fu) == page)
        *val = b[p + at];
}

static void serial(struct uscsi *s, uint32_t lun, struct disk_scheme_info *in)
{
    struct uscsi_cmd c = small_in(s, lun, SCSI_OP_INQUIRY, SCSI_CDB6_BYTES, 64);
    c.cdb[SCSI_INQUIRY_FLAGS] = SCSI_INQUIRY_EVPD;
    c.cdb[SCSI_INQUIRY_PAGE_CODE] = SCSI_VPD_UNIT_SERIAL;
    c.cdb[SCSI_INQUIRY_ALLOC_LENGTH + 1] = 64;
    uint8_t b[64];
    uint32_t got;
    if (fetch(s, &c, b, sizeof b, &got) != IOSIM_OK || got < SCSI_VPD_HEADER_BYTES ||
        b[SCSI_VPD_PAGE_CODE] != SCSI_VPD_UNIT_SERIAL)
        return;
    uint32_t n = (uint32_t)be(b + SCSI_VPD_PAGE_LENGTH, SCSI_VPD_PAGE_LENGTH_BYTES);
    uint32_t have = got - SCSI_VPD_HEADER_BYTES;
    ASSERT(got <= sizeof b);
    ASSERT(have <= sizeof b - SCSI_VPD_HEADER_BYTES);
    ascii(in->serial, sizeof in->serial, b + SCSI_VPD_HEADER_BYTES, n < have ? n : have);
}

enum iosim_err uscsi_unit_up(struct uscsi *s, uint32_t lun)
{
    ASSERT(lun < s->luns);
    ASSERT(s->luns <= USCSI_LUNS_MAX);
    struct uscsi_unit *u = &s->unit[lun];
    memset(u, 0, sizeof *u);
    u->info.lun = lun;
    u->info.luns = s->luns;
    u->info.max_xfer_bytes = s->max_xfer;
    enum iosim_err e = inquiry(s, lun, &u->info);
    if (e == IOSIM_OK)
        e = until_ready(s, lun);
    if (e == IOSIM_OK)
        e = capacity(s, lun, u);
    if (e != IOSIM_OK)
        return e;
    uint8_t dev, flags;
    mode_sense(s, lun, SCSI_MODE_PAGE_ALL, 0, &dev, &flags);
    u->info.write_protect = (dev & SCSI_MODE_WP) != 0;
    mode_sense(s, lun, SCSI_MODE_PAGE_CACHING, SCSI_CACHING_FLAGS, &dev, &flags);
    u->info.write_cache = (flags & SCSI_CACHING_WCE) != 0;
    serial(s, lun, &u->info);
    ASSERT(u->info.block_bytes == 512 || u->info.block_bytes == 4096);
    u->ok = true;
    return IOSIM_OK;
}

enum iosim_err uscsi_sync(struct uscsi *s, uint32_t lun)
{
    ASSERT(lun < s->luns);
    ASSERT(s->unit[lun].ok); /* only a unit that came up is synced */
    struct uscsi_cmd c = {.lun = lun, .cdb_len = SCSI_CDB10_BYTES, .dir = USCSI_NONE};
    c.cdb[SCSI_CDB_OPCODE] = SCSI_OP_SYNC_CACHE_10; /* LBA 0, 0 blocks: all of it */
    return uscsi_command(s, &c);
}
