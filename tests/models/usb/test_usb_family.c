/*
 * The USB family's description (models/usb/usb_family*.c): what a
 * `type: usb_zero` or `type: usb_device` entry loads into, what it refuses
 * (each with its exact `file:line:col: message`), and what a run does with
 * it - plugged in and out at its times with counters and log rows, fault
 * rules counted, and torn down safely whichever of it and its controller
 * goes first.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/pci/pci_family.h"
#include "models/usb/usb_family.h"
#include "models/xhci/xhci.h"
#include "models/xhci/xhci_family.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "tests/models/usb/usb_test_util.h"

/* qemu: ports 1..4 are USB 3, 5..8 USB 2. */
#define HEAD                                                   \
    "scenario: t\n"                                            \
    "machine: {cpus: 1, memory: 16MiB, pci: {ecam: 0xe0000000}}\n" \
    "devices:\n"                                               \
    "  - {name: x0, type: xhci, at: '04.0'}\n"
#define TAIL "processes: [{name: p, program: [yield]}]\n"

static struct sim_scenario *load_ok(const char *text)
{
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    cr_assert_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err), IOSIM_OK,
                 "%s\n%s", err.msg, text);
    return s;
}

static const struct usb_family_config *usb_config(const struct sim_scenario *s, uint32_t i)
{
    cr_assert_lt(i, s->device_count);
    cr_assert_eq(s->devices[i].family, &usb_family);
    return s->devices[i].config;
}

/* ---- what loads ----------------------------------------------------------------------------- */

Test(usb_family, gadget_zero_loads_with_its_defaults)
{
    struct sim_scenario *s = load_ok(HEAD "  - {name: z, type: usb_zero, controller: x0, port: 5}\n" TAIL);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_eq(s->devices[1].type, USB_FAMILY_ZERO);
    cr_expect_str_eq(c->controller, "x0");
    cr_expect_eq(c->port, 5);
    cr_expect_eq(c->speed, USB_SPEED_HIGH);
    cr_assert_eq(c->plug_count, 1, "plugged in at 0 for good");
    cr_expect_eq(c->plugs[0].at_ps, 0);
    cr_expect_eq(c->plugs[0].until_ps, USB_FAMILY_FOREVER);
    cr_expect_eq(c->fault_count, 0);
    struct usb_zero_config d;
    usb_zero_config_default(&d);
    cr_expect_str_eq(c->zero.name, "z");
    cr_expect_eq(c->zero.mode, d.mode);
    cr_expect_eq(c->zero.in_stream_bytes, d.in_stream_bytes);
    cr_expect_eq(c->zero.in_nak_first, d.in_nak_first);
    cr_expect_eq(c->zero.loop_queue_bytes, d.loop_queue_bytes);
    cr_expect_eq(c->zero.ss_max_burst, d.ss_max_burst);
    sim_scenario_free(s);
}

Test(usb_family, gadget_zero_takes_its_knobs_plug_times_and_faults)
{
    struct sim_scenario *s = load_ok(
        HEAD
        "  - name: z\n"
        "    type: usb_zero\n"
        "    controller: x0\n"
        "    port: 2\n"
        "    speed: super\n"
        "    mode: loopback\n"
        "    stream_length: 4KiB\n"
        "    in_nak_first: 3\n"
        "    queue_size: 8KiB\n"
        "    max_burst: 4\n"
        "    plug: [{at: 1ms, until: 40ms}, {at: 60ms}]\n"
        "    faults:\n"
        "      - {endpoint: 0x81, after: 3, result: babble}\n"
        "      - {endpoint: 0x01, result: xact_error, count: 2}\n"
        "      - {endpoint: 0x82, after: 1, result: stall}\n"
        "      - {endpoint: 0x01, result: nak}\n" TAIL);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_eq(c->speed, USB_SPEED_SUPER);
    cr_expect_eq(c->zero.speed, USB_SPEED_SUPER);
    cr_expect_eq(c->zero.mode, USB_ZERO_LOOPBACK);
    cr_expect_eq(c->zero.in_stream_bytes, 4096);
    cr_expect_eq(c->zero.in_nak_first, 3);
    cr_expect_eq(c->zero.loop_queue_bytes, 8192);
    cr_expect_eq(c->zero.ss_max_burst, 4);
    cr_assert_eq(c->plug_count, 2);
    cr_expect_eq(c->plugs[0].at_ps, 1 * SIM_MS);
    cr_expect_eq(c->plugs[0].until_ps, 40 * SIM_MS);
    cr_expect_eq(c->plugs[1].at_ps, 60 * SIM_MS);
    cr_expect_eq(c->plugs[1].until_ps, USB_FAMILY_FOREVER);
    cr_assert_eq(c->fault_count, 4);
    cr_expect_eq(c->faults[0].ep_addr, 0x81);
    cr_expect_eq(c->faults[0].after, 3);
    cr_expect_eq(c->faults[0].count, 1, "count defaults to 1");
    cr_expect_eq(c->faults[0].result, USB_BABBLE);
    cr_expect_eq(c->faults[1].after, 0, "after defaults to 0");
    cr_expect_eq(c->faults[1].count, 2);
    cr_expect_eq(c->faults[1].result, USB_XACT_ERR);
    cr_expect_eq(c->faults[2].result, USB_STALL);
    cr_expect_eq(c->faults[3].result, USB_NAK);
    sim_scenario_free(s);
}

