/*
 * image_file.h - a disk image read from a file for the scenario loader
 * (`image:` of a `type: usb_storage` device): its size in blocks and only
 * its non-zero blocks, so that a large image of mostly zeros takes little
 * memory. The file is read once, at load time, and never written.
 *
 *     struct sim_image im;
 *     char msg[512];
 *     if (sim_image_read(path, "disk.img", 512, &im, msg, sizeof msg) != IOSIM_OK)
 *         report msg ("cannot read 'disk.img': No such file or directory", ...)
 *     for (uint64_t i = 0; i < im.stored; i++)
 *         block im.lba[i] is im.data + i * 512
 *     sim_image_free(&im);
 *
 * Refused, each with a sentence naming the file as `shown`: a file that
 * cannot be opened or read, a pipe or socket (it could block), an empty one, one whose size is not a multiple
 * of the block size, one over SIM_IMAGE_BYTES_MAX (a scenario should not
 * read gigabytes when it loads; the size is checked before reading when
 * the file system knows it, and reading stops there anyway).
 *
 * Ownership: the arrays of a read image are the caller's (sim_image_free);
 * on error nothing is held. Deterministic: only the file's bytes matter.
 */
#ifndef IOSIM_SIM_IMAGE_FILE_H
#define IOSIM_SIM_IMAGE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

#define SIM_IMAGE_BYTES_MAX (256ull << 20)

struct sim_image {
    uint64_t blocks;             /* the file's size in blocks, >= 1 */
    uint64_t stored;             /* non-zero blocks, in lba[] and data */
    uint64_t *lba;               /* owned: their block numbers, increasing */
    uint8_t *data;               /* owned: their bytes, stored * block_bytes */
};

/* block_bytes > 0. EIO when the file cannot be read, EINVAL when it is
 * empty or not whole blocks, EOVERFLOW past the limit, ENOMEM; msg always
 * says why. */
enum iosim_err sim_image_read(const char *path, const char *shown, uint32_t block_bytes,
                              struct sim_image *out, char *msg, size_t msg_len);
void sim_image_free(struct sim_image *im);

#endif /* IOSIM_SIM_IMAGE_FILE_H */
