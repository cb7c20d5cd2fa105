/* sim/yml: tables of inputs -> (value | exact message) for the loader and
 * every getter, the limits, file loading and message formatting. The
 * model-based and fuzz tests live in test_yml_model.c. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scenario/yml.h"

static struct yml_doc *load_ok(const char *text)
{
    struct yml_doc *doc = NULL;
    struct yml_error err;
    enum iosim_err e = yml_load_string("t.yml", text, strlen(text), &doc, &err);
    cr_assert_eq(e, IOSIM_OK, "load of [%s] failed: %s", text, err.msg);
    cr_assert_not_null(doc);
    return doc;
}

/* ---- load -------------------------------------------------------------- */

struct load_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    const char *err; /* NULL: loads */
};

static const struct load_case load_cases[] = {
    {"a: 1\n", 0, NULL},
    {"- a\n- b\n", 0, NULL},
    {"scalar\n", 0, NULL},
    {"---\n", 0, NULL},
    {"a: 1\n...\n", 0, NULL},
    {"%YAML 1.1\n---\na: 1\n", 0, NULL},
    {"\xef\xbb\xbf" "a: 1\n", 0, NULL},
    {"a: 1\r\nb: 2\r\n", 0, NULL},
    {"{a: [1, {b: c}], d: e}", 0, NULL},
    {"", 0, "t.yml:1:1: file is empty (no YAML document)"},
    {"# only a comment\n\n", 0, "t.yml:1:1: file is empty (no YAML document)"},
    {"a: 1\nb: 2\na: 3\n", 0, "t.yml:3:1: duplicate key 'a' (first defined at line 1, column 1)"},
    {"{x: 1, 'x': 2}", 0, "t.yml:1:8: duplicate key 'x' (first defined at line 1, column 2)"},
    {"top:\n  k: 1\n  \"k\": 2\n", 0,
     "t.yml:3:3: duplicate key 'k' (first defined at line 2, column 3)"},
    {"a: &anc 1\n", 0, "t.yml:1:4: anchors are not supported (anchor 'anc')"},
    {"a: &anc [1]\n", 0, "t.yml:1:4: anchors are not supported (anchor 'anc')"},
    {"a: 1\nb: *anc\n", 0, "t.yml:2:4: aliases are not supported (alias 'anc')"},
    {"a: !!int 1\n", 0, "t.yml:1:4: tags are not supported (tag 'tag:yaml.org,2002:int')"},
    {"a: !custom {}\n", 0, "t.yml:1:4: tags are not supported (tag '!custom')"},
    {"? [a]\n: 1\n", 0, "t.yml:1:3: mapping keys must be scalars, got a sequence"},
    {"{{a: 1}: 2}", 0, "t.yml:1:2: mapping keys must be scalars, got a mapping"},
    {"- 1\n---\n- 2\n", 0,
     "t.yml:2:1: more than one document in the file (only one is allowed)"},
    {"a: 1\n---\n", 0, "t.yml:2:1: more than one document in the file (only one is allowed)"},
    {"a: [1, 2\n", 0,
     "t.yml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
     "column 4)"},
    {"a: b: c\n", 0, "t.yml:1:5: mapping values are not allowed in this context"},
    {"a: 'open\n", 0,
     "t.yml:2:1: found unexpected end of stream (while scanning a quoted scalar at line 1, "
     "column 4)"},
    {"a:\n  b: 1\n c: 2\n", 0,
     "t.yml:3:2: did not find expected key (while parsing a block mapping at line 1, column 1)"},
    {"a: \xff\n", 0, "t.yml:1:4: invalid leading UTF-8 octet (0xFF)"},
    {"\xc3\xa4: \xc3(\n", 0, "t.yml:1:5: invalid trailing UTF-8 octet (0x28)"},
    {"a: 1\nb: \x01\n", 0, "t.yml:2:4: control characters are not allowed (0x1)"},
    {"a: 1\nb: x\0y\n", 11, "t.yml:2:5: control characters are not allowed (0x0)"},
    {"\xff\xfe" "a\0:\0", 6, "t.yml:1:1: invalid leading UTF-8 octet (0xFF)"},
    {"a: 1\r\nb: *x\r\n", 0, "t.yml:2:4: aliases are not supported (alias 'x')"},
    {"\xc3\xa4\xc3\xb6: *x\n", 0, "t.yml:1:5: aliases are not supported (alias 'x')"},
    {"\xef\xbb\xbf" "a: *x\n", 0, "t.yml:1:4: aliases are not supported (alias 'x')"},
};

