/*
 * app_usbscsid: the class driver of USB mass storage (interface 08h/06h/
 * 50h: SCSI transparent command set over Bulk-Only Transport), started by
 * xhcid from its class-driver table. It talks to the device only through
 * xhcid's usb: scheme, brings up every logical unit Get Max LUN reports
 * (usbscsid_scsi.c), and serves the units as disk: (usbscsid_serve.c).
 *
 * It sleeps once, on both of its rings: its scheme's (a client's request,
 * a client arriving or leaving) and its usb: ring (the answer to the
 * detach request it posts at the start: the device went away). Between
 * requests nothing is polled.
 *
 * Arguments: usb (given by xhcid), scheme (the disk: scheme's name;
 * default the first free of "disk", "disk1", ...), max_xfer (bytes of one
 * command, a multiple of 4096 up to 1 MiB; default 120 KiB at high speed,
 * 1 MiB at SuperSpeed, as Linux's usb-storage), window (bytes of usb:
 * window for the clients' disk: windows, a multiple of 4096; 4 MiB; the
 * whole usb: window is at most 8 MiB), until_clients (exit once
 * that many disk: clients have come and gone; 0: serve until the device
 * or xhcid goes).
 *
 * Exit status: 0 when it ended as asked or with the device, 1 when the
 * device stopped answering (given up) or had no usable unit, 2 when
 * set-up failed.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/usbscsid/usbscsid.h"
#include "impl/port/port.h"
#include "impl/port/spec/usb_ch9.h"
#include "impl/port/spec/xhci_regs.h"

/* The bulk endpoints of the interface, from xhcid's info. */
static bool find_endpoints(struct uscsi *s)
{
    const struct usb_scheme_info *in = &s->uinfo;
    ASSERT(s->ep_in == 0 && s->ep_out == 0); /* looked for once */
    for (uint32_t i = 0; i < in->num_eps && i < 16; i++) {
        if ((in->ep[i].xfer & USB_EP_XFER_MASK) != USB_EP_XFER_BULK)
            continue;
        if (in->ep[i].address & USB_EP_ADDR_DIR_IN)
            s->ep_in = s->ep_in != 0 ? s->ep_in : in->ep[i].address;
        else
            s->ep_out = s->ep_out != 0 ? s->ep_out : in->ep[i].address;
    }
    ASSERT(s->ep_in == 0 || (s->ep_in & USB_EP_ADDR_DIR_IN) != 0);
    ASSERT((s->ep_out & USB_EP_ADDR_DIR_IN) == 0);
    return s->ep_in != 0 && s->ep_out != 0;
}

/* The window: scratch, the bounce buffer, then the clients' windows. */
static enum iosim_err carve(struct uscsi *s)
{
    void *win;
    enum iosim_err e = usb_client_window(&s->usb, s->win_len, &win);
    if (e != IOSIM_OK)
        return e;
    s->win = win;
    s->bounce = s->win + USCSI_SCRATCH_BYTES;
    ASSERT(s->max_xfer != 0 && s->max_xfer % 4096u == 0);
    ASSERT(s->win_len > USCSI_SCRATCH_BYTES + (uint64_t)s->max_xfer); /* room for the clients */
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = 4096;
    o.align_max = 4096;
    o.size_max = DISK_SCHEME_WINDOW_MAX;
    o.slices_max = 2 * USCSI_CLIENTS_MAX;
    o.chunks_max = 1;
    o.name = "usbscsid";
    e = bufpool_init(&s->cpool, &o);
    if (e != IOSIM_OK)
        return e;
    s->cpool_up = true;
    uint64_t used = USCSI_SCRATCH_BYTES + s->max_xfer;
    uint32_t chunk;
    return bufpool_chunk_add(&s->cpool, s->win + used, (size_t)(s->win_len - used),
                             s->usb.window_addr + used, NULL, NULL, &chunk);
}

static bool ask_detach(struct uscsi *s)
{
    ASSERT(s->usb.handle >= 0);
    struct ring_sqe64 q = {.opcode = RING_OP_READ, .fd = (uint64_t)s->usb.handle,
                           .offset = USB_SCHEME_DETACH};
    return iou_peer_submit(&s->usb.peer, &q, &s->detach_tag) == IOSIM_OK;
}

/* Answers already there: the detach request's says the device went. */
static void check_detach(struct uscsi *s)
{
    uint64_t tag, extra;
    int64_t st;
    enum iosim_err e;
    while ((e = iou_peer_poll(&s->usb.peer, &tag, &st, &extra)) == IOSIM_OK)
        if (tag == s->detach_tag)
            s->gone = true;
    if (e != IOSIM_EAGAIN)
        s->gone = true; /* xhcid's ring went down */
}

