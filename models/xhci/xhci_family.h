/*
 * xhci_family.h - what the xHCI family's description (xhci_family.c)
 * offers the descriptions of families whose devices hang off a controller
 * (models/usb/usb_family*.c): the descriptor, to know a controller among a
 * scenario's devices and a run's instances, and a controller's profile, so
 * a USB device's port can be checked when the scenario loads.
 * sim/scenario/family.h explains families.
 */
#ifndef IOSIM_MODELS_XHCI_FAMILY_H
#define IOSIM_MODELS_XHCI_FAMILY_H

#include "models/xhci/xhci_profile.h"
#include "sim/scenario/family.h"

extern const struct sim_family xhci_family;

/* The profile of a scenario's controller (d->family == &xhci_family);
 * static, like every profile. */
const struct xhci_profile *xhci_family_profile(const struct sim_scn_device *d);

#endif /* IOSIM_MODELS_XHCI_FAMILY_H */
