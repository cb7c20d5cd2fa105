/*
 * sim/cli/opts: one declaration of a command's options, parsed the GNU way
 * (value forms, operands anywhere, `--`, prefixes), one form for every
 * mistake, and a --help generated from the declaration.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli/cli.h"
#include "sim/cli/opts.h"

#define OPERANDS_MAX 8

/* What the test command's options and operands filled in. */
struct got {
    uint64_t num;
    bool num_seen, flag;
    const char *file;
    const char *ops[OPERANDS_MAX];
    size_t op_count;
};

static bool add_operand(const struct cli_opt *o, const char *text)
{
    struct got *g = o->dest;
    if (g->op_count == OPERANDS_MAX)
        return false;
    g->ops[g->op_count++] = text;
    return true;
}

/* `iosim t OPS... [--num N] [--flag] [--file PATH]`, three operands at most;
 * argv ends with NULL. */
static int parse(struct got *g, char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    const struct cli_opt opts[] = {
        {.name = "num", .letter = 'n', .metavar = "N", .help = "a number 1..9",
         .parse = cli_opt_u64, .dest = &g->num, .min = 1, .max = 9, .seen = &g->num_seen,
         .wants = "1..9"},
        {.name = "flag", .letter = 'f', .help = "a flag", .seen = &g->flag},
        {.name = "file", .metavar = "PATH", .help = "a file", .parse = cli_opt_text,
         .dest = &g->file},
        {0},
    };
    const struct cli_command cmd = {
        .name = "t", .about = "A test command.\n", .notes = "Notes.\n", .opts = opts,
        .operand = {.metavar = "OPS...", .parse = add_operand, .dest = g},
        .max_operands = 3, .missing = "no operand given"};
    *g = (struct got){0};
    return cli_opts_parse(&cmd, argc, argv);
}

/* Runs parse with file descriptor fd (1 or 2) captured; returns its status
 * and, in *text (to free), what was written there. */
static int captured(int fd, struct got *g, char **argv, char **text)
{
    FILE *stream = fd == 1 ? stdout : stderr;
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    fflush(stream);
    int saved = dup(fd);
    dup2(fileno(tmp), fd);
    int st = parse(g, argv);
    fflush(stream);
    dup2(saved, fd);
    close(saved);
    long len = ftell(tmp);
    cr_assert_geq(len, 0);
    *text = calloc(1, (size_t)len + 1);
    rewind(tmp);
    cr_assert_eq(fread(*text, 1, (size_t)len, tmp), (size_t)len);
    fclose(tmp);
    return st;
}

/* An argv of literals: getopt_long's prototype wants char **, and reads only. */
#define ARGV(...) ((char **)(const char *[]){"t", __VA_ARGS__, NULL})
#define PARSE(g, ...) parse(g, ARGV(__VA_ARGS__))

