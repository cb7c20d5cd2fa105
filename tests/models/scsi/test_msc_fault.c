/* models/scsi/msc_fault: each case row (a host direction and length, the
 * device's own intent -> the intent the rule forces, and which case the
 * pair makes), then counting: from 1, by opcode, by direction, `count`. */
#include <criterion/criterion.h>

#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_fault.h"

/* The case a host expectation and a device intent make [BOT 6.7]. */
static uint8_t case_of(enum msc_host_dir h, uint32_t host_len, struct scsi_intent it)
{
    if (h == MSC_HOST_NONE)
        return it.dir == SCSI_DIR_NONE ? 1 : it.dir == SCSI_DIR_IN ? 2 : 3;
    if (h == MSC_HOST_IN)
        return it.dir == SCSI_DIR_NONE  ? 4
               : it.dir == SCSI_DIR_OUT ? 8
               : it.bytes < host_len    ? 5
               : it.bytes == host_len   ? 6 : 7;
    return it.dir == SCSI_DIR_NONE  ? 9
           : it.dir == SCSI_DIR_IN  ? 10
           : it.bytes < host_len    ? 11
           : it.bytes == host_len   ? 12 : 13;
}

struct row {
    uint8_t bot_case;
    enum msc_host_dir h;
    uint32_t host_len, unit;
    struct scsi_intent own, forced;
};

static const struct row rows[] = {
    {1, MSC_HOST_NONE, 0, 1, {.dir = SCSI_DIR_NONE, .bytes = 0}, {.dir = SCSI_DIR_NONE, .bytes = 0}},
    {2, MSC_HOST_NONE, 0, 1, {.dir = SCSI_DIR_NONE, .bytes = 0}, {.dir = SCSI_DIR_IN, .bytes = 1}},
    {3, MSC_HOST_NONE, 0, 512, {.dir = SCSI_DIR_NONE, .bytes = 0}, {.dir = SCSI_DIR_OUT, .bytes = 512}},
    {4, MSC_HOST_IN, 4096, 512, {.dir = SCSI_DIR_IN, .bytes = 4096}, {.dir = SCSI_DIR_NONE, .bytes = 0}},
    {5, MSC_HOST_IN, 4096, 512, {.dir = SCSI_DIR_IN, .bytes = 4096}, {.dir = SCSI_DIR_IN, .bytes = 2048}},
    {5, MSC_HOST_IN, 3 * 512, 512, {.dir = SCSI_DIR_IN, .bytes = 1536}, {.dir = SCSI_DIR_IN, .bytes = 512}}, /* rounded down */
    {5, MSC_HOST_IN, 36, 1, {.dir = SCSI_DIR_IN, .bytes = 36}, {.dir = SCSI_DIR_IN, .bytes = 18}},
    {6, MSC_HOST_IN, 36, 1, {.dir = SCSI_DIR_IN, .bytes = 36}, {.dir = SCSI_DIR_IN, .bytes = 36}},
    {7, MSC_HOST_IN, 4096, 512, {.dir = SCSI_DIR_IN, .bytes = 4096}, {.dir = SCSI_DIR_IN, .bytes = 4608}},
    {8, MSC_HOST_IN, 4096, 512, {.dir = SCSI_DIR_IN, .bytes = 4096}, {.dir = SCSI_DIR_OUT, .bytes = 4096}},
    {9, MSC_HOST_OUT, 4096, 512, {.dir = SCSI_DIR_OUT, .bytes = 4096}, {.dir = SCSI_DIR_NONE, .bytes = 0}},
    {10, MSC_HOST_OUT, 4096, 512, {.dir = SCSI_DIR_OUT, .bytes = 4096}, {.dir = SCSI_DIR_IN, .bytes = 4096}},
    {11, MSC_HOST_OUT, 4096, 512, {.dir = SCSI_DIR_OUT, .bytes = 4096}, {.dir = SCSI_DIR_OUT, .bytes = 2048}},
    {12, MSC_HOST_OUT, 4096, 512, {.dir = SCSI_DIR_OUT, .bytes = 4096}, {.dir = SCSI_DIR_OUT, .bytes = 4096}},
    {13, MSC_HOST_OUT, 4096, 512, {.dir = SCSI_DIR_OUT, .bytes = 4096}, {.dir = SCSI_DIR_OUT, .bytes = 4608}},
};

