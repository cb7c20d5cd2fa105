/* A USB capture in memory: the events and their kept bytes. */
#include "sim/capture/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/capture/linktype.h"

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
    /* a capture that kept no byte has no arena: NULL + 0 is undefined in C */
    static const uint8_t none[1];
    return c->data != NULL ? c->data + e->data_off : none;
}

bool cap_grow(void **p, size_t *cap, size_t n, size_t more, size_t size)
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
    if (!cap_grow((void **)&c->ev, &c->cap, c->n, 1, sizeof *c->ev) ||
        !cap_grow((void **)&c->data, &c->data_cap, c->data_len, e->data_len, 1))
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

void cap_begin(struct cap_capture *out, struct cap_error *err)
{
    ASSERT(out != NULL);
    cap_free(out);
    if (err != NULL)
        memset(err, 0, sizeof *err);
}

enum iosim_err cap_end(struct cap_capture *out, enum iosim_err r, const char *format)
{
    if (r != IOSIM_OK) {
        cap_free(out);
        return r;
    }
    snprintf(out->format, sizeof out->format, "%s", format);
    return IOSIM_OK;
}

enum cap_format cap_detect(const void *buf, size_t len)
{
    if (len < 4)
        return CAP_FORMAT_USBMON_TEXT;
    uint32_t m = cap_rd32(buf, false);
    if (m == CAP_PCAP_MAGIC_US || m == CAP_PCAP_MAGIC_NS || m == CAP_PCAP_MAGIC_US_SWAPPED ||
        m == CAP_PCAP_MAGIC_NS_SWAPPED)
        return CAP_FORMAT_PCAP;
    return m == CAP_PCAPNG_SHB ? CAP_FORMAT_PCAPNG : CAP_FORMAT_USBMON_TEXT;
}

enum iosim_err cap_parse(const void *buf, size_t len, struct cap_capture *out,
                         struct cap_error *err)
{
    switch (cap_detect(buf, len)) {
    case CAP_FORMAT_PCAP: return cap_parse_pcap(buf, len, out, err);
    case CAP_FORMAT_PCAPNG: return cap_parse_pcapng(buf, len, out, err);
    case CAP_FORMAT_USBMON_TEXT: break;
    }
    return cap_parse_usbmon_text(buf, len, out, err);
}
