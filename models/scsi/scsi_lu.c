/*
 * A SCSI logical unit; see scsi_lu.h. Every command is planned once - its
 * fields read and checked, its intent and any error found - and the plan
 * serves both decode (what the transport compares with the host's
 * expectation) and execute, so the two never disagree.
 */
#include "models/scsi/scsi_lu.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/scsi.h"

#define VENDOR_MAX 8u
#define PRODUCT_MAX 16u
#define REVISION_MAX 4u
#define SERIAL_MAX 32u
#define CACHING_PAGE_BYTES 20u                /* code, length 18, 18 bytes */
#define BD_BLOCKS_MAX 0xffffffu               /* a short block descriptor's 3 bytes */

struct scsi_lu {
    struct scsi_media *m;
    bool removable, write_protect, write_cache;
    char vendor[VENDOR_MAX + 1], product[PRODUCT_MAX + 1], revision[REVISION_MAX + 1];
    char serial[SERIAL_MAX + 1];
    uint16_t attention;                       /* the ASC of a UNIT ATTENTION due, 0: none */
    bool absent;                              /* the medium is out */
    bool stopped;                             /* START STOP UNIT stopped it */
    bool prevent;                             /* medium removal prevented */
    uint8_t key;                              /* the sense of the last CHECK CONDITION */
    uint16_t asc;
    uint64_t info;
};

struct plan {
    struct scsi_intent it;
    uint64_t lba;
    uint32_t blocks;
    bool fua;
    uint8_t key;                              /* SCSI_SENSE_KEY_NO_SENSE: it can run */
    uint16_t asc;
};

/* ---- bytes ---------------------------------------------------------------------------------- */

