/* The USB family (sim/scenario/family.h): `type: usb_zero`, `type:
 * usb_device` and `type: usb_storage` devices, each plugged into a root port of an xHCI controller
 * of the same scenario and unplugged at the times its `plug:` periods
 * give, with its fault rules wrapped around its function. Loading is
 * usb_family_load.c; docs/scenario-format.md has the keys. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "impl/port/check.h"
#include "models/scsi/msc_desc.h"
#include "models/usb/usb_family.h"
#include "models/usb/usb_null.h"
#include "models/xhci/xhci.h"
#include "models/xhci/xhci_family.h"
#include "sim/trace/trace.h"

static struct sim_counter_def usb_plugs = {"usb.plugs", SIM_COUNTER_NONE};
static struct sim_counter_def usb_unplugs = {"usb.unplugs", SIM_COUNTER_NONE};
static struct sim_counter_def usb_faults_fired = {"usb.faults_fired", SIM_COUNTER_NONE};

/*
 * One device of a run. Invariants: dev is zero's device when zero != NULL,
 * else owned; edge counts the plug edges done (edge 2i: period i starts,
 * 2i + 1: it ends); ev is the pending edge's event, SIM_EVENT_NONE when
 * none is; the device is attached (to x, on c->port) exactly between an
 * even edge that plugged it in and the next one.
 */
struct usb_family_dev {
    const char *name;                   /* the scenario's device record's */
    const struct usb_family_config *c;  /* the scenario's */
    struct sim_machine *m;
    struct xhci *x;                     /* borrowed: destroyed before us (file order) */
    struct usb_zero *zero;              /* owned, or NULL */
    struct usb_dev *dev;                /* zero's, or owned */
    struct usb_fault *faults;           /* owned, or NULL */
    struct usb_dev_config raw;          /* usb_device: c->raw with the null function */
    struct msc_bot *bot;                /* usb_storage: owned, or NULL */
    struct msc_descs descs;             /* usb_storage: the blobs raw points into */
    uint32_t edge;
    struct sim_event_id ev;
    struct sim_event_id bot_ev;         /* usb_storage: the one wake-up msc_bot has pending */
    void (*bot_fn)(void *);             /* ... and what it calls */
    void *bot_arg;
    uint32_t rm_edge;                   /* usb_storage: removal edges done, as `edge` */
    struct sim_event_id rm_ev;
};

/* ---- plugging in and out at the scenario's times -------------------------------------------- */

static uint32_t edge_count(const struct usb_family_config *c)
{
    if (c->plug_count == 0)
        return 0;
    bool forever = c->plugs[c->plug_count - 1].until_ps == USB_FAMILY_FOREVER;
    return 2 * c->plug_count - (forever ? 1 : 0);
}

static sim_time_ps edge_at(const struct usb_family_config *c, uint32_t e)
{
    ASSERT(e < edge_count(c));
    const struct usb_plug *p = &c->plugs[e / 2];
    return e % 2 == 0 ? p->at_ps : p->until_ps;
}

static void note(struct usb_family_dev *u, const char *what)
{
    struct sim_trace *t = sim_dev_trace(u->m);
    char msg[160];
    snprintf(msg, sizeof msg, "%s port %" PRIu32 " of %s", what, u->c->port, u->c->controller);
    if (t != NULL)
        sim_trace_log(t, sim_dev_now(u->m), -1, u->name, msg);
}

static void plug_in(struct usb_family_dev *u)
{
    if (xhci_usb_attach(u->x, u->c->port, u->dev) != IOSIM_OK) {
        note(u, "could not be plugged into"); /* the loader keeps ports apart: not expected */
        return;
    }
    sim_dev_count(u->m, &usb_plugs, 1);
    note(u, "plugged into");
}

static void plug_out(struct usb_family_dev *u)
{
    if (xhci_usb_device(u->x, u->c->port) != u->dev)
        return; /* it never got in */
    (void)xhci_usb_detach(u->x, u->c->port); /* cannot fail: it is there */
    if (u->bot != NULL) /* no power without the port: the cache's writes are gone */
        msc_bot_power_loss(u->bot);
    sim_dev_count(u->m, &usb_unplugs, 1);
    note(u, "unplugged from");
}