Test(usb_family, a_raw_device_takes_its_descriptors_as_hex_bytes)
{
    struct sim_scenario *s = load_ok(
        HEAD
        "  - name: d\n"
        "    type: usb_device\n"
        "    controller: x0\n"
        "    port: 6\n"
        "    speed: full\n"
        "    device: 12 01 00 02 00 00 00 40 34 12 78 56 00 01 00 00 00 01\n"
        "    configs:\n"
        "      - >\n"
        "        09 02 ff 00 01 01 00 80 32\n"
        "        09 04 00 00 01 ff 00 00 00\n"
        "      - \"\"\n"
        "      - 0902\n"
        "    strings: [04 03 09 04, \"0A03690073\"]\n"
        "    bos: 05 0F 05 00 00\n"
        "    plug: []\n" TAIL);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_eq(s->devices[1].type, USB_FAMILY_DEVICE);
    cr_expect_eq(c->speed, USB_SPEED_FULL);
    cr_expect_eq(c->plug_count, 0, "never plugged in");
    const struct usb_dev_config *r = &c->raw;
    cr_expect_str_eq(r->name, "d");
    cr_expect_eq(r->speed, USB_SPEED_FULL);
    cr_assert_eq(r->device.len_bytes, 18);
    cr_expect_eq(r->device.bytes[0], 0x12);
    cr_expect_eq(r->device.bytes[7], 0x40);
    cr_expect_eq(r->device.bytes[17], 0x01);
    cr_assert_eq(r->configs_count, 3);
    cr_assert_eq(r->configs[0].len_bytes, 18, "a folded scalar: the lines are one blob");
    cr_expect_eq(r->configs[0].bytes[2], 0xff, "a wTotalLength that lies is kept");
    cr_expect_eq(r->configs[0].bytes[9], 0x09);
    cr_expect_eq(r->configs[1].len_bytes, 0, "empty: absent");
    cr_expect_null(r->configs[1].bytes);
    cr_assert_eq(r->configs[2].len_bytes, 2, "pairs without spaces");
    cr_expect_eq(r->configs[2].bytes[1], 0x02);
    cr_assert_eq(r->strings_count, 2);
    cr_expect_eq(r->strings[0].len_bytes, 4);
    cr_assert_eq(r->strings[1].len_bytes, 5);
    cr_expect_eq(r->strings[1].bytes[0], 0x0a);
    cr_expect_eq(r->strings[1].bytes[4], 0x73);
    cr_assert_eq(r->bos.len_bytes, 5);
    cr_expect_eq(r->bos.bytes[1], 0x0f, "upper-case digits");
    cr_expect_eq(r->qualifier.len_bytes, 0);
    cr_expect_eq(r->other_speed.len_bytes, 0);
    sim_scenario_free(s);
}

Test(usb_family, devices_share_a_port_at_different_times)
{
    struct sim_scenario *s = load_ok(
        HEAD
        "  - {name: a, type: usb_zero, controller: x0, port: 5, plug: [{at: 0, until: 10ms}]}\n"
        "  - {name: b, type: usb_device, controller: x0, port: 5, device: '',\n"
        "     plug: [{at: 10ms, until: 20ms}]}\n"
        "  - {name: c, type: usb_zero, controller: x0, port: 5, plug: [{at: 20ms}]}\n"
        "  - {name: e, type: usb_zero, controller: x0, port: 6}\n" TAIL);
    cr_expect_eq(s->device_count, 5);
    sim_scenario_free(s);
}

/* ---- what is refused ------------------------------------------------------------------------ */

struct bad_case {
    const char *devices; /* after the controller's line */
    const char *error;   /* the exact message */
};

