/*
 * opts.h - a subcommand's options, declared once, parsed the GNU way.
 *
 * Each `iosim` subcommand describes its command line in one declaration: a
 * table of options (long name, short letter, the value's name, one line of
 * help, how the value is read and where it goes), its operands and the text
 * around them. cli_opts_parse reads argv with getopt_long against that
 * table, and `--help` prints text generated from it, so what the help says
 * and what the parser accepts cannot drift apart. Every command gets the
 * same conventions: `--seed=5` and `--seed 5`, `-j2` and `-j 2`, unique
 * prefixes of long names, options before or after operands, `--` ending
 * the options, `-h`/`--help`, and one form for every mistake -
 * `iosim <cmd>: <what is wrong>`, a blank line and the help on stderr,
 * exit status 2.
 *
 *     struct { const char *path; uint64_t seed; bool seed_set; } a = {0};
 *     const struct cli_opt opts[] = {
 *         {.name = "seed", .metavar = "N", .help = "seed of the run",
 *          .parse = cli_opt_u64, .dest = &a.seed, .max = UINT64_MAX,
 *          .seen = &a.seed_set, .wants = "a non-negative integer"},
 *         {0},
 *     };
 *     const struct cli_command cmd = {
 *         .name = "run", .about = "Runs one scenario.\n", .opts = opts,
 *         .operand = {.metavar = "SCENARIO", .parse = cli_opt_text, .dest = &a.path},
 *         .max_operands = 1, .missing = "no scenario given"};
 *     int st = cli_opts_parse(&cmd, argc, argv);   // argv[0] is "run"
 *     if (st != CLI_OPTS_GO_ON)
 *         return st;   // 0 after --help, 2 after a mistake (already reported)
 *
 * The tables usually live on the caller's stack, pointing into its
 * argument struct. Not reentrant: getopt_long keeps global state, which
 * every call resets.
 */
#ifndef IOSIM_CLI_OPTS_H
#define IOSIM_CLI_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Options a command may declare, `--help` not counted. */
#define CLI_OPTS_MAX 16

/* What cli_opts_parse returns when the command should go on. */
#define CLI_OPTS_GO_ON (-1)

struct cli_opt;

/* Reads one value into o->dest; false when the text is not a valid value
 * (the caller then reports "<option> wants <o->wants>, got '<text>'"). */
typedef bool cli_opt_parse_fn(const struct cli_opt *o, const char *text);

struct cli_opt {
    const char *name;         /* long name without "--", or NULL */
    char letter;              /* short form, or 0; never 'h' (help) */
    const char *metavar;      /* the value's name in the help ("N"); NULL: takes no value */
    const char *help;         /* one line for --help */
    cli_opt_parse_fn *parse;  /* reads the value; may be NULL for an option without one */
    void *dest;               /* where parse puts the value */
    uint64_t min, max;        /* cli_opt_u64: the accepted range */
    const char *wants;        /* what a valid value is, for the error message */
    bool *seen;               /* set when the option is given, or NULL */
};

struct cli_command {
    const char *name;         /* the subcommand: "run" */
    const char *about;        /* paragraph(s) after the usage line, '\n'-terminated */
    const char *notes;        /* after the option list (output, exit status), or NULL */
    const struct cli_opt *opts; /* ends with an entry with neither name nor letter */
    struct cli_opt operand;   /* metavar is the synopsis ("PATH..."); parse takes one */
    unsigned max_operands;    /* more is "unexpected argument"; 0: any number */
    const char *missing;      /* said when no operand is given; NULL: operands optional */
};

/* Parses argv[1..argc) (argv[0] names the subcommand), filling the
 * declared destinations in order. CLI_OPTS_GO_ON when the command should
 * run; 0 when it printed the help on stdout; 2 when it reported a mistake
 * on stderr. Rearranges nothing in argv. */
int cli_opts_parse(const struct cli_command *c, int argc, char **argv);

/* A usage mistake the command found after parsing (two options that
 * exclude each other, a value out of range together): "iosim CMD: what",
 * a blank line and the usage on stderr, as cli_opts_parse reports its
 * own. Returns 2 (CLI_EXIT_USAGE). */
__attribute__((format(printf, 2, 3))) int cli_opts_mistake(const struct cli_command *c,
                                                           const char *fmt, ...);

/* The help generated from the declaration: the usage line first
 * ("usage: iosim <cmd> ..."), then about, the options, notes. */
void cli_opts_help(const struct cli_command *c, FILE *f);

/* Parsers for the common kinds of value. */
cli_opt_parse_fn cli_opt_text; /* dest is const char **: the text itself */
cli_opt_parse_fn cli_opt_u64;  /* dest is uint64_t *: decimal or 0x hex in [min, max] */

#endif /* IOSIM_CLI_OPTS_H */
