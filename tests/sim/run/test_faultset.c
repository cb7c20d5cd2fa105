/*
 * The fault set (sim/run/faultset.h) and the `fuzz:` section that feeds
 * it: format/parse round trips on seeded random sets against a plain
 * reference (which picks, which values), parse errors, draw determinism,
 * subsets, loader refusals, and a swarm run applied to a copy of the
 * scenario (the scenario is unchanged for the next seed).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/run/faultset.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"

static const char base[] =
    "scenario: fs\n"
    "machine: {cpus: 1, memory: 16MiB, kernel: true, pci: {ecam: 0xe0000000, buses: 4}}\n"
    "devices:\n"
    "  - {name: xhci0, type: xhci, profile: qemu, at: \"04.0\", irq: 20}\n"
    "  - {name: stick, type: usb_storage, controller: xhci0, port: 5, speed: high, blocks: 4096}\n"
    "  - {name: zero, type: usb_zero, controller: xhci0, port: 6}\n"
    "processes:\n"
    "  - {name: p, program: [{work: 5ms}]}\n";

static struct sim_scenario *load(const char *fuzz, struct yml_error *err)
{
    static char text[4096];
    snprintf(text, sizeof text, "%s%s", base, fuzz);
    struct sim_scenario *s = NULL;
    if (sim_scenario_load_string("fs.yaml", text, strlen(text), &s, err) != IOSIM_OK)
        return NULL;
    return s;
}

static const char all_faults[] =
    "fuzz:\n"
    "  faults:\n"
    "    - irq_delay\n"
    "    - irq_drop: {line: 20, per_mille: [1, 30]}\n"
    "    - dma_error: {device: xhci0}\n"
    "    - kill: {process: p, at: [1us, 2ms]}\n"
    "    - usb_stall: {device: stick, endpoint: 0x81}\n"
    "    - usb_xact_error: {device: zero, after: [0, 5]}\n"
    "    - usb_babble: {device: zero}\n"
    "    - unplug: {device: stick, at: [1ms, 3ms], for: 2ms}\n"
    "    - media_error: {device: stick, lba: [100, 200]}\n"
    "    - removal: {device: stick}\n"
    "    - bot_case: {device: stick, case: 4}\n"
    "    - bot_csw: {device: stick}\n";

static struct sim_scenario *s_all;

static void setup(void)
{
    struct yml_error err;
    s_all = load(all_faults, &err);
    cr_assert_not_null(s_all, "%s", err.msg);
}

static void teardown(void) { sim_scenario_free(s_all); }

/* The reference: which allowed faults are on, and their values. */
struct ref {
    bool on[SIM_SCN_ALLOWED_MAX];
    uint64_t v[SIM_SCN_ALLOWED_MAX][SIM_SWARM_PARAMS_MAX];
};

static uint64_t pick_value(struct sim_rng *r, const struct sim_swarm_param *p)
{
    if (p->choice_count > 0)
        return p->choices[sim_rng_below(r, p->choice_count)];
    return sim_rng_range(r, p->draw_lo, p->draw_hi);
}

static void random_set(struct sim_rng *r, const struct sim_scenario *s, struct sim_faultset *fs,
                       struct ref *ref)
{
    memset(ref, 0, sizeof *ref);
    sim_faultset_init(fs, s);
    for (uint32_t i = 0; i < s->allowed_count; i++) {
        if (!sim_rng_chance(r, 400))
            continue;
        struct sim_faultset_pick *pk = &fs->picks[fs->count++];
        pk->allowed = i;
        ref->on[i] = true;
        for (uint32_t p = 0; p < s->allowed[i].kind.param_count; p++)
            ref->v[i][p] = pk->values[p] = pick_value(r, &s->allowed[i].kind.params[p]);
    }
}

static void check_against(const struct sim_faultset *fs, const struct ref *ref, uint64_t seed)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < fs->s->allowed_count; i++)
        n += ref->on[i];
    cr_assert_eq(fs->count, n, "seed %llu", (unsigned long long)seed);
    for (uint32_t k = 0; k < fs->count; k++) {
        const struct sim_faultset_pick *pk = &fs->picks[k];
        cr_assert(ref->on[pk->allowed], "seed %llu", (unsigned long long)seed);
        if (k > 0)
            cr_assert_lt(fs->picks[k - 1].allowed, pk->allowed);
        for (uint32_t p = 0; p < fs->s->allowed[pk->allowed].kind.param_count; p++)
            cr_assert_eq(pk->values[p], ref->v[pk->allowed][p], "seed %llu pick %u param %u",
                         (unsigned long long)seed, k, p);
    }
}