Test(opts, every_value_form_gives_the_same_value)
{
    struct got g;
    cr_expect_eq(PARSE(&g, "--num=5", "a"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 5 && g.num_seen);
    cr_expect_eq(PARSE(&g, "--num", "5", "a"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 5 && g.num_seen);
    cr_expect_eq(PARSE(&g, "a", "-n5"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 5 && g.num_seen);
    cr_expect_eq(PARSE(&g, "a", "-n", "5"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 5 && g.num_seen);
    cr_expect_eq(PARSE(&g, "a", "--nu=0x5"), CLI_OPTS_GO_ON, "a unique prefix, hex");
    cr_expect(g.num == 5 && g.num_seen);
    cr_expect_eq(PARSE(&g, "a", "-fn5"), CLI_OPTS_GO_ON, "letters cluster");
    cr_expect(g.num == 5 && g.flag);
    cr_expect_eq(PARSE(&g, "a"), CLI_OPTS_GO_ON);
    cr_expect(!g.num_seen && !g.flag && g.file == NULL, "nothing given, nothing set");
}

Test(opts, operands_anywhere_in_order_and_after_double_dash)
{
    struct got g;
    char **argv = ARGV("a", "--flag", "b", "--file=-x", "--", "-c");
    char *before[8]; /* "t", six arguments, NULL */
    memcpy(before, argv, sizeof before);
    cr_assert_eq(parse(&g, argv), CLI_OPTS_GO_ON);
    cr_expect_eq(g.op_count, 3);
    cr_expect_str_eq(g.ops[0], "a");
    cr_expect_str_eq(g.ops[1], "b");
    cr_expect_str_eq(g.ops[2], "-c", "after --, an operand that looks like an option");
    cr_expect(g.flag);
    cr_expect_str_eq(g.file, "-x");
    cr_expect_arr_eq(argv, before, sizeof before, "argv is not rearranged");
    cr_expect_eq(PARSE(&g, "--file", "--flag", "a"), CLI_OPTS_GO_ON);
    cr_expect(g.file != NULL && strcmp(g.file, "--flag") == 0 && !g.flag,
              "a required value is the next argument, whatever it looks like");
}

/* Each mistake: status 2, "iosim t: <what>", a blank line, the help. */
Test(opts, every_mistake_has_one_form)
{
    static const struct {
        const char *argv[6];
        const char *what;
    } cases[] = {
        {{"t", "a", "--nope", NULL}, "unrecognized option '--nope'"},
        {{"t", "a", "--nope=3", NULL}, "unrecognized option '--nope'"},
        {{"t", "a", "-x", NULL}, "unrecognized option '-x'"},
        {{"t", "a", "-fx", NULL}, "unrecognized option '-x'"},
        {{"t", "a", "--f", NULL}, "option '--f' is ambiguous"},
        {{"t", "a", "--num", NULL}, "option '--num' requires an argument"},
        {{"t", "a", "-n", NULL}, "option '-n' requires an argument"},
        {{"t", "a", "--flag=1", NULL}, "option '--flag' takes no value"},
        {{"t", "a", "--num=x1", NULL}, "--num wants 1..9, got 'x1'"},
        {{"t", "a", "-n", "0", NULL}, "-n wants 1..9, got '0'"},
        {{"t", "a", "--num", "10", NULL}, "--num wants 1..9, got '10'"},
        {{"t", "a", "b", "c", "d", NULL}, "unexpected argument 'd'"},
        {{"t", "--flag", NULL}, "no operand given"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        char *err;
        char **argv = (char **)cases[i].argv;
        cr_expect_eq(captured(2, &g, argv, &err), CLI_EXIT_USAGE, "case %zu", i);
        char want[128];
        snprintf(want, sizeof want, "iosim t: %s\n\nusage: iosim t ", cases[i].what);
        cr_expect(strncmp(err, want, strlen(want)) == 0, "case %zu: got '%s'", i, err);
        free(err);
    }
}

Test(opts, help_is_generated_from_the_declaration)
{
    struct got g;
    char *out;
    char **argv = ARGV("a", "--help");
    cr_assert_eq(captured(1, &g, argv, &out), CLI_EXIT_PASS);
    const char *first =
        "usage: iosim t OPS... [--num N] [--flag] [--file PATH]\n\nA test command.\n";
    cr_expect(strncmp(out, first, strlen(first)) == 0, "got '%s'", out);
    static const char *const lines[] = {
        "  -n, --num N  a number 1..9\n", "  -f, --flag   a flag\n",
        "  --file PATH  a file\n",        "  -h, --help   print this help and exit\n",
        "`--num N` or `--num=N`, `-n N` or `-nN`.\n", "\nNotes.\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_expect_not_null(strstr(out, lines[i]), "'%s' missing from:\n%s", lines[i], out);
    char *short_out;
    cr_expect_eq(captured(1, &g, ARGV("-h"), &short_out), CLI_EXIT_PASS);
    cr_expect_str_eq(short_out, out, "-h prints the same help");
    free(short_out);
    free(out);
}

Test(opts, each_call_starts_afresh)
{
    struct got g;
    char *err;
    char **argv = ARGV("a", "-fz", "-n3");
    cr_expect_eq(captured(2, &g, argv, &err), CLI_EXIT_USAGE, "stops inside a cluster");
    free(err);
    cr_expect_eq(PARSE(&g, "b", "-n4"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 4 && g.op_count == 1 && strcmp(g.ops[0], "b") == 0);
}

Test(opts, posixly_correct_changes_nothing)
{
    setenv("POSIXLY_CORRECT", "1", 1);
    struct got g;
    cr_expect_eq(PARSE(&g, "a", "--num=7"), CLI_OPTS_GO_ON);
    cr_expect(g.num == 7 && g.op_count == 1, "an option after an operand is still an option");
    unsetenv("POSIXLY_CORRECT");
}

/* A declaration that could not parse unambiguously is a bug: it aborts. */
static void parse_declared(const struct cli_opt *opts)
{
    const struct cli_command cmd = {.name = "t", .about = "A test command.\n", .opts = opts};
    (void)cli_opts_parse(&cmd, 1, ARGV(NULL));
}

Test(opts, one_letter_for_two_options_aborts, .signal = SIGABRT)
{
    parse_declared((const struct cli_opt[]){
        {.name = "a", .letter = 'x', .help = "a"}, {.name = "b", .letter = 'x', .help = "b"}, {0}});
}

Test(opts, one_name_for_two_options_aborts, .signal = SIGABRT)
{
    parse_declared((const struct cli_opt[]){
        {.name = "a", .help = "a"}, {.name = "a", .letter = 'b', .help = "b"}, {0}});
}

Test(opts, taking_help_s_letter_aborts, .signal = SIGABRT)
{
    parse_declared((const struct cli_opt[]){{.name = "hash", .letter = 'h', .help = "h"}, {0}});
}
