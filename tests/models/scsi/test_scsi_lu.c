/* models/scsi/scsi_lu: one test per command clause, the data checked
 * field by field against impl/port/spec/scsi.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "models/scsi/scsi_lu.h"

static struct scsi_lu *lu;
static uint8_t buf[65536];
static uint32_t moved;

static struct scsi_lu *make(uint64_t blocks, bool cache, bool wp)
{
    struct scsi_lu_config c = {.media = {.block_bytes = 512, .blocks = blocks, .write_cache = cache},
                               .removable = true, .write_protect = wp, .vendor = "iosim",
                               .product = "test disk", .revision = "0.1", .serial = "SN42"};
    struct scsi_lu *l = NULL;
    cr_assert_eq(scsi_lu_create(&c, &l), IOSIM_OK);
    return l;
}

static uint8_t cmd(const uint8_t *cdb, uint32_t len, uint32_t data)
{
    struct scsi_intent it;
    scsi_lu_decode(lu, cdb, len, &it);
    uint8_t st = scsi_lu_execute(lu, cdb, len, buf, data, &moved);
    if (st == SCSI_STATUS_GOOD && it.dir == SCSI_DIR_IN)
        cr_assert_leq(moved, it.bytes, "never more than the intent");
    return st;
}

static void expect_sense(uint8_t key, uint16_t asc)
{
    uint8_t cdb[6] = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, SCSI_SENSE_FIXED_BYTES, 0};
    cr_assert_eq(cmd(cdb, 6, SCSI_SENSE_FIXED_BYTES), SCSI_STATUS_GOOD);
    cr_assert_eq(moved, SCSI_SENSE_FIXED_BYTES);
    cr_expect_eq(buf[SCSI_SENSE_RESPONSE] & SCSI_SENSE_RESPONSE_MASK, SCSI_SENSE_FIXED_CURRENT);
    cr_expect_eq(buf[SCSI_SENSE_FIXED_KEY] & SCSI_SENSE_KEY_MASK, key);
    cr_expect_eq(buf[SCSI_SENSE_FIXED_ASC], SCSI_ASC_OF(asc));
    cr_expect_eq(buf[SCSI_SENSE_FIXED_ASCQ], SCSI_ASCQ_OF(asc));
}

static void ready(void)
{
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    (void)cmd(tur, 6, 0); /* the power-on unit attention, taken */
}

static void rw10(uint8_t op, uint32_t lba, uint16_t blocks, bool fua, uint8_t *cdb)
{
    memset(cdb, 0, 10);
    cdb[0] = op;
    cdb[SCSI_RW10_FLAGS] = fua ? SCSI_RW_FUA : 0;
    for (int i = 0; i < 4; i++)
        cdb[SCSI_RW10_LBA + i] = (uint8_t)(lba >> (24 - 8 * i));
    cdb[SCSI_RW10_BLOCKS] = (uint8_t)(blocks >> 8);
    cdb[SCSI_RW10_BLOCKS + 1] = (uint8_t)blocks;
}

Test(scsi_lu, the_first_command_after_power_on_gets_unit_attention_once)
{
    lu = make(1000, false, false);
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD);
    scsi_lu_reset(lu);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION, "and after a reset");
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, inquiry_is_answered_even_with_a_unit_attention_pending)
{
    lu = make(1000, false, false);
    uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0};
    cr_assert_eq(cmd(inq, 6, 36), SCSI_STATUS_GOOD);
    cr_assert_eq(moved, SCSI_INQ_STD_BYTES);
    cr_expect_eq(buf[SCSI_INQ_PERIPHERAL] & SCSI_INQ_TYPE_MASK, SCSI_INQ_TYPE_DISK);
    cr_expect_eq(buf[SCSI_INQ_RMB_BYTE] & SCSI_INQ_RMB, SCSI_INQ_RMB);
    cr_expect_eq(buf[SCSI_INQ_FORMAT] & SCSI_INQ_FORMAT_MASK, SCSI_INQ_FORMAT_2);
    cr_expect_eq(buf[SCSI_INQ_ADD_LENGTH], 31);
    cr_expect(memcmp(buf + SCSI_INQ_VENDOR, "iosim   ", 8) == 0);
    cr_expect(memcmp(buf + SCSI_INQ_PRODUCT, "test disk       ", 16) == 0);
    cr_expect(memcmp(buf + SCSI_INQ_REVISION, "0.1 ", 4) == 0);
    inq[4] = 5;
    cr_assert_eq(cmd(inq, 6, 5), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, 5, "cut to the allocation length");
    scsi_lu_destroy(lu);
}