static uint64_t be(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, uint64_t v, uint32_t n)
{
    for (uint32_t i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

static void put_text(uint8_t *p, const char *s, uint32_t n)
{
    memset(p, ' ', n);
    memcpy(p, s, strlen(s) < n ? strlen(s) : n);
}

static uint32_t min32(uint64_t a, uint64_t b) { return (uint32_t)(a < b ? a : b); }

/* ---- life ----------------------------------------------------------------------------------- */

static void copy_text(char *dst, const char *src, size_t cap, const char *fallback)
{
    const char *s = src != NULL ? src : fallback;
    size_t n = strlen(s) < cap ? strlen(s) : cap;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

enum iosim_err scsi_lu_create(const struct scsi_lu_config *c, struct scsi_lu **out)
{
    ASSERT(c != NULL && out != NULL);
    struct scsi_lu *lu = calloc(1, sizeof *lu);
    if (lu == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err e = scsi_media_create(&c->media, &lu->m);
    if (e != IOSIM_OK) {
        free(lu);
        return e;
    }
    lu->removable = c->removable;
    lu->write_protect = c->write_protect;
    lu->write_cache = c->media.write_cache;
    copy_text(lu->vendor, c->vendor, VENDOR_MAX, "iosim");
    copy_text(lu->product, c->product, PRODUCT_MAX, "disk");
    copy_text(lu->revision, c->revision, REVISION_MAX, "1.0");
    copy_text(lu->serial, c->serial, SERIAL_MAX, "0");
    lu->attention = SCSI_ASC_POWER_ON_RESET;
    *out = lu;
    return IOSIM_OK;
}

void scsi_lu_destroy(struct scsi_lu *lu)
{
    if (lu == NULL)
        return;
    scsi_media_destroy(lu->m);
    free(lu);
}

struct scsi_media *scsi_lu_media(struct scsi_lu *lu) { return lu->m; }

void scsi_lu_reset(struct scsi_lu *lu) { lu->attention = SCSI_ASC_POWER_ON_RESET; }

void scsi_lu_set_medium(struct scsi_lu *lu, bool present)
{
    ASSERT(lu != NULL);
    if (present && lu->absent && lu->attention == 0)
        lu->attention = SCSI_ASC_MEDIUM_CHANGED;
    lu->absent = !present;
}

bool scsi_lu_medium_present(const struct scsi_lu *lu) { return !lu->absent; }

void scsi_lu_sense(const struct scsi_lu *lu, uint8_t *key, uint16_t *asc_ascq, uint64_t *info)
{
    *key = lu->key;
    *asc_ascq = lu->asc;
    *info = lu->info;
}

/* ---- planning ------------------------------------------------------------------------------- */

static uint32_t cdb_bytes(uint8_t opcode)
{
    switch ((opcode & SCSI_OP_GROUP_MASK) >> SCSI_OP_GROUP_SHIFT) {
    case SCSI_GROUP_CDB6: return SCSI_CDB6_BYTES;
    case SCSI_GROUP_CDB10:
    case SCSI_GROUP_CDB10_2: return SCSI_CDB10_BYTES;
    case SCSI_GROUP_CDB16: return SCSI_CDB16_BYTES;
    case SCSI_GROUP_CDB12: return SCSI_CDB12_BYTES;
    default: return 0;
    }
}

static void refuse(struct plan *p, uint8_t key, uint16_t asc)
{
    p->it = (struct scsi_intent){.dir = SCSI_DIR_NONE};
    p->key = key;
    p->asc = asc;
}

static void wants(struct plan *p, enum scsi_dir dir, uint64_t bytes)
{
    p->it = (struct scsi_intent){.dir = bytes == 0 ? SCSI_DIR_NONE : dir,
                                 .bytes = bytes == 0 ? 0 : (uint32_t)bytes};
}

static uint32_t inquiry_bytes(const struct scsi_lu *lu, uint8_t page)
{
    switch (page) {
    case SCSI_VPD_SUPPORTED_PAGES: return SCSI_VPD_HEADER_BYTES + 3u;
    case SCSI_VPD_UNIT_SERIAL: return SCSI_VPD_HEADER_BYTES + (uint32_t)strlen(lu->serial);
    case SCSI_VPD_DEVICE_ID:
        return SCSI_VPD_HEADER_BYTES + SCSI_VPD_DESIGNATOR_HEADER_BYTES + VENDOR_MAX +
               (uint32_t)strlen(lu->serial);
    default: return 0;
    }
}

static void plan_inquiry(const struct scsi_lu *lu, const uint8_t *cdb, struct plan *p)
{
    uint32_t alloc = (uint32_t)be(cdb + SCSI_INQUIRY_ALLOC_LENGTH, SCSI_INQUIRY_ALLOC_LENGTH_BYTES);
    bool evpd = cdb[SCSI_INQUIRY_FLAGS] & SCSI_INQUIRY_EVPD;
    uint8_t page = cdb[SCSI_INQUIRY_PAGE_CODE];
    uint32_t size = evpd ? inquiry_bytes(lu, page) : SCSI_INQ_STD_BYTES;
    if ((!evpd && page != 0) || size == 0)
        refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    else
        wants(p, SCSI_DIR_IN, min32(alloc, size));
}

static uint32_t mode_bytes(const struct scsi_lu *lu, bool ten, bool dbd)
{
    (void)lu;
    return (ten ? SCSI_MODE10_HEADER_BYTES : SCSI_MODE6_HEADER_BYTES) +
           (dbd ? 0u : SCSI_MODE_BD_BYTES) + CACHING_PAGE_BYTES;
}

static void plan_mode_sense(const struct scsi_lu *lu, const uint8_t *cdb, bool ten,
                            struct plan *p)
{
    uint8_t page = cdb[SCSI_MODE_SENSE_PAGE] & SCSI_MODE_SENSE_PAGE_MASK;
    uint32_t alloc = ten ? (uint32_t)be(cdb + SCSI_MODE_SENSE10_ALLOC_LENGTH,
                                        SCSI_MODE_SENSE10_ALLOC_LENGTH_BYTES)
                         : cdb[SCSI_MODE_SENSE6_ALLOC_LENGTH];
    bool dbd = cdb[SCSI_MODE_SENSE_FLAGS] & SCSI_MODE_SENSE_DBD;
    if (page != SCSI_MODE_PAGE_CACHING && page != SCSI_MODE_PAGE_ALL)
        refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    else
        wants(p, SCSI_DIR_IN, min32(alloc, mode_bytes(lu, ten, dbd)));
}

/* READ / WRITE (10) and (16): the range, the medium's state. */
static void plan_rw(const struct scsi_lu *lu, const uint8_t *cdb, bool sixteen, bool write,
                    struct plan *p)
{
    p->lba = sixteen ? be(cdb + SCSI_RW16_LBA, SCSI_RW16_LBA_BYTES)
                     : be(cdb + SCSI_RW10_LBA, SCSI_RW10_LBA_BYTES);
    uint64_t blocks = sixteen ? be(cdb + SCSI_RW16_BLOCKS, SCSI_RW16_BLOCKS_BYTES)
                              : be(cdb + SCSI_RW10_BLOCKS, SCSI_RW10_BLOCKS_BYTES);
    uint32_t bs = scsi_media_block_bytes(lu->m);
    uint64_t capacity = scsi_media_blocks(lu->m);
    p->fua = cdb[sixteen ? SCSI_RW16_FLAGS : SCSI_RW10_FLAGS] & SCSI_RW_FUA;
    if (p->lba > capacity || blocks > capacity - p->lba)
        refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    else if (blocks * bs > UINT32_MAX)
        refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    else if (write && lu->write_protect)
        refuse(p, SCSI_SENSE_KEY_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
    else {
        p->blocks = (uint32_t)blocks;
        wants(p, write ? SCSI_DIR_OUT : SCSI_DIR_IN, blocks * bs);
        p->it.access = write ? SCSI_ACCESS_WRITE : SCSI_ACCESS_READ;
        p->it.lba = p->lba;
        p->it.blocks = p->blocks;
    }
}

static bool needs_medium(uint8_t op)
{
    return op == SCSI_OP_READ_10 || op == SCSI_OP_READ_16 || op == SCSI_OP_WRITE_10 ||
           op == SCSI_OP_WRITE_16 || op == SCSI_OP_TEST_UNIT_READY || op == SCSI_OP_SYNC_CACHE_10 ||
           op == SCSI_OP_SYNC_CACHE_16 || op == SCSI_OP_READ_CAPACITY_10;
}

static void plan_op(const struct scsi_lu *lu, const uint8_t *cdb, struct plan *p)
{
    uint8_t op = cdb[SCSI_CDB_OPCODE];
    switch (op) {
    case SCSI_OP_INQUIRY: plan_inquiry(lu, cdb, p); break;
    case SCSI_OP_REQUEST_SENSE:
        wants(p, SCSI_DIR_IN, min32(cdb[SCSI_REQUEST_SENSE_ALLOC_LENGTH], SCSI_SENSE_FIXED_BYTES));
        break;
    case SCSI_OP_READ_CAPACITY_10: wants(p, SCSI_DIR_IN, SCSI_RC10_DATA_BYTES); break;
    case SCSI_OP_SERVICE_ACTION_IN_16:
        if ((cdb[SCSI_SAI_SERVICE_ACTION] & SCSI_SAI_SERVICE_ACTION_MASK) != SCSI_SAI_READ_CAPACITY_16)
            refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        else
            wants(p, SCSI_DIR_IN, min32(be(cdb + SCSI_READ_CAPACITY_16_ALLOC_LENGTH,
                                           SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES),
                                        SCSI_RC16_DATA_BYTES));
        break;
    case SCSI_OP_MODE_SENSE_6: plan_mode_sense(lu, cdb, false, p); break;
    case SCSI_OP_MODE_SENSE_10: plan_mode_sense(lu, cdb, true, p); break;
    case SCSI_OP_READ_10: plan_rw(lu, cdb, false, false, p); break;
    case SCSI_OP_READ_16: plan_rw(lu, cdb, true, false, p); break;
    case SCSI_OP_WRITE_10: plan_rw(lu, cdb, false, true, p); break;
    case SCSI_OP_WRITE_16: plan_rw(lu, cdb, true, true, p); break;
    case SCSI_OP_PREVENT_ALLOW:
        if (cdb[SCSI_PREVENT_ALLOW_FIELD] > SCSI_PREVENT_ALLOW_PREVENT)
            refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        break;
    case SCSI_OP_SYNC_CACHE_10:
    case SCSI_OP_SYNC_CACHE_16: p->it.access = SCSI_ACCESS_FLUSH; break;
    case SCSI_OP_TEST_UNIT_READY:
    case SCSI_OP_START_STOP_UNIT: break;
    default: refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE); break;
    }
}

static void plan(const struct scsi_lu *lu, const uint8_t *cdb, uint32_t len, struct plan *p)
{
    memset(p, 0, sizeof *p);
    uint8_t op = len > 0 ? cdb[SCSI_CDB_OPCODE] : 0xffu;
    uint32_t need = len > 0 ? cdb_bytes(op) : 0;
    if (need == 0 || len < need)
        refuse(p, SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
    else if (lu->attention != 0 && op != SCSI_OP_INQUIRY && op != SCSI_OP_REQUEST_SENSE)
        refuse(p, SCSI_SENSE_KEY_UNIT_ATTENTION, lu->attention);
    else if (lu->absent && needs_medium(op))
        refuse(p, SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_MEDIUM_NOT_PRESENT);
    else if (lu->stopped && needs_medium(op))
        refuse(p, SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_NOT_READY);
    else
        plan_op(lu, cdb, p);
}

void scsi_lu_decode(struct scsi_lu *lu, const uint8_t *cdb, uint32_t cdb_len,
                    struct scsi_intent *out)
{
    ASSERT(lu != NULL && out != NULL && (cdb != NULL || cdb_len == 0));
    struct plan p;
    plan(lu, cdb, cdb_len, &p);
    *out = p.it;
}

/* ---- data ----------------------------------------------------------------------------------- */

static uint32_t inquiry(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *d)
{
    uint32_t n;
    if (!(cdb[SCSI_INQUIRY_FLAGS] & SCSI_INQUIRY_EVPD)) {
        n = SCSI_INQ_STD_BYTES;
        memset(d, 0, n);
        d[SCSI_INQ_PERIPHERAL] = SCSI_INQ_TYPE_DISK;
        d[SCSI_INQ_RMB_BYTE] = lu->removable ? SCSI_INQ_RMB : 0;
        d[SCSI_INQ_VERSION] = SCSI_INQ_VERSION_SPC4;
        d[SCSI_INQ_FORMAT] = SCSI_INQ_FORMAT_2;
        d[SCSI_INQ_ADD_LENGTH] = (uint8_t)(n - 5u);
        put_text(d + SCSI_INQ_VENDOR, lu->vendor, SCSI_INQ_VENDOR_BYTES);
        put_text(d + SCSI_INQ_PRODUCT, lu->product, SCSI_INQ_PRODUCT_BYTES);
        put_text(d + SCSI_INQ_REVISION, lu->revision, SCSI_INQ_REVISION_BYTES);
        return n;
    }
    uint8_t page = cdb[SCSI_INQUIRY_PAGE_CODE];
    n = inquiry_bytes(lu, page);
    memset(d, 0, n);
    d[SCSI_VPD_PAGE_CODE] = page;
    put_be(d + SCSI_VPD_PAGE_LENGTH, n - SCSI_VPD_HEADER_BYTES, SCSI_VPD_PAGE_LENGTH_BYTES);
    uint8_t *body = d + SCSI_VPD_HEADER_BYTES;
    size_t serial = strlen(lu->serial);
    if (page == SCSI_VPD_SUPPORTED_PAGES) {
        body[0] = SCSI_VPD_SUPPORTED_PAGES;
        body[1] = SCSI_VPD_UNIT_SERIAL;
        body[2] = SCSI_VPD_DEVICE_ID;
    } else if (page == SCSI_VPD_UNIT_SERIAL) {
        memcpy(body, lu->serial, serial);
    } else { /* one T10 vendor ID designator, ASCII: vendor, then serial */
        body[0] = 0x02u;                  /* code set: ASCII */
        body[1] = 0x01u;                  /* designator type: T10 vendor ID */
        body[SCSI_VPD_DESIGNATOR_LENGTH] = (uint8_t)(VENDOR_MAX + serial);
        put_text(body + SCSI_VPD_DESIGNATOR_HEADER_BYTES, lu->vendor, VENDOR_MAX);
        memcpy(body + SCSI_VPD_DESIGNATOR_HEADER_BYTES + VENDOR_MAX, lu->serial, serial);
    }
    return n;
}

static uint32_t capacity(const struct scsi_lu *lu, bool sixteen, uint8_t *d)
{
    uint64_t last = scsi_media_blocks(lu->m) - 1u;
    uint32_t bs = scsi_media_block_bytes(lu->m);
    if (!sixteen) {
        put_be(d + SCSI_RC10_LAST_LBA, last > UINT32_MAX ? SCSI_RC10_LBA_USE_16 : last,
               SCSI_RC10_LAST_LBA_BYTES);
        put_be(d + SCSI_RC10_BLOCK_LENGTH, bs, SCSI_RC10_BLOCK_LENGTH_BYTES);
        return SCSI_RC10_DATA_BYTES;
    }
    memset(d, 0, SCSI_RC16_DATA_BYTES);
    put_be(d + SCSI_RC16_LAST_LBA, last, SCSI_RC16_LAST_LBA_BYTES);
    put_be(d + SCSI_RC16_BLOCK_LENGTH, bs, SCSI_RC16_BLOCK_LENGTH_BYTES);
    return SCSI_RC16_DATA_BYTES;
}

static uint32_t mode_sense(const struct scsi_lu *lu, const uint8_t *cdb, bool ten, uint8_t *d)
{
    bool dbd = cdb[SCSI_MODE_SENSE_FLAGS] & SCSI_MODE_SENSE_DBD;
    uint32_t n = mode_bytes(lu, ten, dbd), h = ten ? SCSI_MODE10_HEADER_BYTES : SCSI_MODE6_HEADER_BYTES;
    memset(d, 0, n);
    uint8_t specific = (lu->write_protect ? SCSI_MODE_WP : 0) | SCSI_MODE_DPOFUA;
    if (ten) {
        put_be(d + SCSI_MODE10_DATA_LENGTH, n - 2u, SCSI_MODE10_DATA_LENGTH_BYTES);
        d[SCSI_MODE10_DEVICE_SPECIFIC] = specific;
        put_be(d + SCSI_MODE10_BD_LENGTH, dbd ? 0 : SCSI_MODE_BD_BYTES, SCSI_MODE10_BD_LENGTH_BYTES);
    } else {
        d[SCSI_MODE6_DATA_LENGTH] = (uint8_t)(n - 1u);
        d[SCSI_MODE6_DEVICE_SPECIFIC] = specific;
        d[SCSI_MODE6_BD_LENGTH] = dbd ? 0 : SCSI_MODE_BD_BYTES;
    }
    uint8_t *at = d + h;
    if (!dbd) {
        uint64_t blocks = scsi_media_blocks(lu->m);
        put_be(at + SCSI_MODE_BD_BLOCKS, blocks > BD_BLOCKS_MAX ? BD_BLOCKS_MAX : blocks,
               SCSI_MODE_BD_BLOCKS_BYTES);
        put_be(at + SCSI_MODE_BD_BLOCK_LENGTH, scsi_media_block_bytes(lu->m),
               SCSI_MODE_BD_BLOCK_LENGTH_BYTES);
        at += SCSI_MODE_BD_BYTES;
    }
    at[0] = SCSI_MODE_PAGE_CACHING;
    at[1] = CACHING_PAGE_BYTES - 2u;
    at[SCSI_CACHING_FLAGS] = lu->write_cache ? SCSI_CACHING_WCE : 0;
    return n;
}

static uint32_t request_sense(struct scsi_lu *lu, uint8_t *d)
{
    memset(d, 0, SCSI_SENSE_FIXED_BYTES);
    bool info = lu->key == SCSI_SENSE_KEY_MEDIUM_ERROR && lu->info <= UINT32_MAX;
    d[SCSI_SENSE_RESPONSE] = SCSI_SENSE_FIXED_CURRENT | (info ? SCSI_SENSE_VALID : 0);
    d[SCSI_SENSE_FIXED_KEY] = lu->key;
    put_be(d + SCSI_SENSE_FIXED_INFO, info ? lu->info : 0, SCSI_SENSE_FIXED_INFO_BYTES);
    d[SCSI_SENSE_FIXED_ADD_LENGTH] = SCSI_SENSE_FIXED_ADD_LENGTH_18;
    d[SCSI_SENSE_FIXED_ASC] = (uint8_t)SCSI_ASC_OF(lu->asc);
    d[SCSI_SENSE_FIXED_ASCQ] = (uint8_t)SCSI_ASCQ_OF(lu->asc);
    lu->key = SCSI_SENSE_KEY_NO_SENSE; /* reported: gone */
    lu->asc = 0;
    lu->info = 0;
    return SCSI_SENSE_FIXED_BYTES;
}

/* ---- execution ------------------------------------------------------------------------------ */

static uint8_t check(struct scsi_lu *lu, uint8_t key, uint16_t asc, uint64_t info)
{
    lu->key = key;
    lu->asc = asc;
    lu->info = info;
    return SCSI_STATUS_CHECK_CONDITION;
}

static uint8_t rw(struct scsi_lu *lu, const struct plan *p, bool write, uint8_t *buf, uint32_t len,
                  uint32_t *moved)
{
    uint32_t bs = scsi_media_block_bytes(lu->m);
    uint32_t n = min32(p->blocks, len / bs); /* the host may move less than asked */
    uint64_t bad = 0;
    enum iosim_err e = write ? scsi_media_write(lu->m, p->lba, n, buf, p->fua, &bad)
                             : scsi_media_read(lu->m, p->lba, n, buf, &bad);
    if (e == IOSIM_OK) {
        *moved = n * bs;
        return SCSI_STATUS_GOOD;
    }
    *moved = e == IOSIM_EIO ? (uint32_t)(bad - p->lba) * bs : 0;
    if (e == IOSIM_EIO)
        return check(lu, SCSI_SENSE_KEY_MEDIUM_ERROR,
                     write ? SCSI_ASC_WRITE_ERROR : SCSI_ASC_UNRECOVERED_READ, bad);
    return check(lu, SCSI_SENSE_KEY_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0);
}

/* A command that can run: its data, or its effect. */
static uint8_t run(struct scsi_lu *lu, const uint8_t *cdb, const struct plan *p, uint8_t *buf,
                   uint32_t len, uint32_t *moved)
{
    uint8_t d[SCSI_RC16_DATA_BYTES + 256]; /* small responses, cut to len */
    uint8_t op = cdb[SCSI_CDB_OPCODE];
    uint32_t n = 0;
    if (op == SCSI_OP_READ_10 || op == SCSI_OP_READ_16 || op == SCSI_OP_WRITE_10 ||
        op == SCSI_OP_WRITE_16)
        return rw(lu, p, op == SCSI_OP_WRITE_10 || op == SCSI_OP_WRITE_16, buf, len, moved);
    if (op == SCSI_OP_INQUIRY)
        n = inquiry(lu, cdb, d);
    else if (op == SCSI_OP_REQUEST_SENSE)
        n = request_sense(lu, d);
    else if (op == SCSI_OP_READ_CAPACITY_10 || op == SCSI_OP_SERVICE_ACTION_IN_16)
        n = capacity(lu, op == SCSI_OP_SERVICE_ACTION_IN_16, d);
    else if (op == SCSI_OP_MODE_SENSE_6 || op == SCSI_OP_MODE_SENSE_10)
        n = mode_sense(lu, cdb, op == SCSI_OP_MODE_SENSE_10, d);
    else if ((op == SCSI_OP_SYNC_CACHE_10 || op == SCSI_OP_SYNC_CACHE_16) &&
             scsi_media_flush(lu->m) != IOSIM_OK)
        return check(lu, SCSI_SENSE_KEY_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0);
    else if (op == SCSI_OP_START_STOP_UNIT)
        lu->stopped = !(cdb[SCSI_START_STOP_FLAGS] & SCSI_START_STOP_START);
    else if (op == SCSI_OP_PREVENT_ALLOW)
        lu->prevent = cdb[SCSI_PREVENT_ALLOW_FIELD] == SCSI_PREVENT_ALLOW_PREVENT;
    ASSERT(n <= sizeof d);
    *moved = min32(n, min32(len, p->it.bytes));
    memcpy(buf, d, *moved);
    return SCSI_STATUS_GOOD;
}

uint8_t scsi_lu_execute(struct scsi_lu *lu, const uint8_t *cdb, uint32_t cdb_len, uint8_t *buf,
                        uint32_t len, uint32_t *moved)
{
    ASSERT(lu != NULL && moved != NULL && (buf != NULL || len == 0));
    struct plan p;
    plan(lu, cdb, cdb_len, &p);
    *moved = 0;
    if (p.key != SCSI_SENSE_KEY_NO_SENSE) {
        if (p.key == SCSI_SENSE_KEY_UNIT_ATTENTION)
            lu->attention = 0; /* reported once */
        return check(lu, p.key, p.asc, 0);
    }
    uint8_t op = cdb[SCSI_CDB_OPCODE];
    if (op != SCSI_OP_REQUEST_SENSE) { /* a new command's sense replaces the old */
        lu->key = SCSI_SENSE_KEY_NO_SENSE;
        lu->asc = 0;
        lu->info = 0;
    }
    return run(lu, cdb, &p, buf, len, moved);
}
