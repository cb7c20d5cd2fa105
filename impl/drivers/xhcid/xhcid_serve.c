/*
 * The usb: scheme (usb_scheme.h): class drivers xhcid starts from its
 * table, their rings, and their requests. Nothing a class driver sends is
 * trusted: every handle, offset, length and address is checked before it
 * is used, a buffer must lie wholly inside that client's own DMA window,
 * and a ring that breaks the protocol or fills up is dropped - xhcid never
 * waits on a client.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/xhcid/xhcid.h"
#include "impl/util/num.h"
#include "impl/util/strbuf.h"

#define SERVE_ENTRIES 16u

static int64_t err(enum iosim_err e) { return -(int64_t)iosim_err_errno(e); }

static uint32_t client_index(const struct xhcid *h, const struct xhcid_client *c)
{
    ASSERT(c >= h->clients);
    ASSERT(c < h->clients + XHCID_CLIENTS_MAX);
    return (uint32_t)(c - h->clients);
}

/* ---- the class-driver table ----------------------------------------------------------------- */

/* `digits` hex digits at *p (or '*' when `any`): the value, -1 for any, -2 bad. */
static int32_t hexfield(const char **p, uint32_t digits, bool any)
{
    ASSERT(p != NULL && *p != NULL);
    ASSERT(digits == 2 || digits == 4);
    if (any && **p == '*') {
        (*p)++;
        return -1;
    }
    int32_t v = 0;
    for (uint32_t i = 0; i < digits; i++, (*p)++) {
        int d = num_hex_digit(**p);
        if (d < 0)
            return -2;
        v = v << 4 | d;
    }
    return v;
}

static bool parse_match(const char **p, struct xhcid_rule *r)
{
    ASSERT(p != NULL && r != NULL);
    const char *s = *p;
    int32_t a = hexfield(&s, 4, false);
    if (a >= 0 && *s == ':') { /* vendor:product */
        s++;
        int32_t b = hexfield(&s, 4, false);
        *r = (struct xhcid_rule){.by_id = true, .vendor = (uint16_t)a, .product = (uint16_t)b};
        *p = s;
        return b >= 0;
    }
    s = *p;
    int32_t v[3];
    for (uint32_t i = 0; i < 3; i++) {
        if (i > 0 && *s++ != '.')
            return false;
        v[i] = hexfield(&s, 2, true);
        if (v[i] == -2)
            return false;
    }
    ASSERT(v[0] >= -1 && v[1] >= -1 && v[2] >= -1); /* a byte, or any */
    *r = (struct xhcid_rule){.cls = (int16_t)v[0], .subclass = (int16_t)v[1],
                             .protocol = (int16_t)v[2]};
    *p = s;
    return true;
}

static bool parse_name(const char **p, char *out)
{
    size_t n = 0;
    while (**p != '\0' && **p != ',') {
        char c = **p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok || n + 1 >= XHCID_DRIVER_NAME_MAX)
            return false;
        out[n++] = c;
        (*p)++;
    }
    ASSERT(n < XHCID_DRIVER_NAME_MAX);
    out[n] = '\0';
    return n > 0;
}

enum iosim_err xhcid_rules_parse(const char *text, struct xhcid_rule *rules, uint32_t *n,
                                 uint32_t *col, char *msg, size_t msg_cap)
{
    ASSERT(text != NULL && rules != NULL && n != NULL && col != NULL);
    const char *p = strcmp(text, "none") == 0 ? "" : text; /* no class drivers at all */
    *n = 0;
    while (*p != '\0') {
        const char *start = p;
        struct xhcid_rule r;
        const char *what = NULL;
        if (*n == XHCID_RULES_MAX)
            what = "more than 8 rules";
        else if (!parse_match(&p, &r))
            what = "expected VVVV:PPPP or CC.SS.PP (hex, '*' for any)";
        else if (*p++ != '=')
            what = "expected '=' and a driver after the match";
        else if (!parse_name(&p, r.driver))
            what = "expected a driver name (a-z, 0-9, _; at most 23)";
        if (what != NULL) {
            *col = (uint32_t)(start - text) + 1;
            struct strbuf sb;
            strbuf_init(&sb, msg, msg_cap);
            strbuf_put(&sb, what);
            return IOSIM_EPARSE;
        }
        ASSERT(*n < XHCID_RULES_MAX);
        rules[(*n)++] = r;
        if (*p == ',')
            p++;
    }
    return IOSIM_OK;
}

