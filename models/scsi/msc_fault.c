/* Fault rules of a Bulk-Only mass-storage device; see msc_fault.h. */
#include "models/scsi/msc_fault.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/usb_bot.h"

const char *msc_fault_csw_name(enum msc_fault_csw c)
{
    static const char *const names[] = {"ok", "bad_signature", "bad_tag", "bad_residue", "none"};
    _Static_assert(sizeof names / sizeof names[0] == MSC_FAULT_CSW_COUNT, "one name each");
    return (unsigned)c < MSC_FAULT_CSW_COUNT ? names[c] : "?";
}

const char *msc_fault_kind(uint8_t bot_case, enum msc_fault_csw csw)
{
    static const char *const cases[] = {
        "msc_case_1", "msc_case_2", "msc_case_3", "msc_case_4", "msc_case_5",
        "msc_case_6", "msc_case_7", "msc_case_8", "msc_case_9", "msc_case_10",
        "msc_case_11", "msc_case_12", "msc_case_13"};
    static const char *const csws[] = {"msc_csw", "msc_csw_bad_signature", "msc_csw_bad_tag",
                                       "msc_csw_bad_residue", "msc_csw_none"};
    _Static_assert(sizeof cases / sizeof cases[0] == USB_BOT_CASES, "one kind a case");
    _Static_assert(sizeof csws / sizeof csws[0] == MSC_FAULT_CSW_COUNT, "one kind a csw");
    if (bot_case >= 1 && bot_case <= USB_BOT_CASES)
        return cases[bot_case - 1];
    return (unsigned)csw < MSC_FAULT_CSW_COUNT ? csws[csw] : "msc_fault";
}

const char *msc_fault_rule_problem(const struct msc_fault_rule *r)
{
    if (r->command == 0)
        return "commands are counted from 1";
    if (r->count == 0)
        return "a rule applies to at least one command";
    if ((r->bot_case != 0) == (r->csw != MSC_FAULT_CSW_OK))
        return "a rule has either a `case` or a `csw`";
    if (r->bot_case > USB_BOT_CASES)
        return "the cases of BOT 6.7 are 1..13";
    if ((unsigned)r->csw >= MSC_FAULT_CSW_COUNT)
        return "no such CSW fault";
    if (r->opcode != MSC_FAULT_OPCODE_ANY && (r->opcode < 0 || r->opcode > 0xff))
        return "an opcode is a byte";
    return NULL;
}

void msc_fault_init(struct msc_fault *f, const struct msc_fault_rule *rules, uint32_t n)
{
    ASSERT(n <= MSC_FAULT_RULES_MAX);
    memset(f, 0, sizeof *f);
    for (uint32_t i = 0; i < n; i++)
        ASSERT(msc_fault_rule_problem(&rules[i]) == NULL);
    memcpy(f->rule, rules, n * sizeof *rules);
    f->n = n;
}

bool msc_fault_case_fits(uint8_t bot_case, enum msc_host_dir h)
{
    if (bot_case >= USB_BOT_CASE_1 && bot_case <= USB_BOT_CASE_3)
        return h == MSC_HOST_NONE;
    if (bot_case >= USB_BOT_CASE_4 && bot_case <= USB_BOT_CASE_8)
        return h == MSC_HOST_IN;
    return bot_case >= USB_BOT_CASE_9 && bot_case <= USB_BOT_CASE_13 && h == MSC_HOST_OUT;
}

static bool counts(const struct msc_fault_rule *r, enum msc_host_dir h, uint8_t opcode)
{
    if (r->opcode != MSC_FAULT_OPCODE_ANY && r->opcode != opcode)
        return false;
    return r->bot_case == 0 || msc_fault_case_fits(r->bot_case, h);
}

void msc_fault_next(struct msc_fault *f, enum msc_host_dir h, uint8_t opcode,
                    struct msc_fault_hit *out)
{
    ASSERT(f != NULL && out != NULL);
    *out = (struct msc_fault_hit){.case_rule = MSC_FAULT_NONE, .csw_rule = MSC_FAULT_NONE};
    for (uint32_t i = 0; i < f->n; i++) {
        const struct msc_fault_rule *r = &f->rule[i];
        if (!counts(r, h, opcode))
            continue;
        uint64_t k = ++f->seen[i];
        /* k - command < count, without overflow for a rule far ahead */
        if (k < r->command || k - r->command >= r->count)
            continue;
        if (r->bot_case != 0 && out->case_rule == MSC_FAULT_NONE)
            *out = (struct msc_fault_hit){.bot_case = r->bot_case, .case_rule = i,
                                          .case_command = k, .csw = out->csw,
                                          .csw_rule = out->csw_rule,
                                          .csw_command = out->csw_command};
        else if (r->bot_case == 0 && out->csw_rule == MSC_FAULT_NONE) {
            out->csw = r->csw;
            out->csw_rule = i;
            out->csw_command = k;
        }
    }
}

static uint32_t units(uint64_t bytes, uint32_t unit)
{
    return (uint32_t)(bytes / unit * unit);
}

void msc_fault_force(uint8_t bot_case, uint32_t host_len, uint32_t unit_bytes,
                     struct scsi_intent *it)
{
    ASSERT(it != NULL && unit_bytes >= 1);
    uint64_t more = (uint64_t)host_len + unit_bytes;
    uint32_t over = more > UINT32_MAX ? UINT32_MAX : (uint32_t)more;
    switch (bot_case) {
    case USB_BOT_CASE_2: *it = (struct scsi_intent){.dir = SCSI_DIR_IN, .bytes = unit_bytes}; break;
    case USB_BOT_CASE_3: *it = (struct scsi_intent){.dir = SCSI_DIR_OUT, .bytes = unit_bytes}; break;
    case USB_BOT_CASE_4:
    case USB_BOT_CASE_9: *it = (struct scsi_intent){.dir = SCSI_DIR_NONE}; break;
    case USB_BOT_CASE_5:
    case USB_BOT_CASE_11: {
        uint32_t half = units(host_len / 2u, unit_bytes);
        enum scsi_dir d = bot_case == USB_BOT_CASE_5 ? SCSI_DIR_IN : SCSI_DIR_OUT;
        *it = (struct scsi_intent){.dir = half == 0 ? SCSI_DIR_NONE : d, .bytes = half};
        break;
    }
    case USB_BOT_CASE_7: *it = (struct scsi_intent){.dir = SCSI_DIR_IN, .bytes = over}; break;
    case USB_BOT_CASE_13: *it = (struct scsi_intent){.dir = SCSI_DIR_OUT, .bytes = over}; break;
    case USB_BOT_CASE_8: *it = (struct scsi_intent){.dir = SCSI_DIR_OUT, .bytes = host_len}; break;
    case USB_BOT_CASE_10: *it = (struct scsi_intent){.dir = SCSI_DIR_IN, .bytes = host_len}; break;
    default: break; /* 1, 6, 12: as it is */
    }
}
