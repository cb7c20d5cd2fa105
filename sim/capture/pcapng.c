/*
 * pcapng.c - pcapng (usb-stack.md 6.4): blocks of type, total length, body
 * (32-bit aligned), total length again. A Section Header Block (0x0A0D0D0A)
 * opens each section and its byte-order magic 0x1A2B3C4D sets the
 * section's byte order; Interface Description Blocks (1) number the
 * section's interfaces from 0 with their link type, snap length and time
 * options (if_tsresol 9, if_tsoffset 14); Enhanced Packet Blocks (6) and
 * Simple Packet Blocks (3, interface 0, no time: they take the previous
 * packet's) carry the packets, decoded by their interface's link type in
 * linktype.c. Every other block type is skipped whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/capture/linktype.h"

#define NG_SHB CAP_PCAPNG_SHB
#define NG_IDB 1u
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_BYTE_ORDER 0x1a2b3c4du
#define NG_IFACES_MAX 1024u     /* interfaces in one section */
#define NG_OPT_TSRESOL 9u
#define NG_OPT_TSOFFSET 14u

struct ng_iface {
    uint32_t linktype, snaplen;
    uint8_t tsresol;            /* the option's byte: MSB 0 10^-v s, MSB 1 2^-v s */
    uint64_t tsoffset_s;        /* seconds, two's complement */
};

struct ng_state {
    const uint8_t *buf;
    size_t len;
    bool big, in_section;
    struct ng_iface *ifaces;    /* NG_IFACES_MAX of them, owned */
    uint32_t nifaces;
    uint64_t last_t_ns;
    struct cap_error *err;
};

/* A count of units of 10^-v or 2^-v seconds to nanoseconds. */
static uint64_t ng_ns(uint64_t ts, uint8_t tsresol)
{
    unsigned v = tsresol & 0x7fu;
    if (!(tsresol & 0x80u)) {
        uint64_t p = 1;
        for (unsigned i = 0; i < (v <= 9 ? 9 - v : v - 9); i++)
            p *= 10;
        return v <= 9 ? ts * p : ts / p;
    }
    uint64_t q = v >= 64 ? 0 : ts >> v, r = v >= 64 ? ts : ts - (q << v);
    if (v > 30) { /* keep r * 10^9 inside 64 bits: drop r's low bits */
        r >>= v - 30;
        v = 30;
    }
    return q * 1000000000u + ((r * 1000000000u) >> v);
}

/* An IDB's options from byte `at` to `end`. */
static enum iosim_err ng_options(struct ng_state *s, size_t at, size_t end, struct ng_iface *i)
{
    for (unsigned k = 0; at < end; k++) {
        if (end - at < 4)
            return cap_fail_at(s->err, at, "pcapng option at byte %zu: truncated", at);
        uint16_t code = cap_rd16(s->buf + at, s->big), n = cap_rd16(s->buf + at + 2, s->big);
        size_t padded = ((size_t)n + 3u) & ~(size_t)3u;
        if (code == 0)
            return IOSIM_OK;
        if (padded > end - at - 4)
            return cap_fail_at(s->err, at + 2, "pcapng option at byte %zu: length %u runs past its block", at, n);
        const uint8_t *v = s->buf + at + 4;
        if (code == NG_OPT_TSRESOL) {
            if (n != 1 || (!(v[0] & 0x80u) && v[0] > 19) || ((v[0] & 0x80u) && (v[0] & 0x7fu) > 63))
                return cap_fail_at(s->err, at, "pcapng option at byte %zu: if_tsresol wants one byte, 10^-v up to 19 or 2^-v up to 63", at);
            i->tsresol = v[0];
        } else if (code == NG_OPT_TSOFFSET) {
            if (n != 8)
                return cap_fail_at(s->err, at + 2, "pcapng option at byte %zu: if_tsoffset wants 8 bytes, not %u", at, n);
            i->tsoffset_s = cap_rd64(v, s->big);
        }
        at += 4 + padded;
        ASSERT(k < end);
    }
    return IOSIM_OK;
}

static enum iosim_err ng_shb(struct ng_state *s, size_t at, uint32_t total)
{
    if (total < 28)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: a section header of %u bytes (at least 28)", at, total);
    uint16_t major = cap_rd16(s->buf + at + 12, s->big);
    if (major != 1)
        return cap_fail_at(s->err, at + 12, "pcapng block at byte %zu: section version %u: want 1", at, major);
    s->in_section = true;
    s->nifaces = 0;
    return IOSIM_OK;
}

static enum iosim_err ng_idb(struct ng_state *s, size_t at, uint32_t total)
{
    if (total < 20)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: an interface description of %u bytes (at least 20)", at, total);
    if (s->nifaces == NG_IFACES_MAX)
        return cap_fail_at(s->err, at, "pcapng block at byte %zu: more than %u interfaces in a section", at, NG_IFACES_MAX);
    struct ng_iface i = {.linktype = cap_rd16(s->buf + at + 8, s->big),
                         .snaplen = cap_rd32(s->buf + at + 12, s->big), .tsresol = 6};
    enum iosim_err r = ng_options(s, at + 16, at + total - 4, &i);
    if (r == IOSIM_OK)
        s->ifaces[s->nifaces++] = i;
    return r;
}

