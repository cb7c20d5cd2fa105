/* JUnit XML writer; see junit.h. */
#include "sim/cli/junit.h"

#include <inttypes.h>
#include <string.h>

static void xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* XML 1.0 forbids most control characters even escaped */
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                fputc('?', f);
            else
                fputc(*p, f);
        }
    }
}

/* "scenarios/suite/engine/basic.yaml" -> classname "scenarios.suite.engine" */
static void classname(FILE *f, const char *file)
{
    const char *slash = strrchr(file, '/');
    if (slash == NULL) {
        fputs("scenarios", f);
        return;
    }
    for (const char *p = file; p < slash; p++)
        fputc(*p == '/' ? '.' : *p == '"' || *p == '&' || *p == '<' ? '_' : *p, f);
}

static void write_case(FILE *f, const struct junit_case *c)
{
    const char *base = strrchr(c->file, '/');
    fputs("    <testcase classname=\"", f);
    classname(f, c->file);
    fputs("\" name=\"", f);
    xml_text(f, c->case_name != NULL ? c->case_name : base != NULL ? base + 1 : c->file);
    fprintf(f, "\" file=\"");
    xml_text(f, c->file);
    fprintf(f, "\" time=\"%.3f\">\n", c->wall_s);
    const struct sim_run_result *r = c->r;
    if (c->outcome == JUNIT_ERROR) {
        fputs("      <error message=\"", f);
        xml_text(f, c->error != NULL ? c->error : "error");
        fputs("\" type=\"error\">", f);
        xml_text(f, c->error != NULL ? c->error : "");
        if (r != NULL) {
            fputs("\nrepro: ", f);
            xml_text(f, r->repro);
        }
        fputs("</error>\n", f);
    } else if (c->outcome == JUNIT_FAIL) {
        fputs("      <failure message=\"", f);
        xml_text(f, r->failure_count ? r->failures[0] : "an expectation failed");
        fputs("\" type=\"expectation\">", f);
        for (uint32_t i = 0; i < r->failure_count; i++) {
            xml_text(f, r->failures[i]);
            fputc('\n', f);
        }
        fputs("repro: ", f);
        xml_text(f, r->repro);
        fputs("</failure>\n", f);
    }
    if (r != NULL) {
        fputs("      <system-out>scenario: ", f);
        xml_text(f, c->name);
        fprintf(f, "\nseed: %" PRIu64 " policy: ", r->seed);
        xml_text(f, r->policy);
        fprintf(f, "\nend_time_ps: %" PRIu64 "\ntrace-hash: %016" PRIx64 "</system-out>\n",
                r->end_ps, r->trace_hash);
    }
    fputs("    </testcase>\n", f);
}

bool junit_write(FILE *f, const char *suite_name, const struct junit_case *cases, size_t n)
{
    size_t failures = 0, errors = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        failures += cases[i].outcome == JUNIT_FAIL;
        errors += cases[i].outcome == JUNIT_ERROR;
        total += cases[i].wall_s;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"iosim\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
               "time=\"%.3f\">\n", n, failures, errors, total);
    fputs("  <testsuite name=\"", f);
    xml_text(f, suite_name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n",
            n, failures, errors, total);
    for (size_t i = 0; i < n; i++)
        write_case(f, &cases[i]);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return !ferror(f);
}
