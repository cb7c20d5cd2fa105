/* The USB family's scenario keys: a `type: usb_zero` or `type: usb_device`
 * entry into struct usb_family_config, every problem at its position. See
 * usb_family.h and docs/scenario-format.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/scsi_cache.h"
#include "models/usb/usb_family.h"
#include "models/xhci/xhci_family.h"
#include "sim/scenario/image_file.h"

#define CHECK SIM_SCN_CHECK

#define ZERO_NAK_FIRST_MAX 1000000u
#define ZERO_STREAM_BYTES_MAX (1ull << 48)

/* ---- where it is plugged in --------------------------------------------------------------------- */

/* The controller: an xhci device declared before this one (every device
 * loaded so far is). */
static enum iosim_err find_controller(struct sim_family_loader *l, const struct yml_node *map,
                                      char name[SIM_NAME_MAX], const struct sim_scn_device **out)
{
    const struct yml_node *v;
    CHECK(yml_require(l->doc, map, "controller", "a USB device", &v, l->err));
    CHECK(sim_family_name(l, v, name, SIM_NAME_MAX));
    for (uint32_t i = 0; i < sim_family_device_count(l); i++) {
        const struct sim_scn_device *d = sim_family_device_at(l, i);
        if (strcmp(d->name, name) != 0)
            continue;
        if (d->family != &xhci_family)
            return yml_error_at(l->doc, v, l->err, "'%s' is a %s device, not an xhci controller",
                                name, d->family->types[d->type]);
        *out = d;
        return IOSIM_OK;
    }
    return yml_error_at(l->doc, v, l->err, "no xhci controller named '%s' before this device",
                        name);
}

static enum iosim_err load_speed(struct sim_family_loader *l, const struct yml_node *map,
                                 uint32_t type, enum usb_speed *speed)
{
    static const char *const names[] = {"low", "full", "high", "super", "super_plus"};
    _Static_assert(sizeof names / sizeof names[0] == USB_SPEED_COUNT, "one name per speed");
    const struct yml_node *v = yml_map_get(map, "speed");
    size_t pick = USB_SPEED_HIGH;
    if (v != NULL)
        CHECK(yml_get_enum(l->doc, v, names, USB_SPEED_COUNT, &pick, l->err));
    if (type == USB_FAMILY_ZERO && pick == USB_SPEED_LOW)
        return yml_error_at(l->doc, v, l->err,
                            "gadget zero has bulk endpoints, which low speed does not allow");
    *speed = (enum usb_speed)pick;
    return IOSIM_OK;
}

/* A root port of the controller whose protocol carries the speed. */
static enum iosim_err load_port(struct sim_family_loader *l, const struct yml_node *map,
                                const struct sim_scn_device *ctl, struct usb_family_config *c)
{
    const struct xhci_profile *p = xhci_family_profile(ctl);
    const struct yml_node *v;
    uint64_t u;
    CHECK(yml_require(l->doc, map, "port", "a USB device", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 1, xhci_profile_ports(p), &u, l->err));
    c->port = (uint32_t)u;
    bool usb3 = xhci_profile_port_usb3(p, c->port);
    if (usb3 != usb_speed_is_super(c->speed))
        return yml_error_at(l->doc, v, l->err,
                            "port %u of '%s' (%s) is a USB %d port: a %s speed device needs a "
                            "USB %d port", c->port, ctl->name, p->name, usb3 ? 3 : 2,
                            usb_speed_name(c->speed), usb3 ? 2 : 3);
    return IOSIM_OK;
}

/* `plug: [{at: T, until: T}, ...]`: periods in time order, apart, only
 * the last without `until`. Absent: plugged in at 0 for good. */
static enum iosim_err load_plug(struct sim_family_loader *l, const struct yml_node *item,
                                bool last, struct usb_plug *p)
{
    static const char *const k[] = {"at", "until", NULL};
    const struct yml_node *v;
    CHECK(yml_get_map(l->doc, item, &item, l->err));
    CHECK(yml_check_keys(l->doc, item, k, "a plug period", l->err));
    CHECK(yml_require(l->doc, item, "at", "a plug period", &v, l->err));
    CHECK(yml_get_time_ps(l->doc, v, 0, USB_FAMILY_FOREVER - 1, &p->at_ps, l->err));
    p->until_ps = USB_FAMILY_FOREVER;
    if ((v = yml_map_get(item, "until")) == NULL)
        return last ? IOSIM_OK
                    : yml_error_at(l->doc, item, l->err,
                                   "only the last plug period may leave out `until`");
    CHECK(yml_get_time_ps(l->doc, v, 0, USB_FAMILY_FOREVER - 1, &p->until_ps, l->err));
    if (p->until_ps <= p->at_ps)
        return yml_error_at(l->doc, v, l->err, "`until` must come after `at`");
    return IOSIM_OK;
}

