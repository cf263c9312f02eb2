/* Reference for the sealed tests of algorithms-performance/c-logstat. canary: SYNTH-CANARY-70d01625797c2d55 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void *zalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("logstat: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

void table_init(struct table *t, size_t cap)
{
    size_t c = 16;
    while (c < cap)
        c *= 2;
    t->cap = c;
    t->len = 0;
    t->keys = zalloc(c, sizeof *t->keys);
    t->values = zalloc(c, sizeof *t->values);
}

static void grow(struct table *t)
{
    struct table bigger;
    table_init(&bigger, t->cap * 2);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i])
            continue;
        size_t j = hash(t->keys[i]) & (bigger.cap - 1);
        while (bigger.keys[j])
            j = (j + 1) & (bigger.cap - 1);
        bigger.keys[j] = t->keys[i];
        bigger.values[j] = t->values[i];
    }
    bigger.len = t->len;
    free(t->keys);
    free(t->values);
    *t = bigger;
}

long *table_get_or_add(struct table *t, const char *key)
{
    if ((t->len + 1) * 4 > t->cap * 3)
        grow(t);
    size_t i = hash(key) & (t->cap - 1);
    while (t->keys[i]) {
        if (strcmp(t->keys[i], key) == 0)
            return &t->values[i];
        i = (i + 1) & (t->cap - 1);
    }
    t->keys[i] = strdup(key);
    if (!t->keys[i]) {
        fputs("logstat: out of memory\n", stderr);
        exit(2);
    }
    t->values[i] = -1;
    t->len++;
    return &t->values[i];
}
