/* The fault swarm on the command line; see cli_faults.h. */
#include "sim/cli/cli_faults.h"

#include <stdio.h>
#include <string.h>

bool cli_faults_choose(const char *who, const struct sim_scenario *s, const char *mode,
                       const char *text, uint64_t seed, struct sim_faultset *fs,
                       const struct sim_faultset **out)
{
    *out = NULL;
    if (mode != NULL && text != NULL) {
        fprintf(stderr, "%s: give one of --faults and --fault-set\n", who);
        return false;
    }
    if (mode != NULL && strcmp(mode, "none") != 0 && strcmp(mode, "swarm") != 0) {
        fprintf(stderr, "%s: --faults: expected swarm or none, got '%s'\n", who, mode);
        return false;
    }
    if (text != NULL) {
        char msg[512];
        if (sim_faultset_parse(s, text, fs, msg, sizeof msg) != IOSIM_OK) {
            fprintf(stderr, "%s: --fault-set: %s\n", who, msg);
            return false;
        }
        *out = fs;
        return true;
    }
    if (mode == NULL || strcmp(mode, "none") == 0)
        return true;
    if (s->allowed_count == 0) {
        fprintf(stderr, "%s: %s allows no faults (no fuzz.faults): it runs without\n", who,
                s->file);
        return true;
    }
    sim_faultset_draw(s, seed, fs);
    *out = fs;
    return true;
}

bool cli_faults_of_command(const char *command, char *buf, size_t cap)
{
    static const char key[] = " --fault-set '";
    const char *p = command != NULL ? strstr(command, key) : NULL;
    if (p == NULL || cap == 0)
        return false;
    p += sizeof key - 1;
    const char *end = strchr(p, '\'');
    if (end == NULL || (size_t)(end - p) >= cap)
        return false;
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    return true;
}
