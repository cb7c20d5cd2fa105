/* Fault rules on a USB device's endpoints; see usb_fault.h. */
#include "models/usb/usb_fault.h"

#include <stdlib.h>

#include "impl/port/check.h"

#define SLOT_IN 16u
#define EP_ADDR_RESERVED 0x70u /* bEndpointAddress 6:4 [USB2 table 9-13] */

/*
 * Invariants: fired[i] <= rules[i].count; dev != NULL once wrapped; ops
 * has a member exactly where the wrapped function has one (so the
 * framework treats a missing op as it would without the wrapper).
 */
struct usb_fault {
    struct usb_fault_rule rules[USB_FAULT_RULES_MAX];
    uint32_t fired[USB_FAULT_RULES_MAX];
    uint32_t count;
    uint64_t attempts[USB_DEV_EP_SLOTS];
    struct usb_fault_hook hook;
    struct usb_dev *dev;            /* borrowed: the wrapped device */
    struct usb_fn_ops ops;          /* what the device calls */
    const struct usb_fn_ops *inner; /* the function's, borrowed; may be NULL */
    void *inner_ctx;
};

static uint32_t slot_of(uint8_t ep_addr)
{
    return (ep_addr & USB_EP_ADDR_NUMBER_MASK) | ((ep_addr & USB_EP_ADDR_DIR_IN) ? SLOT_IN : 0u);
}

const char *usb_fault_rule_problem(const struct usb_fault_rule *r)
{
    ASSERT(r != NULL);
    if ((r->ep_addr & USB_EP_ADDR_NUMBER_MASK) == 0 || (r->ep_addr & EP_ADDR_RESERVED) != 0)
        return "the endpoint must be 0x01..0x0f (OUT) or 0x81..0x8f (IN)";
    if (r->count == 0)
        return "count must be at least 1";
    if (r->result != USB_STALL && r->result != USB_XACT_ERR && r->result != USB_BABBLE &&
        r->result != USB_NAK)
        return "the result must be stall, xact_error, babble or nak";
    if (r->result == USB_BABBLE && !(r->ep_addr & USB_EP_ADDR_DIR_IN))
        return "babble is a device sending too much: IN endpoints only";
    return NULL;
}

/* The rule that answers this attempt, or count when none does. */
static uint32_t pick(const struct usb_fault *f, uint8_t ep_addr, uint64_t attempt)
{
    for (uint32_t i = 0; i < f->count; i++) {
        const struct usb_fault_rule *r = &f->rules[i];
        if (r->ep_addr == ep_addr && attempt > r->after && f->fired[i] < r->count)
            return i;
    }
    return f->count;
}

/* Counts the attempt; true when a rule answers it, with *res. */
static bool faulted(struct usb_fault *f, uint8_t ep_addr, enum usb_result *res)
{
    uint64_t attempt = ++f->attempts[slot_of(ep_addr)];
    uint32_t i = pick(f, ep_addr, attempt);
    if (i == f->count)
        return false;
    f->fired[i]++;
    ASSERT(f->fired[i] <= f->rules[i].count);
    *res = f->rules[i].result;
    if (f->hook.fired != NULL)
        f->hook.fired(f->hook.ctx, i, ep_addr, attempt);
    if (*res == USB_NAK)
        (void)usb_dev_ready(f->dev, ep_addr); /* nothing to wait for: retry at will */
    return true;
}

/* ---- the wrapper's ops: rules first for in/out, the rest passes through ---------------------- */

static enum usb_result fault_in(void *ctx, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                                uint32_t *got_bytes)
{
    struct usb_fault *f = ctx;
    enum usb_result res;
    if (faulted(f, ep_addr, &res)) {
        *got_bytes = 0;
        return res;
    }
    return f->inner->in(f->inner_ctx, ep_addr, buf, max_bytes, got_bytes);
}

