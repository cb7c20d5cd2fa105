/* Shared by the spec-table tests: a fact as the spec prints it, and the
 * checks of the relations between facts (masks that share no bit, values
 * that differ, fields that are one run of bits). */
#ifndef IOSIM_TEST_SPEC_UTIL_H
#define IOSIM_TEST_SPEC_UTIL_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fact {
    const char *what;   /* the macro, named as the spec names the thing */
    uint64_t value;
    uint64_t spec;      /* the spec's number */
};

#define FACT(macro, spec_value) {#macro, macro, spec_value}
#define FACTS(table) (table), sizeof(table) / sizeof((table)[0])

/* A named value (a mask, a code) in a list for the relation checks, and such a list in
 * place: spec_check_disjoint(ROWS(ROW(A), ROW(B))) */
#define ROW(m) {#m, m, 0}
#define ROWS(...)                                                                               \
    ((const struct fact[]){__VA_ARGS__}),                                                       \
        sizeof((const struct fact[]){__VA_ARGS__}) / sizeof(struct fact)

/* Bits as the specs print them: bit n, and the field hi:lo */
#define BIT(n) (1ull << (n))
#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~(BIT(lo) - 1))

static inline void spec_check_facts(const struct fact *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(t[i].value, t[i].spec, "%s is 0x%" PRIx64 ", the spec says 0x%" PRIx64,
                     t[i].what, t[i].value, t[i].spec);
}

/* No two of the masks share a bit; returns their union. */
static inline uint64_t spec_check_disjoint(const struct fact *t, size_t n)
{
    uint64_t all = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            cr_expect_eq(t[i].value & t[j].value, 0, "%s and %s share bits 0x%" PRIx64,
                         t[i].what, t[j].what, t[i].value & t[j].value);
        all |= t[i].value;
    }
    return all;
}

/* No two of the values are equal. */
static inline void spec_check_distinct(const struct fact *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            cr_expect_neq(t[i].value, t[j].value, "%s and %s are both %" PRIu64, t[i].what,
                          t[j].what, t[i].value);
}

/* Each value lies in [lo, hi]. */
static inline void spec_check_range(const struct fact *t, size_t n, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < n; i++)
        cr_expect(t[i].value >= lo && t[i].value <= hi,
                  "%s is %" PRIu64 ", outside %" PRIu64 "..%" PRIu64, t[i].what, t[i].value,
                  lo, hi);
}

/* A field is one run of set bits; its shift (if it has one) is its lowest bit. */
static inline void spec_check_field(const char *what, uint64_t mask, unsigned shift)
{
    cr_assert_neq(mask, 0, "%s is empty", what);
    uint64_t low = mask & -mask;
    cr_expect_eq(low, BIT(shift), "%s starts at bit %u, not at its shift", what, shift);
    uint64_t run = mask >> shift;
    cr_expect_eq(run & (run + 1), 0, "%s (0x%" PRIx64 ") has a gap", what, mask);
}

/* A field of a table of fields: its mask and its shift (0 for a field at bit 0). */
struct field {
    const char *what;
    uint64_t mask;
    unsigned shift;
};

#define FIELD(mask, shift) {#mask, mask, shift}
#define FIELD0(mask) {#mask, mask, 0}

static inline void spec_check_fields(const struct field *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        spec_check_field(t[i].what, t[i].mask, t[i].shift);
}

/* A value fits in a field of the given mask once shifted to its place. */
static inline bool spec_fits(uint64_t value, uint64_t mask, unsigned shift)
{
    return ((value << shift) & ~mask) == 0 && (value << shift) >> shift == value;
}

#endif /* IOSIM_TEST_SPEC_UTIL_H */