Test(msc_fault, each_case_row_forces_the_intent_that_makes_the_case)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct scsi_intent it = r->own;
        cr_expect(msc_fault_case_fits(r->bot_case, r->h), "row %zu", i);
        msc_fault_force(r->bot_case, r->host_len, r->unit, &it);
        cr_expect_eq(it.dir, r->forced.dir, "row %zu (case %u)", i, r->bot_case);
        cr_expect_eq(it.bytes, r->forced.bytes, "row %zu (case %u)", i, r->bot_case);
        cr_expect_eq(case_of(r->h, r->host_len, it), r->bot_case, "row %zu", i);
    }
}

Test(msc_fault, half_of_one_block_is_no_data_which_is_case_4)
{
    struct scsi_intent it = {.dir = SCSI_DIR_IN, .bytes = 512};
    msc_fault_force(USB_BOT_CASE_5, 512, 512, &it);
    cr_expect_eq(it.dir, SCSI_DIR_NONE);
    cr_expect_eq(case_of(MSC_HOST_IN, 512, it), USB_BOT_CASE_4);
}

Test(msc_fault, a_case_fits_only_its_host_direction)
{
    for (uint8_t c = 1; c <= USB_BOT_CASES; c++) {
        enum msc_host_dir want = c <= 3 ? MSC_HOST_NONE : c <= 8 ? MSC_HOST_IN : MSC_HOST_OUT;
        for (int h = MSC_HOST_NONE; h <= MSC_HOST_OUT; h++)
            cr_expect_eq(msc_fault_case_fits(c, (enum msc_host_dir)h), h == (int)want, "case %u", c);
    }
    cr_expect(!msc_fault_case_fits(0, MSC_HOST_NONE));
    cr_expect(!msc_fault_case_fits(14, MSC_HOST_OUT));
}

Test(msc_fault, rules_count_matching_commands_from_one)
{
    struct msc_fault_rule r[] = {
        {.command = 2, .count = 2, .bot_case = 5, .opcode = 0x28},
        {.command = 1, .count = 1, .csw = MSC_FAULT_CSW_BAD_TAG, .opcode = MSC_FAULT_OPCODE_ANY},
    };
    struct msc_fault f;
    msc_fault_init(&f, r, 2);
    struct msc_fault_hit h;
    msc_fault_next(&f, MSC_HOST_IN, 0x28, &h); /* read 1: the csw rule's first */
    cr_expect_eq(h.bot_case, 0);
    cr_expect_eq(h.csw, MSC_FAULT_CSW_BAD_TAG);
    cr_expect_eq(h.csw_rule, 1);
    msc_fault_next(&f, MSC_HOST_NONE, 0x28, &h); /* no data: case 5 does not count it */
    cr_expect_eq(h.bot_case, 0);
    cr_expect_eq(h.csw, MSC_FAULT_CSW_OK);
    msc_fault_next(&f, MSC_HOST_IN, 0x12, &h); /* another opcode */
    cr_expect_eq(h.bot_case, 0);
    msc_fault_next(&f, MSC_HOST_IN, 0x28, &h); /* read 2 */
    cr_expect_eq(h.bot_case, 5);
    cr_expect_eq(h.case_rule, 0);
    cr_expect_eq(h.case_command, 2);
    msc_fault_next(&f, MSC_HOST_IN, 0x28, &h); /* read 3 */
    cr_expect_eq(h.bot_case, 5);
    msc_fault_next(&f, MSC_HOST_IN, 0x28, &h); /* read 4: past count */
    cr_expect_eq(h.bot_case, 0);
}

Test(msc_fault, a_malformed_rule_says_why)
{
    struct msc_fault_rule ok = {.command = 1, .count = 1, .bot_case = 13, .opcode = -1};
    cr_expect_null(msc_fault_rule_problem(&ok));
    struct msc_fault_rule bad[] = {
        {.command = 0, .count = 1, .bot_case = 1, .opcode = -1},
        {.command = 1, .count = 0, .bot_case = 1, .opcode = -1},
        {.command = 1, .count = 1, .opcode = -1},
        {.command = 1, .count = 1, .bot_case = 2, .csw = MSC_FAULT_CSW_NONE, .opcode = -1},
        {.command = 1, .count = 1, .bot_case = 14, .opcode = -1},
        {.command = 1, .count = 1, .bot_case = 1, .opcode = 256},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not_null(msc_fault_rule_problem(&bad[i]), "rule %zu", i);
    cr_expect_str_eq(msc_fault_csw_name(MSC_FAULT_CSW_BAD_RESIDUE), "bad_residue");
}
