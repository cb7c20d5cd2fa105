/*
 * pci_generic.h - the generic PCI device a scenario defines (registers in
 * impl/port/spec/pci_generic_regs.h): a function on the root complex with the IDs, BARs and
 * capabilities given, a register file in its first memory BAR, and
 * registers that signal interrupts and do 4-byte DMAs, so that
 * enumeration, BAR mapping, MSI/MSI-X/INTx and bus-master gating can be
 * exercised without a real device model. Other BARs read 0 and ignore
 * writes; a register outside the file reads 0 and is noted once in the log.
 *
 *     struct pci_generic *g;
 *     pci_generic_create(root, &fn_config, 16, &g);   fn_config.ops/ctx are filled in
 *     ...
 *     pci_generic_destroy(g);                         before the root
 */
#ifndef IOSIM_MODELS_PCI_GENERIC_H
#define IOSIM_MODELS_PCI_GENERIC_H

#include <stdint.h>

#include "models/pci/pci_root.h"

struct pci_generic;

/* cfg is copied (its ops and ctx are replaced by the device's); file_regs
 * 1..PCIGEN_FILE_REGS_MAX. Errors as pci_root_add (why set). */
enum iosim_err pci_generic_create(struct pci_root *root, const struct pci_fn_config *cfg,
                                  uint32_t file_regs, struct pci_generic **out, const char **why);
void pci_generic_destroy(struct pci_generic *g);

#endif /* IOSIM_MODELS_PCI_GENERIC_H */