Test(faultset, format_then_parse_gives_the_same_set_when_random, .init = setup, .fini = teardown)
{
    for (uint64_t seed = 1; seed <= 500; seed++) {
        struct sim_rng r;
        sim_rng_seed(&r, seed);
        static struct sim_faultset fs, back;
        struct ref ref;
        random_set(&r, s_all, &fs, &ref);
        char text[SIM_FAULTSET_TEXT_MAX], again[SIM_FAULTSET_TEXT_MAX], msg[256];
        cr_assert_eq(sim_faultset_format(&fs, text, sizeof text), IOSIM_OK);
        cr_assert_eq(strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_-.:,="), strlen(text),
                     "not shell-safe: %s", text);
        cr_assert_eq(sim_faultset_parse(s_all, text, &back, msg, sizeof msg), IOSIM_OK,
                     "seed %llu: %s: %s", (unsigned long long)seed, text, msg);
        check_against(&back, &ref, seed);
        cr_assert_eq(sim_faultset_format(&back, again, sizeof again), IOSIM_OK);
        cr_assert_str_eq(again, text);
    }
}

Test(faultset, parse_takes_picks_in_any_order, .init = setup, .fini = teardown)
{
    static struct sim_faultset a, b;
    char msg[256], ta[512], tb[512];
    cr_assert_eq(sim_faultset_parse(s_all, "usb_babble:zero:endpoint=0x81:after=3:count=1,"
                                           "irq_delay:per_mille=5:delay=20us", &a, msg, sizeof msg),
                 IOSIM_OK, "%s", msg);
    cr_assert_eq(sim_faultset_parse(s_all, "irq_delay:per_mille=5:delay=20us,"
                                           "usb_babble:zero:endpoint=0x81:after=3:count=1", &b, msg,
                                    sizeof msg), IOSIM_OK, "%s", msg);
    sim_faultset_format(&a, ta, sizeof ta);
    sim_faultset_format(&b, tb, sizeof tb);
    cr_assert_str_eq(ta, tb);
    cr_assert_str_eq(ta, "irq_delay:per_mille=5:delay=20us,usb_babble:zero:endpoint=0x81:after=3:count=1");
}


static void parse_fails(const char *text, const char *why)
{
    static struct sim_faultset fs;
    char msg[256] = "";
    sim_faultset_init(&fs, s_all);
    cr_assert_eq(sim_faultset_parse(s_all, text, &fs, msg, sizeof msg), IOSIM_EINVAL, "%s", text);
    cr_assert(strstr(msg, why) != NULL, "%s: got '%s', wanted '%s'", text, msg, why);
    cr_assert_eq(fs.count, 0, "out unchanged");
}

Test(faultset, parse_refuses_what_the_scenario_does_not_allow, .init = setup, .fini = teardown)
{
    parse_fails("bogus:per_mille=3", "does not allow");
    parse_fails("irq_drop:per_mille=3", "does not allow");              /* only line 20 */
    parse_fails("irq_drop:line=20:per_mille=31", "outside");           /* 1..30 */
    parse_fails("irq_drop:line=20:per_mille=x", "unreadable");
    parse_fails("irq_drop:line=20", "exactly the parameters");
    parse_fails("irq_drop:line=20:per_mille=3:delay=1us", "exactly the parameters");
    parse_fails("irq_drop:line=20:pm=3", "unreadable");
    parse_fails("irq_delay:per_mille=3:delay=20", "unreadable");       /* a unit */
    parse_fails("usb_stall:stick:endpoint=0x2:after=1:count=1", "outside"); /* 0x81 only */
    parse_fails("usb_stall:nobody:endpoint=0x81:after=1:count=1", "does not allow");
    parse_fails("media_error:stick:lba=99", "outside");
    parse_fails("irq_delay:per_mille=3:delay=20us,", "empty");
    parse_fails("irq_delay::per_mille=3", "empty");
    parse_fails("kill:p:at=1ms:x", "NAME=VALUE");
    parse_fails("kill:p:at=5ms", "outside");
    parse_fails("kill:p:at=1ms,kill:p:at=2ms", "more often");
    parse_fails("irq_delay:per_mille=3:delay=20us,irq_delay:per_mille=3:delay=20us", "more often");
}

Test(faultset, none_and_the_empty_text_are_the_empty_set, .init = setup, .fini = teardown)
{
    static struct sim_faultset fs;
    char msg[64], text[16];
    cr_assert_eq(sim_faultset_parse(s_all, "none", &fs, msg, sizeof msg), IOSIM_OK);
    cr_assert_eq(fs.count, 0);
    cr_assert_eq(sim_faultset_parse(s_all, "", &fs, msg, sizeof msg), IOSIM_OK);
    cr_assert_eq(sim_faultset_format(&fs, text, sizeof text), IOSIM_OK);
    cr_assert_str_eq(text, "none");
    cr_assert_eq(sim_faultset_format(&fs, text, 3), IOSIM_ENOSPC);
}

Test(faultset, draw_is_a_function_of_the_seed_and_varies_across_seeds, .init = setup,
     .fini = teardown)
{
    static struct sim_faultset a, b;
    uint32_t distinct = 0, sizes[SIM_SCN_ALLOWED_MAX + 1] = {0};
    char prev[SIM_FAULTSET_TEXT_MAX] = "";
    for (uint64_t seed = 1; seed <= 200; seed++) {
        sim_faultset_draw(s_all, seed, &a);
        sim_faultset_draw(s_all, seed, &b);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "seed %llu", (unsigned long long)seed);
        char text[SIM_FAULTSET_TEXT_MAX], msg[256];
        sim_faultset_format(&a, text, sizeof text);
        cr_assert_eq(sim_faultset_parse(s_all, text, &b, msg, sizeof msg), IOSIM_OK, "%s: %s",
                     text, msg);
        distinct += strcmp(text, prev) != 0;
        snprintf(prev, sizeof prev, "%s", text);
        sizes[a.count]++;
    }
    cr_assert_gt(distinct, 190);
    cr_assert_gt(sizes[0] + sizes[1] + sizes[2] + sizes[3], 0, "some runs have few faults");
    cr_assert_gt(sizes[9] + sizes[10] + sizes[11] + sizes[12] + sizes[13], 0, "some many");
}

