/* A capture file read and decoded; see capture_in.h. */
#include "sim/cli/capture_in.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_BYTES_MAX (1ull << 32) /* a capture larger than 4 GiB: refused */

/* The whole file into a malloc'd buffer; false with a message. */
static bool slurp(const char *path, const char *who, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || ferror(f))
            break;
        char *b = cap >= CAPTURE_BYTES_MAX ? NULL : realloc(buf, cap * 2);
        if (b == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    bool ok = buf != NULL && !ferror(f);
    fclose(f);
    if (!ok) {
        fprintf(stderr, "%s: %s: %s\n", who, path,
                buf == NULL ? "too large to read (4 GiB at most)" : "read error");
        free(buf);
        return false;
    }
    *out = buf;
    *len = n;
    return true;
}

uint64_t cli_capture_t0(const struct cap_capture *c)
{
    uint64_t t0 = c->n > 0 ? c->ev[0].t_ns : 0;
    for (size_t i = 1; i < c->n; i++)
        t0 = c->ev[i].t_ns < t0 ? c->ev[i].t_ns : t0;
    return t0;
}

/* The span must fit a trace's picosecond clock. */
static bool span_fits(const struct cli_capture *c, const char *who)
{
    uint64_t t0 = cli_capture_t0(&c->cap);
    for (size_t i = 0; i < c->cap.n; i++) {
        if (c->cap.ev[i].t_ns - t0 > CLI_CAPTURE_SPAN_NS_MAX) {
            fprintf(stderr, "%s: %s: its events span more than %" PRIu64
                            " days, past what a trace's picosecond clock holds\n",
                    who, c->path, CLI_CAPTURE_SPAN_NS_MAX / 86400000000000u);
            return false;
        }
    }
    return true;
}

bool cli_capture_decode(struct cli_capture *c, const char *who)
{
    char *text;
    size_t len;
    if (!slurp(c->path, who, &text, &len))
        return false;
    struct cap_error err;
    bool binary = cap_detect(text, len) != CAP_FORMAT_USBMON_TEXT;
    enum iosim_err e = cap_parse(text, len, &c->cap, &err);
    free(text);
    if (e == IOSIM_EPARSE) {
        if (binary)
            fprintf(stderr, "%s: byte %" PRIu64 ": %s\n", c->path, err.offset, err.msg);
        else
            fprintf(stderr, "%s:%" PRIu64 ":%" PRIu64 ": %s\n", c->path, err.line, err.col,
                    err.msg);
        return false;
    }
    if (e == IOSIM_OK && !span_fits(c, who))
        return false;
    if (e == IOSIM_OK)
        e = cap_xfers_build(&c->cap, &c->xf);
    if (e == IOSIM_OK)
        e = cap_scsi_build(&c->cap, &c->xf, &c->sc);
    if (e != IOSIM_OK)
        fprintf(stderr, "%s: %s: %s\n", who, c->path, iosim_err_text(e));
    return e == IOSIM_OK;
}

void cli_capture_free(struct cli_capture *c)
{
    cap_scsi_free(&c->sc);
    cap_xfers_free(&c->xf);
    cap_free(&c->cap);
}
