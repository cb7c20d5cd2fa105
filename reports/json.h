/*
 * json.h - JSON output for the exports: strings escaped so that any bytes
 * a trace database holds come out as one valid JSON string, and times
 * printed exactly.
 *
 *     json_str(f, name);            // "name", quotes included
 *     json_us(f, t_ps);             // 12.345678 (microseconds, exact)
 *
 * Escaping: quote and backslash by a backslash, control characters
 * (0x00-0x1f, 0x7f) and every byte from 0x80 on as \u00XX - so a string
 * that is not UTF-8 still gives valid JSON (its bytes read as Latin-1)
 * and nothing in a database can end the string or the document early.
 * Borrowed: f and the string. Writes only to f.
 */
#ifndef IOSIM_REPORTS_JSON_H
#define IOSIM_REPORTS_JSON_H

#include <stdint.h>
#include <stdio.h>

/* s (NULL is written as "") as a quoted JSON string. */
void json_str(FILE *f, const char *s);

/* Picoseconds as microseconds with six decimals, from integers (no
 * rounding, the same digits on every host): 1500000 -> 1.500000. */
void json_us(FILE *f, int64_t ps);

#endif /* IOSIM_REPORTS_JSON_H */
