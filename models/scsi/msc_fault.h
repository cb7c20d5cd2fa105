/*
 * msc_fault.h - fault rules of a Bulk-Only mass-storage device: which
 * commands of its life get a host/device case of BOT 6.7 other than the
 * one the command would have, or a CSW that is wrong (or never comes), so
 * a host driver's handling of each can be provoked from a scenario.
 *
 *     struct msc_fault f;
 *     msc_fault_init(&f, rules, n);
 *     ... for every valid CBW:
 *     struct msc_fault_hit hit;
 *     msc_fault_next(&f, MSC_HOST_IN, cdb[0], &hit);
 *     if (hit.bot_case != 0)
 *         msc_fault_force(hit.bot_case, host_len, block_bytes, &intent);
 *
 * Counting. A rule applies to the commands `command` .. `command + count -
 * 1` of those it counts: valid CBWs, from 1 over the device's life, only
 * those with `opcode` when the rule has one, and for a `case` rule only
 * those whose host direction allows the case (1-3: no data, 4-8: Data-In,
 * 9-13: Data-Out); a command whose direction does not fit is not counted
 * by that rule. A `csw` rule counts every direction. When two rules hit
 * one command, the first case rule and the first csw rule in the list win
 * (both are counted either way).
 *
 * Pure state, no clock, no I/O: the caller (msc_bot.c) does the rest.
 */
#ifndef IOSIM_MSC_FAULT_H
#define IOSIM_MSC_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/scsi/scsi_lu.h"

#define MSC_FAULT_RULES_MAX 16u
#define MSC_FAULT_OPCODE_ANY (-1)
#define MSC_FAULT_NONE UINT32_MAX       /* no rule hit */

/* What a csw rule does to the command's CSW. */
enum msc_fault_csw {
    MSC_FAULT_CSW_OK,                   /* nothing: a case rule */
    MSC_FAULT_CSW_BAD_SIGNATURE,        /* dCSWSignature is not "USBS" */
    MSC_FAULT_CSW_BAD_TAG,              /* dCSWTag is not the CBW's */
    MSC_FAULT_CSW_BAD_RESIDUE,          /* dCSWDataResidue above dCBWDataTransferLength [BOT 6.3] */
    MSC_FAULT_CSW_NONE,                 /* no CSW at all: NAK until a reset */
    MSC_FAULT_CSW_COUNT
};

/* The host's direction in the CBW (none when dCBWDataTransferLength is 0). */
enum msc_host_dir { MSC_HOST_NONE, MSC_HOST_IN, MSC_HOST_OUT };

/* Exactly one of bot_case (1..13) and csw (not OK) is set. */
struct msc_fault_rule {
    uint64_t command;                   /* >= 1: the first command it applies to */
    uint32_t count;                     /* >= 1: commands in a row */
    uint8_t bot_case;                   /* USB_BOT_CASE_*, 0: a csw rule */
    enum msc_fault_csw csw;
    int32_t opcode;                     /* 0..255, MSC_FAULT_OPCODE_ANY */
};

struct msc_fault {
    struct msc_fault_rule rule[MSC_FAULT_RULES_MAX];
    uint64_t seen[MSC_FAULT_RULES_MAX]; /* commands each rule counted */
    uint32_t n;
};

/* What the rules do to one command. */
struct msc_fault_hit {
    uint8_t bot_case;                   /* 0: none */
    uint32_t case_rule;                 /* its rule's index, MSC_FAULT_NONE */
    enum msc_fault_csw csw;
    uint32_t csw_rule;
    uint64_t case_command, csw_command; /* the command's number as its rule counted it */
};

/* NULL when the rule is well formed, else why not (for the loader). */
const char *msc_fault_rule_problem(const struct msc_fault_rule *r);
void msc_fault_init(struct msc_fault *f, const struct msc_fault_rule *rules, uint32_t n);
/* May case `bot_case` (1..13) arise with the host expecting `h`? */
bool msc_fault_case_fits(uint8_t bot_case, enum msc_host_dir h);
/* One valid CBW: counts it for each rule and says which fire. */
void msc_fault_next(struct msc_fault *f, enum msc_host_dir h, uint8_t opcode,
                    struct msc_fault_hit *out);
/* The intent a device has so that `bot_case` arises against a host that
 * expects host_len bytes (its direction fits the case): cases 1, 6, 12
 * leave it as it is; 2 / 3 want data in / out; 4 and 9 want none; 5 and
 * 11 half of host_len, rounded down to whole units (unit_bytes: the
 * block for READ and WRITE, else 1; may come to 0: no data); 7 and 13 a
 * unit more than host_len; 8 and 10 the wrong direction. */
void msc_fault_force(uint8_t bot_case, uint32_t host_len, uint32_t unit_bytes,
                     struct scsi_intent *it);
/* The fault's kind, as a trace's fault row names it: "msc_case_5",
 * "msc_csw_bad_tag", ... (static strings). */
const char *msc_fault_kind(uint8_t bot_case, enum msc_fault_csw csw);
/* "bad_signature", ... ("ok" for MSC_FAULT_CSW_OK). */
const char *msc_fault_csw_name(enum msc_fault_csw c);

#endif /* IOSIM_MSC_FAULT_H */
