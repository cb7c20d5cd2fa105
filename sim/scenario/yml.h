/*
 * yml.h - YAML documents with positions, and strict typed access to them.
 *
 * Scenario files are YAML. This module parses one (with libyaml) into a small
 * read-only tree whose every node knows its 1-based line and column, and
 * offers typed getters that turn a node into an integer, size, duration,
 * boolean, string or enum choice, or fail with a message of the exact form
 * `file:line:col: message` pointing at the offending node. The scenario
 * loader walks the tree and lets these getters produce its errors:
 *
 *     struct yml_doc *doc;
 *     struct yml_error err;
 *     const struct yml_node *root, *cpus;
 *     uint64_t n_cpus;
 *     static const char *const keys[] = {"cpus", "memory", NULL};
 *     enum iosim_err e = yml_load_file(path, &doc, &err);
 *     if (e == IOSIM_OK) e = yml_get_map(doc, yml_root(doc), &root, &err);
 *     if (e == IOSIM_OK) e = yml_check_keys(doc, root, keys, "machine", &err);
 *     if (e == IOSIM_OK) e = yml_require(doc, root, "cpus", "machine", &cpus, &err);
 *     if (e == IOSIM_OK) e = yml_get_u64(doc, cpus, 1, 64, &n_cpus, &err);
 *     if (e != IOSIM_OK) fprintf(stderr, "%s\n", err.msg);  (the caller prints)
 *     yml_free(doc);  (NULL is fine)
 *
 * What load accepts. One YAML document (block or flow style, UTF-8, an
 * optional BOM). It refuses, with IOSIM_EPARSE and a positioned message:
 * libyaml syntax errors, an empty file, a second document, duplicate keys in
 * a mapping, keys that are not scalars, anchors, aliases and explicit tags,
 * nesting deeper than YML_DEPTH_MAX collections, more than YML_NODES_MAX
 * nodes and input over YML_FILE_BYTES_MAX bytes (so the work done on a
 * hostile file is bounded). Out of memory gives IOSIM_ENOMEM. Only the first
 * problem is reported, in the order libyaml delivers the file, except that a
 * duplicate key is found when its mapping closes (so an error nested inside
 * that mapping comes first). Load does not check the kind of the root node:
 * the caller does, normally with yml_get_map(doc, yml_root(doc), ...), which
 * yields "expected a mapping, got a sequence" at the root's position.
 *
 * Scalars are kept as text with their style (plain, quoted, block); nothing is
 * resolved at load time. Getters for numbers and booleans take plain scalars
 * only, so `"12"` given where an integer is wanted is an error; yml_get_str
 * and yml_get_enum take any scalar. An empty plain scalar (`key:` with no
 * value) is a scalar with text "" and reads as "an empty value" in messages.
 *
 * Errors. Every fallible function returns an enum iosim_err and fills the
 * caller's struct yml_error with a NUL-terminated message; on error the
 * out-parameters are unchanged. Data quoted in messages is truncated and its
 * non-printable bytes escaped. Only yml_load_file's "cannot open" / "cannot
 * read" messages lack a position: they are `cannot open 'PATH': reason`.
 *
 * Ownership and threading. yml_load_* returns an owned document; yml_free
 * releases it and every node and string in it. Node pointers and texts are
 * borrowed from the document and live until yml_free. A document is
 * immutable after load, so several threads may read one; nothing here keeps
 * global state. Passing NULL for a node or an out-parameter is a programmer
 * error (asserted); node kinds and texts come from the file and are always
 * checked, never asserted.
 */
#ifndef IOSIM_SIM_YML_H
#define IOSIM_SIM_YML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/engine/time.h"

/* Bounds on the work a hostile file can cause. */
#define YML_FILE_BYTES_MAX ((size_t)16 << 20) /* input larger than this is refused */
#define YML_DEPTH_MAX 64                      /* nested collections (root = 1) */
#define YML_NODES_MAX 1000000                 /* scalars + sequences + mappings */

struct yml_error {
    char msg[512]; /* "file:line:col: message", NUL-terminated, possibly truncated */
};

struct yml_doc;  /* owns every node and string */
struct yml_node; /* scalar, sequence or mapping, with line/col */

enum yml_kind {
    YML_SCALAR = 1,
    YML_SEQ = 2,
    YML_MAP = 3,
};

/* ---- loading --------------------------------------------------------- */

/* Reads and parses the file at `path` (also used as the name in messages).
 * *out receives an owned document. Unreadable file: IOSIM_EPARSE with
 * "cannot open 'PATH': reason". */
enum iosim_err yml_load_file(const char *path, struct yml_doc **out, struct yml_error *err);

/* Parses `len` bytes at `text` (no terminator needed; the bytes are copied
 * where kept, so `text` may be freed after the call). `name` is copied and
 * used as the file name in messages. */
enum iosim_err yml_load_string(const char *name, const char *text, size_t len,
                               struct yml_doc **out, struct yml_error *err);

/* Releases the document and everything in it. NULL is a no-op. */
void yml_free(struct yml_doc *doc);

/* ---- the tree (borrowed pointers, valid until yml_free) --------------- */

const struct yml_node *yml_root(const struct yml_doc *doc);

/* The name given at load (the path for yml_load_file). */
const char *yml_doc_name(const struct yml_doc *doc);

enum yml_kind yml_kind(const struct yml_node *node);
uint32_t yml_line(const struct yml_node *node); /* 1-based */
uint32_t yml_col(const struct yml_node *node);  /* 1-based, in characters */

/* Scalars: NUL-terminated text, or NULL if the node is not a scalar. The
 * text may hold NUL bytes of its own (from a "\0" escape): yml_scalar_len
 * gives the full length in bytes (0 for non-scalars). */