static void schedule_edge(struct usb_family_dev *u);

static void plug_edge(void *ctx, uint64_t arg)
{
    struct usb_family_dev *u = ctx;
    (void)arg;
    ASSERT(u->edge < edge_count(u->c));
    u->ev = SIM_EVENT_NONE;
    if (u->edge++ % 2 == 0)
        plug_in(u);
    else
        plug_out(u);
    schedule_edge(u);
}

/* One edge pending at a time: the event list holds one entry per device. */
static void schedule_edge(struct usb_family_dev *u)
{
    if (u->edge >= edge_count(u->c))
        return;
    sim_time_ps at = edge_at(u->c, u->edge), now = sim_dev_now(u->m);
    if (sim_dev_after(u->m, at > now ? at - now : 0, plug_edge, u, 0, &u->ev) != IOSIM_OK)
        note(u, "the event list is full: a plug edge is lost for");
}

/* ---- fault rules ---------------------------------------------------------------------------- */

static const char *fault_kind(enum usb_result r)
{
    switch (r) {
    case USB_STALL: return "usb_stall";
    case USB_XACT_ERR: return "usb_xact_error";
    case USB_BABBLE: return "usb_babble";
    case USB_NAK: return "usb_nak";
    case USB_ACK:
    case USB_RESULT_COUNT: break;
    }
    ASSERT(false); /* usb_fault_rule_problem allows only the four */
    return "usb_fault";
}

/* A fault rule fired, endpoint or Bulk-Only: counted, and a `fault` row. */
static void fault_row(struct usb_family_dev *u, const char *kind, const char *detail)
{
    sim_dev_count(u->m, &usb_faults_fired, 1);
    struct sim_trace *t = sim_dev_trace(u->m);
    if (t != NULL)
        sim_trace_fault(t, sim_dev_now(u->m), kind, u->name, detail);
}

static void fault_fired(void *ctx, uint32_t rule, uint8_t ep_addr, uint64_t attempt)
{
    struct usb_family_dev *u = ctx;
    ASSERT(rule < u->c->fault_count);
    char detail[96];
    snprintf(detail, sizeof detail, "endpoint 0x%02x attempt %" PRIu64 " (rule %" PRIu32 ")",
             ep_addr, attempt, rule);
    fault_row(u, fault_kind(u->c->faults[rule].result), detail);
}

static enum iosim_err add_faults(struct usb_family_dev *u)
{
    if (u->c->fault_count == 0)
        return IOSIM_OK;
    struct usb_fault_hook hook = {.fired = fault_fired, .ctx = u};
    enum iosim_err e = usb_fault_create(u->c->faults, u->c->fault_count, &hook, &u->faults);
    return e != IOSIM_OK ? e : usb_fault_wrap(u->faults, u->dev);
}

/* ---- mass storage: its clock, its BOT faults, its removable media ---------------------------- */

static sim_time_ps bot_now(void *ctx)
{
    struct usb_family_dev *u = ctx;
    return sim_dev_now(u->m);
}

static void bot_wake(void *ctx, uint64_t arg)
{
    struct usb_family_dev *u = ctx;
    (void)arg;
    u->bot_ev = SIM_EVENT_NONE;
    u->bot_fn(u->bot_arg);
}

/* One wake-up pending at a time (msc_bot_clock's contract): a new one
 * replaces the old, so the event list holds one entry per device. */
static enum iosim_err bot_after(void *ctx, sim_time_ps delay_ps, void (*fn)(void *), void *arg)
{
    struct usb_family_dev *u = ctx;
    sim_dev_cancel(u->m, u->bot_ev);
    u->bot_ev = SIM_EVENT_NONE;
    u->bot_fn = fn;
    u->bot_arg = arg;
    return sim_dev_after(u->m, delay_ps, bot_wake, u, 0, &u->bot_ev);
}