static enum iosim_err load_plugs(struct sim_family_loader *l, const struct yml_node *map,
                                 struct usb_family_config *c)
{
    const struct yml_node *seq = yml_map_get(map, "plug");
    if (seq == NULL) {
        c->plugs[0] = (struct usb_plug){.at_ps = 0, .until_ps = USB_FAMILY_FOREVER};
        c->plug_count = 1;
        return IOSIM_OK;
    }
    CHECK(yml_get_seq(l->doc, seq, &seq, l->err));
    size_t n = yml_seq_len(seq);
    if (n > USB_FAMILY_PLUGS_MAX)
        return yml_error_at(l->doc, seq, l->err, "at most %u plug periods", USB_FAMILY_PLUGS_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct yml_node *item = yml_seq_item(seq, i);
        CHECK(load_plug(l, item, i + 1 == n, &c->plugs[i]));
        if (i > 0 && c->plugs[i].at_ps <= c->plugs[i - 1].until_ps)
            return yml_error_at(l->doc, item, l->err,
                                "plugged in again before the previous period's `until`");
    }
    c->plug_count = (uint32_t)n;
    return IOSIM_OK;
}

static bool periods_overlap(const struct usb_family_config *a, const struct usb_family_config *b)
{
    for (uint32_t i = 0; i < a->plug_count; i++)
        for (uint32_t k = 0; k < b->plug_count; k++)
            if (a->plugs[i].at_ps < b->plugs[k].until_ps &&
                b->plugs[k].at_ps < a->plugs[i].until_ps)
                return true;
    return false;
}

/* One device per port at a time: the port is not shared while both are
 * plugged in (the controller would refuse the second). */
static enum iosim_err check_port_free(struct sim_family_loader *l, const struct yml_node *map,
                                      const struct usb_family_config *c)
{
    uint32_t n = sim_family_device_count(l);
    for (uint32_t i = 0; i + 1 < n; i++) { /* the last is this device */
        const struct sim_scn_device *d = sim_family_device_at(l, i);
        if (d->family != &usb_family)
            continue;
        const struct usb_family_config *o = d->config;
        if (o->port != c->port || strcmp(o->controller, c->controller) != 0 ||
            !periods_overlap(o, c))
            continue;
        const struct yml_node *at = yml_map_get(map, "plug");
        return yml_error_at(l->doc, at != NULL ? at : yml_map_get(map, "port"), l->err,
                            "'%s' is plugged into port %u of '%s' at the same time", d->name,
                            c->port, c->controller);
    }
    return IOSIM_OK;
}

/* ---- fault rules --------------------------------------------------------------------------------- */

static enum iosim_err load_fault(struct sim_family_loader *l, const struct yml_node *item,
                                 struct usb_fault_rule *r)
{
    static const char *const k[] = {"endpoint", "after", "result", "count", NULL};
    static const char *const results[] = {"stall", "xact_error", "babble", "nak"};
    static const enum usb_result codes[] = {USB_STALL, USB_XACT_ERR, USB_BABBLE, USB_NAK};
    const struct yml_node *v;
    uint64_t u;
    size_t pick;
    CHECK(yml_get_map(l->doc, item, &item, l->err));
    CHECK(yml_check_keys(l->doc, item, k, "a fault rule", l->err));
    CHECK(yml_require(l->doc, item, "endpoint", "a fault rule", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 0, 0xff, &u, l->err));
    /* the endpoint alone first, so its problem is reported at it */
    *r = (struct usb_fault_rule){.ep_addr = (uint8_t)u, .count = 1, .result = USB_STALL};
    if (usb_fault_rule_problem(r) != NULL)
        return yml_error_at(l->doc, v, l->err, "%s", usb_fault_rule_problem(r));
    if ((v = yml_map_get(item, "after")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 0, UINT32_MAX, &u, l->err));
        r->after = (uint32_t)u;
    }
    if ((v = yml_map_get(item, "count")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 1, UINT32_MAX, &u, l->err));
        r->count = (uint32_t)u;
    }
    CHECK(yml_require(l->doc, item, "result", "a fault rule", &v, l->err));
    CHECK(yml_get_enum(l->doc, v, results, sizeof results / sizeof results[0], &pick, l->err));
    r->result = codes[pick];
    if (usb_fault_rule_problem(r) != NULL)
        return yml_error_at(l->doc, v, l->err, "%s", usb_fault_rule_problem(r));
    return IOSIM_OK;
}

static enum iosim_err load_faults(struct sim_family_loader *l, const struct yml_node *map,
                                  struct usb_family_config *c)
{
    const struct yml_node *seq = yml_map_get(map, "faults");
    if (seq == NULL)
        return IOSIM_OK;
    CHECK(yml_get_seq(l->doc, seq, &seq, l->err));
    size_t n = yml_seq_len(seq);
    if (n > USB_FAULT_RULES_MAX)
        return yml_error_at(l->doc, seq, l->err, "at most %u fault rules", USB_FAULT_RULES_MAX);
    for (size_t i = 0; i < n; i++)
        CHECK(load_fault(l, yml_seq_item(seq, i), &c->faults[i]));
    c->fault_count = (uint32_t)n;
    return IOSIM_OK;
}

