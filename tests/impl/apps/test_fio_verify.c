/* impl/apps/fio_verify: what a read back may find, clause by clause, and
 * fio's argument check (app_fio_check) as the scenario loader calls it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/apps/fio_verify.h"

#define BS 4096u
#define OFF (1u << 20)

static uint32_t words[2 * 16];

static struct fio_verify fresh(bool prefilled)
{
    memset(words, 0, sizeof words);
    struct fio_verify v;
    fio_verify_init(&v, OFF, 16 * BS, BS, prefilled, words);
    return v;
}

Test(fio_verify, takes_what_was_there_when_the_job_never_wrote_the_block)
{
    struct fio_verify v = fresh(false);
    uint32_t lo = fio_verify_read_start(&v, OFF + 3 * BS);
    cr_assert_eq(lo, 0);
    cr_assert(fio_verify_read_ok(&v, OFF + 3 * BS, lo, 0), "zeros");
    cr_assert(fio_verify_read_ok(&v, OFF + 3 * BS, lo, 9), "an earlier job's block");
    v = fresh(true);
    cr_assert_not(fio_verify_read_ok(&v, OFF + 3 * BS, 0, 0), "prefilled: zeros are lost data");
    cr_assert(fio_verify_read_ok(&v, OFF + 3 * BS, 0, 9));
}

Test(fio_verify, wants_the_newest_acknowledged_generation_when_nothing_is_in_flight)
{
    struct fio_verify v = fresh(false);
    uint64_t off = OFF + 5 * BS;
    for (uint32_t want = 1; want <= 3; want++) {
        uint32_t gen = fio_verify_write_start(&v, off);
        cr_assert_eq(gen, want);
        fio_verify_write_done(&v, off, gen, true);
    }
    uint32_t lo = fio_verify_read_start(&v, off);
    cr_assert_eq(lo, 3);
    cr_assert(fio_verify_read_ok(&v, off, lo, 3));
    cr_assert_not(fio_verify_read_ok(&v, off, lo, 2), "an older generation: a lost write");
    cr_assert_not(fio_verify_read_ok(&v, off, lo, 4), "one never written");
    cr_assert_not(fio_verify_read_ok(&v, off, lo, 0), "zeros after an acknowledged write");
}

Test(fio_verify, takes_the_previous_or_the_new_generation_when_a_write_is_in_flight)
{
    struct fio_verify v = fresh(false);
    uint64_t off = OFF;
    fio_verify_write_done(&v, off, fio_verify_write_start(&v, off), true); /* gen 1 */
    uint32_t lo = fio_verify_read_start(&v, off);
    uint32_t gen = fio_verify_write_start(&v, off); /* gen 2, in flight during the read */
    cr_assert(fio_verify_read_ok(&v, off, lo, 1));
    cr_assert(fio_verify_read_ok(&v, off, lo, 2));
    fio_verify_write_done(&v, off, gen, true);
    cr_assert(fio_verify_read_ok(&v, off, lo, 1), "submitted before the write was acked");
    cr_assert_not(fio_verify_read_ok(&v, off, fio_verify_read_start(&v, off), 1),
                  "submitted after: only the new one");
}

Test(fio_verify, admits_both_when_a_write_failed)
{
    struct fio_verify v = fresh(false);
    uint64_t off = OFF + 15 * BS;
    fio_verify_write_done(&v, off, fio_verify_write_start(&v, off), true);
    fio_verify_write_done(&v, off, fio_verify_write_start(&v, off), false);
    uint32_t lo = fio_verify_read_start(&v, off);
    cr_assert_eq(lo, 1);
    cr_assert(fio_verify_read_ok(&v, off, lo, 1));
    cr_assert(fio_verify_read_ok(&v, off, lo, 2), "it may have landed");
}

/* ---- app_fio_check --------------------------------------------------------------------------- */

static bool check(const char *text, struct app_arg_problem *p, struct app_args_store *st)
{
    cr_assert_eq(app_args_parse(text, st), IOSIM_OK, "%s", text);
    return app_fio_check(&st->args, p);
}

Test(fio_check, takes_a_whole_job_when_every_key_parses)
{
    struct app_args_store st;
    struct app_arg_problem p;
    cr_assert(check("disk=disk1 name=j rw=randrw bs=4k size=1m iodepth=64 rwmixread=70 "
                    "fsync=8 number_ios=100 verify=1 randseed=3 window=0",
                    &p, &st));
    cr_assert(check("bs=4096 size=1048576 offset=0", &p, &st), "numbers as well as text");
}

Test(fio_check, names_the_key_and_why_when_a_value_is_wrong)
{
    static const struct { const char *text; uint32_t arg; const char *why; } bad[] = {
        {"rw=sideways", 0, "rw:"},
        {"name=x bs=3", 1, "bs:"},
        {"size=1m iodepth=0", 1, "iodepth:"},
        {"iodepth=65", 0, "iodepth: 1 to 64"},
        {"rwmixread=101", 0, "rwmixread:"},
        {"verify=2", 0, "verify:"},
        {"bs=-4096", 0, "bs:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct app_args_store st;
        struct app_arg_problem p;
        cr_assert_not(check(bad[i].text, &p, &st), "%s", bad[i].text);
        cr_assert_eq(p.arg, bad[i].arg, "%s: arg %u", bad[i].text, p.arg);
        cr_assert(strncmp(p.msg, bad[i].why, strlen(bad[i].why)) == 0, "%s: %s", bad[i].text,
                  p.msg);
    }
}

Test(fio_check, is_in_the_app_table_with_every_job_key)
{
    const struct app_def *fio = app_find("fio");
    cr_assert_not_null(fio);
    cr_assert_eq(fio->check, app_fio_check);
    struct app_args_store st;
    cr_assert_eq(app_args_parse("rw=read bs=4k size=4k offset=0 iodepth=1 rwmixread=1 fsync=0 "
                                "number_ios=1 verify=0 randseed=1 disk=d lun=0 name=n wait=0 "
                                "window=1 errors_ok=0",
                                &st),
                 IOSIM_OK);
    cr_assert_null(app_args_unknown_key(fio, &st.args));
    cr_assert_not_null(app_find("ramdisk"));
}
