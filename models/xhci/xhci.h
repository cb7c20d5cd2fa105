/*
 * xhci.h - the xHCI host controller model: a PCI function on the PCI model
 * (models/pci) whose memory BAR holds the capability, operational, port,
 * runtime and doorbell registers of xHCI 1.2 (facts in
 * impl/port/spec/xhci_regs.h), driven by a controller profile
 * (xhci_profile.h) that says what the registers read and how long things
 * take.
 *
 * What it models (docs/architecture.md, "The xHCI model"): the registers
 * with their access types, reset (HCRST, CNR), run and halt with their
 * latencies, MFINDEX and its Wrap events, the root-hub ports (power,
 * reset, link state, change bits and Port Status Change events) with USB
 * devices plugged into them (xhci_usb_attach), the interrupters (IMAN, IMOD
 * moderation exactly as the spec's counter rules say, ERSTSZ/ERSTBA/ERDP
 * with EHB, event rings of several segments, Event Ring Full), the command
 * ring (cycle bit, Link TRBs, Command Stop and Abort) with every slot
 * command and its state rules, and the transfer rings of control, bulk and
 * interrupt endpoints with per-packet bus timing. Everything the controller
 * reads or writes in memory goes through the function's DMA (bus mastering,
 * the IOMMU); a DMA that fails is a Host System Error (USBSTS.HSE) as on
 * hardware, an event ring it cannot use a Host Controller Error (HCE),
 * never a host access out of bounds.
 *
 *     struct xhci *x;
 *     struct xhci_config c = {.name = "xhci0", .profile = xhci_profile_find("qemu"),
 *                             .dev = 4, .intx_line = 20};
 *     xhci_create(root, &c, &x, &why);
 *     ... the driver maps BAR 0 and programs the controller ...
 *     xhci_destroy(x);                       before the root
 *
 * Ownership: the controller borrows the root and the profile (static);
 * config strings are borrowed for the controller's life. Single-threaded
 * like every model: called from events and set-up code only.
 */
#ifndef IOSIM_MODELS_XHCI_H
#define IOSIM_MODELS_XHCI_H

#include <stdint.h>

#include "models/pci/pci_root.h"
#include "models/xhci/xhci_profile.h"

struct xhci;

struct xhci_config {
    const char *name;                    /* the function's and the trace's name */
    const struct xhci_profile *profile;  /* borrowed, static */
    const char *behind;                  /* a bridge's name, or NULL: bus 0 */
    uint8_t dev, fn;
    uint32_t intx_line;                  /* the machine line INTx drives */
    /* A fault: the hang_nth-th command of type hang_command (a TRB type; 0:
     * none) is fetched and never completes - only Command Abort ends it -
     * as a controller stuck on a device that never answers would be. */
    uint32_t hang_command, hang_nth;
};

/* The PCI function and its registers, reset and ready after the profile's
 * power-on time (CNR set until then). Errors as pci_root_add (why set). */
enum iosim_err xhci_create(struct pci_root *root, const struct xhci_config *c, struct xhci **out,
                           const char **why);
void xhci_destroy(struct xhci *x);

/* A device arrives on port `port_no` (1-based) at `speed` (a PORTSC speed
 * ID, XHCI_SPEED_*): CCS and CSC, a USB3 port trains to U0 and is enabled,
 * a USB2 port waits for its reset. EINVAL: no such port, or a speed of the
 * other protocol; EBUSY: occupied or unpowered. */
enum iosim_err xhci_port_connect(struct xhci *x, uint32_t port_no, uint32_t speed);
/* The device leaves: disconnected, CSC. ENOENT when nothing was there. */
enum iosim_err xhci_port_disconnect(struct xhci *x, uint32_t port_no);

/* A USB device (usb_dev.h) is plugged into port `port_no` (1-based) now:
 * the port sees the connection after the profile's connect_ps (USB 2: the
 * pull-up is detected; USB 3: the link trains to U0, which is also the
 * device's reset), then behaves as xhci_port_connect says, at the speed the
 * device runs at. The 100 ms attach debounce (TATTDB) is the driver's to
 * wait, as on real root hubs. The device is borrowed until
 * xhci_usb_detach or xhci_destroy; the controller attaches it to itself
 * (usb_dev_attach) and bus-resets it when the port resets. EINVAL: no such
 * port, a speed the port's protocol does not carry; EBUSY: a device is
 * plugged in there already, or d is attached elsewhere. */
struct usb_dev;
enum iosim_err xhci_usb_attach(struct xhci *x, uint32_t port_no, struct usb_dev *d);
/* The device is unplugged now: the port disconnects (CSC), transfers in
 * flight to it end with USB Transaction Error, and the device is detached
 * (usb_dev_detach) and no longer borrowed. ENOENT: no device there. */
enum iosim_err xhci_usb_detach(struct xhci *x, uint32_t port_no);
/* The device plugged into port_no, or NULL. */
struct usb_dev *xhci_usb_device(const struct xhci *x, uint32_t port_no);

/* ---- what tests and the family look at ---------------------------------------------------- */

struct pci_fn *xhci_fn(struct xhci *x);
/* Counts kept for tests and counters (events written, dropped on a full
 * ring, interrupts signalled, commands completed, host system errors). */
struct xhci_stats {
    uint64_t events_written, events_dropped, interrupts, commands, host_system_errors;
};
const struct xhci_stats *xhci_stats(const struct xhci *x);

#endif /* IOSIM_MODELS_XHCI_H */
