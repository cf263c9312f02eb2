#include "tally/tally.h"

void tally_print(FILE *out, const struct tally_summary *s)
{
    fprintf(out, "count  %zu\n", s->count);
    if (s->count == 0)
        return;
    fprintf(out, "sum    %.*f\n", TALLY_DECIMALS, s->sum);
    fprintf(out, "min    %.*f\n", TALLY_DECIMALS, s->min);
    fprintf(out, "max    %.*f\n", TALLY_DECIMALS, s->max);
    fprintf(out, "mean   %.*f\n", TALLY_DECIMALS, s->mean);
    fprintf(out, "median %.*f\n", TALLY_DECIMALS, s->median);
    fprintf(out, "stddev %.*f\n", TALLY_DECIMALS, s->stddev);
}
