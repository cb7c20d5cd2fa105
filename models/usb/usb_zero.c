/* Gadget zero, the function; see usb_zero.h. */
#include "models/usb/usb_zero.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_desc.h"
#include "models/usb/usb_zero_internal.h"

#define NAME_BYTES 48u
#define INTR_COUNT_BYTES 4u
#define LOOP_QUEUE_DEFAULT_BYTES (16u << 10)

/*
 * Invariants: loop_len <= cfg.loop_queue_bytes, loop_head <
 * cfg.loop_queue_bytes; in_pos <= cfg.in_stream_bytes when that is not 0;
 * in_ended only with a finite stream; in_waiting / out_waiting only in
 * loopback mode (they record a NAK that owes the host a ready()).
 */
#define PATTERN_PERIODS 64u /* pattern periods per copied piece */

struct usb_zero {
    struct usb_zero_config cfg;  /* name points at `name` */
    char name[NAME_BYTES];
    struct usb_dev *dev;         /* owned */
    struct usb_zero_descs descs;
    struct usb_blob configs[1];
    uint16_t bulk_mps;
    enum usb_zero_mode mode;     /* what the active alternate setting runs */
    /* source/sink */
    uint64_t in_pos, out_pos;    /* stream positions */
    bool in_ended;
    uint32_t naks_left;
    /* loopback: a ring of cfg.loop_queue_bytes */
    uint8_t *loop;               /* owned */
    uint32_t loop_head, loop_len;
    bool in_waiting, out_waiting;
    uint32_t intr_count;
    struct usb_zero_counters counters;
    uint8_t ctrl_buf[USB_ZERO_CTRL_BUF_BYTES];
    /* bytes 0.. of the pattern, one period more than a piece needs */
    uint8_t pattern[USB_ZERO_PATTERN_MOD * (PATTERN_PERIODS + 1u)];
};

void usb_zero_config_default(struct usb_zero_config *cfg)
{
    ASSERT(cfg != NULL);
    *cfg = (struct usb_zero_config){
        .name = "zero",
        .speed = USB_SPEED_HIGH,
        .mode = USB_ZERO_SOURCE_SINK,
        .loop_queue_bytes = LOOP_QUEUE_DEFAULT_BYTES,
        .ss_max_burst = USB_SSC_MAX_BURST_MAX,
    };
}

/* ---- restarts ------------------------------------------------------------------------------ */

static void restart(struct usb_zero *z, enum usb_zero_mode mode)
{
    z->mode = mode;
    z->in_pos = z->out_pos = 0;
    z->in_ended = false;
    z->naks_left = z->cfg.in_nak_first;
    z->loop_head = z->loop_len = 0;
    z->in_waiting = z->out_waiting = false;
}

static void on_set_config(void *ctx, uint8_t value)
{
    struct usb_zero *z = ctx;
    (void)value;
    restart(z, z->cfg.mode);
}

static void on_set_alt(void *ctx, uint8_t interface, uint8_t alternate)
{
    struct usb_zero *z = ctx;
    ASSERT(interface == USB_ZERO_INTERFACE);
    enum usb_zero_mode other = z->cfg.mode == USB_ZERO_LOOPBACK ? USB_ZERO_SOURCE_SINK
                                                                : USB_ZERO_LOOPBACK;
    restart(z, alternate == 0 ? z->cfg.mode : other);
}

static void on_reset(void *ctx)
{
    struct usb_zero *z = ctx;
    restart(z, z->cfg.mode);
}

/* ---- source/sink --------------------------------------------------------------------------- */

/* Pieces of the pattern stream from pos, n bytes: copied to out, or
 * compared with check (counting the bytes that differ in *differ). A slice
 * of the gadget's pattern table per piece instead of a division per byte:
 * benchmarks stream hundreds of megabytes through here. */
static void pattern_pieces(const struct usb_zero *z, uint64_t pos, uint64_t n, uint8_t *out,
                           const uint8_t *check, uint64_t *differ)
{
    const uint64_t chunk = USB_ZERO_PATTERN_MOD * PATTERN_PERIODS;
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < chunk ? n - done : chunk;
        const uint8_t *p = z->pattern + (pos + done) % USB_ZERO_PATTERN_MOD;
        if (out != NULL)
            memcpy(out + done, p, (size_t)k);
        if (check != NULL && memcmp(check + done, p, (size_t)k) != 0)
            for (uint64_t i = 0; i < k; i++)
                *differ += check[done + i] != p[i];
        done += k;
    }
}

