/* A capture's URBs as transfers, and its BOT conversations as SCSI commands. */
#include "sim/capture/xfers.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "sim/capture/linktype.h"

/* ---- pairing ------------------------------------------------------------------------------- */

/* Open submissions by URB tag: an open-addressing table of event indices
 * (SIZE_MAX empty, SIZE_MAX - 1 a removed entry), sized for every event. */
struct open_set {
    size_t *slot;
    size_t mask;
};

#define SLOT_EMPTY SIZE_MAX
#define SLOT_GONE (SIZE_MAX - 1)

static size_t hash_urb(uint64_t urb)
{
    urb ^= urb >> 33;
    urb *= 0xff51afd7ed558ccdull;
    urb ^= urb >> 33;
    return (size_t)urb;
}

static bool same_pipe(const struct cap_event *a, const struct cap_event *b)
{
    return a->urb == b->urb && a->bus == b->bus && a->dev == b->dev && a->ep == b->ep &&
           a->xfer == b->xfer;
}

static void open_put(struct open_set *o, const struct cap_event *ev, size_t i)
{
    size_t h = hash_urb(ev[i].urb) & o->mask;
    while (o->slot[h] != SLOT_EMPTY && o->slot[h] != SLOT_GONE)
        h = (h + 1) & o->mask;
    o->slot[h] = i;
}

/* Takes out and returns the oldest open submission matching event c, or SLOT_EMPTY. */
static size_t open_take(struct open_set *o, const struct cap_event *ev, size_t c)
{
    size_t best = SLOT_EMPTY, best_h = 0;
    for (size_t h = hash_urb(ev[c].urb) & o->mask; o->slot[h] != SLOT_EMPTY;
         h = (h + 1) & o->mask) {
        size_t i = o->slot[h];
        if (i != SLOT_GONE && same_pipe(&ev[i], &ev[c]) && (best == SLOT_EMPTY || i < best)) {
            best = i;
            best_h = h;
        }
    }
    if (best != SLOT_EMPTY)
        o->slot[best_h] = SLOT_GONE;
    return best;
}

static struct cap_xfer xfer_of(const struct cap_event *s, const struct cap_event *c)
{
    bool in = (s->ep & CAP_EP_IN) != 0;
    const struct cap_event *d = in ? c : s; /* where the data was kept */
    return (struct cap_xfer){
        .urb = s->urb, .bus = s->bus, .dev = s->dev, .ep = s->ep, .xfer = s->xfer,
        .has_setup = s->has_setup, .requested = s->length,
        .actual = c->kind == 'C' ? c->length : 0, .status = c->status,
        /* a capture's clock may step back (pcapng interfaces interleaved, a
         * hostile file): a transfer never ends before it began */
        .submit_ns = s->t_ns, .end_ns = c->t_ns > s->t_ns ? c->t_ns : s->t_ns,
        .data_len = d->data_len,
        .data_off = d->data_off, .where = c->where};
}

static enum iosim_err push_xfer(struct cap_xfers *x, struct cap_xfer t, const struct cap_event *s)
{
    if (!cap_grow((void **)&x->t, &x->cap, x->n, 1, sizeof *x->t))
        return IOSIM_ENOMEM;
    memcpy(t.setup, s->setup, sizeof t.setup);
    x->t[x->n++] = t;
    return IOSIM_OK;
}

