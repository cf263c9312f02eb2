#include <stdlib.h>

#include "tally/tally.h"

int tally_push(struct tally_values *v, double x)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        double *items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = x;
    return 0;
}

void tally_free(struct tally_values *v)
{
    free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}
