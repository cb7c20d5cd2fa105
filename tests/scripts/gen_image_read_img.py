#!/usr/bin/env python3
"""Writes scenarios/suite/storage/image-read.img: a 64 KiB disk image,
zeros but for five 4 KiB blocks in the format fio's verify accepts
(impl/apps/fio_job.c: magic "iosv", generation, byte offset, then the
FNV-1a sum of the block with the sum's own 8 bytes read as zeros), at
0, 4, 8, 12 and 40 KiB, so that a fio read with verify proves the image's
bytes reached the host and the zero blocks read as zeros.
Usage: gen_image_read_img.py OUT"""
import struct
import sys

BS = 4096
SIZE = 64 * 1024
AT_KIB = (0, 4, 8, 12, 40)


def fnv1a(block):
    h = 0xCBF29CE484222325
    for i, b in enumerate(block):
        h = ((h ^ (0 if 16 <= i < 24 else b)) * 0x100000001B3) & (2**64 - 1)
    return h


def verify_block(offset):
    # a fixed payload, different in every block, so a misplaced block fails
    payload = bytes((offset // BS * 31 + i * 7) & 0xFF for i in range(BS - 24))
    block = bytearray(struct.pack("<IIQQ", 0x76736F69, 1, offset, 0) + payload)
    block[16:24] = struct.pack("<Q", fnv1a(block))
    return bytes(block)


def main():
    image = bytearray(SIZE)
    for kib in AT_KIB:
        off = kib * 1024
        image[off:off + BS] = verify_block(off)
    with open(sys.argv[1], "wb") as f:
        f.write(image)


if __name__ == "__main__":
    main()