static const struct bad_case bad_cases[] = {
    {"  - {name: z, type: usb_zero, port: 5}\n",
     "t.yaml:5:5: missing key 'controller' in a USB device"},
    {"  - {name: z, type: usb_zero, controller: x9, port: 5}\n",
     "t.yaml:5:43: no xhci controller named 'x9' before this device"},
    {"  - {name: z, type: usb_zero, controller: x1, port: 5}\n"
     "  - {name: x1, type: xhci, at: '05.0'}\n",
     "t.yaml:5:43: no xhci controller named 'x1' before this device"},
    {"  - {name: g, type: pci, at: '06.0', vendor: 1, device: 2}\n"
     "  - {name: z, type: usb_zero, controller: g, port: 5}\n",
     "t.yaml:6:43: 'g' is a pci device, not an xhci controller"},
    {"  - {name: z, type: usb_zero, controller: x0}\n",
     "t.yaml:5:5: missing key 'port' in a USB device"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 9}\n",
     "t.yaml:5:53: expected an integer between 1 and 8, got '9'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 1}\n",
     "t.yaml:5:53: port 1 of 'x0' (qemu) is a USB 3 port: a high speed device needs a USB 2 port"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, speed: super_plus}\n",
     "t.yaml:5:53: port 5 of 'x0' (qemu) is a USB 2 port: a super_plus speed device needs a USB 3 "
     "port"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, speed: low}\n",
     "t.yaml:5:63: gadget zero has bulk endpoints, which low speed does not allow"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, speed: fast}\n",
     "t.yaml:5:63: expected one of: low, full, high, super, super_plus; got 'fast'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, device: 12}\n",
     "t.yaml:5:56: unknown key 'device' in usb_zero (expected one of: name, type, controller, port, "
     "speed, plug, faults, mode, stream_length, in_nak_first, queue_size, max_burst)"},
    {"  - {name: z, type: usb_device, controller: x0, port: 5, mode: loopback}\n",
     "t.yaml:5:58: unknown key 'mode' in usb_device (expected one of: name, type, controller, "
     "port, speed, plug, faults, device, configs, strings, bos, qualifier, other_speed)"},
    /* plug periods */
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, plug: [{at: 5ms, until: 5ms}]}\n",
     "t.yaml:5:80: `until` must come after `at`"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, plug: [{at: 0}, {at: 5ms}]}\n",
     "t.yaml:5:63: only the last plug period may leave out `until`"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
     "     plug: [{at: 0, until: 10ms}, {at: 10ms}]}\n",
     "t.yaml:6:35: plugged in again before the previous period's `until`"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, plug: [{until: 5ms}]}\n",
     "t.yaml:5:63: missing key 'at' in a plug period"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, plug: [{at: 5}]}\n",
     "t.yaml:5:68: expected a duration, got '5' (a unit is required: ps, ns, us, ms or s)"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, plug: {at: 0}}\n",
     "t.yaml:5:62: expected a sequence, got a mapping"},
    {"  - {name: a, type: usb_zero, controller: x0, port: 5, plug: [{at: 0, until: 10ms}]}\n"
     "  - {name: b, type: usb_zero, controller: x0, port: 5, plug: [{at: 9ms}]}\n",
     "t.yaml:6:62: 'a' is plugged into port 5 of 'x0' at the same time"},
    {"  - {name: a, type: usb_zero, controller: x0, port: 5}\n"
     "  - {name: b, type: usb_device, controller: x0, port: 5, device: ''}\n",
     "t.yaml:6:55: 'a' is plugged into port 5 of 'x0' at the same time"},
    /* fault rules */
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, faults: [{endpoint: 0x80, result: stall}]}\n",
     "t.yaml:5:76: the endpoint must be 0x01..0x0f (OUT) or 0x81..0x8f (IN)"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, faults: [{endpoint: 0x91, result: stall}]}\n",
     "t.yaml:5:76: the endpoint must be 0x01..0x0f (OUT) or 0x81..0x8f (IN)"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, faults: [{endpoint: 1, result: babble}]}\n",
     "t.yaml:5:87: babble is a device sending too much: IN endpoints only"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, faults: [{endpoint: 1, result: crc}]}\n",
     "t.yaml:5:87: expected one of: stall, xact_error, babble, nak; got 'crc'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
     "     faults: [{endpoint: 1, result: nak, count: 0}]}\n",
     "t.yaml:6:49: expected an integer between 1 and 4294967295, got '0'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, faults: [{endpoint: 1}]}\n",
     "t.yaml:5:65: missing key 'result' in a fault rule"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
     "     faults: [{endpoint: 1, result: nak, nth: 2}]}\n",
     "t.yaml:6:42: unknown key 'nth' in a fault rule (expected one of: endpoint, after, result, "
     "count)"},
    /* gadget zero's knobs */
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, queue_size: 100}\n",
     "t.yaml:5:68: expected a size between 512B and 16MiB, got '100'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, max_burst: 16}\n",
     "t.yaml:5:67: expected an integer between 0 and 15, got '16'"},
    {"  - {name: z, type: usb_zero, controller: x0, port: 5, mode: sink}\n",
     "t.yaml:5:62: expected one of: source_sink, loopback; got 'sink'"},
    /* descriptor bytes */
    {"  - {name: d, type: usb_device, controller: x0, port: 5}\n",
     "t.yaml:5:5: missing key 'device' in usb_device"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: 12 0}\n",
     "t.yaml:5:66: bytes are pairs of hex digits with spaces between (\"12 01 00 02\"): "
     "character 5 is not part of one"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: 0x12}\n",
     "t.yaml:5:66: bytes are pairs of hex digits with spaces between (\"12 01 00 02\"): "
     "character 2 is not part of one"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: 1 2}\n",
     "t.yaml:5:66: bytes are pairs of hex digits with spaces between (\"12 01 00 02\"): "
     "character 2 is not part of one"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: '', configs: [12, zz]}\n",
     "t.yaml:5:84: bytes are pairs of hex digits with spaces between (\"12 01 00 02\"): "
     "character 1 is not part of one"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: '', strings: {a: 1}}\n",
     "t.yaml:5:79: expected a sequence, got a mapping"},
    {"  - {name: d, type: usb_device, controller: x0, port: 5, device: [18, 1]}\n",
     "t.yaml:5:66: expected a string, got a sequence"},
};

