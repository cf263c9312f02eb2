/* logstat: summary of a web access log (see README.md). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct client {
    char *ip;
    long requests;
    long paths;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("logstat: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("logstat: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

/* ---- input ------------------------------------------------------------------------------ */

struct record {
    char *ip, *path;
    int status;
    long latency;
};

/* Splits one line into its five fields; returns 0 for a well-formed line. */
static int parse(char *line, struct record *r)
{
    char *f[6];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == 6)
            return -1;
        f[n++] = t;
    }
    if (n != 5)
        return -1;
    char *end;
    long status = strtol(f[3], &end, 10);
    if (*end || status < 100 || status > 599)
        return -1;
    long latency = strtol(f[4], &end, 10);
    if (*end || latency < 0)
        return -1;
    r->ip = f[0];
    r->path = f[2];
    r->status = (int)status;
    r->latency = latency;
    return 0;
}

/* Reads all of `in` into one buffer (NUL-terminated). */
static char *slurp(FILE *in, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- statistics ------------------------------------------------------------------------- */

static struct client *clients;
static size_t nclients, capclients;
static struct table client_index; /* ip -> index in clients */
static struct table seen_paths;   /* "<client index> <path>" -> 1 */

static size_t client_of(const char *ip)
{
    long *slot = table_get_or_add(&client_index, ip);
    if (*slot < 0) {
        if (nclients == capclients) {
            capclients = capclients ? capclients * 2 : 1024;
            clients = xrealloc(clients, capclients * sizeof *clients);
        }
        clients[nclients] = (struct client){strdup(ip), 0, 0};
        *slot = (long)nclients++;
    }
    return (size_t)*slot;
}

static void count_path(size_t client, const char *path)
{
    static char *key;
    static size_t keycap;
    size_t need = strlen(path) + 32;
    if (need > keycap) {
        keycap = need * 2;
        key = xrealloc(key, keycap);
    }
    snprintf(key, keycap, "%zu %s", client, path);
    long *slot = table_get_or_add(&seen_paths, key);
    if (*slot < 0) {
        *slot = 1;
        clients[client].paths++;
    }
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void sort_latencies(long *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_long);
}

static int cmp_client(const void *a, const void *b)
{
    const struct client *x = a, *y = b;
    if (x->requests != y->requests)
        return x->requests > y->requests ? -1 : 1;
    return strcmp(x->ip, y->ip);
}

static long percentile(const long *sorted, size_t n, int p)
{
    size_t rank = (size_t)((p * (uint64_t)n + 99) / 100);
    return sorted[rank ? rank - 1 : 0];
}

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fputs("usage: logstat [FILE]\n", stderr);
        return 2;
    }
    if (argc == 2 && !(in = fopen(argv[1], "r"))) {
        perror(argv[1]);
        return 2;
    }
    size_t len;
    char *text = slurp(in, &len);
    if (in != stdin)
        fclose(in);

    table_init(&client_index, 1024);
    table_init(&seen_paths, 4096);
    long *lat = NULL;
    size_t nlat = 0, caplat = 0;
    long status[600] = {0};
    long skipped = 0;

    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct record r;
        if (line[0] == '#')
            continue;
        if (parse(line, &r) != 0) {
            skipped++;
            continue;
        }
        size_t c = client_of(r.ip);
        clients[c].requests++;
        count_path(c, r.path);
        if (nlat == caplat) {
            caplat = caplat ? caplat * 2 : 4096;
            lat = xrealloc(lat, caplat * sizeof *lat);
        }
        lat[nlat++] = r.latency;
        status[r.status]++;
    }

    printf("requests %zu\n", nlat);
    printf("skipped %ld\n", skipped);
    printf("clients %zu\n", nclients);
    if (nlat) {
        sort_latencies(lat, nlat);
        printf("latency p50 %ld p90 %ld p99 %ld max %ld\n", percentile(lat, nlat, 50),
               percentile(lat, nlat, 90), percentile(lat, nlat, 99), lat[nlat - 1]);
    } else {
        printf("latency p50 - p90 - p99 - max -\n");
    }
    printf("top clients\n");
    qsort(clients, nclients, sizeof *clients, cmp_client);
    for (size_t i = 0; i < nclients && i < 10; i++)
        printf("  %s %ld requests %ld paths\n", clients[i].ip, clients[i].requests, clients[i].paths);
    printf("status\n");
    for (int s = 100; s < 600; s++)
        if (status[s])
            printf("  %d %ld\n", s, status[s]);
    return 0;
}
