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

static void print_func(const struct pcid_func *f)
{
    char bdf[PCID_BDF_LEN], caps[96];
    pcid_bdf(f, bdf);
    pcid_caps_text(f, caps, sizeof caps);
    printf("%s %04x:%04x class %02x%02x%02x rev %02x", bdf, f->vendor, f->device, f->class_code,
           f->subclass, f->prog_if, f->revision);
    if (f->bridge)
        printf(" bridge bus %02x-%02x", f->secondary, f->subordinate);
    printf(" caps [%s]", caps);
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
                 "resource). A BAR whose size the dump does not give is reported as absent.\n",
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
                print_func(&topo->funcs[i]);
            printf("%u functions, problems %#x\n", topo->count, topo->problems);
            rc = CLI_EXIT_PASS;
        }
    }
    free(dump);
    free(view);
    free(topo);
    return rc;
}
