/*
 * models/usb/usb_fault: rules answer the attempts their `after` and
 * `count` say, in list order, with each of the four results, on the
 * scripted function and on gadget zero; the function never sees a
 * faulted attempt; everything else passes through; what the framework
 * answers itself is not counted; usb_dev_wrap_fn's rules; and a
 * model-based check of the counting against a reference over seeded
 * random rule sets and traffic.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/usb/usb_fault.h"
#include "models/usb/usb_null.h"
#include "models/usb/usb_zero.h"
#include "sim/engine/rng.h"
#include "tests/models/usb/usb_test_util.h"

struct fired_log {
    uint32_t n;
    uint32_t rule[64];
    uint64_t attempt[64];
};

static void on_fired(void *ctx, uint32_t rule, uint8_t ep, uint64_t attempt)
{
    struct fired_log *l = ctx;
    (void)ep;
    if (l->n < 64) {
        l->rule[l->n] = rule;
        l->attempt[l->n] = attempt;
    }
    l->n++;
}

static struct rich rich;
static struct usb_dev *dev;
static struct usb_fault *flt;
static struct test_host host;
static struct fired_log fired;

/* The rich device (0x81 bulk IN, 0x02 bulk OUT in configuration 1) with
 * the rules wrapped around its scripted function, configured. */
static void up(const struct usb_fault_rule *rules, uint32_t n)
{
    rich_init(&rich, USB_SPEED_HIGH);
    host = (struct test_host){0};
    fired = (struct fired_log){0};
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    struct usb_fault_hook hook = {.fired = on_fired, .ctx = &fired};
    cr_assert_eq(usb_fault_create(rules, n, &hook, &flt), IOSIM_OK);
    cr_assert_eq(usb_fault_wrap(flt, dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
}

static void down(void)
{
    usb_dev_destroy(dev);
    usb_fault_destroy(flt);
    dev = NULL;
    flt = NULL;
}

static enum usb_result in(uint8_t ep, uint32_t *got)
{
    static uint8_t buf[4096];
    return usb_dev_in(dev, ep, buf, sizeof buf, got);
}

static enum usb_result out(uint8_t ep, uint32_t len, uint32_t *taken)
{
    static const uint8_t buf[4096];
    return usb_dev_out(dev, ep, buf, len, taken);
}

TestSuite(usb_fault, .fini = down);

Test(usb_fault, a_rule_answers_the_attempts_after_its_after_count_times)
{
    struct usb_fault_rule r = {.ep_addr = 0x81, .after = 2, .count = 2, .result = USB_XACT_ERR};
    up(&r, 1);
    rich.fn.give = 100;
    enum usb_result want[] = {USB_ACK, USB_ACK, USB_XACT_ERR, USB_XACT_ERR, USB_ACK, USB_ACK};
    for (uint32_t i = 0; i < 6; i++) {
        uint32_t got = 99;
        cr_expect_eq(in(0x81, &got), want[i], "attempt %u", i + 1);
        cr_expect_eq(got, want[i] == USB_ACK ? 100u : 0u, "attempt %u moved", i + 1);
    }
    cr_expect_eq(rich.fn.in_calls, 4, "the function never saw the faulted attempts");
    cr_expect_eq(usb_fault_fired(flt, 0), 2);
    cr_expect_eq(usb_fault_attempts(flt, 0x81), 6);
    cr_assert_eq(fired.n, 2);
    cr_expect_eq(fired.attempt[0], 3);
    cr_expect_eq(fired.attempt[1], 4);
}

Test(usb_fault, rules_on_one_endpoint_take_turns_in_list_order)
{
    struct usb_fault_rule r[] = {
        {.ep_addr = 0x02, .after = 0, .count = 2, .result = USB_STALL},
        {.ep_addr = 0x02, .after = 1, .count = 1, .result = USB_NAK},
        {.ep_addr = 0x81, .after = 0, .count = 1, .result = USB_BABBLE},
    };
    up(r, 3);
    uint32_t taken;
    cr_expect_eq(out(0x02, 512, &taken), USB_STALL, "rule 0, attempt 1");
    struct usb_ep_info info;
    cr_assert(usb_dev_ep_info(dev, 0x02, &info));
    cr_expect(info.halted, "a STALL from the function halts the endpoint");
    cr_expect_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, 0x02, 0),
                 USB_ACK);
    cr_expect_eq(out(0x02, 512, &taken), USB_STALL, "rule 0 again, though rule 1 is eligible");
    cr_expect_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, 0x02, 0),
                 USB_ACK);
    uint32_t readies = host.ready_count;
    cr_expect_eq(out(0x02, 512, &taken), USB_NAK, "rule 1 on attempt 3");
    cr_expect_eq(taken, 0);
    cr_expect_eq(host.ready_count, readies + 1, "a NAK is followed by ready at once");
    cr_expect_eq(host.ready_ep[readies], 0x02);
    cr_expect_eq(out(0x02, 512, &taken), USB_ACK, "every rule is spent");
    cr_expect_eq(taken, 512);
    uint32_t got;
    cr_expect_eq(in(0x81, &got), USB_BABBLE);
    cr_expect_eq(got, 0);
    cr_assert_eq(fired.n, 4);
    uint32_t rules[] = {0, 0, 1, 2};
    for (uint32_t i = 0; i < 4; i++)
        cr_expect_eq(fired.rule[i], rules[i], "firing %u", i);
}