#define BAD_CASES (sizeof bad_cases / sizeof bad_cases[0])

/* Indexes, not the cases: a parameter is copied into the test's process,
 * where the strings' addresses may differ. */
ParameterizedTestParameters(usb_family, invalid_entries_are_refused_with_a_position)
{
    static size_t idx[BAD_CASES];
    for (size_t i = 0; i < BAD_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, BAD_CASES);
}

ParameterizedTest(size_t *i, usb_family, invalid_entries_are_refused_with_a_position)
{
    const struct bad_case *bc = &bad_cases[*i];
    char text[2048];
    snprintf(text, sizeof text, HEAD "%s" TAIL, bc->devices);
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    enum iosim_err e = sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err);
    cr_expect_eq(e, IOSIM_EPARSE, "loaded:\n%s", text);
    cr_expect_str_eq(err.msg, bc->error, "case %zu\n   got: %s\n  want: %s", *i, err.msg,
                     bc->error);
    sim_scenario_free(s);
}

/* ---- what a run does with it ---------------------------------------------------------------- */

static uint64_t counter(const struct sim_run_result *r, const char *name)
{
    uint64_t v = 0;
    cr_assert(sim_counter_get(&r->counters, name, &v), "%s", name);
    return v;
}

Test(usb_family, a_run_plugs_and_unplugs_at_the_given_times)
{
    struct sim_scenario *s = load_ok(
        HEAD
        "  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
        "     plug: [{at: 0, until: 10ms}, {at: 20ms, until: 25ms}, {at: 27ms}]}\n"
        "  - {name: d, type: usb_device, controller: x0, port: 1, speed: super, device: '',\n"
        "     plug: [{at: 50ms}]}\n"
        "  - {name: n, type: usb_device, controller: x0, port: 2, speed: super, device: '',\n"
        "     plug: []}\n"
        "processes: [{name: p, program: [{sleep: 30ms}]}]\n");
    static struct sim_run_result r;
    struct sim_run_opts o = {0};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    cr_expect(r.passed, "%s", r.failure_count ? r.failures[0] : "");
    cr_expect_eq(counter(&r, "usb.plugs"), 3, "z three times; d's time never came");
    cr_expect_eq(counter(&r, "usb.unplugs"), 2);
    cr_expect_eq(counter(&r, "usb.faults_fired"), 0);
    sim_scenario_free(s);
}

/* A run of our own, to tear devices down in any order: the machine, the
 * PCI family's root, and the scenario's devices created in file order. */
struct rig {
    struct sim_scenario *s;
    struct sim_machine *m;
    void *pci_root;
    void *inst[8];
};

static void *rig_instance_of(const struct sim_family_run *run, const char *name,
                             const struct sim_family **family)
{
    const struct rig *g = run->ctx;
    *family = NULL;
    for (uint32_t i = 0; i < g->s->device_count; i++)
        if (strcmp(g->s->devices[i].name, name) == 0 && g->inst[i] != NULL) {
            *family = g->s->devices[i].family;
            return g->inst[i];
        }
    return NULL;
}

static void *rig_shared_of(const struct sim_family_run *run, const struct sim_family *f)
{
    const struct rig *g = run->ctx;
    return f == &pci_family ? g->pci_root : NULL;
}

static void rig_up(struct rig *g, const char *text)
{
    *g = (struct rig){.s = load_ok(text)};
    cr_assert_eq(sim_machine_create(&g->s->machine, NULL, &g->m), IOSIM_OK);
    const char *why = NULL;
    const void *pci_cfg = g->s->family_machine[sim_family_index(&pci_family)];
    cr_assert_eq(pci_family.attach(g->m, pci_cfg, &g->pci_root, &why), IOSIM_OK);
    for (uint32_t i = 0; i < g->s->device_count; i++) {
        const struct sim_scn_device *d = &g->s->devices[i];
        struct sim_family_run run = {.m = g->m, .shared_of = rig_shared_of,
                                     .instance_of = rig_instance_of, .ctx = g};
        cr_assert_eq(d->family->create(&run, d, &g->inst[i], &why), IOSIM_OK, "%s", d->name);
    }
}

static void rig_run_for(struct rig *g, sim_time_ps ps)
{
    sim_time_ps until = g->m->eng.now_ps + ps;
    while (sim_engine_step(&g->m->eng, until)) {
    }
}

static void rig_destroy(struct rig *g, uint32_t i)
{
    g->s->devices[i].family->destroy(g->inst[i]);
    g->inst[i] = NULL;
}

static void rig_down(struct rig *g)
{
    for (uint32_t i = 0; i < g->s->device_count; i++)
        if (g->inst[i] != NULL)
            rig_destroy(g, i);
    pci_family.detach(g->pci_root);
    sim_machine_destroy(g->m);
    sim_scenario_free(g->s);
}