static void bot_fault_fired(void *ctx, uint32_t rule, uint64_t command, uint8_t opcode,
                            const char *kind)
{
    struct usb_family_dev *u = ctx;
    char detail[96];
    snprintf(detail, sizeof detail, "command %" PRIu64 " opcode 0x%02x (bot rule %" PRIu32 ")",
             command, opcode, rule);
    fault_row(u, kind, detail);
}

static sim_time_ps removal_edge_at(const struct usb_storage_removal *r, uint32_t e)
{
    return e % 2 == 0 ? r->at_ps : r->until_ps;
}

static uint32_t removal_edges(const struct usb_family_config *c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->removal_count; i++)
        n += c->removals[i].until_ps == USB_FAMILY_FOREVER ? 1u : 2u;
    return n;
}

static void schedule_removal(struct usb_family_dev *u);

/* Edge 2i takes removal i's medium out, 2i + 1 puts it back; edges go
 * in time order (the loader sorts nothing: it refuses disorder). */
static void removal_edge(void *ctx, uint64_t arg)
{
    struct usb_family_dev *u = ctx;
    (void)arg;
    u->rm_ev = SIM_EVENT_NONE;
    const struct usb_storage_removal *r = &u->c->removals[u->rm_edge / 2];
    bool in = u->rm_edge++ % 2 == 1;
    scsi_lu_set_medium(msc_bot_lu(u->bot, r->lun), in);
    note(u, in ? "medium put back; plugged into" : "medium taken out; plugged into");
    schedule_removal(u);
}

static void schedule_removal(struct usb_family_dev *u)
{
    if (u->rm_edge >= removal_edges(u->c))
        return;
    sim_time_ps at = removal_edge_at(&u->c->removals[u->rm_edge / 2], u->rm_edge);
    sim_time_ps now = sim_dev_now(u->m);
    if (sim_dev_after(u->m, at > now ? at - now : 0, removal_edge, u, 0, &u->rm_ev) != IOSIM_OK)
        note(u, "the event list is full: a removal edge is lost for");
}

/* Each unit's image, block by block: its initial durable contents. */
static enum iosim_err storage_images(struct usb_family_dev *u)
{
    for (uint32_t lun = 0; lun < u->c->storage.luns; lun++) {
        const struct sim_image *im = &u->c->images[lun];
        struct scsi_media *m = scsi_lu_media(msc_bot_lu(u->bot, lun));
        uint32_t bs = scsi_media_block_bytes(m);
        for (uint64_t i = 0; i < im->stored; i++) {
            enum iosim_err r = scsi_media_load(m, im->lba[i], 1, im->data + i * bs);
            if (r != IOSIM_OK)
                return r; /* the loader checked the size: only ENOMEM */
        }
    }
    return IOSIM_OK;
}

static enum iosim_err storage_setup(struct usb_family_dev *u)
{
    enum iosim_err img = storage_images(u);
    if (img != IOSIM_OK)
        return img;
    for (uint32_t i = 0; i < u->c->media_error_count; i++) {
        const struct usb_storage_error *e = &u->c->media_errors[i];
        enum iosim_err r = scsi_media_add_error(scsi_lu_media(msc_bot_lu(u->bot, e->lun)), e->lba,
                                                e->blocks, SCSI_MEDIA_ERR_READ);
        if (r != IOSIM_OK)
            return r; /* the loader checked the range: not expected */
    }
    msc_bot_set_clock(u->bot, &(struct msc_bot_clock){.now = bot_now, .wake_after = bot_after,
                                                      .ctx = u});
    msc_bot_set_fault_hook(u->bot, &(struct msc_bot_fault_hook){.fired = bot_fault_fired,
                                                                .ctx = u});
    schedule_removal(u);
    return IOSIM_OK;
}

/* ---- create and destroy --------------------------------------------------------------------- */

