/* Numbers out of text; see num.h. */
#include "impl/util/num.h"

int num_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    unsigned base = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
    size_t i = base == 16 ? 2 : 0;
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        int d = num_hex_digit(s[i]);
        if (d < 0 || (unsigned)d >= base || (unsigned)d > max ||
            v > (max - (unsigned)d) / base) /* v * base + d would pass max */
            return false;
        v = v * base + (unsigned)d;
    }
    *out = v;
    return true;
}
