/* The xHCI family's description (models/xhci/xhci_family.c): what a
 * `type: xhci` entry loads into and what it refuses, with positions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/scenario/scenario.h"

static enum iosim_err load(const char *devices, struct yml_error *err)
{
    char text[512];
    snprintf(text, sizeof text,
             "scenario: t\nmachine: {cpus: 1, memory: 16MiB%s}\ndevices: [%s]\n"
             "processes: [{name: p, program: [yield]}]\n",
             strstr(devices, "NOPCI") != NULL ? "" : ", pci: {ecam: 0xe0000000}",
             strstr(devices, "NOPCI") != NULL ? devices + 5 : devices);
    struct sim_scenario *s = NULL;
    enum iosim_err e = sim_scenario_load_string("t.yaml", text, strlen(text), &s, err);
    sim_scenario_free(s);
    return e;
}

Test(xhci_family, a_controller_loads_with_its_profile_and_slot)
{
    struct yml_error err;
    cr_expect_eq(load("{name: x, type: xhci, at: \"04.0\"}", &err), IOSIM_OK, "%s", err.msg);
    cr_expect_eq(load("{name: x, type: xhci, profile: ti-tusb7340, at: \"05.0\", irq: 9}", &err),
                 IOSIM_OK, "%s", err.msg);
}

static void expect_refused(const char *devices, const char *want)
{
    struct yml_error err;
    cr_expect_neq(load(devices, &err), IOSIM_OK, "%s", devices);
    cr_expect_neq(strstr(err.msg, want), NULL, "%s: got '%s'", devices, err.msg);
}

Test(xhci_family, what_a_controller_cannot_be_is_refused_with_its_position)
{
    expect_refused("NOPCI{name: x, type: xhci, at: \"04.0\"}",
                   "t.yaml:3:11: an xHCI controller is a PCI function");
    expect_refused("{name: x, type: xhci, at: \"04.0\", profile: nec}",
                   "t.yaml:3:54: expected one of: qemu, ti-tusb7340");
    expect_refused("{name: x, type: xhci}", "t.yaml:3:11: missing key 'at'");
    expect_refused("{name: x, type: xhci, at: \"4.0\"}", "`at` is DD.F");
    expect_refused("{name: x, type: xhci, at: \"04.0\", behind: br}", "no pci_bridge named 'br'");
    expect_refused("{name: x, type: xhci, at: \"04.0\", ports: 4}", "unknown key 'ports' in xhci device");
}
