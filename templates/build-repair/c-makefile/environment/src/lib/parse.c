#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tally/tally.h"

int tally_parse_line(const char *line, double *out)
{
    const char *p = line;
    char *end;
    double x;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    errno = 0;
    x = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(x))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return -1;
    *out = x;
    return 1;
}

size_t tally_read(FILE *in, struct tally_values *v)
{
    char line[TALLY_MAX_LINE];
    size_t lineno = 0;

    while (fgets(line, sizeof line, in)) {
        double x;
        size_t n = strlen(line);
        lineno++;
        if (n == sizeof line - 1 && line[n - 1] != '\n')
            return lineno;
        switch (tally_parse_line(line, &x)) {
        case 1:
            if (tally_push(v, x) != 0)
                return lineno;
            break;
        case 0:
            break;
        default:
            return lineno;
        }
    }
    return 0;
}
