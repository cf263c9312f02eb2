/* Build-time settings of tally. */
#ifndef TALLY_CONFIG_H
#define TALLY_CONFIG_H

/* Decimals printed for every amount in the report. */
#define TALLY_DECIMALS 2

/* Longest input line accepted, in bytes (including the newline). */
#define TALLY_MAX_LINE 4096

#endif
