#include <math.h>
#include <stdlib.h>

#include "tally/tally.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct tally_summary tally_summarize(struct tally_values *v)
{
    struct tally_summary s = {0};
    size_t i;

    s.count = v->len;
    if (v->len == 0)
        return s;
    for (i = 0; i < v->len; i++)
        s.sum += v->items[i];
    s.mean = s.sum / (double)v->len;
    if (v->len > 1) {
        double sq = 0;
        for (i = 0; i < v->len; i++)
            sq += (v->items[i] - s.mean) * (v->items[i] - s.mean);
        s.stddev = sqrt(sq / (double)(v->len - 1));
    }
    qsort(v->items, v->len, sizeof v->items[0], cmp_double);
    s.min = v->items[0];
    s.max = v->items[v->len - 1];
    if (v->len % 2)
        s.median = v->items[v->len / 2];
    else
        s.median = (v->items[v->len / 2 - 1] + v->items[v->len / 2]) / 2;
    return s;
}
