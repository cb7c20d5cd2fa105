/* The built-in device families (sim/scenario/family.h), in the order they
 * attach to a machine and list their types. Adding a family is its folder
 * under models/ plus one X(...) line here. */
#include <stddef.h>

#include "sim/scenario/family.h"

#define BUILTIN_FAMILIES(X) \
    X(testdev_family)       \
    X(pci_family)           \
    X(xhci_family)          \
    X(usb_family)

#define DECLARE_FAMILY(f) extern const struct sim_family f;
#define LIST_FAMILY(f) &f,
BUILTIN_FAMILIES(DECLARE_FAMILY)

const struct sim_family *const sim_builtin_families[] = {BUILTIN_FAMILIES(LIST_FAMILY) NULL};
