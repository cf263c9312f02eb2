/* Unit tests of libtally, run by `make check`. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tally/tally.h"

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static void test_parse(void)
{
    double x = 0;
    CHECK(tally_parse_line("  42.5\n", &x) == 1 && x == 42.5);
    CHECK(tally_parse_line("-3e2", &x) == 1 && x == -300);
    CHECK(tally_parse_line("\n", &x) == 0);
    CHECK(tally_parse_line("# comment", &x) == 0);
    CHECK(tally_parse_line("12 apples", &x) == -1);
    CHECK(tally_parse_line("nan", &x) == -1);
}

static void test_summary(void)
{
    struct tally_values v = {0};
    double in[] = {4, 1, 3, 2, 5, 9};
    struct tally_summary s;
    size_t i;

    for (i = 0; i < sizeof in / sizeof in[0]; i++)
        CHECK(tally_push(&v, in[i]) == 0);
    s = tally_summarize(&v);
    CHECK(s.count == 6);
    CHECK(s.sum == 24 && s.mean == 4);
    CHECK(s.min == 1 && s.max == 9);
    CHECK(s.median == 3.5);
    CHECK(fabs(s.stddev - sqrt(40.0 / 5)) < 1e-12);
    tally_free(&v);

    s = tally_summarize(&v);
    CHECK(s.count == 0 && s.sum == 0);
}

static void test_print(void)
{
    struct tally_summary s = {3, 6, 1, 3, 2, 2, 1};
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");

    CHECK(f != NULL);
    if (!f)
        return;
    tally_print(f, &s);
    fclose(f);
    CHECK(strncmp(buf, "count  3\nsum    6.", 18) == 0);
}

int main(void)
{
    test_parse();
    test_summary();
    test_print();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all libtally tests passed\n");
    return 0;
}