static enum usb_result fault_out(void *ctx, uint8_t ep_addr, const uint8_t *buf,
                                 uint32_t len_bytes, uint32_t *taken_bytes)
{
    struct usb_fault *f = ctx;
    enum usb_result res;
    if (faulted(f, ep_addr, &res)) {
        *taken_bytes = 0;
        return res;
    }
    return f->inner->out(f->inner_ctx, ep_addr, buf, len_bytes, taken_bytes);
}

static enum usb_result pass_control(void *ctx, const struct usb_setup *s, uint8_t *data,
                                    uint32_t *len_bytes)
{
    struct usb_fault *f = ctx;
    return f->inner->control(f->inner_ctx, s, data, len_bytes);
}

static void pass_set_config(void *ctx, uint8_t value)
{
    struct usb_fault *f = ctx;
    f->inner->set_config(f->inner_ctx, value);
}

static void pass_set_alt(void *ctx, uint8_t interface, uint8_t alternate)
{
    struct usb_fault *f = ctx;
    f->inner->set_alt(f->inner_ctx, interface, alternate);
}

static void pass_halt_cleared(void *ctx, uint8_t ep_addr)
{
    struct usb_fault *f = ctx;
    f->inner->halt_cleared(f->inner_ctx, ep_addr);
}

static void pass_reset(void *ctx)
{
    struct usb_fault *f = ctx;
    f->inner->reset(f->inner_ctx);
}

/* The wrapper has an op exactly where the function has one. */
static void build_ops(struct usb_fault *f)
{
    const struct usb_fn_ops *in = f->inner;
    if (in == NULL)
        return;
    f->ops = (struct usb_fn_ops){
        .control = in->control != NULL ? pass_control : NULL,
        .in = in->in != NULL ? fault_in : NULL,
        .out = in->out != NULL ? fault_out : NULL,
        .set_config = in->set_config != NULL ? pass_set_config : NULL,
        .set_alt = in->set_alt != NULL ? pass_set_alt : NULL,
        .halt_cleared = in->halt_cleared != NULL ? pass_halt_cleared : NULL,
        .reset = in->reset != NULL ? pass_reset : NULL,
    };
}

/* ---- life cycle ---------------------------------------------------------------------------- */

enum iosim_err usb_fault_create(const struct usb_fault_rule *rules, uint32_t count,
                                const struct usb_fault_hook *hook, struct usb_fault **out)
{
    ASSERT(rules != NULL || count == 0);
    ASSERT(out != NULL);
    if (count > USB_FAULT_RULES_MAX)
        return IOSIM_EINVAL;
    for (uint32_t i = 0; i < count; i++)
        if (usb_fault_rule_problem(&rules[i]) != NULL)
            return IOSIM_EINVAL;
    struct usb_fault *f = calloc(1, sizeof *f);
    if (f == NULL)
        return IOSIM_ENOMEM;
    for (uint32_t i = 0; i < count; i++)
        f->rules[i] = rules[i];
    f->count = count;
    if (hook != NULL)
        f->hook = *hook;
    *out = f;
    return IOSIM_OK;
}

void usb_fault_destroy(struct usb_fault *f)
{
    free(f);
}

enum iosim_err usb_fault_wrap(struct usb_fault *f, struct usb_dev *d)
{
    ASSERT(f != NULL);
    ASSERT(d != NULL);
    if (f->dev != NULL)
        return IOSIM_EBUSY;
    const struct usb_fn_ops *inner = NULL;
    void *inner_ctx = NULL;
    enum iosim_err e = usb_dev_wrap_fn(d, &f->ops, f, &inner, &inner_ctx);
    if (e != IOSIM_OK)
        return e;
    /* the device holds &f->ops: fill it in before anything can call it */
    f->inner = inner;
    f->inner_ctx = inner_ctx;
    f->dev = d;
    build_ops(f);
    return IOSIM_OK;
}

uint32_t usb_fault_fired(const struct usb_fault *f, uint32_t rule)
{
    ASSERT(f != NULL);
    ASSERT(rule < f->count);
    return f->fired[rule];
}

uint64_t usb_fault_attempts(const struct usb_fault *f, uint8_t ep_addr)
{
    ASSERT(f != NULL);
    return f->attempts[slot_of(ep_addr)];
}
