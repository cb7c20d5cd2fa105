/* Short strings without stdio; see strbuf.h. */
#include "impl/util/strbuf.h"

#include <string.h>

#include "impl/port/check.h"

void strbuf_init(struct strbuf *s, char *buf, size_t cap)
{
    ASSERT(buf != NULL && cap >= 1);
    *s = (struct strbuf){.buf = buf, .cap = cap};
    buf[0] = '\0';
}

void strbuf_putn(struct strbuf *s, const char *str, size_t n)
{
    size_t room = s->cap - 1 - s->len;
    if (n > room) {
        n = room;
        s->truncated = true;
    }
    memcpy(s->buf + s->len, str, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

void strbuf_put(struct strbuf *s, const char *str)
{
    strbuf_putn(s, str, strlen(str));
}

static void put_digits(struct strbuf *s, uint64_t v, unsigned base, unsigned min_digits)
{
    char tmp[64];
    unsigned n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0 && n < sizeof tmp);
    while (n < min_digits && n < sizeof tmp)
        tmp[n++] = '0';
    char out[64];
    for (unsigned i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    strbuf_putn(s, out, n);
}

void strbuf_dec(struct strbuf *s, uint64_t v)
{
    put_digits(s, v, 10, 1);
}

void strbuf_hex(struct strbuf *s, uint64_t v, unsigned min_digits)
{
    put_digits(s, v, 16, min_digits);
}
