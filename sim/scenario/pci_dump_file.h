/*
 * pci_dump_file.h - reading configuration-space dumps from files, for the
 * scenario loader (`type: pci_dump`) and the `iosim pcid` command: lspci
 * text through pcid_dump_parse_lspci, or a sysfs devices directory (one
 * DDDD:BB:DD.F directory per function with `config` and, for BAR sizes,
 * `resource`), read in name order so the result never depends on the
 * file system's.
 *
 *     struct pcid_dump *d = calloc(1, sizeof *d);
 *     char msg[512];
 *     if (sim_pci_dump_read(path, false, d, msg, sizeof msg) != IOSIM_OK)
 *         report msg ("PATH:LINE:COL: what" or "cannot read PATH: why")
 *
 * Ownership: the dump is the caller's (about 1 MiB: heap).
 */
#ifndef IOSIM_SIM_PCI_DUMP_FILE_H
#define IOSIM_SIM_PCI_DUMP_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "impl/drivers/pcid/pcid_dump.h"

enum iosim_err sim_pci_dump_read(const char *path, bool sysfs, struct pcid_dump *out, char *msg,
                                 size_t msg_len);

#endif /* IOSIM_SIM_PCI_DUMP_FILE_H */
