/* reports/compare: the --tolerance spec, one row per accepted and refused
 * form. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "reports/compare.h"

struct tol_case {
    const char *text;
    bool ok;
    enum cmp_tol_key key;
    double value;
    const char *why; /* refused: a piece of the message */
};

static const struct tol_case cases[] = {
    {"p50=10%", true, CMP_TOL_P50, 10, NULL},
    {"p50=10", true, CMP_TOL_P50, 10, NULL},
    {"p90=0%", true, CMP_TOL_P90, 0, NULL},
    {"p99=2.5%", true, CMP_TOL_P99, 2.5, NULL},
    {"p99=.5", true, CMP_TOL_P99, 0.5, NULL},
    {"ks=0.2", true, CMP_TOL_KS, 0.2, NULL},
    {"ks=1", true, CMP_TOL_KS, 1, NULL},
    {"ks=0", true, CMP_TOL_KS, 0, NULL},
    {"throughput=5%", true, CMP_TOL_THROUGHPUT, 5, NULL},
    {"missing=0", true, CMP_TOL_MISSING, 0, NULL},
    {"extra=12", true, CMP_TOL_EXTRA, 12, NULL},
    {"mismatch=3", true, CMP_TOL_MISMATCH, 3, NULL},
    {"samples=10", true, CMP_TOL_SAMPLES, 10, NULL},
    {"kinds=scsi", true, CMP_TOL_KINDS, 1, NULL},
    {"kinds=all", true, CMP_TOL_KINDS, 0, NULL},
    {"p50=abc", false, 0, 0, "p50 wants a percentage"},
    {"p50=", false, 0, 0, "p50 wants a percentage"},
    {"p50=%", false, 0, 0, "p50 wants a percentage"},
    {"p50=-5%", false, 0, 0, "p50 wants a percentage"},
    {"p50=1e3", false, 0, 0, "p50 wants a percentage"},
    {"p50=10%%", false, 0, 0, "p50 wants a percentage"},
    {"p50=1.2.3", false, 0, 0, "p50 wants a percentage"},
    {"p50=inf", false, 0, 0, "p50 wants a percentage"},
    {"p50= 10", false, 0, 0, "p50 wants a percentage"},
    {"ks=1.5", false, 0, 0, "ks wants a distance"},
    {"ks=10%", false, 0, 0, "ks wants a distance"},
    {"missing=1.5", false, 0, 0, "missing wants a count"},
    {"extra=5%", false, 0, 0, "extra wants a count"},
    {"mismatch=-1", false, 0, 0, "mismatch wants a count"},
    {"samples=2.5", false, 0, 0, "samples wants a count"},
    {"kinds=disk", false, 0, 0, "kinds wants all, scsi or usb"},
    {"p75=10%", false, 0, 0, "unknown key"},
    {"P50=10%", false, 0, 0, "unknown key"},
    {"=10%", false, 0, 0, "unknown key"},
    {"p50", false, 0, 0, "want KEY=VALUE"},
    {"", false, 0, 0, "want KEY=VALUE"},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* Parameters are indices: Criterion may run each case in a new image. */
ParameterizedTestParameters(compare_tolerance, parses_as_the_spec_row_says)
{
    static size_t idx[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES);
}

ParameterizedTest(size_t *i, compare_tolerance, parses_as_the_spec_row_says)
{
    const struct tol_case *c = &cases[*i];
    struct cmp_tolerance t = {0};
    char msg[160] = "";
    enum iosim_err e = cmp_tolerance_parse(c->text, &t, msg, sizeof msg);
    if (c->ok) {
        cr_assert_eq(e, IOSIM_OK, "'%s': %s", c->text, msg);
        cr_assert_eq(t.key, c->key, "'%s'", c->text);
        cr_assert(t.value == c->value, "'%s': %g", c->text, t.value);
    } else {
        cr_assert_eq(e, IOSIM_EPARSE, "'%s' was accepted", c->text);
        cr_assert(strstr(msg, c->why) != NULL, "'%s': message '%s' lacks '%s'", c->text, msg,
                  c->why);
    }
}

Test(compare_tolerance, gates_kinds_with_enough_samples_only)
{
    cr_assert_eq(cmp_tolerance_min_samples(CMP_TOL_P50), 1);
    cr_assert_eq(cmp_tolerance_min_samples(CMP_TOL_P90), 10);
    cr_assert_eq(cmp_tolerance_min_samples(CMP_TOL_P99), 100);
    cr_assert_eq(cmp_tolerance_min_samples(CMP_TOL_KS), 10);
}

/* samples=N raises the per-kind keys' floor: a kind of 3 requests off by
 * 50 % fails p50=10% alone, and is reported, not gated, with samples=10. */
Test(compare_tolerance, samples_raises_the_floor_of_the_kinds_gated)
{
    static int64_t few_a[3] = {100, 100, 100}, few_b[3] = {150, 150, 150};
    static int64_t many[20];
    for (int i = 0; i < 20; i++)
        many[i] = 1000 + i;
    struct cmp_kind kinds[2] = {
        {.name = "few", .level = CMP_USB, .a = few_a, .b = few_b, .na = 3, .nb = 3},
        {.name = "many", .level = CMP_SCSI, .a = many, .b = many, .na = 20, .nb = 20},
    };
    struct cmp_report r = {.kinds = kinds, .nkinds = 2};
    struct cmp_tolerance t[2] = {{.key = CMP_TOL_P50, .value = 10}, {.key = CMP_TOL_SAMPLES, .value = 10}};
    struct cmp_verdict *v = NULL;
    size_t nv = 0;
    unsigned bad = 0;
    cr_assert_eq(cmp_check(&r, t, 1, &v, &nv, &bad), IOSIM_OK);
    cr_expect_eq(bad, 1, "p50=10%% alone gates the kind of 3");
    free(v);
    cr_assert_eq(cmp_check(&r, t, 2, &v, &nv, &bad), IOSIM_OK);
    cr_expect_eq(bad, 0, "samples=10: the kind of 3 is not gated");
    cr_assert_eq(nv, 1, "samples gives no verdict of its own");
    cr_expect(strstr(v[0].text, "1 kinds with at least 10 samples") != NULL, "%s", v[0].text);
    free(v);
    struct cmp_tolerance only_scsi[2] = {{.key = CMP_TOL_P50, .value = 10}, {.key = CMP_TOL_KINDS, .value = 1}};
    cr_assert_eq(cmp_check(&r, only_scsi, 2, &v, &nv, &bad), IOSIM_OK);
    cr_expect_eq(bad, 0, "kinds=scsi: the USB kind is not gated");
    free(v);
}