static const struct xhcid_rule *rule_for(const struct xhcid *h, const struct xhcid_dev *d,
                                         const struct usb_interface_info *in)
{
    ASSERT(h->nrules <= XHCID_RULES_MAX);
    ASSERT(d->state == XD_CONFIGURED);
    for (uint32_t i = 0; i < h->nrules; i++) {
        const struct xhcid_rule *r = &h->rules[i];
        bool hit = r->by_id ? r->vendor == d->info.vendor && r->product == d->info.product
                            : (r->cls < 0 || r->cls == in->cls) &&
                                  (r->subclass < 0 || r->subclass == in->subclass) &&
                                  (r->protocol < 0 || r->protocol == in->protocol);
        if (hit)
            return r;
    }
    return NULL;
}

/* ---- starting class drivers ----------------------------------------------------------------- */

static struct xhcid_client *client_new(struct xhcid *h)
{
    ASSERT(h->serving);
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++)
        if (!h->clients[i].used)
            return &h->clients[i];
    return NULL;
}

/* "PORT.IFACE": how a class driver names what it drives. */
static void put_where(struct strbuf *sb, uint32_t port, uint32_t iface)
{
    ASSERT(sb != NULL);
    ASSERT(port >= 1 && port <= XHCID_PORTS_MAX);
    strbuf_dec(sb, port);
    strbuf_put(sb, ".");
    strbuf_dec(sb, iface);
}

static void start_driver(struct xhcid *h, struct xhcid_dev *d, const struct usb_interface_info *in)
{
    const struct xhcid_rule *r = rule_for(h, d, in);
    if (r == NULL)
        return;
    struct xhcid_client *c = client_new(h);
    char name[48], args[XHCID_CLASS_ARGS_MAX + 32], detail[96];
    ASSERT(c == NULL || !c->used);
    struct strbuf sb;
    strbuf_init(&sb, name, sizeof name);
    strbuf_put(&sb, r->driver);
    strbuf_put(&sb, "-");
    put_where(&sb, d->port, in->number);
    strbuf_init(&sb, args, sizeof args);
    strbuf_put(&sb, "usb=");
    put_where(&sb, d->port, in->number);
    strbuf_put(&sb, h->class_args[0] != '\0' ? " " : "");
    strbuf_put(&sb, h->class_args);
    int64_t pid = c == NULL ? err(IOSIM_ENOSPC) : port_sys_spawn(name, r->driver, args, 0);
    strbuf_init(&sb, detail, sizeof detail);
    strbuf_put(&sb, name);
    strbuf_put(&sb, pid >= 0 ? ": pid " : ": errno ");
    strbuf_dec(&sb, (uint64_t)(pid >= 0 ? pid : -pid));
    xhcid_trace_dev(h, d, pid >= 0 ? "driver" : "no_driver", detail);
    if (pid < 0)
        return;
    ASSERT(c != NULL); /* no client: pid is an error */
    *c = (struct xhcid_client){.used = true, .pid = pid, .port = d->port, .iface = in->number};
}

void xhcid_serve_device_ready(struct xhcid *h, uint32_t dev)
{
    ASSERT(dev < XHCID_SLOTS_MAX);
    struct xhcid_dev *d = &h->devs[dev];
    ASSERT(d->state == XD_CONFIGURED);
    ASSERT(d->cfg.iface_count <= USB_PARSE_IFACES_MAX);
    if (!h->serving)
        return;
    for (uint32_t i = 0; i < d->cfg.iface_count; i++)
        start_driver(h, d, &d->cfg.iface[i]);
}

/* ---- answers -------------------------------------------------------------------------------- */

static void client_gone(struct xhcid *h, struct xhcid_client *c)
{
    ASSERT(c->used);
    if (c->gone)
        return;
    c->gone = true;
    xhcid_xfer_drop_client(h, client_index(h, c));
}

void xhcid_serve_answer(struct xhcid *h, uint32_t client, uint64_t user_data, int64_t status)
{
    ASSERT(client < XHCID_CLIENTS_MAX); /* from the driver's own records, never a peer */
    struct xhcid_client *c = &h->clients[client];
    ASSERT(!c->ring || c->used);
    if (!c->ring || c->gone)
        return;
    if (iou_reply(&c->io, user_data, status, 0) != IOSIM_OK) {
        client_gone(h, c); /* a full or broken CQ: it does not read its answers */
        return;
    }
    c->answered = true;
}

