/* A subcommand's options, declared once and parsed by getopt_long; see opts.h. */
#include "sim/cli/opts.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/util/num.h"
#include "sim/cli/cli.h"

/* getopt_long's code for the i-th entry's long name: above every char, so
 * that a long name never shares a code with a short letter. */
#define LONG_CODE_BASE 256

/* Every command's last entry. */
static const struct cli_opt help_opt = {
    .name = "help", .letter = 'h', .help = "print this help and exit"};

/* The command's entries in order, help last. */
struct table {
    const struct cli_opt *e[CLI_OPTS_MAX + 1];
    size_t n;
};

/* getopt_long's view of a table. */
struct getopt_tables {
    struct option longs[CLI_OPTS_MAX + 2];
    char shorts[2 + 2 * (CLI_OPTS_MAX + 1) + 1];
};

/* An option's name as the text shows it. */
struct opt_text {
    char s[96];
};

static void table_of(const struct cli_command *c, struct table *t)
{
    t->n = 0;
    for (const struct cli_opt *o = c->opts; o != NULL && (o->name != NULL || o->letter != 0);
         o++) {
        ASSERT(t->n < CLI_OPTS_MAX);
        t->e[t->n++] = o;
    }
    t->e[t->n++] = &help_opt;
    /* A declaration mistake is the programmer's, so it is an assertion: an
     * option without help, a letter getopt reserves or help's 'h', a letter
     * or a name given to two options. */
    for (size_t i = 0; i < t->n; i++) {
        ASSERT(t->e[i]->help != NULL);
        ASSERT(t->e[i] == &help_opt || t->e[i]->letter == 0 ||
               strchr("h:-?", t->e[i]->letter) == NULL);
        for (size_t j = 0; j < i; j++) {
            ASSERT(t->e[i]->letter == 0 || t->e[i]->letter != t->e[j]->letter);
            ASSERT(t->e[i]->name == NULL || t->e[j]->name == NULL ||
                   strcmp(t->e[i]->name, t->e[j]->name) != 0);
        }
    }
}

static void getopt_tables(const struct table *t, struct getopt_tables *g)
{
    /* '-': operands come back in order as code 1 instead of being permuted
     * to the end, so options may follow operands (repro lines put --seed
     * after the scenario) whatever POSIXLY_CORRECT says, and argv stays as
     * it was. ':': getopt prints nothing and reports a missing value as ':',
     * so every message has our form. */
    size_t s = 0, l = 0;
    g->shorts[s++] = '-';
    g->shorts[s++] = ':';
    for (size_t i = 0; i < t->n; i++) {
        const struct cli_opt *o = t->e[i];
        int has_arg = o->metavar != NULL ? required_argument : no_argument;
        if (o->letter != 0) {
            g->shorts[s++] = o->letter;
            if (has_arg == required_argument)
                g->shorts[s++] = ':';
        }
        if (o->name != NULL)
            g->longs[l++] = (struct option){o->name, has_arg, NULL, LONG_CODE_BASE + (int)i};
    }
    g->shorts[s] = '\0';
    g->longs[l] = (struct option){0};
}

/* The entry getopt_long's code stands for, or NULL. */
static const struct cli_opt *entry_of(const struct table *t, int code)
{
    if (code >= LONG_CODE_BASE)
        return (size_t)(code - LONG_CODE_BASE) < t->n ? t->e[code - LONG_CODE_BASE] : NULL;
    for (size_t i = 0; i < t->n && code != 0; i++)
        if (t->e[i]->letter == code)
            return t->e[i];
    return NULL;
}

/* How messages and the usage line name o: as typed when getopt_long's code
 * says it came as its letter, else "--seed", "-j", an operand's metavar. */
static struct opt_text called(const struct cli_opt *o, int code)
{
    struct opt_text n;
    if (o->name != NULL && !(o->letter != 0 && code == o->letter))
        snprintf(n.s, sizeof n.s, "--%s", o->name);
    else if (o->letter != 0)
        snprintf(n.s, sizeof n.s, "-%c", o->letter);
    else
        snprintf(n.s, sizeof n.s, "%s", o->metavar != NULL ? o->metavar : "argument");
    return n;
}

/* How the option list shows o: "-j N", "--seed N", "-h, --help". */
static struct opt_text listed(const struct cli_opt *o)
{
    char letter[3] = {'-', o->letter, '\0'};
    struct opt_text n;
    snprintf(n.s, sizeof n.s, "%s%s%s%s%s%s", o->letter != 0 ? letter : "",
             o->letter != 0 && o->name != NULL ? ", " : "", o->name != NULL ? "--" : "",
             o->name != NULL ? o->name : "", o->metavar != NULL ? " " : "",
             o->metavar != NULL ? o->metavar : "");
    return n;
}