/* ---- gadget zero's knobs ------------------------------------------------------------------------- */

static enum iosim_err load_zero(struct sim_family_loader *l, const struct yml_node *map,
                                const char *name, struct usb_family_config *c)
{
    static const char *const modes[] = {"source_sink", "loopback"};
    struct usb_zero_config *z = &c->zero;
    const struct yml_node *v;
    uint64_t u;
    size_t pick;
    usb_zero_config_default(z);
    z->name = name;
    z->speed = c->speed;
    if ((v = yml_map_get(map, "mode")) != NULL) {
        CHECK(yml_get_enum(l->doc, v, modes, USB_ZERO_MODE_COUNT, &pick, l->err));
        z->mode = (enum usb_zero_mode)pick;
    }
    if ((v = yml_map_get(map, "stream_length")) != NULL)
        CHECK(yml_get_size(l->doc, v, 0, ZERO_STREAM_BYTES_MAX, &z->in_stream_bytes, l->err));
    if ((v = yml_map_get(map, "in_nak_first")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 0, ZERO_NAK_FIRST_MAX, &u, l->err));
        z->in_nak_first = (uint32_t)u;
    }
    if ((v = yml_map_get(map, "queue_size")) != NULL) {
        /* at least one bulk packet at the speed: 64, 512 or 1024 bytes */
        uint64_t mps = c->speed == USB_SPEED_FULL ? 64 : c->speed == USB_SPEED_HIGH ? 512 : 1024;
        CHECK(yml_get_size(l->doc, v, mps, USB_ZERO_LOOP_QUEUE_MAX_BYTES, &u, l->err));
        z->loop_queue_bytes = (uint32_t)u;
    }
    if ((v = yml_map_get(map, "max_burst")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 0, USB_SSC_MAX_BURST_MAX, &u, l->err));
        z->ss_max_burst = (uint8_t)u;
    }
    return IOSIM_OK;
}

/* ---- mass storage ---------------------------------------------------------------------------------- */

#define STORAGE_BLOCKS_DEFAULT (1ull << 21) /* 1 GiB of 512-byte blocks */

/* `profile:` as a built-in's name; false (no error) when it is none. */
static bool builtin_profile(const struct yml_node *v, const struct scsi_profile **out)
{
    const char *t = yml_kind(v) == YML_SCALAR ? yml_scalar_text(v) : NULL;
    *out = t != NULL ? scsi_profile_find(t) : NULL;
    return *out != NULL;
}

static enum iosim_err builtin_names(struct sim_family_loader *l, const struct yml_node *v,
                                    const char *what)
{
    char names[160] = "";
    for (size_t i = 0; scsi_profiles[i] != NULL; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 scsi_profiles[i]->name);
    return yml_error_at(l->doc, v, l->err, "%s: want one of %s, a profile file (.yaml) or a "
                                           "mapping of timing keys", what, names);
}

/* The timing keys of a profile mapping (docs/scsi-profiles.md), each into
 * its field of struct scsi_profile. */
static const char *const profile_keys[] = {
    "name", "base", "read_cmd", "write_cmd", "read_ps_per_kib", "write_ps_per_kib",
    "seek_read", "seek_write", "track", "revolution", "flush", "write_cache",
    "cache_segments", "readahead", "hit_cmd", "hit_ps_per_kib", NULL};

#define PROFILE_TIME_MAX (3600 * SIM_S)
#define PROFILE_PS_PER_KIB_MAX (1000ull * SIM_S) /* 1 KiB a second at the slowest */

static enum iosim_err profile_time(const struct yml_doc *d, const struct yml_node *map,
                                   const char *key, sim_time_ps *out, struct yml_error *err)
{
    const struct yml_node *v = yml_map_get(map, key);
    return v == NULL ? IOSIM_OK : yml_get_time_ps(d, v, 0, PROFILE_TIME_MAX, out, err);
}

static enum iosim_err profile_u64(const struct yml_doc *d, const struct yml_node *map,
                                  const char *key, uint64_t max, uint64_t *out,
                                  struct yml_error *err)
{
    const struct yml_node *v = yml_map_get(map, key);
    return v == NULL ? IOSIM_OK : yml_get_u64(d, v, 0, max, out, err);
}

/* A profile mapping of document d (the scenario's, or a profile file's)
 * over its `base` (default: the speed's flash stick). */
