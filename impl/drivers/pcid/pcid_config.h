/*
 * pcid_config.h - pcid's driver table: which driver a function gets.
 *
 * One rule per line; '#' starts a comment. A rule is match keys, then
 * `driver=NAME`, then the driver's own arguments (passed on as they are):
 *
 *     # xHCI controllers, any vendor
 *     class=0x0c subclass=0x03 prog_if=0x30 driver=xhcid
 *     vendor=0x1234 device=0x5678 driver=pcitest irq=msix vectors=4
 *
 * Match keys: vendor, device (16 bits), class, subclass, prog_if (8 bits),
 * in decimal or 0x hex. A function matches a rule when it has every value
 * the rule names; the first matching rule in file order wins; bridges are
 * pcid's own and never match. Like Redox's pcid, which reads driver tables
 * at start and matches on class, subclass, interface, vendor and device.
 *
 *     struct pcid_config cfg;
 *     struct pcid_config_error err;
 *     if (pcid_config_parse(text, &cfg, &err) != IOSIM_OK)
 *         report "%u:%u: %s", err.line, err.col, err.msg
 *     const struct pcid_rule *r = pcid_config_match(&cfg, &func);
 *
 * Ownership: caller storage; the parse copies what it keeps.
 */
#ifndef IOSIM_PCID_CONFIG_H
#define IOSIM_PCID_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/drivers/pcid/pcid_enum.h"
#include "impl/port/err.h"

#define PCID_RULES_MAX 32u
#define PCID_DRIVER_NAME_MAX 32u
#define PCID_DRIVER_ARGS_MAX 256u

#define PCID_MATCH_VENDOR (1u << 0)
#define PCID_MATCH_DEVICE (1u << 1)
#define PCID_MATCH_CLASS (1u << 2)
#define PCID_MATCH_SUBCLASS (1u << 3)
#define PCID_MATCH_PROG_IF (1u << 4)

struct pcid_rule {
    uint32_t keys;          /* PCID_MATCH_* present */
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if;
    char driver[PCID_DRIVER_NAME_MAX];
    char args[PCID_DRIVER_ARGS_MAX]; /* after driver=, blanks collapsed to one space */
    uint32_t line;          /* where it was written */
};

struct pcid_config {
    struct pcid_rule rules[PCID_RULES_MAX];
    uint32_t count;
};

struct pcid_config_error {
    uint32_t line, col;     /* 1-based, of the offending token */
    char msg[128];
};

/* EPARSE with *err filled for the first problem; nothing partial counts. */
enum iosim_err pcid_config_parse(const char *text, struct pcid_config *out,
                                 struct pcid_config_error *err);

/* The first rule f matches, or NULL. */
const struct pcid_rule *pcid_config_match(const struct pcid_config *c, const struct pcid_func *f);

#endif /* IOSIM_PCID_CONFIG_H */
