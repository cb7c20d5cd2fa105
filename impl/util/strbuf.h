/*
 * strbuf.h - building short strings in caller storage, for production code
 * that may not use stdio (impl/ reaches the world only through the port).
 *
 *     char name[32];
 *     struct strbuf sb;
 *     strbuf_init(&sb, name, sizeof name);
 *     strbuf_put(&sb, "xhcid-");
 *     strbuf_hex(&sb, bus, 2);
 *
 * The buffer is always terminated; what does not fit is dropped and
 * remembered (strbuf.truncated). Ownership: the caller's buffer.
 */
#ifndef IOSIM_STRBUF_H
#define IOSIM_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
    char *buf;
    size_t cap, len;
    bool truncated;
};

/* cap >= 1 */
void strbuf_init(struct strbuf *s, char *buf, size_t cap);
void strbuf_putn(struct strbuf *s, const char *str, size_t n);
void strbuf_put(struct strbuf *s, const char *str);
void strbuf_dec(struct strbuf *s, uint64_t v);
/* Lower-case hex, zero-padded to at least min_digits, no prefix. */
void strbuf_hex(struct strbuf *s, uint64_t v, unsigned min_digits);

#endif /* IOSIM_STRBUF_H */