Test(usb_family, a_device_torn_down_before_its_controller_is_unplugged_first)
{
    struct rig g;
    rig_up(&g, HEAD "  - {name: z, type: usb_zero, controller: x0, port: 5}\n" TAIL);
    rig_run_for(&g, 1 * SIM_MS);
    struct xhci *x = g.inst[0];
    cr_assert_not_null(xhci_usb_device(x, 5), "plugged in at 0");
    rig_destroy(&g, 1); /* the device first: the controller must let go of it */
    cr_expect_null(xhci_usb_device(x, 5));
    rig_run_for(&g, 1 * SIM_MS);
    rig_down(&g);
}

Test(usb_family, a_controller_torn_down_first_leaves_its_devices_detached)
{
    struct rig g;
    rig_up(&g, HEAD
           "  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
           "     plug: [{at: 0, until: 5ms}, {at: 7ms}]}\n"
           "  - {name: d, type: usb_device, controller: x0, port: 6, device: ''}\n" TAIL);
    rig_run_for(&g, 1 * SIM_MS);
    rig_destroy(&g, 0); /* file order: the controller goes first, edges still pending */
    rig_down(&g);      /* the devices find themselves detached; their edges are cancelled */
}

Test(usb_family, fault_rules_fire_through_the_family_and_are_counted)
{
    struct rig g;
    rig_up(&g, HEAD
           "  - {name: z, type: usb_zero, controller: x0, port: 5,\n"
           "     faults: [{endpoint: 0x81, after: 1, result: xact_error, count: 2}]}\n" TAIL);
    rig_run_for(&g, 1 * SIM_MS);
    struct usb_dev *d = xhci_usb_device(g.inst[0], 5);
    cr_assert_not_null(d);
    /* talk to the device as the controller would, past its reset */
    cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
    cr_assert_eq(ctl(d, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 3, 0, 0), USB_ACK);
    cr_assert_eq(ctl(d, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    uint8_t buf[512];
    uint32_t got;
    enum usb_result want[] = {USB_ACK, USB_XACT_ERR, USB_XACT_ERR, USB_ACK};
    for (uint32_t i = 0; i < 4; i++)
        cr_expect_eq(usb_dev_in(d, 0x81, buf, sizeof buf, &got), want[i], "attempt %u", i + 1);
    uint64_t fired = 0;
    cr_expect(sim_counter_get(&g.m->count, "usb.faults_fired", &fired));
    cr_expect_eq(fired, 2);
    rig_down(&g);
}

/* ---- mass storage --------------------------------------------------------------------------- */

Test(usb_family, a_storage_device_loads_its_units)
{
    struct sim_scenario *s = load_ok(
        HEAD "  - {name: d, type: usb_storage, controller: x0, port: 1, speed: super, luns: 2,\n"
             "     blocks: 4096, block_size: 4096, write_cache: true, write_protect: true}\n"
             "  - {name: e, type: usb_storage, controller: x0, port: 5}\n" TAIL);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_eq(s->devices[1].type, USB_FAMILY_STORAGE);
    cr_assert_eq(c->storage.luns, 2);
    for (uint32_t i = 0; i < 2; i++) {
        cr_expect_eq(c->storage.lu[i].media.block_bytes, 4096);
        cr_expect_eq(c->storage.lu[i].media.blocks, 4096);
        cr_expect(c->storage.lu[i].media.write_cache);
        cr_expect(c->storage.lu[i].write_protect);
    }
    c = usb_config(s, 2);
    cr_expect_eq(c->storage.luns, 1, "the defaults");
    cr_expect_eq(c->storage.lu[0].media.block_bytes, 512);
    cr_expect_eq(c->storage.lu[0].media.blocks, 1u << 21);
    cr_expect(!c->storage.lu[0].media.write_cache);
    sim_scenario_free(s);
}

Test(usb_family, a_storage_device_refuses_what_it_cannot_be)
{
    static const char *const bad[][2] = {
        {"  - {name: d, type: usb_storage, controller: x0, port: 5, speed: low}\n", "low speed"},
        {"  - {name: d, type: usb_storage, controller: x0, port: 5, luns: 17}\n", "5:65"},
        {"  - {name: d, type: usb_storage, controller: x0, port: 5, block_size: 1024}\n", "5:71"},
        {"  - {name: d, type: usb_storage, controller: x0, port: 5, blocks: 0}\n", "5:67"},
        {"  - {name: d, type: usb_storage, controller: x0, port: 5, mode: loopback}\n", "mode"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, HEAD "%s" TAIL, bad[i][0]);
        struct sim_scenario *s = NULL;
        struct yml_error err = {{0}};
        cr_expect_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err),
                     IOSIM_EPARSE, "%s", bad[i][0]);
        cr_expect(strstr(err.msg, bad[i][1]) != NULL, "%s -> %s", bad[i][0], err.msg);
    }
}