void xhcid_serve_device_gone(struct xhcid *h, uint32_t dev)
{
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(h->devs[dev].state == XD_CONFIGURED); /* only a configured device had clients */
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++) {
        struct xhcid_client *c = &h->clients[i];
        if (c->used && c->detach_wait && c->detach_dev == dev) {
            c->detach_wait = false;
            xhcid_serve_answer(h, i, c->detach_ud, 0);
        }
        for (uint32_t k = 0; k < XHCID_HANDLES_MAX; k++)
            if (c->handle[k].used && c->handle[k].dev == dev)
                c->handle[k].used = false; /* its later requests: EBADF */
    }
}

/* ---- requests ------------------------------------------------------------------------------- */

static struct xhcid_dev *dev_on_port(struct xhcid *h, uint32_t port)
{
    ASSERT(port <= XHCID_PORTS_MAX);
    for (uint32_t i = 0; i < XHCID_SLOTS_MAX; i++)
        if (h->devs[i].state == XD_CONFIGURED && h->devs[i].port == port && !h->devs[i].gone)
            return &h->devs[i];
    return NULL;
}

static int64_t do_open(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    char path[16];
    ASSERT(c->used && !c->gone);
    const void *user = q->len < sizeof path ? port_user_ptr(q->addr, q->len) : NULL;
    if (user == NULL)
        return err(q->len < sizeof path ? IOSIM_EFAULT : IOSIM_EINVAL);
    ASSERT(q->len < sizeof path); /* checked above: the peer's length is bounded */
    port_shm_read(path, user, q->len);
    path[q->len] = '\0';
    const char *dot = memchr(path, '.', q->len);
    uint64_t port = 0, iface = 0;
    if (dot == NULL || !num_parse_u64(path, (size_t)(dot - path), XHCID_PORTS_MAX, &port) ||
        !num_parse_u64(dot + 1, q->len - (size_t)(dot - path) - 1, 255, &iface) ||
        port != c->port || iface != c->iface)
        return err(IOSIM_EACCES); /* only what it was started for */
    struct xhcid_dev *d = dev_on_port(h, (uint32_t)port);
    if (d == NULL)
        return err(IOSIM_ENODEV);
    for (uint32_t k = 0; k < XHCID_HANDLES_MAX; k++) {
        if (!c->handle[k].used) {
            c->handle[k].used = true;
            c->handle[k].dev = (uint32_t)(d - h->devs);
            c->handle[k].iface = (uint32_t)iface;
            ASSERT(c->handle[k].dev < XHCID_SLOTS_MAX);
            return k + 1;
        }
    }
    return err(IOSIM_EBUSY);
}

/* The device and interface behind a handle, or NULL. */
static struct xhcid_dev *handle_dev(struct xhcid *h, struct xhcid_client *c, uint64_t fd,
                                    const struct usb_interface_info **in)
{
    if (fd == 0 || fd > XHCID_HANDLES_MAX || !c->handle[fd - 1].used)
        return NULL;
    ASSERT(c->handle[fd - 1].dev < XHCID_SLOTS_MAX);
    struct xhcid_dev *d = &h->devs[c->handle[fd - 1].dev];
    *in = NULL;
    for (uint32_t i = 0; i < d->cfg.iface_count; i++)
        if (d->cfg.iface[i].number == c->handle[fd - 1].iface)
            *in = &d->cfg.iface[i];
    return d->state == XD_CONFIGURED && *in != NULL ? d : NULL;
}