enum iosim_err cap_xfers_build(const struct cap_capture *c, struct cap_xfers *out)
{
    ASSERT(c != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    size_t size = 16;
    while (size < 2 * c->n + 2)
        size *= 2;
    struct open_set o = {.slot = malloc(size * sizeof *o.slot), .mask = size - 1};
    if (o.slot == NULL)
        return IOSIM_ENOMEM;
    for (size_t i = 0; i < size; i++)
        o.slot[i] = SLOT_EMPTY;
    enum iosim_err r = IOSIM_OK;
    size_t open = 0;
    for (size_t i = 0; i < c->n && r == IOSIM_OK; i++) {
        const struct cap_event *e = &c->ev[i];
        if (e->kind == 'S') {
            open_put(&o, c->ev, i);
            open++;
        } else if (e->kind == 'E') {
            r = push_xfer(out, xfer_of(e, e), e);
        } else {
            size_t s = open_take(&o, c->ev, i);
            if (s == SLOT_EMPTY) {
                out->unmatched++;
                continue;
            }
            open--;
            r = push_xfer(out, xfer_of(&c->ev[s], e), &c->ev[s]);
        }
    }
    free(o.slot);
    out->unfinished = open;
    if (r != IOSIM_OK)
        cap_xfers_free(out);
    return r;
}

void cap_xfers_free(struct cap_xfers *x)
{
    free(x->t);
    memset(x, 0, sizeof *x);
}

const uint8_t *cap_xfer_data(const struct cap_capture *c, const struct cap_xfer *t)
{
    ASSERT(t->data_off + t->data_len <= c->data_len);
    /* a capture that kept no byte has no arena: NULL + 0 is undefined in C */
    static const uint8_t none[1];
    return c->data != NULL ? c->data + t->data_off : none;
}

/* ---- Bulk-Only Transport ------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A CBW sent, or one whose transfer failed (then the command ends there). */
static bool is_cbw(const struct cap_xfer *t, const uint8_t *d)
{
    return t->xfer == CAP_XFER_BULK && !(t->ep & CAP_EP_IN) &&
           t->requested == USB_BOT_CBW_BYTES && t->data_len >= USB_BOT_CBW_BYTES &&
           le32(d + USB_BOT_CBW_SIGNATURE) == USB_BOT_CBW_SIGNATURE_VALUE;
}

static bool is_csw(const struct cap_xfer *t, const uint8_t *d)
{
    return t->xfer == CAP_XFER_BULK && (t->ep & CAP_EP_IN) && t->status == 0 &&
           t->actual == USB_BOT_CSW_BYTES && t->data_len >= USB_BOT_CSW_BYTES &&
           le32(d + USB_BOT_CSW_SIGNATURE) == USB_BOT_CSW_SIGNATURE_VALUE;
}

/* A command whose CBW did not get through: usb-storage unlinks the URB of
 * a command that timed out (ECONNRESET); a device that went away gives
 * ENODEV or ESHUTDOWN (the xHCI model's usb_xfer statuses); anything else
 * is a transfer error. */
static const char *failed_status(int32_t status)
{
    return status == -104 ? "timeout" : status == -19 || status == -108 ? "gone" : "error";
}

/* A command from its CBW's bytes. */
static struct cap_scsi_cmd cmd_of(const struct cap_xfer *t, const uint8_t *d)
{
    const uint8_t *cb = d + USB_BOT_CBW_CB;
    uint32_t len = le32(d + USB_BOT_CBW_DATA_LENGTH);
    struct cap_scsi_cmd k = {
        .bus = t->bus, .dev = t->dev, .lun = d[USB_BOT_CBW_LUN] & USB_BOT_CBW_LUN_MASK,
        .tag = le32(d + USB_BOT_CBW_TAG), .opcode = cb[SCSI_CDB_OPCODE], .len = len,
        .dir = len == 0 ? "none" : d[USB_BOT_CBW_FLAGS] & USB_BOT_CBW_FLAGS_DATA_IN ? "in" : "out",
        .status = "reset", .start_ns = t->submit_ns, .end_ns = t->end_ns,
        .service_action = cb[SCSI_SAI_SERVICE_ACTION] & SCSI_SAI_SERVICE_ACTION_MASK};
    switch (k.opcode) {
    case SCSI_OP_READ_10:
    case SCSI_OP_WRITE_10:
    case SCSI_OP_SYNC_CACHE_10:
        k.lba = be(cb + SCSI_RW10_LBA, SCSI_RW10_LBA_BYTES);
        k.blocks = (uint32_t)be(cb + SCSI_RW10_BLOCKS, SCSI_RW10_BLOCKS_BYTES);
        break;
    case SCSI_OP_READ_16:
    case SCSI_OP_WRITE_16:
        k.lba = be(cb + SCSI_RW16_LBA, SCSI_RW16_LBA_BYTES);
        k.blocks = (uint32_t)be(cb + SCSI_RW16_BLOCKS, SCSI_RW16_BLOCKS_BYTES);
        break;
    default: break;
    }
    return k;
}

/* A device's conversation: the command its CBW opened, if any. */
#define BOT_DEVS 64u
struct bot_dev {
    bool used, open, stalled;
    bool data_over;          /* the open command's data stage has ended */
    uint64_t moved;          /* bytes its data stage moved so far */
    uint16_t bus;
    uint8_t dev;
    size_t cmd;              /* index of its open command in out */
    size_t last_failed;      /* index of its last CHECK CONDITION, or SIZE_MAX */
};

static struct bot_dev *dev_of(struct bot_dev *devs, const struct cap_xfer *t)
{
    for (unsigned i = 0; i < BOT_DEVS; i++) {
        if (devs[i].used && devs[i].bus == t->bus && devs[i].dev == t->dev)
            return &devs[i];
        if (!devs[i].used) {
            devs[i] = (struct bot_dev){.used = true, .bus = t->bus, .dev = t->dev,
                                       .last_failed = SIZE_MAX};
            return &devs[i];
        }
    }
    return NULL; /* more devices than any capture of storage has: not decoded */
}

/* The CSW d ends b's open command. */
static void end_cmd(struct cap_scsi *out, struct bot_dev *b, const struct cap_xfer *t,
                    const uint8_t *d)
{
    struct cap_scsi_cmd *k = &out->c[b->cmd];
    uint8_t st = d[USB_BOT_CSW_STATUS];
    k->residue = le32(d + USB_BOT_CSW_DATA_RESIDUE);
    k->end_ns = t->end_ns > k->start_ns ? t->end_ns : k->start_ns;
    if (le32(d + USB_BOT_CSW_TAG) != k->tag || k->residue > k->len)
        k->status = "bad_csw";
    else if (st == USB_BOT_CSW_STATUS_PHASE_ERROR)
        k->status = "phase_error";
    else if (st == USB_BOT_CSW_STATUS_FAILED) {
        k->status = "check_condition";
        b->last_failed = b->cmd; /* a REQUEST SENSE may follow */
    } else if (st != USB_BOT_CSW_STATUS_PASSED)
        k->status = "bad_csw";
    else
        k->status = b->stalled ? "stall" : "good";
    b->open = false;
}

/* READ CAPACITY's answer, in the first IN transfer of its data stage:
 * the unit's size (the last LBA + 1) and block length [SBC-4 5.20, 5.21]. */
static void capacity_of(struct cap_scsi_cmd *k, const struct cap_xfer *t, const uint8_t *d,
                        uint32_t moved_before)
{
    bool rc10 = k->opcode == SCSI_OP_READ_CAPACITY_10;
    bool rc16 = k->opcode == SCSI_OP_SERVICE_ACTION_IN_16 &&
                k->service_action == SCSI_SAI_READ_CAPACITY_16;
    if ((!rc10 && !rc16) || !(t->ep & CAP_EP_IN) || moved_before != 0)
        return;
    uint32_t need = rc10 ? SCSI_RC10_DATA_BYTES : SCSI_RC16_BLOCK_LENGTH + SCSI_RC16_BLOCK_LENGTH_BYTES;
    if (t->data_len < need)
        return;
    uint64_t last = rc10 ? be(d + SCSI_RC10_LAST_LBA, SCSI_RC10_LAST_LBA_BYTES)
                         : be(d + SCSI_RC16_LAST_LBA, SCSI_RC16_LAST_LBA_BYTES);
    uint32_t len = (uint32_t)(rc10 ? be(d + SCSI_RC10_BLOCK_LENGTH, SCSI_RC10_BLOCK_LENGTH_BYTES)
                                   : be(d + SCSI_RC16_BLOCK_LENGTH, SCSI_RC16_BLOCK_LENGTH_BYTES));
    if ((rc10 && last == SCSI_RC10_LBA_USE_16) || last == UINT64_MAX)
        return; /* "ask READ CAPACITY(16)", or no size at all */
    k->capacity_blocks = last + 1;
    k->capacity_block_bytes = len;
}

/* A data-stage transfer of b's open command: a stall, READ CAPACITY's or
 * REQUEST SENSE's data. */
static void data_stage(struct cap_scsi *out, struct bot_dev *b, const struct cap_xfer *t,
                       const uint8_t *d)
{
    struct cap_scsi_cmd *k = &out->c[b->cmd];
    /* A halt once the data stage is over (it moved dCBWDataTransferLength
     * bytes, or ended short) is the device stalling the host's first read
     * of the CSW, which the host clears and reads again (BOT 5.3.3, 6.7.2):
     * the command's status is then its CSW's, as usbscsid records it */
    if (t->status == -32 && !b->data_over)
        b->stalled = true;
    capacity_of(k, t, d, b->moved);
    b->moved += t->actual;
    if (t->actual < t->requested || b->moved >= k->len)
        b->data_over = true;
    if (k->opcode != SCSI_OP_REQUEST_SENSE || !(t->ep & CAP_EP_IN) || b->last_failed == SIZE_MAX ||
        t->data_len < SCSI_SENSE_FIXED_ASCQ + 1)
        return;
    struct cap_scsi_cmd *f = &out->c[b->last_failed];
    uint8_t code = d[SCSI_SENSE_RESPONSE] & SCSI_SENSE_RESPONSE_MASK;
    bool desc = code == SCSI_SENSE_DESC_CURRENT || code == SCSI_SENSE_DESC_DEFERRED;
    f->sense_key = d[desc ? SCSI_SENSE_DESC_KEY : SCSI_SENSE_FIXED_KEY] & SCSI_SENSE_KEY_MASK;
    f->asc = d[desc ? SCSI_SENSE_DESC_ASC : SCSI_SENSE_FIXED_ASC];
    f->ascq = d[desc ? SCSI_SENSE_DESC_ASCQ : SCSI_SENSE_FIXED_ASCQ];
    b->last_failed = SIZE_MAX;
}

enum iosim_err cap_scsi_build(const struct cap_capture *c, const struct cap_xfers *x,
                              struct cap_scsi *out)
{
    ASSERT(c != NULL && x != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    struct bot_dev devs[BOT_DEVS] = {{0}};
    for (size_t i = 0; i < x->n; i++) {
        const struct cap_xfer *t = &x->t[i];
        if (t->xfer != CAP_XFER_BULK)
            continue;
        struct bot_dev *b = dev_of(devs, t);
        const uint8_t *d = cap_xfer_data(c, t);
        if (b == NULL)
            continue;
        if (is_cbw(t, d)) {
            if (!cap_grow((void **)&out->c, &out->cap, out->n, 1, sizeof *out->c)) {
                cap_scsi_free(out);
                return IOSIM_ENOMEM;
            }
            out->c[out->n] = cmd_of(t, d); /* a CBW while one is open: that one was reset */
            b->cmd = out->n++;
            b->open = t->status == 0;
            b->stalled = false;
            b->moved = 0;
            b->data_over = out->c[b->cmd].len == 0;
            if (t->status != 0)
                out->c[b->cmd].status = failed_status(t->status);
        } else if (b->open && is_csw(t, d)) {
            end_cmd(out, b, t, d);
        } else if (b->open) {
            data_stage(out, b, t, d);
        }
    }
    return IOSIM_OK;
}

void cap_scsi_free(struct cap_scsi *s)
{
    free(s->c);
    memset(s, 0, sizeof *s);
}
