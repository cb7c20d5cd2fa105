/* impl/util/num: the one number reader of production code, clause by clause. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/util/num.h"

static bool parse(const char *s, uint64_t max, uint64_t *v)
{
    return num_parse_u64(s, strlen(s), max, v);
}

Test(num, decimal_and_hex_whole_texts)
{
    uint64_t v;
    cr_expect(parse("0", UINT64_MAX, &v) && v == 0);
    cr_expect(parse("4096", UINT64_MAX, &v) && v == 4096);
    cr_expect(parse("0x1F", UINT64_MAX, &v) && v == 31);
    cr_expect(parse("0XfF", UINT64_MAX, &v) && v == 255);
    cr_expect(parse("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
    cr_expect(parse("0xffffffffffffffff", UINT64_MAX, &v) && v == UINT64_MAX);
    cr_expect(num_parse_u64("123abc", 3, UINT64_MAX, &v) && v == 123, "only n bytes are read");
}

Test(num, everything_else_is_refused)
{
    static const char *const bad[] = {"", "0x", "-1", "+1", " 1", "1 ", "12a", "0xg",
                                      "18446744073709551616", "0x10000000000000000"};
    uint64_t v = 77;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(parse(bad[i], UINT64_MAX, &v), "'%s'", bad[i]);
    cr_expect_eq(v, 77, "nothing written on refusal");
}

Test(num, the_bound_is_inclusive)
{
    uint64_t v;
    cr_expect(parse("255", 255, &v) && v == 255);
    cr_expect_not(parse("256", 255, &v));
    cr_expect_not(parse("0x100", 0xff, &v));
    cr_expect_not(parse("9", 8, &v), "a single digit above the bound");
    cr_expect(parse("0", 0, &v) && v == 0);
}

Test(num, hex_digits)
{
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9' ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        cr_expect_eq(num_hex_digit((char)c), want, "%d", c);
    }
}
