/* bench_yml - how fast sim/yml loads a scenario-like file and reads it.
 *
 * The input is a generated document shaped like a large scenario: a
 * workload sequence of N small mappings (integers, sizes, durations,
 * quoted strings, a flow sequence), about 4 MiB. Figures, best of several
 * repetitions (the machine is shared; the minimum is the least disturbed):
 *     yml.load            MiB/s of yml_load_string (parse + tree + checks)
 *     yml.libyaml_events  MiB/s of libyaml's event parser alone, the floor
 *                         under yml.load: the difference is our tree
 *     yml.load_per_node   ns per node of yml_load_string
 *     yml.getter          ns per typed getter call (u64, size, time, str
 *                         mix) on the loaded tree
 * This is a benchmark, not simulation code: it reads the host clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "sim/scenario/yml.h"

enum { REPEATS = 5, ENTRIES = 40000 };

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *make_doc(size_t *len)
{
    size_t cap = (size_t)ENTRIES * 200 + 256, o = 0;
    char *t = malloc(cap);
    if (t == NULL)
        return NULL;
    o += (size_t)snprintf(t + o, cap - o, "name: bench\nmachine: {cpus: 4, memory: 1GiB}\n"
                                           "workload:\n");
    for (int i = 0; i < ENTRIES; i++)
        o += (size_t)snprintf(t + o, cap - o,
                              "  - op: %s\n    offset: 0x%x\n    len: %d KiB\n"
                              "    delay: %d.5us\n    tag: 'entry %d'\n    lanes: [%d, %d, %d]\n",
                              i % 2 ? "read" : "write", i * 4096, 1 + i % 64, i % 100, i, i % 4,
                              i % 8, i % 16);
    *len = o;
    return t;
}

/* Parses with libyaml's event API only, the way yml.c drives it. */
static int libyaml_events(const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int events = 0, done = 0;
    if (!yaml_parser_initialize(&p))
        return -1;
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            events = -1;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        events++;
    }
    yaml_parser_delete(&p);
    return events;
}

static size_t count_nodes(const struct yml_node *n)
{
    size_t c = 1;
    for (size_t i = 0; i < yml_seq_len(n); i++)
        c += count_nodes(yml_seq_item(n, i));
    for (size_t i = 0; i < yml_map_len(n); i++)
        c += count_nodes(yml_map_key(n, i)) + count_nodes(yml_map_value(n, i));
    return c;
}

/* Reads every entry with typed getters; returns the calls made, 0 on error. */
static uint64_t read_all(const struct yml_doc *doc, uint64_t *sink)
{
    struct yml_error err;
    const struct yml_node *w = yml_map_get(yml_root(doc), "workload");
    uint64_t calls = 0;
    for (size_t i = 0; i < yml_seq_len(w); i++) {
        const struct yml_node *e = yml_seq_item(w, i);
        uint64_t off, len, delay;
        const char *tag;
        if (yml_get_u64(doc, yml_map_get(e, "offset"), 0, UINT64_MAX, &off, &err) ||
            yml_get_size(doc, yml_map_get(e, "len"), 1, 1ull << 30, &len, &err) ||
            yml_get_time_ps(doc, yml_map_get(e, "delay"), 0, SIM_S, &delay, &err) ||
            yml_get_str(doc, yml_map_get(e, "tag"), &tag, &err)) {
            fprintf(stderr, "bench_yml: %s\n", err.msg);
            return 0;
        }
        *sink += off + len + delay + (uint8_t)tag[0];
        calls += 4;
    }
    return calls;
}

int main(void)
{
    size_t len;
    char *text = make_doc(&len);
    if (text == NULL)
        return 1;
    double mib = (double)len / (1024.0 * 1024.0);
    double best_load = 1e30, best_events = 1e30, best_get = 1e30;
    size_t nodes = 0;
    uint64_t sink = 0;
    for (int r = 0; r < REPEATS; r++) {
        struct yml_doc *doc = NULL;
        struct yml_error err;
        uint64_t t0 = now_ns();
        if (yml_load_string("bench.yml", text, len, &doc, &err) != IOSIM_OK) {
            fprintf(stderr, "bench_yml: %s\n", err.msg);
            return 1;
        }
        uint64_t t1 = now_ns();
        uint64_t calls = read_all(doc, &sink);
        uint64_t t2 = now_ns();
        if (calls == 0 || libyaml_events(text, len) < 0)
            return 1;
        uint64_t t3 = now_ns();
        nodes = count_nodes(yml_root(doc));
        best_load = (double)(t1 - t0) < best_load ? (double)(t1 - t0) : best_load;
        best_get = (double)(t2 - t1) / (double)calls < best_get ? (double)(t2 - t1) / (double)calls
                                                                 : best_get;
        best_events = (double)(t3 - t2) < best_events ? (double)(t3 - t2) : best_events;
        yml_free(doc);
    }
    printf("# input %.2f MiB, %zu nodes, sink %llu\n", mib, nodes, (unsigned long long)sink);
    printf("bench: yml.load %.1f MiB/s\n", mib / (best_load / 1e9));
    printf("bench: yml.libyaml_events %.1f MiB/s\n", mib / (best_events / 1e9));
    printf("bench: yml.load_per_node %.1f ns\n", best_load / (double)nodes);
    printf("bench: yml.getter %.1f ns\n", best_get);
    free(text);
    return 0;
}
