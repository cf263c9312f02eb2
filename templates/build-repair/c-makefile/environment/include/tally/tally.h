/* tally: summary statistics of a column of numbers. */
#ifndef TALLY_H
#define TALLY_H

#include <stddef.h>
#include <stdio.h>

#include "tally/config.h"

struct tally_values {
    double *items;
    size_t len;
    size_t cap;
};

struct tally_summary {
    size_t count;
    double sum, min, max, mean, median, stddev;
};

/* Appends one value; returns 0, or -1 when out of memory. */
int tally_push(struct tally_values *v, double x);
void tally_free(struct tally_values *v);

/* Reads one number per line from `in`. Blank lines and lines starting with '#' are skipped;
 * spaces around a number are allowed. Returns 0, or the (1-based) number of the first line
 * that is not a number (or too long), with nothing appended from that line on. */
size_t tally_read(FILE *in, struct tally_values *v);

/* Parses one line; returns 1 for a number (stored in *out), 0 for a line to skip, -1 for
 * anything else. */
int tally_parse_line(const char *line, double *out);

/* Computes the summary; sorts v->items in place. count == 0 leaves the other fields 0. */
struct tally_summary tally_summarize(struct tally_values *v);

/* Writes the report: one `name value` line per statistic, TALLY_DECIMALS decimals. */
void tally_print(FILE *out, const struct tally_summary *s);

#endif
