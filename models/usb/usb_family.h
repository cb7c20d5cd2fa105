/*
 * usb_family.h - what the USB family's description files share:
 * usb_family_load.c (a `type: usb_zero` or `type: usb_device` entry's keys
 * into struct usb_family_config, with `file:line:col` errors) and
 * usb_family.c (the descriptor; creating a device, plugging it into its
 * controller's root port and out again at the scenario's times, its fault
 * rules and counters). A usb_storage device runs on the machine's clock
 * with its timing profile; an unplug is a power loss for it
 * (msc_bot_power_loss: cached writes gone, units reset, media kept); its
 * BOT fault rules and the endpoint fault rules both write `fault` rows
 * and count usb.faults_fired; its media can be taken out and put back at
 * the `removal:` times; an `image:` file's non-zero blocks, read at load,
 * are its units' initial durable contents (the file is never written).
 * sim/scenario/family.h explains families;
 * docs/scenario-format.md has the keys.
 *
 * Lifetimes: a config belongs to the scenario (usb_family_config_free
 * releases its descriptor bytes and images); the blobs and the name a created device
 * borrows from it outlive the run.
 */
#ifndef IOSIM_MODELS_USB_FAMILY_H
#define IOSIM_MODELS_USB_FAMILY_H

#include <stdint.h>

#include "models/usb/usb_dev.h"
#include "models/usb/usb_fault.h"
#include "models/scsi/msc_bot.h"
#include "models/usb/usb_zero.h"
#include "sim/scenario/family.h"
#include "sim/scenario/image_file.h"

/* Indexes of the family's `type:` names. */
enum usb_family_type {
    USB_FAMILY_ZERO,             /* gadget zero (usb_zero.h) */
    USB_FAMILY_DEVICE,           /* descriptors as given bytes, the null function (usb_null.h) */
    USB_FAMILY_STORAGE,          /* mass storage, Bulk-Only (models/scsi/msc_bot.h) */
};

#define USB_FAMILY_PLUGS_MAX 16u       /* periods plugged in */
#define USB_FAMILY_CONFIGS_MAX 32u     /* `configs:` blobs */
#define USB_FAMILY_STRINGS_MAX 256u    /* `strings:` blobs: a string index is a byte */
#define USB_FAMILY_BLOB_BYTES_MAX 65535u /* wTotalLength's range */
/* A period plugged in with no `until`: to the end of the run. */
#define USB_FAMILY_FOREVER UINT64_MAX

/* One period the device is plugged in: [at_ps, until_ps). */
struct usb_plug {
    sim_time_ps at_ps;
    sim_time_ps until_ps;        /* USB_FAMILY_FOREVER: never unplugged */
};

#define USB_STORAGE_REMOVALS_MAX 16u  /* `removal:` periods */

/* usb_storage `media_errors:` item: reads of blocks [lba, lba + blocks)
 * of unit `lun` end MEDIUM ERROR (scsi_media_add_error). */
struct usb_storage_error {
    uint32_t lun;
    uint64_t lba, blocks;
};

/* usb_storage `removal:` item: unit `lun`'s medium is out during
 * [at_ps, until_ps) (scsi_lu_set_medium). */
struct usb_storage_removal {
    uint32_t lun;
    sim_time_ps at_ps, until_ps; /* until_ps USB_FAMILY_FOREVER: never put back */
};

/*
 * Invariants once loaded: 1 <= port <= the controller's ports, and the
 * port's protocol carries `speed`; plugs are in time order, each at_ps <
 * until_ps < the next at_ps, only the last FOREVER; every fault rule
 * passes usb_fault_rule_problem; for USB_FAMILY_STORAGE storage.profile
 * is set, every bot fault rule passes msc_fault_rule_problem, every media
 * error and removal names a unit there is, lies on its medium, and the
 * removals of a unit are in time order and apart, and a unit's image
 * (images[i].blocks != 0) has that unit's block size and fits its medium;
 * for USB_FAMILY_DEVICE every blob points into `pool` (or is {NULL, 0}).
 */
struct usb_family_config {
    char controller[SIM_NAME_MAX];   /* an xhci device declared before */
    uint32_t port;                   /* root port, 1-based */
    enum usb_speed speed;
    uint32_t plug_count;
    struct usb_plug plugs[USB_FAMILY_PLUGS_MAX];
    uint32_t fault_count;
    struct usb_fault_rule faults[USB_FAULT_RULES_MAX];
    struct usb_zero_config zero;     /* USB_FAMILY_ZERO: .name is the device's */
    struct msc_bot_config storage;   /* USB_FAMILY_STORAGE: its units, profile, bot_faults */
    uint32_t media_error_count;      /* USB_FAMILY_STORAGE: `media_errors` */
    struct usb_storage_error media_errors[SCSI_MEDIA_ERRORS_MAX];
    uint32_t removal_count;          /* USB_FAMILY_STORAGE: `removal`, in time order */
    struct usb_storage_removal removals[USB_STORAGE_REMOVALS_MAX];
    struct sim_image images[MSC_BOT_LUNS_MAX]; /* USB_FAMILY_STORAGE: unit i's `image`; blocks 0: none */
    struct usb_dev_config raw;       /* USB_FAMILY_DEVICE: .ops set at create */
    struct usb_blob configs[USB_FAMILY_CONFIGS_MAX];
    struct usb_blob strings[USB_FAMILY_STRINGS_MAX];
    uint8_t *pool;                   /* owned: every blob's bytes */
    struct usb_custom_profile *custom; /* owned: a `profile:` mapping or file; storage.profile points here */
};

/* A timing profile a scenario wrote out (or `iosim calibrate` did), with
 * its name's storage. */
#define USB_PROFILE_NAME_MAX 48u
struct usb_custom_profile {
    struct scsi_profile p;
    char name[USB_PROFILE_NAME_MAX];
};

extern const struct sim_family usb_family;

/* The family's load callback (usb_family_load.c). */
enum iosim_err usb_family_load(struct sim_family_loader *ld, const struct yml_node *map,
                               uint32_t type, const char *name);
void usb_family_config_free(void *config);
/* The fault swarm's hooks (usb_family_swarm.c; family.h's swarm_kinds and
 * swarm_apply). */
uint32_t usb_family_swarm_kinds(const void *config, uint32_t type, struct sim_swarm_kind *out,
                                uint32_t cap);
enum iosim_err usb_family_swarm_apply(void *config, uint32_t type, uint32_t kind,
                                      const uint64_t *values, const char **why);

#endif /* IOSIM_MODELS_USB_FAMILY_H */