Test(usb_fault, what_the_framework_answers_itself_is_not_an_attempt)
{
    struct usb_fault_rule r = {.ep_addr = 0x81, .after = 1, .count = 1, .result = USB_STALL};
    up(&r, 1);
    uint32_t got;
    cr_expect_eq(in(0x83, &got), USB_STALL, "not in the active setting");
    cr_expect_eq(in(0x02, &got), USB_STALL, "an OUT endpoint asked for IN");
    cr_expect_eq(usb_fault_attempts(flt, 0x83), 0);
    cr_expect_eq(in(0x81, &got), USB_ACK, "attempt 1 passes");
    cr_expect_eq(in(0x81, &got), USB_STALL, "attempt 2 is the rule's");
    cr_expect_eq(in(0x81, &got), USB_STALL, "halted: the framework's own STALL");
    cr_expect_eq(usb_fault_attempts(flt, 0x81), 2);
    usb_dev_detach(dev);
    cr_expect_eq(in(0x81, &got), USB_XACT_ERR, "detached");
    cr_expect_eq(usb_fault_attempts(flt, 0x81), 2);
}

Test(usb_fault, control_configuration_and_resets_pass_through)
{
    up(NULL, 0);
    cr_expect_eq(rich.fn.set_config_calls, 1);
    cr_expect_eq(rich.fn.resets, 1, "the bus reset");
    uint8_t buf[4];
    uint32_t len = 4;
    cr_expect_eq(ctl_len(dev, RT_VENDOR_IN, TEST_FN_VENDOR_READ, 0, 0, 4, buf, &len), USB_ACK);
    cr_expect_eq(memcmp(buf, "ABCD", 4), 0);
    cr_expect_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, 0, 0), USB_ACK);
    cr_expect_eq(rich.fn.set_alt_calls, 1);
    cr_expect_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, 0x81, 0),
                 USB_ACK);
    cr_expect_eq(rich.fn.halt_cleared_calls, 1);
    uint32_t got;
    cr_expect_eq(in(0x81, &got), USB_ACK, "no rules: the function answers");
    cr_expect_eq(rich.fn.in_calls, 1);
}

Test(usb_fault, gadget_zero_babbles_and_then_streams_on_where_it_was)
{
    struct usb_fault_rule r = {.ep_addr = USB_ZERO_EP_BULK_IN, .after = 1, .count = 1,
                               .result = USB_BABBLE};
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    struct usb_zero *z;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_OK);
    dev = usb_zero_dev(z);
    cr_assert_eq(usb_fault_create(&r, 1, NULL, &flt), IOSIM_OK);
    cr_assert_eq(usb_fault_wrap(flt, dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_CONFIGURED, USB_ZERO_CONFIG_VALUE);
    uint8_t buf[512];
    uint32_t got;
    cr_expect_eq(usb_dev_in(dev, USB_ZERO_EP_BULK_IN, buf, 512, &got), USB_ACK);
    cr_expect_eq(usb_dev_in(dev, USB_ZERO_EP_BULK_IN, buf, 512, &got), USB_BABBLE);
    cr_expect_eq(usb_dev_in(dev, USB_ZERO_EP_BULK_IN, buf, 512, &got), USB_ACK);
    cr_expect_eq(buf[0], usb_zero_pattern(512), "the stream did not move on the babble");
    struct usb_zero_counters c;
    usb_zero_counters(z, &c);
    cr_expect_eq(c.in_bytes, 1024);
    usb_zero_destroy(z);
    usb_fault_destroy(flt);
    dev = NULL;
    flt = NULL;
}

Test(usb_fault, the_null_function_answers_zero_length_and_swallows)
{
    rich_init(&rich, USB_SPEED_HIGH);
    rich.cfg.ops = &usb_null_ops;
    rich.cfg.ctx = NULL;
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint32_t got = 7, taken = 0;
    cr_expect_eq(in(0x81, &got), USB_ACK);
    cr_expect_eq(got, 0);
    cr_expect_eq(out(0x02, 1000, &taken), USB_ACK);
    cr_expect_eq(taken, 1000);
    cr_expect_eq(ctl(dev, RT_VENDOR_IN, 1, 0, 0, 4), USB_STALL, "no class or vendor requests");
}

Test(usb_fault, wrapping_is_refused_while_attached_and_twice)
{
    rich_init(&rich, USB_SPEED_HIGH);
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    cr_assert_eq(usb_fault_create(NULL, 0, NULL, &flt), IOSIM_OK);
    cr_assert_eq(usb_dev_attach(dev, test_host_ops(), &host), IOSIM_OK);
    cr_expect_eq(usb_fault_wrap(flt, dev), IOSIM_EBUSY);
    usb_dev_detach(dev);
    cr_expect_eq(usb_fault_wrap(flt, dev), IOSIM_OK);
    cr_expect_eq(usb_fault_wrap(flt, dev), IOSIM_EBUSY);
}