static enum usb_result source_in(struct usb_zero *z, uint8_t *buf, uint32_t max, uint32_t *got)
{
    if (z->in_ended) {
        z->counters.in_naks++;
        return USB_NAK; /* the stream is over: no ready() will come */
    }
    uint64_t n = max;
    bool finite = z->cfg.in_stream_bytes != 0;
    if (finite && z->cfg.in_stream_bytes - z->in_pos < n)
        n = z->cfg.in_stream_bytes - z->in_pos;
    pattern_pieces(z, z->in_pos, n, buf, NULL, NULL);
    z->in_pos += n;
    z->in_ended = finite && n < max;
    z->counters.in_bytes += n;
    *got = (uint32_t)n;
    return USB_ACK;
}

static enum usb_result sink_out(struct usb_zero *z, const uint8_t *buf, uint32_t len,
                                uint32_t *taken)
{
    pattern_pieces(z, z->out_pos, len, NULL, buf, &z->counters.mismatches);
    z->out_pos += len;
    z->counters.out_bytes += len;
    *taken = len;
    return USB_ACK;
}

/* ---- loopback ------------------------------------------------------------------------------ */

static uint32_t loop_free(const struct usb_zero *z)
{
    return z->cfg.loop_queue_bytes - z->loop_len;
}

/* The first piece of n bytes at offset `at` (mod the ring's size) before
 * the ring wraps; *at is reduced mod the size. */
static uint32_t ring_first(const struct usb_zero *z, uint32_t *at, uint32_t n)
{
    uint32_t cap = z->cfg.loop_queue_bytes;
    ASSERT(n <= cap);
    *at %= cap;
    return n < cap - *at ? n : cap - *at;
}

/* Reading and writing are two functions, not one with a NULL side: gcc's
 * Release build (-O2, no assertions) cannot see the NULL side is never
 * copied and refuses a memcpy from NULL (-Wnonnull). */
static void ring_read(const struct usb_zero *z, uint32_t at, uint8_t *out, uint32_t n)
{
    uint32_t first = ring_first(z, &at, n);
    memcpy(out, z->loop + at, first);
    memcpy(out + first, z->loop, n - first);
}

static void ring_write(struct usb_zero *z, uint32_t at, const uint8_t *in, uint32_t n)
{
    uint32_t first = ring_first(z, &at, n);
    memcpy(z->loop + at, in, first);
    memcpy(z->loop, in + first, n - first);
}

static enum usb_result loop_in(struct usb_zero *z, uint8_t *buf, uint32_t max, uint32_t *got)
{
    if (z->loop_len == 0) {
        z->in_waiting = true;
        z->counters.in_naks++;
        return USB_NAK;
    }
    uint32_t n = z->loop_len < max ? z->loop_len : max;
    ring_read(z, z->loop_head, buf, n);
    z->loop_head = (z->loop_head + n) % z->cfg.loop_queue_bytes;
    z->loop_len -= n;
    z->counters.in_bytes += n;
    *got = n;
    if (z->out_waiting && loop_free(z) >= z->bulk_mps) {
        z->out_waiting = false;
        (void)usb_dev_ready(z->dev, USB_ZERO_EP_BULK_OUT);
    }
    return USB_ACK;
}

static enum usb_result loop_out(struct usb_zero *z, const uint8_t *buf, uint32_t len,
                                uint32_t *taken)
{
    uint32_t room = loop_free(z);
    uint32_t n = len <= room ? len : room / z->bulk_mps * z->bulk_mps; /* whole packets */
    ring_write(z, z->loop_head + z->loop_len, buf, n);
    z->loop_len += n;
    z->counters.out_bytes += n;
    *taken = n;
    if (n > 0 && z->in_waiting) {
        z->in_waiting = false;
        (void)usb_dev_ready(z->dev, USB_ZERO_EP_BULK_IN);
    }
    if (n == len)
        return USB_ACK;
    z->out_waiting = true;
    return USB_NAK;
}

/* ---- the endpoints ------------------------------------------------------------------------- */

