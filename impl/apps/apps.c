/* The app table and argument helpers; see apps.h. */
#include "impl/apps/apps.h"

#include <stddef.h>
#include <string.h>

#include "impl/port/port.h"
#include "impl/uring/uring.h"

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

const struct app_def app_table[] = {
    {"echo_server", app_echo_server, server_keys},
    {"echo_client", app_echo_client, client_keys},
    {"blk_server", app_blk_server, blk_server_keys},
    {"pool_client", app_pool_client, pool_client_keys},
    {NULL, NULL, NULL},
};
