/* The app table and argument helpers; see apps.h. */
#include "impl/apps/apps.h"

#include <stddef.h>
#include <string.h>

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

static const char *const server_keys[] = {"scheme", "entries", NULL};
static const char *const client_keys[] = {"scheme", "requests", "mode", "entries", "window", NULL};

const struct app_def app_table[] = {
    {"echo_server", app_echo_server, server_keys},
    {"echo_client", app_echo_client, client_keys},
    {NULL, NULL, NULL},
};