/* "iosim <cmd>: <what>", a blank line and the help, on stderr: status 2. */
int cli_opts_mistake(const struct cli_command *c, const char *fmt, ...)
{
    fprintf(stderr, "iosim %s: ", c->name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    cli_opts_help(c, stderr);
    return CLI_EXIT_USAGE;
}

/* Gives o its value (NULL for an option without one); code is getopt_long's. */
static int take(const struct cli_command *c, const struct cli_opt *o, int code,
                const char *value)
{
    if (o->parse != NULL && !o->parse(o, value)) {
        ASSERT(o->wants != NULL);
        return cli_opts_mistake(c, "%s wants %s, got '%s'", called(o, code).s, o->wants, value);
    }
    if (o->seen != NULL)
        *o->seen = true;
    return CLI_OPTS_GO_ON;
}

static int operand(const struct cli_command *c, const char *text, size_t *count)
{
    if (c->max_operands != 0 && *count >= c->max_operands)
        return cli_opts_mistake(c, "unexpected argument '%s'", text);
    ++*count;
    return take(c, &c->operand, 1, text);
}

/* How many long names begin with the n bytes at prefix. */
static size_t long_matches(const struct table *t, const char *prefix, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        k += t->e[i]->name != NULL && strncmp(t->e[i]->name, prefix, n) == 0;
    return k;
}

/* getopt_long's '?': an unknown letter (in optopt), a long name that
 * matches none or several (optopt 0), or a value given to an option that
 * takes none (optopt its code). `word` is the argument that held it. */
static int unrecognized(const struct cli_command *c, const struct table *t, const char *word)
{
    const struct cli_opt *o = entry_of(t, optopt);
    if (o != NULL)
        return cli_opts_mistake(c, "option '%s' takes no value", called(o, optopt).s);
    if (optopt != 0)
        return cli_opts_mistake(c, "unrecognized option '-%c'", optopt);
    int n = (int)strcspn(word, "=");
    if (n > 2 && strncmp(word, "--", 2) == 0 && long_matches(t, word + 2, (size_t)n - 2) > 1)
        return cli_opts_mistake(c, "option '%.*s' is ambiguous", n, word);
    return cli_opts_mistake(c, "unrecognized option '%.*s'", n, word);
}

/* One code from getopt_long. */
static int one(const struct cli_command *c, const struct table *t, int code, char **argv,
               size_t *operands)
{
    if (code == 1)
        return operand(c, optarg, operands);
    if (code == ':') {
        const struct cli_opt *o = entry_of(t, optopt);
        ASSERT(o != NULL);
        return cli_opts_mistake(c, "option '%s' requires an argument", called(o, optopt).s);
    }
    if (code == '?')
        return unrecognized(c, t, argv[optind - 1]);
    const struct cli_opt *o = entry_of(t, code);
    ASSERT(o != NULL);
    if (o == &help_opt) {
        cli_opts_help(c, stdout);
        return CLI_EXIT_PASS;
    }
    return take(c, o, code, optarg);
}

int cli_opts_parse(const struct cli_command *c, int argc, char **argv)
{
    struct table t;
    struct getopt_tables g;
    table_of(c, &t);
    getopt_tables(&t, &g);
    size_t operands = 0;
    int st = CLI_OPTS_GO_ON;
    optind = 0; /* GNU: 0 starts a fresh scan, whatever argv came before */
    opterr = 0;
    int code;
    while (st == CLI_OPTS_GO_ON && (code = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1)
        st = one(c, &t, code, argv, &operands);
    /* what follows `--` is operands, whatever it looks like */
    for (int i = optind; st == CLI_OPTS_GO_ON && i < argc; i++)
        st = operand(c, argv[i], &operands);
    if (st == CLI_OPTS_GO_ON && operands == 0 && c->missing != NULL)
        st = cli_opts_mistake(c, "%s", c->missing);
    return st;
}

/* ---- the help ------------------------------------------------------------------ */

static void print_synopsis(const struct cli_command *c, const struct table *t, FILE *f)
{
    fprintf(f, "usage: iosim %s", c->name);
    if (c->operand.metavar != NULL)
        fprintf(f, " %s", c->operand.metavar);
    for (size_t i = 0; i + 1 < t->n; i++) { /* every entry but help */
        const struct cli_opt *o = t->e[i];
        fprintf(f, " [%s%s%s]", called(o, 0).s, o->metavar != NULL ? " " : "",
                o->metavar != NULL ? o->metavar : "");
    }
    fputc('\n', f);
}

static void print_options(const struct table *t, FILE *f)
{
    size_t width = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t len = strlen(listed(t->e[i]).s);
        width = len > width ? len : width;
    }
    fputs("options:\n", f);
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "  %-*s  %s\n", (int)width, listed(t->e[i]).s, t->e[i]->help);
}

/* The value forms and the ordering rules, with this command's own options
 * as the examples. */
static void print_forms(const struct table *t, FILE *f)
{
    const struct cli_opt *lng = NULL, *shrt = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct cli_opt *o = t->e[i];
        if (o->metavar != NULL && o->name != NULL && lng == NULL)
            lng = o;
        if (o->metavar != NULL && o->letter != 0 && shrt == NULL)
            shrt = o;
    }
    fputc('\n', f);
    if (lng != NULL)
        fprintf(f, "A value follows its option as `--%s %s` or `--%s=%s`%s", lng->name,
                lng->metavar, lng->name, lng->metavar, shrt != NULL ? ", " : ".\n");
    if (shrt != NULL)
        fprintf(f, "%s`-%c %s` or `-%c%s`.\n", lng != NULL ? "" : "A value follows its option as ",
                shrt->letter, shrt->metavar, shrt->letter, shrt->metavar);
    fputs("Options may come before or after operands, `--` ends them, and a long option\n"
          "may be shortened to any prefix that names only it.\n", f);
}

void cli_opts_help(const struct cli_command *c, FILE *f)
{
    struct table t;
    table_of(c, &t);
    print_synopsis(c, &t, f);
    fprintf(f, "\n%s\n", c->about);
    print_options(&t, f);
    print_forms(&t, f);
    if (c->notes != NULL)
        fprintf(f, "\n%s", c->notes);
}

/* ---- values -------------------------------------------------------------------- */

bool cli_opt_text(const struct cli_opt *o, const char *text)
{
    *(const char **)o->dest = text;
    return true;
}

bool cli_opt_u64(const struct cli_opt *o, const char *text)
{
    ASSERT(o->max != 0 && o->min <= o->max); /* a range left out would accept only 0 */
    uint64_t v;
    if (!num_parse_u64(text, strlen(text), o->max, &v) || v < o->min)
        return false;
    *(uint64_t *)o->dest = v;
    return true;
}