static enum usb_result intr_in(struct usb_zero *z, uint8_t *buf, uint32_t max, uint32_t *got)
{
    uint8_t v[INTR_COUNT_BYTES];
    for (uint32_t i = 0; i < INTR_COUNT_BYTES; i++)
        v[i] = (uint8_t)(z->intr_count >> (8 * i));
    z->intr_count++;
    z->counters.intr_in++;
    uint32_t n = max < INTR_COUNT_BYTES ? max : INTR_COUNT_BYTES;
    memcpy(buf, v, n);
    *got = n;
    return n < INTR_COUNT_BYTES ? USB_BABBLE : USB_ACK;
}

static enum usb_result zero_in(void *ctx, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                               uint32_t *got_bytes)
{
    struct usb_zero *z = ctx;
    if (ep_addr == USB_ZERO_EP_INTR_IN)
        return intr_in(z, buf, max_bytes, got_bytes);
    ASSERT(ep_addr == USB_ZERO_EP_BULK_IN);
    if (z->naks_left > 0) {
        z->naks_left--;
        z->counters.in_naks++;
        (void)usb_dev_ready(z->dev, ep_addr); /* nothing to wait for: retry at will */
        return USB_NAK;
    }
    return z->mode == USB_ZERO_LOOPBACK ? loop_in(z, buf, max_bytes, got_bytes)
                                        : source_in(z, buf, max_bytes, got_bytes);
}

static enum usb_result zero_out(void *ctx, uint8_t ep_addr, const uint8_t *buf,
                                uint32_t len_bytes, uint32_t *taken_bytes)
{
    struct usb_zero *z = ctx;
    ASSERT(ep_addr == USB_ZERO_EP_BULK_OUT);
    return z->mode == USB_ZERO_LOOPBACK ? loop_out(z, buf, len_bytes, taken_bytes)
                                        : sink_out(z, buf, len_bytes, taken_bytes);
}

/* ---- vendor requests ----------------------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
    for (uint32_t i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t encode_counters(const struct usb_zero *z, uint8_t out[USB_ZERO_COUNTERS_BYTES])
{
    put_le64(&out[USB_ZERO_CNT_IN_BYTES], z->counters.in_bytes);
    put_le64(&out[USB_ZERO_CNT_OUT_BYTES], z->counters.out_bytes);
    put_le64(&out[USB_ZERO_CNT_MISMATCHES], z->counters.mismatches);
    put_le64(&out[USB_ZERO_CNT_INTR_IN], z->counters.intr_in);
    put_le64(&out[USB_ZERO_CNT_IN_NAKS], z->counters.in_naks);
    return USB_ZERO_COUNTERS_BYTES;
}

static enum usb_result vendor_request(struct usb_zero *z, const struct usb_setup *s,
                                      uint8_t *data, uint32_t *len)
{
    bool in = usb_setup_in(s);
    bool plain = s->value == 0 && s->index == 0;
    bool fits = s->length <= USB_ZERO_CTRL_BUF_BYTES;
    switch (s->request) {
    case USB_ZERO_REQ_CTRL_WRITE:
        if (in || !plain || !fits)
            return USB_STALL;
        memcpy(z->ctrl_buf, data, s->length);
        return USB_ACK;
    case USB_ZERO_REQ_CTRL_READ:
        if (!in || !plain || !fits)
            return USB_STALL;
        memcpy(data, z->ctrl_buf, s->length);
        *len = s->length;
        return USB_ACK;
    case USB_ZERO_REQ_COUNTERS: {
        if (!in || !plain)
            return USB_STALL;
        uint8_t c[USB_ZERO_COUNTERS_BYTES];
        uint32_t n = encode_counters(z, c);
        *len = n < s->length ? n : s->length;
        memcpy(data, c, *len);
        return USB_ACK;
    }
    case USB_ZERO_REQ_HALT:
        if (in || s->value != 0 || s->length != 0 || s->index > UINT8_MAX)
            return USB_STALL;
        return usb_dev_halt(z->dev, (uint8_t)s->index) == IOSIM_OK ? USB_ACK : USB_STALL;
    default:
        return USB_STALL;
    }
}

static enum usb_result zero_control(void *ctx, const struct usb_setup *s, uint8_t *data,
                                    uint32_t *len_bytes)
{
    struct usb_zero *z = ctx;
    ASSERT(s != NULL);
    ASSERT(len_bytes != NULL);
    if (usb_setup_type(s) != USB_RT_TYPE_VENDOR ||
        usb_setup_recipient(s) != USB_RT_RECIPIENT_DEVICE)
        return USB_STALL;
    if (usb_setup_in(s))
        *len_bytes = 0;
    return vendor_request(z, s, data, len_bytes);
}

static const struct usb_fn_ops zero_ops = {
    .control = zero_control,
    .in = zero_in,
    .out = zero_out,
    .set_config = on_set_config,
    .set_alt = on_set_alt,
    .reset = on_reset,
};

/* ---- life cycle ---------------------------------------------------------------------------- */