static void fill_info(const struct xhcid_dev *d, const struct usb_interface_info *in,
                      struct usb_scheme_info *o)
{
    ASSERT(d != NULL && in != NULL && o != NULL);
    ASSERT(in->num_eps <= USB_PARSE_EPS_MAX);
    memset(o, 0, sizeof *o);
    o->port = (uint8_t)d->port;
    o->speed = (uint8_t)d->speed;
    o->slot = (uint8_t)d->slot;
    o->iface = in->number;
    o->vendor = d->info.vendor;
    o->product = d->info.product;
    o->dev_class = d->info.cls;
    o->dev_subclass = d->info.subclass;
    o->dev_protocol = d->info.protocol;
    o->if_class = in->cls;
    o->if_subclass = in->subclass;
    o->if_protocol = in->protocol;
    o->num_eps = in->num_eps;
    memcpy(o->manufacturer, d->manufacturer, sizeof o->manufacturer);
    memcpy(o->product_name, d->product, sizeof o->product_name);
    memcpy(o->serial, d->serial, sizeof o->serial);
    for (uint32_t k = 0; k < in->num_eps && k < 16; k++)
        o->ep[k] = (struct usb_scheme_ep){
            .address = in->ep[k].address, .xfer = in->ep[k].xfer,
            .max_packet = in->ep[k].max_packet, .interval = in->ep[k].interval,
            .max_burst = in->ep[k].max_burst};
}

static int64_t copy_out(uint64_t addr, uint64_t cap, const void *src, size_t n)
{
    size_t len = cap < n ? (size_t)cap : n;
    ASSERT(src != NULL);
    ASSERT(len <= n); /* never past the source */
    void *user = len != 0 ? port_user_ptr(addr, len) : NULL;
    if (len != 0 && user == NULL)
        return err(IOSIM_EFAULT);
    if (len != 0)
        port_shm_write(user, src, len);
    return (int64_t)len;
}

/* Every interface of every configured device, as many as fit. */
static int64_t list(struct xhcid *h, const struct ring_sqe64 *q)
{
    struct usb_scheme_entry e;
    uint64_t done = 0;
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    for (uint32_t port = 1; port <= h->nports; port++) {
        const struct xhcid_dev *d = dev_on_port(h, port);
        for (uint32_t i = 0; d != NULL && i < d->cfg.iface_count; i++) {
            if (q->len - done < sizeof e)
                return (int64_t)done;
            const struct usb_interface_info *in = &d->cfg.iface[i];
            e = (struct usb_scheme_entry){
                .port = (uint8_t)port, .iface = in->number, .speed = (uint8_t)d->speed,
                .if_class = in->cls, .if_subclass = in->subclass, .if_protocol = in->protocol,
                .vendor = d->info.vendor, .product = d->info.product};
            int64_t st = copy_out(q->addr + done, sizeof e, &e, sizeof e);
            if (st < 0)
                return st;
            done += sizeof e;
        }
    }
    ASSERT(done <= q->len);
    return (int64_t)done;
}

static int64_t do_read_meta(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    const struct usb_interface_info *in;
    struct xhcid_dev *d = handle_dev(h, c, q->fd, &in);
    if (d == NULL)
        return err(IOSIM_EBADF);
    ASSERT(d->state == XD_CONFIGURED && in != NULL); /* handle_dev's promise */
    ASSERT(d->cfg_total <= XHCID_CTL_BUF_BYTES);
    if (q->offset == USB_SCHEME_INFO) {
        struct usb_scheme_info info;
        if (q->len < sizeof info)
            return err(IOSIM_EINVAL);
        fill_info(d, in, &info);
        return copy_out(q->addr, q->len, &info, sizeof info);
    }
    if (q->offset == USB_SCHEME_LIST)
        return list(h, q);
    if (q->offset == USB_SCHEME_DESC + (USB_DT_DEVICE << 8))
        return copy_out(q->addr, q->len, d->dev_raw, sizeof d->dev_raw);
    if (q->offset == USB_SCHEME_DESC + (USB_DT_CONFIG << 8))
        return copy_out(q->addr, q->len, d->cfg_raw, d->cfg_total);
    if (q->offset == USB_SCHEME_DETACH) {
        if (c->detach_wait)
            return err(IOSIM_EBUSY);
        c->detach_wait = true;
        c->detach_ud = q->user_data;
        c->detach_dev = (uint32_t)(d - h->devs);
        return INT64_MIN; /* answered when it happens */
    }
    return err(IOSIM_EINVAL);
}

static int64_t do_fmap(struct xhcid_client *c, const struct ring_sqe64 *q, uint64_t *extra)
{
    if (c->window.host != NULL)
        return err(IOSIM_EBUSY);
    if (q->len == 0 || q->len > USB_SCHEME_WINDOW_MAX || q->offset != 0)
        return err(IOSIM_EINVAL);
    enum iosim_err e = port_dma_alloc((size_t)q->len, XHCI_TRB_BOUNDARY_BYTES, &c->window);
    if (e != IOSIM_OK)
        return err(e);
    ASSERT(c->window.host != NULL);
    ASSERT(c->window.len_bytes >= q->len);
    *extra = port_user_addr(c->window.host);
    return (int64_t)q->len;
}

