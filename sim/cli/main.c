/* iosim command line (grows with the subcommands). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("iosim %s\n", IOSIM_BUILD_ID);
        return 0;
    }
    fprintf(stderr, "usage: iosim --version\n");
    return 2;
}
