/*
 * family.h - device families: each model family describes itself once, and
 * the scenario loader, the run and the report find it through the registry.
 *
 * A family lives in its own folder, models/<family>/, and describes itself
 * in <family>_family*.c, the only files of the family that may include this
 * header (tests/scripts/check_layering.sh). The description says:
 *   - the scenario `type:` names it loads, and how it loads a device's keys
 *     into its own config struct (config_size bytes), reporting problems as
 *     `file:line:col: message` through yml_error_at; one entry may describe
 *     several devices (a PCI dump is one device per function);
 *   - optionally a section under `machine:` (machine_key) for what all its
 *     devices share, loaded into machine_config_size bytes, and attached to
 *     the machine before any device (PCI's root complex);
 *   - how a device is created on a machine and torn down;
 *   - the trace tables it writes and the counters it owns (registered with
 *     the trace store and the machine when the family is registered).
 * It is like QEMU's device properties: the configuration interface of the
 * hardware, kept beside the model.
 *
 *     static const char *const blink_types[] = {"blink", NULL};
 *     const struct sim_family blink_family = {
 *         .name = "blink", .types = blink_types,
 *         .config_size = sizeof(struct blink_config), .load = blink_load,
 *         .create = blink_create, .destroy = blink_destroy,
 *         .tables = blink_tables, .counters = blink_counters,
 *     };
 *
 * models/families.c lists the built-in families, in the order they attach to
 * a machine and their types are listed in messages: adding one is its folder
 * plus one line there. A test adds its own with sim_family_register().
 *
 * Order and determinism: families attach in registry order, then devices
 * are created in file order, and torn down devices first (file order), then
 * families (registry order).
 *
 * Lifetimes: descriptors, their tables and counters are static, borrowed
 * for the process. A device's config belongs to the scenario (zeroed by
 * sim_family_device_add, released by sim_scenario_free after config_free);
 * what create returns belongs to the run until destroy; what attach
 * returns until detach. Registration is process-global, single-threaded,
 * and must happen before the first trace database is opened.
 */
#ifndef IOSIM_SIM_SCENARIO_FAMILY_H
#define IOSIM_SIM_SCENARIO_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/machine/dev.h"
#include "sim/machine/machine.h"
#include "sim/scenario/swarm.h"
#include "sim/scenario/yml.h"

#define SIM_FAMILIES_MAX 16u

/* For loaders (the scenario's and the families'): return the first error
 * of a chain of calls. */
#define SIM_SCN_CHECK(expr)                \
    do {                                   \
        enum iosim_err e_ = (expr);        \
        if (e_ != IOSIM_OK)                \
            return e_;                     \
    } while (0)

struct sim_family;
struct sim_scenario;
struct sim_trace_table_def; /* sim/trace/trace.h */
struct sim_family_run;

/* One device of a scenario, whatever its family. */
struct sim_scn_device {
    char name[SIM_NAME_MAX];
    const struct sim_family *family;
    uint32_t type;             /* index in family->types */
    void *config;              /* family->config_size bytes, the scenario's */
    uint32_t line, col;        /* where the entry is in the file */
};

/* What a family's load callbacks get: the document, where errors go, and
 * what they may need of the scenario (through the helpers below). */
struct sim_family_loader {
    const struct yml_doc *doc;
    struct yml_error *err;
    const char *file;             /* the scenario's path */
    uint64_t mem_bytes;           /* the machine's memory: device windows lie above */
    const void *machine_config;   /* the family's `machine.<key>`; NULL when absent */
    const struct sim_family *family;
    struct sim_scenario *s;       /* for the helpers only */
};

/* What create gets of the run: the machine, its own family's shared part
 * (attach's, or NULL), the shared part of another family its devices sit
 * on (an xHCI controller on the PCI family's root complex; NULL when that
 * family is not attached in this run), and the instance of another device
 * by name (a USB device's controller): what that device's create returned,
 * and its family in *family; NULL (and *family NULL) when no device has
 * that name or it is not created yet - devices are created in file order,
 * so a device declared earlier exists. The instance is borrowed: devices
 * are destroyed in file order too, so the earlier one goes first (the
 * later one's destroy must not touch it; see the usb family). */
struct sim_family_run {
    struct sim_machine *m;
    void *shared;
    void *(*shared_of)(const struct sim_family_run *run, const struct sim_family *f);
    void *(*instance_of)(const struct sim_family_run *run, const char *name,
                         const struct sim_family **family);
    void *ctx;                        /* the run's, for shared_of and instance_of */
};

struct sim_family {
    const char *name;                 /* "pci": messages and the registry */
    const char *const *types;         /* scenario `type:` names, NULL-terminated */
    size_t config_size;               /* one device's config */
    /* Loads the `devices:` entry `map` of type types[type], named `name`
     * (keys `name` and `type` are checked already; the rest are the
     * family's to check), adding the devices it describes with
     * sim_family_device_add. */
    enum iosim_err (*load)(struct sim_family_loader *ld, const struct yml_node *map,
                           uint32_t type, const char *name);
    void (*config_free)(void *config);          /* optional: what a config owns */

