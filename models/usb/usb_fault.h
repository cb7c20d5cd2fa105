/*
 * usb_fault.h - fault rules on a USB device's bulk and interrupt endpoints:
 * after N transfers to an endpoint, answer the next ones with STALL, a
 * transaction error, babble or NAK instead of the function, so a host
 * controller and its driver meet the errors real devices and cables
 * produce, at a transfer a scenario chooses.
 *
 * The rules sit between the framework and the function as a usb_fn_ops
 * wrapper (usb_dev_wrap_fn): the function never sees a transfer a rule
 * answered, and everything else (control requests, configuration,
 * resets) passes through unchanged.
 *
 *     struct usb_fault_rule r[] = {
 *         {.ep_addr = 0x81, .after = 3, .count = 1, .result = USB_BABBLE},
 *         {.ep_addr = 0x01, .after = 0, .count = 2, .result = USB_XACT_ERR},
 *     };
 *     struct usb_fault *f;
 *     usb_fault_create(r, 2, NULL, &f);
 *     usb_fault_wrap(f, dev);                  while dev is detached
 *     ... the 4th IN to 0x81 babbles; the first two OUTs to 0x01 get no answer ...
 *     usb_dev_destroy(dev);  usb_fault_destroy(f);
 *
 * Semantics, exact and deterministic:
 *   - Every call of the function's in/out op on an endpoint is one
 *     transfer attempt of that endpoint, counted from 1 for the device's
 *     life (bus resets, unplugging and replugging do not restart the
 *     count). A controller's retries - after a NAK, after a transaction
 *     error - are attempts too. Attempts the framework answers itself (a
 *     halted endpoint, one the configuration does not have, a device not
 *     yet reset) never reach the function and are not counted.
 *   - The rules are consulted in order; a rule is eligible for attempt n of
 *     its endpoint when n > after and it has answered fewer than count
 *     attempts. The first eligible rule answers the attempt; if none is,
 *     the function does. So two rules on one endpoint take turns in list
 *     order, never both on one attempt.
 *   - The answers: STALL (nothing moved; the framework halts the endpoint
 *     until the host clears it), XACT_ERR (no answer at all; nothing moved),
 *     BABBLE (IN only: the device sent past the host's buffer; nothing
 *     usable moved), NAK (nothing moved; the device calls usb_dev_ready at
 *     once, so the host retries on its own schedule and the retry is the
 *     next attempt).
 *
 * Ownership: usb_fault_create copies the rules; the wrapper is borrowed by
 * the device from usb_fault_wrap until usb_dev_destroy, so destroy the
 * device first. The `fired` hook (optional) is called inside the device's
 * call, after the rule's decision and before the answer; like a host's
 * ready hook it must not call back into the device. Single-threaded, no
 * simulated machine, no randomness.
 */
#ifndef IOSIM_MODELS_USB_FAULT_H
#define IOSIM_MODELS_USB_FAULT_H

#include <stdint.h>

#include "models/usb/usb_dev.h"

#define USB_FAULT_RULES_MAX 16u

struct usb_fault_rule {
    uint8_t ep_addr;             /* endpoint 1..15, USB_EP_ADDR_DIR_IN for IN */
    uint32_t after;              /* attempts of the endpoint that pass first */
    uint32_t count;              /* attempts the rule answers, >= 1 */
    enum usb_result result;      /* USB_STALL, USB_XACT_ERR, USB_BABBLE (IN only) or USB_NAK */
};

/* Told of every attempt a rule answered: its index in the rules, the
 * endpoint and the attempt's number on it. */
struct usb_fault_hook {
    void (*fired)(void *ctx, uint32_t rule, uint8_t ep_addr, uint64_t attempt);
    void *ctx;
};

struct usb_fault;

/* NULL: rule r breaks usb_fault_rule's comments (endpoint 0 or reserved
 * address bits, count 0, a result out of the four, babble on OUT), else
 * the first such problem, for messages. */
const char *usb_fault_rule_problem(const struct usb_fault_rule *r);

/* EINVAL: more than USB_FAULT_RULES_MAX rules, or one with a problem;
 * ENOMEM. rules and the hook are copied. */
enum iosim_err usb_fault_create(const struct usb_fault_rule *rules, uint32_t count,
                                const struct usb_fault_hook *hook, struct usb_fault **out);
void usb_fault_destroy(struct usb_fault *f);

/* Wraps d's function (usb_dev_wrap_fn's errors: EBUSY while attached);
 * one device per usb_fault, once (EBUSY after). */
enum iosim_err usb_fault_wrap(struct usb_fault *f, struct usb_dev *d);

/* Attempts rule i has answered so far (i < the rule count). */
uint32_t usb_fault_fired(const struct usb_fault *f, uint32_t rule);
/* Attempts endpoint ep_addr has seen so far. */
uint64_t usb_fault_attempts(const struct usb_fault *f, uint8_t ep_addr);

#endif /* IOSIM_MODELS_USB_FAULT_H */
