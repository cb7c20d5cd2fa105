/*
 * Bulk-Only Transport, host side (USB Mass Storage Class Bulk-Only
 * Transport 1.0): a CBW on bulk OUT, the data stage, a CSW on bulk IN -
 * and what the host does when the device does not keep to that (BOT 6.7,
 * the thirteen cases, seen from the host):
 *
 *   - a STALL of the data stage: xhcid has already cleared the halt on
 *     both sides (usb_scheme.h, EPIPE), so the CSW is read next (6.7.2,
 *     6.7.3); a STALL of the CSW itself is cleared and the CSW read once
 *     more (6.7.2 figure);
 *   - a CSW that is not valid (13 bytes, signature, tag: 6.3.1) or not
 *     meaningful (status over 2, a residue over the CBW's length: 6.3.2),
 *     and a phase error (status 2): reset recovery (5.3.4) - Bulk-Only
 *     Mass Storage Reset, then CLEAR_FEATURE(HALT) on Bulk-In and
 *     Bulk-Out;
 *   - a CBW the device stalls, and transaction errors or timeouts: reset
 *     recovery as well; a device that does not answer even that is given
 *     up (s->dead).
 *
 * The device's residue is never trusted alone: the bytes the controller
 * counted on the data stage bound it (Redox's usbscsid took the residue at
 * its word).
 */
#include <string.h>

#include "impl/drivers/usbscsid/usbscsid.h"
#include "impl/port/port.h"
#include "impl/port/spec/usb_bot.h"