static uint32_t max_xfer_of(const struct uscsi *s, void *args)
{
    int64_t v = app_arg_int(args, "max_xfer", 0);
    ASSERT(USCSI_XFER_HS % 4096u == 0 && USCSI_XFER_SS <= DISK_SCHEME_XFER_MAX);
    if (v == 0)
        return s->uinfo.speed >= XHCI_SPEED_SUPER ? USCSI_XFER_SS : USCSI_XFER_HS;
    return v > 0 && v <= DISK_SCHEME_XFER_MAX && v % 4096 == 0 ? (uint32_t)v : 0;
}

static enum iosim_err set_up(struct uscsi *s, void *args)
{
    enum iosim_err e = usb_client_open(&s->usb, app_arg_str(args, "usb", ""));
    if (e == IOSIM_OK)
        e = usb_client_info(&s->usb, &s->uinfo);
    if (e != IOSIM_OK)
        return e;
    s->max_xfer = max_xfer_of(s, args);
    int64_t area = app_arg_int(args, "window", (int64_t)USCSI_CLIENT_AREA);
    s->win_len = USCSI_SCRATCH_BYTES + s->max_xfer + (uint64_t)area;
    if (s->max_xfer == 0 || area < 4096 || area % 4096 != 0 ||
        s->win_len > USB_SCHEME_WINDOW_MAX || !find_endpoints(s))
        return IOSIM_EINVAL;
    ASSERT(s->win_len <= USB_SCHEME_WINDOW_MAX);
    ASSERT(s->ep_in != 0 && s->ep_out != 0);
    e = carve(s);
    return e != IOSIM_OK ? e : ask_detach(s) ? IOSIM_OK : IOSIM_EIO;
}

/* Every unit Get Max LUN reports; at least one must come up. */
static bool units_up(struct uscsi *s)
{
    s->luns = uscsi_bot_max_lun(s);
    uint32_t up = 0;
    ASSERT(s->luns >= 1 && s->luns <= USCSI_LUNS_MAX);
    for (uint32_t l = 0; l < s->luns && !s->gone && !s->dead; l++)
        up += uscsi_unit_up(s, l) == IOSIM_OK;
    ASSERT(up <= s->luns);
    return up > 0;
}

static bool finished(const struct uscsi *s)
{
    ASSERT(s != NULL);
    if (s->until_clients == 0 || s->clients_done < s->until_clients)
        return false;
    for (uint32_t i = 0; i < USCSI_CLIENTS_MAX; i++)
        if (s->clients[i].used)
            return false;
    return true;
}

static void main_loop(struct uscsi *s)
{
    ASSERT(s->serving); /* uscsi_serve_open came first */
    ASSERT(s->usb.peer.ring.cq_hdr != NULL);
    port_atomic_u32 *usb_word = &s->usb.peer.ring.cq_hdr->shared_push_epoch;
    for (;;) {
        port_atomic_u32 *word = uscsi_serve_word(s);
        uint32_t seen = port_load_u32(word, PORT_ACQUIRE);
        uint32_t seen_usb = port_load_u32(usb_word, PORT_ACQUIRE);
        check_detach(s);
        if (!uscsi_serve(s) || s->gone || s->dead || finished(s))
            return;
        (void)port_wait_u32_pair(word, seen, usb_word, seen_usb, PORT_WAIT_FOREVER);
    }
}

static int32_t run(struct uscsi *s, void *args)
{
    s->until_clients = (uint32_t)app_arg_int(args, "until_clients", 0);
    if (set_up(s, args) != IOSIM_OK)
        return 2;
    if (!units_up(s))
        return s->gone ? 0 : 1;
    const char *name = app_arg_str(args, "scheme", NULL);
    if (uscsi_serve_open(s, name) != IOSIM_OK)
        return 2;
    ASSERT(s->luns >= 1);
    main_loop(s);
    if (s->gone || s->dead) /* what is in the rings is answered ENODEV or EIO */
        uscsi_serve_drain(s);
    return s->dead ? 1 : 0;
}

int32_t app_usbscsid(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct uscsi), 0, &mem) != IOSIM_OK)
        return 2;
    struct uscsi *s = mem.host; /* zeroed */
    int32_t st = run(s, args);
    uscsi_serve_close(s);
    if (s->cpool_up)
        bufpool_destroy(&s->cpool);
    usb_client_close(&s->usb);
    port_dma_free(&mem);
    return st;
}
