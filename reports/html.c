/* A self-contained HTML page; see html.h. */
#include "reports/html.h"

#include <assert.h>

static const char style[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222;max-width:1200px}"
    "h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}"
    "h3{font-size:1.05em}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.pass{background:#d8f0d8}td.fail{background:#f6d0d0}"
    "td.code,code{font-family:monospace;white-space:pre-wrap;word-break:break-all}"
    "p.note{color:#666;font-style:italic}svg.chart{display:block;margin:.5em 0;"
    "background:#fff;border:1px solid #eee}svg.small{display:inline-block;margin:0 .5em .5em 0}"
    "svg text{font:11px sans-serif;fill:#333}"
    "footer{color:#888;margin-top:2em;font-size:.9em}";

void html_text(FILE *f, const char *s)
{
    assert(f != NULL);
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void html_page_begin(FILE *f, const char *title)
{
    assert(f != NULL && title != NULL);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\"><title>", f);
    html_text(f, title);
    fprintf(f, "</title><style>%s</style></head>\n<body>\n<h1>", style);
    html_text(f, title);
    fputs("</h1>\n", f);
}

void html_page_end(FILE *f)
{
    assert(f != NULL);
    fputs("<footer id=\"report-end\">written by iosim report</footer>\n</body></html>\n", f);
}

void html_section(FILE *f, const char *id, const char *title)
{
    assert(f != NULL && id != NULL && title != NULL);
    fprintf(f, "<section id=\"%s\"><h2>", id);
    html_text(f, title);
    fputs("</h2>\n", f);
}

void html_section_end(FILE *f)
{
    fputs("</section>\n", f);
}

void html_note(FILE *f, const char *text)
{
    fputs("<p class=\"note\">", f);
    html_text(f, text);
    fputs("</p>\n", f);
}

void html_heading(FILE *f, const char *text)
{
    fputs("<h3>", f);
    html_text(f, text);
    fputs("</h3>\n", f);
}

void html_table_begin(FILE *f, const char *const *headers, int n)
{
    assert(f != NULL && n > 0);
    fputs("<table><tr>", f);
    for (int i = 0; i < n; i++) {
        fputs("<th>", f);
        html_text(f, headers[i]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
}

void html_row_begin(FILE *f)
{
    fputs("<tr>", f);
}

void html_cell(FILE *f, const char *text, const char *cls)
{
    if (cls != NULL)
        fprintf(f, "<td class=\"%s\">", cls);
    else
        fputs("<td>", f);
    html_text(f, text);
    fputs("</td>", f);
}

void html_row_end(FILE *f)
{
    fputs("</tr>\n", f);
}

void html_table_end(FILE *f)
{
    fputs("</table>\n", f);
}