static enum iosim_err profile_map(struct sim_family_loader *l, const struct yml_doc *d,
                                  const struct yml_node *map, enum usb_speed speed,
                                  struct usb_custom_profile *cp)
{
    CHECK(yml_check_keys(d, map, profile_keys, "a timing profile", l->err));
    const struct yml_node *v = yml_map_get(map, "base");
    const struct scsi_profile *base = NULL;
    if (v != NULL && !builtin_profile(v, &base))
        return yml_error_at(d, v, l->err, "base: want a built-in profile");
    if (base == NULL)
        base = scsi_profile_find(usb_speed_is_super(speed) ? "usb3-flash" : "usb2-flash");
    ASSERT(base != NULL);
    cp->p = *base;
    const char *name = "custom";
    if ((v = yml_map_get(map, "name")) != NULL) {
        CHECK(yml_get_str(d, v, &name, l->err));
        if (strlen(name) >= USB_PROFILE_NAME_MAX)
            return yml_error_at(d, v, l->err, "name: at most %u characters", USB_PROFILE_NAME_MAX - 1);
    }
    snprintf(cp->name, sizeof cp->name, "%s", name);
    cp->p.name = cp->name;
    struct scsi_profile *p = &cp->p;
    uint64_t segs = p->cache_segments, ra = (uint64_t)p->readahead_kib * 1024u;
    CHECK(profile_time(d, map, "read_cmd", &p->read_cmd_ps, l->err));
    CHECK(profile_time(d, map, "write_cmd", &p->write_cmd_ps, l->err));
    CHECK(profile_u64(d, map, "read_ps_per_kib", PROFILE_PS_PER_KIB_MAX, &p->read_ps_per_kib, l->err));
    CHECK(profile_u64(d, map, "write_ps_per_kib", PROFILE_PS_PER_KIB_MAX, &p->write_ps_per_kib, l->err));
    CHECK(profile_time(d, map, "seek_read", &p->seek_read_ps, l->err));
    CHECK(profile_time(d, map, "seek_write", &p->seek_write_ps, l->err));
    CHECK(profile_time(d, map, "track", &p->track_ps, l->err));
    CHECK(profile_time(d, map, "revolution", &p->revolution_ps, l->err));
    CHECK(profile_time(d, map, "flush", &p->flush_ps, l->err));
    CHECK(profile_time(d, map, "hit_cmd", &p->hit_cmd_ps, l->err));
    CHECK(profile_u64(d, map, "hit_ps_per_kib", PROFILE_PS_PER_KIB_MAX, &p->hit_ps_per_kib, l->err));
    CHECK(profile_u64(d, map, "cache_segments", SCSI_CACHE_SEGMENTS_MAX, &segs, l->err));
    if ((v = yml_map_get(map, "readahead")) != NULL)
        CHECK(yml_get_size(d, v, 0, 1ull << 30, &ra, l->err));
    if ((v = yml_map_get(map, "write_cache")) != NULL)
        CHECK(yml_get_bool(d, v, &p->write_cache, l->err));
    p->cache_segments = (uint32_t)segs;
    p->readahead_kib = (uint32_t)(ra / 1024u);
    return IOSIM_OK;
}

/* `profile: FILE.yaml`: a profile mapping in a file of its own, relative
 * to the scenario's folder; its errors name that file. */
static enum iosim_err profile_file(struct sim_family_loader *l, const struct yml_node *v,
                                   enum usb_speed speed, struct usb_custom_profile *cp)
{
    const char *rel = yml_scalar_text(v);
    char path[4096];
    if (strlen(l->file) + strlen(rel) + 2 > sizeof path)
        return yml_error_at(l->doc, v, l->err, "the profile's path is too long");
    sim_family_path(l, rel, path, sizeof path);
    struct yml_doc *d = NULL;
    if (yml_load_file(path, &d, l->err) != IOSIM_OK)
        return IOSIM_EPARSE;
    const struct yml_node *map;
    enum iosim_err e = yml_get_map(d, yml_root(d), &map, l->err);
    if (e == IOSIM_OK)
        e = profile_map(l, d, map, speed, cp);
    yml_free(d);
    return e;
}

static bool yaml_name(const char *t)
{
    size_t n = strlen(t);
    return (n > 5 && strcmp(t + n - 5, ".yaml") == 0) || (n > 4 && strcmp(t + n - 4, ".yml") == 0);
}

/* `profile:` a built-in's name, a profile file or a mapping; absent: a
 * flash stick of the device's generation. */
static enum iosim_err load_profile(struct sim_family_loader *l, const struct yml_node *map,
                                   enum usb_speed speed, struct usb_family_config *c,
                                   const struct scsi_profile **out)
{
    const struct yml_node *v = yml_map_get(map, "profile");
    if (v == NULL) {
        *out = scsi_profile_find(usb_speed_is_super(speed) ? "usb3-flash" : "usb2-flash");
        ASSERT(*out != NULL);
        return IOSIM_OK;
    }
    if (builtin_profile(v, out))
        return IOSIM_OK;
    bool file = yml_kind(v) == YML_SCALAR && yaml_name(yml_scalar_text(v));
    if (!file && yml_kind(v) != YML_MAP)
        return builtin_names(l, v, "profile");
    ASSERT(c->custom == NULL);
    if ((c->custom = calloc(1, sizeof *c->custom)) == NULL)
        return yml_error_at(l->doc, v, l->err, "out of memory");
    CHECK(file ? profile_file(l, v, speed, c->custom) : profile_map(l, l->doc, v, speed, c->custom));
    *out = &c->custom->p;
    return IOSIM_OK;
}

