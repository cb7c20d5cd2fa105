/* The USB family's fault swarm (sim/scenario/family.h, swarm_kinds and
 * swarm_apply): what a scenario's `fuzz.faults:` may give a usb_zero,
 * usb_device or usb_storage device, fitted to its config, and adding one
 * to a run's copy of the config - as if the scenario had said it:
 *
 *   usb_stall, usb_xact_error, usb_nak (usb_zero, usb_storage), usb_babble
 *   (IN endpoints): a `faults:` rule {endpoint, after, count};
 *   unplug (all three): the plug period holding `at` is cut there and
 *   resumes `for` later (a power loss for usb_storage); nothing when the
 *   device is not plugged in at `at`;
 *   media_error (usb_storage): unit 0's block `lba` fails reads;
 *   removal (usb_storage): unit 0's medium is out from `at` for `for`
 *   (nothing when it would overlap a removal the scenario has);
 *   bot_case, bot_csw (usb_storage): a `bot_faults:` rule on the
 *   `command`th command with that case (1..13) or CSW fault (1
 *   bad_signature, 2 bad_tag, 3 bad_residue, 4 none). */
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_family.h"

enum swarm_kind {
    SW_STALL, SW_XACT, SW_NAK, SW_BABBLE, SW_UNPLUG, SW_MEDIA, SW_REMOVAL, SW_CASE, SW_CSW,
    SW_COUNT
};

static const char *const kind_names[SW_COUNT] = {
    "usb_stall", "usb_xact_error", "usb_nak", "usb_babble", "unplug", "media_error", "removal",
    "bot_case", "bot_csw"};

#define P_NUM(n, l, h, dl, dh) {.name = n, .lo = l, .hi = h, .draw_lo = dl, .draw_hi = dh}
#define P_TIME(n, l, h, dl, dh) \
    {.name = n, .unit = SIM_SWARM_TIME, .lo = l, .hi = h, .draw_lo = dl, .draw_hi = dh}

/* The bulk and interrupt endpoints the device's function has (IN only
 * for babble); 0 for a device of raw descriptors (unknown). */
static uint32_t endpoints(uint32_t type, bool in_only, uint64_t *out)
{
    static const uint64_t zero[] = {0x81, 0x82, 0x01}, storage[] = {0x81, 0x02};
    const uint64_t *e = type == USB_FAMILY_ZERO ? zero : storage;
    uint32_t n = type == USB_FAMILY_ZERO ? 3 : type == USB_FAMILY_STORAGE ? 2 : 0, k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!in_only || (e[i] & 0x80) != 0)
            out[k++] = e[i];
    return k;
}

static struct sim_swarm_kind kind_of(const struct usb_family_config *c, uint32_t type,
                                     enum swarm_kind k)
{
    struct sim_swarm_kind out = {.param_count = 0};
    snprintf(out.name, sizeof out.name, "%s", kind_names[k]);
    struct sim_swarm_param *p = out.params;
    if (k <= SW_BABBLE) {
        p[0] = (struct sim_swarm_param){.name = "endpoint", .unit = SIM_SWARM_HEX};
        p[0].choice_count = endpoints(type, k == SW_BABBLE, p[0].choices);
        p[1] = (struct sim_swarm_param)P_NUM("after", 0, 1000000, 0, 200);
        p[2] = (struct sim_swarm_param)P_NUM("count", 1, 1000, 1, 3);
        out.param_count = 3;
    } else if (k == SW_UNPLUG || k == SW_REMOVAL) {
        p[0] = (struct sim_swarm_param)P_TIME("at", 0, 3600 * SIM_S, 0, 20 * SIM_MS);
        p[1] = (struct sim_swarm_param)P_TIME("for", SIM_US, SIM_S, SIM_MS, 20 * SIM_MS);
        out.param_count = 2;
    } else if (k == SW_MEDIA) {
        uint64_t last = c->storage.lu[0].media.blocks - 1;
        p[0] = (struct sim_swarm_param)P_NUM("lba", 0, last, 0, last < 2047 ? last : 2047);
        out.param_count = 1;
    } else {
        p[0] = (struct sim_swarm_param)P_NUM("command", 1, 1000000, 1, 200);
        p[1] = k == SW_CASE ? (struct sim_swarm_param)P_NUM("case", 1, 13, 1, 13)
                            : (struct sim_swarm_param)P_NUM("csw", 1, MSC_FAULT_CSW_COUNT - 1, 1,
                                                            MSC_FAULT_CSW_COUNT - 1);
        out.param_count = 2;
    }
    return out;
}

static bool offers(uint32_t type, enum swarm_kind k)
{
    if (k == SW_UNPLUG)
        return true;
    if (k <= SW_BABBLE)
        return type != USB_FAMILY_DEVICE;
    return type == USB_FAMILY_STORAGE;
}

uint32_t usb_family_swarm_kinds(const void *config, uint32_t type, struct sim_swarm_kind *out,
                            uint32_t cap)
{
    ASSERT(config != NULL && out != NULL);
    uint32_t n = 0;
    for (uint32_t k = 0; k < SW_COUNT && n < cap; k++)
        if (offers(type, (enum swarm_kind)k))
            out[n++] = kind_of(config, type, (enum swarm_kind)k);
    return n;
}

