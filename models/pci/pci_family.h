/*
 * pci_family.h - what the PCI family's description files share:
 * pci_family.c (machine.pci, devices of type `pci` and `pci_bridge`, the
 * descriptor) and pci_family_dump.c (devices of type `pci_dump`), and the
 * description of families whose devices are PCI functions (xhci_family.c).
 * sim/scenario/family.h explains families.
 */
#ifndef IOSIM_MODELS_PCI_FAMILY_H
#define IOSIM_MODELS_PCI_FAMILY_H

#include <stdint.h>

#include "models/pci/pci_root.h"
#include "sim/scenario/family.h"

/* Indexes of the family's `type:` names. */
enum pci_family_type {
    PCI_FAMILY_PCI,      /* the generic device (pci_generic) */
    PCI_FAMILY_BRIDGE,   /* a PCI-to-PCI bridge */
    PCI_FAMILY_DUMP,     /* one function of a real machine's dump */
};

/* One function of the family, as the scenario describes it. */
struct pci_dev_config {
    struct pci_fn_config fn;   /* .name is the device's name, .behind points at behind */
    char behind[SIM_NAME_MAX]; /* the bridge above, or "" */
    uint32_t regs;             /* PCI_FAMILY_PCI: its register file */
    uint8_t *image;            /* PCI_FAMILY_DUMP: the dumped bytes, owned */
    int32_t dump_bus;          /* PCI_FAMILY_DUMP: its bus in the dump; -1 otherwise */
};

extern const struct sim_family pci_family;

/* The config of the scenario's device i when it is a function of this
 * family, else NULL. */
const struct pci_dev_config *pci_family_config(const struct sim_family_loader *ld, uint32_t i);

/* Adds a function (a device of the family): refuses more than the root
 * complex holds. */
enum iosim_err pci_family_add(struct sim_family_loader *ld, const struct yml_node *at,
                              const char *name, enum pci_family_type type,
                              struct sim_scn_device **out);

/* `at: "DD.F"` (device and function in hex) and `behind: BRIDGE` (a
 * pci_bridge declared before; "" when absent), for this family's devices
 * and for families whose devices sit on the PCI root (xHCI). */
enum iosim_err pci_family_load_at(struct sim_family_loader *ld, const struct yml_node *map,
                                  uint8_t *dev, uint8_t *fn);
enum iosim_err pci_family_load_behind(struct sim_family_loader *ld, const struct yml_node *map,
                                      char behind[SIM_NAME_MAX]);

/* A `pci_dump` entry: one device per dumped function, named NAME-BB.DD.F. */
enum iosim_err pci_family_load_dump(struct sim_family_loader *ld, const struct yml_node *map,
                                    const char *name);

#endif /* IOSIM_MODELS_PCI_FAMILY_H */