Test(usb_family, a_storage_device_takes_its_profile_faults_media_errors_and_removals)
{
    struct sim_scenario *s = load_ok(
        HEAD "  - {name: d, type: usb_storage, controller: x0, port: 1, speed: super, luns: 2,\n"
             "     profile: usb-hdd, write_cache: false,\n"
             "     bot_faults: [{command: 3, case: 5, count: 2, opcode: 0x28},\n"
             "                  {command: 1, csw: none}],\n"
             "     media_errors: [{lba: 100, blocks: 4}, {lun: 1, lba: 7}],\n"
             "     removal: [{at: 10ms, until: 20ms}, {lun: 1, at: 30ms}]}\n"
             "  - {name: e, type: usb_storage, controller: x0, port: 5}\n"
             "  - {name: f, type: usb_storage, controller: x0, port: 2, speed: super}\n"
             "  - {name: g, type: usb_storage, controller: x0, port: 6, profile: usb-hdd}\n" TAIL);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_str_eq(c->storage.profile->name, "usb-hdd");
    cr_expect(!c->storage.lu[0].media.write_cache, "write_cache: false wins over the profile");
    cr_assert_eq(c->storage.fault_count, 2);
    cr_expect_eq(c->storage.faults[0].command, 3);
    cr_expect_eq(c->storage.faults[0].bot_case, 5);
    cr_expect_eq(c->storage.faults[0].count, 2);
    cr_expect_eq(c->storage.faults[0].opcode, 0x28);
    cr_expect_eq(c->storage.faults[1].csw, MSC_FAULT_CSW_NONE);
    cr_expect_eq(c->storage.faults[1].opcode, MSC_FAULT_OPCODE_ANY);
    cr_assert_eq(c->media_error_count, 2);
    cr_expect_eq(c->media_errors[0].lba, 100);
    cr_expect_eq(c->media_errors[0].blocks, 4);
    cr_expect_eq(c->media_errors[1].lun, 1);
    cr_expect_eq(c->media_errors[1].blocks, 1);
    cr_assert_eq(c->removal_count, 2);
    cr_expect_eq(c->removals[0].until_ps, 20 * SIM_MS);
    cr_expect_eq(c->removals[1].lun, 1);
    cr_expect_eq(c->removals[1].until_ps, USB_FAMILY_FOREVER);
    cr_expect_str_eq(usb_config(s, 2)->storage.profile->name, "usb2-flash", "high speed");
    cr_expect_str_eq(usb_config(s, 3)->storage.profile->name, "usb3-flash", "super speed");
    cr_expect(usb_config(s, 4)->storage.lu[0].media.write_cache, "the profile's default");
    sim_scenario_free(s);
}

Test(usb_family, a_storage_device_refuses_bad_profiles_faults_media_errors_and_removals)
{
    static const char *const bad[][2] = {
        {"profile: floppy", "usb2-flash, usb3-flash, usb3-ssd-bridge, usb-hdd"},
        {"bot_faults: [{command: 0, case: 1}]", "5:82: expected an integer of at least 1"},
        {"bot_faults: [{command: 1, case: 14}]", "5:91: expected an integer between 1 and 13"},
        {"bot_faults: [{command: 1}]", "either `case`"},
        {"bot_faults: [{command: 1, case: 4, csw: none}]", "not both"},
        {"bot_faults: [{command: 1, csw: late}]", "bad_signature"},
        {"bot_faults: [{command: 1, case: 4, opcode: 256}]", "5:102"},
        {"bot_faults: [{command: 1, case: 4, count: 0}]", "5:101"},
        {"bot_faults: [{case: 4}]", "missing key 'command'"},
        {"bot_faults: [{command: 1, case: 4, when: 2}]", "unknown key 'when'"},
        {"bot_faults: {command: 1}", "expected a sequence"},
        {"media_errors: [{lba: 2097152}]", "5:80"},
        {"media_errors: [{lba: 10, blocks: 2097143}]", "5:92: expected an integer between 1 and 2097142"},
        {"media_errors: [{lun: 1, lba: 1}]", "5:80"},
        {"media_errors: [{blocks: 1}]", "missing key 'lba'"},
        {"removal: [{at: 5ms, until: 5ms}]", "`until` must come after `at`"},
        {"removal: [{at: 5ms}, {at: 9ms}]", "only the last removal"},
        {"removal: [{at: 5ms, until: 8ms}, {at: 7ms}]", "after the previous one"},
        {"removal: [{until: 8ms}]", "missing key 'at'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 HEAD "  - {name: d, type: usb_storage, controller: x0, port: 5, %s}\n" TAIL,
                 bad[i][0]);
        struct sim_scenario *s = NULL;
        struct yml_error err = {{0}};
        cr_expect_eq(sim_scenario_load_string("t.yaml", text, strlen(text), &s, &err),
                     IOSIM_EPARSE, "%s", bad[i][0]);
        cr_expect(strstr(err.msg, bad[i][1]) != NULL, "%s -> %s", bad[i][0], err.msg);
    }
}

/* ---- disk images ------------------------------------------------------------------------------ */

#define IMG_ENTRY "  - {name: d, type: usb_storage, controller: x0, port: 5, "