Test(yml, load_gives_exact_message_when_input_is_bad)
{
    for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++) {
        const struct load_case *c = &load_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        struct yml_doc *doc = (struct yml_doc *)&doc; /* sentinel: must stay on error */
        struct yml_error err;
        enum iosim_err e = yml_load_string("t.yml", c->text, len, &doc, &err);
        if (c->err == NULL) {
            cr_expect_eq(e, IOSIM_OK, "case %zu: %s", i, err.msg);
            if (e == IOSIM_OK)
                yml_free(doc);
        } else {
            cr_expect_eq(e, IOSIM_EPARSE, "case %zu", i);
            cr_expect_str_eq(err.msg, c->err, "case %zu: got [%s]", i, err.msg);
            cr_expect_eq(doc, (struct yml_doc *)&doc, "case %zu: out changed", i);
        }
    }
}

Test(yml, tree_keeps_file_order_and_positions_when_loaded)
{
    struct yml_doc *doc = load_ok("# header\n"
                                  "zeta: 1\n"
                                  "alpha:\n"
                                  "  - x\n"
                                  "  - {k: 'v', j: [] }\n"
                                  "mid: \"q\"\n"
                                  "blk: |\n"
                                  "  line\n"
                                  "empty:\n");
    const struct yml_node *r = yml_root(doc);
    cr_assert_eq(yml_kind(r), YML_MAP);
    cr_assert_eq(yml_map_len(r), 5);
    const char *keys[] = {"zeta", "alpha", "mid", "blk", "empty"};
    const uint32_t lines[] = {2, 3, 6, 7, 9};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_str_eq(yml_scalar_text(yml_map_key(r, i)), keys[i]);
        cr_expect_eq(yml_line(yml_map_key(r, i)), lines[i]);
        cr_expect_eq(yml_col(yml_map_key(r, i)), 1);
        cr_expect_eq(yml_map_get(r, keys[i]), yml_map_value(r, i));
    }
    cr_expect_null(yml_map_get(r, "absent"));
    const struct yml_node *seq = yml_map_get(r, "alpha");
    cr_assert_eq(yml_kind(seq), YML_SEQ);
    cr_assert_eq(yml_seq_len(seq), 2);
    cr_expect_eq(yml_line(seq), 4);
    cr_expect_eq(yml_col(seq), 3);
    const struct yml_node *m = yml_seq_item(seq, 1);
    cr_expect_eq(yml_kind(m), YML_MAP);
    cr_expect_eq(yml_col(m), 5);
    cr_expect_eq(yml_col(yml_map_value(m, 0)), 9);
    cr_expect(!yml_scalar_plain(yml_map_value(m, 0)));
    cr_expect_eq(yml_seq_len(yml_map_get(m, "j")), 0);
    cr_expect_eq(yml_col(yml_map_get(m, "j")), 17);
    cr_expect_str_eq(yml_scalar_text(yml_map_get(r, "blk")), "line\n");
    const struct yml_node *empty = yml_map_get(r, "empty");
    cr_expect_eq(yml_kind(empty), YML_SCALAR);
    cr_expect(yml_scalar_plain(empty));
    cr_expect_eq(yml_scalar_len(empty), 0);
    cr_expect_eq(yml_line(empty), 9);
    cr_expect_eq(yml_col(empty), 7);
    /* kind-agnostic accessors answer "nothing" for the wrong kind */
    cr_expect_null(yml_scalar_text(r));
    cr_expect_eq(yml_seq_len(r), 0);
    cr_expect_eq(yml_map_len(seq), 0);
    cr_expect_null(yml_map_get(seq, "x"));
    cr_expect_str_eq(yml_doc_name(doc), "t.yml");
    yml_free(doc);
    yml_free(NULL);
}

Test(yml, scalar_keeps_nul_bytes_when_escaped)
{
    struct yml_doc *doc = load_ok("v: \"a\\0b\"\n");
    const struct yml_node *v = yml_map_get(yml_root(doc), "v");
    cr_expect_eq(yml_scalar_len(v), 3);
    cr_expect_eq(memcmp(yml_scalar_text(v), "a\0b", 4), 0);
    yml_free(doc);
}

/* ---- getters ----------------------------------------------------------- */

enum getter { G_U64, G_I64, G_BOOL, G_STR, G_ENUM, G_SIZE, G_TIME, G_SEQ, G_MAP };

struct get_case {
    enum getter g;
    const char *yaml; /* a document; the node under test is the value of key "v" */
    uint64_t min, max;
    uint64_t want;    /* value when ok: i64 as two's complement, bool 0/1, enum index */
    const char *err;  /* NULL: ok */
};

#define MAXU UINT64_MAX
#define IMIN ((uint64_t)INT64_MIN)
#define IMAX ((uint64_t)INT64_MAX)
#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)
#define TIB (GIB * 1024)