static bool config_ok(const struct usb_zero_config *c)
{
    if (c->name == NULL || (unsigned)c->mode >= USB_ZERO_MODE_COUNT)
        return false;
    if ((unsigned)c->speed >= USB_SPEED_COUNT || c->speed == USB_SPEED_LOW)
        return false;
    return c->loop_queue_bytes >= usb_zero_bulk_max_packet(c->speed) &&
           c->loop_queue_bytes <= USB_ZERO_LOOP_QUEUE_MAX_BYTES &&
           c->ss_max_burst <= USB_SSC_MAX_BURST_MAX;
}

static struct usb_dev_config dev_config(struct usb_zero *z)
{
    const struct usb_zero_descs *o = &z->descs;
    z->configs[0] = o->config;
    return (struct usb_dev_config){
        .name = z->name, .speed = z->cfg.speed,
        .device = o->device, .configs = z->configs, .configs_count = 1,
        .strings = o->strings, .strings_count = USB_ZERO_STRINGS,
        .bos = o->bos, .qualifier = o->qualifier, .other_speed = o->other_speed,
        .self_powered = true,
        .ops = &zero_ops, .ctx = z,
    };
}

enum iosim_err usb_zero_create(const struct usb_zero_config *cfg, struct usb_zero **out)
{
    ASSERT(cfg != NULL);
    ASSERT(out != NULL);
    if (!config_ok(cfg))
        return IOSIM_EINVAL;
    struct usb_zero *z = calloc(1, sizeof *z);
    if (z == NULL)
        return IOSIM_ENOMEM;
    z->cfg = *cfg;
    for (uint32_t i = 0; i < sizeof z->pattern; i++)
        z->pattern[i] = usb_zero_pattern(i);
    snprintf(z->name, sizeof z->name, "%s", cfg->name);
    z->cfg.name = z->name;
    z->bulk_mps = usb_zero_bulk_max_packet(cfg->speed);
    enum iosim_err e = usb_zero_build_descs(&z->descs, &z->cfg);
    ASSERT(e == IOSIM_OK); /* the pool is sized for the largest set */
    z->loop = e == IOSIM_OK ? calloc(1, cfg->loop_queue_bytes) : NULL;
    if (e == IOSIM_OK && z->loop == NULL)
        e = IOSIM_ENOMEM;
    struct usb_dev_config dc = dev_config(z);
    if (e == IOSIM_OK)
        e = usb_dev_create(&dc, &z->dev);
    if (e != IOSIM_OK) {
        free(z->loop);
        free(z);
        return e;
    }
    restart(z, cfg->mode);
    *out = z;
    return IOSIM_OK;
}

void usb_zero_destroy(struct usb_zero *z)
{
    if (z == NULL)
        return;
    usb_dev_destroy(z->dev);
    free(z->loop);
    free(z);
}

struct usb_dev *usb_zero_dev(struct usb_zero *z)
{
    ASSERT(z != NULL);
    return z->dev;
}

enum usb_zero_mode usb_zero_mode(const struct usb_zero *z)
{
    ASSERT(z != NULL);
    return z->mode;
}

void usb_zero_counters(const struct usb_zero *z, struct usb_zero_counters *out)
{
    ASSERT(z != NULL);
    ASSERT(out != NULL);
    *out = z->counters;
}

enum iosim_err usb_zero_halt(struct usb_zero *z, uint8_t ep_addr)
{
    ASSERT(z != NULL);
    return usb_dev_halt(z->dev, ep_addr);
}