/* Mass storage: the units, its descriptors, and the device serving them. */
static enum iosim_err make_storage(struct usb_family_dev *u)
{
    enum iosim_err e = msc_bot_create(&u->c->storage, &u->bot);
    if (e == IOSIM_OK)
        e = msc_build_descs(&u->descs, &(struct msc_desc_fields){.speed = u->c->speed,
                                                                 .serial = u->name});
    if (e != IOSIM_OK)
        return e;
    u->raw = (struct usb_dev_config){
        .name = u->name, .speed = u->c->speed, .device = u->descs.device,
        .configs = &u->descs.config, .configs_count = 1, .strings = u->descs.strings,
        .strings_count = MSC_DESC_STRINGS, .bos = u->descs.bos, .qualifier = u->descs.qualifier,
        .other_speed = u->descs.other_speed, .ops = msc_bot_ops(), .ctx = u->bot};
    e = usb_dev_create(&u->raw, &u->dev);
    if (e == IOSIM_OK)
        msc_bot_bind(u->bot, u->dev);
    return e != IOSIM_OK ? e : storage_setup(u);
}

static enum iosim_err make_device(struct usb_family_dev *u, uint32_t type)
{
    if (type == USB_FAMILY_ZERO) {
        enum iosim_err e = usb_zero_create(&u->c->zero, &u->zero);
        if (e == IOSIM_OK)
            u->dev = usb_zero_dev(u->zero);
        return e;
    }
    if (type == USB_FAMILY_STORAGE)
        return make_storage(u);
    u->raw = u->c->raw;
    u->raw.ops = &usb_null_ops;
    return usb_dev_create(&u->raw, &u->dev);
}

static void destroy(void *instance);

static enum iosim_err create(const struct sim_family_run *run, const struct sim_scn_device *d,
                             void **instance, const char **why)
{
    const struct usb_family_config *c = d->config;
    const struct sim_family *f = NULL;
    struct xhci *x = run->instance_of(run, c->controller, &f);
    ASSERT(x == NULL || f == &xhci_family);
    if (x == NULL || f != &xhci_family) { /* the loader checked it came first */
        *why = "its controller was not created";
        return IOSIM_EINVAL;
    }
    struct usb_family_dev *u = calloc(1, sizeof *u);
    if (u == NULL)
        return IOSIM_ENOMEM;
    *u = (struct usb_family_dev){.name = d->name, .c = c, .m = run->m, .x = x,
                                 .ev = SIM_EVENT_NONE, .bot_ev = SIM_EVENT_NONE,
                                 .rm_ev = SIM_EVENT_NONE};
    enum iosim_err e = make_device(u, d->type);
    if (e == IOSIM_OK)
        e = add_faults(u);
    if (e != IOSIM_OK) {
        destroy(u);
        return e;
    }
    schedule_edge(u);
    *instance = u;
    return IOSIM_OK;
}

/* Devices go in file order, so the controller is normally gone already
 * and xhci_destroy unplugged this device. If it is still plugged in, the
 * controller is still there (it lets go of every device it goes away
 * with) and must let go of this one before it is freed. */
static void destroy(void *instance)
{
    struct usb_family_dev *u = instance;
    sim_dev_cancel(u->m, u->ev);
    sim_dev_cancel(u->m, u->bot_ev);
    sim_dev_cancel(u->m, u->rm_ev);
    if (u->dev != NULL && usb_dev_state(u->dev) != USB_DEV_DETACHED) {
        ASSERT(xhci_usb_device(u->x, u->c->port) == u->dev);
        (void)xhci_usb_detach(u->x, u->c->port);
    }
    ASSERT(u->dev == NULL || usb_dev_state(u->dev) == USB_DEV_DETACHED);
    if (u->zero != NULL)
        usb_zero_destroy(u->zero);
    else
        usb_dev_destroy(u->dev);
    msc_bot_destroy(u->bot); /* after the device that served it */
    usb_fault_destroy(u->faults); /* after the device that borrowed it */
    free(u);
}

static const char *const types[] = {"usb_zero", "usb_device", "usb_storage", NULL};
static struct sim_counter_def *const counters[] = {&usb_plugs, &usb_unplugs, &usb_faults_fired,
                                                   NULL};

const struct sim_family usb_family = {
    .name = "usb",
    .types = types,
    .config_size = sizeof(struct usb_family_config),
    .load = usb_family_load,
    .config_free = usb_family_config_free,
    .create = create,
    .destroy = destroy,
    .counters = counters,
    .swarm_kinds = usb_family_swarm_kinds,
    .swarm_apply = usb_family_swarm_apply,
};