static const struct get_case get_cases[] = {
    /* integers */
    {G_U64, "v: 0", 0, MAXU, 0, NULL},
    {G_U64, "v: 42", 0, 100, 42, NULL},
    {G_U64, "v: +42", 0, 100, 42, NULL},
    {G_U64, "v: -0", 0, 100, 0, NULL},
    {G_U64, "v: 1_000_000", 0, MAXU, 1000000, NULL},
    {G_U64, "v: 0x1F", 0, MAXU, 31, NULL},
    {G_U64, "v: 0XdeAD_bEEf", 0, MAXU, 0xdeadbeef, NULL},
    {G_U64, "v: 0b1010_0101", 0, MAXU, 0xa5, NULL},
    {G_U64, "v: 18446744073709551615", 0, MAXU, MAXU, NULL},
    {G_U64, "v: 0xFFFFFFFFFFFFFFFF", 0, MAXU, MAXU, NULL},
    {G_U64, "v: 18446744073709551616", 0, MAXU, 0,
     "t.yml:1:4: expected an integer that fits in 64 bits, got '18446744073709551616'"},
    {G_U64, "v: 0x1_0000_0000_0000_0000", 0, MAXU, 0,
     "t.yml:1:4: expected an integer that fits in 64 bits, got '0x1_0000_0000_0000_0000'"},
    {G_U64, "v: 101", 0, 100, 0, "t.yml:1:4: expected an integer between 0 and 100, got '101'"},
    {G_U64, "v: 4", 5, MAXU, 0, "t.yml:1:4: expected an integer of at least 5, got '4'"},
    {G_U64, "v: -1", 0, MAXU, 0, "t.yml:1:4: expected an integer of at least 0, got '-1'"},
    {G_U64, "v: \"12\"", 0, MAXU, 0, "t.yml:1:4: expected an integer, got a quoted string '12'"},
    {G_U64, "v: '12'", 0, MAXU, 0, "t.yml:1:4: expected an integer, got a quoted string '12'"},
    {G_U64, "v: |\n  12\n", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got a block scalar '12\\n'"},
    {G_U64, "v:", 0, MAXU, 0, "t.yml:1:3: expected an integer, got an empty value"},
    {G_U64, "v: [1]", 0, MAXU, 0, "t.yml:1:4: expected an integer, got a sequence"},
    {G_U64, "v: {a: 1}", 0, MAXU, 0, "t.yml:1:4: expected an integer, got a mapping"},
    {G_U64, "v: 12abc", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '12abc'"},
    {G_U64, "v: 1.5", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '1.5'"},
    {G_U64, "v: 1e3", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '1e3'"},
    {G_U64, "v: 010", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got '010' (leading zeros are not allowed)"},
    {G_U64, "v: 1__0", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got '1__0' ('_' may only stand between two digits)"},
    {G_U64, "v: 10_", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got '10_' ('_' may only stand between two digits)"},
    {G_U64, "v: _10", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got '_10' ('_' may only stand between two digits)"},
    {G_U64, "v: 0x", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '0x'"},
    {G_U64, "v: 0b102", 0, MAXU, 0,
     "t.yml:1:4: expected an integer, got '0b102' (a unit may only follow a decimal number)"},
    {G_U64, "v: --1", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '--1'"},
    {G_U64, "v: 0o17", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '0o17'"},
    {G_U64, "v: 1 2", 0, MAXU, 0, "t.yml:1:4: expected an integer, got '1 2'"},
    {G_I64, "v: -42", IMIN, IMAX, (uint64_t)-42, NULL},
    {G_I64, "v: 9223372036854775807", IMIN, IMAX, IMAX, NULL},
    {G_I64, "v: -9223372036854775808", IMIN, IMAX, IMIN, NULL},
    {G_I64, "v: -0x8000_0000_0000_0000", IMIN, IMAX, IMIN, NULL},
    {G_I64, "v: 9223372036854775808", IMIN, IMAX, 0,
     "t.yml:1:4: expected an integer that fits in 64 bits, got '9223372036854775808'"},
    {G_I64, "v: -9223372036854775809", IMIN, IMAX, 0,
     "t.yml:1:4: expected an integer that fits in 64 bits, got '-9223372036854775809'"},
    {G_I64, "v: -6", (uint64_t)-5, 5, 0,
     "t.yml:1:4: expected an integer between -5 and 5, got '-6'"},
    {G_I64, "v: -6", (uint64_t)-5, IMAX, 0,
     "t.yml:1:4: expected an integer of at least -5, got '-6'"},
    {G_I64, "v: 6", IMIN, 5, 0, "t.yml:1:4: expected an integer of at most 5, got '6'"},
    {G_I64, "v: '-1'", IMIN, IMAX, 0,
     "t.yml:1:4: expected an integer, got a quoted string '-1'"},
    /* booleans */
    {G_BOOL, "v: true", 0, 0, 1, NULL},
    {G_BOOL, "v: false", 0, 0, 0, NULL},
    {G_BOOL, "v: yes", 0, 0, 0, "t.yml:1:4: expected true or false, got 'yes'"},
    {G_BOOL, "v: True", 0, 0, 0, "t.yml:1:4: expected true or false, got 'True'"},
    {G_BOOL, "v: 1", 0, 0, 0, "t.yml:1:4: expected true or false, got '1'"},
    {G_BOOL, "v: 'true'", 0, 0, 0,
     "t.yml:1:4: expected true or false, got a quoted string 'true'"},
    {G_BOOL, "v:", 0, 0, 0, "t.yml:1:3: expected true or false, got an empty value"},
    /* strings */
    {G_STR, "v: plain text", 0, 0, 0, NULL},
    {G_STR, "v: 'it''s'", 0, 0, 0, NULL},
    {G_STR, "v:", 0, 0, 0, NULL},
    {G_STR, "v: [a]", 0, 0, 0, "t.yml:1:4: expected a string, got a sequence"},
    {G_STR, "v: \"a\\0b\"", 0, 0, 0,
     "t.yml:1:4: expected a string without NUL bytes, got 'a\\x00b'"},
    /* enums (names: fifo, random, pct:D) */
    {G_ENUM, "v: fifo", 0, 0, 0, NULL},
    {G_ENUM, "v: \"pct:D\"", 0, 0, 2, NULL},
    {G_ENUM, "v: x", 0, 0, 0, "t.yml:1:4: expected one of: fifo, random, pct:D; got 'x'"},
    {G_ENUM, "v: FIFO", 0, 0, 0, "t.yml:1:4: expected one of: fifo, random, pct:D; got 'FIFO'"},
    {G_ENUM, "v:", 0, 0, 0,
     "t.yml:1:3: expected one of: fifo, random, pct:D; got an empty value"},
    {G_ENUM, "v: {}", 0, 0, 0, "t.yml:1:4: expected one of: fifo, random, pct:D; got a mapping"},
    /* sizes */
    {G_SIZE, "v: 4096", 0, MAXU, 4096, NULL},
    {G_SIZE, "v: 0x1000", 0, MAXU, 4096, NULL},
    {G_SIZE, "v: 512B", 0, MAXU, 512, NULL},
    {G_SIZE, "v: 1KiB", 0, MAXU, KIB, NULL},
    {G_SIZE, "v: 2kB", 0, MAXU, 2000, NULL},
    {G_SIZE, "v: 64MiB", 0, MAXU, 64 * MIB, NULL},
    {G_SIZE, "v: 4 GiB", 0, MAXU, 4 * GIB, NULL},
    {G_SIZE, "v: 3 TiB", 0, MAXU, 3 * TIB, NULL},
    {G_SIZE, "v: 1.5MiB", 0, MAXU, 3 * MIB / 2, NULL},
    {G_SIZE, "v: 0.5KiB", 0, MAXU, 512, NULL},
    {G_SIZE, "v: 1.25 MB", 0, MAXU, 1250000, NULL},
    {G_SIZE, "v: 7GB", 0, MAXU, 7000000000ull, NULL},
    {G_SIZE, "v: 2TB", 0, MAXU, 2000000000000ull, NULL},
    {G_SIZE, "v: 1_024 KiB", 0, MAXU, MIB, NULL},
    {G_SIZE, "v: 1.000000000000000000000KiB", 0, MAXU, KIB, NULL},
    {G_SIZE, "v: 0.0009765625KiB", 0, MAXU, 1, NULL},
    {G_SIZE, "v: 16777215.9999990463256836TiB", 0, MAXU, 0,
     "t.yml:1:4: expected a whole number of bytes, got '16777215.9999990463256836TiB'"},
    {G_SIZE, "v: 1.0000000000000000001KiB", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '1.0000000000000000001KiB' (more than 18 decimal places)"},
    {G_SIZE, "v: 0B", 0, MAXU, 0, NULL},
    {G_SIZE, "v: 0x10B", 0, MAXU, 0x10b, NULL},
    {G_SIZE, "v: 0b1B", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '0b1B' (a unit may only follow a decimal number)"},
    {G_SIZE, "v: 0x10 KiB", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '0x10 KiB' (a unit may only follow a decimal number)"},
    {G_SIZE, "v: 0x", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '0x' (unknown unit 'x'; use B, kB, KiB, MB, MiB, GB, GiB, "
     "TB or TiB)"},
    {G_SIZE, "v: 16777215.999996185302734375TiB", 0, MAXU, 0xFFFFFFFFFFC00000ull, NULL},
    {G_SIZE, "v: 16777216TiB", 0, MAXU, 0,
     "t.yml:1:4: expected a size that fits in 64 bits, got '16777216TiB'"},
    {G_SIZE, "v: 1.1KiB", 0, MAXU, 0,
     "t.yml:1:4: expected a whole number of bytes, got '1.1KiB'"},
    {G_SIZE, "v: 1.5", 0, MAXU, 0, "t.yml:1:4: expected a whole number of bytes, got '1.5'"},
    {G_SIZE, "v: 1.0", 0, MAXU, 1, NULL},
    {G_SIZE, "v: 4 KB", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '4 KB' (unknown unit 'KB'; use B, kB, KiB, MB, MiB, GB, "
     "GiB, TB or TiB)"},
    {G_SIZE, "v: 4k", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '4k' (unknown unit 'k'; use B, kB, KiB, MB, MiB, GB, GiB, "
     "TB or TiB)"},
    {G_SIZE, "v: KiB", 0, MAXU, 0, "t.yml:1:4: expected a size, got 'KiB'"},
    {G_SIZE, "v: .5KiB", 0, MAXU, 0, "t.yml:1:4: expected a size, got '.5KiB'"},
    {G_SIZE, "v: 5.KiB", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '5.KiB' (a digit must follow '.')"},
    {G_SIZE, "v: 0x1.8KiB", 0, MAXU, 0,
     "t.yml:1:4: expected a size, got '0x1.8KiB' (a unit may only follow a decimal number)"},
    {G_SIZE, "v: -1KiB", 0, MAXU, 0, "t.yml:1:4: expected a size of at least 0B, got '-1KiB'"},
    {G_SIZE, "v: -0B", 0, MAXU, 0, NULL},
    {G_SIZE, "v: 2GiB", 4 * KIB, GIB, 0,
     "t.yml:1:4: expected a size between 4KiB and 1GiB, got '2GiB'"},
    {G_SIZE, "v: 1000", 1000000, MAXU, 0,
     "t.yml:1:4: expected a size of at least 1MB, got '1000'"},
    {G_SIZE, "v: 1025KiB", 0, 1000 * KIB, 0,
     "t.yml:1:4: expected a size between 0B and 1000KiB, got '1025KiB'"},
    {G_SIZE, "v: '64MiB'", 0, MAXU, 0, "t.yml:1:4: expected a size, got a quoted string '64MiB'"},
    /* durations */
    {G_TIME, "v: 3ps", 0, MAXU, 3, NULL},
    {G_TIME, "v: 250ns", 0, MAXU, 250000, NULL},
    {G_TIME, "v: 10us", 0, MAXU, 10000000, NULL},
    {G_TIME, "v: 10\xc2\xb5s", 0, MAXU, 10000000, NULL},
    {G_TIME, "v: 10 \xce\xbcs", 0, MAXU, 10000000, NULL},
    {G_TIME, "v: 1.5 ms", 0, MAXU, 1500000000, NULL},
    {G_TIME, "v: 2s", 0, MAXU, 2000000000000ull, NULL},
    {G_TIME, "v: 0.000000000001s", 0, MAXU, 1, NULL},
    {G_TIME, "v: 0", 0, MAXU, 0, NULL},
    {G_TIME, "v: 0.0", 0, MAXU, 0, NULL},
    {G_TIME, "v: 18446744.073709551615s", 0, MAXU, MAXU, NULL},
    {G_TIME, "v: 18446744.073709551616s", 0, MAXU, 0,
     "t.yml:1:4: expected a duration that fits in 64 bits, got '18446744.073709551616s'"},
    {G_TIME, "v: 1.5ps", 0, MAXU, 0,
     "t.yml:1:4: expected a whole number of picoseconds, got '1.5ps'"},
    {G_TIME, "v: 0.0000000000005s", 0, MAXU, 0,
     "t.yml:1:4: expected a whole number of picoseconds, got '0.0000000000005s'"},
    {G_TIME, "v: 10", 0, MAXU, 0,
     "t.yml:1:4: expected a duration, got '10' (a unit is required: ps, ns, us, ms or s)"},
    {G_TIME, "v: 10 sec", 0, MAXU, 0,
     "t.yml:1:4: expected a duration, got '10 sec' (unknown unit 'sec'; use ps, ns, us, ms or "
     "s)"},
    {G_TIME, "v: 20s", SIM_NS, SIM_S, 0,
     "t.yml:1:4: expected a duration between 1ns and 1s, got '20s'"},
    {G_TIME, "v: 500ps", SIM_NS, MAXU, 0,
     "t.yml:1:4: expected a duration of at least 1ns, got '500ps'"},
    {G_TIME, "v: 1500us", 0, 1001 * SIM_US, 0,
     "t.yml:1:4: expected a duration between 0ps and 1001us, got '1500us'"},
    {G_TIME, "v: -1ms", 0, MAXU, 0, "t.yml:1:4: expected a duration of at least 0ps, got '-1ms'"},
    {G_TIME, "v: \"10us\"", 0, MAXU, 0,
     "t.yml:1:4: expected a duration, got a quoted string '10us'"},
    {G_TIME, "v: [10us]", 0, MAXU, 0, "t.yml:1:4: expected a duration, got a sequence"},
    /* kinds */
    {G_SEQ, "v: []", 0, 0, 0, NULL},
    {G_SEQ, "v: {}", 0, 0, 0, "t.yml:1:4: expected a sequence, got a mapping"},
    {G_MAP, "v:\n  a: 1\n", 0, 0, 0, NULL},
    {G_MAP, "v:\n  - 1\n", 0, 0, 0, "t.yml:2:3: expected a mapping, got a sequence"},
    {G_MAP, "v: 'x'", 0, 0, 0, "t.yml:1:4: expected a mapping, got a quoted string 'x'"},
    {G_MAP, "v: x", 0, 0, 0, "t.yml:1:4: expected a mapping, got 'x'"},
};

/* Runs getter c->g on node; returns the status and the value as u64. The
 * out-parameter starts at a sentinel that must survive any error. */
static enum iosim_err run_getter(const struct yml_doc *doc, const struct yml_node *node,
                                 const struct get_case *c, uint64_t *got, struct yml_error *err)
{
    static const char *const names[] = {"fifo", "random", "pct:D"};
    const uint64_t sentinel = 0x5a5a5a5a5a5a5a5aull;
    uint64_t u = sentinel;
    int64_t s = (int64_t)sentinel;
    bool b = true;
    size_t idx = (size_t)sentinel;
    const char *str = (const char *)&sentinel;
    const struct yml_node *n = (const struct yml_node *)&sentinel;
    enum iosim_err e = IOSIM_EINVAL;
    switch (c->g) {
    case G_U64: e = yml_get_u64(doc, node, c->min, c->max, &u, err); break;
    case G_I64: e = yml_get_i64(doc, node, (int64_t)c->min, (int64_t)c->max, &s, err); u = (uint64_t)s; break;
    case G_BOOL: e = yml_get_bool(doc, node, &b, err); u = b; break;
    case G_STR: e = yml_get_str(doc, node, &str, err); u = str == yml_scalar_text(node) ? 0 : sentinel; break;
    case G_ENUM: e = yml_get_enum(doc, node, names, 3, &idx, err); u = idx; break;
    case G_SIZE: e = yml_get_size(doc, node, c->min, c->max, &u, err); break;
    case G_TIME: e = yml_get_time_ps(doc, node, c->min, c->max, &u, err); break;
    case G_SEQ: e = yml_get_seq(doc, node, &n, err); u = n == node ? 0 : sentinel; break;
    case G_MAP: e = yml_get_map(doc, node, &n, err); u = n == node ? 0 : sentinel; break;
    }
    if (e != IOSIM_OK) {
        bool untouched = c->g == G_BOOL ? b : c->g == G_STR ? str == (const char *)&sentinel
                         : c->g == G_SEQ || c->g == G_MAP ? n == (const void *)&sentinel
                         : c->g == G_ENUM ? idx == (size_t)sentinel : u == sentinel;
        cr_expect(untouched, "out-parameter changed on error");
    }
    *got = u;
    return e;
}

Test(yml, getters_give_value_or_exact_message_when_read)
{
    for (size_t i = 0; i < sizeof get_cases / sizeof get_cases[0]; i++) {
        const struct get_case *c = &get_cases[i];
        struct yml_doc *doc = load_ok(c->yaml);
        const struct yml_node *v = yml_map_get(yml_root(doc), "v");
        cr_assert_not_null(v, "case %zu", i);
        struct yml_error err = {{0}};
        uint64_t got;
        enum iosim_err e = run_getter(doc, v, c, &got, &err);
        if (c->err == NULL) {
            cr_expect_eq(e, IOSIM_OK, "case %zu [%s]: %s", i, c->yaml, err.msg);
            cr_expect_eq(got, c->want, "case %zu [%s]: got %llu", i, c->yaml,
                         (unsigned long long)got);
        } else {
            cr_expect_eq(e, IOSIM_EPARSE, "case %zu [%s]", i, c->yaml);
            cr_expect_str_eq(err.msg, c->err, "case %zu: got [%s]", i, err.msg);
        }
        yml_free(doc);
    }
}

Test(yml, check_keys_and_require_name_the_problem_when_keys_are_wrong)
{
    static const char *const allowed[] = {"cpus", "memory", "iommu", NULL};
    static const char *const none[] = {NULL};
    struct yml_doc *doc = load_ok("machine:\n  cpus: 4\n  memroy: 1GiB\nlist: [1]\nempty: {}\n");
    const struct yml_node *r = yml_root(doc), *m = yml_map_get(r, "machine"), *n = NULL;
    struct yml_error err;
    cr_expect_eq(yml_check_keys(doc, m, allowed, "machine", &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:3:3: unknown key 'memroy' in machine (expected one of: "
                              "cpus, memory, iommu)");
    cr_expect_eq(yml_check_keys(doc, m, none, "machine", &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:2:3: unknown key 'cpus' in machine (it takes no keys)");
    cr_expect_eq(yml_check_keys(doc, yml_map_get(r, "empty"), none, "x", &err), IOSIM_OK);
    cr_expect_eq(yml_check_keys(doc, yml_map_get(r, "list"), allowed, "x", &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:4:7: expected a mapping, got a sequence");

    cr_expect_eq(yml_require(doc, m, "cpus", "machine", &n, &err), IOSIM_OK);
    cr_expect_eq(n, yml_map_get(m, "cpus"));
    n = NULL;
    cr_expect_eq(yml_require(doc, m, "memory", "machine", &n, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:2:3: missing key 'memory' in machine");
    cr_expect_null(n);
    cr_expect_eq(yml_require(doc, yml_map_get(r, "empty"), "k", "the empty map", &n, &err),
                 IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:5:8: missing key 'k' in the empty map");
    cr_expect_eq(yml_require(doc, yml_map_get(r, "list"), "k", "x", &n, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:4:7: expected a mapping, got a sequence");
    yml_free(doc);
}

Test(yml, messages_quote_and_truncate_when_data_is_hostile)
{
    char q[YML_QUOTE_BYTES];
    cr_expect_str_eq(yml_quote(q, sizeof q, "a'b\\c\n\t\x01\x7f", 9), "'a\\'b\\\\c\\n\\t\\x01\\x7f'");
    cr_expect_str_eq(yml_quote(q, sizeof q, "\xc2\xb5s \xff\xc3", 6), "'\xc2\xb5s \\xff\\xc3'");
    cr_expect_str_eq(yml_quote(q, sizeof q, "\xc2\x85|\xe2\x80\xae|\xed\xa0\x80", 10),
                     "'\\xc2\\x85|\\xe2\\x80\\xae|\\xed\\xa0\\x80'");
    cr_expect_str_eq(yml_quote(q, sizeof q, "", 0), "''");
    char long_text[300];
    memset(long_text, 'x', sizeof long_text);
    yml_quote(q, sizeof q, long_text, sizeof long_text);
    cr_expect_eq(strlen(q), 1 + 64 + 1 + 3);
    cr_expect_str_eq(q + 66, "...");
    /* never a half escape or a split UTF-8 character at the cut */
    memset(long_text, '\x01', sizeof long_text);
    yml_quote(q, sizeof q, long_text, sizeof long_text);
    cr_expect_str_eq(q + 1 + 64, "'...");
    char tiny[8];
    cr_expect_str_eq(yml_quote(tiny, sizeof tiny, "abcdef", 6), "'ab'...");
    cr_expect_str_eq(yml_quote(tiny, 4, "abcdef", 6), "");

    /* a long unknown key and a long name list end the message in "..." */
    struct yml_doc *doc = load_ok("? aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n: 1\n");
    const char *many[80];
    for (size_t i = 0; i < 79; i++)
        many[i] = "a_rather_long_key_name";
    many[79] = NULL;
    struct yml_error err;
    cr_expect_eq(yml_check_keys(doc, yml_root(doc), many, "a thing", &err), IOSIM_EPARSE);
    cr_expect_eq(strlen(err.msg), sizeof err.msg - 1);
    cr_expect_str_eq(err.msg + sizeof err.msg - 4, "...");
    cr_expect_eq(strncmp(err.msg, "t.yml:1:3: unknown key 'aaaaaaaa", 32), 0);
    cr_expect_eq(yml_error_at(doc, yml_root(doc), &err, "port %d does not exist", 7),
                 IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:1:1: port 7 does not exist");
    yml_free(doc);
}

/* ---- limits ------------------------------------------------------------- */

static enum iosim_err load_buf(const char *text, size_t len, struct yml_error *err)
{
    struct yml_doc *doc = NULL;
    enum iosim_err e = yml_load_string("t.yml", text, len, &doc, err);
    yml_free(doc);
    return e;
}

Test(yml, load_refuses_when_nesting_exceeds_the_limit)
{
    char text[2 * (YML_DEPTH_MAX + 1) + 1];
    struct yml_error err;
    for (int depth = YML_DEPTH_MAX; depth <= YML_DEPTH_MAX + 1; depth++) {
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        enum iosim_err e = load_buf(text, 2 * (size_t)depth, &err);
        if (depth <= YML_DEPTH_MAX)
            cr_expect_eq(e, IOSIM_OK, "%s", err.msg);
        else
            cr_expect_str_eq(err.msg, "t.yml:1:65: nesting deeper than 64 levels");
    }
    /* block style, one level per line: the error points at the 65th */
    char block[8192] = "";
    size_t o = 0;
    for (int d = 0; d < YML_DEPTH_MAX + 1; d++)
        o += (size_t)snprintf(block + o, sizeof block - o, "%*sk:\n", 2 * d, "");
    o += (size_t)snprintf(block + o, sizeof block - o, "%*sv\n", 2 * (YML_DEPTH_MAX + 1), "");
    cr_expect_eq(load_buf(block, o, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:65:129: nesting deeper than 64 levels");
}

/* "[0,0,...,0]" with n scalars: n + 1 nodes. */
static char *flow_zeros(size_t n, size_t *len)
{
    char *t = malloc(2 * n + 2);
    cr_assert_not_null(t);
    t[0] = '[';
    for (size_t i = 0; i < n; i++) {
        t[1 + 2 * i] = '0';
        t[2 + 2 * i] = ',';
    }
    t[2 * n] = ']';
    *len = 2 * n + 1;
    return t;
}

Test(yml, load_refuses_when_nodes_exceed_the_limit)
{
    struct yml_error err;
    size_t len;
    char *t = flow_zeros(YML_NODES_MAX - 1, &len);
    cr_expect_eq(load_buf(t, len, &err), IOSIM_OK, "%s", err.msg);
    free(t);
    t = flow_zeros(YML_NODES_MAX, &len);
    cr_expect_eq(load_buf(t, len, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg, "t.yml:1:2000000: more than 1000000 nodes (the limit for one file)");
    free(t);
}

Test(yml, load_handles_large_maps_and_refuses_when_input_exceeds_16MiB)
{
    /* 100000 distinct keys (sorted duplicate check), then one repeat */
    size_t cap = 100000 * 16 + 64, o = 0;
    char *t = malloc(YML_FILE_BYTES_MAX + 1);
    cr_assert_not_null(t);
    for (int i = 0; i < 100000; i++)
        o += (size_t)snprintf(t + o, cap - o, "k%d: %d\n", (i * 7919) % 100000, i);
    struct yml_error err;
    cr_expect_eq(load_buf(t, o, &err), IOSIM_OK, "%s", err.msg);
    o += (size_t)snprintf(t + o, cap - o, "k%d: dup\n", 4242);
    cr_expect_eq(load_buf(t, o, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg,
                     "t.yml:100001:1: duplicate key 'k4242' (first defined at line 94319, column 1)");

    /* exactly the limit loads; one byte more is refused before parsing */
    memset(t, '#', YML_FILE_BYTES_MAX + 1);
    memcpy(t, "a: 1\n", 5);
    cr_expect_eq(load_buf(t, YML_FILE_BYTES_MAX, &err), IOSIM_OK, "%s", err.msg);
    cr_expect_eq(load_buf(t, YML_FILE_BYTES_MAX + 1, &err), IOSIM_EPARSE);
    cr_expect_str_eq(err.msg,
                     "t.yml:1:1: file is larger than 16 MiB (16777217 bytes); refusing to parse it");
    free(t);
}

/* ---- files -------------------------------------------------------------- */

Test(yml, load_file_reads_or_explains_when_file_is_missing_or_odd)
{
    char dir[] = "/tmp/test_yml_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], missing[128], big[128];
    snprintf(path, sizeof path, "%s/s.yml", dir);
    snprintf(missing, sizeof missing, "%s/none.yml", dir);
    snprintf(big, sizeof big, "%s/big.yml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("machine:\n  cpus: 0x10\n", f);
    fclose(f);

    struct yml_doc *doc = NULL;
    struct yml_error err;
    cr_assert_eq(yml_load_file(path, &doc, &err), IOSIM_OK, "%s", err.msg);
    uint64_t cpus = 0;
    const struct yml_node *m = yml_map_get(yml_root(doc), "machine");
    cr_expect_eq(yml_get_u64(doc, yml_map_get(m, "cpus"), 1, 8, &cpus, &err), IOSIM_EPARSE);
    char want[256];
    snprintf(want, sizeof want, "%s:2:9: expected an integer between 1 and 8, got '0x10'", path);
    cr_expect_str_eq(err.msg, want);
    yml_free(doc);

    cr_expect_eq(yml_load_file(missing, &doc, &err), IOSIM_EPARSE);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", missing);
    cr_expect_str_eq(err.msg, want);
    cr_expect_eq(yml_load_file(dir, &doc, &err), IOSIM_EPARSE);
    snprintf(want, sizeof want, "cannot read '%s': Is a directory", dir);
    cr_expect_str_eq(err.msg, want);

    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, (off_t)YML_FILE_BYTES_MAX + 1), 0); /* sparse: cheap */
    close(fd);
    cr_expect_eq(yml_load_file(big, &doc, &err), IOSIM_EPARSE);
    snprintf(want, sizeof want, "%s:1:1: file is larger than 16 MiB; refusing to parse it", big);
    cr_expect_str_eq(err.msg, want);

    unlink(big);
    unlink(path);
    rmdir(dir);
}
