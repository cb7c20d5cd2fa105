/* The xHCI family (sim/scenario/family.h): `type: xhci` devices, each a
 * controller on the PCI family's root complex. See docs/scenario-format.md. */
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "models/pci/pci_family.h"
#include "models/xhci/xhci.h"
#include "models/xhci/xhci_family.h"
#include "models/xhci/xhci_trace.h"
#include "sim/scenario/family.h"

#define CHECK SIM_SCN_CHECK

struct xhci_dev_config {
    struct xhci_config xc;          /* name and behind point into the device and here */
    char behind[SIM_NAME_MAX];
};

static enum iosim_err load_profile(struct sim_family_loader *l, const struct yml_node *map,
                                   struct xhci_config *xc)
{
    const struct yml_node *v = yml_map_get(map, "profile");
    const char *names[8];
    size_t n = 0, pick;
    for (; xhci_profiles[n] != NULL && n < 8; n++)
        names[n] = xhci_profiles[n]->name;
    xc->profile = xhci_profiles[0];
    if (v == NULL)
        return IOSIM_OK;
    CHECK(yml_get_enum(l->doc, v, names, n, &pick, l->err));
    xc->profile = xhci_profiles[pick];
    return IOSIM_OK;
}

/* hang: {command: NAME, nth: N}: the controller's command fault. */
static enum iosim_err load_hang(struct sim_family_loader *l, const struct yml_node *map,
                                struct xhci_config *xc)
{
    static const char *const k[] = {"command", "nth", NULL};
    const struct yml_node *h = yml_map_get(map, "hang"), *v;
    if (h == NULL)
        return IOSIM_OK;
    CHECK(yml_check_keys(l->doc, h, k, "hang", l->err));
    const char *names[XHCI_TRB_TYPE_SET_EXT_PROPERTY - XHCI_TRB_TYPE_ENABLE_SLOT + 1];
    size_t n = 0, pick;
    for (uint32_t t = XHCI_TRB_TYPE_ENABLE_SLOT; t <= XHCI_TRB_TYPE_SET_EXT_PROPERTY; t++)
        names[n++] = xhci_trb_type_name(t);
    CHECK(yml_require(l->doc, h, "command", "hang", &v, l->err));
    CHECK(yml_get_enum(l->doc, v, names, n, &pick, l->err));
    xc->hang_command = XHCI_TRB_TYPE_ENABLE_SLOT + (uint32_t)pick;
    uint64_t nth = 1;
    if ((v = yml_map_get(h, "nth")) != NULL)
        CHECK(yml_get_u64(l->doc, v, 1, UINT32_MAX, &nth, l->err));
    xc->hang_nth = (uint32_t)nth;
    return IOSIM_OK;
}

static enum iosim_err load(struct sim_family_loader *l, const struct yml_node *map, uint32_t type,
                           const char *name)
{
    static const char *const k[] = {"name", "type", "profile", "at", "behind", "irq", "hang",
                                    NULL};
    if (sim_family_machine_config_of(l, &pci_family) == NULL)
        return yml_error_at(l->doc, map, l->err,
                            "an xHCI controller is a PCI function: it needs `pci:` under `machine:`");
    CHECK(yml_check_keys(l->doc, map, k, "xhci device", l->err));
    struct sim_scn_device *d;
    CHECK(sim_family_device_add(l, map, name, type, &d));
    struct xhci_dev_config *c = d->config;
    c->xc.name = d->name;
    CHECK(load_profile(l, map, &c->xc));
    CHECK(pci_family_load_at(l, map, &c->xc.dev, &c->xc.fn));
    CHECK(pci_family_load_behind(l, map, c->behind));
    if (c->behind[0] != '\0')
        c->xc.behind = c->behind;
    CHECK(load_hang(l, map, &c->xc));
    const struct yml_node *v = yml_map_get(map, "irq");
    c->xc.intx_line = 255; /* no INTx routing unless the scenario gives a line */
    if (v != NULL) {
        uint64_t u;
        CHECK(yml_get_u64(l->doc, v, 0, SIM_IRQ_LINES - 1, &u, l->err));
        c->xc.intx_line = (uint32_t)u;
    }
    return IOSIM_OK;
}

static enum iosim_err create(const struct sim_family_run *run, const struct sim_scn_device *d,
                             void **instance, const char **why)
{
    const struct xhci_dev_config *c = d->config;
    struct pci_root *root = run->shared_of(run, &pci_family);
    ASSERT(root != NULL && "the loader required machine.pci");
    if (root == NULL)
        return IOSIM_EINVAL;
    return xhci_create(root, &c->xc, (struct xhci **)instance, why);
}

static void destroy(void *instance) { xhci_destroy(instance); }

const struct xhci_profile *xhci_family_profile(const struct sim_scn_device *d)
{
    ASSERT(d != NULL);
    ASSERT(d->family == &xhci_family);
    const struct xhci_dev_config *c = d->config;
    return c->xc.profile;
}

static const char *const types[] = {"xhci", NULL};

static struct sim_trace_table_def *const tables[] = {
    &xhci_trb_table, &xhci_cmd_table, &xhci_event_table, &xhci_doorbell_table,
    &usb_port_table, &usb_xfer_table, NULL,
};

const struct sim_family xhci_family = {
    .name = "xhci",
    .types = types,
    .config_size = sizeof(struct xhci_dev_config),
    .load = load,
    .create = create,
    .destroy = destroy,
    .tables = tables,
};
