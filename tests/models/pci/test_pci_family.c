/* The PCI family's description (models/pci/pci_family*.c): what scenario
 * entries of its types load into. Error messages and positions are tested
 * with the rest of the loader in tests/sim/scenario/test_scenario.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "models/pci/pci_family.h"
#include "sim/scenario/scenario.h"

static struct sim_scenario *load_ok(const char *text)
{
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err), IOSIM_OK,
                 "%s", err.msg);
    return s;
}

Test(pci_family, machine_pci_configures_the_root_complex)
{
    const char *text = "scenario: t\n"
                       "machine: {cpus: 1, memory: 16MiB, pci: {ecam: 0xe0000000, buses: 4, "
                       "dma_latency: 300ns}}\n"
                       "devices:\n"
                       "  - {name: br, type: pci_bridge, at: \"01.0\", vendor: 0x8086, device: 1}\n"
                       "  - {name: g, type: pci, at: \"00.0\", behind: br, vendor: 0x1af4, device: 2,\n"
                       "     regs: 8, bars: [{bar: 0, kind: mem64, size: 64KiB}]}\n"
                       "processes: [{name: p, program: [yield]}]\n";
    struct sim_scenario *s = load_ok(text);
    const struct pci_root_config *rc = s->family_machine[sim_family_index(&pci_family)];
    cr_assert_not_null(rc);
    cr_expect_eq(rc->ecam_base, 0xe0000000u);
    cr_expect_eq(rc->buses, 4);
    cr_expect_eq(rc->dma_latency_ps, 300 * SIM_NS);
    cr_assert_eq(s->device_count, 2);
    const struct pci_dev_config *br = s->devices[0].config, *g = s->devices[1].config;
    cr_expect_eq(s->devices[0].type, PCI_FAMILY_BRIDGE);
    cr_expect(br->fn.desc.bridge);
    cr_expect_eq(s->devices[1].type, PCI_FAMILY_PCI);
    cr_expect_str_eq(g->fn.name, "g");
    cr_expect_str_eq(g->fn.behind, "br");
    cr_expect_eq(g->regs, 8);
    cr_expect_eq(g->fn.desc.bar[0].kind, PCI_BAR_MEM64);
    cr_expect_eq(g->fn.desc.bar[0].size, 64u << 10);
    cr_expect_eq(g->dump_bus, -1);
    sim_scenario_free(s);
}

Test(pci_family, a_pci_dump_becomes_one_device_per_function)
{
    char text[1024];
    snprintf(text, sizeof text,
             "scenario: t\nmachine: {cpus: 1, memory: 16MiB, pci: {ecam: 0xe0000000}}\n"
             "devices:\n  - {name: n1, type: pci_dump, lspci: %s/tests/fixtures/pci/"
             "lspci-arm-n1sdp/lspci-vvvxxxx.txt}\n"
             "processes: [{name: p, program: [yield]}]\n",
             IOSIM_SOURCE_DIR);
    struct sim_scenario *s = load_ok(text);
    cr_expect_eq(s->device_count, 15, "domain 0 of the N1SDP");
    cr_expect_str_eq(s->devices[0].name, "n1-00.00.0");
    bool found = false;
    for (uint32_t i = 0; i < s->device_count; i++) {
        const struct sim_scn_device *d = &s->devices[i];
        const struct pci_dev_config *c = d->config;
        cr_expect_eq(d->family, &pci_family);
        cr_expect_eq(d->type, PCI_FAMILY_DUMP);
        if (strcmp(d->name, "n1-08.00.0") == 0) {
            found = true;
            cr_expect_str_eq(c->behind, "n1-02.14.0", "behind the bridge whose secondary is 08");
            cr_expect_eq(c->fn.desc.vendor, 0x104c);
            cr_expect(c->fn.desc.msix.present);
            cr_expect_eq(c->fn.desc.at.msix, 0xc0, "where the dump has it");
            cr_expect_eq(c->fn.image_len, 256);
        }
    }
    cr_expect(found);
    sim_scenario_free(s);
}