/* The bus address of [addr, addr + len) when it lies in c's window. */
static bool in_window(const struct xhcid_client *c, uint64_t addr, uint64_t len, uint64_t *bus)
{
    if (c->window.host == NULL)
        return false;
    uint64_t base = port_user_addr(c->window.host);
    if (addr < base || len > c->window.len_bytes || addr - base > c->window.len_bytes - len)
        return false;
    *bus = c->window.bus_addr + (addr - base);
    ASSERT(*bus >= c->window.bus_addr);
    ASSERT(*bus + len <= c->window.bus_addr + c->window.len_bytes); /* wholly inside */
    return true;
}

static const struct usb_endpoint_info *ep_in(const struct usb_interface_info *in, uint8_t address)
{
    ASSERT(in != NULL);
    ASSERT(in->num_eps <= USB_PARSE_EPS_MAX);
    for (uint32_t k = 0; k < in->num_eps; k++)
        if (in->ep[k].address == address)
            return &in->ep[k];
    return NULL;
}

static int64_t queued(struct xhcid_client *c, enum iosim_err e)
{
    ASSERT(c->used);
    ASSERT(e != IOSIM_OK || !c->gone); /* a client that went queues nothing */
    if (e != IOSIM_OK)
        return err(e);
    c->inflight++;
    return INT64_MIN;
}