/* `bot_faults: [{command: N, case: K | csw: NAME, count: C, opcode: B}]` */
static enum iosim_err load_bot_fault(struct sim_family_loader *l, const struct yml_node *item,
                                     struct msc_fault_rule *r)
{
    static const char *const k[] = {"command", "case", "csw", "count", "opcode", NULL};
    static const char *const csws[] = {"bad_signature", "bad_tag", "bad_residue", "none"};
    const struct yml_node *v, *c, *w;
    uint64_t u;
    size_t pick;
    CHECK(yml_get_map(l->doc, item, &item, l->err));
    CHECK(yml_check_keys(l->doc, item, k, "a bot fault rule", l->err));
    *r = (struct msc_fault_rule){.count = 1, .opcode = MSC_FAULT_OPCODE_ANY};
    CHECK(yml_require(l->doc, item, "command", "a bot fault rule", &v, l->err));
    CHECK(yml_get_u64(l->doc, v, 1, UINT64_MAX, &r->command, l->err));
    c = yml_map_get(item, "case");
    w = yml_map_get(item, "csw");
    if ((c == NULL) == (w == NULL))
        return yml_error_at(l->doc, item, l->err,
                            "a bot fault rule has either `case` (1..13) or `csw` (bad_signature, "
                            "bad_tag, bad_residue, none), not %s", c == NULL ? "neither" : "both");
    if (c != NULL) {
        CHECK(yml_get_u64(l->doc, c, 1, USB_BOT_CASES, &u, l->err));
        r->bot_case = (uint8_t)u;
    } else {
        CHECK(yml_get_enum(l->doc, w, csws, sizeof csws / sizeof csws[0], &pick, l->err));
        r->csw = (enum msc_fault_csw)(MSC_FAULT_CSW_BAD_SIGNATURE + pick);
    }
    if ((v = yml_map_get(item, "count")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 1, UINT32_MAX, &u, l->err));
        r->count = (uint32_t)u;
    }
    if ((v = yml_map_get(item, "opcode")) != NULL) {
        CHECK(yml_get_u64(l->doc, v, 0, 0xff, &u, l->err));
        r->opcode = (int32_t)u;
    }
    ASSERT(msc_fault_rule_problem(r) == NULL);
    return IOSIM_OK;
}

/* A sequence of at most `max` items, or absent (*n = 0). */
static enum iosim_err storage_seq(struct sim_family_loader *l, const struct yml_node *map,
                                  const char *key, uint32_t max, const char *what,
                                  const struct yml_node **seq, uint32_t *n)
{
    *n = 0;
    *seq = yml_map_get(map, key);
    if (*seq == NULL)
        return IOSIM_OK;
    CHECK(yml_get_seq(l->doc, *seq, seq, l->err));
    if (yml_seq_len(*seq) > max)
        return yml_error_at(l->doc, *seq, l->err, "at most %u %s", max, what);
    *n = (uint32_t)yml_seq_len(*seq);
    return IOSIM_OK;
}

static enum iosim_err load_bot_faults(struct sim_family_loader *l, const struct yml_node *map,
                                      struct msc_bot_config *b)
{
    const struct yml_node *seq;
    CHECK(storage_seq(l, map, "bot_faults", MSC_FAULT_RULES_MAX, "bot fault rules", &seq,
                      &b->fault_count));
    for (uint32_t i = 0; i < b->fault_count; i++)
        CHECK(load_bot_fault(l, yml_seq_item(seq, i), &b->faults[i]));
    return IOSIM_OK;
}

/* `lun:` of an item: a unit the device has (0 when absent). */
static enum iosim_err item_lun(struct sim_family_loader *l, const struct yml_node *item,
                               uint32_t luns, uint32_t *lun)
{
    const struct yml_node *v = yml_map_get(item, "lun");
    uint64_t u = 0;
    if (v != NULL)
        CHECK(yml_get_u64(l->doc, v, 0, luns - 1u, &u, l->err));
    *lun = (uint32_t)u;
    return IOSIM_OK;
}

/* `media_errors: [{lun: L, lba: N, blocks: M}]`: on the medium. */
static enum iosim_err load_media_errors(struct sim_family_loader *l, const struct yml_node *map,
                                        struct usb_family_config *c)
{
    static const char *const k[] = {"lun", "lba", "blocks", NULL};
    const struct yml_node *seq, *v;
    CHECK(storage_seq(l, map, "media_errors", SCSI_MEDIA_ERRORS_MAX, "media error ranges", &seq,
                      &c->media_error_count));
    for (uint32_t i = 0; i < c->media_error_count; i++) {
        const struct yml_node *item = yml_seq_item(seq, i);
        struct usb_storage_error *e = &c->media_errors[i];
        CHECK(yml_get_map(l->doc, item, &item, l->err));
        CHECK(yml_check_keys(l->doc, item, k, "a media error range", l->err));
        CHECK(item_lun(l, item, c->storage.luns, &e->lun));
        uint64_t cap = c->storage.lu[e->lun].media.blocks;
        CHECK(yml_require(l->doc, item, "lba", "a media error range", &v, l->err));
        CHECK(yml_get_u64(l->doc, v, 0, cap - 1u, &e->lba, l->err));
        e->blocks = 1;
        if ((v = yml_map_get(item, "blocks")) != NULL)
            CHECK(yml_get_u64(l->doc, v, 1, cap - e->lba, &e->blocks, l->err));
    }
    return IOSIM_OK;
}

