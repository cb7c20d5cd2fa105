/* The app table and argument helpers; see apps.h. */
#include "impl/apps/apps.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "impl/port/port.h"
#include "impl/uring/uring.h"
#include "impl/util/num.h"

int64_t app_arg_int(const struct app_args *a, const char *key, int64_t fallback)
{
    for (uint32_t i = 0; a != NULL && i < a->count; i++)
        if (strcmp(a->key[i], key) == 0 && a->str[i] == NULL)
            return a->num[i];
    return fallback;
}

const char *app_arg_str(const struct app_args *a, const char *key, const char *fallback)
{
    for (uint32_t i = 0; a != NULL && i < a->count; i++)
        if (strcmp(a->key[i], key) == 0 && a->str[i] != NULL)
            return a->str[i];
    return fallback;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A whole integer: [-](decimal | 0x hex), in range of int64_t. */
static bool parse_int(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    s += neg;
    uint64_t v;
    if (!num_parse_u64(s, strlen(s), (uint64_t)INT64_MAX + neg, &v))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

enum iosim_err app_args_parse(const char *text, struct app_args_store *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    if (len >= sizeof out->text)
        return IOSIM_EMSGSIZE;
    memcpy(out->text, text, len + 1);
    struct app_args *a = &out->args;
    for (char *p = out->text; *p != '\0';) {
        if (is_blank(*p)) {
            *p++ = '\0';
            continue;
        }
        char *tok = p;
        while (*p != '\0' && !is_blank(*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
        char *eq = strchr(tok, '=');
        if (eq == NULL || eq == tok || a->count == APP_ARGS_MAX)
            return IOSIM_EINVAL;
        *eq = '\0';
        for (uint32_t i = 0; i < a->count; i++)
            if (strcmp(a->key[i], tok) == 0)
                return IOSIM_EINVAL;
        a->key[a->count] = tok;
        a->str[a->count] = parse_int(eq + 1, &a->num[a->count]) ? NULL : eq + 1;
        a->count++;
    }
    return IOSIM_OK;
}

int64_t app_scheme_open(const char *name, uint32_t entries, struct iou *ring)
{
    char path[48] = ":";
    strncat(path, name, sizeof path - 2);
    int64_t sock = port_sys_open(path, 0);
    if (sock < 0 || iou_create(ring, entries, entries, URING_ENTRIES_64) != IOSIM_OK ||
        iou_attach_scheme(ring, name) != IOSIM_OK)
        return -1;
    return sock;
}

static const char *const server_keys[] = {"scheme", "entries", NULL};
static const char *const client_keys[] = {"scheme", "requests", "mode", "entries", "window", NULL};
static const char *const blk_server_keys[] = {"scheme", "entries", "delay", NULL};
static const char *const pool_client_keys[] = {"scheme", "requests", "window", "len", "after", NULL};
static const char *const ring_fill_keys[] = {"role", "scheme", "sq", "cq", "requests", "hold",
                                             "errors_ok", "abandon", "stall", NULL};
static const char *const pcid_keys[] = {"ecam", "buses", "mem32_base", "mem32_limit",
                                        "mem64_base", "mem64_limit", "io_base", "io_limit",
                                        "irq_base", "irq_count", "drivers", "spawn", "entries",
                                        "until_drivers_exit", NULL};
static const char *const pcitest_keys[] = {"pci", "irq", "vectors", "dma", "probe", NULL};
static const char *const xhcid_keys[] = {"pci", "irq", "segs", "event_trbs", "imod",
                                         "until_configured", "until_drivers_exit", "drivers",
                                         "class_args", NULL};
static const char *const ramdisk_keys[] = {"scheme", "luns", "blocks", "block_size", "delay",
                                           "write_cache", "power_loss_at", "write_protect",
                                           "memory", "until_clients", NULL};
static const char *const fio_keys[] = {"disk", "lun", "name", "wait", "window", "errors_ok",
                                       "prefilled", "rw", "bs", "size", "offset", "iodepth",
                                       "rwmixread", "fsync", "number_ios", "verify", "randseed",
                                       "iolog", NULL};
static const char *const diskprobe_keys[] = {"disk", "lun", "wait", NULL};
static const char *const usbzero_keys[] = {"usb", "bytes", "len", "depth", "check", "out",
                                           "gone_ok", "errors", "reset", "probe", NULL};
static const char *const usbscsid_keys[] = {"usb", "scheme", "max_xfer", "window",
                                            "until_clients", NULL};

const struct app_def app_table[] = {
    {"echo_server", app_echo_server, server_keys, NULL},
    {"echo_client", app_echo_client, client_keys, NULL},
    {"blk_server", app_blk_server, blk_server_keys, NULL},
    {"pool_client", app_pool_client, pool_client_keys, NULL},
    {"ring_fill", app_ring_fill, ring_fill_keys, NULL},
    {"pcid", app_pcid, pcid_keys, app_pcid_check},
    {"pcitest", app_pcitest, pcitest_keys, NULL},
    {"xhcid", app_xhcid, xhcid_keys, app_xhcid_check},
    {"usbzero", app_usbzero, usbzero_keys, NULL},
    {"usbscsid", app_usbscsid, usbscsid_keys, NULL},
    {"ramdisk", app_ramdisk, ramdisk_keys, NULL},
    {"fio", app_fio, fio_keys, app_fio_check},
    {"diskprobe", app_diskprobe, diskprobe_keys, NULL},
    {NULL, NULL, NULL, NULL},
};

const struct app_def *app_find(const char *name)
{
    for (const struct app_def *a = app_table; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

const char *app_args_unknown_key(const struct app_def *app, const struct app_args *a)
{
    for (uint32_t i = 0; i < a->count; i++) {
        bool known = false;
        for (size_t k = 0; app->keys[k] != NULL && !known; k++)
            known = strcmp(app->keys[k], a->key[i]) == 0;
        if (!known)
            return a->key[i];
    }
    return NULL;
}