static int64_t do_transfer(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    const struct usb_interface_info *in;
    struct xhcid_dev *d = handle_dev(h, c, q->fd, &in);
    if (d == NULL)
        return err(IOSIM_EBADF);
    uint8_t address = (uint8_t)(q->offset - USB_SCHEME_EP);
    const struct usb_endpoint_info *ep = ep_in(in, address);
    bool dir_in = (address & USB_EP_ADDR_DIR_IN) != 0;
    uint64_t bus;
    bool streamed = ep != NULL && (ep->xfer == USB_EP_XFER_BULK || ep->xfer == USB_EP_XFER_INTERRUPT);
    if (!streamed || dir_in != (q->opcode == RING_OP_READ) || q->len > USB_SCHEME_XFER_MAX ||
        (q->len == 0 && dir_in))
        return err(IOSIM_EINVAL); /* control requests go through USB_SCHEME_CONTROL, to EP0 */
    if (!in_window(c, q->addr, q->len, &bus))
        return err(IOSIM_EFAULT);
    if (c->inflight >= USB_SCHEME_INFLIGHT_MAX)
        return err(IOSIM_EBUSY);
    uint32_t dci = 2u * (address & USB_EP_ADDR_NUMBER_MASK) + (dir_in ? 1u : 0u);
    /* an endpoint of the parsed configuration: never EP0 */
    ASSERT(dci > XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    ASSERT(c->window.host != NULL); /* in_window said so */
    return queued(c, xhcid_xfer_normal(h, (uint32_t)(d - h->devs), dci, bus, (uint32_t)q->len,
                                       client_index(h, c), q->user_data));
}

static int64_t do_reset(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    const struct usb_interface_info *in;
    struct xhcid_dev *d = handle_dev(h, c, q->fd, &in);
    if (d == NULL)
        return err(IOSIM_EBADF);
    uint8_t address = (uint8_t)(q->offset - USB_SCHEME_RESET);
    if (ep_in(in, address) == NULL || q->len != 0)
        return err(IOSIM_EINVAL);
    uint32_t dci = 2u * (address & USB_EP_ADDR_NUMBER_MASK) +
                   ((address & USB_EP_ADDR_DIR_IN) ? 1u : 0u);
    ASSERT(dci > XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    return queued(c, xhcid_xfer_reset(h, (uint32_t)(d - h->devs), dci, client_index(h, c),
                                       q->user_data));
}

static bool request_is_xhcids(const struct usb_scheme_control *s)
{
    ASSERT(s != NULL);
    bool standard = (s->request_type & USB_RT_TYPE_MASK) == 0;
    return standard && (s->request == USB_REQ_SET_ADDRESS ||
                        s->request == USB_REQ_SET_CONFIGURATION ||
                        s->request == USB_REQ_SET_INTERFACE);
}

static int64_t do_control(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    const struct usb_interface_info *in;
    struct xhcid_dev *d = handle_dev(h, c, q->fd, &in);
    if (d == NULL)
        return err(IOSIM_EBADF);
    struct usb_scheme_control s;
    uint64_t bus;
    if (q->len < sizeof s || !in_window(c, q->addr, sizeof s, &bus))
        return err(IOSIM_EFAULT);
    ASSERT(c->window.host != NULL); /* in_window said so */
    ASSERT(bus - c->window.bus_addr + sizeof s <= c->window.len_bytes);
    port_shm_read(&s, (const uint8_t *)c->window.host + (bus - c->window.bus_addr), sizeof s);
    if (request_is_xhcids(&s))
        return err(IOSIM_EACCES);
    uint64_t data;
    if (q->len != sizeof s + s.length || !in_window(c, q->addr + sizeof s, s.length, &data))
        return err(IOSIM_EFAULT);
    if (c->inflight >= USB_SCHEME_INFLIGHT_MAX)
        return err(IOSIM_EBUSY);
    uint64_t setup = (uint64_t)s.request_type | (uint64_t)s.request << 8 |
                     (uint64_t)s.value << 16 | (uint64_t)s.index << 32 |
                     (uint64_t)s.length << 48;
    return queued(c, xhcid_xfer_control(h, (uint32_t)(d - h->devs), setup, data, s.length,
                                        client_index(h, c), q->user_data));
}

static int64_t do_close(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q)
{
    if (q->fd == 0 || q->fd > XHCID_HANDLES_MAX || !c->handle[q->fd - 1].used)
        return err(IOSIM_EBADF);
    ASSERT(c->used);
    c->handle[q->fd - 1].used = false;
    if (c->detach_wait) {
        c->detach_wait = false;
        xhcid_serve_answer(h, client_index(h, c), c->detach_ud, err(IOSIM_ECANCELED));
    }
    return 0;
}

/* A result, or INT64_MIN when the answer comes later. */
static int64_t handle(struct xhcid *h, struct xhcid_client *c, const struct ring_sqe64 *q,
                      uint64_t *extra)
{
    ASSERT(c->used && c->ring);
    ASSERT(!c->gone); /* serve_client stops at a client that went */
    switch (q->opcode) {
    case RING_OP_OPEN: return do_open(h, c, q);
    case RING_OP_CLOSE: return do_close(h, c, q);
    case RING_OP_FMAP: return do_fmap(c, q, extra);
    case RING_OP_READ:
        return q->offset < USB_SCHEME_RESET ? do_transfer(h, c, q) : do_read_meta(h, c, q);
    case RING_OP_WRITE:
        return q->offset < USB_SCHEME_RESET      ? do_transfer(h, c, q)
               : q->offset < USB_SCHEME_CONTROL  ? do_reset(h, c, q)
               : q->offset == USB_SCHEME_CONTROL ? do_control(h, c, q)
                                                 : err(IOSIM_EINVAL);
    default: return err(IOSIM_ENOSYS);
    }
}

/* ---- rings ---------------------------------------------------------------------------------- */

static struct xhcid_client *client_of_pid(struct xhcid *h, int64_t pid)
{
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++)
        if (h->clients[i].used && h->clients[i].pid == pid && pid > 0)
            return &h->clients[i];
    return NULL;
}

/* A class driver offers its ring (the kernel says who it is). */
static int64_t accept_ring(struct xhcid *h, const struct ring_sqe64 *q)
{
    ASSERT(h->serving);
    if (!(q->syscall_flags & URING_DUP_NEW_RING))
        return err(IOSIM_EACCES);
    struct xhcid_client *c = client_of_pid(h, (int64_t)q->addr);
    if (c == NULL || c->gone)
        return err(IOSIM_EACCES); /* not a process xhcid started */
    if (c->ring)
        return err(IOSIM_EBUSY);
    enum iosim_err e = iou_accept_peer(&c->io, (int64_t)q->fd, (uint32_t)q->len,
                                       (uint32_t)q->offset, (uint32_t)(q->offset >> 32));
    if (e != IOSIM_OK)
        return err(e);
    c->ring = true;
    ASSERT(c->used && !c->gone);
    return 0;
}

static bool serve_main(struct xhcid *h)
{
    struct ring_sqe64 q;
    enum iosim_err e;
    uint32_t served = 0;
    ASSERT(h->serving && h->sock >= 0);
    while ((e = iou_next_request(&h->main, &q)) == IOSIM_OK) {
        int64_t st = q.opcode == RING_OP_DUP ? accept_ring(h, &q) : err(IOSIM_EACCES);
        if (iou_reply(&h->main, q.user_data, st, 0) != IOSIM_OK)
            return false;
        served++;
    }
    if (served > 0)
        (void)iou_enter(&h->main, 0, 0); /* the kernel takes the answers on */
    return e == IOSIM_EAGAIN;
}

static void serve_client(struct xhcid *h, struct xhcid_client *c)
{
    struct ring_sqe64 q;
    enum iosim_err e = IOSIM_EAGAIN;
    ASSERT(c->used && c->ring);
    while (!c->gone && (e = iou_next_request(&c->io, &q)) == IOSIM_OK) {
        uint64_t extra = 0;
        int64_t st = handle(h, c, &q, &extra);
        if (st == INT64_MIN)
            continue;
        if (iou_reply(&c->io, q.user_data, st, extra) != IOSIM_OK) {
            e = IOSIM_EPROTO; /* its CQ is full or broken: it does not read its answers */
            break;
        }
        c->answered = true;
    }
    if (!c->gone && e != IOSIM_EAGAIN)
        client_gone(h, c);
}

/* A client that went and has nothing left on the controller: its ring and
 * window go. */
static void reap(struct xhcid_client *c)
{
    ASSERT(c->used);
    if (!c->gone || c->inflight != 0)
        return;
    if (c->ring) {
        iou_close(&c->io);
        c->ring = false;
    }
    if (c->window.host != NULL)
        port_dma_free(&c->window);
    ASSERT(!c->ring); /* a reaped client has no ring left */
}

void xhcid_serve(struct xhcid *h)
{
    ASSERT(h != NULL);
    if (!h->serving)
        return;
    if (!serve_main(h))
        h->serving = false;
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++) {
        struct xhcid_client *c = &h->clients[i];
        if (c->used && c->ring)
            serve_client(h, c);
        if (c->used)
            reap(c);
    }
}