/* `removal: [{lun: L, at: T, until: T}]`: in time order and apart, like
 * `plug` (for all units together), only the last without `until`. */
static enum iosim_err load_removals(struct sim_family_loader *l, const struct yml_node *map,
                                    struct usb_family_config *c)
{
    static const char *const k[] = {"lun", "at", "until", NULL};
    const struct yml_node *seq, *v;
    CHECK(storage_seq(l, map, "removal", USB_STORAGE_REMOVALS_MAX, "removal periods", &seq,
                      &c->removal_count));
    for (uint32_t i = 0; i < c->removal_count; i++) {
        const struct yml_node *item = yml_seq_item(seq, i);
        struct usb_storage_removal *r = &c->removals[i];
        CHECK(yml_get_map(l->doc, item, &item, l->err));
        CHECK(yml_check_keys(l->doc, item, k, "a removal period", l->err));
        CHECK(item_lun(l, item, c->storage.luns, &r->lun));
        CHECK(yml_require(l->doc, item, "at", "a removal period", &v, l->err));
        CHECK(yml_get_time_ps(l->doc, v, 0, USB_FAMILY_FOREVER - 1, &r->at_ps, l->err));
        if (i > 0 && r->at_ps <= c->removals[i - 1].until_ps)
            return yml_error_at(l->doc, v, l->err,
                                "a removal starts after the previous one's `until`");
        r->until_ps = USB_FAMILY_FOREVER;
        if ((v = yml_map_get(item, "until")) == NULL) {
            if (i + 1 < c->removal_count)
                return yml_error_at(l->doc, item, l->err,
                                    "only the last removal period may leave out `until`");
            continue;
        }
        CHECK(yml_get_time_ps(l->doc, v, 0, USB_FAMILY_FOREVER - 1, &r->until_ps, l->err));
        if (r->until_ps <= r->at_ps)
            return yml_error_at(l->doc, v, l->err, "`until` must come after `at`");
    }
    return IOSIM_OK;
}

/* One unit's image: `v` names the file, relative to the scenario's folder.
 * It sets the capacity unless `blocks` does, which must then hold it. */
static enum iosim_err load_image(struct sim_family_loader *l, const struct yml_node *v,
                                 uint32_t lun, bool blocks_given, struct usb_family_config *c)
{
    struct scsi_media_config *m = &c->storage.lu[lun].media;
    struct sim_image *im = &c->images[lun];
    const char *rel;
    char path[4096], msg[512];
    CHECK(yml_get_str(l->doc, v, &rel, l->err));
    if (im->blocks != 0)
        return yml_error_at(l->doc, v, l->err, "unit %u has an image already", lun);
    if (strlen(l->file) + strlen(rel) + 2 > sizeof path)
        return yml_error_at(l->doc, v, l->err, "the image's path is too long");
    sim_family_path(l, rel, path, sizeof path);
    if (sim_image_read(path, rel, m->block_bytes, im, msg, sizeof msg) != IOSIM_OK)
        return yml_error_at(l->doc, v, l->err, "%s", msg);
    if (!blocks_given)
        m->blocks = im->blocks;
    else if (im->blocks > m->blocks)
        return yml_error_at(l->doc, v, l->err, "'%s' holds %llu blocks: more than `blocks` (%llu)",
                            rel, (unsigned long long)im->blocks, (unsigned long long)m->blocks);
    return IOSIM_OK;
}

/* `image: PATH` (unit 0) and `images: [{lun: L, path: PATH}]`. */
static enum iosim_err load_images(struct sim_family_loader *l, const struct yml_node *map,
                                  struct usb_family_config *c)
{
    static const char *const k[] = {"lun", "path", NULL};
    bool blocks_given = yml_map_get(map, "blocks") != NULL;
    const struct yml_node *seq, *v = yml_map_get(map, "image");
    uint32_t n, lun;
    if (v != NULL)
        CHECK(load_image(l, v, 0, blocks_given, c));
    CHECK(storage_seq(l, map, "images", MSC_BOT_LUNS_MAX, "images", &seq, &n));
    for (uint32_t i = 0; i < n; i++) {
        const struct yml_node *item = yml_seq_item(seq, i);
        CHECK(yml_get_map(l->doc, item, &item, l->err));
        CHECK(yml_check_keys(l->doc, item, k, "an image", l->err));
        CHECK(item_lun(l, item, c->storage.luns, &lun));
        CHECK(yml_require(l->doc, item, "path", "an image", &v, l->err));
        CHECK(load_image(l, v, lun, blocks_given, c));
    }
    return IOSIM_OK;
}

