/* Dumps from files; see pci_dump_file.h. */
#include "sim/scenario/pci_dump_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FILE_MAX (8u << 20)

/* The whole file, NUL-terminated, malloc'd; NULL and errno on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(DUMP_FILE_MAX + 1);
    size_t n = buf != NULL ? fread(buf, 1, DUMP_FILE_MAX + 1, f) : 0;
    int bad = buf == NULL || ferror(f) || n > DUMP_FILE_MAX;
    fclose(f);
    if (bad) {
        free(buf);
        errno = buf == NULL ? ENOMEM : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static enum iosim_err cannot_read(const char *path, char *msg, size_t len)
{
    snprintf(msg, len, "cannot read %s: %s", path, strerror(errno));
    return IOSIM_EIO;
}

static enum iosim_err load_lspci(const char *path, struct pcid_dump *d, char *msg, size_t mlen)
{
    size_t len;
    char *text = slurp(path, &len);
    if (text == NULL)
        return cannot_read(path, msg, mlen);
    struct pcid_dump_error e;
    enum iosim_err r = pcid_dump_parse_lspci(text, len, d, &e);
    free(text);
    if (r != IOSIM_OK)
        snprintf(msg, mlen, "%s:%u:%u: %s", path, e.line, e.col, e.msg);
    return r;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* BAR sizes from a sysfs `resource` file: "start end flags" per line. */
static void sysfs_sizes(struct pcid_dump *d, const char *dir, unsigned dom, unsigned bus,
                        unsigned dev, unsigned fn)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/resource", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    unsigned long long start, end, flags;
    for (unsigned bar = 0; bar < PCI_BAR_COUNT && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3; bar++)
        if (end > start)
            (void)pcid_dump_set_bar_size(d, (uint16_t)dom, (uint8_t)bus, (uint8_t)dev,
                                         (uint8_t)fn, bar, end - start + 1);
    fclose(f);
}

/* One function directory, DDDD:BB:DD.F, with its `config` (and `resource`). */
static enum iosim_err sysfs_function(struct pcid_dump *d, const char *root, const char *entry,
                                     char *msg, size_t mlen)
{
    unsigned dom, bus, dev, fn;
    char tail;
    if (sscanf(entry, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4)
        return IOSIM_OK; /* not a function */
    char dir[1024], path[2048];
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", root, entry) >= sizeof dir) {
        snprintf(msg, mlen, "path too long: %s/%s", root, entry);
        return IOSIM_EINVAL;
    }
    snprintf(path, sizeof path, "%s/config", dir);
    size_t len;
    char *cfg = slurp(path, &len);
    if (cfg == NULL)
        return cannot_read(path, msg, mlen);
    enum iosim_err r = pcid_dump_add_raw(d, (uint16_t)dom, (uint8_t)bus, (uint8_t)dev,
                                         (uint8_t)fn, (const uint8_t *)cfg,
                                         len < PCI_CFG_EXT_SIZE ? len : PCI_CFG_EXT_SIZE);
    free(cfg);
    if (r != IOSIM_OK) {
        snprintf(msg, mlen, "%s: %s", path, iosim_err_text(r));
        return r;
    }
    sysfs_sizes(d, dir, dom, bus, dev, fn);
    return IOSIM_OK;
}

static enum iosim_err load_sysfs(const char *root, struct pcid_dump *dump, char *msg, size_t mlen)
{
    DIR *d = opendir(root);
    if (d == NULL)
        return cannot_read(root, msg, mlen);
    char *names[PCID_DUMP_FUNCS_MAX * 2];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < sizeof names / sizeof names[0])
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], by_name); /* directory order is the file system's */
    enum iosim_err r = IOSIM_OK;
    for (size_t i = 0; i < n; i++) {
        if (r == IOSIM_OK && names[i] != NULL)
            r = sysfs_function(dump, root, names[i], msg, mlen);
        free(names[i]);
    }
    return r;
}

enum iosim_err sim_pci_dump_read(const char *path, bool sysfs, struct pcid_dump *out, char *msg,
                                 size_t msg_len)
{
    pcid_dump_init(out);
    msg[0] = '\0';
    return sysfs ? load_sysfs(path, out, msg, msg_len) : load_lspci(path, out, msg, msg_len);
}
