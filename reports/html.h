/*
 * html.h - the pieces of a self-contained HTML page: escaping, the page's
 * head with its inline style sheet, sections, notes and tables.
 *
 * Every string that comes from a trace database goes through html_text
 * (element content and attribute values alike: & < > " ' are escaped), so
 * a hostile file cannot add markup. The page loads nothing: no scripts,
 * fonts, images or style sheets from anywhere.
 *
 *     html_page_begin(f, "iosim report: out/traces.db");
 *     html_section(f, "failures", "Failures");
 *     html_note(f, "no failing run");
 *     html_page_end(f);
 *
 * The stream is borrowed; write errors are the caller's to check (ferror).
 */
#ifndef IOSIM_REPORTS_HTML_H
#define IOSIM_REPORTS_HTML_H

#include <stdio.h>

/* Writes s (NULL: nothing) with & < > " ' escaped. */
void html_text(FILE *f, const char *s);

/* <!DOCTYPE html>, the head (title escaped, inline CSS) and <body><h1>. */
void html_page_begin(FILE *f, const char *title);

/* The closing marker (id "report-end") and </body></html>. */
void html_page_end(FILE *f);

/* <section id=ID><h2>TITLE</h2> ... ; closes the previous one if open.
 * id is a fixed name of the caller's ([a-z0-9-]), not escaped. */
void html_section(FILE *f, const char *id, const char *title);
void html_section_end(FILE *f);

/* <p class="note">text</p>, escaped. */
void html_note(FILE *f, const char *text);

/* <h3>text</h3>, escaped. */
void html_heading(FILE *f, const char *text);

/* A table: html_table_begin with the header cells, then rows of cells
 * (html_row_begin, html_cell for each, html_row_end), html_table_end.
 * Cells are escaped; a class ("pass", "fail", "code") or NULL. */
void html_table_begin(FILE *f, const char *const *headers, int n);
void html_row_begin(FILE *f);
void html_cell(FILE *f, const char *text, const char *cls);
void html_row_end(FILE *f);
void html_table_end(FILE *f);

#endif /* IOSIM_REPORTS_HTML_H */