static enum iosim_err load_storage(struct sim_family_loader *l, const struct yml_node *map,
                                   const char *name, struct usb_family_config *c)
{
    static const char *const sizes[] = {"512", "4096"};
    const struct yml_node *v;
    uint64_t luns = 1, blocks = STORAGE_BLOCKS_DEFAULT;
    size_t bs = 0;
    bool cache = false, wp = false;
    const struct scsi_profile *prof = NULL;
    if (c->speed == USB_SPEED_LOW)
        return yml_error_at(l->doc, map, l->err, "mass storage needs bulk endpoints: not at low speed");
    CHECK(load_profile(l, map, c->speed, c, &prof));
    if (prof == NULL) /* load_profile sets it whenever it succeeds */
        return IOSIM_EINVAL;
    cache = prof->write_cache;
    bs = prof->block_bytes == 4096u ? 1 : 0;
    if ((v = yml_map_get(map, "luns")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 1, MSC_BOT_LUNS_MAX, &luns, l->err));
    if ((v = yml_map_get(map, "blocks")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 1, 1ull << 48, &blocks, l->err));
    if ((v = yml_map_get(map, "block_size")) != NULL)
        CHECK(yml_get_enum(l->doc, v, sizes, 2, &bs, l->err));
    if ((v = yml_map_get(map, "write_cache")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &cache, l->err));
    if ((v = yml_map_get(map, "write_protect")) != NULL)
        CHECK(yml_get_bool(l->doc, v, &wp, l->err));
    c->storage.luns = (uint32_t)luns;
    c->storage.profile = prof;
    for (uint32_t i = 0; i < luns; i++)
        c->storage.lu[i] = (struct scsi_lu_config){
            .media = {.block_bytes = bs == 0 ? 512u : 4096u, .blocks = blocks, .write_cache = cache},
            .removable = true, .write_protect = wp, .vendor = "QEMU", .product = "QEMU HARDDISK",
            .revision = "2.5+", .serial = name};
    CHECK(load_bot_faults(l, map, &c->storage));
    CHECK(load_images(l, map, c)); /* before what lies on the medium: it may size it */
    CHECK(load_media_errors(l, map, c));
    return load_removals(l, map, c);
}

/* ---- descriptors as hex bytes -------------------------------------------------------------------- */

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool hex_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* "12 01 00 02": pairs of hex digits, white space between pairs (not
 * inside one); written to out (room for len / 2 bytes). */