static void put_le32(uint8_t *b, uint32_t v)
{
    ASSERT(b != NULL);
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32(const uint8_t *b)
{
    ASSERT(b != NULL);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- transfers through usb: ----------------------------------------------------------------- */

static enum iosim_err note(struct uscsi *s, enum iosim_err e)
{
    if (e == IOSIM_ENODEV || e == IOSIM_ESHUTDOWN)
        s->gone = true;
    ASSERT(e != IOSIM_ENODEV || s->gone);
    return e;
}

enum iosim_err uscsi_xfer(struct uscsi *s, uint8_t opcode, uint8_t ep, void *buf, uint32_t len,
                          uint32_t *moved)
{
    *moved = 0;
    ASSERT(buf != NULL);
    ASSERT(ep != 0); /* a bulk endpoint find_endpoints found */
    ASSERT(opcode == RING_OP_READ || opcode == RING_OP_WRITE);
    if (s->gone)
        return IOSIM_ENODEV;
    uint64_t tag;
    int64_t st;
    uint64_t extra;
    enum iosim_err e = usb_client_push(&s->usb, opcode, ep, buf, len, &tag);
    if (e == IOSIM_OK)
        e = usb_client_notify(&s->usb);
    if (e == IOSIM_OK)
        e = iou_peer_wait(&s->usb.peer, tag, &st, &extra);
    if (e != IOSIM_OK)
        return note(s, e);
    if (st < 0)
        return note(s, iosim_err_from_status(st));
    if ((uint64_t)st > len)
        return IOSIM_EPROTO; /* xhcid is a peer: more than was asked is a broken answer */
    *moved = (uint32_t)st;
    ASSERT(*moved <= len);
    return IOSIM_OK;
}

static enum iosim_err control(struct uscsi *s, uint8_t type, uint8_t request, uint16_t length,
                              int64_t *status)
{
    struct usb_scheme_control ctl = {.request_type = type, .request = request, .value = 0,
                                     .index = s->uinfo.iface, .length = length};
    void *at = s->win + USCSI_CTL_OFF;
    ASSERT(s->win != NULL);
    ASSERT(sizeof ctl + length <= USCSI_CBW_OFF - USCSI_CTL_OFF); /* stays in its scratch */
    port_shm_write(at, &ctl, sizeof ctl);
    enum iosim_err e = usb_client_control(&s->usb, at, length, status);
    return note(s, e == IOSIM_OK && *status < 0 ? iosim_err_from_status(*status) : e);
}

uint32_t uscsi_bot_max_lun(struct uscsi *s)
{
    int64_t st = 0;
    if (control(s, USB_BOT_REQ_GET_MAX_LUN_TYPE, USB_BOT_REQ_GET_MAX_LUN,
                USB_BOT_GET_MAX_LUN_BYTES, &st) != IOSIM_OK || st != USB_BOT_GET_MAX_LUN_BYTES)
        return 1; /* a stall: one unit [BOT 3.2] */
    uint8_t max;
    port_shm_read(&max, s->win + USCSI_CTL_OFF + sizeof(struct usb_scheme_control), 1);
    ASSERT(USB_BOT_MAX_LUN + 1u <= USCSI_LUNS_MAX); /* every LUN a device may say fits */
    return max <= USB_BOT_MAX_LUN ? max + 1u : 1u;
}

enum iosim_err uscsi_bot_reset(struct uscsi *s)
{
    ASSERT(s->ep_in != 0 && s->ep_out != 0);
    ASSERT(!s->gone); /* a gone device is not reset */
    s->resets++;
    int64_t st = 0;
    enum iosim_err e = control(s, USB_BOT_REQ_RESET_TYPE, USB_BOT_REQ_RESET, 0, &st);
    if (e == IOSIM_OK)
        e = note(s, usb_client_reset(&s->usb, s->ep_in));
    if (e == IOSIM_OK)
        e = note(s, usb_client_reset(&s->usb, s->ep_out));
    if (e != IOSIM_OK && !s->gone)
        s->dead = true; /* not even a reset brings it back */
    return e;
}

/* ---- one command ---------------------------------------------------------------------------- */

static void write_cbw(struct uscsi *s, const struct uscsi_cmd *c)
{
    ASSERT(c->cdb_len >= 1 && c->cdb_len <= 16); /* CBWCB is 1..16 bytes [BOT 5.1] */
    ASSERT(c->tag != 0);
    ASSERT(c->tag == s->tag); /* the command in flight is the latest */
    ASSERT(c->lun < USCSI_LUNS_MAX);
    ASSERT(c->dir == USCSI_NONE || c->dir == USCSI_IN || c->dir == USCSI_OUT);
    uint8_t b[USB_BOT_CBW_BYTES] = {0};
    put_le32(b + USB_BOT_CBW_SIGNATURE, USB_BOT_CBW_SIGNATURE_VALUE);
    put_le32(b + USB_BOT_CBW_TAG, c->tag);
    put_le32(b + USB_BOT_CBW_DATA_LENGTH, c->dir == USCSI_NONE ? 0 : c->len);
    b[USB_BOT_CBW_FLAGS] = c->dir == USCSI_IN ? USB_BOT_CBW_FLAGS_DATA_IN : 0;
    b[USB_BOT_CBW_LUN] = (uint8_t)(c->lun & USB_BOT_CBW_LUN_MASK);
    b[USB_BOT_CBW_CB_LENGTH] = c->cdb_len;
    memcpy(b + USB_BOT_CBW_CB, c->cdb, c->cdb_len);
    port_shm_write(s->win + USCSI_CBW_OFF, b, sizeof b);
}

/* Transport trouble: reset recovery, and the command is to be tried again
 * (EPROTO) - unless the device is gone or did not take the reset. */
static enum iosim_err recover(struct uscsi *s, struct uscsi_cmd *c, const char *outcome)
{
    ASSERT(outcome != NULL);
    ASSERT(c->tag == s->tag);
    c->outcome = outcome;
    if (s->gone)
        return IOSIM_ENODEV;
    enum iosim_err e = uscsi_bot_reset(s);
    return e == IOSIM_OK ? IOSIM_EPROTO : s->gone ? IOSIM_ENODEV : IOSIM_EIO;
}

static enum iosim_err data_stage(struct uscsi *s, struct uscsi_cmd *c)
{
    if (c->dir == USCSI_NONE || c->len == 0)
        return IOSIM_OK;
    ASSERT(c->buf != NULL);
    ASSERT(c->len <= DISK_SCHEME_XFER_MAX);
    bool in = c->dir == USCSI_IN;
    enum iosim_err e = uscsi_xfer(s, in ? RING_OP_READ : RING_OP_WRITE, in ? s->ep_in : s->ep_out,
                                  c->buf, c->len, &c->moved);
    ASSERT(e != IOSIM_OK || c->moved <= c->len);
    if (e == IOSIM_EPIPE) { /* halted, and cleared by xhcid: the CSW says the rest */
        c->data_stalled = true;
        return IOSIM_OK;
    }
    return e;
}

/* Reads the CSW, once more after a stall [BOT 6.7.2]. */
static enum iosim_err read_csw(struct uscsi *s, uint32_t *got)
{
    enum iosim_err e = IOSIM_EPIPE;
    ASSERT(got != NULL);
    ASSERT(s->ep_in != 0);
    for (int i = 0; i < 2 && e == IOSIM_EPIPE; i++)
        e = uscsi_xfer(s, RING_OP_READ, s->ep_in, s->win + USCSI_CSW_OFF, USB_BOT_CSW_BYTES, got);
    return e;
}

const char *uscsi_csw_problem(const struct uscsi_cmd *c, const uint8_t *b, uint32_t got)
{
    if (got != USB_BOT_CSW_BYTES || le32(b + USB_BOT_CSW_SIGNATURE) != USB_BOT_CSW_SIGNATURE_VALUE ||
        le32(b + USB_BOT_CSW_TAG) != c->tag)
        return "bad_csw";
    uint8_t status = b[USB_BOT_CSW_STATUS];
    if (status == USB_BOT_CSW_STATUS_PHASE_ERROR)
        return "phase_error";
    uint32_t expected = c->dir == USCSI_NONE ? 0 : c->len;
    if (status > USB_BOT_CSW_STATUS_PHASE_ERROR || le32(b + USB_BOT_CSW_DATA_RESIDUE) > expected)
        return "bad_csw";
    return NULL;
}

enum iosim_err uscsi_bot_run(struct uscsi *s, struct uscsi_cmd *c)
{
    ASSERT(c->cdb_len >= 1 && c->cdb_len <= sizeof c->cdb);
    ASSERT(c->lun < s->luns); /* Get Max LUN came first */
    c->tag = ++s->tag;
    c->moved = c->residue = 0;
    c->csw_status = USB_BOT_CSW_STATUS_PHASE_ERROR;
    c->data_stalled = false;
    c->sense_key = c->asc = c->ascq = 0;
    c->start_ns = port_clock_ns();
    if (s->gone || s->dead) {
        c->outcome = "gone";
        return s->gone ? IOSIM_ENODEV : IOSIM_EIO;
    }
    write_cbw(s, c);
    uint32_t n;
    enum iosim_err e = uscsi_xfer(s, RING_OP_WRITE, s->ep_out, s->win + USCSI_CBW_OFF,
                                  USB_BOT_CBW_BYTES, &n);
    if (e == IOSIM_OK)
        e = data_stage(s, c);
    if (e == IOSIM_OK)
        e = read_csw(s, &n);
    if (e != IOSIM_OK)
        return recover(s, c, e == IOSIM_ETIMEDOUT ? "timeout" : s->gone ? "gone" : "error");
    uint8_t b[USB_BOT_CSW_BYTES];
    port_shm_read(b, s->win + USCSI_CSW_OFF, sizeof b);
    const char *problem = uscsi_csw_problem(c, b, n);
    if (problem != NULL)
        return recover(s, c, problem);
    c->csw_status = b[USB_BOT_CSW_STATUS];
    ASSERT(n == USB_BOT_CSW_BYTES); /* uscsi_csw_problem refused anything else */
    ASSERT(c->csw_status <= USB_BOT_CSW_STATUS_FAILED);
    uint32_t residue = le32(b + USB_BOT_CSW_DATA_RESIDUE);
    /* the larger: never more data than came. After a stalled data stage the
     * controller's count is lost (usb: says EPIPE, no bytes): none is
     * taken, so a device that stalls and then claims it sent everything
     * cannot hand out the buffer's old contents as data */
    ASSERT(c->moved <= c->len); /* uscsi_xfer bounded it */
    uint32_t short_by = c->dir == USCSI_NONE ? 0 : c->data_stalled ? c->len : c->len - c->moved;
    c->residue = residue > short_by ? residue : short_by;
    ASSERT(c->residue <= (c->dir == USCSI_NONE ? 0 : c->len)); /* never more than was asked */
    c->outcome = c->csw_status == USB_BOT_CSW_STATUS_PASSED
                     ? (c->data_stalled ? "stall" : "good") : "check_condition";
    return IOSIM_OK;
}
