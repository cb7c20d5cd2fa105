/*
 * impl/drivers/pcid/pcid_config: the driver table's grammar, one test per
 * rule of it, every error with its line and column, and matching checked
 * against a reference matcher on random functions and tables.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/drivers/pcid/pcid_config.h"

static struct pcid_config cfg;
static struct pcid_config_error err;

static void parses(const char *text)
{
    cr_assert_eq(pcid_config_parse(text, &cfg, &err), IOSIM_OK, "%u:%u: %s", err.line, err.col,
                 err.msg);
}

static void refuses(const char *text, uint32_t line, uint32_t col, const char *needle)
{
    cr_assert_eq(pcid_config_parse(text, &cfg, &err), IOSIM_EPARSE, "accepted: %s", text);
    cr_expect_eq(err.line, line, "%s: line %u, not %u", err.msg, err.line, line);
    cr_expect_eq(err.col, col, "%s: column %u, not %u", err.msg, err.col, col);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' does not say '%s'", err.msg, needle);
    cr_expect_eq(cfg.count, 0, "nothing partial");
}

Test(pcid_config, a_table_of_rules_comments_and_blank_lines)
{
    parses("# drivers\n"
           "\n"
           "class=0x0c subclass=0x03 prog_if=0x30 driver=xhcid   # USB 3\n"
           "  vendor=0x1234\tdevice=22136 driver=pcitest irq=msix   vectors=4\n"
           "class=2 driver=e1000d\n");
    cr_assert_eq(cfg.count, 3);
    const struct pcid_rule *r = &cfg.rules[0];
    cr_expect_eq(r->keys, PCID_MATCH_CLASS | PCID_MATCH_SUBCLASS | PCID_MATCH_PROG_IF);
    cr_expect_eq(r->class_code, 0x0c);
    cr_expect_eq(r->subclass, 0x03);
    cr_expect_eq(r->prog_if, 0x30);
    cr_expect_str_eq(r->driver, "xhcid");
    cr_expect_str_eq(r->args, "", "the comment is not an argument");
    cr_expect_eq(r->line, 3);
    r = &cfg.rules[1];
    cr_expect_eq(r->keys, PCID_MATCH_VENDOR | PCID_MATCH_DEVICE);
    cr_expect_eq(r->vendor, 0x1234);
    cr_expect_eq(r->device, 22136);
    cr_expect_str_eq(r->args, "irq=msix vectors=4", "blanks collapse to one space");
    cr_expect_eq(cfg.rules[2].class_code, 2);
}

Test(pcid_config, an_empty_table_is_valid)
{
    parses("");
    cr_expect_eq(cfg.count, 0);
    parses("# nothing\n   \n");
    cr_expect_eq(cfg.count, 0);
}

Test(pcid_config, the_last_line_needs_no_newline)
{
    parses("class=1 driver=ahcid");
    cr_expect_eq(cfg.count, 1);
}

struct bad {
    const char *text;
    uint32_t line, col;
    const char *says;
};

static const struct bad bads[] = {
    {"clas=1 driver=x\n", 1, 1, "unknown key 'clas'"},
    {"class=0x100 driver=x\n", 1, 7, "from 0 to 0xff"},
    {"vendor=0x10000 driver=x\n", 1, 8, "from 0 to 0xffff"},
    {"class=12a driver=x\n", 1, 7, "integer"},
    {"class= driver=x\n", 1, 7, "integer"},
    {"class=-1 driver=x\n", 1, 7, "integer"},
    {"class=1 class=2 driver=x\n", 1, 9, "twice"},
    {"class=1\n", 1, 1, "needs driver=NAME"},
    {"driver=x\n", 1, 1, "at least one match key"},
    {"class=1 driver=\n", 1, 16, "driver must be a name"},
    {"class=1 driver=a/b\n", 1, 16, "driver must be a name"},
    {"class=1 driver=x vectors\n", 1, 18, "key=value"},
    {"class=1 driver=x =3\n", 1, 18, "key=value"},
    {"\n\n  class=1 bogus driver=x\n", 3, 11, "expected key=value"},
    {"class=1 driver=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1, 16, "1 to 31"},
};

Test(pcid_config, every_error_points_at_its_token)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
        refuses(bads[i].text, bads[i].line, bads[i].col, bads[i].says);
}

Test(pcid_config, too_many_rules)
{
    char text[4096] = "";
    for (unsigned i = 0; i <= PCID_RULES_MAX; i++)
        strcat(text, "class=1 driver=x\n");
    refuses(text, PCID_RULES_MAX + 1, 1, "more than");
}

Test(pcid_config, driver_arguments_have_a_limit)
{
    char text[1024] = "class=1 driver=x";
    while (strlen(text) < PCID_DRIVER_ARGS_MAX + 40)
        strcat(text, " k=vvvvvvvv");
    cr_assert_eq(pcid_config_parse(text, &cfg, &err), IOSIM_EPARSE);
    cr_expect(strstr(err.msg, "longer than") != NULL);
}

/* ---- matching, against a reference ------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t draw(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Values from a small set, so that rules and functions collide often. */
static uint32_t small(void)
{
    return draw(3);
}

static const struct pcid_rule *reference(const struct pcid_config *c, const struct pcid_func *f)
{
    if (f->bridge)
        return NULL;
    for (uint32_t i = 0; i < c->count; i++) {
        const struct pcid_rule *r = &c->rules[i];
        bool ok = true;
        if (r->keys & PCID_MATCH_VENDOR) ok = ok && r->vendor == f->vendor;
        if (r->keys & PCID_MATCH_DEVICE) ok = ok && r->device == f->device;
        if (r->keys & PCID_MATCH_CLASS) ok = ok && r->class_code == f->class_code;
        if (r->keys & PCID_MATCH_SUBCLASS) ok = ok && r->subclass == f->subclass;
        if (r->keys & PCID_MATCH_PROG_IF) ok = ok && r->prog_if == f->prog_if;
        if (ok)
            return r;
    }
    return NULL;
}

Test(pcid_config, matching_is_the_first_rule_naming_only_values_the_function_has)
{
    static const char *const names[] = {"vendor", "device", "class", "subclass", "prog_if"};
    for (int round = 0; round < 300; round++) {
        char text[2048] = "";
        uint32_t rules = 1 + draw(8);
        for (uint32_t i = 0; i < rules; i++) {
            uint32_t keys = 1 + draw(31);
            for (unsigned k = 0; k < 5; k++)
                if (keys >> k & 1) {
                    char kv[32];
                    snprintf(kv, sizeof kv, "%s=%u ", names[k], small());
                    strcat(text, kv);
                }
            char drv[32];
            snprintf(drv, sizeof drv, "driver=d%u\n", i);
            strcat(text, drv);
        }
        parses(text);
        cr_assert_eq(cfg.count, rules);
        for (int j = 0; j < 20; j++) {
            struct pcid_func f = {.vendor = (uint16_t)small(), .device = (uint16_t)small(),
                                  .class_code = (uint8_t)small(), .subclass = (uint8_t)small(),
                                  .prog_if = (uint8_t)small(), .bridge = draw(10) == 0};
            cr_expect_eq(pcid_config_match(&cfg, &f), reference(&cfg, &f), "round %d: %s", round,
                         text);
        }
    }
}