/* The kind behind index `kind` of what swarm_kinds gave for `type`. */
static enum swarm_kind nth_kind(uint32_t type, uint32_t kind)
{
    for (uint32_t k = 0; k < SW_COUNT; k++)
        if (offers(type, (enum swarm_kind)k) && kind-- == 0)
            return (enum swarm_kind)k;
    return SW_COUNT;
}

/* The plug period holding `at` ends there and resumes `d` later. */
static enum iosim_err add_unplug(struct usb_family_config *c, sim_time_ps at, sim_time_ps d,
                                 const char **why)
{
    for (uint32_t i = 0; i < c->plug_count; i++) {
        struct usb_plug *p = &c->plugs[i];
        if (at <= p->at_ps || at >= p->until_ps)
            continue;
        sim_time_ps back = at + d, until = p->until_ps;
        p->until_ps = at;
        if (back >= until)
            return IOSIM_OK;
        if (c->plug_count == USB_FAMILY_PLUGS_MAX) {
            *why = "its plug periods are full";
            return IOSIM_ENOSPC;
        }
        memmove(p + 2, p + 1, (c->plug_count - i - 1) * sizeof *p);
        p[1] = (struct usb_plug){.at_ps = back, .until_ps = until};
        c->plug_count++;
        return IOSIM_OK;
    }
    return IOSIM_OK; /* not plugged in then: nothing to pull */
}

/* Unit 0's medium out during [at, at + d), unless a removal of the
 * scenario's overlaps it. */
static enum iosim_err add_removal(struct usb_family_config *c, sim_time_ps at, sim_time_ps d,
                                  const char **why)
{
    uint32_t i = 0;
    while (i < c->removal_count && c->removals[i].at_ps < at)
        i++;
    bool clear_before = i == 0 || (c->removals[i - 1].until_ps != USB_FAMILY_FOREVER &&
                                   c->removals[i - 1].until_ps < at);
    bool clear_after = i == c->removal_count || c->removals[i].at_ps > at + d;
    if (!clear_before || !clear_after)
        return IOSIM_OK;
    if (c->removal_count == USB_STORAGE_REMOVALS_MAX) {
        *why = "its removal periods are full";
        return IOSIM_ENOSPC;
    }
    memmove(&c->removals[i + 1], &c->removals[i],
            (c->removal_count - i) * sizeof c->removals[0]);
    c->removals[i] = (struct usb_storage_removal){.lun = 0, .at_ps = at, .until_ps = at + d};
    c->removal_count++;
    return IOSIM_OK;
}

static enum iosim_err add_bot(struct usb_family_config *c, enum swarm_kind k, const uint64_t *v,
                              const char **why)
{
    struct msc_bot_config *b = &c->storage;
    if (b->fault_count == MSC_FAULT_RULES_MAX) {
        *why = "its bot fault rules are full";
        return IOSIM_ENOSPC;
    }
    struct msc_fault_rule r = {.command = v[0], .count = 1, .opcode = MSC_FAULT_OPCODE_ANY};
    if (k == SW_CASE)
        r.bot_case = (uint8_t)v[1];
    else
        r.csw = (enum msc_fault_csw)v[1];
    ASSERT(msc_fault_rule_problem(&r) == NULL);
    b->faults[b->fault_count++] = r;
    return IOSIM_OK;
}

static enum iosim_err add_rule(struct usb_family_config *c, enum swarm_kind k, const uint64_t *v,
                               const char **why)
{
    static const enum usb_result result[] = {USB_STALL, USB_XACT_ERR, USB_NAK, USB_BABBLE};
    if (c->fault_count == USB_FAULT_RULES_MAX) {
        *why = "its fault rules are full";
        return IOSIM_ENOSPC;
    }
    struct usb_fault_rule r = {.ep_addr = (uint8_t)v[0], .after = (uint32_t)v[1],
                               .count = (uint32_t)v[2], .result = result[k]};
    ASSERT(usb_fault_rule_problem(&r) == NULL);
    c->faults[c->fault_count++] = r;
    return IOSIM_OK;
}

enum iosim_err usb_family_swarm_apply(void *config, uint32_t type, uint32_t kind,
                                  const uint64_t *values, const char **why)
{
    ASSERT(config != NULL && values != NULL);
    struct usb_family_config *c = config;
    enum swarm_kind k = nth_kind(type, kind);
    ASSERT(k != SW_COUNT);
    switch (k) {
    case SW_UNPLUG: return add_unplug(c, values[0], values[1], why);
    case SW_REMOVAL: return add_removal(c, values[0], values[1], why);
    case SW_CASE:
    case SW_CSW: return add_bot(c, k, values, why);
    case SW_MEDIA:
        if (c->media_error_count == SCSI_MEDIA_ERRORS_MAX) {
            *why = "its media errors are full";
            return IOSIM_ENOSPC;
        }
        c->media_errors[c->media_error_count++] =
            (struct usb_storage_error){.lun = 0, .lba = values[0], .blocks = 1};
        return IOSIM_OK;
    case SW_STALL:
    case SW_XACT:
    case SW_NAK:
    case SW_BABBLE: return add_rule(c, k, values, why);
    case SW_COUNT: break;
    }
    *why = "no such fault";
    return IOSIM_EINVAL;
}