Test(usb_fault, a_wrapper_around_no_function_leaves_the_device_as_it_was)
{
    rich_init(&rich, USB_SPEED_HIGH);
    rich.cfg.ops = NULL;
    struct usb_fault_rule r = {.ep_addr = 0x81, .count = 1, .result = USB_NAK};
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    cr_assert_eq(usb_fault_create(&r, 1, NULL, &flt), IOSIM_OK);
    cr_assert_eq(usb_fault_wrap(flt, dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint32_t got;
    cr_expect_eq(in(0x81, &got), USB_STALL, "no function: the framework STALLs");
    struct usb_ep_info info;
    cr_assert(usb_dev_ep_info(dev, 0x81, &info));
    cr_expect(!info.halted, "without halting, as with no wrapper");
    cr_expect_eq(usb_fault_attempts(flt, 0x81), 0);
}

Test(usb_fault, rules_that_cannot_be_are_refused)
{
    struct usb_fault_rule bad[] = {
        {.ep_addr = 0x80, .count = 1, .result = USB_STALL},
        {.ep_addr = 0x00, .count = 1, .result = USB_STALL},
        {.ep_addr = 0x91, .count = 1, .result = USB_STALL},
        {.ep_addr = 0x81, .count = 0, .result = USB_STALL},
        {.ep_addr = 0x81, .count = 1, .result = USB_ACK},
        {.ep_addr = 0x01, .count = 1, .result = USB_BABBLE},
    };
    for (uint32_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_not_null(usb_fault_rule_problem(&bad[i]), "rule %u", i);
        cr_expect_eq(usb_fault_create(&bad[i], 1, NULL, &flt), IOSIM_EINVAL, "rule %u", i);
    }
    struct usb_fault_rule many[USB_FAULT_RULES_MAX + 1];
    for (uint32_t i = 0; i <= USB_FAULT_RULES_MAX; i++)
        many[i] = (struct usb_fault_rule){.ep_addr = 0x81, .count = 1, .result = USB_NAK};
    cr_expect_eq(usb_fault_create(many, USB_FAULT_RULES_MAX + 1, NULL, &flt), IOSIM_EINVAL);
    cr_expect_eq(usb_fault_create(many, USB_FAULT_RULES_MAX, NULL, &flt), IOSIM_OK);
}

/* ---- model-based: the counting against a reference ----------------------------------------- */

/* The reference: which rule answers attempt n of ep, given what fired. */
static int ref_pick(const struct usb_fault_rule *r, uint32_t n, const uint32_t *fired_ref,
                    uint8_t ep, uint64_t attempt)
{
    for (uint32_t i = 0; i < n; i++)
        if (r[i].ep_addr == ep && attempt > r[i].after && fired_ref[i] < r[i].count)
            return (int)i;
    return -1;
}

static void random_rules(struct sim_rng *g, struct usb_fault_rule *r, uint32_t n)
{
    static const enum usb_result res[] = {USB_STALL, USB_XACT_ERR, USB_NAK, USB_BABBLE};
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ep = sim_rng_below(g, 2) ? 0x81 : 0x02;
        enum usb_result x = res[sim_rng_below(g, ep == 0x81 ? 4 : 3)];
        r[i] = (struct usb_fault_rule){.ep_addr = ep, .after = (uint32_t)sim_rng_below(g, 6),
                                       .count = 1 + (uint32_t)sim_rng_below(g, 3), .result = x};
    }
}

Test(usb_fault, seeded_rule_sets_fire_exactly_as_the_reference_says)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct sim_rng g;
        sim_rng_seed(&g, seed);
        uint32_t n = 1 + (uint32_t)sim_rng_below(&g, 5);
        struct usb_fault_rule r[5];
        random_rules(&g, r, n);
        up(r, n);
        rich.fn.give = 64;
        uint32_t fired_ref[5] = {0};
        uint64_t attempts[2] = {0};
        for (uint32_t k = 0; k < 60; k++) {
            bool is_in = sim_rng_below(&g, 2) != 0;
            uint8_t ep = is_in ? 0x81 : 0x02;
            int want = ref_pick(r, n, fired_ref, ep, ++attempts[is_in]);
            uint32_t moved;
            enum usb_result got = is_in ? in(ep, &moved) : out(ep, 64, &moved);
            enum usb_result expect = want < 0 ? USB_ACK : r[want].result;
            cr_assert_eq(got, expect, "seed %llu step %u", (unsigned long long)seed, k);
            if (want >= 0)
                fired_ref[want]++;
            if (got == USB_STALL) /* the host clears the halt */
                cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT,
                                 ep, 0), USB_ACK);
        }
        for (uint32_t i = 0; i < n; i++)
            cr_expect_eq(usb_fault_fired(flt, i), fired_ref[i], "seed %llu rule %u",
                         (unsigned long long)seed, i);
        down();
    }
}