Test(faultset, every_subset_parses, .init = setup, .fini = teardown)
{
    static struct sim_faultset full, sub, back;
    sim_faultset_draw(s_all, 7, &full);
    for (uint32_t mask = 0; mask < (1u << (full.count < 10 ? full.count : 10)); mask++) {
        sub = full;
        for (uint32_t i = full.count; i-- > 0;)
            if (i < 10 && !(mask & (1u << i)))
                sim_faultset_remove(&sub, i);
        char text[SIM_FAULTSET_TEXT_MAX], msg[256];
        sim_faultset_format(&sub, text, sizeof text);
        cr_assert_eq(sim_faultset_parse(s_all, text, &back, msg, sizeof msg), IOSIM_OK, "%s", msg);
        cr_assert_eq(back.count, sub.count);
    }
}

static void load_fails(const char *fuzz, const char *why)
{
    struct yml_error err;
    struct sim_scenario *s = load(fuzz, &err);
    cr_assert_null(s, "%s loaded", fuzz);
    cr_assert(strstr(err.msg, why) != NULL, "got '%s', wanted '%s'", err.msg, why);
    cr_assert(strncmp(err.msg, "fs.yaml:", 8) == 0, "%s", err.msg);
}

Test(faultset, the_loader_refuses_unknown_kinds_devices_processes_and_keys)
{
    load_fails("fuzz: {faults: [bogus]}\n", "unknown fault 'bogus'");
    load_fails("fuzz: {faults: [usb_stall]}\n", "needs a `device:`");
    load_fails("fuzz: {faults: [{usb_stall: {device: nobody}}]}\n", "no device named 'nobody'");
    load_fails("fuzz: {faults: [{media_error: {device: zero}}]}\n", "cannot be given media_error");
    load_fails("fuzz: {faults: [{kill: {process: q}}]}\n", "no process named 'q'");
    load_fails("fuzz: {faults: [{irq_drop: {device: xhci0}}]}\n", "unknown key 'device'");
    load_fails("fuzz: {faults: [{irq_drop: {per_mille: [5, 2]}}]}\n", "high is below low");
    load_fails("fuzz: {faults: [{irq_drop: {per_mille: 1001}}]}\n", "1000");
    load_fails("fuzz: {faults: [{usb_stall: {device: stick, endpoint: 0x82}}]}\n",
               "not one this device has");
    load_fails("fuzz: {faults: [{irq_drop: {}, irq_delay: {}}]}\n", "one key");
    load_fails("fuzz: {bogus: 1}\n", "unknown key 'bogus'");
    load_fails("fuzz: {faults: [{kill: {process: p}}, {kill: {process: p, at: 1ms}}]}\n",
               "kill of p is allowed already");
}

Test(faultset, a_swarm_run_leaves_the_scenario_as_it_was, .init = setup, .fini = teardown)
{
    static struct sim_scenario before;
    before = *s_all;
    static struct sim_faultset fs;
    char msg[256];
    cr_assert_eq(sim_faultset_parse(s_all, "irq_drop:line=20:per_mille=30,usb_stall:stick:"
                                           "endpoint=0x81:after=0:count=2,unplug:stick:at=1ms:"
                                           "for=2ms,media_error:stick:lba=100,bot_csw:stick:"
                                           "command=1:csw=4", &fs, msg, sizeof msg),
                 IOSIM_OK, "%s", msg);
    static struct sim_run_result r;
    struct sim_run_opts o = {.faults = &fs};
    cr_assert_eq(sim_run(s_all, &o, &r), IOSIM_OK, "%s", r.message);
    cr_assert(strstr(r.repro, "--fault-set 'irq_drop:line=20:per_mille=30,") != NULL, "%s",
              r.repro);
    cr_assert_eq(s_all->machine.fault_count, before.machine.fault_count);
    for (uint32_t i = 0; i < s_all->device_count; i++) {
        cr_assert_eq(s_all->devices[i].config, before.devices[i].config);
    }
    /* the same config bytes: a run without the set hashes as before */
    static struct sim_run_result plain1, plain2;
    struct sim_run_opts none = {0};
    struct yml_error err;
    struct sim_scenario *fresh = load(all_faults, &err);
    cr_assert_eq(sim_run(s_all, &none, &plain1), IOSIM_OK);
    cr_assert_eq(sim_run(fresh, &none, &plain2), IOSIM_OK);
    cr_assert_eq(plain1.trace_hash, plain2.trace_hash);
    sim_scenario_free(fresh);
}
