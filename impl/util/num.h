/*
 * num.h - reading numbers out of text in production code (command-line
 * arguments, pcid's driver table, lspci dumps), one way everywhere.
 *
 *     uint64_t v;
 *     if (num_parse_u64("0x1f", 4, 0xff, &v)) ...   v == 31
 */
#ifndef IOSIM_NUM_H
#define IOSIM_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
int num_hex_digit(char c);

/* The n bytes at s as one whole unsigned integer: decimal, or hex after
 * 0x / 0X; false for anything else (empty, a sign, a stray character) and
 * for a value above max. */
bool num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);

#endif /* IOSIM_NUM_H */