Test(scsi_lu, vpd_pages_list_serial_and_identify)
{
    lu = make(1000, false, false);
    uint8_t inq[6] = {SCSI_OP_INQUIRY, SCSI_INQUIRY_EVPD, SCSI_VPD_SUPPORTED_PAGES, 0, 255, 0};
    cr_assert_eq(cmd(inq, 6, 255), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, SCSI_VPD_HEADER_BYTES + 3);
    cr_expect_eq(buf[SCSI_VPD_HEADER_BYTES + 1], SCSI_VPD_UNIT_SERIAL);
    inq[2] = SCSI_VPD_UNIT_SERIAL;
    cr_assert_eq(cmd(inq, 6, 255), SCSI_STATUS_GOOD);
    cr_expect(memcmp(buf + SCSI_VPD_HEADER_BYTES, "SN42", 4) == 0);
    cr_expect_eq(buf[SCSI_VPD_PAGE_LENGTH + 1], 4);
    inq[2] = SCSI_VPD_DEVICE_ID;
    cr_assert_eq(cmd(inq, 6, 255), SCSI_STATUS_GOOD);
    cr_expect_eq(buf[SCSI_VPD_HEADER_BYTES + SCSI_VPD_DESIGNATOR_LENGTH], 12);
    inq[2] = 0x99;
    cr_expect_eq(cmd(inq, 6, 255), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    uint8_t bad[6] = {SCSI_OP_INQUIRY, 0, 0x80, 0, 36, 0}; /* a page without EVPD */
    cr_expect_eq(cmd(bad, 6, 36), SCSI_STATUS_CHECK_CONDITION);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, read_capacity_says_the_last_lba_and_sends_big_disks_to_sixteen)
{
    lu = make(1000, false, false);
    ready();
    uint8_t rc10[10] = {SCSI_OP_READ_CAPACITY_10};
    cr_assert_eq(cmd(rc10, 10, 8), SCSI_STATUS_GOOD);
    cr_expect_eq(buf[3], 0xe7, "999 = 0x3e7");
    cr_expect_eq(buf[2], 0x03);
    cr_expect_eq(buf[SCSI_RC10_BLOCK_LENGTH + 2], 0x02, "512");
    scsi_lu_destroy(lu);
    lu = make((1ull << 33) + 1, false, false);
    ready();
    cr_assert_eq(cmd(rc10, 10, 8), SCSI_STATUS_GOOD);
    cr_expect(buf[0] == 0xff && buf[1] == 0xff && buf[2] == 0xff && buf[3] == 0xff);
    uint8_t rc16[16] = {SCSI_OP_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16};
    rc16[SCSI_READ_CAPACITY_16_ALLOC_LENGTH + 3] = 32;
    cr_assert_eq(cmd(rc16, 16, 32), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, SCSI_RC16_DATA_BYTES);
    cr_expect_eq(buf[3], 0x02, "2^33: byte 3 of the 8-byte last LBA");
    cr_expect_eq(buf[7], 0x00);
    rc16[1] = 0x11;
    cr_expect_eq(cmd(rc16, 16, 32), SCSI_STATUS_CHECK_CONDITION, "another service action");
    scsi_lu_destroy(lu);
}

Test(scsi_lu, written_blocks_read_back_and_a_range_past_the_end_is_refused)
{
    lu = make(1000, false, false);
    ready();
    uint8_t cdb[16];
    for (uint32_t i = 0; i < 4 * 512; i++)
        buf[i] = (uint8_t)(i * 13u);
    rw10(SCSI_OP_WRITE_10, 100, 4, false, cdb);
    struct scsi_intent it;
    scsi_lu_decode(lu, cdb, 10, &it);
    cr_expect(it.dir == SCSI_DIR_OUT && it.bytes == 2048);
    cr_assert_eq(cmd(cdb, 10, 2048), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, 2048);
    memset(buf, 0, 2048);
    memset(cdb, 0, sizeof cdb);
    cdb[0] = SCSI_OP_READ_16;
    cdb[SCSI_RW16_LBA + 7] = 100;
    cdb[SCSI_RW16_BLOCKS + 3] = 4;
    cr_assert_eq(cmd(cdb, 16, 2048), SCSI_STATUS_GOOD);
    for (uint32_t i = 0; i < 2048; i++)
        cr_assert_eq(buf[i], (uint8_t)(i * 13u));
    rw10(SCSI_OP_READ_10, 999, 2, false, cdb);
    scsi_lu_decode(lu, cdb, 10, &it);
    cr_expect_eq(it.dir, SCSI_DIR_NONE, "an error intends no data");
    cr_expect_eq(cmd(cdb, 10, 1024), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, an_unknown_or_short_cdb_is_an_invalid_opcode)
{
    lu = make(1000, false, false);
    ready();
    uint8_t cdb[16] = {0x42}; /* group 2, an opcode this unit does not have */
    cr_expect_eq(cmd(cdb, 10, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
    uint8_t rd[16] = {SCSI_OP_READ_16};
    cr_expect_eq(cmd(rd, 10, 0), SCSI_STATUS_CHECK_CONDITION, "16-byte opcode in 10 bytes");
    uint8_t g3[6] = {0x7f}; /* group 3: reserved */
    cr_expect_eq(cmd(g3, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_medium_error_reports_its_lba_after_the_good_blocks)
{
    lu = make(1000, false, false);
    ready();
    cr_assert_eq(scsi_media_add_error(scsi_lu_media(lu), 205, 1, SCSI_MEDIA_ERR_READ), IOSIM_OK);
    uint8_t cdb[10];
    rw10(SCSI_OP_READ_10, 200, 10, false, cdb);
    cr_expect_eq(cmd(cdb, 10, 5120), SCSI_STATUS_CHECK_CONDITION);
    cr_expect_eq(moved, 5 * 512);
    uint8_t key;
    uint16_t asc;
    uint64_t info;
    scsi_lu_sense(lu, &key, &asc, &info);
    cr_expect_eq(info, 205);
    expect_sense(SCSI_SENSE_KEY_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ);
    cr_expect(buf[SCSI_SENSE_RESPONSE] & SCSI_SENSE_VALID, "information valid");
    cr_expect_eq(buf[SCSI_SENSE_FIXED_INFO + 3], 205);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_write_protected_unit_refuses_writes_and_says_so_in_mode_sense)
{
    lu = make(1000, false, true);
    ready();
    uint8_t cdb[10];
    rw10(SCSI_OP_WRITE_10, 0, 1, false, cdb);
    cr_expect_eq(cmd(cdb, 10, 512), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
    uint8_t ms[6] = {SCSI_OP_MODE_SENSE_6, 0, SCSI_MODE_PAGE_ALL, 0, 192, 0};
    cr_assert_eq(cmd(ms, 6, 192), SCSI_STATUS_GOOD);
    cr_expect(buf[SCSI_MODE6_DEVICE_SPECIFIC] & SCSI_MODE_WP);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, mode_sense_gives_the_block_descriptor_and_the_caching_page)
{
    lu = make(1000, true, false);
    ready();
    uint8_t ms10[10] = {SCSI_OP_MODE_SENSE_10, 0, SCSI_MODE_PAGE_CACHING};
    ms10[SCSI_MODE_SENSE10_ALLOC_LENGTH + 1] = 255;
    cr_assert_eq(cmd(ms10, 10, 255), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, SCSI_MODE10_HEADER_BYTES + SCSI_MODE_BD_BYTES + 20);
    cr_expect_eq(buf[SCSI_MODE10_BD_LENGTH + 1], SCSI_MODE_BD_BYTES);
    const uint8_t *bd = buf + SCSI_MODE10_HEADER_BYTES;
    cr_expect_eq(bd[SCSI_MODE_BD_BLOCKS + 2], 0xe8, "1000 blocks");
    cr_expect_eq(bd[SCSI_MODE_BD_BLOCK_LENGTH + 1], 0x02, "512 bytes");
    const uint8_t *page = bd + SCSI_MODE_BD_BYTES;
    cr_expect_eq(page[0], SCSI_MODE_PAGE_CACHING);
    cr_expect(page[SCSI_CACHING_FLAGS] & SCSI_CACHING_WCE, "the write cache is on");
    uint8_t ms6[6] = {SCSI_OP_MODE_SENSE_6, SCSI_MODE_SENSE_DBD, SCSI_MODE_PAGE_CACHING, 0, 255, 0};
    cr_assert_eq(cmd(ms6, 6, 255), SCSI_STATUS_GOOD);
    cr_expect_eq(buf[SCSI_MODE6_BD_LENGTH], 0, "DBD: no block descriptor");
    cr_expect_eq(buf[SCSI_MODE6_HEADER_BYTES], SCSI_MODE_PAGE_CACHING);
    ms6[2] = 0x1c; /* a page this unit does not have */
    cr_expect_eq(cmd(ms6, 6, 255), SCSI_STATUS_CHECK_CONDITION);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_stopped_unit_is_not_ready_until_started)
{
    lu = make(1000, false, false);
    ready();
    uint8_t stop[6] = {SCSI_OP_START_STOP_UNIT};
    cr_assert_eq(cmd(stop, 6, 0), SCSI_STATUS_GOOD);
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_NOT_READY);
    stop[SCSI_START_STOP_FLAGS] = SCSI_START_STOP_START;
    cr_assert_eq(cmd(stop, 6, 0), SCSI_STATUS_GOOD);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD);
    uint8_t pa[6] = {SCSI_OP_PREVENT_ALLOW, 0, 0, 0, 3, 0};
    cr_expect_eq(cmd(pa, 6, 0), SCSI_STATUS_CHECK_CONDITION, "prevent 3 is reserved");
    pa[SCSI_PREVENT_ALLOW_FIELD] = SCSI_PREVENT_ALLOW_PREVENT;
    cr_expect_eq(cmd(pa, 6, 0), SCSI_STATUS_GOOD);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, synchronize_cache_makes_cached_writes_survive_a_power_loss)
{
    lu = make(1000, true, false);
    ready();
    uint8_t cdb[10];
    memset(buf, 0x77, 512);
    rw10(SCSI_OP_WRITE_10, 1, 1, false, cdb);
    cr_assert_eq(cmd(cdb, 10, 512), SCSI_STATUS_GOOD);
    uint8_t sync[10] = {SCSI_OP_SYNC_CACHE_10};
    cr_assert_eq(cmd(sync, 10, 0), SCSI_STATUS_GOOD);
    memset(buf, 0x88, 512);
    rw10(SCSI_OP_WRITE_10, 2, 1, false, cdb);
    cr_assert_eq(cmd(cdb, 10, 512), SCSI_STATUS_GOOD);
    memset(buf, 0x99, 512);
    rw10(SCSI_OP_WRITE_10, 3, 1, true, cdb); /* FUA */
    cr_assert_eq(cmd(cdb, 10, 512), SCSI_STATUS_GOOD);
    scsi_media_power_loss(scsi_lu_media(lu));
    rw10(SCSI_OP_READ_10, 1, 3, false, cdb);
    cr_assert_eq(cmd(cdb, 10, 1536), SCSI_STATUS_GOOD);
    cr_expect_eq(buf[0], 0x77, "synchronized");
    cr_expect_eq(buf[512], 0x00, "cached only: lost");
    cr_expect_eq(buf[1024], 0x99, "FUA");
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_host_that_moves_less_moves_whole_blocks_only)
{
    lu = make(1000, false, false);
    ready();
    uint8_t cdb[10];
    rw10(SCSI_OP_READ_10, 0, 8, false, cdb);
    cr_assert_eq(cmd(cdb, 10, 1000), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, 512, "1000 bytes asked for: one whole block");
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_removed_medium_is_not_present_and_its_return_is_a_unit_attention)
{
    lu = make(1000, false, false);
    ready();
    scsi_lu_set_medium(lu, false);
    cr_expect(!scsi_lu_medium_present(lu));
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY}, cdb[10];
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_MEDIUM_NOT_PRESENT);
    rw10(SCSI_OP_READ_10, 0, 1, false, cdb);
    struct scsi_intent it;
    scsi_lu_decode(lu, cdb, 10, &it);
    cr_expect_eq(it.dir, SCSI_DIR_NONE, "no medium, no data");
    uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0};
    cr_expect_eq(cmd(inq, 6, 36), SCSI_STATUS_GOOD, "the unit itself answers");
    scsi_lu_set_medium(lu, true);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_UNIT_ATTENTION, SCSI_ASC_MEDIUM_CHANGED);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD, "reported once");
    scsi_lu_set_medium(lu, true);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD, "putting back what is there changes nothing");
    scsi_lu_destroy(lu);
}

