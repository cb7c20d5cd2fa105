/* A disk: server's scheme name; see disk_serve.h. */
#include "impl/disk/disk_serve.h"

#include <string.h>

#include "impl/port/port.h"
#include "impl/util/strbuf.h"

/* The socket of the first name that is free, or -1. */
static int64_t claim(const char *want, char name[DISK_SCHEME_NAME_BYTES], enum iosim_err *e)
{
    ASSERT(name != NULL);
    ASSERT(e != NULL);
    for (uint32_t i = 0; i < (want != NULL ? 1u : DISK_SERVE_NAMES_MAX); i++) {
        struct strbuf sb;
        strbuf_init(&sb, name, DISK_SCHEME_NAME_BYTES);
        strbuf_put(&sb, want != NULL ? want : DISK_SCHEME_NAME);
        if (i > 0)
            strbuf_dec(&sb, i);
        if (sb.truncated) {
            *e = IOSIM_EINVAL;
            return -1;
        }
        ASSERT(sb.len < DISK_SCHEME_NAME_BYTES); /* the name and its NUL fit */
        char path[DISK_SCHEME_NAME_BYTES + 1] = ":";
        memcpy(path + 1, name, sb.len + 1);
        int64_t sock = port_sys_open(path, 0);
        if (sock >= 0)
            return sock;
    }
    *e = IOSIM_EEXIST;
    return -1;
}

enum iosim_err disk_serve_open(const char *want, uint32_t entries, struct iou *ring,
                               char name[DISK_SCHEME_NAME_BYTES], int64_t *sock)
{
    enum iosim_err e = IOSIM_OK;
    ASSERT(ring != NULL && name != NULL && sock != NULL);
    ASSERT(entries > 0);
    *sock = claim(want, name, &e);
    ASSERT(*sock >= 0 || e != IOSIM_OK); /* no socket: a reason */
    if (*sock < 0)
        return e;
    e = iou_create(ring, entries, entries, URING_ENTRIES_64);
    if (e == IOSIM_OK)
        e = iou_attach_scheme(ring, name);
    if (e != IOSIM_OK) {
        iou_close(ring);
        (void)port_sys_close((uint64_t)*sock);
        *sock = -1;
    }
    ASSERT((e == IOSIM_OK) == (*sock >= 0));
    return e;
}