    const char *machine_key;                    /* optional: `machine.<key>` */
    size_t machine_config_size;
    enum iosim_err (*load_machine)(struct sim_family_loader *ld, const struct yml_node *n,
                                   void *machine_config);

    /* Optional: before any device, when `machine.<key>` is present or the
     * family has devices (machine_config is then NULL). *why may be set to
     * a message. */
    enum iosim_err (*attach)(struct sim_machine *m, const void *machine_config, void **shared,
                             const char **why);
    void (*detach)(void *shared);
    enum iosim_err (*create)(const struct sim_family_run *run, const struct sim_scn_device *d,
                             void **instance, const char **why);
    void (*destroy)(void *instance);            /* optional; never given NULL */

    struct sim_trace_table_def *const *tables;  /* optional, NULL-terminated */
    struct sim_counter_def *const *counters;    /* optional, NULL-terminated */

    /* Optional, both or neither: the fault swarm (sim/scenario/swarm.h).
     * swarm_kinds fills out[0..cap) with the fault kinds a device of type
     * types[type] with this config can be given, fitted to it (its
     * endpoints, its medium), and returns how many: the same answer for
     * the same config, always. swarm_apply adds kind `kind` (an index into
     * that answer) with values[] (one per parameter, each legal) to
     * `config`: a copy of the scenario's made for one run, shallow (what
     * it points to stays the scenario's and must not be written). Errors
     * (ENOSPC: the config's own list is full) with *why. */
    uint32_t (*swarm_kinds)(const void *config, uint32_t type, struct sim_swarm_kind *out,
                            uint32_t cap);
    enum iosim_err (*swarm_apply)(void *config, uint32_t type, uint32_t kind,
                                  const uint64_t *values, const char **why);
};

/* ---- the registry ----------------------------------------------------------- */

/* Registers the built-in families of models/families.c once (later calls
 * do nothing). The scenario loader and the CLI call it; call it yourself
 * before opening a trace database if families' tables must be in it. */
enum iosim_err sim_families_init(void);

/* Adds a family after the built-in ones (they are registered first).
 * EINVAL: no name or types, a type name another family has, a missing load
 * or create, or a table or counter the trace store or the machine refuses;
 * ENOSPC: SIM_FAMILIES_MAX; EBUSY: it owns tables and a trace database is
 * already open. Registering the same descriptor twice is a no-op. */
enum iosim_err sim_family_register(const struct sim_family *f);

uint32_t sim_family_count(void);
const struct sim_family *sim_family_at(uint32_t i);
/* Its position in the registry (f must be registered). */
uint32_t sim_family_index(const struct sim_family *f);
/* The family that loads `type:` type, and its index in f->types; NULL if none. */
const struct sim_family *sim_family_by_type(const char *type, uint32_t *type_index);

/* ---- for load callbacks ----------------------------------------------------- */

/* Adds a device of the calling family named `name` (unique among the
 * scenario's devices and program windows) declared at `at`; its config is
 * zeroed family->config_size bytes. The device record stays where it is
 * for the scenario's life (its name may be pointed at). */
enum iosim_err sim_family_device_add(struct sim_family_loader *ld, const struct yml_node *at,
                                     const char *name, uint32_t type,
                                     struct sim_scn_device **out);

/* The devices loaded so far, every family's, in file order. */
uint32_t sim_family_device_count(const struct sim_family_loader *ld);
const struct sim_scn_device *sim_family_device_at(const struct sim_family_loader *ld,
                                                  uint32_t i);

/* A name: 1..cap-1 letters, digits, '_', '-', '.'. */
enum iosim_err sim_family_name(struct sim_family_loader *ld, const struct yml_node *n, char *buf,
                               size_t cap);

/* A fixed MMIO window programs can name (`mmio_read: {device: NAME}`):
 * its name and range must be its own. `name` is borrowed for the
 * scenario's life (a device record's name, or a string literal). */
enum iosim_err sim_family_prog_window(struct sim_family_loader *ld, const struct yml_node *at,
                                      const char *name, uint64_t base, uint64_t len);

/* Another family's `machine.<key>` config, or NULL when absent (a device
 * that sits on that family's machine-level part checks it is there). */
const void *sim_family_machine_config_of(const struct sim_family_loader *ld,
                                         const struct sim_family *f);

/* `rel` against the scenario file's folder (an absolute path stays). */
void sim_family_path(const struct sim_family_loader *ld, const char *rel, char *out, size_t cap);

#endif /* IOSIM_SIM_SCENARIO_FAMILY_H */