const char *yml_scalar_text(const struct yml_node *node);
size_t yml_scalar_len(const struct yml_node *node);

/* True for an unquoted, non-block scalar (false for other kinds). */
bool yml_scalar_plain(const struct yml_node *node);

/* Sequences: number of items (0 if not a sequence) and item i < length. */
size_t yml_seq_len(const struct yml_node *node);
const struct yml_node *yml_seq_item(const struct yml_node *node, size_t i);

/* Mappings: number of pairs (0 if not a mapping) and pair i < length, in
 * file order. Keys are always scalars and unique within a mapping. */
size_t yml_map_len(const struct yml_node *node);
const struct yml_node *yml_map_key(const struct yml_node *node, size_t i);
const struct yml_node *yml_map_value(const struct yml_node *node, size_t i);

/* The value under `key` (compared byte for byte with the key's text), or
 * NULL if absent or if `map` is not a mapping. Linear in the map's size. */
const struct yml_node *yml_map_get(const struct yml_node *map, const char *key);

/* ---- typed access (errors positioned at the node) --------------------- */

/* Fails unless every key of `map` is in the NULL-terminated list `allowed`:
 * "unknown key 'foo' in <what> (expected one of: a, b, c)" at the key.
 * Also fails, like yml_get_map, if `map` is not a mapping. */
enum iosim_err yml_check_keys(const struct yml_doc *doc, const struct yml_node *map,
                              const char *const allowed[], const char *what,
                              struct yml_error *err);

/* *out = the value under `key`; "missing key 'key' in <what>" at the map if
 * absent. Also fails, like yml_get_map, if `map` is not a mapping. */
enum iosim_err yml_require(const struct yml_doc *doc, const struct yml_node *map,
                           const char *key, const char *what,
                           const struct yml_node **out, struct yml_error *err);

/* Integers in [min, max]: optional sign (+ or -), then decimal (no leading
 * zeros), 0x hexadecimal or 0b binary digits, with optional '_' between
 * digits. Plain scalars only. Overflow is a range error, never a wrap. */
enum iosim_err yml_get_u64(const struct yml_doc *doc, const struct yml_node *node,
                           uint64_t min, uint64_t max, uint64_t *out, struct yml_error *err);
enum iosim_err yml_get_i64(const struct yml_doc *doc, const struct yml_node *node,
                           int64_t min, int64_t max, int64_t *out, struct yml_error *err);

/* Plain `true` or `false`, nothing else. */
enum iosim_err yml_get_bool(const struct yml_doc *doc, const struct yml_node *node, bool *out,
                            struct yml_error *err);

/* Any scalar; *out borrows the document's text. Refuses text holding a NUL
 * byte, which a C string would silently cut short. */
enum iosim_err yml_get_str(const struct yml_doc *doc, const struct yml_node *node,
                           const char **out, struct yml_error *err);

/* Any scalar equal to one of names[0..n_names); *out = its index.
 * "expected one of: fifo, random, pct:D; got 'x'". */
enum iosim_err yml_get_enum(const struct yml_doc *doc, const struct yml_node *node,
                            const char *const names[], size_t n_names, size_t *out,
                            struct yml_error *err);

/* A size in bytes within [min, max]: an integer as for yml_get_u64 (bytes),
 * or a decimal number with an optional fraction (at most 18 digits) and a
 * unit, spaces allowed between: B, KiB MiB GiB TiB (powers of 1024), kB MB
 * GB TB (powers of 1000). Units are case-sensitive and never follow 0x or 0b
 * numbers. "1.5MiB" is fine; a fraction that is not a whole number of bytes
 * ("1.1KiB") is refused. Exact integer arithmetic throughout. */
enum iosim_err yml_get_size(const struct yml_doc *doc, const struct yml_node *node,
                            uint64_t min, uint64_t max, uint64_t *out, struct yml_error *err);

/* A duration in picoseconds within [min, max]: a decimal number with an
 * optional fraction (at most 18 digits) and a unit, spaces allowed between:
 * ps, ns, us (or µs), ms, s. The unit is required except for a bare 0.
 * Sub-picosecond values ("1.5ps") are refused. Exact integer arithmetic. */
enum iosim_err yml_get_time_ps(const struct yml_doc *doc, const struct yml_node *node,
                               sim_time_ps min, sim_time_ps max, sim_time_ps *out,
                               struct yml_error *err);

/* Kind checks: *out = node if it is a sequence / mapping, else
 * "expected a sequence, got a mapping" and the like. */
enum iosim_err yml_get_seq(const struct yml_doc *doc, const struct yml_node *node,
                           const struct yml_node **out, struct yml_error *err);
enum iosim_err yml_get_map(const struct yml_doc *doc, const struct yml_node *node,
                           const struct yml_node **out, struct yml_error *err);

/* ---- helpers for callers' own messages -------------------------------- */

/* Formats "file:line:col: " + the printf-style message at `node` into *err
 * and returns IOSIM_EPARSE, for checks the loader makes itself
 * ("port 7 does not exist"). Quote file data with yml_quote. */
enum iosim_err yml_error_at(const struct yml_doc *doc, const struct yml_node *node,
                            struct yml_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes `text` (len bytes) between single quotes into buf (cap > 0 bytes,
 * always NUL-terminated): control bytes, quotes, backslashes and invalid
 * UTF-8 escaped, long texts cut with "...". Returns buf. */
char *yml_quote(char *buf, size_t cap, const char *text, size_t len);

/* Recommended size of a yml_quote buffer: enough for any quoted text. */
#define YML_QUOTE_BYTES 72

#endif /* IOSIM_SIM_YML_H */