static enum iosim_err parse_hex(struct sim_family_loader *l, const struct yml_node *v,
                                uint8_t *out, uint32_t *len_bytes)
{
    const char *t = yml_scalar_text(v);
    size_t n = yml_scalar_len(v);
    uint32_t got = 0;
    for (size_t i = 0; i < n;) {
        if (hex_space(t[i])) {
            i++;
            continue;
        }
        int hi = hex_digit(t[i]), lo = i + 1 < n ? hex_digit(t[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return yml_error_at(l->doc, v, l->err,
                                "bytes are pairs of hex digits with spaces between (\"12 01 00 "
                                "02\"): character %zu is not part of one", hi < 0 ? i + 1 : i + 2);
        if (got == USB_FAMILY_BLOB_BYTES_MAX)
            return yml_error_at(l->doc, v, l->err, "more than %u bytes", USB_FAMILY_BLOB_BYTES_MAX);
        out[got++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    *len_bytes = got;
    return IOSIM_OK;
}

/* A blob's bytes go to the pool at *used; empty text is an absent blob. */
static enum iosim_err load_blob(struct sim_family_loader *l, const struct yml_node *v,
                                struct usb_family_config *c, size_t *used, struct usb_blob *b)
{
    const char *text;
    CHECK(yml_get_str(l->doc, v, &text, l->err));
    uint8_t *at = c->pool + *used;
    uint32_t n = 0;
    CHECK(parse_hex(l, v, at, &n));
    *b = (struct usb_blob){.bytes = n > 0 ? at : NULL, .len_bytes = n};
    *used += n;
    return IOSIM_OK;
}

/* Every blob node of the entry, in one walk: `device`, `bos`,
 * `qualifier`, `other_speed`, then `configs`' items, then `strings`'. */
struct blob_nodes {
    const struct yml_node *one[4];   /* device, bos, qualifier, other_speed (NULL: absent) */
    const struct yml_node *configs, *strings; /* sequences, or NULL */
};

static enum iosim_err blob_nodes(struct sim_family_loader *l, const struct yml_node *map,
                                 struct blob_nodes *bn)
{
    *bn = (struct blob_nodes){0};
    CHECK(yml_require(l->doc, map, "device", "usb_device", &bn->one[0], l->err));
    bn->one[1] = yml_map_get(map, "bos");
    bn->one[2] = yml_map_get(map, "qualifier");
    bn->one[3] = yml_map_get(map, "other_speed");
    const struct yml_node *v;
    if ((v = yml_map_get(map, "configs")) != NULL) {
        CHECK(yml_get_seq(l->doc, v, &bn->configs, l->err));
        if (yml_seq_len(v) > USB_FAMILY_CONFIGS_MAX)
            return yml_error_at(l->doc, v, l->err, "at most %u configurations",
                                USB_FAMILY_CONFIGS_MAX);
    }
    if ((v = yml_map_get(map, "strings")) != NULL) {
        CHECK(yml_get_seq(l->doc, v, &bn->strings, l->err));
        if (yml_seq_len(v) > USB_FAMILY_STRINGS_MAX)
            return yml_error_at(l->doc, v, l->err, "at most %u strings", USB_FAMILY_STRINGS_MAX);
    }
    return IOSIM_OK;
}

static size_t items(const struct yml_node *seq)
{
    return seq != NULL ? yml_seq_len(seq) : 0;
}

/* Room for every blob: a byte takes at least two characters (a node that
 * is not a scalar counts 0 and is refused when its turn comes). */
static size_t pool_room(const struct blob_nodes *bn)
{
    size_t room = 0;
    for (int i = 0; i < 4; i++)
        room += bn->one[i] != NULL ? yml_scalar_len(bn->one[i]) / 2 : 0;
    for (size_t i = 0; i < items(bn->configs); i++)
        room += yml_scalar_len(yml_seq_item(bn->configs, i)) / 2;
    for (size_t i = 0; i < items(bn->strings); i++)
        room += yml_scalar_len(yml_seq_item(bn->strings, i)) / 2;
    return room;
}

static enum iosim_err load_raw(struct sim_family_loader *l, const struct yml_node *map,
                               const char *name, struct usb_family_config *c)
{
    struct blob_nodes bn;
    CHECK(blob_nodes(l, map, &bn));
    c->pool = malloc(pool_room(&bn) + 1); /* + 1: never malloc(0) */
    if (c->pool == NULL)
        return yml_error_at(l->doc, map, l->err, "out of memory");
    struct usb_dev_config *r = &c->raw;
    *r = (struct usb_dev_config){.name = name, .speed = c->speed};
    struct usb_blob *one[4] = {&r->device, &r->bos, &r->qualifier, &r->other_speed};
    size_t used = 0;
    for (int i = 0; i < 4; i++)
        if (bn.one[i] != NULL)
            CHECK(load_blob(l, bn.one[i], c, &used, one[i]));
    for (size_t i = 0; i < items(bn.configs); i++)
        CHECK(load_blob(l, yml_seq_item(bn.configs, i), c, &used, &c->configs[i]));
    for (size_t i = 0; i < items(bn.strings); i++)
        CHECK(load_blob(l, yml_seq_item(bn.strings, i), c, &used, &c->strings[i]));
    r->configs = c->configs;
    r->configs_count = (uint32_t)items(bn.configs);
    r->strings = c->strings;
    r->strings_count = (uint32_t)items(bn.strings);
    return IOSIM_OK;
}

/* ---- the entry ----------------------------------------------------------------------------------- */

enum iosim_err usb_family_load(struct sim_family_loader *l, const struct yml_node *map,
                               uint32_t type, const char *name)
{
    static const char *const zero_keys[] = {
        "name", "type", "controller", "port", "speed", "plug", "faults",
        "mode", "stream_length", "in_nak_first", "queue_size", "max_burst", NULL};
    static const char *const dev_keys[] = {
        "name", "type", "controller", "port", "speed", "plug", "faults",
        "device", "configs", "strings", "bos", "qualifier", "other_speed", NULL};
    static const char *const storage_keys[] = {
        "name", "type", "controller", "port", "speed", "plug", "faults",
        "luns", "blocks", "block_size", "write_cache", "write_protect", "profile",
        "bot_faults", "media_errors", "removal", "image", "images", NULL};
    static const char *const *const keys[] = {zero_keys, dev_keys, storage_keys};
    static const char *const what[] = {"usb_zero", "usb_device", "usb_storage"};
    ASSERT(type <= USB_FAMILY_STORAGE);
    CHECK(yml_check_keys(l->doc, map, keys[type], what[type], l->err));
    char controller[SIM_NAME_MAX];
    const struct sim_scn_device *ctl = NULL;
    CHECK(find_controller(l, map, controller, &ctl));
    struct sim_scn_device *d;
    CHECK(sim_family_device_add(l, map, name, type, &d));
    struct usb_family_config *c = d->config;
    memcpy(c->controller, controller, sizeof c->controller);
    CHECK(load_speed(l, map, type, &c->speed));
    CHECK(load_port(l, map, ctl, c));
    CHECK(load_plugs(l, map, c));
    CHECK(check_port_free(l, map, c));
    CHECK(load_faults(l, map, c));
    return type == USB_FAMILY_ZERO      ? load_zero(l, map, d->name, c)
           : type == USB_FAMILY_STORAGE ? load_storage(l, map, d->name, c)
                                        : load_raw(l, map, d->name, c);
}

void usb_family_config_free(void *config)
{
    struct usb_family_config *c = config;
    free(c->pool);
    c->pool = NULL;
    free(c->custom);
    c->custom = NULL;
    for (uint32_t i = 0; i < MSC_BOT_LUNS_MAX; i++)
        sim_image_free(&c->images[i]);
}