void xhcid_serve_flush(struct xhcid *h)
{
    ASSERT(h != NULL);
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++) {
        struct xhcid_client *c = &h->clients[i];
        if (c->used && c->ring && c->answered) {
            c->answered = false;
            (void)iou_enter(&c->io, 0, 0); /* tells the client its answers are there */
        }
    }
}

port_atomic_u32 *xhcid_serve_word(struct xhcid *h)
{
    ASSERT(!h->serving || h->main.sq_hdr != NULL);
    return h->serving ? &h->main.sq_hdr->shared_push_epoch : &h->wake;
}

bool xhcid_serve_clients_done(const struct xhcid *h)
{
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++)
        if (h->clients[i].used && (!h->clients[i].gone || h->clients[i].inflight != 0))
            return false;
    return true;
}

uint32_t xhcid_serve_started(const struct xhcid *h)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++)
        n += h->clients[i].used;
    ASSERT(n <= XHCID_CLIENTS_MAX);
    return n;
}

enum iosim_err xhcid_serve_open(struct xhcid *h)
{
    ASSERT(!h->serving && h->sock == -1); /* opened once */
    h->sock = app_scheme_open(USB_SCHEME_NAME, SERVE_ENTRIES, &h->main);
    if (h->sock < 0)
        return IOSIM_EIO;
    h->serving = true;
    return IOSIM_OK;
}

void xhcid_serve_close(struct xhcid *h)
{
    for (uint32_t i = 0; i < XHCID_CLIENTS_MAX; i++) {
        struct xhcid_client *c = &h->clients[i];
        if (c->used && c->ring)
            iou_close(&c->io);
        if (c->used && c->window.host != NULL)
            port_dma_free(&c->window);
        memset(c, 0, sizeof *c);
    }
    if (h->sock >= 0) {
        iou_close(&h->main);
        (void)port_sys_close((uint64_t)h->sock);
    }
    h->sock = -1;
    h->serving = false;
    ASSERT(xhcid_serve_started(h) == 0); /* every client record is cleared */
}
