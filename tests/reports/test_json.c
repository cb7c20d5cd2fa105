/*
 * JSON output of the exports (reports/json.c): every byte a trace
 * database can hold comes out inside one valid JSON string - quote and
 * backslash escaped, control characters and non-ASCII bytes as \u00XX -
 * and decodes back to the same bytes; times print exactly.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/json.h"
#include "sim/engine/rng.h"

static char *text;
static size_t text_len;

static FILE *open_text(void)
{
    FILE *f = open_memstream(&text, &text_len);
    cr_assert_not_null(f);
    return f;
}

static void fini(void)
{
    free(text);
    text = NULL;
}

static const char *str_of(const char *s)
{
    FILE *f = open_text();
    json_str(f, s);
    fclose(f);
    return text;
}

static const char *us_of(int64_t ps)
{
    FILE *f = open_text();
    json_us(f, ps);
    fclose(f);
    return text;
}

struct escape_row {
    const char *in, *out;
};

static const struct escape_row rows[] = {
    {"", "\"\""},
    {"plain text", "\"plain text\""},
    {"a\"b", "\"a\\\"b\""},
    {"back\\slash", "\"back\\\\slash\""},
    {"\n\r\t\b\f", "\"\\u000a\\u000d\\u0009\\u0008\\u000c\""},
    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
    {"\xff\x80\xc3\xa9", "\"\\u00ff\\u0080\\u00c3\\u00a9\""},
    {"\"]}", "\"\\\"]}\""},
    {"</script>", "\"</script>\""},
};

static size_t row_index[sizeof rows / sizeof rows[0]];

ParameterizedTestParameters(json, escapes)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        row_index[i] = i;
    return cr_make_param_array(size_t, row_index, sizeof rows / sizeof rows[0]);
}

ParameterizedTest(size_t *k, json, escapes, .fini = fini)
{
    cr_assert_str_eq(str_of(rows[*k].in), rows[*k].out, "row %zu", *k);
}

Test(json, null_is_the_empty_string, .fini = fini)
{
    cr_assert_str_eq(str_of(NULL), "\"\"");
}

/* The reverse of json_str for what it writes; -1 when the text is not one
 * JSON string of printable ASCII with the escapes it uses. */
static int decode(const char *j, char *out)
{
    size_t n = strlen(j), o = 0;
    if (n < 2 || j[0] != '"' || j[n - 1] != '"')
        return -1;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char ch = (unsigned char)j[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"')
            return -1;
        if (ch != '\\') {
            out[o++] = (char)ch;
            continue;
        }
        if (j[i + 1] == '"' || j[i + 1] == '\\') {
            out[o++] = j[++i];
        } else if (j[i + 1] == 'u' && strncmp(j + i + 2, "00", 2) == 0) {
            unsigned v;
            if (sscanf(j + i + 4, "%2x", &v) != 1)
                return -1;
            out[o++] = (char)v;
            i += 5;
        } else {
            return -1;
        }
    }
    out[o] = '\0';
    return (int)o;
}

Test(json, random_bytes_round_trip, .fini = fini)
{
    static char in[256], back[256];
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        struct sim_rng g;
        sim_rng_stream(&g, seed, "json");
        size_t n = (size_t)sim_rng_below(&g, sizeof in);
        for (size_t i = 0; i < n; i++)
            in[i] = (char)(1 + sim_rng_below(&g, 255)); /* any byte but NUL */
        in[n] = '\0';
        int got = decode(str_of(in), back);
        cr_assert_eq(got, (int)n, "seed %llu: %s", (unsigned long long)seed, text);
        cr_assert_arr_eq(back, in, n, "seed %llu", (unsigned long long)seed);
        fini();
    }
}

Test(json, times_are_exact_microseconds, .fini = fini)
{
    cr_expect_str_eq(us_of(0), "0.000000");
    fini();
    cr_expect_str_eq(us_of(1), "0.000001");
    fini();
    cr_expect_str_eq(us_of(1500000), "1.500000");
    fini();
    cr_expect_str_eq(us_of(INT64_MAX), "9223372036854.775807");
    fini();
    cr_expect_str_eq(us_of(-1), "-0.000001");
    fini();
    cr_expect_str_eq(us_of(INT64_MIN), "-9223372036854.775808");
}
