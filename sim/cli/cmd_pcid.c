/*
 * `iosim pcid`: pcid's enumeration on a real machine's configuration
 * space, read from a dump (lspci hex text, or a sysfs devices directory),
 * without a simulation: what pcid finds there, one function per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "impl/drivers/pcid/pcid.h"
#include "impl/drivers/pcid/pcid_dump.h"
#include "sim/cli/cli.h"
#include "sim/scenario/pci_dump_file.h"

/* What the dump leaves unknown about f's capabilities, for its line. */
static void print_caps(const struct pcid_func *f, const struct pcid_dump_unknown *u)
{
    char caps[96];
    pcid_caps_text(f, caps, sizeof caps);
    if (u->cap_first)
        printf(" caps [not dumped]");
    else if (u->cap_at != 0)
        printf(" caps [%s, then not dumped]", caps);
    else
        printf(" caps [%s]", caps);
}

/* The lines saying what the dump did not hold (pcid_dump.h). */
static void print_unknown(const struct pcid_func *f, const struct pcid_dump_unknown *u)
{
    for (unsigned i = 0; i < u->nbars; i++) {
        const struct pcid_dump_unsized_bar *b = &u->bars[i];
        if (f->bar[b->index].kind != PCID_BAR_NONE)
            continue;
        printf("  bar%u %s%s size unknown (not in the dump) at 0x%llx\n", b->index,
               pcid_bar_kind_name(b->kind), b->prefetch ? " prefetchable" : "",
               (unsigned long long)b->addr);
    }
    if (u->cap_at != 0)
        printf("  problem: the capability list %s at 0x%02x, beyond the %u bytes dumped: "
               "capabilities unknown (a dump of 256 bytes, lspci -xxx as root, has them)\n",
               u->cap_first ? "starts" : "goes on", u->cap_at, u->len);
}

static void print_func(const struct pcid_func *f, const struct pcid_dump *dump, uint16_t domain)
{
    char bdf[PCID_BDF_LEN];
    struct pcid_dump_unknown u = {0};
    const struct pcid_dump_func *df = pcid_dump_find(dump, domain, f->bus, f->dev, f->fn);
    if (df != NULL)
        pcid_dump_unknown(df, &u);
    pcid_bdf(f, bdf);
    printf("%s %04x:%04x class %02x%02x%02x rev %02x", bdf, f->vendor, f->device, f->class_code,
           f->subclass, f->prog_if, f->revision);
    if (f->bridge)
        printf(" bridge bus %02x-%02x", f->secondary, f->subordinate);
    print_caps(f, &u);
    if (f->msix.present)
        printf(" msix-table bar%u+0x%x", f->msix.table_bar, f->msix.table_off);
    printf(" problems %#x\n", f->problems);
    for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
        const struct pcid_bar *b = &f->bar[k];
        if (b->kind == PCID_BAR_NONE)
            continue;
        printf("  bar%u %s%s size %llu at 0x%llx\n", k, pcid_bar_kind_name(b->kind),
               b->prefetch ? " prefetchable" : "", (unsigned long long)b->size,
               (unsigned long long)b->addr);
    }
    print_unknown(f, &u);
}

/* Reads the command line into *path and *domain: what cli_opts_parse returns. */
static int parse_pcid_args(int argc, char **argv, const char **path, uint64_t *domain)
{
    const struct cli_opt opts[] = {
        {.name = "domain", .metavar = "N", .parse = cli_opt_u64, .dest = domain, .max = 0xffff,
         .wants = "0..0xffff",
         .help = "the PCI domain (segment) to enumerate, 0..0xffff (default: 0)"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "pcid",
        .about = "Runs pcid's enumeration on the configuration space of a real machine and\n"
                 "prints what it finds: per function its address, IDs, class, kind (and a\n"
                 "bridge's bus numbers), the capabilities pcid understood and any problems,\n"
                 "then one line per BAR (kind, size by the sizing protocol, address). DUMP is\n"
                 "lspci output with hex dumps (lspci -xxx or -vvvxxxx; sizes from its Region\n"
                 "lines) or a directory like /sys/bus/pci/devices (config files; sizes from\n"
                 "resource). What the dump does not hold is said, not taken for absent: a BAR\n"
                 "whose size it does not give is listed with its kind and address and \"size\n"
                 "unknown\"; a capability list that starts or goes on past the dumped bytes\n"
                 "(a 64-byte lspci -x) is a \"problem:\" line and \"not dumped\" in caps [...].\n",
        .notes = "Ends with the line `N functions, problems P`. Exit status 2 for a dump that\n"
                 "does not parse.\n",
        .opts = opts,
        .operand = {.metavar = "DUMP", .parse = cli_opt_text, .dest = path},
        .max_operands = 1,
        .missing = "no dump given",
    };
    return cli_opts_parse(&cmd, argc, argv);
}

int cli_pcid(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t domain = 0;
    int parsed = parse_pcid_args(argc, argv, &path, &domain);
    if (parsed != CLI_OPTS_GO_ON)
        return parsed;
    struct stat st;
    bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    struct pcid_dump *dump = calloc(1, sizeof *dump);
    struct pcid_dump_view *view = calloc(1, sizeof *view);
    struct pcid_topology *topo = calloc(1, sizeof *topo);
    int rc = CLI_EXIT_USAGE;
    char msg[600];
    if (dump == NULL || view == NULL || topo == NULL) {
        fprintf(stderr, "iosim pcid: out of memory\n");
    } else if (sim_pci_dump_read(path, dir, dump, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "%s\n", msg);
    } else if (dump->count == 0) {
        fprintf(stderr, "%s: no configuration-space dump in it (lspci -x output, or a directory "
                        "of DDDD:BB:DD.F/config)\n", path);
    } else {
        pcid_dump_view_init(view, dump, (uint16_t)domain, PCID_DUMP_UNSIZED_ABSENT);
        struct pcid_enum_opts o = {.size_bars = true};
        if (pcid_dump_enumerate(view, &o, topo) != IOSIM_OK) {
            fprintf(stderr, "iosim pcid: enumeration failed\n");
        } else {
            for (uint32_t i = 0; i < topo->count; i++)
                print_func(&topo->funcs[i], dump, (uint16_t)domain);
            printf("%u functions, problems %#x\n", topo->count, topo->problems);
            rc = CLI_EXIT_PASS;
        }
    }
    free(dump);
    free(view);
    free(topo);
    return rc;
}
