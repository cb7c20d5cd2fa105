/* xhcid's class-driver table (xhcid_rules_parse): each form and each refusal. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/drivers/xhcid/xhcid.h"

static struct xhcid_rule rules[XHCID_RULES_MAX];
static uint32_t n, col;
static char msg[96];

static enum iosim_err parse(const char *text)
{
    memset(rules, 0, sizeof rules);
    n = col = 0;
    msg[0] = '\0';
    return xhcid_rules_parse(text, rules, &n, &col, msg, sizeof msg);
}

Test(xhcid_rules, the_default_table_parses_to_an_id_rule_and_a_class_rule)
{
    cr_assert_eq(parse(XHCID_DEFAULT_DRIVERS), IOSIM_OK);
    cr_assert_eq(n, 2);
    cr_expect(rules[0].by_id);
    cr_expect_eq(rules[0].vendor, 0x0525);
    cr_expect_eq(rules[0].product, 0xa4a0);
    cr_expect_str_eq(rules[0].driver, "usbzero");
    cr_expect(!rules[1].by_id);
    cr_expect_eq(rules[1].cls, 0x08);
    cr_expect_eq(rules[1].subclass, 0x06);
    cr_expect_eq(rules[1].protocol, 0x50);
    cr_expect_str_eq(rules[1].driver, "usbscsid");
}

Test(xhcid_rules, a_star_matches_any_and_none_is_the_empty_table)
{
    cr_assert_eq(parse("ff.*.*=vendor_drv"), IOSIM_OK);
    cr_expect_eq(rules[0].cls, 0xff);
    cr_expect_eq(rules[0].subclass, -1);
    cr_expect_eq(rules[0].protocol, -1);
    cr_assert_eq(parse("none"), IOSIM_OK);
    cr_expect_eq(n, 0);
    cr_assert_eq(parse(""), IOSIM_OK);
    cr_expect_eq(n, 0);
}

/* Each malformed rule: refused at the rule's column, with a message. */
Test(xhcid_rules, malformed_rules_are_refused_where_they_start)
{
    static const struct { const char *text; uint32_t col; } bad[] = {
        {"0525:a4a=usbzero", 1},          /* product of 3 digits */
        {"0525-a4a0=usbzero", 1},         /* neither form */
        {"08.06=usbscsid", 1},            /* two fields */
        {"08.06.50usbscsid", 1},          /* no '=' */
        {"08.06.50=", 1},                 /* no driver */
        {"08.06.50=Usb", 1},              /* a capital */
        {"0525:a4a0=usbzero,xx.06.50=d", 19},
        {"08.06.50=a_driver_name_that_is_long", 1},
        {"1.1.1=a", 1},                   /* one digit a field */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(parse(bad[i].text), IOSIM_EPARSE, "%s", bad[i].text);
        cr_expect_eq(col, bad[i].col, "%s: column %u", bad[i].text, col);
        cr_expect_neq(msg[0], '\0', "%s", bad[i].text);
    }
}

Test(xhcid_rules, more_than_eight_rules_are_refused)
{
    char text[256] = "";
    for (int i = 0; i < 9; i++)
        strcat(text, i == 0 ? "ff.*.*=d" : ",ff.*.*=d");
    cr_expect_eq(parse(text), IOSIM_EPARSE);
    cr_expect_eq(col, 8 * 9 + 1);
    cr_expect_str_eq(msg, "more than 8 rules");
}
