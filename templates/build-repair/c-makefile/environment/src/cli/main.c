/* tally [FILE...]: summary statistics of numbers, one per line, from the files or stdin. */
#include <stdio.h>
#include <string.h>

#include "tally/tally.h"
#include "version.h"

static int read_named(const char *name, struct tally_values *v)
{
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
    size_t bad;

    if (!f) {
        perror(name);
        return -1;
    }
    bad = tally_read(f, v);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "tally: %s: line %zu: not a number\n", name, bad);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct tally_values v = {0};
    struct tally_summary s;
    int i, status = 0;

    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("tally %s\n", TALLY_VERSION);
        return 0;
    }
    if (argc == 1)
        status = read_named("-", &v);
    for (i = 1; i < argc && status == 0; i++)
        status = read_named(argv[i], &v);
    if (status != 0) {
        tally_free(&v);
        return 1;
    }
    s = tally_summarize(&v);
    tally_print(stdout, &s);
    tally_free(&v);
    return 0;
}
