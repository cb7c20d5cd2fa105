/*
 * `iosim pcid`: pcid's enumeration on a real machine's configuration
 * space, read from a dump (lspci hex text, or a sysfs devices directory),
 * without a simulation: what pcid finds there, one function per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "impl/drivers/pcid/pcid.h"
#include "impl/drivers/pcid/pcid_dump.h"
#include "sim/cli/cli.h"
#include "sim/scenario/pci_dump_file.h"

static const char pcid_usage[] =
    "usage: iosim pcid DUMP [--domain N]\n"
    "\n"
    "Runs pcid's enumeration on the configuration space of a real machine and\n"
    "prints what it finds: per function its address, IDs, class, kind (and a\n"
    "bridge's bus numbers), the capabilities pcid understood and any problems,\n"
    "then one line per BAR (kind, size by the sizing protocol, address). DUMP is\n"
    "lspci output with hex dumps (lspci -xxx or -vvvxxxx; sizes from its Region\n"
    "lines) or a directory like /sys/bus/pci/devices (config files; sizes from\n"
    "resource). A BAR whose size the dump does not give is reported as absent.\n"
    "Exit status 2 for a dump that does not parse.\n";

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

int cli_pcid(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t domain = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(pcid_usage, stdout);
            return CLI_EXIT_PASS;
        } else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc) {
            if (!cli_parse_u64(argv[++i], &domain) || domain > 0xffff) {
                fprintf(stderr, "iosim pcid: --domain wants 0..0xffff, got '%s'\n", argv[i]);
                return CLI_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' || path != NULL) {
            fprintf(stderr, "iosim pcid: unexpected argument '%s'\n\n%s", argv[i], pcid_usage);
            return CLI_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fprintf(stderr, "iosim pcid: no dump given\n\n%s", pcid_usage);
        return CLI_EXIT_USAGE;
    }
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
