/* A USB capture in memory: the events and their kept bytes. */
#include "sim/capture/capture.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

void cap_init(struct cap_capture *c)
{
    memset(c, 0, sizeof *c);
}

void cap_free(struct cap_capture *c)
{
    free(c->ev);
    free(c->data);
    cap_init(c);
}

const uint8_t *cap_data(const struct cap_capture *c, const struct cap_event *e)
{
    ASSERT(e->data_off + e->data_len <= c->data_len);
    return c->data + e->data_off;
}

/* Room for `more` elements of `size` in *p (capacity *cap, count n). */
static bool grow(void **p, size_t *cap, size_t n, size_t more, size_t size)
{
    if (n + more <= *cap)
        return true;
    size_t want = *cap != 0 ? *cap : 64;
    while (want < n + more) {
        if (want > SIZE_MAX / 2 / size)
            return false;
        want *= 2;
    }
    void *q = realloc(*p, want * size);
    if (q == NULL)
        return false;
    *p = q;
    *cap = want;
    return true;
}

enum iosim_err cap_push(struct cap_capture *c, const struct cap_event *e, const uint8_t *data)
{
    ASSERT(e->data_len == 0 || data != NULL);
    if (!grow((void **)&c->ev, &c->cap, c->n, 1, sizeof *c->ev) ||
        !grow((void **)&c->data, &c->data_cap, c->data_len, e->data_len, 1))
        return IOSIM_ENOMEM;
    struct cap_event *d = &c->ev[c->n++];
    *d = *e;
    d->data_off = c->data_len;
    if (e->data_len > 0)
        memcpy(c->data + c->data_len, data, e->data_len);
    c->data_len += e->data_len;
    ASSERT(c->n <= c->cap && c->data_len <= c->data_cap);
    return IOSIM_OK;
}
