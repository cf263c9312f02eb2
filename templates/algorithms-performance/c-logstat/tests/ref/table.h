/* Reference for the sealed tests of algorithms-performance/c-logstat. canary: SYNTH-CANARY-70d01625797c2d55 */
/* A string-keyed hash table with long values (open addressing, linear probing). */
#ifndef TABLE_H
#define TABLE_H

#include <stddef.h>

struct table {
    char **keys;
    long *values;
    size_t cap, len;
};

void table_init(struct table *t, size_t cap);
/* The value slot of `key`, added with value -1 when missing (the key is copied). */
long *table_get_or_add(struct table *t, const char *key);

#endif
