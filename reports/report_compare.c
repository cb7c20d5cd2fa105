/* The HTML report's comparison (section 8; see report_html.h): when the
 * file holds exactly one real capture (run.policy 'capture', from iosim
 * import) and one simulated run, the two side by side as `iosim compare
 * DB --run CAPTURE --run SIMULATED -o` shows them (reports/compare.h).
 * Any other file: no section, so other reports stay as they were. */
#include <inttypes.h>
#include <stdlib.h>

#include "reports/compare.h"
#include "reports/html.h"
#include "reports/report_html_internal.h"

void rh_section_compare(struct rh_ctx *c)
{
    int64_t captures = rh_scalar(c->db, "SELECT count(*) FROM run WHERE policy = 'capture'", 0, 0);
    int64_t others =
        rh_scalar(c->db, "SELECT count(*) FROM run WHERE policy IS NOT 'capture'", 0, 0);
    if (captures != 1 || others != 1 || c->path == NULL)
        return;
    int64_t a = rh_scalar(c->db, "SELECT id FROM run WHERE policy = 'capture'", 0, 0);
    int64_t b = rh_scalar(c->db, "SELECT id FROM run WHERE policy IS NOT 'capture'", 0, 0);
    static const char prefix[] = "8. Capture against simulation: ";
    html_section(c->f, "comparison", "8. Capture against simulation");
    char line[200];
    snprintf(line, sizeof line, "The capture (run %" PRId64 ") is A, the reference; the simulated "
             "run (%" PRId64 ") is B. The same as iosim compare DB --run %" PRId64 " --run %" PRId64
             " -o FILE.html.", a, b, a, b);
    html_note(c->f, line);
    struct cmp_report r;
    char msg[256];
    if (cmp_compute(c->path, a, b, &r, msg, sizeof msg) != IOSIM_OK) {
        html_note(c->f, msg);
        html_section_end(c->f);
        return;
    }
    html_section_end(c->f);
    cmp_html_sections(&r, NULL, 0, 0, false, prefix, c->f);
    cmp_report_free(&r);
}
