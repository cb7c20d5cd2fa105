/* Disk images from files; see image_file.h. */
#include "sim/scenario/image_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "impl/port/check.h"

static bool all_zero(const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Room for one more stored block: both arrays double together. */
static enum iosim_err make_room(struct sim_image *im, uint64_t *cap, uint32_t block_bytes)
{
    if (im->stored < *cap)
        return IOSIM_OK;
    uint64_t n = *cap == 0 ? 64 : *cap * 2;
    uint64_t *lba = realloc(im->lba, n * sizeof *lba);
    if (lba == NULL)
        return IOSIM_ENOMEM;
    im->lba = lba;
    uint8_t *data = realloc(im->data, n * block_bytes);
    if (data == NULL)
        return IOSIM_ENOMEM;
    im->data = data;
    *cap = n;
    return IOSIM_OK;
}

static enum iosim_err too_big(const char *shown, char *msg, size_t len)
{
    snprintf(msg, len, "'%s' is larger than the %llu MiB an image may be", shown,
             (unsigned long long)(SIM_IMAGE_BYTES_MAX >> 20));
    return IOSIM_EOVERFLOW;
}

/* Every block of the open file, the non-zero ones kept; *bytes counts
 * what was read (a last partial block included). */
static enum iosim_err read_blocks(FILE *f, const char *shown, uint32_t block_bytes,
                                  struct sim_image *im, uint64_t *bytes, char *msg, size_t len)
{
    uint8_t *buf = malloc(block_bytes);
    uint64_t cap = 0;
    enum iosim_err e = buf == NULL ? IOSIM_ENOMEM : IOSIM_OK;
    size_t got = block_bytes;
    /* bounded: the limit stops it after SIM_IMAGE_BYTES_MAX / block_bytes blocks */
    while (e == IOSIM_OK && got == block_bytes) {
        got = fread(buf, 1, block_bytes, f);
        *bytes += got;
        if (*bytes > SIM_IMAGE_BYTES_MAX)
            e = too_big(shown, msg, len);
        else if (got == block_bytes && !all_zero(buf, block_bytes) &&
                 (e = make_room(im, &cap, block_bytes)) == IOSIM_OK) {
            im->lba[im->stored] = *bytes / block_bytes - 1;
            memcpy(im->data + im->stored++ * block_bytes, buf, block_bytes);
        }
    }
    if (e == IOSIM_OK && ferror(f)) {
        snprintf(msg, len, "cannot read '%s': %s", shown, strerror(errno));
        e = IOSIM_EIO;
    }
    if (e == IOSIM_ENOMEM)
        snprintf(msg, len, "out of memory reading '%s'", shown);
    free(buf);
    return e;
}

/* The whole size checked: something, and whole blocks. */
static enum iosim_err check_size(const char *shown, uint32_t block_bytes, uint64_t bytes,
                                 char *msg, size_t len)
{
    if (bytes == 0) {
        snprintf(msg, len, "'%s' is empty: an image holds at least one block", shown);
        return IOSIM_EINVAL;
    }
    if (bytes % block_bytes != 0) {
        snprintf(msg, len, "'%s' is %llu bytes: not a multiple of the %u-byte block", shown,
                 (unsigned long long)bytes, block_bytes);
        return IOSIM_EINVAL;
    }
    return IOSIM_OK;
}

/* What the file system says, before a byte is read: a regular file over
 * the limit is refused, and so is a pipe or socket (opening one would wait
 * for a writer: the loader would hang). Anything else is read to see. */
static enum iosim_err check_kind(const char *path, const char *shown, char *msg, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return IOSIM_OK; /* fopen says why */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > SIM_IMAGE_BYTES_MAX)
        return too_big(shown, msg, len);
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        snprintf(msg, len, "cannot read '%s': a pipe or socket is not a disk image", shown);
        return IOSIM_EIO;
    }
    return IOSIM_OK;
}

enum iosim_err sim_image_read(const char *path, const char *shown, uint32_t block_bytes,
                              struct sim_image *out, char *msg, size_t msg_len)
{
    ASSERT(path != NULL && shown != NULL && out != NULL && msg != NULL);
    ASSERT(block_bytes > 0);
    *out = (struct sim_image){0};
    enum iosim_err e = check_kind(path, shown, msg, msg_len);
    if (e != IOSIM_OK)
        return e;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, msg_len, "cannot read '%s': %s", shown, strerror(errno));
        return IOSIM_EIO;
    }
    uint64_t bytes = 0;
    e = read_blocks(f, shown, block_bytes, out, &bytes, msg, msg_len);
    fclose(f);
    if (e == IOSIM_OK)
        e = check_size(shown, block_bytes, bytes, msg, msg_len);
    if (e != IOSIM_OK) {
        sim_image_free(out);
        return e;
    }
    out->blocks = bytes / block_bytes;
    ASSERT(out->stored <= out->blocks);
    return IOSIM_OK;
}

void sim_image_free(struct sim_image *im)
{
    if (im == NULL)
        return;
    free(im->lba);
    free(im->data);
    *im = (struct sim_image){0};
}