/* A fresh folder holding t.yaml's images; the scenario is loaded as if
 * from t.yaml there, so relative paths resolve against it. */
struct img_dir {
    char dir[64], yaml[96];
};

static void img_dir_make(struct img_dir *d)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/test_usb_image_XXXXXX");
    cr_assert_not_null(mkdtemp(d->dir));
    snprintf(d->yaml, sizeof d->yaml, "%s/t.yaml", d->dir);
}

static void img_write(const struct img_dir *d, const char *name, const uint8_t *bytes, size_t len)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static void img_dir_remove(const struct img_dir *d)
{
    static const char *const names[] = {"a.img", "ragged.img", "three.img", "empty.img", "big.img",
                                        "pipe.img", "p.yaml", "bad.yaml"};
    char path[160];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, names[i]);
        (void)unlink(path); /* not every test made every one */
    }
    cr_expect_eq(rmdir(d->dir), 0);
}

static enum iosim_err img_load(const struct img_dir *d, const char *keys, struct sim_scenario **s,
                               struct yml_error *err)
{
    char text[1024];
    snprintf(text, sizeof text, HEAD IMG_ENTRY "%s}\n" TAIL, keys);
    *s = NULL;
    return sim_scenario_load_string(d->yaml, text, strlen(text), s, err);
}

/* 8 blocks of 512 bytes, blocks 2 and 5 not zero. */
static void img_eight(uint8_t *b)
{
    memset(b, 0, 8 * 512);
    for (uint32_t i = 0; i < 512; i++) {
        b[2 * 512 + i] = (uint8_t)(i + 1);
        b[5 * 512 + i] = (uint8_t)(255 - i);
    }
}

Test(usb_family, an_image_sizes_the_unit_and_keeps_only_its_non_zero_blocks)
{
    struct img_dir d;
    img_dir_make(&d);
    uint8_t b[8 * 512];
    img_eight(b);
    img_write(&d, "a.img", b, sizeof b);
    struct sim_scenario *s;
    struct yml_error err = {{0}};
    cr_assert_eq(img_load(&d, "image: a.img", &s, &err), IOSIM_OK, "%s", err.msg);
    const struct usb_family_config *c = usb_config(s, 1);
    cr_expect_eq(c->storage.lu[0].media.blocks, 8, "no `blocks`: the image's size");
    const struct sim_image *im = &c->images[0];
    cr_expect_eq(im->blocks, 8);
    cr_assert_eq(im->stored, 2, "zero blocks are not kept");
    cr_expect_eq(im->lba[0], 2);
    cr_expect_eq(im->lba[1], 5);
    cr_expect(memcmp(im->data, b + 2 * 512, 512) == 0);
    cr_expect(memcmp(im->data + 512, b + 5 * 512, 512) == 0);
    sim_scenario_free(s);

    cr_assert_eq(img_load(&d, "blocks: 100, image: a.img", &s, &err), IOSIM_OK, "%s", err.msg);
    cr_expect_eq(usb_config(s, 1)->storage.lu[0].media.blocks, 100, "`blocks` holds the image");
    sim_scenario_free(s);

    cr_assert_eq(img_load(&d, "luns: 2, images: [{lun: 1, path: a.img}]", &s, &err), IOSIM_OK,
                 "%s", err.msg);
    c = usb_config(s, 1);
    cr_expect_eq(c->storage.lu[1].media.blocks, 8);
    cr_expect_eq(c->images[1].stored, 2);
    cr_expect_eq(c->storage.lu[0].media.blocks, 1u << 21, "unit 0 has no image: the default");
    cr_expect_eq(c->images[0].blocks, 0);
    sim_scenario_free(s);

    char keys[160];
    snprintf(keys, sizeof keys, "block_size: 4096, image: '%s/a.img'", d.dir);
    cr_assert_eq(img_load(&d, keys, &s, &err), IOSIM_OK, "an absolute path: %s", err.msg);
    cr_expect_eq(usb_config(s, 1)->storage.lu[0].media.blocks, 1);
    cr_expect_eq(usb_config(s, 1)->images[0].stored, 1);
    sim_scenario_free(s);
    img_dir_remove(&d);
}