Test(scsi_lu, a_power_on_attention_goes_before_a_medium_change)
{
    lu = make(1000, false, false);
    scsi_lu_set_medium(lu, false);
    scsi_lu_set_medium(lu, true);
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_CHECK_CONDITION);
    expect_sense(SCSI_SENSE_KEY_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
    cr_expect_eq(cmd(tur, 6, 0), SCSI_STATUS_GOOD);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, the_intent_says_where_a_read_or_write_goes)
{
    lu = make(1000, false, false);
    ready();
    uint8_t cdb[10];
    rw10(SCSI_OP_WRITE_10, 77, 3, false, cdb);
    struct scsi_intent it;
    scsi_lu_decode(lu, cdb, 10, &it);
    cr_expect_eq(it.access, SCSI_ACCESS_WRITE);
    cr_expect_eq(it.lba, 77);
    cr_expect_eq(it.blocks, 3);
    uint8_t sync[10] = {SCSI_OP_SYNC_CACHE_10};
    scsi_lu_decode(lu, sync, 10, &it);
    cr_expect_eq(it.access, SCSI_ACCESS_FLUSH);
    scsi_lu_destroy(lu);
}

Test(scsi_lu, an_image_loaded_into_the_medium_reads_back_through_read_10)
{
    lu = make(64, true, false);
    uint8_t image[8 * 512] = {0};
    for (uint32_t i = 0; i < 512; i++)
        image[3 * 512 + i] = (uint8_t)(i * 7u + 1u);
    cr_assert_eq(scsi_media_load(scsi_lu_media(lu), 0, 8, image), IOSIM_OK);
    ready();
    uint8_t cdb[10];
    rw10(SCSI_OP_READ_10, 0, 8, false, cdb);
    cr_assert_eq(cmd(cdb, 10, sizeof image), SCSI_STATUS_GOOD);
    cr_expect_eq(moved, sizeof image);
    cr_expect(memcmp(buf, image, sizeof image) == 0);
    memset(buf, 0xee, 512);
    rw10(SCSI_OP_WRITE_10, 3, 1, false, cdb); /* into the cache, over the image */
    cr_assert_eq(cmd(cdb, 10, 512), SCSI_STATUS_GOOD);
    scsi_media_power_loss(scsi_lu_media(lu));
    rw10(SCSI_OP_READ_10, 3, 1, false, cdb);
    cr_assert_eq(cmd(cdb, 10, 512), SCSI_STATUS_GOOD);
    cr_expect(memcmp(buf, image + 3 * 512, 512) == 0, "the unflushed write is gone, the image's stays");
    scsi_lu_destroy(lu);
}
