/*
 * fuzz_one.h - the body every capture importer's libFuzzer target shares:
 * parse the input with one reader, and when it is accepted, pair its URBs
 * and decode Bulk-Only Transport the way `iosim import` does; then check
 * what the readers promise (capture.h): an error leaves the capture empty,
 * every event's data lies inside the capture's arena, every transfer's
 * data inside it too. A broken promise aborts, which libFuzzer reports as
 * a crash with the input that caused it.
 *
 *     int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
 *     { return fuzz_one(d, n, reader); }
 *
 * Built only by tests/libfuzzer/CMakeLists.txt (clang, -fsanitize=fuzzer,
 * address and undefined), never linked into iosim.
 */
#ifndef IOSIM_TESTS_LIBFUZZER_FUZZ_ONE_H
#define IOSIM_TESTS_LIBFUZZER_FUZZ_ONE_H

#include <stdint.h>
#include <stdlib.h>

#include "sim/capture/capture.h"
#include "sim/capture/xfers.h"

typedef enum iosim_err fuzz_reader(const uint8_t *buf, size_t len, struct cap_capture *out,
                                   struct cap_error *err);

static void fuzz_require(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_check_capture(const struct cap_capture *c)
{
    fuzz_require(c->n <= c->cap && c->data_len <= c->data_cap);
    for (size_t i = 0; i < c->n; i++) {
        const struct cap_event *e = &c->ev[i];
        fuzz_require(e->kind == 'S' || e->kind == 'C' || e->kind == 'E');
        fuzz_require(e->xfer <= CAP_XFER_BULK);
        fuzz_require(e->data_off <= c->data_len && e->data_len <= c->data_len - e->data_off);
    }
}

static void fuzz_check_decoded(const struct cap_capture *c, const struct cap_xfers *x,
                               const struct cap_scsi *s)
{
    fuzz_require(x->n <= x->cap && s->n <= s->cap);
    for (size_t i = 0; i < x->n; i++) {
        const uint8_t *d = cap_xfer_data(c, &x->t[i]);
        fuzz_require(x->t[i].data_len == 0 ||
                     (d >= c->data && d + x->t[i].data_len <= c->data + c->data_len));
        fuzz_require(x->t[i].end_ns >= x->t[i].submit_ns);
    }
    for (size_t i = 0; i < s->n; i++)
        fuzz_require(s->c[i].status != NULL && s->c[i].dir != NULL &&
                     s->c[i].end_ns >= s->c[i].start_ns);
}

static int fuzz_one(const uint8_t *data, size_t len, fuzz_reader *read)
{
    struct cap_capture c;
    struct cap_error err;
    cap_init(&c);
    enum iosim_err e = read(data, len, &c, &err);
    if (e != IOSIM_OK) {
        fuzz_require(c.n == 0 && c.data_len == 0); /* nothing half-parsed */
        cap_free(&c);
        return 0;
    }
    fuzz_check_capture(&c);
    struct cap_xfers x = {0};
    struct cap_scsi s = {0};
    if (cap_xfers_build(&c, &x) == IOSIM_OK && cap_scsi_build(&c, &x, &s) == IOSIM_OK)
        fuzz_check_decoded(&c, &x, &s);
    cap_scsi_free(&s);
    cap_xfers_free(&x);
    cap_free(&c);
    return 0;
}

#endif /* IOSIM_TESTS_LIBFUZZER_FUZZ_ONE_H */