Test(usb_family, bad_images_are_refused_at_their_node)
{
    struct img_dir d;
    img_dir_make(&d);
    uint8_t b[8 * 512];
    img_eight(b);
    img_write(&d, "a.img", b, sizeof b);
    img_write(&d, "ragged.img", b, 1000);
    img_write(&d, "three.img", b, 3 * 512);
    img_write(&d, "empty.img", b, 0);
    char big[160];
    snprintf(big, sizeof big, "%s/big.img", d.dir);
    img_write(&d, "big.img", b, 0);
    cr_assert_eq(truncate(big, (256 << 20) + 512), 0, "sparse: no disk space taken");
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/pipe.img", d.dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    /* column 66: where a value after `image: ` starts in IMG_ENTRY */
    static const char *const bad[][2] = {
        {"image: nope.img", "5:66: cannot read 'nope.img': No such file or directory"},
        {"image: .", "5:66: cannot read '.': Is a directory"},
        {"image: ragged.img", "5:66: 'ragged.img' is 1000 bytes: not a multiple of the 512-byte block"},
        {"block_size: 4096, image: three.img",
         "5:84: 'three.img' is 1536 bytes: not a multiple of the 4096-byte block"},
        {"image: empty.img", "5:66: 'empty.img' is empty: an image holds at least one block"},
        {"image: big.img", "5:66: 'big.img' is larger than the 256 MiB an image may be"},
        {"image: pipe.img", "5:66: cannot read 'pipe.img': a pipe or socket is not a disk image"},
        {"image: /dev/zero", "5:66: '/dev/zero' is larger than the 256 MiB an image may be"},
        {"blocks: 7, image: a.img", "5:77: 'a.img' holds 8 blocks: more than `blocks` (7)"},
        {"image: a.img, images: [{path: a.img}]", "5:89: unit 0 has an image already"},
        {"images: [{lun: 1, path: a.img}]", "5:74: expected an integer between 0 and 0"},
        {"images: [{lun: 0}]", "missing key 'path'"},
        {"images: [{path: a.img, size: 1}]", "unknown key 'size'"},
        {"image: [a.img]", "5:66: expected a string, got a sequence"},
        {"image: a.img, media_errors: [{lba: 8}]", "expected an integer between 0 and 7"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sim_scenario *s;
        struct yml_error err = {{0}};
        cr_expect_eq(img_load(&d, bad[i][0], &s, &err), IOSIM_EPARSE, "%s", bad[i][0]);
        cr_expect(strstr(err.msg, bad[i][1]) != NULL, "%s\n   got: %s\n  want: %s", bad[i][0],
                  err.msg, bad[i][1]);
        sim_scenario_free(s);
    }
    img_dir_remove(&d);
}

/* ---- timing profiles of a mapping or a file (what iosim calibrate writes) ------------------- */

Test(usb_family, a_profile_mapping_or_file_over_a_base)
{
    struct img_dir d;
    img_dir_make(&d);
    const char *prof = "name: fitted\nbase: usb-hdd\nread_cmd: 95us\nhit_cmd: 90us\n"
                       "hit_ps_per_kib: 3000000\ncache_segments: 16\nreadahead: 512KiB\n"
                       "seek_read: 2.5ms\nwrite_cache: false\n";
    img_write(&d, "p.yaml", (const uint8_t *)prof, strlen(prof));
    struct sim_scenario *s;
    struct yml_error err = {{0}};
    cr_assert_eq(img_load(&d, "profile: p.yaml", &s, &err), IOSIM_OK, "%s", err.msg);
    const struct scsi_profile *p = usb_config(s, 1)->storage.profile;
    const struct scsi_profile *hdd = scsi_profile_find("usb-hdd");
    cr_expect_str_eq(p->name, "fitted");
    cr_expect(p->read_cmd_ps == 95 * SIM_US && p->hit_cmd_ps == 90 * SIM_US &&
              p->hit_ps_per_kib == 3000000 && p->cache_segments == 16 && p->readahead_kib == 512 &&
              p->seek_read_ps == 2500 * SIM_US && !p->write_cache);
    cr_expect(p->write_cmd_ps == hdd->write_cmd_ps && p->revolution_ps == hdd->revolution_ps,
              "what the file leaves out is the base's");
    cr_expect(!usb_config(s, 1)->storage.lu[0].media.write_cache, "the profile's write cache");
    sim_scenario_free(s);
    cr_assert_eq(img_load(&d, "profile: {read_cmd: 1ms}", &s, &err), IOSIM_OK, "%s", err.msg);
    p = usb_config(s, 1)->storage.profile;
    cr_expect(p->read_cmd_ps == SIM_MS && strcmp(p->name, "custom") == 0 &&
                  p->read_ps_per_kib == scsi_profile_find("usb2-flash")->read_ps_per_kib,
              "a mapping without a base: the speed's flash stick");
    sim_scenario_free(s);
    const char *bad = "base: usb-hdd\nseek_read: 2 parsecs\n";
    img_write(&d, "bad.yaml", (const uint8_t *)bad, strlen(bad));
    cr_expect_eq(img_load(&d, "profile: bad.yaml", &s, &err), IOSIM_EPARSE);
    cr_expect(strstr(err.msg, "bad.yaml:2:12") != NULL, "the profile file's own position: %s", err.msg);
    static const char *const refused[][2] = {
        {"profile: {cache_segments: 65}", "between 0 and 64"},
        {"profile: {base: floppy}", "base: want a built-in profile"},
        {"profile: {seek: 1ms}", "unknown key 'seek' in a timing profile"},
        {"profile: missing.yaml", "missing.yaml"},
        {"profile: 7", "a profile file (.yaml) or a mapping of timing keys"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cr_expect_eq(img_load(&d, refused[i][0], &s, &err), IOSIM_EPARSE, "%s", refused[i][0]);
        cr_expect(strstr(err.msg, refused[i][1]) != NULL, "%s -> %s", refused[i][0], err.msg);
    }
    img_dir_remove(&d);
}
