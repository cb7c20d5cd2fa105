/* A file written whole or not at all; see outfile.h. */
#include "sim/cli/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cli_outfile_write(const char *path, const char *who, cli_outfile_fn *put, void *ctx)
{
    size_t n = strlen(path) + sizeof ".tmp";
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "%s: %s: out of memory\n", who, path);
        return false;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", who, tmp, strerror(errno));
        free(tmp);
        return false;
    }
    bool ok = put(f, ctx);
    bool wrote = !ferror(f);
    wrote = fclose(f) == 0 && wrote;
    if (ok && !wrote)
        fprintf(stderr, "%s: %s: write error\n", who, tmp);
    ok = ok && wrote;
    if (ok && rename(tmp, path) != 0) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        ok = false;
    }
    if (!ok)
        (void)remove(tmp);
    free(tmp);
    return ok;
}
