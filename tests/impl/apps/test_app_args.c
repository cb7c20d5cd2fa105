/*
 * impl/apps argument handling: the command-line form port_sys_spawn and
 * pcid's driver table use (app_args_parse), checked clause by clause and
 * against a reference splitter on random texts; the app table's lookups;
 * and the errno <-> enum iosim_err round trip statuses rely on.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/apps/apps.h"

static struct app_args_store st;

Test(app_args, pairs_numbers_and_strings)
{
    cr_assert_eq(app_args_parse("  pci=00:03.0 irq=msix\tvectors=4 base=0x1F neg=-3 x=0x ", &st),
                 IOSIM_OK);
    const struct app_args *a = &st.args;
    cr_assert_eq(a->count, 6);
    cr_expect_str_eq(app_arg_str(a, "pci", NULL), "00:03.0");
    cr_expect_str_eq(app_arg_str(a, "irq", NULL), "msix");
    cr_expect_eq(app_arg_int(a, "vectors", 0), 4);
    cr_expect_eq(app_arg_int(a, "base", 0), 0x1f);
    cr_expect_eq(app_arg_int(a, "neg", 0), -3);
    cr_expect_str_eq(app_arg_str(a, "x", NULL), "0x", "not a whole number: a string");
    cr_expect_eq(app_arg_int(a, "pci", 77), 77, "a string is not a number");
}

Test(app_args, empty_text_is_no_arguments)
{
    cr_assert_eq(app_args_parse("", &st), IOSIM_OK);
    cr_expect_eq(st.args.count, 0);
    cr_assert_eq(app_args_parse(" \t\n ", &st), IOSIM_OK);
    cr_expect_eq(st.args.count, 0);
}

Test(app_args, integers_at_the_edges)
{
    cr_assert_eq(app_args_parse("a=9223372036854775807 b=-9223372036854775808 "
                                "c=9223372036854775808 d=0xffffffffffffffff e=18446744073709551616",
                                &st),
                 IOSIM_OK);
    cr_expect_eq(app_arg_int(&st.args, "a", 0), INT64_MAX);
    cr_expect_eq(app_arg_int(&st.args, "b", 0), INT64_MIN);
    cr_expect_str_eq(app_arg_str(&st.args, "c", NULL), "9223372036854775808", "overflows: text");
    cr_expect_str_eq(app_arg_str(&st.args, "d", NULL), "0xffffffffffffffff");
    cr_expect_str_eq(app_arg_str(&st.args, "e", NULL), "18446744073709551616");
}

Test(app_args, malformed_texts_are_refused)
{
    static const char *const bad[] = {"novalue", "=3", "a=1 a=2", "a=1 b", "a=1 =2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(app_args_parse(bad[i], &st), IOSIM_EINVAL, "%s", bad[i]);
    char many[256] = "";
    for (unsigned k = 0; k <= APP_ARGS_MAX; k++) { /* one pair too many */
        char pair[16];
        snprintf(pair, sizeof pair, " k%u=%u", k, k);
        strcat(many, pair);
    }
    cr_expect_eq(app_args_parse(many, &st), IOSIM_EINVAL, "%s", many);
    many[strlen(many) - strlen(" k16=16")] = '\0';
    cr_expect_eq(app_args_parse(many, &st), IOSIM_OK, "%s", many);
    char big[APP_ARGS_TEXT_MAX + 8];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[1] = '=';
    cr_expect_eq(app_args_parse(big, &st), IOSIM_EMSGSIZE);
}

Test(app_args, values_may_contain_equals_signs)
{
    cr_assert_eq(app_args_parse("expr=a=b", &st), IOSIM_OK);
    cr_expect_str_eq(app_arg_str(&st.args, "expr", NULL), "a=b");
}

/* Random texts of key=value tokens: the parse gives back exactly the tokens. */
Test(app_args, random_texts_split_like_the_reference)
{
    uint64_t r = 42;
    for (int round = 0; round < 2000; round++) {
        char text[256] = "", keys[8][8], vals[8][16];
        unsigned n = 0, want = (unsigned)((r = r * 6364136223846793005ull + 1) >> 60) % 9;
        for (; n < want; n++) {
            snprintf(keys[n], sizeof keys[n], "k%u", n);
            unsigned kind = (unsigned)((r = r * 6364136223846793005ull + 1) >> 61);
            if (kind < 3)
                snprintf(vals[n], sizeof vals[n], "%u", (unsigned)(r >> 40));
            else if (kind < 5)
                snprintf(vals[n], sizeof vals[n], "0x%x", (unsigned)(r >> 44));
            else
                snprintf(vals[n], sizeof vals[n], "v%u", (unsigned)(r >> 50));
            strcat(text, (r >> 33) & 1 ? "  " : " ");
            strcat(text, keys[n]);
            strcat(text, "=");
            strcat(text, vals[n]);
        }
        cr_assert_eq(app_args_parse(text, &st), IOSIM_OK, "%s", text);
        cr_assert_eq(st.args.count, n);
        for (unsigned i = 0; i < n; i++) {
            cr_expect_str_eq(st.args.key[i], keys[i]);
            if (vals[i][0] == 'v') {
                cr_expect_str_eq(st.args.str[i], vals[i]);
            } else {
                unsigned long long v = strtoull(vals[i], NULL, 0);
                cr_expect_null(st.args.str[i]);
                cr_expect_eq((unsigned long long)st.args.num[i], v, "%s", vals[i]);
            }
        }
    }
}

Test(app_args, the_app_table_knows_its_apps_and_their_keys)
{
    const struct app_def *pcid = app_find("pcid");
    cr_assert_not_null(pcid);
    cr_expect_null(app_find("no-such-app"));
    cr_assert_eq(app_args_parse("ecam=0xe0000000 drivers=x", &st), IOSIM_OK);
    cr_expect_null(app_args_unknown_key(pcid, &st.args));
    cr_assert_eq(app_args_parse("ecam=1 bogus=2", &st), IOSIM_OK);
    cr_expect_str_eq(app_args_unknown_key(pcid, &st.args), "bogus");
}

Test(app_args, errno_statuses_round_trip)
{
    for (unsigned e = 0; e < IOSIM_ERR_COUNT; e++) {
        int64_t status = e == IOSIM_OK ? 0 : -(int64_t)iosim_err_errno((enum iosim_err)e);
        cr_expect_eq(iosim_err_from_status(status), (enum iosim_err)e, "%s", iosim_err_name(e));
    }
    cr_expect_eq(iosim_err_from_status(17), IOSIM_OK, "a result is not an error");
    cr_expect_eq(iosim_err_from_status(-4), IOSIM_EIO, "an errno the list lacks");
}