/* An EPB (simple false) or SPB (simple true). */
static enum iosim_err ng_packet(struct ng_state *s, size_t at, uint32_t total, bool simple,
                                struct cap_capture *out)
{
    const uint8_t *b = s->buf + at;
    uint32_t min = simple ? 16 : 32, id = simple ? 0 : cap_rd32(b + 8, s->big);
    if (total < min)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: a %s packet block of %u bytes (at least %u)",
                           at, simple ? "simple" : "enhanced", total, min);
    if (id >= s->nifaces)
        return cap_fail_at(s->err, simple ? at : at + 8, "pcapng block at byte %zu: interface %u is not described (the section has %u)",
                           at, id, s->nifaces);
    const struct ng_iface *i = &s->ifaces[id];
    uint32_t room = total - min, caplen, origlen;
    uint64_t t_ns = s->last_t_ns;
    size_t data = at + (simple ? 12 : 28);
    if (simple) {
        origlen = cap_rd32(b + 8, s->big);
        caplen = origlen < room ? origlen : room;
        caplen = i->snaplen != 0 && caplen > i->snaplen ? i->snaplen : caplen;
    } else {
        caplen = cap_rd32(b + 20, s->big);
        origlen = cap_rd32(b + 24, s->big);
        uint64_t ts = (uint64_t)cap_rd32(b + 12, s->big) << 32 | cap_rd32(b + 16, s->big);
        t_ns = ng_ns(ts, i->tsresol) + i->tsoffset_s * 1000000000u; /* wraps, never UB */
        if (caplen > room)
            return cap_fail_at(s->err, at + 20, "pcapng block at byte %zu: captured length %u exceeds the block's %u bytes of data",
                               at, caplen, room);
        if (caplen > origlen)
            return cap_fail_at(s->err, at + 20, "pcapng block at byte %zu: captured length %u exceeds the original length %u",
                               at, caplen, origlen);
        if (i->snaplen != 0 && caplen > i->snaplen)
            return cap_fail_at(s->err, at + 20, "pcapng block at byte %zu: captured length %u exceeds the snap length %u",
                               at, caplen, i->snaplen);
    }
    s->last_t_ns = t_ns;
    struct cap_packet k = {.p = s->buf + data, .caplen = caplen, .origlen = origlen, .t_ns = t_ns,
                           .off = data, .rec = at, .big = s->big, .linktype = i->linktype,
                           .what = "pcapng block"};
    return cap_packet_decode(&k, out, s->err);
}

/* The block at `at`: its frame checked, then its body; *next past it. */
static enum iosim_err ng_block(struct ng_state *s, size_t at, size_t *next, struct cap_capture *out)
{
    const uint8_t *b = s->buf + at;
    size_t left = s->len - at;
    if (left < 12)
        return cap_fail_at(s->err, at, "pcapng block at byte %zu: truncated (%zu bytes left, a block has at least 12)", at, left);
    uint32_t type = cap_rd32(b, false); /* the SHB's type reads the same both ways */
    if (type == NG_SHB) {
        uint32_t m = cap_rd32(b + 8, false);
        if (m != NG_BYTE_ORDER && m != 0x4d3c2b1au)
            return cap_fail_at(s->err, at + 8, "pcapng block at byte %zu: byte-order magic 0x%08x: want 0x1a2b3c4d either way", at, m);
        s->big = m != NG_BYTE_ORDER;
    } else if (!s->in_section) {
        return cap_fail_at(s->err, at, "pcapng block at byte %zu: the file does not open with a section header block", at);
    } else {
        type = cap_rd32(b, s->big);
    }
    uint32_t total = cap_rd32(b + 4, s->big);
    if (total % 4 != 0)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: total length %u is not a multiple of 4", at, total);
    if (total < 12)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: total length %u is under 12", at, total);
    if (total > left)
        return cap_fail_at(s->err, at + 4, "pcapng block at byte %zu: total length %u runs past the end of the file (%zu bytes left)", at, total, left);
    uint32_t tail = cap_rd32(b + total - 4, s->big);
    if (tail != total)
        return cap_fail_at(s->err, at + total - 4, "pcapng block at byte %zu: trailing total length %u does not match the leading %u", at, tail, total);
    *next = at + total;
    switch (type) {
    case NG_SHB: return ng_shb(s, at, total);
    case NG_IDB: return ng_idb(s, at, total);
    case NG_EPB: return ng_packet(s, at, total, false, out);
    case NG_SPB: return ng_packet(s, at, total, true, out);
    default: return IOSIM_OK; /* name resolution, statistics, custom...: not ours */
    }
}

enum iosim_err cap_parse_pcapng(const uint8_t *buf, size_t len, struct cap_capture *out,
                                struct cap_error *err)
{
    ASSERT(buf != NULL || len == 0);
    cap_begin(out, err);
    struct ng_state s = {.buf = buf, .len = len, .err = err,
                         .ifaces = malloc(NG_IFACES_MAX * sizeof(struct ng_iface))};
    if (s.ifaces == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err r = len == 0 ? cap_fail_at(err, 0, "pcapng: an empty file") : IOSIM_OK;
    for (size_t at = 0; at < len && r == IOSIM_OK;)
        r = ng_block(&s, at, &at, out);
    free(s.ifaces);
    return cap_end(out, r, "pcapng");
}
