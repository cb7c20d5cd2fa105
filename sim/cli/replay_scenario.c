/* The scenario replaying a capture's disk requests; see replay_scenario.h. */
#include "sim/cli/replay_scenario.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "impl/port/spec/scsi.h"

#define REPLAY_IO_BYTES_MAX (1u << 20) /* fio's largest request; longer ones are split */

/* YAML's double-quoted form of n bytes of a path or name. */
static void put_quoted_n(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void cli_replay_scenario_name(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    snprintf(buf, cap, "%.*s", (int)len, base);
}

/* The iolog: one line per request, longer ones split at 1 MiB. */
static void put_iolog(FILE *f, const struct cap_replay *r)
{
    if (r->n == 0)
        fprintf(f, "        # no read, write or flush in the capture\n");
    for (size_t i = 0; i < r->n; i++) {
        const struct cap_replay_io *io = &r->io[i];
        if (io->op == 'f') {
            fprintf(f, "        f 0 0 %" PRIu64 "\n", io->think_ns);
            continue;
        }
        uint64_t off = io->lba * r->block_bytes, left = (uint64_t)io->blocks * r->block_bytes;
        for (uint64_t think = io->think_ns; left > 0; think = 0) {
            uint64_t len = left < REPLAY_IO_BYTES_MAX ? left : REPLAY_IO_BYTES_MAX;
            fprintf(f, "        %c %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", io->op, off, len, think);
            off += len;
            left -= len;
        }
    }
}

bool cli_replay_speed_ok(const char *speed)
{
    return strcmp(speed, "full") == 0 || strcmp(speed, "high") == 0 || strcmp(speed, "super") == 0;
}

uint64_t cli_replay_scenario_ios(const struct cap_replay *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t bytes = (uint64_t)r->io[i].blocks * r->block_bytes;
        n += r->io[i].op == 'f' ? 1 : (bytes + REPLAY_IO_BYTES_MAX - 1) / REPLAY_IO_BYTES_MAX;
    }
    return n;
}

uint64_t cli_replay_scenario_blocks(const struct cap_replay *r)
{
    uint32_t bs = r->block_bytes == 4096 ? 4096 : 512;
    if (r->capacity_blocks != 0) { /* the size the host was told, if it covers every request */
        uint64_t end = r->capacity_blocks > r->end_lba ? r->capacity_blocks : r->end_lba;
        return end * r->block_bytes / bs;
    }
    uint64_t blocks = r->end_lba * r->block_bytes / bs; /* else what it touched, 32 MiB at least */
    return blocks < 65536 ? 65536 : blocks;
}

static void put_header(FILE *f, const struct cli_replay_scenario *o, const struct cap_replay *r)
{
    fprintf(f, "# Written by iosim from %s (%s): bus %u device %u,\n", o->source, o->format, r->bus,
            r->dev);
    fprintf(f, "# %zu SCSI commands over %.6f s; %zu reads, writes and flushes replayed.\n",
            r->commands, (double)r->span_ns / 1e9, r->n);
    fprintf(f, "# Left to usbscsid, which sends its own at bring-up:");
    for (size_t i = 0; i < r->nother; i++)
        fprintf(f, "%s %s x%u", i == 0 ? "" : ",", scsi_op_name(r->other[i].opcode),
                r->other[i].count);
    fprintf(f, "%s\nscenario: ", r->nother == 0 ? " none" : "");
    put_quoted_n(f, o->name, strlen(o->name));
    fprintf(f, "\ndescription: >\n  The disk requests of a real capture, replayed by fio's iolog against\n"
               "  a simulated usb_storage device through xhcid and usbscsid.\n");
}

static void put_device(FILE *f, const struct cli_replay_scenario *o, const struct cap_replay *r)
{
    const char *speed = o->speed != NULL ? o->speed : "high";
    fprintf(f, "devices:\n  - {name: xhci0, type: xhci, profile: qemu, at: \"04.0\", irq: 20}\n");
    fprintf(f, "  - {name: disk, type: usb_storage, controller: xhci0, port: %d, speed: %s, "
               "blocks: %" PRIu64 ", block_size: %u",
            strcmp(speed, "super") == 0 ? 1 : 5, speed, cli_replay_scenario_blocks(r),
            r->block_bytes == 4096 ? 4096u : 512u);
    if (o->profile != NULL) {
        fprintf(f, ",\n     profile: ");
        put_quoted_n(f, o->profile, strlen(o->profile));
    } else if (o->profile_map != NULL) {
        fprintf(f, ",\n     profile: %s", o->profile_map);
    }
    fprintf(f, "}\n");
}

void cli_replay_scenario_put(FILE *f, const struct cli_replay_scenario *o,
                             const struct cap_replay *r)
{
    put_header(f, o, r);
    fprintf(f, "seed: 1\npolicy: fifo\ntime_limit: %" PRIu64 "s\n",
            30 + 3 * (r->span_ns / 1000000000u));
    fprintf(f, "machine:\n  cpus: 2\n  memory: 64MiB\n  kernel: true\n"
               "  pci: {ecam: 0xe0000000, buses: 4}\n");
    put_device(f, o, r);
    fprintf(f, "processes:\n  - name: pcid\n    run: pcid\n    args:\n      buses: 4\n"
               "      until_drivers_exit: 1\n"
               "      drivers: \"class=0x0c subclass=0x03 prog_if=0x30 driver=xhcid "
               "until_configured=1 until_drivers_exit=1 class_args=until_clients=1,max_xfer=%u\"\n",
            REPLAY_IO_BYTES_MAX);
    fprintf(f, "  - name: replay\n    run: fio\n    args:\n      name: replay\n      iolog: |\n");
    put_iolog(f, r);
    fprintf(f, "expect:\n  - process: {name: replay, exit: 0}\n"
               "  - trace: {table: fio_io, where: {job: replay}, count: %" PRIu64 "}\n",
            cli_replay_scenario_ios(r));
}
