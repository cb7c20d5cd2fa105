/* JSON strings and times; see json.h. */
#include "reports/json.h"

#include <assert.h>
#include <inttypes.h>

void json_str(FILE *f, const char *s)
{
    assert(f != NULL);
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void json_us(FILE *f, int64_t ps)
{
    assert(f != NULL);
    /* the magnitude as unsigned: INT64_MIN has no positive int64 */
    uint64_t m = ps < 0 ? 0 - (uint64_t)ps : (uint64_t)ps;
    fprintf(f, "%s%" PRIu64 ".%06" PRIu64, ps < 0 ? "-" : "", m / 1000000u, m % 1000000u);
}
